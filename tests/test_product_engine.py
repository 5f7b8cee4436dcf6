"""The product-aware engine (issue 11): patches name the products they are for, plans land under the node's config
root, the journal keeps the profile, and unsupported products are refused by name before anything is read or
written. The EI and ESB stock trees prove the wiring; the EI-specific patches and the full matrix are tested apart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import DIST, FIXTURES, SPEC, Cli, copy_tree, snapshot
from tests.test_json_schema import assert_valid
from wso2patch.detect import detect
from wso2patch.entries import parse
from wso2patch.errors import ExitCode, SpecError
from wso2patch.patchset_load import load_patches, parse_patch
from wso2patch.patchset_products import applicable
from wso2patch.spec import load_spec
from wso2patch.workflow import patch_listing
from wso2patch.workflow_files import journal_of, managed_by
from wso2patch.workflow_plan import plan_node

SUPPORTED = "MB 2.5-3.2, Carbon 4.4.x, EI 6.x (integrator and broker profiles), ESB 4.9-5.0"
MB_ONLY = {"mb-store", "thrift-host"}
EI_ESB = {"hazelcast-shutdownhook", "worker-manager", "wsdl-epr-prefix"}  # ESB and the EI integrator only
# (tree, profile, config root): every EI/ESB stock tree and profile wso2patch supports
NEW_TREES = [("wso2ei-6.1.1", "integrator", "conf"), ("wso2ei-6.1.1", "broker", "wso2/broker/conf"),
             ("wso2ei-6.4.0", "integrator", "conf"), ("wso2ei-6.4.0", "broker", "wso2/broker/conf"),
             ("wso2ei-6.6.0", "integrator", "conf"), ("wso2ei-6.6.0", "broker", "wso2/broker/conf"),
             ("wso2esb-4.9.0", None, "repository/conf"), ("wso2esb-5.0.0", None, "repository/conf")]
REFUSED = [("wso2is-5.7.0", "WSO2 Identity Server 5.7.0"), ("wso2am-2.1.0", "WSO2 API Manager 2.1.0"),
           ("wso2am-2.6.0", "WSO2 API Manager 2.6.0")]


def stock(tree: str) -> Path:
    path = DIST / tree
    if not path.is_dir():
        pytest.skip(f"../shared/wso2-dist/{tree} is not beside the repo: real stock trees are tested only there")
    return path


def two_nodes(tmp_path: Path, tree: Path, profile: str | None = None, roles: tuple[str, str] | None = None,
              extra: str = "") -> tuple[Path, Path, Path]:
    h1, h2 = copy_tree(tree, tmp_path / "n1"), copy_tree(tree, tmp_path / "n2")
    text = SPEC.format(home1=h1, home2=h2)
    for i, offset in enumerate(("offset = 0\n", "offset = 3\n")):
        more = (f'profile = "{profile}"\n' if profile else "") + (f'role = "{roles[i]}"\n' if roles else "")
        text = text.replace(offset, offset + more)
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(text + extra, encoding="utf-8")
    return spec, h1, h2


# --- EI and ESB: plans under the right config root, apply, a second apply changes nothing, rollback ----------------
@pytest.mark.parametrize(("tree", "profile", "conf"), NEW_TREES, ids=[f"{t}-{p or 'default'}" for t, p, _ in NEW_TREES])
def test_a_two_node_cluster_applies_reapplies_as_a_no_op_and_rolls_back(tmp_path: Path, cli: Cli, tree: str,
                                                                        profile: str | None, conf: str) -> None:
    spec, h1, h2 = two_nodes(tmp_path, stock(tree), None if profile == "integrator" else profile)
    before = {h: snapshot(h) for h in (h1, h2)}
    loaded = load_spec(spec)
    plans = [plan_node(loaded, n, h) for n, h in ((1, h1), (2, h2))]
    for plan in plans:
        assert plan.changed and all(f.rel.startswith(f"{conf}/") for f in plan.files)
        assert (plan.product.conf, plan.product.profile) == (conf, profile or "default")
        assert {"axis2/axis2.xml", "carbon.xml", "registry.xml", "user-mgt.xml"} <= \
            {f.rel[len(conf) + 1:] for f in plan.changed}
        assert ("broker.xml" in {f.rel.rsplit("/", 1)[-1] for f in plan.changed}) == (profile == "broker")
    r = cli("apply", "--spec", spec, "--all", "--yes")
    assert r.exit_code == 0, r.output
    label = f"{'Enterprise Integrator' if 'ei' in tree else 'Enterprise Service Bus'} {tree.split('-')[1]}"
    assert f"node 1 ({h1}, WSO2 {label}" in r.stdout, r.stdout
    after = {h: snapshot(h, skip=".wso2patch") for h in (h1, h2)}
    assert all(after[h] != before[h] for h in (h1, h2))
    again = cli("apply", "--spec", spec, "--all", "--yes")
    assert again.exit_code == 0 and "already applied" in again.stdout, again.output
    assert {h: snapshot(h, skip=".wso2patch") for h in (h1, h2)} == after
    (tx,) = journal_of(h1).load()
    assert tx.profile == ("broker" if profile == "broker" else None)
    assert all(f.path.startswith(f"{conf}/") for f in tx.files)
    for h in (h1, h2):
        back = cli("rollback", "--home", h, "--yes")
        assert back.exit_code == 0, back.output
        assert snapshot(h, skip=".wso2patch") == before[h]


@pytest.mark.parametrize(("tree", "profile", "conf"), [*NEW_TREES[:2], NEW_TREES[-1]],
                         ids=["ei-integrator", "ei-broker", "esb"])
def test_status_and_diff_name_the_product_and_profile(tmp_path: Path, cli: Cli, tree: str, profile: str | None,
                                                      conf: str) -> None:
    spec, h1, _ = two_nodes(tmp_path, stock(tree), profile)
    status = assert_valid(json.loads(cli("status", "--spec", spec, "--json").stdout))
    product = detect(h1, profile)
    want = {"key": product.key, "name": product.name, "version": product.version, "profile": product.profile,
            "conf": conf}
    assert [n["product"] for n in status["nodes"]] == [want, want]
    states = {p["name"]: p["state"] for p in status["nodes"][0]["patches"]}
    assert {states[p] for p in MB_ONLY} == ({"pending"} if profile == "broker" else {"not applicable"})
    human = cli("status", "--spec", spec).stdout
    assert re.search(r"^\(product\)\s+" + re.escape(f"{product.key.upper()} {product.version}"), human, re.M), human
    diff = assert_valid(json.loads(cli("diff", "--spec", spec, "--json").stdout))
    assert [n["product"] for n in diff["nodes"]] == [want, want]
    assert all(f["path"].startswith(f"{conf}/") for n in diff["nodes"] for f in n["files"])


def test_patches_lists_a_homes_patch_set(tmp_path: Path, cli: Cli) -> None:
    tree = stock("wso2ei-6.4.0")
    spec, h1, _ = two_nodes(tmp_path, tree, "broker")
    everything = {p.name for p in load_patches()}
    broker = assert_valid(json.loads(cli("patches", "--spec", spec, "--node", 1, "--json").stdout))
    assert broker["product"]["profile"] == "broker" and {p["name"] for p in broker["patches"]} == everything - EI_ESB
    assert {tuple(p["products"]) for p in broker["patches"] if p["name"] in MB_ONLY} == {("mb", "ei:broker")}
    none = {"WSO2PATCH_SPEC": str(tmp_path / "none.toml")}
    integrator = assert_valid(json.loads(cli("patches", "--home", h1, "--json", env=none).stdout))
    assert integrator["product"]["conf"] == "conf"
    assert {p["name"] for p in integrator["patches"]} == everything - MB_ONLY
    r = cli("patches", "--home", h1, env=none)
    assert r.exit_code == 0 and r.stdout.startswith("WSO2 Enterprise Integrator 6.4.0 (integrator profile), config "
                                                    "root conf:\n"), r.stdout


def test_patches_home_on_the_fixtures(cli: Cli, tmp_path: Path) -> None:
    """Without ../shared: MB gets every patch but the ESB/EI-integrator ones, Carbon neither those nor the MB-only
    ones."""
    none = {"WSO2PATCH_SPEC": str(tmp_path / "none.toml")}
    mb = assert_valid(json.loads(cli("patches", "--home", FIXTURES / "mb-home", "--json", env=none).stdout))
    carbon = assert_valid(json.loads(cli("patches", "--home", FIXTURES / "carbon-home", "--json", env=none).stdout))
    names = {p.name for p in load_patches()}
    assert {p["name"] for p in mb["patches"]} == names - EI_ESB
    assert {p["name"] for p in carbon["patches"]} == names - MB_ONLY - EI_ESB
    assert mb["product"]["key"] == "mb" and carbon["product"]["conf"] == "repository/conf"


# --- unsupported products: refused by name, nothing written -------------------------------------------------------
def refused_everywhere(cli: Cli, tmp_path: Path, tree: Path, name: str) -> None:
    spec, h1, _ = two_nodes(tmp_path, tree)
    before = snapshot(tmp_path)
    for args in (("diff", "--spec", spec, "--node", 1), ("apply", "--spec", spec, "--node", 1, "--yes"),
                 ("status", "--spec", spec, "--node", 1), ("diff", "--spec", spec),
                 ("apply", "--spec", spec, "--all", "--yes"), ("patches", "--home", h1)):
        r = cli(*args)
        assert r.exit_code == ExitCode.HOME, (args, r.output)
        line = [x for x in r.stderr.splitlines() if "error" in x or "failed" in x][-1]
        assert name in line and f"wso2patch supports {SUPPORTED}" in line, (args, r.stderr)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("tree", "name"), REFUSED, ids=[t for t, _ in REFUSED])
def test_identity_server_and_api_manager_stock_homes_are_refused(tmp_path: Path, cli: Cli, tree: str,
                                                                 name: str) -> None:
    refused_everywhere(cli, tmp_path, stock(tree), name)


@pytest.mark.parametrize(("key", "name", "version"), [("AM", "WSO2 API Manager", "2.6.0"),
                                                      ("IS", "WSO2 Identity Server", "5.7.0")])
def test_unsupported_products_are_refused_on_a_fixture_home(tmp_path: Path, cli: Cli, key: str, name: str,
                                                            version: str) -> None:
    home = copy_tree(FIXTURES / "carbon-home", tmp_path / "src")
    carbon = home / "repository/conf/carbon.xml"
    raw = carbon.read_bytes()
    raw = re.sub(rb"<ServerKey>[^<]*<", f"<ServerKey>{key}<".encode(), raw, count=1)
    raw = re.sub(rb"<Version>[^<]*<", f"<Version>{version}<".encode(), raw, count=1)
    raw = re.sub(rb"<Name>[^<]*<", f"<Name>{name}<".encode(), raw, count=1)
    carbon.write_bytes(raw)
    (tmp_path / "run").mkdir()
    refused_everywhere(cli, tmp_path / "run", home, f"{name} {version}")


# --- the patch format ----------------------------------------------------------------------------------------------
def site(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "90-site.toml"
    path.write_text(text, encoding="utf-8")
    import tomllib
    return parse_patch(path, tomllib.loads(text), text)


SET_OFFSET = '[[op]]\nkind = "set_text"\nxpath = "/Server/Ports/Offset"\nvalue = "7"\n'


def test_an_old_site_patch_keeps_working_on_the_products_of_repository_conf(tmp_path: Path) -> None:
    old = site(tmp_path, 'description = "d"\nfile = "repository/conf/carbon.xml"\nrequires = '
                         '["repository/components/lib/x.jar"]\n' + SET_OFFSET)
    assert (old.file, old.products, old.required("repository/conf")) == (
        "carbon.xml", ("mb", "carbon", "esb"), ["repository/components/lib/x.jar"])
    assert applicable([old], detect(FIXTURES / "mb-home")) == [old]
    assert applicable([old], detect(FIXTURES / "ei-home")) == []
    anywhere = site(tmp_path, 'description = "d"\nfile = "carbon.xml"\nrequires = ["carbon.xml"]\n' + SET_OFFSET)
    assert anywhere.products is None and anywhere.required("conf") == ["conf/carbon.xml"]
    assert applicable([anywhere], detect(FIXTURES / "ei-home", "broker")) == [anywhere]
    for versions, wanted in ((">=6.0,<7", True), ("<6.0", False)):
        ranged = site(tmp_path, f'description = "d"\nproducts = ["ei"]\nversions = "{versions}"\nfile = "carbon.xml"\n'
                      + SET_OFFSET)
        assert applicable([ranged], detect(FIXTURES / "ei-home")) == ([ranged] if wanted else [])
        assert applicable([ranged], detect(FIXTURES / "ei-home", "broker")) == []


@pytest.mark.parametrize(("tree", "profile", "conf"), NEW_TREES, ids=[f"{t}-{p or 'default'}" for t, p, _ in NEW_TREES])
def test_every_shipped_patch_matches_once_on_every_ei_and_esb_root(tree: str, profile: str | None, conf: str) -> None:
    """Every XPath a shipped XML patch sets or works under finds exactly one element on each stock root it is for."""
    from wso2patch.xmlio import Doc

    product = detect(stock(tree), profile)
    assert product.conf == conf
    checked = 0
    for patch in applicable(load_patches(), product):
        # the vault's patches work on the datasources the others add (each tree's vault apply: test_vault_apply)
        if not patch.file.endswith(".xml") or patch.name.startswith("vault-"):
            continue
        path = DIST / tree / patch.rel(product.conf)
        doc = Doc(path.read_bytes(), where=str(path))
        for op in patch.ops:
            xp = op.fields.get("xpath") or op.fields["parent"]
            assert len(doc.xpath(xp)) == 1, (patch.name, xp)
            checked += 1
    assert checked > 40


def test_managed_files_cover_every_supported_config_root() -> None:
    managed = managed_by(None)
    for rel in ("repository/conf/axis2/axis2.xml", "conf/axis2/axis2.xml", "wso2/broker/conf/axis2/axis2.xml",
                "wso2/broker/conf/broker.xml", "repository/conf/broker.xml", "conf/hazelcast.properties",
                "lib/mysql-connector-java-5.1.49.jar", "repository/components/lib/mysql-connector-java-5.1.49.jar"):
        assert managed(rel), rel
    for rel in ("conf/broker.xml", "wso2/business-process/conf/axis2/axis2.xml", "conf/carbon.xml.bak",
                "wso2/lib/x.jar"):
        assert not managed(rel), rel


def test_patch_listing_for_a_product_drops_what_is_not_for_it() -> None:
    names = [p.name for p, _ in patch_listing(None, detect(FIXTURES / "carbon-home"))]
    assert names and not MB_ONLY & set(names)


# --- the journal's profile ------------------------------------------------------------------------------------------
JOURNAL = ('{"version": 1, "transactions": [{"id": "20260101T000000Z-1", "time": "t", "node": 1, "spec": null, '
           '"spec_sha256": null, "state": "committed", "files": [], "patches": []PROFILE}]}')


def test_the_journal_profile_is_optional_and_checked() -> None:
    assert parse(JOURNAL.replace("PROFILE", "").encode(), lambda rel: True)[0].profile is None
    assert parse(JOURNAL.replace("PROFILE", ', "profile": "broker"').encode(), lambda rel: True)[0].profile == "broker"
    for bad in ('"Broker/../x"', "7", '""'):
        with pytest.raises(ValueError, match="profile .* is not a product profile name"):
            parse(JOURNAL.replace("PROFILE", f', "profile": {bad}').encode(), lambda rel: True)


def test_a_home_belongs_to_one_node_per_profile(tmp_path: Path, cli: Cli) -> None:
    """The integrator as node 1 of one spec and the broker profile as node 2 of another, in one EI home."""
    (tmp_path / "a").mkdir()
    spec, h1, _ = two_nodes(tmp_path / "a", stock("wso2ei-6.4.0"))
    assert cli("apply", "--spec", spec, "--node", 1, "--yes").exit_code == 0
    broker = tmp_path / "broker.toml"
    broker.write_text(SPEC.format(home1=tmp_path / "elsewhere", home2=h1).replace(
        "offset = 0\n", 'offset = 0\nprofile = "broker"\n').replace("offset = 3\n", 'offset = 3\nprofile = "broker"\n'),
        encoding="utf-8")
    r = cli("apply", "--spec", broker, "--node", 2, "--yes")
    assert r.exit_code == 0, r.output
    assert [(t.node, t.profile) for t in journal_of(h1).load()] == [(1, None), (2, "broker")]
    again = cli("apply", "--spec", spec, "--node", 2, "--home", h1, "--yes")  # the integrator is node 1's
    assert again.exit_code == ExitCode.HOME and "patched as node 1" in again.stderr, again.output


# --- spec: profile and role -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("edit", "message", "key"), [
    (lambda t: t.replace("offset = 3\n", 'offset = 3\nprofile = "broker"\n'), "node #2 runs 'broker' but node #1 runs "
     "no profile (the main one): one spec describes one cluster, of one profile", "profile"),
    (lambda t: t.replace("offset = 0\n", 'offset = 0\nprofile = "brokr"\n'),
     "profile 'brokr' is not a product profile wso2patch supports (integrator, broker)", "profile"),
    (lambda t: t.replace("offset = 3\n", 'offset = 3\nrole = "boss"\n'), "role 'boss' must be 'manager' or 'worker'",
     "role"),
])
def test_spec_profile_and_role_mistakes_name_the_key_and_line(tmp_path: Path, edit: Any, message: str,
                                                              key: str) -> None:
    text = edit(SPEC.format(home1=tmp_path / "a", home2=tmp_path / "b"))
    path = tmp_path / "wso2patch.toml"
    path.write_text(text, encoding="utf-8")
    line = next(no for no, ln in enumerate(text.splitlines(), 1) if ln.startswith(f"{key} = "))
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    assert str(raised.value).startswith(f"{path}:{line}: {message}"), str(raised.value)


def test_worker_mounts_are_read_only_and_the_registry_path_is_the_products(tmp_path: Path) -> None:
    spec, h1, h2 = two_nodes(tmp_path, stock("wso2esb-5.0.0"), roles=("manager", "worker"))
    loaded = load_spec(spec)
    for node, home, read_only in ((1, h1, "false"), (2, h2, "true")):
        (reg,) = [f for f in plan_node(loaded, node, home).files if f.rel.endswith("registry.xml")]
        mounted = etree.fromstring(reg.new).xpath("/wso2registry/remoteInstance[normalize-space(id)='instanceid']"
                                                  "/readOnly/text()")
        assert mounted == [read_only]
        assert b"<targetPath>/_system/config/esb</targetPath>" in reg.new
    explicit = tmp_path / "explicit.toml"
    explicit.write_text(spec.read_text(encoding="utf-8") + '[registry]\nconfig_path = "/_system/config/mine"\n',
                        encoding="utf-8")
    (reg,) = [f for f in plan_node(load_spec(explicit), 1, h1).files if f.rel.endswith("registry.xml")]
    assert b"<targetPath>/_system/config/mine</targetPath>" in reg.new


def test_status_of_a_shared_home_reads_only_its_own_profiles_applies(tmp_path: Path, cli: Cli) -> None:
    """Regression: on an EI home patched only as the broker profile, the integrator spec's `status --home` took the
    broker's node for its own, and its patches for applied ones."""
    broker_spec, h1, _ = two_nodes(tmp_path, FIXTURES / "ei-home", profile="broker")
    assert cli("apply", "--spec", broker_spec, "--node", 1, "--yes").exit_code == 0
    integrator = tmp_path / "integrator.toml"
    integrator.write_text(SPEC.format(home1=h1, home2=tmp_path / "elsewhere"), encoding="utf-8")
    asked = cli("status", "--spec", integrator, "--home", h1)
    assert asked.exit_code == ExitCode.USAGE and "no apply recorded" in asked.stderr, asked.output
    fresh = cli("status", "--spec", integrator, "--home", h1, "--node", 1, "--json")
    states = {p["name"]: p["state"] for p in json.loads(fresh.stdout)["nodes"][0]["patches"]}
    assert states["clustering"] == states["registry-mounts"] == "pending", states
    broker = cli("status", "--spec", broker_spec, "--home", h1, "--json")  # its own node, from the journal
    assert broker.exit_code == 0 and json.loads(broker.stdout)["nodes"][0]["node"] == 1, broker.output
