"""remove_attr and declare_namespace (the secure vault's operations): each applies, and a second run changes
nothing; set_attr then remove_attr gives back the bytes from before, in every layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_ops import SV, VAULT, doc, run_twice
from wso2patch.errors import PatchError
from wso2patch.ops import DeclareNs, RemoveAttr, RemoveNs, SetAttr, apply_op

DIST = Path(__file__).resolve().parent.parent.parent / "shared" / "wso2-dist"
MULTI = ('<axisconfig name="A">\r\n    <clustering class="Agent"\r\n                enable="false">\r\n'
         '        <parameter name="secretKey">x</parameter>\r\n    </clustering>\r\n</axisconfig>\r\n')


@pytest.mark.parametrize("text, xpath", [
    (VAULT, "//username"),  # inline
    (MULTI, "/axisconfig/clustering"),  # one attribute per line, CRLF
    (MULTI, "//parameter"),
    ("<a><b/></a>", "/a/b"),  # self-closing, no attributes
])
def test_set_attr_then_remove_attr_gives_back_the_bytes(text: str, xpath: str) -> None:
    root = "/" + text.split("<")[1 if not text.startswith("<?") else 2].split()[0].split(">")[0]
    text = apply_op(doc(text), DeclareNs(root, "svns", SV))[0].text  # as the vault patch does first
    added = run_twice(text, SetAttr(xpath, "svns:secretAlias", "A.B", (("svns", SV),)))
    assert added != text
    assert run_twice(added, RemoveAttr(xpath, "svns:secretAlias", (("svns", SV),))) == text


def test_remove_attr_takes_the_files_prefix_and_every_match() -> None:
    text = VAULT.replace("<username>", '<username svns:secretAlias="U">')
    out = run_twice(text, RemoveAttr("//*", f"{{{SV}}}secretAlias"))
    assert out == VAULT.replace(' svns:secretAlias="Old.Alias"', "")


def test_remove_attr_with_no_match_or_no_binding_is_already() -> None:
    for op in (RemoveAttr("//nothing", "x"), RemoveAttr("//password", "other:secretAlias"),
               RemoveAttr("//password", "secretAlias")):  # unprefixed: another attribute than svns:secretAlias
        out, outcome = apply_op(doc(VAULT), op)
        assert outcome == "already" and out.text == VAULT


def test_remove_attr_on_its_own_line_takes_the_line() -> None:
    out = run_twice(MULTI, RemoveAttr("/axisconfig/clustering", "enable"))
    assert out == MULTI.replace('\r\n                enable="false"', "")


def test_declare_namespace_on_the_root() -> None:
    text = '<?xml version="1.0"?>\n<axisconfig name="A">\n    <p/>\n</axisconfig>'
    out = run_twice(text, DeclareNs("/axisconfig", "svns", SV))
    assert out == text.replace('name="A"', f'name="A" xmlns:svns="{SV}"')
    # then set_attr below it writes only the attribute, with the root's prefix
    final = run_twice(out, SetAttr("/axisconfig/p", "svns:secretAlias", "X", (("svns", SV),)))
    assert final == out.replace("<p/>", '<p svns:secretAlias="X"/>')


def test_declare_namespace_keeps_one_attribute_per_line() -> None:
    out = run_twice(MULTI, DeclareNs("/axisconfig/clustering", "svns", SV))
    assert out == MULTI.replace('\r\n                enable', f'\r\n                xmlns:svns="{SV}"\r\n'
                                                             '                enable')


def test_declare_namespace_is_already_where_an_ancestor_binds_it() -> None:
    out, outcome = apply_op(doc(VAULT), DeclareNs("//datasource", "svns", SV))
    assert outcome == "already" and out.text == VAULT


@pytest.mark.parametrize("op, says", [
    (DeclareNs("/datasources-configuration", "svns", "urn:other"), "binds xmlns:svns to"),
    (DeclareNs("//nothing", "svns", SV), "matched 0 elements"),
    (DeclareNs("/datasources-configuration", "xmlfoo", SV), "cannot be a namespace prefix"),
])
def test_declare_namespace_refusals(op: DeclareNs, says: str) -> None:
    with pytest.raises(PatchError, match=says):
        apply_op(doc(VAULT), op)


def test_declare_namespace_on_stock_roots_is_already_or_one_declaration() -> None:
    files = sorted(DIST.glob("*/repository/conf/datasources/master-datasources.xml")) + \
        sorted(DIST.glob("*/repository/conf/axis2/axis2.xml"))
    if not files:
        pytest.skip(f"no stock trees in {DIST}")
    for f in files:
        raw = f.read_bytes()
        root = "/datasources-configuration" if "datasources" in f.name else "/axisconfig"
        out, outcome = apply_op(doc(raw.decode("utf-8")), DeclareNs(root, "svns", SV))
        again, second = apply_op(out, DeclareNs(root, "svns", SV))
        assert second == "already" and again.raw == out.raw
        if outcome == "applied":  # one line changed: the root's start tag
            diff = [(a, b) for a, b in zip(raw.splitlines(), out.raw.splitlines(), strict=True) if a != b]
            assert len(diff) == 1 and diff[0][1] == diff[0][0].replace(b">", f' xmlns:svns="{SV}">'.encode(), 1)


def test_remove_namespace_takes_back_an_unused_declaration_only() -> None:
    text = '<axisconfig name="A">\n    <p/>\n</axisconfig>\n'
    declared = run_twice(text, DeclareNs("/axisconfig", "svns", SV))
    assert run_twice(declared, RemoveNs("/axisconfig", "svns")) == text
    used = run_twice(declared, SetAttr("/axisconfig/p", "svns:secretAlias", "X", (("svns", SV),)))
    out, outcome = apply_op(doc(used), RemoveNs("/axisconfig", "svns"))
    assert outcome == "already" and out.text == used
    out, outcome = apply_op(doc(text), RemoveNs("/axisconfig", "svns"))
    assert outcome == "already" and out.text == text


# --- in patch files ------------------------------------------------------------------------------------------------
PATCH = 'description = "d"\nfile = "repository/conf/axis2/axis2.xml"\n[[op]]\n'


@pytest.mark.parametrize("op, says", [
    ('kind = "set_attr"\nxpath = "/a"\nname = "svns:x"\nvalue = "v"\n', "needs namespace"),
    ('kind = "remove_attr"\nxpath = "/a"\nname = "xmlns:svns"\nnamespace = "urn:x"\n', "namespace declaration"),
    ('kind = "declare_namespace"\nxpath = "/a"\nprefix = "xmlfoo"\nuri = "urn:x"\n', "cannot be a namespace prefix"),
    ('kind = "declare_namespace"\nxpath = "/a"\nprefix = "svns"\nuri = "has space"\n', "is not a namespace URI"),
    ('kind = "remove_namespace"\nxpath = "/a"\n', "remove_namespace needs 'prefix'"),
])
def test_bad_attribute_and_namespace_ops_are_refused_at_load(tmp_path: Path, op: str, says: str) -> None:
    import tomllib

    from wso2patch.patchset_load import parse_patch
    text = PATCH + op
    with pytest.raises(PatchError, match=says):
        parse_patch(tmp_path / "90-x.toml", tomllib.loads(text), text)


def test_the_new_ops_render_from_a_patch_file(tmp_path: Path) -> None:
    import tomllib

    from wso2patch.patchset_load import parse_patch
    text = (PATCH + f'kind = "declare_namespace"\nxpath = "/a"\nprefix = "svns"\nuri = "{SV}"\n'
            f'[[op]]\nkind = "set_attr"\nxpath = "/a/b"\nname = "svns:secretAlias"\nnamespace = "{SV}"\n'
            'value = "{node.host}"\n[[op]]\nkind = "remove_attr"\nxpath = "/a/c"\nname = "svns:secretAlias"\n'
            f'namespace = "{SV}"\n[[op]]\nkind = "remove_namespace"\nxpath = "/a/c"\nprefix = "svns"\n')
    patch = parse_patch(tmp_path / "90-x.toml", tomllib.loads(text), text)
    ops = [s.op for s in patch.render({"node.host": "h"}, [])]
    assert ops == [DeclareNs("/a", "svns", SV), SetAttr("/a/b", "svns:secretAlias", "h", (("svns", SV),)),
                   RemoveAttr("/a/c", "svns:secretAlias", (("svns", SV),)), RemoveNs("/a/c", "svns")]
    out = doc('<a><b/><c xmlns:svns="urn:x" svns:secretAlias="A"/></a>')
    for op in ops:
        assert isinstance(op, DeclareNs | SetAttr | RemoveAttr | RemoveNs)
        out = apply_op(out, op)[0]
    assert out.text == f'<a xmlns:svns="{SV}"><b svns:secretAlias="h"/><c xmlns:svns="urn:x" svns:secretAlias="A"/></a>'
