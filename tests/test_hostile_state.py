"""Hostile state: homes another user owns, attacked through what wso2patch keeps in them (.wso2patch/) and through
links, while root runs wso2patch on them.

The runner (`run_hostile`) plants a case's attack, gives both homes and everything in them to an unprivileged
account (nobody), runs the real console script as root in a subprocess, and checks the documented exit code, one
error line, no traceback, and that not one byte, mode or owner changed anywhere: in the homes, and in the victim
files outside them (`victim()`), which the attacks aim at. Other catalogues reuse it with their own Case lists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Cli
from tests.test_bad_inputs import (
    CONFIG_ERR,
    MB_HOME,
    REGISTRY,
    Case,
    Env,
    apply1,
    apply_ok,
    check_error,
    console_script,
    diff1,
    history1,
    make_env,
    rollback1,
    status1,
)
from tests.test_db import fake_jar

NOBODY = 65534  # nobody:nogroup on Debian and Ubuntu; any unprivileged uid and gid would do
NOT_ROOT = "the hostile-state catalogue runs wso2patch as root on homes another user owns: it needs root"
CARBON = "repository/conf/carbon.xml"
LIB = "repository/components/lib"
JAR = "mysql-connector-java-5.1.49.jar"
VICTIMS = {  # root's own files outside the homes: what the attacks try to change or read
    "victim": b"precious: root's own file, 0600\n",
    "victim.xml": b"<?xml version=\"1.0\"?>\n<secret><password>precious</password></secret>\n",
    "victim.jar": b"precious jar\n",
    "journal.json": b'{"version": 1, "transactions": []}\n',
}
Cluster = Callable[[Path], tuple[Path, Path, Path]]


# --- the runner ---------------------------------------------------------------------------------------
def victim(env: Env, name: str = "victim") -> Path:
    return env.tmp / "outside" / name


def plant_victims(env: Env) -> None:
    """tmp/outside: root's files (mode 0600) and an empty folder, none of them inside a home."""
    (env.tmp / "outside" / "files").mkdir(parents=True, exist_ok=True)
    for name, data in VICTIMS.items():
        victim(env, name).write_bytes(data)
        victim(env, name).chmod(0o600)


def give_away(env: Env, owner: int = NOBODY) -> None:
    """Both homes and everything in them (links too, not what they point at) now belong to `owner`; a file with
    another hard link is left as it is (its other name may be outside the home)."""
    for home in (env.home1, env.home2):
        os.chown(home, owner, owner)
        for folder, dirs, files in os.walk(home):
            for name in (*dirs, *files):
                p = os.path.join(folder, name)
                if os.lstat(p).st_nlink == 1 or name in dirs:
                    os.chown(p, owner, owner, follow_symlinks=False)


