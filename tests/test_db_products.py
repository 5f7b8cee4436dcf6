"""Databases per product (issue 11): `db sql`, `db init` and `check --db` read the schema scripts and the
datasources of the product and profile a home holds, and name only the databases that profile needs (the MB store
for MB and the EI broker profile; none for an EI integrator, ESB or Carbon cluster). API Manager and Identity
Server homes are refused.

The spec's nodes get their profile here with dataclasses.replace, so that these tests exercise the db commands
alone; parsing `profile = "broker"` is the spec's job and is tested with it."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DIST, FIXTURES, NO_STOCK, Cli, MariaDB, copy_tree, snapshot
from tests.test_cmd_rollback import Recorder
from tests.test_db import PASSWORD, table_counts, write_spec
from wso2patch.commands.check import check
from wso2patch.commands.db import provision, sql
from wso2patch.errors import ConfigError
from wso2patch.spec import Spec, load_spec

MB_DB = "WSO2_MB_STORE_DB"
CARBON_DBS = ["WSO2_USER_DB", "REGISTRY_DB", "REGISTRY_LOCAL1", "REGISTRY_LOCAL2"]
SPEC = """[database]
host = "db.example.internal"
username = "app"
password = "not-in-the-output"

[[node]]
id = 1
host = "10.0.0.1"
home = "{home}"

