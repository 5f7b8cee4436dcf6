"""Run a command: call it, render its result, and turn every error into one line and its exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from wso2patch import interrupt
from wso2patch.errors import ConfigError, ExitCode, InternalError, SignalError, UsageError, WriteError, Wso2PatchError

if TYPE_CHECKING:
    from wso2patch.commands import Result
    from wso2patch.report import Report
    from wso2patch.spec import Spec

CONSOLE = [False]  # set by main(): running as the console script, not in-process (tests)


class Usage(Exception):
    """A usage error (exit 2, one line naming the option): the parser prints it as its own (cli.py, fastcli.py)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def report(command: str, json_: bool, *, reveal: bool = False, quiet: bool = False) -> Report:
    from wso2patch.report import Report

    return Report(command, json_, reveal=reveal, quiet=quiet)


def call(rep: Report, command: Callable[[], Result], *, writes: bool = False, done: Sequence[object] = ()) -> int:
    """The options are parsed: call the command, render its result, return its exit code (or an error's). `done`:
    the nodes a command settled before an error ended it, for the error document."""

    def body() -> int:
        from wso2patch import render

        try:
            result = command()
        except UsageError as e:  # one the core found: a usage error here too (exit 2, one line)
            raise Usage(str(e), e.option) from None
        except BaseException:
            rep.nodes = [render.plain(n, rep.clean, rep.clean_diff) for n in done]
            raise
        return render.emit(rep, result, quiet=rep.quiet)

    return run(rep, body, writes=writes)


def run(rep: Report, body: Callable[[], int], *, writes: bool = False) -> int:
    """Run a command body; every error becomes one line and its documented exit code. A command that `writes`
    turns SIGINT, SIGTERM and SIGHUP into one line too, after finishing or undoing its transaction (interrupt.py)."""
    try:
        with interrupt.handled() if writes else interrupt.defaults():
            interrupt.check()  # a signal while the command loaded: nothing was written
            code = body()
    except Wso2PatchError as e:
        code = rep.error(e)
    except interrupt.Interrupt as sig:  # at a safe point outside a transaction: nothing was being written
        code = rep.error(SignalError(interrupt.line(sig, interrupt.completed()), signum=sig.signum))
    except KeyboardInterrupt:
        print("wso2patch: interrupted", file=sys.stderr)
        code = 130
    except Usage:
        raise  # a usage error found inside a command is still exit 2, one line (the parser's main)
    except BrokenPipeError:  # the reader left (| head, a pager quit): stop quietly, as git log | head does
        code = reader_gone()
    except OSError as e:  # the machine, not a bug (the writes themselves are handled in critical sections)
        kind = WriteError if writes else ConfigError
        code = rep.error(kind(f"{e.strerror or e}", where=e.filename,
                              hint="nothing was changed; fix the cause and rerun"))
    except Exception as e:  # a bug: still one line, never a traceback (WSO2PATCH_DEBUG=1 shows it)
        if os.environ.get("WSO2PATCH_DEBUG"):
            raise
        code = rep.error(InternalError(f"{type(e).__name__}: {e}", hint="please report this"))
    if CONSOLE[0]:  # everything is printed: a signal in the last instants of exit changes nothing
        interrupt.ignore_from_now()
    return code


def reader_gone() -> int:
    """stdout's reader has gone: say nothing (there is no one to tell), point stdout at /dev/null so that the final
    flush cannot fail again, and exit 141 as a process that SIGPIPE ended (whatever was written stays written)."""
    if CONSOLE[0]:
        with suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return ExitCode.PIPE


def load(spec: Path | None) -> Spec:
    from wso2patch.spec import find_spec, load_spec
    from wso2patch.workflow_files import use_spec

    # masking is by position (wso2patch.secrets): the spec's password needs no registering
    s = load_spec(find_spec(spec))
    use_spec(s)  # the files its site patches write may be in a home's journal
    return s


def fail(command: str | None, kind: str, label: str, message: str, code: int) -> int:
    """A usage or click error: one line on stderr, and with --json one error document on stdout."""
    args = sys.argv[1:]
    if "--json" in (args[:args.index("--")] if "--" in args else args):
        from wso2patch.render import error_document

        print(error_document(command, kind, message, code))
    print(f"wso2patch: {label}: {message}", file=sys.stderr)
    return code
