"""A home belongs to one node per profile: the node of its last committed apply of that profile (the journal records
both; an EI home may run its integrator and its broker profile as two nodes of two specs).

Patching node 1's home as node 2 would leave node 1's REGISTRY_LOCAL1 beside node 2's REGISTRY_LOCAL2, two active
datasources on one JNDI name. `apply` and `diff` refuse that unless asked to `--reassign`, whose plan first runs
patches/reassign/*.toml (data the engine runs like any patch) with the previous owner's id filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wso2patch.entries import Transaction
from wso2patch.errors import OwnerError, PatchError
from wso2patch.patchset import Patch
from wso2patch.patchset_load import _parse_bytes, default_dir
from wso2patch.workflow_files import journal_of

PREVIOUS_ID = "{owner.previous_id}"


def owner_of(txs: Sequence[Transaction], profile: str | None = None) -> int | None:
    """The node of the last committed apply of `profile` (None: the main profile, as the journal names it); None when
    nothing is applied (every apply rolled back, or recovered as undone) or the journal does not say which node."""
    committed = [t for t in txs if t.state == "committed" and t.profile == profile]
    return committed[-1].node if committed else None


def guard(home: Path, node: int, reassign: bool, profile: str | None = None) -> int | None:
    """Refuse to patch `home` (its `profile`) as `node` when it belongs to another node, unless `reassign`. Returns
    the previous owner to retire (only when reassigning from another node), else None. Reads the journal only."""
    owner = owner_of(journal_of(home).load(), profile)
    if owner is None or owner == node:
        return None
    if reassign:
        return owner
    raise OwnerError(f"this home was patched as node {owner}, not node {node}; nothing was written", where=home,
                     hint=f"give --node {owner} if this is node {owner}'s home, or rerun with --reassign to make "
                          f"it node {node}'s (it also retires node {owner}'s REGISTRY_LOCAL{owner})")


def retire_patches(previous: int) -> list[Patch]:
    """The steps that undo what node `previous` alone added to a home, as patches with its id filled in."""
    directory = default_dir() / "reassign"
    out = []
    for path in sorted(directory.glob("*.toml")):
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise PatchError(f"cannot read the patch file: {e.strerror or e}", where=path) from None
        out.append(_parse_bytes(path, raw.replace(PREVIOUS_ID.encode(), str(int(previous)).encode()), True))
    if not out:
        raise PatchError("no reassign patch files (*.toml) found", where=directory,
                         hint="reinstall wso2patch; the patch set ships inside the package")
    return out


def admit(home: Path, node: int, reassign: bool, patches: list[Patch], profile: str | None = None) -> list[Patch]:
    """The guard, then the patches to plan `home` as `node` with: `patches` (the spec's patch set), preceded by
    the retirement of the previous owner's additions when reassigning (first, so the new node's datasource lands
    where a fresh apply puts it)."""
    previous = guard(home, node, reassign, profile)
    return patches if previous is None else retire_patches(previous) + patches
