"""wso2patch diff: the bytes apply would write, per node, without writing anything (not even a lock)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from wso2patch.commands.nodes import DiffResult, ErrorInfo, NodeOutcome, NodePlanResult, NodeTrouble
from wso2patch.errors import ConfigError, ExitCode, RefusedError, SignalError, Wso2PatchError
from wso2patch.owner import admit
from wso2patch.spec import Spec
from wso2patch.workflow import home_for, node_product, spec_patches, spec_targets
from wso2patch.workflow_locks import require_finished
from wso2patch.workflow_plan import journal_profile, plan_node

Targets = tuple[list[tuple[int, Path]], list[NodeTrouble]]


def targets(spec: Spec, node: int | None, home: Path | None) -> Targets:
    """--node: that node (its home from --home or the spec). Else every node whose home is here, and a "missing"
    entry for each node whose home is not."""
    if node is not None:
        return [(node, home_for(spec, node, home))], []
    here, away = spec_targets(spec)
    return here, [NodeTrouble(n, h, "missing") for n, h in away]


def attempt(several: bool, node: int, home: Path, work: Callable[[], NodeOutcome],
            failure: Callable[[OSError], Wso2PatchError]) -> NodeOutcome:
    """One node's work. Alone, its error is the command's; one of several, a failure is that node's outcome and the
    run goes on. A signal, a refusal (the operator's answer) or a reader gone (| head) always ends the run."""
    if not several:
        return work()
    try:
        return work()
    except (SignalError, RefusedError):
        raise
    except Wso2PatchError as e:
        return NodeTrouble(node, home, "failed", ErrorInfo.of(e))
    except BrokenPipeError:
        raise
    except OSError as e:
        return NodeTrouble(node, home, "failed", ErrorInfo.of(failure(e)))


def first_failure(nodes: list[NodeOutcome]) -> ExitCode | None:
    """The exit code of the first node that failed (README: a several-node run exits with it)."""
    return next((ExitCode(n.error.exit_code) for n in nodes if isinstance(n, NodeTrouble) and n.error), None)


def in_spec_order(spec: Spec, nodes: list[NodeOutcome]) -> list[NodeOutcome]:
    order = {n.id: i for i, n in enumerate(spec.nodes)}
    return sorted(nodes, key=lambda n: order.get(n.node, len(order)))


def read_failure(e: OSError) -> Wso2PatchError:
    return ConfigError(f"{e.strerror or e}", where=e.filename, hint="nothing was changed; fix the cause and rerun")


def diff(spec: Spec, *, node: int | None = None, home: Path | None = None,
         jdbc_driver: Path | None = None, reassign: bool = False) -> DiffResult:
    """Exit 0 when nothing would change, 1 when changes are pending; with several nodes, a node that cannot be
    planned is reported and the others still are (the exit code is then the first failure's)."""
    here, away = targets(spec, node, home)
    warnings: list[str] = []

    def one(node_id: int, node_home: Path) -> NodeOutcome:
        product = node_product(spec, node_id, node_home)  # the home check: unsupported products are refused
        require_finished(node_home)
        # refused as apply would be
        patches = admit(node_home, node_id, reassign, spec_patches(spec), journal_profile(product))
        plan = plan_node(spec, node_id, node_home, patches, jdbc_driver, product)
        warnings.extend(f"node {node_id} ({node_home}): {w}" for w in plan.warnings)
        return NodePlanResult.from_plan(plan, "pending" if plan.pending else "clean")

    several = len(here) + len(away) > 1
    nodes = in_spec_order(spec, [*(attempt(several, n, h, partial(one, n, h), read_failure) for n, h in here), *away])
    failed = first_failure(nodes)
    if failed is not None:
        return DiffResult(status="failed", exit_code=failed, warnings=warnings, nodes=nodes)
    pending = any(isinstance(n, NodePlanResult) and n.status == "pending" for n in nodes)
    return DiffResult(status="pending" if pending else "clean", exit_code=ExitCode.PENDING if pending else ExitCode.OK,
                      warnings=warnings, nodes=nodes)
