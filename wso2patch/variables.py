"""The names a patch template may use, in one place: the patch validator checks `{name}` and `when`
against them at load, and a test checks that Spec.values()/peer_values() produce no other name.

Kept free of imports so that spec.py can use it later without importing the patch machinery.
"""

from __future__ import annotations

import difflib

DB_KINDS = ("user", "registry", "local", "mb_store")  # the databases, as [database.names] keys them
PATTERNS = ("db.name.{kind}", "db.url.{kind}")  # one name per database kind

# Always present in a node's values.
NODE: frozenset[str] = frozenset({
    "node.id", "node.host", "node.url_host", "node.offset", "node.member_port", "node.https_port",
    "db.host", "db.port", "db.username", "db.password",
    *(pattern.format(kind=kind) for pattern in PATTERNS for kind in DB_KINDS),
})
# Present only when the spec sets them: an op using one must be guarded by `when` naming it.
OPTIONAL: frozenset[str] = frozenset({"cluster.domain", "db.options"})
# One row per peer, only inside an op with `for_each = "peer"` (merged over the node's values).
PEER: frozenset[str] = frozenset({"peer.id", "peer.host", "peer.url_host", "peer.member_port"})
KNOWN: frozenset[str] = NODE | OPTIONAL
# Spec tables of free-form keys: `when` may name one (the op is skipped when the spec has no such table), and
# `for_each` repeats an op once per key, in the spec's order, each row giving {item.key} and {item.value}.
ITEM: frozenset[str] = frozenset({"item.key", "item.value"})
TABLES: frozenset[str] = frozenset({"cluster.hazelcast"})
# What `for_each` may name, and the names each of its rows adds.
ROWS: dict[str, frozenset[str]] = {"peer": PEER, **{t: ITEM for t in sorted(TABLES)}}


def describe(names: frozenset[str]) -> str:
    """The names for a hint, the database ones folded into their patterns."""
    expanded = {pattern.format(kind=kind) for pattern in PATTERNS for kind in DB_KINDS}
    shown = sorted(names - expanded)
    if expanded <= names:
        shown += [pattern.format(kind="<kind>") for pattern in PATTERNS]
        shown.append(f"<kind>: {', '.join(DB_KINDS)}")
    return ", ".join(shown)


def suggest(name: str, names: frozenset[str]) -> str:
    """A did-you-mean for an unknown name, else the list of known ones, in parentheses."""
    close = difflib.get_close_matches(name, sorted(names), n=1)
    return f"(did you mean {{{close[0]}}}?)" if close else f"(known: {describe(names)})"
