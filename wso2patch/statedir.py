"""Files inside .wso2patch/, reached one folder at a time from a descriptor and never through a symbolic link.

wso2patch often runs as root on a home that the product's own user can write, and that user can change
anything in it, .wso2patch/ included. So every name there is opened with O_NOFOLLOW relative to its folder's
descriptor: a link, a FIFO or a non-directory where a folder belongs is refused (ConfigError), never followed.
New files and folders take the umask's mode and the owner and group of the folder they go into.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from wso2patch.errors import ConfigError
from wso2patch.fsyncs import FolderSyncs

STATE_DIR = ".wso2patch"
JOURNAL = "journal.json"
LOCK = "lock"
TMP_SUFFIX = ".wso2patch-tmp"
MAX_STATE_FILE = 256 * 1024 * 1024  # a backup is at most a config file or a driver jar
HINT = "nothing was written; look at it, or move .wso2patch away to start afresh"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO must not hang us


def pause() -> None:
    """Fault-injection knob for the crash tests: WSO2PATCH_TEST_DELAY=seconds widens every write step."""
    delay = os.environ.get("WSO2PATCH_TEST_DELAY")
    if delay:
        time.sleep(float(delay))


def adopt(fd: int, folder_fd: int) -> None:
    """A new file or folder takes the owner and group of the folder it is in (so the product can use what root
    made). Without root only the group may be changeable: then the file stays ours, as any editor leaves it."""
    st = os.fstat(folder_fd)
    with contextlib.suppress(PermissionError):
        os.fchown(fd, st.st_uid, st.st_gid)


def split(rel: str) -> tuple[list[str], str]:
    parts = rel.split("/")
    return parts[:-1], parts[-1]


class StateDir:
    """home/.wso2patch; `rel` names below it are posix paths the journal has already checked."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / STATE_DIR

    def refuse(self, rel: str, what: str) -> ConfigError:
        name = f"{STATE_DIR}/{rel}" if rel else STATE_DIR
        return ConfigError(f"{name} {what}; wso2patch never follows a link or opens anything but a plain file or "
                           "folder in its own folder", where=self.path / rel if rel else self.path, hint=HINT)

    def _sub(self, parent: int, name: str, rel: str, create: bool) -> int | None:
        """Open folder `name` in `parent`, creating it when asked; None when it is absent."""
        tried = made = False
        while True:
            try:
                fd = os.open(name, _DIR, dir_fd=parent)
                break
            except FileNotFoundError:
                if not create or tried:
                    return None
            except OSError as e:
                if e.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                link = stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
                raise self.refuse(rel, "is a symbolic link" if link else "is not a directory") from None
            with contextlib.suppress(FileExistsError):  # another process may have made it first: open that one
                os.mkdir(name, 0o700 if name == STATE_DIR and not rel else 0o777, dir_fd=parent)  # backups: secrets
                made = True
            tried = True
        if made:
            adopt(fd, parent)
        return fd

    @contextlib.contextmanager
    def walk(self, rel: str = "", *, create: bool = False) -> Iterator[list[int]]:
        """Descriptors of the home, .wso2patch and each folder down to .wso2patch/rel, opened one by one;
        the list stops short when a folder is absent (and not to be created)."""
        try:
            fds = [os.open(self.home, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
        except (FileNotFoundError, NotADirectoryError):
            if create:
                raise
            yield []  # no home: nothing in it either (the commands say what is wrong with the home)
            return
        try:
            parts = [p for p in rel.split("/") if p]
            for i, name in enumerate([STATE_DIR, *parts]):
                fd = self._sub(fds[-1], name, "/".join(parts[:i]), create)
                if fd is None:
                    break
                fds.append(fd)
            yield fds
        finally:
            for fd in fds:
                os.close(fd)

    @contextlib.contextmanager
    def folder(self, rel: str = "", *, create: bool = False) -> Iterator[int | None]:
        depth = 2 + len([p for p in rel.split("/") if p])
        with self.walk(rel, create=create) as fds:
            yield fds[-1] if len(fds) == depth else None

    def open_file(self, folder: int, name: str, rel: str) -> int | None:
        """A plain file, read-only; None when it is absent."""
        try:
            fd = os.open(name, _FILE, dir_fd=folder)
        except FileNotFoundError:
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise self.refuse(rel, "is a symbolic link") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise self.refuse(rel, "is not a regular file")
        return fd

    def read(self, rel: str) -> bytes | None:
        """The bytes of .wso2patch/rel, or None when it (or a folder above it) does not exist."""
        parents, name = split(rel)
        with self.folder("/".join(parents)) as folder:
            fd = None if folder is None else self.open_file(folder, name, rel)
            if fd is None:
                return None
            with os.fdopen(fd, "rb") as f:
                if os.fstat(fd).st_size > MAX_STATE_FILE:
                    raise self.refuse(rel, "is far larger than anything wso2patch writes")
                return f.read()

    def trusted(self, rel: str) -> bool:
        """Is .wso2patch/rel, and every folder from .wso2patch down to it, ours and writable by nobody else?"""
        parents, name = split(rel)
        with self.walk("/".join(parents)) as fds:
            if len(fds) != 2 + len(parents):
                return False
            fd = self.open_file(fds[-1], name, rel)
            if fd is None:
                return False
            try:
                stats = [os.fstat(f) for f in [*fds[1:], fd]]
            finally:
                os.close(fd)
        return all(st.st_uid == os.geteuid() and not st.st_mode & 0o022 for st in stats)

    def write(self, rel: str, data: bytes, *, durable: bool | FolderSyncs = True,
              like: os.stat_result | None = None) -> None:
        """Atomically (temporary file, fsync, rename in the same folder), creating the folders on the way. The
        file takes `like`'s mode and owner (a backup is no more readable than the file it copies), else the
        umask's mode and its folder's owner. `durable=FolderSyncs` leaves the folder's fsync to that FolderSyncs."""
        parents, name = split(rel)
        with self.folder("/".join(parents), create=True) as folder:
            assert folder is not None
            tmp = f".{name}.{os.urandom(4).hex()}{TMP_SUFFIX}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666,
                         dir_fd=folder)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    if durable:
                        os.fsync(fd)
                    if like is None:
                        adopt(fd, folder)
                    else:
                        os.fchmod(fd, stat.S_IMODE(like.st_mode))
                        with contextlib.suppress(PermissionError):
                            os.fchown(fd, like.st_uid, like.st_gid)
                pause()
                os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=folder)
                raise
            if isinstance(durable, FolderSyncs):
                durable.add(folder)
            elif durable:
                os.fsync(folder)

    def remove(self, rel: str) -> None:
        """Remove .wso2patch/rel, a file or a folder with all it holds; a link is removed, never followed."""
        parents, name = split(rel)
        with self.folder("/".join(parents)) as folder:
            if folder is None:
                return
            try:
                st = os.stat(name, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                return
            if stat.S_ISDIR(st.st_mode):
                import shutil  # loads compression modules: only for this rare case

                shutil.rmtree(name, dir_fd=folder)  # fd-based: never follows a link swapped in meanwhile
            else:
                os.unlink(name, dir_fd=folder)

    def rmdir(self, rel: str) -> None:
        """Remove an empty folder (best effort)."""
        parents, name = split(rel)
        with self.folder("/".join(parents)) as folder, contextlib.suppress(OSError):
            if folder is not None:
                os.rmdir(name, dir_fd=folder)

    def sweep(self, live: set[str]) -> None:
        """What killed runs leave: temporary files anywhere in .wso2patch, and backups and snapshots of
        transactions the journal does not hold (a commit killed before it recorded them)."""
        with self.folder() as root:
            if root is None:
                return
            strays = [name for name in os.listdir(root) if name.endswith(TMP_SUFFIX)]
        for name in strays:
            self.remove(name)
        for part in ("backups", "after"):
            with self.folder(part) as folder:
                if folder is None:
                    continue
                for name in os.listdir(folder):
                    if name not in live:
                        self.remove(f"{part}/{name}")
                        continue
                    for _, _, files, fd in os.fwalk(name, dir_fd=folder):  # fwalk never follows a link
                        for f in files:
                            if f.endswith(TMP_SUFFIX):
                                os.unlink(f, dir_fd=fd)
            self.rmdir(part)  # only if empty


def owner_only(home: Path) -> None:
    """.wso2patch/ readable by its owner alone: its backups hold the files as they were, passwords included. Best
    effort, after a commit: a folder another user owns, or a link planted meanwhile, is left as it is."""
    with contextlib.suppress(OSError, ConfigError), StateDir(home).folder() as fd:  # never through a link
        if fd is not None:
            os.fchmod(fd, 0o700)
