"""The console entry point (wso2patch.entry): `--version` and `-V` answered without building the command line, every
other command line handed to wso2patch.fastcli or wso2patch.cli with identical output (tests/test_fastcli.py
compares the two on more command lines), and the process left without interpreter teardown once that output is
flushed."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.test_bad_inputs import console_script

FULL_CLI = [sys.executable, "-c", "import sys; from wso2patch.cli import main; sys.argv[0] = 'wso2patch'; main()"]
SLOW_ONES = ("typer", "click", "rich", "wso2patch.cli")


def run(cmd: list[str], cwd: Path) -> tuple[int, str, str]:
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=cwd, timeout=120,
                          check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_version_is_what_the_full_cli_prints(tmp_path: Path) -> None:
    full = run([*FULL_CLI, "--version"], tmp_path)
    assert full[0] == 0 and full[1].startswith("wso2patch ") and full[2] == ""
    for flag in ("--version", "-V"):
        assert run([*console_script(), flag], tmp_path) == full, flag
        assert run([sys.executable, "-m", "wso2patch", flag], tmp_path) == full, flag


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_imports_no_command_line_library(flag: str, tmp_path: Path) -> None:
    probe = ("import sys\n"
             f"sys.argv = ['wso2patch', {flag!r}]\n"
             "from wso2patch.entry import main\n"
             "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
             f"print(code, sorted(m for m in sys.modules if m.split('.')[0] in {SLOW_ONES[:3]!r} "
             f"or m == {SLOW_ONES[3]!r}))\n")
    code, out, err = run([sys.executable, "-c", probe], tmp_path)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "0 []"


# Anything but the version flag alone goes to the full command line: help, usage errors, the flag among others.
FALL_THROUGH = [[], ["--help"], ["--version", "diff"], ["-V", "-V"], ["diff", "--version"], ["--bogus"],
                ["-v"], ["--versio"], ["patches"], ["apply", "--node", "x"]]


@pytest.mark.parametrize("args", FALL_THROUGH, ids=lambda a: " ".join(a) or "no-args")
def test_everything_else_is_the_full_cli(args: list[str], tmp_path: Path) -> None:
    full = run([*FULL_CLI, *args], tmp_path)
    assert run([*console_script(), *args], tmp_path) == full


def test_console_script_and_module_use_the_entry_point() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"wso2patch": "wso2patch.entry:main"}
    assert "from wso2patch.entry import main" in (REPO / "wso2patch" / "__main__.py").read_text(encoding="utf-8")


# --- leaving without tearing the interpreter down, once the output is flushed -------------------------------------
def test_a_diff_prints_the_same_bytes_and_exit_code(tmp_path: Path,
                                                    cluster: Callable[[Path], tuple[Path, Path, Path]]) -> None:
    spec, _, _ = cluster(FIXTURES / "mb-home")
    args = ["diff", "--spec", str(spec)]  # both nodes: a long diff on stdout, exit 1
    full = run([*FULL_CLI, *args], tmp_path)
    assert full[0] == 1 and full[1].count("\n") > 100
    assert run([*console_script(), *args], tmp_path) == full


def test_a_closed_pipe_is_reported_as_before(tmp_path: Path) -> None:
    def closed(cmd: list[str]) -> tuple[int, str]:
        read, write = os.pipe()
        os.close(read)  # the reader is gone before the command prints
        try:
            proc = subprocess.run([*cmd, "patches"], stdin=subprocess.DEVNULL, stdout=write, stderr=subprocess.PIPE,
                                  text=True, cwd=tmp_path, timeout=120, check=False)
        finally:
            os.close(write)
        return proc.returncode, proc.stderr.replace(cmd[0], "PROG")

    assert closed(console_script()) == closed(FULL_CLI)


def fake_cli(tmp_path: Path, body: str) -> tuple[int, str, str]:
    """Run entry.main with wso2patch.cli.main replaced by `body` (a function body)."""
    probe = ("import atexit, sys\nimport wso2patch.cli\n"
             "class Noisy:\n    def __del__(self) -> None:\n        print('torn down', flush=True)\n"
             "def fake():\n" + "".join(f"    {line}\n" for line in body.splitlines()) +
             "wso2patch.cli.main = fake\nsys.argv = ['wso2patch', 'anything']\n"
             "from wso2patch.entry import main\nmain()\n")
    return run([sys.executable, "-c", probe], tmp_path)


def test_the_exit_code_and_later_atexit_handlers_are_kept_and_teardown_skipped(tmp_path: Path) -> None:
    code, out, err = fake_cli(tmp_path, "wso2patch.cli.keep = Noisy()\n"
                                        "atexit.register(lambda: print('handler ran'))\n"
                                        "print('output')\nprint('warning', file=sys.stderr)\nsys.exit(3)")
    assert (code, out, err) == (3, "output\nhandler ran\n", "warning\n")  # no 'torn down': no teardown


def test_an_uncaught_error_exits_as_usual(tmp_path: Path) -> None:
    code, out, err = fake_cli(tmp_path, "wso2patch.cli.keep = Noisy()\nraise RuntimeError('boom')")
    assert code == 1 and "RuntimeError: boom" in err and out == "torn down\n"
