"""Load the patch set: the built-in patches/*.toml less the disabled ones, then the site's own patch files, each
file checked once (patchcheck) and cached by its bytes.
"""

from __future__ import annotations

import functools
import glob
import re
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from wso2patch.errors import PatchError, SpecError
from wso2patch.patchcheck import check_op
from wso2patch.patchcheck_fields import HINT, Locator, did_you_mean, text, type_name
from wso2patch.patchset import BUILT_IN, Patch
from wso2patch.patchset_products import LEGACY_ROOT, patch_paths, patch_targets

PATCH_KEYS = ("description", "products", "versions", "file", "requires", "op")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def default_dir() -> Path:
    """patches/ inside the installed package (wheel), else the source checkout's patches/."""
    here = Path(__file__).resolve().parent
    return here / "patches" if (here / "patches").is_dir() else here.parent / "patches"


def patch_name(path: Path) -> str:
    return re.sub(r"^\d+-", "", path.stem)


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
    products, versions = patch_targets(loc, data, builtin)
    legacy = products is None and str(data["file"]).startswith(LEGACY_ROOT)
    file, requires, products = patch_paths(loc, data, products)
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
