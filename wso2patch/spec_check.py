"""The spec's checker: each table against its schema, and the one-line SpecError with the line of the key at fault
(spec_cluster, spec_db, spec_site and spec_vault check their tables through it)."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any

from wso2patch import hosts, spec_cluster, spec_db, spec_site, spec_vault
from wso2patch.errors import SpecError

# key -> (type or types, required); nested tables map to a dict of their own
SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "cluster": {"domain": (str, False), **spec_cluster.CLUSTER_KEYS, **spec_site.CLUSTER_KEYS},
    "node": {"id": (int, True), "host": (str, True), "offset": (int, False), "home": (str, False),
             "member_port": (int, False), "profile": (str, False), "role": (str, False)},
    **spec_cluster.SCHEMA, **spec_db.SCHEMA, **spec_site.SCHEMA, **spec_vault.SCHEMA,
}
# Refused in every string value: what an XML 1.0 config file cannot hold (C0 controls, surrogates, U+FFFE, U+FFFF)
# and what it holds but no host, name or password means: tab, LF, CR (a reader turns CR into LF), DEL, the C1
# controls (an XML 1.1 reader turns U+0085 into a line feed) and the other Unicode noncharacters. U+2028 and U+2029
# are characters XML 1.0 keeps as written, so they pass.
_NONCHARS = "".join(f"\\U{p:08X}-\\U{p + 1:08X}" for p in range(0xFFFE, 0x110000, 0x10000))
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ufdd0-\\ufdef{_NONCHARS}]")
_NAMED = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x7f": "delete", "\x85": "next line"}


def unsafe(value: str) -> str | None:
    """The first character of value no config file should get (see _UNSAFE), described; None when there is none."""
    m = _UNSAFE.search(value)
    if m is None:
        return None
    ch = m.group()
    code = f"U+{ord(ch):04X}"
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return f"a lone surrogate, {code} (bytes that are not UTF-8)"
    if ord(ch) <= 0x9F:
        return f"a control character, {code}" + (f" ({_NAMED[ch]})" if ch in _NAMED else "")
    return f"a Unicode noncharacter, {code}"


def _line_of(text: str, table: str, index: int | None, key: str | None) -> int | None:
    """Best-effort line of `key` in [table] (or the index-th [[table]]); of the header when key is None."""
    current, seen = "", -1
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if m := re.match(r"^\[\[\s*([^\]\s]+)\s*\]\]", s):
            current = m.group(1)
            seen = seen + 1 if current == table else seen
            header = True
        elif m := re.match(r"^\[\s*([^\]\s]+)\s*\]", s):
            current, header = m.group(1), True
        else:
            header = False
        here = current == table and (index is None or seen == index)
        if here and header and key is None:
            return no
        if here and key is not None and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", s):
            return no
    return None


class _Checker:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, msg: str, table: str, index: int | None = None, key: str | None = None,
             hint: str | None = None) -> SpecError:
        line = _line_of(self.text, table, index, key) or _line_of(self.text, table, index, None)
        return SpecError(msg, where=f"{self.path}:{line}" if line else self.path, hint=hint)

    def table(self, data: Any, table: str, index: int | None = None) -> dict[str, Any]:
        label = f"[[{table}]] #{index + 1}" if index is not None else f"[{table}]"
        if not isinstance(data, dict):
            raise self.fail(f"{label} must be a table", table.split(".")[0], index)
        schema = SCHEMA[table]
        for key, value in data.items():
            if key not in schema:
                close = difflib.get_close_matches(key, schema, n=1)
                raise self.fail(f"unknown key {key!r} in {label}", table, index, key,
                                hint=f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(schema)}")
            want, _ = schema[key]
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and (bad := unsafe(item)):
                    raise self.fail(f"{label} {key} contains {bad}", table, index, key,
                                    hint="XML config files cannot carry it safely: remove it")
            if not isinstance(value, want) or (want is int and isinstance(value, bool)):
                wanted = " or ".join(t.__name__ if t is not dict else "a table"
                                     for t in (want if isinstance(want, tuple) else (want,)))
                raise self.fail(f"{label} {key} must be {wanted}, not {type(value).__name__}", table, index, key)
        for key, (_, required) in schema.items():
            if required and key not in data:
                raise self.fail(f"{label} needs {key!r}", table, index, hint=f"add {key} = ... to {label}")
        return data

    def host(self, host: str, what: str, table: str, index: int | None, port_key: str) -> None:
        if split := hosts.with_port(host):
            raise self.fail(f"{what} {host!r} includes a port", table, index, "host",
                            hint=f"use host = \"{split[0]}\" and {port_key} = {split[1]}")
        if why := hosts.problem(host):
            bracketed = host.startswith("[") and host.endswith("]")
            raise self.fail(f"{what} {host!r} is not a host name or IP address: {why}", table, index, "host",
                            hint=f"use host = \"{host[1:-1]}\"" if bracketed else "write an IPv4 address, an IPv6 "
                                                                                "address or a DNS name")

    def env_secret(self, variable: str, table: str, key: str) -> str:
        """The value of the environment variable a `..._env` key names; a secret: never quoted in an error."""
        value = os.environ.get(variable)
        if value is None:
            raise self.fail(f"{key} names ${variable}, which is not set", table, None, key,
                            hint=f"export {variable}=... and rerun")
        if bad := unsafe(value):
            why = " (a carriage return often comes from a file with Windows line endings)" if "\r" in value else ""
            raise self.fail(f"{key} names ${variable}, whose value contains {bad}", table, None, key,
                            hint=f"set {variable} without it and rerun{why}")
        return value

