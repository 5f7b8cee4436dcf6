"""A CI-sized sample of the stress run (scripts/killtest.py runs 300+ trials): SIGKILL, SIGTERM and SIGINT at random
instants of apply and rollback."""

from __future__ import annotations

import importlib.util
import signal
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


def test_signals_during_apply_and_rollback_never_leave_a_mixed_home(capsys: object) -> None:
    code = killtest().main(["--trials", "18", "--seed", "11", "--tree", str(FIXTURES / "mb-old-home")])
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert code == 0, out
    assert "18 trials" in out and "6 SIGKILL, 6 SIGTERM, 6 SIGINT" in out and "; 0 failed" in out


def test_the_harness_judges_the_exit_code_and_line_of_a_signalled_run() -> None:
    """Guard against a harness that cannot fail: each way a SIGTERM/SIGINT run can go wrong is caught."""
    judge, term, ok_line = killtest().judge, signal.SIGTERM, "wso2patch: error: interrupted by SIGTERM; "
    assert judge("apply", term, 143, ok_line + "/h: interrupted apply X undone: every file as before it\n",
                 "stock") is None
    assert judge("apply", term, 143, ok_line + "/h: the apply completed: 6 file(s) written\n", "patched") is None
    assert judge("rollback", term, 143, ok_line + "/h: the rollback completed: ...\n", "stock") is None
    assert judge("apply", term, -15, "", "stock") is None  # Python's start-up: nothing written
    assert judge("apply", signal.SIGINT, 1, "Traceback (most recent call last):\nKeyboardInterrupt\n", "stock") is None
    assert "but the home is patched" in str(judge("apply", term, 143, ok_line + "/h: nothing was written\n",
                                                  "patched"))
    assert "exit 0 but" in str(judge("apply", term, 0, "", "stock"))
    assert "died of the signal" in str(judge("apply", term, -15, "", "patched"))
    assert "not one line" in str(judge("apply", term, 143, ok_line + "/h: nothing was written\nmore\n", "stock"))
    assert "not 143" in str(judge("apply", term, 10, "wso2patch: error: OSError; please report this\n", "stock"))
    assert "left a mixed" in str(judge("apply", term, 143, ok_line, "mixed or corrupt home: ..."))
    sigint_in_wso2patch = 'File "/x/wso2patch/cli.py", line 9, in body\nKeyboardInterrupt'
    assert judge("apply", signal.SIGINT, 1, sigint_in_wso2patch, "stock") is not None


def test_the_harness_itself_detects_a_mixed_or_truncated_home() -> None:
    """Guard against a harness that cannot fail."""
    classify = killtest().classify
    stock, patched = {"a": "s1", "b": "s2"}, {"a": "p1", "b": "p2"}
    assert classify(dict(stock), stock, patched) == "stock"
    assert classify(dict(patched), stock, patched) == "patched"
    assert classify({"a": "p1", "b": "s2"}, stock, patched).startswith("mixed or corrupt home: stock ['b']")
    assert "neither ['a']" in classify({"a": "truncated", "b": "s2"}, stock, patched)
