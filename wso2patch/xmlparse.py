"""Safe parsing with lxml: never expand entities, never touch the network or load a DTD, keep every node.

A document's default namespace is stripped (so patches' XPath needs no prefixes), its errors become one line with
the line:column an editor shows, and a DOCTYPE that declares entities or names an external DTD is refused.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from wso2patch.errors import ConfigError
from wso2patch.xmltext import line_number, line_start

Node = Any  # an lxml element, comment or processing instruction (lxml-stubs has no common base)


def _parser() -> etree.XMLParser:
    # Never expand entities, never touch the network or load a DTD; keep every node.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_blank_text=False, remove_comments=False, remove_pis=False,
    )


def parse_fragment(xml: str, *, where: str) -> Any:
    """Parse a small XML snippet (a patch template or the inside of a comment)."""
    try:
        return etree.fromstring(xml.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as e:
        raise ConfigError(f"not well-formed XML: {e.msg}", where=where) from None


def parse_tree(raw: bytes, text: str, where: str) -> Any:
    """The document's tree, default namespace stripped. text: raw decoded, for the line:column of an error."""
    if not raw.strip():
        raise ConfigError("the file is empty", where=f"{where}:1:1",
                          hint="restore it from the product distribution")
    try:
        tree = etree.ElementTree(etree.fromstring(raw, _parser()))
    except etree.XMLSyntaxError as e:
        line, col = _position(text, *e.position)
        # libxml2's first line describes the error; what follows quotes the file (maybe a password)
        what = re.sub(r",? line \d+, column \d+$", "", (e.msg or "").splitlines()[0] if e.msg else "")
        raise ConfigError(f"malformed XML: {what}", where=f"{where}:{line}:{col}",
                          hint="fix the file or restore it from the product distribution") from None
    info: Any = tree.docinfo  # lxml-stubs lacks doctype, system_url and iterentities
    dtd = info.internalDTD
    if info.doctype and (dtd is None or list(dtd.iterentities()) or info.system_url):
        line = line_number(text, max(text.find("<!DOCTYPE"), 0))
        raise ConfigError("DOCTYPE with entity declarations or an external DTD (never expanded, never fetched)",
                          where=f"{where}:{line}:1",
                          hint="Carbon config files need no DOCTYPE: remove it and rerun")
    _strip_default_ns(tree.getroot())
    return tree


def _position(text: str, line: int, col: int) -> tuple[int, int]:
    """libxml2's line:column counts only LF as a line end; recount with lone CRs, as editors and Java do."""
    if text.count("\r") == text.count("\r\n"):
        return line, col
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
    pos = min(start + col - 1, len(text))
    return line_number(text, pos), pos - line_start(text, pos) + 1


def _strip_default_ns(root: Node) -> None:
    """Rename default-namespace elements to their local names, so XPath needs no prefix."""
    for el in root.iter(tag=etree.Element):
        if el.prefix is None and "}" in el.tag:
            el.tag = etree.QName(el).localname
    etree.cleanup_namespaces(root)


def doc_nodes(tree: Any) -> list[Node]:
    """Every element, comment and PI of the document, in document order (as spans.scan lists them)."""
    root = tree.getroot()
    before = list(root.itersiblings(preceding=True))[::-1]
    nodes = [*before, *root.iter(), *root.itersiblings()]
    return [n for n in nodes if n.tag is etree.Comment or n.tag is etree.PI or isinstance(n.tag, str)]
