"""Load the patch set (patches/*.toml) and render it with one node's values.

The engine knows nothing about WSO2 beyond what these files say: each names one file, an
optional list of files that must exist for it to apply (MB-only patches), and a list of
operations. `{dotted.name}` in `value` and `element` is replaced by the node's values
(XML-escaped inside elements); `{{` and `}}` stand for literal braces.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wso2patch.errors import ConfigError, PatchError
from wso2patch.ops import CommentOut, Ensure, Op, ReplaceChildren, SetAttr, SetText, Uncomment
from wso2patch.xmlio import escape_attr, parse_fragment

# kind -> (required fields, optional fields)
KINDS: dict[str, tuple[set[str], set[str]]] = {
    "set_text": ({"xpath", "value"}, set()),
    "set_attr": ({"xpath", "name", "value"}, set()),
    "ensure": ({"parent", "element"}, {"key", "after", "create"}),
    "replace_children": ({"parent", "element"}, {"for_each"}),
    "comment_out": ({"parent", "select"}, set()),
    "uncomment": ({"parent", "select"}, set()),
}
COMMON = {"kind", "when"}
PATCH_KEYS = {"description", "file", "requires", "op"}
_VAR = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w.]*)\}")


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
    ops: tuple[Mapping[str, Any], ...]

    def render(self, values: Mapping[str, str], peers: Sequence[Mapping[str, str]]) -> list[Step]:
        return [self._render_op(i, raw, values, peers) for i, raw in enumerate(self.ops)]

    def _sub(self, template: str, values: Mapping[str, str], escape: bool) -> str:
        def one(m: re.Match[str]) -> str:
            if m.group(0) in ("{{", "}}"):
                return m.group(0)[0]
            name = m.group(1)
            if name not in values:
                raise PatchError(f"unknown value {{{name}}}", where=self.path,
                                 hint=f"known values: {', '.join(sorted(values))}")
            return escape_attr(values[name]) if escape else values[name]

        return _VAR.sub(one, template)

    def _element(self, template: str, values: Mapping[str, str]) -> Any:
        try:
            return parse_fragment(self._sub(template, values, escape=True), where=str(self.path))
        except ConfigError as e:
            raise PatchError(f"element template: {e.message}", where=self.path) from None

    def _render_op(self, i: int, raw: Mapping[str, Any], values: Mapping[str, str],
                   peers: Sequence[Mapping[str, str]]) -> Step:
        kind = raw["kind"]
        target = raw.get("xpath") or raw.get("parent", "")
        when = raw.get("when")
        if when is not None and when not in values:
            return Step(self.name, kind, target, None, skipped=f"{when} is not set in the spec")
        op: Op
        if kind == "set_text":
            op = SetText(raw["xpath"], self._sub(raw["value"], values, escape=False))
        elif kind == "set_attr":
            op = SetAttr(raw["xpath"], raw["name"], self._sub(raw["value"], values, escape=False))
        elif kind == "ensure":
            op = Ensure(raw["parent"], self._element(raw["element"], values), key=raw.get("key"),
                        after=raw.get("after"), create=raw.get("create", True))
        elif kind == "replace_children":
            rows = [dict(values, **p) for p in peers] if raw.get("for_each") == "peer" else [values]
            op = ReplaceChildren(raw["parent"], tuple(self._element(raw["element"], r) for r in rows))
        elif kind == "comment_out":
            op = CommentOut(raw["parent"], raw["select"])
        else:
            op = Uncomment(raw["parent"], raw["select"])
        return Step(self.name, kind, target, op)


def _check_op(path: Path, i: int, raw: Any) -> Mapping[str, Any]:
    where = f"{path}: [[op]] #{i + 1}"
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise PatchError(f"kind must be one of {', '.join(KINDS)}", where=where)
    required, optional = KINDS[raw["kind"]]
    missing = required - raw.keys()
    unknown = raw.keys() - required - optional - COMMON
    if missing or unknown:
        raise PatchError(f"{raw['kind']}: missing {sorted(missing)}, unknown {sorted(unknown)}", where=where)
    if raw.get("for_each", "peer") != "peer":
        raise PatchError("for_each must be \"peer\"", where=where)
    return raw


def load_patch(path: Path) -> Patch:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise PatchError(f"cannot load patch: {e}", where=path) from None
    unknown = data.keys() - PATCH_KEYS
    if unknown or not {"description", "file", "op"} <= data.keys():
        raise PatchError(f"a patch needs description, file and [[op]] (unknown keys: {sorted(unknown)})",
                         where=path)
    ops = tuple(_check_op(path, i, raw) for i, raw in enumerate(data["op"]))
    name = re.sub(r"^\d+-", "", path.stem)
    return Patch(name=name, path=path, description=data["description"], file=data["file"],
                 requires=tuple(data.get("requires", ())), ops=ops)


def load_patches(directory: Path | None = None) -> list[Patch]:
    directory = directory or default_dir()
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise PatchError("no patch files (*.toml) found", where=directory,
                         hint="reinstall wso2patch; the patch set ships inside the package")
    return [load_patch(p) for p in files]
