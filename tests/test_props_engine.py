"""Java .properties files in the patch engine: set_property / remove_property checked at load, planned with the
second-run proof, a missing file created (and removed again by rollback), the last op on a key winning, for_each
over a spec table. Every operation has an applies twin and an already twin."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, copy_tree, snapshot
from wso2patch import txn, variables
from wso2patch.detect import detect
from wso2patch.diff import file_diff
from wso2patch.errors import ConfigError, PatchError
from wso2patch.patchset import Patch
from wso2patch.patchset_load import load_patches, parse_patch
from wso2patch.plan import FilePlan, Plan, build_plan
from wso2patch.properties import parse
from wso2patch.workflow_plan import patch_status

PROPS = "repository/conf/hazelcast.properties"
STOCKLIKE = b"hazelcast.max.no.heartbeat.seconds=300\nhazelcast.logging.type=log4j"  # mb-home's, no final newline


def patch(body: str, name: str = "90-site.toml", file: str = PROPS, origin: str = "built-in") -> Patch:
    text = f'description = "a site patch"\nfile = "{file}"\n{body}'
    p = parse_patch(Path(name), tomllib.loads(text), text)
    return replace(p, origin=origin)


def op(kind: str, key: str, value: str | None = None, extra: str = "") -> str:
    return f'[[op]]\nkind = "{kind}"\nkey = "{key}"\n' + (f'value = "{value}"\n' if value is not None else "") + extra


def home(tmp_path: Path) -> Path:
    return copy_tree(FIXTURES / "mb-home", tmp_path / "mb")


def plan_of(h: Path, *patches: Patch, rows: dict[str, list[dict[str, str]]] | None = None) -> Plan:
    return build_plan(h, 1, detect(h), list(patches), {"node.id": "1", "node.host": "10.0.0.1"}, [], rows)


def only(plan: Plan) -> FilePlan:
    (f,) = plan.files
    return f


def java(raw: bytes) -> dict[str, str]:
    return parse(raw.decode("latin-1")).load()


@pytest.mark.parametrize(("body", "table"), [
    (op("set_property", "hazelcast.max.no.heartbeat.seconds", "600"), {"hazelcast.max.no.heartbeat.seconds": "600",
                                                                        "hazelcast.logging.type": "log4j"}),
    (op("set_property", "hazelcast.jmx", "true"), {"hazelcast.max.no.heartbeat.seconds": "300",
                                                   "hazelcast.logging.type": "log4j", "hazelcast.jmx": "true"}),
    (op("remove_property", "hazelcast.logging.type"), {"hazelcast.max.no.heartbeat.seconds": "300"}),
], ids=["set-existing", "set-new", "remove"])
def test_each_property_op_applies_then_is_already(tmp_path: Path, body: str, table: dict[str, str]) -> None:
    h = home(tmp_path)
    first = only(plan_of(h, patch(body)))
    assert first.changed and first.existed and [r.result for r in first.results] == ["applied"]
    assert java(first.new) == table and not first.new.endswith(b"\n")  # no final newline stays so
    txn.commit(h, [txn.Change(first.rel, first.old, first.new)], managed=lambda rel: rel == PROPS, node=1, spec=None,
               spec_sha=None)
    again = only(plan_of(h, patch(body)))
    assert not again.changed and [r.result for r in again.results] == ["already"]


def test_only_the_needed_lines_change(tmp_path: Path) -> None:
    h = home(tmp_path)
    (h / PROPS).write_bytes(b"# Hazelcast tuning\r\n\r\nhazelcast.max.no.heartbeat.seconds = 300\r\n"
                            b"#hazelcast.jmx=false\r\nhazelcast.logging.type : log4j\r\n")
    f = only(plan_of(h, patch(op("set_property", "hazelcast.max.no.heartbeat.seconds", "600")
                              + op("set_property", "hazelcast.jmx", "true"))))
    assert f.new == (b"# Hazelcast tuning\r\n\r\nhazelcast.max.no.heartbeat.seconds = 600\r\n"
                     b"#hazelcast.jmx=false\r\nhazelcast.jmx=true\r\nhazelcast.logging.type : log4j\r\n")


def test_a_missing_file_is_created_shown_from_dev_null_and_removed_by_rollback(tmp_path: Path) -> None:
    h = home(tmp_path)
    (h / PROPS).unlink()
    before = snapshot(h)
    body = op("set_property", "node.address", "{node.host}") + op("set_property", "pass=word", "a#b\\\\c é")
    f = only(plan_of(h, patch(body)))
    assert not f.existed and f.old == b"" and f.changed
    assert java(f.new) == {"node.address": "10.0.0.1", "pass=word": "a#b\\c é"}  # escaped, read back exactly
    assert f.new == b"node.address=10.0.0.1\npass\\=word=a\\#b\\\\c \\u00E9\n"
    assert file_diff(f).splitlines()[:3] == ["--- /dev/null", f"+++ b/{PROPS}", "@@ -0,0 +1,2 @@"]
    assert plan_of(h, patch(body)).planned[PROPS] == f.new
    from wso2patch.spec import load_spec
    from wso2patch.workflow_plan import commit_plan

    spec = tmp_path / "s.toml"
    spec.write_text('[database]\nhost = "db"\nusername = "u"\npassword = "p"\n[[node]]\nid = 1\nhost = "h"\n')
    tx = commit_plan(plan_of(h, patch(body)), load_spec(spec))
    assert tx is not None and [(r.path, r.before, r.backup) for r in tx.files] == [(PROPS, None, "")]
    assert not only(plan_of(h, patch(body))).changed  # the twin: nothing left to do
    txn.rollback(h, managed=lambda rel: rel == PROPS)
    assert not (h / PROPS).exists()
    assert {k: v for k, v in snapshot(h).items() if not k.startswith(".wso2patch")} == before


def test_removing_from_a_missing_file_leaves_it_missing(tmp_path: Path) -> None:
    h = home(tmp_path)
    (h / PROPS).unlink()
    plan = plan_of(h, patch(op("remove_property", "hazelcast.jmx")))
    f = only(plan)
    assert not f.changed and not f.existed and [r.result for r in f.results] == ["already"]
    assert PROPS not in plan.planned and not plan.pending and not (h / PROPS).exists()


def test_a_created_file_needs_its_folder(tmp_path: Path) -> None:
    h = home(tmp_path)
    before = snapshot(h)
    with pytest.raises(ConfigError, match="cannot create site.properties: its folder is missing"):
        plan_of(h, patch(op("set_property", "a", "b"), file="repository/conf/site/site.properties"))
    assert snapshot(h) == before


def test_the_last_op_on_a_key_wins_and_the_others_are_reported_skipped(tmp_path: Path) -> None:
    h = home(tmp_path)
    first = patch(op("set_property", "hazelcast.logging.type", "log4j"), name="12-first.toml")
    second = patch(op("set_property", "hazelcast.logging.type", "none") + op("remove_property", "hazelcast.x"),
                   name="90-second.toml")
    f = only(plan_of(h, first, second))
    assert java(f.new)["hazelcast.logging.type"] == "none"
    assert [(r.patch, r.result, r.note) for r in f.results] == [
        ("first", "skipped", "overridden by patch second"), ("second", "applied", ""), ("second", "already", "")]
    assert patch_status(plan_of(h, first, second), []) == {"first": "applied", "second": "pending"}  # as overridden


def test_for_each_repeats_an_op_over_a_spec_table(tmp_path: Path) -> None:
    h = home(tmp_path)
    p = patch(op("set_property", "{item.key}", "{item.value}", 'for_each = "cluster.hazelcast"\n')
              + op("set_property", "hazelcast.shutdownhook.enabled", "false", 'when = "cluster.hazelcast"\n'))
    rows = {"cluster.hazelcast": [{"item.key": "hazelcast.jmx", "item.value": "true"},
                                  {"item.key": "hazelcast.logging.type", "item.value": "slf4j"}]}
    f = only(plan_of(h, p, rows=rows))
    assert [(r.target, r.result) for r in f.results] == [
        ("hazelcast.jmx", "applied"), ("hazelcast.logging.type", "applied"),
        ("hazelcast.shutdownhook.enabled", "applied")]
    assert java(f.new) == {"hazelcast.max.no.heartbeat.seconds": "300", "hazelcast.logging.type": "slf4j",
                           "hazelcast.jmx": "true", "hazelcast.shutdownhook.enabled": "false"}
    empty = only(plan_of(h, p, rows={"cluster.hazelcast": []}))
    assert [(r.result, r.note) for r in empty.results] == [("skipped", "no rows: cluster.hazelcast is empty"),
                                                           ("applied", "")]


def test_a_file_whose_every_op_is_skipped_is_not_even_read(tmp_path: Path) -> None:
    """Today's spec has no [cluster.hazelcast]: hazelcast.properties is left unread, whatever it holds."""
    h = home(tmp_path)
    (h / PROPS).write_bytes(b"broken=\\uZZZZ\n")  # Java's Properties.load rejects this
    p = patch(op("set_property", "hazelcast.jmx", "true", 'when = "cluster.hazelcast"\n'))
    plan = plan_of(h, p)
    assert plan.files == [] and [(r.result, r.note) for r in plan.skipped] == [
        ("skipped", "not applicable: cluster.hazelcast is not set in the spec")]
    assert patch_status(plan, []) == {"site": "not applicable"}
    with pytest.raises(ConfigError, match=r"hazelcast.properties:1:8: malformed \\uXXXX escape"):
        plan_of(h, p, rows={"cluster.hazelcast": []})


