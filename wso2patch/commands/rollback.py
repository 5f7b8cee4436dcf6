"""wso2patch rollback / recover: restore a home's files byte for byte to before an apply, or finish or undo what a
killed apply or rollback left. Both write under the home's lock, inside critical sections (workflow_locks.critical)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch import txn
from wso2patch.commands import Block, Diff, Line, Result, Ui
from wso2patch.commands.nodes import TransactionResult
from wso2patch.errors import DriftError
from wso2patch.journal import Transaction
from wso2patch.workflow_files import journal_of, managed
from wso2patch.workflow_locks import (
    critical,
    forecast,
    locked_home,
    recover_now,
    require_regular,
    unfinished_error,
    what_recovery_did,
    writing,
)
from wso2patch.workflow_plan import drift_diffs


@dataclass(frozen=True)
class HomeTransactions:
    home: Path
    status: Literal["rolled_back", "recovered", "nothing"]
    transactions: list[TransactionResult]  # what the command itself undid (rollback), newest first
    recovered: list[TransactionResult]  # what recovery finished or undid first


@dataclass(kw_only=True)
class RollbackResult(Result):
    command: ClassVar[str] = "rollback"
    status: Literal["rolled_back", "nothing"]
    nodes: list[HomeTransactions]

    def human(self) -> list[Block]:
        out: list[Block] = []
        for h in self.nodes:
            files = ", ".join(sorted({f.path for t in h.transactions for f in t.files}))
            ids = ", ".join(t.id for t in h.transactions)
            out += [Line(f"{h.home}: {what_recovery_did(t)}", "yellow") for t in h.recovered]
            out.append(Line(f"{h.home}: restored {files} (apply {ids})" if h.transactions else
                            f"{h.home}: nothing to roll back", "green"))
        return out


@dataclass(kw_only=True)
class RecoverResult(Result):
    command: ClassVar[str] = "recover"
    status: Literal["recovered", "nothing"]
    nodes: list[HomeTransactions]

    def human(self) -> list[Block]:
        out: list[Block] = []
        for h in self.nodes:
            out += [Line(f"{h.home}: {what_recovery_did(t)}", "yellow") for t in h.recovered] or [
                Line(f"{h.home}: nothing to recover", "green")]
        return out



@dataclass(kw_only=True)
class RollbackPreview(Result):
    """Shown before asking (or before refusing a hand edit): what changed by hand, and what recovery does first.
    Never a JSON document: with --json nothing is shown before the answer."""

    command: ClassVar[str] = "rollback"
    status: Literal["pending"] = "pending"
    home: Path
    drift: list[str]  # a unified diff per file changed by hand since wso2patch wrote it
    finishing: list[Transaction] = field(default_factory=list)  # interrupted applies recovery marks complete first

    def human(self) -> list[Block]:
        return [*(Diff(d) for d in self.drift),
                *(Line(f"{self.home}: first, recovery marks interrupted apply {t.id} complete (its files were all "
                       "written)", "yellow") for t in self.finishing)]


def rollback(home: Path, ui: Ui, *, to: str | None = None, force: bool = False) -> RollbackResult:
    """Undo the newest apply that changed something in `home`, or every apply back to and including `to`."""
    with locked_home(home):
        # Decide from the journal as recovery would leave it, without recovering: every refusal below writes
        # nothing. Where recovery itself would change files (undo an apply, complete a rollback), that is
        # for 'recover' to do, not for a rollback to pile another undo on top of.
        todo = forecast(home)
        if any(outcome != "committed" for _, outcome in todo):
            raise unfinished_error(home, [t for t in todo if t[1] != "committed"], "rollback")
        note = f"; this home also needs 'wso2patch recover --home {home}'" if todo else ""
        undo = txn.to_undo(home, journal_of(home).load(), to, finishing={t.id for t, _ in todo})
        if not undo:
            return RollbackResult(status="nothing", nodes=[HomeTransactions(home, "nothing", [], [])])
        rels = sorted({f.path for t in undo for f in t.files})
        files = ", ".join(rels)
        require_regular(home, rels)
        hand = txn.drifted(home, undo)
        preview = RollbackPreview(home=home, drift=drift_diffs(home, undo))
        if hand and not force:
            ui.show(preview)
            raise DriftError(f"changed by hand since it was applied: {', '.join(f.path for f in hand)}", where=home,
                             hint=f"nothing was restored; keep the hand edits, or rerun with --force to overwrite "
                                  f"them{note}")
        preview.finishing = [t for t, _ in todo]
        ui.confirm(preview, f"Restore {files} in {home} to before apply {undo[0].id}?",
                   f"it would restore {files}{note}")
        recovered = recover_now(home) if todo else []
        with critical(home, "rollback") as said:
            done = txn.rollback(home, managed=managed, to=to, force=force)
            said.append(f"{home}: the rollback completed: {files} restored to before apply {done[-1].id}")
    return RollbackResult(status="rolled_back", nodes=[HomeTransactions(home, "rolled_back", done, recovered)])


def recover(home: Path) -> RecoverResult:
    """Finish or undo what a killed apply or rollback left, so the home is wholly before or after it."""
    with writing(home) as done:
        pass
    status: Literal["recovered", "nothing"] = "recovered" if done else "nothing"
    return RecoverResult(status=status, nodes=[HomeTransactions(home, status, [], done)])
