"""Never lose a config: one writer at a time, history, rollback --to, status, drift, disk trouble."""

from __future__ import annotations

import errno
import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, Cli, snapshot
from wso2patch import journal as jr

Cluster = Callable[[Path], tuple[Path, Path, Path]]
CARBON = "repository/conf/carbon.xml"


def config(home: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(home).items() if not k.startswith(".wso2patch/")}


def read_until(fd: int, needle: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            seen += os.read(fd, 4096)
    return seen


def test_a_second_writer_fails_fast_naming_the_holder(cluster: Cluster) -> None:
    spec, _, _h2 = cluster(FIXTURES / "mb-home")
    stock = snapshot(spec.parent)
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "200"}
    holder = subprocess.Popen([sys.executable, "-m", "wso2patch", "apply", "--spec", str(spec), "--node", "2"],
                              stdin=slave, stdout=slave, stderr=slave, env=env)
    try:
        assert b"Write 6 file(s)" in read_until(master, b"Write 6 file(s)")  # waiting at the prompt, lock held
        second = subprocess.run([sys.executable, "-m", "wso2patch", "apply", "--spec", str(spec), "--node", "2",
                                 "--yes"], capture_output=True, text=True, timeout=60)
        assert second.returncode == 12
        assert f"another wso2patch (pid {holder.pid}) is working on this home" in second.stderr
        assert second.stderr.count("\n") == 1
        os.write(master, b"n\n")
        assert holder.wait(30) == 8
    finally:
        holder.kill()
        os.close(master)
        os.close(slave)
    assert snapshot(spec.parent) == stock  # declined: nothing written, not even the lock file


def test_the_lock_is_released_when_its_holder_dies(cluster: Cluster, cli: Cli) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    (h2 / ".wso2patch").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], "
                               "os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); "
                               "time.sleep(60)", str(h2 / ".wso2patch/lock")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 12
    holder.kill()
    holder.wait()
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0


def test_history_and_rollback_to_an_older_apply(cluster: Cluster, cli: Cli) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    stock = config(h2)
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    spec.write_text(spec.read_text().replace("offset = 3", "offset = 5"))
    second = cli("apply", "--spec", spec, "--node", "2", "--yes")
    assert second.exit_code == 0 and "<Offset>5</Offset>" in second.stdout
    doc = json.loads(cli("history", "--home", h2, "--json").stdout)
    rows = doc["nodes"][0]["rows"]
    assert [r["state"] for r in rows] == ["committed", "committed"] and rows[1]["patches"] != ""
    assert all(len(r["spec sha256"]) == 12 for r in rows) and rows[0]["spec sha256"] != rows[1]["spec sha256"]
    back = cli("rollback", "--home", h2, "--to", rows[0]["id"], "--yes")
    assert back.exit_code == 0, back.output
    assert config(h2) == stock
    states = [r["state"] for r in json.loads(cli("history", "--home", h2, "--json").stdout)["nodes"][0]["rows"]]
    assert states == ["rolled_back", "rolled_back"]


def test_status_applied_pending_drifted_and_not_applicable(cluster: Cluster, cli: Cli) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    fresh = cli("status", "--spec", spec, "--node", "2", "--json")
    assert fresh.exit_code == 1
    fresh_states = {r["patch"]: r["node 2"] for r in json.loads(fresh.stdout)["nodes"][0]["rows"]}
    assert fresh_states.pop("hazelcast-properties") == "not applicable"  # the spec has no [cluster.hazelcast]
    assert set(fresh_states.values()) == {"pending"}
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    assert cli("status", "--spec", spec, "--home", h2).exit_code == 0  # the node comes from the journal
    carbon = h2 / CARBON
    carbon.write_bytes(carbon.read_bytes().replace(b"<Offset>3</Offset>", b"<Offset>9</Offset>"))
    drift = json.loads(cli("status", "--spec", spec, "--node", "2", "--json").stdout)
    states = {r["patch"]: r["node 2"] for r in drift["nodes"][0]["rows"]}
    assert states["port-offset"] == "drifted" and states["host-names"] == "applied"


