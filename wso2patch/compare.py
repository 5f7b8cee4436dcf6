"""Semantic comparison of two homes' effective configuration, with the differences a cluster is
expected to have (host, port offset, member port, local registry database) set apart from the rest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wso2patch.effective import Effective, Value

EXPECTED: list[tuple[re.Pattern[str], str]] = [(re.compile(p), why) for p, why in (
    (r"^carbon\.Ports\.Offset$", "port offset"),
    (r"^axis2\.clustering\.parameter\[localMemberPort\]$", "member port"),
    (r"^axis2\.clustering\.parameter\[localMemberHost\]$", "host"),
    (r"^carbon\.(Mgt)?HostName$", "host"),
    (r"^broker\.coordination\.thriftServerHost$", "host"),
    (r"^registry\.remoteInstance\[[^\]]*\]\.@url$", "host and port offset"),
    (r"^axis2\.clustering\.members$", "each node lists its peers"),
    (r"^datasources\[jdbc/WSO2CarbonDB\]\.(name|url)$", "local registry database"),
)]


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


def compare(a: Effective, b: Effective) -> list[Difference]:
    from deepdiff import DeepDiff  # imported here only: it is the slowest import of the tool

    keys: set[str] = set()
    for levels in DeepDiff(a.flat, b.flat, view="tree").values():
        for level in levels:
            keys.add(str(level.path(output_format="list")[0]))
    return [Difference(k, a.flat.get(k), b.flat.get(k), *classify(k)) for k in sorted(keys)]
