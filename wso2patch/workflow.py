"""spec -> node values -> patch set -> plan -> commit: the one-way flow every command uses. This module: which nodes a
command works on, their homes and values, and the patch set the spec asks for; the rest of the flow is in
workflow_plan (plan and commit), workflow_files (the files wso2patch manages, the journal) and workflow_locks (the
lock, recovery and critical sections)."""

from __future__ import annotations

import os
from pathlib import Path

from wso2patch.detect import detect_supported
from wso2patch.errors import HomeError, SpecError
from wso2patch.patchset import Patch
from wso2patch.patchset_load import load_patches
from wso2patch.patchset_products import applicable, is_for
from wso2patch.products import Product
from wso2patch.spec import Spec


def home_for(spec: Spec, node_id: int, home: Path | None) -> Path:
    node = spec.node(node_id)
    if home is not None:
        return home
    if node.home is None:
        raise SpecError(f"node {node_id} has no home", where=spec.path,
                        hint="pass --home DIR, or set home = \"...\" in its [[node]]")
    return node.home


def first_home(spec: Spec, home: Path | None) -> Path:
    """--home, else the first node's home present on this machine (db commands read its dbscripts/)."""
    return home if home is not None else diff_targets(spec, None, None)[0][1]


def diff_targets(spec: Spec, node_id: int | None, home: Path | None) -> list[tuple[int, Path]]:
    """One node, or every node of the spec whose home exists on this machine."""
    if node_id is not None:
        return [(node_id, home_for(spec, node_id, home))]
    found = [(n.id, n.home) for n in spec.nodes if n.home is not None and n.home.is_dir()]
    if not found:
        raise HomeError("no node of the spec has its home on this machine", where=spec.path,
                        hint="pass --node ID --home DIR, or set home = \"...\" in the [[node]] tables")
    return found


def spec_patches(spec: Spec | None) -> list[Patch]:
    """The patch set a spec asks for: the built-in patches less [patches] disable, plus [patches] extra."""
    if spec is None:
        return load_patches()
    site = spec.site
    return load_patches(extra=site.extra, disable=site.disable, base=site.base,
                        where=(site.where_extra, site.where_disable))


def patch_listing(spec: Spec | None, product: Product | None = None) -> list[tuple[Patch, str]]:
    """Every patch with where it comes from: 'built-in', the site file's path; disabled built-ins last. With a
    product, only the patches for it (its product, version and profile)."""
    active = spec_patches(spec)
    off = {n.casefold() for n in spec.site.disable} if spec is not None else set()
    disabled = [(p, "built-in, disabled by [patches]") for p in load_patches() if p.name.casefold() in off]
    if product is not None:
        active, disabled = applicable(active, product), [(p, o) for p, o in disabled if is_for(p, product)]
    return [(p, p.origin) for p in active] + disabled


def node_product(spec: Spec, node_id: int, home: Path) -> Product:
    """What the node's home holds for the node's profile; unsupported products and profiles are refused."""
    return detect_supported(home, spec.node(node_id).profile)


def node_values(spec: Spec, node_id: int, product: Product) -> dict[str, str]:
    """The spec's values for the node, plus its product's (variables.PRODUCT) and the product's registry path when
    the spec sets none."""
    values = spec.values(node_id)
    values.update({"product.key": product.key, "product.profile": product.profile, "product.version": product.version})
    if spec.registry.config_default:
        values["registry.config_path"] = product.registry_path
    return values


def spec_targets(spec: Spec) -> tuple[list[tuple[int, Path]], list[tuple[int, Path | None]]]:
    """Every node of the spec, split: those whose home is on this machine (anything at that path: check_home judges
    it), and those whose home is not, or that have none (listed by diff and apply, never dropped silently)."""
    here = [(n.id, n.home) for n in spec.nodes if n.home is not None and os.path.lexists(n.home)]
    away = [(n.id, n.home) for n in spec.nodes if n.home is None or not os.path.lexists(n.home)]
    if not here:
        raise HomeError("no node of the spec has its home on this machine", where=spec.path,
                        hint="pass --node ID --home DIR, or set home = \"...\" in the [[node]] tables")
    return here, away
