"""Text-level XML helpers: line ends and line numbers as XML counts them, and escaping for text and attributes.

No lxml here: the scanner's neighbours and the diff use these on plain text.
"""

from __future__ import annotations

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what XML counts as a line end (section 2.11)


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


def unescape(value: str) -> str:
    """html.unescape, which leaves a value without "&" as it is: html and its entity table load only when needed."""
    if "&" not in value:
        return value
    import html

    return html.unescape(value)
