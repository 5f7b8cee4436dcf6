"""A real full disk (issue item 7): a tiny tmpfs, filled until exactly N bytes are free, N swept from 0 to what an apply
needs. Whatever N, apply and rollback end in a documented code with one line, never exit 10 "please report this":
0 (done), 9 (every file as it was, nothing unfinished in the journal) or 14 (the journal holds the transaction; once
space is freed, 'recover' makes the home wholly before or after). The console script runs in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SPEC, copy_tree, snapshot
from tests.test_bad_inputs import CARBON, MB_HOME, NO_FIXTURES, console_script

pytestmark = pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)
PAGE = 4096


@dataclass
class Tiny:
    """A 2 MiB tmpfs holding one home (mb1); the spec lives outside it."""

    mount: Path
    spec: Path

    @property
    def home(self) -> Path:
        return self.mount / "mb1"

    def free(self) -> int:
        st = os.statvfs(self.mount)
        return st.f_bavail * st.f_frsize

    def reset(self) -> None:
        for p in self.mount.iterdir():
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        copy_tree(MB_HOME, self.home)

    def fill(self, leave: int) -> None:
        """Leave exactly `leave` bytes free (a multiple of the page size)."""
        with (self.mount / "filler").open("wb") as f:
            f.write(b"\0" * (self.free() - leave))
        assert self.free() == leave

    def unfill(self) -> None:
        (self.mount / "filler").unlink()

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if k not in ("WSO2PATCH_DEBUG", "WSO2PATCH_SPEC")}
        proc = subprocess.run([*console_script(), *map(str, args)], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, env=environ, timeout=60, check=False)
        assert "Traceback" not in proc.stderr and "please report" not in proc.stderr, proc.stderr
        if proc.returncode:
            assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("wso2patch: error: "), proc.stderr
        return proc

    def config(self) -> dict[str, str]:
        return {k: v for k, v in snapshot(self.home).items() if not k.startswith(".wso2patch/")}

    def unfinished(self) -> bool:
        path = self.home / ".wso2patch/journal.json"
        return path.exists() and any(t["state"] in ("pending", "rolling_back")
                                     for t in json.loads(path.read_text())["transactions"])


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Tiny]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs a tmpfs, and mounting one needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({done.stderr.strip()}): no real full-disk test")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(SPEC.format(home1=mount / "mb1", home2=tmp_path / "elsewhere"), encoding="utf-8")
    try:
        t = Tiny(mount, spec)
        t.reset()
        yield t
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def apply_args(t: Tiny) -> list[str | Path]:
    return ["apply", "--node", "1", "--spec", t.spec, "--yes"]


def test_apply_with_0_bytes_free_is_exit_9_and_leaves_no_trace(tiny: Tiny) -> None:
    before = snapshot(tiny.home)
    tiny.fill(0)
    r = tiny.run(*apply_args(tiny))
    assert r.returncode == 9, r.stderr
    assert "No space left on device" in r.stderr and "nothing was changed" in r.stderr
    assert snapshot(tiny.home) == before and not (tiny.home / ".wso2patch").exists()
    tiny.unfill()
    assert tiny.run(*apply_args(tiny)).returncode == 0  # the twin: with space back, it applies


def levels(attempt: Callable[[int], int], enough: int) -> list[int]:
    """Run `attempt(free pages)` where it matters: a binary search for the fewest free pages at which the command
    succeeds (`enough` pages do), then every level in the ten pages below that, where a write fails mid-way."""
    codes: dict[int, int] = {}
    low, high = 0, enough
    while low < high:
        mid = (low + high) // 2
        codes[mid] = attempt(mid)
        low, high = (low, mid) if codes[mid] == 0 else (mid + 1, high)
    for pages in range(max(0, low - 10), low + 1):
        if pages not in codes:
            codes[pages] = attempt(pages)
    return [codes[k] for k in sorted(codes)]


def test_apply_at_every_fill_level_ends_in_0_9_or_14(tiny: Tiny) -> None:
    stock = tiny.config()
    start = tiny.free()
    assert tiny.run(*apply_args(tiny)).returncode == 0
    patched, need = tiny.config(), start - tiny.free()

    def attempt(pages: int) -> int:
        tiny.reset()
        tiny.fill(pages * PAGE)
        r = tiny.run(*apply_args(tiny))
        if r.returncode == 0:
            assert tiny.config() == patched and not tiny.unfinished()
        elif r.returncode == 9:
            assert tiny.config() == stock and not tiny.unfinished(), r.stderr
        else:
            assert r.returncode == 14, r.stderr
            assert tiny.unfinished() and f"wso2patch recover --home {tiny.home}" in r.stderr
            tiny.unfill()
            assert tiny.run("recover", "--home", tiny.home).returncode == 0
            assert tiny.config() in (stock, patched) and not tiny.unfinished()
        return r.returncode

    codes = levels(attempt, 2 * need // PAGE + 8)  # temporary files make the peak higher than what stays
    assert codes[0] == 9 and codes[-1] == 0, codes


def test_rollback_at_every_fill_level_ends_in_0_9_or_14(tiny: Tiny) -> None:
    stock = tiny.config()
    assert tiny.run(*apply_args(tiny)).returncode == 0
    patched = tiny.config()

    def attempt(pages: int) -> int:
        tiny.reset()
        assert tiny.run(*apply_args(tiny)).returncode == 0
        tiny.fill(pages * PAGE)
        r = tiny.run("rollback", "--home", tiny.home, "--yes")
        if r.returncode == 0:
            assert tiny.config() == stock and not tiny.unfinished()
        elif r.returncode == 9:
            assert tiny.config() == patched and not tiny.unfinished(), r.stderr
        else:
            assert r.returncode == 14, r.stderr
            assert tiny.unfinished() and f"wso2patch recover --home {tiny.home}" in r.stderr
            tiny.unfill()
            assert tiny.run("recover", "--home", tiny.home).returncode == 0
            assert tiny.config() == stock and not tiny.unfinished()  # recovery completes a rollback
        return r.returncode

    codes = levels(attempt, 64)
    assert codes[0] == 9 and codes[-1] == 0, codes
