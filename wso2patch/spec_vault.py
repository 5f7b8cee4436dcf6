"""[vault]: Carbon's secure vault for the secrets wso2patch writes (`enabled`), and for the stock secrets the home's
cipher-tool.properties lists (`include_stock`); checked through spec.py's checker, so errors carry the line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wso2patch.spec_check import _Checker

SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "vault": {"enabled": (bool, False), "include_stock": (bool, False)},
}


@dataclass(frozen=True)
class Vault:
    enabled: bool = False
    include_stock: bool = False

    def values(self) -> dict[str, str]:
        """Set only when on, so that patches test them with `when` and `unless` alone."""
        out = {"vault.enabled": "true"} if self.enabled else {}
        return out | ({"vault.include_stock": "true"} if self.include_stock else {})


NO_VAULT = Vault()


def load(c: _Checker, data: Any) -> Vault:
    table = c.table(data, "vault")
    vault = Vault(enabled=table.get("enabled", False), include_stock=table.get("include_stock", False))
    if vault.include_stock and not vault.enabled:
        raise c.fail("[vault] include_stock = true needs enabled = true", "vault", None, "include_stock",
                     hint="set enabled = true, or remove include_stock")
    return vault
