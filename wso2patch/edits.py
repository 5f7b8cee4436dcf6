"""The splices behind the operations: each computes, from exact node spans, the Edits that change one thing
and leave every other byte alone. Names are namespace-aware: lxml calls an attribute `{uri}local`, the file
writes it `prefix:local`, with whatever prefix the file bound to that URI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from wso2patch.errors import PatchError
from wso2patch.splices import Edit
from wso2patch.xmlio import Doc
from wso2patch.xmlparse import Node
from wso2patch.xmltext import LINE_BREAK, escape_attr, escape_text, line_end, line_start

_CDATA = re.compile(r"<!\[CDATA\[(?:(?!\]\]>).)*\]\]>", re.S)
# What XML 1.0 can hold at all (section 2.2): anything else is refused, even as a character reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # the excluded ones: compiles 10x faster


def elements(node: Node) -> list[Node]:
    return [c for c in node if isinstance(c.tag, str)]


def check_value(value: str, where: str) -> None:
    bad = _NOT_XML.search(value)
    if bad:
        raise PatchError(f"the value holds U+{ord(bad.group()):04X}, which XML 1.0 cannot hold (not even as a "
                         "character reference)", where=where, hint="remove it from the value in the spec")


# --- text -----------------------------------------------------------------------------------------------
def text_value(el: Node) -> str | None:
    """The element's text as a DOM reader sees it: text and CDATA around any comments and PIs, joined;
    None when it holds elements."""
    if elements(el):
        return None
    return (el.text or "") + "".join(c.tail or "" for c in el)


def _literal(doc: Doc, old: str, value: str) -> str:
    """value written as text; as CDATA when that is how the file wrote it and CDATA can hold it exactly
    (a CR would come back as LF, an unencodable character would turn into a literal '&#...;')."""
    if _CDATA.fullmatch(old.strip()) and "\r" not in value:
        try:
            value.encode(doc.encoding)
        except UnicodeEncodeError:
            return escape_text(value)
        return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return escape_text(value)


def text_edits(doc: Doc, el: Node, value: str) -> list[Edit]:
    """Make el's text `value`. Comments and PIs inside it stay where they are: the value goes into the first
    piece of text around them that holds more than whitespace, the other pieces are emptied."""
    s = doc.span(el)
    if s.self_closing:
        slash = doc.text.rindex("/", s.start, s.end)
        return [Edit(slash, s.end, f">{escape_text(value)}</{s.raw_name}>")]
    if elements(el):  # the value replaces the children
        return [Edit(s.tag_end, s.close_start, escape_text(value))]
    bounds = [s.tag_end, *(x for k in el for x in (doc.span(k).start, doc.span(k).end)), s.close_start]
    pieces = list(zip(bounds[0::2], bounds[1::2], strict=True))
    target = next((i for i, (a, b) in enumerate(pieces) if doc.text[a:b].strip()), 0)
    a, b = pieces[target]
    edits = [Edit(a, b, _literal(doc, doc.text[a:b], value))]
    return edits + [Edit(x, y, "") for i, (x, y) in enumerate(pieces) if i != target and x < y]


# --- names and attributes -------------------------------------------------------------------------------
def clark(name: str, scope: Mapping[str, str], where: str) -> str:
    """A name as lxml spells it: 'p:local' resolved with scope (prefix -> URI); '{uri}local' and 'local' as is."""
    prefix, _, local = name.rpartition(":")
    if name.startswith("{") or not prefix:
        return name
    if prefix not in scope:
        raise PatchError(f"namespace prefix {prefix!r} of {name} is not declared", where=where,
                         hint="declare it in the patch or use the prefix the file declares")
    return f"{{{scope[prefix]}}}{local}"


def qualify(name: str, scope: dict[str, str], prefer: Mapping[str, str]) -> tuple[str, str]:
    """How to write a (Clark) name where scope (prefix -> URI) holds: the qualified name, and the namespace
    declaration to write with it ('' when a prefix is already bound). scope gains that declaration.
    prefer maps URI -> the prefix the patch or template uses, taken when free."""
    if not name.startswith("{"):
        return name, ""
    uri, local = name[1:].split("}", 1)
    bound = [p for p, u in scope.items() if u == uri]
    if bound:
        return f"{prefer[uri] if prefer.get(uri) in bound else bound[0]}:{local}", ""
    base = prefer.get(uri) or "ns"
    prefix, n = base, 1
    while prefix in scope:  # never rebind a prefix the file uses for another namespace
        prefix, n = f"{base}{n}", n + 1
    scope[prefix] = uri
    return f"{prefix}:{local}", f' xmlns:{prefix}="{escape_attr(uri)}"'


def attr_names(doc: Doc, el: Node) -> dict[str, str]:
    """lxml's name -> the name as written, for every attribute in el's start tag (declarations excluded)."""
    scope = doc.in_scope(el)
    out = {}
    for raw in doc.span(el).attrs:
        prefix, _, local = raw.rpartition(":")
        if raw != "xmlns" and prefix != "xmlns":
            out[f"{{{scope[prefix]}}}{local}" if prefix else raw] = raw
    return out


def attr_edit(doc: Doc, el: Node, name: str, value: str, prefer: Mapping[str, str] | None = None) -> Edit:
    """Set the attribute lxml calls `name` (plain or '{uri}local'), whatever prefix the file writes it with."""
    s = doc.span(el)
    raw = attr_names(doc, el).get(name)
    if raw is not None:
        start, end, quote = s.attrs[raw]
        return Edit(start, end, escape_attr(value, quote))
    qname, decl = qualify(name, doc.in_scope(el), prefer or {})
    return insert_attr(doc, el, f'{decl.lstrip()}{" " if decl else ""}{qname}="{escape_attr(value)}"')


def insert_attr(doc: Doc, el: Node, written: str) -> Edit:
    """Add `written` (name="value", or several) to el's start tag, after its attributes, in their layout."""
    s = doc.span(el)
    pos = max((end + 1 for _, end, _ in s.attrs.values()), default=s.start + 1 + len(s.raw_name))
    if (line := _own_line_before_last(doc, el)) is not None:  # attributes one per line: so is the new one
        return Edit(line[0], line[0], f"{line[1]}{written}{doc.eol}")
    return Edit(pos, pos, f" {written}")


