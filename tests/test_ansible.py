"""The Ansible module in contrib/ansible, driven by the real ansible-playbook over two homes on localhost:
check mode writes nothing, the first run changes both nodes, the second changes nothing, errors fail the task."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, REPO, snapshot

Cluster = Callable[[Path], tuple[Path, Path, Path]]
BIN = Path(sys.executable).parent
PLAYBOOK = BIN / "ansible-playbook"
WSO2PATCH = BIN / "wso2patch"
LIBRARY = REPO / "contrib" / "ansible" / "library"
CARBON = "repository/conf/carbon.xml"
AXIS2 = "repository/conf/axis2/axis2.xml"
DRIVER_DIR = "repository/components/lib"
NO_ANSIBLE = (f"{PLAYBOOK} is not installed: the Ansible test needs ansible-core "
              "(pip install -e '.[test]' installs it)")

pytestmark = pytest.mark.skipif(not PLAYBOOK.exists(), reason=NO_ANSIBLE)

# A callback (next to the default stdout callback, which stays readable in failure messages) that records
# every task result and the play recap as one JSON file: counts and messages without scraping the screen.
RECORDER = '''\
import json
import os
import re

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "wso2patch_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.results = []

    def _add(self, result, status):
        data = result.result if hasattr(type(result), "result") else result._result  # ansible-core < 2.19
        host = result.host if hasattr(type(result), "host") else result._host
        self.results.append({"host": host.get_name(), "status": status, "result": data})

    def v2_runner_on_ok(self, result):
        self._add(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._add(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._add(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(os.environ["WSO2PATCH_ANSIBLE_RECORD"], "w", encoding="utf-8") as f:
            json.dump({"results": self.results, "recap": recap}, f, default=str)
'''

# JSON is YAML: the playbook and the inventory are written with json.dumps, so paths need no quoting.
PLAY = [{
    "name": "wso2patch over two homes",
    "hosts": "all",
    "gather_facts": False,
    "tasks": [{
        "name": "patch this node's home",
        "wso2patch": {"node": "{{ wso2patch_node }}", "home": "{{ wso2patch_home }}", "spec": "{{ wso2patch_spec }}",
                      "executable": "{{ wso2patch_executable }}",
                      "jdbc_driver": "{{ wso2patch_jdbc_driver | default(omit) }}"},
    }],
}]


@dataclass
class Run:
    rc: int
    output: str
    results: dict[str, dict[str, Any]]  # host -> its task's result
    recap: dict[str, dict[str, int]]  # host -> ok/changed/failures/... (stats.summarize)

    def total(self, key: str) -> int:
        return sum(counts.get(key, 0) for counts in self.recap.values())


class Playbook:
    def __init__(self, work: Path, spec: Path, homes: dict[int, Path], host_vars: dict[int, dict[str, str]]) -> None:
        self.work = work
        for sub in ("home", "local_tmp", "remote_tmp", "callbacks"):
            (work / sub).mkdir(parents=True)
        (work / "callbacks" / "wso2patch_record.py").write_text(RECORDER, encoding="utf-8")
        self.playbook = work / "playbook.yml"
        self.playbook.write_text(json.dumps(PLAY, indent=2), encoding="utf-8")
        self.inventory = work / "inventory.json"
        self.inventory.write_text(json.dumps({"all": {
            "hosts": {f"node{n}": {"wso2patch_node": n, "wso2patch_home": str(h), **host_vars.get(n, {})}
                      for n, h in homes.items()},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                     "wso2patch_spec": str(spec), "wso2patch_executable": str(WSO2PATCH)},
        }}, indent=2), encoding="utf-8")
        self.record = work / "record.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "WSO2PATCH_"))}
        env.update(HOME=str(work / "home"), ANSIBLE_LIBRARY=str(LIBRARY), ANSIBLE_LOCAL_TEMP=str(work / "local_tmp"),
                   ANSIBLE_REMOTE_TEMP=str(work / "remote_tmp"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_CALLBACK_PLUGINS=str(work / "callbacks"), ANSIBLE_CALLBACKS_ENABLED="wso2patch_record",
                   ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0",
                   WSO2PATCH_ANSIBLE_RECORD=str(self.record))
        self.env = env

    def __call__(self, *args: str) -> Run:
        self.record.unlink(missing_ok=True)
        p = subprocess.run([str(PLAYBOOK), "-i", str(self.inventory), str(self.playbook), *args], cwd=self.work,
                           env=self.env, capture_output=True, text=True, timeout=300)
        output = p.stdout + p.stderr
        assert self.record.exists(), f"ansible-playbook {' '.join(args)} exited {p.returncode} early:\n{output}"
        data = json.loads(self.record.read_text(encoding="utf-8"))
        results = {r["host"]: r["result"] for r in data["results"]}
        return Run(p.returncode, output, results, data["recap"])


def _wso2patch_error(*args: str | Path) -> str:
    """The one-line error the CLI itself reports for these arguments."""
    p = subprocess.run([str(WSO2PATCH), *map(str, args), "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode not in (0, 1), p.stdout
    return str(json.loads(p.stdout)["error"]["message"])


def test_playbook_check_then_apply_then_idempotent_then_failure(cluster: Cluster, tmp_path: Path) -> None:
    spec, h1, h2 = cluster(FIXTURES / "mb-home")
    for home in (h1, h2):  # the fixture home has no lib folder; node 2 also gets the MySQL driver jar
        (home / DRIVER_DIR).mkdir(parents=True)
    jar = tmp_path / "mysql-connector-java-5.1.49.jar"
    with zipfile.ZipFile(jar, "w") as z:
        z.writestr("com/mysql/jdbc/Driver.class", b"\xca\xfe\xba\xbe")
    play = Playbook(tmp_path / "ansible", spec, {1: h1, 2: h2}, {2: {"wso2patch_jdbc_driver": str(jar)}})
    driver = f"{DRIVER_DIR}/{jar.name}"
    stock = {1: snapshot(h1), 2: snapshot(h2)}

    # (a) check mode: both tasks report changed, the diff is wso2patch's (passwords masked); nothing written
    check = play("--check", "--diff")
    assert check.rc == 0, check.output
    assert check.total("changed") == 2 and check.total("failures") == 0, check.output
    assert {1: snapshot(h1), 2: snapshot(h2)} == stock
    assert not (h1 / ".wso2patch").exists() and not (h2 / ".wso2patch").exists()
    node2 = check.results["node2"]
    assert node2["status"] == "pending" and node2["transaction"] is None
    assert CARBON in node2["files"] and AXIS2 in node2["files"] and driver in node2["files"]
    assert driver not in check.results["node1"]["files"]
    diff = "".join(d["prepared"] for d in node2["diff"])
    assert f"+++ b/{CARBON}" in diff and re.search(r"^\+\s*<Offset>3</Offset>$", diff, re.MULTILINE), diff
    assert f"new file: {driver} (binary, {jar.stat().st_size} bytes)" in diff
    assert "<password>regadmin</password>" not in diff and "<password>********</password>" in diff
    assert "<password>regadmin</password>" not in check.output

    # (b) first real run (with --diff): both nodes changed and patched, each with its transaction
    first = play("--diff")
    assert first.rc == 0, first.output
    assert first.total("changed") == 2 and first.total("failures") == 0, first.output
    for n, home, offset in ((1, h1, 0), (2, h2, 3)):
        result = first.results[f"node{n}"]
        assert result["changed"] and result["status"] == "applied" and result["transaction"], result
        assert CARBON in result["files"] and AXIS2 in result["files"]
        assert (driver in result["files"]) == (n == 2) == (home / driver).is_file()
        shown = "".join(d["prepared"] for d in result["diff"])
        assert f"+++ b/{CARBON}" in shown and (f"new file: {driver}" in shown) == (n == 2)
        assert (home / ".wso2patch/journal.json").is_file()
        carbon = (home / CARBON).read_text(encoding="latin-1")  # the fixture's carbon.xml is ISO-8859-1
        assert f"<Offset>{offset}</Offset>" in carbon and "<HostName>10.100.7.118</HostName>" in carbon
        axis2 = (home / AXIS2).read_text(encoding="latin-1")
        assert 'enable="true"' in axis2.split("<clustering", 1)[1].split(">", 1)[0]
        assert snapshot(home) != stock[n]
    patched = {1: snapshot(h1), 2: snapshot(h2)}

    # (c) second run: ok, unchanged, not a byte written (not even in the journal)
    second = play()
    assert second.rc == 0, second.output
    assert second.total("changed") == 0 and second.total("ok") == 2 and second.total("failures") == 0, second.output
    assert all(r["status"] == "already" and r["files"] == [] for r in second.results.values())
    assert {1: snapshot(h1), 2: snapshot(h2)} == patched

    # (d) a node the spec does not have: the task fails with wso2patch's one-line error and its exit code
    failed = play("--limit", "node1", "-e", json.dumps({"wso2patch_node": 9}))
    assert failed.rc != 0
    assert failed.total("failures") == 1 and failed.total("changed") == 0, failed.output
    result = failed.results["node1"]
    expected = _wso2patch_error("apply", "--node", "9", "--home", h1, "--spec", spec, "--yes")
    assert result["msg"] == expected and "\n" not in expected and "9" in expected
    assert result["rc"] == 3
    assert snapshot(h1) == patched[1]


def test_module_documentation_is_valid_and_matches_its_options(tmp_path: Path) -> None:
    """ansible-doc parses DOCUMENTATION, EXAMPLES and RETURN (YAML), and the options are the module's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(HOME=str(tmp_path), ANSIBLE_LIBRARY=str(LIBRARY), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    p = subprocess.run([str(BIN / "ansible-doc"), "--json", "wso2patch"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    doc: dict[str, Any] = json.loads(p.stdout)["wso2patch"]
    options = doc["doc"]["options"]
    assert set(options) == {"node", "home", "spec", "executable", "jdbc_driver"}
    assert options["node"]["required"] is True and options["executable"]["default"] == "wso2patch"
    assert "show_secrets" not in options
    assert {"files", "transaction", "status", "home"} <= set(doc["return"])
    assert "wso2patch:" in doc["examples"]
