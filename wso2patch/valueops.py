"""set_text and set_attr: one element's text or one attribute's value, spliced in place."""

from __future__ import annotations

from dataclasses import dataclass

from wso2patch.edits import attr_edit, check_value, clark, text_edits, text_value
from wso2patch.errors import PatchError
from wso2patch.opcore import Outcome, one
from wso2patch.xmlio import Doc


@dataclass(frozen=True)
class SetText:
    xpath: str
    value: str


@dataclass(frozen=True)
class SetAttr:
    """name: 'local', 'prefix:local' or '{uri}local'. A prefix is resolved with `namespaces` (prefix, URI)
    pairs first, then with the prefixes the file binds at the element; the file's own prefix for that URI is
    matched and kept, whatever it is."""

    xpath: str
    name: str
    value: str
    namespaces: tuple[tuple[str, str], ...] = ()


def set_text(doc: Doc, op: SetText) -> tuple[Doc, Outcome]:
    el = one(doc, op.xpath)
    check_value(op.value, doc.where)
    if text_value(el) == op.value:
        return doc, "already"
    return doc.apply(text_edits(doc, el, op.value)), "applied"


def set_attr(doc: Doc, op: SetAttr) -> tuple[Doc, Outcome]:
    el = one(doc, op.xpath)
    check_value(op.value, doc.where)
    if op.name == "xmlns" or op.name.startswith("xmlns:"):
        raise PatchError(f"set_attr cannot set the namespace declaration {op.name}", where=doc.where,
                         hint="declare the namespace in the patch instead")
    declared = dict(op.namespaces)
    name = clark(op.name, {**doc.in_scope(el), **declared}, doc.where)
    if el.get(name) == op.value:
        return doc, "already"
    prefer = {u: p for p, u in declared.items()}
    if ":" in op.name and not op.name.startswith("{"):
        prefer.setdefault(name[1:].split("}")[0], op.name.split(":")[0])
    return doc.apply([attr_edit(doc, el, name, op.value, prefer)]), "applied"
