"""Which databases the cluster needs, which schema goes into each, and the SQL that provisions them.

Pure: no server is contacted here. `db sql` prints `render_sql`; `db init` executes the same
plan statement by statement against a real server (dbserver.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from wso2patch.errors import SpecError
from wso2patch.products import Product
from wso2patch.secrets import MASK
from wso2patch.spec import Spec
from wso2patch.sqlscript import Script, load_script

Flavour = Literal["mysql5.7", "mysql8", "mariadb"]
FLAVOURS: tuple[Flavour, ...] = ("mysql5.7", "mysql8", "mariadb")
# Relative to the profile's own folder (the home, or wso2/<profile> in EI), where the kernel layout puts them
CARBON_SCRIPT = "dbscripts/mysql.sql"
CARBON_SCRIPT_57 = "dbscripts/mysql5.7.sql"
MB_SCRIPT = "dbscripts/mb-store/mysql-mb.sql"
# The profiles that keep their message store in MySQL, named as patches name them: an EI integrator, ESB or Carbon
# cluster needs none, and API Manager's embedded broker store stays local (its broker.xml is no sign of MB)
MB_STORE_TARGETS = ("mb", "ei:broker")
# The stock scripts were written for lenient MySQL 5.x (e.g. TIMESTAMP ... DEFAULT 0, which
# NO_ZERO_DATE in 5.7+ strict modes rejects), so schemas load in a lenient session.
LOAD_SQL_MODE = "NO_ENGINE_SUBSTITUTION"


@dataclass(frozen=True)
class Account:
    """An application user: what the datasources of some kinds log in as."""

    username: str
    password: str

    @property
    def sql(self) -> str:
        return f"{quote(self.username)}@'%'"


@dataclass(frozen=True)
class Target:
    database: str
    kinds: tuple[str, ...]  # user, registry, local, mb_store, governance (one database may serve several)
    script: Script
    accounts: tuple[Account, ...] = ()  # who gets privileges on it


@dataclass(frozen=True)
class Group:
    """The databases of one server, and the application users that log in there."""

    host: str
    port: int
    targets: tuple[Target, ...]

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def accounts(self) -> list[Account]:
        return list(dict.fromkeys(a for t in self.targets for a in t.accounts))

    def databases(self, account: Account) -> list[str]:
        return [t.database for t in self.targets if account in t.accounts]

    def kinds(self, account: Account) -> list[str]:
        return list(dict.fromkeys(k for t in self.targets if account in t.accounts for k in t.kinds))


@dataclass(frozen=True)
class Scripts:
    """Where one product profile's schema scripts are, relative to the home."""

    carbon: str  # the Carbon schema: user store, registry, local registry
    mb_store: str | None  # the message store's schema; None: the profile keeps no MB store in MySQL
    fallback: str | None = None  # why the Carbon schema is not the 5.7 script, for a warning


def script_dir(product: Product) -> str:
    """The profile's own folder, which holds dbscripts/ beside its config root: "" (the home) for repository/conf
    and conf, "wso2/broker" for conf root wso2/broker/conf."""
    parent = PurePosixPath(product.conf).parent
    folder = parent.parent if parent.name == "repository" else parent
    return "" if str(folder) == "." else f"{folder}/"


def scripts(home: Path, product: Product) -> Scripts:
    """mysql5.7.sql where the profile ships it (every supported server is 5.7+; MySQL 8 and MariaDB 10.2+ take it
    too), else mysql.sql, said in `fallback`; the MB store script only for the profiles that have that store."""
    base = script_dir(product)
    mb_store = f"{base}{MB_SCRIPT}" if product.target in MB_STORE_TARGETS else None
    if (home / base / CARBON_SCRIPT_57).is_file():
        return Scripts(f"{base}{CARBON_SCRIPT_57}", mb_store)
    carbon = f"{base}{CARBON_SCRIPT}"
    return Scripts(carbon, mb_store, f"{product.label} ships no {base}{CARBON_SCRIPT_57}: the schemas come from "
                                     f"{carbon}, loaded with sql_mode {LOAD_SQL_MODE} as the stock scripts need")


