"""`db sql` output as golden files (tests/golden/*.sql); WSO2PATCH_UPDATE_GOLDEN=1 rewrites them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO, Cli

GOLDEN = Path(__file__).parent / "golden"
SPEC = """[database]
host = "db.example.internal"
port = 3307
username = "regadmin"
password = "not-in-the-output"
options = "autoReconnect=true&useSSL=false"

[[node]]
id = 1
host = "10.100.7.118"

[[node]]
id = 2
host = "10.100.7.119"
"""


@pytest.mark.parametrize("home, server", [("mb-home", "mysql8"), ("mb-home", "mysql5.7"), ("carbon-home", "mysql8"),
                                          ("carbon-home", "mariadb")])
def test_db_sql_golden(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str, server: str) -> None:
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(SPEC, encoding="utf-8")
    monkeypatch.chdir(REPO)
    r = cli("db", "sql", "--spec", spec, "--home", f"fixtures/{home}", "--server", server)
    assert r.exit_code == 0, r.output
    golden = GOLDEN / f"db-sql-{home}-{server}.sql"
    if os.environ.get("WSO2PATCH_UPDATE_GOLDEN"):
        golden.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == golden.read_text(encoding="utf-8")
    assert "not-in-the-output" not in r.stdout


def test_db_sql_refuses_an_unknown_server(cli: Cli) -> None:
    assert cli("db", "sql", "--server", "oracle").exit_code == 2


def _sql(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str, home: str, *extra: str) -> str:
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(SPEC.replace('"not-in-the-output"', f'"{password}"'), encoding="utf-8")
    monkeypatch.chdir(REPO)
    r = cli("db", "sql", "--spec", spec, "--home", f"fixtures/{home}", *extra)
    assert r.exit_code == 0, r.output
    return str(r.stdout)


def test_a_password_equal_to_the_user_name_masks_only_the_literal(cli: Cli, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = _sql(cli, tmp_path, monkeypatch, "regadmin", "mb-home")  # the starter spec's regadmin / regadmin
    assert "CREATE USER IF NOT EXISTS 'regadmin'@'%' IDENTIFIED WITH mysql_native_password BY '********';" in out
    assert "GRANT ALL PRIVILEGES ON `REGISTRY_DB`.* TO 'regadmin'@'%';" in out
    doc = json.loads(_sql(cli, tmp_path, monkeypatch, "regadmin", "mb-home", "--json"))
    assert "'regadmin'@'%' IDENTIFIED WITH mysql_native_password BY '********'" in doc["sql"]
    shown = _sql(cli, tmp_path, monkeypatch, "regadmin", "mb-home", "--show-secrets")
    assert "'regadmin'@'%' IDENTIFIED WITH mysql_native_password BY 'regadmin';" in shown


def test_a_password_that_is_a_common_word_masks_only_the_literal(cli: Cli, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out = _sql(cli, tmp_path, monkeypatch, "mysql", "carbon-home", "--server", "mysql5.7")
    assert "SOURCE fixtures/carbon-home/dbscripts/mysql5.7.sql;" in out and "server MySQL 5.7" in out
    assert "IDENTIFIED BY '********';" in out and "'mysql'" not in out
    out = _sql(cli, tmp_path, monkeypatch, "mysql", "mb-home")
    assert "SOURCE fixtures/mb-home/dbscripts/mb-store/mysql-mb.sql;" in out
