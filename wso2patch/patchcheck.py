"""Check one patch file's data once, at load, and keep what rendering needs in checked form.

Patch files are input (users add their own), so every field is checked here: its type, every
XPath compiled and tried on an empty document, paths relative and inside the home, operations of the
file's kind (XML or Java .properties), templates well-formed with any values filled in and using only
known variables. A mistake is one PatchError naming the file (and line), the [[op]] and the key;
nothing later has to check again.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from wso2patch import variables
from wso2patch.errors import ConfigError, PatchError
from wso2patch.xmlio import escape_attr, parse_fragment

# kind -> (required keys, optional keys)
KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "set_text": (frozenset({"xpath", "value"}), frozenset()),
    "set_attr": (frozenset({"xpath", "name", "value"}), frozenset({"namespace"})),
    "remove_attr": (frozenset({"xpath", "name"}), frozenset({"namespace"})),  # from every element xpath selects
    "declare_namespace": (frozenset({"xpath", "prefix", "uri"}), frozenset()),
    "remove_namespace": (frozenset({"xpath", "prefix"}), frozenset()),  # an unused declaration only
    "ensure": (frozenset({"parent", "element"}), frozenset({"key", "after", "create"})),
    "replace_children": (frozenset({"parent", "element"}), frozenset({"for_each"})),
    "comment_out": (frozenset({"parent", "select"}), frozenset()),
    "uncomment": (frozenset({"parent", "select"}), frozenset()),
    "remove": (frozenset({"parent", "select"}), frozenset()),
    "set_property": (frozenset({"key", "value"}), frozenset({"for_each"})),
    "remove_property": (frozenset({"key"}), frozenset({"for_each"})),
}
PROP_KINDS = ("set_property", "remove_property")  # the operations on a Java .properties file; the others are XML's
FILE_KINDS = (".xml", ".properties")
COMMON = frozenset({"kind", "when", "unless"})
NODE_SETS = ("xpath", "parent", "select", "after")  # XPaths that must select nodes; `key` is used as string(key)
HINT = "fix the patch file"
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_VAR_NAME = re.compile(r"[A-Za-z_][\w.]*\Z")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not XML 1.0 Char
_MARK = "wso2patch<&>\"'--"  # a value that breaks XML wherever a variable may not stand
_PROBE = etree.fromstring("<wso2patch-probe/>")


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


@dataclass(frozen=True)
class OpSpec:
    """One checked [[op]]: its strings as written, its XPaths compiled, its templates split."""

    number: int  # 1-based, as errors count them
    kind: str
    fields: Mapping[str, str]  # xpath, parent, select, after, key, name: as written
    xpaths: Mapping[str, etree.XPath]  # the same XPaths compiled; `key` as string(key)
    value: Template | None = None
    element: Template | None = None
    when: str | None = None  # "name" (set) or "name=value" (set to value): the op runs only then
    unless: str | None = None  # the same forms: the op is skipped then
    for_each: str | None = None  # a name of variables.ROWS: the op is repeated once per row
    create: bool = True
    prop_key: Template | None = None  # set_property / remove_property: the key (fields["key"] is ensure's XPath)

    @property
    def target(self) -> str:
        if self.prop_key is not None:
            return self.prop_key.fill({n: f"{{{n}}}" for n in self.prop_key.names}, escape=False)
        return self.fields.get("xpath") or self.fields.get("parent", "")


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


def check_op(loc: Locator, raw: Any, number: int, file: str = ".xml") -> OpSpec:
    """One [[op]] of a patch on `file`, whose kind (XML or .properties) decides the operations it may use."""
    if not isinstance(raw, dict):
        raise loc.fail(f"must be a table, not {type_name(raw)}", number)
    kind = raw.get("kind")
    props = file.endswith(".properties")
    family = [k for k in KINDS if (k in PROP_KINDS) == props]
    if not isinstance(kind, str) or kind not in KINDS:
        raise loc.fail(f"must be one of {', '.join(family)}, not {kind!r}" if "kind" in raw else
                       f"needs kind = one of {', '.join(family)}", number, "kind" if "kind" in raw else None)
    if kind not in family:
        raise loc.fail(f"{kind} is an operation on {'.properties' if kind in PROP_KINDS else 'XML'} files, but "
                       f"{posixpath.basename(file)} is {'a .properties' if props else 'an XML'} file: use one of "
                       f"{', '.join(family)}", number, "kind")
    required, optional = KINDS[kind]
    for key in raw:
        if key not in required | optional | COMMON:
            raise loc.fail(f"unknown key for {kind} {did_you_mean(key, required | optional | COMMON)}", number,
                           str(key))
    missing = sorted(required - raw.keys())
    if missing:
        raise loc.fail(f"{kind} needs {missing[0]!r}", number)
    if "create" in raw and not isinstance(raw["create"], bool):
        raise loc.fail(f"must be true or false, not {type_name(raw['create'])}", number, "create")
    strings = {k: text(loc, v, k, number) for k, v in raw.items() if k != "create"}
    for_each = strings.get("for_each")
    if for_each is not None and for_each not in variables.ROWS:
        close = difflib.get_close_matches(for_each, sorted(variables.ROWS), n=1)
        names = " or ".join(f'"{r}"' for r in variables.ROWS)
        raise loc.fail(f"must be {names}, not {for_each!r}"
                       + (f" (did you mean {close[0]!r}?)" if close else ""), number, "for_each")
    if kind == "set_text" and "\r" in strings["value"]:  # XML reads it back as \n: never "already"
        raise loc.fail("a carriage return cannot be kept in element text (XML turns it into a line feed)", number,
                       "value")
    when, unless = (condition(loc, strings.get(k), k, number) for k in ("when", "unless"))
    guard = when.partition("=")[0] if when is not None else None
    _names(loc, strings, number)
    allowed = variables.KNOWN | (variables.ROWS[for_each] if for_each is not None else frozenset())
    value, elem = (template(loc, strings[k], k, number, allowed) if k in strings else None
                   for k in ("value", "element"))
    prop_key = template(loc, strings["key"], "key", number, allowed) if props else None
    if prop_key is not None and prop_key.literals == ("",):
        raise loc.fail("must name a property, not be empty", number, "key")
    if elem is not None:
        element(loc, elem, number)
    for key, t in (("value", value), ("element", elem), ("key", prop_key)):
        unguarded = sorted(n for n in (t.names if t else ()) if n in variables.OPTIONAL
                           and not variables.guarded(n, guard))
        if unguarded:
            raise loc.fail(f"{{{unguarded[0]}}} is set only when the spec sets it: add when = \"{unguarded[0]}\"",
                           number, key)
    exprs = {k: strings[k] for k in (*NODE_SETS, "key") if k in strings and not props}
    kept = (*exprs, "name", "namespace", "prefix", "uri")
    return OpSpec(number=number, kind=kind, fields={k: v for k, v in strings.items() if k in kept},
                  xpaths={k: xpath(loc, v, k, number) for k, v in exprs.items()}, value=value, element=elem,
                  when=when, unless=unless, for_each=for_each, create=raw.get("create", True), prop_key=prop_key)


def _names(loc: Locator, strings: Mapping[str, str], number: int) -> None:
    """An attribute name is plain, or prefix:local with the `namespace` (a URI) its prefix stands for; a declared
    prefix is a plain name."""
    name, uri, prefix = strings.get("name"), strings.get("namespace"), strings.get("prefix")
    plain = r"[A-Za-z_][\w.-]*"
    if name is not None and not re.fullmatch(plain if uri is None else f"{plain}:{plain}", name, re.ASCII):
        raise loc.fail(f"{name!r} is not a plain attribute name" + (" (a prefixed name needs namespace = \"URI\")"
                       if uri is None else " with a prefix (prefix:local)"), number, "name")
    if name is not None and name.lower().startswith("xmlns"):
        raise loc.fail(f"{name!r} is a namespace declaration: use kind = \"declare_namespace\"", number, "name")
    if prefix is not None and (not re.fullmatch(plain, prefix, re.ASCII) or prefix.lower().startswith("xml")):
        raise loc.fail(f"{prefix!r} cannot be a namespace prefix", number, "prefix")
    for key in ("namespace", "uri"):
        value = strings.get(key)
        if value is not None and (not value or re.search(r"[\s{}]", value)):
            raise loc.fail(f"{value!r} is not a namespace URI", number, key)


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
