"""Every operation: a test that it applies, and a twin that shows a second run changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.test_xmlio import xml_docs
from wso2patch.edits import elements, text_value
from wso2patch.errors import PatchError
from wso2patch.ops import (
    CommentOut,
    Ensure,
    Op,
    ReplaceChildren,
    SetAttr,
    SetText,
    Uncomment,
    apply_op,
)
from wso2patch.xmlio import Doc
from wso2patch.xmlparse import parse_fragment


def doc(text: str, encoding: str = "utf-8") -> Doc:
    return Doc(text.encode(encoding), where="test.xml")


def el(xml: str) -> Any:
    return parse_fragment(xml, where="template")


def run_twice(text: str, op: Op) -> str:
    """Apply once (must report applied), then again (must report already and change nothing)."""
    first, outcome = apply_op(doc(text), op)
    assert outcome == "applied"
    second, again = apply_op(first, op)
    assert again == "already"
    assert second.raw == first.raw
    return first.text


AXIS2 = """<axisconfig>
    <clustering class="Agent"
                enable="false">
        <parameter name="membershipScheme">multicast</parameter>
        <members>
            <member>
                <hostName>127.0.0.1</hostName>
                <port>4000</port>
            </member>
        </members>
    </clustering>
</axisconfig>
"""


# --- set_text -----------------------------------------------------------------------------------------
def test_set_text_applies_and_changes_only_the_value() -> None:
    out = run_twice(AXIS2, SetText("/axisconfig/clustering/parameter[@name='membershipScheme']", "wka"))
    assert out == AXIS2.replace(">multicast<", ">wka<")


def test_set_text_escapes_markup_and_reads_back() -> None:
    out = run_twice("<a><b>x</b></a>", SetText("/a/b", "p&q<r>"))
    assert out == "<a><b>p&amp;q&lt;r&gt;</b></a>"
    assert doc(out).tree.find("b").text == "p&q<r>"


def test_set_text_fills_a_self_closing_element() -> None:
    assert run_twice('<a><b x="1" /></a>', SetText("/a/b", "v")) == '<a><b x="1" >v</b></a>'


def test_set_text_already_when_equal() -> None:
    d = doc(AXIS2)
    same, outcome = apply_op(d, SetText("/axisconfig/clustering/parameter", "multicast"))
    assert outcome == "already" and same is d


def test_set_text_keeps_crlf_and_latin1_bytes() -> None:
    raw = '<?xml version="1.0" encoding="ISO-8859-1"?>\r\n<a>\r\n  <!-- caf\xe9 -->\r\n  <b>1</b>\r\n</a>'
    d = Doc(raw.encode("latin-1"), where="t.xml")
    new, _ = apply_op(d, SetText("/a/b", "2"))
    assert new.raw == raw.replace("<b>1</b>", "<b>2</b>").encode("latin-1")


def test_set_text_non_latin1_value_becomes_a_character_reference() -> None:
    raw = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<a><b>1</b></a>\n'
    new, _ = apply_op(Doc(raw, where="t.xml"), SetText("/a/b", "\u20ac"))
    assert new.raw == raw.replace(b">1<", b">&#8364;<")
    assert new.tree.find("b").text == "\u20ac"
    assert apply_op(new, SetText("/a/b", "\u20ac"))[1] == "already"


@pytest.mark.parametrize("xpath, found", [("/a/missing", 0), ("/a/b", 2)])
def test_set_text_requires_exactly_one_match(xpath: str, found: int) -> None:
    with pytest.raises(PatchError, match=f"matched {found} elements"):
        apply_op(doc("<a><b>1</b><b>2</b></a>"), SetText(xpath, "x"))


# --- set_attr -----------------------------------------------------------------------------------------
def test_set_attr_on_a_split_start_tag_keeps_the_layout() -> None:
    out = run_twice(AXIS2, SetAttr("/axisconfig/clustering", "enable", "true"))
    assert out == AXIS2.replace('enable="false"', 'enable="true"')


def test_set_attr_keeps_single_quotes() -> None:
    assert run_twice("<a><b x='1'/></a>", SetAttr("/a/b", "x", "it's")) == "<a><b x='it&apos;s'/></a>"


def test_set_attr_adds_a_missing_attribute() -> None:
    assert run_twice('<a><b x="1"/><c/></a>', SetAttr("/a/b", "y", "2")) == '<a><b x="1" y="2"/><c/></a>'
    assert run_twice("<a><c/></a>", SetAttr("/a/c", "y", "2")) == '<a><c y="2"/></a>'


# --- ensure -------------------------------------------------------------------------------------------
CARBON = """<?xml version="1.0" encoding="ISO-8859-1"?>
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <Name>X</Name>
    <!--HostName>www.wso2.org</HostName-->

    <Ports>
        <Offset>0</Offset>
    </Ports>
