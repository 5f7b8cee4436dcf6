"""The command line: parse options, call the core, render the result, map errors to exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from wso2patch import __version__
from wso2patch.errors import DatabaseError, InternalError, RefusedError, Wso2PatchError

if TYPE_CHECKING:  # the core loads inside each command, so that start-up pays only for what it runs
    from wso2patch.plan import Plan
    from wso2patch.report import Report
    from wso2patch.spec import Spec

# typer <0.20 re-exports click's exceptions, newer typer vendors click: find them through BadParameter.
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Cluster WSO2 Carbon 4.4.x / MB homes from one spec: byte-careful, idempotent XML patches.")

SpecOpt = Annotated[Path | None, typer.Option("--spec", help="cluster spec [default: $WSO2PATCH_SPEC or "
                                              "./wso2patch.toml]", show_default=False)]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="product home [default: the node's home in the spec]",
                                              show_default=False)]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="write without asking")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one machine-readable JSON document")]
SecretsOpt = Annotated[bool, typer.Option("--show-secrets", help="print passwords instead of ********")]
DriverOpt = Annotated[Path | None, typer.Option("--jdbc-driver", help="a MySQL Connector/J jar to copy into "
                                                "repository/components/lib", show_default=False)]
NodeOpt = Annotated[int | None, typer.Option("--node", help="node id in the spec", show_default=False)]


def _report(command: str, json_: bool, *, reveal: bool = False) -> Report:
    from wso2patch.report import Report

    return Report(command, json_, reveal=reveal)


def _run(report: Report, body: Callable[[], int]) -> NoReturn:
    """Run a command body; every error becomes one line and its documented exit code."""
    try:
        code = body()
    except Wso2PatchError as e:
        code = report.error(e)
    except KeyboardInterrupt:
        print("wso2patch: interrupted", file=sys.stderr)
        code = 130
    except _USAGE_ERROR:
        raise  # a usage error found inside a command is still exit 2, one line (main)
    except Exception as e:  # a bug: still one line, never a traceback (WSO2PATCH_DEBUG=1 shows it)
        if os.environ.get("WSO2PATCH_DEBUG"):
            raise
        code = report.error(InternalError(f"{type(e).__name__}: {e}", hint="please report this"))
    raise typer.Exit(code)


def _load(report: Report, spec: Path | None) -> Spec:
    from wso2patch.spec import find_spec, load_spec
    from wso2patch.workflow import use_spec

    del report  # masking is by position (wso2patch.secrets): the spec's password needs no registering
    s = load_spec(find_spec(spec))
    use_spec(s)  # the files its site patches write may be in a home's journal
    return s


def _confirm(report: Report, yes: bool, question: str, review: str) -> None:
    if yes:
        return
    if report.json_mode or not sys.stdin.isatty():
        raise RefusedError("not confirmed: no terminal to ask and no --yes given; nothing was written",
                           hint=f"{review}, then rerun with --yes")
    if not typer.confirm(question):
        raise RefusedError("not confirmed; nothing was written")


def _version(value: bool) -> None:
    if value:
        print(f"wso2patch {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """Typical use: wso2patch diff; wso2patch apply --node 2; wso2patch rollback --node 2."""


@app.command()
def init(path: Annotated[Path, typer.Argument(help="where to write the spec")] = Path("wso2patch.toml"),
         force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
         json_: JsonOpt = False) -> None:
    """Write a commented starter spec (two nodes on one host, one MySQL server)."""
    report = _report("init", json_)

    def body() -> int:
        if path.exists() and not force:
            raise RefusedError("already exists; nothing was written", where=path,
                               hint="edit it, or rerun with --force to overwrite it")
        path.write_text((Path(__file__).parent / "starter.toml").read_text(encoding="utf-8"), encoding="utf-8")
        report.say(f"wrote {path}: edit hosts, offsets, homes and the database, then run 'wso2patch diff'")
        report.status = "written"
        report.nodes.append({"spec": str(path)})
        report.emit()
        return 0

    _run(report, body)


@app.command()
def patches(spec: SpecOpt = None, json_: JsonOpt = False) -> None:
    """List the patch set, one line per patch, with where each comes from (the spec's [patches] included)."""
    from wso2patch.spec import find_spec
    from wso2patch.workflow import patch_listing

    report = _report("patches", json_)

    def body() -> int:
        s = _load(report, spec) if spec is not None or find_spec(None).is_file() else None  # its [patches]
        report.patches(patch_listing(s))
        report.emit()
        return 0

    _run(report, body)


@app.command()
def diff(node: Annotated[int | None, typer.Option("--node", help="node id [default: every node whose home "
                                                  "exists here]", show_default=False)] = None,
         home: HomeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False, jdbc_driver: DriverOpt = None,
         show_secrets: SecretsOpt = False) -> None:
    """Dry run: show exactly the bytes apply would write. Exit 0 when nothing would change, 1 when changes are
    pending."""
    from wso2patch.plan import check_home
    from wso2patch.workflow import diff_targets, plan_node, require_finished

    report = _report("diff", json_, reveal=show_secrets)
    if home is not None and node is None:
        raise typer.BadParameter("--home needs --node (which node's values to use)", param_hint="--home")

    def body() -> int:
        s = _load(report, spec)
        for node_id, node_home in diff_targets(s, node, home):
            check_home(node_home)
            require_finished(node_home)
            plan = plan_node(s, node_id, node_home, jdbc_driver=jdbc_driver)
            _warn_links(report, plan)
            report.show_diff(plan)
            names = ", ".join(f.rel for f in plan.changed)
            report.node(plan, "pending" if plan.pending else "clean")
            report.say(f"node {node_id} ({node_home}): " + (f"{len(plan.changed)} file(s) would change: {names}"
                       if plan.pending else "nothing to change"), stderr=True)
        pending = any(n["status"] == "pending" for n in report.nodes)
        report.status, report.exit_code = ("pending", 1) if pending else ("clean", 0)
        report.emit()
        return report.exit_code

    _run(report, body)


def _warn_links(report: Report, plan: Plan) -> None:
    for warning in plan.warnings:
        report.warn(f"node {plan.node} ({plan.home}): {warning}")


def _apply_one(report: Report, s: Spec, node: int, node_home: Path, yes: bool, jdbc_driver: Path | None) -> str:
    """Patch one node's home; returns "applied" or "already" (what was done is reported as it goes)."""
    from wso2patch.journal import STATE_DIR
    from wso2patch.plan import check_home
    from wso2patch.workflow import commit_plan, journal_of, plan_node, writing

    check_home(node_home)

    def already(plan: Plan) -> str:
        report.node(plan, "already")
        report.say(f"node {node} ({node_home}): already applied, nothing to write ({len(plan.files)} files "
                   "checked)", style="green")
        return "already"

    plan: Plan | None = None
    if not journal_of(node_home).unfinished():  # a first look without the lock: an apply with nothing to do
        plan = plan_node(s, node, node_home, jdbc_driver=jdbc_driver)  # writes nothing, not even a lock
        if not plan.pending:
            return already(plan)
        if not yes and (report.json_mode or not sys.stdin.isatty()):
            _warn_links(report, plan)
            report.show_diff(plan)
            _confirm(report, yes, "", "review with 'wso2patch diff'")  # refuses before taking the lock
    with writing(node_home) as recovered:
        for old in recovered:
            report.say(f"recovered interrupted transaction {old.id}: {old.state}", style="yellow")
        if plan is None or recovered:  # else the first look stands: commit refuses files changed since
            plan = plan_node(s, node, node_home, jdbc_driver=jdbc_driver)
        if not plan.pending:
            return already(plan)
        _warn_links(report, plan)
        report.show_diff(plan)
        count = len(plan.changed) + len(plan.copied)
        _confirm(report, yes, f"Write {count} file(s) in {node_home}?", "review with 'wso2patch diff'")
        tx = commit_plan(plan, s)
    report.node(plan, "applied", tx)
    report.say(f"node {node} ({node_home}): wrote {count} file(s); backups in {node_home / STATE_DIR}; "
               f"undo with: wso2patch rollback --home {node_home}", style="green")
    return "applied"


@app.command()
def apply(node: NodeOpt = None,
          all_nodes: Annotated[bool, typer.Option("--all", help="every node of the spec whose home is on this "
                                                  "machine")] = False,
          home: HomeOpt = None, spec: SpecOpt = None, yes: YesOpt = False, json_: JsonOpt = False,
          jdbc_driver: DriverOpt = None, show_secrets: SecretsOpt = False) -> None:
    """Patch a node's home (or --all): show the diff, ask (or --yes), back up, write atomically."""
    from wso2patch.workflow import diff_targets, home_for

    report = _report("apply", json_, reveal=show_secrets)
    if (node is None) == (not all_nodes):
        raise typer.BadParameter("give --node ID or --all", param_hint="--node / --all")
    if all_nodes and home is not None:
        raise typer.BadParameter("--all takes every node's home from the spec", param_hint="--home")

    def body() -> int:
        s = _load(report, spec)
        targets = diff_targets(s, None, None) if all_nodes else [(node or 0, home_for(s, node or 0, home))]
        s.node(targets[0][0])
        results = [_apply_one(report, s, node_id, node_home, yes, jdbc_driver) for node_id, node_home in targets]
        report.status = "applied" if "applied" in results else "already"
        report.emit()
        return 0

    _run(report, body)


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
             json_: JsonOpt = False, show_secrets: SecretsOpt = False) -> None:
    """Restore the files of the last apply that changed something in a home (or of every apply back to --to),
    byte for byte."""
    from wso2patch import txn
    from wso2patch.workflow import drift_diffs, journal_of, managed, writing

    report = _report("rollback", json_, reveal=show_secrets)
    if home is None and node is None:
        raise typer.BadParameter("give --home DIR or --node ID", param_hint="--home / --node")

    def body() -> int:
        target = _target(report, home, node, spec)
        with writing(target):
            live = [t for t in journal_of(target).load() if t.state == "committed"]
            if not live:
                report.status = "nothing"
                report.say(f"{target}: nothing to roll back", style="green")
                report.emit()
                return 0
            ids = [t.id for t in live]
            if to is not None and to not in ids:
                raise typer.BadParameter(f"no applied transaction {to} in {target}; see 'wso2patch history'",
                                         param_hint="--to")
            undo = live[ids.index(to):] if to is not None else live[-1:]
            for hand in drift_diffs(target, undo):
                report.show_text_diff(hand)
            files = ", ".join(sorted({f.path for t in undo for f in t.files}))
            _confirm(report, yes, f"Restore {files} in {target} to before apply {undo[0].id}?",
                     f"it would restore {files}")
            done = txn.rollback(target, managed=managed, to=to, force=force)
        report.status = "rolled_back"
        report.nodes.append({"home": str(target), "status": "rolled_back", "transactions": [asdict(t) for t in done]})
        report.say(f"{target}: restored {files} (apply {', '.join(t.id for t in done)})", style="green")
        report.emit()
        return 0

    _run(report, body)


