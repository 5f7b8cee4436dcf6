"""The command line: parse options, call the command (wso2patch.commands), render its result (render.py), map errors
to exit codes. diff and apply still print through report.Report as they go."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from wso2patch import __version__, interrupt
from wso2patch.errors import (
    ConfigError,
    ExitCode,
    InternalError,
    RefusedError,
    SignalError,
    UsageError,
    WriteError,
    Wso2PatchError,
)

if TYPE_CHECKING:  # the core loads inside each command, so that start-up pays only for what it runs
    from wso2patch.commands import Block, Progress, Result
    from wso2patch.report import Report
    from wso2patch.spec import Spec

# typer <0.20 re-exports click's exceptions, newer typer vendors click: find them through BadParameter.
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

_CONSOLE = False  # set by main(): running as the console script, not in-process (tests)

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Cluster WSO2 Carbon 4.4.x / MB homes from one spec: byte-careful, idempotent XML patches.")

SpecOpt = Annotated[Path | None, typer.Option("--spec", help="cluster spec [default: $WSO2PATCH_SPEC or "
                                              "./wso2patch.toml]", show_default=False)]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="product home [default: the node's home in the spec]",
                                              show_default=False)]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="write without asking")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one machine-readable JSON document")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="print nothing but warnings and errors: the exit code "
                                        "tells the outcome (a question asked on a terminal still shows what it "
                                        "asks about; no effect on --json)")]
SecretsOpt = Annotated[bool, typer.Option("--show-secrets", help="print passwords instead of ********")]
DriverOpt = Annotated[Path | None, typer.Option("--jdbc-driver", help="a MySQL Connector/J jar to copy into "
                                                "repository/components/lib", show_default=False)]
NodeOpt = Annotated[int | None, typer.Option("--node", help="node id in the spec", show_default=False)]
ReassignOpt = Annotated[bool, typer.Option("--reassign", help="patch a home last patched as another node, retiring "
                                           "what that node added (its REGISTRY_LOCAL<id>)")]


def _report(command: str, json_: bool, *, reveal: bool = False, quiet: bool = False) -> Report:
    from wso2patch.report import Report

    return Report(command, json_, reveal=reveal, quiet=quiet)


def _call(report: Report, command: Callable[[], Result], *, writes: bool = False,
          done: Sequence[object] = ()) -> NoReturn:
    """The options are parsed: call the command, render its result, exit with its code (or an error's). `done`: the
    nodes a command settled before an error ended it, for the error document."""

    def body() -> int:
        from wso2patch import render

        try:
            result = command()
        except UsageError as e:  # one the core found: a usage error here too (exit 2, one line)
            raise typer.BadParameter(str(e), param_hint=e.option) from None
        except BaseException:
            report.nodes = [render.plain(n, report.clean, report.clean_diff) for n in done]
            raise
        return render.emit(report, result, quiet=report.quiet)

    _run(report, body, writes=writes)


class _Ui:
    """The commands' Ui over this terminal: --yes, --json and --quiet decide what is shown and whether to ask."""

    def __init__(self, report: Report, yes: bool, *, pager: bool = False) -> None:
        self.report, self.yes, self.pager = report, yes, pager

    def confirm(self, preview: Result, question: str, review: str) -> None:
        self.show(preview)
        _confirm(self.report, self.yes, question, review)

    def show(self, preview: Result) -> None:
        from wso2patch import render
        from wso2patch.commands import Line

        if not self.report.json_mode:  # warnings even with --quiet: a problem to see before answering
            render.show(self.report, [Line(f"warning: {w}", "yellow", stderr=True) for w in preview.warnings])
        if self.pager and self.asks() and self.report.out.is_terminal:
            _paged(self.report, preview.human())
        elif not self.report.json_mode and (not self.report.quiet or self.asks()):
            render.show(self.report, preview.human())

    def asks(self) -> bool:
        return _asks(self.yes, self.report.json_mode)

    def progress(self) -> AbstractContextManager[Progress]:
        return self.report.progress()


def _paged(report: Report, blocks: list[Block]) -> None:
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


def _run(report: Report, body: Callable[[], int], *, writes: bool = False) -> NoReturn:
    """Run a command body; every error becomes one line and its documented exit code. A command that `writes`
    turns SIGINT, SIGTERM and SIGHUP into one line too, after finishing or undoing its transaction (interrupt.py)."""
    try:
        with interrupt.handled() if writes else interrupt.defaults():
            interrupt.check()  # a signal while the command loaded: nothing was written
            code = body()
    except Wso2PatchError as e:
        code = report.error(e)
    except interrupt.Interrupt as sig:  # at a safe point outside a transaction: nothing was being written
        code = report.error(SignalError(interrupt.line(sig, interrupt.completed()), signum=sig.signum))
    except KeyboardInterrupt:
        print("wso2patch: interrupted", file=sys.stderr)
        code = 130
    except _USAGE_ERROR:
        raise  # a usage error found inside a command is still exit 2, one line (main)
    except BrokenPipeError:  # the reader left (| head, a pager quit): stop quietly, as git log | head does
        code = _reader_gone()
    except OSError as e:  # the machine, not a bug (the writes themselves are handled in critical sections)
        kind = WriteError if writes else ConfigError
        code = report.error(kind(f"{e.strerror or e}", where=e.filename,
                                 hint="nothing was changed; fix the cause and rerun"))
    except Exception as e:  # a bug: still one line, never a traceback (WSO2PATCH_DEBUG=1 shows it)
        if os.environ.get("WSO2PATCH_DEBUG"):
            raise
        code = report.error(InternalError(f"{type(e).__name__}: {e}", hint="please report this"))
    if _CONSOLE:  # everything is printed: a signal in the last instants of exit changes nothing
        interrupt.ignore_from_now()
    raise typer.Exit(code)


def _reader_gone() -> int:
    """stdout's reader has gone: say nothing (there is no one to tell), point stdout at /dev/null so that the final
    flush cannot fail again, and exit 141 as a process that SIGPIPE ended (whatever was written stays written)."""
    if _CONSOLE:
        with suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return ExitCode.PIPE


def _load(report: Report, spec: Path | None) -> Spec:
    from wso2patch.spec import find_spec, load_spec
    from wso2patch.workflow import use_spec

    del report  # masking is by position (wso2patch.secrets): the spec's password needs no registering
    s = load_spec(find_spec(spec))
    use_spec(s)  # the files its site patches write may be in a home's journal
    return s


def _asks(yes: bool, json_: bool) -> bool:
    """Whether a command that writes will ask first: then --quiet still shows what it asks about."""
    return not yes and not json_ and sys.stdin.isatty()


def _confirm(report: Report, yes: bool, question: str, review: str) -> None:
    if yes:
        return
    if report.json_mode or not sys.stdin.isatty():
        raise RefusedError("not confirmed: no terminal to ask and no --yes given; nothing was written",
                           hint=f"{review}, then rerun with --yes")
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


def _version(value: bool) -> None:
    if value:
        print(f"wso2patch {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """Typical use: wso2patch diff; wso2patch apply --node 2; wso2patch rollback --node 2."""


@app.command()
def init(path: Annotated[Path, typer.Argument(help="where to write the spec")] = Path("wso2patch.toml"),
         force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
         json_: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Write a commented starter spec (two nodes on one host, one MySQL server)."""
    from wso2patch.commands.init import init as run

    report = _report("init", json_, quiet=quiet)
    _call(report, lambda: run(path, force=force))


@app.command()
def patches(spec: SpecOpt = None, json_: JsonOpt = False, quiet: QuietOpt = False,
            home: Annotated[Path | None, typer.Option("--home", help="list only the patches for the product (and the "
                                                      "spec's profile) this home holds", show_default=False)] = None,
            node: Annotated[int | None, typer.Option("--node", help="the patches for this node's home and profile",
                                                     show_default=False)] = None) -> None:
    """List the patch set, one line per patch, with where each comes from (the spec's [patches] included)."""
    from wso2patch.commands.patches import patches as run
    from wso2patch.spec import find_spec

    report = _report("patches", json_, quiet=quiet)
    found = spec is not None or find_spec(None).is_file()  # a spec given or found: its site patches too
    _call(report, lambda: run(_load(report, spec) if found else None, home=home, node=node))


@app.command()
def diff(node: Annotated[int | None, typer.Option("--node", help="node id [default: every node of the spec; those "
                                                  "whose home is not here are listed]", show_default=False)] = None,
         home: HomeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False, jdbc_driver: DriverOpt = None,
         show_secrets: SecretsOpt = False, quiet: QuietOpt = False, reassign: ReassignOpt = False) -> None:
    """Dry run: show exactly the bytes apply would write (several nodes: each diff under a '# node N (home)' line).
    Exit 0 when nothing would change, 1 when changes are pending."""
    from wso2patch.commands.diff import diff as run

    report = _report("diff", json_, reveal=show_secrets, quiet=quiet)
    if home is not None and node is None:
        raise typer.BadParameter("--home needs --node (which node's values to use)", param_hint="--home")
    _call(report, lambda: run(_load(report, spec), node=node, home=home, jdbc_driver=jdbc_driver, reassign=reassign))


@app.command()
def apply(node: NodeOpt = None,
          all_nodes: Annotated[bool, typer.Option("--all", help="every node of the spec whose home is on this "
                                                  "machine, one transaction each; goes on past a node that fails "
                                                  "and exits with the first failure's code")] = False,
          home: HomeOpt = None, spec: SpecOpt = None, yes: YesOpt = False, json_: JsonOpt = False,
          jdbc_driver: DriverOpt = None, show_secrets: SecretsOpt = False, quiet: QuietOpt = False,
          no_pager: Annotated[bool, typer.Option("--no-pager", help="print the diff before the question even when "
                                                 "it does not fit the terminal [default: through $PAGER, else less "
                                                 "-R]")] = False, reassign: ReassignOpt = False) -> None:
    """Patch a node's home (or --all): show the diff, ask (or --yes), back up, write atomically."""
    from wso2patch.commands.apply import apply as run
    from wso2patch.commands.nodes import NodeOutcome

    report = _report("apply", json_, reveal=show_secrets, quiet=quiet and not _asks(yes, json_))
    if (node is None) == (not all_nodes):
        raise typer.BadParameter("give --node ID or --all", param_hint="--node / --all")
    if all_nodes and home is not None:
        raise typer.BadParameter("--all takes every node's home from the spec", param_hint="--home")
    done: list[NodeOutcome] = []

    def command() -> Result:
        ui = _Ui(report, yes, pager=not no_pager)
        result = run(_load(report, spec), ui, node=node, home=home, yes=yes, jdbc_driver=jdbc_driver, done=done,
                     reassign=reassign)
        return result if report.json_mode else replace(result, warnings=[])  # shown before each question

    _call(report, command, writes=True, done=done)


def _target(report: Report, home: Path | None, node: int | None, spec: Path | None) -> Path:
    from wso2patch.workflow import home_for, use_spec

    if home is not None:  # the journal may name files the site patches of --spec (or ./wso2patch.toml) wrote
        use_spec(_load(report, spec) if spec is not None else None)
        return home
    if node is None:
        raise typer.BadParameter("give --home DIR or --node ID", param_hint="--home / --node")
    return home_for(_load(report, spec), node, None)


@app.command()
def rollback(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, yes: YesOpt = False,
             to: Annotated[str | None, typer.Option("--to", help="undo every apply back to and including this "
                                                    "transaction id (see 'wso2patch history')",
                                                    show_default=False)] = None,
             force: Annotated[bool, typer.Option("--force", help="overwrite files edited by hand since the "
                                                 "apply (their edited versions are kept in the backups)")] = False,
             json_: JsonOpt = False, show_secrets: SecretsOpt = False, quiet: QuietOpt = False) -> None:
    """Restore the files of the last apply that changed something in a home (or of every apply back to --to),
    byte for byte."""
    from wso2patch.commands.rollback import rollback as run

    report = _report("rollback", json_, reveal=show_secrets, quiet=quiet and not _asks(yes, json_))
    if home is None and node is None:
        raise typer.BadParameter("give --home DIR or --node ID", param_hint="--home / --node")
    _call(report, lambda: run(_target(report, home, node, spec), _Ui(report, yes), to=to, force=force), writes=True)


@app.command()
def recover(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False,
            quiet: QuietOpt = False) -> None:
    """Finish or undo what a killed apply or rollback left, so the home is wholly before or after it."""
    from wso2patch.commands.rollback import recover as run

    report = _report("recover", json_, quiet=quiet)
    if home is None and node is None:
        raise typer.BadParameter("give --home DIR or --node ID", param_hint="--home / --node")
    _call(report, lambda: run(_target(report, home, node, spec)), writes=True)


@app.command()
def history(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False,
            quiet: QuietOpt = False) -> None:
    """List the applies and rollbacks recorded in a home, oldest first."""
    from wso2patch.commands.history import history as run

    report = _report("history", json_, quiet=quiet)
    if home is None and node is None:
        raise typer.BadParameter("give --home DIR or --node ID", param_hint="--home / --node")
    _call(report, lambda: run(_target(report, home, node, spec)))


@app.command()
def status(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False,
           quiet: QuietOpt = False) -> None:
    """Per node and patch: applied, pending, drifted (applied, then changed by hand) or not applicable; every node
    of the spec whose home is here unless --node or --home. Exit 0 when every patch is applied, 1 otherwise."""
    from wso2patch.commands.status import status as run

    report = _report("status", json_, quiet=quiet)
    _call(report, lambda: run(_load(report, spec), node=node, home=home))


db_app = typer.Typer(no_args_is_help=True, help="The cluster's MySQL databases: print the SQL, or provision them.")
app.add_typer(db_app, name="db")


@db_app.command("sql")
def db_sql(spec: SpecOpt = None, home: HomeOpt = None,
           server: Annotated[str, typer.Option("--server", help="mysql8, mysql5.7 or mariadb")] = "mysql8",
           show_secrets: SecretsOpt = False, json_: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Print the SQL that provisions the databases, the application user and the schemas (writes nothing)."""
    from wso2patch.commands.db import sql  # the db modules load only for the db commands
    from wso2patch.dbplan import FLAVOURS

    report = _report("db sql", json_, reveal=show_secrets, quiet=quiet)
    flavour = next((f for f in FLAVOURS if f == server), None)
    if flavour is None:
        raise typer.BadParameter(f"{server!r} is not one of {', '.join(FLAVOURS)}", param_hint="--server")
    _call(report, lambda: sql(_load(report, spec), home=home, flavour=flavour, show_secrets=show_secrets))


@db_app.command("init")
def db_init(spec: SpecOpt = None, home: HomeOpt = None,
            admin_user: Annotated[str, typer.Option("--admin-user", help="an account that may create databases, "
                                                    "users and grants")] = "root",
            admin_password_env: Annotated[str | None, typer.Option(
                "--admin-password-env", help="environment variable holding the admin password [default: empty "
                "password]", show_default=False)] = None,
            yes: YesOpt = False, json_: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Create what is missing on the MySQL server: databases, the application user, grants, and schemas
    (each loaded only into a database that lacks it; never drops anything)."""
    from wso2patch.commands.db import provision

    report = _report("db init", json_, quiet=quiet)
    _call(report, lambda: provision(_load(report, spec), _Ui(report, yes), home=home, admin_user=admin_user,
                                    admin_password_env=admin_password_env))


@app.command()
def check(db: Annotated[bool, typer.Option("--db", help="connect to every RDBMS datasource with the URL, user and "
                                           "password written in master-datasources.xml and run its "
                                           "validationQuery")] = False,
          planned: Annotated[bool, typer.Option("--planned", help="check the files as apply would write them "
                                                "(before anything is written)")] = False,
          node: NodeOpt = None,
          homes: Annotated[list[Path] | None, typer.Option("--home", help="product home [default: the node's home "
                                                           "in the spec]; several, without a spec: check the cluster "
                                                           "those homes form, from their files alone",
                                                           show_default=False)] = None,
          spec: SpecOpt = None, json_: JsonOpt = False, show_secrets: SecretsOpt = False,
          quiet: QuietOpt = False) -> None:
    """Check the cluster as a whole (membership, WKA members, ports, domain, host names, thrift host, databases by
    role, registry mounts, JNDI references, driver jar), and with --db every datasource against the live server.
    Exit 1 on an error."""
    from wso2patch.commands.check import check as run
    from wso2patch.commands.check import wants_spec

    report = _report("check", json_, reveal=show_secrets, quiet=quiet)
    first = homes[0] if homes else None
    _call(report, lambda: run(_load(report, spec) if wants_spec(spec, first) else None, node=node, home=homes,
                              planned=planned, db=db))


@app.command()
def compare(home_a: Annotated[Path, typer.Argument(help="one product home")],
            home_b: Annotated[Path, typer.Argument(help="the other product home")],
            json_: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Compare two homes' effective configuration: differences a cluster expects (host, port offset, member port,
    local registry database) apart from unexpected ones. Exit 1 when an unexpected difference is found."""
    from wso2patch.commands.compare import compare as run

    report = _report("compare", json_, quiet=quiet)
    _call(report, lambda: run(home_a, home_b))


def _command_of(ctx: Any) -> str | None:
    """The subcommand a click context belongs to ("db sql"), or None for the program itself."""
    path = str(getattr(ctx, "command_path", "") or "").split()[1:]
    return " ".join(path) or None


def _fail(kind: str, label: str, message: str, code: int, ctx: Any) -> int:
    """A usage or click error: one line on stderr, and with --json one error document on stdout."""
    args = sys.argv[1:]
    if "--json" in (args[:args.index("--")] if "--" in args else args):
        from wso2patch.render import error_document

        print(error_document(_command_of(ctx), kind, message, code))
    print(f"wso2patch: {label}: {message}", file=sys.stderr)
    return code


def main() -> None:
    """Console entry point: click's usage errors become one line too (exit 2)."""
    interrupt.install()  # first: a signal while the command line is parsed and the command loads is noted too
    global _CONSOLE
    _CONSOLE = True
    code: Any
    try:
        code = app(args=sys.argv[1:] or ["--help"], prog_name="wso2patch", standalone_mode=False)
    except _USAGE_ERROR as e:
        message = getattr(e, "format_message", e.__str__)()
        ctx = getattr(e, "ctx", None)
        where = " ".join(filter(None, ("wso2patch", _command_of(ctx))))
        # no message: a group called without its subcommand, whose help click has printed already
        code = _fail("UsageError", "usage error", f"{message}; see '{where} --help'", ExitCode.USAGE, ctx) \
            if message else ExitCode.USAGE
    except _CLICK_ERROR as e:
        code = _fail(type(e).__name__, "error", getattr(e, "format_message", e.__str__)(),
                     getattr(e, "exit_code", 1), getattr(e, "ctx", None))
    except typer.Abort:
        print("wso2patch: error: interrupted; nothing was written", file=sys.stderr)
        code = 130
    interrupt.ignore_from_now()
    sys.exit(code if isinstance(code, int) else 0)