</Server>
"""


def test_ensure_inserts_after_its_commented_twin_in_the_default_namespace() -> None:
    op = Ensure("/Server", el("<HostName>10.0.0.1</HostName>"),
                after="comment()[starts-with(normalize-space(), 'HostName>')]")
    out = run_twice(CARBON, op)
    assert out == CARBON.replace("</HostName-->\n", "</HostName-->\n    <HostName>10.0.0.1</HostName>\n")
    ns = {"c": "http://wso2.org/projects/carbon/carbon.xml"}
    real: Any = etree.fromstring(out.encode("latin-1"))  # a plain parse: the new element is in the carbon namespace
    assert [e.text for e in real.xpath("/c:Server/c:HostName", namespaces=ns)] == ["10.0.0.1"]


def test_ensure_updates_in_place_and_never_duplicates() -> None:
    op = Ensure("/Server", el("<HostName>10.0.0.2</HostName>"))
    start = CARBON.replace("<Name>X</Name>", "<Name>X</Name>\n    <HostName>old</HostName>")
    out = run_twice(start, op)
    assert out == start.replace(">old<", ">10.0.0.2<")


DS = """<datasources-configuration>
    <datasources>

        <datasource>
            <name>A</name>
            <definition type="RDBMS">
                <configuration>
                    <url>jdbc:h2:x</url>
                    <maxActive>50</maxActive>
                </configuration>
            </definition>
        </datasource>

    </datasources>
</datasources-configuration>
"""
WANT_A = el("""<datasource><name>A</name><definition type="RDBMS"><configuration>
  <url>jdbc:mysql://db/A</url><username>u</username><password>p</password>
</configuration></definition></datasource>""")


def test_ensure_merges_into_an_existing_entry_keeping_other_children() -> None:
    out = run_twice(DS, Ensure("/datasources-configuration/datasources", WANT_A, key="normalize-space(name)",
                               create=False))
    assert out == DS.replace(
        "<url>jdbc:h2:x</url>",
        "<url>jdbc:mysql://db/A</url>\n                    <username>u</username>\n"
        "                    <password>p</password>")


def test_ensure_create_false_refuses_a_missing_entry() -> None:
    op = Ensure("/datasources-configuration/datasources", el("<datasource><name>B</name></datasource>"),
                key="normalize-space(name)", create=False)
    with pytest.raises(PatchError, match="no element <datasource> with normalize-space"):
        apply_op(doc(DS), op)


def test_ensure_adds_a_keyed_entry_after_the_anchor_set_apart_like_it() -> None:
    op = Ensure("/datasources-configuration/datasources", el("<datasource><name>B</name></datasource>"),
                key="normalize-space(name)", after="datasource")
    out = run_twice(DS, op)
    want = ("        </datasource>\n\n        <datasource>\n            <name>B</name>\n"
            "        </datasource>\n\n    </datasources>")
    assert want in out


def test_ensure_refuses_duplicates_already_in_the_file() -> None:
    twice = DS.replace("<datasources>\n", "<datasources>\n<datasource><name>A</name></datasource>\n")
    with pytest.raises(PatchError, match="2 elements <datasource>"):
        apply_op(doc(twice), Ensure("/datasources-configuration/datasources", WANT_A, key="normalize-space(name)"))


def test_ensure_into_empty_and_self_closing_parents() -> None:
    want = "<a>\n  <b>\n    <c>1</c>\n  </b>\n</a>\n"
    assert run_twice("<a>\n  <b/>\n</a>\n", Ensure("/a/b", el("<c>1</c>"))) == want
    assert run_twice("<a>\n  <b></b>\n</a>\n", Ensure("/a/b", el("<c>1</c>"))) == \
        "<a>\n  <b>\n    <c>1</c>\n  </b>\n</a>\n"


def test_a_new_empty_element_is_written_short_where_its_siblings_are() -> None:
    """axis2.xml's clustering properties are all <property .../>: a new one too; elsewhere <x></x> as before."""
    props = '<p>\n    <property name="a" value="1"/>\n    <!--property name="b" value="2"/-->\n</p>\n'
    new = el('<property name="b" value="3"/>')
    out = run_twice(props, Ensure("/p", new, key="@name", after="property | comment()"))
    assert out == props.replace("-->\n", '-->\n    <property name="b" value="3"/>\n')
    mixed = '<p>\n    <property name="a" value="1"/>\n    <property name="c"></property>\n</p>\n'
    assert '<property name="b" value="3"></property>' in run_twice(mixed, Ensure("/p", new, key="@name"))
    assert "<c></c>" in run_twice("<p>\n    <a>1</a>\n</p>\n", Ensure("/p", el("<c/>")))


