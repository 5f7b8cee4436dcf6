"""Shared test helpers: stock trees (real ones from ../shared when present), fixture homes, specs, the CLI."""

from __future__ import annotations

import hashlib
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wso2patch.cli import app

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
DIST = REPO.parent / "shared" / "wso2-dist"
STOCK = sorted(p for p in DIST.glob("*") if (p / "repository/conf/carbon.xml").is_file()) if DIST.is_dir() else []
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


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file below root (the 'no byte changed' check)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


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

    def __call__(self, *args: str | Path, env: dict[str, str] | None = None) -> Any:
        result = self.runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result


@pytest.fixture
def cli() -> Cli:
    return Cli()
