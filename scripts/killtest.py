#!/usr/bin/env python3
"""Stop wso2patch with SIGKILL, SIGTERM or SIGINT at random points of apply and of rollback, and check that every
file of the home is byte-identical either to stock or to the fully patched result: never a mix, never a truncated
file, no stray temporary file.

After SIGKILL the harness runs the recovery step. After SIGTERM or SIGINT the process must do it itself: exit
128 + the signal number with one line saying where the home stands (and the home must stand there, its journal
finished before any 'recover'), or exit 0 when it finished first. A process stopped before wso2patch took over the
signals (Python's start-up) may die of the default action, and must then have written nothing.

    .venv/bin/python scripts/killtest.py --trials 300            # the stress run (about 3 minutes)
    .venv/bin/python scripts/killtest.py --trials 20 --tree fixtures/carbon-home --signals TERM

WSO2PATCH_TEST_DELAY (seconds per write step) widens the window in which a signal lands mid-write;
the instant is drawn uniformly over a whole unstopped run, start-up included.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = """[database]
host = "db"
username = "regadmin"
password = "regadmin"
[[node]]
id = 1
host = "10.0.0.1"
home = "mb1"
[[node]]
id = 2
host = "10.0.0.2"
offset = 1
home = "mb2"
"""


def snapshot(home: Path) -> dict[str, str]:
    return {p.relative_to(home).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file() and ".wso2patch" not in p.parts}


def wso2patch(*args: str, cwd: Path, delay: float = 0.0) -> subprocess.Popen[bytes]:
    env = dict(os.environ, WSO2PATCH_TEST_DELAY=str(delay)) if delay else dict(os.environ)
    env.pop("WSO2PATCH_SPEC", None)
    return subprocess.Popen([sys.executable, "-m", "wso2patch", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run(*args: str, cwd: Path, delay: float = 0.0) -> tuple[int, str, float]:
    start = time.monotonic()
    p = wso2patch(*args, cwd=cwd, delay=delay)
    _, err = p.communicate()
    return p.returncode, err.decode(errors="replace"), time.monotonic() - start


@dataclass
class Tally:
    trials: int = 0
    before: int = 0
    after: int = 0
    interrupted: int = 0  # kills that left a transaction unfinished in the journal (mid-write)
    bad: list[str] = field(default_factory=list)
    signalled: int = 0  # SIGTERM/SIGINT trials
    handled: int = 0  # ... that exited 128 + signum with the state line
    mid_write: int = 0  # ... of which the line says a transaction was undone or completed under the signal
    finished: int = 0  # ... that exited 0: the work was done before the signal was acted on
    early: int = 0  # ... that died of the default action, before wso2patch took over the signals


def setup(tree: Path, where: Path) -> Path:
    shutil.copytree(tree, where / "mb2", symlinks=True)
    (where / "wso2patch.toml").write_text(SPEC, encoding="utf-8")
    return where / "mb2"


def reference(tree: Path, scratch: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The stock and fully patched states of the tree, from one unkilled apply."""
    home = setup(tree, scratch)
    stock = snapshot(home)
    code, err, _ = run("apply", "--node", "2", "--yes", cwd=scratch)
    if code != 0:
        raise SystemExit(f"killtest: the reference apply failed: {err.strip()}")
    return stock, snapshot(home)


def unfinished(home: Path) -> bool:
    journal = home / ".wso2patch" / "journal.json"
    return journal.exists() and any(f'"state": "{s}"' in journal.read_text() for s in ("pending", "rolling_back"))