def test_ensure_copies_tab_indentation_and_crlf() -> None:
    text = "<a>\r\n\t<b>\r\n\t\t<x>1</x>\r\n\t</b>\r\n</a>\r\n"
    out = run_twice(text, Ensure("/a/b", el("<y><z>2</z></y>"), after="x"))
    assert out == "<a>\r\n\t<b>\r\n\t\t<x>1</x>\r\n\t\t<y>\r\n\t\t\t<z>2</z>\r\n\t\t</y>\r\n\t</b>\r\n</a>\r\n"


# --- replace_children ---------------------------------------------------------------------------------
def members(*peers: tuple[str, int]) -> ReplaceChildren:
    return ReplaceChildren("/axisconfig/clustering/members", tuple(
        el(f"<member><hostName>{h}</hostName><port>{p}</port></member>") for h, p in peers))


def test_replace_children_sets_exactly_the_peers() -> None:
    out = run_twice(AXIS2, members(("10.0.0.2", 4003), ("10.0.0.3", 4004)))
    assert out.count("<member>") == 2
    assert ("        <members>\n            <member>\n                <hostName>10.0.0.2</hostName>\n"
            "                <port>4003</port>\n            </member>\n            <member>\n") in out
    assert out.endswith("            </member>\n        </members>\n    </clustering>\n</axisconfig>\n")


def test_replace_children_with_nothing_leaves_an_empty_list() -> None:
    out = run_twice(AXIS2, members())
    assert "<members>\n        </members>" in out


def test_replace_children_keeps_comments_and_already_when_equal() -> None:
    text = AXIS2.replace("<members>\n", "<members>\n            <!-- peers -->\n")
    out = run_twice(text, members(("10.0.0.2", 4003)))
    assert "<!-- peers -->" in out
    assert apply_op(doc(AXIS2), members(("127.0.0.1", 4000)))[1] == "already"

def test_replace_children_reads_a_value_beside_a_comment() -> None:
    text = AXIS2.replace("<port>4000</port>", "<port><!-- Hazelcast -->4000</port>")
    assert apply_op(doc(text), members(("127.0.0.1", 4000)))[1] == "already"


# --- comment_out / uncomment --------------------------------------------------------------------------
CARBON_DB = ("/datasources-configuration/datasources", "datasource[normalize-space(name)='A']")


def test_comment_out_changes_only_the_first_and_last_line() -> None:
    out = run_twice(DS, CommentOut(*CARBON_DB))
    assert out == DS.replace("<datasource>", "<!--datasource>").replace("</datasource>", "</datasource-->")


def test_uncomment_restores_the_exact_bytes() -> None:
    commented = run_twice(DS, CommentOut(*CARBON_DB))
    assert run_twice(commented, Uncomment(*CARBON_DB)) == DS


def test_uncomment_the_block_comment_form_drops_the_marker_lines() -> None:
    block = DS.replace("        <datasource>", "<!--\n        <datasource>").replace(
        "        </datasource>\n", "        </datasource>\n-->\n")
    assert run_twice(block, Uncomment(*CARBON_DB)) == DS


def test_comment_out_refuses_an_element_holding_a_comment() -> None:
    with pytest.raises(PatchError, match="contains '--'"):
        apply_op(doc(DS.replace("<name>A</name>", "<name>A</name><!-- x -->")), CommentOut(*CARBON_DB))


def test_comment_out_and_uncomment_report_missing_elements() -> None:
    with pytest.raises(PatchError, match="active or commented out"):
        apply_op(doc(DS), CommentOut(CARBON_DB[0], "datasource[name='B']"))
    with pytest.raises(PatchError, match="found 0 commented-out"):
        apply_op(doc(DS), Uncomment(CARBON_DB[0], "datasource[name='B']"))


