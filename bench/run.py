"""Benchmark wso2patch against the floor `python -c "import lxml.etree"`, in paired runs, and print the ratios
next to issue 9's targets.

Run from the repository root, with the venv's interpreter:

    .venv/bin/python bench/run.py            # 7 pairs per measurement (3 for 200 nodes): about 4 minutes on 2 cores
    .venv/bin/python bench/run.py --quick    # 3 pairs (1 for 200 nodes), MB 3.2.0 and the fixture only: about 2 min
    .venv/bin/python bench/run.py --runs 11  # more pairs

A measurement, not a test: it prints a report and never asserts anything about timing. Every figure comes from
pairs: the command run between two runs of the floor, back to back in this one process, so that a load spike
hits both; a ratio is the median of the per-pair ratios command/(mean of its two floors), in wall-clock time, with
the same in CPU time next to it. Before measuring, the installed
package is compiled once and the commands run with the bytecode cache on (PYTHONDONTWRITEBYTECODE is dropped from
their environment), as a user's installed copy runs. Commands run through the venv's console script (the same
interpreter as the floor). Copying the homes an apply changes happens before the pair and is never timed.
See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import platform
import resource
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE_HOME = REPO / "fixtures" / "mb-home"
DIST = REPO.parent / "shared" / "wso2-dist"
STOCK_NAMES = ["wso2mb-3.2.0", "wso2mb-3.1.0", "wso2mb-3.0.0", "wso2mb-2.5.0", "wso2carbon-4.4.16"]
TARGET_TREE = "wso2mb-3.2.0"  # the one-node targets are judged on this tree (else on the fixture)
CLUSTER_SIZES = [2, 10, 50, 200]
BIG = 200  # 200 nodes: at most BIG_RUNS pairs, and not repeated past BIG_BUDGET_S
BIG_RUNS = 3
BIG_BUDGET_S = 60.0
CLUSTER_FLOORS = 3  # floor runs on each side of a cluster run: seconds-long runs see more of the load's swings
TIMEOUT_S = 600.0
PY = sys.executable
SCRIPT = Path(PY).parent / "wso2patch"
WSO2PATCH = [str(SCRIPT)] if SCRIPT.is_file() else [PY, "-m", "wso2patch"]
FLOOR_CMD = [PY, "-c", "import lxml.etree"]
TOP_IMPORTS = 10
# issue 9's targets, in floors
VERSION_MAX, DIFF_MAX, APPLY_MAX, BIG_MAX, GROWTH_MAX = 1.5, 2.5, 3.0, 200.0, 1.5

TWO_NODE_SPEC = """\
[cluster]
domain = "wso2.mb.domain"

[database]
host = "localhost"
port = 3306
username = "regadmin"
password = "regadmin"
options = "autoReconnect=true"

[database.names]
user = "WSO2_USER_DB"
registry = "REGISTRY_DB"
local = "REGISTRY_LOCAL{{id}}"
mb_store = "WSO2_MB_STORE_DB"

[[node]]
id = 1
host = "10.100.7.118"
offset = 0
home = "{home1}"

[[node]]
id = 2
host = "10.100.7.118"
offset = 3
home = "{home2}"
"""

CLUSTER_HEAD = """\
[cluster]
domain = "wso2.mb.domain"

[database]
host = "localhost"
username = "regadmin"
password = "regadmin"
options = "autoReconnect=true"

