"""`check` on ESB and the EI integrator: files read under each product's config root, and the manager/worker rules
judged from the files (subDomain, clusteringPattern, the registry's readOnly), with and without a spec, on disk and
as apply would write them. Clusters are built by hand here (byte edits on copies of stock trees, or of our own
fixture homes), as an operator or Puppet would build them."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DIST, FIXTURES, copy_tree
from wso2patch.checks import Finding, check_cluster, check_homes, jar_dirs
from wso2patch.checks.workers import SUB_DOMAIN
from wso2patch.detect import detect
from wso2patch.effective import load
from wso2patch.spec import Spec, load_spec

ROLE_TREES = ("wso2ei-6.1.1", "wso2ei-6.4.0", "wso2ei-6.6.0", "wso2esb-4.9.0", "wso2esb-5.0.0")
NO_TREE = "../shared/wso2-dist/{} is not beside the repo: real stock trees are tested only where it is checked out"
SHARED_DS = b"""        <datasource>
            <name>WSO2_SHARED_DB</name>
            <jndiConfig>
                <name>jdbc/WSO2SharedDB</name>
            </jndiConfig>
            <definition type="RDBMS">
                <configuration>
                    <url>jdbc:mysql://db.example.com:3306/wso2shared</url>
                    <username>wso2</username>
                    <password>x</password>
                    <driverClassName>com.mysql.jdbc.Driver</driverClassName>
                </configuration>
            </definition>
        </datasource>
"""
MOUNTS = """    <dbConfig name="sharedregistry">
        <dataSource>jdbc/WSO2SharedDB</dataSource>
    </dbConfig>
    <remoteInstance url="https://localhost:9443/registry">
        <id>shared</id>
        <dbConfig>sharedregistry</dbConfig>
        <readOnly>{read_only}</readOnly>
        <enableCache>true</enableCache>
        <registryRoot>/</registryRoot>
    </remoteInstance>
    <mount path="/_system/config" overwrite="true">
        <instanceId>shared</instanceId>
        <targetPath>/_system/config/ei</targetPath>
    </mount>
    <mount path="/_system/governance" overwrite="true">
        <instanceId>shared</instanceId>
        <targetPath>/_system/governance</targetPath>
    </mount>
"""


def tree_params() -> list[object]:
    return [pytest.param(DIST / n, id=n, marks=[] if (DIST / n).is_dir() else
                         pytest.mark.skip(reason=NO_TREE.format(n))) for n in ROLE_TREES]


def fixture_home(kind: str, dest: Path) -> Path:
    """An ESB or EI home from our own fixtures: the product's carbon.xml, the Carbon fixture's other files (same
    clustering block shapes as stock: a properties parameter, no subDomain) under the product's config root."""
    home = copy_tree(FIXTURES / f"{kind}-home", dest)
    conf = home / ("conf" if kind == "ei" else "repository/conf")
    src = FIXTURES / "carbon-home/repository/conf"
    for rel in ("axis2/axis2.xml", "datasources/master-datasources.xml", "registry.xml", "user-mgt.xml"):
        (conf / rel).parent.mkdir(parents=True, exist_ok=True)
        (conf / rel).write_bytes((src / rel).read_bytes())
    return home


def _sub(path: Path, pattern: bytes, new: bytes, flags: int = 0) -> None:
    raw = path.read_bytes()
    out, n = re.subn(pattern, new, raw, count=1, flags=flags)
    assert n == 1, (path, pattern)
    path.write_bytes(out)


