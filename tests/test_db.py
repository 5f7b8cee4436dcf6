"""Databases on a real MariaDB server (our own throwaway mariadbd): db init, check --db, the driver jar."""

from __future__ import annotations

import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import pymysql
import pytest

from tests.conftest import DIST, FIXTURES, NO_STOCK, Cli, MariaDB, copy_tree, snapshot
from wso2patch.dbplan import scripts
from wso2patch.detect import detect
from wso2patch.sqlscript import load_script

_unique = itertools.count(1)
PASSWORD = "S3cr3t-Pa55"  # distinctive, so a leak in any output is easy to find


def write_spec(tmp: Path, db: MariaDB, homes: list[Path], *, user: str | None = None, password: str = PASSWORD,
               extra: str = "") -> tuple[Path, str, str]:
    """A spec whose database names and user are unique to this test; returns (spec, prefix, user)."""
    n = next(_unique)
    prefix, user = f"T{n}_", user or f"app{n}"
    nodes = "".join(f'[[node]]\nid = {i}\nhost = "10.0.0.{i}"\noffset = {i - 1}\nhome = "{h}"\n\n'
                    for i, h in enumerate(homes, 1))
    spec = tmp / "wso2patch.toml"
    spec.write_text(f'[database]\nhost = "{db.host}"\nport = {db.port}\nusername = "{user}"\npassword = "{password}"\n'
                    f'{extra}\n[database.names]\nuser = "{prefix}USER"\nregistry = "{prefix}REG"\n'
                    f'local = "{prefix}LOCAL{{id}}"\nmb_store = "{prefix}MB"\n\n{nodes}', encoding="utf-8")
    return spec, prefix, user


def admin(db: MariaDB, database: str | None = None) -> Any:
    return pymysql.connect(host=db.host, port=db.port, user=db.admin, password=db.admin_password, database=database,
                           autocommit=True)


def table_counts(db: MariaDB, prefix: str) -> dict[str, int]:
    with admin(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_schema, COUNT(*) FROM information_schema.tables WHERE table_schema LIKE %s "
                    "GROUP BY table_schema", (prefix + "%",))
        return {str(k): int(v) for k, v in cur.fetchall()}


