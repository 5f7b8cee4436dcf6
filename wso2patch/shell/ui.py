"""The commands' Ui over this terminal: --yes, --json and --quiet decide what is shown and whether to ask."""

from __future__ import annotations

import os
import signal
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from wso2patch import interrupt
from wso2patch.errors import RefusedError, SignalError

if TYPE_CHECKING:
    from wso2patch.commands import Block, Progress, Result
    from wso2patch.report import Report


class TerminalUi:
    def __init__(self, report: Report, yes: bool, *, pager: bool = False) -> None:
        self.report, self.yes, self.pager = report, yes, pager

    def confirm(self, preview: Result, question: str, review: str) -> None:
        self.show(preview)
        confirm(self.report, self.yes, question, review)

    def show(self, preview: Result) -> None:
        from wso2patch import render
        from wso2patch.commands import Line

        if not self.report.json_mode:  # warnings even with --quiet: a problem to see before answering
            render.show(self.report, [Line(f"warning: {w}", "yellow", stderr=True) for w in preview.warnings])
        if self.pager and self.asks() and self.report.out.is_terminal:
            paged(self.report, preview.human())
        elif not self.report.json_mode and (not self.report.quiet or self.asks()):
            render.show(self.report, preview.human())

    def asks(self) -> bool:
        return asks(self.yes, self.report.json_mode)

    def progress(self) -> AbstractContextManager[Progress]:
        return self.report.progress()


def paged(report: Report, blocks: list[Block]) -> None:
    """What is asked about, through a pager when it does not fit the terminal (pager.py)."""
    from wso2patch import pager, render

    with report.out.capture() as captured:
        render.show(report, blocks)
    text = captured.get()
    command = pager.pager_command(os.environ, rows=pager.terminal_rows(sys.stdout.fileno()),
                                  lines=text.count("\n"))
    if command is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        pager.page(command, text)


def asks(yes: bool, json_: bool) -> bool:
    """Whether a command that writes will ask first: then --quiet still shows what it asks about."""
    return not yes and not json_ and sys.stdin.isatty()


def confirm(report: Report, yes: bool, question: str, review: str) -> None:
    if yes:
        return
    if report.json_mode or not sys.stdin.isatty():
        raise RefusedError("not confirmed: no terminal to ask and no --yes given; nothing was written",
                           hint=f"{review}, then rerun with --yes")
    import typer  # only to ask on a terminal, as before

    try:
        with interrupt.interruptible():
            answer = typer.confirm(question)
    except (typer.Abort, interrupt.Interrupt) as e:  # click turns end of input (and Ctrl-C) into Abort
        print(file=sys.stderr)  # the error line starts on a line of its own, not after the question
        if isinstance(e, interrupt.Interrupt):
            raise
        raise SignalError("interrupted; nothing was written", signum=signal.SIGINT) from None
    if not answer:
        raise RefusedError("not confirmed; nothing was written")
