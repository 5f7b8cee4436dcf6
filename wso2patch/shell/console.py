"""stdout or stderr as the commands print to it: rich's Console for a terminal (colours), plain writes otherwise.

Importing rich costs more than half the floor (`python -c "import lxml.etree"`) and brings nothing to a pipe or a
file, so rich is imported only when a line needs it: the stream is a terminal, the environment asks rich for
colours (FORCE_COLOR, TTY_COMPATIBLE), or the text holds anything but printable ASCII (rich drops some control
characters and expands tabs; tests/test_shell_console.py checks that both ways write the same bytes).
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Capture, Console

_RICH_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE")  # what makes rich's is_terminal differ from isatty()
_PLAIN = frozenset(map(chr, range(32, 127)))


class Stream:
    """The part of rich.console.Console the shell uses, without rich until a line needs it."""

    def __init__(self, *, stderr: bool = False) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    @property
    def file(self) -> TextIO:
        return sys.stderr if self.stderr else sys.stdout  # looked up each time, as rich does (tests swap them)

    @property
    def is_terminal(self) -> bool:
        if self._needs_rich():
            return self.console().is_terminal
        return False

    def _needs_rich(self) -> bool:
        if self._console is not None or any(k in os.environ for k in _RICH_ENV):
            return True
        isatty = getattr(self.file, "isatty", None)
        try:
            return isatty is not None and bool(isatty())
        except ValueError:  # a closed file: rich says "not a terminal" too
            return False

    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self.stderr, highlight=False, soft_wrap=True)
        return self._console

    def line(self, text: str, style: str = "") -> None:
        """One line, as Console.print(Text(text, style=style)) writes it (then flushed, as rich flushes)."""
        if self._needs_rich() or not _PLAIN.issuperset(text):
            from rich.text import Text

            self.console().print(Text(text, style=style), crop=False)
            return
        self.file.write(text + "\n")
        self.file.flush()

    def print(self, renderable: Any, **kwargs: Any) -> None:
        self.console().print(renderable, **kwargs)

    def capture(self) -> AbstractContextManager[Capture]:
        return self.console().capture()
