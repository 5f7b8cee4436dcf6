"""One node's plan with the vault: the patches run with the vault's values and rows; with include_stock, a second
run adds the stock secrets, found in the files as the first run leaves them (so a datasource the patches comment
out is seen gone). The tags and a new key ride on the plan to the apply that writes it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from wso2patch.entries import Transaction
from wso2patch.journal import read
from wso2patch.patchset import Patch, Rows
from wso2patch.plan import Plan, build_plan
from wso2patch.products import Product, vault_prefers_internal


def plan_with_vault(home: Path, node: int, product: Product, patches: Sequence[Patch], values: Mapping[str, str],
                    peers: Sequence[Mapping[str, str]], rows: Rows, history: Sequence[Transaction],
                    managed: Callable[[str], bool]) -> Plan:
    if "vault.enabled" not in values and not any(t.state == "committed" and t.vault is not None for t in history):
        return build_plan(home, node, product, patches, values, peers, rows)  # never on here: no vault code loads
    from wso2patch.vault.inputs import current_tags, prepare
    from wso2patch.vault.secrets import all_aliases
    from wso2patch.vault.stock import plan_stock
    from wso2patch.vault.stock import rows as stock_rows

    vault = prepare(home, values, rows, current_tags(history), product.conf, vault_prefers_internal(product))
    plan = build_plan(home, node, product, patches, vault.values, peers, vault.rows)
    tags = vault.tags
    if vault.sealer is not None and "vault.include_stock" in values:
        planned = plan.planned
        stock = plan_stock(home, product.conf, all_aliases(values), lambda rel: planned.get(rel, read(home / rel)),
                           managed, vault.sealer)
        plan = build_plan(home, node, product, patches, vault.values, peers, stock_rows(vault.rows, stock),
                          extra=stock.steps)
        tags = {**(tags or {}), **stock.tags}
        plan.notes += [f"[vault] include_stock: {note}" for note in stock.notes]
    plan.vault, plan.vault_key = tags, vault.new_key
    return plan
