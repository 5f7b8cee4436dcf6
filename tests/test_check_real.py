"""`check` against a real-style cluster it never built (fixtures/mb-lb-cluster: self-listed members, embedded H2
local registries, a product sub-path mount, load balancer host names, Puppet's datasource names): it passes from
the files alone, and each misconfiguration real clusters have is reported once, naming the file and the element."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, Cli, all_tree_params, copy_tree, snapshot
from tests.test_cluster import add_driver, edit
from wso2patch.checks import Finding, check_cluster, check_homes
from wso2patch.effective import load
from wso2patch.spec import Spec, load_spec

REAL = FIXTURES / "mb-lb-cluster"
AXIS2 = "repository/conf/axis2/axis2.xml"
CARBON = "repository/conf/carbon.xml"
DS = "repository/conf/datasources/master-datasources.xml"
REGISTRY = "repository/conf/registry.xml"
USERMGT = "repository/conf/user-mgt.xml"
BROKER = "repository/conf/broker.xml"
DSURL = "/datasources-configuration/datasources/datasource[name='{}']/definition/configuration/url"


@pytest.fixture
def homes(tmp_path: Path) -> list[Path]:
    out = [copy_tree(REAL / n, tmp_path / n) for n in ("mb1", "mb2", "mb3")]
    add_driver(*out)
    return out


def problems(findings: list[Finding]) -> list[tuple[str, str, int | None, str | None, str | None]]:
    return [(f.level, f.rule, f.node, f.file, f.element) for f in findings if f.level != "ok"]


def test_the_real_style_cluster_passes_from_its_files_alone(homes: list[Path]) -> None:
    findings = check_homes(homes)
    assert problems(findings) == []
    ok = {(f.rule, f.node): f.message for f in findings}
    assert ok["wka-members", 1] == "lists every other node (2) and itself (fine: Hazelcast skips its own address)"
    assert ok["local-registry", None] == ("every node has its own local registry database (embedded H2 on nodes "
                                          "1, 2, 3)")
    assert ok["registry-mounts", None] == ("every node mounts /_system/config at /_system/config/mb, "
                                           "/_system/governance at /_system/governance")
    assert ok["host-name", 3].endswith("(the load balancer's name, on every node)")
    assert {f.message for f in findings if f.rule == "shared-databases"} == {
        f"every node uses the same {what} database" for what in ("user store", "config registry",
                                                                   "governance registry", "MB store")}
    assert {f.rule for f in findings} >= {"clustering", "unique-member-port", "unique-offset", "cluster-domain",
                                          "member-host", "thrift-host", "jndi-references", "driver"}


def test_the_real_style_cluster_passes_against_its_spec(homes: list[Path], tmp_path: Path) -> None:
    """Before this issue, `check --spec` called each node's self-listing an error."""
    spec = _spec(tmp_path, homes)
    assert problems(check_cluster(spec, {n.id: load(h) for n, h in zip(spec.nodes, homes, strict=True)})) == []


def _spec(tmp_path: Path, homes: list[Path]) -> Spec:
    path = tmp_path / "wso2patch.toml"
    nodes = "".join(f'[[node]]\nid = {i}\nhost = "{host}"\noffset = {off}\nhome = "{h}"\n'
                    for i, (h, host, off) in enumerate(zip(homes, ("10.0.5.11", "10.0.5.12", "10.0.5.12"), (0, 0, 1),
                                                           strict=True), 1))
    path.write_text(f'[cluster]\ndomain = "wso2.mb.domain"\n[database]\nhost = "db.example.com"\nusername = "wso2mb"\n'
                    f'password = "x"\n{nodes}', encoding="utf-8")
    return load_spec(path)


@pytest.mark.parametrize("tree", all_tree_params())
def test_what_wso2patch_writes_passes_on_every_tree(cli: Cli, cluster: Callable[[Path], tuple[Path, Path, Path]],
                                                    tree: Path) -> None:
    """The new rules agree with wso2patch's own output, before it is written."""
    spec, h1, h2 = cluster(tree)
    add_driver(h1, h2)
    r = cli("check", "--spec", spec, "--planned", "--json")
    rows = json.loads(r.stdout)["findings"]
    assert [x for x in rows if x["level"] != "ok"] == [] and r.exit_code == 0


