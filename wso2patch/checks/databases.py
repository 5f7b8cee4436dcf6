"""Databases by role: one user store, one config and governance registry, one MB store for all nodes; a local
registry of its own for each (an embedded H2 at a relative path is each node's own); the same registry mounts on
every node; every JNDI name the product looks up defined once; the MySQL driver where MySQL is used."""

from __future__ import annotations

import re
from collections import Counter

from wso2patch.checks import Ctx, NodeView, jar_dirs, mysql_jars
from wso2patch.checks.membership import majority
from wso2patch.checks.roles import LABELS, MB_KEY, MOUNTS, USER_KEY, database, embedded, resolve, url
from wso2patch.effective import Where

SHARED = ("user", "config", "governance", "mb_store")
_MOUNT = re.compile(r"^registry\.mount\[(.+)\]\.instanceId$")
ABSENT = "(no mount)"
_REFERENCE = re.compile(r"^(registry\.dbConfig\[.*\]\.dataSource|broker\..*\.property\[dataSource\])$")


def run(ctx: Ctx) -> None:
    for role in SHARED:
        _shared(ctx, role)
    _local(ctx)
    _mounts(ctx)
    for n in ctx.here:
        _references(ctx, n)
        _driver(ctx, n)


def _wired(ctx: Ctx, role: str) -> list[tuple[NodeView, str, str, str]]:
    """(node, url, flat key of the url, 'file -> JNDI name') for each node here whose files wire the role to a
    defined datasource."""
    out = []
    for n in ctx.here:
        assert n.eff is not None
        r = resolve(n.eff).get(role)
        u = url(n.eff, r) if r is not None else None
        if r is not None and u:
            file = n.eff.where[r.ref].file.rpartition("/")[2] if r.ref in n.eff.where else "?"
            out.append((n, u, f"datasources[{r.jndi}].url", f"{file} -> {r.jndi}"))
    return out


def _shared(ctx: Ctx, role: str) -> None:
    label, wired = LABELS[role], _wired(ctx, role)
    if not wired:
        if role in MOUNTS and ctx.here:
            ctx.add("warning", "shared-databases", None, f"no node mounts a shared {label} ({MOUNTS[role]}): each "
                                                         "node keeps its own, in its local registry")
        return
    bad = False
    for n, u, key, ref in wired:
        if embedded(u):
            bad = True
            ctx.add("error", "shared-databases", n, f"the {label} ({ref}) is this node's own embedded H2 ({u}): "
                                                    "the nodes do not share it", key)
    served = {n.id: database(u, n.id, n.host) for n, u, _, _ in wired if not embedded(u)}
    common = majority({i: repr(d) for i, d in served.items()})
    for n, u, key, _ in wired:
        if n.id in served and repr(served[n.id]) != common:
            bad = True
            others = [i for i, d in served.items() if repr(d) == common]
            ctx.add("error", "shared-databases", n, f"the {label} is {u}, while {who(others, 'uses', 'use')} "
                                                    "another database", key)
    if not bad:
        ctx.add("ok", "shared-databases", None, f"every node uses the same {label} database")


def who(ids: list[int], singular: str, plural: str) -> str:
    """'node 1 uses' / 'nodes 1, 3 use'."""
    return f"node {ids[0]} {singular}" if len(ids) == 1 else f"nodes {', '.join(map(str, ids))} {plural}"


def _local(ctx: Ctx) -> None:
    wired = _wired(ctx, "local")
    groups: dict[tuple[str, ...], list[tuple[NodeView, str, str]]] = {}
    for n, u, key, _ in wired:
        groups.setdefault(database(u, n.id, n.host), []).append((n, u, key))
    clashes = [g for g in groups.values() if len(g) > 1]
    for g in clashes:
        n, u, key = g[-1]
        ctx.add("error", "local-registry", n, f"nodes {', '.join(str(m.id) for m, _, _ in g)} share the local "
                                              f"registry database {u}", key)
    if wired and not clashes:
        h2 = [str(n.id) for n, u, _, _ in wired if embedded(u)]
        ctx.add("ok", "local-registry", None, "every node has its own local registry database" +
                (f" (embedded H2 on node{'s' * (len(h2) > 1)} {', '.join(h2)})" if h2 else ""))


