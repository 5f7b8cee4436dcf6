"""Atomic multi-file commit with backups and a journal inside the home; rollback; recovery.

Layout under HOME/.wso2patch/: journal.json (every transaction, with each file's sha256
before and after) and backups/<id>/<relative path> (the bytes before). Order of work, as
pipx does it: back up and record every target first, then swap files one by one with an
atomic rename; on any failure put back what was already swapped, in reverse.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from wso2patch.errors import ConfigError, DriftError, WriteError

STATE_DIR = ".wso2patch"
State = Literal["pending", "committed", "rolled_back", "recovered"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileRecord:
    path: str  # relative to the home
    before: str | None  # None: the file did not exist before (rollback removes it)
    after: str
    backup: str  # relative to the state dir; "" when there was nothing to back up


@dataclass
class Transaction:
    id: str
    time: str
    node: int | None
    spec: str | None
    spec_sha256: str | None
    state: State
    files: list[FileRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    rel: str
    old: bytes | None  # None: a new file
    new: bytes


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same directory, fsync, rename; keep mode and owner.
    A symlinked config is edited through the link (the link itself stays)."""
    target = Path(os.path.realpath(path))
    try:
        st = target.stat()
    except FileNotFoundError:
        st = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".wso2patch-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            with contextlib.suppress(PermissionError):  # not root: the file stays ours, as an editor leaves it
                os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dfd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def atomic_write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)


class Journal:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.dir = home / STATE_DIR
        self.path = self.dir / "journal.json"

    def load(self) -> list[Transaction]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [Transaction(**{**t, "files": [FileRecord(**f) for f in t["files"]]})
                    for t in data["transactions"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"unreadable journal: {e}", where=self.path,
                              hint="restore it from a backup, or move .wso2patch away to start afresh") from None

    def save(self, txs: Sequence[Transaction]) -> None:
        self.dir.mkdir(exist_ok=True)
        data = {"version": 1, "transactions": [asdict(t) for t in txs]}
        atomic_write(self.path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def _new_id(txs: Sequence[Transaction]) -> tuple[str, str]:
    now = datetime.now(UTC)
    base = now.strftime("%Y%m%dT%H%M%SZ")
    taken = {t.id for t in txs}
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}", now.isoformat(timespec="seconds")


def _put(path: Path, data: bytes | None) -> None:
    """Write a file atomically, or remove it when data is None."""
    if data is None:
        path.unlink(missing_ok=True)
    else:
        atomic_write(path, data)


def _swap(home: Path, writes: Sequence[tuple[str, bytes | None, bytes | None]]) -> None:
    """Write each (rel, new, old) in order; on failure restore the written ones in reverse."""
    done: list[tuple[str, bytes | None]] = []
    for rel, new, old in writes:
        try:
            _put(home / rel, new)
        except OSError as e:
            for back_rel, back_old in reversed(done):
                _put(home / back_rel, back_old)
            raise WriteError(f"cannot write: {e.strerror or e}", where=home / rel,
                             hint="every file was left as it was; fix the cause (space, permissions) and rerun"
                             ) from None
        done.append((rel, old))


def commit(home: Path, changes: Sequence[Change], *, node: int | None, spec: Path | None,
           spec_sha: str | None) -> Transaction:
    journal = Journal(home)
    txs = journal.load()
    for c in changes:  # the files must still be what the plan was computed from
        now = _current(home, c.rel)
        if now != c.old:
            raise WriteError("changed on disk since the plan was made", where=home / c.rel,
                             hint="nothing was written; rerun to plan again")
    tx_id, when = _new_id(txs)
    tx = Transaction(id=tx_id, time=when, node=node, spec=str(spec) if spec else None, spec_sha256=spec_sha,
                     state="pending")
    try:
        for c in changes:
            backup = Path("backups") / tx_id / c.rel
            if c.old is not None:
                atomic_write_new(journal.dir / backup, c.old)
            tx.files.append(FileRecord(path=c.rel, before=sha256(c.old) if c.old is not None else None,
                                       after=sha256(c.new), backup=backup.as_posix() if c.old is not None else ""))
        journal.save([*txs, tx])
    except OSError as e:
        raise WriteError(f"cannot write backups: {e.strerror or e}", where=journal.dir,
                         hint="nothing was changed; make the home writable and rerun") from None
    try:
        _swap(home, [(c.rel, c.new, c.old) for c in changes])
    except WriteError:
        journal.save(txs)  # the swap was undone: forget the transaction
        raise
    tx.state = "committed"
    journal.save([*txs, tx])
    return tx


def _current(home: Path, rel: str) -> bytes | None:
    try:
        return (home / rel).read_bytes()
    except OSError:
        return None


def _backup(journal: Journal, f: FileRecord) -> bytes | None:
    """The bytes a file had before the transaction (None: it did not exist), checked against the journal."""
    if f.before is None:
        return None
    try:
        old = (journal.dir / f.backup).read_bytes()
    except OSError as e:
        raise WriteError(f"backup unreadable: {e.strerror}", where=journal.dir / f.backup,
                         hint="nothing was restored") from None
    if sha256(old) != f.before:
        raise WriteError("backup does not match its recorded hash", where=journal.dir / f.backup,
                         hint="nothing was restored")
    return old


def drifted(home: Path, tx: Transaction) -> list[str]:
    """Files changed (or removed) since the transaction wrote them."""
    return [f.path for f in tx.files if (b := _current(home, f.path)) is None or sha256(b) != f.after]


def last_committed(home: Path) -> Transaction | None:
    txs = [t for t in Journal(home).load() if t.state == "committed"]
    return txs[-1] if txs else None


def rollback(home: Path, *, force: bool = False) -> Transaction | None:
    """Restore the files of the last committed transaction byte for byte; None when there is none."""
    journal = Journal(home)
    txs = journal.load()
    live = [t for t in txs if t.state == "committed"]
    if not live:
        return None
    tx = live[-1]
    changed = drifted(home, tx)
    if changed and not force:
        raise DriftError(f"changed by hand since apply {tx.id}: {', '.join(changed)}", where=home,
                         hint="nothing was restored; keep the hand edits, or rerun with --force to overwrite them")
    writes: list[tuple[str, bytes | None, bytes | None]] = []
    for f in tx.files:
        writes.append((f.path, _backup(journal, f), _current(home, f.path)))
    for rel in changed:  # --force: keep the hand-edited versions beside the backups, never lose them
        if (now := _current(home, rel)) is not None:
            atomic_write_new(journal.dir / "backups" / tx.id / f"{rel}.hand-edited", now)
    _swap(home, writes[::-1])
    tx.state = "rolled_back"
    journal.save(txs)
    return tx


def recover(home: Path) -> list[Transaction]:
    """Undo transactions a killed process left pending, so the home is wholly as before them."""
    journal = Journal(home)
    txs = journal.load()
    pending = [t for t in txs if t.state == "pending"]
    for tx in reversed(pending):
        for f in reversed(tx.files):
            now = _current(home, f.path)
            if now is not None and sha256(now) == f.after:
                _put(home / f.path, _backup(journal, f))
        tx.state = "recovered"
    if pending:
        journal.save(txs)
    return pending


def to_json(tx: Transaction) -> dict[str, Any]:
    return asdict(tx)
