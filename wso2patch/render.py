"""Results on the screen: human output (rich colours only when the stream is a terminal, plain text otherwise), or
one JSON document built from the same Result object. Every string goes through the report's masking (Report.clean),
so a password never reaches the screen or the document unless --show-secrets."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wso2patch.commands import Block, Diff, Line, Raw, Result, Table
from wso2patch.schema import SCHEMA

if TYPE_CHECKING:
    from wso2patch.report import Report
    from wso2patch.shell.console import Stream

Clean = Callable[[str], str]
_ENVELOPE = ("status", "exit_code", "warnings")
_DIFF_STYLES = {"+": "green", "-": "red", "@": "cyan"}


def emit(report: Report, result: Result, *, quiet: bool = False) -> int:
    """Print the result: its JSON document with --json, else its warnings (always) and, unless quiet, its human
    output. Returns its exit code."""
    if report.json_mode:
        import json  # only for --json

        sys.stdout.write(json.dumps(document(result, report.clean, report.clean_diff), indent=2) + "\n")
        return int(result.exit_code)
    show(report, [Line(f"warning: {w}", "yellow", stderr=True) for w in result.warnings])
    show(report, result.failures() if quiet else result.human())
    return int(result.exit_code)


def document(result: Result, clean: Clean, clean_diff: Clean | None = None) -> dict[str, Any]:
    """{schema, command, status, exit_code, warnings} and the result's own fields, as JSON values."""
    body = plain(result, clean, clean_diff)
    head = {"schema": SCHEMA, "command": result.command, "status": result.status, "exit_code": int(result.exit_code),
            "warnings": body.pop("warnings")}
    return head | {k: v for k, v in body.items() if k not in _ENVELOPE}


def error_document(command: str | None, kind: str, message: str, exit_code: int) -> str:
    """The document of a command that failed before it had a result (usage errors, in main)."""
    import json

    return json.dumps({"schema": SCHEMA, "command": command, "status": "error", "exit_code": exit_code,
                       "warnings": [], "error": {"type": kind, "message": message}}, indent=2)


def plain(value: Any, clean: Clean, clean_diff: Clean | None = None) -> Any:
    """dataclasses.asdict, but paths as strings, enums as their numbers, every string masked (diffs as diffs), and
    the fields marked OMIT_NONE left out when None, those marked internal (the journal's own) always."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return int(value)  # an IntEnum too
    if isinstance(value, str | Path):
        return clean(str(value))
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in fields(value):
            v = getattr(value, f.name)
            if (v is None and f.metadata.get("omit_none")) or f.metadata.get("internal"):
                continue
            diff = f.metadata.get("diff") and isinstance(v, str)
            out[f.name] = (clean_diff or clean)(v) if diff else plain(v, clean, clean_diff)
        return out
    if isinstance(value, dict):
        return {str(k): plain(v, clean, clean_diff) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, clean, clean_diff) for v in value]
    raise TypeError(f"no JSON form for {type(value).__name__}")


def show(report: Report, blocks: list[Block]) -> None:
    for block in blocks:
        if isinstance(block, Raw):
            sys.stdout.write(report.clean(block.text))
        elif isinstance(block, Diff):
            _diff(report.out, report.clean_diff(block.text))
        elif isinstance(block, Table):
            for text, style in table_lines(block, report.clean):
                _line(report.out, text, style)
        else:
            _line(report.err if block.stderr else report.out, report.clean(block.text), block.style)


def table_lines(t: Table, clean: Clean) -> list[tuple[str, str]]:
    """Plain, aligned columns, never wrapped (greppable): the title, the header, then each row, with its style."""
    cells = [tuple(map(clean, t.columns)), *(tuple(map(clean, r)) for r in t.rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(t.columns))]
    return [(clean(t.title), "bold"), *(("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), s)
                                        for row, s in zip(cells, ["bold", *t.styles], strict=True))]


def _line(console: Stream, text: str, style: str) -> None:
    if not console.is_terminal:  # no colours to add: plain text, and rich's rendering cost is not paid
        console.file.write(text + "\n")
        return
    from rich.text import Text

    console.print(Text(text, style=style), crop=False)


def _diff(console: Stream, text: str) -> None:
    if not console.is_terminal:
        console.file.write(text)
        return
    from rich.text import Text

    out = Text()  # one print per file: rich's per-call overhead dominated large diffs
    for line in text.splitlines(keepends=True):
        out.append(line, style="bold" if line.startswith(("---", "+++")) else _DIFF_STYLES.get(line[:1], ""))
    console.print(out, end="", crop=False)
