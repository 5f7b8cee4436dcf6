"""Every command's --json document validates against the JSON Schema shipped in the package (wso2patch/2), with the
JSON types a script can use (node ids and counts as numbers, lists as lists); the schema refuses what it should; the
result types of diff, apply, rollback and recover already have the shape their old Report output has."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import FIXTURES, Cli, MariaDB
from tests.test_bad_inputs import console_script
from wso2patch.schema import SCHEMA, SCHEMA_FILE

Cluster = Callable[[Path], tuple[Path, Path, Path]]
SCHEMA_DOC = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA_DOC)
COMMANDS = ["init", "patches", "diff", "apply", "rollback", "recover", "history", "status", "check", "compare",
            "db sql", "db init"]


def problems(doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def assert_valid(doc: Any) -> dict[str, Any]:
    assert not problems(doc), problems(doc)
    assert isinstance(doc, dict)
    return doc


def run(cli: Cli, *args: str | Path | int, code: int = 0, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One command with --json: its exit code, one valid document on stdout, the command named in it."""
    r = cli(*args, "--json", env=env)
    assert r.exit_code == code, r.output
    doc = assert_valid(json.loads(r.stdout))
    assert doc["exit_code"] == code and doc["schema"] == SCHEMA
    words = [str(a) for a in args]
    assert doc["command"] == (" ".join(words[:2]) if words[0] == "db" else words[0])
    return doc


def test_the_schema_is_a_2020_12_schema_with_a_branch_per_command() -> None:
    Draft202012Validator.check_schema(SCHEMA_DOC)
    assert SCHEMA_DOC["title"] == SCHEMA == SCHEMA_DOC["properties"]["schema"]["const"] == "wso2patch/2"
    named = {d["properties"]["command"]["const"] for k, d in SCHEMA_DOC["$defs"].items() if k.startswith("command-")}
    assert named == set(COMMANDS)


def test_read_only_commands_speak_typed_json(cli: Cli, cluster: Cluster, tmp_path: Path) -> None:
    spec, h1, h2 = cluster(FIXTURES / "mb-home")
    init = run(cli, "init", tmp_path / "new.toml")
    assert (init["status"], init["spec"]) == ("written", str(tmp_path / "new.toml"))
    listed = run(cli, "patches")["patches"]
    assert len(listed) == 22 and all(isinstance(p["operations"], int) and isinstance(p["requires"], list)
                                     for p in listed)
    status = run(cli, "status", "--spec", spec, code=1)
    assert [n["node"] for n in status["nodes"]] == [1, 2] and status["patches"][0] == "clustering"
    assert {p["name"]: p["state"] for p in status["nodes"][1]["patches"]}["port-offset"] == "pending"
    check = run(cli, "check", "--spec", spec, code=1)
    assert check["status"] == "failed" and check["planned"] is False and check["datasources"] is None
    assert {f["node"] for f in check["findings"]} <= {None, 1, 2} and None in {f["node"] for f in check["findings"]}
    planned = run(cli, "check", "--spec", spec, "--planned")
    assert planned["planned"] is True and {f["level"] for f in planned["findings"]} == {"ok", "warning"}  # no jar
    compared = run(cli, "compare", h1, h2)
    assert compared["status"] == "consistent" and compared["differences"] == []
    sql = run(cli, "db", "sql", "--spec", spec, "--server", "mariadb")
    assert (sql["flavour"], sql["home"]) == ("mariadb", str(h1)) and "CREATE DATABASE" in sql["sql"]
    assert "BY '********'" in sql["sql"] and "BY 'regadmin'" not in sql["sql"]  # masked in JSON as on the screen


