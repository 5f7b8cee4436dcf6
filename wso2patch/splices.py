"""Edits as splices of a document's text, and the node spans after them: moved, when that is provably what a scan
of the new text would find, instead of scanned again."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from wso2patch.spans import Span, scan

_MARKUP = re.compile("[<>\"']")


@dataclass(frozen=True)
class Edit:
    """One splice: text[start:end] becomes `text`."""

    start: int
    end: int
    text: str


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

