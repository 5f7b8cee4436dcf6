"""The closed vocabulary of patch operations. Each states a desired state, so a second run is a
no-op by construction: it reports "already" and leaves the Doc untouched.

Every operation takes a Doc and returns (new Doc, "applied" | "already"). The edits are
splices computed from exact node spans; nothing outside the touched nodes is re-serialized.
The operations live by family (valueops: set_text, set_attr; treeops: ensure, replace_children, remove;
commentops: comment_out, uncomment; nsops: remove_attr, declare_ns, remove_ns); this module names and dispatches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wso2patch.commentops import CommentOut, Uncomment, comment_out, uncomment
from wso2patch.nsops import DeclareNs, RemoveAttr, RemoveNs, declare_ns, remove_attr, remove_ns
from wso2patch.opcore import Outcome
from wso2patch.treeops import Ensure, Remove, ReplaceChildren, ensure, remove, replace_children
from wso2patch.valueops import SetAttr, SetText, set_attr, set_text
from wso2patch.xmlio import Doc

# the vocabulary: patchset.py, plan.py, vault/stock.py and the tests import the operations from here
__all__ = ["CommentOut", "DeclareNs", "Ensure", "Op", "Outcome", "Remove", "RemoveAttr", "RemoveNs",
           "ReplaceChildren", "SetAttr", "SetText", "Uncomment", "apply_op"]

Op = SetText | SetAttr | Ensure | ReplaceChildren | CommentOut | Uncomment | Remove | RemoveAttr | DeclareNs | RemoveNs


# each operation's class -> the function that applies it (one per class: a new op is one line here)
_APPLY: dict[type, Callable[[Doc, Any], tuple[Doc, Outcome]]] = {
    SetText: set_text, SetAttr: set_attr, Ensure: ensure, ReplaceChildren: replace_children, CommentOut: comment_out,
    Uncomment: uncomment, Remove: remove, RemoveAttr: remove_attr, DeclareNs: declare_ns, RemoveNs: remove_ns,
}


def apply_op(doc: Doc, op: Op) -> tuple[Doc, Outcome]:
    return _APPLY[type(op)](doc, op)
