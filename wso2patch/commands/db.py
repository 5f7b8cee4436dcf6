"""wso2patch db sql / db init: the SQL that provisions the cluster's databases, or provisioning them."""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, Literal

from wso2patch.commands import Block, Line, Raw, Result, Ui
from wso2patch.dbplan import Flavour, groups, render_sql, scripts
from wso2patch.detect import detect_supported
from wso2patch.errors import DatabaseError
from wso2patch.products import Product
from wso2patch.spec import Spec
from wso2patch.workflow import first_home


@dataclass(kw_only=True)
class SqlResult(Result):
    command: ClassVar[str] = "db sql"
    status: Literal["ok"] = "ok"
    flavour: Flavour
    home: Path  # whose dbscripts/ (EI broker: wso2/broker/dbscripts/) the schemas come from
    sql: str

    def human(self) -> list[Block]:
        return [Raw(self.sql)]


@dataclass(frozen=True)
class ServerInit:
    """One database server of the cluster: what it lacked and what was done there."""

    server: str  # host:port
    version: str
    flavour: Flavour
    actions: list[str]  # what was (or is to be) done, in order
    ready: list[str]  # databases whose schema was already complete


@dataclass(kw_only=True)
class DbInitResult(Result):
    command: ClassVar[str] = "db init"
    status: Literal["applied", "already", "pending"]  # pending: the preview shown before asking
    servers: list[ServerInit]  # one per database server the spec names, in the spec's order

    def human(self) -> list[Block]:
        out: list[Block] = []
        for s in self.servers:
            where = f"{s.server} ({s.version})"
            if self.status == "already" or not s.actions:
                out.append(Line(f"{where}: nothing to do: databases, user, grants and schemas are in place",
                                "green"))
            elif self.status == "pending":
                out += [Line(f"{where}: to do:"), *(Line(f"  - {a}") for a in s.actions)]
            else:
                out.append(Line(f"{where}: done ({len(s.actions)} actions); check the nodes with "
                                "'wso2patch check --db'", "green"))
        return out


def product_home(spec: Spec, home: Path | None) -> tuple[Path, Product, list[str]]:
    """The home whose schema scripts the cluster's databases get (--home, else the first node's here), the product
    and profile it holds for the spec's nodes (one spec, one profile), and a warning where a script is missing."""
    target = first_home(spec, home)
    product = detect_supported(target, spec.nodes[0].profile if spec.nodes else None)
    fallback = scripts(target, product).fallback
    return target, product, [fallback] if fallback else []


def sql(spec: Spec, *, home: Path | None = None, flavour: Flavour = "mysql8", show_secrets: bool = False) -> SqlResult:
    target, product, warnings = product_home(spec, home)
    return SqlResult(flavour=flavour, home=target, warnings=warnings,
                     sql=render_sql(spec, target, product, flavour, show_secrets=show_secrets))


def provision(spec: Spec, ui: Ui, *, home: Path | None = None, admin_user: str = "root",
              admin_password_env: str | None = None) -> DbInitResult:
    """Create what is missing (databases, application users, grants, schemas) on every server the spec names,
    with the same admin account on each; every server is inspected before any is changed; never drops anything."""
    from wso2patch import dbinit  # PyMySQL loads only for the commands that talk to a server

    target, product, warnings = product_home(spec, home)
    password = "" if admin_password_env is None else os.environ.get(admin_password_env)
    if password is None:
        raise DatabaseError(f"--admin-password-env names ${admin_password_env}, which is not set",
                            hint=f"export {admin_password_env}=... and rerun")
    with ExitStack() as stack:  # one admin connection per database server
        jobs = dbinit.connect(stack, groups(spec, target, product), admin_user, password)
        result = DbInitResult(status="already", warnings=warnings, servers=[
            ServerInit(j.group.where, j.plan.version, j.plan.flavour, j.plan.actions(), j.plan.ready) for j in jobs])
        if not any(s.actions for s in result.servers):
            return result
        where = ", ".join(s.server for s in result.servers if s.actions)
        ui.confirm(replace(result, status="pending"), f"Provision these on {where}?", "review with 'wso2patch db sql'")
        with ui.progress() as progress:
            for job in jobs:
                dbinit.run(job, progress)
    return replace(result, status="applied")
