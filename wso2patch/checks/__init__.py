"""Cross-node rules: is the cluster consistent, node against node, as WSO2 would run it?

Each reachable node's effective configuration (its files, or the bytes a plan would write) is checked against
the others. With a spec, the nodes are the spec's, and a node whose home is not on this machine is represented by
its spec values; without one (`check --home A --home B ...`), the nodes are the homes given, each known by what
its own files say (localMemberHost, localMemberPort, the port offset), so hand-built and Puppet-built clusters are
checked from their files alone. A finding names the rule, its level (error, warning or ok), the node, and where
the thing it judges stands: the file (relative to the home), the element (an XPath) and the line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wso2patch import hosts
from wso2patch.effective import Effective, Where, load
from wso2patch.products import CLASSIC_CONF, Product
from wso2patch.spec import Spec


@dataclass(frozen=True)
class Finding:
    level: str  # error, warning, ok
    rule: str
    node: int | None  # None: the cluster as a whole
    message: str
    file: str | None = None  # relative to the node's home
    element: str | None = None  # XPath without namespace prefixes
    line: int | None = None
    home: Path | None = None

    @property
    def location(self) -> str:
        """file:line element, for a table cell ('' when the finding is about no one element)."""
        if self.file is None:
            return ""
        return f"{self.file}{f':{self.line}' if self.line else ''} {self.element or ''}".rstrip()


@dataclass(frozen=True)
class NodeView:
    """A node as the cluster sees it: what it announces (from its files where they are here, else the spec)."""

    id: int
    host: str  # localMemberHost
    port: str  # localMemberPort
    offset: str
    eff: Effective | None  # None: its home is not on this machine


@dataclass
class Ctx:
    spec: Spec | None
    nodes: list[NodeView]
    out: list[Finding] = field(default_factory=list)

    @property
    def here(self) -> list[NodeView]:
        """The nodes whose files are read."""
        return [n for n in self.nodes if n.eff is not None]

    @property
    def multi_host(self) -> bool:
        return len({hosts.key(n.host) for n in self.nodes}) > 1 or any(
            scheme(n.eff) in ("kubernetes", "aws") for n in self.here if n.eff is not None)

    def add(self, level: str, rule: str, node: NodeView | None, message: str, key: str | None = None,
            where: Where | None = None) -> None:
        eff = node.eff if node is not None else None
        if where is None and key is not None and eff is not None:
            where = eff.where.get(key)
        self.out.append(Finding(level, rule, node.id if node is not None else None, message,
                                where.file if where else None, where.element if where else None,
                                where.line if where else None, eff.home if eff is not None else None))


def scheme(eff: Effective | None) -> str:
    """The membership scheme a node runs: kubernetes/aws/wka/multicast, or the class Carbon loads."""
    if eff is None:
        return "wka"
    cls = eff.get("axis2.clustering.parameter[membershipSchemeClassName]") or ""
    if cls.endswith(".KubernetesMembershipScheme"):
        return "kubernetes"
    return cls or (eff.get("axis2.clustering.parameter[membershipScheme]") or "").strip().lower()


def jar_dirs(product: Product | None) -> tuple[str, str]:
    """A node's dropins and lib folders, relative to its home: under repository/components, except on EI, whose
    profiles all load jars from the home's own dropins/ and lib/ (None: a repository/conf product)."""
    base = "repository/components/" if product is None or product.conf == CLASSIC_CONF else ""
    return f"{base}dropins", f"{base}lib"


def mysql_jars(home: Path, product: Product | None) -> list[Path]:
    """MySQL Connector/J jars in the node's lib folder."""
    lib = home / jar_dirs(product)[1]
    return sorted(lib.glob("mysql-connector-*.jar")) if lib.is_dir() else []


def _views(spec: Spec | None, configs: Mapping[int, Effective]) -> list[NodeView]:
    def view(node: int, eff: Effective | None, host: str, port: str, offset: str) -> NodeView:
        if eff is not None:
            host = eff.get("axis2.clustering.parameter[localMemberHost]") or host
            port = eff.get("axis2.clustering.parameter[localMemberPort]") or port
            offset = eff.get("carbon.Ports.Offset") or offset
        return NodeView(node, host, port, offset, eff)

    if spec is not None:
        return [view(n.id, configs.get(n.id), n.host, str(n.member_port), str(n.offset)) for n in spec.nodes]
    return [view(i, eff, "", "4000", "0") for i, eff in sorted(configs.items())]  # Carbon's own defaults


def check_cluster(spec: Spec | None, configs: Mapping[int, Effective]) -> list[Finding]:
    """Every rule, over the spec's nodes (configs: node id -> effective config of the nodes here), or without a
    spec over the configs given (numbered as the caller numbers them, e.g. the order of --home)."""
    from wso2patch.checks import addresses, databases, membership, sameproduct, vault, workers

    ctx = Ctx(spec, _views(spec, configs))
    sameproduct.run(ctx)
    membership.run(ctx)
    addresses.run(ctx)
    databases.run(ctx)
    workers.run(ctx)
    vault.run(ctx)
    return ctx.out


def check_home_alone(home: Path, product: Product | None = None) -> list[Finding]:
    """`check --home A` without a spec: no cluster to judge, only the rules of one node (the secure vault)."""
    from wso2patch.checks import vault

    eff = Effective(home, product)  # the vault rules read the files themselves; no product: read as repository/conf
    ctx = Ctx(None, [NodeView(1, "", "4000", "0", eff)])
    vault.run(ctx)
    return ctx.out


def check_homes(homes: Sequence[Path]) -> list[Finding]:
    """`check --home A --home B ...` without a spec: the homes are the nodes 1, 2, ... in the order given."""
    return check_cluster(None, {i: load(h) for i, h in enumerate(homes, 1)})
