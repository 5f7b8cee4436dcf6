"""wso2patch check: the cluster's rules across nodes, and with --db every datasource against its live server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.checks import jar_dirs, mysql_jars
from wso2patch.cluster import Finding, check_cluster, check_home_alone
from wso2patch.commands import Block, Result, Table
from wso2patch.detect import detect_supported
from wso2patch.effective import Effective, load
from wso2patch.errors import ExitCode, UsageError
from wso2patch.spec import Spec, find_spec
from wso2patch.workflow import diff_targets
from wso2patch.workflow_locks import require_finished
from wso2patch.workflow_plan import plan_node

_LEVEL_STYLES = {"error": "red", "warning": "yellow", "ok": "green"}


@dataclass(frozen=True)
class DatasourceCheck:
    name: str
    jndi: str
    url: str  # any password in it masked
    ok: bool | None  # None: not checked (not MySQL, or a secure-vault password)
    detail: str


@dataclass(frozen=True)
class NodeDatasources:
    node: int | None  # None: a lone --home checked without a spec
    home: Path
    results: list[DatasourceCheck]


@dataclass(kw_only=True)
class CheckResult(Result):
    command: ClassVar[str] = "check"
    status: Literal["ok", "failed"]
    planned: bool  # the rules ran on the files as apply would write them
    findings: list[Finding] | None  # a lone home without a spec: its own rules only (the secure vault)
    datasources: list[NodeDatasources] | None  # None: --db not asked

    def human(self) -> list[Block]:
        out: list[Block] = []
        if self.findings is not None:
            out.append(Table("cluster" + (" (as apply would write it)" if self.planned else ""),
                             ("level", "rule", "node", "finding", "file", "line", "element"),
                             [(f.level, f.rule, str(f.node or "all"), f.message, f.file or "", str(f.line or ""),
                               f.element or "") for f in self.findings],
                             [_LEVEL_STYLES[f.level] for f in self.findings]))
        for n in self.datasources or []:
            out.append(Table(f"node {n.node} ({n.home})" if n.node is not None else str(n.home),
                             ("datasource", "JNDI name", "URL", "result"),
                             [(r.name, r.jndi, r.url, r.detail if r.ok is not False else f"error: {r.detail}")
                              for r in n.results],
                             ["green" if r.ok else "dim" if r.ok is None else "red" for r in n.results]))
        return out


def wants_spec(spec: Path | None, home: Path | None) -> bool:
    """A lone --home with no spec given or found is checked without one (the driver and --db checks only)."""
    return spec is not None or home is None or find_spec(None).is_file()


def check(spec: Spec | None, *, node: int | None = None, home: Path | Sequence[Path] | None = None,
          planned: bool = False, db: bool = False) -> CheckResult:
    """With a spec: its nodes (or one). Without one: the homes given, numbered in order; several form a cluster
    that is checked from their files alone, a lone one gets its own rules (the secure vault), the driver and --db
    checks."""
    given = [home] if isinstance(home, Path) else list(home or [])
    if spec is not None and len(given) > 1:
        raise UsageError("several --home are for a cluster without a spec; with a spec, give --node",
                         option="--home")
    if spec is None:
        homes: list[tuple[int | None, Path]] = [(node, h) for h in given or [Path(".")]]
    elif given:
        homes = [(node, given[0])]
    else:
        homes = [(n, h) for n, h in diff_targets(spec, None, None) if node is None or n == node]
    configs: dict[int, Effective] = {}
    warnings = []
    confs: list[str] = []  # each home's config root, for the profile its node runs (a lone home: the main one)
    for i, (node_id, node_home) in enumerate(homes, 1):
        # the node's product and profile (the spec's; without a spec the main one) says where its config root is
        # and which files and rules apply; a product apply refuses is refused here too
        product = detect_supported(node_home, spec.node(node_id).profile if spec is not None and node_id is not None
                                   else None)
        confs.append(product.conf)
        require_finished(node_home)
        if spec is not None and node_id is not None:
            written = plan_node(spec, node_id, node_home).planned if planned else None
            configs[node_id] = load(node_home, written, product)
        elif spec is None and len(homes) > 1:
            configs[i] = load(node_home, None, product)
        elif len(homes) == 1 and not mysql_jars(node_home, product):
            # several: the cluster's driver rule says it
            warnings.append(f"{node_home}: no mysql-connector-*.jar in {jar_dirs(product)[1]}: the node cannot load "
                            "com.mysql.jdbc.Driver; add it with 'wso2patch apply --jdbc-driver PATH.jar'")
    findings = check_cluster(spec, configs) if spec is not None or len(homes) > 1 else \
        check_home_alone(homes[0][1], product)
    datasources = [_datasources(n, h, conf) for (n, h), conf in zip(homes, confs, strict=True)] if db else None
    failed = any(f.level == "error" for f in findings or []) or \
        any(r.ok is False for n in datasources or [] for r in n.results)
    return CheckResult(status="failed" if failed else "ok", exit_code=ExitCode.PENDING if failed else ExitCode.OK,
                       warnings=warnings, planned=planned, findings=findings, datasources=datasources)


def _datasources(node: int | None, home: Path, conf: str) -> NodeDatasources:
    from wso2patch.datasources import check as check_datasource  # PyMySQL: only when checking
    from wso2patch.datasources import mask_url, read_datasources

    results = [check_datasource(ds) for ds in read_datasources(home, conf)]
    return NodeDatasources(node, home, [DatasourceCheck(r.datasource.name, r.datasource.jndi,
                                                        mask_url(r.datasource.url), r.ok, r.detail)
                                        for r in results])
