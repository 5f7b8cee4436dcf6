"""The common command lines without typer: diff, apply, status, check, patches, history, rollback, recover with
options that are all well formed. Importing typer and click and building the command tree costs more than the
floor (`python -c "import lxml.etree"`) that these commands are measured against (bench/).

`parse` accepts only what click would parse the same way: known options of the command, each value-taking option
once, with a value that does not start with "-" (click would take it as the value; a user likely meant an option),
--node a plain number. Anything else (--help, -h, a usage error, an unknown option, a positional argument, "--",
shell completion) returns None and goes to cli.py, which prints its help and its errors. A usage error found once
parsed (options that need each other) is printed as cli.py prints it. tests/test_fastcli.py runs both parsers on
a table of command lines and compares what they pass to the shell, and what the process prints and exits with.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

FLAG, INT, PATH, STR, PATHS = "flag", "int", "path", "str", "paths"
Options = dict[str, tuple[str, str]]  # option -> (parameter of the shell function, kind)

_SPEC: Options = {"--spec": ("spec", PATH)}
_JSON_QUIET: Options = {"--json": ("json_", FLAG), "--quiet": ("quiet", FLAG), "-q": ("quiet", FLAG)}
_TARGET: Options = {"--home": ("home", PATH), "--node": ("node", INT), **_SPEC, **_JSON_QUIET}
_PLAN: Options = {"--node": ("node", INT), "--home": ("home", PATH), **_SPEC, **_JSON_QUIET,
                  "--jdbc-driver": ("jdbc_driver", PATH), "--show-secrets": ("show_secrets", FLAG),
                  "--reassign": ("reassign", FLAG)}
_YES: Options = {"--yes": ("yes", FLAG), "-y": ("yes", FLAG)}

# cli.py's options of each command, as the shell function (shell/commands.py) names its parameters
COMMANDS: dict[str, Options] = {
    "diff": _PLAN,
    "apply": {**_PLAN, **_YES, "--all": ("all_nodes", FLAG), "--no-pager": ("no_pager", FLAG)},
    "status": _TARGET,
    "history": _TARGET,
    "recover": _TARGET,
    "rollback": {**_TARGET, **_YES, "--to": ("to", STR), "--force": ("force", FLAG),
                 "--show-secrets": ("show_secrets", FLAG)},
    "patches": {**_SPEC, **_JSON_QUIET, "--home": ("home", PATH), "--node": ("node", INT)},
    "check": {"--db": ("db", FLAG), "--planned": ("planned", FLAG), "--node": ("node", INT),
              "--home": ("homes", PATHS), **_SPEC, **_JSON_QUIET, "--show-secrets": ("show_secrets", FLAG)},
}


def parse(argv: list[str]) -> tuple[str, dict[str, Any]] | None:
    """(command, the shell function's keyword arguments), or None: let cli.py parse it."""
    if not argv or argv[0] not in COMMANDS or "_WSO2PATCH_COMPLETE" in os.environ:
        return None
    options = COMMANDS[argv[0]]
    values: dict[str, Any] = {name: False if kind == FLAG else None for name, kind in options.values()}
    seen: set[str] = set()
    args = iter(argv[1:])
    for arg in args:
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in options:
            return None
        param, kind = options[name]
        if kind == FLAG:
            if eq:
                return None
            values[param] = True
            continue
        value = inline if eq else next(args, None)
        if value is None or value == "" or value.startswith("-") or (param in seen and kind != PATHS):
            return None
        seen.add(param)
        if kind == INT:
            if not (value.isascii() and value.isdigit()):
                return None
            values[param] = int(value)
        elif kind == PATHS:
            values[param] = [*(values[param] or []), Path(value)]
        else:
            values[param] = Path(value) if kind == PATH else value
    return argv[0], values


def main(command: str, values: dict[str, Any]) -> NoReturn:
    """Run a parsed command line as cli.main runs it: same output, same exit code."""
    from wso2patch import interrupt
    from wso2patch.errors import ExitCode
    from wso2patch.shell import commands
    from wso2patch.shell.run import CONSOLE, Usage, fail

    interrupt.install()
    CONSOLE[0] = True
    run: Callable[..., int] = getattr(commands, command)
    try:
        code = run(**values)
    except Usage as e:  # as click prints a BadParameter with a param_hint
        code = fail(command, "UsageError", "usage error",
                    f"Invalid value for {e.hint}: {e.message}; see 'wso2patch {command} --help'", ExitCode.USAGE)
    except KeyboardInterrupt:  # typer: exit 130, nothing said
        code = ExitCode.INTERRUPTED
    except EOFError:  # click: an empty line, then Abort
        print(file=sys.stderr)
        print("wso2patch: error: interrupted; nothing was written", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    interrupt.ignore_from_now()
    sys.exit(code)
