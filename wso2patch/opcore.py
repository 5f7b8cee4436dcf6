"""What every XML operation shares: its outcome, and the one element an XPath must name."""

from __future__ import annotations

from typing import Literal

from wso2patch.errors import PatchError
from wso2patch.xmlio import Doc
from wso2patch.xmlparse import Node

Outcome = Literal["applied", "already"]


def one(doc: Doc, xpath: str, context: Node | None = None) -> Node:
    found = [n for n in doc.xpath(xpath, context) if isinstance(n.tag, str)]
    if len(found) != 1:
        lines = ", ".join(f"line {doc.line_of(n)}" for n in found[:5])
        raise PatchError(f"XPath {xpath} matched {len(found)} elements{' (' + lines + ')' if lines else ''}, "
                         "expected exactly one", where=doc.where,
                         hint="the file differs from a stock Carbon 4.4.x file here: fix it by hand or report it")
    return found[0]
