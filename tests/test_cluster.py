"""The whole cluster at once: check (one test per rule), compare, status for every node, apply --all, --json."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DIST, FIXTURES, Cli, copy_tree, snapshot

Cluster = Callable[[Path], tuple[Path, Path, Path]]
TREE = DIST / "wso2mb-3.2.0" if (DIST / "wso2mb-3.2.0").is_dir() else FIXTURES / "mb-home"  # real where possible
AXIS2 = "repository/conf/axis2/axis2.xml"
CARBON = "repository/conf/carbon.xml"
DS = "repository/conf/datasources/master-datasources.xml"
USERMGT = "repository/conf/user-mgt.xml"


def add_driver(*homes: Path) -> None:
    for home in homes:
        lib = home / "repository/components/lib"
        lib.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(lib / "mysql-connector-java-5.1.49.jar", "w") as z:
            z.writestr("com/mysql/jdbc/Driver.class", b"")


def findings(cli: Cli, *args: str | Path) -> tuple[int, list[dict[str, Any]]]:
    r = cli("check", *args, "--json")
    doc = json.loads(r.stdout)
    assert doc["exit_code"] == r.exit_code and doc["planned"] == ("--planned" in args)
    return r.exit_code, doc["findings"]


def errors(rows: list[dict[str, Any]], rule: str) -> list[str]:
    return [r["message"] for r in rows if r["rule"] == rule and r["level"] == "error"]


def edit(path: Path, old: bytes, new: bytes) -> None:
    raw = path.read_bytes()
    assert old in raw, old
    path.write_bytes(raw.replace(old, new, 1))


@pytest.fixture
def applied(cli: Cli, cluster: Cluster) -> tuple[Path, Path, Path]:
    spec, h1, h2 = cluster(TREE)
    add_driver(h1, h2)
    for node in (1, 2):
        assert cli("apply", "--spec", spec, "--node", node, "--yes").exit_code == 0
    return spec, h1, h2


def test_check_passes_on_a_correctly_applied_two_node_cluster(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    spec, _, _ = applied
    code, rows = findings(cli, "--spec", spec)
    assert code == 0
    assert {r["level"] for r in rows} == {"ok"}
    assert {r["rule"] for r in rows} >= {"wka-members", "unique-member-port", "unique-offset", "member-host",
                                         "shared-databases", "local-registry", "jndi-references", "driver"}


def test_check_passes_on_a_five_node_cluster_on_three_hosts(cli: Cli, tmp_path: Path) -> None:
    homes = [copy_tree(FIXTURES / "mb-home", tmp_path / f"n{i}") for i in range(1, 6)]
    add_driver(*homes)
    nodes = "".join(f'[[node]]\nid = {i}\nhost = "10.0.0.{1 + i % 3}"\noffset = {i}\nhome = "n{i}"\n\n'
                    for i in range(1, 6))
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(f'[database]\nhost = "db"\nusername = "u"\npassword_env = "PW"\n\n{nodes}')
    env = {"PW": "secret"}
    assert cli("apply", "--spec", spec, "--all", "--yes", env=env).exit_code == 0
    r = cli("check", "--spec", spec, "--json", env=env)
    rows = json.loads(r.stdout)["findings"]
    assert r.exit_code == 0 and {x["level"] for x in rows} == {"ok"}
    assert sum(x["rule"] == "wka-members" for x in rows) == 5


def test_check_planned_validates_before_anything_is_written(cli: Cli, cluster: Cluster) -> None:
    spec, h1, h2 = cluster(TREE)
    add_driver(h1, h2)
    before = snapshot(spec.parent)
    code, rows = findings(cli, "--spec", spec)
    assert code == 1 and errors(rows, "clustering")  # stock homes are not a cluster yet
    code, rows = findings(cli, "--spec", spec, "--planned")
    assert code == 0 and {r["level"] for r in rows} == {"ok"}
    assert snapshot(spec.parent) == before


def test_rule_wka_members(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    spec, h1, h2 = applied
    edit(h1 / AXIS2, b"<port>4003</port>", b"<port>4009</port>")
    edit(h2 / AXIS2, b"<hostName>10.100.7.118</hostName>\n                <port>4000</port>",
         b"<hostName>10.100.7.118</hostName>\n                <port>4003</port>")
    code, rows = findings(cli, "--spec", spec)
    msgs = errors(rows, "wka-members")
    assert code == 1
    assert any("misses 10.100.7.118:4003" in m and "wrong ports: 10.100.7.118:4009 (nodes on that host listen on "
               "4000, 4003)" in m for m in msgs)
    assert msgs[1] == "misses 10.100.7.118:4000"  # node 2 lists itself instead: that alone is no error


def test_rule_wka_members_a_node_listing_itself_is_fine(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    """WSO2 recommends one member list for every node; Hazelcast skips its own address."""
    spec, h1, _ = applied
    edit(h1 / AXIS2, b"<members>", b"<members>\n                <member><hostName>10.100.7.118</hostName>"
         b"<port>4000</port></member>")
    code, rows = findings(cli, "--spec", spec)
    assert code == 0
    assert next(r["message"] for r in rows if r["rule"] == "wka-members") == (
        "lists every other node (1) and itself (fine: Hazelcast skips its own address)")


def test_rule_clustering_enabled(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    spec, h1, _ = applied
    edit(h1 / AXIS2, b'enable="true"', b'enable="false"')
    assert errors(findings(cli, "--spec", spec)[1], "clustering")


def test_rule_unique_member_port(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    spec, _, h2 = applied
    edit(h2 / AXIS2, b'<parameter name="localMemberPort">4003<', b'<parameter name="localMemberPort">4000<')
    assert errors(findings(cli, "--spec", spec)[1], "unique-member-port") == [
        "nodes 1, 2 share host:member port 10.100.7.118:4000"]


def test_rule_unique_offset(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    spec, _, h2 = applied
    edit(h2 / CARBON, b"<Offset>3</Offset>", b"<Offset>0</Offset>")
    assert errors(findings(cli, "--spec", spec)[1], "unique-offset") == [
        "nodes 1, 2 share host:port offset 10.100.7.118:0"]


def test_rule_member_host_loopback_is_an_error_and_a_host_name_a_warning(cli: Cli, tmp_path: Path) -> None:
    homes = [copy_tree(TREE, tmp_path / f"n{i}") for i in (1, 2)]
    add_driver(*homes)
    spec = tmp_path / "wso2patch.toml"
    spec.write_text('[database]\nhost = "db"\nusername = "u"\npassword = "p"\n'
                    '[[node]]\nid = 1\nhost = "10.0.0.1"\nhome = "n1"\n[[node]]\nid = 2\nhost = "mb2.internal"\n'
                    'home = "n2"\n')
    assert cli("apply", "--spec", spec, "--all", "--yes").exit_code == 0
    code, rows = findings(cli, "--spec", spec)
    assert code == 0
    assert [r["message"] for r in rows if r["rule"] == "member-host" and r["level"] == "warning"] == [
        "localMemberHost mb2.internal is a host name, not an IP address"]
    edit(homes[0] / AXIS2, b'"localMemberHost">10.0.0.1<', b'"localMemberHost">127.0.0.1<')
    code, rows = findings(cli, "--spec", spec)
    assert code == 1 and "127.0.0.1 is a loopback address" in errors(rows, "member-host")[0]


def test_rule_shared_databases(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    spec, _, h2 = applied
    edit(h2 / DS, b"/WSO2_USER_DB?", b"/OTHER_USER_DB?")
    assert errors(findings(cli, "--spec", spec)[1], "shared-databases") == [
        "the user store is jdbc:mysql://localhost:3306/OTHER_USER_DB?autoReconnect=true, while node 1 uses another "
        "database"]


def test_rule_local_registry_distinct(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    spec, _, h2 = applied
    edit(h2 / DS, b"/REGISTRY_LOCAL2?", b"/REGISTRY_LOCAL1?")
    assert "share the local registry database" in errors(findings(cli, "--spec", spec)[1], "local-registry")[0]


def test_rule_jndi_references(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    spec, h1, h2 = applied
    edit(h1 / USERMGT, b">jdbc/WSO2UMDB<", b">jdbc/Missing<")
    edit(h2 / DS, b"<name>jdbc/WSO2RegistryDB</name>", b"<name>jdbc/WSO2UMDB</name>")  # two active for one name
    rows = [r for r in findings(cli, "--spec", spec)[1] if r["rule"] == "jndi-references" and r["level"] == "error"]
    assert [(r["node"], r["message"], r["file"], r["element"]) for r in rows] == [
        (1, "user-mgt.xml names jdbc/Missing (0 active datasources)", USERMGT,
         "/UserManager/Realm/Configuration/Property[@name='dataSource']"),
        (2, "registry.xml names jdbc/WSO2RegistryDB (0 active datasources)", "repository/conf/registry.xml",
         "/wso2registry/dbConfig[@name='sharedregistry']/dataSource"),
        (2, "user-mgt.xml names jdbc/WSO2UMDB (2 active datasources)", USERMGT,
         "/UserManager/Realm/Configuration/Property[@name='dataSource']")]


def test_rule_driver_jar_is_a_warning(cli: Cli, cluster: Cluster) -> None:
    spec, _, _ = cluster(TREE)
    assert cli("apply", "--spec", spec, "--all", "--yes").exit_code == 0
    code, rows = findings(cli, "--spec", spec)
    assert code == 0
    assert [r["node"] for r in rows if r["rule"] == "driver" and r["level"] == "warning"] == [1, 2]


# --- compare ----------------------------------------------------------------------------------------------
def test_compare_shows_only_expected_differences_then_flags_a_hand_edit(cli: Cli,
                                                                         applied: tuple[Path, Path, Path]) -> None:
    _, h1, h2 = applied
    r = cli("compare", h1, h2, "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert (doc["status"], doc["home_a"], doc["home_b"]) == ("consistent", str(h1), str(h2))
    assert not [d for d in doc["differences"] if not d["expected"]]
    assert {x["key"]: x["why"] for x in doc["differences"]} == {
        "axis2.clustering.members": "each node lists its peers",
        "axis2.clustering.parameter[localMemberPort]": "member port",
        "carbon.Ports.Offset": "port offset",
        "datasources[role:local].name": "local registry database",
        "datasources[role:local].url": "local registry database",
        "registry.remoteInstance[role:config+governance].@url": "host and port offset",
    }
    raw = (h2 / DS).read_bytes()
    at = raw.index(b"<name>REGISTRY_DB</name>")  # an active datasource (an edit inside a comment is no change)
    (h2 / DS).write_bytes(raw[:at] + raw[at:].replace(b"<maxActive>50<", b"<maxActive>80<", 1))
    r = cli("compare", h1, h2)
    assert r.exit_code == 1 and "unexpected differences (1)" in r.stdout and "80" in r.stdout


def test_compare_hashes_secrets_where_they_sit(cli: Cli, applied: tuple[Path, Path, Path]) -> None:
    """KeyPassword, a keystorePass attribute, <Property name="ConnectionPassword">, <Password> and a URL's
    password= are compared by hash and never printed; their keys are."""
    _, h1, h2 = applied
    for home, side in ((h1, "A"), (h2, "B")):
        edit(home / CARBON, b"<KeyPassword>wso2carbon</KeyPassword>", f"<KeyPassword>Key-S3cret-{side}</KeyPassword>"
             .encode())
        edit(home / CARBON, b"<KeyStore>", f'<KeyStore keystorePass="Attr-S3cret-{side}">'.encode())
        edit(home / USERMGT, b"<Password>admin</Password>", f"<Password>Admin-S3cret-{side}</Password>".encode())
        edit(home / USERMGT, b"<AdminRole>admin</AdminRole>", b"<AdminRole>admin</AdminRole>\n            "
             + f'<Property name="ConnectionPassword">Conn-S3cret-{side}</Property>'.encode())
        edit(home / DS, b"/REGISTRY_DB?autoReconnect=true<", f"/REGISTRY_DB?autoReconnect=true&amp;password=Url-S3cret-"
             f"{side}<".encode())
    r = cli("compare", h1, h2, "--json")
    assert r.exit_code == 1
    rows = {x["key"]: x for x in json.loads(r.stdout)["differences"] if not x["expected"]}
    keys = ["carbon.Security.KeyStore.KeyPassword", "carbon.Security.KeyStore.@keystorePass",
            "user-mgt.Realm.Configuration.AdminUser.Password",
            "user-mgt.Realm.Configuration.Property[ConnectionPassword]"]
    for key in keys:
        a, b = rows[key]["a"], rows[key]["b"]
        assert a.startswith("sha256:") and b.startswith("sha256:") and a != b, key
    assert rows["datasources[role:config+governance].url"]["a"].endswith("&password=********")
    human = cli("compare", h1, h2).stdout
    assert "S3cret" not in r.stdout + human and "carbon.Security.KeyStore.KeyPassword" in human


# --- status and apply --all ---------------------------------------------------------------------------------
def test_apply_all_and_status_for_every_node(cli: Cli, cluster: Cluster) -> None:
    spec, h1, _ = cluster(FIXTURES / "mb-home")
    before = json.loads(cli("status", "--spec", spec, "--json").stdout)
    assert before["exit_code"] == 1 and [n["node"] for n in before["nodes"]] == [1, 2]
    states = {p["state"] for n in before["nodes"] for p in n["patches"]}
    assert states == {"pending", "applied", "not applicable"}  # offset 0 is stock; no proxy ports, no hazelcast asked
    r = cli("apply", "--spec", spec, "--all", "--yes", "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 0 and [n["status"] for n in doc["nodes"]] == ["applied", "applied"]
    again = json.loads(cli("apply", "--spec", spec, "--all", "--yes", "--json").stdout)
    assert again["status"] == "already"
    after = cli("status", "--spec", spec)
    assert after.exit_code == 0 and "node 1" in after.stdout and "node 2" in after.stdout
    assert cli("apply", "--spec", spec, "--all", "--home", h1).exit_code == 2


# --- --json on every command --------------------------------------------------------------------------------
def test_every_command_speaks_the_same_json(cli: Cli, applied: tuple[Path, Path, Path], tmp_path: Path) -> None:
    spec, h1, h2 = applied
    runs: list[tuple[list[Any], int]] = [
        (["init", tmp_path / "new.toml"], 0), (["patches"], 0), (["diff", "--spec", spec], 0),
        (["apply", "--spec", spec, "--node", 1, "--yes"], 0), (["status", "--spec", spec], 0),
        (["check", "--spec", spec], 0), (["compare", h1, h2], 0), (["history", "--home", h1], 0),
        (["recover", "--home", h1], 0), (["db", "sql", "--spec", spec], 0),
        (["rollback", "--home", h1, "--yes"], 0), (["apply", "--spec", spec, "--node", 9, "--yes"], 3),
    ]
    for args, code in runs:
        r = cli(*args, "--json")
        doc = json.loads(r.stdout)
        assert (doc["schema"], doc["exit_code"], r.exit_code) == ("wso2patch/2", code, code), args
        assert doc["command"] == " ".join(str(a) for a in args[:2] if str(a) in ("db", "sql")) or doc["command"] \
            == args[0]
        assert isinstance(doc["warnings"], list)


def test_status_on_a_home_without_history_asks_which_node(cli: Cli, cluster: Cluster) -> None:
    spec, h1, _ = cluster(FIXTURES / "mb-home")
    r = cli("status", "--spec", spec, "--home", h1)
    assert r.exit_code == 2 and "which node is it?" in r.output
