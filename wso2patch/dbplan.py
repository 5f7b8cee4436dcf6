"""Which databases the cluster needs, which schema goes into each, and the SQL that provisions them.

Pure: no server is contacted here. `db sql` prints `render_sql`; `db init` executes the same
plan statement by statement against a real server (dbserver.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wso2patch.errors import SpecError
from wso2patch.secrets import MASK
from wso2patch.spec import Spec
from wso2patch.sqlscript import Script, load_script

Flavour = Literal["mysql5.7", "mysql8", "mariadb"]
FLAVOURS: tuple[Flavour, ...] = ("mysql5.7", "mysql8", "mariadb")
CARBON_SCRIPT = "dbscripts/mysql.sql"
CARBON_SCRIPT_57 = "dbscripts/mysql5.7.sql"
MB_SCRIPT = "dbscripts/mb-store/mysql-mb.sql"
# The stock scripts were written for lenient MySQL 5.x (e.g. TIMESTAMP ... DEFAULT 0, which
# NO_ZERO_DATE in 5.7+ strict modes rejects), so schemas load in a lenient session.
LOAD_SQL_MODE = "NO_ENGINE_SUBSTITUTION"


@dataclass(frozen=True)
class Target:
    database: str
    kinds: tuple[str, ...]  # user, registry, local, mb_store (one database may serve several)
    script: Script


def is_mb(home: Path) -> bool:
    return (home / "repository/conf/broker.xml").is_file() or (home / MB_SCRIPT).is_file()


def carbon_script(home: Path, flavour: Flavour) -> str:
    """mysql5.7.sql where the home ships it (every supported server is 5.7+), else mysql.sql."""
    del flavour  # MySQL 5.7, 8 and MariaDB 10.2+ all take the 5.7 script
    return CARBON_SCRIPT_57 if (home / CARBON_SCRIPT_57).is_file() else CARBON_SCRIPT


def targets(spec: Spec, home: Path, flavour: Flavour) -> list[Target]:
    carbon = load_script(home, carbon_script(home, flavour))
    scripts = {"user": carbon, "registry": carbon, "local": carbon}
    if is_mb(home):
        scripts["mb_store"] = load_script(home, MB_SCRIPT)
    # every kind for every node ({id} may appear in any name); shared names collapse below
    wanted = [(kind, spec.db.name(kind, n.id), script) for kind, script in scripts.items() for n in spec.nodes]
    by_db: dict[str, Target] = {}
    for kind, db, script in wanted:
        if db in by_db:
            seen = by_db[db]
            if seen.script.rel != script.rel:
                raise SpecError(f"database {db} would hold both {seen.script.rel} and {script.rel}", where=spec.path,
                                hint="give the message store its own name in [database.names]")
            if kind not in seen.kinds:
                by_db[db] = Target(db, (*seen.kinds, kind), script)
            continue
        by_db[db] = Target(db, (kind,), script)
    return list(by_db.values())


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def account(spec: Spec) -> str:
    return f"{quote(spec.db.username)}@'%'"


def create_user_sql(spec: Spec, flavour: Flavour, password: str) -> str:
    # MySQL 8 defaults to caching_sha2_password, which the Connector/J 5.1 driver Carbon 4.4 ships with
    # cannot always use; mysql_native_password works with every driver generation.
    how = "IDENTIFIED WITH mysql_native_password BY" if flavour == "mysql8" else "IDENTIFIED BY"
    return f"CREATE USER IF NOT EXISTS {account(spec)} {how} {quote(password)}"


def alter_user_sql(spec: Spec, flavour: Flavour, password: str) -> str:
    how = "IDENTIFIED WITH mysql_native_password BY" if flavour == "mysql8" else "IDENTIFIED BY"
    return f"ALTER USER {account(spec)} {how} {quote(password)}"


def grant_sql(spec: Spec, database: str) -> str:
    return f"GRANT ALL PRIVILEGES ON `{database}`.* TO {account(spec)}"


def create_db_sql(database: str) -> str:
    # latin1, as WSO2's own guides do: utf8mb4 index keys on VARCHAR(750) columns exceed InnoDB's limit
    return f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET latin1"


def render_sql(spec: Spec, home: Path, flavour: Flavour, *, show_secrets: bool = False) -> str:
    ts = targets(spec, home, flavour)
    password = spec.db.password if show_secrets else MASK  # masked where it is rendered: the literal only
    names = {"mysql5.7": "MySQL 5.7", "mysql8": "MySQL 8.0+", "mariadb": "MariaDB 10.2+"}
    lines = [
        f"-- wso2patch db sql for the cluster in {spec.path.name}, home {home}, server {names[flavour]}",
        "-- Re-runnable: databases and the user are created only if missing. Load each schema only into",
        "-- an empty database ('wso2patch db init' checks that, and resumes a half-done load).",
        "",
        "-- databases",
        *[f"{create_db_sql(t.database)};  -- {', '.join(t.kinds)}" for t in ts],
        "",
        "-- the application user every datasource connects as, with rights on these databases only",
        f"{create_user_sql(spec, flavour, password)};",
        *[f"{grant_sql(spec, t.database)};" for t in ts],
        "",
        "-- schemas (mysql client SOURCE commands; paths in this home)",
        f"SET SESSION sql_mode = '{LOAD_SQL_MODE}';  -- the stock scripts predate MySQL 5.7's strict defaults",
    ]
    for t in ts:
        lines += [f"USE `{t.database}`;", f"SOURCE {t.script.path};"]
    if not show_secrets:
        lines += ["", f"-- the password is masked as {MASK}: rerun with --show-secrets to print it"]
    return "\n".join(lines) + "\n"
