"""Read a product's schema script (dbscripts/*.sql) into statements, and know what each creates.

Knowing the objects lets `db init` tell an empty database from a loaded or half-loaded one,
and resume a load exactly: the stock scripts only create tables, indexes and constraints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wso2patch.errors import ConfigError

Kind = Literal["table", "index", "constraint", "other"]
_ID = r"`?(\w+)`?"
_TABLE = re.compile(rf"^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_ID}", re.I)
_INDEX = re.compile(rf"^CREATE\s+(?:UNIQUE\s+)?INDEX\s+{_ID}.*?\sON\s+{_ID}", re.I | re.S)
_CONSTRAINT = re.compile(rf"^ALTER\s+TABLE\s+{_ID}\s+ADD\s+CONSTRAINT\s+{_ID}", re.I)


@dataclass(frozen=True)
class Statement:
    sql: str
    line: int
    kind: Kind
    name: str | None = None  # the table, index or constraint it creates
    table: str | None = None  # for an index or a constraint: its table


@dataclass(frozen=True)
class Script:
    path: Path
    rel: str  # relative to the home, e.g. dbscripts/mysql.sql
    statements: tuple[Statement, ...]

    @property
    def tables(self) -> list[str]:
        return [s.name for s in self.statements if s.kind == "table" and s.name]

    @property
    def resumable(self) -> bool:
        """Every statement creates a named object, so a half-done load can skip what exists."""
        return all(s.kind != "other" for s in self.statements)


def split(text: str) -> list[tuple[str, int]]:
    """Statements (without comments) and their first line; quotes and comments respected."""
    out: list[tuple[str, int]] = []
    buf: list[str] = []
    i, line, start_line, quote = 0, 1, 0, ""
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            buf.append(c)
            if c == "\\" and quote != "`" and i + 1 < n:
                buf.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = ""
        elif (c == "-" and text.startswith("--", i) and (i + 2 == n or text[i + 2] in " \t\r\n")) or c == "#":
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        elif c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            buf.append(" ")
            i = end
            continue
        elif c == ";":
            sql = "".join(buf).strip()
            if sql:
                out.append((sql, start_line))
            buf = []
        else:
            if c in "'\"`":
                quote = c
            if not buf and not c.isspace():
                start_line = line
            if buf or not c.isspace():
                buf.append(c)
        line += c == "\n"
        i += 1
    sql = "".join(buf).strip()
    if sql:
        out.append((sql, start_line))
    return out


def classify(sql: str, line: int) -> Statement:
    flat = " ".join(sql.split())
    if m := _TABLE.match(flat):
        return Statement(sql, line, "table", m.group(1), m.group(1))
    if m := _INDEX.match(flat):
        return Statement(sql, line, "index", m.group(1), m.group(2))
    if m := _CONSTRAINT.match(flat):
        return Statement(sql, line, "constraint", m.group(2), m.group(1))
    return Statement(sql, line, "other")


def load_script(home: Path, rel: str) -> Script:
    path = home / rel
    head, sep, _ = rel.partition("dbscripts/")
    folder = f"{head}{sep}" if sep else "dbscripts/"  # the EI broker profile's are in wso2/broker/dbscripts/
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        raise ConfigError("schema script is missing", where=path,
                          hint=f"restore {folder} from the product distribution") from None
    except OSError as e:
        raise ConfigError(f"cannot read the schema script: {e.strerror}", where=path) from None
    statements = tuple(classify(sql, line) for sql, line in split(text))
    if not any(s.kind == "table" for s in statements):
        raise ConfigError("schema script creates no table", where=path,
                          hint=f"restore {folder} from the product distribution")
    return Script(path=path, rel=rel, statements=statements)
