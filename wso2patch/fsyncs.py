"""Folder fsyncs gathered over several atomic writes, each folder synced once.

A file replaced by rename is on disk once its data is fsynced before the rename (atomic_write does that per
file) and its folder is fsynced after it. When several files go into the same folders before the next step
that relies on them (the journal entry that points at the backups, the entry that marks an apply committed),
one fsync per folder after the last rename makes all of them durable: the same guarantee as a folder fsync
after every file, with fewer waits for the disk.
"""

from __future__ import annotations

import os
from types import TracebackType


class FolderSyncs:
    """Open descriptors of the folders written to (duplicated, one per folder), synced by `sync`, closed on exit."""

    def __init__(self) -> None:
        self._fds: dict[tuple[int, int], int] = {}

    def add(self, folder_fd: int) -> None:
        st = os.fstat(folder_fd)
        if (st.st_dev, st.st_ino) not in self._fds:
            self._fds[st.st_dev, st.st_ino] = os.dup(folder_fd)

    def sync(self) -> None:
        """fsync every folder added so far (raises OSError as os.fsync does)."""
        for fd in self._fds.values():
            os.fsync(fd)

    def __enter__(self) -> FolderSyncs:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
