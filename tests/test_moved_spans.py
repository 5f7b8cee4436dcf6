"""Spans moved instead of scanned after an edit (splices.moved_spans): whenever they are moved, they are exactly what a
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
from wso2patch.splices import Edit, moved_spans
from wso2patch.xmlio import Doc

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
    ("<a><![CDATA[x]]></a>", Edit(12, 13, "y")),  # inside CDATA
    ('<a v="1"/>', Edit(6, 7, '"')),  # a quote in a value
])
def test_edits_that_touch_markup_are_scanned_again(text: str, edit: Edit) -> None:
    assert moved_spans(scan(text), text, [edit]) is None


@pytest.mark.parametrize("text, edit", [
    ("<a>x</a>", Edit(3, 3, "y")),  # text inserted at a boundary
    ("<a></a>", Edit(3, 3, "y")),  # an empty element gains text
    ("<a>x<b/>y</a>", Edit(3, 4, "z")),  # text beside a child
    ("<a>1</a>", Edit(3, 4, "<b/>")),  # new markup
    ("<a>\n  <b/>\n</a>", Edit(3, 10, "")),  # a child removed with its line
    ("<a>\n  <b/>\n</a>", Edit(10, 10, "\n  <c k='1'>t<!-- n --></c>")),  # a child inserted after another
    ("<r><a>\n  <b/>\n</a><z v='1'/></r>", Edit(6, 13, "\n  <c>x</c><d/>")),  # replaced, nodes after move
    ("<r><?p x?><a><!--c--></a></r>", Edit(13, 13, "<b/>")),  # before a comment; a PI before
])
def test_edits_of_whole_nodes_move_spans(text: str, edit: Edit) -> None:
    new = text[: edit.start] + edit.text + text[edit.end :]
    moved = moved_spans(scan(text), text, [edit])
    assert moved is not None and fields(moved) == fields(scan(new))


@pytest.mark.parametrize("text, edit", [
    ("<a><b/></a>", Edit(3, 3, "<b>")),  # left open
    ("<a><b/></a>", Edit(3, 3, "</c>")),  # closes what is not open
    ("<a><b/></a>", Edit(3, 3, "<![CDATA[<]]>")),  # CDATA in the new text
    ("<a><![CDATA[<]]><b/></a>", Edit(16, 16, "<c/>")),  # CDATA in the content
    ("<a><b/></a>", Edit(3, 3, "<?pi?>")),  # a processing instruction
    ("<?x?><a/>", Edit(5, 5, "<b/>")),  # outside the root element
    ("<a><b/><c/></a>", Edit(3, 8, "")),  # half of <c/>
    ("<a><b/><c/></a>", [Edit(3, 3, "<d/>"), Edit(10, 10, "<e/>")]),  # two edits of markup
])
def test_other_edits_of_markup_are_scanned_again(text: str, edit: Edit | list[Edit]) -> None:
    assert moved_spans(scan(text), text, edit if isinstance(edit, list) else [edit]) is None


fragments = st.sampled_from(["", "\n  ", "<x/>", "\n  <y a=\"1\">t</y>", "<!-- c -->", "<z><w/>q</z>", "<b/>"])


@given(st.data(), xml_docs())
@settings(max_examples=400, deadline=None)
def test_whole_nodes_replaced_move_spans_as_a_scan_finds(data: st.DataObject, text: str) -> None:
    """Inside an element's content, from a boundary between nodes to another, replaced by complete markup."""
    spans = scan(text)
    parents = [s for s in spans if s.kind == "element" and not s.self_closing]
    if not parents:
        return
    p = data.draw(st.sampled_from(parents))
    bounds = sorted({p.tag_end, p.close_start, *(s.start for s in spans if p.tag_end <= s.start < p.close_start),
                     *(s.end for s in spans if p.tag_end < s.end <= p.close_start)})
    a = data.draw(st.sampled_from(bounds))
    b = data.draw(st.sampled_from([x for x in bounds if x >= a]))
    edit = Edit(a, b, "".join(data.draw(st.lists(fragments, max_size=3))))
    moved = moved_spans(spans, text, [edit])
    if moved is None:
        return
    assert fields(moved) == fields(scan(text[:a] + edit.text + text[b:]))


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
