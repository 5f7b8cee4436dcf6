"""The loaded cluster spec: its nodes and the values patch templates get for each (loaded and checked by spec.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wso2patch import hosts, spec_cluster, spec_site, spec_vault
from wso2patch.errors import SpecError
from wso2patch.spec_cluster import Cluster, Registry
from wso2patch.spec_db import Database
from wso2patch.spec_site import SitePatches

SUB_DOMAINS = {"manager": "mgt", "worker": "worker"}  # axis2.xml clustering property subDomain, as WSO2 names them


@dataclass(frozen=True)
class Node:
    id: int
    host: str
    offset: int
    member_port: int
    home: Path | None
    profile: str | None = None  # the product profile the node runs (EI: integrator, broker); None: the main one
    role: str | None = None  # "manager" or "worker" (ESB, EI integrator); None: no manager/worker split

    @property
    def https_port(self) -> int:
        return 9443 + self.offset

    @property
    def url_host(self) -> str:
        return hosts.url_host(self.host)


@dataclass(frozen=True)
class Spec:
    path: Path
    sha256: str
    domain: str | None
    db: Database
    nodes: tuple[Node, ...]
    cluster: Cluster = spec_cluster.DEFAULT_CLUSTER
    registry: Registry = spec_cluster.DEFAULT_REGISTRY
    hazelcast: Mapping[str, str] | None = None  # [cluster.hazelcast], values as Java reads them; None: no table
    site: SitePatches = spec_site.NO_SITE_PATCHES  # [patches]
    vault: spec_vault.Vault = spec_vault.NO_VAULT  # [vault]

    def node(self, node_id: int) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        known = ", ".join(str(n.id) for n in self.nodes)
        raise SpecError(f"no [[node]] with id = {node_id}", where=self.path, hint=f"the spec has nodes {known}")

    def peers(self, node_id: int) -> list[Node]:
        return [n for n in self.nodes if n.id != node_id]

    def values(self, node_id: int) -> dict[str, str]:
        """The flat, dotted values patch templates may use for one node."""
        n = self.node(node_id)
        v = {"node.id": str(n.id), "node.host": n.host, "node.url_host": n.url_host, "node.offset": str(n.offset),
             "node.member_port": str(n.member_port), "node.https_port": str(n.https_port),
             **self.db.values(node_id), **self.cluster.values(n), **self.registry.values(), **self.vault.values(),
             "registry.read_only": "true" if n.role == "worker" else "false"}  # WSO2: workers mount read-only
        if n.role is not None:
            v["node.role"] = n.role
            v["node.sub_domain"] = SUB_DOMAINS[n.role]
        if self.domain is not None:
            v["cluster.domain"] = self.domain
        return v

    def peer_values(self, node_id: int) -> list[dict[str, str]]:
        return [{"peer.id": str(p.id), "peer.host": p.host, "peer.url_host": p.url_host,
                 "peer.member_port": str(p.member_port)}
                for p in self.peers(node_id)]

    def rows(self) -> dict[str, list[dict[str, str]]]:
        """The spec tables a patch may repeat an op over with for_each (variables.TABLES)."""
        return spec_site.rows(self.hazelcast)

