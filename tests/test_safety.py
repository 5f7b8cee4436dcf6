"""Never lose a config: one writer at a time, history, rollback --to, status, drift, disk trouble."""

from __future__ import annotations

import errno
import json
import os
import pty
import select
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Cli, snapshot
from wso2patch import journal as jr
from wso2patch.statedir import StateDir

Cluster = Callable[[Path], tuple[Path, Path, Path]]
CARBON = "repository/conf/carbon.xml"


def config(home: Path) -> dict[str, str]:
    return snapshot(home, skip=".wso2patch")  # read while a command runs: its bookkeeping comes and goes


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
    rows = doc["transactions"]
    assert [r["state"] for r in rows] == ["committed", "committed"] and rows[1]["patches"] != []
    assert all(len(r["spec_sha256"]) == 64 for r in rows) and rows[0]["spec_sha256"] != rows[1]["spec_sha256"]
    back = cli("rollback", "--home", h2, "--to", rows[0]["id"], "--yes")
    assert back.exit_code == 0, back.output
    assert config(h2) == stock
    states = [r["state"] for r in json.loads(cli("history", "--home", h2, "--json").stdout)["transactions"]]
    assert states == ["rolled_back", "rolled_back"]


def test_status_applied_pending_drifted_and_not_applicable(cluster: Cluster, cli: Cli) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    fresh = cli("status", "--spec", spec, "--node", "2", "--json")
    assert fresh.exit_code == 1
    fresh_states = {p["name"]: p["state"] for p in json.loads(fresh.stdout)["nodes"][0]["patches"]}
    assert fresh_states.pop("hazelcast-properties") == "not applicable"  # the spec has no [cluster.hazelcast]
    # the other membership schemes' patches hold already (none of their parameters is there); no proxy ports asked
    assert fresh_states.pop("kubernetes-membership") == fresh_states.pop("aws-membership") == "applied"
    assert fresh_states.pop("proxy-ports") == "not applicable"  # and without [vault], the vault patches
    assert {fresh_states.pop(n) for n in list(fresh_states) if n.startswith("vault-")} == {"not applicable"}
    for name in ("hazelcast-shutdownhook", "worker-manager", "wsdl-epr-prefix"):  # ESB and the EI integrator only
        assert fresh_states.pop(name) == "not applicable"
    assert set(fresh_states.values()) == {"pending"}
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    assert cli("status", "--spec", spec, "--home", h2).exit_code == 0  # the node comes from the journal
    carbon = h2 / CARBON
    carbon.write_bytes(carbon.read_bytes().replace(b"<Offset>3</Offset>", b"<Offset>9</Offset>"))
    drift = json.loads(cli("status", "--spec", spec, "--node", "2", "--json").stdout)
    states = {p["name"]: p["state"] for p in drift["nodes"][0]["patches"]}
    assert states["port-offset"] == "drifted" and states["host-names"] == "applied"


def test_status_tells_a_changed_spec_from_a_hand_edit(cluster: Cluster, cli: Cli) -> None:
    """A file as wso2patch wrote it, with new values in the spec, is outdated; a hand edit is drifted."""
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    spec.write_text(spec.read_text().replace("offset = 3", "offset = 5"))
    r = cli("status", "--spec", spec, "--node", "2", "--json")
    states = {p["name"]: p["state"] for p in json.loads(r.stdout)["nodes"][0]["patches"]}
    assert r.exit_code == 1
    assert states["port-offset"] == "outdated" and states["wka-members"] == "outdated"  # member port 4005
    assert states["host-names"] == "applied"
    assert "outdated" in cli("status", "--spec", spec, "--node", "2").stdout
    carbon = h2 / CARBON  # now a hand edit in the same file: drifted wins
    carbon.write_bytes(carbon.read_bytes().replace(b"<!--HostName>", b"<!-- HostName>", 1))
    states = {p["name"]: p["state"] for p in
              json.loads(cli("status", "--spec", spec, "--node", "2", "--json").stdout)["nodes"][0]["patches"]}
    assert states["port-offset"] == "drifted" and states["wka-members"] == "outdated"


