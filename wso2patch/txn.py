"""Atomic multi-file commits, rollback and crash recovery over the journal (journal.py).

Order of work, as pipx does it: back up and record every target first (journal state
"pending"), then swap files one by one with atomic renames, then mark "committed". A
rollback marks "rolling_back" before it swaps. Whatever instant a process dies at, the next
command finds the journal unfinished and makes the home wholly before or wholly after.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from wso2patch import interrupt
from wso2patch.errors import (
    ConfigError,
    DriftError,
    InternalError,
    NoSuchTransactionError,
    PartialWriteError,
    WriteError,
    Wso2PatchError,
)
from wso2patch.journal import (
    STATE_DIR,
    FileRecord,
    FolderSyncs,
    Journal,
    Managed,
    Transaction,
    outside_home,
    pause,
    put,
    read,
    remove_strays,
    sha256,
)

__all__ = ["STATE_DIR", "Change", "Journal", "PartialWriteError", "Transaction", "commit", "drifted", "recover",
           "rollback", "to_undo"]


@dataclass(frozen=True)
class Change:
    rel: str
    old: bytes | None  # None: a new file
    new: bytes


def _new_id(txs: Sequence[Transaction]) -> tuple[str, str]:
    now = datetime.now(UTC)
    base = now.strftime("%Y%m%dT%H%M%SZ")
    taken = {t.id for t in txs}
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}", now.isoformat(timespec="seconds")


def _swap(home: Path, writes: Sequence[tuple[str, bytes | None, bytes | None]]) -> None:
    """Write each (rel, new, old) in order; on failure put the written ones back in reverse.
    If putting back fails too, PartialWriteError says so (the journal then still holds the work).
    Between two files is the safe point where a signal noted meanwhile stops the swap (interrupt.py):
    every file is whole there, and the journal says what recovery must do. Each folder is fsynced once, after
    the last file (or at that safe point, before the signal is acted on): every rename is on disk then."""
    done: list[tuple[str, bytes | None]] = []
    with FolderSyncs() as folders:
        for rel, new, old in writes:
            try:
                put(home / rel, new, durable=folders)
                pause()
            except OSError as e:
                _put_back(home, done, rel, e)
            done.append((rel, old))
            try:
                interrupt.check()
            except interrupt.Interrupt:
                with contextlib.suppress(OSError):  # best effort: recovery, which runs next, writes durably
                    folders.sync()
                raise
        try:
            folders.sync()
        except OSError as e:
            _put_back(home, done, done[-1][0], e)


def _put_back(home: Path, done: Sequence[tuple[str, bytes | None]], rel: str, e: OSError) -> NoReturn:
    """Writing `rel` failed: put back the files already written, newest first, and say so."""
    try:
        for back_rel, back_old in reversed(done):
            put(home / back_rel, back_old)
    except OSError as e2:
        raise PartialWriteError(f"cannot write: {e.strerror or e}; putting back the files already written "
                                f"failed too ({e2.strerror or e2})", where=home / rel,
                                hint="nothing is lost: the journal holds the transaction; fix the cause "
                                     f"(space, permissions), then run 'wso2patch recover --home {home}'") from None
    raise WriteError(f"cannot write: {e.strerror or e}", where=home / rel,
                     hint="every file was left as it was; fix the cause (space, permissions) and rerun") from None


def _stat(path: Path) -> os.stat_result | None:
    """The mode and owner a copy of this file takes (a backup is no more readable than the file it copies)."""
    try:
        return os.stat(path)
    except OSError:
        return None


def commit(home: Path, changes: Sequence[Change], *, managed: Managed, node: int | None, spec: Path | None,
           spec_sha: str | None, patches: Sequence[str] = (), profile: str | None = None) -> Transaction:
    journal = Journal(home, managed)
    txs = journal.load()
    if strange := [c.rel for c in changes if not managed(c.rel)]:  # the journal would refuse it when read again
        raise InternalError(f"{strange[0]} is not a file wso2patch manages", where=home,
                            hint="nothing was written; please report this")
    for c in changes:  # the files must still be what the plan was computed from
        if read(home / c.rel) != c.old:
            raise WriteError("changed on disk since the plan was made", where=home / c.rel,
                             hint="nothing was written; rerun to plan again")
    tx_id, when = _new_id(txs)
    tx = Transaction(id=tx_id, time=when, node=node, spec=str(spec) if spec else None, spec_sha256=spec_sha,
                     state="pending", patches=list(patches), profile=profile)
    try:
        with FolderSyncs() as folders:
            for c in changes:
                backup, snapshot = f"backups/{tx_id}/{c.rel}", f"after/{tx_id}/{c.rel}"
                like = _stat(home / c.rel)
                if c.old is not None:
                    journal.state.write(backup, c.old, like=like, durable=folders)
                journal.state.write(snapshot, c.new, durable=False, like=like)  # only shown in a diff: no fsync
                tx.files.append(FileRecord(path=c.rel, before=sha256(c.old) if c.old is not None else None,
                                           after=sha256(c.new), backup=backup if c.old is not None else "",
                                           snapshot=snapshot))
            folders.sync()  # every backup is on disk before the journal points at it
        interrupt.check()  # a signal while backing up: stop before the first write, leaving no trace
        journal.save([*txs, tx])
    except ConfigError:  # a link planted in .wso2patch meanwhile: refused, not followed
        _forget(journal, txs, tx_id)
        raise
    except (OSError, interrupt.Interrupt) as e:
        _forget(journal, txs, tx_id)
        if isinstance(e, interrupt.Interrupt):
            raise
        raise WriteError(f"cannot write backups: {e.strerror or e}", where=journal.dir,
                         hint="nothing was changed; make the home writable (or free space) and rerun") from None
    try:
        _swap(home, [(c.rel, c.new, c.old) for c in changes])
    except WriteError:
        _forget(journal, txs, tx_id)  # the swap was undone: forget the transaction
        try:
            forgotten = all(t.id != tx_id for t in journal.load())
        except Wso2PatchError:
            forgotten = False
        if not forgotten:  # the journal could not be saved (the disk is full): it still says "pending"
            raise PartialWriteError(f"cannot write: {journal.path} could not be saved after every file was put "
                                    "back", where=home, hint="nothing is lost; free space, then run 'wso2patch "
                                    f"recover --home {home}'") from None
        raise
    tx.state = "committed"
    try:
        journal.save([*txs, tx])
    except OSError as e:  # every file is written; the journal still says "pending", which recovery finishes
        raise PartialWriteError(f"every file was written, but the journal could not record it: {e.strerror or e}",
                                where=journal.path, hint="nothing is lost; fix the cause (free space), then run "
                                f"'wso2patch recover --home {home}': it marks the apply complete") from None
    return tx


def _forget(journal: Journal, txs: list[Transaction], tx_id: str) -> None:
    """A transaction that changed nothing leaves no trace: its snapshots go, and the journal if it was its only
    entry (best effort: this runs while an error is already on its way to the user)."""
    with contextlib.suppress(OSError, ConfigError):
        for part in ("backups", "after"):
            with contextlib.suppress(OSError, ConfigError):
                journal.state.remove(f"{part}/{tx_id}")
            journal.state.rmdir(part)  # only if empty
        if txs:
            journal.save(txs)
        else:
            journal.state.remove("journal.json")


def backup_of(journal: Journal, f: FileRecord) -> bytes | None:
    """The bytes a file had before the transaction (None: it did not exist), checked against the journal."""
    if f.before is None:
        return None
    old = journal.state.read(f.backup)
    if old is None or sha256(old) != f.before:
        raise WriteError("backup missing or not matching its recorded hash", where=journal.dir / f.backup,
                         hint="nothing was restored")
    return old


def drifted(home: Path, txs: Sequence[Transaction]) -> list[FileRecord]:
    """Files changed (or removed) since the newest of `txs` that wrote them."""
    newest: dict[str, FileRecord] = {}
    for tx in txs:
        for f in tx.files:
            newest[f.path] = f
    out = []
    for f in newest.values():
        b = read(home / f.path)
        if b is None or sha256(b) != f.after:
            out.append(f)
    return out


def _restorable(journal: Journal, tx: Transaction) -> None:
    """Restoring writes bytes from .wso2patch, which the product's user may have written. Inside the home that user
    could write the file anyway; through a link leading out of the home, only backups nobody else can write are
    trusted (the journal, and each backup, and every folder above them, are ours and writable only by us)."""
    for f in tx.files:
        backup_of(journal, f)
        real = outside_home(journal.home, f.path)
        if real is not None and not (journal.state.trusted("journal.json")
                                     and (f.before is None or journal.state.trusted(f.backup))):
            raise ConfigError(f"{f.path} leads out of the home (to {real}) and .wso2patch is writable by another "
                              "user: its backup is not trusted there", where=journal.home,
                              hint=f"nothing was restored; check {STATE_DIR}/{f.backup or 'journal.json'} and "
                                   "restore that file by hand")


def _undo(home: Path, journal: Journal, txs: list[Transaction], tx: Transaction) -> None:
    """Put every file of tx back as it was before it, and record that. A write that fails with every file put
    back leaves tx in the state it had (nothing happened); one whose put-back failed too leaves it rolling_back,
    which read-only commands refuse and recover finishes."""
    _restorable(journal, tx)
    writes = [(f.path, backup_of(journal, f), read(home / f.path)) for f in reversed(tx.files)]
    was = tx.state
    tx.state = "rolling_back"
    journal.save(txs)
    try:
        _swap(home, writes)
    except PartialWriteError:
        raise
    except WriteError:
        tx.state = was
        with contextlib.suppress(OSError, ConfigError):  # best effort: an error is already on its way
            journal.save(txs)
        raise
    tx.state = "rolled_back"
    journal.save(txs)


def to_undo(home: Path, txs: Sequence[Transaction], to: str | None, *,
            finishing: Collection[str] = ()) -> list[Transaction]:
    """What a rollback undoes, oldest first: the newest applied transaction, or every one back to and including
    `to`; none when nothing is applied (whatever `to`). `finishing`: ids of unfinished applies that recovery will
    mark complete first, which count as applied. The one place this choice is made: the rollback command's
    refusals decide on it before recovering, and rollback() below undoes it after."""
    live = [t for t in txs if t.state == "committed" or t.id in finishing]
    ids = [t.id for t in live]
    if to is None or not live:
        return live[-1:]
    if to not in ids:
        also = f"; this home also needs 'wso2patch recover --home {home}'" if finishing else ""
        raise NoSuchTransactionError(f"no applied transaction {to}", where=home,
                                     hint=f"see 'wso2patch history --home {home}'{also}")
    return live[ids.index(to):]


def rollback(home: Path, *, managed: Managed, to: str | None = None, force: bool = False) -> list[Transaction]:
    """Undo the last committed transaction, or every one back to and including `to`; newest first."""
    journal = Journal(home, managed)
    txs = journal.load()
    undo = to_undo(home, txs, to)
    changed = drifted(home, undo)
    if changed and not force:
        raise DriftError(f"changed by hand since it was applied: {', '.join(f.path for f in changed)}", where=home,
                         hint="nothing was restored; keep the hand edits, or rerun with --force to overwrite them")
    for tx in undo:  # every backup is checked before the first file is restored
        _restorable(journal, tx)
    for f in changed:  # --force: keep the hand-edited versions beside the backups, never lose them
        if (now := read(home / f.path)) is not None:
            journal.state.write(f"backups/{undo[-1].id}/{f.path}.hand-edited", now, like=_stat(home / f.path))
    for tx in reversed(undo):
        _undo(home, journal, txs, tx)
    return list(reversed(undo))


def recover(home: Path, *, managed: Managed) -> list[Transaction]:
    """Finish what a killed process left: an apply whose files were all written is marked committed,
    any other pending apply is undone, an interrupted rollback is completed; temporary files, and the
    backups of transactions that never reached the journal, are removed."""
    journal = Journal(home, managed)
    txs = journal.load()
    journal.state.sweep({t.id for t in txs})
    todo = [t for t in txs if t.state in ("pending", "rolling_back")]
    for tx in reversed(todo):
        for f in tx.files:
            remove_strays(home, f.path)
        was = tx.state
        if was == "pending" and all((b := read(home / f.path)) is not None and sha256(b) == f.after
                                    for f in tx.files):
            tx.state = "committed"  # every file was written: the apply only missed its last journal entry
            journal.save(txs)
            continue
        _undo(home, journal, txs, tx)
        if was == "pending":
            tx.state = "recovered"
            journal.save(txs)
    return todo
