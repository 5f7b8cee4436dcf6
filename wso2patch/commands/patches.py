"""wso2patch patches: the patch set, one entry per patch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import Block, Line, Result
from wso2patch.patchset import load_patches


@dataclass(frozen=True)
class PatchInfo:
    name: str
    file: str  # the config file it edits, relative to the home
    description: str
    requires: list[str]  # files the home must have for the patch to apply
    operations: int


@dataclass(kw_only=True)
class PatchesResult(Result):
    command: ClassVar[str] = "patches"
    status: Literal["ok"] = "ok"
    patches: list[PatchInfo]

    def human(self) -> list[Block]:
        width = max((len(p.name) for p in self.patches), default=0)
        return [Line(f"{p.name:<{width}}  {p.description}") for p in self.patches]


def patches(directory: Path | None = None) -> PatchesResult:
    return PatchesResult(patches=[PatchInfo(p.name, p.file, p.description, list(p.requires), len(p.ops))
                                  for p in load_patches(directory)])