def clusterize(homes: list[Path], roles: list[str | None], pattern: str | None = None,
               read_only: list[bool] | None = None) -> None:
    """Turn copies of one home into a cluster by hand: clustering on (wka, each its member port, one member list),
    each its port offset, a shared MySQL user store and registry mounts, the driver jar; `roles` the subDomain of
    each node (None: none), `pattern` the clusteringPattern to set, read_only each node's remoteInstance readOnly
    (default: true on workers)."""
    member = (b"            <member>\n                <hostName>127.0.0.1</hostName>\n"
              b"                <port>%d</port>\n            </member>\n")
    members = b"".join(member % (4100 + j) for j in range(len(homes)))
    for i, (home, role) in enumerate(zip(homes, roles, strict=True)):
        product = detect(home)
        conf = home / product.conf
        axis2 = conf / "axis2/axis2.xml"
        _sub(axis2, rb'(<clustering class="[^"]*"\s+enable=")false"', rb'\1true"')
        raw = axis2.read_bytes()
        axis2.write_bytes(raw.replace(b'<parameter name="membershipScheme">multicast</parameter>',
                                      b'<parameter name="membershipScheme">wka</parameter>', 1))
        _sub(axis2, rb'(<parameter name="localMemberPort">)\d+(</parameter>)', rb"\g<1>%d\2" % (4100 + i))
        _sub(axis2, rb"<members>.*?</members>", b"<members>\n" + members + b"        </members>", re.S)
        if role is not None:
            _sub(axis2, rb'(<property name="mgtConsoleURL"[^>]*/>\r?\n)',
                 rb'\1            <property name="subDomain" value="%s"/>' % role.encode() + b"\n")
        if pattern is not None:
            if b'name="clusteringPattern"' in axis2.read_bytes():
                _sub(axis2, rb'(<parameter name="clusteringPattern">)[^<]*', rb"\g<1>" + pattern.encode())
            else:  # ESB 4.9 ships none
                _sub(axis2, rb'(enable="true">\r?\n)',
                     rb'\1        <parameter name="clusteringPattern">%s</parameter>' % pattern.encode() + b"\n")
        _sub(conf / "carbon.xml", rb"<Offset>0</Offset>", b"<Offset>%d</Offset>" % i)
        _sub(conf / "datasources/master-datasources.xml", rb"(\r?\n)(    </datasources>)", rb"\1" + SHARED_DS + rb"\2")
        _sub(conf / "user-mgt.xml", rb'(<Property name="dataSource">)jdbc/WSO2CarbonDB', rb"\1jdbc/WSO2SharedDB")
        ro = read_only[i] if read_only is not None else role == "worker"
        registry = conf / "registry.xml"
        eol = b"\r\n" if b"\r\n" in registry.read_bytes() else b"\n"
        block = MOUNTS.format(read_only=str(ro).lower()).encode().replace(b"\n", eol)
        _sub(registry, rb"</wso2registry>", block + b"</wso2registry>")
        lib = home / jar_dirs(product)[1]
        lib.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(lib / "mysql-connector-java-5.1.49.jar", "w") as z:
            z.writestr("com/mysql/jdbc/Driver.class", b"")


def make(src: Path, tmp: Path, roles: list[str | None], pattern: str | None = None,
         read_only: list[bool] | None = None) -> list[Path]:
    homes = [copy_tree(src, tmp / f"n{i}") for i in range(1, len(roles) + 1)]
    clusterize(homes, roles, pattern, read_only)
    return homes


def problems(findings: list[Finding]) -> list[tuple[str, str, int | None, str]]:
    return [(f.level, f.rule, f.node, f.message) for f in findings if f.level != "ok"]


def spec_for(tmp: Path, homes: list[Path], roles: list[str | None]) -> Spec:
    """A spec for hand-built homes, each node's role set (the spec's role field is parsed by the engine)."""
    path = tmp / "wso2patch.toml"
    nodes = "".join(f'[[node]]\nid = {i}\nhost = "127.0.0.1"\noffset = {i - 1}\nmember_port = {4099 + i}\n'
                    f'home = "{h}"\n' for i, h in enumerate(homes, 1))
    path.write_text(f'[database]\nhost = "db.example.com"\nusername = "wso2"\npassword = "x"\n{nodes}',
                    encoding="utf-8")
    spec = load_spec(path)
    return dataclasses.replace(spec, nodes=tuple(dataclasses.replace(n, role=r)
                                                 for n, r in zip(spec.nodes, roles, strict=True)))


