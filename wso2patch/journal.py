"""What wso2patch keeps inside a home (.wso2patch/): the journal, file snapshots, the lock.

journal.json lists every transaction with each file's sha256 before and after;
backups/<id>/<path> holds the bytes before, after/<id>/<path> the bytes written (so a hand
edit can be shown as a diff). Every write here is atomic, so the journal is never torn.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from wso2patch.errors import BusyError, ConfigError, WriteError

STATE_DIR = ".wso2patch"
TMP_SUFFIX = ".wso2patch-tmp"
State = Literal["pending", "committed", "rolling_back", "rolled_back", "recovered"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pause() -> None:
    """Fault-injection knob for the crash tests: WSO2PATCH_TEST_DELAY=seconds widens every write step."""
    delay = os.environ.get("WSO2PATCH_TEST_DELAY")
    if delay:
        time.sleep(float(delay))


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


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write via a temporary file in the same directory, fsync, rename; keep mode and owner.
    A symlinked config is edited through the link (the link itself stays). `durable=False` skips
    the fsyncs, for files nothing depends on surviving a power cut (the after-snapshots)."""
    target = Path(os.path.realpath(path))
    try:
        st: os.stat_result | None = target.stat()
    except FileNotFoundError:
        st = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            with contextlib.suppress(PermissionError):  # not root: the file stays ours, as an editor leaves it
                os.chown(tmp, st.st_uid, st.st_gid)
        pause()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if not durable:
        return
    dfd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def put(path: Path, data: bytes | None, *, durable: bool = True) -> None:
    """Write a file atomically (creating its folder), or remove it when data is None."""
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


def remove_strays(directory: Path) -> None:
    """Temporary files a killed write left behind."""
    with contextlib.suppress(OSError):
        for p in directory.glob(f".*{TMP_SUFFIX}"):
            p.unlink(missing_ok=True)


class Journal:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.dir = home / STATE_DIR
        self.path = self.dir / "journal.json"

    def load(self) -> list[Transaction]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [Transaction(**{**t, "files": [FileRecord(**f) for f in t["files"]]})
                    for t in data["transactions"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"unreadable journal: {e}", where=self.path,
                              hint="restore it from a backup, or move .wso2patch away to start afresh") from None

    def save(self, txs: Sequence[Transaction]) -> None:
        data = {"version": 1, "transactions": [asdict(t) for t in txs]}
        put(self.path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))

    def unfinished(self) -> list[Transaction]:
        return [t for t in self.load() if t.state in ("pending", "rolling_back")]


@contextlib.contextmanager
def locked(home: Path, *, create: bool = True) -> Iterator[None]:
    """One writer per home: an flock on .wso2patch/lock, released by the kernel when the holder dies.
    A second writer fails at once, naming the holder's pid."""
    lock = home / STATE_DIR / "lock"
    if not create and not lock.exists():
        yield
        return
    fresh = not lock.parent.exists()
    try:
        lock.parent.mkdir(exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise WriteError(f"cannot create the lock file: {e.strerror}", where=lock,
                         hint="make the home writable and rerun") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise BusyError(f"another wso2patch (pid {holder}) is working on this home", where=home,
                            hint="wait for it to finish, then rerun") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        if fresh and not (lock.parent / "journal.json").exists():  # nothing was recorded: leave no trace
            with contextlib.suppress(OSError):
                lock.unlink()
                lock.parent.rmdir()
        os.close(fd)
