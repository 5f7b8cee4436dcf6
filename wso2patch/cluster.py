"""Cross-node rules: is the cluster the spec describes consistent, node against node?

Each reachable node's effective configuration (its files, or the bytes a plan would write) is
checked against the others; a node whose home is not on this machine is represented by its
spec values. Findings are (level, rule, node, message) with level error, warning or ok.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from wso2patch.driver import driver_jars
from wso2patch.effective import Effective
from wso2patch.spec import Spec

SHARED = {"jdbc/WSO2UMDB": "user store", "jdbc/WSO2RegistryDB": "shared registry"}
LOCAL = "jdbc/WSO2CarbonDB"


@dataclass(frozen=True)
class Finding:
    level: str  # error, warning, ok
    rule: str
    node: int | None
    message: str


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost" or host.startswith("localhost.")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _member(host: str, port: str) -> str:
    """host:port in one spelling: <hostName> brackets an IPv6 address, localMemberHost does not."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        return f"{host}:{port}"
    return f"[{ip.compressed}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def check_cluster(spec: Spec, configs: dict[int, Effective]) -> list[Finding]:
    out: list[Finding] = []

    def add(level: str, rule: str, node: int | None, message: str) -> None:
        out.append(Finding(level, rule, node, message))

    ident: dict[int, tuple[str, str]] = {}  # node -> (host, member port) as the node announces itself
    offsets: dict[int, tuple[str, str]] = {}
    for n in spec.nodes:
        eff = configs.get(n.id)
        host = (eff.get("axis2.clustering.parameter[localMemberHost]") if eff else None) or n.host
        port = (eff.get("axis2.clustering.parameter[localMemberPort]") if eff else None) or str(n.member_port)
        ident[n.id] = (host, port)
        offsets[n.id] = (host, (eff.get("carbon.Ports.Offset") if eff else None) or str(n.offset))
    multi_host = len({h for h, _ in ident.values()}) > 1

    for rule, pairs, what in (("unique-member-port", ident, "host:member port"), ("unique-offset", offsets,
                                                                                    "host:port offset")):
        dup = [k for k, c in Counter(pairs.values()).items() if c > 1]
        for host, value in dup:
            nodes = [str(i) for i, v in pairs.items() if v == (host, value)]
            add("error", rule, None, f"nodes {', '.join(nodes)} share {what} {host}:{value}")
        if not dup:
            add("ok", rule, None, f"every node has its own {what}")

    for n in spec.nodes:
        eff = configs.get(n.id)
        if eff is None:
            continue
        if eff.get("axis2.clustering.@enable") != "true" or eff.get(
                "axis2.clustering.parameter[membershipScheme]") != "wka":
            add("error", "clustering", n.id, "clustering is not enabled with membershipScheme wka in axis2.xml")
        want = {_member(h, p) for i, (h, p) in ident.items() if i != n.id}
        got = [_member(*m.rsplit(":", 1)) if ":" in m else m for m in eff.members()]
        me = _member(*ident[n.id])
        problems = []
        if me in got:
            problems.append("lists itself")
        if missing := sorted(want - set(got)):
            problems.append(f"misses {', '.join(missing)}")
        if extra := sorted(set(got) - want - {me}):
            problems.append(f"lists unknown members {', '.join(extra)}")
        if len(got) != len(set(got)):
            problems.append("lists a member twice")
        if bare := [m for m in eff.members() if m.count(":") > 1 and not m.startswith("[")]:
            problems.append(f"lists IPv6 members without brackets ({', '.join(bare)}): Carbon passes Hazelcast "
                            "hostName:port, which it cannot split")
        add("error" if problems else "ok", "wka-members", n.id,
            "; ".join(problems) if problems else f"lists every other node ({len(want)})")
        host = ident[n.id][0]
        if multi_host and _loopback(host):
            add("error", "member-host", n.id, f"localMemberHost {host} is a loopback address; nodes on other "
                                              "hosts cannot reach it")
        elif not _is_ip(host):
            add("warning", "member-host", n.id, f"localMemberHost {host} is a host name, not an IP address")
        else:
            add("ok", "member-host", n.id, f"localMemberHost {host}")
        out.append(_references(n.id, eff))
        jars = driver_jars(eff.home)
        add("ok" if jars else "warning", "driver", n.id,
            jars[0].name if jars else "no mysql-connector-*.jar in repository/components/lib")
    return out + _databases(configs)


def _references(node: int, eff: Effective) -> Finding:
    counts = Counter(eff.jndi)
    bad = [f"{Path(f).name} names {j} ({counts[j]} active datasources)" for f, j in sorted(set(eff.references))
           if counts[j] != 1]
    return Finding("error" if bad else "ok", "jndi-references", node,
                   "; ".join(bad) if bad else f"{len(set(eff.references))} JNDI names, each defined once")


def _databases(configs: dict[int, Effective]) -> list[Finding]:
    if not configs:
        return []
    out = []
    for jndi, what in SHARED.items():
        urls = {i: e.get(f"datasources[{jndi}].url") for i, e in configs.items()}
        if len(set(urls.values())) > 1:
            detail = ", ".join(f"node {i}: {u}" for i, u in urls.items())
            out.append(Finding("error", "shared-databases", None, f"nodes use different {what} databases ({jndi}): "
                                                                  f"{detail}"))
        else:
            out.append(Finding("ok", "shared-databases", None, f"every node uses the same {what} ({jndi})"))
    local = Counter(e.get(f"datasources[{LOCAL}].url") for e in configs.values())
    shared = [u for u, c in local.items() if c > 1]
    out.append(Finding("error", "local-registry", None, f"several nodes share the local registry database "
                                                         f"{shared[0]}") if shared else
               Finding("ok", "local-registry", None, "every node has its own local registry database"))
    return out
