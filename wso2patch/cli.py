"""The command line with typer: declare the commands and their options (the help texts), parse them, and hand the
values to the shell (wso2patch/shell/commands.py), which calls the command, renders its result and maps errors to
exit codes. fastcli.py parses the common command lines without typer; both print the same bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from wso2patch import __version__
from wso2patch.shell import clickmain
from wso2patch.shell import commands as shell
from wso2patch.shell.run import Usage

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Cluster WSO2 Carbon 4.4.x products (MB, EI, ESB) from one spec: byte-careful patches.")

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
                                                "repository/components/lib (EI: lib)", show_default=False)]
NodeOpt = Annotated[int | None, typer.Option("--node", help="node id in the spec", show_default=False)]
ReassignOpt = Annotated[bool, typer.Option("--reassign", help="patch a home last patched as another node, retiring "
                                           "what that node added (its REGISTRY_LOCAL<id>)")]


def _exit(command: Callable[..., int], values: dict[str, Any]) -> NoReturn:
    """Call the shell's command (shell/commands.py) with the parsed values (each command's parameters, named as the
    shell names them: `locals()` at its start) and exit with its code; its usage errors are click's."""
    try:
        code = command(**values)
    except Usage as e:
        raise typer.BadParameter(e.message, param_hint=e.hint) from None
    raise typer.Exit(code)


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
    _exit(shell.init, locals())


@app.command()
def patches(spec: SpecOpt = None, json_: JsonOpt = False, quiet: QuietOpt = False,
            home: Annotated[Path | None, typer.Option("--home", help="list only the patches for the product (and the "
                                                      "spec's profile) this home holds", show_default=False)] = None,
            node: Annotated[int | None, typer.Option("--node", help="the patches for this node's home and profile",
                                                     show_default=False)] = None) -> None:
    """List the patch set, one line per patch, with where each comes from (the spec's [patches] included)."""
    _exit(shell.patches, locals())


@app.command()
def diff(node: Annotated[int | None, typer.Option("--node", help="node id [default: every node of the spec; those "
                                                  "whose home is not here are listed]", show_default=False)] = None,
         home: HomeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False, jdbc_driver: DriverOpt = None,
         show_secrets: SecretsOpt = False, quiet: QuietOpt = False, reassign: ReassignOpt = False) -> None:
    """Dry run: show exactly the bytes apply would write (several nodes: each diff under a '# node N (home)' line).
    Exit 0 when nothing would change, 1 when changes are pending."""
    _exit(shell.diff, locals())


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
    _exit(shell.apply, locals())


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
    _exit(shell.rollback, locals())


@app.command()
def recover(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False,
            quiet: QuietOpt = False) -> None:
    """Finish or undo what a killed apply or rollback left, so the home is wholly before or after it."""
    _exit(shell.recover, locals())


@app.command()
def history(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False,
            quiet: QuietOpt = False) -> None:
    """List the applies and rollbacks recorded in a home, oldest first."""
    _exit(shell.history, locals())


@app.command()
def status(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False,
           quiet: QuietOpt = False) -> None:
    """Per node and patch: applied, pending, drifted (applied, then changed by hand) or not applicable; every node
    of the spec whose home is here unless --node or --home. Exit 0 when every patch is applied, 1 otherwise."""
    _exit(shell.status, locals())


db_app = typer.Typer(no_args_is_help=True, help="The cluster's MySQL databases: print the SQL, or provision them.")
app.add_typer(db_app, name="db")


@db_app.command("sql")
def db_sql(spec: SpecOpt = None, home: HomeOpt = None,
           server: Annotated[str, typer.Option("--server", help="mysql8, mysql5.7 or mariadb")] = "mysql8",
           show_secrets: SecretsOpt = False, json_: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Print the SQL that provisions the databases, the application user and the schemas (writes nothing)."""
    _exit(shell.db_sql, locals())


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
    _exit(shell.db_init, locals())


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
    """Check the cluster as a whole (one product and profile, membership, WKA members, ports, domain, host names,
    thrift host, databases by role, registry mounts, JNDI references, driver jar, manager/worker roles) and each
    node's secure vault (aliases, cipher texts, secret-conf.properties, secrets left in clear; a lone --home gets
    these), each node read under its product's config root, and with --db every datasource against the live
    server. Exit 1 on an error."""
    _exit(shell.check, locals())


@app.command()
def compare(home_a: Annotated[Path, typer.Argument(help="one product home")],
            home_b: Annotated[Path, typer.Argument(help="the other product home")],
            json_: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """Compare two homes' effective configuration: differences a cluster expects (host, port offset, member port,
    local registry database) apart from unexpected ones. Exit 1 when an unexpected difference is found."""
    _exit(shell.compare, locals())


def main() -> None:
    """Console entry point (through entry.py): click's usage errors become one line too (exit 2)."""
    clickmain.run(app)