[[node]]
id = 2
host = "10.0.0.2"
"""


def with_profile(spec: Spec, profile: str | None) -> Spec:
    return dataclasses.replace(spec, nodes=tuple(dataclasses.replace(n, profile=profile) for n in spec.nodes))


def two_node_spec(tmp_path: Path, home: Path, profile: str | None) -> Spec:
    path = tmp_path / "wso2patch.toml"
    path.write_text(SPEC.format(home=home), encoding="utf-8")
    return with_profile(load_spec(path), profile)


def created(text: str) -> list[str]:
    return re.findall(r"^CREATE DATABASE IF NOT EXISTS `([^`]+)`", text, re.M)


def sourced(text: str, home: Path) -> list[tuple[str, str]]:
    """(database, script relative to the home) for each USE/SOURCE pair, in order."""
    pairs = re.findall(r"^USE `([^`]+)`;\nSOURCE (.+);$", text, re.M)
    return [(db, Path(path).relative_to(home).as_posix()) for db, path in pairs]


def stock(name: str) -> Path:
    if not (DIST / name).is_dir():
        pytest.skip(NO_STOCK)
    return DIST / name


# --- db sql on every stock tree: the product's own scripts, only the databases it needs ----------------------------
B = "wso2/broker/dbscripts/"
MB = "dbscripts/mb-store/mysql-mb.sql"


@pytest.mark.parametrize(("tree", "profile", "carbon", "mb_store", "fallback"), [
    ("wso2mb-3.2.0", None, "dbscripts/mysql5.7.sql", MB, False),  # as before issue 11
    ("wso2mb-3.1.0", None, "dbscripts/mysql.sql", MB, True),
    ("wso2carbon-4.4.16", None, "dbscripts/mysql5.7.sql", None, False),
    ("wso2ei-6.1.1", None, "dbscripts/mysql5.7.sql", None, False),
    ("wso2ei-6.1.1", "broker", f"{B}mysql5.7.sql", f"{B}mb-store/mysql-mb.sql", False),
    ("wso2ei-6.4.0", None, "dbscripts/mysql5.7.sql", None, False),
    ("wso2ei-6.4.0", "integrator", "dbscripts/mysql5.7.sql", None, False),
    ("wso2ei-6.4.0", "broker", f"{B}mysql5.7.sql", f"{B}mb-store/mysql-mb.sql", False),
    ("wso2ei-6.6.0", None, "dbscripts/mysql.sql", None, True),  # 6.6.0 ships no mysql5.7.sql anywhere
    ("wso2ei-6.6.0", "broker", f"{B}mysql.sql", f"{B}mb-store/mysql-mb.sql", True),
    ("wso2esb-4.9.0", None, "dbscripts/mysql.sql", None, True),
    ("wso2esb-5.0.0", None, "dbscripts/mysql5.7.sql", None, False),
])
def test_db_sql_names_the_databases_and_scripts_of_each_stock_tree(tmp_path: Path, tree: str, profile: str | None,
                                                                   carbon: str, mb_store: str | None,
                                                                   fallback: bool) -> None:
    home = stock(tree)
    r = sql(two_node_spec(tmp_path, home, profile), flavour="mariadb")
    assert created(r.sql) == CARBON_DBS + ([MB_DB] if mb_store else [])
    assert sourced(r.sql, home) == [(d, carbon) for d in CARBON_DBS] + ([(MB_DB, mb_store)] if mb_store else [])
    if fallback:
        (warning,) = r.warnings
        assert f"ships no {carbon.replace('mysql.sql', 'mysql5.7.sql')}: the schemas come from {carbon}" in warning
        assert warning.startswith(("WSO2 Message Broker", "WSO2 Enterprise"))
    else:
        assert r.warnings == []
    assert "not-in-the-output" not in r.sql


def test_db_sql_on_the_ei_fixture_reads_each_profiles_own_scripts(tmp_path: Path) -> None:
    home = FIXTURES / "ei-home"
    integrator = sql(two_node_spec(tmp_path, home, None))
    assert sourced(integrator.sql, home) == [(d, "dbscripts/mysql5.7.sql") for d in CARBON_DBS]
    assert integrator.warnings == []
    broker = sql(two_node_spec(tmp_path, home, "broker"))
    assert sourced(broker.sql, home) == [(d, f"{B}mysql.sql") for d in CARBON_DBS] + \
        [(MB_DB, f"{B}mb-store/mysql-mb.sql")]
    assert broker.warnings == ["WSO2 Enterprise Integrator 6.4.0 (broker profile) ships no "
                               f"{B}mysql5.7.sql: the schemas come from {B}mysql.sql, loaded with sql_mode "
                               "NO_ENGINE_SUBSTITUTION as the stock scripts need"]


def test_a_missing_broker_script_names_the_broker_profiles_folder(cli: Cli, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "ei-home", tmp_path / "ei1")
    (home / f"{B}mb-store/mysql-mb.sql").unlink()
    with pytest.raises(ConfigError) as e:
        sql(two_node_spec(tmp_path, home, "broker"))
    assert str(e.value) == (f"{home}/{B}mb-store/mysql-mb.sql: schema script is missing; restore {B} from the "
                            "product distribution")
    assert sql(two_node_spec(tmp_path, home, None)).warnings == []  # the integrator needs no MB store script


def test_db_sql_cli_prints_the_fallback_as_a_warning_and_the_sql_alone(cli: Cli, tmp_path: Path) -> None:
    home = FIXTURES / "esb-home"
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(SPEC.format(home=home), encoding="utf-8")
    r = cli("db", "sql", "--spec", spec, "--server", "mysql5.7")
    assert r.exit_code == 0 and r.stderr == ""
    assert created(r.stdout) == CARBON_DBS
    assert sourced(r.stdout, home) == [(d, "dbscripts/mysql5.7.sql") for d in CARBON_DBS]
    (home5 := copy_tree(home, tmp_path / "esb")).joinpath("dbscripts/mysql5.7.sql").unlink()
    r = cli("db", "sql", "--spec", spec, "--home", home5, "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 0 and doc["warnings"] == [
        "WSO2 Enterprise Service Bus 5.0.0 ships no dbscripts/mysql5.7.sql: the schemas come from dbscripts/mysql.sql, "
        "loaded with sql_mode NO_ENGINE_SUBSTITUTION as the stock scripts need"]
    assert sourced(doc["sql"], home5) == [(d, "dbscripts/mysql.sql") for d in CARBON_DBS]


def test_a_broker_xml_does_not_make_a_home_mb(cli: Cli, tmp_path: Path) -> None:
    """Regression: the MB store used to be planned for any home with a broker.xml or an mb-store script."""
    home = copy_tree(FIXTURES / "carbon-home", tmp_path / "carbon")
    (home / "repository/conf/broker.xml").write_bytes((FIXTURES / "mb-home/repository/conf/broker.xml").read_bytes())
    (home / "dbscripts/mb-store").mkdir()
    (home / MB).write_bytes((FIXTURES / f"mb-home/{MB}").read_bytes())
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(SPEC.format(home=home), encoding="utf-8")
    r = cli("db", "sql", "--spec", spec)
    assert r.exit_code == 0, r.output
    assert created(r.stdout) == CARBON_DBS and "mysql-mb.sql" not in r.stdout


# --- API Manager and Identity Server homes are refused, before any server is contacted ----------------------------
def _as_product(tmp_path: Path, key: str, name: str, version: str) -> Path:
    """The MB fixture (broker.xml, dbscripts/mb-store/) under another product's ServerKey, as API Manager ships."""
    home = copy_tree(FIXTURES / "mb-home", tmp_path / key.lower())
    carbon = home / "repository/conf/carbon.xml"
    raw = carbon.read_bytes()
    for old, new in ((b"<ServerKey>MB<", f"<ServerKey>{key}<"), (b"<Version>3.2.0<", f"<Version>{version}<"),
                     (b"<Name>WSO2 Message Broker<", f"<Name>{name}<")):
        assert raw.count(old) == 1
        raw = raw.replace(old, new.encode())
    carbon.write_bytes(raw)
    return home


