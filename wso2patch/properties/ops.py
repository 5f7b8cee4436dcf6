"""Operations on a .properties text: each states a desired state, so a second run reports "already".

Edits are splices: SetProp rewrites one value span (or inserts one line), RemoveProp cuts whole logical lines.
Every result is read back with the Java-faithful reader and must hold exactly the promised table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wso2patch.errors import ConfigError, InternalError
from wso2patch.opcore import Outcome
from wso2patch.properties.escapes import escape, join_surrogates

if TYPE_CHECKING:  # the reader loads with the first .properties edit: most runs patch no .properties file
    from wso2patch.properties.reader import Comment, Entry, PropFile

_CONTINUATIONS = re.compile(r"(\\(\r\n|\r|\n)[ \t\f]*)+\Z")


@dataclass(frozen=True)
class SetProp:
    """`key` holds `value` as Java reads the file. Java keeps a key's last occurrence, so that is the one changed;
    earlier duplicates are dead to Java and left as they are. A missing key becomes one new line: after the
    last commented-out twin (`#key=...`) when there is one, else after the last entry, else at the end."""

    key: str
    value: str


@dataclass(frozen=True)
class RemoveProp:
    """No occurrence of `key` is left: every logical line that sets it goes, continuation lines included;
    comments around it stay."""

    key: str


PropOp = SetProp | RemoveProp


def apply_prop_op(text: str | None, op: PropOp, *, where: str = "<properties>") -> tuple[str | None, Outcome]:
    """Apply one operation to a .properties text (the file's bytes decoded as ISO-8859-1; None when the file
    is absent). Returns the new text (None: the file stays absent) and "applied" or "already"."""
    from wso2patch.properties.reader import parse

    key = join_surrogates(op.key)
    if text is None:
        if isinstance(op, RemoveProp):
            return None, "already"
        text = ""
    pf = parse(text, where=where)
    hits = [e for e in pf.entries if e.key == key]
    want = pf.load()
    if isinstance(op, RemoveProp):
        if not hits:
            return text, "already"
        new = _remove(pf, hits)
        del want[key]
    else:
        value = join_surrogates(op.value)
        if hits and hits[-1].value == value:
            return text, "already"
        new = _set(pf, hits[-1], value) if hits else _insert(pf, key, value, where)
        want[key] = value
    if parse(new, where=where).load() != want:  # a bug here must never reach a file
        raise InternalError(f"editing {op.key!r} would change other entries", where=where,
                            hint="please report this file")
    return new, "applied"


def _set(pf: PropFile, e: Entry, value: str) -> str:
    a, b = e.value_span
    # a dangling continuation (a backslash, then a blank line) keeps its line break: the blank line stays blank
    tail = re.search(r"(\r\n|\r|\n)[ \t\f]*\Z", pf.text[a:b])
    b = a + tail.start() if tail else b
    new = escape(value, key=False)
    if not new:  # nothing may be left continuing from the separator: "\\\r" would take the "\n" after it
        a = e.sep_span[0] + len(_CONTINUATIONS.sub("", pf.text[e.sep_span[0] : a]))
    # a key-only line ("flag") has no separator: without one the value would run into the key
    sep = "" if a > e.sep_span[0] else "="
    return pf.text[:a] + sep + new + pf.text[b:]


def _remove(pf: PropFile, hits: list[Entry]) -> str:
    text = pf.text
    cuts: list[tuple[int, int]] = []
    for e in hits:
        start = e.start
        if e.end == len(text) == e.value_span[1] and start > 0:
            # the last line has no line break: take the one before it, so the file still ends without one
            start -= 2 if text[start - 2 : start] == "\r\n" else 1
        if cuts and start <= cuts[-1][1]:
            start = cuts[-1][0]
            cuts.pop()
        cuts.append((start, e.end))
    for a, b in reversed(cuts):
        text = text[:a] + text[b:]
    return text


def _insert(pf: PropFile, key: str, value: str, where: str) -> str:
    from wso2patch.properties.reader import trailing_break

    text = pf.text
    twin = _twin(pf, key)
    layout = pf.entries[-1] if pf.entries else None
    if twin is not None:
        body, c = twin
        indent, sep = text[c.start : c.marker], _sep(body.text, body.entries[0])
        stop, end = c.stop, c.end
    elif layout is not None:
        indent, stop, end = text[layout.start : layout.key_span[0]], layout.value_span[1], layout.end
        sep = next((_sep(text, e) for e in reversed(pf.entries) if _sep(text, e)), "")
    else:
        indent, sep, stop, end = "", "", len(text) - trailing_break(text), len(text)
    indent = indent if not indent.strip(" \t\f") else ""  # a backslash-only line before the key is no indent
    if not key and not sep.strip(" \t\f"):
        sep = "="  # an empty key needs a visible separator: a line that starts with blanks skips them
    line = indent + escape(key, key=True) + (sep or "=") + escape(value, key=False)
    if not text:
        return line + "\n"
    eol = text[stop:end] or _nearest_break(text, end)
    # after a last line that ends in a continuation backslash (at the end of the file), a blank line ends it first
    blank = eol if twin is None and layout is not None and _dangling(text[layout.start : stop]) else ""
    if blank and layout is not None and layout.key_span[0] == layout.value_span[0]:
        raise ConfigError("a line that holds only a backslash, which Java reads as an empty key only while it ends "
                          "the file: a new line after it would drop that key", where=f"{where}:{layout.line}:1",
                          hint="remove that line by hand, then rerun")
    if end > stop:  # the anchor has a line break: the new line goes after it, with the same break
        return text[:end] + blank + line + eol + text[end:]
    return text + blank + eol + line  # no final line break before: none after


def _twin(pf: PropFile, key: str) -> tuple[PropFile, Comment] | None:
    """The last comment that reads as an entry for `key` once its marker is dropped (`#key=value`)."""
    from wso2patch.properties.reader import parse

    for c in reversed(pf.comments):
        try:
            body = parse(pf.text[c.marker + 1 : c.stop])
        except ConfigError:  # a comment need not be loadable
            continue
        if body.entries and body.entries[0].key == key:
            return body, c
    return None


def _sep(text: str, e: Entry) -> str:
    """An entry's separator as written (`=`, ` = `, `: `, a space), when it is one to copy: on one line,
    and followed by a value (trailing blanks after the separator of an empty value are not layout)."""
    sep = text[e.sep_span[0] : e.sep_span[1]]
    return sep if sep and e.value and not any(ch in sep for ch in "\\\r\n") else ""


def _nearest_break(text: str, pos: int) -> str:
    i = max(text.rfind("\r", 0, pos), text.rfind("\n", 0, pos))
    if i < 0:
        return "\n"
    return "\r\n" if text[i] == "\n" and text[i - 1 : i] == "\r" else text[i]


def _dangling(content: str) -> bool:
    """Whether a line's content ends in an odd run of backslashes (which would continue it onto a new line)."""
    return (len(content) - len(content.rstrip("\\"))) % 2 == 1