def tree_state(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every path below root: type and mode, owner, group, and the bytes' hash (a link's target; nothing is read
    from a FIFO). A plain .wso2patch/lock counts without its bytes: they are the pid of its last holder, which
    every run that takes the lock writes (a lock that is a link or a hard link is refused before that)."""
    out: dict[str, tuple[Any, ...]] = {}
    for folder, dirs, files in os.walk(root):
        for name in ("", *dirs, *files):
            p = os.path.join(folder, name) if name else folder
            st = os.lstat(p)
            body: str | None = None
            if stat.S_ISLNK(st.st_mode):
                body = os.readlink(p)
            elif stat.S_ISREG(st.st_mode) and (name, os.path.basename(folder)) == ("lock", ".wso2patch"):
                body = "a pid"
            elif stat.S_ISREG(st.st_mode):
                body = hashlib.sha256(Path(p).read_bytes()).hexdigest()
            out[os.path.relpath(p, root)] = (st.st_mode, st.st_uid, st.st_gid, body)
    return out


def run_hostile(case: Case, env: Env, *, owner: int = NOBODY,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Plant case.setup's attack (victims first: see victim()), give the homes to `owner`, run the console script
    as root; then check case.code, the one error line (case.says, no traceback, no secret) and that nothing below
    env.tmp changed: no byte, no mode, no owner, no file added or removed."""
    if os.geteuid() != 0:
        pytest.skip(NOT_ROOT)
    plant_victims(env)
    args = [str(a) for a in case.setup(env)]
    give_away(env, owner)
    before = tree_state(env.tmp)
    environ = {k: v for k, v in os.environ.items() if k != "WSO2PATCH_DEBUG"}
    proc = subprocess.run([*console_script(), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          cwd=env.tmp, env=environ, timeout=timeout, check=False)
    after = tree_state(env.tmp)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"changed {changed[:6]} (exit {proc.returncode}): {proc.stdout[-300:]}{proc.stderr}"
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n"), repr(proc.stderr)
    check_error(case, env, proc.returncode, proc.stdout, proc.stderr)
    return proc


# --- planting helpers ------------------------------------------------------------------------------------
def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def state_dir(env: Env) -> Path:
    return env.home1 / ".wso2patch"


def journal(env: Env) -> Path:
    return state_dir(env) / "journal.json"


def last_tx(env: Env, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite the newest transaction of home1's journal, as the home's owner could."""
    data = json.loads(journal(env).read_text(encoding="utf-8"))
    change(data["transactions"][-1])
    journal(env).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def newest_id(env: Env) -> str:
    return str(json.loads(journal(env).read_text(encoding="utf-8"))["transactions"][-1]["id"])


def carbon_of(tx: dict[str, Any]) -> dict[str, Any]:
    """carbon.xml's entry in a transaction."""
    return next(f for f in tx["files"] if f["path"] == CARBON)


def plant_backup(env: Env, data: bytes) -> tuple[str, str]:
    """A file the attacker put under backups/<id>/; (its path as the journal names it, its sha256)."""
    rel = f"backups/{newest_id(env)}/evil"
    (state_dir(env) / rel).write_bytes(data)
    return rel, sha(data)


def entry(path: str, *, after: str, backup: tuple[str, str] | None, pending: bool = False) -> Callable[[Env], None]:
    """Make the first file of home1's newest transaction name `path`, restored from the evil `backup`."""

    def plant(env: Env) -> None:
        apply_ok(env)
        rel, before = plant_backup(env, b"evil bytes\n") if backup is None else backup

        def change(tx: dict[str, Any]) -> None:
            tx["files"][0].update(path=path, after=after, before=before, backup=rel)
            if pending:
                tx["state"] = "pending"

        last_tx(env, change)

    return plant


def then(plant: Callable[[Env], None], command: Callable[[Env], list[str | Path]]) -> Callable[[Env], list[str | Path]]:
    def setup(env: Env) -> list[str | Path]:
        plant(env)
        return command(env)

    return setup


def recover1(env: Env) -> list[str | Path]:
    return ["recover", "--home", env.home1]


def journal_says(*detail: str) -> Callable[[Env], list[str]]:
    return lambda env: [str(journal(env)), "unreadable journal", *detail, "move .wso2patch away"]


def refused(rel: str, what: str) -> Callable[[Env], list[str]]:
    return lambda env: [str(state_dir(env) / rel), f".wso2patch/{rel} {what}"]


# --- the attacks ---------------------------------------------------------------------------------------------
def dotdot(env: Env) -> None:
    """A committed entry whose path climbs out of the home to the victim (its hash recorded, so no drift)."""
    entry("../outside/victim", after=sha(VICTIMS["victim"]), backup=None)(env)


def absolute(env: Env) -> None:
    entry(str(victim(env)), after="0" * 64, backup=None, pending=True)(env)


def unmanaged_link(env: Env) -> None:
    """An in-home name wso2patch never writes, which is a link to the victim."""
    (env.home1 / "repository/conf/sneaky.xml").symlink_to(victim(env))
    entry("repository/conf/sneaky.xml", after="0" * 64, backup=None, pending=True)(env)


def backup_outside(env: Env) -> None:
    """carbon.xml's backup is root's file outside: a rollback would copy it into the home, for its owner to read."""
    apply_ok(env)
    last_tx(env, lambda tx: carbon_of(tx).update(backup="../../outside/victim.xml", before=sha(VICTIMS["victim.xml"])))


def snapshot_outside(env: Env) -> list[str | Path]:
    """The after-snapshot is root's file: the drift diff of a refused rollback would print it."""
    apply_ok(env)
    last_tx(env, lambda tx: carbon_of(tx).update(snapshot=str(victim(env))))
    carbon = env.home1 / CARBON
    carbon.write_bytes(carbon.read_bytes() + b"<!-- edited by hand -->\n")
    return rollback1(env)


def id_dotdot(env: Env) -> list[str | Path]:
    """An id that climbs out: rollback --force keeps hand edits under backups/<id>/."""
    apply_ok(env)
    last_tx(env, lambda tx: tx.update(id="../../../outside/files/x"))
    carbon = env.home1 / CARBON
    carbon.write_bytes(carbon.read_bytes() + b"<!-- edited by hand -->\n")
    return rollback1(env, "--force")


def lock_is(make: Callable[[Path, Env], None]) -> Callable[[Env], list[str | Path]]:
    """A rollback with nothing to do, on a home whose .wso2patch/lock the owner replaced."""

    def setup(env: Env) -> list[str | Path]:
        state_dir(env).mkdir()
        make(state_dir(env) / "lock", env)
        return rollback1(env)

    return setup


def state_dir_link(command: Callable[[Env], list[str | Path]]) -> Callable[[Env], list[str | Path]]:
    def setup(env: Env) -> list[str | Path]:
        (env.tmp / "outside" / "state").mkdir()
        shutil.copy(victim(env, "journal.json"), env.tmp / "outside" / "state" / "journal.json")
        state_dir(env).symlink_to(env.tmp / "outside" / "state")
        return command(env)

    return setup


def part_link(part: str) -> Callable[[Env], list[str | Path]]:
    """.wso2patch/backups or .wso2patch/after is a link to a folder outside the home."""

    def setup(env: Env) -> list[str | Path]:
        state_dir(env).mkdir()
        (state_dir(env) / part).symlink_to(env.tmp / "outside" / "files")
        return apply1(env)

    return setup


def journal_is(make: Callable[[Path, Env], None],
               command: Callable[[Env], list[str | Path]]) -> Callable[[Env], list[str | Path]]:
    def setup(env: Env) -> list[str | Path]:
        state_dir(env).mkdir()
        make(journal(env), env)
        return command(env)

    return setup


def link_to_victim_journal(p: Path, env: Env) -> None:
    p.symlink_to(victim(env, "journal.json"))


def backup_link(env: Env) -> list[str | Path]:
    """carbon.xml's backup file is a link to root's XML (its hash recorded): a restore would copy it in."""
    apply_ok(env)
    tx_id = newest_id(env)
    backup = state_dir(env) / "backups" / tx_id / CARBON
    backup.unlink()
    backup.symlink_to(victim(env, "victim.xml"))
    last_tx(env, lambda tx: carbon_of(tx).update(before=sha(VICTIMS["victim.xml"])))
    return rollback1(env)


def backup_folder_link(env: Env) -> list[str | Path]:
    """backups/<id> is a link to a folder outside, holding an evil carbon.xml backup."""
    apply_ok(env)
    tx_id = newest_id(env)
    outside = env.tmp / "outside" / "files" / tx_id
    (outside / CARBON).parent.mkdir(parents=True)
    (outside / CARBON).write_bytes(b"evil bytes\n")
    shutil.rmtree(state_dir(env) / "backups" / tx_id)
    (state_dir(env) / "backups" / tx_id).symlink_to(outside)
    last_tx(env, lambda tx: carbon_of(tx).update(before=sha(b"evil bytes\n")))
    return rollback1(env)


def config_link_untrusted(env: Env) -> list[str | Path]:
    """registry.xml is a link to root's XML outside the home; the journal, which the home's owner writes, says
    wso2patch wrote that file and backed up evil bytes: a rollback would write them through the link."""
    apply_ok(env)
    (env.home1 / REGISTRY).unlink()
    (env.home1 / REGISTRY).symlink_to(victim(env, "victim.xml"))
    (state_dir(env) / "backups" / newest_id(env) / REGISTRY).write_bytes(b"evil bytes\n")

    def change(tx: dict[str, Any]) -> None:
        for f in tx["files"]:
            if f["path"] == REGISTRY:
                f.update(after=sha(VICTIMS["victim.xml"]), before=sha(b"evil bytes\n"))

    last_tx(env, change)
    return rollback1(env)


def driver_jar_link(env: Env) -> list[str | Path]:
    """The driver jar's name in lib/ is a link to root's file: apply would back it up and replace it."""
    (env.home1 / LIB).mkdir(parents=True)
    (env.home1 / LIB / JAR).symlink_to(victim(env, "victim.jar"))
    return apply1(env, "--jdbc-driver", fake_jar(env.tmp / JAR))


def driver_dir_outside(env: Env) -> list[str | Path]:
    """lib/ is a link to a folder outside; the journal says wso2patch created victim.jar there: a rollback would
    delete root's file."""
    (env.home1 / "repository/components").mkdir(parents=True)
    apply_ok(env)
    shutil.copy(victim(env, "victim.jar"), env.tmp / "outside" / "files" / "victim.jar")
    (env.home1 / LIB).symlink_to(env.tmp / "outside" / "files")
    last_tx(env, lambda tx: tx["files"].append({"path": f"{LIB}/victim.jar", "before": None,
                                                "after": sha(VICTIMS["victim.jar"]), "backup": "", "snapshot": ""}))
    return rollback1(env)


def shared_registry(env: Env) -> list[str | Path]:
    """registry.xml is a link to a file outside the home (as an operator may share one); applied by root while the
    home was root's, then the home was given to its product's user: its backups are no longer root's alone."""
    shared = env.tmp / "outside" / "shared-registry.xml"
    (env.home1 / REGISTRY).rename(shared)
    (env.home1 / REGISTRY).symlink_to(shared)
    apply_ok(env)
    return rollback1(env)


def looks_outside(env: Env) -> list[str]:
    return [str(env.home1), "leads out of the home", "not trusted", "nothing was restored"]


CASES: list[Case] = [
    # --- item 1: journal paths stay inside the home, name files wso2patch manages ---------------------------
    Case("journal-dotdot-path-rollback", then(dotdot, rollback1), CONFIG_ERR,
         journal_says("'../outside/victim'", "not a relative path inside the home")),
    Case("journal-dotdot-path-history", then(dotdot, history1), CONFIG_ERR, journal_says("'../outside/victim'")),
    Case("journal-dotdot-path-diff", then(dotdot, diff1), CONFIG_ERR, journal_says("'../outside/victim'")),
    Case("journal-dotdot-path-status", then(dotdot, status1), CONFIG_ERR, journal_says("'../outside/victim'")),
    Case("journal-dotdot-path-apply", then(dotdot, apply1),
         CONFIG_ERR, journal_says("'../outside/victim'")),
    Case("journal-absolute-path-recover", then(absolute, recover1), CONFIG_ERR,
         journal_says("/outside/victim'", "not a relative path inside the home")),
    Case("journal-unmanaged-path-recover", then(unmanaged_link, recover1), CONFIG_ERR,
         journal_says("'repository/conf/sneaky.xml'", "not a file wso2patch writes")),
    Case("journal-backup-outside-rollback", then(backup_outside, rollback1), CONFIG_ERR,
         journal_says("backup '../../outside/victim.xml'")),
    Case("journal-snapshot-outside-rollback", snapshot_outside, CONFIG_ERR, journal_says("snapshot"),
         never=("precious",)),
    Case("journal-id-dotdot-rollback-force", id_dotdot, CONFIG_ERR,
         journal_says("'../../../outside/files/x'", "not a wso2patch transaction id")),
    # --- item 2: never a link (or a FIFO, or a hard link) inside .wso2patch ----------------------------------
    Case("lock-symlink-rollback", lock_is(lambda p, e: p.symlink_to(victim(e))), CONFIG_ERR,
         refused("lock", "is a symbolic link")),
    Case("lock-hardlink-rollback", lock_is(lambda p, e: os.link(victim(e), p)), CONFIG_ERR,
         refused("lock", "has other hard links")),
    Case("lock-fifo-rollback", lock_is(lambda p, e: os.mkfifo(p)), CONFIG_ERR, refused("lock", "is not a plain file")),
    Case("journal-symlink-apply", journal_is(link_to_victim_journal, apply1), CONFIG_ERR,
         journal_says("journal.json is a symbolic link")),
    Case("journal-symlink-rollback", journal_is(link_to_victim_journal, rollback1), CONFIG_ERR,
         journal_says("journal.json is a symbolic link")),
    Case("journal-fifo-status", journal_is(lambda p, e: os.mkfifo(p), status1), CONFIG_ERR,
         journal_says("journal.json is not a regular file")),
    Case("state-dir-symlink-apply", state_dir_link(apply1),
         CONFIG_ERR, journal_says(".wso2patch is a symbolic link")),
    Case("state-dir-symlink-history", state_dir_link(history1), CONFIG_ERR,
         journal_says(".wso2patch is a symbolic link")),
    Case("state-dir-symlink-rollback", state_dir_link(rollback1), CONFIG_ERR,
         lambda e: [str(state_dir(e)), ".wso2patch is a symbolic link"]),
    Case("backups-symlink-apply", part_link("backups"), CONFIG_ERR, refused("backups", "is a symbolic link")),
    Case("after-symlink-apply", part_link("after"), CONFIG_ERR, refused("after", "is a symbolic link")),
    Case("backup-file-symlink-rollback", backup_link, CONFIG_ERR, lambda e: ["is a symbolic link", CARBON]),
    Case("backup-folder-symlink-rollback", backup_folder_link, CONFIG_ERR, lambda e: ["is a symbolic link"]),
    # --- links in the home that lead out of it ----------------------------------------------------------------
    Case("config-link-outside-untrusted-rollback", config_link_untrusted, CONFIG_ERR, looks_outside),
    Case("driver-dir-outside-untrusted-rollback", driver_dir_outside, CONFIG_ERR, looks_outside),
    Case("config-link-outside-rollback-on-foreign-home", shared_registry, CONFIG_ERR, looks_outside),
    Case("driver-jar-symlink-apply", driver_jar_link, CONFIG_ERR,
         lambda e: [str(e.home1 / LIB / JAR), "a symbolic link is where the driver jar goes"]),
]


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason="fixtures/mb-home is not there yet")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_state(case: Case, tmp_path: Path, cluster: Cluster) -> None:
    run_hostile(case, make_env(tmp_path, cluster, MB_HOME))


def test_catalogue() -> None:
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


# --- links out of the home: said by diff and apply, restored only from trusted backups ----------------------
def test_diff_and_apply_say_when_a_config_link_leads_out_of_the_home(cluster: Cluster, cli: Cli,
                                                                      tmp_path: Path) -> None:
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    shared = tmp_path / "shared-registry.xml"
    (h2 / REGISTRY).rename(shared)
    (h2 / REGISTRY).symlink_to(shared)
    (h2 / CARBON).rename(h2 / "repository/conf/carbon-real.xml")  # a link that stays in the home: nothing to say
    (h2 / CARBON).symlink_to("carbon-real.xml")
    line = f"node 2 ({h2}): {REGISTRY} leads out of the home, to {shared}: apply writes it there, through the link"
    diff = cli("diff", "--spec", spec, "--node", "2", "--json")
    assert diff.exit_code == 1 and json.loads(diff.stdout)["warnings"] == [line]
    applied = cli("apply", "--spec", spec, "--node", "2", "--yes")
    assert applied.exit_code == 0 and applied.stderr == f"warning: {line}\n"
    assert b"sharedregistry" in shared.read_bytes() and (h2 / REGISTRY).is_symlink()
    again = cli("apply", "--spec", spec, "--node", "2", "--yes")  # nothing written: nothing to say
    assert again.exit_code == 0 and "already applied" in again.stdout and again.stderr == ""


def test_rollback_restores_through_a_link_out_of_the_home_from_backups_only_we_can_write(
        cluster: Cluster, cli: Cli, tmp_path: Path) -> None:
    """The twin of config-link-outside-rollback-on-foreign-home: the home is the running user's own."""
    spec, _, h2 = cluster(FIXTURES / "mb-home")
    shared = tmp_path / "shared-registry.xml"
    (h2 / REGISTRY).rename(shared)
    (h2 / REGISTRY).symlink_to(shared)
    stock = shared.read_bytes()
    assert cli("apply", "--spec", spec, "--node", "2", "--yes").exit_code == 0
    assert shared.read_bytes() != stock
    back = cli("rollback", "--home", h2, "--yes")
    assert back.exit_code == 0, back.output
    assert shared.read_bytes() == stock and (h2 / REGISTRY).is_symlink()
