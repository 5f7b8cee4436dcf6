"""The patch set's model (Patch, Step) and rendering a loaded patch with one node's values.

The engine knows nothing about WSO2 beyond what these files say: each names the products (and profiles, and
optionally a version range) it is for, one file (XML or Java .properties) relative to the product's config root,
an optional list of files that must exist for it to apply, and a list of operations. `{dotted.name}` in `value`,
`element` and a property `key` is replaced by the node's values (XML-escaped inside elements); `{{` and `}}` stand
for literal braces. Every file is checked once, at load (patchcheck); rendering a loaded patch only fills in values.
Loading the files lives in patchset_load, choosing the patches for a product in patchset_products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wso2patch.errors import ConfigError, PatchError
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
from wso2patch.patchcheck import OpSpec
from wso2patch.products import conf_roots
from wso2patch.properties import PropOp, RemoveProp, SetProp
from wso2patch.xmlparse import parse_fragment

BUILT_IN = "built-in"
Rows = Mapping[str, Sequence[Mapping[str, str]]]  # for_each name -> its rows (a name absent: not in the spec)


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
