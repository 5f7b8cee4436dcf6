"""Load the patch set (patches/*.toml) and render it with one node's values.

The engine knows nothing about WSO2 beyond what these files say: each names one file, an
optional list of files that must exist for it to apply (MB-only patches), and a list of
operations. `{dotted.name}` in `value` and `element` is replaced by the node's values
(XML-escaped inside elements); `{{` and `}}` stand for literal braces. Every file is checked
once, at load (patchcheck); rendering a loaded patch only fills in values.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wso2patch.errors import ConfigError, PatchError
from wso2patch.ops import CommentOut, Ensure, Op, Remove, ReplaceChildren, SetAttr, SetText, Uncomment
from wso2patch.patchcheck import HINT, Locator, OpSpec, check_op, did_you_mean, rel_path, text, type_name
from wso2patch.xmlio import parse_fragment

PATCH_KEYS = ("description", "file", "requires", "op")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


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
    op: Op | None
    skipped: str | None = None


@dataclass(frozen=True)
class Patch:
    name: str
    path: Path
    description: str
    file: str
    requires: tuple[str, ...]
    ops: tuple[OpSpec, ...]

    def render(self, values: Mapping[str, str], peers: Sequence[Mapping[str, str]]) -> list[Step]:
        return [self._render_op(op, values, peers) for op in self.ops]

    def _element(self, op: OpSpec, values: Mapping[str, str]) -> Any:
        assert op.element is not None
        try:
            return parse_fragment(op.element.fill(values, escape=True), where=str(self.path))
        except ConfigError as e:  # checked at load with hostile values: only a value the spec should refuse
            raise PatchError(f"[[op]] #{op.number} key 'element': {e.message} once the values are filled in",
                             where=self.path) from None

    def _render_op(self, op: OpSpec, values: Mapping[str, str], peers: Sequence[Mapping[str, str]]) -> Step:
        why = skip_reason(op.when, op.unless, values)
        if why is not None:
            return Step(self.name, op.kind, op.target, None, skipped=why)
        f = op.fields
        rendered: Op
        try:
            if op.kind == "set_text":
                assert op.value is not None
                rendered = SetText(f["xpath"], op.value.fill(values, escape=False))
            elif op.kind == "set_attr":
                assert op.value is not None
                rendered = SetAttr(f["xpath"], f["name"], op.value.fill(values, escape=False))
            elif op.kind == "ensure":
                rendered = Ensure(f["parent"], self._element(op, values), key=f.get("key"), after=f.get("after"),
                                  create=op.create)
            elif op.kind == "replace_children":
                rows = [dict(values, **p) for p in peers] if op.for_each else [values]
                rendered = ReplaceChildren(f["parent"], tuple(self._element(op, r) for r in rows))
            elif op.kind == "comment_out":
                rendered = CommentOut(f["parent"], f["select"])
            elif op.kind == "remove":
                rendered = Remove(f["parent"], f["select"])
            else:
                rendered = Uncomment(f["parent"], f["select"])
        except KeyError as e:  # a known name the caller's values lack: a bug in the caller, not in the patch
            raise PatchError(f"[[op]] #{op.number}: no value for {{{e.args[0]}}}", where=self.path) from None
        return Step(self.name, op.kind, op.target, rendered)


def skip_reason(when: str | None, unless: str | None, values: Mapping[str, str]) -> str | None:
    """Why an op with these conditions does not run for these values; None when it runs. Values are never
    quoted (one may be a secret): only names and the patch's own words."""
    if when is not None:
        name, eq, want = when.partition("=")
        if name not in values:
            return f"{name} is not set in the spec"
        if eq and values[name] != want:
            return f"{name} is not {want}"
    if unless is not None:
        name, eq, want = unless.partition("=")
        if name in values and (not eq or values[name] == want):
            return f"{name} is {want}" if eq else f"{name} is set in the spec"
    return None


def patch_name(path: Path) -> str:
    return re.sub(r"^\d+-", "", path.stem)


def parse_patch(path: Path, data: Any, source: str = "") -> Patch:
    """Check a patch file's parsed TOML (`source`, its text, only locates lines) and build the Patch."""
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
    requires = data.get("requires", [])
    if not isinstance(requires, list):
        raise loc.fail(f"must be an array of paths, not {type_name(requires)}", key="requires")
    ops = data["op"]
    if not isinstance(ops, list) or not ops:
        raise loc.fail("must be one or more [[op]] tables" + ("" if isinstance(ops, list) else
                       f", not {type_name(ops)}"), key="op")
    return Patch(name=name, path=path, description=description, file=rel_path(loc, data["file"], "file"),
                 requires=tuple(rel_path(loc, r, "requires") for r in requires),
                 ops=tuple(check_op(loc, raw, i) for i, raw in enumerate(ops, 1)))


def load_patch(path: Path) -> Patch:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PatchError(f"cannot read the patch file: {e.strerror or e}", where=path) from None
    return _parse_bytes(path, raw)


@functools.lru_cache(maxsize=64)
def _parse_bytes(path: Path, raw: bytes) -> Patch:
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
    return parse_patch(path, data, source)


def _toml_message(e: tomllib.TOMLDecodeError) -> str:
    return re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)$", "", str(e))


def _toml_position(e: tomllib.TOMLDecodeError, source: str) -> str:
    """line:column from tomllib's message (Python 3.11 has no attributes for them)."""
    if m := re.search(r"\(at line (\d+), column (\d+)\)$", str(e)):
        return f"{m.group(1)}:{m.group(2)}"
    lines = source.split("\n")
    return f"{len(lines)}:{len(lines[-1]) + 1}"


def load_patches(directory: Path | None = None) -> list[Patch]:
    directory = directory or default_dir()
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise PatchError("no patch files (*.toml) found", where=directory,
                         hint="reinstall wso2patch; the patch set ships inside the package")
    patches = [load_patch(p) for p in files]
    seen: dict[str, Patch] = {}
    for p in patches:
        other = seen.setdefault(p.name.casefold(), p)
        if other is not p:
            raise PatchError(f"the patch name {p.name!r} is also the name of {other.path.name}", where=p.path,
                             hint="rename one of them: a patch's name is its file name without the NN- prefix")
    return patches
