"""Safe parsing: encodings, exact spans matched to lxml's nodes, refusals with file:line:column."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.conftest import all_tree_params
from wso2patch.errors import ConfigError
from wso2patch.spans import scan
from wso2patch.xmlio import Doc, Edit, detect_eol


@pytest.mark.parametrize("tree", all_tree_params())
def test_every_stock_file_maps_spans_to_nodes_and_round_trips(tree: Path) -> None:
    for path in sorted(tree.rglob("*.xml")):
        raw = path.read_bytes()
        doc = Doc(raw, where=str(path))
        assert doc.apply([]).raw == raw  # decode + encode is lossless
        for node in doc.nodes:
            s = doc.span(node)
            if node.tag is etree.Comment:
                assert doc.text[s.start : s.end].replace("\r\n", "\n") == f"<!--{node.text}-->"
            elif isinstance(node.tag, str):
                assert doc.text[s.start + 1 :].startswith(s.raw_name)
                for name, (a, b, _) in s.attrs.items():
                    if ":" not in name and name != "xmlns":
                        assert node.get(name) == doc.text[a:b].replace("&quot;", '"').replace("&amp;", "&")


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                        (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_byte_order_marks_survive_an_edit(bom: bytes, codec: str) -> None:
    raw = bom + "<a>\n  <b>1</b>\n</a>\n".encode(codec)
    doc = Doc(raw, where="t.xml")
    s = doc.span(doc.xpath("/a/b")[0])
    assert doc.apply([Edit(s.tag_end, s.close_start, "2")]).raw == bom + "<a>\n  <b>2</b>\n</a>\n".encode(codec)


def test_declared_latin1_is_decoded_as_latin1() -> None:
    raw = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>caf\xe9</a>'
    doc = Doc(raw, where="t.xml")
    assert doc.encoding == "iso8859-1" and doc.tree.getroot().text == "caf\xe9"
    assert doc.apply([]).raw == raw


def test_no_declaration_means_utf8_with_nbsp_in_comments() -> None:
    raw = "<a><!-- MySQL\u00a0data source --><b/></a>".encode()
    assert Doc(raw, where="t.xml").apply([]).raw == raw


@pytest.mark.parametrize("raw, where", [
    (b"<a><b>1</a>", "t.xml:1:"),
    (b'<?xml version="1.0"?>\n<Server>\n  <Ports><Off', "t.xml:3:"),
    (b"", "t.xml:1:1"),
    (b"   \n", "t.xml:1:1"),
    (b"\x00\x01\x02garbage", "t.xml:1:"),
])
def test_malformed_input_names_file_line_and_column(raw: bytes, where: str) -> None:
    with pytest.raises(ConfigError) as e:
        Doc(raw, where="t.xml")
    assert str(e.value).startswith(where)
    assert e.value.exit_code == 5


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE a [<!ENTITY e SYSTEM "http://example.invalid/x">]>',
    '<!DOCTYPE a [<!ENTITY l0 "ha"><!ENTITY l1 "&l0;&l0;&l0;&l0;"><!ENTITY l2 "&l1;&l1;&l1;&l1;">]>',
    '<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd">',
])
def test_doctype_entities_are_refused_never_expanded(doctype: str) -> None:
    raw = f'<?xml version="1.0"?>\n{doctype}\n<a><b>&e;</b></a>'.replace("&e;", "&l2;" if "l2" in doctype else "&e;")
    if "SYSTEM \"http://example.invalid/a.dtd\"" in doctype:
        raw = raw.replace("&e;", "x")
    with pytest.raises(ConfigError, match="t.xml:2:1: DOCTYPE"):
        Doc(raw.encode(), where="t.xml")


def test_a_plain_doctype_is_allowed() -> None:
    assert Doc(b"<!DOCTYPE a>\n<a><b/></a>", where="t.xml").xpath("/a/b")


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown encoding 'x-nope'"):
        Doc(b'<?xml version="1.0" encoding="x-nope"?><a/>', where="t.xml")


def test_eol_detection() -> None:
    assert detect_eol("a\r\nb\r\n") == "\r\n" and detect_eol("a\nb\n") == "\n" and detect_eol("a") == "\n"


def test_scanner_handles_gt_in_attributes_cdata_and_pis() -> None:
    text = '<?xml version="1.0"?><?pi x?><a v="1>2" w=\'"\'><![CDATA[<b>]]><!-- <c> --><d/></a>'
    kinds = [s.kind for s in scan(text)]
    assert kinds == ["pi", "element", "comment", "element"]
    doc = Doc(text.encode(), where="t.xml")
    assert doc.span(doc.xpath("/a")[0]).attrs["v"][2] == '"'


names = st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True)


@st.composite
def xml_docs(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(names)
    attrs = "".join(f'\n  {k}="{draw(st.sampled_from(["1", "a>b", "x"]))}"' if draw(st.booleans()) else f" {k}='v'"
                    for k in draw(st.lists(names, max_size=2, unique=True)))
    kids = draw(st.lists(st.deferred(lambda: xml_docs(depth + 1)) | st.just("<!-- c -->") | st.just(" text "),
                         max_size=3 if depth < 3 else 0))
    return f"<{tag}{attrs}/>" if not kids and draw(st.booleans()) else f"<{tag}{attrs}>{''.join(kids)}</{tag}>"


@given(xml_docs())
@settings(max_examples=200, deadline=None)
def test_scanner_agrees_with_lxml_on_generated_documents(text: str) -> None:
    doc = Doc(text.encode(), where="gen.xml")  # raises InternalError if the node counts differ
    for node in doc.nodes:
        s = doc.span(node)
        if isinstance(node.tag, str):
            assert doc.text[s.start + 1 :].startswith(s.raw_name)
            assert doc.text[s.close_start : s.end] in (f"</{s.raw_name}>", "") or s.self_closing
