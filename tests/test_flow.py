"""Refusals write nothing, recovery only where a command goes ahead, and environmental trouble is not a bug (issue
items 5 and 7): a hostile-input catalogue of its own, run through the real console script in a subprocess (a FIFO
or /dev/zero must not hang it or eat its memory), with the machinery of tests/test_bad_inputs.py."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.test_bad_inputs import (
    BROKER,
    CARBON,
    CONFIG_ERR,
    DRIFT_ERR,
    HOME_ERR,
    MB_HOME,
    NO_FIXTURES,
    REFUSED,
    REGISTRY,
    UNFINISHED,
    USER_MGT,
    Case,
    Env,
    apply1,
    apply_ok,
    check_error,
    console_script,
    edit,
    edit_spec,
    make_env,
    rollback1,
    set_journal_state,
    state,
)

Cluster = Callable[[Path], tuple[Path, Path, Path]]
pytestmark = pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)


# --- a home as a killed apply or rollback leaves it --------------------------------------------------------
def journal(env: Env) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((env.home1 / ".wso2patch/journal.json").read_text(encoding="utf-8"))
    return data


def put_back(env: Env, record: dict[str, Any]) -> None:
    """One file of a transaction as it was before it (from its backup)."""
    target = env.home1 / record["path"]
    if record["backup"]:
        target.write_bytes((env.home1 / ".wso2patch" / record["backup"]).read_bytes())
    else:
        target.unlink()


def half_applied(env: Env) -> None:
    """Killed mid-apply: the journal says "pending", the first file is written, the others are not (recovery would
    undo it)."""
    apply_ok(env)
    set_journal_state(env, "pending")
    for record in journal(env)["transactions"][-1]["files"][1:]:
        put_back(env, record)


def fully_written(env: Env) -> None:
    """Killed after the last file, before the journal said "committed" (recovery would mark it complete)."""
    apply_ok(env)
    set_journal_state(env, "pending")


def half_rolled_back(env: Env) -> None:
    """Killed mid-rollback: "rolling_back", the first file restored (recovery would complete the rollback)."""
    apply_ok(env)
    set_journal_state(env, "rolling_back")
    put_back(env, journal(env)["transactions"][-1]["files"][0])


Command = Callable[[Env], list[str | Path]]


def then(prepare: Callable[[Env], None], command: Command) -> Command:
    def setup(env: Env) -> list[str | Path]:
        prepare(env)
        return command(env)

    return setup


def drift_under_unfinished_apply(env: Env) -> list[str | Path]:
    """Two applies; the second killed after its last file; a file only the first wrote edited by hand; then
    'rollback --to <first>'."""
    apply_ok(env)
    edit_spec(env, "offset = 0", "offset = 5")
    apply_ok(env)
    set_journal_state(env, "pending")
    first, second = journal(env)["transactions"]
    assert {f["path"] for f in first["files"]} - {f["path"] for f in second["files"]} >= {USER_MGT}
    edit(env.file(USER_MGT), lambda raw: raw + b"<!-- edited by hand -->\n")
    return rollback1(env, "--to", first["id"])


def fifo_config(env: Env) -> list[str | Path]:
    env.file(REGISTRY).unlink()
    os.mkfifo(env.file(REGISTRY))
    return apply1(env)


def socket_config(env: Env) -> list[str | Path]:
    env.file(BROKER).unlink()
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(env.file(BROKER)))
    return apply1(env)


def device_link(device: str) -> Callable[[Env], list[str | Path]]:
    def setup(env: Env) -> list[str | Path]:
        env.file(REGISTRY).unlink()
        env.file(REGISTRY).symlink_to(device)
        return apply1(env)

    return setup


def fifo_after_apply(env: Env) -> list[str | Path]:
    """A config file replaced by a FIFO after an apply: rollback must not block reading it."""
    apply_ok(env)
    env.file(REGISTRY).unlink()
    os.mkfifo(env.file(REGISTRY))
    return rollback1(env)


def needs_recover(env: Env) -> list[str]:
    return [str(env.home1), f"run 'wso2patch recover --home {env.home1}'"]


CASES: list[Case] = [
    # --- item 5: a refusal on a half-written home recovers nothing and says the home needs 'recover' ------------
    Case("apply-without-yes-on-half-applied-home", then(half_applied, lambda e: apply1(e)[:-1]), UNFINISHED,
         lambda e: [*needs_recover(e), "recovery would undo it", "wrote nothing"]),
    Case("apply-json-without-yes-on-half-applied-home", then(half_applied, lambda e: [*apply1(e)[:-1], "--json"]),
         UNFINISHED, needs_recover),
    Case("apply-without-yes-on-fully-written-home", then(fully_written, lambda e: apply1(e)[:-1]), UNFINISHED,
         lambda e: [*needs_recover(e), "recovery would mark it complete"]),
    Case("apply-without-yes-on-half-rolled-back-home", then(half_rolled_back, lambda e: apply1(e)[:-1]),
         UNFINISHED, lambda e: [*needs_recover(e), "interrupted rollback", "recovery would complete it"]),
    Case("rollback-where-recovery-would-undo-the-apply", then(half_applied, rollback1), UNFINISHED,
         lambda e: [*needs_recover(e), "recovery would undo it"]),
    Case("rollback-nothing-left-once-a-rollback-completes", then(half_rolled_back, rollback1), UNFINISHED,
         lambda e: [*needs_recover(e), "recovery would complete it"]),
    Case("rollback-to-unknown-id-on-unfinished-home", then(fully_written, lambda e: rollback1(e, "--to", "BAD")),
         HOME_ERR, lambda e: ["no applied transaction BAD", f"wso2patch recover --home {e.home1}"]),
    Case("rollback-without-yes-on-unfinished-home", then(fully_written, lambda e: rollback1(e)[:-1]), REFUSED,
         lambda e: ["not confirmed", "nothing was written", f"wso2patch recover --home {e.home1}"]),
    Case("rollback-drift-on-unfinished-home", drift_under_unfinished_apply, DRIFT_ERR,
         lambda e: [str(e.home1), USER_MGT, "--force", f"wso2patch recover --home {e.home1}"]),
    # --- item 7: config files that are not regular files, refused before they are read ---------------------
    Case("config-is-a-fifo", fifo_config, CONFIG_ERR,
         lambda e: [str(e.file(REGISTRY)), "cannot read the config file", "a FIFO", "not a regular file"]),
    Case("config-is-a-socket", socket_config, CONFIG_ERR, lambda e: [str(e.file(BROKER)), "a socket"]),
    Case("config-links-to-dev-zero", device_link("/dev/zero"), CONFIG_ERR,
         lambda e: [str(e.file(REGISTRY)), "a character device"]),
    Case("config-links-to-dev-null", device_link("/dev/null"), CONFIG_ERR,
         lambda e: [str(e.file(REGISTRY)), "a character device"]),
    Case("rollback-with-a-fifo-in-place-of-a-config", fifo_after_apply, CONFIG_ERR,
         lambda e: [str(e.file(REGISTRY)), "a FIFO", "nothing was written"]),
]


def bookkeeping_free(root: Path) -> tuple[dict[str, str], list[str]]:
    """state() without the lock file's content: the pid in it may change (the lock may be taken to refuse)."""
    hashes, paths = state(root)
    return {k: v for k, v in hashes.items() if not k.endswith(".wso2patch/lock")}, paths


