"""The addresses a node hands out: HostName / MgtHostName in carbon.xml (a load balancer's name, or the node's
own address, never another node's) and, on MB, the thrift server host the coordinator announces."""

from __future__ import annotations

from collections import Counter

from wso2patch import hosts
from wso2patch.checks import Ctx, NodeView

WILDCARDS = {"0.0.0.0", "::", "[::]"}


def run(ctx: Ctx) -> None:
    for key in ("carbon.HostName", "carbon.MgtHostName"):
        _host_name(ctx, key)
    _thrift(ctx)


def _owner(ctx: Ctx, value: str, n: NodeView | None = None) -> NodeView | None:
    """The node whose address value is (n itself first: several nodes may share a machine)."""
    same = [m for m in ctx.nodes if m.host and hosts.key(m.host) == hosts.key(value)]
    return n if n in same else next(iter(same), None)


def _host_name(ctx: Ctx, key: str) -> None:
    """A load balancer is known when at least two nodes (or every node) give the same name that is no node's
    address; a node that then gives its own or another node's address hands out URLs that bypass it. Without a
    load balancer each node names itself; a node that names another node sends its users there."""
    tag = key.rpartition(".")[2]
    names = {n.id: v for n in ctx.here if n.eff is not None and (v := n.eff.get(key))}
    foreign = Counter(v.lower() for v in names.values() if _owner(ctx, v) is None)
    lb, seen = (foreign.most_common(1)[0] if foreign else (None, 0))
    sure = lb is not None and (seen >= 2 or seen == len(ctx.nodes))
    if not names:
        if ctx.here:
            ctx.add("ok", "host-name", None, f"no node sets {tag}: each uses its machine's address")
        return
    for n in ctx.here:
        value = names.get(n.id)
        owner = _owner(ctx, value, n) if value else None
        if value is None:
            ctx.add("ok", "host-name", n, f"no {tag}: Carbon uses the machine's address", key)
        elif owner is not None and owner.id != n.id:
            also = f" instead of the load balancer's {lb}" if lb else ""
            ctx.add("error", "host-name", n, f"{tag} {value} is node {owner.id}'s address{also}: the URLs this node "
                                             f"hands out send its users to node {owner.id}", key)
        elif lb is not None and value.lower() != lb and sure:
            ctx.add("error", "host-name", n, f"{tag} {value}, while the load balancer's name {lb} is on the other "
                                             "nodes: the URLs this node hands out bypass the load balancer", key)
        elif lb is not None and owner is not None:
            ctx.add("warning", "host-name", n, f"{tag} {value} is this node's own address while another node gives "
                                               f"{lb}: if {lb} is the load balancer, set it on every node", key)
        elif lb is not None and value.lower() == lb:
            ctx.add("ok", "host-name", n, f"{tag} {value}" + (" (the load balancer's name, on every node)"
                                                               if sure else ""), key)
        else:
            ctx.add("ok", "host-name", n, f"{tag} {value} (this node's own)", key)


def _thrift(ctx: Ctx) -> None:
    """MB only: the coordinator announces thriftServerHost to the other nodes, which connect to it there."""
    key = "broker.coordination.thriftServerHost"
    for n in ctx.here:
        value = n.eff.get(key) if n.eff is not None else None
        if value is None:
            continue
        owner = _owner(ctx, value, n)
        if ctx.multi_host and (hosts.is_loopback(value) or value.lower() in WILDCARDS):
            kind = "a loopback" if hosts.is_loopback(value) else "a wildcard"
            ctx.add("error", "thrift-host", n, f"thriftServerHost {value} is {kind} address: when this node "
                                               "coordinates, nodes on other hosts cannot reach it; set this node's "
                                               "own address", key)
        elif owner is not None and owner.id != n.id:
            ctx.add("error", "thrift-host", n, f"thriftServerHost {value} is node {owner.id}'s address: this node "
                                               "cannot bind its thrift server there", key)
        else:
            ctx.add("ok", "thrift-host", n, f"thriftServerHost {value}", key)
