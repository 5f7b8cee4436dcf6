"""wso2patch init: write the commented starter spec."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import Block, Line, Result
from wso2patch.errors import RefusedError

STARTER = Path(__file__).resolve().parent.parent / "starter.toml"


@dataclass(kw_only=True)
class InitResult(Result):
    command: ClassVar[str] = "init"
    status: Literal["written"] = "written"
    spec: Path

    def human(self) -> list[Block]:
        return [Line(f"wrote {self.spec}: edit hosts, offsets, homes and the database, then run 'wso2patch diff'")]


def init(path: Path, *, force: bool = False) -> InitResult:
    if path.exists() and not force:
        raise RefusedError("already exists; nothing was written", where=path,
                           hint="edit it, or rerun with --force to overwrite it")
    path.write_text(STARTER.read_text(encoding="utf-8"), encoding="utf-8")
    return InitResult(spec=path)
