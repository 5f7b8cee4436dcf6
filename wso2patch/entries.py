"""The journal's entries, checked as they are read: journal.json lies in a folder another user may write.

Every file path must be a normalized relative path naming a file the caller manages (the journal itself does not
know which: `Managed` answers), every snapshot must be backups/<id>/<path> or after/<id>/<path>, every id must have
the shape wso2patch gives it (ids become folder names), and every text that gets printed must be printable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

from wso2patch.products import PROFILE_NAME
from wso2patch.statedir import STATE_DIR

State = Literal["pending", "committed", "rolling_back", "rolled_back", "recovered"]
STATES = ("pending", "committed", "rolling_back", "rolled_back", "recovered")
Managed = Callable[[str], bool]  # may wso2patch ever write this path (relative to the home)?
TX_ID = re.compile(r"\d{8}T\d{6}Z-\d{1,6}")
SHA256 = re.compile(r"[0-9a-f]{64}")
_TX_KEYS = {"id", "time", "node", "spec", "spec_sha256", "state"}
_FILE_KEYS = {"path", "before", "after", "backup"}


@dataclass
class FileRecord:
    path: str  # relative to the home
    before: str | None  # None: the file did not exist before (rollback removes it)
    after: str
    backup: str  # relative to the state dir; "" when there was nothing to back up
    snapshot: str = ""  # the bytes written, relative to the state dir


@dataclass
class Transaction:
    id: str
    time: str
    node: int | None
    spec: str | None
    spec_sha256: str | None
    state: State
    files: list[FileRecord] = field(default_factory=list)
    patches: list[str] = field(default_factory=list)  # the patches that changed something
    # the product profile patched (EI: "broker"); None: the main one (and every journal before issue 11)
    profile: str | None = field(default=None, metadata={"omit_none": True})


def as_dict(tx: Transaction) -> dict[str, Any]:
    """A transaction as the journal (and --json) keeps it: no profile field for the main profile, as before."""
    out = asdict(tx)
    if out["profile"] is None:
        del out["profile"]
    return out


def show(value: object) -> str:
    """Text from the journal in an error line: quoted, escaped, cut short."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def normal_path(rel: str) -> bool:
    """A relative path without '.', '..' or empty parts, outside .wso2patch, with nothing unprintable in it."""
    parts = rel.split("/")
    return rel.isprintable() and all(p not in ("", ".", "..") for p in parts) and parts[0] != STATE_DIR


def _text(value: Any, *, optional: bool = False) -> bool:
    return (value is None and optional) or (isinstance(value, str) and value.isprintable())


def _fields(where: str, entry: Any, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError(f"{where} is not an object")
    if missing := required - entry.keys():
        raise ValueError(f"{where} lacks {', '.join(sorted(missing))}")
    if unknown := entry.keys() - required - optional:
        raise ValueError(f"{where} has unknown fields {show(sorted(unknown))}")
    return entry


def _file(where: str, tx_id: str, entry: Any, managed: Managed) -> FileRecord:
    f = _fields(where, entry, _FILE_KEYS, {"snapshot"})
    path = f["path"]
    if not isinstance(path, str) or not normal_path(path):
        raise ValueError(f"{where}: path {show(path)} is not a relative path inside the home; refused")
    if not managed(path):
        raise ValueError(f"{where}: path {show(path)} is not a file wso2patch writes (a config file of the patch "
                         "set or the driver jar); refused")
    before, after, backup, snapshot = f["before"], f["after"], f["backup"], f.get("snapshot", "")
    if not (before is None or (isinstance(before, str) and SHA256.fullmatch(before))):
        raise ValueError(f"{where}: before {show(before)} is not a sha256")
    if not (isinstance(after, str) and SHA256.fullmatch(after)):
        raise ValueError(f"{where}: after {show(after)} is not a sha256")
    if backup != ("" if before is None else f"backups/{tx_id}/{path}"):
        raise ValueError(f"{where}: backup {show(backup)} is not backups/{tx_id}/{path}; refused")
    if snapshot not in ("", f"after/{tx_id}/{path}"):
        raise ValueError(f"{where}: snapshot {show(snapshot)} is not after/{tx_id}/{path}; refused")
    return FileRecord(path=path, before=before, after=after, backup=backup, snapshot=snapshot)


def _transaction(n: int, entry: Any, managed: Managed) -> Transaction:
    t = _fields(f"transaction #{n}", entry, _TX_KEYS, {"files", "patches", "profile"})
    tx_id = t["id"]
    if not (isinstance(tx_id, str) and TX_ID.fullmatch(tx_id)):
        raise ValueError(f"transaction #{n}: id {show(tx_id)} is not a wso2patch transaction id; refused")
    where = f"transaction {tx_id}"
    node, state, files, patches = t["node"], t["state"], t.get("files", []), t.get("patches", [])
    if not _text(t["time"]) or not _text(t["spec"], optional=True):
        raise ValueError(f"{where}: time or spec is not printable text")
    if not (t["spec_sha256"] is None or (isinstance(t["spec_sha256"], str) and SHA256.fullmatch(t["spec_sha256"]))):
        raise ValueError(f"{where}: spec_sha256 {show(t['spec_sha256'])} is not a sha256")
    if not (node is None or (isinstance(node, int) and not isinstance(node, bool))):
        raise ValueError(f"{where}: node {show(node)} is not a number")
    if state not in STATES:
        raise ValueError(f"{where}: state {show(state)} is not one of {', '.join(STATES)}")
    if not isinstance(patches, list) or not all(_text(p) for p in patches):
        raise ValueError(f"{where}: patches is not a list of names")
    if not isinstance(files, list):
        raise ValueError(f"{where}: files is not a list")
    profile = t.get("profile")
    if not (profile is None or (isinstance(profile, str) and PROFILE_NAME.match(profile))):
        raise ValueError(f"{where}: profile {show(profile)} is not a product profile name")
    records = [_file(f"{where} file #{i}", tx_id, f, managed) for i, f in enumerate(files, 1)]
    return Transaction(id=tx_id, time=t["time"], node=node, spec=t["spec"], spec_sha256=t["spec_sha256"],
                       state=cast(State, state), files=records, patches=list(patches), profile=profile)


def parse(raw: bytes, managed: Managed) -> list[Transaction]:
    """journal.json's transactions; ValueError naming the first entry that is malformed or unsafe."""
    data = json.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("transactions"), list):
        raise ValueError("not a wso2patch journal (no list of transactions)")
    txs = [_transaction(n, t, managed) for n, t in enumerate(data["transactions"], 1)]
    if len({t.id for t in txs}) != len(txs):
        raise ValueError("two transactions have the same id")
    return txs
