"""What wso2patch keeps inside a home (.wso2patch/): the journal, file snapshots, the lock; atomic writes.

journal.json lists every transaction with each file's sha256 before and after;
backups/<id>/<path> holds the bytes before, after/<id>/<path> the bytes written (so a hand
edit can be shown as a diff). Every write here is atomic, so the journal is never torn.
Another user may have written the journal: every entry is checked when it is read (entries.py).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from wso2patch import digest
from wso2patch.entries import FileRecord, Managed, Transaction, as_dict, parse
from wso2patch.errors import ConfigError
from wso2patch.fsyncs import FolderSyncs
from wso2patch.lock import locked
from wso2patch.statedir import JOURNAL, STATE_DIR, TMP_SUFFIX, StateDir, adopt, pause

__all__ = ["STATE_DIR", "TMP_SUFFIX", "FileRecord", "FolderSyncs", "Journal", "Managed", "Transaction", "atomic_write",
           "locked", "outside_home", "pause", "put", "read", "remove_strays", "sha256"]


def sha256(data: bytes) -> str:
    return digest.sha256(data)


def atomic_write(path: Path, data: bytes, *, durable: bool | FolderSyncs = True) -> None:
    """Write a file of the home via a temporary file in the same folder, fsync, rename. An existing file keeps its
    mode and owner; a new one (the driver jar) takes the umask's mode and its folder's owner and group, so that
    a server running as the product's user can load what root copied in. A symlinked config is edited through
    the link (the link itself stays). `durable=False` skips the fsyncs, for files nothing depends on surviving
    a power cut. `durable=FolderSyncs` fsyncs the file and leaves the folder's fsync to that FolderSyncs, which
    the caller syncs before it relies on the file."""
    target = Path(os.path.realpath(path))
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            st: os.stat_result | None = os.stat(target.name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        tmp = f".{target.name}.{os.urandom(4).hex()}{TMP_SUFFIX}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if durable:
                    os.fsync(fd)
                if st is None:
                    adopt(fd, folder)
                else:  # on the descriptor: a name in a folder another user owns can be swapped for a link
                    os.fchmod(fd, st.st_mode & 0o7777)
                    with contextlib.suppress(PermissionError):  # not root: the file stays ours, as an editor leaves it
                        os.fchown(fd, st.st_uid, st.st_gid)
            pause()
            os.replace(tmp, target.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
            raise
        if isinstance(durable, FolderSyncs):
            durable.add(folder)
        elif durable:
            os.fsync(folder)
    finally:
        os.close(folder)


def put(path: Path, data: bytes | None, *, durable: bool | FolderSyncs = True) -> None:
    """Write a file of the home atomically (creating its folder), or remove it when data is None."""
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, durable=durable)


def read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def outside_home(home: Path, rel: str) -> str | None:
    """Where home/rel really is, when a symbolic link (of the file or a folder above it) leads out of the home."""
    root, real = os.path.realpath(home), os.path.realpath(home / rel)
    return None if real.startswith(root.rstrip("/") + "/") else real


def remove_strays(home: Path, rel: str) -> None:
    """Temporary files a killed write of home/rel left beside it (only inside the home)."""
    if outside_home(home, rel) is not None:
        return
    target = Path(os.path.realpath(home / rel))
    with contextlib.suppress(OSError):
        for p in target.parent.glob(f".{target.name}.*{TMP_SUFFIX}"):
            p.unlink(missing_ok=True)


class Journal:
    """The journal of one home. `managed` says which paths wso2patch may ever write there (the caller knows the
    patch set); an entry naming any other path, or snapshots elsewhere than .wso2patch, is refused on reading."""

    def __init__(self, home: Path, managed: Managed) -> None:
        self.home = home
        self.state = StateDir(home)
        self.dir = self.state.path
        self.path = self.dir / JOURNAL
        self.managed = managed

    def load(self) -> list[Transaction]:
        try:
            raw = self.state.read(JOURNAL)
            return [] if raw is None else parse(raw, self.managed)
        except (ConfigError, OSError, ValueError, RecursionError) as e:
            detail = e.message if isinstance(e, ConfigError) else getattr(e, "strerror", None) or str(e)
            raise ConfigError(f"unreadable journal: {detail}", where=self.path,
                              hint="nothing was written; restore it from a backup, or move .wso2patch away to "
                                   "start afresh") from None

    def save(self, txs: Sequence[Transaction]) -> None:
        data = {"version": 1, "transactions": [as_dict(t) for t in txs]}
        self.state.write(JOURNAL, (json.dumps(data, indent=2) + "\n").encode("utf-8"))

    def unfinished(self) -> list[Transaction]:
        return [t for t in self.load() if t.state in ("pending", "rolling_back")]
