"""Benchmark wso2patch: CLI start-up, one-node diff/apply per tree, and apply --all on generated clusters.

Run from the repository root:

    .venv/bin/python bench/run.py            # 7 runs per measurement (3 for 200 nodes), about 2-4 minutes
    .venv/bin/python bench/run.py --quick    # 3 runs per measurement, about a minute
    .venv/bin/python bench/run.py --runs 11  # more runs

This is a measurement, not a test: it prints a plain-text report and never asserts anything about timing.
Every number is wall-clock time (time.perf_counter) around one subprocess, reported as the median and the minimum
of several runs, next to the floor `python -c "import lxml.etree"` measured in the same run with the same
interpreter (sys.executable). Commands run as [sys.executable, "-m", "wso2patch", ...]; the console script
.venv/bin/wso2patch is timed too, in the start-up block only. Copying the homes an apply will change happens
before the clock starts and is never timed. See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
TARGET_TREE = "wso2mb-3.2.0"  # the one-node apply target is measured on this tree, else on the fixture
CLUSTER_SIZES = [2, 10, 50, 200]
BIG_CLUSTER_RUNS = 3  # 200 nodes: at most this many runs (--quick: 1)
BIG_CLUSTER_BUDGET_S = 60.0  # a 200-node run slower than this is not repeated (keeps the benchmark bounded)
TIMEOUT_S = 600.0
PY = sys.executable
WSO2PATCH = [PY, "-m", "wso2patch"]
SCRIPT = Path(PY).parent / "wso2patch"
FLOOR_CMD = [PY, "-c", "import lxml.etree"]
TOP_IMPORTS = 8
UNUSED_MIN_MS = 0.5  # unused imports cheaper than this are summed but not listed
UNUSED_LISTED = 12  # and at most this many are listed

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

# Runs one wso2patch command in-process after importing wso2patch.cli, and records what the command used: the
# module of every Python function that ran (__name__ of the frame's globals), of every builtin it called, and of
# the type of every value a Python function returned (this is how C extensions such as lxml, whose Cython
# functions raise no profile event of their own, are seen: their objects come back to wso2patch's code).
TRACE_HARNESS = """\
import json, sys
import wso2patch.cli as cli
out, args = sys.argv[1], sys.argv[2:]
ran = set()
def prof(frame, event, arg):
    if event == "call":
        ran.add(frame.f_globals.get("__name__", "?"))
    elif event == "c_call":
        ran.add(getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__)
    elif event == "return" and arg is not None:
        ran.add(type(arg).__module__)
sys.argv = ["wso2patch", *args]
code = 0
sys.setprofile(prof)
try:
    cli.main()
except SystemExit as e:
    code = e.code
finally:
    sys.setprofile(None)
with open(out, "w", encoding="utf-8") as f:
    json.dump({"exit": code, "ran": sorted(ran)}, f)
"""


# ---------------------------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    """Several timed runs of one command."""

    label: str
    seconds: list[float] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)
    expect: int = 0
    problem: str = ""  # the first unexpected exit, with the last line of its stderr
    out_lines: int = 0  # lines the last run printed on stdout (the diff, for diff and apply)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def min(self) -> float:
        return min(self.seconds) if self.seconds else float("nan")

    @property
    def ok(self) -> bool:
        return bool(self.seconds) and not self.problem


def clean_env() -> dict[str, str]:
    """The caller's environment without WSO2PATCH_* (a stray WSO2PATCH_TEST_DELAY or _SPEC would skew the run)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("WSO2PATCH_")}