def fake_jar(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("com/mysql/jdbc/Driver.class", b"\xca\xfe\xba\xbe")
    return path


# --- the whole flow on the real MB 3.2.0 tree -----------------------------------------------------------
@pytest.mark.skipif(not (DIST / "wso2mb-3.2.0").is_dir(), reason=NO_STOCK)
def test_db_init_twice_then_apply_then_check_on_mb_320(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    homes = [copy_tree(DIST / "wso2mb-3.2.0", tmp_path / f"mb{i}") for i in (1, 2)]
    spec, prefix, _ = write_spec(tmp_path, mariadb, homes)
    first = cli("db", "init", "--spec", spec, "--yes")
    assert first.exit_code == 0, first.output
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 39, f"{prefix}REG": 39, f"{prefix}LOCAL1": 39,
                                             f"{prefix}LOCAL2": 39, f"{prefix}MB": 26}
    second = cli("db", "init", "--spec", spec, "--yes", "--json")
    doc = json.loads(second.stdout)
    assert second.exit_code == 0 and doc["status"] == "already" and [s["actions"] for s in doc["servers"]] == [[]]
    jar = fake_jar(tmp_path / "mysql-connector-java-5.1.49.jar")
    for node in (1, 2):
        (homes[node - 1] / "repository/components/lib").mkdir(parents=True)  # a real pack has it; the trees do not
        assert cli("apply", "--spec", spec, "--node", node, "--yes", "--jdbc-driver", jar).exit_code == 0
    for node in (1, 2):
        r = cli("check", "--db", "--spec", spec, "--node", node)
        assert r.exit_code == 0, r.output
        for name in ("REGISTRY_DB", "WSO2_USER_DB", f"REGISTRY_LOCAL{node}", "WSO2_MB_STORE_DB"):
            assert name in r.stdout
        assert "error" not in r.stdout and "warning" not in r.stderr
        assert PASSWORD not in r.output


def test_db_init_on_the_fixture_home_creates_everything_once(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, prefix, user = write_spec(tmp_path, mariadb, [home])
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 0, r.output
    assert f"create the application user '{user}'@'%'" in r.stdout and "create database" in r.stdout
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 5, f"{prefix}REG": 5, f"{prefix}LOCAL1": 5,
                                             f"{prefix}MB": 3}
    again = cli("db", "init", "--spec", spec)  # nothing to do: no --yes needed
    assert again.exit_code == 0 and "nothing to do" in again.stdout
    with pymysql.connect(host=mariadb.host, port=mariadb.port, user=user, password=PASSWORD,
                         database=f"{prefix}REG") as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM REG_LOG")
        assert cur.fetchall() == ((0,),)


def test_a_half_loaded_database_is_reported_and_resumed(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(DIST / "wso2mb-3.2.0" if (DIST / "wso2mb-3.2.0").is_dir() else FIXTURES / "mb-home",
                     tmp_path / "mb1")
    spec, prefix, _ = write_spec(tmp_path, mariadb, [home])
    assert cli("db", "init", "--spec", spec, "--yes").exit_code == 0
    full = table_counts(mariadb, prefix)
    script = load_script(home, scripts(home, detect(home)).carbon)
    with admin(mariadb) as conn, conn.cursor() as cur:  # as if a load died after its first two statements
        cur.execute(f"DROP DATABASE `{prefix}REG`")
        cur.execute(f"CREATE DATABASE `{prefix}REG` CHARACTER SET latin1")
        cur.execute(f"USE `{prefix}REG`")
        for statement in script.statements[:2]:
            cur.execute(statement.sql)
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 0, r.output
    assert "resume dbscripts/" in r.stdout and "2 of" in r.stdout and "REG_CLUSTER_LOCK" in r.stdout
    assert table_counts(mariadb, prefix) == full
    assert "nothing to do" in cli("db", "init", "--spec", spec).stdout


def test_foreign_tables_are_refused_before_anything_is_created(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, prefix, _ = write_spec(tmp_path, mariadb, [home])
    with admin(mariadb) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{prefix}REG`")
        cur.execute(f"CREATE TABLE `{prefix}REG`.ORDERS (ID INTEGER)")
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 11
    assert f"{prefix}REG holds tables that" in r.stderr and "ORDERS" in r.stderr
    assert table_counts(mariadb, prefix) == {f"{prefix}REG": 1}


def test_a_changed_application_password_is_set_again(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, _, user = write_spec(tmp_path, mariadb, [home])
    assert cli("db", "init", "--spec", spec, "--yes").exit_code == 0
    with admin(mariadb) as conn, conn.cursor() as cur:
        cur.execute(f"ALTER USER '{user}'@'%' IDENTIFIED BY 'other'")
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 0 and "set the password of the application user" in r.stdout
    assert cli("apply", "--spec", spec, "--node", "1", "--yes").exit_code == 0
    assert cli("check", "--db", "--spec", spec, "--node", "1").exit_code == 0


# --- check --db ---------------------------------------------------------------------------------------
def test_check_db_reports_each_datasource_and_fails_on_a_bad_password(cli: Cli, mariadb: MariaDB,
                                                                      tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, _, _ = write_spec(tmp_path, mariadb, [home])
    assert cli("db", "init", "--spec", spec, "--yes").exit_code == 0
    assert cli("apply", "--spec", spec, "--node", "1", "--yes").exit_code == 0
    ds = home / "repository/conf/datasources/master-datasources.xml"
    raw = ds.read_bytes()
    at = raw.index(b"<name>REGISTRY_LOCAL1</name>")  # break this datasource's password only
    ds.write_bytes(raw[:at] + raw[at:].replace(f"<password>{PASSWORD}<".encode(), b"<password>wrong<", 1))
    r = cli("check", "--db", "--home", home, "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    results = {r["name"]: (r["ok"], r["detail"]) for r in doc["datasources"][0]["results"]}
    assert results["REGISTRY_LOCAL1"][0] is False and results["REGISTRY_LOCAL1"][1].startswith("access denied")
    assert results["REGISTRY_DB"] == (True, "ok (SELECT 1)")
    assert any("no mysql-connector" in w for w in doc["warnings"])
    assert PASSWORD not in r.output and "wrong" not in r.output


def test_check_db_skips_embedded_h2_datasources(cli: Cli, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    r = cli("check", "--db", "--home", home)
    assert r.exit_code == 0
    assert "skipped: not a MySQL URL" in r.stdout


# --- bad input: one line, documented exit code, nothing half-done ---------------------------------------
def test_unreachable_server(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, _, _ = write_spec(tmp_path, MariaDB(mariadb.host, 1, "root", ""), [home])
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 11 and r.stderr.count("\n") == 1
    assert "cannot reach the MySQL server at 127.0.0.1:1" in r.stderr


def test_wrong_admin_password_and_unset_password_env(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, _, _ = write_spec(tmp_path, mariadb, [home])
    r = cli("db", "init", "--spec", spec, "--yes", "--admin-password-env", "ADMIN_PW", env={"ADMIN_PW": "nope"})
    assert r.exit_code == 11 and "access denied for the admin user 'root'" in r.stderr
    assert "nope" not in r.output
    r = cli("db", "init", "--spec", spec, "--yes", "--admin-password-env", "UNSET_ADMIN_PW_VAR")
    assert r.exit_code == 11 and "$UNSET_ADMIN_PW_VAR, which is not set" in r.stderr


def test_missing_privileges(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, prefix, _ = write_spec(tmp_path, mariadb, [home])
    weak = f"weak{next(_unique)}"
    with admin(mariadb) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{weak}'@'%' IDENTIFIED BY 'w'")
        cur.execute(f"GRANT SELECT ON mysql.* TO '{weak}'@'%'")
    r = cli("db", "init", "--spec", spec, "--yes", "--admin-user", weak, "--admin-password-env", "W", env={"W": "w"})
    assert r.exit_code == 11 and f"the admin user '{weak}' lacks a privilege" in r.stderr
    assert table_counts(mariadb, prefix) == {}


def test_missing_schema_script(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    (home / "dbscripts/mb-store/mysql-mb.sql").unlink()
    spec, prefix, _ = write_spec(tmp_path, mariadb, [home])
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 5 and "mysql-mb.sql: schema script is missing" in r.stderr
    assert table_counts(mariadb, prefix) == {}


def test_db_init_without_yes_refuses_and_creates_nothing(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, prefix, _ = write_spec(tmp_path, mariadb, [home])
    r = cli("db", "init", "--spec", spec)
    assert r.exit_code == 8 and "create database" in r.stdout
    assert table_counts(mariadb, prefix) == {}


# --- the JDBC driver jar ------------------------------------------------------------------------------
def test_jdbc_driver_is_copied_backed_up_and_rolled_back(cli: Cli, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    (home / "repository/components/lib").mkdir(parents=True, exist_ok=True)
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(f'[database]\nhost = "db"\nusername = "u"\npassword = "p"\n[[node]]\nid = 1\nhost = "10.0.0.1"\n'
                    f'home = "{home}"\n')
    before = snapshot(home)
    jar = fake_jar(tmp_path / "mysql-connector-java-5.1.49.jar")
    assert "no mysql-connector" in cli("check", "--home", home).stderr
    r = cli("apply", "--spec", spec, "--node", "1", "--yes", "--jdbc-driver", jar)
    assert r.exit_code == 0 and "new file: repository/components/lib/mysql-connector-java-5.1.49.jar" in r.stdout
    assert (home / "repository/components/lib" / jar.name).read_bytes() == jar.read_bytes()
    assert "warning" not in cli("check", "--home", home).stderr
    again = cli("apply", "--spec", spec, "--node", "1", "--yes", "--jdbc-driver", jar)
    assert again.exit_code == 0 and "already applied" in again.stdout
    assert cli("rollback", "--home", home, "--yes").exit_code == 0
    assert {k: v for k, v in snapshot(home).items() if not k.startswith(".wso2patch/")} == before


def test_a_jar_that_is_not_a_mysql_driver_is_refused(cli: Cli, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(f'[database]\nhost = "db"\nusername = "u"\npassword = "p"\n[[node]]\nid = 1\nhost = "10.0.0.1"\n'
                    f'home = "{home}"\n')
    other = tmp_path / "other.jar"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("org/h2/Driver.class", b"")
    before = snapshot(tmp_path)
    r = cli("apply", "--spec", spec, "--node", "1", "--yes", "--jdbc-driver", other)
    assert r.exit_code == 5 and "not a MySQL Connector/J jar" in r.stderr
    r = cli("apply", "--spec", spec, "--node", "1", "--yes", "--jdbc-driver", tmp_path / "missing.jar")
    assert r.exit_code == 5 and "JDBC driver jar not found" in r.stderr
    assert snapshot(tmp_path) == before


# --- secrets ------------------------------------------------------------------------------------------
def test_passwords_never_appear_in_output_unless_asked(cli: Cli, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(f'[database]\nhost = "db"\nusername = "u"\npassword = "{PASSWORD}"\noptions = "password={PASSWORD}"'
                    f'\n[[node]]\nid = 1\nhost = "10.0.0.1"\nhome = "{home}"\n')
    outputs = [cli("diff", "--spec", spec, "--node", "1"), cli("diff", "--spec", spec, "--node", "1", "--json"),
               cli("db", "sql", "--spec", spec), cli("db", "sql", "--spec", spec, "--json"),
               cli("apply", "--spec", spec, "--node", "1", "--yes"),
               cli("check", "--db", "--home", home, "--json")]
    for r in outputs:
        assert PASSWORD not in r.output, r.output
    assert (home / "repository/conf/registry.xml").read_bytes().count(PASSWORD.encode()) >= 1  # it is in the file
    assert PASSWORD in cli("db", "sql", "--spec", spec, "--show-secrets").stdout