# --- properties ---------------------------------------------------------------------------------------
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n&<>\"'"), max_size=40)


@given(value=xml_text)
@settings(max_examples=150, deadline=None)
def test_set_text_round_trips_any_value_and_is_idempotent(value: str) -> None:
    d = doc(AXIS2)
    new, _ = apply_op(d, SetText("/axisconfig/clustering/parameter", value))
    assert new.tree.find("clustering/parameter").text in (value or None, value)
    assert apply_op(new, SetText("/axisconfig/clustering/parameter", value))[1] == "already"
    head = AXIS2.index('">multicast') + 2
    assert new.text[:head] == AXIS2[:head]
    assert new.text.endswith(AXIS2[AXIS2.index("</parameter>"):])


@given(name=st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True), indent=st.sampled_from(["  ", "    ", "\t"]),
       eol=st.sampled_from(["\n", "\r\n", "\r"]))
@settings(max_examples=80, deadline=None)
def test_comment_out_then_uncomment_is_the_identity(name: str, indent: str, eol: str) -> None:
    text = DS.replace("<name>A</name>", f"<name>{name}</name>").replace("    ", indent).replace("\n", eol)
    select = (CARBON_DB[0], f"datasource[normalize-space(name)='{name}']")
    commented = run_twice(text, CommentOut(*select))
    assert run_twice(commented, Uncomment(*select)) == text



# --- set_text keeps what else the element holds (issue item 12) ----------------------------------------------------
OFFSET = CARBON.replace("<Offset>0</Offset>", "<Offset>0<!-- 0 unless several nodes share a host --></Offset>")


@pytest.mark.parametrize("before, after", [
    ("<Offset>0<!-- c --></Offset>", "<Offset>3<!-- c --></Offset>"),
    ("<Offset><!-- c -->0</Offset>", "<Offset><!-- c -->3</Offset>"),
    ("<Offset><?pi x?>0</Offset>", "<Offset><?pi x?>3</Offset>"),
    ("<Offset>0<!-- a -->0<?pi?></Offset>", "<Offset>3<!-- a --><?pi?></Offset>"),  # the value was "00"
    ("<Offset><!-- empty --></Offset>", "<Offset>3<!-- empty --></Offset>"),
    ("<Offset>\n  <!-- c -->\n  0\n</Offset>", "<Offset><!-- c -->3</Offset>"),  # whitespace was part of the value
])
def test_set_text_keeps_comments_and_pis_inside_the_element(before: str, after: str) -> None:
    out = run_twice(CARBON.replace("<Offset>0</Offset>", before), SetText("/Server/Ports/Offset", "3"))
    assert out == CARBON.replace("<Offset>0</Offset>", after)


@pytest.mark.parametrize("inside", ["0<!-- c -->", "<!-- c -->0", "<?pi x?>0", "<![CDATA[0]]>", "<!--a-->0<!--b-->"])
def test_set_text_leaves_the_element_alone_when_the_value_matches(inside: str) -> None:
    d = doc(CARBON.replace("<Offset>0</Offset>", f"<Offset>{inside}</Offset>"))
    same, outcome = apply_op(d, SetText("/Server/Ports/Offset", "0"))
    assert outcome == "already" and same is d


@pytest.mark.parametrize("value, written", [
    ("n&w]]>pw", "<![CDATA[n&w]]]]><![CDATA[>pw]]>"),  # ']]>' split across two sections
    ("a\rb", "a&#13;b"),  # CDATA cannot hold a CR: it would read back as LF
    ("\u20ac", "&#8364;"),  # not ISO-8859-1: a reference, which CDATA would show literally
])
def test_set_text_keeps_a_cdata_section_when_it_can(value: str, written: str) -> None:
    text = CARBON.replace("<Name>X</Name>", "<Name><![CDATA[old&]]></Name>")
    d, _ = apply_op(Doc(text.encode("latin-1"), where="t.xml"), SetText("/Server/Name", value))
    assert d.text == text.replace("<![CDATA[old&]]>", written) and d.tree.find("Name").text == value
    assert apply_op(d, SetText("/Server/Name", value)) == (d, "already")