def judge(kind: str, sig: signal.Signals, code: int, err: str, verdict: str) -> str | None:
    """None when a SIGTERM/SIGINT trial ended as it must, else what went wrong. `verdict` is what the home is
    ('stock', 'patched' or a mixed or corrupt description), before any recovery."""
    start, end = ("stock", "patched") if kind == "apply" else ("patched", "stock")
    lines = [line for line in err.splitlines() if line.strip()]
    if verdict not in (start, end):
        return f"{kind} {sig.name}: exit {code}, left a {verdict}"
    if code == 0:
        return None if verdict == end else f"{kind} {sig.name}: exit 0 but the home is {verdict}"
    if early(sig, code, lines):  # the default action: only before wso2patch's code took over the signals
        return None if verdict == start else f"{kind} {sig.name}: died of the signal with the home {verdict}"
    if code != 128 + sig:
        return f"{kind} {sig.name}: exit {code}, not {128 + sig}: {err.strip()[-300:]}"
    if len(lines) != 1 or not lines[0].startswith("wso2patch: error: interrupted"):
        return f"{kind} {sig.name}: not one line saying interrupted: {err!r}"
    claims_end = ("the apply completed" in lines[0] or "finished: its files were all written" in lines[0]) \
        if kind == "apply" else "rollback completed" in lines[0]
    if verdict != (end if claims_end else start):
        return f"{kind} {sig.name}: the line says {lines[0]!r} but the home is {verdict}"
    return None


def early(sig: signal.Signals, code: int, lines: list[str]) -> bool:
    """Stopped by the default action during Python's start-up, before wso2patch installed its handlers: killed by
    the signal, or (SIGINT) a KeyboardInterrupt traceback whose wso2patch frames, if any, are module imports (or
    main() before its first statement, install(), took effect)."""
    if code == -sig and not lines:
        return True
    ours = [line for line in lines if "/wso2patch/" in line and line.lstrip().startswith("File ")]
    return (sig == signal.SIGINT and code in (-sig, 1) and bool(lines) and lines[-1] == "KeyboardInterrupt"
            and all(line.endswith(("in <module>", "in main")) for line in ours))


def trial(kind: str, sig: signal.Signals, tree: Path, window: float, delay: float, rng: random.Random,
          stock: dict[str, str], patched: dict[str, str], tally: Tally) -> None:
    with tempfile.TemporaryDirectory(prefix="killtest-") as tmp:
        where = Path(tmp)
        home = setup(tree, where)
        if kind == "rollback":
            code, err, _ = run("apply", "--node", "2", "--yes", cwd=where)
            assert code == 0, err
            args = ("rollback", "--home", "mb2", "--yes")
        else:
            args = ("apply", "--node", "2", "--yes")
        p = wso2patch(*args, cwd=where, delay=delay)
        time.sleep(rng.uniform(0, window))
        p.send_signal(sig)
        _, raw = p.communicate(timeout=120)
        tally.trials += 1
        if sig != signal.SIGKILL:
            tally.signalled += 1
            verdict = classify(snapshot(home), stock, patched)
            problem = judge(kind, sig, p.returncode, raw.decode(errors="replace"), verdict)
            if problem is None and unfinished(home):
                problem = f"{kind} {sig.name}: exit {p.returncode} left the journal unfinished"
            if problem is not None:
                tally.bad.append(problem)
                return
            tally.handled += p.returncode == 128 + sig
            tally.finished += p.returncode == 0
            tally.early += p.returncode not in (0, 128 + sig)
            tally.mid_write += p.returncode == 128 + sig and any(
                w in raw.decode(errors="replace") for w in ("undone", "completed", "finished"))
        elif unfinished(home):
            tally.interrupted += 1
        code, err, _ = run("recover", "--home", "mb2", cwd=where)
        state = snapshot(home)
        strays = [str(q) for q in home.rglob("*.wso2patch-tmp") if ".wso2patch" not in q.parts]
        if code != 0:
            tally.bad.append(f"{kind} {sig.name}: recover exited {code}: {err.strip()}")
        elif sig != signal.SIGKILL and "nothing to recover" not in run_out("recover", "--home", "mb2", cwd=where):
            tally.bad.append(f"{kind} {sig.name}: the process left something to recover")
        elif strays:
            tally.bad.append(f"{kind} {sig.name}: stray temporary files {strays}")
        else:
            verdict = classify(state, stock, patched)
            if verdict == "stock":
                tally.before += 1
            elif verdict == "patched":
                tally.after += 1
            else:
                tally.bad.append(f"{kind} {sig.name}: {verdict}")


