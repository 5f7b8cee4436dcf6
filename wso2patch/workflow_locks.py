"""The home's lock, recovery of what a killed process left, and the critical sections a transaction writes in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from wso2patch import interrupt
from wso2patch.errors import (
    ConfigError,
    PartialWriteError,
    SignalError,
    UnfinishedError,
    WriteError,
    Wso2PatchError,
)
from wso2patch.journal import STATE_DIR, locked, read, sha256
from wso2patch.plan import check_home, not_regular
from wso2patch.workflow_files import journal_of, managed

if TYPE_CHECKING:
    from wso2patch import txn


@contextmanager
def locked_home(home: Path) -> Iterator[None]:
    """The home's lock, nothing more: the lock file is all it writes (and on a full disk, not even that)."""
    check_home(home)
    with ExitStack() as stack:
        interrupt.check()
        try:
            stack.enter_context(locked(home))
        except OSError as e:
            raise WriteError(f"cannot take the lock: {e.strerror or e}", where=home / STATE_DIR / "lock",
                             hint="nothing was changed; free space or make the home writable, then rerun") from None
        interrupt.check()
        yield


@contextmanager
def writing(home: Path) -> Iterator[list[txn.Transaction]]:
    """Hold the home's lock and finish whatever a killed process left, before writing anything."""
    with locked_home(home):
        yield recover_now(home)


def recover_now(home: Path) -> list[txn.Transaction]:
    """Recovery, under the lock the caller holds; it says what it did (for a signal's last line too)."""
    with critical(home, "recovery") as said:
        from wso2patch import txn  # the writing commands' module: a diff never loads it

        done = txn.recover(home, managed=managed)
        said += [f"{home}: {what_recovery_did(t)}" for t in done]
    return done


def what_recovery_did(tx: txn.Transaction) -> str:
    kind = "rollback" if tx.state == "rolled_back" else "apply"
    return f"interrupted {kind} {tx.id} " + {
        "committed": "finished: its files were all written", "recovered": "undone: every file as before it",
        "rolled_back": "completed: every file as before the apply it undid"}.get(tx.state, tx.state)


def forecast(home: Path) -> list[tuple[txn.Transaction, str]]:
    """What recovery would make of each unfinished transaction, worked out without writing (as txn.recover
    decides): "committed" (an apply whose files were all written; no file changes), "recovered" (any other
    apply: undone from the backups) or "rolled_back" (an interrupted rollback: completed)."""
    out = []
    for tx in journal_of(home).unfinished():
        require_regular(home, [f.path for f in tx.files])
        if tx.state == "pending" and all((b := read(home / f.path)) is not None and sha256(b) == f.after
                                         for f in tx.files):
            out.append((tx, "committed"))
        else:
            out.append((tx, "recovered" if tx.state == "pending" else "rolled_back"))
    return out


def unfinished_error(home: Path, todo: list[tuple[txn.Transaction, str]], doing: str) -> UnfinishedError:
    """A command that is not going ahead refuses a half-written home instead of recovering it."""
    verb = {"committed": "mark it complete (its files were all written)",
            "recovered": "undo it (every file back as before it)", "rolled_back": "complete it"}
    tx, outcome = todo[-1]
    kind = "rollback" if tx.state == "rolling_back" else "apply"
    return UnfinishedError(f"an interrupted {kind} ({tx.id}) left this home half-written; recovery would "
                           f"{verb[outcome]}; this {doing} wrote nothing", where=home,
                           hint=f"run 'wso2patch recover --home {home}' first, then rerun if still needed")


def require_regular(home: Path, rels: list[str]) -> None:
    """Files a rollback or a recovery reads must be regular files (or absent): a FIFO would block it forever."""
    for rel in rels:
        if (kind := not_regular(home / rel)) is not None:
            raise ConfigError(f"it is {kind}, not a regular file", where=home / rel,
                              hint="nothing was written; put the file back (or remove it) and rerun")


@contextmanager
def critical(home: Path, what: str) -> Iterator[list[str]]:
    """A transaction's writes, under the lock the caller holds. SIGINT, SIGTERM and SIGHUP stop an apply at its next
    safe point, and let a rollback or a recovery run to its end; then recovery makes the home wholly before or after,
    and SignalError ends the command with 128 + the signal number and one line saying where the home stands. The
    body adds to the yielded list what it completed. A write that failed unexpectedly (a journal save on a full
    disk) ends in exit 9 when the journal shows nothing unfinished (every file as it was), else 14
    (PartialWriteError: run recover)."""
    said: list[str] = []
    interrupt.check()
    with interrupt.deferred(to_the_end=what != "apply"):  # a rollback or a recovery only moves back: it completes
        try:
            yield said
            interrupt.completed().extend(said)
            interrupt.check(end=True)  # a signal since the last safe point: the work is complete
        except interrupt.Interrupt as sig:
            raise _stopped(home, what, sig) from None
        except OSError as e:
            raise _failed(home, WriteError(f"cannot write: {e.strerror or e}", where=e.filename or home,
                                           hint="every file was left as it was; fix the cause (space, "
                                                "permissions) and rerun")) from None
        except WriteError as e:
            raise _failed(home, e) from None


def _failed(home: Path, e: WriteError) -> Wso2PatchError:
    try:
        unfinished = bool(journal_of(home).unfinished())
    except Wso2PatchError:
        unfinished = True
    if not unfinished:
        return e
    return PartialWriteError(f"{e.message}; the journal still lists the transaction as under way", where=e.where,
                             hint=f"nothing is lost; fix the cause (space, permissions), then run 'wso2patch "
                                  f"recover --home {home}'")


def _stopped(home: Path, what: str, sig: interrupt.Interrupt) -> Wso2PatchError:
    """After a signal inside a critical section: recover under the same lock, and say where the home stands."""
    from wso2patch import txn

    try:
        done = txn.recover(home, managed=managed)
    except (OSError, Wso2PatchError) as e:
        return PartialWriteError(f"{interrupt.line(sig, [f'{home}: recovering the {what} failed: {e}'])}", where=home,
                                 hint=f"nothing is lost; fix the cause, then run 'wso2patch recover --home {home}'")
    now = [f"{home}: {what_recovery_did(t)}" for t in done]  # completed work is in interrupt.completed() already
    return SignalError(interrupt.line(sig, [*interrupt.completed(), *now]), signum=sig.signum)


def require_finished(home: Path) -> None:
    """Read-only commands refuse a half-written home rather than describe it wrongly."""
    if journal_of(home).unfinished():
        raise UnfinishedError("an interrupted apply or rollback left this home half-written", where=home,
                              hint=f"run 'wso2patch recover --home {home}' first (or an apply with --yes)")