def _own_line_before_last(doc: Doc, el: Node) -> tuple[int, str] | None:
    """(start, indent) of the line of the start tag's last attribute when that attribute stands alone at the start
    of a line after the tag's first one; a new attribute goes in a line of its own just before it, so that no line
    of the file changes."""
    s = doc.span(el)
    if not s.attrs:
        return None
    raw, (value_start, _, _) = max(s.attrs.items(), key=lambda kv: kv[1][0])
    name_start = doc.text.rfind(raw, s.start, value_start)
    first = line_start(doc.text, name_start)
    indent = doc.text[first:name_start]
    if first <= s.start or indent.strip():
        return None
    return first, indent


def prefixes(template: Node) -> dict[str, str]:
    """URI -> prefix, as a template element declares them."""
    return {u: p for p, u in template.nsmap.items() if p}


# --- new elements -----------------------------------------------------------------------------------------
def render(el: Node, indent: str, unit: str, eol: str, scope: dict[str, str] | None = None,
           self_close: bool = False) -> str:
    """Serialize a template element in the target file's layout (indent step, line ending); scope: the
    prefixes bound where it goes (namespaced names use them, or declare their own); self_close: an empty
    element is written <tag/>, as its new siblings write theirs."""
    if el.tag is etree.Comment:
        return f"<!--{el.text or ''}-->"
    scope = dict(scope or {})
    tag, decls = qualify(el.tag, scope, prefixes(el))
    for k, v in el.attrib.items():
        name, decl = qualify(k, scope, prefixes(el))
        decls += f'{decl} {name}="{escape_attr(v)}"'
    kids = [k for k in el if isinstance(k.tag, str) or k.tag is etree.Comment]
    if not kids and self_close and not el.text:
        return f"<{tag}{decls}/>"
    if not kids:
        return f"<{tag}{decls}>{escape_text(el.text or '')}</{tag}>"
    inner = "".join(eol + indent + unit + render(k, indent + unit, unit, eol, scope) for k in kids)
    return f"<{tag}{decls}>{inner}{eol}{indent}</{tag}>"