# --- each misconfiguration: one finding, naming the rule, the level, the node, the file and the element ---------
MEMBER_MB2 = (b"            <member>\n                <hostName>10.0.5.12</hostName>\n"
              b"                <port>4000</port>\n            </member>\n")
BROKEN = {
    "peer-missing": (0, AXIS2, MEMBER_MB2, b"", ("error", "wka-members", 1, AXIS2, "/axisconfig/clustering/members")),
    "wrong-port": (0, AXIS2, b"<port>4001</port>", b"<port>4002</port>",
                   ("error", "wka-members", 1, AXIS2, "/axisconfig/clustering/members")),
    "no-node-of-the-cluster": (0, AXIS2, b"<members>", b"<members><member><hostName>10.0.5.99</hostName><port>4000"
                               b"</port></member>", ("warning", "wka-members", 1, AXIS2,
                                                     "/axisconfig/clustering/members")),
    "different-mb-store": (2, DS, b"/WSO2_MB_STORE_DB?", b"/WSO2_MB_STORE_DB_3?",
                           ("error", "shared-databases", 3, DS, DSURL.format("WSO2_MB_STORE_DB"))),
    "user-store-on-embedded-h2": (2, USERMGT, b'"dataSource">jdbc/WSO2_USER_DB<', b'"dataSource">jdbc/WSO2CarbonDB<',
                                  ("error", "shared-databases", 3, DS, DSURL.format("WSO2_CARBON_DB"))),
    "different-domain": (1, AXIS2, b'"domain">wso2.mb.domain<', b'"domain">wso2.mb2.domain<',
                         ("error", "cluster-domain", 2, AXIS2, "/axisconfig/clustering/parameter[@name='domain']")),
    "thrift-localhost": (0, BROKER, b">10.0.5.11<", b">localhost<",
                         ("error", "thrift-host", 1, BROKER, "/broker/coordination/thriftServerHost")),
    "thrift-127.0.0.1": (1, BROKER, b">10.0.5.12<", b">127.0.0.1<",
                         ("error", "thrift-host", 2, BROKER, "/broker/coordination/thriftServerHost")),
    "thrift-0.0.0.0": (2, BROKER, b">10.0.5.12<", b">0.0.0.0<",
                       ("error", "thrift-host", 3, BROKER, "/broker/coordination/thriftServerHost")),
    "thrift-another-node": (2, BROKER, b">10.0.5.12<", b">10.0.5.11<",
                            ("error", "thrift-host", 3, BROKER, "/broker/coordination/thriftServerHost")),
    "host-name-another-node": (2, CARBON, b"<HostName>mb.example.com<", b"<HostName>10.0.5.11<",
                               ("error", "host-name", 3, CARBON, "/Server/HostName")),
    "host-name-own-address": (1, CARBON, b"<HostName>mb.example.com<", b"<HostName>10.0.5.12<",
                              ("error", "host-name", 2, CARBON, "/Server/HostName")),
    "mgt-host-name-own-address": (0, CARBON, b"<MgtHostName>mb.example.com<", b"<MgtHostName>10.0.5.11<",
                                  ("error", "host-name", 1, CARBON, "/Server/MgtHostName")),
    "mount-path-differs": (1, REGISTRY, b"<targetPath>/_system/config/mb<", b"<targetPath>/_system/config<",
                           ("error", "registry-mounts", 2, REGISTRY,
                            "/wso2registry/mount[@path='/_system/config']/targetPath")),
    "mount-broken": (0, REGISTRY, b"<instanceId>WSO2_REG_DB<", b"<instanceId>WSO2_GOV<",
                     ("error", "registry-mounts", 1, REGISTRY,
                      "/wso2registry/mount[@path='/_system/governance']/instanceId")),
    "member-host-loopback": (1, AXIS2, b'"localMemberHost">10.0.5.12<', b'"localMemberHost">127.0.0.1<',
                             None),  # also every peer list misses it: see the test below
}


@pytest.mark.parametrize("case", [k for k, v in BROKEN.items() if v[4] is not None])
def test_each_misconfiguration_is_one_finding(homes: list[Path], case: str) -> None:
    node, rel, old, new, want = BROKEN[case]
    edit(homes[node] / rel, old, new)
    findings = check_homes(homes)
    assert problems(findings) == [want]
    (bad,) = [f for f in findings if f.level != "ok"]
    assert bad.home == homes[node] and bad.line is not None and bad.line > 1


