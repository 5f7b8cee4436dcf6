"""Compute every file's new bytes in memory, then prove a second run would change nothing.

Nothing here writes: a Plan is what `diff` shows and what `txn.commit` writes, byte for byte. XML files
go through ops.py; Java .properties files through wso2patch.properties, read as ISO-8859-1 (as Java
reads them) and created when missing.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wso2patch.driver import FileCopy
from wso2patch.errors import ConfigError, HomeError, InternalError, PatchError
from wso2patch.journal import outside_home
from wso2patch.ops import Op, Outcome, apply_op
from wso2patch.patchset import BUILT_IN, Patch, Rows, Step
from wso2patch.patchset_products import is_for
from wso2patch.products import Product
from wso2patch.properties import PropOp, apply_prop_op
from wso2patch.spans import scan
from wso2patch.xmlio import Doc

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
    old: bytes  # b"" when the file is absent (a .properties file, created when an op sets a key)
    new: bytes  # b"" for an absent file that stays absent
    encoding: str
    results: list[OpResult] = field(default_factory=list)
    existed: bool = True  # False: the file is absent now (rollback removes it again)

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class Plan:
    home: Path
    node: int
    product: Product
    files: list[FilePlan]
    skipped: list[OpResult]  # operations of patches whose required files this home lacks
    copies: list[FileCopy] = field(default_factory=list)  # files copied in whole (the JDBC driver)
    vault: dict[str, str] | None = None  # the vault's tags to record with this plan's transaction (vault.inputs)
    vault_key: bytes | None = None  # a vault key made for this plan, stored by the apply that writes it
    notes: list[str] = field(default_factory=list)  # what the operator should know (stock secrets left in clear)

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
    def planned(self) -> dict[str, bytes]:
        """Every planned file's bytes as apply would leave them (check --planned); absent files stay out."""
        return {f.rel: f.new for f in self.files if f.existed or f.changed}

    @property
    def warnings(self) -> list[str]:
        """One line per file to write through a symbolic link that leads out of the home (edited through the link,
        as documented; the operator should know that it lands elsewhere)."""
        rels = [f.rel for f in self.changed] + [c.rel for c in self.copied]
        return [f"{rel} leads out of the home, to {real}: apply writes it there, through the link"
                for rel in rels if (real := outside_home(self.home, rel)) is not None] + self.notes


def check_home_dir(home: Path) -> None:
    """The home is a folder that is there (not a file, not a dangling or looping link)."""
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
    except OSError as e:
        raise HomeError(f"cannot inspect the product home: {e.strerror}", where=home,
                        hint="check the path and its permissions") from None


def check_home(home: Path) -> None:
    """Every precondition on the home, checked before anything is read or written: a folder holding a WSO2 product
    wso2patch can read (detection; whether it is supported is for the plan to say, per profile)."""
    from wso2patch.detect import detect  # detect reads configs with this module's reader

    detect(home)


MAX_CONFIG_BYTES = 16 * 1024 * 1024  # stock Carbon config files are under 64 KiB
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFDIR: "a directory"}


def not_regular(path: Path) -> str | None:
    """What a config path is when it is not a regular file (following links, as config links are followed);
    None for a regular file or nothing at all. Reading a FIFO blocks forever, /dev/zero never ends."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    return None if stat.S_ISREG(mode) else _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_config(path: Path) -> bytes:
    try:
        if (kind := not_regular(path)) is not None:
            raise ConfigError(f"cannot read the config file: it is {kind}, not a regular file", where=path,
                              hint="put the product's file back (a symbolic link to a regular file is fine)")
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


_PARSED: list[Doc] = []  # the document parse_config read last


def parse_config(path: Path) -> Doc:
    """A config file read and parsed (detection reads carbon.xml so). The Doc is kept: when the plan then reads the
    same bytes from that path, it starts from this Doc rather than parse them again (a Doc is built from its
    bytes alone, and nothing changes one)."""
    doc = Doc(read_config(path), where=str(path))
    _PARSED[:] = [doc]
    return doc


def _parsed(raw: bytes, where: str) -> Doc:
    """The Doc of these bytes read from `where`: parse_config's last one when it read the same, else parsed."""
    kept = _PARSED[0] if _PARSED else None
    return kept if kept is not None and kept.where == where and kept.raw == raw else Doc(raw, where=where)


