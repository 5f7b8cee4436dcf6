"""Safe parsing of a config file, and write-back that changes only the bytes an edit touched.

A `Doc` holds the file's exact text (decoded losslessly with the file's own encoding),
an lxml tree for XPath (default namespace stripped so patches need no prefixes), and the
exact span of every node. Edits are splices of that text; everything else stays as it was:
declaration, encoding, line endings, indentation, comments, final newline.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from wso2patch.errors import ConfigError, InternalError
from wso2patch.spans import Span, scan

Node = Any  # an lxml element, comment or processing instruction (lxml-stubs has no common base)

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECL_ENCODING = re.compile(r"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
# What a declaration may say after each byte-order mark. Java's parser (which WSO2 uses) switches to the declared
# encoding once it has read the declaration, so any other name makes it read garbage: a fatal error there.
_AGREES = {"utf-8": {"utf-8"}, "utf-16-le": {"utf-16", "utf-16-le", "iso-10646-ucs-2"},
           "utf-16-be": {"utf-16", "utf-16-be", "iso-10646-ucs-2"}}
_BOM_NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16 (little-endian)", "utf-16-be": "UTF-16 (big-endian)"}
_WIDE = ("utf-16", "utf-32", "iso-10646")  # encodings whose text is never single-byte
XML_NS = "http://www.w3.org/XML/1998/namespace"
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what XML counts as a line end (section 2.11)
_MARKUP = re.compile("[<>\"']")


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


def _codec(name: str, where: str) -> str:
    if name.lower() == "iso-10646-ucs-2":  # Java's name for UTF-16; Python has none
        return name.lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ConfigError(f"unknown encoding {name!r} in the XML declaration", where=f"{where}:1:1",
                          hint="fix the declaration") from None


def detect_encoding(raw: bytes, where: str) -> str:
    """The file's encoding: its byte-order mark, else its XML declaration, else UTF-8; refused when they disagree."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            m = _DECL_ENCODING.match(raw[len(bom) : len(bom) + 400].decode(codec, errors="replace"))
            if m and _codec(m.group(1), where) not in _AGREES[codec]:
                raise ConfigError(f"the byte-order mark says {_BOM_NAMES[codec]} but the XML declaration says "
                                  f"encoding=\"{m.group(1)}\" (Java's XML parser reads such a file wrongly or not "
                                  "at all)",
                                  where=f"{where}:1:1", hint="make them agree: fix the declaration, or re-save "
                                  "the file in the encoding it declares, then rerun")
            return codec
    if raw.startswith((b"<\x00", b"\x00<")):  # the XML spec requires a BOM on UTF-16 (section 4.3.3)
        raise ConfigError("UTF-16 without a byte-order mark", where=f"{where}:1:1",
                          hint="save the file as UTF-8 (or UTF-16 with a BOM) and rerun")
    m = _DECL_ENCODING.match(raw[:400].decode("latin-1"))
    if not m:
        return "utf-8"
    codec = _codec(m.group(1), where)
    if codec.startswith(_WIDE):  # yet the declaration was just read as single-byte text
        raise ConfigError(f"the XML declaration says encoding=\"{m.group(1)}\" but the file is single-byte text "
                          "without a byte-order mark (a fatal error for Java's XML parser)", where=f"{where}:1:1",
                          hint="fix the declaration (e.g. encoding=\"UTF-8\") and rerun")
    return codec


def detect_eol(text: str) -> str:
    """The file's line end: the most common of CRLF, LF and a lone CR (CRLF wins a tie, then LF)."""
    cr = text.count("\r")
    if not cr:  # most files: one pass
        return "\n"
    crlf = text.count("\r\n")
    lf, cr = text.count("\n") - crlf, cr - crlf
    if cr > max(crlf, lf):
        return "\r"
    return "\r\n" if crlf and crlf >= lf else "\n"


def line_number(text: str, pos: int) -> int:
    """1-based line of text[pos], counting every XML line end (CRLF, LF, lone CR) as one."""
    crlf = text.count("\r\n", 0, pos)
    return text.count("\n", 0, pos) + text.count("\r", 0, pos) - crlf + 1


def line_start(text: str, pos: int) -> int:
    """Offset where the line holding text[pos] starts."""
    return max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1


