"""A home belongs to one node (issue 9): patched as node 1, it is refused as node 2 unless --reassign, which also
retires node 1's REGISTRY_LOCAL1 so that check is clean; a home whose applies were all rolled back is nobody's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import Cli, copy_tree, snapshot, stock_params
from tests.test_bad_inputs import (
    CARBON,
    DATASOURCES,
    HOME_ERR,
    MB_HOME,
    NO_FIXTURES,
    Case,
    Env,
    apply_ok,
    check_error,
    make_env,
    state,
)
from tests.test_json_schema import assert_valid
from wso2patch.entries import Transaction
from wso2patch.owner import owner_of

Cluster = Callable[[Path], tuple[Path, Path, Path]]
NEEDS_FIXTURE = pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)
TREES = [pytest.param(MB_HOME, id="fixture-mb-home", marks=NEEDS_FIXTURE), stock_params()[0]]


def _says_both(env: Env) -> list[str]:
    return [str(env.home1), "patched as node 1, not node 2", "--node 1", "--reassign"]


def _as_node2(command: str) -> Callable[[Env], list[str | Path]]:
    def setup(env: Env) -> list[str | Path]:
        apply_ok(env)
        extra = ["--yes"] if command == "apply" else []
        return [command, "--node", "2", "--home", env.home1, "--spec", env.spec, *extra]
    return setup


CASES = [
    Case("apply-node1-home-as-node2", _as_node2("apply"), HOME_ERR, _says_both, trees=True),
    Case("diff-node1-home-as-node2", _as_node2("diff"), HOME_ERR, _says_both),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("tree", TREES)
def test_refused(case: Case, tree: Path, tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    env = make_env(tmp_path, cluster, tree)
    args = case.setup(env)
    before = state(tmp_path)
    result = cli(*args)
    assert state(tmp_path) == before, "a refusal wrote something"
    check_error(case, env, result.exit_code, result.stdout, result.stderr)


@NEEDS_FIXTURE
def test_refusal_json_names_the_class(tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    apply_ok(env)
    result = cli("apply", "--node", "2", "--home", env.home1, "--spec", env.spec, "--yes", "--json")
    doc = assert_valid(json.loads(result.stdout))
    assert (result.exit_code, doc["exit_code"], doc["status"]) == (HOME_ERR, HOME_ERR, "error")
    assert doc["error"]["type"] == "OwnerError"
    done = cli("apply", "--node", "2", "--home", env.home1, "--spec", env.spec, "--yes", "--json", "--reassign")
    doc = assert_valid(json.loads(done.stdout))
    assert (done.exit_code, doc["status"], [n["node"] for n in doc["nodes"]]) == (0, "applied", [2])


def _active_per_jndi(raw: bytes) -> dict[str, list[str]]:
    root = etree.fromstring(raw)
    out: dict[str, list[str]] = {}
    for ds in root.iter("datasource"):
        out.setdefault("".join(ds.findtext("jndiConfig/name") or "").strip(), []).append(
            (ds.findtext("name") or "").strip())
    return out


def _config(home: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(home).items() if not k.startswith(".wso2patch")}


@pytest.mark.parametrize("tree", TREES)
def test_reassign_end_to_end(tree: Path, tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    env = make_env(tmp_path, cluster, tree)
    apply_ok(env)
    as_node1 = _config(env.home1)
    as_node2: list[str | Path] = ["apply", "--node", "2", "--home", env.home1, "--spec", env.spec, "--yes",
                                  "--reassign"]
    first = cli(*as_node2)
    assert first.exit_code == 0, first.output
    ds = _active_per_jndi((env.home1 / DATASOURCES).read_bytes())
    assert ds["jdbc/WSO2CarbonDB"] == ["REGISTRY_LOCAL2"], ds
    assert all(len(names) == 1 for names in ds.values()), ds
    # the same bytes as node 2 patched fresh: nothing of node 1 is left behind
    fresh = copy_tree(tree, tmp_path / "fresh2")
    assert cli("apply", "--node", "2", "--home", fresh, "--spec", env.spec, "--yes").exit_code == 0
    assert _config(env.home1) == _config(fresh)
    # a second run changes nothing, with or without --reassign (the home is node 2's now)
    before = state(tmp_path)
    for args in (as_node2, as_node2[:-1]):
        again = cli(*args)
        assert again.exit_code == 0 and "already applied" in again.output, again.output
    assert state(tmp_path) == before
    # the spec that goes with it: home1 is node 2's, home2 node 1's; check's cluster rules are clean
    swapped = tmp_path / "swapped.toml"
    text = env.spec.read_text(encoding="utf-8")
    swapped.write_text(text.replace(str(env.home1), "@1").replace(str(env.home2), str(env.home1))
                       .replace("@1", str(env.home2)), encoding="utf-8")
    assert cli("apply", "--node", "1", "--spec", swapped, "--yes").exit_code == 0
    check = cli("check", "--spec", swapped)
    assert check.exit_code == 0 and "error" not in check.stdout, check.output
    back = cli("rollback", "--home", env.home1, "--yes")
    assert back.exit_code == 0, back.output
    assert _config(env.home1) == as_node1
    # rolled back to node 1's files: the home is node 1's again
    assert cli("apply", "--node", "2", "--home", env.home1, "--spec", env.spec, "--yes").exit_code == HOME_ERR


@NEEDS_FIXTURE
def test_diff_reassign_previews_the_retirement(tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    apply_ok(env)
    before = state(tmp_path)
    result = cli("diff", "--node", "2", "--home", env.home1, "--spec", env.spec, "--reassign")
    assert result.exit_code == 1, result.output
    assert "-            <name>REGISTRY_LOCAL1</name>" in result.stdout
    assert state(tmp_path) == before


@NEEDS_FIXTURE
def test_all_rolled_back_belongs_to_nobody(tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    apply_ok(env)
    assert cli("rollback", "--home", env.home1, "--yes").exit_code == 0
    result = cli("apply", "--node", "2", "--home", env.home1, "--spec", env.spec, "--yes")
    assert result.exit_code == 0, result.output
    ds = _active_per_jndi((env.home1 / DATASOURCES).read_bytes())
    assert ds["jdbc/WSO2CarbonDB"] == ["REGISTRY_LOCAL2"], ds


@NEEDS_FIXTURE
def test_apply_all_unaffected(tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    first = cli("apply", "--all", "--spec", env.spec, "--yes")
    assert first.exit_code == 0, first.output
    before = state(tmp_path)
    again = cli("apply", "--all", "--spec", env.spec, "--yes")
    assert again.exit_code == 0, again.output
    assert state(tmp_path) == before


def _tx(node: int | None, tx_state: str) -> Transaction:
    return Transaction(id="20260101T000000Z-1", time="", node=node, spec=None, spec_sha256=None,
                       state=tx_state)  # type: ignore[arg-type]


@pytest.mark.parametrize(("txs", "owner"), [
    ([], None),
    ([_tx(1, "rolled_back")], None),
    ([_tx(1, "recovered")], None),
    ([_tx(1, "committed"), _tx(2, "rolled_back")], 1),
    ([_tx(1, "committed"), _tx(2, "committed")], 2),
    ([_tx(None, "committed")], None),
])
def test_owner_of(txs: list[Transaction], owner: int | None) -> None:
    assert owner_of(txs) == owner
