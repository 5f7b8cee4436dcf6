"""The closed vocabulary of patch operations. Each states a desired state, so a second run is a
no-op by construction: it reports "already" and leaves the Doc untouched.

Every operation takes a Doc and returns (new Doc, "applied" | "already"). The edits are
splices computed from exact node spans; nothing outside the touched nodes is re-serialized.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

from wso2patch.edits import (
    attr_edit,
    check_value,
    clark,
    insert_edit,
    marker_cut,
    prefixes,
    removal_cut,
    removal_start,
    render,
    text_edits,
    text_value,
)
from wso2patch.edits import elements as elements  # re-exported: effective.py uses it
from wso2patch.errors import ConfigError, PatchError
from wso2patch.nsops import DeclareNs as DeclareNs  # re-exported with RemoveAttr: patchset builds them
from wso2patch.nsops import RemoveAttr as RemoveAttr
from wso2patch.nsops import RemoveNs as RemoveNs
from wso2patch.nsops import declare_ns, remove_attr, remove_ns
from wso2patch.splices import Edit
from wso2patch.xmlio import Doc
from wso2patch.xmlparse import Node, parse_fragment
from wso2patch.xmltext import escape_attr

Outcome = Literal["applied", "already"]


@dataclass(frozen=True)
class SetText:
    xpath: str
    value: str


@dataclass(frozen=True)
class SetAttr:
    """name: 'local', 'prefix:local' or '{uri}local'. A prefix is resolved with `namespaces` (prefix, URI)
    pairs first, then with the prefixes the file binds at the element; the file's own prefix for that URI is
    matched and kept, whatever it is."""

    xpath: str
    name: str
    value: str
    namespaces: tuple[tuple[str, str], ...] = ()


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
class CommentOut:
    parent: str
    select: str


@dataclass(frozen=True)
class Uncomment:
    parent: str
    select: str


@dataclass(frozen=True)
class Remove:
    """No element child of `parent` matches `select`: each one found is cut out with its own line (and a blank
    line with it when it stands between two, as `ensure` sets an element apart), so removing what `ensure`
    added gives back the bytes from before."""

    parent: str
    select: str


Op = SetText | SetAttr | Ensure | ReplaceChildren | CommentOut | Uncomment | Remove | RemoveAttr | DeclareNs | RemoveNs


# --- helpers ---------------------------------------------------------------------------------------
def canon(el: Node) -> tuple[Any, ...]:
    """Content identity of an element: whitespace between elements and comments do not count."""
    kids = elements(el)
    text = (text_value(el) or "").strip()
    return (el.tag, tuple(sorted(el.attrib.items())), text, tuple(canon(k) for k in kids))


def _one(doc: Doc, xpath: str, context: Node | None = None) -> Node:
    found = [n for n in doc.xpath(xpath, context) if isinstance(n.tag, str)]
    if len(found) != 1:
        lines = ", ".join(f"line {doc.line_of(n)}" for n in found[:5])
        raise PatchError(f"XPath {xpath} matched {len(found)} elements{' (' + lines + ')' if lines else ''}, "
                         "expected exactly one", where=doc.where,
                         hint="the file differs from a stock Carbon 4.4.x file here: fix it by hand or report it")
    return found[0]


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


def commented_element(doc: Doc, comment: Node) -> Node | None:
    """The element a comment holds, as `<!--tag>...</tag-->` or `<!-- <tag>...</tag> -->`, if any."""
    body = comment.text or ""
    stripped = body.strip()
    if stripped.startswith("<") and stripped.endswith(">"):
        xml = stripped
    elif re.match(r"[A-Za-z_][\w.:-]*[\s/>]", body):
        xml = f"<{body}>"
    else:
        return None
    parent = comment.getparent()
    # the file's own declarations: lxml drops those only comments use
    scope = doc.in_scope(parent) if parent is not None else {}
    decls = "".join(f' xmlns:{p}="{escape_attr(u)}"' for p, u in scope.items() if p != "xml")
    try:
        wrapper = parse_fragment(f"<wso2patch-wrapper{decls}>{xml}</wso2patch-wrapper>", where=doc.where)
    except ConfigError:
        return None
    kids = elements(wrapper)
    return kids[0] if len(kids) == 1 else None


def _commented_matches(doc: Doc, parent: Node, select: str) -> list[Node]:
    hits = []
    for c in parent:
        if c.tag is etree.Comment:
            el = commented_element(doc, c)
            if el is not None and el in el.getparent().xpath(select):
                hits.append(c)
    return hits


def _active(doc: Doc, parent: Node, select: str) -> list[Node]:
    found = [n for n in doc.xpath(select, parent) if isinstance(n.tag, str)]
    if len(found) > 1:
        raise PatchError(f"{select} matched {len(found)} elements under {parent.tag}, expected at most one",
                         where=doc.where, hint="remove the duplicates by hand, then rerun")
    return found


# --- the operations --------------------------------------------------------------------------------
def apply_op(doc: Doc, op: Op) -> tuple[Doc, Outcome]:
    if isinstance(op, SetText):
        el = _one(doc, op.xpath)
        check_value(op.value, doc.where)
        if text_value(el) == op.value:
            return doc, "already"
        return doc.apply(text_edits(doc, el, op.value)), "applied"
    if isinstance(op, SetAttr):
        return _set_attr(doc, op)
    if isinstance(op, Ensure):
        return _ensure(doc, op)
    if isinstance(op, ReplaceChildren):
        return _replace_children(doc, op)
    if isinstance(op, CommentOut):
        return _comment_out(doc, op)
    if isinstance(op, Remove):
        return _remove(doc, op)
    if isinstance(op, RemoveAttr):
        return remove_attr(doc, op)
    if isinstance(op, DeclareNs):
        return declare_ns(doc, op)
    if isinstance(op, RemoveNs):
        return remove_ns(doc, op)
    return _uncomment(doc, op)


def _set_attr(doc: Doc, op: SetAttr) -> tuple[Doc, Outcome]:
    el = _one(doc, op.xpath)
    check_value(op.value, doc.where)
    if op.name == "xmlns" or op.name.startswith("xmlns:"):
        raise PatchError(f"set_attr cannot set the namespace declaration {op.name}", where=doc.where,
                         hint="declare the namespace in the patch instead")
    declared = dict(op.namespaces)
    name = clark(op.name, {**doc.in_scope(el), **declared}, doc.where)
    if el.get(name) == op.value:
        return doc, "already"
    prefer = {u: p for p, u in declared.items()}
    if ":" in op.name and not op.name.startswith("{"):
        prefer.setdefault(name[1:].split("}")[0], op.name.split(":")[0])
    return doc.apply([attr_edit(doc, el, name, op.value, prefer)]), "applied"


def _ensure(doc: Doc, op: Ensure) -> tuple[Doc, Outcome]:
    def key(n: Node) -> str:
        return str(n.xpath(f"string({op.key})")) if op.key else ""

    def find(d: Doc) -> tuple[Node, list[Node]]:
        parent = _one(d, op.parent)
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


def _replace_children(doc: Doc, op: ReplaceChildren) -> tuple[Doc, Outcome]:
    parent = _one(doc, op.parent)
    have = elements(parent)
    if [canon(h) for h in have] == [canon(w) for w in op.children]:
        return doc, "already"
    if not have:
        return doc.apply([insert_edit(doc, parent, list(op.children))]), "applied"
    indent, unit, eol, scope = doc.child_indent(parent), doc.indent_unit(), doc.eol, doc.in_scope(parent)
    block = "".join(eol + indent + render(w, indent, unit, eol, scope) for w in op.children)
    edits = [Edit(removal_start(doc, h), doc.span(h).end, block if i == 0 else "") for i, h in enumerate(have)]
    return doc.apply(edits), "applied"


def _comment_out(doc: Doc, op: CommentOut) -> tuple[Doc, Outcome]:
    parent = _one(doc, op.parent)
    active = _active(doc, parent, op.select)
    if not active:
        if _commented_matches(doc, parent, op.select):
            return doc, "already"
        raise PatchError(f"no element {op.select} under {op.parent}, active or commented out", where=doc.where,
                         hint="restore it from the product distribution or fix the patch")
    s = doc.span(active[0])
    if "--" in doc.text[s.start : s.end]:
        raise PatchError(f"cannot comment out {op.select} (line {doc.line_of(active[0])}): it contains '--' "
                         "or a comment, which XML forbids inside a comment", where=doc.where,
                         hint="comment it out by hand, then rerun")
    return doc.apply([Edit(s.start + 1, s.start + 1, "!--"), Edit(s.end - 1, s.end - 1, "--")]), "applied"


def _uncomment(doc: Doc, op: Uncomment) -> tuple[Doc, Outcome]:
    parent = _one(doc, op.parent)
    if _active(doc, parent, op.select):
        return doc, "already"
    hits = _commented_matches(doc, parent, op.select)
    if len(hits) != 1:
        raise PatchError(f"found {len(hits)} commented-out elements {op.select} under {op.parent}, "
                         "expected exactly one", where=doc.where, hint="uncomment the right one by hand")
    s = doc.span(hits[0])
    if (hits[0].text or "").strip().startswith("<"):  # <!-- <tag>...</tag> -->
        cuts = [marker_cut(doc, s.start, s.start + 4), marker_cut(doc, s.end - 3, s.end)]
        if cuts[0].end > cuts[1].start:  # both markers on one line: keep the line, drop the markers
            cuts = [Edit(s.start, s.start + 4, ""), Edit(s.end - 3, s.end, "")]
        return doc.apply(cuts), "applied"
    return doc.apply([Edit(s.start + 1, s.start + 4, ""), Edit(s.end - 3, s.end - 1, "")]), "applied"


def _remove(doc: Doc, op: Remove) -> tuple[Doc, Outcome]:
    outcome: Outcome = "already"
    while True:  # one at a time: each cut is computed on the text the previous one left
        parent = _one(doc, op.parent)
        found = [n for n in doc.xpath(op.select, parent) if isinstance(n.tag, str) and n.getparent() is parent]
        if not found:
            return doc, outcome
        doc, outcome = doc.apply([removal_cut(doc, found[0])]), "applied"
