"""The files wso2patch manages in a home (the patch set's, a driver jar), and the home's journal, whose entries may
name only those."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from wso2patch.driver import is_driver_path
from wso2patch.journal import Journal, Managed
from wso2patch.patchset import BUILT_IN
from wso2patch.patchset_load import load_patches
from wso2patch.spec import Spec, find_spec, load_spec
from wso2patch.workflow import spec_patches


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
