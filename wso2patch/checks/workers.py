"""Manager / worker roles (ESB and the EI integrator), judged from the files so hand-built clusters are judged too:
each node's role is the `subDomain` property of axis2.xml's clustering block (mgt or worker). A cluster where any
node has one is a role cluster: every node has one, exactly one is the manager, workers mount the registry
read-only. With a spec, each node's file says what its role says.

Scheduled tasks and message processors run on a node started with -DworkerNode=true, else only when its
clusteringPattern is not WorkerManager (an absent pattern counts as WorkerManager: Carbon's ntask default).
MB and Carbon ship `subDomain worker` on every node and have no roles: these rules skip them.
"""

from __future__ import annotations

from wso2patch.checks import Ctx, NodeView
from wso2patch.checks.databases import who
from wso2patch.effective import Where

ROLE_TARGETS = frozenset({"ei", "esb"})  # products (EI: its integrator profile) whose nodes take roles
P = "axis2.clustering.parameter"
SUB_DOMAIN = f"{P}[properties].property[subDomain].@value"
PATTERN = f"{P}[clusteringPattern]"
WORKER_MANAGER = "WorkerManager"
SUB_DOMAINS = {"manager": "mgt", "worker": "worker"}  # spec role -> subDomain
_NO_SUB = "(none)"


def run(ctx: Ctx) -> None:
    nodes = [n for n in ctx.nodes if n.eff is None or n.eff.target in ROLE_TARGETS]
    here = [n for n in nodes if n.eff is not None]
    subs = {n.id: _sub(ctx, n) for n in nodes}
    if ctx.spec is not None:
        ids = {n.id for n in here}
        _spec_roles(ctx, [n for n in ctx.here if n.id not in ids], here, subs)
    if not here:
        return
    if not any(subs.values()):
        for n in here:
            _plain_pattern(ctx, n)
        return
    _layout(ctx, nodes, subs)
    for n in here:
        _role_pattern(ctx, n, subs[n.id])
        _registry(ctx, n, subs[n.id])


def _sub(ctx: Ctx, n: NodeView) -> str | None:
    """The node's subDomain: from its axis2.xml, or for a node elsewhere from its role in the spec."""
    if n.eff is not None:
        return (n.eff.get(SUB_DOMAIN) or "").strip() or None
    role = ctx.spec.node(n.id).role if ctx.spec is not None else None
    return SUB_DOMAINS.get(role or "")


def _where(n: NodeView) -> Where | None:
    """Where a finding about the node's role points: its subDomain, else the properties parameter it belongs in,
    else the clustering element; None for a node elsewhere."""
    if n.eff is None:
        return None
    if SUB_DOMAIN in n.eff.where:
        return n.eff.where[SUB_DOMAIN]
    inside = next((w for k, w in n.eff.where.items() if k.startswith(f"{P}[properties].")), None)
    if inside is not None:
        return Where(inside.file, "/axisconfig/clustering/parameter[@name='properties']", None)
    return n.eff.where.get("axis2.clustering.@enable")


def _spec_roles(ctx: Ctx, others: list[NodeView], here: list[NodeView], subs: dict[int, str | None]) -> None:
    assert ctx.spec is not None
    for n in others:  # a product without roles
        role = ctx.spec.node(n.id).role
        if role is not None and n.eff is not None and n.eff.product is not None:
            ctx.add("error", "spec-role", n, f"the spec {_asked(n.id, role)}, but {n.eff.product.label} has no "
                                             "manager/worker roles (ESB and the EI integrator have)", where=_where(n))
    for n in here:
        role = ctx.spec.node(n.id).role
        want, have = SUB_DOMAINS.get(role or ""), subs[n.id]
        if role is None and have is None:
            continue
        said = f"its axis2.xml says subDomain {have}" if have else "its axis2.xml has no subDomain"
        if want != have:
            ctx.add("error", "spec-role", n, f"the spec {_asked(n.id, role)}, but {said}: apply the spec, or fix its "
                                             "role", where=_where(n))
        else:
            ctx.add("ok", "spec-role", n, f"subDomain {have}, as the spec's role {role}", where=_where(n))


def _asked(node: int, role: str | None) -> str:
    if role is None:
        return f"gives node {node} no role"
    return f"makes node {node} {'the manager' if role == 'manager' else 'a worker' if role == 'worker' else role}"


