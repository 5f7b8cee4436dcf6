"""What the user sees for diff, apply, rollback and recover (until they move to commands/ and render.py), the
error document and line of every command, and the masking of secrets.

JSON: wso2patch/schema/wso2patch-2.schema.json; these commands' "nodes" entries have the shape of
commands.nodes.NodePlanResult (diff, apply) and HomeTransactions (rollback, recover).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from wso2patch.diff import file_diff
from wso2patch.entries import as_dict
from wso2patch.errors import Wso2PatchError
from wso2patch.plan import Plan
from wso2patch.schema import SCHEMA
from wso2patch.secrets import mask_diff, mask_text
from wso2patch.shell.console import Stream
from wso2patch.txn import Transaction

_STYLE = {"+": "green", "-": "red", "@": "cyan"}


def plan_json(plan: Plan, *, with_diff: bool, reveal: bool = False) -> dict[str, Any]:
    files = []
    for f in plan.files:
        entry: dict[str, Any] = {"path": f.rel, "changed": f.changed, "new": not f.existed,
                                 "operations": [asdict(r) for r in f.results]}
        if with_diff and f.changed:
            entry["diff"] = file_diff(f) if reveal else mask_diff(file_diff(f))
        files.append(entry)
    copies = [{"path": c.rel, "changed": c.changed, "bytes": len(c.new), "new": c.old is None} for c in plan.copies]
    p = plan.product
    return {"node": plan.node, "home": str(plan.home), "files": files, "copies": copies,
            "skipped": [asdict(r) for r in plan.skipped],
            "product": {"key": p.key, "name": p.name, "version": p.version, "profile": p.profile, "conf": p.conf}}


@dataclass
class Report:
    """Collects the result of one command; owns the exit code (as black's Report does)."""

    command: str
    json_mode: bool
    reveal: bool = False  # --show-secrets: print passwords instead of masking them
    quiet: bool = False  # --quiet: no human output but warnings and errors
    nodes: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ok"
    exit_code: int = 0
    warnings: list[str] = field(default_factory=list)
    out: Stream = field(default_factory=Stream)  # rich only for a terminal (shell/console.py)
    err: Stream = field(default_factory=lambda: Stream(stderr=True))

    # --- human output (suppressed in JSON mode) ----------------------------------------------------
    def clean(self, text: str) -> str:
        """Secrets masked where they sit (wso2patch.secrets), never by searching for a known password."""
        return text if self.reveal else mask_text(text)

    def clean_diff(self, text: str) -> str:
        """A unified diff masked side by side, elements followed across its lines (wso2patch.secrets)."""
        return text if self.reveal else mask_diff(text)

    def say(self, message: str, *, style: str | None = None, stderr: bool = False) -> None:
        if not self.json_mode and not self.quiet:
            (self.err if stderr else self.out).line(self.clean(message), style or "")

    def show_text_diff(self, text: str) -> None:
        if self.json_mode or self.quiet:
            return
        text = self.clean_diff(text)
        if not self.out.is_terminal:  # no colours to add: rich's rendering would only cost time
            self.out.file.write(text)
            return
        from rich.text import Text

        out = Text()  # one print per file: rich's per-call overhead dominated large diffs
        for line in text.splitlines(keepends=True):
            out.append(line, style="bold" if line.startswith(("---", "+++")) else _STYLE.get(line[:1], ""))
        self.out.print(out, end="", crop=False)

    def show_diff(self, plan: Plan) -> None:
        if self.json_mode or self.quiet:
            return
        for f in plan.changed:
            self.show_text_diff(file_diff(f))
        for c in plan.copied:
            what = "new file" if c.old is None else "replaced file"
            self.out.line(f"{what}: {c.rel} (binary, {len(c.new)} bytes)", "bold green")

    def warn(self, message: str) -> None:
        self.warnings.append(self.clean(message))
        if not self.json_mode:  # even with --quiet: a warning is a problem to see
            self.err.line(self.clean(f"warning: {message}"), "yellow")

    @contextmanager
    def progress(self) -> Iterator[Callable[[str, int, int], None]]:
        """A progress bar per label (one per schema script load); silent in JSON mode and with --quiet."""
        if self.json_mode or self.quiet:
            yield lambda label, done, total: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn  # db init only

        bars: dict[str, TaskID] = {}
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=self.err.console(), transient=False) as prog:
            def update(label: str, done: int, total: int) -> None:
                if label not in bars:
                    bars[label] = prog.add_task(label, total=total)
                prog.update(bars[label], completed=done)

            yield update

    # --- results ------------------------------------------------------------------------------------
    def node(self, plan: Plan, status: str, tx: Transaction | None = None, *, with_diff: bool = True) -> None:
        # the JSON entry's diff is printed only with --json: the human output has shown it already
        entry = plan_json(plan, with_diff=with_diff and self.json_mode, reveal=self.reveal)
        entry["status"] = status
        if tx is not None:
            entry["transaction"] = as_dict(tx)
        self.nodes.append(entry)

    def error(self, e: Wso2PatchError) -> int:
        self.status, self.exit_code = "error", e.exit_code
        if self.json_mode:
            self.emit(error={"type": type(e).__name__, "message": self.clean(str(e))})
        print(f"wso2patch: error: {self.clean(str(e))}", file=sys.stderr)
        return self.exit_code

    def emit(self, **extra: Any) -> None:
        if self.json_mode:
            doc = {"schema": SCHEMA, "command": self.command, "status": self.status,
                   "exit_code": self.exit_code, "warnings": self.warnings, **extra}
            if self.nodes or self.status != "error":  # the commands on render.py have no "nodes" of their own
                doc["nodes"] = self.nodes
            print(json.dumps(doc, indent=2))
