"""wso2patch history: the applies and rollbacks recorded in a home, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import Block, Result, Table
from wso2patch.commands.nodes import TransactionResult
from wso2patch.plan import check_home
from wso2patch.workflow_files import journal_of


@dataclass(kw_only=True)
class HistoryResult(Result):
    command: ClassVar[str] = "history"
    status: Literal["ok"] = "ok"
    home: Path
    transactions: list[TransactionResult]

    def human(self) -> list[Block]:
        rows = [(t.id, t.time, str(t.node or ""), t.state, str(len(t.files)), ",".join(t.patches),
                 (t.spec_sha256 or "")[:12]) for t in self.transactions]
        return [Table(str(self.home), ("id", "time", "node", "state", "files", "patches", "spec sha256"), rows,
                      ["" for _ in rows])]


def history(home: Path) -> HistoryResult:
    check_home(home)
    return HistoryResult(home=home, transactions=journal_of(home).load())
