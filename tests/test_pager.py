"""The interactive apply shows its diff through a pager when it does not fit the terminal (issue 9): the choice as a
function, and one run at a real pseudo-terminal with a size."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import termios
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, snapshot
from tests.test_safety import read_until
from tests.test_signals import start
from wso2patch.pager import pager_command

Cluster = Callable[[Path], tuple[Path, Path, Path]]


def has(*names: str) -> Callable[[str], str | None]:
    return lambda name: f"/usr/bin/{name}" if name in names else None


@pytest.mark.parametrize(("environ", "rows", "lines", "which", "chosen"), [
    ({}, 40, 10, has("less"), None),  # it fits
    ({}, 40, 38, has("less"), None),  # it fits with the question below
    ({}, 40, 39, has("less"), "less -R"),
    ({}, 0, 500, has("less"), None),  # the terminal does not say its height
    ({"PAGER": "most -s"}, 40, 500, has("less"), "most -s"),
    ({"PAGER": ""}, 40, 500, has("less"), None),
    ({"PAGER": "cat"}, 40, 500, has("less"), None),
    ({}, 40, 500, has("more"), "more"),
    ({}, 40, 500, has(), None),
], ids=["fits", "fits-with-question", "too-long", "no-size", "pager-env", "pager-empty", "pager-cat", "more",
        "no-pager-installed"])
def test_the_pager_choice(environ: dict[str, str], rows: int, lines: int, which: Callable[[str], str | None],
                          chosen: str | None) -> None:
    assert pager_command(environ, rows=rows, lines=lines, which=which) == chosen


def _terminal(rows: int) -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 200, 0, 0))
    return master, slave


@pytest.mark.parametrize("no_pager", [False, True], ids=["paged", "no-pager"])
def test_a_long_diff_at_a_terminal_goes_through_the_pager(cluster: Cluster, tmp_path: Path, no_pager: bool) -> None:
    spec, h1, _ = cluster(FIXTURES / "mb-home")
    before = snapshot(h1)
    paged = tmp_path / "paged.txt"
    master, slave = _terminal(rows=20)
    try:
        proc = start(["apply", "--node", "1", "--spec", spec, *(["--no-pager"] if no_pager else [])], tmp_path, None,
                     stdin=slave, stdout=slave, env={"PAGER": f"cat > '{paged}'"})
        seen = read_until(master, b"[y/N]")
        assert b"Write 6 file(s) in " in seen and b"(patches: " in seen
        os.write(master, b"n\n")
        assert proc.wait(30) == 8
    finally:
        os.close(master)
        os.close(slave)
    assert snapshot(h1) == before
    if no_pager:
        assert not paged.exists() and b"--- a/repository/conf/axis2/axis2.xml" in seen
    else:
        text = paged.read_text(encoding="utf-8")
        assert "a/repository/conf/axis2/axis2.xml" in text and "a/repository/conf/axis2/axis2.xml" not in \
            seen.decode("utf-8", "replace")
