"""A node's plan (what its files would become), its patches' status against the journal, and its commit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wso2patch.diff import unified
from wso2patch.driver import driver_copy
from wso2patch.journal import read, sha256
from wso2patch.patchset import Patch
from wso2patch.plan import OpResult, Plan
from wso2patch.products import Product
from wso2patch.spec import Spec
from wso2patch.statedir import owner_only
from wso2patch.vault.planning import plan_with_vault
from wso2patch.workflow import node_product, node_values, spec_patches
from wso2patch.workflow_files import journal_of, managed_by

if TYPE_CHECKING:
    from wso2patch import txn


def plan_node(spec: Spec, node_id: int, home: Path, patches: list[Patch] | None = None,
              jdbc_driver: Path | None = None, product: Product | None = None) -> Plan:
    """`product`: the home's, when the caller has detected it already (node_product)."""
    spec.node(node_id)  # an unknown node is reported before the home is looked at
    product = product or node_product(spec, node_id, home)
    plan = plan_with_vault(home, node_id, product, patches or spec_patches(spec), node_values(spec, node_id, product),
                           spec.peer_values(node_id), spec.rows(), journal_of(home).load(), managed_by(spec))
    if jdbc_driver is not None:
        plan.copies.append(driver_copy(home, jdbc_driver, product.lib))
    return plan


def patch_status(plan: Plan, history: list[txn.Transaction]) -> dict[str, str]:
    """Per patch: applied; pending (never applied); outdated (applied, its file is as wso2patch wrote it, but the
    spec's values changed since); drifted (applied, then its file changed by hand); or not applicable. Only the
    transactions of the plan's own profile count: an EI home may serve an integrator and a broker spec."""
    mine = journal_profile(plan.product)
    committed = [t for t in history if t.state == "committed" and t.profile == mine]
    live = {p for t in committed for p in t.patches}
    wrote = {f.path: f.after for t in committed for f in t.files}  # the newest write of each file wins
    untouched = {f.rel for f in plan.files if f.existed and wrote.get(f.rel) == sha256(f.old)}
    status: dict[str, str] = {}
    pairs: list[tuple[str | None, OpResult]] = [(fp.rel, r) for fp in plan.files for r in fp.results]
    for rel, r in pairs + [(None, r) for r in plan.skipped]:
        if r.result == "skipped" and r.note.startswith("not applicable"):
            status[r.patch] = "not applicable"
        elif r.result == "applied" and r.patch not in live:
            status[r.patch] = "pending"
        elif r.result == "applied":
            later = status.get(r.patch)  # a patch over several files: a hand edit anywhere makes it drifted
            status[r.patch] = "outdated" if rel in untouched and later != "drifted" else "drifted"
        else:
            status.setdefault(r.patch, "applied")
    return status


def commit_plan(plan: Plan, spec: Spec) -> txn.Transaction | None:
    """Write the plan's changed files as one transaction; None when nothing changes."""
    if not plan.pending:
        return None
    from wso2patch import txn

    changes = [txn.Change(f.rel, f.old if f.existed else None, f.new) for f in plan.changed]
    changes += [txn.Change(c.rel, c.old, c.new) for c in plan.copied]
    applied = sorted({r.patch for f in plan.changed for r in f.results if r.result == "applied"})
    if plan.vault_key is not None:  # the key the cipher texts were recognised with from now on
        from wso2patch.vault.inputs import store_key

        store_key(plan.home, plan.vault_key)
    tx = txn.commit(plan.home, changes, managed=managed_by(spec), node=plan.node, spec=spec.path.resolve(),
                    spec_sha=spec.sha256, patches=applied, profile=journal_profile(plan.product), vault=plan.vault)
    owner_only(plan.home)  # once the commit went through: a refused apply changes nothing, not even a mode
    return tx


def journal_profile(product: Product) -> str | None:
    """How the journal names the profile a transaction patched: None for the main profile (as journals before
    profiles existed say nothing), else its name."""
    return None if product.profile == product.profiles[0] else product.profile


def drift_diffs(home: Path, txs: list[txn.Transaction]) -> list[str]:
    """For each file changed by hand since wso2patch wrote it: a diff from what it wrote to what is there now."""
    from wso2patch import txn

    journal = journal_of(home)
    out = []
    for f in txn.drifted(home, txs):
        wrote = journal.state.read(f.snapshot) if f.snapshot else None
        now = read(home / f.path)
        text = unified(f.path, (wrote or b"").decode("utf-8", "replace"), (now or b"").decode("utf-8", "replace"))
        out.append(text or f"--- a/{f.path}\n+++ b/{f.path}\n(removed or unreadable)\n")
    return out
