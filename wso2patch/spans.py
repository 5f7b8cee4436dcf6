"""Exact character spans of the markup in an XML text.

lxml tells us *what* the document holds but not *where* (only a line number), so we
scan the text ourselves. The scanner is deliberately small: it only runs on text that
lxml has already accepted as well-formed, so it never has to report syntax errors.
Nodes are listed in document order, which is how they are matched to lxml's nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["element", "comment", "pi"]

_NAME = r"[^\s/>=\"']+"
_START = re.compile(rf"<({_NAME})((?:\s+{_NAME}\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
_ATTR = re.compile(rf"\s+({_NAME})\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_END = re.compile(r"</[^>]*>")
_DECLARATION = re.compile(r"<\?xml[\s?]")


@dataclass(slots=True)
class Span:
    """Where one node sits in the text. For elements: the start tag is [start, tag_end),
    the content [tag_end, close_start), the end tag [close_start, end)."""

    kind: Kind
    start: int
    end: int = -1
    tag_end: int = -1
    close_start: int = -1
    raw_name: str = ""
    self_closing: bool = False
    # attribute name -> (value start, value end, quote character)
    attrs: dict[str, tuple[int, int, str]] = field(default_factory=dict)


def _skip_doctype(text: str, i: int) -> int:
    """Index just past a <!DOCTYPE ...> declaration, internal subset included. Comments and processing
    instructions in the subset may hold quotes, ']' and '>', so they are skipped whole."""
    j = i + 2
    subset = False
    while j < len(text):
        if text[j] in "\"'":  # a literal: a system id, or an entity value in the subset
            j = text.index(text[j], j + 1)
        elif subset and text.startswith("<!--", j):
            j = text.index("-->", j + 4) + 2
        elif subset and text.startswith("<?", j):
            j = text.index("?>", j + 2) + 1
        elif text[j] in "[]":
            subset = text[j] == "["
        elif text[j] == ">" and not subset:
            return j + 1
        j += 1
    return len(text)


def scan(text: str) -> list[Span]:
    """Spans of every element, comment and processing instruction, in document order."""
    spans: list[Span] = []
    stack: list[Span] = []
    find, start_tag, pos = text.find, _START.match, 0
    while (i := find("<", pos)) >= 0:
        second = text[i + 1 : i + 2]  # what follows '<' says what the markup is
        if second == "/":
            m = _END.match(text, i)
            if m is None or not stack:
                raise ValueError(f"unexpected end tag at offset {i}")
            pos = m.end()
            el = stack.pop()
            el.close_start, el.end = i, pos
        elif second == "!":
            if text.startswith("<!--", i):
                pos = text.index("-->", i + 4) + 3
                spans.append(Span("comment", i, pos))
            elif text.startswith("<![CDATA[", i):
                pos = text.index("]]>", i) + 3
            else:
                pos = _skip_doctype(text, i)
        elif second == "?":
            pos = text.index("?>", i) + 2
            if not _DECLARATION.match(text, i):  # the declaration is not a node
                spans.append(Span("pi", i, pos))
        else:
            m = start_tag(text, i)
            if m is None:
                raise ValueError(f"unreadable start tag at offset {i}")
            pos = m.end()
            el = Span("element", i, tag_end=pos, raw_name=m.group(1))
            if m.end(2) > m.start(2):
                for a in _ATTR.finditer(text, m.start(2), m.end(2)):
                    grp = 2 if a.group(2) is not None else 3
                    el.attrs[a.group(1)] = (a.start(grp), a.end(grp), text[a.start(grp) - 1])
            spans.append(el)
            if m.group(3):
                el.self_closing = True
                el.close_start = el.end = pos
            else:
                stack.append(el)
    return spans