@app.command()
def recover(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False) -> None:
    """Finish or undo what a killed apply or rollback left, so the home is wholly before or after it."""
    from wso2patch.workflow import writing

    report = _report("recover", json_)
    if home is None and node is None:
        raise typer.BadParameter("give --home DIR or --node ID", param_hint="--home / --node")

    def body() -> int:
        target = _target(report, home, node, spec)
        with writing(target) as done:
            pass
        report.nodes.append({"home": str(target), "recovered": [asdict(t) for t in done]})
        report.status = "recovered" if done else "nothing"
        meaning = {"committed": "its files were all written: finished", "recovered": "undone: files as before it",
                   "rolled_back": "rollback completed"}
        for t in done:
            report.say(f"{target}: transaction {t.id}: {meaning.get(t.state, t.state)}", style="yellow")
        if not done:
            report.say(f"{target}: nothing to recover", style="green")
        report.emit()
        return 0

    _run(report, body)


@app.command()
def history(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False) -> None:
    """List the applies and rollbacks recorded in a home, oldest first."""
    from wso2patch.plan import check_home
    from wso2patch.workflow import journal_of

    report = _report("history", json_)
    if home is None and node is None:
        raise typer.BadParameter("give --home DIR or --node ID", param_hint="--home / --node")

    def body() -> int:
        target = _target(report, home, node, spec)
        check_home(target)
        rows = [[t.id, t.time, str(t.node or ""), t.state, str(len(t.files)), ",".join(t.patches),
                 (t.spec_sha256 or "")[:12]] for t in journal_of(target).load()]
        report.table(str(target), ["id", "time", "node", "state", "files", "patches", "spec sha256"], rows,
                     ["" for _ in rows])
        report.emit()
        return 0

    _run(report, body)


