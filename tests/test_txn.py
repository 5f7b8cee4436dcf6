"""Atomic multi-file commits: backups first, all-or-nothing swaps, rollback, recovery."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from wso2patch import journal as jr
from wso2patch import txn
from wso2patch.entries import parse
from wso2patch.errors import DriftError, WriteError


def conf(rel: str) -> bool:
    """The files these tests manage."""
    return rel.startswith("repository/conf/")


def home(tmp_path: Path) -> Path:
    conf = tmp_path / "home/repository/conf"
    conf.mkdir(parents=True)
    for name in ("a.xml", "b.xml", "c.xml"):
        (conf / name).write_bytes(f"<{name[0]}>old</{name[0]}>\n".encode())
    return tmp_path / "home"


def changes(h: Path) -> list[txn.Change]:
    conf = h / "repository/conf"
    return [txn.Change(f"repository/conf/{n}", (conf / n).read_bytes(), f"<{n[0]}>new</{n[0]}>\n".encode())
            for n in ("a.xml", "b.xml", "c.xml")]


def contents(h: Path) -> list[bytes]:
    return [(h / "repository/conf" / n).read_bytes() for n in ("a.xml", "b.xml", "c.xml")]


def test_commit_backs_up_records_hashes_and_rollback_restores(tmp_path: Path) -> None:
    h = home(tmp_path)
    before = contents(h)
    tx = txn.commit(h, changes(h), managed=conf, node=1, spec=None, spec_sha=None)
    assert tx.state == "committed" and contents(h)[0] == b"<a>new</a>\n"
    rec = tx.files[0]
    assert (h / ".wso2patch" / rec.backup).read_bytes() == before[0]
    assert rec.before == jr.sha256(before[0]) and rec.after == jr.sha256(b"<a>new</a>\n")
    assert txn.rollback(h, managed=conf) != []
    assert contents(h) == before
    assert txn.rollback(h, managed=conf) == []


def test_a_failed_write_puts_back_the_files_already_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = home(tmp_path)
    before = contents(h)
    real = jr.atomic_write

    def failing(path: Path, data: bytes, durable: bool = True) -> None:
        if path.name == "c.xml" and b"new" in data and ".wso2patch" not in str(path):
            raise OSError(28, "No space left on device")
        real(path, data, durable=durable)

    monkeypatch.setattr(jr, "atomic_write", failing)
    with pytest.raises(WriteError, match="c.xml: cannot write: No space left on device"):
        txn.commit(h, changes(h), managed=conf, node=1, spec=None, spec_sha=None)
    assert contents(h) == before
    assert not (h / ".wso2patch/journal.json").exists()  # a transaction that changed nothing leaves no trace
    assert not (h / ".wso2patch/backups").exists() and not (h / ".wso2patch/after").exists()


def test_a_read_only_directory_fails_before_any_file_changes(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions; the failure path is covered by the monkeypatched test")
    h = home(tmp_path)
    (h / "repository/conf").chmod(0o555)
    try:
        with pytest.raises(WriteError):
            txn.commit(h, changes(h), managed=conf, node=1, spec=None, spec_sha=None)
    finally:
        (h / "repository/conf").chmod(0o755)


def test_commit_refuses_files_changed_since_the_plan(tmp_path: Path) -> None:
    h = home(tmp_path)
    planned = changes(h)
    (h / "repository/conf/b.xml").write_bytes(b"<b>edited</b>\n")
    with pytest.raises(WriteError, match="changed on disk since the plan"):
        txn.commit(h, planned, managed=conf, node=1, spec=None, spec_sha=None)
    assert contents(h)[0] == b"<a>old</a>\n"


def test_rollback_refuses_drift(tmp_path: Path) -> None:
    h = home(tmp_path)
    txn.commit(h, changes(h), managed=conf, node=1, spec=None, spec_sha=None)
    (h / "repository/conf/b.xml").unlink()
    with pytest.raises(DriftError, match="repository/conf/b.xml"):
        txn.rollback(h, managed=conf)
    assert txn.rollback(h, managed=conf, force=True) != []
    assert contents(h)[1] == b"<b>old</b>\n"


def test_recover_undoes_a_transaction_left_pending_by_a_killed_process(tmp_path: Path) -> None:
    h = home(tmp_path)
    before = contents(h)
    tx = txn.commit(h, changes(h), managed=conf, node=1, spec=None, spec_sha=None)
    journal = jr.Journal(h, conf)
    tx.state = "pending"  # as if killed after swapping two of three files
    journal.save([tx])
    (h / "repository/conf/c.xml").write_bytes(before[2])
    assert [t.id for t in txn.recover(h, managed=conf)] == [tx.id]
    assert contents(h) == before
    assert journal.load()[0].state == "recovered" and txn.recover(h, managed=conf) == []


def test_an_unreadable_journal_is_a_clear_error(tmp_path: Path) -> None:
    h = home(tmp_path)
    (h / ".wso2patch").mkdir()
    (h / ".wso2patch/journal.json").write_text("{not json")
    with pytest.raises(Exception, match="unreadable journal"):
        txn.rollback(h, managed=conf)


# --- the journal's entries are checked when read: another user may have written them ------------------------------
GOOD_ID = "20240102T030405Z-1"
SHA_A = "a" * 64


def journal_with(**change: Any) -> bytes:
    """A valid one-transaction journal, with the first file's fields (or, for tx_*, the transaction's) changed."""
    f = {"path": "repository/conf/a.xml", "before": SHA_A, "after": SHA_A, "backup": f"backups/{GOOD_ID}/repository/"
         "conf/a.xml", "snapshot": f"after/{GOOD_ID}/repository/conf/a.xml"}
    tx: dict[str, Any] = {"id": GOOD_ID, "time": "2024-01-02T03:04:05+00:00", "node": 1, "spec": "/s.toml",
                          "spec_sha256": SHA_A, "state": "committed", "files": [f], "patches": ["p"]}
    for key, value in change.items():
        (tx if key.startswith("tx_") else f)[key.removeprefix("tx_")] = value
    return json.dumps({"version": 1, "transactions": [tx]}).encode()


def test_a_valid_journal_reads_back_as_written(tmp_path: Path) -> None:
    (tx,) = parse(journal_with(), conf)
    assert tx.id == GOOD_ID and tx.files[0].path == "repository/conf/a.xml" and tx.state == "committed"
    (new,) = parse(journal_with(before=None, backup="", snapshot=""), conf)  # a file the transaction created
    assert new.files[0].before is None


@pytest.mark.parametrize("change, says", [
    ({"path": "/etc/passwd"}, "not a relative path inside the home"),
    ({"path": "repository/conf/../../../etc/x"}, "not a relative path inside the home"),
    ({"path": "repository//conf/a.xml"}, "not a relative path inside the home"),
    ({"path": "./repository/conf/a.xml"}, "not a relative path inside the home"),
    ({"path": ".wso2patch/journal.json"}, "not a relative path inside the home"),
    ({"path": "repository/conf/a\nb.xml"}, "not a relative path inside the home"),
    ({"path": 7}, "not a relative path inside the home"),
    ({"path": "bin/wso2server.sh"}, "not a file wso2patch writes"),
    ({"backup": "backups/other/repository/conf/a.xml"}, "backup 'backups/other/"),
    ({"before": None}, "backup 'backups/"),  # a file that did not exist has no backup
    ({"snapshot": "../after"}, "snapshot '../after'"),
    ({"after": "not-a-hash"}, "after 'not-a-hash' is not a sha256"),
    ({"tx_id": "../../x"}, "id '../../x' is not a wso2patch transaction id"),
    ({"tx_node": True}, "node True is not a number"),
    ({"tx_state": "done"}, "state 'done' is not one of"),
    ({"tx_time": "\x1b[2J"}, "time or spec is not printable"),
    ({"tx_patches": "p"}, "patches is not a list"),
    ({"tx_files": {}}, "files is not a list"),
    ({"extra": 1}, "unknown fields ['extra']"),
])
def test_a_malformed_or_unsafe_entry_is_refused_naming_it(change: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        parse(journal_with(**change), conf)


def test_two_transactions_with_one_id_are_refused() -> None:
    data = json.loads(journal_with())
    data["transactions"] *= 2
    with pytest.raises(ValueError, match="same id"):
        parse(json.dumps(data).encode(), conf)