def test_writing_commands_and_their_history_speak_typed_json(cli: Cli, cluster: Cluster) -> None:
    spec, h1, h2 = cluster(FIXTURES / "mb-home")
    pending = run(cli, "diff", "--spec", spec, "--node", 2, code=1)
    node = pending["nodes"][0]
    assert node["node"] == 2 and all(isinstance(f["changed"], bool) for f in node["files"])
    assert all(isinstance(f["diff"], str) for f in node["files"] if f["changed"])
    applied = run(cli, "apply", "--spec", spec, "--node", 2, "--yes")
    assert applied["status"] == "applied" and applied["nodes"][0]["transaction"]["node"] == 2
    assert run(cli, "apply", "--spec", spec, "--node", 2, "--yes")["status"] == "already"
    assert run(cli, "diff", "--spec", spec, "--node", 2)["status"] == "clean"
    history = run(cli, "history", "--home", h2)
    (tx,) = history["transactions"]
    assert (history["home"], tx["node"], tx["state"]) == (str(h2), 2, "committed")
    assert isinstance(tx["files"], list) and isinstance(tx["patches"], list) and len(tx["spec_sha256"]) == 64
    assert run(cli, "status", "--spec", spec, "--node", 2)["status"] == "applied"
    compared = run(cli, "compare", h1, h2, code=1)  # node 1 is stock: its clustering is not the same
    assert compared["status"] == "drift" and any(not d["expected"] for d in compared["differences"])
    assert all(isinstance(d["a"], str | list) or d["a"] is None for d in compared["differences"])
    assert run(cli, "recover", "--home", h2)["status"] == "nothing"
    back = run(cli, "rollback", "--home", h2, "--yes")
    assert back["status"] == "rolled_back" and back["nodes"][0]["transactions"][0]["id"] == tx["id"]
    assert run(cli, "rollback", "--home", h2, "--yes")["status"] == "nothing"