def groups(spec: Spec, home: Path, product: Product) -> list[Group]:
    """The databases the cluster needs, per server ([database] and each kind's own table), in a stable order:
    those of the product and profile `home` holds, with its own schema scripts."""
    where = scripts(home, product)
    carbon = load_script(home, where.carbon)
    scripts_of = {kind: carbon for kind in spec.db.kinds if kind != "mb_store"}
    if where.mb_store is not None:
        scripts_of["mb_store"] = load_script(home, where.mb_store)
    servers: dict[tuple[str, int], tuple[str, int]] = {}
    by_db: dict[tuple[tuple[str, int], str], Target] = {}
    for kind in (k for k in spec.db.kinds if k in scripts_of):  # every kind for every node ({id} may be in any name)
        server, script = spec.db.server(kind), scripts_of[kind]
        servers.setdefault(server.key, (server.host, server.port))
        account = Account(server.username, server.password)
        for n in spec.nodes:
            key = (server.key, spec.db.name(kind, n.id))
            seen = by_db.get(key)
            if seen is None:
                by_db[key] = Target(key[1], (kind,), script, (account,))
                continue
            if seen.script.rel != script.rel:
                raise SpecError(f"database {key[1]} would hold both {seen.script.rel} and {script.rel}",
                                where=spec.path, hint="give the message store its own name in [database.names]")
            by_db[key] = Target(key[1], tuple(dict.fromkeys((*seen.kinds, kind))), script,
                                tuple(dict.fromkeys((*seen.accounts, account))))
    return [Group(host, port, tuple(t for (k, _), t in by_db.items() if k == key))
            for key, (host, port) in servers.items()]


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _identified(flavour: Flavour) -> str:
    # MySQL 8 defaults to caching_sha2_password, which the Connector/J 5.1 driver Carbon 4.4 ships with
    # cannot always use; mysql_native_password works with every driver generation.
    return "IDENTIFIED WITH mysql_native_password BY" if flavour == "mysql8" else "IDENTIFIED BY"


def create_user_sql(account: Account, flavour: Flavour, password: str) -> str:
    return f"CREATE USER IF NOT EXISTS {account.sql} {_identified(flavour)} {quote(password)}"


def alter_user_sql(account: Account, flavour: Flavour, password: str) -> str:
    return f"ALTER USER {account.sql} {_identified(flavour)} {quote(password)}"


def grant_sql(account: Account, database: str) -> str:
    return f"GRANT ALL PRIVILEGES ON `{database}`.* TO {account.sql}"


def create_db_sql(database: str) -> str:
    # latin1, as WSO2's own guides do: utf8mb4 index keys on VARCHAR(750) columns exceed InnoDB's limit
    return f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET latin1"


def render_sql(spec: Spec, home: Path, product: Product, flavour: Flavour, *, show_secrets: bool = False) -> str:
    gs = groups(spec, home, product)
    names = {"mysql5.7": "MySQL 5.7", "mysql8": "MySQL 8.0+", "mariadb": "MariaDB 10.2+"}
    lines = [
        f"-- wso2patch db sql for the cluster in {spec.path.name}, home {home}, server {names[flavour]}",
        "-- Re-runnable: databases and the user are created only if missing. Load each schema only into",
        "-- an empty database ('wso2patch db init' checks that, and resumes a half-done load).",
    ]
    for g in gs:
        if len(gs) > 1:
            lines += ["", f"-- ==== on the server at {g.where}: run this part there ===="]
        lines += _group_sql(g, flavour, show_secrets)
    if not show_secrets:
        lines += ["", f"-- the password is masked as {MASK}: rerun with --show-secrets to print it"]
    return "\n".join(lines) + "\n"


def _group_sql(g: Group, flavour: Flavour, show_secrets: bool) -> list[str]:
    lines = ["", "-- databases", *[f"{create_db_sql(t.database)};  -- {', '.join(t.kinds)}" for t in g.targets]]
    accounts = g.accounts
    for account in accounts:
        password = account.password if show_secrets else MASK  # masked where it is rendered: the literal only
        lines += ["", "-- the application user every datasource connects as, with rights on these databases only"
                  if len(accounts) == 1 else f"-- the application user of {', '.join(g.kinds(account))}, with "
                                             "rights on its databases only",
                  f"{create_user_sql(account, flavour, password)};",
                  *[f"{grant_sql(account, d)};" for d in g.databases(account)]]
    lines += ["", "-- schemas (mysql client SOURCE commands; paths in this home)",
              f"SET SESSION sql_mode = '{LOAD_SQL_MODE}';  -- the stock scripts predate MySQL 5.7's strict defaults"]
    for t in g.targets:
        lines += [f"USE `{t.database}`;", f"SOURCE {t.script.path};"]
    return lines
