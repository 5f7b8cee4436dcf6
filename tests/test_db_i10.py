"""`db sql` and `db init` with issue 10's database keys: a server per kind of database (one admin connection per
server, one application user per login), a separate governance database, local registries left on H2."""

from __future__ import annotations

import json
import re
import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from tests.conftest import FIXTURES, REPO, Cli, MariaDB, copy_tree
from tests.test_db import _unique, admin, table_counts

PASSWORD, MB_PASSWORD = "S3cr3t-Pa55", "Mb-Pa55-77"


def spec_text(host: str, port: int, prefix: str, user: str, homes: list[Path], *, database: str = "",
              names: str = "", tables: str = "") -> str:
    nodes = "".join(f'[[node]]\nid = {i}\nhost = "10.0.0.{i}"\noffset = {i - 1}\nhome = "{h}"\n\n'
                    for i, h in enumerate(homes, 1))
    return (f'[database]\nhost = "{host}"\nport = {port}\nusername = "{user}"\npassword = "{PASSWORD}"\n{database}\n'
            f'[database.names]\nuser = "{prefix}USER"\nregistry = "{prefix}REG"\nmb_store = "{prefix}MB"\n{names}\n'
            f"{tables}\n{nodes}")


# --- db sql: no server needed ---------------------------------------------------------------------------------
def sql(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, *extra: str) -> str:
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(body, encoding="utf-8")
    monkeypatch.chdir(REPO)
    r = cli("db", "sql", "--spec", spec, "--home", "fixtures/mb-home", *extra)
    assert r.exit_code == 0, r.output
    return str(r.stdout)


