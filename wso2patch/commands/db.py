"""wso2patch db sql / db init: the SQL that provisions the cluster's databases, or provisioning them."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import Block, Line, Raw, Result, Ui
from wso2patch.dbplan import Flavour, render_sql, targets
from wso2patch.errors import DatabaseError
from wso2patch.plan import check_home
from wso2patch.spec import Spec
from wso2patch.workflow import first_home


@dataclass(kw_only=True)
class SqlResult(Result):
    command: ClassVar[str] = "db sql"
    status: Literal["ok"] = "ok"
    flavour: Flavour
    home: Path  # whose dbscripts/ the schemas come from
    sql: str

    def human(self) -> list[Block]:
        return [Raw(self.sql)]


@dataclass(kw_only=True)
class DbInitResult(Result):
    command: ClassVar[str] = "db init"
    status: Literal["applied", "already", "pending"]  # pending: the preview shown before asking
    server: str  # host:port
    version: str
    flavour: Flavour
    actions: list[str]  # what was (or is to be) done, in order
    ready: list[str]  # databases whose schema was already complete

    def human(self) -> list[Block]:
        where = f"{self.server} ({self.version})"
        if self.status == "already":
            return [Line(f"{where}: nothing to do: databases, user, grants and schemas are in place", "green")]
        if self.status == "pending":
            return [Line(f"{where}: to do:"), *(Line(f"  - {a}") for a in self.actions)]
        return [Line(f"{where}: done ({len(self.actions)} actions); check the nodes with 'wso2patch check --db'",
                     "green")]


def sql(spec: Spec, *, home: Path | None = None, flavour: Flavour = "mysql8", show_secrets: bool = False) -> SqlResult:
    target = first_home(spec, home)
    check_home(target)
    return SqlResult(flavour=flavour, home=target, sql=render_sql(spec, target, flavour, show_secrets=show_secrets))


def provision(spec: Spec, ui: Ui, *, home: Path | None = None, admin_user: str = "root",
              admin_password_env: str | None = None) -> DbInitResult:
    """Create what is missing (databases, the application user, grants, schemas); never drops anything."""
    from wso2patch import dbinit  # PyMySQL loads only for the commands that talk to a server
    from wso2patch.dbserver import Endpoint, Server, flavour_of

    target = first_home(spec, home)
    check_home(target)
    password = "" if admin_password_env is None else os.environ.get(admin_password_env)
    if password is None:
        raise DatabaseError(f"--admin-password-env names ${admin_password_env}, which is not set",
                            hint=f"export {admin_password_env}=... and rerun")
    admin = Endpoint(spec.db.host, spec.db.port, admin_user, password, "admin")
    app = Endpoint(spec.db.host, spec.db.port, spec.db.username, spec.db.password, "application")
    with Server(admin) as server:
        todo = dbinit.plan(server, spec, targets(spec, target, flavour_of(server.version())), app)
        result = DbInitResult(status="already", server=f"{spec.db.host}:{spec.db.port}", version=todo.version,
                              flavour=todo.flavour, actions=todo.actions(), ready=todo.ready)
        if not result.actions:
            return result
        ui.confirm(replace(result, status="pending"), f"Provision these on {result.server}?",
                   "review with 'wso2patch db sql'")
        with ui.progress() as progress:
            dbinit.run(server, spec, todo, admin, app, progress)
    return replace(result, status="applied")