def insert_edit(doc: Doc, parent: Node, frags: list[Node], after: Node | None = None, first: bool = False) -> Edit:
    """Insert elements as children of parent: after `after`, first, or after the last child node."""
    indent, unit, eol, scope = doc.child_indent(parent), doc.indent_unit(), doc.eol, doc.in_scope(parent)
    short = _writes_empty_short(doc, parent)
    block = "".join(eol + indent + render(f, indent, unit, eol, scope, short) for f in frags)
    ps = doc.span(parent)
    children = list(parent)
    if after is None and not first and children:
        after = children[-1]
    if after is not None:
        pos = doc.span(after).end
        gap = re.match(r"[ \t\r\n]*", doc.text[pos:])
        if isinstance(after.tag, str) and gap and len(LINE_BREAK.findall(gap.group())) > 1:
            block = eol + block  # the anchor is set apart by a blank line: so is the new element
        return Edit(pos, pos, block)
    outer = eol + (doc.indent_of(parent) or "")
    if ps.self_closing:
        slash = doc.text.rindex("/", ps.start, ps.end)
        return Edit(slash, ps.end, f">{block}{outer}</{ps.raw_name}>")
    if first or LINE_BREAK.search(doc.text, ps.tag_end, ps.close_start):
        return Edit(ps.tag_end, ps.tag_end, block)
    return Edit(ps.tag_end, ps.close_start, block + outer)


def _writes_empty_short(doc: Doc, parent: Node) -> bool:
    """Whether parent's empty children are all written <tag/> (there is at least one): a new empty one copies them
    (axis2.xml's <property name=".." value=".."/>)."""
    empty = [c for c in elements(parent) if not len(c) and not c.text]
    return bool(empty) and all(doc.span(c).self_closing for c in empty)


# --- removals ---------------------------------------------------------------------------------------------
def removal_start(doc: Doc, node: Node) -> int:
    """Where to cut so that removing a node takes its own line (and only its line) with it."""
    start = doc.span(node).start
    if doc.indent_of(node) is None:
        return start
    cut = line_start(doc.text, start) - 1  # the line end before the node's line
    if cut > 0 and doc.text[cut] == "\n" and doc.text[cut - 1] == "\r":
        cut -= 1
    return max(cut, 0)


def removal_cut(doc: Doc, node: Node) -> Edit:
    """Remove a node with its own line; when a blank line stands both before and after it, one of them goes too
    (the one insert_edit adds when it sets a new element apart), so the two are exact inverses."""
    start, end = removal_start(doc, node), doc.span(node).end
    text = doc.text
    if start == doc.span(node).start or start == 0:  # not on a line of its own
        return Edit(start, end, "")
    before = line_start(text, start)  # the line before the node's line
    after = re.match(r"[ \t]*(\r\n|\n|\r)[ \t]*(\r\n|\n|\r)", text[end:])
    if before > 0 and not text[before:start].strip() and after:
        cut = before - 1
        if cut > 0 and text[cut] == "\n" and text[cut - 1] == "\r":
            cut -= 1
        return Edit(cut, end, "")
    return Edit(start, end, "")


def marker_cut(doc: Doc, start: int, end: int) -> Edit:
    """Remove a comment marker; when it stands alone on its line, remove the whole line."""
    text = doc.text
    first, last = line_start(text, start), line_end(text, end)
    if not (text[first:start] + text[end:last]).strip():
        return Edit(first, last, "")
    return Edit(start, end, "")
