"""Load the patch set (patches/*.toml, plus the site's own files) and render it with one node's values.

The engine knows nothing about WSO2 beyond what these files say: each names the products (and profiles, and
optionally a version range) it is for, one file (XML or Java .properties) relative to the product's config root,
an optional list of files that must exist for it to apply, and a list of operations. `{dotted.name}` in `value`,
`element` and a property `key` is replaced by the node's values (XML-escaped inside elements); `{{` and `}}` stand
for literal braces. Every file is checked once, at load (patchcheck); rendering a loaded patch only fills in values.
"""

from __future__ import annotations

import functools
import glob
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wso2patch.errors import ConfigError, PatchError, SpecError
from wso2patch.ops import (
    CommentOut,
    DeclareNs,
    Ensure,
    Op,
    Remove,
    RemoveAttr,
    RemoveNs,
    ReplaceChildren,
    SetAttr,
    SetText,
    Uncomment,
)
from wso2patch.patchcheck import OpSpec, check_op
from wso2patch.patchcheck_fields import HINT, Locator, did_you_mean, rel_path, text, type_name
from wso2patch.products import LEGACY_TARGETS, Product, applies, check_targets, conf_roots
from wso2patch.properties import PropOp, RemoveProp, SetProp
from wso2patch.versions import check_range
from wso2patch.xmlio import parse_fragment

PATCH_KEYS = ("description", "products", "versions", "file", "requires", "op")
LEGACY_ROOT = "repository/conf/"  # a site patch without `products` may name its file from the home, under this
BUILT_IN = "built-in"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
Rows = Mapping[str, Sequence[Mapping[str, str]]]  # for_each name -> its rows (a name absent: not in the spec)


def default_dir() -> Path:
    """patches/ inside the installed package (wheel), else the source checkout's patches/."""
    here = Path(__file__).resolve().parent
    return here / "patches" if (here / "patches").is_dir() else here.parent / "patches"


@dataclass(frozen=True)
class Step:
    """One operation of a patch, rendered for a node; `op` is None when skipped (see `skipped`)."""

    patch: str
    kind: str
    target: str
    op: Op | PropOp | None
    skipped: str | None = None


@dataclass(frozen=True)
class Patch:
    name: str
    path: Path
    description: str
    file: str
    requires: tuple[str, ...]
    ops: tuple[OpSpec, ...]
    origin: str = BUILT_IN  # or the path of the site's patch file
    products: tuple[str, ...] | None = None  # "mb", "ei:broker", ...; None: every supported product and profile
    versions: str | None = None  # a range over the product's version (wso2patch.versions)
    home_requires: bool = False  # a site patch of the old format: its `requires` are relative to the home

    def required(self, conf: str) -> list[str]:
        """The files that must exist for the patch to apply, from the home."""
        return list(self.requires) if self.home_requires else [self.rel(conf, r) for r in self.requires]

    def rel(self, conf: str, path: str | None = None) -> str:
        """The patched file's (or `path`'s) path from the home, for a product whose config root is `conf`."""
        return f"{conf}/{self.file if path is None else path}"

    @property
    def home_files(self) -> frozenset[str]:
        """Every home-relative path this patch may write, over the supported profiles it names."""
        return frozenset(self.rel(c) for c in conf_roots(self.products))

    def render(self, values: Mapping[str, str], peers: Sequence[Mapping[str, str]],
               rows: Rows | None = None) -> list[Step]:
        """The steps for one node; `rows` holds the spec tables `for_each` and `when` may name."""
        tables: Rows = {**(rows or {}), "peer": peers}
        return [step for op in self.ops for step in self._render_op(op, values, tables)]

    def _element(self, op: OpSpec, values: Mapping[str, str]) -> Any:
        assert op.element is not None
        try:
            return parse_fragment(op.element.fill(values, escape=True), where=str(self.path))
        except ConfigError as e:  # checked at load with hostile values: only a value the spec should refuse
            raise PatchError(f"[[op]] #{op.number} key 'element': {e.message} once the values are filled in",
                             where=self.path) from None

    def _render_op(self, op: OpSpec, values: Mapping[str, str], tables: Rows) -> list[Step]:
        why = skip_reason(op.when, op.unless, values, tables)
        if why is None and op.for_each is not None and op.for_each not in tables:
            why = f"{op.for_each} is not set in the spec"
        if why is not None:
            return [Step(self.name, op.kind, op.target, None, skipped=why)]
        rows = [{**values, **row} for row in tables[op.for_each]] if op.for_each else [values]
        try:
            if op.prop_key is not None:
                steps = [self._prop_step(op, row) for row in rows]
                return steps or [Step(self.name, op.kind, op.target, None, skipped=f"no rows: {op.for_each} is empty")]
            return [Step(self.name, op.kind, op.target, self._xml_op(op, values, rows))]
        except KeyError as e:  # a known name the caller's values lack: a bug in the caller, not in the patch
            raise PatchError(f"[[op]] #{op.number}: no value for {{{e.args[0]}}}", where=self.path) from None

    def _prop_step(self, op: OpSpec, row: Mapping[str, str]) -> Step:
        assert op.prop_key is not None
        key = op.prop_key.fill(row, escape=False)
        if not key:  # checked at load for literal keys; a variable cannot be empty in a valid spec
            raise PatchError(f"[[op]] #{op.number} key 'key': the property name is empty once the values are "
                             "filled in", where=self.path)
        if op.kind == "remove_property":
            return Step(self.name, op.kind, key, RemoveProp(key))
        assert op.value is not None
        return Step(self.name, op.kind, key, SetProp(key, op.value.fill(row, escape=False)))

    def _xml_op(self, op: OpSpec, values: Mapping[str, str], rows: Sequence[Mapping[str, str]]) -> Op:
        f = op.fields
        if op.kind == "set_text":
            assert op.value is not None
            return SetText(f["xpath"], op.value.fill(values, escape=False))
        if op.kind == "set_attr":
            assert op.value is not None
            return SetAttr(f["xpath"], f["name"], op.value.fill(values, escape=False), _bound(f))
        if op.kind == "remove_attr":
            return RemoveAttr(f["xpath"], f["name"], _bound(f))
        if op.kind == "declare_namespace":
            return DeclareNs(f["xpath"], f["prefix"], f["uri"])
        if op.kind == "remove_namespace":
            return RemoveNs(f["xpath"], f["prefix"])
        if op.kind == "ensure":
            return Ensure(f["parent"], self._element(op, values), key=f.get("key"), after=f.get("after"),
                          create=op.create)
        if op.kind == "replace_children":
            return ReplaceChildren(f["parent"], tuple(self._element(op, r) for r in rows))
        if op.kind == "comment_out":
            return CommentOut(f["parent"], f["select"])
        if op.kind == "remove":
            return Remove(f["parent"], f["select"])
        return Uncomment(f["parent"], f["select"])


