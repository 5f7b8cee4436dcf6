"""Each spec key of issue 10 on the real stock trees (and our fixture homes): what it writes, zero noise lines,
status, check --planned, apply, an idempotent re-apply and a byte-for-byte rollback; switching membership scheme
(and governance database, and local registry) back and forth returns each file to its bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import SPEC, Cli, all_tree_params, copy_tree, snapshot, stock_params
from tests.test_stock import TARGETS, allowed_lines, target_key
from wso2patch.plan import FilePlan
from wso2patch.spec import load_spec
from wso2patch.spec_cluster import KUBERNETES_CLASS
from wso2patch.workflow_plan import plan_node
from wso2patch.xmlio import Doc

NS = {"c": "http://wso2.org/projects/carbon/carbon.xml"}
AXIS2 = "repository/conf/axis2/axis2.xml"
CARBON = "repository/conf/carbon.xml"
CATALINA = "repository/conf/tomcat/catalina-server.xml"
DATASOURCES = "repository/conf/datasources/master-datasources.xml"
REGISTRY = "repository/conf/registry.xml"
AWS_SECRET = "Zw9/aws+Secret7Key"  # distinctive: a leak into any output is easy to find
K8S = ('membership = "kubernetes"', '[cluster.kubernetes]\nnamespace = "wso2"\nservices = ["wso2mb", "wso2mb-2"]\n'
       'master = "https://10.96.0.1:443"\nskip_ssl_verification = true\nuse_dns = false\n')
AWS = ('membership = "aws"', '[cluster.aws]\naccess_key = "AKIAIOSFODNN7EXAMPLE"\nsecret_key_env = "I10_AWS_SK"\n'
       'security_group = "wso2-mb"\nregion = "eu-west-1"\ntag_key = "cluster"\ntag_value = "mb"\n')
# name -> ([cluster] lines, [database] lines, [database.names] lines, tables appended)
VARIANTS: dict[str, tuple[str, str, str, str]] = {
    "load-balancer": ('hostname = "mb.example.com"\nmgt_hostname = "mgt.example.com"', "", "",
                      "[cluster.proxy_ports]\nhttp = 80\nhttps = 443\n"),
    "kubernetes": (K8S[0], "", "", K8S[1]),
    "aws": (AWS[0], "", "", AWS[1]),
    "registry-layout": ("", "", 'governance = "REGISTRY_GOV_DB"',
                        '[registry]\nconfig_path = "/_system/config/mb"\ngovernance_path = "/_system/governance/mb"\n'
                        '[database.governance]\nhost = "gov.example.com"\nusername = "gov"\npassword = "gov-pw"\n'),
    "embedded-local": ("", 'local = "embedded"', "", ""),
    "servers": ("", "", "", '[database.user]\nhost = "um.example.com"\nport = 3307\n'
                            '[database.registry]\nhost = "reg.example.com"\nusername = "reg"\npassword = "reg-pw"\n'
                            '[database.mb_store]\nhost = "mb.db.example.com"\noptions = "useSSL=false"\n'
                            '[database.local]\nhost = "local.example.com"\n'),
}
# check rules that do not know these keys yet (issue 10's check part teaches them): their errors are expected here
NOT_YET: dict[str, set[str]] = {}  # check now judges kubernetes, aws and embedded locals as WSO2 runs them


@pytest.fixture(autouse=True)
def _aws_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("I10_AWS_SK", AWS_SECRET)


def spec_text(home1: Path, home2: Path, variant: str | None) -> str:
    text = SPEC.format(home1=home1, home2=home2)
    if variant is None:
        return text
    cluster, database, names, tables = VARIANTS[variant]
    text = text.replace("[cluster]\n", f"[cluster]\n{cluster}\n")
    text = text.replace('options = "autoReconnect=true"\n', f'options = "autoReconnect=true"\n{database}\n')
    text = text.replace("[database.names]\n", f"[database.names]\n{names}\n")
    if variant == "embedded-local":
        text = text.replace('local = "REGISTRY_LOCAL{id}"\n', "")
    return text + tables


def write_spec(path: Path, h1: Path, h2: Path, variant: str | None) -> Path:
    path.write_text(spec_text(h1, h2, variant), encoding="utf-8")
    return path


def noise(f: FilePlan) -> list[str]:
    """Stock lines an edit removed or rewrote although no edit has to touch them (tests/test_stock's rules; a
    file those rules do not know may lose no line at all)."""
    old, new = f.old.splitlines(keepends=True), f.new.splitlines(keepends=True)
    ok = allowed_lines(f) if target_key(f.rel) in TARGETS else set()
    return [f"{f.rel}:{i + 1}: {old[i]!r}" for tag, i1, i2, _, _ in
            SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if tag in ("delete", "replace")
            for i in range(i1, i2) if i not in ok]


def tree(f: FilePlan) -> Any:
    return etree.fromstring(f.new)


def params(ax: Any) -> dict[str, str]:
    return {p.get("name"): (p.text or "") for p in ax.xpath("/axisconfig/clustering/parameter")}


# --- what each variant writes, with zero noise ------------------------------------------------------------------
def contract(variant: str, files: dict[str, FilePlan], node: int) -> None:
    ax = tree(files[AXIS2])
    members = ax.xpath("/axisconfig/clustering/members/member")
    p = params(ax)
    assert p["localMemberHost"] == "10.100.7.118" and p["localMemberPort"] == str(4000 + 3 * (node - 1))
    if variant == "load-balancer":
        carbon = tree(files[CARBON])
        assert carbon.xpath("string(/c:Server/c:HostName)", namespaces=NS) == "mb.example.com"
        assert carbon.xpath("string(/c:Server/c:MgtHostName)", namespaces=NS) == "mgt.example.com"
        tomcat = tree(files[CATALINA])
        assert tomcat.xpath("/Server/Service/Connector/@proxyPort") == ["80", "443"]
        assert tomcat.xpath("string(/Server/Service/Connector[@proxyPort='443']/@port)") == "9443"
        assert "thriftServerHost" not in files.get("repository/conf/broker.xml", files[AXIS2]).new.decode() or \
            tree(files["repository/conf/broker.xml"]).xpath("string(//thriftServerHost)") == "10.100.7.118"
    elif variant == "kubernetes":
        assert (p["membershipScheme"], p["membershipSchemeClassName"]) == ("kubernetes", KUBERNETES_CLASS)
        assert (p["KUBERNETES_NAMESPACE"], p["KUBERNETES_SERVICES"]) == ("wso2", "wso2mb,wso2mb-2")
        assert (p["KUBERNETES_MASTER"], p["KUBERNETES_MASTER_SKIP_SSL_VERIFICATION"], p["USE_DNS"]) == \
            ("https://10.96.0.1:443", "true", "false")
        assert members == [] and ax.xpath("/axisconfig/clustering/members")  # no member, the empty list stays
    elif variant == "aws":
        assert {k: p[k] for k in ("membershipScheme", "accessKey", "secretKey", "securityGroup", "region", "tagKey",
                                  "tagValue")} == {"membershipScheme": "aws", "accessKey": "AKIAIOSFODNN7EXAMPLE",
                                                   "secretKey": AWS_SECRET, "securityGroup": "wso2-mb",
                                                   "region": "eu-west-1", "tagKey": "cluster", "tagValue": "mb"}
        assert members == [] and "membershipSchemeClassName" not in p
    else:
        assert p["membershipScheme"] == "wka" and len(members) == 1
    reg, ds = tree(files[REGISTRY]), tree(files[DATASOURCES])
    active = {d.findtext("name"): d for d in ds.xpath("/datasources-configuration/datasources/datasource")}
    targets = {m.get("path"): (m.findtext("instanceId"), m.findtext("targetPath")) for m in reg.xpath("//mount")}
    if variant == "registry-layout":
        assert targets == {"/_system/config": ("instanceid", "/_system/config/mb"),
                           "/_system/governance": ("govinstanceid", "/_system/governance/mb")}
        (gov,) = reg.xpath("/wso2registry/remoteInstance[id='govinstanceid']")
        assert (gov.findtext("dbConfig"), gov.findtext("cacheId")) == (
            "govregistry", "gov@jdbc:mysql://gov.example.com:3306/REGISTRY_GOV_DB?autoReconnect=true")
        assert reg.xpath("string(/wso2registry/dbConfig[@name='govregistry']/dataSource)") == "jdbc/WSO2RegistryGovDB"
        conf = active["REGISTRY_GOV_DB"].find("definition/configuration")
        assert (conf.findtext("url"), conf.findtext("username"), conf.findtext("password")) == (
            "jdbc:mysql://gov.example.com:3306/REGISTRY_GOV_DB?autoReconnect=true", "gov", "gov-pw")
        assert active["REGISTRY_GOV_DB"].findtext("jndiConfig/name") == "jdbc/WSO2RegistryGovDB"
    else:
        assert targets == {"/_system/config": ("instanceid", "/_system/config"),
                           "/_system/governance": ("instanceid", "/_system/governance")}
        assert "REGISTRY_GOV_DB" not in active and not reg.xpath("//dbConfig[@name='govregistry']")
    local = [n for n, d in active.items() if d.findtext("jndiConfig/name") == "jdbc/WSO2CarbonDB"]
    assert local == (["WSO2_CARBON_DB"] if variant == "embedded-local" else [f"REGISTRY_LOCAL{node}"])
    if variant == "servers":
        urls = {n: (d.findtext("definition/configuration/url"), d.findtext("definition/configuration/username"))
                for n, d in active.items()}
        assert urls["WSO2_USER_DB"] == ("jdbc:mysql://um.example.com:3307/WSO2_USER_DB?autoReconnect=true",
                                        "regadmin")
        assert urls["REGISTRY_DB"] == ("jdbc:mysql://reg.example.com:3306/REGISTRY_DB?autoReconnect=true", "reg")
        assert urls[f"REGISTRY_LOCAL{node}"][0] == \
            f"jdbc:mysql://local.example.com:3306/REGISTRY_LOCAL{node}?autoReconnect=true"
        if "WSO2_MB_STORE_DB" in urls:
            assert urls["WSO2_MB_STORE_DB"] == ("jdbc:mysql://mb.db.example.com:3306/WSO2_MB_STORE_DB?useSSL=false",
                                                "regadmin")
        assert reg.xpath("string(/wso2registry/remoteInstance/cacheId)") == \
            "reg@jdbc:mysql://reg.example.com:3306/REGISTRY_DB?autoReconnect=true"


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("home", all_tree_params())
def test_each_variant_writes_its_contract_with_zero_noise(tmp_path: Path, home: Path, variant: str) -> None:
    h1, h2 = copy_tree(home, tmp_path / "mb1"), copy_tree(home, tmp_path / "mb2")
    spec = load_spec(write_spec(tmp_path / "wso2patch.toml", h1, h2, variant))
    for node, h in ((1, h1), (2, h2)):
        plan = plan_node(spec, node, h)
        files = {f.rel: f for f in plan.files}
        assert [line for f in plan.changed for line in noise(f)] == []
        assert (CATALINA in files) == (variant == "load-balancer")  # opened only when the spec asks for it
        contract(variant, files, node)


# --- the whole life cycle through the command line, on the real trees -------------------------------------------------
def findings(cli: Cli, spec: Path) -> tuple[int, list[dict[str, str]]]:
    r = cli("check", "--planned", "--spec", spec, "--json")
    doc = json.loads(r.stdout)
    return r.exit_code, doc["findings"]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("stock", stock_params())
def test_each_variant_applies_once_checks_and_rolls_back(cli: Cli, tmp_path: Path, stock: Path, variant: str) -> None:
    h1, h2 = copy_tree(stock, tmp_path / "mb1"), copy_tree(stock, tmp_path / "mb2")
    spec = write_spec(tmp_path / "wso2patch.toml", h1, h2, variant)
    before = {1: snapshot(h1), 2: snapshot(h2)}
    assert cli("status", "--spec", spec).exit_code == 1
    code, rows = findings(cli, spec)
    errors = {r["rule"] for r in rows if r["level"] == "error"}
    assert errors <= NOT_YET.get(variant, set()), [r for r in rows if r["level"] == "error"]
    assert code == (1 if errors else 0)
    assert {r["rule"] for r in rows if r["level"] == "ok"} >= {"jndi-references", "shared-databases"}
    for node in (1, 2):
        r = cli("apply", "--spec", spec, "--node", node, "--yes")
        assert r.exit_code == 0, r.output
        assert AWS_SECRET not in r.output
    after = {1: snapshot(h1), 2: snapshot(h2)}
    changed = {k for k in before[2] if before[2][k] != after[2].get(k)}
    assert (CATALINA in changed) == (variant == "load-balancer")
    assert (DATASOURCES in changed) and (AXIS2 in changed)
    for node in (1, 2):
        again = cli("apply", "--spec", spec, "--node", node, "--yes")
        assert again.exit_code == 0 and "already" in again.stdout
    assert {1: snapshot(h1), 2: snapshot(h2)} == after
    st = cli("status", "--spec", spec, "--json")
    assert st.exit_code == 0, st.output
    nodes = {n["node"]: {p["name"]: p["state"] for p in n["patches"]} for n in json.loads(st.stdout)["nodes"]}
    assert all(v in ("applied", "not applicable") for states in nodes.values() for v in states.values())
    assert nodes[1]["proxy-ports"] == ("applied" if variant == "load-balancer" else "not applicable")
    assert cli("diff", "--spec", spec).exit_code == 0
    for h in (h2, h1):
        assert cli("rollback", "--home", h, "--yes", env={"WSO2PATCH_SPEC": str(spec)}).exit_code == 0
    for node, h in ((1, h1), (2, h2)):
        assert {k: v for k, v in snapshot(h).items() if not k.startswith(".wso2patch/")} == before[node]


def test_the_aws_secret_is_masked_in_diff_and_json(cli: Cli, tmp_path: Path) -> None:
    home = Path(all_tree_params()[0].values[0])
    h1, h2 = copy_tree(home, tmp_path / "mb1"), copy_tree(home, tmp_path / "mb2")
    spec = write_spec(tmp_path / "wso2patch.toml", h1, h2, "aws")
    for args in (("diff", "--node", "1"), ("diff", "--node", "1", "--json"), ("apply", "--node", "1", "--yes")):
        r = cli(*args, "--spec", spec)
        assert AWS_SECRET not in r.output and '<parameter name="secretKey">********</parameter>' in r.output.replace(
            "\\", ""), r.output
    shown = cli("diff", "--node", "2", "--spec", spec, "--show-secrets")
    assert AWS_SECRET in shown.output


# --- switching back and forth gives back the bytes ------------------------------------------------------------------
Apply = Callable[[str | None], dict[str, str]]


@pytest.fixture
def switch(cli: Cli, tmp_path: Path) -> Callable[[Path], Apply]:
    def make(home: Path) -> Apply:
        h1, h2 = copy_tree(home, tmp_path / "mb1"), copy_tree(home, tmp_path / "mb2")
        spec = tmp_path / "wso2patch.toml"

        def apply(variant: str | None) -> dict[str, str]:
            write_spec(spec, h1, h2, variant)
            r = cli("apply", "--spec", spec, "--node", "2", "--yes")
            assert r.exit_code == 0, r.output
            assert cli("diff", "--spec", spec, "--node", "2").exit_code == 0  # and nothing left to do
            return {k: v for k, v in snapshot(h2).items() if not k.startswith(".wso2patch/")}

        return apply

    return make


@pytest.mark.parametrize("home", all_tree_params())
def test_wka_kubernetes_aws_wka_returns_to_the_wka_bytes(switch: Callable[[Path], Apply], home: Path) -> None:
    apply = switch(home)
    wka = apply(None)
    k8s = apply("kubernetes")
    assert k8s[AXIS2] != wka[AXIS2]
    aws = apply("aws")
    assert aws[AXIS2] not in (wka[AXIS2], k8s[AXIS2])
    assert apply("kubernetes") == k8s  # aws -> kubernetes: every aws parameter goes, exactly
    assert apply(None) == wka


@pytest.mark.parametrize("home", all_tree_params())
def test_a_separate_governance_database_and_an_embedded_local_registry_come_and_go(
        switch: Callable[[Path], Apply], home: Path) -> None:
    apply = switch(home)
    plain = apply(None)
    assert apply("registry-layout") != plain
    assert apply(None) == plain
    embedded = apply("embedded-local")
    assert embedded[DATASOURCES] != plain[DATASOURCES]
    assert apply(None) == plain


def test_the_stock_local_registry_datasource_stays_as_shipped_with_embedded(tmp_path: Path) -> None:
    """local = "embedded": WSO2_CARBON_DB keeps every byte, and no datasource but the shared ones is added."""
    for param in all_tree_params():
        home = Path(param.values[0])
        h1, h2 = copy_tree(home, tmp_path / home.name / "a"), copy_tree(home, tmp_path / home.name / "b")
        spec = load_spec(write_spec(tmp_path / f"{home.name}.toml", h1, h2, "embedded-local"))
        (ds,) = [f for f in plan_node(spec, 1, h1).files if f.rel == DATASOURCES]
        old, new = Doc(ds.old, where=ds.rel), Doc(ds.new, where=ds.rel)
        carbon = "/datasources-configuration/datasources/datasource[normalize-space(name)='WSO2_CARBON_DB']"
        (was,), (now,) = old.xpath(carbon), new.xpath(carbon)
        assert old.text[old.span(was).start - 40:old.span(was).end] == new.text[new.span(now).start - 40:
                                                                                new.span(now).end]
        added = {d.findtext("name") for d in new.xpath("//datasource")} - {d.findtext("name")
                                                                          for d in old.xpath("//datasource")}
        assert added == {"REGISTRY_DB", "WSO2_USER_DB"}, home.name
