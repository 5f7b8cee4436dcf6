"""Product version numbers and ranges: "3.2.0", ">=2.5,<3.3".

WSO2 numbers releases with dotted integers (MB 3.2.0, Carbon 4.4.16, EI 6.6.0); a build may carry a suffix
("5.0.0-SNAPSHOT", "6.5.0-rc1") that the comparison ignores. Missing parts count as zero, so "3.0" == "3.0.0".
A range is a comma-separated list of clauses that must all hold: `>=3.0`, `<3.3`, `==4.4.16`, `!=3.1`,
or a bare version (same as `==`). No dependency: a patch's range and a carbon.xml <Version> are all it compares.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

_VERSION = re.compile(r"(\d{1,9}(?:\.\d{1,9}){0,5})(?:[-+][A-Za-z0-9.+-]{1,40}|\.[A-Za-z][A-Za-z0-9.+-]{0,39})?")
_CLAUSE = re.compile(r"\s*(>=|<=|==|!=|>|<)?\s*([^\s,<>=!]+)\s*")
_OPS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt,
}


def parse(text: str) -> tuple[int, ...]:
    """The numeric release of a version string, trailing zeros dropped ("3.2.0" -> (3, 2)); ValueError if none."""
    m = _VERSION.fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text.strip()[:40]!r} is not a version number (expected digits and dots, like 3.2.0)")
    parts = [int(p) for p in m.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:  # 3.0.0 == 3.0 == 3
        parts.pop()
    return tuple(parts)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version a is lower than, equal to or higher than version b."""
    x, y = parse(a), parse(b)
    return (x > y) - (x < y)


def _clauses(spec: str) -> list[tuple[str, tuple[int, ...]]]:
    if not spec.strip():
        raise ValueError("empty version range (expected e.g. '>=3.0' or '>=2.5,<3.3')")
    out = []
    for part in spec.split(","):
        m = _CLAUSE.fullmatch(part)
        if not m:
            raise ValueError(f"bad version clause {part.strip()[:40]!r} in {spec[:80]!r} "
                             "(expected an operator >=, <=, >, <, ==, != and a version, e.g. '>=3.0')")
        out.append((m.group(1) or "==", parse(m.group(2))))
    return out


def check_range(spec: str) -> None:
    """Raise ValueError (a one-line message) when spec is not a valid range; for validating patch files."""
    _clauses(spec)


def satisfies(version: str, spec: str) -> bool:
    """Whether version lies in the range spec, e.g. satisfies("3.2.0", ">=3.0") is True."""
    v = parse(version)
    return all(_OPS[op](v, bound) for op, bound in _clauses(spec))
