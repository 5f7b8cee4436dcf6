"""Semantic comparison of two homes' effective configuration, with the differences a cluster is
expected to have (host, port offset, member port, local registry database) set apart from the rest.

Datasources are matched by role, not by name: a datasource is keyed by what user-mgt.xml, registry.xml and
broker.xml use it for (`datasources[role:user]`, `datasources[role:config+governance]`, `datasources[role:local]`,
`datasources[role:mb_store]`), and so are the registry's dbConfig and remoteInstance entries and every reference
to them. Two nodes wired alike compare clean whatever their datasources are called; a node whose user store points
at another datasource differs where it matters. Datasources no role uses keep their JNDI name as key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wso2patch.checks.roles import MB_KEY, USER_KEY, resolve
from wso2patch.effective import Effective, Value

EXPECTED: list[tuple[re.Pattern[str], str]] = [(re.compile(p), why) for p, why in (
    (r"^carbon\.Ports\.Offset$", "port offset"),
    (r"^axis2\.clustering\.parameter\[localMemberPort\]$", "member port"),
    (r"^axis2\.clustering\.parameter\[localMemberHost\]$", "host"),
    (r"^carbon\.(Mgt)?HostName$", "host"),
    (r"^broker\.coordination\.thriftServerHost$", "host"),
    (r"^registry\.remoteInstance\[[^\]]*\]\.@url$", "host and port offset"),
    (r"^axis2\.clustering\.members$", "each node lists its peers"),
    (r"^datasources\[role:local\]\.(name|url)$", "local registry database"),
    (r"^datasources\[(role:[^\]]*|jdbc/WSO2CarbonDB)\]\.name$", "datasource name (datasources match by role)"),
    (r"^datasources\[jdbc/WSO2CarbonDB\]\.url$", "local registry database"),
)]
_REFERENCE = re.compile(r"^(registry\.dbConfig\[.*\]\.dataSource|broker\..*\.property\[dataSource\])$")


@dataclass(frozen=True)
class Difference:
    key: str
    a: Value | None  # None: absent on that side
    b: Value | None
    expected: bool
    why: str


def classify(key: str) -> tuple[bool, str]:
    for pattern, why in EXPECTED:
        if pattern.match(key):
            return True, why
    return False, "unexpected"


def by_role(eff: Effective) -> dict[str, Value]:
    """The flat configuration with datasources, dbConfigs and remoteInstances keyed by the roles they serve, and
    every reference to them (a JNDI name, a dbConfig name, an instance id) replaced by that role label."""
    roles: dict[str, list[str]] = {}
    for role in resolve(eff).values():
        roles.setdefault(role.jndi, []).append(role.name)
    jndi = {j: "role:" + "+".join(names) for j, names in roles.items()}
    dbconfig = {name: jndi[j] for k, j in eff.flat.items() if isinstance(j, str) and j in jndi
                and (name := _inside(k, "registry.dbConfig[", "].dataSource")) is not None}
    instance = {i: dbconfig[d] for k, d in eff.flat.items() if isinstance(d, str) and d in dbconfig
                and (i := _inside(k, "registry.remoteInstance[", "].dbConfig")) is not None}
    renames = [(f"datasources[{j}].", f"datasources[{label}].") for j, label in jndi.items()] + \
        [(f"registry.dbConfig[{n}].", f"registry.dbConfig[{label}].") for n, label in dbconfig.items()] + \
        [(f"registry.remoteInstance[{i}].", f"registry.remoteInstance[{label}].") for i, label in instance.items()]
    out: dict[str, Value] = {}
    for key, value in eff.flat.items():
        new = next((to + key[len(old):] for old, to in renames if key.startswith(old)), key)
        if isinstance(value, str):
            if key in (USER_KEY, MB_KEY) or _REFERENCE.match(key):
                value = jndi.get(value, value)
            elif key == "registry.currentDBConfig" or re.match(r"^registry\.remoteInstance\[.*\]\.dbConfig$", key):
                value = dbconfig.get(value, value)
            elif re.match(r"^registry\.(mount\[.*\]\.instanceId|remoteInstance\[.*\]\.id)$", key):
                value = instance.get(value, value)
        out[new] = value
    return out


def _inside(key: str, head: str, tail: str) -> str | None:
    return key[len(head):-len(tail)] if key.startswith(head) and key.endswith(tail) else None


def compare(a: Effective, b: Effective) -> list[Difference]:
    from deepdiff import DeepDiff  # imported here only: it is the slowest import of the tool

    flat_a, flat_b = by_role(a), by_role(b)
    keys: set[str] = set()
    for levels in DeepDiff(flat_a, flat_b, view="tree").values():
        for level in levels:
            keys.add(str(level.path(output_format="list")[0]))
    return [Difference(k, flat_a.get(k), flat_b.get(k), *classify(k)) for k in sorted(keys)]
