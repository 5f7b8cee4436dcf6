"""Unified diffs of planned bytes, honest about line endings and final newlines."""

from __future__ import annotations

from difflib import SequenceMatcher

from wso2patch.plan import FilePlan


def _range(start: int, stop: int) -> str:
    length = stop - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def _line(prefix: str, line: str) -> list[str]:
    out = [prefix + line.rstrip("\r\n") + "\n"]
    if not line.endswith("\n"):
        out.append("\\ No newline at end of file\n")
    return out


def unified(rel: str, old: str, new: str, context: int = 3) -> str:
    """diff -u style text; autojunk is off so repeated lines (common in XML) align correctly."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    eol = " (CRLF)" if "\r\n" in old else ""
    out = [f"--- a/{rel}{eol}\n", f"+++ b/{rel}{eol}\n"]
    for group in SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, x1, x2, y1, y2 in group:
            if tag == "equal":
                for line in a[x1:x2]:
                    out += _line(" ", line)
                continue
            for line in a[x1:x2]:
                out += _line("-", line)
            for line in b[y1:y2]:
                out += _line("+", line)
    return "".join(out) if len(out) > 2 else ""


def file_diff(f: FilePlan) -> str:
    return unified(f.rel, f.old.decode(f.encoding), f.new.decode(f.encoding))
