"""[database]: the server(s), names and layout of the cluster's databases.

[database] is the default server. Each kind of database may live elsewhere: [database.user], [database.registry],
[database.mb_store], [database.local] and [database.governance] override host, port, username,
password/password_env and options (each key not given is [database]'s). `local = "embedded"` instead keeps every
node's local registry on its own embedded H2; [database.names] governance adds a governance registry database
apart from the shared registry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wso2patch import hosts
from wso2patch.variables import DB_KINDS, OPTIONAL_DB_KINDS

if TYPE_CHECKING:
    from wso2patch.spec_check import _Checker

Schema = dict[str, tuple[type | tuple[type, ...], bool]]
KINDS = DB_KINDS + OPTIONAL_DB_KINDS
DEFAULT_NAMES = {"user": "WSO2_USER_DB", "registry": "REGISTRY_DB", "local": "REGISTRY_LOCAL{id}",
                 "mb_store": "WSO2_MB_STORE_DB"}
SERVER: Schema = {"host": (str, False), "port": (int, False), "username": (str, False), "password": (str, False),
                  "password_env": (str, False), "options": (str, False)}
SCHEMA: dict[str, Schema] = {
    "database": {"host": (str, True), "port": (int, False), "username": (str, True), "password": (str, False),
                 "password_env": (str, False), "options": (str, False), "names": (dict, False),
                 "local": ((str, dict), False), "user": (dict, False), "registry": (dict, False),
                 "mb_store": (dict, False), "governance": (dict, False)},
    "database.names": {kind: (str, False) for kind in KINDS},
    **{f"database.{kind}": SERVER for kind in KINDS},
}
EMBEDDED = "embedded"
_DBNAME = re.compile(r"^[A-Za-z0-9_$]{1,64}$")


@dataclass(frozen=True)
class Server:
    """Where one kind of database lives and how the nodes log in there."""

    host: str
    port: int
    username: str
    password: str
    options: str | None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def key(self) -> tuple[str, int]:
        """One machine and port, however spelled (DB.example.com is db.example.com)."""
        return hosts.key(self.host), self.port


@dataclass(frozen=True)
class Database:
    host: str
    port: int
    username: str
    password: str
    options: str | None
    names: Mapping[str, str]
    servers: Mapping[str, Server] = field(default_factory=dict)  # the kinds that override [database]
    local_embedded: bool = False

    @property
    def base(self) -> Server:
        return Server(self.host, self.port, self.username, self.password, self.options)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The databases the cluster uses on MySQL (the MB store only for MB and the EI broker profile: see dbplan)."""
        return tuple(k for k in KINDS if k in self.names and not (k == "local" and self.local_embedded))

    def server(self, kind: str) -> Server:
        return self.servers.get(kind) or self.base

    def name(self, kind: str, node_id: int) -> str:
        return self.names[kind].replace("{id}", str(node_id))

    def url(self, kind: str, node_id: int) -> str:
        s = self.server(kind)
        query = f"?{s.options}" if s.options else ""
        return f"jdbc:mysql://{hosts.jdbc_authority(s.host, s.port)}/{self.name(kind, node_id)}{query}"

    def values(self, node_id: int) -> dict[str, str]:
        v = {"db.host": self.host, "db.port": str(self.port), "db.username": self.username,
             "db.password": self.password, "db.local": EMBEDDED if self.local_embedded else "mysql"}
        if self.options:
            v["db.options"] = self.options
        for kind in (k for k in KINDS if k in self.names):
            s = self.server(kind)
            v.update({f"db.name.{kind}": self.name(kind, node_id), f"db.url.{kind}": self.url(kind, node_id),
                      f"db.username.{kind}": s.username, f"db.password.{kind}": s.password})
        return v


