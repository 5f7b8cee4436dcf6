"""Many nodes, one run (issue 9): diff attributes each node's diff to it, apply --all is one transaction per home and
goes on past a node that fails, homes not on this machine are listed (never skipped silently), a reader that leaves
early (| head) ends the run quietly, and the question names the files and patches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Cli, snapshot
from tests.test_bad_inputs import console_script
from tests.test_json_schema import assert_valid
from tests.test_signals import DELAY, changed, config, finish, start, states, wait_until

Cluster = Callable[[Path], tuple[Path, Path, Path]]
CARBON_XML = "repository/conf/carbon.xml"
MB = "WSO2 Message Broker 3.2.0"  # what the mb-home fixture is: diff and apply name it beside each home (issue 11)
REGISTRY_XML = "repository/conf/registry.xml"


def three_nodes(cluster: Cluster, tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """Nodes 1 and 2 here, node 3's home a typo: (spec, home1, home2, home3)."""
    spec, h1, h2 = cluster(FIXTURES / "mb-home")
    h3 = tmp_path / "mb3-typo"
    with spec.open("a", encoding="utf-8") as f:
        f.write(f'\n[[node]]\nid = 3\nhost = "10.100.7.119"\noffset = 6\nhome = "{h3}"\n')
    return spec, h1, h2, h3


def document(r: Any) -> dict[str, Any]:
    return assert_valid(json.loads(r.stdout))


# --- diff -----------------------------------------------------------------------------------------------------
def test_diff_of_several_nodes_heads_each_diff_and_lists_the_missing_home(cli: Cli, cluster: Cluster,
                                                                         tmp_path: Path) -> None:
    spec, h1, h2, h3 = three_nodes(cluster, tmp_path)
    r = cli("diff", "--spec", spec)
    assert r.exit_code == 1, r.output
    out = r.stdout.splitlines()
    heads = [i for i, line in enumerate(out) if line.startswith("# node ")]
    assert [out[i] for i in heads] == [f"# node 1 ({h1})", f"# node 2 ({h2})"]
    assert heads[0] == 0 and out[1].startswith("--- a/") and out[heads[1] + 1].startswith("--- a/")
    err = r.stderr.splitlines()
    assert err[0].startswith(f"node 1 ({h1}, {MB}): 6 file(s) would change: ")
    assert err[1].startswith(f"node 2 ({h2}, {MB}): 6 file(s) would change: ")
    assert err[2] == f"node 3 ({h3}): home not on this machine, skipped"
    doc = document(cli("diff", "--spec", spec, "--json"))
    assert (doc["status"], doc["exit_code"]) == ("pending", 1)
    assert [(n["node"], n["status"]) for n in doc["nodes"]] == [(1, "pending"), (2, "pending"), (3, "missing")]
    assert doc["nodes"][2] == {"node": 3, "home": str(h3), "status": "missing"}


def test_diff_of_one_node_has_no_header(cli: Cli, cluster: Cluster, tmp_path: Path) -> None:
    spec, *_ = three_nodes(cluster, tmp_path)
    r = cli("diff", "--spec", spec, "--node", 2)
    assert r.exit_code == 1 and r.stdout.startswith("--- a/") and "# node" not in r.stdout


def test_diff_goes_on_past_a_node_it_cannot_plan(cli: Cli, cluster: Cluster, tmp_path: Path) -> None:
    spec, h1, h2, _ = three_nodes(cluster, tmp_path)
    (h1 / REGISTRY_XML).write_text("<wso2registry><broken", encoding="utf-8")
    r = cli("diff", "--spec", spec)
    assert r.exit_code == 5, r.output
    assert f"# node 2 ({h2})" in r.stdout and "# node 1" not in r.stdout
    assert any(line.startswith(f"node 1 ({h1}): failed: {h1 / REGISTRY_XML}:") for line in r.stderr.splitlines())
    doc = document(cli("diff", "--spec", spec, "--json"))
    assert (doc["status"], doc["exit_code"]) == ("failed", 5)
    node1 = doc["nodes"][0]
    assert (node1["status"], node1["error"]["type"], node1["error"]["exit_code"]) == ("failed", "ConfigError", 5)


# --- apply --all ----------------------------------------------------------------------------------------------
def test_apply_all_lists_the_missing_home_and_its_twin_changes_nothing(cli: Cli, cluster: Cluster,
                                                                       tmp_path: Path) -> None:
    spec, h1, h2, h3 = three_nodes(cluster, tmp_path)
    r = cli("apply", "--spec", spec, "--all", "--yes")
    assert r.exit_code == 0, r.output
    assert f"node 1 ({h1}, {MB}): wrote 6 file(s)" in r.stdout and f"node 2 ({h2}, {MB}): wrote 6 file(s)" in r.stdout
    assert f"node 3 ({h3}): home not on this machine, skipped" in r.stderr
    assert states(h1) == states(h2) == ["committed"]
    before = snapshot(h1), snapshot(h2)
    again = document(cli("apply", "--spec", spec, "--all", "--yes", "--json"))
    assert (again["status"], again["exit_code"]) == ("already", 0)
    assert [(n["node"], n["status"]) for n in again["nodes"]] == [(1, "already"), (2, "already"), (3, "missing")]
    assert (snapshot(h1), snapshot(h2)) == before