def _mounts(ctx: Ctx) -> None:
    """The same mounts at the same target paths everywhere (a product's sub-path, /_system/config/mb, keeps
    products that share one registry database apart), each mount wired through to a datasource."""
    paths = sorted({m.group(1) for n in ctx.here if n.eff is not None for k in n.eff.flat if (m := _MOUNT.match(k))})
    bad = False
    for path in paths:
        target = {n.id: (n.eff.get(f"registry.mount[{path}].targetPath") or "" if n.eff.get(
            f"registry.mount[{path}].instanceId") is not None else None) for n in ctx.here if n.eff is not None}
        want = majority({i: t if t is not None else ABSENT for i, t in target.items()})
        for n in ctx.here:
            assert n.eff is not None
            if target[n.id] is not None:
                bad |= _chain(ctx, n, path)
            if (target[n.id] if target[n.id] is not None else ABSENT) == want:
                continue
            bad = True
            others = [i for i, t in target.items() if (t if t is not None else ABSENT) == want]
            theirs = who(others, "does not mount it", "do not mount it") if want == ABSENT else \
                who(others, f"mounts it at {want}", f"mount it at {want}")
            mine = f"mounts {path} at {target[n.id]}" if target[n.id] is not None else f"does not mount {path}"
            ctx.add("error", "registry-mounts", n, f"{mine}, while {theirs}", f"registry.mount[{path}].targetPath",
                    None if target[n.id] is not None else
                    Where(n.eff.rel("registry"), f"/wso2registry/mount[@path='{path}']", None))
    if paths and not bad:
        first = next(n.eff for n in ctx.here if n.eff is not None)
        ctx.add("ok", "registry-mounts", None, "every node mounts " + ", ".join(
            f"{p} at {first.get(f'registry.mount[{p}].targetPath')}" for p in paths))


def _chain(ctx: Ctx, n: NodeView, path: str) -> bool:
    """False when the mount leads to a dbConfig with a dataSource; else reported, True."""
    assert n.eff is not None
    key = f"registry.mount[{path}].instanceId"
    instance = n.eff.get(key) or ""
    dbconfig = n.eff.get(f"registry.remoteInstance[{instance}].dbConfig")
    if dbconfig is None:
        ctx.add("error", "registry-mounts", n, f"mount {path} names instanceId {instance}, which no remoteInstance "
                                               "has", key)
        return True
    if n.eff.get(f"registry.dbConfig[{dbconfig}].dataSource") is None:
        ctx.add("error", "registry-mounts", n, f"remoteInstance {instance} names dbConfig {dbconfig}, which is not "
                                               "defined", f"registry.remoteInstance[{instance}].dbConfig")
        return True
    return False


def _references(ctx: Ctx, n: NodeView) -> None:
    assert n.eff is not None
    counts = Counter(n.eff.jndi)
    keys = [k for k in n.eff.flat if k in (USER_KEY, MB_KEY) or _REFERENCE.match(k)]
    bad = [k for k in keys if counts[n.eff.get(k) or ""] != 1]
    for k in bad:
        jndi = n.eff.get(k) or ""
        file = n.eff.where[k].file.rpartition("/")[2] if k in n.eff.where else "?"
        ctx.add("error", "jndi-references", n, f"{file} names {jndi} ({counts[jndi]} active datasources)", k)
    if not bad:
        ctx.add("ok", "jndi-references", n, f"{len({n.eff.get(k) for k in keys})} JNDI names, each defined once")


def _driver(ctx: Ctx, n: NodeView) -> None:
    assert n.eff is not None
    mysql = any(k.endswith("].url") and k.startswith("datasources[") and isinstance(v, str) and
                v.lower().startswith(("jdbc:mysql:", "jdbc:mariadb:")) for k, v in n.eff.flat.items())
    jars = mysql_jars(n.eff.home, n.eff.product)
    if jars or not mysql:
        ctx.add("ok", "driver", n, jars[0].name if jars else "no MySQL datasource")
    else:
        ctx.add("warning", "driver", n, f"no mysql-connector-*.jar in {jar_dirs(n.eff.product)[1]}")
