"""Safe parsing: encodings, exact spans matched to lxml's nodes, refusals with file:line:column."""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.conftest import all_tree_params
from wso2patch.edits import attr_names, elements, text_value
from wso2patch.errors import ConfigError
from wso2patch.spans import scan
from wso2patch.splices import Edit
from wso2patch.xmlio import Doc
from wso2patch.xmltext import detect_eol, line_number


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
PREFIXES = {"p": "urn:p", "q": "urn:q&amp;x"}  # the second URI holds a reference
qnames = st.tuples(st.sampled_from(["", "p:", "q:"]), names).map("".join)
attr_values = st.lists(st.sampled_from(["1", "a>b", "x", "", "'", '"', "&amp;", "&lt;", "&#62;", "&#x41;", "&quot;",
                                        "&apos;", "]]>", "\u00e9", "a b"]), max_size=3).map("".join)
texts = st.lists(st.sampled_from([" text ", "&lt;b&gt;", "&amp;", "&#169;", "&#x3c;", "]", "'\"", "\u20ac", "\n",
                                  "\r\n", "\r"]), min_size=1, max_size=3).map("".join)
comments = st.sampled_from(["<!-- c -->", "<!--it's ] > <x>-->", "<!---->", "<!-- - -->"])
pis = st.sampled_from(["<?pi?>", "<?pi it's ] > \" ?>", "<?xml-stylesheet href='a.xsl'?>", "<?p <a>?>"])
cdatas = st.sampled_from(["<![CDATA[]]>", "<![CDATA[<b> & ]] ]>]]>", "<![CDATA[\r\n]]>"])
subsets = st.sampled_from(["", " []", " [<!-- it's ] -->]", " [<!ELEMENT a ANY><?pi ] ' ?>]",
                           ' [<!ATTLIST x v CDATA "]>\'">]'])


def quote(value: str) -> str:
    return f"'{value}'" if '"' in value and "'" not in value else '"' + value.replace('"', "&quot;") + '"'


@st.composite
def elements_(draw: st.DrawFn, depth: int = 0, root: bool = False) -> str:
    tag = draw(qnames)
    decls = "".join(f' xmlns:{p}="{u}"' for p, u in PREFIXES.items()) if root else ""
    decls += ' xmlns="urn:default"' if root and draw(st.booleans()) else ""
    attrs = "".join(f"{draw(st.sampled_from([' ', chr(10) + '  ', chr(9)]))}{k}={quote(draw(attr_values))}"
                    for k in draw(st.lists(qnames, max_size=3, unique_by=lambda n: n)))
    kids = draw(st.lists(st.deferred(lambda: elements_(depth + 1)) | comments | pis | cdatas | texts,
                         max_size=4 if depth < 3 else 0))
    if not kids and draw(st.booleans()):
        return f"<{tag}{decls}{attrs}/>"
    return f"<{tag}{decls}{attrs}>{''.join(kids)}</{tag}>"


@st.composite
def xml_docs(draw: st.DrawFn) -> str:
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    head = '<?xml version="1.0" encoding="UTF-8"?>' + eol if draw(st.booleans()) else ""
    subset = draw(subsets)
    if subset or draw(st.booleans()):
        head += f"<!DOCTYPE r{subset}>{eol}"
    misc = st.lists(comments | pis, max_size=2).map(eol.join)
    return f"{head}{draw(misc)}{eol}{draw(elements_(root=True))}{eol}{draw(misc)}"


def _eols(raw: str) -> str:
    return re.sub(r"\r\n?", "\n", raw)


def _decoded(raw: str) -> str:
    """Character data as a parser reads it: line ends normalised, then references expanded outside CDATA."""
    parts = re.split(r"<!\[CDATA\[(.*?)\]\]>", _eols(raw), flags=re.S)
    return "".join(html.unescape(p) if i % 2 == 0 else p for i, p in enumerate(parts))


def _attr_value(raw: str) -> str:
    return html.unescape(re.sub(r"\r\n|[\t\n\r]", " ", raw))  # normalised before references are expanded


@given(xml_docs())
@settings(max_examples=300, deadline=None)
def test_scanner_agrees_with_lxml_on_generated_documents(text: str) -> None:
    doc = Doc(text.encode(), where="gen.xml")  # raises InternalError if the node counts differ
    for node in doc.nodes:
        s = doc.span(node)
        raw = doc.text[s.start : s.end]
        if node.tag is etree.Comment:
            assert _eols(raw) == f"<!--{node.text}-->"
        elif node.tag is etree.PI:
            assert _eols(raw) == f"<?{node.target}{' ' + node.text if node.text else ''}?>"
        else:
            assert raw.startswith(f"<{s.raw_name}") and raw.endswith(f"</{s.raw_name}>" if not s.self_closing else "/>")
            written = {n: _attr_value(doc.text[a:b]) for n, (a, b, _) in s.attrs.items() if "xmlns" not in n}
            assert {doc_name(doc, node, n): v for n, v in written.items()} == dict(node.attrib)
            if not elements(node):
                pieces = [s.tag_end, *(x for k in node for x in (doc.span(k).start, doc.span(k).end)), s.close_start]
                content = "".join(doc.text[a:b] for a, b in zip(pieces[0::2], pieces[1::2], strict=True))
                assert _decoded(content) == (text_value(node) if not s.self_closing else "")


def doc_name(doc: Doc, el: Any, raw: str) -> str:
    return next(k for k, v in attr_names(doc, el).items() if v == raw)