def test_check_without_a_spec_runs_only_the_rules_of_one_node(cli: Cli, cluster: Cluster, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, h1, _ = cluster(FIXTURES / "mb-home")
    monkeypatch.chdir(tmp_path / "mb2")  # no wso2patch.toml here
    doc = run(cli, "check", "--home", h1, env={"WSO2PATCH_SPEC": ""})
    assert doc["datasources"] is None
    assert {(f["rule"], f["level"], f["node"]) for f in doc["findings"]} == {("vault-aliases", "ok", 1)}  # no cluster
    assert [w.split(":")[0] for w in doc["warnings"]] == [str(h1)]  # no driver jar


@pytest.mark.parametrize(("args", "code", "kind"), [
    (lambda s, h, t: ["apply", "--spec", s, "--node", "9", "--yes"], 3, "SpecError"),
    (lambda s, h, t: ["status", "--spec", s, "--home", t / "nope"], 4, "HomeError"),
    (lambda s, h, t: ["history", "--home", t / "nope"], 4, "HomeError"),
    (lambda s, h, t: ["compare", h, t / "nope"], 4, "HomeError"),
    (lambda s, h, t: ["check", "--spec", t / "none.toml"], 3, "SpecError"),
    (lambda s, h, t: ["db", "sql", "--spec", s, "--home", t], 4, "HomeError"),
    (lambda s, h, t: ["init", s], 8, "RefusedError"),
], ids=["spec", "status-home", "history-home", "compare-home", "check-spec", "db-sql-home", "init-exists"])
def test_errors_are_one_valid_document(cli: Cli, cluster: Cluster, tmp_path: Path, args: Any, code: int,
                                       kind: str) -> None:
    spec, h1, _ = cluster(FIXTURES / "mb-home")
    r = cli(*args(spec, h1, tmp_path), "--json")
    assert r.exit_code == code, r.output
    doc = assert_valid(json.loads(r.stdout))
    assert (doc["status"], doc["exit_code"], doc["error"]["type"]) == ("error", code, kind)
    assert "nodes" not in doc or doc["command"] in ("diff", "apply", "rollback", "recover")


@pytest.mark.parametrize(("args", "command", "needle"), [
    (["status", "--nod", "1"], "status", "--nod"),
    (["db", "sql", "--server", "oracle"], "db sql", "'oracle' is not one of"),
    (["frob"], None, "No such command 'frob'"),
    (["db", "frob"], "db", "No such command 'frob'"),
    (["apply", "--node", "x"], "apply", "--node"),
    (["rollback"], "rollback", "give --home DIR or --node ID"),
])
def test_usage_errors_with_json_print_one_document_too(args: list[str], command: str | None, needle: str) -> None:
    r = subprocess.run([*console_script(), *args, "--json"], capture_output=True, text=True)
    assert r.returncode == 2
    doc = assert_valid(json.loads(r.stdout))
    assert (doc["command"], doc["status"], doc["exit_code"], doc["error"]["type"]) == (command, "error", 2,
                                                                                         "UsageError")
    assert needle in doc["error"]["message"] and doc["error"]["message"] in r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("wso2patch: usage error: ")


def test_db_init_and_check_db_documents(cli: Cli, mariadb: MariaDB, tmp_path: Path) -> None:
    from tests.conftest import copy_tree
    from tests.test_db import write_spec

    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, prefix, _ = write_spec(tmp_path, mariadb, [home])
    first = run(cli, "db", "init", "--spec", spec, "--yes")
    [server] = first["servers"]
    assert first["status"] == "applied" and server["server"] == f"{mariadb.host}:{mariadb.port}"
    assert any(a == f"create database {prefix}USER" for a in server["actions"]) and server["ready"] == []
    again = run(cli, "db", "init", "--spec", spec, "--yes")
    [server] = again["servers"]
    assert (again["status"], server["actions"]) == ("already", []) and f"{prefix}USER" in server["ready"]
    assert run(cli, "apply", "--spec", spec, "--node", 1, "--yes")["status"] == "applied"
    checked = run(cli, "check", "--db", "--spec", spec, "--node", 1)
    (node,) = checked["datasources"]
    assert node["node"] == 1 and {r["ok"] for r in node["results"]} <= {True, None}


# --- the schema refuses what a script could not rely on ---------------------------------------------------
def _status_doc() -> dict[str, Any]:
    return {"schema": SCHEMA, "command": "status", "status": "pending", "exit_code": 1, "warnings": [],
            "patches": ["clustering"],
            "nodes": [{"node": 1, "home": "/h", "patches": [{"name": "clustering", "state": "pending"}],
                       "product": {"key": "mb", "name": "WSO2 Message Broker", "version": "3.2.0", "profile": "default",
                                   "conf": "repository/conf"}}]}


@pytest.mark.parametrize("spoil", [
    lambda d: d["nodes"][0].update(node="1"),  # a node id as text
    lambda d: d.update(exit_code=0),  # pending is exit 1
    lambda d: d.update(extra=True),  # a key nobody documented
    lambda d: d.update(error={"type": "X", "message": "m"}),  # an error on a document that succeeded
    lambda d: d.pop("warnings"),
    lambda d: d["nodes"][0]["patches"][0].update(state="None"),
    lambda d: d.update(schema="wso2patch/1"),
    lambda d: d.update(status="error"),  # an error document needs its error
    lambda d: d["nodes"][0].pop("product"),  # issue 11: every node says what its home holds
    lambda d: d["nodes"][0]["product"].update(version=6.4),
], ids=["node-text", "exit-code", "unknown-key", "error-on-success", "no-warnings", "bad-state", "old-schema",
        "error-without-error", "no-product", "product-version-number"])
def test_the_schema_refuses(spoil: Callable[[dict[str, Any]], object]) -> None:
    doc = _status_doc()
    assert not problems(doc)
    spoilt = deepcopy(doc)
    spoil(spoilt)
    assert problems(spoilt)


# --- diff, apply, rollback, recover: their result types, ready for the move onto commands/ -------------------
def test_the_result_types_of_diff_and_apply_match_what_the_old_report_prints(cli: Cli, cluster: Cluster,
                                                                            tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from dataclasses import replace

    from wso2patch.commands.apply import ApplyResult
    from wso2patch.commands.nodes import DiffResult, NodePlanResult
    from wso2patch.entries import shown as as_shown
    from wso2patch.errors import ExitCode
    from wso2patch.render import document, plain, show
    from wso2patch.report import Report, plan_json
    from wso2patch.spec import load_spec
    from wso2patch.workflow_files import journal_of
    from wso2patch.workflow_plan import plan_node

    spec, _, h2 = cluster(FIXTURES / "mb-home")
    (h2 / "repository/components/lib").mkdir(parents=True, exist_ok=True)
    jar = tmp_path / "mysql-connector-java-5.1.49.jar"
    with zipfile.ZipFile(jar, "w") as z:
        z.writestr("com/mysql/jdbc/Driver.class", b"\xca\xfe\xba\xbe")
    plan = plan_node(load_spec(spec), 2, h2, jdbc_driver=jar)
    node = NodePlanResult.from_plan(plan, "pending")
    assert plain(node, str) == plan_json(plan, with_diff=True, reveal=True) | {"status": "pending"}

    diff = DiffResult(status="pending", exit_code=ExitCode.PENDING, nodes=[node])
    screen = Report("diff", False)
    old = cli("diff", "--spec", spec, "--node", 2, "--jdbc-driver", jar, "--json")
    doc = assert_valid(document(diff, screen.clean, screen.clean_diff))
    assert doc == json.loads(old.stdout) and "<password>********</password>" in json.dumps(doc)
    assert "<password>regadmin</password>" in json.dumps(document(diff, str))  # the plan holds it: masked above
    show(screen, diff.human())
    shown = capsys.readouterr()
    human = cli("diff", "--spec", spec, "--node", 2, "--jdbc-driver", jar)
    assert (shown.out, shown.err) == (human.stdout, human.stderr)

    applied = cli("apply", "--spec", spec, "--node", 2, "--jdbc-driver", jar, "--yes")
    (tx,) = journal_of(h2).load()
    done = NodePlanResult.from_plan(plan, "applied", tx)
    assert plain(done, str) == plan_json(plan, with_diff=True, reveal=True) | {"status": "applied",
                                                                                "transaction": as_shown(tx)}
    result = ApplyResult(status="applied", nodes=[done])
    assert_valid(document(result, str))
    after_recovery = ApplyResult(status="applied", nodes=[replace(done, recovered=[tx])])
    assert assert_valid(document(after_recovery, str))["nodes"][0]["recovered"][0]["id"] == tx.id
    show(screen, done.preview() + result.human())  # the preview is what Ui.confirm shows
    assert capsys.readouterr().out == applied.stdout


def test_the_result_types_of_rollback_and_recover_match_what_they_print(cli: Cli, cluster: Cluster,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from wso2patch.commands.rollback import HomeTransactions, RecoverResult, RollbackResult
    from wso2patch.render import document, show
    from wso2patch.report import Report
    from wso2patch.workflow_files import journal_of

    spec, _, h2 = cluster(FIXTURES / "mb-home")
    assert cli("apply", "--spec", spec, "--node", 2, "--yes").exit_code == 0
    back = cli("rollback", "--home", h2, "--yes")
    (tx,) = journal_of(h2).load()
    result = RollbackResult(status="rolled_back", nodes=[HomeTransactions(h2, "rolled_back", [tx], [])])
    show(Report("rollback", False), result.human())
    assert capsys.readouterr().out == back.stdout
    assert cli("apply", "--spec", spec, "--node", 2, "--yes").exit_code == 0
    doc = assert_valid(json.loads(cli("rollback", "--home", h2, "--yes", "--json").stdout))
    (_, tx2) = journal_of(h2).load()
    assert doc == document(RollbackResult(status="rolled_back", nodes=[HomeTransactions(h2, "rolled_back", [tx2],
                                                                                        [])]), str)
    nothing = RollbackResult(status="nothing", nodes=[HomeTransactions(h2, "nothing", [], [])])
    show(Report("rollback", False), nothing.human())
    assert capsys.readouterr().out == cli("rollback", "--home", h2, "--yes").stdout
    assert assert_valid(json.loads(cli("rollback", "--home", h2, "--yes", "--json").stdout)) == document(nothing, str)
    recovered = RecoverResult(status="nothing", nodes=[HomeTransactions(h2, "nothing", [], [])])
    assert assert_valid(json.loads(cli("recover", "--home", h2, "--json").stdout)) == document(recovered, str)
    show(Report("recover", False), recovered.human())
    assert capsys.readouterr().out == cli("recover", "--home", h2).stdout