def _layout(ctx: Ctx, nodes: list[NodeView], subs: dict[int, str | None]) -> None:
    """Every node a role, each role known, exactly one manager."""
    bad = False
    with_role = [n.id for n in nodes if subs[n.id]]
    for n in nodes:
        sub = subs[n.id]
        if sub is None:
            bad = True
            mine = "no subDomain" if n.eff is not None else "no role in the spec (its home is elsewhere)"
            ctx.add("error", "role-layout", n, f"{mine}, while {who(with_role, 'has', 'have')} one: in a "
                                               "manager/worker cluster every node is the manager (mgt) or a worker",
                    where=_where(n))
        elif sub not in SUB_DOMAINS.values():
            bad = True
            ctx.add("error", "role-layout", n, f"subDomain {sub!r}: a node is the manager (mgt) or a worker (worker)",
                    where=_where(n))
    managers = [n for n in nodes if subs[n.id] == "mgt"]
    if not managers:
        bad = True
        ctx.add("error", "role-layout", None, "no node is the manager (subDomain mgt): a manager/worker cluster has "
                                              "exactly one")
    for n in managers[1:]:
        bad = True
        ctx.add("error", "role-layout", n, f"nodes {', '.join(str(m.id) for m in managers)} are all managers "
                                           "(subDomain mgt): a manager/worker cluster has exactly one; make the "
                                           "others workers", where=_where(n))
    if not bad:
        workers = [n.id for n in nodes if subs[n.id] == "worker"]
        ctx.add("ok", "role-layout", None, f"node {managers[0].id} is the manager, "
                                           f"{who(workers, 'is a worker', 'are workers') if workers else 'no worker'}"
                                           "; start workers with -DworkerNode=true (only they run scheduled tasks)")


def _plain_pattern(ctx: Ctx, n: NodeView) -> None:
    """No roles: WorkerManager (ESB 5.0's stock pattern) leaves scheduled tasks to nodes started as workers."""
    assert n.eff is not None
    if n.eff.get(PATTERN) == WORKER_MANAGER:
        ctx.add("warning", "clustering-pattern", n, "clusteringPattern WorkerManager, but no node has a subDomain: "
                                                    "only a node started with -DworkerNode=true runs scheduled "
                                                    "tasks and message processors; give the nodes roles, or set "
                                                    "nonWorkerManager", PATTERN)


def _role_pattern(ctx: Ctx, n: NodeView, sub: str | None) -> None:
    """The manager keeps out of scheduled tasks only under WorkerManager."""
    assert n.eff is not None
    pattern = n.eff.get(PATTERN)
    if sub == "mgt" and pattern is not None and pattern != WORKER_MANAGER:
        ctx.add("warning", "clustering-pattern", n, f"the manager's clusteringPattern is {pattern}: it runs "
                                                    "scheduled tasks and message processors too; set WorkerManager",
                PATTERN)
    elif sub in SUB_DOMAINS.values():
        ctx.add("ok", "clustering-pattern", n, f"clusteringPattern {pattern or 'absent (WorkerManager)'}",
                PATTERN if pattern is not None else None)


def _registry(ctx: Ctx, n: NodeView, sub: str | None) -> None:
    """Only the manager writes the registry: a worker's mounts are read-only (WSO2's deployment docs), and the
    manager's are not."""
    assert n.eff is not None
    if sub not in SUB_DOMAINS.values():
        return
    paths = sorted(k[len("registry.mount["):-len("].instanceId")] for k in n.eff.flat
                   if k.startswith("registry.mount[") and k.endswith("].instanceId"))
    wrong = False
    for path in paths:
        instance = n.eff.get(f"registry.mount[{path}].instanceId") or ""
        key = f"registry.remoteInstance[{instance}].readOnly"
        if n.eff.get(f"registry.remoteInstance[{instance}].dbConfig") is None:
            continue  # a broken chain: registry-mounts reports it
        value = (n.eff.get(key) or "").strip()
        read_only = value.lower() == "true"
        where = key if key in n.eff.where else f"registry.mount[{path}].instanceId"
        shown = f"<readOnly>{value}</readOnly>" if value else "no <readOnly>"
        if sub == "worker" and not read_only:
            wrong = True
            ctx.add("warning", "worker-registry", n, f"a worker mounts {path} through remoteInstance {instance} with "
                                                     f"{shown}: WSO2 requires read-only registry mounts on workers "
                                                     "(only the manager writes); set readOnly true", where)
        elif sub == "mgt" and read_only:
            wrong = True
            ctx.add("warning", "worker-registry", n, f"the manager mounts {path} through remoteInstance {instance} "
                                                     "read-only: what is saved on the manager cannot reach the "
                                                     "shared registry; set readOnly false", where)
    if paths and not wrong:
        what, whose = ("read-only", "a worker's") if sub == "worker" else ("writable", "the manager's")
        ctx.add("ok", "worker-registry", n, f"{what} registry mounts ({', '.join(paths)}), as {whose} should be")