def _run(doc: Doc, steps: Sequence[Step]) -> tuple[Doc, list[OpResult]]:
    results = []
    for step in steps:
        if step.op is None:
            results.append(OpResult(step.patch, step.kind, step.target, "skipped", step.skipped or ""))
            continue
        assert isinstance(step.op, Op)  # patchcheck allows only XML operations on an XML file
        try:
            doc, outcome = apply_op(doc, step.op)
        except PatchError as e:
            raise PatchError(f"patch {step.patch}: {e.message}", where=e.where, hint=e.hint) from None
        results.append(OpResult(step.patch, step.kind, step.target, outcome))
    return doc, results


def _run_props(text: str | None, steps: Sequence[Step], where: str) -> tuple[str | None, list[OpResult]]:
    results = []
    for step in steps:
        if step.op is None:
            results.append(OpResult(step.patch, step.kind, step.target, "skipped", step.skipped or ""))
            continue
        assert not isinstance(step.op, Op)  # patchcheck allows only property operations on a .properties file
        outcome: Outcome
        text, outcome = apply_prop_op(text, step.op, where=where)
        results.append(OpResult(step.patch, step.kind, step.target, outcome))
    return text, results


def _last_wins(steps: Sequence[Step]) -> list[Step]:
    """Several operations on one key of a .properties file (a site patch overriding a built-in value, a spec
    key overriding a recommended one): the last one, in patch order, wins; the others are reported skipped."""
    last: dict[str, Step] = {}
    for step in steps:
        if step.op is not None:
            last[_prop(step.op).key] = step
    return [s if s.op is None or last[_prop(s.op).key] is s else
            Step(s.patch, s.kind, s.target, None, f"overridden by patch {last[_prop(s.op).key].patch}")
            for s in steps]


def _prop(op: Op | PropOp) -> PropOp:
    assert not isinstance(op, Op)
    return op


def _unstable(path: Path, second: Sequence[OpResult], site: Set[str]) -> PatchError | InternalError:
    """A site patch on the file is the likely cause (two patches setting one thing to different values);
    with built-in patches only, the engine is at fault."""
    again = {r.patch for r in second if r.result == "applied"}
    mine = site & {r.patch for r in second}
    if mine:
        return PatchError(f"patches {', '.join(sorted(again | mine))} undo each other's edits: a second run would "
                          "change the file again", where=path,
                          hint="nothing was written; make them agree, or switch the built-in one off with "
                               "[patches] disable")
    return InternalError(f"unstable plan: a second run of patch {', '.join(sorted(again)) or '?'} would change the "
                         "file again", where=path, hint="nothing was written; please report this with the file")


def replan_doc(doc: Doc) -> Doc:
    """The document the second run starts from: `doc` itself, which lxml parsed from these very bytes (a Doc is
    built from bytes, Doc.apply parses the bytes it splices, and operations only read a Doc), so parsing them
    again would build the same tree. Spans moved by edits rather than scanned are checked against a scan here;
    scanned ones are the scan of these very bytes."""
    try:
        moved_wrong = not doc.scanned and scan(doc.text) != doc.spans
    except ValueError as e:  # as Doc reports it
        raise InternalError(f"scanner failed on well-formed XML: {e}", where=doc.where,
                            hint="please report this file") from None
    if moved_wrong:
        raise InternalError("moved node positions differ from a scan of the result", where=doc.where,
                            hint="nothing was written; please report this with the file")
    return doc