def bounded_memory() -> None:  # a runaway read (of /dev/zero, say) fails fast instead of swapping the machine
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run_console(args: Sequence[str | Path], cwd: Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("WSO2PATCH_DEBUG", "WSO2PATCH_SPEC")}
    return subprocess.run([*console_script(), *map(str, args)], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, cwd=cwd, env=environ, timeout=60, check=False, preexec_fn=bounded_memory, **kw)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_flow_case(case: Case, tmp_path: Path, cluster: Cluster) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    args = case.setup(env)
    before = bookkeeping_free(tmp_path)
    proc = run_console(args, tmp_path)
    assert bookkeeping_free(tmp_path) == before, f"a byte changed (exit {proc.returncode}): {proc.stderr}"
    check_error(case, env, proc.returncode, proc.stdout, proc.stderr)
    if "--json" in args:
        doc = json.loads(proc.stdout)
        assert doc["exit_code"] == case.code and doc["error"]["type"]


def test_catalogue_size() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 14


# --- when a command does recover, it says so -------------------------------------------------------------------
@pytest.fixture
def env(tmp_path: Path, cluster: Cluster) -> Iterator[Env]:
    yield make_env(tmp_path, cluster, MB_HOME)


def config(home: Path) -> dict[str, str]:
    return {k: v for k, v in state(home)[0].items() if not k.startswith(".wso2patch/")}


