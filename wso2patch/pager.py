"""The interactive apply's diff through a pager when it does not fit the terminal, as git shows a long log."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping

ROOM = 2  # lines kept for the question below the diff


def terminal_rows(fd: int) -> int:
    """The terminal's height, or 0 when it does not say (not a terminal, or a pseudo-terminal with no size set)."""
    try:
        return os.get_terminal_size(fd).lines
    except OSError:
        return 0


def pager_command(environ: Mapping[str, str], *, rows: int, lines: int,
                  which: Callable[[str], str | None] = shutil.which) -> str | None:
    """The shell command to page `lines` lines through on a terminal of `rows` rows, or None to print them: None
    when they fit with room for the question, when the terminal does not say its height (rows 0), or when PAGER is
    empty or 'cat'. PAGER when set (run by the shell, as git and man do), else 'less -R' (colours), else 'more'."""
    if rows <= 0 or lines <= rows - ROOM:
        return None
    pager = environ.get("PAGER")
    if pager is not None:
        return None if pager.strip() in ("", "cat") else pager
    if which("less"):
        return "less -R"
    return "more" if which("more") else None


def page(command: str, text: str) -> None:
    """Show the text through the pager; the pager's exit (q before the end) is no error."""
    # PAGER is a shell command line (git and man run it so too)
    subprocess.run(command, shell=True, input=text.encode("utf-8", "replace"), check=False)
