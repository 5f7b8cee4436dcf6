"""Secure-vault rules, node by node, from the files alone (or the bytes a plan would write).

One module per rule: vault-aliases (vaultaliases: every alias encrypted, every entry referenced), vault-config
(vaultconf: secret-conf.properties, its identity keystore inside this home; vaultidentity: that keystore is the one
the cipher tool encrypts with, its password not in clear) and vault-clear (vaultclear: no secret left in
clear while the vault is in use). A finding names the alias, the element and the line, never a value.
"""

from __future__ import annotations

from typing import Any

from wso2patch.checks import Ctx, NodeView, vaultaliases, vaultclear, vaultconf, vaultidentity
from wso2patch.checks.vaultfiles import CONF, Files, alias_uses
from wso2patch.checks.vaultreport import Report
from wso2patch.effective import Where
from wso2patch.vault.inputs import carbon_home


def spec_vault(spec: Any) -> bool:
    """`[vault] enabled = true` in the spec: the vault is in use on every node (spec.vault comes with issue 12's
    spec key; a spec without it has no vault)."""
    return bool(getattr(getattr(spec, "vault", None), "enabled", False))


def conf_root(node: NodeView) -> str:
    """The node's config root: "repository/conf", EI's "conf" or "wso2/broker/conf"."""
    return n.eff.product.conf if (n := node).eff is not None and n.eff.product is not None else CONF


def run(ctx: Ctx) -> None:
    enabled = spec_vault(ctx.spec)
    for n in ctx.here:
        assert n.eff is not None
        internal = vaultidentity.prefers_internal(n.eff.product)
        files = Files(n.eff.home, n.eff.planned, base=carbon_home(conf_root(n))[0])
        for level, rule, message, where in judge(files, conf_root(n), enabled,
                                                 prefer_internal=internal).out:
            ctx.add(level, rule, n, message, where=where)


def judge(files: Files, conf: str = CONF, enabled: bool = False, *, prefer_internal: bool = False) -> Report:
    """Every vault rule on one home. enabled: the spec turns the vault on (else: in use when an alias is).
    prefer_internal: the product's cipher tool encrypts with carbon.xml's InternalKeyStore (EI 6.5, 6.6)."""
    r = Report()
    uses = alias_uses(files, conf)
    in_use = enabled or bool(uses)
    default = f"{conf}/security/cipher-text.properties"
    cipher_rel = vaultconf.check(r, files, conf, prefer_internal) if in_use else default
    if cipher_rel is not None:
        vaultaliases.check(r, files, cipher_rel, uses, in_use)
    if in_use:
        vaultclear.check(r, files, conf)
    for rel, reason, line in files.unreadable:
        r.add("error", "vault-aliases", f"cannot be read: {reason}", Where(rel, "", line))
    return r