# --- encodings: a byte-order mark and the declaration must agree (issue item 9) -----------------------------------
DECLARED = '<?xml version="1.0" encoding="{}"?>\n<a>\n  <b>caf\u00e9</b>\n</a>\n'
BOM16 = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}


@pytest.mark.parametrize("bom, codec, declared", [
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-8"),  # the case: Java reads the UTF-16 bytes as UTF-8
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "ISO-8859-1"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16LE"),  # the wrong byte order
    (codecs.BOM_UTF8, "utf-8", "ISO-8859-1"),  # Java switches to ISO-8859-1: every non-ASCII byte reads wrong
    (codecs.BOM_UTF8, "utf-8", "UTF-16"),
])
def test_a_byte_order_mark_that_contradicts_the_declaration_is_refused(bom: bytes, codec: str, declared: str) -> None:
    raw = bom + DECLARED.format(declared).encode(codec)
    with pytest.raises(ConfigError) as e:
        Doc(raw, where="t.xml")
    assert e.value.exit_code == 5 and "\n" not in str(e.value)
    assert str(e.value).startswith("t.xml:1:1: the byte-order mark says ")
    assert f'encoding="{declared}"' in str(e.value)


@pytest.mark.parametrize("declared", ["UTF-16", "utf-16", "UTF-32", "ISO-10646-UCS-2"])
def test_a_wide_encoding_declared_in_single_byte_text_is_refused(declared: str) -> None:
    with pytest.raises(ConfigError, match=f'^t.xml:1:1: the XML declaration says encoding="{declared}" but the file '
                                          "is single-byte text"):
        Doc(DECLARED.format(declared).encode("ascii", "replace"), where="t.xml")


@pytest.mark.parametrize("bom, codec, declared", [
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16LE"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16BE"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "ISO-10646-UCS-2"), (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF8, "utf-8", "utf8"),
])
def test_a_byte_order_mark_that_agrees_is_kept_through_an_edit(bom: bytes, codec: str, declared: str) -> None:
    raw = bom + DECLARED.format(declared).encode(codec)
    doc = Doc(raw, where="t.xml")
    assert doc.encoding == codec and doc.tree.find("b").text == "caf\u00e9"
    s = doc.span(doc.xpath("/a/b")[0])
    assert doc.apply([Edit(s.tag_end, s.close_start, "th\u00e9")]).raw == raw.replace(
        "caf\u00e9".encode(codec), "th\u00e9".encode(codec))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_and_no_declaration_stays_utf16(codec: str) -> None:
    raw = BOM16[codec] + "<a>\r\n  <b>caf\u00e9</b>\r\n</a>\r\n".encode(codec)
    doc = Doc(raw, where="t.xml")
    s = doc.span(doc.xpath("/a/b")[0])
    new = doc.apply([Edit(s.tag_end, s.close_start, "\u20ac")])
    assert new.raw == BOM16[codec] + "<a>\r\n  <b>\u20ac</b>\r\n</a>\r\n".encode(codec)


def test_decoding_errors_in_utf16_name_the_right_line() -> None:
    raw = codecs.BOM_UTF16_LE + "<a>\n\u010a\n".encode("utf-16-le") + b"\x00\xd8" + "</a>".encode("utf-16-le")
    with pytest.raises(ConfigError, match=r"^t.xml:3:1: bytes that are not utf-16-le"):
        Doc(raw, where="t.xml")  # 0x0A bytes inside U+010A are no line ends


# --- line ends: CR-only files -----------------------------------------------------------------------------------
def test_eol_detection_knows_lone_cr() -> None:
    assert detect_eol("a\rb\rc\r\n") == "\r" and detect_eol("a\r\nb\n") == "\r\n" and detect_eol("a\rb\n") == "\n"


def test_line_numbers_count_every_xml_line_end() -> None:
    text = "<a>\r<b/>\r\n<c/>\n<d/>\x85<e/>\u2028<f/></a>"  # U+0085 and U+2028 end no line in XML 1.0
    doc = Doc(text.encode(), where="t.xml")
    assert [doc.line_of(doc.xpath(f"/a/{t}")[0]) for t in "bcdef"] == [2, 3, 4, 4, 4]
    assert [line_number(text, text.index(t)) for t in ("<b", "<c", "<d")] == [2, 3, 4]


def test_malformed_xml_in_a_cr_only_file_names_the_line_an_editor_shows() -> None:
    with pytest.raises(ConfigError, match=r"^t.xml:3:10: malformed XML"):
        Doc("<a>\r<b>\r<c>\u00e9\u00e9</a>".encode(), where="t.xml")  # libxml2 alone says 1:18


# --- the scanner (issue item 12) ----------------------------------------------------------------------------------
@pytest.mark.parametrize("subset", [
    "<!-- it's here -->",  # a quote in a comment
    "<!-- a ] and a > -->",  # the subset's end and a '>' in a comment
    "<?pi it's ] > ?>",  # the same in a processing instruction
    '<!ELEMENT a ANY><!ATTLIST a v CDATA "]>\'">',  # in a literal
    "<!--]>--><!ELEMENT b EMPTY>",
])
def test_scanner_skips_a_doctype_internal_subset_whatever_its_comments_hold(subset: str) -> None:
    text = f'<?xml version="1.0"?>\n<!DOCTYPE a [{subset}]>\n<!-- top --><a v="1"><b/></a>'
    doc = Doc(text.encode(), where="t.xml")
    spans = [doc.span(n) for n in doc.nodes]
    assert [text[s.start : s.end] for s in spans] == ["<!-- top -->", '<a v="1"><b/></a>', "<b/>"]