# --- clean clusters -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tree", tree_params())
def test_a_stock_two_node_cluster_built_by_hand_is_clean(tree: Path, tmp_path: Path) -> None:
    homes = make(tree, tmp_path, [None, None])
    findings = check_homes(homes)
    conf = detect(homes[0]).conf
    # ESB 5.0 ships WorkerManager: without roles only -DworkerNode=true nodes run tasks, worth a warning
    want = [("warning", "clustering-pattern", i, f) for i in (1, 2) for f in
            ["clusteringPattern WorkerManager, but no node has a subDomain: only a node started with "
             "-DworkerNode=true runs scheduled tasks and message processors; give the nodes roles, or set "
             "nonWorkerManager"]] if tree.name == "wso2esb-5.0.0" else []
    assert problems(findings) == want
    assert f"{conf}/axis2/axis2.xml" in {f.file for f in findings}
    assert all(f.file.startswith(f"{conf}/") for f in findings if f.file)
    assert not {f.rule for f in findings} & {"role-layout", "worker-registry", "spec-role"}


@pytest.mark.parametrize("tree", tree_params())
def test_a_manager_and_two_workers_built_by_hand_are_clean(tree: Path, tmp_path: Path) -> None:
    roles: list[str | None] = ["mgt", "worker", "worker"]
    homes = make(tree, tmp_path, roles, pattern="WorkerManager")
    findings = check_homes(homes)
    assert problems(findings) == []
    ok = {(f.rule, f.node): f.message for f in findings}
    assert ok["role-layout", None] == ("node 1 is the manager, nodes 2, 3 are workers; start workers with "
                                       "-DworkerNode=true (only they run scheduled tasks)")
    assert ok["worker-registry", 2] == ("read-only registry mounts (/_system/config, /_system/governance), as a "
                                        "worker's should be")
    assert ok["worker-registry", 1].startswith("writable registry mounts")
    assert ok["clustering-pattern", 1] == "clusteringPattern WorkerManager"
    spec = spec_for(tmp_path, homes, ["manager", "worker", "worker"])
    with_spec = check_cluster(spec, {n.id: load(h) for n, h in zip(spec.nodes, homes, strict=True)})
    assert problems(with_spec) == []
    assert {f.message for f in with_spec if f.rule == "spec-role"} == {"subDomain mgt, as the spec's role manager",
                                                                       "subDomain worker, as the spec's role worker"}


# --- each rule fires (our own fixture homes: always run) -----------------------------------------------------

