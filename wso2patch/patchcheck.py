"""Check one patch file's data once, at load, and keep what rendering needs in checked form.

Patch files are input (users add their own), so every field is checked here: its type, every
XPath compiled and tried on an empty document, paths relative and inside the home, operations of the
file's kind (XML or Java .properties), templates well-formed with any values filled in and using only
known variables. A mistake is one PatchError naming the file (and line), the [[op]] and the key;
nothing later has to check again. This module checks one [[op]]; the plain fields are checked in
patchcheck_fields, XPaths and templates in patchcheck_exprs.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from wso2patch import variables
from wso2patch.patchcheck_exprs import NODE_SETS, Template, element, template, xpath
from wso2patch.patchcheck_fields import Locator, condition, did_you_mean, text, type_name

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
COMMON = frozenset({"kind", "when", "unless"})


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
