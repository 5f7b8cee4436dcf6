"""Field checks for patch files: where a key stands in the TOML text, and the plain values (strings, paths,
`when`/`unless` conditions) that every part of a patch uses. A mistake is one PatchError naming the file (and line),
the [[op]] and the key.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wso2patch import variables
from wso2patch.errors import PatchError

FILE_KINDS = (".xml", ".properties")
HINT = "fix the patch file"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not XML 1.0 Char


class Locator:
    """Best-effort line numbers of keys in the TOML text: top level (op 0) or in the n-th [[op]]."""

    def __init__(self, path: Path, text: str = "") -> None:
        self.path, self.text = path, text
        self._lines: dict[tuple[int, str | None], int] | None = None

    @property
    def lines(self) -> dict[tuple[int, str | None], int]:
        """Computed only when an error needs them: loading a good patch set stays cheap."""
        if self._lines is None:
            self._lines = {}
            op, ops, quote = 0, 0, ""
            for no, line in enumerate(self.text.splitlines(), 1):
                if quote:  # inside a multi-line string
                    quote = "" if line.count(quote) % 2 else quote
                    continue
                s = line.strip()
                if re.match(r"\[\[\s*op\s*\]\]", s):
                    ops += 1
                    op = ops
                    self._lines.setdefault((op, None), no)
                elif m := re.match(r"\[+\s*([\w-]+)", s):
                    op = -1  # some other table: its keys are neither top-level nor an op's
                    self._lines.setdefault((0, m.group(1)), no)
                elif m := re.match(r"""["']?([\w-]+)["']?\s*=""", s):
                    self._lines.setdefault((op, m.group(1)), no)
                quote = next((q for q in ('"""', "'''") if line.count(q) % 2), "")
        return self._lines

    def fail(self, message: str, op: int = 0, key: str | None = None) -> PatchError:
        # an op written inline (op = [{...}]) has no [[op]] header: point at `op =` then
        line = self.lines.get((op, key)) or self.lines.get((op, None)) or (self.lines.get((0, "op")) if op else None)
        label = " ".join(part for part in (f"[[op]] #{op}" if op else "", f"key {key!r}" if key else "") if part)
        return PatchError(f"{label}: {message}" if label else message,
                          where=f"{self.path}:{line}" if line else self.path, hint=HINT)


def did_you_mean(key: Any, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    return f"(did you mean {close[0]!r}?)" if close else f"(known: {', '.join(sorted(known))})"


def type_name(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "an array",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


def text(loc: Locator, value: Any, key: str, op: int = 0, one_line: bool = False) -> str:
    if not isinstance(value, str):
        raise loc.fail(f"must be a string, not {type_name(value)}", op, key)
    bad = _NOT_XML.search(value) or (re.search(r"[\x00-\x1f\x7f]", value) if one_line else None)
    if bad:
        raise loc.fail(f"contains the character {bad.group()!r}, which {'a one-line text' if one_line else 'XML'} "
                       "cannot hold", op, key)
    return value


def rel_path(loc: Locator, value: Any, key: str) -> str:
    """A file under the home: relative, normalized, POSIX, no '..'; the patched `file` is .xml or .properties."""
    p = text(loc, value, key, one_line=True)
    if not p:
        raise loc.fail("must name a file under the home, not be empty", key=key)
    if "\\" in p or p.startswith("/") or re.match(r"[A-Za-z]:", p):
        raise loc.fail(f"{p!r} must be a relative POSIX path under the home (no leading '/', no '\\', no drive)",
                       key=key)
    if ".." in p.split("/") or posixpath.normpath(p) != p or p.endswith("/"):
        raise loc.fail(f"{p!r} must be a normalized path inside the home (no '..', '.', '//' or trailing '/')",
                       key=key)
    if key == "file" and not p.endswith(FILE_KINDS):
        raise loc.fail(f"{p!r} is neither an .xml nor a .properties file: only XML and Java .properties config "
                       "files can be patched", key=key)
    return p


def condition(loc: Locator, cond: str | None, key: str, op: int) -> str | None:
    """`name` or `name=value`, name a known variable and value one line of text; or the name of a spec table
    (variables.TABLES), which is set or not."""
    if cond is None:
        return None
    name, eq, value = cond.partition("=")
    if name not in variables.KNOWN | variables.TABLES:
        raise loc.fail(f"unknown variable {name!r} {variables.suggest(name, variables.KNOWN | variables.TABLES)}",
                       op, key)
    if eq and name in variables.TABLES:
        raise loc.fail(f"{cond!r}: a spec table is set or not: write just {name!r}", op, key)
    if eq and (not value or re.search(r"[\x00-\x1f\x7f]", value)):
        raise loc.fail(f"{cond!r}: write name=value with a value on one line, or just the name", op, key)
    return cond
