"""The vocabulary issue 10 added: `remove` (the exact inverse of what `ensure` inserts), a new attribute on a line
of its own where a start tag lays its attributes out one per line, and `when`/`unless` conditions on values."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_ops import AXIS2, DS, doc, el, members, run_twice
from wso2patch.errors import PatchError
from wso2patch.ops import Ensure, Remove, SetAttr, apply_op
from wso2patch.patchset import skip_reason
from wso2patch.patchset_load import load_patch

PARAMS = "/axisconfig/clustering"
NEW = el('<parameter name="KUBERNETES_NAMESPACE">wso2</parameter>')
AFTER = "parameter[@name='membershipScheme' or starts-with(@name, 'KUBERNETES_')]"


def ensure_param(name: str, value: str = "x") -> Ensure:
    return Ensure(PARAMS, el(f'<parameter name="{name}">{value}</parameter>'), key="@name", after=AFTER)


# --- remove -------------------------------------------------------------------------------------------------------
def test_remove_takes_the_element_with_its_own_line() -> None:
    out = run_twice(AXIS2, Remove(PARAMS, "parameter[@name='membershipScheme']"))
    assert out == AXIS2.replace('        <parameter name="membershipScheme">multicast</parameter>\n', "")


def test_remove_takes_every_match_and_is_already_when_none_is_left() -> None:
    two = run_twice(run_twice(AXIS2, ensure_param("KUBERNETES_A")), ensure_param("KUBERNETES_B"))
    assert run_twice(two, Remove(PARAMS, "parameter[starts-with(@name, 'KUBERNETES_')]")) == AXIS2
    assert apply_op(doc(AXIS2), Remove(PARAMS, "parameter[@name='nothing']"))[1] == "already"


def test_remove_every_member_leaves_the_empty_list_the_peers_go_back_into() -> None:
    """wka -> kubernetes (no member) -> wka: the members come back byte for byte."""
    peers = run_twice(AXIS2, members(("10.0.0.2", 4003), ("10.0.0.3", 4004)))
    empty = run_twice(peers, Remove(f"{PARAMS}/members", "member"))
    assert "<members>\n        </members>" in empty
    assert run_twice(empty, members(("10.0.0.2", 4003), ("10.0.0.3", 4004))) == peers


def test_remove_undoes_an_ensure_set_apart_by_a_blank_line() -> None:
    op = Ensure("/datasources-configuration/datasources", el("<datasource><name>B</name></datasource>"),
                key="normalize-space(name)", after="datasource")
    added = run_twice(DS, op)
    assert "</datasource>\n\n        <datasource>\n            <name>B</name>" in added
    assert run_twice(added, Remove("/datasources-configuration/datasources",
                                   "datasource[normalize-space(name)='B']")) == DS


def test_remove_ignores_commented_matches_and_other_parents() -> None:
    text = AXIS2.replace("<members>", '<!--<parameter name="membershipScheme">x</parameter>-->\n        <members>')
    assert apply_op(doc(text), Remove(f"{PARAMS}/members", "*[@name='membershipScheme']"))[1] == "already"
    assert apply_op(doc(text), Remove(PARAMS, "members/member"))[1] == "already"  # a grandchild is not a child


def test_remove_needs_exactly_one_parent() -> None:
    with pytest.raises(PatchError, match="matched 0 elements"):
        apply_op(doc(AXIS2), Remove("/axisconfig/nothing", "member"))


def test_remove_an_element_sharing_its_line() -> None:
    assert run_twice("<a><b/><c/></a>", Remove("/a", "b")) == "<a><c/></a>"


@given(names=st.lists(st.from_regex(r"KUBERNETES_[A-Z]{1,8}", fullmatch=True), min_size=1, max_size=4, unique=True),
       eol=st.sampled_from(["\n", "\r\n", "\r"]), blank=st.booleans(), indent=st.sampled_from(["    ", "\t"]))
@settings(max_examples=80, deadline=None)
def test_ensure_then_remove_is_the_identity(names: list[str], eol: str, blank: bool, indent: str) -> None:
    text = AXIS2.replace("multicast</parameter>\n", "multicast</parameter>\n\n" if blank else
                         "multicast</parameter>\n").replace("    ", indent).replace("\n", eol)
    out = text
    for name in names:
        out = run_twice(out, ensure_param(name))
    assert run_twice(out, Remove(PARAMS, "parameter[starts-with(@name, 'KUBERNETES_')]")) == text


# --- set_attr: attributes one per line ----------------------------------------------------------------------------
CONNECTOR = """<Server>
    <Service>
        <Connector protocol="HTTP/1.1"
                   port="9763"
                   URIEncoding="UTF-8"/>
        <Connector protocol="HTTP/1.1" port="9443" URIEncoding="UTF-8"/>
    </Service>
