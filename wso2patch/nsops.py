"""The operations on attributes beyond set_attr: remove an attribute, and declare a namespace on an element
(the secure vault's `xmlns:svns` on a root, so that every `svns:secretAlias` below it uses the file's prefix).

Both are splices inside one start tag. A new declaration goes where a new attribute goes (edits.attr_edit's
layout: on a line of its own when the tag writes one attribute per line); removing an attribute takes the
whitespace before it with it, so removing what set_attr added gives back the bytes from before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wso2patch.edits import attr_names, clark, insert_attr
from wso2patch.errors import PatchError
from wso2patch.opcore import Outcome
from wso2patch.splices import Edit
from wso2patch.xmlio import Doc
from wso2patch.xmlparse import Node
from wso2patch.xmltext import escape_attr

_PREFIX = re.compile(r"[A-Za-z_][\w.-]*\Z")


@dataclass(frozen=True)
class RemoveAttr:
    """No element that `xpath` selects (none is fine) has the attribute `name` ('local', 'prefix:local' or
    '{uri}local'; a prefix resolved with `namespaces` first, then with the file's own bindings)."""

    xpath: str
    name: str
    namespaces: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeclareNs:
    """The element `xpath` selects (exactly one) has `prefix` bound to `uri` in scope: declared on it when
    neither it nor an ancestor binds the prefix so."""

    xpath: str
    prefix: str
    uri: str


@dataclass(frozen=True)
class RemoveNs:
    """No element that `xpath` selects declares `prefix` without using it: an unused `xmlns:prefix` is removed (a
    declaration something below still uses stays, so this never breaks the file)."""

    xpath: str
    prefix: str


def remove_ns(doc: Doc, op: RemoveNs) -> tuple[Doc, Outcome]:
    raw = f"xmlns:{op.prefix}"
    for el in doc.xpath(op.xpath):
        if isinstance(el.tag, str) and raw in doc.span(el).attrs and not _uses(doc, el, op.prefix):
            return doc.apply([_cut(doc, el, raw)]), "applied"
    return doc, "already"


def _uses(doc: Doc, el: Node, prefix: str) -> bool:
    mark = f"{prefix}:"
    return any(isinstance(n.tag, str) and (doc.span(n).raw_name.startswith(mark) or
                                           any(a.startswith(mark) for a in doc.span(n).attrs))
               for n in el.iter())


def remove_attr(doc: Doc, op: RemoveAttr) -> tuple[Doc, Outcome]:
    outcome: Outcome = "already"
    while True:  # one at a time: each cut is computed on the text the previous one left
        hit = next((el for el in doc.xpath(op.xpath) if isinstance(el.tag, str) and _raw(doc, el, op) is not None),
                   None)
        if hit is None:
            return doc, outcome
        raw = _raw(doc, hit, op)
        assert raw is not None
        doc, outcome = doc.apply([_cut(doc, hit, raw)]), "applied"


def _raw(doc: Doc, el: Node, op: RemoveAttr) -> str | None:
    """The attribute as the file writes it, when el has it. A prefix nothing binds here: el cannot have it."""
    scope = {**doc.in_scope(el), **dict(op.namespaces)}
    prefix = op.name.rpartition(":")[0] if not op.name.startswith("{") else ""
    if prefix and prefix not in scope:
        return None
    return attr_names(doc, el).get(clark(op.name, scope, doc.where))


def _cut(doc: Doc, el: Node, raw: str) -> Edit:
    value_start, value_end, _ = doc.span(el).attrs[raw]
    name_start = doc.text.rfind(raw, doc.span(el).start, value_start)
    start = name_start
    while doc.text[start - 1] in " \t\r\n":
        start -= 1
    return Edit(start, value_end + 1, "")  # value_end is the closing quote


def declare_ns(doc: Doc, op: DeclareNs) -> tuple[Doc, Outcome]:
    if not _PREFIX.match(op.prefix) or op.prefix.lower().startswith("xml"):
        raise PatchError(f"{op.prefix!r} cannot be a namespace prefix", where=doc.where, hint="fix the patch")
    found = [n for n in doc.xpath(op.xpath) if isinstance(n.tag, str)]
    if len(found) != 1:
        raise PatchError(f"XPath {op.xpath} matched {len(found)} elements, expected exactly one", where=doc.where,
                         hint="the file differs from a stock Carbon 4.4.x file here: fix it by hand or report it")
    el = found[0]
    bound = doc.in_scope(el).get(op.prefix)
    if bound == op.uri:
        return doc, "already"
    if f"xmlns:{op.prefix}" in doc.span(el).attrs:
        raise PatchError(f"<{doc.span(el).raw_name}> (line {doc.line_of(el)}) binds xmlns:{op.prefix} to {bound!r}, "
                         f"not {op.uri!r}", where=doc.where, hint="fix the declaration by hand, then rerun")
    return doc.apply([insert_attr(doc, el, f'xmlns:{op.prefix}="{escape_attr(op.uri)}"')]), "applied"
