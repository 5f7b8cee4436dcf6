"""Where secrets sit in what wso2patch prints, and nothing else: masking by position, in linear time.

A secret position is (1) the content of an element whose name, or whose `name` attribute, names a
secret (`<password>`, `<KeyPassword>`, `<Property name="ConnectionPassword">`), CDATA included and over
several lines; (2) the value of an attribute, Java-properties key or URL parameter that names a secret
(`keystorePass="..."`, `Carbon.Security.KeyStore.Password=...`, `;password=...` in a JDBC URL); (3) the
SQL literal after `IDENTIFIED [WITH plugin] BY`. Everything else is printed as is: a password that
happens to equal a user or a database name masks nothing else.

Linear time: one tokenizer whose alternatives start on a fixed character or at the start of a name
(a look-behind keeps it from restarting inside one), and `str.find` for the ends of values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

MASK = "********"
# A name names a secret when it ends so (case and '.', '_', '-' ignored): KeyPassword, keystorePass,
# Carbon.Security.KeyStore.Password, ConnectionPassword, client_secret. A name that merely contains
# such a word describes one (PasswordJavaRegEx, secretAlias, secretProvider) and is printed as is.
_SUFFIXES = ("password", "passwd", "passphrase", "pass", "pwd", "secret", "secretkey")
_TRIGGERS = ("pass", "pwd", "secret", "identified")  # no secret position without one of these in the text
_TOKEN = re.compile(r"""
    (?P<cdata><!\[CDATA\[)
  | </(?P<end>[A-Za-z_][\w.:-]*)\s*>?
  | <(?P<start>[A-Za-z_][\w.:-]*)
  | (?P<close>/?>)
  | (?<![\w.:-])(?P<key>[A-Za-z_][\w.:-]*)[ \t]*=[ \t]*
  | (?<!\w)(?P<sql>IDENTIFIED[ \t]+(?:WITH[ \t]+\w+[ \t]+)?BY[ \t]*')
""", re.X | re.I)
_UNQUOTED_END = re.compile(r"[&;<\"'\s]")
_SQL_STOP = re.compile(r"['\\]")
_END_TAG = re.compile(r"</[^>]*>?")
_HUNK = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
TEXT, TAG, CONTENT, CDATA = range(4)  # CONTENT and CDATA: inside a secret element
Replace = Callable[[str], str]


def is_secret_name(name: str) -> bool:
    """The one rule for element, attribute, property and URL-parameter names ({ns} and prefix: ignored)."""
    local = name.rpartition("}")[2].rpartition(":")[2].lower().replace(".", "").replace("_", "").replace("-", "")
    return local.endswith(_SUFFIXES) and not local.endswith("bypass")


def _masked(_: str) -> str:
    return MASK


@dataclass
class _State:
    """Where a side of a text stands at a line break (elements and start tags may span lines)."""

    mode: int = TEXT
    secret_tag: bool = False  # in a start tag: the element's content is a secret
    fresh: bool = True  # no markup seen yet: a secret end tag then means the text began inside its element
    pending: list[int] = field(default_factory=list)  # lines seen while fresh (a diff's hunk may start inside)


def _content(line: str, pos: int, st: _State, spans: list[tuple[int, int]]) -> int:
    """Inside a secret element: mark its text (and CDATA) up to the next markup; return where to go on."""
    n = len(line)
    if st.mode == CDATA:
        end = line.find("]]>", pos)
        spans.append((pos, n if end < 0 else end))
        if end < 0:
            return n
        st.mode = CONTENT
        return end + 3
    lt = line.find("<", pos)
    spans.append((pos, n if lt < 0 else lt))
    if lt < 0:
        return n
    st.fresh = False
    if line.startswith("<![CDATA[", lt):
        st.mode = CDATA
        return lt + 9
    st.mode = TEXT
    own_end = _END_TAG.match(line, lt)  # the element's own end tag: not an unmatched one
    return own_end.end() if own_end else lt


def _value(line: str, m: re.Match[str], st: _State, indent: int, spans: list[tuple[int, int]]) -> int:
    """After `name=`: mark the value when the name names a secret; return where to go on."""
    name, start, n = m["key"], m.end(), len(line)
    in_tag = st.mode == TAG
    maybe_tag = in_tag or st.fresh  # before any markup, a line may be the rest of a start tag
    secret = is_secret_name(name) or (maybe_tag and st.secret_tag and name.lower() == "value")
    if start < n and line[start] in "\"'":
        end = line.find(line[start], start + 1)
        end = n if end < 0 else end
        if maybe_tag and name.rpartition(":")[2].lower() == "name" and is_secret_name(line[start + 1 : end]):
            st.secret_tag = True  # <Property name="ConnectionPassword">
        if secret:
            spans.append((start + 1, end))
        return end + 1 if secret or in_tag else start
    if not secret:
        return start
    if m.start() == indent:  # a properties line (key=value): the value runs to the end of the line
        end = n
    else:  # a URL parameter or prose: up to the next separator
        stop = _UNQUOTED_END.search(line, start)
        end = stop.start() if stop else n
    spans.append((start, end))
    return end


def _sql_literal(line: str, start: int, spans: list[tuple[int, int]]) -> int:
    pos = start
    while (stop := _SQL_STOP.search(line, pos)) is not None:
        at = stop.start()
        if line[at] == "\\" or line.startswith("''", at):  # an escape or a doubled quote: still inside
            pos = at + 2
            continue
        spans.append((start, at))
        return at + 1
    spans.append((start, len(line)))
    return len(line)


def _scan(line: str, st: _State) -> tuple[list[tuple[int, int]], bool]:
    """The secret spans of one line (no line break in it), and whether the line showed that the text
    began inside a secret element (a secret end tag before any markup)."""
    spans: list[tuple[int, int]] = []
    began_inside = False
    pos, n, after_markup = 0, len(line), 0
    indent = n - len(line.lstrip())
    while pos < n:
        if st.mode in (CONTENT, CDATA):
            pos = after_markup = _content(line, pos, st, spans)
            continue
        m = _TOKEN.search(line, pos)
        if m is None:
            break
        kind, pos = m.lastgroup, m.end()
        if kind == "key":
            pos = _value(line, m, st, indent, spans)
            continue
        if kind == "sql":
            pos = _sql_literal(line, pos, spans)
            continue
        if kind == "end" and st.mode == TEXT and is_secret_name(m["end"]):  # its start tag was not seen
            spans.append((after_markup, m.start()))
            began_inside = began_inside or st.fresh
        elif kind == "start":
            st.mode, st.secret_tag = TAG, is_secret_name(m["start"])
        elif kind == "close" and (st.mode == TAG or st.fresh):
            st.mode, st.secret_tag = CONTENT if st.secret_tag and m.group() == ">" else TEXT, False
        elif kind == "cdata":  # CDATA outside a secret element: not markup to look into
            end = line.find("]]>", pos)
            pos = n if end < 0 else end + 3
        elif kind == "end":
            st.mode = TEXT
        st.fresh, after_markup = False, pos
    return spans, began_inside


def _render(line: str, spans: list[tuple[int, int]], replace: Replace) -> str:
    """Replace each span's text (overlapping spans merged), its surrounding blanks kept: layout is no secret."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif end > start:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        part = line[start:end]
        core = part.strip()
        if core:
            lead = len(part) - len(part.lstrip())
            out += [line[last:start], part[:lead], replace(core), part[lead + len(core) :]]
            last = end
    return "".join([*out, line[last:]])


def _has_trigger(text: str) -> bool:
    low = text.lower()
    return any(t in low for t in _TRIGGERS)


def _needs_scan(body: str, st: _State) -> bool:
    """False when the line can hold no secret position and leaves the state as it was (the common case)."""
    return st.mode != TEXT or st.secret_tag or _has_trigger(body) or body.rfind("<") > body.rfind(">")


def _split(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def mask_text(text: str, replace: Replace = _masked) -> str:
    """Mask every secret position in free text (messages, table cells, SQL, a whole config file)."""
    if not _has_trigger(text):
        return text
    st, out = _State(), []
    for line in text.splitlines(keepends=True):
        body, eol = _split(line)
        if not _needs_scan(body, st):
            out.append(line)
            continue
        spans, _ = _scan(body, st)
        out.append(_render(body, spans, replace) + eol)
    return "".join(out)


def mask_url(url: str) -> str:
    """A JDBC URL: each secret parameter's value (`password=...`) up to the next `&`, `;` or the end."""
    return re.sub(r"(?<![\w.:-])([A-Za-z_][\w.:-]*=)([^&;]*)",
                  lambda m: m[1] + MASK if is_secret_name(m[1][:-1]) and m[2] else m[0], url)


def mask_diff(text: str) -> str:
    """Mask a unified diff by position. Each side (old: ' ' and '-' lines; new: ' ' and '+') is followed
    through each hunk, so values and start tags over several lines are found; a hunk that starts inside a
    secret element shows it by the element's end tag, and its lines before that are masked too."""
    if not _has_trigger(text):
        return text
    lines = text.splitlines(keepends=True)
    spans: dict[int, list[tuple[int, int]]] = {}
    sides, todo = (_State(), _State()), [0, 0]  # todo: lines of the current hunk still to come on each side
    for i, line in enumerate(lines):
        mark, body = line[:1], line.rstrip("\r\n")
        hunk = _HUNK.match(line)
        if hunk:
            sides, todo = (_State(), _State()), [int(hunk[1] or 1), int(hunk[2] or 1)]
        elif not (todo[0] or todo[1]) or mark not in " -+":  # a header, or "\ No newline at end of file"
            spans[i] = _scan(body, _State())[0]
        else:
            for side, st in enumerate(sides):
                if mark != "+-"[side]:  # old: ' ' and '-' lines; new: ' ' and '+' lines
                    todo[side] -= 1
                    _follow(lines, i, body, st, spans)
    return "".join(_render(lines[i].rstrip("\r\n"), spans[i], _masked) + _split(lines[i])[1] if spans.get(i)
                   else lines[i] for i in range(len(lines)))


def _follow(lines: list[str], i: int, body: str, st: _State, spans: dict[int, list[tuple[int, int]]]) -> None:
    """One side's view of diff line i (body: the line without its end; its first character is the mark)."""
    if _needs_scan(body[1:], st):
        found, began_inside = _scan(body[1:], st)
        spans.setdefault(i, []).extend((a + 1, b + 1) for a, b in found)
        if began_inside:  # every line of this side before it in the hunk was inside the element as well
            for j in st.pending:
                spans.setdefault(j, []).append((1, len(lines[j].rstrip("\r\n"))))
    elif "<" in body or ">" in body:
        st.fresh = False
    if st.fresh:
        st.pending.append(i)
    else:
        st.pending.clear()