def test_status_marks_mb_only_patches_not_applicable_on_carbon(tmp_path: Path, cli: Cli) -> None:
    from tests.conftest import SPEC, copy_tree

    h1 = copy_tree(FIXTURES / "carbon-home", tmp_path / "c1")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(SPEC.format(home1=h1, home2=h1.parent / "absent"))
    states = {p["name"]: p["state"] for p in json.loads(cli("status", "--spec", spec, "--node", "1", "--json").stdout)
              ["nodes"][0]["patches"]}
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
    real, real_state = jr.atomic_write, StateDir.write
    victim = {"backup": "backups", "journal": "journal.json", "swap": "registry.xml"}[phase]

    def failing(path: Path, data: bytes, durable: bool = True) -> None:  # the home's files
        if victim in str(path):
            raise OSError(err, os.strerror(err), str(path))
        real(path, data, durable=durable)

    def failing_state(self: StateDir, rel: str, data: bytes, **kw: Any) -> None:  # the files in .wso2patch
        if rel.startswith(victim):
            raise OSError(err, os.strerror(err), str(self.path / rel))
        real_state(self, rel, data, **kw)

    monkeypatch.setattr(jr, "atomic_write", failing)
    monkeypatch.setattr(StateDir, "write", failing_state)
    r = cli("apply", "--spec", spec, "--node", "2", "--yes")
    assert r.exit_code == 9, r.output
    assert os.strerror(err) in r.stderr and r.stderr.count("\n") == 1
    assert (victim in r.stderr) or phase != "swap"
    assert config(h2) == before
    monkeypatch.setattr(jr, "atomic_write", real)
    monkeypatch.setattr(StateDir, "write", real_state)
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
    assert r.exit_code == 14 and "wso2patch recover" in r.stderr  # not 9: 9 means every file as it was
    assert cli("diff", "--spec", spec, "--node", "2").exit_code == 13
    failing_now["on"] = False
    rec = cli("recover", "--home", h2)
    assert rec.exit_code == 0 and "undone" in rec.stdout
    assert config(h2) == before
    assert "nothing to recover" in cli("recover", "--home", h2).stdout