def run_out(*args: str, cwd: Path) -> str:
    return subprocess.run([sys.executable, "-m", "wso2patch", *args], cwd=cwd, capture_output=True, text=True,
                          check=False).stdout


def classify(state: dict[str, str], stock: dict[str, str], patched: dict[str, str]) -> str:
    """'stock', 'patched', or a description of a mixed or corrupt home."""
    if state == stock:
        return "stock"
    if state == patched:
        return "patched"
    keys = sorted(set(stock) | set(state))
    as_stock = [k for k in keys if state.get(k) == stock.get(k) != patched.get(k)]
    as_patched = [k for k in keys if state.get(k) == patched.get(k) != stock.get(k)]
    neither = [k for k in keys if state.get(k) not in (stock.get(k), patched.get(k))]
    return f"mixed or corrupt home: stock {as_stock[:3]}, patched {as_patched[:3]}, neither {neither[:3]}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--trials", type=int, default=300, help="total trials: apply and rollback in turn, the signals "
                    "in turn within each")
    ap.add_argument("--tree", type=Path, default=REPO / "fixtures" / "mb-home", help="the stock tree to use")
    ap.add_argument("--delay", type=float, default=0.01, help="seconds per write step (WSO2PATCH_TEST_DELAY)")
    ap.add_argument("--signals", default="KILL,TERM,INT", help="comma-separated: KILL, TERM, INT, HUP")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    sigs = [signal.Signals[f"SIG{name.strip().upper()}"] for name in a.signals.split(",")]
    tree = a.tree.resolve()
    with tempfile.TemporaryDirectory(prefix="killtest-ref-") as ref:
        stock, patched = reference(tree, Path(ref))
    if stock == patched:
        raise SystemExit("killtest: the tree is not changed by an apply; pick a stock tree")
    windows: dict[str, float] = {}
    for kind in ("apply", "rollback"):  # how long an unkilled run takes, so kills spread over all of it
        with tempfile.TemporaryDirectory(prefix="killtest-w-") as tmp:
            setup(tree, Path(tmp))
            if kind == "rollback":
                run("apply", "--node", "2", "--yes", cwd=Path(tmp))
                windows[kind] = run("rollback", "--home", "mb2", "--yes", cwd=Path(tmp), delay=a.delay)[2]
            else:
                windows[kind] = run("apply", "--node", "2", "--yes", cwd=Path(tmp), delay=a.delay)[2]
    tally = Tally()
    start = time.monotonic()
    count = {s: 0 for s in sigs}
    for i in range(a.trials):
        kind = "apply" if i % 2 == 0 else "rollback"
        sig = sigs[(i // 2) % len(sigs)]
        count[sig] += 1
        trial(kind, sig, tree, windows[kind], a.delay, rng, stock, patched, tally)
    per_signal = ", ".join(f"{n} {s.name}" for s, n in count.items())
    print(f"killtest: {tally.trials} trials on {tree.name} ({(a.trials + 1) // 2} apply, {a.trials // 2} rollback; "
          f"{per_signal}) in {time.monotonic() - start:.0f} s: {tally.interrupted} killed mid-write; after recovery "
          f"{tally.before} stock, {tally.after} fully patched; {len(tally.bad)} failed (a mixed or corrupt home, or a "
          "wrong exit code or line)")
    if tally.signalled:
        print(f"killtest: SIGTERM/SIGINT/SIGHUP: {tally.handled} exited 128+signal with the state line "
              f"({tally.mid_write} of them after finishing or undoing a transaction themselves), {tally.finished} "
              f"finished first (exit 0), {tally.early} stopped during Python's start-up (nothing written)")
    for line in tally.bad[:10]:
        print(f"  {line}")
    return 1 if tally.bad else 0


if __name__ == "__main__":
    sys.exit(main())
