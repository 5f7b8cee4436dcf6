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

from wso2patch.errors import ConfigError, PatchError
from wso2patch.xmlio import Doc, Edit, Node, escape_attr, escape_text, parse_fragment

Outcome = Literal["applied", "already"]


@dataclass(frozen=True)
class SetText:
    xpath: str
    value: str


@dataclass(frozen=True)
class SetAttr:
    xpath: str
    name: str
    value: str


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


Op = SetText | SetAttr | Ensure | ReplaceChildren | CommentOut | Uncomment


# --- helpers ---------------------------------------------------------------------------------------
def elements(node: Node) -> list[Node]:
    return [c for c in node if isinstance(c.tag, str)]


def canon(el: Node) -> tuple[Any, ...]:
    """Content identity of an element: whitespace between elements and comments do not count."""
    kids = elements(el)
    text = "" if kids else (el.text or "").strip()
    return (el.tag, tuple(sorted(el.attrib.items())), text, tuple(canon(k) for k in kids))


def render(el: Node, indent: str, unit: str, eol: str) -> str:
    """Serialize a template element in the target file's layout (indent step, line ending)."""
    if el.tag is etree.Comment:
        return f"<!--{el.text or ''}-->"
    attrs = "".join(f' {k}="{escape_attr(v)}"' for k, v in el.attrib.items())
    kids = [k for k in el if isinstance(k.tag, str) or k.tag is etree.Comment]
    if not kids:
        return f"<{el.tag}{attrs}>{escape_text(el.text or '')}</{el.tag}>"
    inner = "".join(eol + indent + unit + render(k, indent + unit, unit, eol) for k in kids)
    return f"<{el.tag}{attrs}>{inner}{eol}{indent}</{el.tag}>"


def _one(doc: Doc, xpath: str, context: Node | None = None) -> Node:
    found = [n for n in doc.xpath(xpath, context) if isinstance(n.tag, str)]
    if len(found) != 1:
        lines = ", ".join(f"line {doc.line_of(n)}" for n in found[:5])
        raise PatchError(f"XPath {xpath} matched {len(found)} elements{' (' + lines + ')' if lines else ''}, "
                         "expected exactly one", where=doc.where,
                         hint="the file differs from a stock Carbon 4.4.x file here: fix it by hand or report it")
    return found[0]


def _text_edit(doc: Doc, el: Node, value: str) -> Edit:
    s = doc.span(el)
    if s.self_closing:
        slash = doc.text.rindex("/", s.start, s.end)
        return Edit(slash, s.end, f">{escape_text(value)}</{s.raw_name}>")
    return Edit(s.tag_end, s.close_start, escape_text(value))


def _attr_edit(doc: Doc, el: Node, name: str, value: str) -> Edit:
    s = doc.span(el)
    if name in s.attrs:
        start, end, quote = s.attrs[name]
        return Edit(start, end, escape_attr(value, quote))
    pos = max((end + 1 for _, end, _ in s.attrs.values()), default=s.start + 1 + len(s.raw_name))
    return Edit(pos, pos, f' {name}="{escape_attr(value)}"')


def _insert_edit(doc: Doc, parent: Node, frags: list[Node], after: Node | None = None,
                 first: bool = False) -> Edit:
    """Insert elements as children of parent: after `after`, first, or after the last child node."""
    indent, unit, eol = doc.child_indent(parent), doc.indent_unit(), doc.eol
    block = "".join(eol + indent + render(f, indent, unit, eol) for f in frags)
    ps = doc.span(parent)
    children = list(parent)
    if after is None and not first and children:
        after = children[-1]
    if after is not None:
        pos = doc.span(after).end
        gap = re.match(r"[ \t\r\n]*", doc.text[pos:])
        if isinstance(after.tag, str) and gap and gap.group().count("\n") > 1:
            block = eol + block  # the anchor is set apart by a blank line: so is the new element
        return Edit(pos, pos, block)
    outer = eol + (doc.indent_of(parent) or "")
    if ps.self_closing:
        slash = doc.text.rindex("/", ps.start, ps.end)
        return Edit(slash, ps.end, f">{block}{outer}</{ps.raw_name}>")
    if first or "\n" in doc.text[ps.tag_end : ps.close_start]:
        return Edit(ps.tag_end, ps.tag_end, block)
    return Edit(ps.tag_end, ps.close_start, block + outer)