def test_messages_say_what_is_wrong(homes: list[Path]) -> None:
    def after(case: str) -> str:
        node, rel, old, new, _ = BROKEN[case]
        raw = (homes[node] / rel).read_bytes()
        edit(homes[node] / rel, old, new)
        message = next(f.message for f in check_homes(homes) if f.level != "ok")
        (homes[node] / rel).write_bytes(raw)
        return message

    assert after("wrong-port") == ("misses 10.0.5.12:4001; lists wrong ports: 10.0.5.12:4002 (nodes on that host "
                                   "listen on 4000, 4001)")
    assert after("peer-missing") == "misses 10.0.5.12:4000"
    assert after("different-domain") == ("domain wso2.mb2.domain, while the cluster's is wso2.mb.domain: nodes in "
                                         "different domains form separate clusters")
    assert after("host-name-another-node").startswith("HostName 10.0.5.11 is node 1's address instead of the load "
                                                      "balancer's mb.example.com")
    assert after("host-name-own-address").startswith("HostName 10.0.5.12, while the load balancer's name "
                                                     "mb.example.com is on the other nodes")
    assert after("mount-path-differs") == ("mounts /_system/config at /_system/config, while nodes 1, 3 mount it at "
                                           "/_system/config/mb")
    assert after("user-store-on-embedded-h2").startswith("the user store (user-mgt.xml -> jdbc/WSO2CarbonDB) is this "
                                                         "node's own embedded H2 (jdbc:h2:repository/database/")
    assert "WSO2_MB_STORE_DB_3" in after("different-mb-store")


def test_a_loopback_member_host_is_an_error_when_nodes_span_hosts(homes: list[Path]) -> None:
    node, rel, old, new, _ = BROKEN["member-host-loopback"]
    edit(homes[node] / rel, old, new)
    errors = {(f.rule, f.node): f.message for f in check_homes(homes) if f.level == "error"}
    assert errors["member-host", 2] == ("localMemberHost 127.0.0.1 is a loopback address; nodes on other hosts "
                                        "cannot reach it")
    assert errors["wka-members", 1].startswith("misses 127.0.0.1:4000; lists wrong ports: 10.0.5.12:4000")


def test_a_member_that_is_no_node_of_the_spec_is_an_error(homes: list[Path], tmp_path: Path) -> None:
    node, rel, old, new, _ = BROKEN["no-node-of-the-cluster"]
    edit(homes[node] / rel, old, new)
    spec = _spec(tmp_path, homes)
    findings = check_cluster(spec, {i: load(h) for i, h in enumerate(homes, 1)})
    assert [(f.level, f.rule, f.node, f.message) for f in findings if f.level != "ok"] == [
        ("error", "wka-members", 1, "lists unknown members 10.0.5.99:4000")]


def test_local_registries_on_one_database_are_shared(homes: list[Path]) -> None:
    for h in homes[1:]:
        edit(h / DS, b"jdbc:h2:repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=60000",
             b"jdbc:mysql://db.example.com/REGISTRY_LOCAL")
    assert problems(check_homes(homes)) == [("error", "local-registry", 3, DS, DSURL.format("WSO2_CARBON_DB"))]


def test_a_two_node_load_balancer_name_on_one_node_only_is_a_warning(homes: list[Path]) -> None:
    """With two nodes the files cannot tell a load balancer from node 1's own DNS name: said, not failed."""
    for h in homes[:2]:
        edit(h / AXIS2, MEMBER_MB2.replace(b"4000", b"4001"), b"")  # the pair lists no third node
    edit(homes[1] / CARBON, b"<HostName>mb.example.com<", b"<HostName>10.0.5.12<")
    assert problems(check_homes(homes[:2])) == [("warning", "host-name", 2, CARBON, "/Server/HostName")]


def test_the_same_database_spelled_differently_is_one_database(homes: list[Path]) -> None:
    edit(homes[1] / DS, b"db.example.com:3306/WSO2_USER_DB?autoReconnect=true&amp;useSSL=false",
         b"DB.example.com/WSO2_USER_DB")
    assert problems(check_homes(homes)) == []


# --- membership schemes other than wka ---------------------------------------------------------------------------
KUBERNETES = b"org.wso2.carbon.membership.scheme.kubernetes.KubernetesMembershipScheme"
SCHEME_KEY = "/axisconfig/clustering/parameter[@name='membershipSchemeClassName']"


