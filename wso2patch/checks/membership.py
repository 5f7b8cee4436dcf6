"""Hazelcast membership: clustering on, one scheme and one domain for all, the scheme's jar, the well-known
members, the member host, and no two nodes on one host:port."""

from __future__ import annotations

import ipaddress
import zipfile
from collections import Counter
from pathlib import Path

from wso2patch import hosts
from wso2patch.checks import Ctx, NodeView, jar_dirs, scheme

P = "axis2.clustering.parameter"
KUBERNETES = "org.wso2.carbon.membership.scheme.kubernetes.KubernetesMembershipScheme"
DEFAULT_DOMAIN = "wso2.carbon.domain"  # what HazelcastClusteringAgent uses when axis2.xml names none


def run(ctx: Ctx) -> None:
    for n in ctx.here:
        _clustering(ctx, n)
        _jar(ctx, n)
    _unique(ctx)
    _domain(ctx)
    for n in ctx.here:
        if scheme(n.eff) == "wka":
            _members(ctx, n)
        if scheme(n.eff) != "kubernetes":  # the kubernetes scheme reads each pod's address from the API
            _member_host(ctx, n)


def majority(values: dict[int, str]) -> str | None:
    """The most common value; a tie goes to the value of the lowest node id."""
    if not values:
        return None
    counts = Counter(values.values())
    return max(values.values(), key=lambda v: (counts[v], -min(i for i, x in values.items() if x == v)))


def _clustering(ctx: Ctx, n: NodeView) -> None:
    assert n.eff is not None
    mine = scheme(n.eff)
    usual = majority({m.id: scheme(m.eff) for m in ctx.here})
    if n.eff.get("axis2.clustering.@enable") != "true":
        ctx.add("error", "clustering", n, "clustering is not enabled (<clustering enable=\"true\">)",
                "axis2.clustering.@enable")
    elif not mine:
        ctx.add("error", "clustering", n, "no membershipScheme: set wka (or kubernetes, aws)",
                f"{P}[membershipScheme]")
    elif mine != usual:
        ctx.add("error", "clustering", n, f"membership scheme {mine}, while the other nodes use {usual}: they "
                                          "cannot find each other", f"{P}[membershipScheme]")
    elif mine == "kubernetes" and not n.eff.get(f"{P}[membershipSchemeClassName]"):
        ctx.add("error", "clustering", n, f"membershipScheme kubernetes needs the parameter membershipSchemeClassName "
                                          f"= {KUBERNETES}", f"{P}[membershipScheme]")
    elif mine == "multicast":
        ctx.add("warning", "clustering", n, "membershipScheme multicast: multicast rarely crosses subnets and "
                                            "clouds do not carry it; WSO2 recommends wka", f"{P}[membershipScheme]")
    else:
        ctx.add("ok", "clustering", n, f"clustering enabled, membership scheme {mine}", f"{P}[membershipScheme]")


def _holder(home: Path, folders: tuple[str, str], entry: str) -> Path | None:
    """The jar in dropins or lib that holds the class file or package `entry`."""
    for folder in folders:
        for jar in sorted((home / folder).glob("*.jar")) if (home / folder).is_dir() else []:
            try:
                with zipfile.ZipFile(jar) as z:
                    if any(name.startswith(entry) for name in z.namelist()):
                        return jar
            except (OSError, zipfile.BadZipFile):
                continue  # not a jar Carbon could load either
    return None


def _jar(ctx: Ctx, n: NodeView) -> None:
    """A membership scheme Carbon does not carry itself must be in a jar of dropins or lib (lib jars are turned
    into bundles at start-up); the kubernetes scheme resolves pods with dnsjava unless USE_DNS is false."""
    assert n.eff is not None
    cls = n.eff.get(f"{P}[membershipSchemeClassName]")
    key = f"{P}[membershipSchemeClassName]"
    if scheme(n.eff) == "aws" and not cls:
        ctx.add("ok", "membership-jar", n, "the aws scheme is built into Carbon 4.4 (Hazelcast's AWS discovery): no "
                                           "jar to add", f"{P}[membershipScheme]")
    if not cls or cls.startswith("org.wso2.carbon.core."):
        return
    folders = jar_dirs(n.eff.product)
    jar = _holder(n.eff.home, folders, cls.replace(".", "/") + ".class")
    if jar is None:
        what = "kubernetes-membership-scheme-<version>.jar" if cls == KUBERNETES else "the jar that holds it"
        ctx.add("warning", "membership-jar", n, f"{cls} is in no jar of {' or '.join(folders)}: clustering cannot "
                                                f"start; put {what} into {folders[0]}", key)
        return
    ctx.add("ok", "membership-jar", n, f"{cls} is in {jar.relative_to(n.eff.home)}", key)
    if cls == KUBERNETES and (n.eff.get(f"{P}[USE_DNS]") or "true").lower() != "false" and \
            _holder(n.eff.home, folders, "org/xbill/DNS/") is None:
        ctx.add("warning", "membership-jar", n, "USE_DNS is on (the scheme's default), so pods are found through "
                                                f"dnsjava, which is in no jar of {' or '.join(folders)}: put "
                                                f"dnsjava-<version>.jar into {folders[1]}", f"{P}[USE_DNS]")


