"""comment_out and uncomment: an element turned into a comment in place, and back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from wso2patch.edits import elements, marker_cut
from wso2patch.errors import ConfigError, PatchError
from wso2patch.opcore import Outcome, one
from wso2patch.splices import Edit
from wso2patch.xmlio import Doc
from wso2patch.xmlparse import Node, parse_fragment
from wso2patch.xmltext import escape_attr


@dataclass(frozen=True)
class CommentOut:
    parent: str
    select: str


@dataclass(frozen=True)
class Uncomment:
    parent: str
    select: str


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


def comment_out(doc: Doc, op: CommentOut) -> tuple[Doc, Outcome]:
    parent = one(doc, op.parent)
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


def uncomment(doc: Doc, op: Uncomment) -> tuple[Doc, Outcome]:
    parent = one(doc, op.parent)
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
