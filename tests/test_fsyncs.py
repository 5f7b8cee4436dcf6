"""Durability with one folder fsync per folder: every file's data is fsynced before its rename, every folder once
after its last rename and before the journal entry that relies on it (backups before "pending", the home's files
before "committed")."""

from __future__ import annotations

import errno
import os
import signal
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wso2patch import interrupt, txn
from wso2patch.errors import WriteError

FILES = ("repository/conf/a.xml", "repository/conf/b.xml", "repository/conf/axis2/c.xml")
Event = tuple[str, str]  # ("data" | "folder", path) for an fsync, ("rename", target) for os.replace


def managed(rel: str) -> bool:
    return rel.startswith("repository/conf/")


def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    for rel in FILES:
        (h / rel).parent.mkdir(parents=True, exist_ok=True)
        (h / rel).write_bytes(b"<a>old</a>\n")
    return h


def changes(h: Path) -> list[txn.Change]:
    return [txn.Change(rel, (h / rel).read_bytes(), b"<a>new</a>\n") for rel in FILES]


def _path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


def trace(monkeypatch: pytest.MonkeyPatch, fail: Callable[[str], bool] = lambda _: False) -> list[Event]:
    """Record fsyncs and renames as they happen; a folder fsync whose path `fail` picks raises EIO."""
    events: list[Event] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        folder = stat.S_ISDIR(os.fstat(fd).st_mode)
        if folder and fail(_path(fd)):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)
        events.append(("folder" if folder else "data", _path(fd)))

    def replace(src: str, dst: str, *, src_dir_fd: int | None = None, dst_dir_fd: int | None = None) -> None:
        before = os.path.join(_path(src_dir_fd), src) if src_dir_fd is not None else src
        synced = ("data", before) in events
        real_replace(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)
        target = os.path.join(_path(dst_dir_fd), dst) if dst_dir_fd is not None else dst
        events.append(("rename" if synced else "rename-unsynced", target))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return events


def check_order(events: list[Event], folders: set[str], before: int) -> None:
    """Each of `folders` is fsynced once, after the last rename into it and before event number `before`."""
    for folder in folders:
        renames = [i for i, (kind, p) in enumerate(events) if kind == "rename" and os.path.dirname(p) == folder]
        syncs = [i for i, e in enumerate(events) if e == ("folder", folder)]
        assert renames and syncs == [syncs[0]] and renames[-1] < syncs[0] < before, (folder, events)


def test_commit_syncs_each_folder_once_after_its_files_and_before_the_journal(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    h = home(tmp_path)
    events = trace(monkeypatch)
    tx = txn.commit(h, changes(h), managed=managed, node=1, spec=None, spec_sha=None)
    journal = str(h / ".wso2patch/journal.json")
    pending, committed = [i for i, e in enumerate(events) if e == ("rename", journal)]
    backups = {os.path.dirname(str(h / ".wso2patch" / f.backup)) for f in tx.files}
    homes = {os.path.dirname(str(h / rel)) for rel in FILES}
    assert len(backups) == len(homes) == 2
    check_order(events, backups, pending)
    check_order(events, homes, committed)
    for rel in FILES:  # every file of the home and every backup was fsynced before its rename
        assert ("rename", str(h / rel)) in events
    for f in tx.files:
        assert ("rename", str(h / ".wso2patch" / f.backup)) in events
    # the after/ snapshots are only ever shown in a diff: renamed without fsync, as before
    assert all("/after/" in p for kind, p in events if kind == "rename-unsynced")


def test_rollback_syncs_each_folder_once_before_recording_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = home(tmp_path)
    txn.commit(h, changes(h), managed=managed, node=1, spec=None, spec_sha=None)
    events = trace(monkeypatch)
    txn.rollback(h, managed=managed)
    journal = str(h / ".wso2patch/journal.json")
    rolling, rolled_back = [i for i, e in enumerate(events) if e == ("rename", journal)]
    check_order(events, {os.path.dirname(str(h / rel)) for rel in FILES}, rolled_back)
    assert all(rolling < i for i, (kind, p) in enumerate(events) if kind == "rename" and "/.wso2patch/" not in p)
    assert [(h / rel).read_bytes() for rel in FILES] == [b"<a>old</a>\n"] * 3


@pytest.mark.parametrize("where", ["repository/conf/axis2", ".wso2patch/backups"])
def test_a_failed_folder_sync_writes_nothing(where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = home(tmp_path)
    failing: dict[str, Any] = {"on": True}

    def fail(path: str) -> bool:  # the first sync of that folder (the put-back's own syncs succeed)
        hit = failing["on"] and where in path
        failing["on"] = failing["on"] and not hit
        return bool(hit)

    trace(monkeypatch, fail)
    with pytest.raises(WriteError, match="Input/output error"):
        txn.commit(h, changes(h), managed=managed, node=1, spec=None, spec_sha=None)
    assert [(h / rel).read_bytes() for rel in FILES] == [b"<a>old</a>\n"] * 3
    assert not (h / ".wso2patch/journal.json").exists()


def test_a_signal_between_two_files_finds_the_written_ones_on_disk(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The safe point between two swaps acts on a signal (interrupt.py); recovery then decides from the files, so
    the renames made so far are synced before the signal is acted on, as a folder fsync per file did."""
    h = home(tmp_path)
    events = trace(monkeypatch)
    swapped: list[int] = []

    def check(*, end: bool = False) -> None:
        renamed = [p for kind, p in events if kind == "rename" and "/.wso2patch/" not in p]
        if len(renamed) == 2 and not swapped:
            swapped.append(len(events))
            raise interrupt.Interrupt(signal.SIGTERM)

    monkeypatch.setattr(interrupt, "check", check)
    with pytest.raises(interrupt.Interrupt):
        txn.commit(h, changes(h), managed=managed, node=1, spec=None, spec_sha=None)
    after = events[swapped[0]:]
    assert ("folder", str(h / "repository/conf")) in after  # a.xml and b.xml were renamed there
    assert [(h / rel).read_bytes() for rel in FILES] == [b"<a>new</a>\n", b"<a>new</a>\n", b"<a>old</a>\n"]
