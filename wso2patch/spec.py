"""Load and validate the cluster spec (wso2patch.toml) and derive each node's values."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wso2patch import digest, hosts, spec_cluster, spec_db, spec_site
from wso2patch.errors import SpecError
from wso2patch.products import spec_profiles
from wso2patch.spec_cluster import Cluster, Registry
from wso2patch.spec_db import DEFAULT_NAMES as DEFAULT_NAMES
from wso2patch.spec_db import Database as Database
from wso2patch.spec_site import SitePatches

# key -> (type or types, required); nested tables map to a dict of their own
SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "cluster": {"domain": (str, False), **spec_cluster.CLUSTER_KEYS, **spec_site.CLUSTER_KEYS},
    "node": {"id": (int, True), "host": (str, True), "offset": (int, False), "home": (str, False),
             "member_port": (int, False), "profile": (str, False), "role": (str, False)},
    **spec_cluster.SCHEMA, **spec_db.SCHEMA, **spec_site.SCHEMA,
}
TOP = {"cluster": dict, "database": dict, "registry": dict, "node": list, "patches": dict}
ROLES = ("manager", "worker")
SUB_DOMAINS = {"manager": "mgt", "worker": "worker"}  # axis2.xml clustering property subDomain, as WSO2 names them
MAX_OFFSET = 65535 - 11111  # the highest stock Carbon/MB port is 11111
# Refused in every string value: what an XML 1.0 config file cannot hold (C0 controls, surrogates, U+FFFE, U+FFFF)
# and what it holds but no host, name or password means: tab, LF, CR (a reader turns CR into LF), DEL, the C1
# controls (an XML 1.1 reader turns U+0085 into a line feed) and the other Unicode noncharacters. U+2028 and U+2029
# are characters XML 1.0 keeps as written, so they pass.
_NONCHARS = "".join(f"\\U{p:08X}-\\U{p + 1:08X}" for p in range(0xFFFE, 0x110000, 0x10000))
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ufdd0-\\ufdef{_NONCHARS}]")
PROFILES = spec_profiles()
_NAMED = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x7f": "delete", "\x85": "next line"}


@dataclass(frozen=True)
class Node:
    id: int
    host: str
    offset: int
    member_port: int
    home: Path | None
    profile: str | None = None  # the product profile the node runs (EI: integrator, broker); None: the main one
    role: str | None = None  # "manager" or "worker" (ESB, EI integrator); None: no manager/worker split

    @property
    def https_port(self) -> int:
        return 9443 + self.offset

    @property
    def url_host(self) -> str:
        return hosts.url_host(self.host)


@dataclass(frozen=True)
class Spec:
    path: Path
    sha256: str
    domain: str | None
    db: Database
    nodes: tuple[Node, ...]
    cluster: Cluster = spec_cluster.DEFAULT_CLUSTER
    registry: Registry = spec_cluster.DEFAULT_REGISTRY
    hazelcast: Mapping[str, str] | None = None  # [cluster.hazelcast], values as Java reads them; None: no table
    site: SitePatches = spec_site.NO_SITE_PATCHES  # [patches]

    def node(self, node_id: int) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        known = ", ".join(str(n.id) for n in self.nodes)
        raise SpecError(f"no [[node]] with id = {node_id}", where=self.path, hint=f"the spec has nodes {known}")

    def peers(self, node_id: int) -> list[Node]:
        return [n for n in self.nodes if n.id != node_id]

    def values(self, node_id: int) -> dict[str, str]:
        """The flat, dotted values patch templates may use for one node."""
        n = self.node(node_id)
        v = {"node.id": str(n.id), "node.host": n.host, "node.url_host": n.url_host, "node.offset": str(n.offset),
             "node.member_port": str(n.member_port), "node.https_port": str(n.https_port),
             **self.db.values(node_id), **self.cluster.values(n), **self.registry.values(),
             "registry.read_only": "true" if n.role == "worker" else "false"}  # WSO2: workers mount read-only
        if n.role is not None:
            v["node.role"] = n.role
            v["node.sub_domain"] = SUB_DOMAINS[n.role]
        if self.domain is not None:
            v["cluster.domain"] = self.domain
        return v

    def peer_values(self, node_id: int) -> list[dict[str, str]]:
        return [{"peer.id": str(p.id), "peer.host": p.host, "peer.url_host": p.url_host,
                 "peer.member_port": str(p.member_port)}
                for p in self.peers(node_id)]

    def rows(self) -> dict[str, list[dict[str, str]]]:
        """The spec tables a patch may repeat an op over with for_each (variables.TABLES)."""
        return spec_site.rows(self.hazelcast)


def unsafe(value: str) -> str | None:
    """The first character of value no config file should get (see _UNSAFE), described; None when there is none."""
    m = _UNSAFE.search(value)
    if m is None:
        return None
    ch = m.group()
    code = f"U+{ord(ch):04X}"
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return f"a lone surrogate, {code} (bytes that are not UTF-8)"
    if ord(ch) <= 0x9F:
        return f"a control character, {code}" + (f" ({_NAMED[ch]})" if ch in _NAMED else "")
    return f"a Unicode noncharacter, {code}"


def find_spec(given: Path | None) -> Path:
    if given is not None:
        return given
    env = os.environ.get("WSO2PATCH_SPEC")
    return Path(env) if env else Path("wso2patch.toml")


def _line_of(text: str, table: str, index: int | None, key: str | None) -> int | None:
    """Best-effort line of `key` in [table] (or the index-th [[table]]); of the header when key is None."""
    current, seen = "", -1
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if m := re.match(r"^\[\[\s*([^\]\s]+)\s*\]\]", s):
            current = m.group(1)
            seen = seen + 1 if current == table else seen
            header = True
        elif m := re.match(r"^\[\s*([^\]\s]+)\s*\]", s):
            current, header = m.group(1), True
        else:
            header = False
        here = current == table and (index is None or seen == index)
        if here and header and key is None:
            return no
        if here and key is not None and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", s):
            return no
    return None


class _Checker:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, msg: str, table: str, index: int | None = None, key: str | None = None,
             hint: str | None = None) -> SpecError:
        line = _line_of(self.text, table, index, key) or _line_of(self.text, table, index, None)
        return SpecError(msg, where=f"{self.path}:{line}" if line else self.path, hint=hint)

    def table(self, data: Any, table: str, index: int | None = None) -> dict[str, Any]:
        label = f"[[{table}]] #{index + 1}" if index is not None else f"[{table}]"
        if not isinstance(data, dict):
            raise self.fail(f"{label} must be a table", table.split(".")[0], index)
        schema = SCHEMA[table]
        for key, value in data.items():
            if key not in schema:
                close = difflib.get_close_matches(key, schema, n=1)
                raise self.fail(f"unknown key {key!r} in {label}", table, index, key,
                                hint=f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(schema)}")
            want, _ = schema[key]
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and (bad := unsafe(item)):
                    raise self.fail(f"{label} {key} contains {bad}", table, index, key,
                                    hint="XML config files cannot carry it safely: remove it")
            if not isinstance(value, want) or (want is int and isinstance(value, bool)):
                wanted = " or ".join(t.__name__ if t is not dict else "a table"
                                     for t in (want if isinstance(want, tuple) else (want,)))
                raise self.fail(f"{label} {key} must be {wanted}, not {type(value).__name__}", table, index, key)
        for key, (_, required) in schema.items():
            if required and key not in data:
                raise self.fail(f"{label} needs {key!r}", table, index, hint=f"add {key} = ... to {label}")
        return data

    def host(self, host: str, what: str, table: str, index: int | None, port_key: str) -> None:
        _check_host(self, host, what, table, index, port_key)

    def env_secret(self, variable: str, table: str, key: str) -> str:
        """The value of the environment variable a `..._env` key names; a secret: never quoted in an error."""
        value = os.environ.get(variable)
        if value is None:
            raise self.fail(f"{key} names ${variable}, which is not set", table, None, key,
                            hint=f"export {variable}=... and rerun")
        if bad := unsafe(value):
            why = " (a carriage return often comes from a file with Windows line endings)" if "\r" in value else ""
            raise self.fail(f"{key} names ${variable}, whose value contains {bad}", table, None, key,
                            hint=f"set {variable} without it and rerun{why}")
        return value


def load_spec(path: Path) -> Spec:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError("cluster spec not found", where=path,
                        hint="pass --spec FILE, set WSO2PATCH_SPEC, or run 'wso2patch init' to write one") from None
    except OSError as e:
        raise SpecError(f"cannot read the cluster spec: {e.strerror}", where=path) from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark, as Windows editors write one, is no content
    except UnicodeDecodeError as e:  # replacing the bytes would put U+FFFD into a password or a host
        line = raw[: e.start].count(b"\n") + 1
        raise SpecError("invalid TOML: bytes that are not UTF-8", where=f"{path}:{line}",
                        hint="save the spec as UTF-8 and rerun") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"invalid TOML: {e}", where=path, hint="fix the syntax and rerun") from None
    return _build(path, digest.sha256(raw), text, data)


def _build(path: Path, digest: str, text: str, data: dict[str, Any]) -> Spec:
    c = _Checker(path, text)
    for key, value in data.items():
        if key not in TOP:
            close = difflib.get_close_matches(key, TOP, n=1)
            raise c.fail(f"unknown table [{key}]", key, hint=f"did you mean [{close[0]}]?" if close else
                         "known tables: [cluster], [database], [registry], [[node]], [patches]")
        if not isinstance(value, TOP[key]):
            raise c.fail(f"{key} must be {'[[node]] tables' if key == 'node' else f'a [{key}] table'}", key)
    raw_cluster = c.table(data.get("cluster", {}), "cluster")
    cluster = spec_cluster.load(c, raw_cluster)
    if "database" not in data:
        raise SpecError("the spec has no [database] table", where=path,
                        hint="add [database] with host, username and password (see 'wso2patch init')")
    db = spec_db.load(c, data["database"])
    registry = spec_cluster.load_registry(c, data.get("registry", {}))
    raw_nodes = data.get("node", [])
    if not raw_nodes:
        raise SpecError("the spec has no [[node]] tables", where=path, hint="add one [[node]] per cluster member")
    nodes = [_node(c, path, raw, i) for i, raw in enumerate(raw_nodes)]
    spec_db.check_names(c, db, [n.id for n in nodes])
    _check_unique(c, nodes)
    _check_loopback(c, nodes)
    _check_homes(c, nodes)
    _check_profiles(c, nodes)
    return Spec(path=path, sha256=digest, domain=data.get("cluster", {}).get("domain"),
                nodes=tuple(sorted(nodes, key=lambda n: n.id)), db=db, cluster=cluster, registry=registry,
                hazelcast=spec_site.load_hazelcast(c, raw_cluster),
                site=spec_site.load_patches_table(c, path, data.get("patches", {})))


def _node(c: _Checker, path: Path, raw: Any, i: int) -> Node:
    d = c.table(raw, "node", i)
    if d["id"] < 1:
        raise c.fail(f"node id {d['id']} must be a positive integer", "node", i, "id")
    _check_host(c, d["host"], f"node #{i + 1} host", "node", i, "member_port")
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


def _check_profiles(c: _Checker, nodes: list[Node]) -> None:
    """One spec is one cluster: every node runs the same profile."""
    for i, n in enumerate(nodes[1:], 1):
        if n.profile != nodes[0].profile:
            def say(p: str | None) -> str:
                return repr(p) if p is not None else "no profile (the main one)"
            raise c.fail(f"node #{i + 1} runs {say(n.profile)} but node #1 runs {say(nodes[0].profile)}: one spec "
                         "describes one cluster, of one profile", "node", i, "profile" if n.profile else "id",
                         hint="give every [[node]] the same profile; write one spec per profile")


def _check_host(c: _Checker, host: str, what: str, table: str, index: int | None, port_key: str) -> None:
    if split := hosts.with_port(host):
        raise c.fail(f"{what} {host!r} includes a port", table, index, "host",
                     hint=f"use host = \"{split[0]}\" and {port_key} = {split[1]}")
    if why := hosts.problem(host):
        bracketed = host.startswith("[") and host.endswith("]")
        raise c.fail(f"{what} {host!r} is not a host name or IP address: {why}", table, index, "host",
                     hint=f"use host = \"{host[1:-1]}\"" if bracketed else "write an IPv4 address, an IPv6 "
                                                                         "address or a DNS name")


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
