"""wso2patch compare: two homes' effective configuration, expected differences apart from unexpected ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import Block, Result, Table
from wso2patch.compare import Difference
from wso2patch.compare import compare as compare_homes  # deepdiff loads inside, only when comparing
from wso2patch.detect import detect_supported
from wso2patch.effective import load
from wso2patch.errors import ExitCode
from wso2patch.workflow_locks import require_finished


@dataclass(kw_only=True)
class CompareResult(Result):
    command: ClassVar[str] = "compare"
    status: Literal["consistent", "drift"]
    home_a: Path
    home_b: Path
    differences: list[Difference]  # a and b: a value, a list of values, or None where the key is absent

    def human(self) -> list[Block]:
        def show(v: object) -> str:
            return "(absent)" if v is None else ", ".join(v) if isinstance(v, list) else str(v)

        out: list[Block] = []
        for expected, title in ((True, "expected differences"), (False, "unexpected differences")):
            rows = [(d.key, show(d.a), show(d.b), d.why) for d in self.differences if d.expected == expected]
            out.append(Table(f"{title} ({len(rows)})", ("key", str(self.home_a), str(self.home_b), "why"), rows,
                             ["green" if expected else "red" for _ in rows]))
        return out


def compare(home_a: Path, home_b: Path) -> CompareResult:
    loaded = []
    for h in (home_a, home_b):
        product = detect_supported(h)  # its main profile: where its config is, and which files it has
        require_finished(h)
        loaded.append((h, product))
    diffs = compare_homes(*(load(h, product=p) for h, p in loaded))
    drift = any(not d.expected for d in diffs)
    return CompareResult(status="drift" if drift else "consistent",
                         exit_code=ExitCode.PENDING if drift else ExitCode.OK, home_a=home_a, home_b=home_b,
                         differences=diffs)
