"""A lossless reader of Java .properties text that knows where every entry's key, separator and value sit.

The scanner is a line-by-line port of `java.util.Properties.load(InputStream)` as in JDK 9 to 25 (LineReader.readLine,
load0, loadConvert), so the decoded keys and values are exactly what Java puts in the table. The text is the file's
bytes decoded as ISO-8859-1, as Java reads them: every byte is one character, so bytes round-trip exactly.
JDK 8 (which Carbon 4.4 runs on) reads the same except in three freak cases: a '#' right after a backslash-only
line is content there, a comment ending in a backslash changes how a backslash-only line after it reads, and a \\uXXXX
cut short at the end of a value reads stale characters instead of failing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace

from wso2patch.errors import ConfigError
from wso2patch.properties.escapes import join_surrogates

_WS = " \t\f"  # what Java skips at the start of a line and around the separator (not \v, not \r\n)
_EOL = "\r\n"
_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Entry:
    """One logical line that Java loads as a key/value pair. Offsets index the text; spans are [start, end).

    start -> key (its indentation before it) -> sep (whitespace, at most one '=' or ':', whitespace) -> value
    (to the end of the logical line, a dangling continuation backslash included) -> the line terminator -> end.
    Continuation lines (an odd run of backslashes, a line break, the next line's leading whitespace) sit inside
    whichever span they interrupt."""

    key: str
    value: str
    start: int
    key_span: tuple[int, int]
    sep_span: tuple[int, int]
    value_span: tuple[int, int]
    end: int
    line: int  # where the key starts (1-based)


@dataclass(frozen=True)
class Comment:
    """A '#' or '!' comment: one physical line (they never continue). `marker` is where the '#' or '!' sits."""

    start: int
    marker: int
    stop: int  # the end of its text: its line terminator, or the end of the file
    end: int  # past its line terminator


@dataclass(frozen=True)
class PropFile:
    text: str
    entries: tuple[Entry, ...]
    comments: tuple[Comment, ...]

    def load(self) -> dict[str, str]:
        """What Properties.load puts in the table: the last occurrence of a key wins."""
        return {e.key: e.value for e in self.entries}

    def unparse(self) -> str:
        """The text rebuilt from the entries' spans and the text between them; equals the input byte for byte."""
        out, pos = [], 0
        for e in self.entries:
            out.append(self.text[pos : e.start])
            for a, b in ((e.start, e.key_span[0]), e.key_span, e.sep_span, e.value_span, (e.value_span[1], e.end)):
                out.append(self.text[a:b])
            pos = e.end
        out.append(self.text[pos:])
        return "".join(out)


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of an offset; a line ends at \\r\\n, \\r or \\n, as Java counts them."""
    lines = _BREAK.split(text[:pos])
    return len(lines), len(lines[-1]) + 1


def trailing_break(text: str) -> int:
    return 2 if text.endswith("\r\n") else 1 if text.endswith(("\r", "\n")) else 0


def line_start(text: str, pos: int) -> int:
    return max(text.rfind("\r", 0, pos), text.rfind("\n", 0, pos)) + 1


def parse(text: str, *, where: str = "<properties>") -> PropFile:
    """Scan the text as Properties.load does; a malformed \\uXXXX escape (which Java rejects) is a ConfigError."""
    comments: list[Comment] = []
    starts = [0, *(m.end() for m in _BREAK.finditer(text))]  # where each physical line starts
    entries = [_entry(text, *item, where=where) for item in _logical_lines(text, comments)]
    entries = [replace(e, line=bisect_right(starts, e.key_span[0])) for e in entries]
    return PropFile(text, tuple(entries), tuple(comments))


def _logical_lines(text: str, comments: list[Comment]) -> Iterator[tuple[list[str], list[int], int, int, int]]:
    """LineReader.readLine: per logical line, (its chars, their offsets, the offset of the first char consumed,
    where its content ends, where its line terminator ends). Comments are collected on the side."""
    n, i = len(text), 0
    while True:
        chars: list[str] = []
        offs: list[int] = []
        first, skip_ws, appended, backslash = -1, True, False, False
        while True:
            if i >= n:  # the end of the file ends the line; only continuation line breaks can precede it
                if not chars:
                    return
                if backslash:  # a backslash at the very end of the file is dropped
                    del chars[-1], offs[-1]
                yield chars, offs, first, n - trailing_break(text), n
                return
            c = text[i]
            i += 1
            if skip_ws:
                if c in _WS or (not appended and c in _EOL):
                    continue
                skip_ws = appended = False
            if not chars and c in "#!":  # a comment, also right after a backslash-only line
                stop = min((j for j in (text.find("\r", i), text.find("\n", i)) if j >= 0), default=n)
                end = stop + (2 if text.startswith("\r\n", stop) else 1) if stop < n else n
                comments.append(Comment(line_start(text, i - 1), i - 1, stop, end))
                if stop >= n:
                    return
                i, skip_ws, first = stop + 1, True, -1
                continue
            if c not in _EOL:
                first = i - 1 if first < 0 else first
                chars.append(c)
                offs.append(i - 1)
                backslash = not backslash if c == "\\" else False
                continue
            if not chars:  # a blank line (or one that held only a continuation backslash)
                skip_ws, first = True, -1
                continue
            if i >= n or not backslash:  # the line ends here (at the end of the file, even after a backslash)
                if backslash:
                    del chars[-1], offs[-1]
                yield chars, offs, first, i - 1, i + 1 if c == "\r" and text.startswith("\n", i) else i
                if i >= n:
                    return
                break
            del chars[-1], offs[-1]  # a continuation: the backslash and line break are not part of the line
            skip_ws, appended, backslash = True, True, False
            if c == "\r" and text[i] == "\n":
                i += 1


def _entry(text: str, chars: list[str], offs: list[int], first: int, cend: int, end: int, *, where: str) -> Entry:
    """Properties.load0: split a logical line into key and value, and map both back to the text."""
    limit = len(chars)
    key_len, value_start, has_sep, backslash = 0, limit, False, False
    while key_len < limit:
        c = chars[key_len]
        if c in "=:" and not backslash:
            value_start, has_sep = key_len + 1, True
            break
        if c in _WS and not backslash:
            value_start = key_len + 1
            break
        backslash = not backslash if c == "\\" else False
        key_len += 1
    while value_start < limit:
        c = chars[value_start]
        if c not in _WS:
            if has_sep or c not in "=:":
                break
            has_sep = True
        value_start += 1
    k0 = offs[0] if limit else first
    k1 = offs[key_len - 1] + 1 if key_len else k0
    v0 = offs[value_start] if value_start < limit else (offs[limit - 1] + 1 if limit else first)
    key = _convert(text, chars, offs, 0, key_len, where)
    value = _convert(text, chars, offs, value_start, limit, where)
    return Entry(key, value, line_start(text, first), (k0, k1), (k1, v0), (v0, cend), end, 0)


def _convert(text: str, chars: list[str], offs: list[int], start: int, end: int, where: str) -> str:
    """Properties.loadConvert: resolve backslash escapes; \\t \\n \\r \\f and \\uXXXX are special."""
    out: list[str] = []
    i = start
    while i < end:
        c = chars[i]
        i += 1
        if c != "\\":
            out.append(c)
            continue
        c = chars[i]  # never out of range: the reader drops an unpaired backslash at the end of a line
        i += 1
        if c == "u":
            digits = "".join(chars[i : i + 4]) if i <= end - 4 else ""
            if len(digits) != 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                line, col = line_col(text, offs[i - 2])
                raise ConfigError("malformed \\uXXXX escape: Java's Properties.load rejects this file",
                                  where=f"{where}:{line}:{col}",
                                  hint="write four hex digits after \\u (or \\\\u for a literal backslash and u)")
            out.append(chr(int(digits, 16)))
            i += 4
        else:
            out.append({"t": "\t", "r": "\r", "n": "\n", "f": "\f"}.get(c, c))
    return join_surrogates("".join(out))
