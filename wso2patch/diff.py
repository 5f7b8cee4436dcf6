"""Unified diffs of planned bytes, honest about line endings and final newlines."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from wso2patch.plan import FilePlan
from wso2patch.xmltext import detect_eol

_EOL_NAMES = {"\r\n": " (CRLF)", "\r": " (CR)", "\n": ""}


def _range(start: int, stop: int) -> str:
    length = stop - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def split_lines(text: str, eol: str) -> list[str]:
    """Lines with their ends kept. Only the file's line end splits: str.splitlines would also split on form
    feeds, U+0085 (byte 0x85 in ISO-8859-1), U+2028 and the like, inventing lines that no editor shows."""
    end = "\r" if eol == "\r" else "\n"  # a CRLF line ends in LF
    return re.findall(rf"[^{end}]*{end}|[^{end}]+$", text)


def _line(prefix: str, line: str, eol: str) -> list[str]:
    if line.endswith(eol):
        return [prefix + line[: -len(eol)] + "\n"]
    if line.endswith("\n"):  # a bare LF in a CRLF file
        return [prefix + line[:-1] + "\n"]
    return [prefix + line + "\n", "\\ No newline at end of file\n"]


def unified(rel: str, old: str, new: str, context: int = 3, *, created: bool = False) -> str:
    """diff -u style text; autojunk is off so repeated lines (common in XML) align correctly. A created file
    is a diff from /dev/null, as git and diff -N show one."""
    eol = detect_eol(old or new)
    a, b = split_lines(old, eol), split_lines(new, eol)
    out = ["--- /dev/null\n" if created else f"--- a/{rel}{_EOL_NAMES[eol]}\n", f"+++ b/{rel}{_EOL_NAMES[eol]}\n"]
    for group in SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, x1, x2, y1, y2 in group:
            if tag == "equal":
                for line in a[x1:x2]:
                    out += _line(" ", line, eol)
                continue
            for line in a[x1:x2]:
                out += _line("-", line, eol)
            for line in b[y1:y2]:
                out += _line("+", line, eol)
    return "".join(out) if len(out) > 2 else ""


def file_diff(f: FilePlan) -> str:
    return _file_diff(f.rel, f.old, f.new, f.encoding, f.existed)


@lru_cache(maxsize=64)
def _file_diff(rel: str, old: bytes, new: bytes, encoding: str, existed: bool) -> str:
    """apply renders a node's result up to three times (the preview, the question, the outcome): one diff per
    file. Keyed by the bytes themselves (bytes keep their hash), never by a plan that could change."""
    return unified(rel, old.decode(encoding), new.decode(encoding), created=not existed)