def line_end(text: str, pos: int) -> int:
    """Offset just past the line end that follows text[pos] (or the end of the text)."""
    m = LINE_BREAK.search(text, pos)
    return m.end() if m else len(text)


def escape_text(value: str) -> str:
    # a raw CR would come back as LF (XML normalises line ends): as a reference it survives the parser
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def escape_attr(value: str, quote: str = '"') -> str:
    value = escape_text(value).replace("\n", "&#10;").replace("\t", "&#9;")
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

    def __init__(self, raw: bytes, *, where: str, encoding: str | None = None,
                 spans: Sequence[Span] | None = None) -> None:
        """spans: those of this very text, when the caller knows them (see `apply`); else the text is scanned."""
        self.where = where
        self.raw = raw
        self.encoding = encoding or detect_encoding(raw, where)
        try:
            self.text = raw.decode(self.encoding)
        except UnicodeDecodeError as e:
            line = line_number(good := raw[: e.start].decode(self.encoding), len(good))
            raise ConfigError(f"bytes that are not {self.encoding}", where=f"{where}:{line}:1",
                              hint="fix the file's encoding or its XML declaration") from None
        if "\x00" in self.text:
            line = line_number(self.text, self.text.index("\x00"))
            raise ConfigError(f"NUL bytes: the file is not {self.encoding}", where=f"{where}:{line}:1",
                              hint="save it as UTF-8 or ISO-8859-1, or fix its XML declaration")
        self.eol = detect_eol(self.text)
        self.tree = self._parse()
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

    def _parse(self) -> Any:
        if not self.raw.strip():
            raise ConfigError("the file is empty", where=f"{self.where}:1:1",
                              hint="restore it from the product distribution")
        try:
            tree = etree.ElementTree(etree.fromstring(self.raw, _parser()))
        except etree.XMLSyntaxError as e:
            line, col = self._position(*e.position)
            # libxml2's first line describes the error; what follows quotes the file (maybe a password)
            what = re.sub(r",? line \d+, column \d+$", "", (e.msg or "").splitlines()[0] if e.msg else "")
            raise ConfigError(f"malformed XML: {what}", where=f"{self.where}:{line}:{col}",
                              hint="fix the file or restore it from the product distribution") from None
        info: Any = tree.docinfo  # lxml-stubs lacks doctype, system_url and iterentities
        dtd = info.internalDTD
        if info.doctype and (dtd is None or list(dtd.iterentities()) or info.system_url):
            line = line_number(self.text, max(self.text.find("<!DOCTYPE"), 0))
            raise ConfigError("DOCTYPE with entity declarations or an external DTD (never expanded, never fetched)",
                              where=f"{self.where}:{line}:1",
                              hint="Carbon config files need no DOCTYPE: remove it and rerun")
        _strip_default_ns(tree.getroot())
        return tree

    def _position(self, line: int, col: int) -> tuple[int, int]:
        """libxml2's line:column counts only LF as a line end; recount with lone CRs, as editors and Java do."""
        if self.text.count("\r") == self.text.count("\r\n"):
            return line, col
        start = 0
        for _ in range(line - 1):
            start = self.text.find("\n", start) + 1
        pos = min(start + col - 1, len(self.text))
        return line_number(self.text, pos), pos - line_start(self.text, pos) + 1

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
                    scope[name[6:]] = _unescape(self.text[a:b])
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


