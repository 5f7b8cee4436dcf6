"""Safe parsing of a config file, and write-back that changes only the bytes an edit touched.

A `Doc` holds the file's exact text (decoded losslessly with the file's own encoding),
an lxml tree for XPath (default namespace stripped so patches need no prefixes), and the
exact span of every node. Edits are splices of that text; everything else stays as it was:
declaration, encoding, line endings, indentation, comments, final newline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from lxml import etree

from wso2patch.errors import ConfigError, InternalError
from wso2patch.spans import Span, scan
from wso2patch.splices import Edit, moved_spans
from wso2patch.xmlencoding import decode, detect_encoding
from wso2patch.xmlparse import Node, doc_nodes, parse_tree
from wso2patch.xmltext import detect_eol, line_number, line_start, unescape

XML_NS = "http://www.w3.org/XML/1998/namespace"


class Doc:
    """One config file: exact text, XPath tree, node spans."""

    def __init__(self, raw: bytes, *, where: str, encoding: str | None = None,
                 spans: Sequence[Span] | None = None) -> None:
        """spans: those of this very text, when the caller knows them (see `apply`); else the text is scanned."""
        self.where = where
        self.raw = raw
        self.encoding = encoding or detect_encoding(raw, where)
        self.text = decode(raw, self.encoding, where)
        self.eol = detect_eol(self.text)
        self.tree = parse_tree(raw, self.text, where)
        self.nodes = doc_nodes(self.tree)
        self.scanned = spans is None  # False: moved from a parent Doc's spans (plan.py checks them with a scan)
        if spans is None:
            try:
                spans = scan(self.text)
            except ValueError as e:
                raise InternalError(f"scanner failed on well-formed XML: {e}", where=where,
                                    hint="please report this file") from None
        self.spans = list(spans)
        if len(spans) != len(self.nodes):
            raise InternalError(f"scanner found {len(spans)} nodes, lxml {len(self.nodes)}", where=where,
                                hint="please report this file")
        self._span: dict[Node, Span] = dict(zip(self.nodes, spans, strict=True))

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
        return line_number(self.text, self.span(node).start)

    def in_scope(self, el: Node) -> dict[str, str]:
        """The namespace prefixes bound where el stands, as the file's own text declares them (prefix -> URI).
        lxml's nsmap is no guide: the default namespace is stripped and unused declarations are cleaned up."""
        scope = {"xml": XML_NS}
        for node in reversed([el, *el.iterancestors()]):
            for name, (a, b, _) in self.span(node).attrs.items():
                if name.startswith("xmlns:"):
                    scope[name[6:]] = unescape(self.text[a:b])
        return scope

    # --- layout -----------------------------------------------------------------------------------
    def indent_of(self, node: Node) -> str | None:
        """The whitespace before a node on its line, or None when the node does not start its line."""
        start = self.span(node).start
        ws = self.text[line_start(self.text, start) : start]
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
        return "\t" if re.search(r"[\r\n]\t<", self.text) else "    "

    # --- edits ------------------------------------------------------------------------------------
    def apply(self, edits: Iterable[Edit]) -> Doc:
        """A new Doc with the edits spliced in (non-overlapping, any order). lxml parses the new bytes; the spans
        are moved rather than scanned again when the edits leave the markup as it was (see `moved_spans`)."""
        ordered = sorted(edits, key=lambda e: (e.start, e.end))
        text = self.text
        for e in reversed(ordered):
            text = text[: e.start] + e.text + text[e.end :]
        raw = text.encode(self.encoding, errors="xmlcharrefreplace")
        try:  # a character the encoding lacks becomes a longer character reference: then scan
            for e in ordered:
                e.text.encode(self.encoding)
        except UnicodeEncodeError:
            return Doc(raw, where=self.where, encoding=self.encoding)
        return Doc(raw, where=self.where, encoding=self.encoding, spans=moved_spans(self.spans, self.text, ordered))

