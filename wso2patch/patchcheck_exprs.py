"""XPath and template checks for patch files: every XPath compiled and tried on an empty document, every
`value`, `element` and property `key` split once into a Template that uses only known variables, and an element
template well-formed with any values filled in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from wso2patch import variables
from wso2patch.errors import ConfigError
from wso2patch.patchcheck_fields import Locator
from wso2patch.xmlparse import parse_fragment
from wso2patch.xmltext import escape_attr

NODE_SETS = ("xpath", "parent", "select", "after")  # XPaths that must select nodes; `key` is used as string(key)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_VAR_NAME = re.compile(r"[A-Za-z_][\w.]*\Z")
_MARK = "wso2patch<&>\"'--"  # a value that breaks XML wherever a variable may not stand
_PROBE = etree.fromstring("<wso2patch-probe/>")


@dataclass(frozen=True)
class Template:
    """A `value` or `element` split once into literal text and the variables between it."""

    literals: tuple[str, ...]  # one more than names
    names: tuple[str, ...]

    def fill(self, values: Mapping[str, str], escape: bool) -> str:
        """Raises KeyError naming a variable `values` lacks."""
        out = [self.literals[0]]
        for name, literal in zip(self.names, self.literals[1:], strict=True):
            out += [escape_attr(values[name]) if escape else values[name], literal]
        return "".join(out)


def template(loc: Locator, raw: str, key: str, op: int, allowed: frozenset[str]) -> Template:
    literals: list[str] = []
    names: list[str] = []
    buf, pos = [], 0
    for m in _TOKEN.finditer(raw):
        buf.append(raw[pos : m.start()])
        pos = m.end()
        token, name = m.group(0), m.group(1)
        if token in ("{{", "}}"):
            buf.append(token[0])
            continue
        if name is None:
            raise loc.fail(f"a lone {token!r}: write {token * 2} for a literal brace", op, key)
        if not _VAR_NAME.match(name):
            raise loc.fail(f"{token!r} is not a variable: write {{{{ and }}}} for literal braces", op, key)
        if name not in allowed:
            row = next((r for r, names in variables.ROWS.items() if name in names), None)
            why = (f"({{{name}}} exists only in an op with for_each = {_rows_of(name)})" if row is not None
                   else variables.suggest(name, allowed))
            raise loc.fail(f"unknown variable {token} {why}", op, key)
        literals.append("".join(buf))
        names.append(name)
        buf = []
    literals.append("".join([*buf, raw[pos:]]))
    return Template(tuple(literals), tuple(names))


def element(loc: Locator, t: Template, op: int) -> None:
    """Well-formed with harmless values filled in, and still with hostile ones: variables stand only in text."""
    try:
        root = parse_fragment(t.fill(dict.fromkeys(t.names, "x"), escape=True), where="")
    except ConfigError as e:
        raise loc.fail(e.message, op, "element") from None
    if root.getroottree().docinfo.doctype:
        raise loc.fail("a template cannot have a DOCTYPE", op, "element")
    for node in root.iter():
        tag = node.tag
        if not isinstance(tag, str) and tag is not etree.Comment:
            raise loc.fail("only elements, attributes, text and comments are supported (no entity references "
                           "or processing instructions)", op, "element")
        if not isinstance(tag, str):
            continue
        if "}" in tag or node.prefix or any("}" in a for a in node.attrib):
            raise loc.fail(f"<{node.prefix or ''}{':' if node.prefix else ''}{etree.QName(node).localname}> uses a "
                           "namespace: write plain names, the engine puts new elements in the file's namespace",
                           op, "element")
        if len(node) and ((node.text or "").strip() or any((k.tail or "").strip() for k in node)):
            raise loc.fail(f"<{node.tag}> mixes text with child elements, which is not supported", op, "element")
    try:
        hostile = parse_fragment(t.fill(dict.fromkeys(t.names, _MARK), escape=True), where="")
        kept = sum(s.count(_MARK) for n in hostile.iter() for s in (n.text or "", *n.attrib.values()))
    except ConfigError:
        kept = -1
    if kept != len(t.names):
        raise loc.fail("a {variable} may stand only in element text or an attribute value (a value such as a "
                       "password could break the XML anywhere else)", op, "element")


def xpath(loc: Locator, expr: str, key: str, op: int) -> etree.XPath:
    """Compile and try the expression on an empty document, which also finds unknown functions,
    undeclared prefixes and variables; `key` alone first, so that it cannot escape its string()."""
    try:
        tried = etree.XPath(expr)
        found = tried(_PROBE)
        compiled = etree.XPath(f"string({expr})") if key == "key" else tried  # an XPath object is reusable
    except (etree.XPathError, ValueError) as e:
        note = " (variables are replaced only in value and element)" if "{" in expr else ""
        raise loc.fail(f"invalid XPath {expr!r}: {e}{note}", op, key) from None
    if key in NODE_SETS and not isinstance(found, list):
        kind = "boolean" if isinstance(found, bool) else "number" if isinstance(found, float) else "string"
        raise loc.fail(f"XPath {expr!r} gives a {kind}, but must select nodes", op, key)
    return compiled


def _rows_of(name: str) -> str:
    return " or ".join(f'"{r}"' for r, names in variables.ROWS.items() if name in names)