@app.command()
def status(home: HomeOpt = None, node: NodeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False) -> None:
    """Per node and patch: applied, pending, drifted (applied, then changed by hand) or not applicable; every node
    of the spec whose home is here unless --node or --home. Exit 0 when every patch is applied, 1 otherwise."""
    from wso2patch.plan import check_home
    from wso2patch.workflow import (
        diff_targets,
        home_for,
        journal_of,
        patch_status,
        plan_node,
        require_finished,
        spec_patches,
    )

    report = _report("status", json_)

    def body() -> int:
        s = _load(report, spec)
        if home is not None:
            history = journal_of(home).load()
            node_id = node if node is not None else next((t.node for t in reversed(history) if t.node), None)
            if node_id is None:
                raise typer.BadParameter("this home has no apply recorded: which node is it?", param_hint="--node")
            targets = [(node_id, home)]
        else:
            targets = [(n, h) for n, h in diff_targets(s, None, None) if node is None or n == node] or \
                [(node or 0, home_for(s, node or 0, None))]
        columns: dict[int, dict[str, str]] = {}
        for node_id, node_home in targets:
            check_home(node_home)
            require_finished(node_home)
            columns[node_id] = patch_status(plan_node(s, node_id, node_home), journal_of(node_home).load())
        patches = [p.name for p in spec_patches(s)]
        styles = {"applied": "green", "pending": "yellow", "drifted": "red", "not applicable": "dim"}
        worst = {p: next((st for st in ("drifted", "pending") if any(c.get(p) == st for c in columns.values())),
                         "applied") for p in patches}
        report.table("status", ["patch", *[f"node {n}" for n in columns]],
                     [[p, *[c.get(p, "-") for c in columns.values()]] for p in patches],
                     [styles[worst[p]] for p in patches])
        done = all(st in ("applied", "not applicable") for c in columns.values() for st in c.values())
        report.status, report.exit_code = ("applied", 0) if done else ("pending", 1)
        report.emit()
        return report.exit_code

    _run(report, body)


