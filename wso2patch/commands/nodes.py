"""Per-node results of the commands that plan or write a home: diff and apply (the other commands' results live with
them, so that a diff defines no class it does not use: commands.apply, commands.rollback).

diff and apply report a NodePlanResult per node (files, their operations and diffs, copied files, skipped
operations, the transaction written); rollback and recover a HomeTransactions per home (commands.rollback). A
journal Transaction is itself the result type of a transaction: one shape, the journal's, in every document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import A_DIFF, OMIT_NONE, Block, Diff, Line, Result
from wso2patch.diff import file_diff
from wso2patch.errors import Wso2PatchError
from wso2patch.journal import Transaction
from wso2patch.plan import OpResult, Plan
from wso2patch.products import Product

TransactionResult = Transaction
NodeState = Literal["pending", "clean", "applied", "already", "error"]


@dataclass(frozen=True)
class ErrorInfo:
    type: str  # the exception class
    message: str  # its one line
    exit_code: int  # what the command exits with when this node's failure is the first

    @classmethod
    def of(cls, e: Wso2PatchError) -> ErrorInfo:
        return cls(type(e).__name__, str(e), int(e.exit_code))


@dataclass(frozen=True)
class NodeTrouble:
    """A node of a several-node diff or apply that has no plan: its home is not on this machine ("missing", which
    is no failure: the spec's other hosts hold such homes), or planning or writing it failed ("failed"; "error"
    in the document of a run that ended there, with what recovery did first)."""

    node: int
    home: Path | None  # None: the spec gives the node no home
    status: Literal["failed", "missing", "error"]  # error: in the document of a run an error or a signal ended
    error: ErrorInfo | None = field(default=None, metadata=OMIT_NONE)
    recovered: list[TransactionResult] | None = field(default=None, metadata=OMIT_NONE)

    def line(self) -> Line:
        if self.status == "missing":
            return Line(f"node {self.node} ({self.home or 'no home in the spec'}): home not on this machine, "
                        "skipped", "yellow", stderr=True)
        return Line(f"node {self.node} ({self.home}): failed: {self.error.message if self.error else '?'}", "red",
                    stderr=True)



@dataclass(frozen=True)
class ProductInfo:
    """What a node's home holds, as detected for the node's profile (status, diff and apply say it)."""

    key: str  # "mb", "carbon", "ei", "esb"
    name: str  # "WSO2 Enterprise Integrator"
    version: str  # "6.4.0"
    profile: str  # "default" for single-profile products; EI: "integrator", "broker"
    conf: str  # the profile's config root, relative to the home: "repository/conf", "conf", "wso2/broker/conf"

    @classmethod
    def of(cls, product: Product) -> ProductInfo:
        return cls(product.key, product.name, product.version, product.profile, product.conf)

    @property
    def label(self) -> str:
        """For people: "WSO2 Enterprise Integrator 6.4.0 (broker profile)"."""
        return f"{self.name} {self.version}" + (f" ({self.profile} profile)" if self.profile != "default" else "")

    @property
    def short(self) -> str:
        """For a table cell: "EI 6.4.0 broker", "MB 3.2.0"."""
        return f"{self.key.upper()} {self.version}" + (f" {self.profile}" if self.profile != "default" else "")


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
    product: ProductInfo | None = field(default=None, metadata=OMIT_NONE)  # always set by from_plan

    @classmethod
    def from_plan(cls, plan: Plan, status: NodeState, transaction: Transaction | None = None, *,
                  diffs: bool = True) -> NodePlanResult:
        files = [FileResult(f.rel, f.changed, list(f.results), file_diff(f) if diffs and f.changed else None,
                            not f.existed) for f in plan.files]
        copies = [CopyResult(c.rel, c.changed, len(c.new), c.old is None) for c in plan.copies]
        return cls(plan.node, plan.home, files, copies, list(plan.skipped), status, transaction,
                   product=ProductInfo.of(plan.product))

    @property
    def where(self) -> str:
        """"node 1 (/opt/mb1, WSO2 Message Broker 3.2.0)": the node, its home and what the home holds."""
        return f"node {self.node} ({self.home}{f', {self.product.label}' if self.product else ''})"

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


NodeOutcome = NodePlanResult | NodeTrouble


@dataclass(kw_only=True)
class DiffResult(Result):
    """One node: its diff, then its line. Several: a '# node N (home)' header on stdout before each node's diff (a
    saved 'diff > plan.diff' says whose each file is), then one line per node, homes not here and failures included."""

    command: ClassVar[str] = "diff"
    status: Literal["pending", "clean", "failed"]
    nodes: list[NodeOutcome]

    def human(self) -> list[Block]:
        several = len(self.nodes) > 1
        out: list[Block] = []
        lines: list[Block] = []
        for n in self.nodes:
            if isinstance(n, NodeTrouble):
                lines.append(n.line())
                continue
            shown = n.preview()
            if several and shown:
                out.append(Line(f"# node {n.node} ({n.home})"))
            what = f"{len(n.changed)} file(s) would change: {', '.join(n.changed)}" if n.written() else \
                "nothing to change"
            out += shown
            lines.append(Line(f"{n.where}: {what}", stderr=True))
        return out + lines

    def failures(self) -> list[Block]:
        return [n.line() for n in self.nodes if isinstance(n, NodeTrouble) and n.status == "failed"]


def recovery_lines(n: NodePlanResult) -> list[Block]:
    """What recovery finished or undid in a node's home before the apply planned it."""
    from wso2patch.workflow_locks import what_recovery_did

    return [Line(f"node {n.node} ({n.home}): {what_recovery_did(t)}", "yellow") for t in n.recovered or []]