def load(c: _Checker, raw: Any) -> Database:
    db = c.table(raw, "database")
    base = _server(c, db, "database", None)
    given = c.table(db.get("names", {}), "database.names")
    names = dict(DEFAULT_NAMES, **given)
    local = db.get("local")
    if isinstance(local, str) and local != EMBEDDED:
        raise c.fail(f"database local {local!r} is neither \"embedded\" nor a [database.local] table", "database",
                     None, "local", hint="local = \"embedded\" keeps each node's local registry on its H2 database")
    embedded = local == EMBEDDED
    if embedded and "local" in given:
        raise c.fail("database.names.local names a MySQL database, but local = \"embedded\" keeps the local "
                     "registries on H2", "database.names", None, "local", hint="remove one of the two")
    servers = {}
    for kind in KINDS:
        over = db.get(kind)
        if isinstance(over, dict):
            servers[kind] = _server(c, c.table(over, f"database.{kind}"), f"database.{kind}", base)
    if "governance" in servers and "governance" not in names:
        raise c.fail("[database.governance] describes a governance database, but database.names has no governance",
                     "database.governance", hint="add governance = \"NAME\" to [database.names]")
    database = Database(host=base.host, port=base.port, username=base.username, password=base.password,
                        options=base.options, names=names, servers=servers, local_embedded=embedded)
    _check_accounts(c, database)
    return database


def _check_accounts(c: _Checker, db: Database) -> None:
    """A MySQL account has one password: two kinds on one server, as one user, must agree on it."""
    seen: dict[tuple[tuple[str, int], str], str] = {}
    for kind in db.kinds:
        s = db.server(kind)
        first = seen.setdefault((s.key, s.username), kind)
        if db.server(first).password != s.password:
            table = next((f"database.{k}" for k in (kind, first) if k in db.servers), "database")
            raise c.fail(f"the {first} and {kind} databases log in to {s.where} as {s.username!r} with different "
                         "passwords, but one MySQL account has one password", table,
                         hint="give them the same password, or different usernames")


def _server(c: _Checker, d: dict[str, Any], table: str, base: Server | None) -> Server:
    """[database] (base None: host, username and a password required) or one kind's overrides of it."""
    if "host" in d:
        c.host(d["host"], "database host" if base is None else f"[{table}] host", table, None, "port")
    if d.get("options", "").startswith("?"):
        raise c.fail("database options start with '?', which wso2patch puts between the database name and the "
                     "options itself", table, None, "options", hint="remove the leading '?'")
    either = "password" in d or "password_env" in d
    if ("password" in d and "password_env" in d) or (base is None and not either):
        raise c.fail(f"[{table}] needs exactly one of password and password_env" if base is None else
                     f"[{table}] takes password or password_env, not both", table,
                     hint="set password = \"...\" or password_env = \"VARIABLE\"")
    password = d.get("password")
    if "password_env" in d:
        password = c.env_secret(d["password_env"], table, "password_env")
    port = d.get("port", 3306 if base is None else base.port)
    if not 1 <= port <= 65535:
        raise c.fail(f"database port {port} is out of range 1..65535", table, None, "port")
    if base is None:
        assert password is not None
        return Server(d["host"], port, d["username"], password, d.get("options"))
    return Server(d.get("host", base.host), port, d.get("username", base.username),
                  base.password if password is None else password, d.get("options", base.options))


def check_names(c: _Checker, db: Database, node_ids: list[int]) -> None:
    """Every name, once {id} is filled in, is a plain MySQL name; several nodes never share a local registry."""
    for kind, template in db.names.items():
        if kind == "local" and db.local_embedded:
            continue
        for node_id in node_ids:
            if not _DBNAME.match(template.replace("{id}", str(node_id))):
                raise c.fail(f"database name {template!r} ({kind}) is not a plain MySQL name "
                             "(letters, digits, _ and $; {id} for the node id)", "database.names", None, kind)
    if len(node_ids) > 1 and not db.local_embedded and "{id}" not in db.names["local"]:
        raise c.fail("database.names.local must contain {id}: every node needs its own local registry",
                     "database.names", None, "local")
    if "governance" in db.names:
        gov, reg = db.server("governance"), db.server("registry")
        if gov.key == reg.key and db.names["governance"] == db.names["registry"]:
            raise c.fail("database.names.governance is the registry database itself", "database.names", None,
                         "governance", hint="leave governance out to keep governance in the shared registry "
                                            "database, or name a database of its own")