def test_set_text_keeps_a_cdata_section_set_apart_by_whitespace() -> None:
    text = "<a>\n  <pw>\n    <![CDATA[old]]>\n  </pw>\n</a>\n"  # the whitespace was part of the value
    assert run_twice(text, SetText("/a/pw", "n&w")) == "<a>\n  <pw><![CDATA[n&w]]></pw>\n</a>\n"


@pytest.mark.parametrize("op, written", [
    (SetText("/a/b", "x\ry"), '<b v="1">x&#13;y</b>'),
    (SetText("/a/b", "x\r\ny"), '<b v="1">x&#13;\ny</b>'),
    (SetAttr("/a/b", "v", "x\ry"), '<b v="x&#13;y">1</b>'),
    (Ensure("/a", el("<b>x&#13;y</b>")), '<b v="1">x&#13;y</b>'),
])
def test_a_cr_in_a_value_converges(op: Op, written: str) -> None:
    assert run_twice('<a><b v="1">1</b></a>', op) == f"<a>{written}</a>"


@pytest.mark.parametrize("op", [SetText("/a/b", "x\x0cy"), SetAttr("/a/b", "v", "\x01"), SetText("/a/b", "\ufffe")])
def test_a_character_xml_cannot_hold_is_refused_before_anything_is_written(op: Op) -> None:
    with pytest.raises(PatchError, match=r"the value holds U\+[0-9A-F]{4}, which XML 1.0 cannot hold"):
        apply_op(doc('<a><b v="1">1</b></a>'), op)


# --- set_attr on namespaced attributes ------------------------------------------------------------------------------
SV = "http://org.wso2.securevault/configuration"
VAULT = f"""<datasources-configuration xmlns:svns="{SV}">
    <datasource>
        <password svns:secretAlias="Old.Alias">x</password>
        <username>u</username>
    </datasource>
</datasources-configuration>
"""


@pytest.mark.parametrize("name, namespaces", [
    ("svns:secretAlias", ()),  # the file's own prefix
    (f"{{{SV}}}secretAlias", ()),  # lxml's name for it
    ("vault:secretAlias", (("vault", SV),)),  # the patch's prefix for the same namespace
    ("svns:secretAlias", (("svns", SV),)),
])
def test_set_attr_on_a_prefixed_attribute_converges(name: str, namespaces: tuple[tuple[str, str], ...]) -> None:
    op = SetAttr("//password", name, "New.Alias", *([namespaces] if namespaces else []))
    out = run_twice(VAULT, op)
    assert out == VAULT.replace("Old.Alias", "New.Alias")


def test_set_attr_adds_a_namespaced_attribute_with_the_files_prefix() -> None:
    out = run_twice(VAULT, SetAttr("//username", "vault:secretAlias", "U", (("vault", SV),)))
    assert out == VAULT.replace("<username>", '<username svns:secretAlias="U">')


def test_set_attr_declares_a_namespace_the_file_lacks_without_rebinding_a_prefix() -> None:
    text = '<a xmlns:svns="urn:other">\n  <b svns:x="1"/>\n</a>\n'
    out = run_twice(text, SetAttr("/a/b", "svns:secretAlias", "A", (("svns", SV),)))
    assert out == text.replace('svns:x="1"', f'svns:x="1" xmlns:svns1="{SV}" svns1:secretAlias="A"')
    assert run_twice("<a><b/></a>", SetAttr("/a/b", f"{{{SV}}}secretAlias", "A")) == \
        f'<a><b xmlns:ns="{SV}" ns:secretAlias="A"/></a>'


@pytest.mark.parametrize("name, says", [("nope:x", "namespace prefix 'nope' of nope:x is not declared"),
                                        ("xmlns:svns", "cannot set the namespace declaration")])
def test_set_attr_refuses_unknown_prefixes_and_declarations(name: str, says: str) -> None:
    with pytest.raises(PatchError, match=says):
        apply_op(doc(VAULT), SetAttr("//password", name, "v"))


def test_ensure_with_a_namespaced_attribute_converges_and_writes_the_files_prefix() -> None:
    want = el(f'<datasource xmlns:v="{SV}"><password v:secretAlias="New">x</password><url v:secretAlias="U">'
              "jdbc</url></datasource>")
    out = run_twice(VAULT, Ensure("/datasources-configuration", want))
    assert out == VAULT.replace("Old.Alias", "New").replace(  # after its template sibling
        "</password>", '</password>\n        <url svns:secretAlias="U">jdbc</url>')