[database.names]
local = "REGISTRY_LOCAL{id}"
"""


# ---------------------------------------------------------------------------------------------- measuring


@dataclass
class Pairs:
    """Paired runs of one command, each between two runs of the floor."""

    label: str
    expect: int = 0
    floor: list[float] = field(default_factory=list)  # per pair: the mean of the floor just before and just after
    seconds: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)  # the same in CPU time (user + system) of the processes
    cpu: list[float] = field(default_factory=list)
    problem: str = ""  # the first unexpected exit (with the last line of its stderr) or failed check
    out_lines: int = 0  # lines the last run printed on stdout

    @property
    def ratios(self) -> list[float]:
        return [c / f for c, f in zip(self.seconds, self.floor, strict=True)]

    @property
    def ratio(self) -> float:
        """The median of the per-pair ratios command/floor (wall-clock time)."""
        return statistics.median(self.ratios) if self.seconds else float("nan")

    @property
    def cpu_ratio(self) -> float:
        """The same in CPU time: what the command computes, whatever else the machine runs meanwhile."""
        return statistics.median(c / f for c, f in zip(self.cpu, self.floor_cpu, strict=True)) if self.cpu \
            else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def floor_median(self) -> float:
        return statistics.median(self.floor) if self.floor else float("nan")


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: float  # user + system time of the process
    exit: int
    last: str  # the last line of its stderr
    out_lines: int  # lines on its stdout


def clean_env() -> dict[str, str]:
    """The caller's environment without WSO2PATCH_* (a stray WSO2PATCH_TEST_DELAY would skew the run) and with the
    bytecode cache on."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("WSO2PATCH_") and k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd: Sequence[str], cwd: Path) -> Run:
    """Time one subprocess, its output captured through pipes (runs are sequential, so the growth of the waited
    children's CPU time is this one's)."""
    cpu, start = _children_cpu(), time.perf_counter()
    try:
        proc = subprocess.run(list(cmd), cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return Run(time.perf_counter() - start, _children_cpu() - cpu, -1, f"timed out after {TIMEOUT_S:.0f} s", 0)
    elapsed = time.perf_counter() - start
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return Run(elapsed, _children_cpu() - cpu, proc.returncode, lines[-1] if lines else "", proc.stdout.count(b"\n"))


def paired(label: str, cmd: Sequence[str], runs: int, cwd: Path, expect: int = 0,
           prepare: Callable[[], None] | None = None, check: Callable[[], str] | None = None,
           stop_after_s: float | None = None, floors: int = 1) -> Pairs:
    """`runs` pairs: `floors` floor runs, the command, `floors` floor runs, back to back; the command is compared
    with the median of the floors around it (for one each side: their mean). prepare() runs untimed before each
    pair, check() untimed after it (returns a problem or ""). Stops early once a command took longer than
    stop_after_s."""
    p = Pairs(label, expect=expect)
    for _ in range(runs):
        if prepare is not None:
            prepare()
        around = [run_once(FLOOR_CMD, cwd) for _ in range(floors)]
        run = run_once(cmd, cwd)
        around += [run_once(FLOOR_CMD, cwd) for _ in range(floors)]
        p.floor.append(statistics.median(f.seconds for f in around))
        p.floor_cpu.append(statistics.median(f.cpu for f in around))
        p.seconds.append(run.seconds)
        p.cpu.append(run.cpu)
        p.out_lines = run.out_lines
        if run.exit != expect and not p.problem:
            p.problem = f"exit {run.exit} (expected {expect}): {run.last}"
        if check is not None and not p.problem:
            p.problem = check()
        if stop_after_s is not None and run.seconds > stop_after_s:
            break
    return p


def copy_home(src: Path, dest: Path) -> Path:
    """A writable copy of a product home (the stock trees are read-only)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, symlinks=True)
    for p in [dest, *dest.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dest


def compile_package() -> str:
    """Compile the installed wso2patch once (a wheel install does this; an editable one leaves it to the first
    run, which PYTHONDONTWRITEBYTECODE may forbid); returns where it lives."""
    spec = importlib.util.find_spec("wso2patch")
    if spec is None or not spec.submodule_search_locations:
        return "(wso2patch not importable by this interpreter)"
    where = next(iter(spec.submodule_search_locations))
    compileall.compile_dir(where, quiet=1)
    return where


# ---------------------------------------------------------------------------------------------- import time


@dataclass(frozen=True)
class Imported:
    name: str
    depth: int
    self_us: float
    cumulative_us: float


def parse_importtime(stderr: str) -> list[Imported]:
    """Lines of `python -X importtime`: 'import time: <self us> | <cumulative us> | <indent><module>'."""
    rows: list[Imported] = []
    for line in stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line, or other output
        raw = parts[2].rstrip()
        indent = len(raw) - len(raw.lstrip(" "))
        rows.append(Imported(raw.strip(), max(0, (indent - 1) // 2), float(parts[0]), float(parts[1])))
    return rows


def importtime(module: str, runs: int, cwd: Path) -> list[Imported]:
    """Per-module medians over `runs` runs of `python -X importtime -c "import MODULE"`, rows at any depth that the
    top-level import of MODULE's package brought in (not the interpreter's own start-up modules)."""
    top = module.split(".")[0]
    by_name: dict[str, list[Imported]] = {}
    for _ in range(runs):
        proc = subprocess.run([PY, "-X", "importtime", "-c", f"import {module}"], cwd=cwd, env=clean_env(),
                              capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        rows = parse_importtime(proc.stderr)
        start = 0
        for i, row in enumerate(rows):  # importtime prints children before their parent
            if row.depth == 0:
                if row.name.split(".")[0] == top:
                    for r in rows[start:i + 1]:
                        by_name.setdefault(r.name, []).append(r)
                start = i + 1
    return [Imported(n, rs[0].depth, statistics.median(r.self_us for r in rs),
                     statistics.median(r.cumulative_us for r in rs)) for n, rs in by_name.items()]


# ---------------------------------------------------------------------------------------------- output


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True))

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join("  " + s.rstrip() for s in out)


def section(title: str) -> None:
    print(f"\n== {title}  (load average {load()})", flush=True)


def say(text: str = "") -> None:
    print(text, flush=True)


PAIR_HEADERS = ["measurement", "median ms", "floor ms", "pairs", "x floor", "min x", "max x", "cpu x", "note"]
PAIR_RIGHT = [False, True, True, True, True, True, True, True, False]


def pair_row(p: Pairs, note: str = "") -> list[str]:
    r = p.ratios
    return [p.label, ms(p.median), ms(p.floor_median), str(len(r)), f"{p.ratio:.2f}", f"{min(r):.2f}" if r else "",
            f"{max(r):.2f}" if r else "", f"{p.cpu_ratio:.2f}", f"PROBLEM: {p.problem}" if p.problem else note]


# ---------------------------------------------------------------------------------------------- sections


@dataclass
class Results:
    version: Pairs | None = None
    diff: Pairs | None = None
    apply: Pairs | None = None
    clusters: dict[int, Pairs] = field(default_factory=dict)


def trees(quick: bool) -> tuple[list[tuple[str, Path]], list[str]]:
    """(label, path) of every tree to measure, and notes for the stock trees that are absent."""
    found: list[tuple[str, Path]] = []
    notes: list[str] = []
    for name in [TARGET_TREE] if quick else STOCK_NAMES:
        if (DIST / name / "repository/conf/carbon.xml").is_file():
            found.append((name, DIST / name))
        else:
            notes.append(f"{name}: not in {DIST}, skipped")
    return [*found, ("fixture mb-home", FIXTURE_HOME)], notes


def bench_startup(res: Results, runs: int, work: Path) -> None:
    section("start-up: wso2patch --version")
    res.version = paired("wso2patch --version", [*WSO2PATCH, "--version"], runs, work)
    say(table(PAIR_HEADERS, [pair_row(res.version)], PAIR_RIGHT))
    # cli.py (typer) parses --help and anything unusual; diff and apply, well formed, run without it (fastcli.py)
    for module in ("wso2patch.cli", "wso2patch.commands.diff", "lxml.etree"):
        rows = importtime(module, min(runs, 3), work)
        top = next((r for r in rows if r.name == module), None)
        say(f"\n  python -X importtime -c \"import {module}\": {top.cumulative_us / 1000 if top else 0:.1f} ms "
            "cumulative (median of up to 3 runs)" + ("; the costliest imports below it (indent = nesting):"
                                                     if module != "lxml.etree" else ""))
        if module == "lxml.etree":
            continue
        best = sorted((r for r in rows if r.name != module), key=lambda r: -r.cumulative_us)[:TOP_IMPORTS]
        say(table(["module", "cumulative ms", "self ms"],
                  [["  " * r.depth + r.name, f"{r.cumulative_us / 1000:.1f}", f"{r.self_us / 1000:.1f}"]
                   for r in best], [False, True, True]))


def bench_trees(res: Results, runs: int, work: Path, quick: bool) -> None:
    section("one node: diff --node 2 and apply --node 2 --yes (node 2 of a two-node spec, fresh copy per apply)")
    found, notes = trees(quick)
    for note in notes:
        say(f"  note: {note}")
    rows: list[list[str]] = []
    for label, src in found:
        base = work / "tree"
        if base.exists():
            shutil.rmtree(base)
        base.mkdir()
        spec = base / "wso2patch.toml"
        home2 = base / "mb2"
        spec.write_text(TWO_NODE_SPEC.format(home1=base / "mb1", home2=home2), encoding="utf-8")
        copy_home(src, home2)
        diff_cmd = [*WSO2PATCH, "diff", "--node", "2", "--spec", str(spec)]
        d = paired(f"{label}: diff", diff_cmd, runs, base, expect=1)

        def fresh(src: Path = src, home2: Path = home2) -> None:
            copy_home(src, home2)

        def after_apply(diff_cmd: list[str] = diff_cmd, base: Path = base) -> str:
            r = run_once(diff_cmd, base)
            return "" if r.exit == 0 else f"diff after apply exited {r.exit} (expected 0: nothing pending): {r.last}"

        a = paired(f"{label}: apply", [*WSO2PATCH, "apply", "--node", "2", "--yes", "--spec", str(spec)], runs,
                   base, prepare=fresh, check=after_apply)
        rows.append(pair_row(d, "exit 1 = changes pending"))
        rows.append(pair_row(a, "re-diff after each: nothing pending"))
        if label == TARGET_TREE or (res.apply is None and label == "fixture mb-home"):
            res.diff, res.apply = d, a
        shutil.rmtree(base)
    say(table(PAIR_HEADERS, rows, PAIR_RIGHT))


def write_cluster(base: Path, n: int) -> Path:
    """n copies of the fixture mb-home as node1..nodeN on one host, offsets 0..n-1, relative homes."""
    if base.exists():
        shutil.rmtree(base)
    base.mkdir()
    nodes = [f'\n[[node]]\nid = {i}\nhost = "10.0.0.1"\noffset = {i - 1}\nhome = "node{i}"\n' for i in range(1, n + 1)]
    spec = base / "wso2patch.toml"
    spec.write_text(CLUSTER_HEAD + "".join(nodes), encoding="utf-8")
    for i in range(1, n + 1):
        copy_home(FIXTURE_HOME, base / f"node{i}")
    return spec


def bench_clusters(res: Results, runs: int, big_runs: int, work: Path) -> None:
    section("apply --all --yes: generated clusters on one host (node i = fresh copy of fixtures/mb-home, offset i-1)")
    base = work / "cluster"
    spec = base / "wso2patch.toml"
    for n in CLUSTER_SIZES:

        def check(n: int = n) -> str:
            missing = [i for i in range(1, n + 1) if not (base / f"node{i}/.wso2patch/journal.json").is_file()]
            return f"{len(missing)} of {n} homes have no journal after apply (e.g. node{missing[0]})" if missing else ""

        def fresh(n: int = n) -> None:
            write_cluster(base, n)

        p = paired(f"{n} nodes", [*WSO2PATCH, "apply", "--all", "--yes", "--spec", str(spec)],
                   big_runs if n >= BIG else runs, work, prepare=fresh, check=check,
                   stop_after_s=BIG_BUDGET_S if n >= BIG else None, floors=CLUSTER_FLOORS)
        res.clusters[n] = p
        say(f"  {n} nodes: median {p.median:.2f} s over {len(p.seconds)} pair(s)"
            + (f"  PROBLEM: {p.problem}" if p.problem else ""))
    if base.exists():  # the last (largest) cluster: nothing may be pending anywhere
        r = run_once([*WSO2PATCH, "diff", "--spec", str(spec)], base)
        verdict = "nothing pending on any node" if r.exit == 0 else f"PROBLEM: exit {r.exit}: {r.last}"
        say(f"  check: `diff` of every node after the last {CLUSTER_SIZES[-1]}-node apply: exit {r.exit} in "
            f"{r.seconds:.2f} s: {verdict}")
        shutil.rmtree(base)

    rows: list[list[str]] = []
    prev: tuple[int, Pairs] | None = None
    for n, p in res.clusters.items():
        step = f"{(p.median - prev[1].median) / (n - prev[0]) * 1000:.1f}" if prev else ""
        rows.append([str(n), str(len(p.seconds)), f"{p.median:.2f}", ms(p.floor_median), f"{p.ratio:.0f}",
                     f"{p.cpu_ratio:.0f}", f"{p.median / n * 1000:.1f}", f"{p.ratio / n:.2f}", step,
                     str(p.out_lines), f"PROBLEM: {p.problem}" if p.problem else ""])
        prev = n, p
    say()
    say(table(["nodes", "pairs", "median s", "floor ms", "x floor", "cpu x", "ms/node", "floors/node",
               "incremental ms/node", "stdout lines", "note"], rows, [True] * 10 + [False]))


def growth(res: Results) -> dict[str, float] | None:
    """Cost per node at 200 over cost per node at 10: in floors (each size against its own paired floors, wall
    and CPU time) and in milliseconds."""
    a, b = res.clusters.get(10), res.clusters.get(BIG)
    if not a or not b:
        return None
    return {"floors": (b.ratio / BIG) / (a.ratio / 10), "cpu": (b.cpu_ratio / BIG) / (a.cpu_ratio / 10),
            "ms": (b.median / BIG) / (a.median / 10)}


def verdict(value: float, limit: float, ok: bool = True) -> str:
    return "MET" if value <= limit and ok else f"NOT MET ({value / limit:.2f} of the limit)"


def bench_targets(res: Results) -> None:
    section("targets (issue 9): median of the paired ratios command/floor, wall-clock time (cpu: CPU time)")
    rows: list[list[str]] = []
    for p, limit, name in ((res.version, VERSION_MAX, "wso2patch --version"),
                           (res.diff, DIFF_MAX, "one-node diff"), (res.apply, APPLY_MAX, "one-node apply")):
        if p is not None:
            rows.append([name, f"{p.ratio:.2f}x", f"<= {limit}x", verdict(p.ratio, limit, not p.problem),
                         f"{p.cpu_ratio:.2f}x", f"{p.label}: {ms(p.median)} ms, floor {ms(p.floor_median)} ms"])
    big = res.clusters.get(BIG)
    if big is not None:
        rows.append([f"{BIG}-node apply --all", f"{big.ratio:.0f}x", f"<= {BIG_MAX:.0f}x",
                     verdict(big.ratio, BIG_MAX, not big.problem), f"{big.cpu_ratio:.0f}x",
                     f"{big.median:.2f} s, floor {ms(big.floor_median)} ms"])
    g = growth(res)
    if g is not None and big is not None:
        small = res.clusters[10]
        rows.append([f"per-node cost {BIG} / 10", f"{g['floors']:.2f}", f"<= {GROWTH_MAX}",
                     verdict(g["floors"], GROWTH_MAX), f"{g['cpu']:.2f}",
                     f"floors per node {small.ratio / 10:.2f} at 10, {big.ratio / BIG:.2f} at {BIG}; ms per node "
                     f"{small.median / 10 * 1000:.1f} and {big.median / BIG * 1000:.1f} ({g['ms']:.2f})"])
    say(table(["target", "measured", "goal", "verdict", "cpu", "behind it"], rows,
              [False, True, False, False, True, False]))


# ---------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark wso2patch (prints a report; never asserts timing).")
    parser.add_argument("--quick", action="store_true", help="3 pairs per measurement, MB 3.2.0 and the fixture")
    parser.add_argument("--runs", type=int, default=None, help="pairs per measurement (default 7, --quick 3)")
    opts = parser.parse_args(argv)
    runs = opts.runs if opts.runs is not None else 3 if opts.quick else 7
    if runs < 1:
        parser.error("--runs must be at least 1")
    big_runs = min(runs, 1 if opts.quick else BIG_RUNS)
    where = compile_package()
    probe = subprocess.run([*WSO2PATCH, "--version"], capture_output=True, text=True, env=clean_env(), check=False)
    if probe.returncode != 0:
        print(f"bench: {' '.join(WSO2PATCH)} cannot run: {probe.stderr.strip()}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    res = Results()
    say(f"wso2patch benchmark: {probe.stdout.strip()}, {time.strftime('%Y-%m-%d %H:%M:%S')}")
    say(f"  python {platform.python_version()} ({PY}); {platform.platform()}; {os.cpu_count()} CPU(s); "
        f"load average {load()} (1, 5, 15 min)")
    say(f"  commands: {' '.join(WSO2PATCH)} ...; package {where}, compiled before measuring, bytecode cache on")
    say(f"  floor: {' '.join(FLOOR_CMD)}; {runs} pairs per measurement ({BIG} nodes: at most {big_runs}), "
        f"each between floor runs (clusters: {CLUSTER_FLOORS} on each side); ratio = median of the per-pair ratios")

    with tempfile.TemporaryDirectory(prefix="wso2patch-bench-") as tmp:
        work = Path(tmp)
        for _ in range(2):  # warm the page cache before anything is timed
            run_once(FLOOR_CMD, work)
            run_once([*WSO2PATCH, "--version"], work)
        bench_startup(res, runs, work)
        bench_trees(res, runs, work, opts.quick)
        bench_clusters(res, runs, big_runs, work)
        bench_targets(res)

    say(f"\nbenchmark wall time {time.perf_counter() - started:.0f} s; load average at the end {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
