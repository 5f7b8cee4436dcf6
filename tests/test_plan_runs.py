"""The stability proof runs the operations a second time, on the result parsed afresh, whenever the first run
changed the file; when it changed nothing, that first run already was a run on the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SPEC, copy_tree
from wso2patch import plan
from wso2patch.patchset import Step
from wso2patch.spec import load_spec
from wso2patch.workflow_plan import commit_plan, plan_node
from wso2patch.xmlio import Doc


def test_second_run_only_where_the_first_changed_something(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h1, h2 = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1"), copy_tree(FIXTURES / "mb-home", tmp_path / "mb2")
    (tmp_path / "wso2patch.toml").write_text(SPEC.format(home1=h1, home2=h2), encoding="utf-8")
    spec = load_spec(tmp_path / "wso2patch.toml")
    runs: list[str] = []
    real = plan._run

    def counting(doc: Doc, steps: list[Step]) -> tuple[Doc, list[plan.OpResult]]:
        runs.append(Path(doc.where).name)
        return real(doc, steps)

    monkeypatch.setattr(plan, "_run", counting)
    first = plan_node(spec, 2, h2)
    changed = {Path(f.rel).name for f in first.changed}
    assert changed and sorted(runs) == sorted([*changed, *changed, *(Path(f.rel).name for f in first.files
                                                                      if not f.changed)])
    commit_plan(first, spec)
    runs.clear()
    again = plan_node(spec, 2, h2)
    assert not again.pending and sorted(runs) == sorted(Path(f.rel).name for f in again.files)  # one run each
    assert [r for f in again.files for r in f.results if r.result == "applied"] == []