def test_a_site_patch_fighting_a_built_in_one_is_blamed_not_the_engine(tmp_path: Path) -> None:
    h = home(tmp_path)
    offset = '[[op]]\nkind = "set_text"\nxpath = "/Server/Ports/Offset"\nvalue = "{v}"\n'
    builtin = patch(offset.format(v="3"), name="21-port-offset.toml", file="repository/conf/carbon.xml")
    site = patch(offset.format(v="7"), name="site-offset.toml", file="repository/conf/carbon.xml",
                 origin="site/site-offset.toml")
    before = snapshot(h)
    with pytest.raises(PatchError, match="patches port-offset, site-offset undo each other's edits") as e:
        plan_of(h, builtin, site)
    assert "[patches] disable" in str(e.value) and snapshot(h) == before


# --- checked at load -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("file", "body", "says"), [
    (PROPS, '[[op]]\nkind = "set_text"\nxpath = "/a"\nvalue = "x"\n',
     "[[op]] #1 key 'kind': set_text is an operation on XML files, but hazelcast.properties is a .properties "
     "file: use one of set_property, remove_property"),
    ("repository/conf/carbon.xml", op("set_property", "a", "b"),
     "set_property is an operation on .properties files, but carbon.xml is an XML file: use one of set_text"),
    (PROPS, '[[op]]\nkind = "set_propety"\nkey = "a"\nvalue = "b"\n',
     "must be one of set_property, remove_property, not 'set_propety'"),
    (PROPS, op("set_property", "", "b"), "[[op]] #1 key 'key': must name a property, not be empty"),
    (PROPS, op("set_property", "a"), "set_property needs 'value'"),
    (PROPS, op("remove_property", "a", "b"), "[[op]] #1 key 'value': unknown key for remove_property"),
    (PROPS, op("set_property", "a", "b", "xpath = \"/a\"\n"), "key 'xpath': unknown key for set_property"),
    (PROPS, '[[op]]\nkind = "set_property"\nkey = 5\nvalue = "b"\n', "key 'key': must be a string, not an integer"),
    (PROPS, '[[op]]\nkind = "set_property"\nkey = "a"\nvalue = 600\n', "key 'value': must be a string, not an integer"),
    (PROPS, op("set_property", "{node.hots}", "b"),
     "key 'key': unknown variable {node.hots} (did you mean {node.host}?)"),
    (PROPS, op("set_property", "{item.key}", "b"),
     "unknown variable {item.key} ({item.key} exists only in an op with for_each = \"cluster.hazelcast\")"),
    (PROPS, op("set_property", "a", "{peer.host}", 'for_each = "cluster.hazelcast"\n'),
     "unknown variable {peer.host} ({peer.host} exists only in an op with for_each = \"peer\")"),
    (PROPS, op("set_property", "a", "b", 'for_each = "cluster.hazlecast"\n'),
     "key 'for_each': must be \"peer\" or \"cluster.hazelcast\" or \"vault.secret\" or \"vault.retired\", not "
     "'cluster.hazlecast' (did you mean "
     "'cluster.hazelcast'?)"),
    (PROPS, op("set_property", "a", "b", 'when = "cluster.hazlecast"\n'),
     "key 'when': unknown variable 'cluster.hazlecast' (did you mean {cluster.hazelcast}?)"),
    (PROPS, op("set_property", "a", "b", 'when = "cluster.hazelcast=x"\n'),
     "key 'when': 'cluster.hazelcast=x': a spec table is set or not: write just 'cluster.hazelcast'"),
    (PROPS, op("set_property", "a", "b", 'unless = "cluster.hazlecast"\n'),
     "key 'unless': unknown variable 'cluster.hazlecast' (did you mean {cluster.hazelcast}?)"),
    (PROPS, op("set_property", "{cluster.domain}", "b"),
     "key 'key': {cluster.domain} is set only when the spec sets it: add when = \"cluster.domain\""),
    (PROPS, op("set_property", "a", "{", ""), "key 'value': a lone '{': write {{ for a literal brace"),
    ("repository/conf/site.ini", op("set_property", "a", "b"), "is neither an .xml nor a .properties file"),
])
def test_property_ops_are_checked_at_load(file: str, body: str, says: str) -> None:
    with pytest.raises(PatchError) as e:
        patch(body, file=file)
    assert says in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_unless_a_spec_table_skips_the_op_when_the_spec_has_it(tmp_path: Path) -> None:
    h = home(tmp_path)
    p = patch(op("set_property", "hazelcast.jmx", "false", 'unless = "cluster.hazelcast"\n'))
    assert java(only(plan_of(h, p)).new)["hazelcast.jmx"] == "false"
    assert [r.note for r in plan_of(h, p, rows={"cluster.hazelcast": []}).skipped] == [
        "not applicable: cluster.hazelcast is set in the spec"]


