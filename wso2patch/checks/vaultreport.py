"""What the secure-vault rules hand back for one node: findings as (level, rule, message, where)."""

from __future__ import annotations

from dataclasses import dataclass, field

from wso2patch.effective import Where

FIX = "encrypt it with ciphertool.sh, or let wso2patch do it ([vault] enabled = true)"


@dataclass
class Report:
    """One node's findings as (level, rule, message, where)."""

    out: list[tuple[str, str, str, Where | None]] = field(default_factory=list)

    def add(self, level: str, rule: str, message: str, where: Where | None = None) -> None:
        self.out.append((level, rule, message, where))