</Server>
"""


def test_a_new_attribute_gets_its_own_line_where_the_others_have_theirs() -> None:
    out = run_twice(CONNECTOR, SetAttr("/Server/Service/Connector[@port='9763']", "proxyPort", "80"))
    assert out == CONNECTOR.replace('                   URIEncoding="UTF-8"/>\n',
                                    '                   proxyPort="80"\n                   URIEncoding="UTF-8"/>\n', 1)
    assert run_twice(out, SetAttr("/Server/Service/Connector[@port='9763']", "proxyPort", "8080")) == \
        out.replace('proxyPort="80"', 'proxyPort="8080"')


def test_a_new_attribute_on_a_one_line_start_tag_stays_on_that_line() -> None:
    out = run_twice(CONNECTOR, SetAttr("/Server/Service/Connector[@port='9443']", "proxyPort", "443"))
    assert '<Connector protocol="HTTP/1.1" port="9443" URIEncoding="UTF-8" proxyPort="443"/>' in out


def test_a_new_attribute_line_keeps_crlf_and_tabs() -> None:
    text = CONNECTOR.replace("                   ", "\t\t").replace("\n", "\r\n")
    out = run_twice(text, SetAttr("/Server/Service/Connector[@port='9763']", "proxyPort", "80"))
    assert '\t\tport="9763"\r\n\t\tproxyPort="80"\r\n\t\tURIEncoding="UTF-8"/>' in out


# --- when / unless ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("when, unless, values, skipped", [
    (None, None, {}, None),
    ("a", None, {"a": "1"}, None),
    ("a", None, {}, "a is not set in the spec"),
    ("a=x", None, {"a": "x"}, None),
    ("a=x", None, {"a": "y"}, "a is not x"),
    ("a=x", None, {}, "a is not set in the spec"),
    (None, "a", {}, None),
    (None, "a", {"a": "1"}, "a is set in the spec"),
    (None, "a=x", {"a": "x"}, "a is x"),
    (None, "a=x", {"a": "y"}, None),
    (None, "a=x", {}, None),
    ("a", "b", {"a": "1", "b": "2"}, "b is set in the spec"),
    ("a=s3cr3t-value", None, {"a": "other-s3cr3t"}, "a is not s3cr3t-value"),  # the spec's value is never quoted
])
def test_conditions(when: str | None, unless: str | None, values: dict[str, str], skipped: str | None) -> None:
    assert skip_reason(when, unless, values) == skipped


def patch(tmp_path: Path, op: str) -> Path:
    p = tmp_path / "90-test.toml"
    p.write_text('description = "d"\nfile = "repository/conf/axis2/axis2.xml"\n[[op]]\n' + op, encoding="utf-8")
    return p


def test_a_remove_op_with_conditions_loads_and_renders(tmp_path: Path) -> None:
    p = load_patch(patch(tmp_path, 'kind = "remove"\nparent = "/a"\nselect = "b"\n'
                                   'unless = "cluster.membership=wka"\n'))
    (step,) = p.render({"cluster.membership": "aws"}, [])
    assert step.op == Remove("/a", "b")
    (step,) = p.render({"cluster.membership": "wka"}, [])
    assert step.op is None and step.skipped == "cluster.membership is wka"


def test_a_guard_of_the_same_family_allows_an_optional_name(tmp_path: Path) -> None:
    p = load_patch(patch(tmp_path, 'kind = "set_text"\nxpath = "/a"\nvalue = "{db.url.governance}"\n'
                                   'when = "db.name.governance"\n'))
    assert p.ops[0].when == "db.name.governance"
    with pytest.raises(PatchError, match=r"\{cluster.aws.region\} is set only when the spec sets it: add when = "
                                         r"\"cluster.aws.region\""):
        load_patch(patch(tmp_path, 'kind = "set_text"\nxpath = "/a"\nvalue = "{cluster.aws.region}"\n'
                                   'when = "cluster.aws.access_key"\n'))


@pytest.mark.parametrize("op, says", [
    ('kind = "remove"\nparent = "/a"\n', "[[op]] #1: remove needs 'select'"),
    ('kind = "remove"\nparent = "/a"\nselect = "count(b)"\n', "key 'select': XPath 'count(b)' gives a number"),
    ('kind = "remove"\nparent = "/a"\nselect = "b"\nunless = "cluster.membersip=wka"\n',
     "key 'unless': unknown variable 'cluster.membersip' (did you mean {cluster.membership}?)"),
    ('kind = "remove"\nparent = "/a"\nselect = "b"\nwhen = "cluster.membership="\n',
     "key 'when': 'cluster.membership=': write name=value with a value on one line, or just the name"),
    ('kind = "remove"\nparent = "/a"\nselect = "b"\nunless = 1\n', "key 'unless': must be a string, not an integer"),
    ('kind = "remove"\nparent = "/a"\nselect = "b"\nvalue = "x"\n', "key 'value': unknown key for remove"),
])
def test_broken_remove_ops_and_conditions_are_refused_at_load(tmp_path: Path, op: str, says: str) -> None:
    with pytest.raises(PatchError) as e:
        load_patch(patch(tmp_path, op))
    assert says in str(e.value) and "90-test.toml:" in str(e.value) and "\n" not in str(e.value)
