"""wso2patch patches: the patch set, one entry per patch, with where each comes from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from wso2patch.commands import Block, Line, Result
from wso2patch.spec import Spec
from wso2patch.workflow import patch_listing


@dataclass(frozen=True)
class PatchInfo:
    name: str
    file: str  # the config file it edits, relative to the home
    description: str
    requires: list[str]  # files the home must have for the patch to apply
    operations: int
    source: str  # "built-in", the site patch file's path, or "built-in, disabled by [patches]"


@dataclass(kw_only=True)
class PatchesResult(Result):
    command: ClassVar[str] = "patches"
    status: Literal["ok"] = "ok"
    patches: list[PatchInfo]

    def human(self) -> list[Block]:
        width = max((len(p.name) for p in self.patches), default=0)
        return [Line(f"{p.name:<{width}}  {p.description}  ({p.source})") for p in self.patches]


def patches(spec: Spec | None = None) -> PatchesResult:
    """The built-in patch set, or the one `spec` asks for ([patches] extra and disable)."""
    return PatchesResult(patches=[PatchInfo(p.name, p.file, p.description, list(p.requires), len(p.ops), source)
                                  for p, source in patch_listing(spec)])
