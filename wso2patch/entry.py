"""The console entry point (and `python -m wso2patch`); it ends the process.

`wso2patch --version` (or -V) alone is answered here, before the command line is built: importing typer, click and
the command tree costs more than starting Python with lxml, and printing the version needs none of it. The common
commands, well formed, are parsed without typer (wso2patch.fastcli). Every other command line, --help and usage
errors included, goes to wso2patch.cli unchanged.

Once the command has returned its exit code and its output is flushed, the process leaves without tearing the
interpreter down (freeing every module and parsed document took about a sixth of a one-node diff): the last
atexit handler calls os._exit. Handlers registered after it still run before it; if flushing fails (a closed
pipe), it steps aside and the interpreter's own exit reports that as it always did. The cyclic garbage collector is
off: nothing a command creates needs it to be freed before the process ends.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

from wso2patch import __version__

VERSION_ARGS = (["--version"], ["-V"])
_exit_code: list[int] = []  # set once the command has finished with an exit code


def main() -> None:
    if sys.argv[1:] in VERSION_ARGS:
        print(f"wso2patch {__version__}")  # what wso2patch.cli prints for --version, byte for byte
        sys.exit(0)
    # One short run: its objects are freed by reference counting (a parsed document, a plan), or live to the end
    # (modules, classes). The cyclic collector scanned them some 50 times a diff for nothing: off for this process.
    gc.disable()
    atexit.register(_leave)  # first registered, so it runs last
    from wso2patch import interrupt

    interrupt.install()  # before the slow imports: a signal while they run is noted, acted on at the first safe point
    from wso2patch import fastcli

    parsed = fastcli.parse(sys.argv[1:])
    try:
        if parsed is not None:
            fastcli.main(*parsed)
        from wso2patch.cli import main as cli_main

        cli_main()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            _exit_code.append(done.code or 0)
        raise


def _leave() -> None:
    if not _exit_code:
        return  # no exit code of ours (an uncaught error, say): the usual exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # whatever it is, the interpreter's own exit reports it as before
        return
    os._exit(_exit_code[0])
