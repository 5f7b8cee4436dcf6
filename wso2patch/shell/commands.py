"""Each command of the command line once its options are parsed (by cli.py or fastcli.py): check what the parser
cannot (options that need each other), call the command function, return the exit code. A usage error is raised
as run.Usage for the parser to print as its own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from wso2patch.shell import ui
from wso2patch.shell.run import Usage, call, load, report

if TYPE_CHECKING:
    from wso2patch.commands import Result
    from wso2patch.commands.nodes import NodeOutcome

NEED_TARGET = ("give --home DIR or --node ID", "--home / --node")


def init(path: Path, *, force: bool, json_: bool, quiet: bool) -> int:
    from wso2patch.commands.init import init as run

    return call(report("init", json_, quiet=quiet), lambda: run(path, force=force))


def patches(*, spec: Path | None, home: Path | None = None, node: int | None = None, json_: bool, quiet: bool) -> int:
    from wso2patch.commands.patches import patches as run
    from wso2patch.spec import find_spec

    rep = report("patches", json_, quiet=quiet)
    found = spec is not None or find_spec(None).is_file()  # a spec given or found: its site patches too
    return call(rep, lambda: run(load(spec) if found else None, home=home, node=node))


def diff(*, node: int | None, home: Path | None, spec: Path | None, json_: bool, jdbc_driver: Path | None,
         show_secrets: bool, quiet: bool, reassign: bool) -> int:
    from wso2patch.commands.diff import diff as run

    rep = report("diff", json_, reveal=show_secrets, quiet=quiet)
    if home is not None and node is None:
        raise Usage("--home needs --node (which node's values to use)", "--home")
    return call(rep, lambda: run(load(spec), node=node, home=home, jdbc_driver=jdbc_driver, reassign=reassign))


def apply(*, node: int | None, all_nodes: bool, home: Path | None, spec: Path | None, yes: bool, json_: bool,
          jdbc_driver: Path | None, show_secrets: bool, quiet: bool, no_pager: bool, reassign: bool) -> int:
    from wso2patch.commands.apply import apply as run

    rep = report("apply", json_, reveal=show_secrets, quiet=quiet and not ui.asks(yes, json_))
    if (node is None) == (not all_nodes):
        raise Usage("give --node ID or --all", "--node / --all")
    if all_nodes and home is not None:
        raise Usage("--all takes every node's home from the spec", "--home")
    done: list[NodeOutcome] = []

    def command() -> Result:
        result = run(load(spec), ui.TerminalUi(rep, yes, pager=not no_pager), node=node, home=home, yes=yes,
                     jdbc_driver=jdbc_driver, done=done, reassign=reassign)
        return result if rep.json_mode else replace(result, warnings=[])  # shown before each question

    return call(rep, command, writes=True, done=done)


def _target(home: Path | None, node: int | None, spec: Path | None) -> Path:
    from wso2patch.workflow import home_for
    from wso2patch.workflow_files import use_spec

    if home is not None:  # the journal may name files the site patches of --spec (or ./wso2patch.toml) wrote
        use_spec(load(spec) if spec is not None else None)
        return home
    if node is None:
        raise Usage(*NEED_TARGET)
    return home_for(load(spec), node, None)


def rollback(*, home: Path | None, node: int | None, spec: Path | None, yes: bool, to: str | None, force: bool,
             json_: bool, show_secrets: bool, quiet: bool) -> int:
    from wso2patch.commands.rollback import rollback as run

    rep = report("rollback", json_, reveal=show_secrets, quiet=quiet and not ui.asks(yes, json_))
    if home is None and node is None:
        raise Usage(*NEED_TARGET)
    return call(rep, lambda: run(_target(home, node, spec), ui.TerminalUi(rep, yes), to=to, force=force),
                writes=True)


def recover(*, home: Path | None, node: int | None, spec: Path | None, json_: bool, quiet: bool) -> int:
    from wso2patch.commands.rollback import recover as run

    rep = report("recover", json_, quiet=quiet)
    if home is None and node is None:
        raise Usage(*NEED_TARGET)
    return call(rep, lambda: run(_target(home, node, spec)), writes=True)


def history(*, home: Path | None, node: int | None, spec: Path | None, json_: bool, quiet: bool) -> int:
    from wso2patch.commands.history import history as run

    rep = report("history", json_, quiet=quiet)
    if home is None and node is None:
        raise Usage(*NEED_TARGET)
    return call(rep, lambda: run(_target(home, node, spec)))


def status(*, home: Path | None, node: int | None, spec: Path | None, json_: bool, quiet: bool) -> int:
    from wso2patch.commands.status import status as run

    return call(report("status", json_, quiet=quiet), lambda: run(load(spec), node=node, home=home))


def db_sql(*, spec: Path | None, home: Path | None, server: str, show_secrets: bool, json_: bool,
           quiet: bool) -> int:
    from wso2patch.commands.db import sql  # the db modules load only for the db commands
    from wso2patch.dbplan import FLAVOURS

    rep = report("db sql", json_, reveal=show_secrets, quiet=quiet)
    flavour = next((f for f in FLAVOURS if f == server), None)
    if flavour is None:
        raise Usage(f"{server!r} is not one of {', '.join(FLAVOURS)}", "--server")
    return call(rep, lambda: sql(load(spec), home=home, flavour=flavour, show_secrets=show_secrets))


def db_init(*, spec: Path | None, home: Path | None, admin_user: str, admin_password_env: str | None, yes: bool,
            json_: bool, quiet: bool) -> int:
    from wso2patch.commands.db import provision

    rep = report("db init", json_, quiet=quiet)
    return call(rep, lambda: provision(load(spec), ui.TerminalUi(rep, yes), home=home, admin_user=admin_user,
                                       admin_password_env=admin_password_env))


def check(*, db: bool, planned: bool, node: int | None, homes: list[Path] | None, spec: Path | None, json_: bool,
          show_secrets: bool, quiet: bool) -> int:
    from wso2patch.commands.check import check as run
    from wso2patch.commands.check import wants_spec

    rep = report("check", json_, reveal=show_secrets, quiet=quiet)
    first = homes[0] if homes else None
    return call(rep, lambda: run(load(spec) if wants_spec(spec, first) else None, node=node, home=homes,
                                 planned=planned, db=db))


def compare(home_a: Path, home_b: Path, *, json_: bool, quiet: bool) -> int:
    from wso2patch.commands.compare import compare as run

    return call(report("compare", json_, quiet=quiet), lambda: run(home_a, home_b))
