"""Java .properties files, edited byte-carefully: a Java-faithful lossless reader and idempotent operations."""

from wso2patch.properties.escapes import escape
from wso2patch.properties.ops import PropOp, RemoveProp, SetProp, apply_prop_op
from wso2patch.properties.reader import Comment, Entry, PropFile, parse

__all__ = ["Comment", "Entry", "PropFile", "PropOp", "RemoveProp", "SetProp", "apply_prop_op", "escape", "parse"]
