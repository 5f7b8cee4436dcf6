"""spec -> node values -> patch set -> plan -> commit: the one-way flow every command uses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from wso2patch import interrupt
from wso2patch.detect import detect_supported
from wso2patch.diff import unified
from wso2patch.driver import driver_copy, is_driver_path
from wso2patch.errors import (
    ConfigError,
    HomeError,
    PartialWriteError,
    SignalError,
    SpecError,
    UnfinishedError,
    WriteError,
    Wso2PatchError,
)
from wso2patch.journal import STATE_DIR, Journal, Managed, locked, read, sha256
from wso2patch.patchset import BUILT_IN, Patch
from wso2patch.patchset_load import load_patches
from wso2patch.patchset_products import applicable, is_for
from wso2patch.plan import OpResult, Plan, check_home, not_regular
from wso2patch.products import Product
from wso2patch.spec import Spec, find_spec, load_spec
from wso2patch.statedir import owner_only
from wso2patch.vault.planning import plan_with_vault

if TYPE_CHECKING:
    from wso2patch import txn


def home_for(spec: Spec, node_id: int, home: Path | None) -> Path:
    node = spec.node(node_id)
    if home is not None:
        return home
    if node.home is None:
        raise SpecError(f"node {node_id} has no home", where=spec.path,
                        hint="pass --home DIR, or set home = \"...\" in its [[node]]")
    return node.home


def first_home(spec: Spec, home: Path | None) -> Path:
    """--home, else the first node's home present on this machine (db commands read its dbscripts/)."""
    return home if home is not None else diff_targets(spec, None, None)[0][1]


def diff_targets(spec: Spec, node_id: int | None, home: Path | None) -> list[tuple[int, Path]]:
    """One node, or every node of the spec whose home exists on this machine."""
    if node_id is not None:
        return [(node_id, home_for(spec, node_id, home))]
    found = [(n.id, n.home) for n in spec.nodes if n.home is not None and n.home.is_dir()]
    if not found:
        raise HomeError("no node of the spec has its home on this machine", where=spec.path,
                        hint="pass --node ID --home DIR, or set home = \"...\" in the [[node]] tables")
    return found


def spec_patches(spec: Spec | None) -> list[Patch]:
    """The patch set a spec asks for: the built-in patches less [patches] disable, plus [patches] extra."""
    if spec is None:
        return load_patches()
    site = spec.site
    return load_patches(extra=site.extra, disable=site.disable, base=site.base,
                        where=(site.where_extra, site.where_disable))


def patch_listing(spec: Spec | None, product: Product | None = None) -> list[tuple[Patch, str]]:
    """Every patch with where it comes from: 'built-in', the site file's path; disabled built-ins last. With a
    product, only the patches for it (its product, version and profile)."""
    active = spec_patches(spec)
    off = {n.casefold() for n in spec.site.disable} if spec is not None else set()
    disabled = [(p, "built-in, disabled by [patches]") for p in load_patches() if p.name.casefold() in off]
    if product is not None:
        active, disabled = applicable(active, product), [(p, o) for p, o in disabled if is_for(p, product)]
    return [(p, p.origin) for p in active] + disabled


def node_product(spec: Spec, node_id: int, home: Path) -> Product:
    """What the node's home holds for the node's profile; unsupported products and profiles are refused."""
    return detect_supported(home, spec.node(node_id).profile)


def node_values(spec: Spec, node_id: int, product: Product) -> dict[str, str]:
    """The spec's values for the node, plus its product's (variables.PRODUCT) and the product's registry path when
    the spec sets none."""
    values = spec.values(node_id)
    values.update({"product.key": product.key, "product.profile": product.profile, "product.version": product.version})
    if spec.registry.config_default:
        values["registry.config_path"] = product.registry_path
    return values


def spec_targets(spec: Spec) -> tuple[list[tuple[int, Path]], list[tuple[int, Path | None]]]:
    """Every node of the spec, split: those whose home is on this machine (anything at that path: check_home judges
    it), and those whose home is not, or that have none (listed by diff and apply, never dropped silently)."""
    here = [(n.id, n.home) for n in spec.nodes if n.home is not None and os.path.lexists(n.home)]
    away = [(n.id, n.home) for n in spec.nodes if n.home is None or not os.path.lexists(n.home)]
    if not here:
        raise HomeError("no node of the spec has its home on this machine", where=spec.path,
                        hint="pass --node ID --home DIR, or set home = \"...\" in the [[node]] tables")
    return here, away


