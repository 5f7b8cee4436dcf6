"""What the user sees: human output with rich, or one JSON document (schema below) with --json.

JSON schema "wso2patch/1": {"schema", "command", "exit_code", "status", "nodes": [{"node", "home",
"status", "files": [{"path", "changed", "diff"?, "operations": [{"patch", "kind", "target",
"result", "note"}]}], "skipped": [...], "transaction"?: {...}}], "error"?: {"type", "message"}}.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.text import Text

from wso2patch.diff import file_diff
from wso2patch.errors import Wso2PatchError
from wso2patch.patchset import Patch
from wso2patch.plan import Plan
from wso2patch.txn import Transaction

SCHEMA = "wso2patch/1"
_STYLE = {"+": "green", "-": "red", "@": "cyan"}


def plan_json(plan: Plan, *, with_diff: bool) -> dict[str, Any]:
    files = []
    for f in plan.files:
        entry: dict[str, Any] = {"path": f.rel, "changed": f.changed,
                                 "operations": [asdict(r) for r in f.results]}
        if with_diff and f.changed:
            entry["diff"] = file_diff(f)
        files.append(entry)
    return {"node": plan.node, "home": str(plan.home), "files": files,
            "skipped": [asdict(r) for r in plan.skipped]}


@dataclass
class Report:
    """Collects the result of one command; owns the exit code (as black's Report does)."""

    command: str
    json_mode: bool
    nodes: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ok"
    exit_code: int = 0
    out: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True))

    # --- human output (suppressed in JSON mode) ----------------------------------------------------
    def say(self, message: str, *, style: str | None = None, stderr: bool = False) -> None:
        if not self.json_mode:
            (self.err if stderr else self.out).print(Text(message, style=style or ""))

    def show_diff(self, plan: Plan) -> None:
        if self.json_mode:
            return
        for f in plan.changed:
            for line in file_diff(f).splitlines():
                style = "bold" if line.startswith(("---", "+++")) else _STYLE.get(line[:1], "")
                self.out.print(Text(line, style=style))

    def patches(self, patches: list[Patch]) -> None:
        if self.json_mode:
            self.nodes = [{"name": p.name, "file": p.file, "description": p.description,
                           "requires": list(p.requires), "operations": len(p.ops)} for p in patches]
            return
        width = max(len(p.name) for p in patches)
        for p in patches:  # one line each, never wrapped: greppable
            self.out.print(Text(f"{p.name:<{width}}  {p.description}"))

    # --- results ------------------------------------------------------------------------------------
    def node(self, plan: Plan, status: str, tx: Transaction | None = None, *, with_diff: bool = True) -> None:
        entry = plan_json(plan, with_diff=with_diff)
        entry["status"] = status
        if tx is not None:
            entry["transaction"] = asdict(tx)
        self.nodes.append(entry)

    def error(self, e: Wso2PatchError) -> int:
        self.status, self.exit_code = "error", e.exit_code
        if self.json_mode:
            self.emit(error={"type": type(e).__name__, "message": str(e)})
        print(f"wso2patch: error: {e}", file=sys.stderr)
        return self.exit_code

    def emit(self, **extra: Any) -> None:
        if self.json_mode:
            doc = {"schema": SCHEMA, "command": self.command, "status": self.status,
                   "exit_code": self.exit_code, "nodes": self.nodes, **extra}
            print(json.dumps(doc, indent=2))
