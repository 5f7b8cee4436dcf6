"""The commands themselves: one plain function per command, typed arguments in, a Result out.

A command never prints and never exits; it raises the errors of wso2patch.errors. Its Result holds everything a
renderer needs as typed fields (node ids and counts as ints, lists as lists, paths as Paths), owns the exit code
(as black's Report does), and describes itself for humans as Blocks (lines and tables, with a style name each),
which render.py draws with rich on a terminal and as plain text otherwise, or turns into the JSON document.
A command that asks before it writes takes a Ui: it shows a preview Result and asks, or raises RefusedError.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from wso2patch.errors import ExitCode

Progress = Callable[[str, int, int], None]  # (label, done, total)


@dataclass(frozen=True)
class Line:
    text: str
    style: str = ""
    stderr: bool = False


@dataclass(frozen=True)
class Table:
    """Aligned columns, never wrapped (greppable): a bold title and header, then one style per row."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    styles: Sequence[str]


@dataclass(frozen=True)
class Raw:
    """Text printed exactly as it is (SQL)."""

    text: str


@dataclass(frozen=True)
class Diff:
    """A unified diff: coloured by line on a terminal, plain otherwise."""

    text: str


Block = Line | Table | Raw | Diff
OMIT_NONE = {"omit_none": True}  # field metadata: the JSON document leaves the key out rather than print null
A_DIFF = {"diff": True}  # field metadata: a unified diff, masked as one (side by side) in the JSON document


@dataclass(kw_only=True)
class Result(ABC):
    """What a command found or did. The JSON document is {schema, command, status, exit_code, warnings} plus
    this object's own fields (render.document)."""

    command: ClassVar[str]
    status: str
    exit_code: ExitCode = ExitCode.OK
    warnings: list[str] = field(default_factory=list)

    @abstractmethod
    def human(self) -> list[Block]:
        """The human output, warnings apart (the renderer prints those)."""

    def failures(self) -> list[Block]:
        """What --quiet still prints of the human output: the parts that say something failed."""
        return []


class Ui(Protocol):
    """How a command asks before writing (cli.py implements it over the terminal, --yes and --json)."""

    def confirm(self, preview: Result, question: str, review: str) -> None:
        """Show the preview (its warnings even when quiet), then ask; raise RefusedError when not confirmed."""

    def asks(self) -> bool:
        """Whether confirm would ask someone; else it answers at once (--yes) or refuses (no terminal, --json)."""

    def show(self, preview: Result) -> None:
        """Show what a refusal is about (a rollback's hand edits), as confirm would before asking."""

    def progress(self) -> AbstractContextManager[Progress]: ...