def plan_node(spec: Spec, node_id: int, home: Path, patches: list[Patch] | None = None,
              jdbc_driver: Path | None = None, product: Product | None = None) -> Plan:
    """`product`: the home's, when the caller has detected it already (node_product)."""
    spec.node(node_id)  # an unknown node is reported before the home is looked at
    product = product or node_product(spec, node_id, home)
    plan = plan_with_vault(home, node_id, product, patches or spec_patches(spec), node_values(spec, node_id, product),
                           spec.peer_values(node_id), spec.rows(), journal_of(home).load(), managed_by(spec))
    if jdbc_driver is not None:
        plan.copies.append(driver_copy(home, jdbc_driver, product.lib))
    return plan


@cache
def _patched_files() -> frozenset[str]:
    """Every built-in patch's file under every supported config root it is for (from the product table, not from
    detection: a journal is read before, or without, looking at the home's product)."""
    return frozenset(rel for p in load_patches() for rel in p.home_files)


class _SiteFiles:
    """The files a spec's site patches edit, loaded only when a journal entry names a file outside the built-in
    set (so a command whose journal holds none never reads the site's patch files)."""

    def __init__(self, spec: Spec | None) -> None:
        self.spec, self.files = spec, None if spec is not None else frozenset[str]()

    def __contains__(self, rel: str) -> bool:
        if self.files is None:
            assert self.spec is not None
            self.files = frozenset(rel for p in spec_patches(self.spec) if p.origin != BUILT_IN
                                   for rel in p.home_files)
        return rel in self.files


_COMMAND: list[_SiteFiles] = []  # the site files of the spec this command works from (use_spec)


def use_spec(spec: Spec | None) -> Spec | None:
    """Make `spec` the one this command works from: the files its site patches edit are managed files too.
    None: no spec given, the one found the usual way counts (looked up only if a journal entry needs it)."""
    _COMMAND[:] = [_SiteFiles(spec)] if spec is not None else []
    return spec


def managed_by(spec: Spec | None) -> Managed:
    """The files wso2patch ever writes in a home: those the patch set edits (the built-in patches, and the site
    patches of `spec`), and a driver jar it copies in. Journal entries naming any other file are refused."""
    site = _SiteFiles(spec)
    return lambda rel: rel in _patched_files() or is_driver_path(rel) or rel in site


def managed(rel: str) -> bool:
    """managed_by the command's spec (use_spec); without one, the spec found the usual way, if there is one
    (rollback --home needs no spec, but the journal may name files a site patch wrote)."""
    if rel in _patched_files() or is_driver_path(rel):
        return True
    if not _COMMAND:
        path = find_spec(None)
        _COMMAND.append(_SiteFiles(load_spec(path) if path.is_file() else None))
    return rel in _COMMAND[0]


def journal_of(home: Path) -> Journal:
    """The home's journal, whose entries may only name the files wso2patch manages."""
    return Journal(home, managed)


@contextmanager
def locked_home(home: Path) -> Iterator[None]:
    """The home's lock, nothing more: the lock file is all it writes (and on a full disk, not even that)."""
    check_home(home)
    with ExitStack() as stack:
        interrupt.check()
        try:
            stack.enter_context(locked(home))
        except OSError as e:
            raise WriteError(f"cannot take the lock: {e.strerror or e}", where=home / STATE_DIR / "lock",
                             hint="nothing was changed; free space or make the home writable, then rerun") from None
        interrupt.check()
        yield


@contextmanager
def writing(home: Path) -> Iterator[list[txn.Transaction]]:
    """Hold the home's lock and finish whatever a killed process left, before writing anything."""
    with locked_home(home):
        yield recover_now(home)


def recover_now(home: Path) -> list[txn.Transaction]:
    """Recovery, under the lock the caller holds; it says what it did (for a signal's last line too)."""
    with critical(home, "recovery") as said:
        from wso2patch import txn  # the writing commands' module: a diff never loads it

        done = txn.recover(home, managed=managed)
        said += [f"{home}: {what_recovery_did(t)}" for t in done]
    return done


