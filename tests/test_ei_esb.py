"""Issue 11's "done when" on EI 6.x (integrator and broker profiles) and ESB 4.9/5.0: on every stock tree of
../shared (skipped when absent) and on our fixture homes, a two-node cluster behind a load balancer and, for ESB and
the EI integrator, a manager and two workers: what each product-specific patch writes, zero noise lines in every
touched file (XML and .properties), apply, a re-apply that is a no-op, check, and a byte-for-byte rollback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import DIST, FIXTURES, NO_STOCK, SPEC, Cli, copy_tree, snapshot
from tests.test_hazelcast import java
from tests.test_hazelcast import noise as props_noise
from tests.test_i10_stock import noise as xml_noise
from wso2patch.plan import FilePlan
from wso2patch.spec import load_spec
from wso2patch.workflow_plan import plan_node

LB = "ei.example.com"
SHUTDOWNHOOK = {"hazelcast.shutdownhook.enabled": "false"}


@dataclass(frozen=True)
class Tree:
    home: Path
    profile: str | None  # the spec's [[node]] profile (None: the product's main one)
    conf: str  # the config root, relative to the home
    roles: bool  # ESB and the EI integrator: manager/worker roles apply
    pattern: str | None  # the stock clusteringPattern (None: the parameter is absent, ESB 4.9)


def _trees() -> list[Any]:
    fixture = [Tree(FIXTURES / "ei-home", None, "conf", True, "nonWorkerManager"),
               Tree(FIXTURES / "ei-home", "broker", "wso2/broker/conf", False, None),
               Tree(FIXTURES / "esb-home", None, "repository/conf", True, None)]
    stock = [Tree(DIST / n, None, "conf", True, "nonWorkerManager") for n in ("wso2ei-6.1.1", "wso2ei-6.4.0",
                                                                              "wso2ei-6.6.0")]
    stock += [Tree(DIST / n, "broker", "wso2/broker/conf", False, None) for n in ("wso2ei-6.1.1", "wso2ei-6.4.0",
                                                                                  "wso2ei-6.6.0")]
    stock += [Tree(DIST / "wso2esb-4.9.0", None, "repository/conf", True, None),
              Tree(DIST / "wso2esb-5.0.0", None, "repository/conf", True, "WorkerManager")]
    params = [pytest.param(t, id=f"fixture-{t.home.name}-{t.profile or 'main'}") for t in fixture]
    for t in stock:
        here = (t.home / t.conf / "carbon.xml").is_file()
        params.append(pytest.param(t, id=f"{t.home.name}-{t.profile or 'main'}",
                                   marks=() if here else pytest.mark.skip(reason=NO_STOCK)))
    return params


TREES = _trees()
ROLE_TREES = [p for p in TREES if p.values[0].roles]
# two nodes on every tree; a manager and two workers where roles exist (ESB, the EI integrator)
CASES = [pytest.param(p.values[0], False, id=f"{p.id}-two-nodes", marks=p.marks) for p in TREES] + \
    [pytest.param(p.values[0], True, id=f"{p.id}-manager-two-workers", marks=p.marks) for p in ROLE_TREES]


def spec_text(tree: Tree, homes: list[Path], roles: bool) -> str:
    """Two nodes behind a load balancer with proxy ports; or a manager and two workers behind one without."""
    text = SPEC.format(home1=homes[0], home2=homes[1])
    if roles:
        text = text.replace('home = "', 'role = "worker"\nhome = "').replace('role = "worker"', 'role = "manager"', 1)
        text += f'\n[[node]]\nid = 3\nhost = "10.100.7.118"\noffset = 6\nrole = "worker"\nhome = "{homes[2]}"\n'
        cluster = f'hostname = "{LB}"\n'
    else:
        cluster = f'hostname = "{LB}"\n[cluster.proxy_ports]\nhttp = 8080\nhttps = 8443\n'
    if tree.profile is not None:
        text = text.replace('home = "', f'profile = "{tree.profile}"\nhome = "')
    head, _, rest = text.partition("\n[database]\n")
    return head.replace('domain = "wso2.mb.domain"\n', 'domain = "wso2.mb.domain"\n' + cluster) + \
        "\n[database]\n" + rest


def make(tmp_path: Path, tree: Tree, roles: bool) -> tuple[Path, list[Path]]:
    homes = [copy_tree(tree.home, tmp_path / f"n{i}") for i in range(1, 4 if roles else 3)]
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(spec_text(tree, homes, roles), encoding="utf-8")
    return spec, homes


def noise(f: FilePlan) -> list[str]:
    if f.rel.endswith(".properties"):
        return props_noise(f.old, f.new, set(SHUTDOWNHOOK))
    return xml_noise(f)


# --- what each node's files say ---------------------------------------------------------------------------------
def roles_of(raw: bytes) -> tuple[list[str], list[str], dict[str, str]]:
    """axis2.xml's clusteringPattern, subDomain property and the http/https receivers' WSDLEPRPrefix."""
    ax: Any = etree.fromstring(raw)
    prefix = {r: str(ax.xpath(f"string(/axisconfig/transportReceiver[@name='{r}']/parameter[@name='WSDLEPRPrefix'])"))
              for r in ("http", "https")}
    return ([str(t) for t in ax.xpath("/axisconfig/clustering/parameter[@name='clusteringPattern']/text()")],
            [str(v) for v in ax.xpath("/axisconfig/clustering/parameter[@name='properties']/property"
                                      "[@name='subDomain']/@value")], prefix)


def contract(tree: Tree, files: dict[str, FilePlan], role: str | None, roles: bool) -> None:
    c = tree.conf
    axis2 = files[f"{c}/axis2/axis2.xml"]
    pattern, subdomain, prefix = roles_of(axis2.new)
    props = f"{c}/hazelcast.properties"
    if not tree.roles:  # the EI broker profile: MB's patch set, nothing of ESB's (its stock subDomain worker stays)
        assert (pattern, subdomain, prefix) == roles_of(axis2.old) and prefix == {"http": "", "https": ""}
        assert props not in files  # its stock hazelcast.properties is not even read without [cluster.hazelcast]
        assert etree.fromstring(files[f"{c}/broker.xml"].new).xpath("string(//thriftServerHost)") == "10.100.7.118"
        return
    assert java(files[props].new) == {**(java(files[props].old) if files[props].old else {}), **SHUTDOWNHOOK}
    if roles:
        assert pattern == ["WorkerManager"] and subdomain == [{"manager": "mgt", "worker": "worker"}[role or ""]]
        assert prefix == {"http": f"http://{LB}:80", "https": f"https://{LB}:443"}
    else:
        assert pattern == ([tree.pattern] if tree.pattern else []) and subdomain == []
        assert prefix == {"http": f"http://{LB}:8080", "https": f"https://{LB}:8443"}
        tomcat = etree.fromstring(files[f"{c}/tomcat/catalina-server.xml"].new)
        assert tomcat.xpath("/Server/Service/Connector/@proxyPort") == ["8080", "8443"]
    reg = etree.fromstring(files[f"{c}/registry.xml"].new)
    assert reg.xpath("/wso2registry/remoteInstance/readOnly/text()") == ["true" if role == "worker" else "false"]


@pytest.mark.parametrize(("tree", "roles"), CASES)
def test_each_node_gets_its_contract_with_zero_noise(tmp_path: Path, tree: Tree, roles: bool) -> None:
    spec_path, homes = make(tmp_path, tree, roles)
    spec = load_spec(spec_path)
    for node, home in enumerate(homes, 1):
        plan = plan_node(spec, node, home)
        assert [line for f in plan.changed for line in noise(f)] == []
        contract(tree, {f.rel: f for f in plan.files}, spec.node(node).role, roles)


# --- the life cycle through the command line ------------------------------------------------------------------------
def errors(result: Any) -> list[dict[str, str]]:
    return [f for f in json.loads(result.stdout)["findings"] if f["level"] == "error"]


@pytest.mark.parametrize(("tree", "roles"), CASES)
def test_applies_once_checks_and_rolls_back_byte_for_byte(cli: Cli, tmp_path: Path, tree: Tree, roles: bool) -> None:
    spec, homes = make(tmp_path, tree, roles)
    before = [snapshot(h) for h in homes]
    planned = cli("check", "--planned", "--spec", spec, "--json")
    assert planned.exit_code == 0, errors(planned)
    r = cli("apply", "--all", "--spec", spec, "--yes")
    assert r.exit_code == 0, r.output
    after = [snapshot(h) for h in homes]
    props = f"{tree.conf}/hazelcast.properties"
    if tree.roles:  # created on every node: the stock ESB and EI integrator homes ship none
        assert props not in before[0] and all(props in a for a in after)
    else:  # the broker profile's own file keeps every byte
        assert [a.get(props) for a in after] == [b.get(props) for b in before]
    again = cli("apply", "--all", "--spec", spec, "--yes")
    assert again.exit_code == 0 and again.stdout.count("already applied") == len(homes), again.output
    assert [snapshot(h) for h in homes] == after
    assert cli("diff", "--spec", spec).exit_code == 0
    written = cli("check", "--spec", spec, "--json")
    assert written.exit_code == 0, errors(written)
    status = cli("status", "--spec", spec, "--json")
    assert status.exit_code == 0, status.output
    for home, stock in zip(homes, before, strict=True):
        assert cli("rollback", "--home", home, "--yes", env={"WSO2PATCH_SPEC": str(spec)}).exit_code == 0
        assert {k: v for k, v in snapshot(home).items() if not k.startswith(".wso2patch/")} == stock


@pytest.mark.parametrize(("broken", "rule"), [
    (lambda t: t.replace('role = "worker"', 'role = "manager"', 1), "role-layout"),  # two managers
    (lambda t: t.replace('role = "worker"\n', '', 1), "role-layout"),  # one node without a role
    (lambda t: t.replace('role = "manager"', 'role = "worker"', 1), "role-layout"),  # no manager
])
@pytest.mark.parametrize("tree", ROLE_TREES)
def test_check_planned_catches_a_broken_role_layout_before_writing(cli: Cli, tmp_path: Path, tree: Tree,
                                                                   broken: Any, rule: str) -> None:
    spec, homes = make(tmp_path, tree, roles=True)
    spec.write_text(broken(spec.read_text(encoding="utf-8")), encoding="utf-8")
    before = [snapshot(h) for h in homes]
    planned = cli("check", "--planned", "--spec", spec, "--json")
    assert planned.exit_code == 1 and rule in {f["rule"] for f in errors(planned)}, planned.output
    assert [snapshot(h) for h in homes] == before  # judged from the planned bytes: nothing written


# --- the patches' finer points, on our fixture homes ----------------------------------------------------------------
def fixture_plan(tmp_path: Path, home: str, extra: str = "", cluster: str = "", role: str | None = None) -> Any:
    h1, h2 = copy_tree(FIXTURES / home, tmp_path / "n1"), copy_tree(FIXTURES / home, tmp_path / "n2")
    text = SPEC.format(home1=h1, home2=h2).replace("[cluster]\n", f"[cluster]\n{cluster}")
    if role is not None:
        text = text.replace('home = "', f'role = "{role}"\nhome = "', 1).replace(
            f'home = "{h2}"', f'role = "worker"\nhome = "{h2}"')
    path = tmp_path / "wso2patch.toml"
    path.write_text(text + extra, encoding="utf-8")
    return {f.rel: f for f in plan_node(load_spec(path), 1, h1).files}


def test_a_shutdownhook_value_the_spec_gives_wins_over_the_always_on_one(tmp_path: Path) -> None:
    files = fixture_plan(tmp_path, "esb-home", '\n[cluster.hazelcast]\n"hazelcast.shutdownhook.enabled" = true\n')
    props = files["repository/conf/hazelcast.properties"]
    assert java(props.new) == {"hazelcast.shutdownhook.enabled": "true", "hazelcast.logging.type": "log4j"}
    assert [(r.patch, r.result) for r in props.results if r.target == "hazelcast.shutdownhook.enabled"][-1] == \
        ("hazelcast-properties", "applied")


def test_without_a_load_balancer_or_roles_axis2_keeps_its_stock_prefixes_and_pattern(tmp_path: Path) -> None:
    files = fixture_plan(tmp_path, "ei-home")
    ax = files["conf/axis2/axis2.xml"]
    assert roles_of(ax.new) == roles_of(ax.old) == (["nonWorkerManager"], [], {"http": "", "https": ""})
    assert "conf/tomcat/catalina-server.xml" not in files  # no proxy ports: the file is not opened
    assert files["conf/hazelcast.properties"].new == b"hazelcast.shutdownhook.enabled=false\n"  # always, created


def test_an_ipv6_load_balancer_is_bracketed_in_the_prefix(tmp_path: Path) -> None:
    files = fixture_plan(tmp_path, "esb-home", cluster='hostname = "2001:db8::10"\n')
    assert roles_of(files["repository/conf/axis2/axis2.xml"].new)[2] == {"http": "http://[2001:db8::10]:80",
                                                                         "https": "https://[2001:db8::10]:443"}


def test_a_subdomain_set_by_hand_is_updated_in_place_never_doubled(tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "ei-home", tmp_path / "hand")
    axis2 = home / "conf/axis2/axis2.xml"
    axis2.write_bytes(axis2.read_bytes().replace(b'<!--property name="subDomain" value="worker"/-->',
                                                 b'<property name="subDomain" value="worker"/>'))
    files = fixture_plan(tmp_path, "ei-home", role="manager")  # the stock copy: inserted after the twin
    fresh = files["conf/axis2/axis2.xml"]
    assert fresh.new.count(b'<property name="subDomain" value="mgt"/>') == 1
    assert b'\t    <!--property name="subDomain" value="worker"/-->\n            <property name="subDomain" ' \
           b'value="mgt"/>\n        </parameter>' in fresh.new
    spec = load_spec(tmp_path / "wso2patch.toml")
    (edited,) = [f for f in plan_node(spec, 1, home).files if f.rel == "conf/axis2/axis2.xml"]
    assert roles_of(edited.new)[1] == ["mgt"]
    assert b'\t    <property name="subDomain" value="mgt"/>\n' in edited.new  # the hand-made line, its value changed


@pytest.mark.parametrize("home", ["mb-home", "carbon-home"])
def test_mb_and_carbon_get_none_of_these_patches(tmp_path: Path, home: str) -> None:
    files = fixture_plan(tmp_path, home, cluster='hostname = "lb.example.com"\n')
    assert "repository/conf/hazelcast.properties" not in files
    ax = files["repository/conf/axis2/axis2.xml"]
    assert roles_of(ax.new) == roles_of(ax.old)
