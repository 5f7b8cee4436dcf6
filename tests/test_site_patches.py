"""Site patches ([patches] extra / disable): loaded beside the built-in ones with the same checks, listed with where
each comes from, and a site patch directory written from the README's patch-file reference alone, applied,
re-applied as a no-op, shown by status and history, rolled back byte for byte, on every real stock tree."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, Cli, snapshot, stock_params
from wso2patch.errors import PatchError, SpecError
from wso2patch.patchset import BUILT_IN
from wso2patch.patchset_load import load_patches
from wso2patch.properties import parse
from wso2patch.spec import load_spec
from wso2patch.workflow import patch_listing, spec_patches

Cluster = Callable[[Path], tuple[Path, Path, Path]]
BASE = '[database]\nhost = "db"\nusername = "u"\npassword = "p"\n[[node]]\nid = 1\nhost = "h"\n'
GOOD = 'description = "{d}"\nfile = "repository/conf/carbon.xml"\n[[op]]\nkind = "set_text"\n' \
       'xpath = "/Server/Ports/Offset"\nvalue = "{{node.offset}}"\n'


def spec_with(tmp_path: Path, patches: str, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    path = tmp_path / "wso2patch.toml"
    path.write_text(BASE + patches, encoding="utf-8")
    return path


# --- [patches] in the spec -----------------------------------------------------------------------------------
def test_the_spec_keeps_extra_and_disable_with_their_lines(tmp_path: Path) -> None:
    patches = '[patches]\nextra = ["site/*.toml", "more.toml"]\ndisable = ["thrift-host"]\n'
    spec = load_spec(spec_with(tmp_path, patches))
    assert spec.site.extra == ("site/*.toml", "more.toml") and spec.site.disable == ("thrift-host",)
    assert spec.site.base == tmp_path and spec.site.where_extra == f"{tmp_path / 'wso2patch.toml'}:9"
    assert spec.site.where_disable.endswith(":10")
    assert load_spec(spec_with(tmp_path, "")).site.extra == ()


@pytest.mark.parametrize(("patches", "says"), [
    ('[patches]\nextra = "site/*.toml"\n', "[patches] extra must be list, not str"),
    ('[patches]\nextra = ["site/*.toml", 3]\n', "[patches] extra must list strings, each a patch file pattern; 3"),
    ('[patches]\ndisable = [""]\n', "[patches] disable must list strings, each a built-in patch name; ''"),
    ('[patches]\ndisabled = ["x"]\n', "unknown key 'disabled' in [patches]; did you mean 'disable'?"),
    ('[patch]\nextra = []\n', "unknown table [patch]; did you mean [patches]?"),
])
def test_bad_patches_tables_are_spec_errors(tmp_path: Path, patches: str, says: str) -> None:
    with pytest.raises(SpecError) as e:
        load_spec(spec_with(tmp_path, patches))
    assert says in str(e.value), str(e.value)


# --- the patch set a spec asks for -------------------------------------------------------------------------
def test_site_patches_come_after_the_built_in_ones_in_pattern_order(tmp_path: Path) -> None:
    files = {"site/20-b.toml": GOOD.format(d="b"), "site/10-a.toml": GOOD.format(d="a"),
             "more/c.toml": GOOD.format(d="c")}
    spec = load_spec(spec_with(tmp_path, '[patches]\nextra = ["more/*.toml", "site/*.toml", "site/10-a.toml"]\n'
                                         'disable = ["thrift-host", "Port-Offset"]\n', files))
    patches = spec_patches(spec)
    names = [p.name for p in patches]
    assert names[-3:] == ["c", "a", "b"] and "thrift-host" not in names and "port-offset" not in names
    assert {p.origin for p in patches[:-3]} == {BUILT_IN}
    assert [p.origin for p in patches[-3:]] == [str(tmp_path / f) for f in ("more/c.toml", "site/10-a.toml",
                                                                             "site/20-b.toml")]
    listing = patch_listing(spec)
    assert listing[-2:] == [(p, "built-in, disabled by [patches]") for p in load_patches()
                            if p.name in ("port-offset", "thrift-host")]


def test_a_disabled_built_in_patch_can_be_replaced_by_one_of_the_same_name(tmp_path: Path) -> None:
    files = {"site/21-port-offset.toml": GOOD.format(d="mine")}
    with pytest.raises(PatchError) as e:
        spec_patches(load_spec(spec_with(tmp_path, '[patches]\nextra = ["site/*.toml"]\n', files)))
    assert str(e.value) == (f"{tmp_path / 'site/21-port-offset.toml'}: the patch name 'port-offset' is also the "
                            "name of the built-in patch 21-port-offset.toml; rename your patch file, or replace the "
                            "built-in one: add 'port-offset' to [patches] disable in the spec")
    spec = load_spec(spec_with(tmp_path, '[patches]\nextra = ["site/*.toml"]\ndisable = ["port-offset"]\n', files))
    (mine,) = [p for p in spec_patches(spec) if p.name == "port-offset"]
    assert mine.description == "mine" and mine.origin == str(tmp_path / "site/21-port-offset.toml")


def test_two_site_patches_may_not_share_a_name(tmp_path: Path) -> None:
    files = {"a/10-x.toml": GOOD.format(d="1"), "b/20-X.toml": GOOD.format(d="2")}
    with pytest.raises(PatchError, match=r"20-X.toml: the patch name 'X' is also the name of 10-x.toml"):
        spec_patches(load_spec(spec_with(tmp_path, '[patches]\nextra = ["a/*.toml", "b/*.toml"]\n', files)))


@pytest.mark.parametrize(("patches", "files", "line", "says"), [
    ('[patches]\ndisable = ["thrift-hots"]\n', {}, 9,
     "[patches] disable names 'thrift-hots', which is no built-in patch (did you mean 'thrift-host'?); "
     "'wso2patch patches' lists the built-in patches"),
    ('[patches]\nextra = ["site/*.toml"]\n', {}, 9,
     "[patches] extra 'site/*.toml' matches no file (looked in {tmp}/site/*.toml); patterns are relative to the "
     "spec's folder"),
    ('[patches]\n\nextra = ["site/*"]\n', {"site/README.md": "hi"}, 10,
     "[patches] extra 'site/*' matches {tmp}/site/README.md, which is not a .toml patch file"),
])
def test_wrong_names_and_empty_globs_are_spec_errors_on_their_line(tmp_path: Path, patches: str,
                                                                   files: dict[str, str], line: int, says: str) -> None:
    spec = load_spec(spec_with(tmp_path, patches, files))
    with pytest.raises(SpecError) as e:
        spec_patches(spec)
    assert str(e.value).startswith(f"{spec.path}:{line}: " + says.format(tmp=tmp_path)), str(e.value)


def test_a_broken_site_patch_is_named_like_a_broken_built_in_one(tmp_path: Path) -> None:
    files = {"site/x.toml": GOOD.format(d="x").replace("set_text", "set_property")}
    with pytest.raises(PatchError) as e:
        spec_patches(load_spec(spec_with(tmp_path, '[patches]\nextra = ["site/x.toml"]\n', files)))
    assert str(e.value).startswith(f"{tmp_path / 'site/x.toml'}:4: [[op]] #1 key 'kind': set_property is an "
                                   "operation on .properties files"), str(e.value)


# --- the command line ----------------------------------------------------------------------------------------
def test_patches_lists_where_each_comes_from(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    path = spec_with(tmp_path, '[patches]\nextra = ["site/*.toml"]\ndisable = ["thrift-host"]\n',
                     {"site/50-mark.toml": GOOD.format(d="Mark the offset")})
    monkeypatch.chdir(tmp_path)
    listed = cli("patches", "--spec", path)
    lines = listed.stdout.splitlines()
    assert listed.exit_code == 0 and len(lines) == 23
    assert lines[0].startswith("clustering ") and lines[0].endswith("  (built-in)")
    assert lines[-2].startswith("mark ") and lines[-2].endswith(f"Mark the offset  ({tmp_path / 'site/50-mark.toml'})")
    assert lines[-1].startswith("thrift-host ") and lines[-1].endswith("(built-in, disabled by [patches])")
    doc = json.loads(cli("patches", "--json").stdout)  # ./wso2patch.toml is found like any command finds it
    assert [(n["name"], n["source"]) for n in doc["patches"]][-2:] == [
        ("mark", "site/50-mark.toml"), ("thrift-host", "built-in, disabled by [patches]")]


def test_a_disabled_built_in_patch_is_neither_applied_nor_listed_in_status(tmp_path: Path, cluster: Cluster,
                                                                          cli: Cli) -> None:
    spec, h1, _ = cluster(FIXTURES / "mb-home")
    spec.write_text(spec.read_text(encoding="utf-8") + '\n[patches]\ndisable = ["thrift-host"]\n', encoding="utf-8")
    broker = (h1 / "repository/conf/broker.xml").read_bytes()
    assert cli("apply", "--node", "1", "--spec", spec, "--yes").exit_code == 0
    assert (h1 / "repository/conf/broker.xml").read_bytes() == broker
    status = cli("status", "--node", "1", "--spec", spec)
    assert status.exit_code == 0 and "thrift-host" not in status.stdout and "clustering" in status.stdout


# --- written from the README alone ---------------------------------------------------------------------------
# The example site patches of the README's "Patch files: the reference", verbatim.
README_EXAMPLES = {
    "site/50-broker-tuning.toml": '''\
# site/50-broker-tuning.toml (MB and the EI broker profile only)
description = "Broker tuning: 5 redelivery attempts, MQTT off"
products = ["mb", "ei:broker"]
file = "broker.xml"

[[op]]
kind = "set_text"
xpath = "/broker/transports/amqp/maximumRedeliveryAttempts"
value = "5"

[[op]]
kind = "set_attr"
xpath = "/broker/transports/mqtt"
name = "enabled"
value = "false"
''',
    "site/60-log-levels.toml": '''\
# site/60-log-levels.toml
description = "Andes at DEBUG, Hazelcast at WARN, no per-class override for the registry"
file = "log4j.properties"

[[op]]
kind = "set_property"
key = "log4j.logger.org.wso2.andes"
value = "DEBUG"

[[op]]
kind = "set_property"
key = "log4j.logger.com.hazelcast"
value = "WARN"

[[op]]
kind = "remove_property"
key = "log4j.logger.org.wso2.carbon.registry"
''',
    "site/70-node-identity.toml": '''\
# site/70-node-identity.toml: a file of the site's own, created on first apply
description = "node.properties for the monitoring agent: this node and its peers"
file = "node.properties"

[[op]]
kind = "set_property"
key = "node.address"
value = "{node.url_host}:{node.https_port}"

[[op]]
kind = "set_property"
for_each = "peer"
key = "peer.{peer.id}"
value = "{peer.url_host}:{peer.member_port}"
''',
}
# A log4j.properties laid out like Carbon's (hand-written: the stock trees here do not carry one): CRLF, comments,
# a continuation line, the registry override the site patch removes, and no final newline.
LOG4J = (b"#\r\n# Carbon log4j configuration (shortened)\r\n#\r\n"
         b"log4j.rootLogger=INFO, CARBON_CONSOLE, CARBON_LOGFILE, \\\r\n    CARBON_MEMORY\r\n\r\n"
         b"log4j.logger.org.wso2=INFO\r\n# log4j.logger.org.wso2.andes=DEBUG\r\n"
         b"log4j.logger.org.wso2.carbon.registry=WARN\r\nlog4j.logger.org.apache.axis2=WARN")


@pytest.mark.parametrize("stock", stock_params())
def test_a_site_patch_written_from_the_readme(stock: Path, tmp_path: Path, cluster: Cluster, cli: Cli,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    spec, h1, h2 = cluster(stock)
    for rel, text in README_EXAMPLES.items():
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    spec.write_text(spec.read_text(encoding="utf-8") + '\n[patches]\nextra = ["site/*.toml"]\n', encoding="utf-8")
    for h in (h1, h2):
        (h / "repository/conf/log4j.properties").write_bytes(LOG4J)
    stock_state = {h: snapshot(h) for h in (h1, h2)}
    is_mb = (stock / "repository/conf/broker.xml").exists()

    diff = cli("diff", "--node", "2", "--spec", spec)
    assert diff.exit_code == 1
    assert "--- /dev/null\n+++ b/repository/conf/node.properties\n@@ -0,0 +1,2 @@\n" \
           "+node.address=10.100.7.118\\:9446\n+peer.1=10.100.7.118\\:4000\n" in diff.stdout  # Java's escapes
    assert ('-            <maximumRedeliveryAttempts>10</maximumRedeliveryAttempts>' in diff.stdout) == is_mb
    assert cli("apply", "--all", "--spec", spec, "--yes").exit_code == 0

    log4j = parse((h1 / "repository/conf/log4j.properties").read_bytes().decode("latin-1"))
    assert log4j.load() == {"log4j.rootLogger": "INFO, CARBON_CONSOLE, CARBON_LOGFILE, CARBON_MEMORY",
                            "log4j.logger.org.wso2": "INFO", "log4j.logger.org.wso2.andes": "DEBUG",
                            "log4j.logger.org.apache.axis2": "WARN", "log4j.logger.com.hazelcast": "WARN"}
    assert (h1 / "repository/conf/log4j.properties").read_bytes() == (
        b"#\r\n# Carbon log4j configuration (shortened)\r\n#\r\n"
        b"log4j.rootLogger=INFO, CARBON_CONSOLE, CARBON_LOGFILE, \\\r\n    CARBON_MEMORY\r\n\r\n"
        b"log4j.logger.org.wso2=INFO\r\n# log4j.logger.org.wso2.andes=DEBUG\r\nlog4j.logger.org.wso2.andes=DEBUG\r\n"
        b"log4j.logger.org.apache.axis2=WARN\r\nlog4j.logger.com.hazelcast=WARN")
    assert (h1 / "repository/conf/node.properties").read_bytes() == b"node.address=10.100.7.118\\:9443\n" \
                                                                     b"peer.2=10.100.7.118\\:4003\n"
    if is_mb:
        broker = (h1 / "repository/conf/broker.xml").read_text(encoding="utf-8")
        assert "<maximumRedeliveryAttempts>5</maximumRedeliveryAttempts>" in broker
        assert '<mqtt enabled="false">' in broker

    again = cli("apply", "--all", "--spec", spec, "--yes")
    assert again.exit_code == 0 and again.stdout.count("already applied") == 2
    assert cli("diff", "--spec", spec).exit_code == 0
    nodes = json.loads(cli("status", "--spec", spec, "--json").stdout)["nodes"]
    status = {p["name"]: tuple(next(q["state"] for q in n["patches"] if q["name"] == p["name"]) for n in nodes)
              for p in nodes[0]["patches"]}
    assert status["broker-tuning"] == (("applied",) * 2 if is_mb else ("not applicable",) * 2)
    assert status["log-levels"] == status["node-identity"] == ("applied", "applied")
    history = json.loads(cli("history", "--home", h1, "--spec", spec, "--json").stdout)["transactions"]
    assert {"log-levels", "node-identity"} <= set(history[0]["patches"])

    elsewhere = cli("rollback", "--home", h2, "--yes")  # no spec here: nothing vouches for the site's files
    assert elsewhere.exit_code == 5 and "'repository/conf/log4j.properties' is not a file wso2patch writes" in \
        elsewhere.stderr and snapshot(h2) != stock_state[h2]
    assert cli("rollback", "--home", h2, "--spec", spec, "--yes").exit_code == 0
    monkeypatch.chdir(tmp_path)  # the spec's folder: ./wso2patch.toml is found, as by any command
    assert cli("rollback", "--home", h1, "--yes").exit_code == 0
    for h in (h2, h1):
        assert {k: v for k, v in snapshot(h).items() if not k.startswith(".wso2patch/")} == stock_state[h]
        assert not (h / "repository/conf/node.properties").exists()


def test_the_starters_commented_tables_load_once_uncommented(tmp_path: Path) -> None:
    starter = (Path(__file__).parent.parent / "wso2patch/starter.toml").read_text(encoding="utf-8")
    lines = []
    for line in starter.splitlines():
        body = line[2:] if line.startswith(("# [cluster.hazelcast]", '# "hazelcast.', "# [patches]", "# extra",
                                            "# disable")) else line
        lines.append(body)
    (tmp_path / "site").mkdir()
    (tmp_path / "site/50-mark.toml").write_text(GOOD.format(d="mark"), encoding="utf-8")
    path = tmp_path / "wso2patch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    spec = load_spec(path)
    assert spec.hazelcast == {"hazelcast.max.no.heartbeat.seconds": "600"}
    assert spec.site.extra == ("site/*.toml",) and spec.site.disable == ("thrift-host",)
    assert [p.name for p in spec_patches(spec)][-1] == "mark"


def test_an_absolute_pattern_and_requires_of_any_file(tmp_path: Path, cluster: Cluster) -> None:
    """extra may name files anywhere; requires may name any file (a jar), only `file` must be XML or .properties."""
    spec, h1, _ = cluster(FIXTURES / "mb-home")
    site = tmp_path / "elsewhere"
    site.mkdir()
    (site / "mark.toml").write_text(
        'description = "Members as properties"\nfile = "repository/conf/members.properties"\n'
        'requires = ["repository/components/lib/hazelcast-aws.jar"]\n'
        '[[op]]\nkind = "set_property"\nfor_each = "peer"\nkey = "member.{peer.id}"\nvalue = "{peer.host}"\n',
        encoding="utf-8")
    spec.write_text(spec.read_text(encoding="utf-8") + f'\n[patches]\nextra = ["{site}/*.toml"]\n', encoding="utf-8")
    loaded = load_spec(spec)
    (mark,) = [p for p in spec_patches(loaded) if p.name == "mark"]
    assert mark.origin == str(site / "mark.toml")
    from wso2patch.workflow_plan import plan_node

    assert {r.note for r in plan_node(loaded, 1, h1).skipped if r.patch == "mark"} == {
        "not applicable: repository/components/lib/hazelcast-aws.jar is absent"}
    (h1 / "repository/components/lib").mkdir(parents=True, exist_ok=True)
    (h1 / "repository/components/lib/hazelcast-aws.jar").write_bytes(b"PK")
    (f,) = [f for f in plan_node(loaded, 1, h1).files if f.rel == "repository/conf/members.properties"]
    assert f.new == b"member.2=10.100.7.118\n" and not f.existed
