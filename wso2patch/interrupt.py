"""SIGINT, SIGTERM and SIGHUP while wso2patch writes: never a half-written home.

The handler only notes the signal. `check()` acts on it, raising `Interrupt`, at safe points: when a command's body
starts, per node, after the lock is taken, before a transaction's first write and between two whole-file swaps. A
signal raised at an arbitrary bytecode could land inside an import (Python turns it into a RuntimeError there), a
`finally` or a half-made journal entry; a safe point is never inside anything. The one wait that has no end of its
own, the confirmation prompt, is `interruptible()`: there the handler raises at once.

A section that only moves the home back to a state it had (a rollback, a recovery) is `deferred(to_the_end=True)`:
its safe points pass, and the signal is acted on when it is complete. After a signal inside a transaction, the
caller runs recovery under the lock it holds. Once one signal has been acted on, later ones are ignored: the process
is on its way out, and a second Ctrl-C must not cut that recovery short.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupt(BaseException):
    """Like KeyboardInterrupt, a BaseException: no `except Exception` on the way may swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


class _State:
    def __init__(self) -> None:
        self.to_the_end = 0  # nesting of sections that run to their end before a signal is acted on
        self.waiting = False  # at the prompt: act at once
        self.pending: int | None = None  # the first signal noted and not yet acted on
        self.stopping = False  # an Interrupt is on its way: ignore further signals
        self.done: list[str] = []  # what this command has completed so far, for the last line


_state = _State()


def completed() -> list[str]:
    """What the command finished writing before a signal came (critical sections add to it)."""
    return _state.done


def _stop(signum: int) -> Interrupt:
    _state.stopping, _state.pending = True, None
    return Interrupt(signum)


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.stopping:
        return
    if _state.waiting:
        raise _stop(signum)
    if _state.pending is None:
        _state.pending = signum


def check(*, end: bool = False) -> None:
    """A safe point (or the `end` of a section that runs to its end): act on a signal noted since."""
    if _state.pending is not None and not _state.stopping and (end or not _state.to_the_end):
        raise _stop(_state.pending)


@contextmanager
def deferred(*, to_the_end: bool = False) -> Iterator[None]:
    """A critical section; `to_the_end`: its safe points pass, the caller checks at its end."""
    _state.to_the_end += to_the_end
    try:
        yield
    finally:
        _state.to_the_end -= to_the_end


@contextmanager
def interruptible() -> Iterator[None]:
    """A wait with no end of its own (the prompt): a signal acts at once, one noted before acts now."""
    check()
    _state.waiting = True
    try:
        yield
    finally:
        _state.waiting = False


def _main_thread() -> bool:  # only the main thread may set signal handlers
    # threads are started with threading: when nothing has imported it (the console script), this is the only one
    threading = sys.modules.get("threading")
    return threading is None or threading.current_thread() is threading.main_thread()


def _ours() -> bool:
    return signal.getsignal(signal.SIGTERM) is _handler


def install() -> None:
    """The console script, from its first instant: signals are noted (never restored: the process ends). Installing
    again keeps what was noted (the entry point installs before it imports the command line, which installs too)."""
    if _main_thread() and not _ours():
        for s in SIGNALS:
            signal.signal(s, _handler)
        _state.to_the_end, _state.waiting, _state.pending, _state.stopping, _state.done = 0, False, None, False, []


@contextmanager
def handled() -> Iterator[None]:
    """Note the three signals for the duration; the previous handlers come back afterwards. Nested use (the console
    script, then the command) keeps the outer installation and what it noted."""
    if not _main_thread() or _ours():
        yield
        return
    previous: dict[int, Any] = {s: signal.getsignal(s) for s in SIGNALS}
    install()
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def defaults() -> Iterator[None]:
    """A command that keeps no journal (db init talks to a server): the usual meaning of the signals, for the
    duration, where install() had changed it; a signal noted while the command loaded stops it before it starts."""
    if not _main_thread() or not _ours():
        yield
        return
    check()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        yield
    finally:
        for s in SIGNALS:
            signal.signal(s, _handler)


def ignore_from_now() -> None:
    """The work is done and printed: a signal during the last instants of exit changes nothing."""
    if _main_thread():
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)


def line(sig: Interrupt, parts: list[str]) -> str:
    """The one line a signal ends a command with: which signal, then where each home it touched stands."""
    by = "interrupted" if sig.signum == signal.SIGINT else f"interrupted by {sig.name}"
    return f"{by}; {'; '.join([*parts, 'nothing else was written']) if parts else 'nothing was written'}"
