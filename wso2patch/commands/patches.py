"""wso2patch patches: the patch set, one entry per patch, with where each comes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import OMIT_NONE, Block, Line, Result
from wso2patch.commands.nodes import ProductInfo
from wso2patch.detect import detect_supported
from wso2patch.errors import UsageError
from wso2patch.products import supported_targets
from wso2patch.spec import Spec
from wso2patch.workflow import home_for, patch_listing


@dataclass(frozen=True)
class PatchInfo:
    name: str
    file: str  # the config file it edits, relative to the product's config root (as the patch file says it)
    description: str
    requires: list[str]  # files the home must have for the patch to apply
    operations: int
    source: str  # "built-in", the site patch file's path, or "built-in, disabled by [patches]"
    products: list[str]  # what it applies to: "mb", "ei:broker", ...
    versions: str | None = field(default=None, metadata=OMIT_NONE)  # the product versions it applies to


@dataclass(kw_only=True)
class PatchesResult(Result):
    command: ClassVar[str] = "patches"
    status: Literal["ok"] = "ok"
    patches: list[PatchInfo]
    product: ProductInfo | None = field(default=None, metadata=OMIT_NONE)  # --home: the patches for this product

    def human(self) -> list[Block]:
        width = max((len(p.name) for p in self.patches), default=0)
        head: list[Block] = [Line(f"{self.product.label}, config root {self.product.conf}:", "bold")] \
            if self.product else []
        return head + [Line(f"{p.name:<{width}}  {p.description}  ({p.source})") for p in self.patches]


def patches(spec: Spec | None = None, *, home: Path | None = None, node: int | None = None) -> PatchesResult:
    """The built-in patch set, or the one `spec` asks for ([patches] extra and disable); with a home (or a node of
    the spec, for its home), only the patches for the product and profile it holds (the spec's profile)."""
    if node is not None and spec is None:
        raise UsageError("--node needs a spec (--spec, $WSO2PATCH_SPEC or ./wso2patch.toml)", option="--node")
    if node is not None and spec is not None:
        home = home_for(spec, node, home)
    product = None
    if home is not None:
        profile = spec.node(node).profile if spec is not None and node is not None else \
            spec.nodes[0].profile if spec is not None else None  # one profile per spec
        product = detect_supported(home, profile)
    return PatchesResult(patches=[PatchInfo(p.name, p.file, p.description, list(p.requires), len(p.ops), source,
                                            list(p.products or supported_targets()), p.versions)
                                  for p, source in patch_listing(spec, product)],
                         product=ProductInfo.of(product) if product is not None else None)
