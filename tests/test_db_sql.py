"""`db sql` output as golden files (tests/golden/*.sql); WSO2PATCH_UPDATE_GOLDEN=1 rewrites them."""

from __future__ import annotations

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
