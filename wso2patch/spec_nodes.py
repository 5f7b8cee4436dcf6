"""[[node]] tables: each node's keys, and the checks across nodes (ids, ports, loopback, homes, profiles)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wso2patch import hosts
from wso2patch.products import spec_profiles
from wso2patch.spec_model import Node

if TYPE_CHECKING:
    from wso2patch.spec_check import _Checker

ROLES = ("manager", "worker")
MAX_OFFSET = 65535 - 11111  # the highest stock Carbon/MB port is 11111
PROFILES = spec_profiles()


def load(c: _Checker, path: Path, raw: Any, i: int) -> Node:
    """The i-th [[node]] table; a relative home is taken from the spec's folder."""
    d = c.table(raw, "node", i)
    if d["id"] < 1:
        raise c.fail(f"node id {d['id']} must be a positive integer", "node", i, "id")
    c.host(d["host"], f"node #{i + 1} host", "node", i, "member_port")
    offset = d.get("offset", 0)
    if not 0 <= offset <= MAX_OFFSET:
        raise c.fail(f"offset {offset} is out of range 0..{MAX_OFFSET} (ports would exceed 65535)", "node", i,
                     "offset")
    member_port = d.get("member_port", 4000 + offset)
    if not 1 <= member_port <= 65535:
        raise c.fail(f"member_port {member_port} is out of range 1..65535", "node", i, "member_port")
    home = Path(d["home"]) if "home" in d else None
    if home is not None and not home.is_absolute():
        home = path.parent / home  # relative homes are relative to the spec file, not to the cwd
    profile, role = d.get("profile"), d.get("role")
    if profile is not None and profile not in PROFILES:
        raise c.fail(f"profile {profile[:40]!r} is not a product profile wso2patch supports ({', '.join(PROFILES)})",
                     "node", i, "profile", hint="leave it unset for the product's main profile")
    if role is not None and role not in ROLES:
        raise c.fail(f"role {role[:40]!r} must be {' or '.join(repr(r) for r in ROLES)}", "node", i, "role",
                     hint="leave it unset for a cluster without a manager/worker split")
    return Node(id=d["id"], host=d["host"], offset=offset, member_port=member_port, home=home, profile=profile,
                role=role)


def check(c: _Checker, nodes: list[Node]) -> None:
    """What no node shows on its own: shared ids, ports or homes, a loopback host among hosts, mixed profiles."""
    _check_unique(c, nodes)
    _check_loopback(c, nodes)
    _check_homes(c, nodes)
    _check_profiles(c, nodes)


def _check_profiles(c: _Checker, nodes: list[Node]) -> None:
    """One spec is one cluster: every node runs the same profile."""
    for i, n in enumerate(nodes[1:], 1):
        if n.profile != nodes[0].profile:
            def say(p: str | None) -> str:
                return repr(p) if p is not None else "no profile (the main one)"
            raise c.fail(f"node #{i + 1} runs {say(n.profile)} but node #1 runs {say(nodes[0].profile)}: one spec "
                         "describes one cluster, of one profile", "node", i, "profile" if n.profile else "id",
                         hint="give every [[node]] the same profile; write one spec per profile")


def _check_unique(c: _Checker, nodes: list[Node]) -> None:
    seen: dict[object, int] = {}
    for i, n in enumerate(nodes):
        host = hosts.key(n.host)  # one machine, however spelled: 2001:DB8::1 is 2001:db8::1, MB1 is mb1
        for key, what, field in (((n.id,), f"id {n.id}", "id"),
                                 ((host, "offset", n.offset), f"host {n.host} with offset {n.offset}", "offset"),
                                 ((host, "member", n.member_port), f"host {n.host} with member port "
                                  f"{n.member_port}", "member_port")):
            if key in seen:
                raise c.fail(f"nodes #{seen[key] + 1} and #{i + 1} share {what}", "node", i, field,
                             hint="every node needs its own id, and nodes on one host need distinct offsets "
                                  "and member ports")
            seen[key] = i


def _check_loopback(c: _Checker, nodes: list[Node]) -> None:
    """A node announcing a loopback address cannot be reached by nodes on other hosts."""
    if len({hosts.key(n.host) for n in nodes}) < 2:
        return
    for i, n in enumerate(nodes):
        if hosts.is_loopback(n.host):
            raise c.fail(f"node {n.id} host {n.host!r} is a loopback address, but other nodes run on other hosts "
                         "and could not reach it", "node", i, "host", hint="use the node's IP address")


def _real(home: Path) -> Path:
    """The folder a home names: symbolic links resolved as far as they exist, '..' and a final '/' folded away."""
    try:
        return home.resolve()
    except (OSError, RuntimeError):  # a looping link: check_home names it when that node is used
        return Path(os.path.normpath(home.absolute()))


def _check_homes(c: _Checker, nodes: list[Node]) -> None:
    """Two nodes in one home would patch it twice, the second undoing the first (apply --all exits 0)."""
    seen: dict[Path, int] = {}
    for i, n in enumerate(nodes):
        if n.home is None:
            continue
        real = _real(n.home)
        if real in seen:
            raise c.fail(f"nodes #{seen[real] + 1} and #{i + 1} share the home {real}", "node", i, "home",
                         hint="every node needs its own product home: unpack the product once per node")
        seen[real] = i
