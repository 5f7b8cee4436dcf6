"""Benchmark the secret masking (wso2patch.secrets): is it linear, and what do the issue's two slow cases cost now?

Run from the repository root:

    .venv/bin/python bench/masking.py

A measurement, not a test: it prints times and never asserts anything about them. In-process, it times
mask_text and mask_diff on hostile lines of growing size (linear time shows as a flat ms/MB column); then, as
subprocesses on copies of fixtures/mb-home in a temporary directory, `diff --node 2` with a 1 MB host name and
`apply --node 1 --yes` with a 60 KB line next to an edit (before masking by position: past 600 s and 69 s).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from wso2patch.diff import unified  # noqa: E402
from wso2patch.secrets import mask_diff, mask_text  # noqa: E402

SIZES = [1 << 16, 1 << 18, 1 << 20, 1 << 22]
SHAPES: dict[str, Callable[[int], str]] = {
    "one long token": lambda n: "x" * n + " <password>p</password>",
    "token then </password>": lambda n: "x" * n + "</password>",
    "secret element": lambda n: "<password>" + "s" * n + "</password>",
    "name=value pairs": lambda n: "a=" * (n // 2) + " password=p",
    "password= pairs": lambda n: "x password=" * (n // 11),
    "start tags": lambda n: "<password " * (n // 10),
}
SPEC = """[database]
host = "localhost"
username = "regadmin"
password = "regadmin"

[[node]]
id = 1
host = "10.0.0.1"
home = "h1"

[[node]]
id = 2
host = "{host}"
offset = 3
home = "h2"
"""


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def in_process() -> None:
    print(f"{'shape':<24}" + "".join(f"{s // 1024:>10} KB" for s in SIZES) + "   ms/MB at the largest")
    for name, make in SHAPES.items():
        cells = []
        for size in SIZES:
            text = make(size)
            cells.append(best_of(3, lambda t=text: mask_text(t)))
        print(f"{name:<24}" + "".join(f"{c * 1000:>10.1f} ms" for c in cells)
              + f"   {cells[-1] * 1000 / (SIZES[-1] / (1 << 20)):.1f}")
    old = "<a>\n<password>pw</password>\n" + "x" * (1 << 20) + "\n<b>1</b>\n</a>\n"
    diff = unified("f.xml", old, old.replace("<b>1</b>", "<b>2</b>"))
    print(f"mask_diff, a 1 MB context line next to an edit: {best_of(3, lambda: mask_diff(diff)) * 1000:.1f} ms")


def cli(tmp: Path, host: str, *args: str) -> float:
    for home in ("h1", "h2"):
        shutil.rmtree(tmp / home, ignore_errors=True)
        shutil.copytree(REPO / "fixtures" / "mb-home", tmp / home)
    (tmp / "wso2patch.toml").write_text(SPEC.format(host=host), encoding="utf-8")
    carbon = tmp / "h1" / "repository/conf/carbon.xml"
    long_line = b"<!-- " + b"x" * 60_000 + b" -->\n    "
    carbon.write_bytes(carbon.read_bytes().replace(b"<!--HostName>", long_line + b"<!--HostName>", 1))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wso2patch", *args, "--spec", str(tmp / "wso2patch.toml")], cwd=tmp,
                   stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=600)
    return time.perf_counter() - start


def main() -> None:
    in_process()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        host = statistics.median(cli(tmp, "h" * (1 << 20), "diff", "--node", "2") for _ in range(3))
        long_line = statistics.median(cli(tmp, "10.0.0.2", "apply", "--node", "1", "--yes") for _ in range(3))
    print(f"diff --node 2 with a 1 MB host name: {host:.2f} s (median of 3)")
    print(f"apply --node 1 --yes with a 60 KB line next to an edit: {long_line:.2f} s (median of 3)")


if __name__ == "__main__":
    main()
