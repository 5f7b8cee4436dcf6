"""Safe parsing of a config file, and write-back that changes only the bytes an edit touched.

A `Doc` holds the file's exact text (decoded losslessly with the file's own encoding),
an lxml tree for XPath (default namespace stripped so patches need no prefixes), and the
exact span of every node. Edits are splices of that text; everything else stays as it was:
declaration, encoding, line endings, indentation, comments, final newline.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from wso2patch.errors import ConfigError, InternalError
from wso2patch.spans import Span, scan

Node = Any  # an lxml element, comment or processing instruction (lxml-stubs has no common base)

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECL_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


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


def detect_encoding(raw: bytes, where: str) -> str:
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return codec
    if raw.startswith((b"<\x00", b"\x00<")):  # the XML spec requires a BOM on UTF-16 (section 4.3.3)
        raise ConfigError("UTF-16 without a byte-order mark", where=f"{where}:1:1",
                          hint="save the file as UTF-8 (or UTF-16 with a BOM) and rerun")
    m = _DECL_ENCODING.match(raw)
    if not m:
        return "utf-8"
    name = m.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ConfigError(f"unknown encoding {name!r} in the XML declaration", where=f"{where}:1:1",
                          hint="fix the declaration") from None


def detect_eol(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(value: str, quote: str = '"') -> str:
    value = escape_text(value).replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;")
    return value.replace(quote, "&quot;" if quote == '"' else "&apos;")


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


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


class Doc:
    """One config file: exact text, XPath tree, node spans."""

    def __init__(self, raw: bytes, *, where: str, encoding: str | None = None) -> None:
        self.where = where
        self.raw = raw
        self.encoding = encoding or detect_encoding(raw, where)
        try:
            self.text = raw.decode(self.encoding)
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            raise ConfigError(f"bytes that are not {self.encoding}", where=f"{where}:{line}:1",
                              hint="fix the file's encoding or its XML declaration") from None
        if "\x00" in self.text:
            line = self.text[: self.text.index("\x00")].count("\n") + 1
            raise ConfigError(f"NUL bytes: the file is not {self.encoding}", where=f"{where}:{line}:1",
                              hint="save it as UTF-8 or ISO-8859-1, or fix its XML declaration")
        self.eol = detect_eol(self.text)
        self.tree = self._parse()
        self.nodes = doc_nodes(self.tree)
        try:
            spans = scan(self.text)
        except ValueError as e:
            raise InternalError(f"scanner failed on well-formed XML: {e}", where=where,
                                hint="please report this file") from None
        if len(spans) != len(self.nodes):
            raise InternalError(f"scanner found {len(spans)} nodes, lxml {len(self.nodes)}", where=where,
                                hint="please report this file")
        self._span: dict[Node, Span] = dict(zip(self.nodes, spans, strict=True))

    def _parse(self) -> Any:
        if not self.raw.strip():
            raise ConfigError("the file is empty", where=f"{self.where}:1:1",
                              hint="restore it from the product distribution")
        try:
            tree = etree.ElementTree(etree.fromstring(self.raw, _parser()))
        except etree.XMLSyntaxError as e:
            line, col = e.position
            # libxml2's first line describes the error; what follows quotes the file (maybe a password)
            what = re.sub(r",? line \d+, column \d+$", "", (e.msg or "").splitlines()[0] if e.msg else "")
            raise ConfigError(f"malformed XML: {what}", where=f"{self.where}:{line}:{col}",
                              hint="fix the file or restore it from the product distribution") from None
        info: Any = tree.docinfo  # lxml-stubs lacks doctype, system_url and iterentities
        dtd = info.internalDTD
        if info.doctype and (dtd is None or list(dtd.iterentities()) or info.system_url):
            line = self.raw[: self.raw.find(b"<!DOCTYPE")].count(b"\n") + 1
            raise ConfigError("DOCTYPE with entity declarations or an external DTD (never expanded, never fetched)",
                              where=f"{self.where}:{line}:1",
                              hint="Carbon config files need no DOCTYPE: remove it and rerun")
        _strip_default_ns(tree.getroot())
        return tree

    # --- lookup -----------------------------------------------------------------------------------
    def span(self, node: Node) -> Span:
        return self._span[node]

    def xpath(self, path: str, context: Node | None = None) -> list[Node]:
        try:
            found = (context if context is not None else self.tree).xpath(path)
        except etree.XPathError as e:
            raise ConfigError(f"invalid XPath {path!r}: {e}", where=self.where) from None
        if not isinstance(found, list):
            raise ConfigError(f"XPath {path!r} must select nodes", where=self.where)
        return [n for n in found if n in self._span]

    def line_of(self, node: Node) -> int:
        return self.text.count("\n", 0, self.span(node).start) + 1

    # --- layout -----------------------------------------------------------------------------------
    def indent_of(self, node: Node) -> str | None:
        """The whitespace before a node on its line, or None when the node does not start its line."""
        start = self.span(node).start
        ws = self.text[self.text.rfind("\n", 0, start) + 1 : start]
        return ws if not ws.strip() else None

    def child_indent(self, parent: Node) -> str:
        for child in parent:
            ind = self.indent_of(child)
            if ind is not None:
                return ind
        return (self.indent_of(parent) or "") + self.indent_unit()

    def indent_unit(self) -> str:
        """The file's indentation step, read from the first nested pair of lines."""
        for el in self.tree.getroot().iter(tag=etree.Element):
            outer = self.indent_of(el)
            if outer is None:
                continue
            for child in el:
                inner = self.indent_of(child)
                if inner is not None and len(inner) > len(outer) and inner.startswith(outer):
                    return inner[len(outer) :]
        return "\t" if "\n\t<" in self.text else "    "

    # --- edits ------------------------------------------------------------------------------------
    def apply(self, edits: Iterable[Edit]) -> Doc:
        """A new Doc with the edits spliced in (non-overlapping, any order)."""
        text = self.text
        for e in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            text = text[: e.start] + e.text + text[e.end :]
        raw = text.encode(self.encoding, errors="xmlcharrefreplace")
        return Doc(raw, where=self.where, encoding=self.encoding)
