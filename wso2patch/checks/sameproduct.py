"""One cluster is one product and profile: an EI integrator and an MB node in one domain would join one Hazelcast
cluster while each runs its own patches and databases. Versions of one product should match too."""

from __future__ import annotations

from wso2patch.checks import Ctx
from wso2patch.checks.databases import who
from wso2patch.checks.membership import majority


def run(ctx: Ctx) -> None:
    known = [n for n in ctx.here if n.eff is not None and n.eff.product is not None]
    if not known:
        return
    label = {n.id: n.eff.product.label for n in known if n.eff is not None and n.eff.product is not None}
    kind = {n.id: f"{n.eff.product.key}:{n.eff.product.profile}" for n in known
            if n.eff is not None and n.eff.product is not None}
    version = {n.id: n.eff.product.version for n in known if n.eff is not None and n.eff.product is not None}
    want = majority(kind)
    usual = majority({i: v for i, v in version.items() if kind[i] == want})
    bad = False
    for n in known:
        same = [i for i in kind if kind[i] == want and i != n.id]
        if kind[n.id] != want:
            bad = True
            ctx.add("error", "same-product", n, f"runs {label[n.id]}, while {who(same, 'runs', 'run')} "
                                                f"{label[same[0]]}: one cluster is one product and profile; give "
                                                "each its own cluster domain", "carbon.ServerKey")
        elif version[n.id] != usual:
            bad = True
            others = [i for i in same if version[i] == usual]
            ctx.add("warning", "same-product", n, f"runs version {version[n.id]}, while {who(others, 'runs', 'run')} "
                                                  f"{usual}: nodes of one cluster should run one release",
                    "carbon.Version")
    if not bad:
        ctx.add("ok", "same-product", None, f"every node runs {label[known[0].id]}")
