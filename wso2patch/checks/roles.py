"""Datasources by role: which JNDI name the product actually uses as its user store, local registry, config and
governance registries and MB store, read from user-mgt.xml, registry.xml and broker.xml, whatever the datasources
are called; and which database a JDBC URL reaches, so that two spellings of one database compare equal and an
embedded H2 file with a relative path counts as each node's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wso2patch import hosts
from wso2patch.effective import Effective

LABELS = {"user": "user store", "local": "local registry", "config": "config registry",
          "governance": "governance registry", "mb_store": "MB store"}
MOUNTS = {"config": "/_system/config", "governance": "/_system/governance"}
USER_KEY = "user-mgt.Realm.Configuration.Property[dataSource]"
MB_KEY = "broker.persistence.messageStore.property[dataSource]"
_SERVER = re.compile(r"^jdbc:(?P<sub>mysql|mariadb|postgresql)://(?P<auth>[^/?]*)(?P<path>/[^?]*)?", re.I)
_PORTS = {"mysql": "3306", "mariadb": "3306", "postgresql": "5432"}


@dataclass(frozen=True)
class Role:
    name: str  # a key of LABELS
    jndi: str
    ref: str  # the flat key of the reference that names the JNDI name


def _mount_chain(eff: Effective, path: str) -> str | None:
    """mount path -> remoteInstance -> dbConfig: the flat key of the dbConfig's dataSource; None when broken."""
    instance = eff.get(f"registry.mount[{path}].instanceId")
    dbconfig = eff.get(f"registry.remoteInstance[{instance}].dbConfig") if instance else None
    key = f"registry.dbConfig[{dbconfig}].dataSource"
    return key if dbconfig and eff.get(key) else None


def resolve(eff: Effective) -> dict[str, Role]:
    """Each role the home's files wire, with the JNDI name they look up (roles not wired are absent)."""
    refs: dict[str, str | None] = {"user": USER_KEY, "mb_store": MB_KEY}
    current = eff.get("registry.currentDBConfig")
    refs["local"] = f"registry.dbConfig[{current}].dataSource" if current else None
    for role, path in MOUNTS.items():
        refs[role] = _mount_chain(eff, path)
    out = {}
    for role in LABELS:
        ref = refs.get(role)
        jndi = eff.get(ref) if ref else None
        if ref and jndi:
            out[role] = Role(role, jndi, ref)
    return out


def url(eff: Effective, role: Role) -> str | None:
    return eff.get(f"datasources[{role.jndi}].url")


def embedded(url_: str) -> bool:
    """An H2 database inside the node itself: in memory, or a file at a path relative to the node's home."""
    rest = url_[len("jdbc:h2:"):] if url_.lower().startswith("jdbc:h2:") else None
    if rest is None or rest.lower().startswith(("tcp:", "ssl:")):
        return False
    path = rest.split(";", 1)[0].removeprefix("file:")
    absolute = path.startswith(("/", "~", "\\")) or re.match(r"^[A-Za-z]:", path) is not None
    return rest.lower().startswith("mem:") or not absolute


def database(url_: str, node: int, host: str) -> tuple[str, ...]:
    """Which database a URL reaches, as a comparable key: per node for an embedded H2, per machine for an H2 file
    at an absolute path, per server and database otherwise (query options ignored, default ports filled in)."""
    if embedded(url_):
        return ("node", str(node), url_)
    if url_.lower().startswith("jdbc:h2:") and not url_[8:].lower().startswith(("tcp:", "ssl:")):
        return ("machine", hosts.key(host), url_.split(";", 1)[0])
    m = _SERVER.match(url_)
    if m is None:
        return ("server", url_.split("?", 1)[0])
    sub, auth = m.group("sub").lower(), m.group("auth").lower()
    if "address=" not in auth and not re.search(r":\d+$", auth):
        auth = f"{auth}:{_PORTS[sub]}"
    return ("server", sub, auth, m.group("path") or "/")
