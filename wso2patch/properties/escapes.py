"""Java's view of strings: UTF-16 code units, and the escapes Properties.store writes."""

from __future__ import annotations


def join_surrogates(s: str) -> str:
    """Java strings are UTF-16: a \\uD83D\\uDE00 pair is one character, as Python spells it."""
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def escape(s: str, *, key: bool) -> str:
    """Properties.store's saveConvert with escUnicode: '\\', '=', ':', '#', '!' and control characters escaped,
    a key's spaces (a value's leading space) escaped, everything outside printable ASCII as \\uXXXX."""
    raw = s.encode("utf-16-le", "surrogatepass")
    out: list[str] = []
    for x in range(0, len(raw), 2):
        u = raw[x] | raw[x + 1] << 8
        c = chr(u)
        if 61 < u < 127:
            out.append("\\\\" if c == "\\" else c)
        elif c == " ":
            out.append("\\ " if x == 0 or key else " ")
        elif c in "\t\n\r\f":
            out.append("\\" + "tnrf"["\t\n\r\f".index(c)])
        elif c in "=:#!":
            out.append("\\" + c)
        elif u < 0x20 or u > 0x7E:
            out.append(f"\\u{u:04X}")
        else:
            out.append(c)
    return "".join(out)