def _bound(fields: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The patch's binding of its attribute name's prefix, if it gives one."""
    if "namespace" not in fields:
        return ()
    return ((fields["name"].partition(":")[0], fields["namespace"]),)


def skip_reason(when: str | None, unless: str | None, values: Mapping[str, str],
                tables: Rows | None = None) -> str | None:
    """Why an op with these conditions does not run for these values; None when it runs. Values are never
    quoted (one may be a secret): only names and the patch's own words. A spec table (`tables`) is set or not."""
    present = {**values, **dict.fromkeys(tables or {}, "")}
    if when is not None:
        name, eq, want = when.partition("=")
        if name not in present:
            return f"{name} is not set in the spec"
        if eq and present[name] != want:
            return f"{name} is not {want}"
    if unless is not None:
        name, eq, want = unless.partition("=")
        if name in present and (not eq or present[name] == want):
            return f"{name} is {want}" if eq else f"{name} is set in the spec"
    return None


def patch_name(path: Path) -> str:
    return re.sub(r"^\d+-", "", path.stem)


def applicable(patches: Sequence[Patch], product: Product) -> list[Patch]:
    """The patches that apply to this product, version and profile, in their order."""
    return [p for p in patches if is_for(p, product)]


def is_for(patch: Patch, product: Product) -> bool:
    if patch.products is None:
        return patch.versions is None or applies(product, [product.target], patch.versions)
    return applies(product, patch.products, patch.versions)


def _targets(loc: Locator, data: dict[str, Any], builtin: bool) -> tuple[tuple[str, ...] | None, str | None]:
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


def _paths(loc: Locator, data: dict[str, Any], products: tuple[str, ...] | None) -> tuple[str, tuple[str, ...],
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


def parse_patch(path: Path, data: Any, source: str = "", builtin: bool = False) -> Patch:
    """Check a patch file's parsed TOML (`source`, its text, only locates lines) and build the Patch. A built-in
    patch (`builtin`) must name its products."""
    loc = Locator(path, source)
    name = patch_name(path)
    if not _NAME.match(name):
        raise PatchError(f"the patch name {name!r} (the file name without .toml and its NN- prefix) must be "
                         "letters, digits, '.', '_' or '-'", where=path, hint="rename the patch file")
    if not isinstance(data, dict):
        raise loc.fail(f"a patch file must be a table, not {type_name(data)}")
    for key in data:
        if key not in PATCH_KEYS:
            raise loc.fail(f"unknown key {did_you_mean(key, PATCH_KEYS)}", key=str(key))
    for key in ("description", "file", "op"):
        if key not in data:
            raise loc.fail(f"a patch needs {'[[op]] tables' if key == 'op' else repr(key)}")
    description = text(loc, data["description"], "description", one_line=True).strip()
    if not description:
        raise loc.fail("must say what the patch does", key="description")
    products, versions = _targets(loc, data, builtin)
    legacy = products is None and str(data["file"]).startswith(LEGACY_ROOT)
    file, requires, products = _paths(loc, data, products)
    ops = data["op"]
    if not isinstance(ops, list) or not ops:
        raise loc.fail("must be one or more [[op]] tables" + ("" if isinstance(ops, list) else
                       f", not {type_name(ops)}"), key="op")
    checked = tuple(check_op(loc, raw, i, data["file"]) for i, raw in enumerate(ops, 1))
    if builtin and "products" not in data:  # last: a broken patch is reported for what is broken first
        raise loc.fail("a built-in patch needs 'products' (e.g. products = [\"mb\", \"ei:broker\"]), with its "
                       "paths relative to the config root")
    return Patch(name=name, path=path, description=description, file=file, requires=requires, ops=checked,
                 products=products, versions=versions, home_requires=legacy)


def load_patch(path: Path, builtin: bool = False) -> Patch:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PatchError(f"cannot read the patch file: {e.strerror or e}", where=path) from None
    return _parse_bytes(path, raw, builtin)


@functools.lru_cache(maxsize=64)
def _parse_bytes(path: Path, raw: bytes, builtin: bool = False) -> Patch:
    """Keyed by the file's bytes: `apply --all` plans every node (twice), the patch set is checked once."""
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise PatchError("bytes that are not UTF-8", where=f"{path}:{line}", hint=HINT) from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        raise PatchError(f"invalid TOML: {_toml_message(e)}", where=f"{path}:{_toml_position(e, source)}",
                         hint=HINT) from None
    return parse_patch(path, data, source, builtin)


def _toml_message(e: tomllib.TOMLDecodeError) -> str:
    return re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)$", "", str(e))


def _toml_position(e: tomllib.TOMLDecodeError, source: str) -> str:
    """line:column from tomllib's message (Python 3.11 has no attributes for them)."""
    if m := re.search(r"\(at line (\d+), column (\d+)\)$", str(e)):
        return f"{m.group(1)}:{m.group(2)}"
    lines = source.split("\n")
    return f"{len(lines)}:{len(lines[-1]) + 1}"


def load_patches(directory: Path | None = None, *, extra: Sequence[str] = (), disable: Sequence[str] = (),
                 base: Path = Path("."), where: tuple[str | Path, str | Path] = ("", "")) -> list[Patch]:
    """The built-in patch set less the `disable`d ones, then the site's patch files that the `extra` globs
    (relative to `base`, the spec's folder) match, in that order. `where` (the spec's lines of extra and
    disable) is where a glob that matches nothing or a wrong name is reported."""
    directory = directory or default_dir()
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise PatchError("no patch files (*.toml) found", where=directory,
                         hint="reinstall wso2patch; the patch set ships inside the package")
    builtin = _unique([load_patch(p, builtin=True) for p in files])
    names = {p.name.casefold() for p in builtin}
    for name in disable:
        if name.casefold() not in names:
            raise SpecError(f"[patches] disable names {name!r}, which is no built-in patch "
                            f"{did_you_mean(name, [p.name for p in builtin])}", where=where[1],
                            hint="'wso2patch patches' lists the built-in patches")
    off = {n.casefold() for n in disable}
    kept = [p for p in builtin if p.name.casefold() not in off]
    site = [replace(load_patch(f), origin=str(f)) for f in site_files(extra, base, where[0])]
    return _unique(kept + site)


def _unique(patches: list[Patch]) -> list[Patch]:
    """Names identify patches in the journal and in status: no two may share one (case ignored)."""
    seen: dict[str, Patch] = {}
    for p in patches:
        other = seen.setdefault(p.name.casefold(), p)
        if other is p:
            continue
        if other.origin == BUILT_IN and p.origin != BUILT_IN:
            raise PatchError(f"the patch name {p.name!r} is also the name of the built-in patch {other.path.name}",
                             where=p.path, hint=f"rename your patch file, or replace the built-in one: add "
                                                f"{p.name!r} to [patches] disable in the spec")
        raise PatchError(f"the patch name {p.name!r} is also the name of {other.path.name}", where=p.path,
                         hint="rename one of them: a patch's name is its file name without the NN- prefix")
    return patches


def site_files(patterns: Sequence[str], base: Path, where: str | Path) -> list[Path]:
    """The files each glob matches (sorted by name; `**` spans folders), each file once, in pattern order."""
    out: dict[Path, Path] = {}
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, root_dir=base, recursive=True))
        if not matches:
            raise SpecError(f"[patches] extra {pattern!r} matches no file (looked in {base / pattern})", where=where,
                            hint="patterns are relative to the spec's folder, e.g. \"site/*.toml\"")
        for match in matches:
            path = base / match
            if not path.name.endswith(".toml") or path.is_dir():
                raise SpecError(f"[patches] extra {pattern!r} matches {path}, which is not a .toml patch file",
                                where=where, hint="narrow the pattern, e.g. \"site/*.toml\"")
            out.setdefault(path.resolve(), path)
    return list(out.values())