def test_uncomment_an_element_whose_prefix_only_comments_use() -> None:
    text = VAULT.replace('<password svns:secretAlias="Old.Alias">x</password>',
                         '<!--password svns:secretAlias="Old.Alias">x</password-->')
    out = run_twice(text, Uncomment("/datasources-configuration/datasource", "password"))
    assert out == VAULT  # lxml dropped the declaration nothing active uses; the file's text still has it


# --- ensure with a template that repeats a tag ----------------------------------------------------------------------
LIST = "<a>\n  <list>\n    <Property>a</Property>\n  </list>\n</a>\n"


def test_ensure_matches_repeated_children_by_position() -> None:
    op = Ensure("/a", el("<list><Property>a</Property><Property>b</Property></list>"))
    assert run_twice(LIST, op) == LIST.replace("</Property>\n", "</Property>\n    <Property>b</Property>\n")
    two = LIST.replace("<Property>a</Property>", "<Property>x</Property>\n    <Property>y</Property>")
    assert run_twice(two, op) == LIST.replace("<Property>a</Property>", "<Property>a</Property>\n"
                                                                        "    <Property>b</Property>")


def test_ensure_with_repeated_named_children_keeps_the_ones_it_does_not_mention() -> None:
    text = LIST.replace("<Property>a</Property>", '<Property name="p">1</Property>\n    <Property name="p">2</Property>'
                        '\n    <Property name="p">3</Property>')
    op = Ensure("/a", el('<list><Property name="p">1</Property><Property name="p">9</Property></list>'))
    assert run_twice(text, op) == text.replace(">2<", ">9<")


# --- CR-only files: new lines use CR, removals take their own line --------------------------------------------------
def test_ensure_and_replace_children_in_a_cr_only_file() -> None:
    text = "<a>\r\t<b>\r\t\t<x>1</x>\r\t</b>\r</a>\r"
    out = run_twice(text, Ensure("/a/b", el("<y><z>2</z></y>"), after="x"))
    assert out == "<a>\r\t<b>\r\t\t<x>1</x>\r\t\t<y>\r\t\t\t<z>2</z>\r\t\t</y>\r\t</b>\r</a>\r"
    assert run_twice(text, ReplaceChildren("/a/b", (el("<w>3</w>"),))) == "<a>\r\t<b>\r\t\t<w>3</w>\r\t</b>\r</a>\r"


def test_uncomment_the_block_form_in_a_cr_only_file_drops_the_marker_lines() -> None:
    plain = DS.replace("\n", "\r")
    block = plain.replace("        <datasource>", "<!--\r        <datasource>").replace(
        "        </datasource>\r", "        </datasource>\r-->\r")
    assert run_twice(block, Uncomment(*CARBON_DB)) == plain


# --- set_text on generated documents --------------------------------------------------------------------------------
def position_path(node: Any) -> str:
    """An XPath to node by positions only (generated names may carry prefixes the XPath could not resolve)."""
    steps = []
    while (parent := node.getparent()) is not None:
        steps.append(f"*[{elements(parent).index(node) + 1}]")
        node = parent
    return "/*/" + "/".join(reversed(steps)) if steps else "/*"


@given(text=xml_docs(), value=xml_text, data=st.data())
@settings(max_examples=150, deadline=None)
def test_set_text_on_any_leaf_converges_and_keeps_everything_else(text: str, value: str, data: st.DataObject) -> None:
    d = doc(text)
    leaves = [n for n in d.tree.getroot().iter(tag=etree.Element) if not elements(n)]
    leaf = data.draw(st.sampled_from(leaves))
    path = position_path(leaf)
    new, outcome = apply_op(d, SetText(path, value))
    got = new.xpath(path)[0]
    assert text_value(got) == value
    assert [(k.tag, k.text) for k in got] == [(k.tag, k.text) for k in leaf]  # comments and PIs kept, in order
    s, t = d.span(leaf), new.span(got)
    assert new.text[: t.start] == text[: s.start] and new.text[t.end :] == text[s.end :]
    again, outcome2 = apply_op(new, SetText(path, value))
    assert outcome2 == "already" and again is new
    assert outcome == ("already" if text_value(leaf) == value else "applied")


def test_every_operation_class_has_its_apply_function() -> None:
    import typing

    from wso2patch import ops

    assert set(typing.get_args(ops.Op)) == set(ops._APPLY)
