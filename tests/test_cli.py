"""The command line as a user drives it: diff, apply, rollback, init, patches, --json."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, Cli, all_tree_params, snapshot, stock_params

Cluster = Callable[[Path], tuple[Path, Path, Path]]
CARBON = "repository/conf/carbon.xml"
REGISTRY = "repository/conf/registry.xml"


@pytest.fixture(params=all_tree_params())
def tree(request: pytest.FixtureRequest) -> Path:
    return Path(request.param)


def test_diff_shows_pending_changes_and_writes_nothing(cli: Cli, cluster: Cluster, tree: Path) -> None:
    spec, _h1, _h2 = cluster(tree)
    before = snapshot(spec.parent)
    r = cli("diff", "--spec", spec, "--node", "2")
    assert r.exit_code == 1
    for name in ("axis2.xml", "carbon.xml", "master-datasources.xml", "registry.xml", "user-mgt.xml"):
        assert "+++ b/repository/conf/" in r.stdout and name in r.stdout
    assert "+    <HostName>10.100.7.118</HostName>" in r.stdout
    assert snapshot(spec.parent) == before


def test_apply_then_apply_again_then_rollback_is_byte_identical(cli: Cli, cluster: Cluster, tree: Path) -> None:
    spec, _h1, h2 = cluster(tree)
    stock = snapshot(h2)
    r = cli("apply", "--spec", spec, "--node", "2", "--yes")
    assert r.exit_code == 0, r.output
    assert "wrote" in r.stdout
    patched = snapshot(h2)
    assert patched != stock
    again = cli("apply", "--spec", spec, "--node", "2", "--yes")
    assert again.exit_code == 0 and "already applied" in again.stdout
    assert snapshot(h2) == patched
    assert cli("diff", "--spec", spec, "--node", "2").exit_code == 0
    back = cli("rollback", "--home", h2, "--yes")
    assert back.exit_code == 0, back.output
    assert {k: v for k, v in snapshot(h2).items() if not k.startswith(".wso2patch/")} == stock
    twice = cli("rollback", "--home", h2, "--yes")
    assert twice.exit_code == 0 and "nothing to roll back" in twice.stdout


def test_apply_that_had_nothing_to_do_records_nothing(cli: Cli, cluster: Cluster) -> None:
    spec, h1, _ = cluster(FIXTURES / "mb-home")
    assert cli("apply", "--spec", spec, "--node", "1", "--yes").exit_code == 0
    assert cli("apply", "--spec", spec, "--node", "1", "--yes").exit_code == 0
    journal = json.loads((h1 / ".wso2patch/journal.json").read_text())
    assert [t["state"] for t in journal["transactions"]] == ["committed"]
    assert cli("rollback", "--node", "1", "--spec", spec, "--yes").exit_code == 0
    assert "nothing to roll back" in cli("rollback", "--node", "1", "--spec", spec, "--yes").stdout


def test_apply_without_yes_and_without_a_terminal_refuses(cli: Cli, cluster: Cluster) -> None:
    spec, _, _h2 = cluster(FIXTURES / "mb-home")
    before = snapshot(spec.parent)
    r = cli("apply", "--spec", spec, "--node", "2")
    assert r.exit_code == 8
    assert "rerun with --yes" in r.stderr
    assert snapshot(spec.parent) == before


def test_rollback_refuses_after_a_hand_edit_unless_forced(cli: Cli, cluster: Cluster) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    stock = snapshot(h2)
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    carbon = h2 / CARBON
    edited = carbon.read_bytes().replace(b"<Offset>3</Offset>", b"<Offset>7</Offset>")
    carbon.write_bytes(edited)
    before = snapshot(h2)
    r = cli("rollback", "--home", h2, "--yes")
    assert r.exit_code == 7
    assert CARBON in r.stderr and "--force" in r.stderr
    assert snapshot(h2) == before
    forced = cli("rollback", "--home", h2, "--yes", "--force")
    assert forced.exit_code == 0
    assert {k: v for k, v in snapshot(h2).items() if not k.startswith(".wso2patch/")} == stock
    kept = list((h2 / ".wso2patch/backups").rglob("carbon.xml.hand-edited"))
    assert [p.read_bytes() for p in kept] == [edited]


def test_json_results_for_diff_apply_and_rollback(cli: Cli, cluster: Cluster) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    d = json.loads(cli("diff", "--spec", spec, "--node", "2", "--json").stdout)
    assert (d["schema"], d["command"], d["status"], d["exit_code"]) == ("wso2patch/2", "diff", "pending", 1)
    files = {f["path"]: f for f in d["nodes"][0]["files"]}
    assert files[CARBON]["changed"] and "+++ b/" + CARBON in files[CARBON]["diff"]
    assert {op["result"] for op in files[CARBON]["operations"]} == {"applied"}
    a = json.loads(cli("apply", "--spec", spec, "--node", "2", "--yes", "--json").stdout)
    assert a["status"] == "applied" and a["nodes"][0]["transaction"]["state"] == "committed"
    again = json.loads(cli("apply", "--spec", spec, "--node", "2", "--yes", "--json").stdout)
    ops = [op["result"] for f in again["nodes"][0]["files"] for op in f["operations"]]
    assert again["status"] == "already" and set(ops) - {"skipped"} == {"already"}  # skipped: ops the spec leaves out
    rb = json.loads(cli("rollback", "--home", h2, "--yes", "--json").stdout)
    assert rb["status"] == "rolled_back" and rb["exit_code"] == 0
    err = cli("apply", "--spec", spec, "--node", "9", "--yes", "--json")
    assert err.exit_code == 3 and json.loads(err.stdout)["error"]["type"] == "SpecError"


def test_diff_without_node_covers_every_home_present(cli: Cli, cluster: Cluster) -> None:
    spec, _h1, _h2 = cluster(FIXTURES / "mb-home")
    assert cli("apply", "--spec", spec, "--node", "1", "--yes").exit_code == 0
    r = cli("diff", "--spec", spec)
    assert r.exit_code == 1
    assert "node 1" in r.stderr and "nothing to change" in r.stderr and "node 2" in r.stderr


def test_spec_found_through_the_environment(cli: Cli, cluster: Cluster) -> None:
    spec, _, _ = cluster(FIXTURES / "mb-home")
    assert cli("diff", "--node", "2", env={"WSO2PATCH_SPEC": str(spec)}).exit_code == 1


def test_mode_is_kept_and_symlinked_configs_are_edited_through_the_link(cli: Cli, cluster: Cluster,
                                                                        tmp_path: Path) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    shared = tmp_path / "shared-registry.xml"
    (h2 / REGISTRY).rename(shared)
    (h2 / REGISTRY).symlink_to(shared)
    (h2 / CARBON).chmod(0o640)
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    assert (h2 / REGISTRY).is_symlink() and b"sharedregistry" in shared.read_bytes()
    assert stat.S_IMODE(os.stat(h2 / CARBON).st_mode) == 0o640


def test_untouched_files_keep_their_inode(cli: Cli, cluster: Cluster) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    props = h2 / "repository/conf/hazelcast.properties"
    ino = props.stat().st_ino
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    assert props.stat().st_ino == ino


def test_init_writes_a_starter_spec_that_loads_and_refuses_to_overwrite(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "wso2patch.toml"
    assert cli("init", target).exit_code == 0
    text = target.read_text()
    assert "[[node]]" in text and "password_env" in text
    assert cli("init", target).exit_code == 8
    assert target.read_text() == text
    from wso2patch.spec import load_spec

    assert [n.id for n in load_spec(target).nodes] == [1, 2]


def test_patches_lists_one_line_each(cli: Cli) -> None:
    r = cli("patches")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 22 and lines[0].startswith("clustering ") and lines[0].endswith("  (built-in)")
    listed = json.loads(cli("patches", "--json").stdout)["patches"]
    assert listed[12]["name"] == "datasources" and {n["source"] for n in listed} == {"built-in"}


@pytest.mark.parametrize("stock", stock_params())
def test_real_tree_untouched_files_stay_byte_identical(cli: Cli, cluster: Cluster, stock: Path) -> None:
    spec, _, h2 = cluster(stock)
    before = snapshot(h2)
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    after = snapshot(h2)
    touched = {k for k in before if before[k] != after.get(k)}
    assert touched <= {"repository/conf/axis2/axis2.xml", CARBON, "repository/conf/datasources/master-datasources.xml",
                       REGISTRY, "repository/conf/user-mgt.xml", "repository/conf/broker.xml"}


@pytest.mark.parametrize("args, needle", [
    (["apply", "--nod", "2"], "--nod"),
    (["apply", "--node", "x"], "--node"),
    (["frob"], "No such command 'frob'"),
    (["diff", "--home", "/tmp"], "--home needs --node"),
    (["rollback"], "give --home DIR or --node ID"),
])
def test_usage_errors_are_one_line_with_exit_2(args: list[str], needle: str) -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "wso2patch", *args], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("wso2patch: usage error:") and needle in r.stderr
    assert r.stdout == ""


def _console(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    from tests.test_bad_inputs import console_script

    return subprocess.run([*console_script(), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args", [[], ["status"], ["db"], ["db", "init"], ["apply"], ["compare"]])
def test_h_is_help_everywhere(cli: Cli, args: list[str]) -> None:
    short, long = cli(*args, "-h"), cli(*args, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout and "Usage:" in short.stdout and "-h" in short.stdout


def test_v_is_version() -> None:
    from wso2patch import __version__

    short, long = _console("-V"), _console("--version")
    assert short.returncode == long.returncode == 0 and short.stdout == long.stdout == f"wso2patch {__version__}\n"


def test_a_group_without_its_subcommand_shows_its_help_and_no_empty_error() -> None:
    r = _console("db")
    assert r.returncode == 2 and "sql" in r.stdout and "Usage: wso2patch db" in r.stdout
    assert r.stderr == ""  # was "wso2patch: usage error: ; see 'wso2patch db --help'"


def test_a_usage_error_names_the_whole_subcommand() -> None:
    r = _console("db", "sql", "--server", "oracle")
    assert r.returncode == 2 and r.stderr.endswith("see 'wso2patch db sql --help'\n")  # was 'wso2patch sql --help'


def test_status_of_a_home_that_does_not_exist_is_a_home_error(cli: Cli, cluster: Cluster, tmp_path: Path) -> None:
    spec, _, _ = cluster(FIXTURES / "mb-home")
    r = cli("status", "--spec", spec, "--home", tmp_path / "nope")
    assert r.exit_code == 4 and "the product home does not exist" in r.stderr  # was exit 2, "which node is it?"


def test_completion_is_offered_shown_and_installed(tmp_path: Path) -> None:
    no_detection = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}  # the shell is named, not detected
    shown = _console("--show-completion", "bash", env=no_detection)
    assert shown.returncode == 0 and "_WSO2PATCH_COMPLETE=complete_bash" in shown.stdout
    words = _console(env={"_WSO2PATCH_COMPLETE": "complete_bash", "COMP_WORDS": "wso2patch sta", "COMP_CWORD": "1"})
    assert words.stdout.split() == ["status"]
    options = _console(env={"_WSO2PATCH_COMPLETE": "complete_bash", "COMP_WORDS": "wso2patch db sql --s",
                            "COMP_CWORD": "3"})
    assert set(options.stdout.split()) == {"--spec", "--server", "--show-secrets"}
    installed = _console("--install-completion", "bash", env={**no_detection, "HOME": str(tmp_path)})
    assert installed.returncode == 0
    assert "_wso2patch_completion" in (tmp_path / ".bash_completions/wso2patch.sh").read_text()
    assert "wso2patch.sh" in (tmp_path / ".bashrc").read_text()


# --- --quiet: nothing but warnings and errors; the exit code tells ---------------------------------------------
def test_quiet_prints_nothing_but_the_outcome_is_in_the_exit_code(cli: Cli, cluster: Cluster, tmp_path: Path) -> None:
    spec, h1, h2 = cluster(FIXTURES / "mb-home")
    runs: list[tuple[list[str | Path | int], int]] = [
        (["init", tmp_path / "q.toml"], 0), (["patches"], 0), (["diff", "--spec", spec], 1),
        (["status", "--spec", spec], 1), (["check", "--spec", spec], 1), (["db", "sql", "--spec", spec], 0),
        (["apply", "--spec", spec, "--node", 2, "--yes"], 0), (["history", "--home", h2], 0),
        (["compare", h1, h2], 1), (["recover", "--home", h2], 0), (["rollback", "--home", h2, "--yes"], 0)]
    # the fixture, unlike the MB 3.2.0 pack, ships no mysql5.7.sql: db sql says so even when quiet
    fallback = ("warning: WSO2 Message Broker 3.2.0 ships no dbscripts/mysql5.7.sql: the schemas come from "
                "dbscripts/mysql.sql, loaded with sql_mode NO_ENGINE_SUBSTITUTION as the stock scripts need\n")
    for args, code in runs:
        r = cli(*args, "--quiet")
        assert (r.exit_code, r.stdout, r.stderr) == (code, "", fallback if args[0] == "db" else ""), args
    assert (tmp_path / "q.toml").is_file() and not (h2 / ".wso2patch/journal.json").read_text().count("committed")
    assert cli("apply", "--spec", spec, "--node", 2, "--yes", "-q").stdout == ""
    assert cli("diff", "--spec", spec, "--node", 2, "-q").exit_code == 0  # applied: nothing left to change


def test_quiet_keeps_errors_warnings_and_json(cli: Cli, cluster: Cluster, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    spec, h1, _ = cluster(FIXTURES / "mb-home")
    failed = cli("status", "--spec", spec, "--home", tmp_path / "nope", "-q")
    assert failed.exit_code == 4 and failed.stderr.startswith("wso2patch: error: ") and failed.stdout == ""
    monkeypatch.chdir(tmp_path)  # no spec here: a lone home is checked for its driver jar
    warned = cli("check", "--home", h1, "-q", env={"WSO2PATCH_SPEC": ""})
    assert warned.exit_code == 0 and warned.stdout == "" and warned.stderr.startswith("warning: ")
    assert json.loads(cli("status", "--spec", spec, "-q", "--json").stdout)["status"] == "pending"


def test_quiet_still_shows_what_a_question_asks_about(cli: Cli, cluster: Cluster,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import wso2patch.shell.ui

    spec, _, _ = cluster(FIXTURES / "mb-home")
    monkeypatch.setattr(wso2patch.shell.ui, "asks", lambda yes, json_: not yes)  # as on a terminal without --yes
    r = cli("apply", "--spec", spec, "--node", 2, "-q")  # stdin is no terminal after all: refused, exit 8
    assert r.exit_code == 8 and "+++ b/" + CARBON in r.stdout
