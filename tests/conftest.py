"""Shared test helpers: stock trees (real ones from ../shared when present), fixture homes, specs, the CLI."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql
import pytest
from typer.testing import CliRunner

from wso2patch.cli import app

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
DIST = REPO.parent / "shared" / "wso2-dist"
# The MB and Carbon trees, named: ../shared also holds EI, ESB, IS and API Manager trees, which have rules of their own
# (the products issue brings them in); picking every tree with a carbon.xml ran the MB expectations on them.
STOCK_NAMES = ("wso2mb-3.2.0", "wso2mb-3.1.0", "wso2mb-3.0.0", "wso2mb-2.5.0", "wso2carbon-4.4.16")
STOCK = [DIST / n for n in STOCK_NAMES if (DIST / n / "repository/conf/carbon.xml").is_file()]
NO_STOCK = "../shared/wso2-dist is not beside the repo: real stock trees are tested only where it is checked out"
FIXTURE_HOMES = ["mb-home", "carbon-home", "mb-old-home"]


def stock_params() -> list[Any]:
    if not STOCK:
        return [pytest.param(None, id="no-stock", marks=pytest.mark.skip(reason=NO_STOCK))]
    return [pytest.param(p, id=p.name) for p in STOCK]


def all_tree_params() -> list[Any]:
    """Our own fixture homes (always there) plus the real stock trees (when present)."""
    return [pytest.param(FIXTURES / name, id=f"fixture-{name}") for name in FIXTURE_HOMES] + stock_params()


SPEC = """\
[cluster]
domain = "wso2.mb.domain"

[database]
host = "localhost"
port = 3306
username = "regadmin"
password = "regadmin"
options = "autoReconnect=true"

[database.names]
user = "WSO2_USER_DB"
registry = "REGISTRY_DB"
local = "REGISTRY_LOCAL{{id}}"
mb_store = "WSO2_MB_STORE_DB"

[[node]]
id = 1
host = "10.100.7.118"
offset = 0
home = "{home1}"

[[node]]
id = 2
host = "10.100.7.118"
offset = 3
home = "{home2}"
"""


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    for p in [dest, *dest.rglob("*")]:  # stock trees are read-only
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dest


def snapshot(root: Path, *, skip: str | None = None) -> dict[str, str]:
    """sha256 of every file below root (the 'no byte changed' check), but for those under the folder `skip`. A file
    that goes between listing and reading (a running command's temporary file) is no part of any state."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if skip is not None and (rel == skip or rel.startswith(f"{skip}/")):
            continue
        try:
            if p.is_file() and not p.is_symlink():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        except FileNotFoundError:
            continue
    return out


@pytest.fixture
def cluster(tmp_path: Path) -> Callable[[Path], tuple[Path, Path, Path]]:
    """cluster(tree) -> (spec, home1, home2): two copies of a tree and the contract's example spec."""

    def make(tree: Path) -> tuple[Path, Path, Path]:
        h1, h2 = copy_tree(tree, tmp_path / "mb1"), copy_tree(tree, tmp_path / "mb2")
        spec = tmp_path / "wso2patch.toml"
        spec.write_text(SPEC.format(home1=h1, home2=h2), encoding="utf-8")
        return spec, h1, h2

    return make


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str | Path | int, env: dict[str, str] | None = None) -> Any:
        result = self.runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result


@pytest.fixture
def cli() -> Cli:
    return Cli()


# --- a throwaway MariaDB server for the database tests -------------------------------------------------
NO_DB = "no mariadbd/mariadb-install-db on this machine: database tests need MariaDB (.ci/run installs it)"


@dataclass(frozen=True)
class MariaDB:
    host: str
    port: int
    admin: str
    admin_password: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                            if os.access(p, os.X_OK)), None)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    """Our own mariadbd on a temporary data directory and port; never a server we did not start."""
    server, install = _binary("mariadbd", "mysqld"), _binary("mariadb-install-db", "mysql_install_db")
    if not server or not install:
        if os.environ.get("WSO2PATCH_REQUIRE_DB"):
            pytest.fail(NO_DB)
        pytest.skip(NO_DB)
    base = tmp_path_factory.mktemp("mariadb")
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run([install, "--no-defaults", f"--datadir={base / 'data'}", "--auth-root-authentication-method=normal",
                    "--skip-test-db", *as_root], check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([server, "--no-defaults", f"--datadir={base / 'data'}", f"--socket={base / 'sock'}",
                             f"--port={port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
                             f"--pid-file={base / 'pid'}", f"--log-error={base / 'error.log'}",
                             "--innodb-buffer-pool-size=64M", *as_root],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            pymysql.connect(host="127.0.0.1", port=port, user="root", password="", connect_timeout=2).close()
            break
        except pymysql.MySQLError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log = (base / "error.log").read_text(errors="replace")[-2000:] if (base / "error.log").exists() else ""
                pytest.fail(f"mariadbd did not start: {log}")
            time.sleep(0.3)
    try:
        yield MariaDB("127.0.0.1", port, "root", "")
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