def plan_file(path: Path, rel: str, steps: Sequence[Step], site: Set[str] = frozenset()) -> FilePlan:
    """`site`: the names of the site's own patches, blamed (not the engine) when the plan is unstable."""
    if rel.endswith(".properties"):
        return plan_properties(path, rel, steps, site)
    raw = read_config(path)
    doc, results = _run(_parsed(raw, str(path)), steps)
    if all(r.result != "applied" for r in results):  # the run just made was a run on the result: it is stable
        return FilePlan(rel=rel, path=path, old=raw, new=raw, encoding=doc.encoding, results=results)
    again, second = _run(replan_doc(doc), steps)
    if any(r.result == "applied" for r in second) or again.raw != doc.raw:
        raise _unstable(path, second, site)
    return FilePlan(rel=rel, path=path, old=raw, new=doc.raw, encoding=doc.encoding, results=results)


def plan_properties(path: Path, rel: str, steps: Sequence[Step], site: Set[str] = frozenset()) -> FilePlan:
    """The file's bytes as ISO-8859-1 text (every byte one character, as Properties.load reads them); a
    missing file is planned from nothing, in a folder that must exist (rollback removes the file, not folders)."""
    raw = None if not path.exists() and not path.is_symlink() else read_config(path)
    if raw is None and not path.parent.is_dir():
        raise ConfigError(f"cannot create {path.name}: its folder is missing", where=path.parent,
                          hint="is this a complete product home? wso2patch creates a missing .properties file, "
                               "not its folder")
    steps = _last_wins(steps)
    text, results = _run_props(None if raw is None else raw.decode("latin-1"), steps, str(path))
    again, second = _run_props(text, steps, str(path))
    if any(r.result == "applied" for r in second) or again != text:
        raise _unstable(path, second, site)
    try:
        new = (text or "").encode("latin-1")
    except UnicodeEncodeError:  # the writer escapes everything past printable ASCII: a bug, never a file
        raise InternalError("a property edit produced a character ISO-8859-1 cannot hold", where=path,
                            hint="nothing was written; please report this with the file") from None
    return FilePlan(rel=rel, path=path, old=raw or b"", new=new, encoding="iso-8859-1", results=results,
                    existed=raw is not None)


def build_plan(home: Path, node: int, product: Product, patches: Sequence[Patch], values: Mapping[str, str],
               peers: Sequence[Mapping[str, str]], rows: Rows | None = None,
               extra: Mapping[str, Sequence[Step]] | None = None) -> Plan:
    """`product`: what the home holds for the node's profile (detected); file paths are under its config root.
    `extra`: steps computed from the home itself (the vault's stock secrets), run after the patches' on a file
    (home-relative paths)."""
    by_file: dict[str, list[Step]] = {}
    skipped: list[OpResult] = []
    for patch in patches:
        if not is_for(patch, product):  # listed, so status says "not applicable" as for a missing required file
            skipped += [OpResult(patch.name, op.kind, op.target, "skipped", f"not applicable: not for {product.label}")
                        for op in patch.ops]
            continue
        steps = patch.render(values, peers, rows)
        # a dangling or looping symlink still means the file is meant to be there: read it and fail loudly
        missing = [r for r in patch.required(product.conf) if not (home / r).exists() and not (home / r).is_symlink()]
        if missing:
            note = f"not applicable: {missing[0]} is absent"
            skipped += [OpResult(s.patch, s.kind, s.target, "skipped", note) for s in steps]
            continue
        if all(s.op is None for s in steps):  # nothing the spec asks for (proxy-ports without them): not opened
            skipped += [OpResult(s.patch, s.kind, s.target, "skipped", f"not applicable: {s.skipped}") for s in steps]
            continue
        by_file.setdefault(patch.rel(product.conf), []).extend(steps)
    for rel, more in (extra or {}).items():
        by_file.setdefault(rel, []).extend(more)
    site = {p.name for p in patches if p.origin != BUILT_IN}
    files = [plan_file(home / rel, rel, steps, site) for rel, steps in by_file.items()]
    return Plan(home=home, node=node, product=product, files=files, skipped=skipped)