db_app = typer.Typer(no_args_is_help=True, help="The cluster's MySQL databases: print the SQL, or provision them.")
app.add_typer(db_app, name="db")


@db_app.command("sql")
def db_sql(spec: SpecOpt = None, home: HomeOpt = None,
           server: Annotated[str, typer.Option("--server", help="mysql8, mysql5.7 or mariadb")] = "mysql8",
           show_secrets: SecretsOpt = False, json_: JsonOpt = False) -> None:
    """Print the SQL that provisions the databases, the application user and the schemas (writes nothing)."""
    from wso2patch.dbplan import FLAVOURS, render_sql  # the db modules load only for the db commands
    from wso2patch.plan import check_home
    from wso2patch.workflow import first_home

    report = _report("db sql", json_, reveal=show_secrets)
    if server not in FLAVOURS:
        raise typer.BadParameter(f"{server!r} is not one of {', '.join(FLAVOURS)}", param_hint="--server")

    def body() -> int:
        s = _load(report, spec)
        target = first_home(s, home)
        check_home(target)
        report.text(render_sql(s, target, server, show_secrets=show_secrets))
        report.emit()
        return 0

    _run(report, body)


@db_app.command("init")
def db_init(spec: SpecOpt = None, home: HomeOpt = None,
            admin_user: Annotated[str, typer.Option("--admin-user", help="an account that may create databases, "
                                                    "users and grants")] = "root",
            admin_password_env: Annotated[str | None, typer.Option(
                "--admin-password-env", help="environment variable holding the admin password [default: empty "
                "password]", show_default=False)] = None,
            yes: YesOpt = False, json_: JsonOpt = False) -> None:
    """Create what is missing on the MySQL server: databases, the application user, grants, and schemas
    (each loaded only into a database that lacks it; never drops anything)."""
    from wso2patch.plan import check_home
    from wso2patch.workflow import first_home

    report = _report("db init", json_)

    def body() -> int:
        from wso2patch import dbinit  # PyMySQL loads only for the commands that talk to a server
        from wso2patch.dbplan import targets
        from wso2patch.dbserver import Endpoint, Server, flavour_of

        s = _load(report, spec)
        target = first_home(s, home)
        check_home(target)
        password = "" if admin_password_env is None else os.environ.get(admin_password_env)
        if password is None:
            raise DatabaseError(f"--admin-password-env names ${admin_password_env}, which is not set",
                                hint=f"export {admin_password_env}=... and rerun")
        admin = Endpoint(s.db.host, s.db.port, admin_user, password, "admin")
        app_ep = Endpoint(s.db.host, s.db.port, s.db.username, s.db.password, "application")
        with Server(admin) as server:
            todo = dbinit.plan(server, s, targets(s, target, flavour_of(server.version())), app_ep)
            actions = todo.actions()
            report.nodes.append({"server": todo.version, "flavour": todo.flavour, "actions": actions,
                                 "ready": todo.ready})
            where = f"{s.db.host}:{s.db.port} ({todo.version})"
            if not actions:
                report.status = "already"
                report.say(f"{where}: nothing to do: databases, user, grants and schemas are in place", style="green")
                report.emit()
                return 0
            report.say(f"{where}: to do:")
            for action in actions:
                report.say(f"  - {action}")
            _confirm(report, yes, f"Provision these on {s.db.host}:{s.db.port}?", "review with 'wso2patch db sql'")
            with report.progress() as progress:
                dbinit.run(server, s, todo, admin, app_ep, progress)
        report.status = "applied"
        report.say(f"{where}: done ({len(actions)} actions); check the nodes with 'wso2patch check --db'",
                   style="green")
        report.emit()
        return 0

    _run(report, body)


