"""Which products, profiles and versions a patch is for: its `products`, `versions` and paths checked at load,
and the patches that apply to one product home.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wso2patch.patchcheck_fields import Locator, rel_path, text, type_name
from wso2patch.patchset import Patch
from wso2patch.products import LEGACY_TARGETS, Product, applies, check_targets
from wso2patch.versions import check_range

LEGACY_ROOT = "repository/conf/"  # a site patch without `products` may name its file from the home, under this


def applicable(patches: Sequence[Patch], product: Product) -> list[Patch]:
    """The patches that apply to this product, version and profile, in their order."""
    return [p for p in patches if is_for(p, product)]


def is_for(patch: Patch, product: Product) -> bool:
    if patch.products is None:
        return patch.versions is None or applies(product, [product.target], patch.versions)
    return applies(product, patch.products, patch.versions)


def patch_targets(loc: Locator, data: dict[str, Any], builtin: bool) -> tuple[tuple[str, ...] | None, str | None]:
    """`products` and `versions`, checked; a built-in patch must say which products it is for."""
    versions = data.get("versions")
    if versions is not None:
        versions = text(loc, versions, "versions", one_line=True)
        try:
            check_range(versions)
        except ValueError as e:
            raise loc.fail(str(e), key="versions") from None
    if "products" not in data:
        return None, versions
    raw = data["products"]
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise loc.fail(f"must be an array of product names, not {type_name(raw)}", key="products")
    try:
        check_targets(raw)
    except ValueError as e:
        raise loc.fail(str(e), key="products") from None
    return tuple(dict.fromkeys(raw)), versions


def patch_paths(loc: Locator, data: dict[str, Any], products: tuple[str, ...] | None) -> tuple[str, tuple[str, ...],
                                                                                          tuple[str, ...] | None]:
    """`file` and `requires`, relative to the config root. A site patch without `products` whose file starts with
    repository/conf/ is one written before products existed: it keeps working on the products of that root, its
    `requires` still relative to the home (the caller marks it home_requires)."""
    file = rel_path(loc, data["file"], "file")
    requires = data.get("requires", [])
    if not isinstance(requires, list):
        raise loc.fail(f"must be an array of paths, not {type_name(requires)}", key="requires")
    needs = [rel_path(loc, r, "requires") for r in requires]
    if not file.startswith(LEGACY_ROOT):
        return file, tuple(needs), products
    if products is not None:
        raise loc.fail(f"{file!r}: with 'products', paths are relative to the product's config root (write "
                       f"{file[len(LEGACY_ROOT):]!r})", key="file")
    return file[len(LEGACY_ROOT):], tuple(needs), LEGACY_TARGETS
