"""wso2patch status: per node and patch, applied, pending, outdated, drifted or not applicable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal, cast

from wso2patch.commands import Block, Result, Table
from wso2patch.commands.nodes import ProductInfo
from wso2patch.detect import detect_supported
from wso2patch.errors import ExitCode, UsageError
from wso2patch.plan import check_home
from wso2patch.spec import Spec
from wso2patch.workflow import diff_targets, home_for, spec_patches
from wso2patch.workflow_files import journal_of
from wso2patch.workflow_locks import require_finished
from wso2patch.workflow_plan import journal_profile, patch_status, plan_node

State = Literal["applied", "pending", "outdated", "drifted", "not applicable"]
_STYLES = {"applied": "green", "pending": "yellow", "outdated": "yellow", "drifted": "red"}


@dataclass(frozen=True)
class PatchState:
    name: str
    state: State


@dataclass(frozen=True)
class NodeStatus:
    node: int
    home: Path
    patches: list[PatchState]  # in patch-set order; a patch that touches nothing in this home is absent
    product: ProductInfo  # what the home holds, for the node's profile


@dataclass(kw_only=True)
class StatusResult(Result):
    command: ClassVar[str] = "status"
    status: Literal["applied", "pending"]
    patches: list[str]  # the patch set, in order
    nodes: list[NodeStatus]

    def human(self) -> list[Block]:
        cells = [{p.name: p.state for p in n.patches} for n in self.nodes]
        rows = [(p, *[c.get(p, "-") for c in cells]) for p in self.patches]
        worst = [next((st for st in ("drifted", "outdated", "pending") if any(c.get(p) == st for c in cells)),
                      "applied") for p in self.patches]
        product = ("(product)", *[n.product.short for n in self.nodes])  # first: what each home was seen to be
        return [Table("status", ("patch", *[f"node {n.node}" for n in self.nodes]), [product, *rows],
                      ["", *[_STYLES[w] for w in worst]])]


def status(spec: Spec, *, node: int | None = None, home: Path | None = None) -> StatusResult:
    """Every node of the spec whose home is here (or the one --node names); with a home, that home alone, as the
    node --node names or else the node of its last apply of the spec's profile. One EI home may serve two specs
    (integrator and broker): each reads only its own profile's transactions."""
    if home is not None:
        check_home(home)  # a home that is not there is the error, not a question about its node
        node_id = node if node is not None else _last_node(home, spec)
        if node_id is None:
            raise UsageError("this home has no apply recorded: which node is it?", option="--node")
        targets = [(node_id, home)]
    else:
        targets = [(n, h) for n, h in diff_targets(spec, None, None) if node is None or n == node] or \
            [(node or 0, home_for(spec, node or 0, None))]
    patches = spec_patches(spec)  # the built-in ones less [patches] disable, plus [patches] extra
    names = [p.name for p in patches]
    nodes = []
    for node_id, node_home in targets:
        check_home(node_home)
        require_finished(node_home)
        plan = plan_node(spec, node_id, node_home, patches)
        states = patch_status(plan, journal_of(node_home).load())
        nodes.append(NodeStatus(node_id, node_home, [PatchState(p, cast(State, states[p])) for p in names
                                                     if p in states], ProductInfo.of(plan.product)))
    done = all(p.state in ("applied", "not applicable") for n in nodes for p in n.patches)
    return StatusResult(status="applied" if done else "pending", exit_code=ExitCode.OK if done else ExitCode.PENDING,
                        patches=names, nodes=nodes)


def _last_node(home: Path, spec: Spec) -> int | None:
    """The node of the home's last apply of the spec's profile (the journal holds every profile's)."""
    profile = journal_profile(detect_supported(home, spec.nodes[0].profile if spec.nodes else None))
    return next((t.node for t in reversed(journal_of(home).load()) if t.node and t.profile == profile), None)