def what_recovery_did(tx: txn.Transaction) -> str:
    kind = "rollback" if tx.state == "rolled_back" else "apply"
    return f"interrupted {kind} {tx.id} " + {
        "committed": "finished: its files were all written", "recovered": "undone: every file as before it",
        "rolled_back": "completed: every file as before the apply it undid"}.get(tx.state, tx.state)


def forecast(home: Path) -> list[tuple[txn.Transaction, str]]:
    """What recovery would make of each unfinished transaction, worked out without writing (as txn.recover
    decides): "committed" (an apply whose files were all written; no file changes), "recovered" (any other
    apply: undone from the backups) or "rolled_back" (an interrupted rollback: completed)."""
    out = []
    for tx in journal_of(home).unfinished():
        require_regular(home, [f.path for f in tx.files])
        if tx.state == "pending" and all((b := read(home / f.path)) is not None and sha256(b) == f.after
                                         for f in tx.files):
            out.append((tx, "committed"))
        else:
            out.append((tx, "recovered" if tx.state == "pending" else "rolled_back"))
    return out


def unfinished_error(home: Path, todo: list[tuple[txn.Transaction, str]], doing: str) -> UnfinishedError:
    """A command that is not going ahead refuses a half-written home instead of recovering it."""
    verb = {"committed": "mark it complete (its files were all written)",
            "recovered": "undo it (every file back as before it)", "rolled_back": "complete it"}
    tx, outcome = todo[-1]
    kind = "rollback" if tx.state == "rolling_back" else "apply"
    return UnfinishedError(f"an interrupted {kind} ({tx.id}) left this home half-written; recovery would "
                           f"{verb[outcome]}; this {doing} wrote nothing", where=home,
                           hint=f"run 'wso2patch recover --home {home}' first, then rerun if still needed")


def require_regular(home: Path, rels: list[str]) -> None:
    """Files a rollback or a recovery reads must be regular files (or absent): a FIFO would block it forever."""
    for rel in rels:
        if (kind := not_regular(home / rel)) is not None:
            raise ConfigError(f"it is {kind}, not a regular file", where=home / rel,
                              hint="nothing was written; put the file back (or remove it) and rerun")


@contextmanager
def critical(home: Path, what: str) -> Iterator[list[str]]:
    """A transaction's writes, under the lock the caller holds. SIGINT, SIGTERM and SIGHUP stop an apply at its next
    safe point, and let a rollback or a recovery run to its end; then recovery makes the home wholly before or after,
    and SignalError ends the command with 128 + the signal number and one line saying where the home stands. The
    body adds to the yielded list what it completed. A write that failed unexpectedly (a journal save on a full
    disk) ends in exit 9 when the journal shows nothing unfinished (every file as it was), else 14
    (PartialWriteError: run recover)."""
    said: list[str] = []
    interrupt.check()
    with interrupt.deferred(to_the_end=what != "apply"):  # a rollback or a recovery only moves back: it completes
        try:
            yield said
            interrupt.completed().extend(said)
            interrupt.check(end=True)  # a signal since the last safe point: the work is complete
        except interrupt.Interrupt as sig:
            raise _stopped(home, what, sig) from None
        except OSError as e:
            raise _failed(home, WriteError(f"cannot write: {e.strerror or e}", where=e.filename or home,
                                           hint="every file was left as it was; fix the cause (space, "
                                                "permissions) and rerun")) from None
        except WriteError as e:
            raise _failed(home, e) from None


def _failed(home: Path, e: WriteError) -> Wso2PatchError:
    try:
        unfinished = bool(journal_of(home).unfinished())
    except Wso2PatchError:
        unfinished = True
    if not unfinished:
        return e
    return PartialWriteError(f"{e.message}; the journal still lists the transaction as under way", where=e.where,
                             hint=f"nothing is lost; fix the cause (space, permissions), then run 'wso2patch "
                                  f"recover --home {home}'")