def test_apply_with_yes_recovers_first_and_says_so(env: Env, cli: Cli) -> None:
    stock = config(env.home1)
    half_applied(env)
    tx = journal(env)["transactions"][-1]["id"]
    human = cli(*apply1(env))
    assert human.exit_code == 0, human.output
    assert f"({env.home1}): interrupted apply {tx} undone" in human.stdout and "wrote 6 file(s)" in human.stdout
    states = [t["state"] for t in journal(env)["transactions"]]
    assert states == ["recovered", "committed"]
    assert config(env.home1) != stock
    again = json.loads(cli(*apply1(env), "--json").stdout)  # the twin: nothing left to recover or write
    assert again["status"] == "already" and again["nodes"][0]["recovered"] == []


def test_apply_json_reports_what_recovery_did(env: Env, cli: Cli) -> None:
    fully_written(env)
    tx = journal(env)["transactions"][-1]["id"]
    doc = json.loads(cli(*apply1(env), "--json").stdout)
    assert doc["exit_code"] == 0 and doc["status"] == "already"
    assert [(t["id"], t["state"]) for t in doc["nodes"][0]["recovered"]] == [(tx, "committed")]


def test_rollback_goes_ahead_when_recovery_only_finishes_the_apply(env: Env, cli: Cli) -> None:
    stock = config(env.home1)
    fully_written(env)
    tx = journal(env)["transactions"][-1]["id"]
    doc = json.loads(cli(*rollback1(env), "--json").stdout)
    assert doc["exit_code"] == 0 and doc["status"] == "rolled_back"
    node = doc["nodes"][0]
    assert [t["id"] for t in node["recovered"]] == [tx] == [t["id"] for t in node["transactions"]]
    assert config(env.home1) == stock
    human = cli(*rollback1(env))
    assert human.exit_code == 0 and "nothing to roll back" in human.stdout


def test_recover_then_the_refused_commands_go_through(env: Env, cli: Cli) -> None:
    """The way out the refusals name works: recover, then apply without --yes is back to its usual refusal."""
    half_applied(env)
    r = cli("recover", "--home", env.home1)
    assert r.exit_code == 0 and "undone" in r.stdout
    assert cli(*apply1(env)[:-1]).exit_code == REFUSED
    assert cli("recover", "--home", env.home1).stdout.strip().endswith("nothing to recover")


def test_a_failed_final_journal_save_is_exit_14_and_recover_finishes(env: Env, cli: Cli,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file written, then the journal cannot say "committed" (ENOSPC): not 'please report this', and the
    state left is one recovery knows."""
    import errno

    from wso2patch import journal as jr

    real = jr.Journal.save
    calls = {"n": 0}

    def save(self: jr.Journal, txs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the first save records "pending"; the second would record "committed"
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
        real(self, txs)

    monkeypatch.setattr(jr.Journal, "save", save)
    r = cli(*apply1(env))
    assert r.exit_code == 14, r.output
    assert r.stderr.count("\n") == 1 and "No space left on device" in r.stderr
    assert f"run 'wso2patch recover --home {env.home1}'" in r.stderr and "please report" not in r.stderr
    monkeypatch.setattr(jr.Journal, "save", real)
    patched = config(env.home1)
    assert cli("diff", "--spec", env.spec, "--node", "1").exit_code == UNFINISHED
    rec = cli("recover", "--home", env.home1)
    assert rec.exit_code == 0 and "finished" in rec.stdout
    assert config(env.home1) == patched and journal(env)["transactions"][-1]["state"] == "committed"