def test_apply_all_goes_on_past_a_failed_node_and_exits_with_its_code(cli: Cli, cluster: Cluster,
                                                                      tmp_path: Path) -> None:
    spec, h1, h2, h3 = three_nodes(cluster, tmp_path)
    (h1 / REGISTRY_XML).write_text("<wso2registry><broken", encoding="utf-8")
    stock1 = snapshot(h1)
    doc = document(cli("apply", "--spec", spec, "--all", "--yes", "--json"))
    assert (doc["status"], doc["exit_code"]) == ("failed", 5)
    assert [(n["node"], n["status"]) for n in doc["nodes"]] == [(1, "failed"), (2, "applied"), (3, "missing")]
    assert doc["nodes"][0]["error"]["message"].startswith(f"{h1 / REGISTRY_XML}:")
    assert snapshot(h1) == stock1 and states(h2) == ["committed"]
    r = cli("apply", "--spec", spec, "--all", "--yes")  # the twin: node 2 is done, node 1 still fails
    assert r.exit_code == 5, r.output
    assert f"node 2 ({h2}, {MB}): already applied" in r.stdout
    lines = r.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"node 1 ({h1})", f"node 3 ({h3})"]
    assert lines[0].startswith(f"node 1 ({h1}): failed: {h1 / REGISTRY_XML}:")


def test_a_refusal_ends_an_apply_all_run(cli: Cli, cluster: Cluster, tmp_path: Path) -> None:
    spec, h1, h2, _ = three_nodes(cluster, tmp_path)
    r = cli("apply", "--spec", spec, "--all", "--json")  # no terminal, no --yes
    assert r.exit_code == 8
    assert document(r)["error"]["type"] == "RefusedError"
    assert not (h1 / ".wso2patch").exists() and not (h2 / ".wso2patch").exists()


def test_a_signal_stops_apply_all_after_the_node_under_way(cluster: Cluster, tmp_path: Path) -> None:
    spec, h1, h2, _ = three_nodes(cluster, tmp_path)
    stock1, stock2 = config(h1), config(h2)
    with (tmp_path / "out").open("wb") as out:
        proc = start(["apply", "--spec", spec, "--all", "--yes"], tmp_path, out, env={"WSO2PATCH_TEST_DELAY": DELAY})
        wait_until(proc, lambda: 1 <= changed(h1, stock1) < 5, "node 1 mid-write")
        proc.send_signal(signal.SIGTERM)
        err = finish(proc, 143)
    assert err.startswith("wso2patch: error: interrupted by SIGTERM; ")
    assert config(h1) == stock1 and states(h1) == ["recovered"]
    assert config(h2) == stock2 and not (h2 / ".wso2patch").exists()  # the run stopped: node 2 never started


# --- a reader that leaves early -------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["diff"], ["diff", "--json"], ["diff", "--node", "1"], ["apply", "--all", "--yes"]],
                         ids=["diff", "diff-json", "diff-node", "apply-all"])
def test_a_closed_pipe_ends_the_run_quietly(cluster: Cluster, tmp_path: Path, args: list[str]) -> None:
    """As 'wso2patch diff | head' when head has gone: no 'please report this', exit 141 as SIGPIPE would give."""
    spec, h1, h2, _ = three_nodes(cluster, tmp_path)
    before = snapshot(h1), snapshot(h2)
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line
    try:
        r = subprocess.run([*console_script(), *args, "--spec", str(spec)], stdout=write, stderr=subprocess.PIPE,
                           text=True, stdin=subprocess.DEVNULL, timeout=120)
    finally:
        os.close(write)
    assert (r.returncode, r.stderr) == (141, "")
    if args[0] == "apply":  # the diff is shown before the lock's writes: the run ended before any
        assert (snapshot(h1), snapshot(h2)) == before


def test_diff_into_head_prints_what_head_wants(cluster: Cluster, tmp_path: Path) -> None:
    spec, h1, _, _ = three_nodes(cluster, tmp_path)
    script = " ".join(console_script())
    r = subprocess.run(["sh", "-c", f'{script} diff --spec "{spec}" | head -1'],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.splitlines()[0] == f"# node 1 ({h1})"
    assert "error" not in r.stderr and "Traceback" not in r.stderr


# --- the question ---------------------------------------------------------------------------------------------
def test_the_question_names_the_files_and_the_patches(cluster: Cluster, tmp_path: Path) -> None:
    from wso2patch.commands.apply import question
    from wso2patch.commands.nodes import NodePlanResult
    from wso2patch.spec import load_spec
    from wso2patch.workflow_plan import plan_node

    spec, _, h2, _ = three_nodes(cluster, tmp_path)
    asked = question(NodePlanResult.from_plan(plan_node(load_spec(spec), 2, h2), "pending"))
    assert asked.startswith(f"Write 6 file(s) in {h2}: repository/conf/axis2/axis2.xml, ")
    assert CARBON_XML in asked and "(patches: " in asked and "clustering" in asked and asked.endswith(")?")


def test_quiet_still_names_the_node_that_failed(cli: Cli, cluster: Cluster, tmp_path: Path) -> None:
    spec, h1, h2, _ = three_nodes(cluster, tmp_path)
    (h1 / REGISTRY_XML).write_text("<wso2registry><broken", encoding="utf-8")
    r = cli("apply", "--spec", spec, "--all", "--yes", "-q")
    assert r.exit_code == 5 and r.stdout == ""
    assert [line.split(": failed: ")[0] for line in r.stderr.splitlines()] == [f"node 1 ({h1})"]
    assert states(h2) == ["committed"]