def _stopped(home: Path, what: str, sig: interrupt.Interrupt) -> Wso2PatchError:
    """After a signal inside a critical section: recover under the same lock, and say where the home stands."""
    from wso2patch import txn

    try:
        done = txn.recover(home, managed=managed)
    except (OSError, Wso2PatchError) as e:
        return PartialWriteError(f"{interrupt.line(sig, [f'{home}: recovering the {what} failed: {e}'])}", where=home,
                                 hint=f"nothing is lost; fix the cause, then run 'wso2patch recover --home {home}'")
    now = [f"{home}: {what_recovery_did(t)}" for t in done]  # completed work is in interrupt.completed() already
    return SignalError(interrupt.line(sig, [*interrupt.completed(), *now]), signum=sig.signum)


def require_finished(home: Path) -> None:
    """Read-only commands refuse a half-written home rather than describe it wrongly."""
    if journal_of(home).unfinished():
        raise UnfinishedError("an interrupted apply or rollback left this home half-written", where=home,
                              hint=f"run 'wso2patch recover --home {home}' first (or an apply with --yes)")


def patch_status(plan: Plan, history: list[txn.Transaction]) -> dict[str, str]:
    """Per patch: applied; pending (never applied); outdated (applied, its file is as wso2patch wrote it, but the
    spec's values changed since); drifted (applied, then its file changed by hand); or not applicable."""
    committed = [t for t in history if t.state == "committed"]
    live = {p for t in committed for p in t.patches}
    wrote = {f.path: f.after for t in committed for f in t.files}  # the newest write of each file wins
    untouched = {f.rel for f in plan.files if f.existed and wrote.get(f.rel) == sha256(f.old)}
    status: dict[str, str] = {}
    pairs: list[tuple[str | None, OpResult]] = [(fp.rel, r) for fp in plan.files for r in fp.results]
    for rel, r in pairs + [(None, r) for r in plan.skipped]:
        if r.result == "skipped" and r.note.startswith("not applicable"):
            status[r.patch] = "not applicable"
        elif r.result == "applied" and r.patch not in live:
            status[r.patch] = "pending"
        elif r.result == "applied":
            later = status.get(r.patch)  # a patch over several files: a hand edit anywhere makes it drifted
            status[r.patch] = "outdated" if rel in untouched and later != "drifted" else "drifted"
        else:
            status.setdefault(r.patch, "applied")
    return status


def commit_plan(plan: Plan, spec: Spec) -> txn.Transaction | None:
    """Write the plan's changed files as one transaction; None when nothing changes."""
    if not plan.pending:
        return None
    from wso2patch import txn

    changes = [txn.Change(f.rel, f.old if f.existed else None, f.new) for f in plan.changed]
    changes += [txn.Change(c.rel, c.old, c.new) for c in plan.copied]
    applied = sorted({r.patch for f in plan.changed for r in f.results if r.result == "applied"})
    if plan.vault_key is not None:  # the key the cipher texts were recognised with from now on
        from wso2patch.vault.inputs import store_key

        store_key(plan.home, plan.vault_key)
    tx = txn.commit(plan.home, changes, managed=managed_by(spec), node=plan.node, spec=spec.path.resolve(),
                    spec_sha=spec.sha256, patches=applied, profile=journal_profile(plan.product), vault=plan.vault)
    owner_only(plan.home)  # once the commit went through: a refused apply changes nothing, not even a mode
    return tx


def journal_profile(product: Product) -> str | None:
    """How the journal names the profile a transaction patched: None for the main profile (as journals before
    profiles existed say nothing), else its name."""
    return None if product.profile == product.profiles[0] else product.profile


def drift_diffs(home: Path, txs: list[txn.Transaction]) -> list[str]:
    """For each file changed by hand since wso2patch wrote it: a diff from what it wrote to what is there now."""
    from wso2patch import txn

    journal = journal_of(home)
    out = []
    for f in txn.drifted(home, txs):
        wrote = journal.state.read(f.snapshot) if f.snapshot else None
        now = read(home / f.path)
        text = unified(f.path, (wrote or b"").decode("utf-8", "replace"), (now or b"").decode("utf-8", "replace"))
        out.append(text or f"--- a/{f.path}\n+++ b/{f.path}\n(removed or unreadable)\n")
    return out
