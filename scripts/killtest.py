#!/usr/bin/env python3
"""Kill wso2patch with SIGKILL at random points of apply and of rollback, run the recovery step, and check
that every file of the home is byte-identical either to stock or to the fully patched result: never a mix,
never a truncated file, no stray temporary file.

    .venv/bin/python scripts/killtest.py --trials 300            # the stress run (about 3 minutes)
    .venv/bin/python scripts/killtest.py --trials 20 --tree fixtures/carbon-home

WSO2PATCH_TEST_DELAY (seconds per write step) widens the window in which a kill lands mid-write;
the kill instant is drawn uniformly over a whole unkilled run, start-up included.
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


def trial(kind: str, tree: Path, window: float, delay: float, rng: random.Random,
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
        p.send_signal(signal.SIGKILL)
        p.wait()
        journal = home / ".wso2patch" / "journal.json"
        if journal.exists() and any(f'"state": "{s}"' in journal.read_text() for s in ("pending", "rolling_back")):
            tally.interrupted += 1
        code, err, _ = run("recover", "--home", "mb2", cwd=where)
        state = snapshot(home)
        strays = [str(q) for q in home.rglob("*.wso2patch-tmp") if ".wso2patch" not in q.parts]
        tally.trials += 1
        if code != 0:
            tally.bad.append(f"{kind}: recover exited {code}: {err.strip()}")
        elif strays:
            tally.bad.append(f"{kind}: stray temporary files {strays}")
        else:
            verdict = classify(state, stock, patched)
            if verdict == "stock":
                tally.before += 1
            elif verdict == "patched":
                tally.after += 1
            else:
                tally.bad.append(f"{kind}: {verdict}")


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
    ap.add_argument("--trials", type=int, default=300, help="total trials, half apply, half rollback")
    ap.add_argument("--tree", type=Path, default=REPO / "fixtures" / "mb-home", help="the stock tree to use")
    ap.add_argument("--delay", type=float, default=0.01, help="seconds per write step (WSO2PATCH_TEST_DELAY)")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
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
    for i in range(a.trials):
        kind = "apply" if i % 2 == 0 else "rollback"
        trial(kind, tree, windows[kind], a.delay, rng, stock, patched, tally)
    print(f"killtest: {tally.trials} trials on {tree.name} ({(a.trials + 1) // 2} apply, {a.trials // 2} rollback) "
          f"in {time.monotonic() - start:.0f} s: {tally.interrupted} killed mid-write; after recovery {tally.before} "
          f"stock, {tally.after} fully patched, {len(tally.bad)} mixed or corrupt")
    for line in tally.bad[:10]:
        print(f"  {line}")
    return 1 if tally.bad else 0


if __name__ == "__main__":
    sys.exit(main())