def moved_spans(spans: Sequence[Span], text: str, edits: Sequence[Edit]) -> list[Span] | None:
    """The spans of `text` after `edits` (sorted, non-overlapping), or None when the result must be scanned.

    They can be moved instead of scanned when every edit replaces a non-empty stretch of a leaf element's text
    (content holding no '<': no child, comment or CDATA) or of one attribute value, with text holding no '<',
    '>' or quote. No span boundary then lies inside an edited stretch (boundaries sit at '<', after '>' and at
    quotes), so boundaries up to its start stay and those from its end on move by the change in length; the
    markup is the same. That is what set_text and set_attr write. One edit that replaces whole nodes inside an
    element's content with complete markup (ensure, remove) moves them too (`_restructured`). Everything else is
    scanned again; the plan's second run checks moved spans against a scan of the result (plan.replan_doc)."""
    for e in edits:
        if not _in_value(spans, text, e):
            return _restructured(spans, text, edits[0]) if len(edits) == 1 else None
    if not edits:
        return list(spans)
    ends = [e.end for e in edits]
    shifts: list[int] = []
    total = 0
    for e in edits:
        total += len(e.text) - (e.end - e.start)
        shifts.append(total)

    def at(pos: int) -> int:
        i = bisect_right(ends, pos)
        return pos + shifts[i - 1] if i else pos

    first = edits[0].start
    out: list[Span] = []
    for s in spans:
        if s.end <= first:  # the whole node lies before the first edit
            out.append(s)
            continue
        attrs = s.attrs if s.tag_end <= first else {k: (at(a), at(b), q) for k, (a, b, q) in s.attrs.items()}
        out.append(Span(s.kind, at(s.start), at(s.end), at(s.tag_end), at(s.close_start), s.raw_name,
                        s.self_closing, attrs))
    return out


def _in_value(spans: Sequence[Span], text: str, e: Edit) -> bool:
    """Whether the edit replaces a non-empty stretch of a leaf element's text or of one attribute value with text
    holding no markup character (see moved_spans)."""
    if e.start >= e.end or _MARKUP.search(e.text):
        return False
    i = bisect_right(spans, e.start, key=_start) - 1
    s = spans[i] if i >= 0 else None
    if s is None or s.kind != "element":
        return False
    if s.tag_end <= e.start:
        return e.end <= s.close_start and text.find("<", s.tag_end, s.close_start) < 0
    return any(a <= e.start and e.end <= b for a, b, _ in s.attrs.values())


def _restructured(spans: Sequence[Span], text: str, e: Edit) -> list[Span] | None:
    """The spans after one edit that replaces whole nodes and the text between them inside one element's content
    with complete markup (what ensure, remove and a first child's insertion write), or None: scan.

    Every span then lies before the edit, after it, inside the stretch it removes, or is an element whose content
    holds it (an ancestor). The scanner reads markup from '<' to '>', so it reads the unchanged text before the
    edit as before; the new text, whose elements all close within it, leaves it with the same open elements; and
    it reads the text after the edit as before, further on. So the spans are those before and the ancestors (their
    ends moved), the new text's own scan, and those after, moved. Refused: a CDATA section in the content (its
    text holds '<'), and new text with CDATA, a DOCTYPE or a processing instruction (a declaration is no span)."""
    if "<![" in e.text or "<!D" in e.text or "<?" in e.text:
        return None
    try:
        added = scan(e.text)
    except ValueError:
        return None
    if any(s.end < 0 for s in added):  # an element left open
        return None
    delta = len(e.text) - (e.end - e.start)
    before: list[Span] = []
    after: list[Span] = []
    parent: Span | None = None
    for s in spans:
        if s.end <= e.start:
            before.append(s)
        elif s.start >= e.end:
            after.append(_moved(s, delta))
        elif e.start <= s.start and s.end <= e.end:
            continue  # removed
        elif s.kind == "element" and s.tag_end <= e.start and e.end <= s.close_start:
            parent = s  # the last one found is the innermost
            before.append(Span(s.kind, s.start, s.end + delta, s.tag_end, s.close_start + delta, s.raw_name,
                               s.self_closing, s.attrs))
        else:
            return None
    if parent is None or text.find("<![", parent.tag_end, parent.close_start) >= 0:
        return None
    return [*before, *(_moved(s, e.start) for s in added), *after]


def _moved(s: Span, by: int) -> Span:
    """The span `by` characters further on (-1, the unset end of a comment's or PI's tag, stays)."""

    def at(pos: int) -> int:
        return pos + by if pos >= 0 else pos

    return Span(s.kind, at(s.start), at(s.end), at(s.tag_end), at(s.close_start), s.raw_name, s.self_closing,
                {k: (a + by, b + by, q) for k, (a, b, q) in s.attrs.items()})


def _start(span: Span) -> int:
    return span.start


def _unescape(value: str) -> str:
    """html.unescape, which leaves a value without "&" as it is: html and its entity table load only when needed."""
    if "&" not in value:
        return value
    import html

    return html.unescape(value)
