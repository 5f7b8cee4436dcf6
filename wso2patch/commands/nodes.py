"""Per-node results of the commands that plan or write a home: diff, apply, rollback, recover.

diff and apply report a NodePlanResult per node (files, their operations and diffs, copied files, skipped
operations, the transaction written); rollback and recover a HomeTransactions per home. A journal Transaction
is itself the result type of a transaction: one shape, the journal's, in every document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import A_DIFF, OMIT_NONE, Block, Diff, Line, Result
from wso2patch.diff import file_diff
from wso2patch.journal import STATE_DIR, Transaction
from wso2patch.plan import OpResult, Plan
from wso2patch.workflow import what_recovery_did

TransactionResult = Transaction
NodeState = Literal["pending", "clean", "applied", "already", "error"]


@dataclass(frozen=True)
class FileResult:
    path: str  # relative to the home
    changed: bool
    operations: list[OpResult]
    diff: str | None = field(default=None, metadata=OMIT_NONE | A_DIFF)  # the unified diff of a changed file
    new: bool = False  # the file did not exist (a .properties file the patch set creates)


@dataclass(frozen=True)
class CopyResult:
    path: str
    changed: bool
    bytes: int
    new: bool  # the file did not exist


@dataclass(frozen=True)
class NodePlanResult:
    node: int
    home: Path
    files: list[FileResult]
    copies: list[CopyResult]
    skipped: list[OpResult]  # operations of patches whose required files this home lacks
    status: NodeState
    transaction: TransactionResult | None = field(default=None, metadata=OMIT_NONE)
    # what recovery finished or undid before this apply planned (None: the command does not recover, as diff)
    recovered: list[TransactionResult] | None = field(default=None, metadata=OMIT_NONE)

    @classmethod
    def from_plan(cls, plan: Plan, status: NodeState, transaction: Transaction | None = None, *,
                  diffs: bool = True) -> NodePlanResult:
        files = [FileResult(f.rel, f.changed, list(f.results), file_diff(f) if diffs and f.changed else None,
                            not f.existed) for f in plan.files]
        copies = [CopyResult(c.rel, c.changed, len(c.new), c.old is None) for c in plan.copies]
        return cls(plan.node, plan.home, files, copies, list(plan.skipped), status, transaction)

    @property
    def changed(self) -> list[str]:
        return [f.path for f in self.files if f.changed]

    def written(self) -> int:
        return len(self.changed) + sum(c.changed for c in self.copies)

    def preview(self) -> list[Block]:
        """The bytes it would write: each changed file's diff, each copied file named."""
        out: list[Block] = [Diff(f.diff) for f in self.files if f.diff]
        return out + [Line(f"{'new file' if c.new else 'replaced file'}: {c.path} (binary, {c.bytes} bytes)",
                           "bold green") for c in self.copies if c.changed]


@dataclass(kw_only=True)
class DiffResult(Result):
    command: ClassVar[str] = "diff"
    status: Literal["pending", "clean"]
    nodes: list[NodePlanResult]

    def human(self) -> list[Block]:
        out: list[Block] = []
        for n in self.nodes:
            what = f"{len(n.changed)} file(s) would change: {', '.join(n.changed)}" if n.written() else \
                "nothing to change"
            out += [*n.preview(), Line(f"node {n.node} ({n.home}): {what}", stderr=True)]
        return out


@dataclass(kw_only=True)
class ApplyResult(Result):
    """The diffs were shown before asking (Ui.confirm with the node's preview); this says what was done."""

    command: ClassVar[str] = "apply"
    status: Literal["applied", "already"]
    nodes: list[NodePlanResult]

    def human(self) -> list[Block]:
        return [Line(f"node {n.node} ({n.home}): wrote {n.written()} file(s); backups in {n.home / STATE_DIR}; "
                     f"undo with: wso2patch rollback --home {n.home}", "green") if n.status == "applied" else
                Line(f"node {n.node} ({n.home}): already applied, nothing to write ({len(n.files)} files checked)",
                     "green") for n in self.nodes]


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
