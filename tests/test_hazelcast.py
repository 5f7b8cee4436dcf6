"""[cluster.hazelcast] and the hazelcast-properties patch: opt-in, on every tree (fixture homes, and the real stock
trees when ../shared is beside the repo): apply, idempotent re-apply, zero noise lines, rollback byte for byte (a
created file removed), status, check --planned. Without the table the file is never even read."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from tests.conftest import Cli, all_tree_params, snapshot
from wso2patch.errors import SpecError
from wso2patch.properties import parse
from wso2patch.spec import load_spec
from wso2patch.workflow_plan import plan_node

Cluster = Callable[[Path], tuple[Path, Path, Path]]
PROPS = "repository/conf/hazelcast.properties"
TABLE = '\n[cluster.hazelcast]\n"hazelcast.max.no.heartbeat.seconds" = 300\nhazelcast.jmx = true\n'
WANT = {"hazelcast.shutdownhook.enabled": "false", "hazelcast.logging.type": "log4j",
        "hazelcast.max.no.heartbeat.seconds": "300", "hazelcast.jmx": "true"}


def with_table(spec: Path, table: str = TABLE) -> None:
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("\n[database]\n", f"{table}\n[database]\n", 1), encoding="utf-8")


def java(raw: bytes) -> dict[str, str]:
    return parse(raw.decode("latin-1")).load()


def noise(old: bytes, new: bytes, keys: set[str]) -> list[str]:
    """Lines (line ends aside: appending after a last line without one must give it one) removed or rewritten
    that set none of the keys the patch sets."""
    a, b = old.decode("latin-1").splitlines(), new.decode("latin-1").splitlines()
    bad = []
    for tag, i1, i2, _, _ in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            bad += [a[i] for i in range(i1, i2) if not (parse(a[i]).entries and parse(a[i]).entries[0].key in keys)]
    return bad


@pytest.mark.parametrize("tree", all_tree_params())
def test_hazelcast_properties_on_every_tree(tree: Path, cluster: Cluster, cli: Cli) -> None:
    spec, h1, h2 = cluster(tree)
    with_table(spec)
    stock = {h: snapshot(h) for h in (h1, h2)}
    old = (tree / PROPS).read_bytes() if (tree / PROPS).exists() else None
    assert cli("check", "--planned", "--spec", spec).exit_code == 0
    assert cli("apply", "--all", "--spec", spec, "--yes").exit_code == 0
    for h in (h1, h2):
        new = (h / PROPS).read_bytes()
        assert java(new) == {**(java(old) if old is not None else {}), **WANT}
        if old is None:  # created: one line per key, in the patch's order, LF
            assert new == b"".join(f"{k}={v}\n".encode() for k, v in WANT.items())
        else:
            assert noise(old, new, set(WANT)) == []
            assert new.endswith(b"\n") == old.endswith(b"\n")  # MB 3.x: no final newline, and none after
            added = len(new.decode("latin-1").splitlines()) - len(old.decode("latin-1").splitlines())
            assert added == len(set(WANT) - set(java(old)))  # one new line per new key, nothing else
    again = cli("apply", "--all", "--spec", spec, "--yes")
    assert again.exit_code == 0 and again.stdout.count("already applied") == 2
    assert cli("diff", "--spec", spec).exit_code == 0
    status = cli("status", "--spec", spec, "--json")
    states = {p["name"]: p["state"] for p in json.loads(status.stdout)["nodes"][0]["patches"]}
    assert status.exit_code == 0 and states["hazelcast-properties"] == "applied"
    assert cli("check", "--spec", spec).exit_code == 0
    for h in (h2, h1):
        assert cli("rollback", "--home", h, "--yes").exit_code == 0
        after = {k: v for k, v in snapshot(h).items() if not k.startswith(".wso2patch/")}
        assert after == stock[h]  # byte for byte; a created hazelcast.properties is gone again
        assert (h / PROPS).exists() == (old is not None)


@pytest.mark.parametrize("tree", all_tree_params())
def test_without_the_table_the_file_is_never_read(tree: Path, cluster: Cluster, cli: Cli) -> None:
    """Today's spec: hazelcast.properties stays byte-identical (the acceptance suite's rule), even unreadable."""
    spec, h1, _ = cluster(tree)
    if (h1 / PROPS).exists():
        (h1 / PROPS).write_bytes(b"broken=\\uZZZZ")  # Java rejects it: reading it would be an error
    before = snapshot(h1)
    plan = plan_node(load_spec(spec), 1, h1)
    assert PROPS not in {f.rel for f in plan.files}
    assert {r.note for r in plan.skipped if r.patch == "hazelcast-properties"} == {
        "not applicable: cluster.hazelcast is not set in the spec"}
    assert cli("apply", "--node", "1", "--spec", spec, "--yes").exit_code == 0
    status = json.loads(cli("status", "--node", "1", "--spec", spec, "--json").stdout)["nodes"][0]["patches"]
    assert {p["name"]: p["state"] for p in status}["hazelcast-properties"] == "not applicable"
    assert snapshot(h1).get(PROPS) == before.get(PROPS)


def test_an_empty_table_means_the_two_recommended_keys(tmp_path: Path, cluster: Cluster) -> None:
    from tests.conftest import FIXTURES

    spec, h1, _ = cluster(FIXTURES / "carbon-home")  # its file has hazelcast.shutdownhook.enabled=true
    with_table(spec, "\n[cluster.hazelcast]\n")
    (f,) = [f for f in plan_node(load_spec(spec), 1, h1).files if f.rel == PROPS]
    assert f.new == (b"hazelcast.max.no.heartbeat.seconds=600\nhazelcast.shutdownhook.enabled=false\n"
                     b"hazelcast.logging.type=log4j")


def test_a_spec_key_overrides_a_recommended_one(tmp_path: Path, cluster: Cluster) -> None:
    from tests.conftest import FIXTURES

    spec, h1, _ = cluster(FIXTURES / "mb-home")
    with_table(spec, '\n[cluster.hazelcast]\n"hazelcast.logging.type" = "none"\n')
    (f,) = [f for f in plan_node(load_spec(spec), 1, h1).files if f.rel == PROPS]
    assert java(f.new)["hazelcast.logging.type"] == "none"
    assert [(r.target, r.result, r.note) for r in f.results if r.target == "hazelcast.logging.type"] == [
        ("hazelcast.logging.type", "skipped", "overridden by patch hazelcast-properties"),
        ("hazelcast.logging.type", "applied", "")]


# --- the spec ---------------------------------------------------------------------------------------------
BASE = '[database]\nhost = "db"\nusername = "u"\npassword = "p"\n[[node]]\nid = 1\nhost = "h"\n'


def load(tmp_path: Path, table: str) -> Mapping[str, str] | None:
    path = tmp_path / "wso2patch.toml"
    path.write_text(table + "\n" + BASE, encoding="utf-8")
    return load_spec(path).hazelcast


def test_values_are_written_as_java_reads_them(tmp_path: Path) -> None:
    got = load(tmp_path, '[cluster.hazelcast]\n"hazelcast.max.no.heartbeat.seconds" = 600\nhazelcast.jmx = true\n'
                         'hazelcast.logging.type = "log4j"\n"hazelcast.x" = false\n"hazelcast.y" = -1\n')
    assert got == {"hazelcast.max.no.heartbeat.seconds": "600", "hazelcast.jmx": "true",
                   "hazelcast.logging.type": "log4j", "hazelcast.x": "false", "hazelcast.y": "-1"}
    assert load(tmp_path, "[cluster]\nhazelcast = {}\n") == {}
    assert load(tmp_path, "") is None
    path = tmp_path / "wso2patch.toml"
    path.write_text('[cluster.hazelcast]\n"a.b" = 1\n' + BASE, encoding="utf-8")
    assert load_spec(path).rows() == {"cluster.hazelcast": [{"item.key": "a.b", "item.value": "1"}]}


@pytest.mark.parametrize(("table", "line", "says"), [
    ('[cluster.hazelcast]\n"hazelcast.x" = 0.5\n', 2, "[cluster.hazelcast] hazelcast.x must be a string, an integer "
     "or a boolean, not float"),
    ('[cluster.hazelcast]\n"hazelcast.x" = [1]\n', 2, "must be a string, an integer or a boolean, not list"),
    ('[cluster.hazelcast]\n"hazel cast" = 1\n', 2, "[cluster.hazelcast] key 'hazel cast' is not a Hazelcast property "
     "name"),
    ('[cluster.hazelcast]\n"" = 1\n', 2, "key '' is not a Hazelcast property name"),
    ('[cluster.hazelcast]\n"hazelcast.x" = "a\\nb"\n', 2, "hazelcast.x contains a control character, U+000A"),
    ('[cluster]\nhazelcast = 5\n', 2, "[cluster] hazelcast must be a table"),
])
def test_bad_tables_are_one_spec_error_with_its_line(tmp_path: Path, table: str, line: int, says: str) -> None:
    with pytest.raises(SpecError) as e:
        load(tmp_path, table)
    assert says in str(e.value) and f"wso2patch.toml:{line}:" in str(e.value), str(e.value)