@pytest.fixture(params=["ei", "esb"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def fixture_cluster(kind: str, tmp: Path, roles: list[str | None], pattern: str | None = None,
                    read_only: list[bool] | None = None) -> list[Path]:
    return make(fixture_home(kind, tmp / "src"), tmp, roles, pattern, read_only)


def test_fixture_role_cluster_is_clean(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, ["mgt", "worker"], pattern="WorkerManager")
    findings = check_homes(homes)
    assert problems(findings) == []
    where = next(f for f in findings if f.rule == "clustering-pattern" and f.node == 1)
    assert where.file == f"{'conf' if kind == 'ei' else 'repository/conf'}/axis2/axis2.xml"
    assert where.element == "/axisconfig/clustering/parameter[@name='clusteringPattern']"


def test_mixed_roles_are_an_error(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, ["mgt", "worker", None], pattern="WorkerManager")
    (finding,) = [f for f in check_homes(homes) if f.level != "ok"]
    assert (finding.level, finding.rule, finding.node) == ("error", "role-layout", 3)
    assert finding.message == ("no subDomain, while nodes 1, 2 have one: in a manager/worker cluster every node is "
                               "the manager (mgt) or a worker")
    assert finding.element == "/axisconfig/clustering/parameter[@name='properties']"


def test_a_role_cluster_without_a_manager_is_an_error(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, ["worker", "worker"], pattern="WorkerManager")
    assert problems(check_homes(homes)) == [
        ("error", "role-layout", None, "no node is the manager (subDomain mgt): a manager/worker cluster has "
                                       "exactly one")]


def test_two_managers_are_an_error(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, ["mgt", "mgt", "worker"], pattern="WorkerManager")
    (finding,) = [f for f in check_homes(homes) if f.level != "ok"]
    assert (finding.level, finding.rule, finding.node) == ("error", "role-layout", 2)
    assert finding.message == ("nodes 1, 2 are all managers (subDomain mgt): a manager/worker cluster has exactly "
                               "one; make the others workers")
    assert finding.element == "/axisconfig/clustering/parameter[@name='properties']/property[@name='subDomain']/@value"


def test_an_unknown_sub_domain_is_an_error(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, ["mgt", "manager"], pattern="WorkerManager")
    assert problems(check_homes(homes)) == [
        ("error", "role-layout", 2, "subDomain 'manager': a node is the manager (mgt) or a worker (worker)")]


def test_worker_manager_without_roles_warns(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, [None, None], pattern="WorkerManager")
    assert [(f.level, f.rule, f.node) for f in check_homes(homes) if f.level != "ok"] == [
        ("warning", "clustering-pattern", 1), ("warning", "clustering-pattern", 2)]
    plain = fixture_cluster(kind, tmp_path / "plain", [None, None], pattern="nonWorkerManager")
    assert problems(check_homes(plain)) == []


def test_a_manager_that_runs_tasks_warns(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, ["mgt", "worker"], pattern="nonWorkerManager")
    assert problems(check_homes(homes)) == [
        ("warning", "clustering-pattern", 1, "the manager's clusteringPattern is nonWorkerManager: it runs scheduled "
                                             "tasks and message processors too; set WorkerManager")]


def test_a_writable_worker_mount_warns(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, ["mgt", "worker"], pattern="WorkerManager", read_only=[True, False])
    found = [f for f in check_homes(homes) if f.level != "ok"]
    assert [(f.level, f.rule, f.node) for f in found] == [("warning", "worker-registry", 1)] * 2 + \
        [("warning", "worker-registry", 2)] * 2
    assert found[2].message == ("a worker mounts /_system/config through remoteInstance shared with "
                                "<readOnly>false</readOnly>: WSO2 requires read-only registry mounts on workers (only "
                                "the manager writes); set readOnly true")
    assert found[2].file == f"{'conf' if kind == 'ei' else 'repository/conf'}/registry.xml"
    assert found[2].element == "/wso2registry/remoteInstance[id='shared']/readOnly"
    assert found[0].message.startswith("the manager mounts /_system/config through remoteInstance shared read-only")


def test_the_spec_role_must_match_the_files(kind: str, tmp_path: Path) -> None:
    homes = fixture_cluster(kind, tmp_path, ["mgt", "worker", None], pattern="WorkerManager")
    spec = spec_for(tmp_path, homes, ["worker", "worker", "worker"])
    found = check_cluster(spec, {n.id: load(h) for n, h in zip(spec.nodes, homes, strict=True)})
    assert [p for p in problems(found) if p[1] == "spec-role"] == [
        ("error", "spec-role", 1, "the spec makes node 1 a worker, but its axis2.xml says subDomain mgt: apply the "
                                  "spec, or fix its role"),
        ("error", "spec-role", 3, "the spec makes node 3 a worker, but its axis2.xml has no subDomain: apply the "
                                  "spec, or fix its role")]
    no_roles = spec_for(tmp_path, homes, [None, None, None])
    found = check_cluster(no_roles, {n.id: load(h) for n, h in zip(no_roles.nodes, homes, strict=True)})
    assert ("error", "spec-role", 2, "the spec gives node 2 no role, but its axis2.xml says subDomain worker: apply "
                                     "the spec, or fix its role") in problems(found)


def test_a_node_elsewhere_counts_with_its_spec_role(tmp_path: Path) -> None:
    homes = fixture_cluster("esb", tmp_path, ["mgt", "worker", "worker"], pattern="WorkerManager")
    spec = spec_for(tmp_path, homes, ["manager", "worker", "manager"])
    found = check_cluster(spec, {n.id: load(h) for n, h in zip(spec.nodes, homes[:2], strict=False)})
    assert [p for p in problems(found) if p[1] == "role-layout"] == [
        ("error", "role-layout", 3, "nodes 1, 3 are all managers (subDomain mgt): a manager/worker cluster has "
                                    "exactly one; make the others workers")]


def test_mb_and_carbon_stock_sub_domain_is_no_role(tmp_path: Path) -> None:
    """MB and Carbon ship `subDomain worker` on every node: no manager/worker rules there."""
    homes = [copy_tree(FIXTURES / "mb-home", tmp_path / f"mb{i}") for i in (1, 2)]
    for h in homes:
        raw = (h / "repository/conf/axis2/axis2.xml").read_bytes()
        if b'name="subDomain" value="worker"/>' not in raw:
            _sub(h / "repository/conf/axis2/axis2.xml", rb'(<property name="mgtConsoleURL"[^>]*/>\r?\n)',
                 rb'\1            <property name="subDomain" value="worker"/>' + b"\n")
        assert load(h).get(SUB_DOMAIN) == "worker"
    spec = spec_for(tmp_path, homes, ["worker", None])
    found = check_cluster(spec, {n.id: load(h) for n, h in zip(spec.nodes, homes, strict=True)})
    assert not {f.rule for f in found} & {"role-layout", "clustering-pattern", "worker-registry"}
    assert [p for p in problems(found) if p[1] == "spec-role"] == [
        ("error", "spec-role", 1, "the spec makes node 1 a worker, but WSO2 Message Broker 3.2.0 has no "
                                  "manager/worker roles (ESB and the EI integrator have)")]


# --- as apply would write it ---------------------------------------------------------------------------------

def test_planned_bytes_with_a_broken_role_layout_are_caught(kind: str, tmp_path: Path) -> None:
    """check --planned judges the bytes a plan would write (keyed by path relative to the home, under the
    product's config root), not the files on disk."""
    homes = fixture_cluster(kind, tmp_path, ["mgt", "worker"], pattern="WorkerManager")
    assert problems(check_homes(homes)) == []
    rel = f"{detect(homes[1]).conf}/axis2/axis2.xml"
    broken = (homes[1] / rel).read_bytes().replace(b'name="subDomain" value="worker"', b'name="subDomain" value="mgt"')
    found = check_cluster(None, {1: load(homes[0]), 2: load(homes[1], {rel: broken})})
    assert [p[:3] for p in problems(found) if p[0] == "error"] == [("error", "role-layout", 2)]
    assert (homes[1] / rel).read_bytes() != broken  # nothing written


def test_check_planned_feeds_the_plan_bytes_to_the_role_rules(kind: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The command path: each node's plan (its bytes keyed under the product's config root) reaches the rules."""
    from wso2patch.commands import check as command

    homes = fixture_cluster(kind, tmp_path, ["mgt", "worker"], pattern="WorkerManager")
    spec = spec_for(tmp_path, homes, ["manager", "worker"])
    rel = f"{detect(homes[0]).conf}/axis2/axis2.xml"

    @dataclasses.dataclass
    class Planned:
        planned: dict[str, bytes]

    def plan_node(spec_: Spec, node_id: int, home: Path) -> Planned:
        raw = (home / rel).read_bytes()
        return Planned({rel: raw.replace(b'name="subDomain" value="worker"', b'name="subDomain" value="mgt"')})

    monkeypatch.setattr(command, "plan_node", plan_node)
    result = command.check(spec, planned=True)
    assert result.status == "failed" and result.planned
    assert [(f.level, f.rule, f.node) for f in result.findings or [] if f.level == "error"] == [
        ("error", "spec-role", 2), ("error", "role-layout", 2)]
    assert command.check(spec).status == "ok"  # on disk the layout is fine

