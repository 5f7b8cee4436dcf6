"""The whole patch set on real stock trees (../shared/wso2-dist) and on our own fixture homes:
the contract's values, zero noise outside the edits, stable plans, layout kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import all_tree_params
from wso2patch.plan import FilePlan, Plan
from wso2patch.spec import load_spec
from wso2patch.workflow_plan import plan_node
from wso2patch.xmlio import Doc

NS = {"c": "http://wso2.org/projects/carbon/carbon.xml"}
DS_BASE = "/datasources-configuration/datasources/datasource"
# Stock elements each file's edits may rewrite or remove (whole element), independent of the patch files.
TARGETS: dict[str, list[str]] = {
    "repository/conf/axis2/axis2.xml": [
        "/axisconfig/clustering/parameter[@name='membershipScheme' or @name='localMemberHost' or "
        "@name='localMemberPort' or @name='domain' or @name='clusteringPattern']",  # clusteringPattern: roles
        "/axisconfig/clustering/members/member"],
    "repository/conf/carbon.xml": ["/Server/Ports/Offset"],
    "repository/conf/datasources/master-datasources.xml": [
        f"{DS_BASE}[normalize-space(name)='WSO2_MB_STORE_DB']/definition/configuration/*"
        "[self::url or self::driverClassName or self::username or self::password]"],
    "repository/conf/user-mgt.xml": ["/UserManager/Realm/Configuration/Property[@name='dataSource']"],
    "repository/conf/broker.xml": ["/broker/coordination/thriftServerHost"],
    "repository/conf/registry.xml": [],
}


def target_key(rel: str) -> str:
    """The TARGETS name of a home-relative file: EI's config roots (conf/, wso2/<profile>/conf/) hold the files
    repository/conf/ holds on MB, Carbon and ESB."""
    return re.sub(r"^(?:conf|wso2/[^/]+/conf)/", "repository/conf/", rel)


def line_range(doc: Doc, node: Any) -> set[int]:
    s = doc.span(node)
    return set(range(doc.text.count("\n", 0, s.start), doc.text.count("\n", 0, s.end) + 1))


def allowed_lines(f: FilePlan) -> set[int]:
    doc = Doc(f.old, where=f.rel)
    allowed: set[int] = set()
    for xp in TARGETS[target_key(f.rel)]:
        for n in doc.xpath(xp):
            allowed |= line_range(doc, n)
    if f.rel.endswith("axis2.xml"):  # the start tag line holding enable="..."
        clustering = doc.xpath("/axisconfig/clustering")[0]
        s = doc.span(clustering)
        line = doc.text.count("\n", 0, doc.text.index("enable=", s.start, s.tag_end))
        allowed.add(line)
    for n in doc.xpath(f"{DS_BASE}[normalize-space(name)='WSO2_CARBON_DB']"):
        lines = sorted(line_range(doc, n))
        allowed |= {lines[0], lines[-1]}
    return allowed


def noise(f: FilePlan) -> list[str]:
    old, new = f.old.splitlines(keepends=True), f.new.splitlines(keepends=True)
    ok = allowed_lines(f)
    bad = []
    for tag, i1, i2, _, _ in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            bad += [f"{f.rel}:{i + 1}: {old[i]!r}" for i in range(i1, i2) if i not in ok]
    return bad


@pytest.fixture(params=all_tree_params())
def planned(request: pytest.FixtureRequest, cluster: Callable[[Path], tuple[Path, Path, Path]]
            ) -> tuple[Any, list[Plan]]:
    spec_path, h1, h2 = cluster(request.param)
    spec = load_spec(spec_path)
    return spec, [plan_node(spec, 1, h1), plan_node(spec, 2, h2)]


def test_zero_noise_lines_outside_the_edits(planned: tuple[Any, list[Plan]]) -> None:
    _, plans = planned
    for plan in plans:
        assert [f.rel for f in plan.files if not f.changed] == []
        assert [line for f in plan.changed for line in noise(f)] == []


def test_line_endings_first_line_and_final_newline_kept(planned: tuple[Any, list[Plan]]) -> None:
    for f in planned[1][0].changed:
        crlf = f.old.count(b"\r\n") == f.old.count(b"\n")
        assert (f.new.count(b"\r\n") == f.new.count(b"\n")) == crlf, f.rel
        assert f.new.splitlines()[0] == f.old.splitlines()[0], f.rel
        assert f.new.endswith(b"\n") == f.old.endswith(b"\n"), f.rel
        non_ascii = [line for line in f.old.splitlines() if any(b > 127 for b in line)]
        assert all(line in f.new.splitlines() for line in non_ascii), f.rel


def test_second_plan_on_the_result_changes_nothing(planned: tuple[Any, list[Plan]], tmp_path: Path) -> None:
    spec, plans = planned
    for plan in plans:
        for f in plan.changed:
            f.path.write_bytes(f.new)
        assert plan_node(spec, plan.node, plan.home).changed == []


def test_the_contract_values(planned: tuple[Any, list[Plan]]) -> None:
    spec, plans = planned
    for plan in plans:
        trees: dict[str, Any] = {f.rel.rsplit("/", 1)[-1]: etree.fromstring(f.new) for f in plan.files}
        node, peers = spec.node(plan.node), spec.peers(plan.node)
        ax = trees["axis2.xml"]
        assert ax.xpath("/axisconfig/clustering/@enable") == ["true"]
        params = {p.get("name"): p.text for p in ax.xpath("/axisconfig/clustering/parameter")}
        assert params["membershipScheme"] == "wka" and params["domain"] == "wso2.mb.domain"
        assert (params["localMemberHost"], params["localMemberPort"]) == (node.host, str(node.member_port))
        got = [(m.findtext("hostName"), m.findtext("port")) for m in ax.xpath("/axisconfig/clustering/members/member")]
        assert got == [(p.host, str(p.member_port)) for p in peers]
        carbon = trees["carbon.xml"]
        for tag in ("HostName", "MgtHostName"):
            (host,) = carbon.xpath(f"/c:Server/c:{tag}", namespaces=NS)
            assert host.text == node.host and host.getprevious().text.startswith(f"{tag}>")
        assert carbon.xpath("string(/c:Server/c:Ports/c:Offset)", namespaces=NS) == str(node.offset)
        ds = trees["master-datasources.xml"]
        active = {d.findtext("name"): d for d in ds.xpath(DS_BASE)}
        assert "WSO2_CARBON_DB" not in active
        for name, jndi, kind in (("REGISTRY_LOCAL" + str(node.id), "jdbc/WSO2CarbonDB", "local"),
                                 ("REGISTRY_DB", "jdbc/WSO2RegistryDB", "registry"),
                                 ("WSO2_USER_DB", "jdbc/WSO2UMDB", "user")):
            assert active[name].findtext("jndiConfig/name") == jndi
            assert active[name].findtext("definition/configuration/url") == spec.db.url(kind, node.id)
        assert trees["user-mgt.xml"].xpath("string(//Property[@name='dataSource'])") == "jdbc/WSO2UMDB"
        reg = trees["registry.xml"]
        assert reg.xpath("string(/wso2registry/remoteInstance/@url)") == f"https://{node.host}:{node.https_port}/registry"
        assert sorted(reg.xpath("/wso2registry/mount/@path")) == ["/_system/config", "/_system/governance"]
        if "broker.xml" in trees:
            assert trees["broker.xml"].xpath("string(//thriftServerHost)") == node.host
            store = active["WSO2_MB_STORE_DB"]
            assert store.findtext("definition/configuration/url") == spec.db.url("mb_store", node.id)
            assert store.findtext("definition/configuration/username") == "regadmin"
        else:
            assert "WSO2_MB_STORE_DB" not in active
