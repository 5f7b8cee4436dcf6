"""SIGINT, SIGTERM and SIGHUP during apply, rollback and recovery, and Ctrl-C or end of input at the prompt (issue
item 6): the real console script in a subprocess (the in-process runner has no signals, no terminal, no pid).
WSO2PATCH_TEST_DELAY widens every write step, and each test waits until the process is visibly where the signal must
land (mid-swap, mid-backup, at the prompt) before sending it; then the home must be wholly before or after, the
journal finished, and stderr one line with the state."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.conftest import snapshot
from tests.test_bad_inputs import CARBON, MB_HOME, NO_FIXTURES, Env, apply_ok, console_script, make_env
from tests.test_safety import read_until

Cluster = Callable[[Path], tuple[Path, Path, Path]]
pytestmark = pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)
DELAY = "0.15"  # seconds per write step: a whole apply of six files takes about four seconds


@pytest.fixture
def env(tmp_path: Path, cluster: Cluster) -> Iterator[Env]:
    yield make_env(tmp_path, cluster, MB_HOME)


def config(home: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(home).items() if not k.startswith(".wso2patch/")}


def states(home: Path) -> list[str]:
    path = home / ".wso2patch/journal.json"
    return [t["state"] for t in json.loads(path.read_text())["transactions"]] if path.exists() else []


def start(args: list[str | Path], cwd: Path, out: IO[bytes] | None, **kw: Any) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("WSO2PATCH_DEBUG", "WSO2PATCH_SPEC")}
    return subprocess.Popen([*console_script(), *map(str, args)], cwd=cwd, env={**environ, **kw.pop("env", {})},
                            stdout=kw.pop("stdout", out), stderr=subprocess.PIPE, text=True,
                            stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)


def wait_until(proc: subprocess.Popen[str], ready: Callable[[], bool], what: str) -> None:
    """Poll for a state of the home (not a timing assumption: the deadline only guards against a hang)."""
    deadline = time.monotonic() + 60
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"exited ({proc.returncode}) before {what}: {proc.stderr.read() if proc.stderr else ''}")
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.005)


def finish(proc: subprocess.Popen[str], *codes: int) -> str:
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in codes, f"exit {proc.returncode}, expected {codes}: {err}"
    lines = [line for line in err.splitlines() if line.strip()]  # at a terminal, input() echoes the prompt's " "
    assert len(lines) == 1 and lines[0].startswith("wso2patch: error: ") and err.endswith("\n"), repr(err)
    assert "Traceback" not in err and "please report" not in err
    return lines[0]


def changed(home: Path, stock: dict[str, str]) -> int:
    now = config(home)
    return sum(now.get(k) != v for k, v in stock.items())


@pytest.mark.parametrize(("signum", "code", "says"), [
    (signal.SIGTERM, 143, "interrupted by SIGTERM; "), (signal.SIGINT, 130, "interrupted; "),
    (signal.SIGHUP, 129, "interrupted by SIGHUP; ")])
def test_a_signal_mid_apply_undoes_it_then_exits_128_plus_signum(env: Env, tmp_path: Path, signum: int, code: int,
                                                                 says: str) -> None:
    stock = config(env.home1)
    with (tmp_path / "out").open("wb") as out:
        proc = start(["apply", "--node", "1", "--spec", env.spec, "--yes"], tmp_path, out,
                     env={"WSO2PATCH_TEST_DELAY": DELAY})
        wait_until(proc, lambda: 1 <= changed(env.home1, stock) < 3, "the first file swapped")
        proc.send_signal(signum)
        err = finish(proc, code)
    assert says in err and f"{env.home1}: interrupted apply " in err and "undone: every file as before it" in err
    assert config(env.home1) == stock
    assert states(env.home1) == ["recovered"]
    assert not list(env.home1.rglob("*.wso2patch-tmp"))


def test_sigterm_while_backing_up_leaves_no_trace(env: Env, tmp_path: Path) -> None:
    before = snapshot(env.home1)
    with (tmp_path / "out").open("wb") as out:
        proc = start(["apply", "--node", "1", "--spec", env.spec, "--yes"], tmp_path, out,
                     env={"WSO2PATCH_TEST_DELAY": DELAY})
        wait_until(proc, lambda: (env.home1 / ".wso2patch/backups").is_dir(), "the first backup")
        proc.send_signal(signal.SIGTERM)
        err = finish(proc, 143)
    assert err == "wso2patch: error: interrupted by SIGTERM; nothing was written"
    assert snapshot(env.home1) == before and not (env.home1 / ".wso2patch").exists()


def test_sighup_mid_rollback_completes_it(env: Env, tmp_path: Path) -> None:
    stock = config(env.home1)
    apply_ok(env)
    with (tmp_path / "out").open("wb") as out:
        proc = start(["rollback", "--home", env.home1, "--yes"], tmp_path, out, env={"WSO2PATCH_TEST_DELAY": DELAY})
        wait_until(proc, lambda: 4 <= changed(env.home1, stock) < 6, "the first file restored")
        proc.send_signal(signal.SIGHUP)
        err = finish(proc, 129)
    assert f"interrupted by SIGHUP; {env.home1}: the rollback completed: " in err
    assert config(env.home1) == stock and states(env.home1) == ["rolled_back"]


def test_signals_during_recovery_do_not_cut_it_short(env: Env, tmp_path: Path) -> None:
    """apply --yes on a half-written home recovers first; SIGTERM, then Ctrl-C, arrive while it restores."""
    stock = config(env.home1)
    apply_ok(env)
    data = json.loads((env.home1 / ".wso2patch/journal.json").read_text())
    data["transactions"][-1]["state"] = "pending"  # as a kill after the last file, and one file put back
    (env.home1 / ".wso2patch/journal.json").write_text(json.dumps(data))
    first = data["transactions"][-1]["files"][0]
    (env.home1 / first["path"]).write_bytes((env.home1 / ".wso2patch" / first["backup"]).read_bytes())
    with (tmp_path / "out").open("wb") as out:
        proc = start(["apply", "--node", "1", "--spec", env.spec, "--yes"], tmp_path, out,
                     env={"WSO2PATCH_TEST_DELAY": DELAY})
        wait_until(proc, lambda: 1 <= changed(env.home1, stock) < 5, "recovery restoring")
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGINT)
        err = finish(proc, 143, 130)  # Python runs the handlers of signals pending together in signal-number order
    assert "undone: every file as before it" in err
    assert err.startswith("wso2patch: error: interrupted by SIGTERM; " if proc.returncode == 143 else
                          "wso2patch: error: interrupted; ")
    assert config(env.home1) == stock and states(env.home1) == ["recovered"]


# --- the confirmation prompt, at a real terminal ---------------------------------------------------------------
@pytest.mark.parametrize(("action", "code", "says"), [
    ("ctrl-c", 130, "interrupted; nothing was written"), ("ctrl-d", 130, "interrupted; nothing was written"),
    ("sigterm", 143, "interrupted by SIGTERM; nothing was written")])
def test_the_prompt_interrupted_writes_nothing(env: Env, tmp_path: Path, action: str, code: int, says: str) -> None:
    before = snapshot(env.home1)
    master, slave = pty.openpty()
    try:
        proc = start(["apply", "--node", "1", "--spec", env.spec], tmp_path, None, stdin=slave, stdout=slave,
                     env={"COLUMNS": "200"})
        assert b"Write 6 file(s)" in read_until(master, b"Write 6 file(s)")
        if action == "ctrl-d":
            os.write(master, b"\x04")  # end of input, as the terminal's line discipline delivers it
        else:
            proc.send_signal(signal.SIGINT if action == "ctrl-c" else signal.SIGTERM)
        err = finish(proc, code)
    finally:
        os.close(master)
        os.close(slave)
    assert says in err
    assert snapshot(env.home1) == before and not (env.home1 / ".wso2patch").exists()  # not even the lock


def test_a_command_run_in_process_gives_the_signal_handlers_back(env: Env) -> None:
    """The handlers are wso2patch's only while a writing command runs: a program that calls it keeps its own."""
    from typer.testing import CliRunner

    from wso2patch.cli import app

    mine = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    result = CliRunner().invoke(app, ["apply", "--node", "1", "--spec", str(env.spec), "--yes"])
    assert result.exit_code == 0, result.output
    assert {s: signal.getsignal(s) for s in mine} == mine
