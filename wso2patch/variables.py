"""The names a patch template may use, in one place: the patch validator checks `{name}`, `when` and `unless`
against them at load, and a test checks that Spec.values()/peer_values() produce no other name.

Kept free of imports so that spec.py can use it later without importing the patch machinery.
"""

from __future__ import annotations

import difflib

DB_KINDS = ("user", "registry", "local", "mb_store")  # the databases every spec has, as [database.names] keys them
OPTIONAL_DB_KINDS = ("governance",)  # databases a spec may add ([database.names] governance)
PATTERNS = ("db.name.{kind}", "db.url.{kind}", "db.username.{kind}", "db.password.{kind}")  # per database kind

# Always present in a node's values.
NODE: frozenset[str] = frozenset({
    "node.id", "node.host", "node.url_host", "node.offset", "node.member_port", "node.https_port",
    "node.hostname", "node.mgt_hostname",  # carbon.xml HostName / MgtHostName: the load balancer's, else node's
    "cluster.membership",  # wka, kubernetes or aws
    "registry.config_path", "registry.governance_path",  # targetPath of the shared registry's two mounts
    "registry.read_only",  # readOnly of the shared registry's mounts: "true" on workers, else "false"
    "db.host", "db.port", "db.username", "db.password",
    "db.local",  # "mysql", or "embedded" when the local registries stay on each node's H2
    *(pattern.format(kind=kind) for pattern in PATTERNS for kind in DB_KINDS),
})
KUBERNETES = frozenset(f"cluster.kubernetes.{k}" for k in ("namespace", "services", "master",
                                                           "skip_ssl_verification", "use_dns"))
AWS = frozenset(f"cluster.aws.{k}" for k in ("access_key", "secret_key", "security_group", "region", "tag_key",
                                             "tag_value"))
ROLE = frozenset({"node.role", "node.sub_domain"})  # [[node]] role: manager (subDomain mgt) or worker
GOVERNANCE = frozenset(pattern.format(kind=kind) for pattern in PATTERNS for kind in OPTIONAL_DB_KINDS)
# Present only when the spec sets them: an op using one must be guarded by `when` naming it (or, for a
# family below, any name of its family).
OPTIONAL: frozenset[str] = frozenset({"cluster.domain", "db.options", "cluster.proxy_ports.http",
                                      "cluster.proxy_ports.https"}) | KUBERNETES | AWS | GOVERNANCE | ROLE
# Names that are set together: one of them in `when` guards all of them.
FAMILIES: tuple[frozenset[str], ...] = (GOVERNANCE, ROLE)
# The detected product of the node's home, added when a node is planned (never by the spec): always present then.
PRODUCT: frozenset[str] = frozenset({"product.key", "product.profile", "product.version"})
# One row per peer, only inside an op with `for_each = "peer"` (merged over the node's values).
PEER: frozenset[str] = frozenset({"peer.id", "peer.host", "peer.url_host", "peer.member_port"})
KNOWN: frozenset[str] = NODE | PRODUCT | OPTIONAL
# Spec tables of free-form keys: `when` may name one (the op is skipped when the spec has no such table), and
# `for_each` repeats an op once per key, in the spec's order, each row giving {item.key} and {item.value}.
ITEM: frozenset[str] = frozenset({"item.key", "item.value"})
TABLES: frozenset[str] = frozenset({"cluster.hazelcast"})
# What `for_each` may name, and the names each of its rows adds.
ROWS: dict[str, frozenset[str]] = {"peer": PEER, **{t: ITEM for t in sorted(TABLES)}}


def guarded(name: str, guard: str | None) -> bool:
    """Whether `when = guard` ensures that the optional name is set."""
    if guard is None:
        return False
    return name == guard or any(name in f and guard in f for f in FAMILIES)


def describe(names: frozenset[str]) -> str:
    """The names for a hint, the database ones folded into their patterns."""
    expanded = {pattern.format(kind=kind) for pattern in PATTERNS for kind in DB_KINDS + OPTIONAL_DB_KINDS}
    shown = sorted(names - expanded)
    if expanded & names:
        shown += [pattern.format(kind="<kind>") for pattern in PATTERNS]
        kinds = [k for k in DB_KINDS + OPTIONAL_DB_KINDS if f"db.url.{k}" in names]
        shown.append(f"<kind>: {', '.join(kinds)}")
    return ", ".join(shown)


def suggest(name: str, names: frozenset[str]) -> str:
    """A did-you-mean for an unknown name, else the list of known ones, in parentheses."""
    close = difflib.get_close_matches(name, sorted(names), n=1)
    return f"(did you mean {{{close[0]}}}?)" if close else f"(known: {describe(names)})"
