"""`check` knows the product and profile of each node: it reads the files under that profile's config root, applies
the MB-store rules only where the product has an MB store (never because a broker.xml happens to be there), wants
one product and profile per cluster, and refuses what apply refuses."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.conftest import DIST, FIXTURES, Cli, copy_tree
from tests.test_check_roles import clusterize, fixture_home, spec_for
from wso2patch.checks import check_cluster, check_homes
from wso2patch.commands.check import check
from wso2patch.detect import detect
from wso2patch.effective import load

EI = DIST / "wso2ei-6.4.0"
NO_EI = "../shared/wso2-dist/wso2ei-6.4.0 is not beside the repo: real stock trees are tested only where it is there"


def _broker_keys(home: Path, profile: str | None = None) -> list[str]:
    return [k for k in load(home, product=detect(home, profile)).flat if k.startswith("broker.")]


@pytest.mark.skipif(not EI.is_dir(), reason=NO_EI)
def test_the_ei_broker_profile_is_read_under_its_own_config_root(tmp_path: Path) -> None:
    home = copy_tree(EI, tmp_path / "ei")
    eff = load(home, product=detect(home, "broker"))
    assert eff.where["broker.persistence.messageStore.property[dataSource]"].file == "wso2/broker/conf/broker.xml"
    assert eff.where["carbon.Ports.Offset"].file == "wso2/broker/conf/carbon.xml"
    assert eff.get("carbon.ServerKey") == "MB"
    main = load(home)  # no profile: the integrator, under conf/
    assert main.where["carbon.Ports.Offset"].file == "conf/carbon.xml" and main.get("carbon.ServerKey") == "EI"


@pytest.mark.skipif(not EI.is_dir(), reason=NO_EI)
def test_a_broker_xml_in_the_integrator_is_not_an_mb_store(tmp_path: Path) -> None:
    home = copy_tree(EI, tmp_path / "ei")
    (home / "conf/broker.xml").write_bytes((home / "wso2/broker/conf/broker.xml").read_bytes())
    assert _broker_keys(home) == []
    assert _broker_keys(home, "broker") != []


def test_a_carbon_home_with_a_broker_xml_gets_no_mb_store_rules(tmp_path: Path) -> None:
    """API Manager, for one, ships a broker.xml whose embedded store must stay local: a file is no MB store."""
    homes = [copy_tree(FIXTURES / "carbon-home", tmp_path / f"c{i}") for i in (1, 2)]
    for h in homes:
        (h / "repository/conf/broker.xml").write_bytes((FIXTURES / "mb-home/repository/conf/broker.xml").read_bytes())
    assert _broker_keys(homes[0]) == []
    findings = check_homes(homes)
    assert not [f for f in findings if f.rule == "thrift-host" or "MB store" in f.message]
    mb = [copy_tree(FIXTURES / "mb-home", tmp_path / f"mb{i}") for i in (1, 2)]
    assert [f.message for f in check_homes(mb) if "MB store" in f.message]  # the same file, on MB: judged


def test_one_cluster_is_one_product_and_profile(tmp_path: Path) -> None:
    ei = fixture_home("ei", tmp_path / "ei")
    mb = copy_tree(FIXTURES / "mb-home", tmp_path / "mb")
    found = [(f.level, f.rule, f.node, f.message) for f in check_homes([ei, ei, mb]) if f.rule == "same-product"]
    assert found == [("error", "same-product", 3, "runs WSO2 Message Broker 3.2.0, while nodes 1, 2 run WSO2 "
                                                  "Enterprise Integrator 6.4.0 (integrator profile): one cluster is "
                                                  "one product and profile; give each its own cluster domain")]
    (finding,) = [f for f in check_homes([ei, ei, mb]) if f.rule == "same-product"]
    assert (finding.file, finding.element) == ("repository/conf/carbon.xml", "/Server/ServerKey")
    profiles = check_cluster(None, {1: load(ei), 2: load(ei, product=detect(ei, "broker"))})
    assert [(f.level, f.node) for f in profiles if f.rule == "same-product"] == [("error", 2)]
    assert [f.message for f in check_homes([ei, ei]) if f.rule == "same-product"] == [
        "every node runs WSO2 Enterprise Integrator 6.4.0 (integrator profile)"]


def test_nodes_of_one_product_should_run_one_version(tmp_path: Path) -> None:
    a, b = fixture_home("esb", tmp_path / "a"), fixture_home("esb", tmp_path / "b")
    carbon = b / "repository/conf/carbon.xml"
    carbon.write_bytes(carbon.read_bytes().replace(b"<Version>5.0.0</Version>", b"<Version>4.9.0</Version>"))
    assert [(f.level, f.node, f.message) for f in check_homes([a, b]) if f.rule == "same-product"] == [
        ("warning", 2, "runs version 4.9.0, while node 1 runs 5.0.0: nodes of one cluster should run one release")]


def test_check_without_a_spec_reads_each_home_under_its_main_profile(cli: Cli, tmp_path: Path) -> None:
    homes = [fixture_home("ei", tmp_path / f"ei{i}") for i in (1, 2)]
    clusterize(homes, ["mgt", "worker"], pattern="WorkerManager")
    r = cli("check", "--home", homes[0], "--home", homes[1], "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 0, doc
    files = {f["file"] for f in doc["findings"] if f["file"]}
    assert "conf/axis2/axis2.xml" in files and all(f.startswith("conf/") for f in files)
    assert {f["rule"] for f in doc["findings"]} >= {"same-product", "role-layout", "worker-registry",
                                                    "clustering-pattern"}


def test_a_lone_ei_home_is_told_where_its_driver_goes(cli: Cli, tmp_path: Path) -> None:
    home = fixture_home("ei", tmp_path / "ei")
    r = cli("check", "--home", home, "--json")
    assert json.loads(r.stdout)["warnings"] == [
        f"{home}: no mysql-connector-*.jar in lib: the node cannot load com.mysql.jdbc.Driver; add it with "
        "'wso2patch apply --jdbc-driver PATH.jar'"]


def test_check_refuses_a_product_apply_refuses(cli: Cli, tmp_path: Path) -> None:
    am = copy_tree(FIXTURES / "carbon-home", tmp_path / "am")
    carbon = am / "repository/conf/carbon.xml"
    raw = carbon.read_bytes()
    for old, new in ((b"<Name>WSO2 Carbon</Name>", b"<Name>WSO2 API Manager</Name>"),
                     (b"<ServerKey>Carbon</ServerKey>", b"<ServerKey>AM</ServerKey>"),
                     (b"<Version>4.4.16</Version>", b"<Version>2.6.0</Version>")):
        assert old in raw, old
        raw = raw.replace(old, new)
    carbon.write_bytes(raw)
    r = cli("check", "--home", am, "--home", copy_tree(am, tmp_path / "am2"))
    assert r.exit_code != 0
    assert "WSO2 API Manager 2.6.0 (ServerKey AM) is not supported" in r.output


@pytest.mark.skipif(not EI.is_dir(), reason=NO_EI)
def test_the_spec_profile_chooses_the_config_root(tmp_path: Path) -> None:
    homes = [copy_tree(EI, tmp_path / f"ei{i}") for i in (1, 2)]
    spec = spec_for(tmp_path, homes, [None, None])
    broker = dataclasses.replace(spec, nodes=tuple(dataclasses.replace(n, profile="broker") for n in spec.nodes))
    files = {f.file for f in check(broker).findings or [] if f.file}
    assert "wso2/broker/conf/broker.xml" in files or "wso2/broker/conf/axis2/axis2.xml" in files
    assert all(f.startswith("wso2/broker/conf/") for f in files)
    assert all(f.startswith("conf/") for f in {f.file for f in check(spec).findings or [] if f.file})