# --- the lock: a writer that loses the race leaves the winner's lock alone ---------------------------------------
PAUSED_AT_THE_LOCK = """\
import os, sys
real, paused = os.open, []
def open_(path, flags, *args, **kwargs):  # stops once, right before the lock file is opened, until told to go on
    if os.path.basename(os.fspath(path)) == "lock" and flags & os.O_CREAT and not paused:
        paused.append(1)
        print("at the lock", flush=True)
        sys.stdin.readline()
    return real(path, flags, *args, **kwargs)
os.open = open_
from wso2patch.cli import main
sys.argv = ["wso2patch", "recover", "--home", sys.argv[1]]
main()
"""
HOLDER = """\
import sys
from pathlib import Path
from wso2patch.journal import locked
with locked(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_writer_that_loses_the_race_leaves_the_winners_lock(cluster: Cluster) -> None:
    """B finds no .wso2patch, and is stopped just before it opens the lock; A takes the lock; B goes on and loses.
    B must not remove A's lock file: else C would lock a new one and write beside A."""
    _, _, h2 = cluster(FIXTURES / "mb-home")

    def start(code: str) -> tuple[subprocess.Popen[str], str]:
        p = subprocess.Popen([sys.executable, "-c", code, str(h2)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        assert p.stdout is not None
        return p, p.stdout.readline()

    loser, said = start(PAUSED_AT_THE_LOCK)
    holder = None
    try:
        assert said == "at the lock\n"
        holder, said = start(HOLDER)
        assert said == "held\n"
        _, err = loser.communicate("go\n", timeout=60)
        assert loser.returncode == 12 and f"pid {holder.pid}" in err, err
        assert (h2 / ".wso2patch/lock").read_text() == f"{holder.pid}\n"
        third = subprocess.run([sys.executable, "-m", "wso2patch", "recover", "--home", str(h2)],
                               capture_output=True, text=True, timeout=60)
        assert third.returncode == 12 and f"pid {holder.pid}" in third.stderr, third.stdout + third.stderr
        holder.communicate("\n", timeout=60)
        assert holder.returncode == 0
    finally:
        for p in (loser, holder):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    assert not (h2 / ".wso2patch").exists()  # the holder, recording nothing, left nothing


# --- a rollback that fails half-way -----------------------------------------------------------------------------
def failing_on(name: str, monkeypatch: pytest.MonkeyPatch, *, put_back_too: bytes | None = None) -> None:
    """Writing `name` fails (EACCES); with put_back_too, so does writing those bytes anywhere (the put-back)."""
    real = jr.atomic_write

    def failing(path: Path, data: bytes, durable: bool = True) -> None:
        if path.name == name or data == put_back_too:
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        real(path, data, durable=durable)

    monkeypatch.setattr(jr, "atomic_write", failing)


def history_states(cli: Cli, home: Path) -> list[str]:
    return [t["state"] for t in json.loads(cli("history", "--home", home, "--json").stdout)["transactions"]]


def test_a_rollback_that_fails_with_every_file_put_back_leaves_the_apply_standing(
        cluster: Cluster, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    stock = config(h2)
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    applied = config(h2)
    with monkeypatch.context() as mp:
        failing_on("registry.xml", mp)  # restored third of six: two files are written, then put back
        r = cli("rollback", "--home", h2, "--yes")
    assert r.exit_code == 9 and "registry.xml" in r.stderr and "every file was left as it was" in r.stderr
    assert config(h2) == applied
    assert history_states(cli, h2) == ["committed"]  # not rolling_back: nothing is half-done
    assert cli("diff", "--spec", spec, "--node", "2").exit_code == 0
    assert cli("status", "--spec", spec, "--node", "2").exit_code == 0
    assert cli("rollback", "--home", h2, "--yes").exit_code == 0
    assert config(h2) == stock


def test_a_rollback_whose_put_back_fails_too_is_left_to_recover(cluster: Cluster, cli: Cli,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    stock = config(h2)
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    broker = (h2 / "repository/conf/broker.xml").read_bytes()  # restored first, put back last
    with monkeypatch.context() as mp:
        failing_on("registry.xml", mp, put_back_too=broker)
        r = cli("rollback", "--home", h2, "--yes")
    assert r.exit_code == 14 and "wso2patch recover" in r.stderr  # put back failed too: its own code
    assert history_states(cli, h2) == ["rolling_back"]
    assert cli("diff", "--spec", spec, "--node", "2").exit_code == 13
    rec = cli("recover", "--home", h2)
    assert rec.exit_code == 0 and "interrupted rollback" in rec.stdout and "completed" in rec.stdout
    assert config(h2) == stock and history_states(cli, h2) == ["rolled_back"]


# --- recover removes what killed runs left in .wso2patch -----------------------------------------------------
def test_recover_removes_orphaned_temporary_files_and_backups(cluster: Cluster, cli: Cli, tmp_path: Path) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    state = h2 / ".wso2patch"
    live = json.loads((state / "journal.json").read_text())["transactions"][0]["id"]
    kept = sorted(p.relative_to(h2).as_posix() for p in h2.rglob("*"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_bytes(b"precious\n")
    strays = [state / ".journal.json.1a2b3c4d.wso2patch-tmp",  # a journal write killed before its rename
              state / "backups" / live / "repository/conf/.carbon.xml.hand-edited.5e6f7a8b.wso2patch-tmp",
              state / "backups/20000101T000000Z-1/repository/conf/carbon.xml",  # a commit killed before its journal
              state / "after/20000101T000000Z-1/repository/conf/carbon.xml"]
    for p in strays:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"left behind\n")
    (state / "backups/20000101T000000Z-2").symlink_to(outside)  # planted: removed as a link, never followed
    first = cli("recover", "--home", h2)
    assert first.exit_code == 0 and "nothing to recover" in first.stdout
    assert sorted(p.relative_to(h2).as_posix() for p in h2.rglob("*")) == kept
    assert (outside / "precious").read_bytes() == b"precious\n"
    before = snapshot(h2)
    assert cli("recover", "--home", h2).exit_code == 0
    assert snapshot(h2) == before


# --- files wso2patch creates belong to the product ------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_new_files_take_the_umask_and_the_folders_owner(tmp_path: Path, umask: int) -> None:
    """root copies the driver jar into a home the product's user (nobody here) owns: the server must load it."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the files root creates must belong to the home's owner")
    from tests.conftest import SPEC, copy_tree
    from tests.test_db import fake_jar

    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    (home / "repository/components/lib").mkdir(parents=True)
    (home / CARBON).chmod(0o640)
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(SPEC.format(home1=home, home2=tmp_path / "absent"), encoding="utf-8")
    jar = fake_jar(tmp_path / "mysql-connector-java-5.1.49.jar")
    for p in [home, *home.rglob("*")]:
        os.chown(p, 65534, 65534, follow_symlinks=False)
    args = [sys.executable, "-m", "wso2patch", "apply", "--spec", str(spec), "--node", "1", "--yes",
            "--jdbc-driver", str(jar)]
    first = subprocess.run(args, capture_output=True, text=True, umask=umask, timeout=60)
    assert first.returncode == 0, first.stderr

    def owner_mode(p: Path) -> tuple[int, int, int]:
        st = os.lstat(p)
        return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)

    state = home / ".wso2patch"
    tx = json.loads((state / "journal.json").read_text())["transactions"][0]["id"]
    mode, folder_mode = 0o666 & ~umask, 0o777 & ~umask
    assert owner_mode(home / "repository/components/lib" / jar.name) == (65534, 65534, mode)  # new: umask, folder
    assert owner_mode(state) == (65534, 65534, 0o700)  # the product's, and no one else's: its backups hold passwords
    assert owner_mode(state / "journal.json") == (65534, 65534, mode)
    assert owner_mode(state / "after" / tx) == (65534, 65534, folder_mode)
    assert owner_mode(home / CARBON) == (65534, 65534, 0o640)  # existing: kept
    assert owner_mode(state / "backups" / tx / CARBON) == (65534, 65534, 0o640)  # a copy: as the file it copies
    assert not (state / "lock").exists()  # the lock file lives only while held
    before = {p: owner_mode(p) for p in home.rglob("*")}
    again = subprocess.run(args, capture_output=True, text=True, umask=umask, timeout=60)
    assert again.returncode == 0 and "already applied" in again.stdout
    assert {p: owner_mode(p) for p in home.rglob("*")} == before