def test_status_marks_mb_only_patches_not_applicable_on_carbon(tmp_path: Path, cli: Cli) -> None:
    from tests.conftest import SPEC, copy_tree

    h1 = copy_tree(FIXTURES / "carbon-home", tmp_path / "c1")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(SPEC.format(home1=h1, home2=h1.parent / "absent"))
    rows = json.loads(cli("status", "--spec", spec, "--node", "1", "--json").stdout)["nodes"][0]["rows"]
    states = {r["patch"]: r["node 1"] for r in rows}
    assert states["mb-store"] == states["thrift-host"] == "not applicable"


def test_rollback_refusal_shows_the_hand_edit_as_a_diff(cluster: Cluster, cli: Cli) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    carbon = h2 / CARBON
    carbon.write_bytes(carbon.read_bytes().replace(b"<Offset>3</Offset>", b"<Offset>7</Offset>"))
    r = cli("rollback", "--home", h2, "--yes")
    assert r.exit_code == 7
    assert f"--- a/{CARBON}" in r.stdout and "-        <Offset>3</Offset>" in r.stdout
    assert "+        <Offset>7</Offset>" in r.stdout
    assert CARBON in r.stderr and r.stderr.count("\n") == 1


# --- disk trouble: every file stays as it was, the error names the file and why ------------------------------
@pytest.mark.parametrize("phase, err", [
    ("backup", errno.ENOSPC), ("journal", errno.EROFS), ("swap", errno.EACCES), ("swap", errno.ENOSPC),
])
def test_a_failed_write_leaves_every_file_as_it_was(cluster: Cluster, cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                    phase: str, err: int) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    before = config(h2)
    real = jr.atomic_write
    victim = {"backup": "backups", "journal": "journal.json", "swap": "registry.xml"}[phase]

    def failing(path: Path, data: bytes, durable: bool = True) -> None:
        if victim in str(path) and (phase != "swap" or ".wso2patch" not in str(path)):
            raise OSError(err, os.strerror(err), str(path))
        real(path, data, durable=durable)

    monkeypatch.setattr(jr, "atomic_write", failing)
    r = cli("apply", "--spec", spec, "--node", "2", "--yes")
    assert r.exit_code == 9, r.output
    assert os.strerror(err) in r.stderr and r.stderr.count("\n") == 1
    assert (victim in r.stderr) or phase != "swap"
    assert config(h2) == before
    monkeypatch.setattr(jr, "atomic_write", real)
    assert cli("diff", "--spec", spec, "--node", "2").exit_code == 1  # the journal holds nothing unfinished


def test_a_double_fault_is_left_to_recover(cluster: Cluster, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    before = config(h2)
    real = jr.atomic_write
    failing_now = {"on": True}
    stock_axis2 = (h2 / "repository/conf/axis2/axis2.xml").read_bytes()

    def failing(path: Path, data: bytes, durable: bool = True) -> None:  # registry.xml fails, axis2.xml restore too
        if failing_now["on"] and ".wso2patch" not in str(path) and (
                "registry.xml" in str(path) or ("axis2.xml" in str(path) and data == stock_axis2)):
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))
        real(path, data, durable=durable)

    monkeypatch.setattr(jr, "atomic_write", failing)
    r = cli("apply", "--spec", spec, "--node", "2", "--yes")
    assert r.exit_code == 9 and "wso2patch recover" in r.stderr
    assert cli("diff", "--spec", spec, "--node", "2").exit_code == 13
    failing_now["on"] = False
    rec = cli("recover", "--home", h2)
    assert rec.exit_code == 0 and "undone" in rec.stdout
    assert config(h2) == before
    assert "nothing to recover" in cli("recover", "--home", h2).stdout
