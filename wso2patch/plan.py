"""Compute every file's new bytes in memory, then prove a second run would change nothing.

Nothing here writes: a Plan is what `diff` shows and what `txn.commit` writes, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wso2patch.driver import FileCopy
from wso2patch.errors import ConfigError, HomeError, InternalError, PatchError
from wso2patch.journal import outside_home
from wso2patch.ops import apply_op
from wso2patch.patchset import Patch, Step
from wso2patch.xmlio import Doc

CARBON_XML = "repository/conf/carbon.xml"
DEPLOYMENT_TOML = "repository/conf/deployment.toml"
Result = Literal["applied", "already", "skipped"]


@dataclass(frozen=True)
class OpResult:
    patch: str
    kind: str
    target: str
    result: Result
    note: str = ""


@dataclass
class FilePlan:
    rel: str
    path: Path
    old: bytes
    new: bytes
    encoding: str
    results: list[OpResult] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class Plan:
    home: Path
    node: int
    files: list[FilePlan]
    skipped: list[OpResult]  # operations of patches whose required files this home lacks
    copies: list[FileCopy] = field(default_factory=list)  # files copied in whole (the JDBC driver)

    @property
    def changed(self) -> list[FilePlan]:
        return [f for f in self.files if f.changed]

    @property
    def copied(self) -> list[FileCopy]:
        return [c for c in self.copies if c.changed]

    @property
    def pending(self) -> bool:
        return bool(self.changed or self.copied)

    @property
    def warnings(self) -> list[str]:
        """One line per file to write through a symbolic link that leads out of the home (edited through the link,
        as documented; the operator should know that it lands elsewhere)."""
        rels = [f.rel for f in self.changed] + [c.rel for c in self.copied]
        return [f"{rel} leads out of the home, to {real}: apply writes it there, through the link"
                for rel in rels if (real := outside_home(self.home, rel)) is not None]


def check_home(home: Path) -> None:
    """Every precondition on the home, checked before anything is read or written."""
    try:
        if home.is_symlink() and not home.exists():
            raise HomeError("the product home is a broken or looping symbolic link", where=home,
                            hint="point --home at the real product folder")
        if not home.exists():
            raise HomeError("the product home does not exist", where=home,
                            hint="check --home, or the node's home in the spec")
        if not home.is_dir():
            raise HomeError("the product home is not a directory", where=home,
                            hint="point --home at the unpacked product folder (the one holding repository/)")
        if (home / DEPLOYMENT_TOML).exists():
            raise HomeError("this is a Carbon 4.5+ home (repository/conf/deployment.toml is present): it rebuilds "
                            "its XML config from deployment.toml at every start-up, so patched XML would be "
                            "silently overwritten", where=home,
                            hint="configure clustering in deployment.toml; wso2patch supports Carbon 4.4.x "
                                 "products such as MB 2.5-3.2")
        if not (home / CARBON_XML).is_file():
            raise HomeError(f"not a Carbon 4.4.x product home: {CARBON_XML} is missing", where=home,
                            hint="point --home at the unpacked product folder (the one holding bin/ and "
                                 "repository/)")
    except OSError as e:
        raise HomeError(f"cannot inspect the product home: {e.strerror}", where=home,
                        hint="check the path and its permissions") from None


MAX_CONFIG_BYTES = 16 * 1024 * 1024  # stock Carbon config files are under 64 KiB


def read_config(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file is {size // (1024 * 1024)} MiB, far beyond any Carbon config file",
                              where=path, hint="restore it from the product distribution")
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("config file is missing", where=path,
                          hint="restore it from the product distribution") from None
    except OSError as e:
        raise ConfigError(f"cannot read the config file: {e.strerror}", where=path,
                          hint="check its permissions") from None


def _run(doc: Doc, steps: Sequence[Step]) -> tuple[Doc, list[OpResult]]:
    results = []
    for step in steps:
        if step.op is None:
            results.append(OpResult(step.patch, step.kind, step.target, "skipped", step.skipped or ""))
            continue
        try:
            doc, outcome = apply_op(doc, step.op)
        except PatchError as e:
            raise PatchError(f"patch {step.patch}: {e.message}", where=e.where, hint=e.hint) from None
        results.append(OpResult(step.patch, step.kind, step.target, outcome))
    return doc, results


def replan_doc(doc: Doc) -> Doc:
    """The result parsed afresh from its bytes, for the second run. Spans moved by edits rather than scanned are
    checked against a scan here; scanned ones are the scan of these very bytes, kept."""
    again = Doc(doc.raw, where=doc.where, encoding=doc.encoding, spans=doc.spans if doc.scanned else None)
    if again.spans != doc.spans:
        raise InternalError("moved node positions differ from a scan of the result", where=doc.where,
                            hint="nothing was written; please report this with the file")
    return again


def plan_file(path: Path, rel: str, steps: Sequence[Step]) -> FilePlan:
    raw = read_config(path)
    doc, results = _run(Doc(raw, where=str(path)), steps)
    if all(r.result != "applied" for r in results):  # the run just made was a run on the result: it is stable
        return FilePlan(rel=rel, path=path, old=raw, new=raw, encoding=doc.encoding, results=results)
    again, second = _run(replan_doc(doc), steps)
    unstable = [r for r in second if r.result == "applied"]
    if unstable or again.raw != doc.raw:
        names = ", ".join(sorted({r.patch for r in unstable})) or "?"
        raise InternalError(f"unstable plan: a second run of patch {names} would change the file again",
                            where=path, hint="nothing was written; please report this with the file")
    return FilePlan(rel=rel, path=path, old=raw, new=doc.raw, encoding=doc.encoding, results=results)


def build_plan(home: Path, node: int, patches: Sequence[Patch], values: Mapping[str, str],
               peers: Sequence[Mapping[str, str]]) -> Plan:
    check_home(home)
    by_file: dict[str, list[Step]] = {}
    skipped: list[OpResult] = []
    for patch in patches:
        steps = patch.render(values, peers)
        # a dangling or looping symlink still means the file is meant to be there: read it and fail loudly
        missing = [r for r in patch.requires if not (home / r).exists() and not (home / r).is_symlink()]
        if missing:
            note = f"not applicable: {missing[0]} is absent"
            skipped += [OpResult(s.patch, s.kind, s.target, "skipped", note) for s in steps]
            continue
        by_file.setdefault(patch.file, []).extend(steps)
    files = [plan_file(home / rel, rel, steps) for rel, steps in by_file.items()]
    return Plan(home=home, node=node, files=files, skipped=skipped)
