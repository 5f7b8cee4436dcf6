"""`compare` matches datasources by the role the product uses them for (the JNDI name user-mgt.xml, registry.xml
and broker.xml reference), not by their names: nodes wired alike compare clean whatever their datasources are
called, and a node whose user store points elsewhere does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, copy_tree
from tests.test_cluster import edit
from wso2patch.compare import by_role, compare
from wso2patch.effective import load

REAL = FIXTURES / "mb-lb-cluster"
DS = "repository/conf/datasources/master-datasources.xml"
REGISTRY = "repository/conf/registry.xml"
USERMGT = "repository/conf/user-mgt.xml"
BROKER = "repository/conf/broker.xml"
EXPECTED = {"axis2.clustering.parameter[localMemberHost]", "broker.coordination.thriftServerHost"}


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return copy_tree(REAL / "mb1", tmp_path / "mb1"), copy_tree(REAL / "mb2", tmp_path / "mb2")


def rename(home: Path, pairs: list[tuple[str, str]], files: tuple[str, ...]) -> None:
    """Rename datasources / JNDI names / registry entries everywhere they occur (a differently named, equally
    wired node)."""
    for old, new in pairs:
        hits = 0
        for rel in files:
            raw = (home / rel).read_bytes()
            hits += raw.count(old.encode())
            (home / rel).write_bytes(raw.replace(old.encode(), new.encode()))
        assert hits, old


def test_nodes_wired_alike_compare_clean_whatever_their_datasources_are_called(pair: tuple[Path, Path]) -> None:
    a, b = pair
    rename(b, [("<name>WSO2_USER_DB<", "<name>USERS<"), (">jdbc/WSO2_USER_DB<", ">jdbc/Users<")], (DS, USERMGT))
    rename(b, [("<name>WSO2_MB_STORE_DB<", "<name>MB_STORE<"), (">WSO2MBStoreDB<", ">jdbc/MbStore<")], (DS, BROKER))
    rename(b, [("<name>WSO2_CONFIG_DB<", "<name>CONFIG<"), (">jdbc/WSO2_CONFIG_DB<", ">jdbc/Config<")], (DS, REGISTRY))
    rename(b, [('"WSO2_REG_DB"', '"govregistry"'), ("<dbConfig>WSO2_REG_DB<", "<dbConfig>govregistry<"),
               (">WSO2_REG_DB<", ">gov<")], (REGISTRY,))  # the dbConfig, then the remoteInstance id
    diffs = compare(load(a), load(b))
    assert [d.key for d in diffs if not d.expected] == []
    assert {d.key for d in diffs} == EXPECTED | {f"datasources[role:{r}].name" for r in ("user", "mb_store", "config")}
    assert {d.why for d in diffs if d.key.startswith("datasources[")} == {"datasource name (datasources match by role)"}


def test_a_user_store_pointing_elsewhere_is_an_unexpected_difference(pair: tuple[Path, Path]) -> None:
    a, b = pair
    edit(b / USERMGT, b'"dataSource">jdbc/WSO2_USER_DB<', b'"dataSource">jdbc/WSO2CarbonDB<')
    unexpected = {d.key: (d.a, d.b) for d in compare(load(a), load(b)) if not d.expected}
    assert unexpected["user-mgt.Realm.Configuration.Property[dataSource]"] == ("role:user", "role:user+local")
    assert "datasources[role:user].url" in unexpected  # node b has no datasource in that role any more


def test_a_config_mount_on_another_database_is_an_unexpected_difference(pair: tuple[Path, Path]) -> None:
    a, b = pair
    edit(b / DS, b"/WSO2_CONFIG_DB?", b"/MB_CONFIG_DB?")
    unexpected = [d for d in compare(load(a), load(b)) if not d.expected]
    assert [d.key for d in unexpected] == ["datasources[role:config].url"]
    assert "MB_CONFIG_DB" in str(unexpected[0].b) and "Mb-Db-Pass-1" not in str(unexpected[0])


def test_role_keys_and_references(pair: tuple[Path, Path]) -> None:
    flat = by_role(load(pair[0]))
    assert flat["registry.mount[/_system/config].instanceId"] == "role:config"
    assert flat["registry.remoteInstance[role:governance].dbConfig"] == "role:governance"
    assert flat["registry.currentDBConfig"] == "role:local"
    assert flat["broker.persistence.contextStore.property[dataSource]"] == "role:mb_store"
    assert str(flat["datasources[role:local].url"]).startswith("jdbc:h2:repository/database/WSO2CARBON_DB")
    assert not any(k.startswith("datasources[jdbc/") for k in flat)  # every datasource here serves a role
