"""Java .properties files, edited byte-carefully: a Java-faithful lossless reader and idempotent operations.

The reader's names load on first use (module __getattr__): the engine imports the operations for every run, and
most runs edit no .properties file."""

from typing import TYPE_CHECKING, Any

from wso2patch.properties.escapes import escape
from wso2patch.properties.ops import PropOp, RemoveProp, SetProp, apply_prop_op

if TYPE_CHECKING:
    from wso2patch.properties.reader import Comment, Entry, PropFile, parse

__all__ = ["Comment", "Entry", "PropFile", "PropOp", "RemoveProp", "SetProp", "apply_prop_op", "escape", "parse"]
_READER = frozenset({"Comment", "Entry", "PropFile", "parse"})


def __getattr__(name: str) -> Any:
    if name in _READER:
        from wso2patch.properties import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
