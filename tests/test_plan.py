"""Plans: unstable results are refused before anything is written; inapplicable patches are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, copy_tree, snapshot
from wso2patch.detect import detect
from wso2patch.errors import ConfigError, InternalError
from wso2patch.patchset import Patch
from wso2patch.patchset_load import parse_patch
from wso2patch.plan import build_plan


def patch(name: str, value: str, requires: tuple[str, ...] = (), file: str = "repository/conf/carbon.xml") -> Patch:
    return parse_patch(Path(f"{name}.toml"), {"description": name, "file": file, "requires": list(requires),
                                              "op": [{"kind": "set_text", "xpath": "/Server/Ports/Offset",
                                                      "value": value}]})


def test_patches_that_fight_are_an_unstable_plan_and_nothing_is_written(tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb")
    before = snapshot(home)
    with pytest.raises(InternalError, match="unstable plan: a second run of patch first, second would change"):
        build_plan(home, 1, detect(home), [patch("first", "1"), patch("second", "2")], {}, [])
    assert snapshot(home) == before


def test_patches_whose_required_file_is_absent_are_skipped_and_their_file_unread(tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "carbon-home", tmp_path / "c")
    plan = build_plan(home, 1, detect(home), [patch("mb-only", "5", requires=("repository/conf/broker.xml",))], {}, [])
    assert plan.files == []
    assert [(r.patch, r.result, r.note) for r in plan.skipped] == [
        ("mb-only", "skipped", "not applicable: repository/conf/broker.xml is absent")]


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb")
    (home / "repository/conf/registry.xml").unlink()
    with pytest.raises(ConfigError, match="registry.xml: config file is missing; restore it"):
        build_plan(home, 1, detect(home), [patch("p", "1", file="repository/conf/registry.xml")], {}, [])
    (home / "repository/conf/registry.xml").mkdir()
    with pytest.raises(ConfigError, match="registry.xml: cannot read the config file"):
        build_plan(home, 1, detect(home), [patch("p", "1", file="repository/conf/registry.xml")], {}, [])