def run_once(cmd: Sequence[str], cwd: Path) -> tuple[float, int, str, int]:
    """Time one subprocess (output captured through pipes); returns (seconds, exit code, last line of stderr,
    lines on stdout)."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(list(cmd), cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, -1, f"timed out after {TIMEOUT_S:.0f} s", 0
    elapsed = time.perf_counter() - start
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return elapsed, proc.returncode, lines[-1] if lines else "", proc.stdout.count(b"\n")


def measure(label: str, cmd: Sequence[str], runs: int, cwd: Path, expect: int = 0,
            prepare: Callable[[int], None] | None = None, check: Callable[[int], str] | None = None,
            stop_after_s: float | None = None) -> Sample:
    """Median/min of `runs` runs; prepare(i) runs untimed before run i, check(i) untimed after it (returns a
    problem or ""). Stops early once a run took longer than stop_after_s."""
    sample = Sample(label, expect=expect)
    for i in range(runs):
        if prepare is not None:
            prepare(i)
        elapsed, code, last, sample.out_lines = run_once(cmd, cwd)
        sample.seconds.append(elapsed)
        sample.exits.append(code)
        if code != expect and not sample.problem:
            sample.problem = f"exit {code} (expected {expect}): {last}"
        if check is not None and not sample.problem:
            sample.problem = check(i)
        if stop_after_s is not None and elapsed > stop_after_s:
            break
    return sample


def copy_home(src: Path, dest: Path) -> Path:
    """A writable copy of a product home (the stock trees are read-only)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, symlinks=True)
    for p in [dest, *dest.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dest


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
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        raw = parts[2].rstrip()
        indent = len(raw) - len(raw.lstrip(" "))
        rows.append(Imported(raw.strip(), max(0, (indent - 1) // 2), float(parts[0]), float(parts[1])))
    return rows


def wso2patch_subtrees(rows: list[Imported]) -> list[Imported]:
    """Only what `import wso2patch.cli` itself imported: each top-level wso2patch* row and the rows nested under
    it (importtime prints children before their parent), not what the interpreter imported at start-up."""
    keep: list[Imported] = []
    start = 0
    for i, row in enumerate(rows):
        if row.depth == 0:
            if row.name.startswith("wso2patch"):
                keep.extend(rows[start:i + 1])
            start = i + 1
    return keep


def importtime(runs: int, cwd: Path) -> tuple[list[Imported], list[float]]:
    """Per-module medians over `runs` runs of `python -X importtime -c "import wso2patch.cli"`, in import order,
    and the wall times of those runs."""
    by_name: dict[str, list[Imported]] = {}
    order: list[str] = []
    walls: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([PY, "-X", "importtime", "-c", "import wso2patch.cli"], cwd=cwd, env=clean_env(),
                              capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        walls.append(time.perf_counter() - start)
        for row in wso2patch_subtrees(parse_importtime(proc.stderr)):
            if row.name not in by_name:
                order.append(row.name)
            by_name.setdefault(row.name, []).append(row)
    return [Imported(n, by_name[n][0].depth, statistics.median(r.self_us for r in by_name[n]),
                     statistics.median(r.cumulative_us for r in by_name[n])) for n in order], walls


def group_of(module: str) -> str:
    """wso2patch modules count one by one (each can be imported lazily); others by top-level package."""
    return module if module.startswith("wso2patch") else module.split(".")[0]


def trace_used(args: Sequence[str], cwd: Path, out: Path) -> tuple[int, set[str]]:
    """Run `wso2patch ARGS` in-process under sys.setprofile; the groups whose code ran during the command."""
    subprocess.run([PY, "-c", TRACE_HARNESS, str(out), *args], cwd=cwd, env=clean_env(), capture_output=True,
                   timeout=TIMEOUT_S, check=False)
    data = json.loads(out.read_text(encoding="utf-8"))
    code = data["exit"] if isinstance(data["exit"], int) else 1
    out.unlink()
    return code, {group_of(m) for m in data["ran"] if isinstance(m, str)}


@dataclass(frozen=True)
class Unused:
    command: str
    exit: int
    total_ms: float  # self time of every module imported by wso2patch.cli whose group ran no code
    share: float  # of the import time of wso2patch.cli
    groups: list[tuple[str, float]]  # (group, ms) above UNUSED_MIN_MS, most expensive first


def listing(u: Unused, with_ms: bool = True) -> str:
    """The most expensive unused groups, then how many more and what they cost together."""
    shown = u.groups[:UNUSED_LISTED]
    text = ", ".join(f"{g} {v:.1f}" if with_ms else g for g, v in shown) or f"none of {UNUSED_MIN_MS} ms or more"
    rest = u.total_ms - sum(v for _, v in shown)
    more = len(u.groups) - len(shown)
    if more > 0:
        text += f", and {more} more"
    return text + (f" (+{rest:.1f} ms in the ones not listed)" if rest >= 0.05 else "")


def unused_imports(command: str, exit_code: int, used: set[str], imports: list[Imported]) -> Unused:
    cost: dict[str, float] = {}
    for row in imports:
        cost[group_of(row.name)] = cost.get(group_of(row.name), 0.0) + row.self_us / 1000
    total = sum(cost.values())
    idle = {g: ms for g, ms in cost.items() if g not in used and g not in ("wso2patch", "wso2patch.cli")}
    unused_ms = sum(idle.values())
    listed = sorted(((g, ms) for g, ms in idle.items() if ms >= UNUSED_MIN_MS), key=lambda x: -x[1])
    return Unused(command, exit_code, unused_ms, unused_ms / total if total else 0.0, listed)


# ---------------------------------------------------------------------------------------------- output


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True))

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join("  " + s.rstrip() for s in out)


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def say(text: str = "") -> None:
    print(text, flush=True)


def sample_row(s: Sample, floor: float, note: str = "") -> list[str]:
    problem = f"PROBLEM: {s.problem}" if s.problem else note
    return [s.label, ms(s.median), ms(s.min), str(len(s.seconds)), f"{s.median / floor:.1f}x", problem]


SAMPLE_HEADERS = ["measurement", "median ms", "min ms", "runs", "x floor", "note"]
SAMPLE_RIGHT = [False, True, True, True, True, False]


# ---------------------------------------------------------------------------------------------- sections


@dataclass
class Results:
    floor: Sample | None = None
    version: Sample | None = None
    target_apply: Sample | None = None
    target_tree: str = ""
    clusters: dict[int, Sample] = field(default_factory=dict)
    cli_import_ms: float = 0.0
    unused: list[Unused] = field(default_factory=list)


def trees() -> tuple[list[tuple[str, Path]], list[str]]:
    """(label, path) of every tree to measure, and notes for the stock trees that are absent."""
    found: list[tuple[str, Path]] = []
    notes: list[str] = []
    if not DIST.is_dir():
        notes.append(f"{DIST} is absent: stock trees skipped, only the fixture home is measured")
    else:
        for name in STOCK_NAMES:
            path = DIST / name
            if (path / "repository/conf/carbon.xml").is_file():
                found.append((name, path))
            else:
                notes.append(f"{name}: not in {DIST}, skipped")
    found.append(("fixture mb-home", FIXTURE_HOME))
    return found, notes


def bench_startup(res: Results, runs: int, work: Path) -> None:
    section("start-up")
    assert res.floor is not None
    res.version = measure("wso2patch --version  (python -m wso2patch)", [*WSO2PATCH, "--version"], runs, work)
    rows = [sample_row(res.version, res.floor.median)]
    if SCRIPT.is_file():
        script = measure(f"wso2patch --version  ({SCRIPT})", [str(SCRIPT), "--version"], runs, work)
        rows.append(sample_row(script, res.floor.median, "the console script"))
    say(table(SAMPLE_HEADERS, rows, SAMPLE_RIGHT))

    imports, walls = importtime(min(runs, 3), work)
    cli_row = next((r for r in imports if r.name == "wso2patch.cli"), None)
    res.cli_import_ms = cli_row.cumulative_us / 1000 if cli_row else 0.0

    # what the commands actually use: --version, and apply --node 2 on a fresh fixture copy
    home = copy_home(FIXTURE_HOME, work / "trace" / "mb2")
    spec = work / "trace" / "wso2patch.toml"
    spec.write_text(TWO_NODE_SPEC.format(home1=work / "trace" / "mb1", home2=home), encoding="utf-8")
    commands = [("--version", ["--version"]), ("apply --node 2 --yes", ["apply", "--node", "2", "--yes",
                                                                         "--spec", str(spec)])]
    for name, args in commands:
        code, used = trace_used(args, work, work / "trace" / "used.json")
        res.unused.append(unused_imports(name, code, used, imports))

    say(f"\n  python -X importtime -c \"import wso2patch.cli\" (median of {len(walls)} runs): import of "
        f"wso2patch.cli {res.cli_import_ms:.1f} ms cumulative; top {TOP_IMPORTS} imports by cumulative time "
        "below it\n  (indent = nesting; 'ran in' = code of that module/package ran during the command):")
    top = sorted((r for r in imports if r.name != "wso2patch.cli"), key=lambda r: -r.cumulative_us)[:TOP_IMPORTS]
    used_by = {u.command: {g for g, _ in u.groups} for u in res.unused}
    rows = []
    for r in top:
        ran = [c for c, idle in used_by.items() if group_of(r.name) not in idle]
        rows.append(["  " * r.depth + r.name, f"{r.cumulative_us / 1000:.1f}", f"{r.self_us / 1000:.1f}",
                     ", ".join(ran) if ran else "neither"])
    say(table(["module", "cumulative ms", "self ms", "ran in"], rows, [False, True, True, False]))

    for u in res.unused:
        bad = f"  PROBLEM: the traced command exited {u.exit}" if u.exit not in (0,) else ""
        say(f"\n  imported by wso2patch.cli but no code ran during `{u.command}`: {u.total_ms:.1f} ms self time "
            f"= {u.share:.0%} of the import{bad}")
        say(f"    (ms) {listing(u)}")


def bench_trees(res: Results, runs: int, work: Path) -> None:
    section("one node: diff --node 2 and apply --node 2 --yes (node 2 of a two-node spec, fresh copy per apply)")
    assert res.floor is not None
    found, notes = trees()
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
        d = measure(f"{label}: diff", [*WSO2PATCH, "diff", "--node", "2", "--spec", str(spec)], runs, base,
                    expect=1)

        def fresh(_: int, src: Path = src, home2: Path = home2) -> None:
            copy_home(src, home2)

        def after_apply(_: int, spec: Path = spec, base: Path = base) -> str:
            _s, code, last, _n = run_once([*WSO2PATCH, "diff", "--node", "2", "--spec", str(spec)], base)
            return "" if code == 0 else f"diff after apply exited {code} (expected 0: nothing pending): {last}"

        a = measure(f"{label}: apply", [*WSO2PATCH, "apply", "--node", "2", "--yes", "--spec", str(spec)], runs,
                    base, prepare=fresh, check=after_apply)
        rows.append(sample_row(d, res.floor.median, "exit 1 = changes pending, as expected"))
        rows.append(sample_row(a, res.floor.median, "re-diff after each apply: nothing pending"))
        if label == TARGET_TREE or (res.target_apply is None and label == "fixture mb-home"):
            res.target_apply, res.target_tree = a, label
        shutil.rmtree(base)
    say(table(SAMPLE_HEADERS, rows, SAMPLE_RIGHT))


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
        count = big_runs if n >= 200 else runs

        def check(_: int, n: int = n) -> str:
            missing = [i for i in range(1, n + 1) if not (base / f"node{i}/.wso2patch/journal.json").is_file()]
            return f"{len(missing)} of {n} homes have no journal after apply (e.g. node{missing[0]})" if missing else ""

        def fresh(_: int, n: int = n) -> None:
            write_cluster(base, n)

        s = measure(f"{n} nodes", [*WSO2PATCH, "apply", "--all", "--yes", "--spec", str(spec)], count, work,
                    prepare=fresh, check=check,
                    stop_after_s=BIG_CLUSTER_BUDGET_S if n >= 200 else None)
        res.clusters[n] = s
        say(f"  {n} nodes: median {s.median:.2f} s over {len(s.seconds)} run(s)"
            + (f"  PROBLEM: {s.problem}" if s.problem else ""))
    # one untimed-in-the-table check on the last (largest) cluster: nothing pending anywhere
    if base.exists():
        n = CLUSTER_SIZES[-1]
        elapsed, code, last, _n = run_once([*WSO2PATCH, "diff", "--spec", str(spec)], base)
        verdict = "nothing pending on any node" if code == 0 else f"PROBLEM: exit {code}: {last}"
        say(f"  check: `diff` (every node) after the last {n}-node apply: exit {code} in {elapsed:.2f} s: {verdict}")
        shutil.rmtree(base)

    startup = res.version.median if res.version else 0.0
    rows: list[list[str]] = []
    prev: tuple[int, float] | None = None
    for n, s in res.clusters.items():
        inc = f"{(s.median - prev[1]) / (n - prev[0]) * 1000:.1f}" if prev else ""
        rows.append([str(n), str(len(s.seconds)), f"{s.median:.2f}", f"{s.min:.2f}", f"{s.median / n * 1000:.1f}",
                     f"{(s.median - startup) / n * 1000:.1f}", inc, str(s.out_lines),
                     f"PROBLEM: {s.problem}" if s.problem else ""])
        prev = (n, s.median)
    say()
    headers = ["nodes", "runs", "median s", "min s", "ms/node", "ms/node net of start-up", "incremental ms/node",
               "stdout lines", "note"]
    say(table(headers, rows, [True, True, True, True, True, True, True, True, False]))
    a, b = res.clusters.get(10), res.clusters.get(200)
    if a and b:
        raw = (b.median / 200) / (a.median / 10)
        net = ((b.median - startup) / 200) / ((a.median - startup) / 10)
        say(f"\n  per-node(200) / per-node(10) = {raw:.2f} (with the start-up of one `--version` "
            f"({ms(startup)} ms) taken off both: {net:.2f}); 1.0 = linear")


def bench_targets(res: Results) -> None:
    section("targets")
    floor = res.floor.median if res.floor else float("nan")
    a = res.target_apply
    if a is not None:
        limit = 3 * floor
        verdict = "MET" if a.median <= limit and a.ok else f"NOT MET ({a.median / floor:.1f}x, " \
            f"{ms(a.median - limit)} ms over)"
        say(f"  one-node apply ({a.label.split(':')[0]}): {ms(a.median)} ms median vs 3x floor = {ms(limit)} ms "
            f"(floor {ms(floor)} ms): {verdict}")
    big = res.clusters.get(200)
    if big is not None:
        verdict = "MET" if big.median < 10 and big.ok else "NOT MET" + (f" ({big.problem})" if big.problem else "")
        say(f"  200 nodes apply --all: {big.median:.2f} s median vs 10 s: {verdict}")
        small = res.clusters.get(10)
        if small is not None:
            startup = res.version.median if res.version else 0.0
            net = ((big.median - startup) / 200) / ((small.median - startup) / 10)
            shape = "about linear" if net <= 1.3 else "faster than linear"
            say(f"  cost growth: per-node(200)/per-node(10) = {(big.median / 200) / (small.median / 10):.2f}, "
                f"{net:.2f} without start-up: {shape} (about linear = at most 1.3)")
    if res.version is not None:
        say(f"  start-up: `wso2patch --version` {ms(res.version.median)} ms = {res.version.median / floor:.1f}x floor; "
            f"import of wso2patch.cli {res.cli_import_ms:.1f} ms")
        for u in res.unused:
            dominated = "DOMINATED by" if u.share > 0.5 else "not dominated by"
            names = listing(u, with_ms=False)
            say(f"    `{u.command}`: {dominated} imports it does not use ({u.total_ms:.1f} ms, {u.share:.0%} of the "
                f"import; dominated = over 50%): {names}")


# ---------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark wso2patch (prints a report; never asserts timing).")
    parser.add_argument("--quick", action="store_true", help="3 runs per measurement instead of 7")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (default 7, --quick 3)")
    opts = parser.parse_args(argv)
    runs = opts.runs if opts.runs is not None else 3 if opts.quick else 7
    if runs < 1:
        parser.error("--runs must be at least 1")
    big_runs = min(runs, 1 if opts.quick else BIG_CLUSTER_RUNS)
    probe = subprocess.run([*WSO2PATCH, "--version"], capture_output=True, text=True, env=clean_env(), check=False)
    if probe.returncode != 0:
        print(f"bench: {PY} cannot run wso2patch: {probe.stderr.strip()}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    res = Results()
    say(f"wso2patch benchmark: {probe.stdout.strip()}, {time.strftime('%Y-%m-%d %H:%M:%S')}")
    say(f"  python {platform.python_version()} ({PY}); {platform.platform()}; {os.cpu_count()} CPU(s); "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    say(f"  {runs} runs per measurement (200 nodes: at most {big_runs}); median and min of "
        "wall-clock time around one subprocess; commands run as [sys.executable, '-m', 'wso2patch', ...]")

    with tempfile.TemporaryDirectory(prefix="wso2patch-bench-") as tmp:
        work = Path(tmp)
        run_once(FLOOR_CMD, work)  # warm the page cache and the .pyc files before anything is timed
        run_once([*WSO2PATCH, "--version"], work)
        section("floor")
        res.floor = measure('python -c "import lxml.etree"', FLOOR_CMD, runs, work)
        say(table(SAMPLE_HEADERS, [sample_row(res.floor, res.floor.median, "the floor: every 'x floor' uses it")],
                  SAMPLE_RIGHT))
        bench_startup(res, runs, work)
        bench_trees(res, runs, work)
        bench_clusters(res, runs, big_runs, work)
        again = measure('python -c "import lxml.etree" (again)', FLOOR_CMD, runs, work)
        section("floor, measured again at the end")
        say(table(SAMPLE_HEADERS, [sample_row(again, res.floor.median, "drift check: near 1.0x = a steady machine")],
                  SAMPLE_RIGHT))
        bench_targets(res)

    say(f"\nbenchmark wall time {time.perf_counter() - started:.0f} s; load average at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