def _removal_start(doc: Doc, node: Node) -> int:
    """Where to cut so that removing a node takes its own line (and only its line) with it."""
    start = doc.span(node).start
    if doc.indent_of(node) is None:
        return start
    cut = doc.text.rfind("\n", 0, start)
    if cut > 0 and doc.text[cut - 1] == "\r":
        cut -= 1
    return max(cut, 0)


def _first_fix(doc: Doc, have: Node, want: Node) -> Edit | None:
    """The first edit that brings `have` closer to holding everything `want` holds."""
    for name, value in want.attrib.items():
        if have.get(name) != value:
            return _attr_edit(doc, have, name, value)
    wanted = elements(want)
    if not wanted:
        if len(have) or (have.text or "") != (want.text or ""):
            return _text_edit(doc, have, want.text or "")
        return None
    prev: Node | None = None
    for w in wanted:
        match = [c for c in elements(have) if c.tag == w.tag and c.get("name") == w.get("name")]
        if not match:
            return _insert_edit(doc, have, [w], after=prev, first=prev is None)
        fix = _first_fix(doc, match[0], w)
        if fix is not None:
            return fix
        prev = match[0]
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
    nsmap = parent.nsmap if parent is not None else {}
    decls = "".join(f' xmlns:{p}="{escape_attr(u)}"' for p, u in nsmap.items() if p)
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


def _marker_cut(doc: Doc, start: int, end: int) -> Edit:
    """Remove a comment marker; when it stands alone on its line, remove the whole line."""
    text = doc.text
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if not (text[line_start:start] + text[end:line_end]).strip():
        return Edit(line_start, line_end, "")
    return Edit(start, end, "")


# --- the operations --------------------------------------------------------------------------------
def apply_op(doc: Doc, op: Op) -> tuple[Doc, Outcome]:
    if isinstance(op, SetText):
        el = _one(doc, op.xpath)
        if not len(el) and (el.text or "") == op.value:
            return doc, "already"
        return doc.apply([_text_edit(doc, el, op.value)]), "applied"
    if isinstance(op, SetAttr):
        el = _one(doc, op.xpath)
        if el.get(op.name) == op.value:
            return doc, "already"
        return doc.apply([_attr_edit(doc, el, op.name, op.value)]), "applied"
    if isinstance(op, Ensure):
        return _ensure(doc, op)
    if isinstance(op, ReplaceChildren):
        return _replace_children(doc, op)
    if isinstance(op, CommentOut):
        return _comment_out(doc, op)
    return _uncomment(doc, op)


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
        return doc.apply([_insert_edit(doc, parent, [op.element], after=after)]), "applied"
    outcome: Outcome = "already"
    for _ in range(1000):  # each pass fixes one difference; the bound only guards against a bug
        fix = _first_fix(doc, found[0], op.element)
        if fix is None:
            return doc, outcome
        doc, outcome = doc.apply([fix]), "applied"
        parent, found = find(doc)
    raise PatchError(f"could not reconcile {what}", where=doc.where, hint="please report this file")


def _replace_children(doc: Doc, op: ReplaceChildren) -> tuple[Doc, Outcome]:
    parent = _one(doc, op.parent)
    have = elements(parent)
    if [canon(h) for h in have] == [canon(w) for w in op.children]:
        return doc, "already"
    if not have:
        return doc.apply([_insert_edit(doc, parent, list(op.children))]), "applied"
    indent, unit, eol = doc.child_indent(parent), doc.indent_unit(), doc.eol
    block = "".join(eol + indent + render(w, indent, unit, eol) for w in op.children)
    edits = [Edit(_removal_start(doc, h), doc.span(h).end, block if i == 0 else "") for i, h in enumerate(have)]
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
        cuts = [_marker_cut(doc, s.start, s.start + 4), _marker_cut(doc, s.end - 3, s.end)]
        if cuts[0].end > cuts[1].start:  # both markers on one line: keep the line, drop the markers
            cuts = [Edit(s.start, s.start + 4, ""), Edit(s.end - 3, s.end, "")]
        return doc.apply(cuts), "applied"
    return doc.apply([Edit(s.start + 1, s.start + 4, ""), Edit(s.end - 3, s.end - 1, "")]), "applied"
