"""One writer per home: an flock on .wso2patch/lock, taken without ever following a link there."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from wso2patch.errors import BusyError, WriteError
from wso2patch.statedir import JOURNAL, LOCK, STATE_DIR, StateDir, adopt


def _exists(folder: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: keep the lock file
    return True


def _names(fd: int, folder: int, name: str) -> bool:
    """Is `name` in `folder` still the file open as `fd`?"""
    try:
        st = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _open_lock(state: StateDir, folder: int) -> int | None:
    """The lock file, created if need be; None when .wso2patch was removed under us (try again)."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        try:
            fd = os.open(LOCK, flags | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=folder)
            adopt(fd, folder)
        except FileExistsError:
            fd = os.open(LOCK, flags, dir_fd=folder)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.EISDIR):
            what = "is a symbolic link" if e.errno == errno.ELOOP else "is not a plain file"
            raise state.refuse(LOCK, what) from None
        raise WriteError(f"cannot create the lock file: {e.strerror}", where=state.path / LOCK,
                         hint="make the home writable and rerun") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:  # we write our pid into it: only into our own
        os.close(fd)
        raise state.refuse(LOCK, "is not a plain file" if st.st_nlink == 1 else "has other hard links")
    return fd


@contextlib.contextmanager
def locked(home: Path) -> Iterator[None]:
    """One writer per home: an flock on .wso2patch/lock, released by the kernel when the holder dies.
    A second writer fails at once, naming the holder's pid, and leaves the holder's lock file alone. Only the
    holder removes the lock file, as it releases it (still holding it); whoever then locks the removed file sees
    that it is no longer the one named lock, and starts again."""
    state = StateDir(home)
    for _ in range(20):
        with contextlib.ExitStack() as stack:
            try:
                home_fd, folder = stack.enter_context(state.walk(create=True))
            except OSError as e:
                raise WriteError(f"cannot create the lock file: {e.strerror}", where=state.path / LOCK,
                                 hint="make the home writable and rerun") from None
            fd = _open_lock(state, folder)
            if fd is None:
                continue
            stack.callback(os.close, fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                pid = "".join(c for c in os.pread(fd, 32, 0).decode("ascii", "replace") if c.isdigit())
                raise BusyError(f"another wso2patch (pid {pid or 'unknown'}) is working on this home", where=home,
                                hint="wait for it to finish, then rerun") from None
            if not (_names(fd, folder, LOCK) and _names(folder, home_fd, STATE_DIR)):
                continue  # its holder removed it after we opened it: lock the one there now
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # may fail on a full disk: clean up all the same
                yield
            finally:  # the lock file lives only while held: a run, even a refused one, leaves none behind
                with contextlib.suppress(OSError):
                    os.unlink(LOCK, dir_fd=folder)
                    if not _exists(folder, JOURNAL):  # nothing was recorded: leave no .wso2patch either
                        os.rmdir(STATE_DIR, dir_fd=home_fd)
            return
    raise BusyError("the lock file keeps being removed and created again", where=state.path / LOCK,
                    hint="another wso2patch is starting and finishing on this home: rerun")