@pytest.mark.parametrize(("home", "named"), [
    (lambda t: _as_product(t, "AM", "WSO2 API Manager", "2.6.0"), "WSO2 API Manager 2.6.0 (ServerKey AM)"),
    (lambda t: _as_product(t, "IS", "WSO2 Identity Server", "5.7.0"), "WSO2 Identity Server 5.7.0 (ServerKey IS)"),
    (lambda t: stock("wso2am-2.6.0"), "WSO2 API Manager 2.6.0 (ServerKey AM)"),
    (lambda t: stock("wso2am-2.1.0"), "WSO2 API Manager 2.1.0 (ServerKey AM)"),
    (lambda t: stock("wso2is-5.7.0"), "WSO2 Identity Server 5.7.0 (ServerKey IS)"),
], ids=["am-fixture", "is-fixture", "am-2.6.0", "am-2.1.0", "is-5.7.0"])
def test_db_sql_and_db_init_refuse_api_manager_and_identity_server(cli: Cli, tmp_path: Path,
                                                                   home: Callable[[Path], Path],
                                                                   named: str) -> None:
    target = home(tmp_path)
    spec = tmp_path / "wso2patch.toml"
    unreachable = SPEC.replace('"db.example.internal"', '"127.0.0.1"\nport = 1')  # reaching it would fail loudly
    spec.write_text(unreachable.format(home=target), encoding="utf-8")
    before = snapshot(tmp_path)
    for args in (("db", "sql"), ("db", "init", "--yes")):
        r = cli(*args, "--spec", spec)
        assert r.exit_code == 4 and r.stdout == "" and r.stderr.count("\n") == 1, r.output
        assert f"{target}: {named} is not supported: wso2patch supports MB" in r.stderr
        assert "cannot reach" not in r.stderr  # refused before any server is contacted
    assert snapshot(tmp_path) == before


# --- db init on a real server (our own mariadbd): only the needed databases, the profile's own scripts -----------
def server_spec(tmp_path: Path, mariadb: MariaDB, homes: list[Path], profile: str | None) -> tuple[Spec, str]:
    path, prefix, _ = write_spec(tmp_path, mariadb, homes)
    return with_profile(load_spec(path), profile), prefix


def init(spec: Spec) -> tuple[list[str], list[str]]:
    """db init, confirmed: (the actions it took, its warnings); then a second run finds nothing to do."""
    ui = Recorder()
    r = provision(spec, ui)
    assert r.status == "applied" and len(ui.asked) == 1
    assert provision(spec, Recorder()).status == "already"
    return [a for s in r.servers for a in s.actions], r.warnings


def test_db_init_on_an_ei_integrator_creates_no_mb_store(mariadb: MariaDB, tmp_path: Path) -> None:
    homes = [copy_tree(stock("wso2ei-6.6.0"), tmp_path / f"ei{i}") for i in (1, 2)]
    spec, prefix = server_spec(tmp_path, mariadb, homes, None)
    actions, warnings = init(spec)
    # measured: EI 6.6.0's dbscripts/mysql.sql creates 40 tables
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 40, f"{prefix}REG": 40, f"{prefix}LOCAL1": 40,
                                             f"{prefix}LOCAL2": 40}
    assert f"load dbscripts/mysql.sql -> {prefix}REG (40 tables)" in actions
    assert not any("mysql-mb" in a or a.endswith(f"{prefix}MB") for a in actions)
    assert len(warnings) == 1 and "ships no dbscripts/mysql5.7.sql" in warnings[0]


