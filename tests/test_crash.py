"""A CI-sized sample of the kill -9 stress run (scripts/killtest.py runs 300+ trials)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import FIXTURES, REPO


def killtest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("killtest", REPO / "scripts" / "killtest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["killtest"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_sigkill_during_apply_and_rollback_never_leaves_a_mixed_home(capsys: object) -> None:
    code = killtest().main(["--trials", "16", "--seed", "11", "--tree", str(FIXTURES / "mb-old-home")])
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert code == 0, out
    assert "16 trials" in out and "0 mixed or corrupt" in out


def test_the_harness_itself_detects_a_mixed_or_truncated_home() -> None:
    """Guard against a harness that cannot fail."""
    classify = killtest().classify
    stock, patched = {"a": "s1", "b": "s2"}, {"a": "p1", "b": "p2"}
    assert classify(dict(stock), stock, patched) == "stock"
    assert classify(dict(patched), stock, patched) == "patched"
    assert classify({"a": "p1", "b": "s2"}, stock, patched).startswith("mixed or corrupt home: stock ['b']")
    assert "neither ['a']" in classify({"a": "truncated", "b": "s2"}, stock, patched)
