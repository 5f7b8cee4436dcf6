"""ensure, replace_children and remove: the element children of a parent, added, reconciled, replaced or cut
out, each in the file's own layout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wso2patch.edits import (
    attr_edit,
    elements,
    insert_edit,
    prefixes,
    removal_cut,
    removal_start,
    render,
    text_edits,
    text_value,
)
from wso2patch.errors import PatchError
from wso2patch.opcore import Outcome, one
from wso2patch.splices import Edit
from wso2patch.xmlio import Doc
from wso2patch.xmlparse import Node


@dataclass(frozen=True)
class Ensure:
    """A child of `parent` matching `element` (by tag and the `key` XPath's string value) exists and
    holds at least what `element` holds; created after the last `after` match when missing
    (if `create`), updated in place otherwise. Children it does not mention are kept."""

    parent: str
    element: Any
    key: str | None = None
    after: str | None = None
    create: bool = True


@dataclass(frozen=True)
class ReplaceChildren:
    parent: str
    children: tuple[Any, ...]


@dataclass(frozen=True)
class Remove:
    """No element child of `parent` matches `select`: each one found is cut out with its own line (and a blank
    line with it when it stands between two, as `ensure` sets an element apart), so removing what `ensure`
    added gives back the bytes from before."""

    parent: str
    select: str


def canon(el: Node) -> tuple[Any, ...]:
    """Content identity of an element: whitespace between elements and comments do not count."""
    kids = elements(el)
    text = (text_value(el) or "").strip()
    return (el.tag, tuple(sorted(el.attrib.items())), text, tuple(canon(k) for k in kids))


def _same_key(n: Node) -> tuple[Any, Any]:
    return n.tag, n.get("name")


def _first_fix(doc: Doc, have: Node, want: Node) -> list[Edit] | None:
    """The first edits that bring `have` closer to holding everything `want` holds. Children are matched by
    tag and name attribute, positionally among siblings that share both (a template may repeat a tag)."""
    for name, value in want.attrib.items():
        if have.get(name) != value:
            return [attr_edit(doc, have, name, value, prefixes(want))]
    wanted = elements(want)
    if not wanted:
        if text_value(have) != (want.text or ""):
            return text_edits(doc, have, want.text or "")
        return None
    prev: Node | None = None
    seen: dict[tuple[Any, Any], int] = {}
    for w in wanted:
        n = seen[_same_key(w)] = seen.get(_same_key(w), -1) + 1
        match = [c for c in elements(have) if _same_key(c) == _same_key(w)]
        if len(match) <= n:
            return [insert_edit(doc, have, [w], after=prev, first=prev is None)]
        fix = _first_fix(doc, match[n], w)
        if fix is not None:
            return fix
        prev = match[n]
    return None


def ensure(doc: Doc, op: Ensure) -> tuple[Doc, Outcome]:
    def key(n: Node) -> str:
        return str(n.xpath(f"string({op.key})")) if op.key else ""

    def find(d: Doc) -> tuple[Node, list[Node]]:
        parent = one(d, op.parent)
        return parent, [c for c in elements(parent) if c.tag == op.element.tag and key(c) == key(op.element)]

    parent, found = find(doc)
    what = f"<{op.element.tag}>" + (f" with {op.key} = {key(op.element)!r}" if op.key else "")
    if len(found) > 1:
        lines = ", ".join(str(doc.line_of(n)) for n in found)
        raise PatchError(f"{len(found)} elements {what} under {op.parent} (lines {lines}), expected at most one",
                         where=doc.where, hint="remove the duplicates by hand, then rerun")
    if not found:
        if not op.create:
            raise PatchError(f"no element {what} under {op.parent}", where=doc.where,
                             hint="this patch updates an existing entry: restore it from the product distribution")
        anchors = doc.xpath(op.after, parent) if op.after else []
        anchors = [a for a in anchors if a.getparent() is parent]
        after = max(anchors, key=lambda a: doc.span(a).start) if anchors else None
        return doc.apply([insert_edit(doc, parent, [op.element], after=after)]), "applied"
    outcome: Outcome = "already"
    for _ in range(1000):  # each pass fixes one difference; the bound only guards against a bug
        fix = _first_fix(doc, found[0], op.element)
        if fix is None:
            return doc, outcome
        doc, outcome = doc.apply(fix), "applied"
        parent, found = find(doc)
    raise PatchError(f"could not reconcile {what}", where=doc.where, hint="please report this file")


def replace_children(doc: Doc, op: ReplaceChildren) -> tuple[Doc, Outcome]:
    parent = one(doc, op.parent)
    have = elements(parent)
    if [canon(h) for h in have] == [canon(w) for w in op.children]:
        return doc, "already"
    if not have:
        return doc.apply([insert_edit(doc, parent, list(op.children))]), "applied"
    indent, unit, eol, scope = doc.child_indent(parent), doc.indent_unit(), doc.eol, doc.in_scope(parent)
    block = "".join(eol + indent + render(w, indent, unit, eol, scope) for w in op.children)
    edits = [Edit(removal_start(doc, h), doc.span(h).end, block if i == 0 else "") for i, h in enumerate(have)]
    return doc.apply(edits), "applied"


def remove(doc: Doc, op: Remove) -> tuple[Doc, Outcome]:
    outcome: Outcome = "already"
    while True:  # one at a time: each cut is computed on the text the previous one left
        parent = one(doc, op.parent)
        found = [n for n in doc.xpath(op.select, parent) if isinstance(n.tag, str) and n.getparent() is parent]
        if not found:
            return doc, outcome
        doc, outcome = doc.apply([removal_cut(doc, found[0])]), "applied"
