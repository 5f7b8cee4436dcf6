"""The command line parsed without typer (wso2patch.fastcli) is the command line cli.py parses: the same values
reach the shell, the same bytes are printed, the same exit codes returned; whatever it does not parse as click
would goes to cli.py (help, usage errors, anything unusual)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import FIXTURES
from tests.test_bad_inputs import console_script
from wso2patch import fastcli
from wso2patch.cli import app
from wso2patch.shell import commands

Cluster = Callable[[Path], tuple[Path, Path, Path]]
FULL_CLI = [sys.executable, "-c", "import sys; from wso2patch.cli import main; sys.argv[0] = 'wso2patch'; main()"]

# command lines fastcli parses itself
FAST = [
    ["diff"], ["diff", "--node", "2"], ["diff", "--node=2", "--json"], ["diff", "--node", "02", "-q"],
    ["diff", "--home", "h", "--node", "1", "--spec", "s.toml", "--jdbc-driver", "d.jar", "--show-secrets",
     "--reassign", "--quiet"],
    ["diff", "--home", "h"], ["diff", "--spec=s.toml", "--json", "--json"],
    ["apply", "--node", "2", "--yes"], ["apply", "--all", "-y", "--json"], ["apply", "--node", "1", "--all"],
    ["apply"], ["apply", "--node", "1", "--no-pager", "--reassign", "--show-secrets", "-q", "--jdbc-driver=x.jar"],
    ["status"], ["status", "--node", "2", "--json"], ["status", "--home", "h", "--spec", "s"],
    ["history", "--home", "h"], ["history"], ["recover", "--node", "3", "-q"],
    ["rollback", "--node", "2", "--to", "abc", "--force", "-y", "--show-secrets"], ["rollback"],
    ["patches"], ["patches", "--spec", "s.toml", "--json"],
    ["check"], ["check", "--home", "a", "--home=b", "--db", "--planned", "--node", "1", "--show-secrets"],
]
# command lines it leaves to cli.py
SLOW = [
    [], ["--help"], ["-h"], ["diff", "--help"], ["diff", "-h"], ["diff", "--node"], ["diff", "--node", "x"],
    ["diff", "--node", "-1"], ["diff", "--node", "1", "--node", "2"], ["diff", "--spec", ""], ["diff", "--spec="],
    ["diff", "--spec", "--json"], ["diff", "--json=1"], ["diff", "--bogus"], ["diff", "extra"], ["diff", "--"],
    ["apply", "-yq"], ["diff", "--node", "\uff12"], ["init"], ["compare", "a", "b"], ["db", "sql"],
    ["--version", "diff"], ["diff", "--version"], ["Diff"], ["status", "--all"], ["check", "--home"],
]


def _typer_values(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, Any]]:
    """What cli.py hands the shell for `args` (the shell function's name and keyword arguments)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    for name in fastcli.COMMANDS:
        def record(*a: Any, _name: str = name, **kw: Any) -> int:
            seen.append((_name, kw))
            return 0

        monkeypatch.setattr(commands, name, record)
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0 and len(seen) == 1, result.output
    return seen[0]


@pytest.mark.parametrize("args", FAST, ids=" ".join)
def test_both_parsers_hand_the_shell_the_same_values(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert fastcli.parse(args) == _typer_values(args, monkeypatch)


@pytest.mark.parametrize("args", SLOW, ids=lambda a: " ".join(a) or "no-args")
def test_the_rest_goes_to_cli_py(args: list[str]) -> None:
    assert fastcli.parse(args) is None


def test_shell_completion_goes_to_cli_py(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_WSO2PATCH_COMPLETE", "bash_complete")
    assert fastcli.parse(["diff"]) is None


def test_the_table_of_options_is_cli_py_s() -> None:
    """Every option cli.py declares for a command fastcli parses is in its table, with its kind, and nothing more:
    an option added to cli.py alone would send its command lines to cli.py, never parse them wrongly."""
    import typer.main

    group = typer.main.get_command(app)
    for name, table in fastcli.COMMANDS.items():
        command = group.commands[name]  # type: ignore[attr-defined]
        declared: dict[str, tuple[str, str]] = {}
        for p in command.params:
            kind = fastcli.FLAG if p.is_flag else fastcli.PATHS if p.multiple else \
                fastcli.INT if p.type.name == "int" else fastcli.PATH if p.type.name == "path" else fastcli.STR
            for opt in p.opts:
                declared[opt] = (p.name, kind)
        declared = {o: v for o, v in declared.items() if o not in ("--help", "-h")}
        assert table == declared, name


# --- the whole process: console script (fastcli) against cli.main (typer), byte for byte --------------------------

def _run(cmd: list[str], cwd: Path) -> tuple[int, str, str]:
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=cwd, timeout=120,
                       check=False)
    return p.returncode, p.stdout, p.stderr


READS = [
    ["diff"], ["diff", "--node", "2"], ["diff", "--node", "2", "--json"], ["diff", "--node", "2", "-q"],
    ["diff", "--node", "2", "--show-secrets"], ["diff", "--home", "mb1"], ["diff", "--home", "mb1", "--json"],
    ["diff", "--node", "9"], ["diff", "--node", "2", "--home", "nowhere", "--json"],
    ["diff", "--node", "1", "--jdbc-driver", "nothing.jar"],
    ["apply", "--node", "2"], ["apply", "--node", "2", "--json"], ["apply"], ["apply", "--all", "--home", "mb1"],
    ["apply", "--node", "1", "--all", "--json"],
    ["status"], ["status", "--node", "1", "--json"], ["status", "--home", "nowhere"],
    ["history", "--node", "1"], ["history"], ["history", "--json"], ["recover", "--node", "1"],
    ["rollback", "--node", "1", "--yes"], ["rollback", "--json"], ["rollback", "--node", "1", "--to", "x", "-y"],
    ["patches"], ["patches", "--json"], ["check"], ["check", "--json", "-q"], ["check", "--planned"],
    ["check", "--home", "mb1", "--home", "mb2"],
    ["diff", "--spec", "missing.toml"],
]


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_console_script_prints_what_cli_py_prints(args: list[str], tmp_path: Path, cluster: Cluster) -> None:
    spec, _, _ = cluster(FIXTURES / "mb-home")
    args = args if "--spec" in args else [*args, "--spec", str(spec)]
    assert fastcli.parse(args) is not None  # these are the fast path's
    full = _run([*FULL_CLI, *args], tmp_path)
    assert _run([*console_script(), *args], tmp_path) == full


@pytest.mark.parametrize("args", [["apply", "--node", "2", "--yes"], ["apply", "--all", "-y", "--json"],
                                  ["apply", "--all", "--yes", "-q"]], ids=" ".join)
def test_an_apply_prints_and_writes_what_cli_py_does(args: list[str], tmp_path: Path, cluster: Cluster) -> None:
    spec, h1, h2 = cluster(FIXTURES / "mb-home")
    fresh = tmp_path / "fresh"
    shutil.copytree(tmp_path, fresh, symlinks=True, ignore=shutil.ignore_patterns("fresh"))
    full = _run([*FULL_CLI, *args, "--spec", str(spec)], tmp_path)
    written = _configs(tmp_path, h1, h2)
    for h in (h1, h2):  # the same homes again, at the same paths, as they were before
        shutil.rmtree(h)
        shutil.copytree(fresh / h.name, h, symlinks=True)
    fast = _run([*console_script(), *args, "--spec", str(spec)], tmp_path)
    assert full[0] == 0 and (fast[0], fast[2]) == (full[0], full[2])
    if "--json" in args:  # a transaction's id and time differ from run to run: the document's shape does not
        assert fast[1].count("\n") == full[1].count("\n") and fast[1].count('"applied"') == full[1].count('"applied"')
    else:
        assert fast[1] == full[1]
    assert _configs(tmp_path, h1, h2) == written


def _configs(base: Path, *homes: Path) -> dict[Path, bytes]:
    """The homes' config files (not the journal's copies, whose folders are named after the transaction)."""
    return {p.relative_to(base): p.read_bytes() for h in homes for p in sorted((h / "repository").rglob("*"))
            if p.is_file()}


def test_the_fast_path_imports_neither_typer_nor_rich(tmp_path: Path, cluster: Cluster) -> None:
    spec, _, _ = cluster(FIXTURES / "mb-home")
    code, out, err = _run([sys.executable, "-X", "importtime", "-m", "wso2patch", "diff", "--spec", str(spec)],
                          tmp_path)
    imported = {line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if line.startswith("import time:")}
    assert code == 1 and "+++ b/" in out and "wso2patch.commands.diff" in imported
    assert not {m for m in imported if m.split(".")[0] in ("typer", "click", "rich") or m == "wso2patch.cli"}


# --- plain lines where rich would print the same -----------------------------------------------------------------

def _rich_line(text: str, style: str) -> str:
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    Console(file=buf, highlight=False, soft_wrap=True).print(Text(text, style=style), crop=False)
    return buf.getvalue()


def _stream_line(text: str, style: str) -> str:
    from wso2patch.shell.console import Stream

    buf, was = io.StringIO(), sys.stdout
    sys.stdout = buf  # Stream looks sys.stdout up at each line, as rich does
    try:
        Stream().line(text, style)
    finally:
        sys.stdout = was
    return buf.getvalue()


@given(st.text(st.characters(min_codepoint=0, max_codepoint=0x2FFF), max_size=200),
       st.sampled_from(["", "bold", "red", "yellow", "bold green"]))
def test_a_line_to_a_pipe_is_what_rich_prints(text: str, style: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("FORCE_COLOR", raising=False)
        mp.delenv("TTY_COMPATIBLE", raising=False)
        assert _stream_line(text, style) == _rich_line(text, style)


@pytest.mark.parametrize("text", ["a\tb", "x\ry", "bell\a", "  trailing  ", "é", "", "x" * 300, "[bold]no[/bold]"])
def test_lines_rich_would_change_are_left_to_rich(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert _stream_line(text, "yellow") == _rich_line(text, "yellow")


def test_force_color_is_rich_s_to_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    from wso2patch.shell.console import Stream

    monkeypatch.setenv("FORCE_COLOR", "1")
    assert Stream().is_terminal  # as rich's Console says with FORCE_COLOR set, even on a pipe


@pytest.mark.parametrize("name", ["init", "patches", "diff", "apply", "rollback", "recover", "history", "status",
                                  "db_sql", "db_init", "check", "compare"])
def test_each_cli_command_has_its_shell_functions_parameters(name: str) -> None:
    """cli.py hands the shell its parameters as they are (locals()): the names must be the same, both ways."""
    import inspect

    from wso2patch import cli

    parsed = set(inspect.signature(getattr(cli, name)).parameters)
    assert parsed == set(inspect.signature(getattr(commands, name)).parameters)