def _scheme(homes: list[Path], parameters: bytes) -> None:
    for h in homes:
        edit(h / AXIS2, b'<parameter name="membershipScheme">wka</parameter>', parameters)


def _jar(path: Path, *entries: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for e in entries:
            z.writestr(e, b"")


def test_kubernetes_scheme_warns_until_its_jar_and_dnsjava_are_there(homes: list[Path]) -> None:
    _scheme(homes, b'<parameter name="membershipScheme">kubernetes</parameter>\n        <parameter name='
            b'"membershipSchemeClassName">' + KUBERNETES + b'</parameter>\n        <parameter name="KUBERNETES_'
            b'NAMESPACE">wso2</parameter>')
    assert problems(check_homes(homes)) == [("warning", "membership-jar", i, AXIS2, SCHEME_KEY) for i in (1, 2, 3)]
    for h in homes:
        _jar(h / "repository/components/dropins/kubernetes-membership-scheme-1.0.5.jar",
             KUBERNETES.decode().replace(".", "/") + ".class")
    assert {(f.level, f.message) for f in check_homes(homes) if f.level != "ok"} == {
        ("warning", "USE_DNS is on (the scheme's default), so pods are found through dnsjava, which is in no jar of "
                    "repository/components/dropins or repository/components/lib: put dnsjava-<version>.jar into "
                    "repository/components/lib")}
    for h in homes[:2]:
        _jar(h / "repository/components/lib/dnsjava-2.1.8.jar", "org/xbill/DNS/Lookup.class")
    edit(homes[2] / AXIS2, b"<parameter name=\"KUBERNETES_NAMESPACE\">", b'<parameter name="USE_DNS">false</parameter>'
                                                                      b'<parameter name="KUBERNETES_NAMESPACE">')
    findings = check_homes(homes)
    assert problems(findings) == []
    assert "wka-members" not in {f.rule for f in findings}  # the member list is not read under kubernetes


def test_kubernetes_scheme_without_its_class_name_is_an_error(homes: list[Path]) -> None:
    _scheme(homes, b'<parameter name="membershipScheme">kubernetes</parameter>')
    assert problems(check_homes(homes)) == [
        ("error", "clustering", i, AXIS2, "/axisconfig/clustering/parameter[@name='membershipScheme']")
        for i in (1, 2, 3)]


def test_aws_scheme_needs_no_jar(homes: list[Path]) -> None:
    _scheme(homes, b'<parameter name="membershipScheme">aws</parameter>')
    findings = check_homes(homes)
    assert problems(findings) == []
    assert {f.message for f in findings if f.rule == "membership-jar"} == {
        "the aws scheme is built into Carbon 4.4 (Hazelcast's AWS discovery): no jar to add"}


def test_nodes_on_different_schemes_cannot_meet(homes: list[Path]) -> None:
    edit(homes[2] / AXIS2, b'<parameter name="membershipScheme">wka</parameter>',
         b'<parameter name="membershipScheme">multicast</parameter>')
    assert problems(check_homes(homes)) == [
        ("error", "clustering", 3, AXIS2, "/axisconfig/clustering/parameter[@name='membershipScheme']")]


# --- the command: check --home A --home B ... without a spec ------------------------------------------------
def test_check_with_several_homes_and_no_spec(cli: Cli, homes: list[Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no wso2patch.toml here
    before = snapshot(tmp_path)
    args = [a for h in homes for a in ("--home", h)]
    r = cli("check", *args, "--json")
    assert r.exit_code == 0, r.output
    assert "wka-members" in r.stdout and "registry-mounts" in r.stdout
    edit(homes[1] / AXIS2, b'"domain">wso2.mb.domain<', b'"domain">other<')
    r = cli("check", *args)
    assert r.exit_code == 1
    line = next(x for x in r.stdout.splitlines() if x.startswith("error"))
    assert "cluster-domain" in line and AXIS2 in line and "/axisconfig/clustering/parameter[@name='domain']" in line
    edit(homes[1] / AXIS2, b'"domain">other<', b'"domain">wso2.mb.domain<')
    assert snapshot(tmp_path) == before  # check writes nothing
    assert "Mb-Db-Pass-1" not in cli("check", *args, "--json").stdout
    doc = json.loads(cli("check", *args, "--json").stdout)
    rows = doc["findings"]
    assert {r["level"] for r in rows} == {"ok"}