def test_db_init_on_an_ei_broker_loads_the_broker_scripts(mariadb: MariaDB, tmp_path: Path) -> None:
    homes = [copy_tree(stock("wso2ei-6.4.0"), tmp_path / f"ei{i}") for i in (1, 2)]
    spec, prefix = server_spec(tmp_path, mariadb, homes, "broker")
    actions, warnings = init(spec)
    # measured: EI 6.4.0's wso2/broker/dbscripts/mysql5.7.sql creates 40 tables, its mb-store/mysql-mb.sql 26
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 40, f"{prefix}REG": 40, f"{prefix}LOCAL1": 40,
                                             f"{prefix}LOCAL2": 40, f"{prefix}MB": 26}
    assert f"load {B}mysql5.7.sql -> {prefix}USER (40 tables)" in actions
    assert f"load {B}mb-store/mysql-mb.sql -> {prefix}MB (26 tables)" in actions
    assert warnings == []


def test_db_init_on_the_ei_fixture_per_profile(mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "ei-home", tmp_path / "ei1")
    spec, prefix = server_spec(tmp_path, mariadb, [home], None)
    init(spec)
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 3, f"{prefix}REG": 3, f"{prefix}LOCAL1": 3}
    spec, prefix = server_spec(tmp_path, mariadb, [home], "broker")
    actions, _ = init(spec)
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 3, f"{prefix}REG": 3, f"{prefix}LOCAL1": 3,
                                             f"{prefix}MB": 3}
    assert f"load {B}mb-store/mysql-mb.sql -> {prefix}MB (3 tables)" in actions


# --- check --db reads the datasources of the node's profile ---------------------------------------------------------
def point_at(file: Path, name: str, mariadb: MariaDB, database: str, user: str) -> None:
    """Point one datasource at our server, as apply would (the EI patches are not what this tests)."""
    raw = file.read_text(encoding="utf-8")
    at = raw.index(f"<name>{name}</name>")
    head, tail = raw[:at], raw[at:]
    for tag, value in (("url", f"jdbc:mysql://{mariadb.host}:{mariadb.port}/{database}"), ("username", user),
                       ("password", PASSWORD)):
        tail = re.sub(f"<{tag}>[^<]*</{tag}>", f"<{tag}>{value}</{tag}>", tail, count=1)
    file.write_text(head + tail, encoding="utf-8")


def results(spec: Spec, node: int) -> dict[str, tuple[bool | None, str]]:
    r = check(spec, node=node, db=True)
    assert r.datasources is not None and len(r.datasources) == 1
    return {d.name: (d.ok, d.detail) for d in r.datasources[0].results}


def test_check_db_on_ei_integrator_nodes(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    homes = [copy_tree(stock("wso2ei-6.4.0"), tmp_path / f"ei{i}") for i in (1, 2)]
    spec, prefix = server_spec(tmp_path, mariadb, homes, None)
    init(spec)
    for i, home in enumerate(homes, 1):
        point_at(home / "conf/datasources/master-datasources.xml", "WSO2_CARBON_DB", mariadb, f"{prefix}LOCAL{i}",
                 spec.db.username)
        assert results(spec, i) == {"WSO2_CARBON_DB": (True, "ok (SELECT 1)")}  # the one RDBMS datasource
    r = cli("check", "--db", "--home", homes[0], "--json")  # a lone home: its main profile
    doc = json.loads(r.stdout)
    assert [(d["name"], d["ok"]) for d in doc["datasources"][0]["results"]] == [("WSO2_CARBON_DB", True)]
    assert PASSWORD not in r.output


def test_check_db_on_ei_broker_nodes(mariadb: MariaDB, tmp_path: Path) -> None:
    homes = [copy_tree(stock("wso2ei-6.4.0"), tmp_path / f"ei{i}") for i in (1, 2)]
    spec, prefix = server_spec(tmp_path, mariadb, homes, "broker")
    init(spec)
    files = [h / "wso2/broker/conf/datasources/master-datasources.xml" for h in homes]
    point_at(files[0], "WSO2_MB_STORE_DB", mariadb, f"{prefix}MB", spec.db.username)
    point_at(files[1], "WSO2_MB_STORE_DB", mariadb, f"{prefix}MB", "nobody")  # fails on this node only
    one, two = results(spec, 1), results(spec, 2)
    assert one["WSO2_MB_STORE_DB"] == (True, "ok (SELECT 1)")
    assert one["WSO2_CARBON_DB"] == (None, "skipped: not a MySQL URL")
    assert two["WSO2_MB_STORE_DB"][0] is False and two["WSO2_MB_STORE_DB"][1].startswith("access denied")
    assert check(spec, node=2, db=True).status == "failed"