@app.command()
def check(db: Annotated[bool, typer.Option("--db", help="connect to every RDBMS datasource with the URL, user and "
                                           "password written in master-datasources.xml and run its "
                                           "validationQuery")] = False,
          planned: Annotated[bool, typer.Option("--planned", help="check the files as apply would write them "
                                                "(before anything is written)")] = False,
          node: NodeOpt = None, home: HomeOpt = None, spec: SpecOpt = None, json_: JsonOpt = False,
          show_secrets: SecretsOpt = False) -> None:
    """Check the cluster as a whole (WKA members, unique ports, member hosts, shared and local databases, JNDI
    references, driver jar), and with --db every datasource against the live server. Exit 1 on an error."""
    from wso2patch.driver import DRIVER_DIR, driver_jars
    from wso2patch.plan import check_home
    from wso2patch.spec import find_spec
    from wso2patch.workflow import diff_targets, plan_node, require_finished

    report = _report("check", json_, reveal=show_secrets)

    def body() -> int:
        from wso2patch.cluster import check_cluster
        from wso2patch.effective import load

        use_spec = spec is not None or home is None or find_spec(None).is_file()
        s = _load(report, spec) if use_spec else None
        if s is None:  # a lone home and no spec: what can be checked without one
            homes: list[tuple[int | None, Path]] = [(node, home or Path("."))]
        elif home is not None:
            homes = [(node, home)]
        else:
            homes = [(n, h) for n, h in diff_targets(s, None, None) if node is None or n == node]
        configs = {}
        for node_id, node_home in homes:
            check_home(node_home)
            require_finished(node_home)
            if s is not None and node_id is not None:
                bytes_ = plan_node(s, node_id, node_home).planned if planned else None
                configs[node_id] = load(node_home, bytes_)
            elif not driver_jars(node_home):
                report.warn(f"{node_home}: no mysql-connector-*.jar in {DRIVER_DIR}: the node cannot load "
                            "com.mysql.jdbc.Driver; add it with 'wso2patch apply --jdbc-driver PATH.jar'")
        failed = False
        if s is not None:
            findings = check_cluster(s, configs)
            styles = {"error": "red", "warning": "yellow", "ok": "green"}
            report.table("cluster" + (" (as apply would write it)" if planned else ""),
                         ["level", "rule", "node", "finding"],
                         [[f.level, f.rule, str(f.node or "all"), f.message] for f in findings],
                         [styles[f.level] for f in findings])
            failed = any(f.level == "error" for f in findings)
        if db:
            from wso2patch.datasources import check as check_datasource  # PyMySQL: only when checking
            from wso2patch.datasources import mask_url, read_datasources

            for node_id, node_home in homes:
                results = [check_datasource(ds) for ds in read_datasources(node_home)]
                rows = [[r.datasource.name, r.datasource.jndi, mask_url(r.datasource.url),
                         r.detail if r.ok is not False else f"error: {r.detail}"] for r in results]
                styles_db = ["green" if r.ok else "dim" if r.ok is None else "red" for r in results]
                label = f"node {node_id} ({node_home})" if node_id is not None else str(node_home)
                report.table(label, ["datasource", "JNDI name", "URL", "result"], rows, styles_db)
                failed |= any(r.ok is False for r in results)
        report.status, report.exit_code = ("failed", 1) if failed else ("ok", 0)
        report.emit()
        return report.exit_code

    _run(report, body)


