"""The closed vocabulary of patch operations. Each states a desired state, so a second run is a
no-op by construction: it reports "already" and leaves the Doc untouched.

Every operation takes a Doc and returns (new Doc, "applied" | "already"). The edits are
splices computed from exact node spans; nothing outside the touched nodes is re-serialized.
The operations live by family (valueops: set_text, set_attr; treeops: ensure, replace_children, remove;
commentops: comment_out, uncomment; nsops: remove_attr, declare_ns, remove_ns); this module names and dispatches.
"""

from __future__ import annotations

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


def apply_op(doc: Doc, op: Op) -> tuple[Doc, Outcome]:
    if isinstance(op, SetText):
        return set_text(doc, op)
    if isinstance(op, SetAttr):
        return set_attr(doc, op)
    if isinstance(op, Ensure):
        return ensure(doc, op)
    if isinstance(op, ReplaceChildren):
        return replace_children(doc, op)
    if isinstance(op, CommentOut):
        return comment_out(doc, op)
    if isinstance(op, Remove):
        return remove(doc, op)
    if isinstance(op, RemoveAttr):
        return remove_attr(doc, op)
    if isinstance(op, DeclareNs):
        return declare_ns(doc, op)
    if isinstance(op, RemoveNs):
        return remove_ns(doc, op)
    return uncomment(doc, op)
