"""Provision the cluster's databases on a real server: inspect first, then do only what is missing.

`plan` only reads the server and returns every pending action (and refuses foreign or
unresumable half-loaded databases before anything is created); `run` carries them out. A
second run finds nothing pending. Nothing is ever dropped or truncated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

from wso2patch.dbplan import (
    LOAD_SQL_MODE,
    Account,
    Flavour,
    Group,
    Target,
    alter_user_sql,
    create_db_sql,
    create_user_sql,
    grant_sql,
)
from wso2patch.dbserver import Endpoint, Server, can_login, flavour_of
from wso2patch.errors import DatabaseError
from wso2patch.sqlscript import Statement

Progress = Callable[[str, int, int], None]  # (label, done, total)


@dataclass
class Load:
    target: Target
    statements: list[Statement]
    found: list[str] = field(default_factory=list)  # tables already there (a half-done earlier load)

    @property
    def label(self) -> str:
        return f"{self.target.script.rel} -> {self.target.database}"


@dataclass
class UserPlan:
    account: Account
    endpoint: Endpoint  # the application user's login on this server
    action: str | None = None  # "create" or "password"
    grants: list[str] = field(default_factory=list)


@dataclass
class DbPlan:
    flavour: Flavour
    version: str
    create_dbs: list[str] = field(default_factory=list)
    users: list[UserPlan] = field(default_factory=list)
    loads: list[Load] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)  # databases whose schema is already complete

    def actions(self) -> list[str]:
        out = [f"create database {d}" for d in self.create_dbs]
        for u in self.users:
            if u.action:
                who = f"the application user {u.account.sql}"
                out.append(f"create {who}" if u.action == "create" else f"set the password of {who}")
        for u in self.users:  # with one user the grants need not say whose they are
            out += [f"grant all privileges on {d}" + (f" to {u.account.sql}" if len(self.users) > 1 else "")
                    for d in u.grants]
        for ld in self.loads:
            if ld.found:
                out.append(f"resume {ld.label}: {len(ld.found)} of {len(ld.target.script.tables)} tables found "
                           f"({', '.join(ld.found[:5])}{', ...' if len(ld.found) > 5 else ''}); "
                           f"{len(ld.statements)} statements left")
            else:
                out.append(f"load {ld.label} ({len(ld.target.script.tables)} tables)")
        return out


def _exists(s: Statement, tables: set[str], indexes: set[tuple[str, str]], constraints: set[tuple[str, str]]) -> bool:
    name, table = (s.name or "").upper(), (s.table or "").upper()
    return {"table": name in tables, "index": (table, name) in indexes,
            "constraint": (table, name) in constraints}.get(s.kind, False)


def _inspect_schema(server: Server, t: Target, exists: bool) -> Load | None:
    """None when the schema is complete; else what is left to run. Refuses foreign tables."""
    if not exists:
        return Load(t, list(t.script.statements))
    tables = server.tables(t.database)
    expected = {n.upper() for n in t.script.tables}
    foreign = sorted(tables - expected)
    if foreign:
        raise DatabaseError(f"database {t.database} holds tables that {t.script.rel} does not create: "
                            f"{', '.join(foreign[:6])}", where=server.ep.where,
                            hint="it is not a WSO2 database of this product: pick another name in [database.names] "
                                 "or clean it up by hand (wso2patch never drops anything)")
    if not tables:
        return Load(t, list(t.script.statements))
    indexes, constraints = server.indexes(t.database), server.constraints(t.database)
    left = [s for s in t.script.statements if not _exists(s, tables, indexes, constraints)]
    if not left:
        return None
    if not t.script.resumable:
        raise DatabaseError(f"database {t.database} is half-loaded ({len(tables)} of {len(expected)} tables: "
                            f"{', '.join(sorted(tables)[:6])}) and {t.script.rel} cannot be resumed safely",
                            where=server.ep.where, hint=f"drop and recreate {t.database} by hand, then rerun")
    return Load(t, left, found=sorted(tables))


def _granted(grants: list[str], database: str) -> bool:
    pattern = re.compile(rf"GRANT ALL PRIVILEGES ON [`']?{re.escape(database)}[`']?\.\*", re.I)
    return any(pattern.search(g) for g in grants)


def plan(server: Server, group: Group) -> DbPlan:
    version = server.version()
    p = DbPlan(flavour=flavour_of(version), version=version)
    have = server.databases()
    for t in group.targets:
        exists = t.database in have
        if not exists:
            p.create_dbs.append(t.database)
        load = _inspect_schema(server, t, exists)
        if load is None:
            p.ready.append(t.database)
        else:
            p.loads.append(load)
    for account in group.accounts:
        u = UserPlan(account, Endpoint(group.host, group.port, account.username, account.password, "application"))
        p.users.append(u)
        if not server.user_exists(account.username, "%"):
            u.action, u.grants = "create", group.databases(account)
            continue
        if not can_login(u.endpoint):
            u.action = "password"
        grants = server.grants(account.sql)
        u.grants = [d for d in group.databases(account) if not _granted(grants, d)]
    return p


@dataclass
class Job:
    """One server of the cluster: its admin connection, and what it lacks."""

    group: Group
    admin: Endpoint
    server: Server
    plan: DbPlan


def connect(stack: ExitStack, groups: list[Group], admin_user: str, admin_password: str) -> list[Job]:
    """One admin connection per server (the same admin account on each), each server inspected; the
    connections close with `stack`. Nothing is changed."""
    jobs = []
    for g in groups:
        admin = Endpoint(g.host, g.port, admin_user, admin_password, "admin")
        server = stack.enter_context(Server(admin))
        jobs.append(Job(g, admin, server, plan(server, g)))
    return jobs


def run(job: Job, progress: Progress) -> None:
    server, p = job.server, job.plan
    for db in p.create_dbs:
        server.execute(create_db_sql(db), doing=f"creating database {db}")
    for u in p.users:
        if u.action == "create":
            server.execute(create_user_sql(u.account, p.flavour, u.account.password),
                           doing="creating the application user")
        elif u.action == "password":
            server.execute(alter_user_sql(u.account, p.flavour, u.account.password),
                           doing="setting the application password")
        for db in u.grants:
            server.execute(grant_sql(u.account, db), doing=f"granting privileges on {db}")
    for ld in p.loads:
        with Server(job.admin, database=ld.target.database) as conn:
            conn.execute(f"SET SESSION sql_mode = '{LOAD_SQL_MODE}'")
            total = len(ld.statements)
            progress(ld.label, 0, total)
            for i, s in enumerate(ld.statements, 1):
                conn.execute(s.sql, doing=f"loading {ld.target.script.rel} line {s.line} into {ld.target.database}")
                progress(ld.label, i, total)
    for u in p.users:
        if (u.action or u.grants) and not can_login(u.endpoint):
            raise DatabaseError(f"the application user {u.account.username!r} still cannot log in",
                                where=u.endpoint.where,
                                hint="an anonymous account (''@'localhost') may shadow it: drop anonymous users")
