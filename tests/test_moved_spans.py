"""Spans moved instead of scanned after an edit (xmlio.moved_spans): whenever they are moved, they are exactly what a
scan of the new text finds; edits that touch markup are scanned again; the plan's second run checks moved spans."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import all_tree_params
from tests.test_xmlio import xml_docs
from wso2patch.edits import elements, text_edits
from wso2patch.errors import InternalError
from wso2patch.plan import replan_doc
from wso2patch.spans import Span, scan
from wso2patch.xmlio import Doc, Edit, moved_spans

# replacements: mostly plain text, sometimes markup characters (which must make moved_spans give up)
replacements = st.lists(st.sampled_from([*"ab 9-\u00e9\n]", "<", ">", '"', "'", "&amp;"]), max_size=6).map("".join)


def fields(spans: list[Span]) -> list[tuple[object, ...]]:
    return [(s.kind, s.start, s.end, s.tag_end, s.close_start, s.raw_name, s.self_closing, s.attrs) for s in spans]


@st.composite
def stretches(draw: st.DrawFn, text: str, spans: list[Span]) -> tuple[int, int]:
    """Inside an element's content or an attribute value most of the time (where moving applies), else anywhere."""
    pick = draw(st.integers(0, 2))
    elements_ = [s for s in spans if s.kind == "element"]
    if pick == 0 and elements_:
        s = draw(st.sampled_from(elements_))
        lo, hi = s.tag_end, max(s.tag_end, s.close_start)
    elif pick == 1 and any(s.attrs for s in elements_):
        s = draw(st.sampled_from([s for s in elements_ if s.attrs]))
        lo, hi, _ = draw(st.sampled_from(list(s.attrs.values())))
    else:
        lo, hi = 0, len(text)
    a = draw(st.integers(lo, hi))
    return a, draw(st.integers(a, hi))


@given(st.data(), xml_docs())
@settings(max_examples=400, deadline=None)
def test_moved_spans_are_what_a_scan_finds(data: st.DataObject, text: str) -> None:
    spans = scan(text)
    edits: list[Edit] = []
    for _ in range(data.draw(st.integers(1, 2))):
        a, b = data.draw(stretches(text, spans))
        if all(b <= e.start or a >= e.end for e in edits):
            edits.append(Edit(a, b, data.draw(replacements)))
    edits.sort(key=lambda e: (e.start, e.end))
    moved = moved_spans(spans, text, edits)
    if moved is None:
        return
    new = text
    for e in reversed(edits):
        new = new[: e.start] + e.text + new[e.end :]
    assert fields(moved) == fields(scan(new))


@pytest.mark.parametrize("tree", all_tree_params())
def test_set_text_and_set_attr_move_spans_on_real_files(tree: Path) -> None:
    rng = random.Random(tree.name)
    for path in sorted(tree.rglob("*.xml")):
        doc = Doc(path.read_bytes(), where=str(path))
        leaves = [n for n in doc.nodes if isinstance(n.tag, str) and not elements(n) and not doc.span(n).self_closing]
        for el in rng.sample(leaves, min(len(leaves), 8)):
            s = doc.span(el)
            if "<" in doc.text[s.tag_end : s.close_start] or s.tag_end == s.close_start:
                continue  # a comment or CDATA inside, or empty: scanned again (below)
            for value in ("x", "a much longer value than before"):
                after = doc.apply(text_edits(doc, el, value))
                assert not after.scanned and fields(after.spans) == fields(scan(after.text)), (path, el.tag)
            for a, b, _ in list(s.attrs.values())[:2]:
                if a < b:
                    after = doc.apply([Edit(a, b, "changed value")])
                    assert not after.scanned and fields(after.spans) == fields(scan(after.text)), path


@pytest.mark.parametrize("text, edit", [
    ("<a><!--<b/>--></a>", Edit(4, 7, "")),  # uncomment: '!--' removed from '<!--'
    ("<a><!--<b/>--></a>", Edit(11, 13, "")),  # and '--' from '-->'
    ("<a><b/></a>", Edit(4, 4, "!--")),  # comment out: an insertion
    ("<a>x</a>", Edit(3, 3, "y")),  # an insertion at a boundary: before or after it?
    ("<a></a>", Edit(3, 3, "y")),  # an empty element gains text
    ("<a><![CDATA[x]]></a>", Edit(12, 13, "y")),  # inside CDATA
    ("<a>x<b/>y</a>", Edit(3, 4, "z")),  # text beside a child
    ('<a v="1"/>', Edit(6, 7, '"')),  # a quote in a value
    ("<a>1</a>", Edit(3, 4, "<b/>")),  # new markup
])
def test_edits_that_touch_markup_are_scanned_again(text: str, edit: Edit) -> None:
    assert moved_spans(scan(text), text, [edit]) is None


def test_the_second_run_checks_moved_spans_against_a_scan() -> None:
    doc = Doc(b"<a>\n  <b>1</b>\n  <c>2</c>\n</a>\n", where="t.xml")
    after = doc.apply(text_edits(doc, doc.xpath("/a/b")[0], "10"))
    assert not after.scanned
    assert replan_doc(after).raw == after.raw
    last = after.spans[-1]
    after.spans[-1] = Span(last.kind, last.start + 1, last.end + 1, last.tag_end + 1, last.close_start + 1,
                           last.raw_name)
    with pytest.raises(InternalError, match="moved node positions differ"):
        replan_doc(after)