def test_every_table_and_row_set_is_declared_in_variables() -> None:
    assert set(variables.ROWS) == {"peer", "vault.secret"} | variables.TABLES  # vault.secret: set when the vault is
    assert variables.ROWS["cluster.hazelcast"] == variables.ITEM


def test_hostile_values_are_escaped_and_read_back_exactly(tmp_path: Path) -> None:
    """Spec values (a password, a host) can hold anything the spec allows: Java reads back what was meant."""
    h = home(tmp_path)
    nasty = "p#s=w:rd! \\u0041 \\ é€\t"
    p = patch(op("set_property", "db.pass", "{db.password}") + op("set_property", "{db.password}", "x"))
    f = build_plan(h, 1, detect(h), [p], {"db.password": nasty}, []).files[0]
    assert java(f.new)["db.pass"] == nasty and java(f.new)[nasty] == "x"
    f.new.decode("ascii")  # everything past printable ASCII is written as \uXXXX


_HOMES: dict[str, Path] = {}
KEYS = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12)
VALUES = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.dictionaries(KEYS, VALUES, max_size=4),
       start=st.sampled_from([None, b"", STOCKLIKE, b"# c\r\na = 1\r\n", b"k\\\n  ey=v\\\n  al\n"]))
def test_any_spec_table_lands_as_java_reads_it_and_only_once(tmp_path_factory: pytest.TempPathFactory,
                                                            items: dict[str, str], start: bytes | None) -> None:
    """The hazelcast-properties patch with any keys and values (what a site's for_each could bring): the file holds
    exactly the promised table afterwards, the untouched entries too, and planning the result again changes
    nothing."""
    h = _HOMES.get("h") or _HOMES.setdefault("h", home(tmp_path_factory.mktemp("h")))  # one copy for all examples
    (h / PROPS).unlink(missing_ok=True)
    if start is not None:
        (h / PROPS).write_bytes(start)
    (shipped,) = [p for p in load_patches() if p.name == "hazelcast-properties"]
    rows = {"cluster.hazelcast": [{"item.key": k, "item.value": v} for k, v in items.items()]}
    f = only(plan_of(h, shipped, rows=rows))
    want = {**(java(start) if start else {}), "hazelcast.shutdownhook.enabled": "false",
            "hazelcast.logging.type": "log4j", **items}
    assert java(f.new) == want and f.existed == (start is not None)
    (h / PROPS).write_bytes(f.new)
    assert not only(plan_of(h, shipped, rows=rows)).changed


def test_for_each_over_a_spec_table_in_an_xml_op(tmp_path: Path) -> None:
    h = home(tmp_path)
    p = patch('[[op]]\nkind = "replace_children"\nparent = "/broker/persistence/messageStore"\n'
              'for_each = "cluster.hazelcast"\nelement = "<property name=\\"{item.key}\\">{item.value}</property>"\n',
              file="repository/conf/broker.xml")
    rows = {"cluster.hazelcast": [{"item.key": "a&b", "item.value": "<1>"}, {"item.key": "c", "item.value": "2"}]}
    (f,) = plan_of(h, p, rows=rows).files
    assert b'<property name="a&amp;b">&lt;1&gt;</property>' in f.new and b'<property name="c">2</property>' in f.new
    assert b"WSO2MBStoreDB" not in f.new.split(b"<messageStore")[1].split(b"</messageStore>")[0]