def _unique(ctx: Ctx) -> None:
    for rule, attr, key, what in (("unique-member-port", "port", f"{P}[localMemberPort]", "host:member port"),
                                  ("unique-offset", "offset", "carbon.Ports.Offset", "host:port offset")):
        groups: dict[tuple[str, str], list[NodeView]] = {}
        for n in ctx.nodes:
            groups.setdefault((hosts.key(n.host), getattr(n, attr)), []).append(n)
        clashes = [g for g in groups.values() if len(g) > 1]
        for g in clashes:
            ctx.add("error", rule, g[-1], f"nodes {', '.join(str(m.id) for m in g)} share {what} "
                                          f"{g[0].host}:{getattr(g[0], attr)}", key)
        if not clashes:
            ctx.add("ok", rule, None, f"every node has its own {what}")


def _domain(ctx: Ctx) -> None:
    key = f"{P}[domain]"
    domains = {n.id: n.eff.get(key) or DEFAULT_DOMAIN for n in ctx.here if n.eff is not None}
    want = (ctx.spec.domain if ctx.spec is not None else None) or majority(domains)
    wrong = [n for n in ctx.here if domains[n.id] != want]
    for n in wrong:
        ctx.add("error", "cluster-domain", n, f"domain {domains[n.id]}, while the cluster's is {want}: nodes in "
                                              "different domains form separate clusters", key)
    if domains and not wrong:
        ctx.add("ok", "cluster-domain", None, f"every node is in domain {want}")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _member(host: str, port: str) -> str:
    """host:port in one spelling: <hostName> brackets an IPv6 address, localMemberHost does not."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        return f"{host.lower()}:{port}"
    return f"[{ip.compressed}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def _members(ctx: Ctx, n: NodeView) -> None:
    """Every peer listed at the host and port it announces. Listing itself is what WSO2 recommends (one member
    list for all nodes) and Hazelcast skips its own address: fine, said in passing."""
    assert n.eff is not None
    ident = {m.id: _member(m.host, m.port) for m in ctx.nodes}
    me, want = ident[n.id], {v for i, v in ident.items() if i != n.id}
    raw = n.eff.members()
    got = [_member(*m.rsplit(":", 1)) if ":" in m else m for m in raw]
    problems, unknown = [], sorted(set(got) - want - {me})
    if missing := sorted(want - set(got)):
        problems.append(f"misses {', '.join(missing)}")
    ports: dict[str, list[str]] = {}
    for v in ident.values():
        ports.setdefault(v.rsplit(":", 1)[0], []).append(v.rsplit(":", 1)[1])
    if wrong := [f"{u} (nodes on that host listen on {', '.join(sorted(ports[u.rsplit(':', 1)[0]]))})"
                 for u in unknown if u.rsplit(":", 1)[0] in ports]:
        problems.append(f"lists wrong ports: {', '.join(wrong)}")
    elif unknown and ctx.spec is not None:
        problems.append(f"lists unknown members {', '.join(unknown)}")
    if len(got) != len(set(got)):
        problems.append("lists a member twice")
    if bare := [m for m in raw if m.count(":") > 1 and not m.startswith("[")]:
        problems.append(f"lists IPv6 members without brackets ({', '.join(bare)}): Carbon passes Hazelcast "
                        "hostName:port, which it cannot split")
    key = "axis2.clustering.members"
    if problems:
        ctx.add("error", "wka-members", n, "; ".join(problems), key)
    elif unknown:
        ctx.add("warning", "wka-members", n, f"lists {', '.join(unknown)}, which is none of the homes checked "
                                             "(a node elsewhere, or a stale entry)", key)
    else:
        ctx.add("ok", "wka-members", n, f"lists every other node ({len(want)})" +
                (" and itself (fine: Hazelcast skips its own address)" if me in got else ""), key)


def _member_host(ctx: Ctx, n: NodeView) -> None:
    key = f"{P}[localMemberHost]"
    if not n.host:
        ctx.add("warning", "member-host", n, "no localMemberHost: Hazelcast picks an interface itself", key)
    elif ctx.multi_host and hosts.is_loopback(n.host):
        ctx.add("error", "member-host", n, f"localMemberHost {n.host} is a loopback address; nodes on other hosts "
                                           "cannot reach it", key)
    elif (ip := _ip(n.host)) is not None and ip.is_unspecified:
        ctx.add("error", "member-host", n, f"localMemberHost {n.host} is a wildcard address, which no other node "
                                           "can connect to", key)
    elif ip is None:
        ctx.add("warning", "member-host", n, f"localMemberHost {n.host} is a host name, not an IP address", key)
    else:
        ctx.add("ok", "member-host", n, f"localMemberHost {n.host}", key)
