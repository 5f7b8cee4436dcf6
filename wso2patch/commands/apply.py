"""wso2patch apply: patch a node's home, or every node's (--all), one transaction per home.

The order of each node's steps, and the signal, lock and recovery rules around them, are the safety contract
(README: Safety; workflow_locks.critical): a first look without the lock (nothing to do, or a refusal, writes nothing);
then, under the lock, recovery of what a killed process left (only for an apply that goes ahead), the plan, the
question, and the transaction in a critical section. A signal stops the whole run at the next safe point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch import interrupt
from wso2patch.commands import Block, Line, Result, Ui
from wso2patch.commands.diff import first_failure, in_spec_order, targets
from wso2patch.commands.nodes import (
    ErrorInfo,
    NodeOutcome,
    NodePlanResult,
    NodeTrouble,
    recovery_lines,
)
from wso2patch.errors import ExitCode, RefusedError, SignalError, WriteError, Wso2PatchError
from wso2patch.journal import STATE_DIR
from wso2patch.owner import admit
from wso2patch.plan import Plan
from wso2patch.spec import Spec
from wso2patch.txn import Transaction
from wso2patch.workflow import node_product, spec_patches
from wso2patch.workflow_files import journal_of
from wso2patch.workflow_locks import critical, forecast, locked_home, recover_now, unfinished_error
from wso2patch.workflow_plan import commit_plan, journal_profile, plan_node

REVIEW = "review with 'wso2patch diff'"


@dataclass(kw_only=True)
class ApplyResult(Result):
    """Each node's diff was shown before asking (Ui.confirm with the node's preview); this says what was done, a
    line per node: patched, already applied, failed (and why) or home not on this machine."""

    command: ClassVar[str] = "apply"
    status: Literal["applied", "already", "failed"]
    nodes: list[NodeOutcome]

    def human(self) -> list[Block]:
        out: list[Block] = []
        for n in self.nodes:
            if isinstance(n, NodeTrouble):
                out.append(n.line())
            elif n.status == "applied":  # what recovery did first was shown with the preview
                out.append(Line(f"{n.where}: wrote {n.written()} file(s); backups in "
                                f"{n.home / STATE_DIR}; undo with: wso2patch rollback --home {n.home}", "green"))
            else:
                out += recovery_lines(n)
                out.append(Line(f"{n.where}: already applied, nothing to write ({len(n.files)} "
                                "files checked)", "green"))
        return out

    def failures(self) -> list[Block]:
        return [n.line() for n in self.nodes if isinstance(n, NodeTrouble) and n.status == "failed"]



@dataclass(kw_only=True)
class ApplyPreview(Result):
    """What Ui.confirm shows before asking about one node: what recovery did first, then the bytes to write."""

    command: ClassVar[str] = "apply"
    status: Literal["pending"] = "pending"
    node: NodePlanResult

    def human(self) -> list[Block]:
        return [*recovery_lines(self.node), *self.node.preview()]


def question(n: NodePlanResult) -> str:
    """The question names the files and the patches that change them."""
    files = n.changed + [c.path for c in n.copies if c.changed]
    patches = sorted({op.patch for f in n.files if f.changed for op in f.operations if op.result == "applied"})
    what = f"Write {len(files)} file(s) in {n.home}: {', '.join(files)}"
    return f"{what} (patches: {', '.join(patches)})?" if patches else f"{what}?"


def apply(spec: Spec, ui: Ui, *, node: int | None, home: Path | None = None, yes: bool = False,
          jdbc_driver: Path | None = None, done: list[NodeOutcome] | None = None,
          reassign: bool = False) -> ApplyResult:
    """node None: every node of the spec whose home is here, each its own transaction; a node that fails is reported
    and the run goes on (exit: the first failure's code), a node whose home is not here is listed ("missing"). A
    signal or a refusal ends the run. `done` receives each node's outcome as it is settled, for the error document
    of a run that ends early."""
    here, away = targets(spec, node, home)
    if node is not None:
        spec.node(node)  # an unknown node is a spec error before its home is looked at
    settled = done if done is not None else []
    several = node is None and len(here) + len(away) > 1
    warnings: list[str] = []
    for node_id, node_home in here:
        recovered: list[Transaction] = []
        try:
            settled.append(_one(spec, ui, node_id, node_home, yes, jdbc_driver, recovered, warnings, reassign))
        except (Wso2PatchError, OSError) as e:
            if not several or isinstance(e, SignalError | RefusedError | BrokenPipeError):
                if recovered:  # the error document still says what this command did
                    settled.append(NodeTrouble(node_id, node_home, "error", recovered=recovered))
                raise
            error = e if isinstance(e, Wso2PatchError) else \
                WriteError(f"{e.strerror or e}", where=e.filename, hint="nothing was changed; fix the cause and rerun")
            settled.append(NodeTrouble(node_id, node_home, "failed", ErrorInfo.of(error), recovered=recovered))
        except BaseException:  # a signal at a safe point
            if recovered:
                settled.append(NodeTrouble(node_id, node_home, "error", recovered=recovered))
            raise
    nodes = in_spec_order(spec, [*settled, *away])
    failed = first_failure(nodes)
    status: Literal["applied", "already", "failed"] = "failed" if failed is not None else \
        "applied" if any(n.status == "applied" for n in nodes) else "already"
    return ApplyResult(status=status, exit_code=failed or ExitCode.OK, warnings=warnings, nodes=nodes)


def _one(spec: Spec, ui: Ui, node: int, home: Path, yes: bool, jdbc_driver: Path | None,
         recovered: list[Transaction], warnings: list[str], reassign: bool = False) -> NodePlanResult:
    """Patch one node's home: "applied" or "already". `recovered` receives what recovery did first, `warnings` the
    plan's (shown with the preview, before the question)."""
    interrupt.check()  # a safe point per node (apply --all)
    product = node_product(spec, node, home)  # the home check: an unsupported product or profile is refused
    # a home (profile) patched as another node: refused, or --reassign
    patches = admit(home, node, reassign, spec_patches(spec), journal_profile(product))

    def result(plan: Plan, status: Literal["applied", "already", "pending"], tx: Transaction | None = None) \
            -> NodePlanResult:
        return replace(NodePlanResult.from_plan(plan, status, tx), recovered=list(recovered))

    def ask(plan: Plan, text: str) -> NodePlanResult:
        preview = result(plan, "pending")
        said = [f"node {node} ({home}): {w}" for w in plan.warnings]
        warnings.extend(said)
        ui.confirm(ApplyPreview(node=preview, warnings=said), text, REVIEW)
        return preview

    plan: Plan | None = None
    if not journal_of(home).unfinished():  # a first look without the lock: an apply with nothing to do
        plan = plan_node(spec, node, home, patches, jdbc_driver, product)  # writes nothing, not even a lock
        if not plan.pending:
            return result(plan, "already")
        if not yes and not ui.asks():
            ask(plan, "")  # refuses before taking the lock
    with locked_home(home):
        todo = forecast(home)  # under the lock: a live writer is named (exit 12), not taken for a dead one
        if todo and not yes:  # recovery writes: only an apply that is going ahead may run it
            raise unfinished_error(home, todo, "apply")
        if todo:
            recovered += recover_now(home)
            plan = None  # the first look was taken before recovery
        if plan is None:  # else the first look stands: commit refuses files changed since
            plan = plan_node(spec, node, home, patches, jdbc_driver, product)
        if not plan.pending:
            return result(plan, "already")
        preview = ask(plan, question(result(plan, "pending")))
        with critical(home, "apply") as said:
            tx = commit_plan(plan, spec)
            said.append(f"{home}: the apply completed: {preview.written()} file(s) written (transaction "
                        f"{tx.id if tx else '-'})")
    return result(plan, "applied", tx)