def test_db_sql_on_two_servers_prints_a_part_per_server(cli: Cli, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    homes = [tmp_path / "a", tmp_path / "b"]
    out = sql(cli, tmp_path, monkeypatch, spec_text(
        "db1.example.com", 3306, "", "app", homes, names='local = "LOCAL{id}"\ngovernance = "GOV"\n',
        tables=f'[database.mb_store]\nhost = "db2.example.com"\nusername = "mb"\npassword = "{MB_PASSWORD}"\n'
               '[database.user]\nusername = "um"\n'))
    parts = out.split("-- ==== on the server at ")
    assert len(parts) == 3 and parts[1].startswith("db1.example.com:3306: run this part there ====")
    first, second = parts[1], parts[2]
    assert re.findall(r"CREATE DATABASE IF NOT EXISTS `(\w+)`", first) == ["USER", "REG", "LOCAL1", "LOCAL2", "GOV"]
    assert re.findall(r"CREATE DATABASE IF NOT EXISTS `(\w+)`", second) == ["MB"]
    # two users on db1, each with rights on its own databases only
    assert "-- the application user of user, with rights on its databases only\n" \
           "CREATE USER IF NOT EXISTS 'um'@'%' IDENTIFIED WITH mysql_native_password BY '********';\n" \
           "GRANT ALL PRIVILEGES ON `USER`.* TO 'um'@'%';\n" in first
    assert "-- the application user of registry, local, governance, with rights on its databases only" in first
    assert re.findall(r"GRANT ALL PRIVILEGES ON `(\w+)`.\* TO 'app'@'%'", first) == ["REG", "LOCAL1", "LOCAL2", "GOV"]
    assert "CREATE USER IF NOT EXISTS 'mb'@'%'" in second and "GRANT ALL PRIVILEGES ON `MB`.* TO 'mb'@'%'" in second
    assert "SOURCE fixtures/mb-home/dbscripts/mb-store/mysql-mb.sql;" in second
    assert re.findall(r"USE `(\w+)`;\nSOURCE fixtures/mb-home/dbscripts/mysql.sql;", first) == \
        ["USER", "REG", "LOCAL1", "LOCAL2", "GOV"]
    assert PASSWORD not in out and MB_PASSWORD not in out
    shown = sql(cli, tmp_path, monkeypatch, spec_text("db1", 3306, "", "app", homes, tables=(
        f'[database.mb_store]\nhost = "db2"\nusername = "mb"\npassword = "{MB_PASSWORD}"\n')), "--show-secrets")
    assert f"'mb'@'%' IDENTIFIED WITH mysql_native_password BY '{MB_PASSWORD}'" in shown


def test_db_sql_with_embedded_local_registries_creates_no_local_database(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = sql(cli, tmp_path, monkeypatch, spec_text("db", 3306, "", "app", [tmp_path / "a", tmp_path / "b"],
                                                    database='local = "embedded"\n'))
    assert re.findall(r"CREATE DATABASE IF NOT EXISTS `(\w+)`", out) == ["USER", "REG", "MB"]
    assert "LOCAL" not in out and "==== on the server" not in out


@pytest.mark.parametrize("base, other", [("DB.example.com", "db.EXAMPLE.com"), ("127.0.0.1", "localhost"),
                                         ("2001:db8::1", "2001:DB8:0::1")])
def test_one_server_spelled_two_ways_is_one_server(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   base: str, other: str) -> None:
    out = sql(cli, tmp_path, monkeypatch, spec_text(base, 3306, "", "app", [tmp_path / "a"],
                                                    tables=f'[database.mb_store]\nhost = "{other}"\n'))
    assert "==== on the server" not in out and out.count("CREATE USER") == 1


# --- db init on our own MariaDB, and a second "server": a port forwarded to it ------------------------------------
class _Relay(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        target = self.server.target  # type: ignore[attr-defined]
        with socket.create_connection(target) as upstream:
            ends = [self.request, upstream]
            while True:
                readable, _, _ = select.select(ends, [], [], 30)
                if not readable:
                    return
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.request else self.request).sendall(data)


@pytest.fixture
def second_port(mariadb: MariaDB) -> Iterator[int]:
    """Another port on 127.0.0.1 that reaches the same mariadbd: to wso2patch, another database server."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Relay)
    server.daemon_threads = True
    server.target = (mariadb.host, mariadb.port)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_db_init_connects_to_each_server_and_creates_everything_once(cli: Cli, mariadb: MariaDB, second_port: int,
                                                                    tmp_path: Path) -> None:
    n = next(_unique)
    prefix, user, mb_user = f"T{n}_", f"app{n}", f"mb{n}"
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(spec_text(mariadb.host, mariadb.port, prefix, user, [home], names=f'local = "{prefix}LOCAL{{id}}"'
                              f'\ngovernance = "{prefix}GOV"\n', tables=(
                                  f'[database.mb_store]\nport = {second_port}\nusername = "{mb_user}"\n'
                                  f'password = "{MB_PASSWORD}"\n')), encoding="utf-8")
    r = cli("db", "init", "--spec", spec, "--yes", "--json")
    assert r.exit_code == 0, r.output
    servers = json.loads(r.stdout)["servers"]
    assert len(servers) == 2
    assert f"create the application user '{user}'@'%'" in servers[0]["actions"]
    assert servers[1]["actions"][:2] == [f"create database {prefix}MB", f"create the application user '{mb_user}'@'%'"]
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 5, f"{prefix}REG": 5, f"{prefix}LOCAL1": 5,
                                             f"{prefix}GOV": 5, f"{prefix}MB": 3}
    with admin(mariadb) as conn, conn.cursor() as cur:  # each user has rights on its own databases only
        cur.execute(f"SHOW GRANTS FOR '{mb_user}'@'%'")
        grants = " ".join(str(g[0]) for g in cur.fetchall())
    assert f"{prefix}MB" in grants and f"{prefix}REG" not in grants
    again = cli("db", "init", "--spec", spec)
    assert again.exit_code == 0 and again.stdout.count("nothing to do") == 2, again.output
    assert f"{mariadb.host}:{mariadb.port}" in again.stdout and f"{mariadb.host}:{second_port}" in again.stdout
    assert cli("apply", "--spec", spec, "--node", "1", "--yes").exit_code == 0
    checked = cli("check", "--db", "--home", home, "--json")
    rows = {r["name"]: r["detail"] for r in json.loads(checked.stdout)["datasources"][0]["results"]}
    assert {k: v for k, v in rows.items() if k != "WSO2_CARBON_DB"} == dict.fromkeys(
        ["REGISTRY_LOCAL1", "REGISTRY_DB", "REGISTRY_GOV_DB", "WSO2_USER_DB", "WSO2_MB_STORE_DB"], "ok (SELECT 1)")
    assert PASSWORD not in checked.output + r.output and MB_PASSWORD not in checked.output + r.output


def test_db_init_with_embedded_local_registries(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    n = next(_unique)
    prefix = f"T{n}_"
    home = copy_tree(FIXTURES / "carbon-home", tmp_path / "c1")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(spec_text(mariadb.host, mariadb.port, prefix, f"app{n}", [home, tmp_path / "elsewhere"],
                              database='local = "embedded"\n'), encoding="utf-8")
    r = cli("db", "init", "--spec", spec, "--home", home, "--yes")
    assert r.exit_code == 0, r.output
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 5, f"{prefix}REG": 5}  # Carbon: no MB store either
    assert "LOCAL" not in r.stdout


def test_an_unreachable_second_server_stops_before_anything_is_created(cli: Cli, mariadb: MariaDB,
                                                                      tmp_path: Path) -> None:
    n = next(_unique)
    prefix = f"T{n}_"
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(spec_text(mariadb.host, mariadb.port, prefix, f"app{n}", [home],
                              names=f'local = "{prefix}LOCAL{{id}}"\n',
                              tables='[database.mb_store]\nhost = "127.0.0.1"\nport = 1\n'), encoding="utf-8")
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 11 and r.stderr.count("\n") == 1
    assert "cannot reach the MySQL server at 127.0.0.1:1" in r.stderr
    assert table_counts(mariadb, prefix) == {}
    with pytest.raises(pymysql.MySQLError):  # and no application user either
        pymysql.connect(host=mariadb.host, port=mariadb.port, user=f"app{n}", password=PASSWORD).close()
