"""SIGINT, SIGTERM and SIGHUP while wso2patch writes: never a half-written home.

While a command runs, the three signals raise `Interrupt` at once (nothing is being written then), except inside
`deferred()`, the critical sections of a transaction: there the signal is only noted, and `check()` raises it at
the next safe point (between two whole-file swaps), after which the caller runs recovery under the lock it holds.
A section that only moves the home back to a state it had (a rollback, a recovery) is `deferred(to_the_end=True)`:
its safe points pass, and the signal is acted on when it is complete.
Once one signal has been acted on, later ones are noted and ignored: the process is already on its way out, and a
second Ctrl-C must not cut the recovery short.
"""

from __future__ import annotations

import signal
import threading
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
        self.depth = 0  # nesting of deferred() sections
        self.to_the_end = 0  # nesting of sections that run to their end before a signal is acted on
        self.pending: int | None = None  # a signal noted inside a deferred section
        self.stopping = False  # an Interrupt is on its way: ignore further signals
        self.done: list[str] = []  # what this command has completed so far, for the last line


def completed() -> list[str]:
    """What the command finished writing before a signal came (critical sections add to it)."""
    return _state.done


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.stopping:
        return
    if _state.depth == 0:
        _state.stopping = True
        raise Interrupt(signum)
    if _state.pending is None:
        _state.pending = signum


def check(*, end: bool = False) -> None:
    """A safe point inside a deferred section (or its `end`): act on a signal noted since."""
    if _state.pending is not None and not _state.stopping and (end or not _state.to_the_end):
        _state.stopping = True
        raise Interrupt(_state.pending)


@contextmanager
def deferred(*, to_the_end: bool = False) -> Iterator[None]:
    """A critical section: signals wait for check() (or, `to_the_end`, for the section's end)."""
    _state.depth += 1
    _state.to_the_end += to_the_end
    try:
        yield
    finally:
        _state.depth -= 1
        _state.to_the_end -= to_the_end


def _main_thread() -> bool:  # only the main thread may set signal handlers
    return threading.current_thread() is threading.main_thread()


def install() -> None:
    """The console script, from its first instant: signals become Interrupt (never restored: the process ends)."""
    if _main_thread():
        for s in SIGNALS:
            signal.signal(s, _handler)
        _state.depth, _state.to_the_end, _state.pending, _state.stopping, _state.done = 0, 0, None, False, []


@contextmanager
def handled() -> Iterator[None]:
    """Turn the three signals into Interrupt for the duration; the previous handlers come back afterwards.
    Nested use (the console script, then the command) keeps the outer installation and its state."""
    if not _main_thread() or signal.getsignal(signal.SIGTERM) is _handler:
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
    duration, where install() had changed it."""
    if not _main_thread() or signal.getsignal(signal.SIGTERM) is not _handler:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        yield
    finally:
        for s in SIGNALS:
            signal.signal(s, _handler)


def ignore_from_now() -> None:
    """The work is done and printed: a signal during the last instants of exit changes nothing, so it is ignored
    rather than let Python print a traceback from its shutdown."""
    if _main_thread():
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)


def line(sig: Interrupt, parts: list[str]) -> str:
    """The one line a signal ends a command with: which signal, then where each home it touched stands."""
    by = "interrupted" if sig.signum == signal.SIGINT else f"interrupted by {sig.name}"
    return f"{by}; {'; '.join([*parts, 'nothing else was written']) if parts else 'nothing was written'}"