@app.command()
def compare(home_a: Annotated[Path, typer.Argument(help="one product home")],
            home_b: Annotated[Path, typer.Argument(help="the other product home")],
            json_: JsonOpt = False) -> None:
    """Compare two homes' effective configuration: differences a cluster expects (host, port offset, member port,
    local registry database) apart from unexpected ones. Exit 1 when an unexpected difference is found."""
    from wso2patch.plan import check_home
    from wso2patch.workflow import require_finished

    report = _report("compare", json_)

    def body() -> int:
        from wso2patch.compare import compare as compare_homes
        from wso2patch.effective import load

        for h in (home_a, home_b):
            check_home(h)
            require_finished(h)
        diffs = compare_homes(load(home_a), load(home_b))

        def show(v: object) -> str:
            return "(absent)" if v is None else ", ".join(v) if isinstance(v, list) else str(v)

        for expected, title in ((True, "expected differences"), (False, "unexpected differences")):
            rows = [[d.key, show(d.a), show(d.b), d.why] for d in diffs if d.expected == expected]
            report.table(f"{title} ({len(rows)})", ["key", str(home_a), str(home_b), "why"], rows,
                         ["green" if expected else "red" for _ in rows])
        unexpected = sum(not d.expected for d in diffs)
        report.status, report.exit_code = ("drift", 1) if unexpected else ("consistent", 0)
        report.emit()
        return report.exit_code

    _run(report, body)


def main() -> None:
    """Console entry point: click's usage errors become one line too (exit 2)."""
    code: Any
    try:
        code = app(args=sys.argv[1:] or ["--help"], standalone_mode=False)
    except _USAGE_ERROR as e:
        message = getattr(e, "format_message", e.__str__)()
        ctx = getattr(e, "ctx", None)
        where = f"wso2patch {ctx.info_name}" if ctx is not None and ctx.parent is not None else "wso2patch"
        print(f"wso2patch: usage error: {message}; see '{where} --help'", file=sys.stderr)
        code = 2
    except _CLICK_ERROR as e:
        print(f"wso2patch: error: {getattr(e, 'format_message', e.__str__)()}", file=sys.stderr)
        code = getattr(e, "exit_code", 1)
    except typer.Abort:
        print("wso2patch: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)
