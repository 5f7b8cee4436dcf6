"""Run the typer app as the console script does: click's errors (usage errors included) become the project's one
line and exit code (2 for usage), Ctrl-C at a prompt exit 130. Imported by cli.py only: it needs typer."""

from __future__ import annotations

import sys
from typing import Any

import typer

from wso2patch import interrupt
from wso2patch.errors import ExitCode
from wso2patch.shell.run import CONSOLE, fail

# typer <0.20 re-exports click's exceptions, newer typer vendors click: find them through BadParameter.
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def command_of(ctx: Any) -> str | None:
    """The subcommand a click context belongs to ("db sql"), or None for the program itself."""
    path = str(getattr(ctx, "command_path", "") or "").split()[1:]
    return " ".join(path) or None


def run(app: typer.Typer) -> None:
    """Parse sys.argv with `app`, run the command, exit with its code."""
    interrupt.install()  # first: a signal while the command line is parsed and the command loads is noted too
    CONSOLE[0] = True
    code: Any
    try:
        code = app(args=sys.argv[1:] or ["--help"], prog_name="wso2patch", standalone_mode=False)
    except _CLICK_ERROR as e:  # a UsageError is one: its line says where the help is
        command, message = command_of(getattr(e, "ctx", None)), getattr(e, "format_message", e.__str__)()
        where = " ".join(filter(None, ("wso2patch", command)))
        if not isinstance(e, _USAGE_ERROR):
            code = fail(command, type(e).__name__, "error", message, getattr(e, "exit_code", 1))
        else:  # no message: a group called without its subcommand, whose help click has printed already
            code = fail(command, "UsageError", "usage error", f"{message}; see '{where} --help'", ExitCode.USAGE) \
                if message else ExitCode.USAGE
    except typer.Abort:
        print("wso2patch: error: interrupted; nothing was written", file=sys.stderr)
        code = 130
    interrupt.ignore_from_now()
    sys.exit(code if isinstance(code, int) else 0)
