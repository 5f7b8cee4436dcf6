"""A thin, typed layer over PyMySQL: connect with clear one-line errors, inspect, execute.

No message ever carries a password: PyMySQL's own texts only name the user and host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import pymysql

from wso2patch.dbplan import Flavour
from wso2patch.errors import DatabaseError

UNREACHABLE = {2002, 2003, 2005, 2006, 2013}
DENIED = {1045, 1698}
NO_PRIVILEGE = {1044, 1142, 1227, 1410}


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    user: str
    password: str
    role: str = "admin"  # says whose credentials failed, so the hint points at the right setting

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _error(e: Exception, ep: Endpoint, doing: str) -> DatabaseError:
    code = e.args[0] if e.args and isinstance(e.args[0], int) else 0
    msg = str(e.args[1]) if len(e.args) > 1 else str(e)
    if code in UNREACHABLE:
        return DatabaseError(f"cannot reach the MySQL server at {ep.where} ({msg})", where=ep.where,
                             hint="check [database] host and port, and that the server runs and is reachable from here")
    if code in DENIED:
        hint = ("check --admin-user and --admin-password-env" if ep.role == "admin" else
                "the spec's username/password do not work there: run 'wso2patch db init' or fix [database]")
        return DatabaseError(f"access denied for the {ep.role} user {ep.user!r}", where=ep.where, hint=hint)
    if code in NO_PRIVILEGE:
        return DatabaseError(f"the {ep.role} user {ep.user!r} lacks a privilege while {doing}: {msg}", where=ep.where,
                             hint="use an account with CREATE, CREATE USER and GRANT OPTION (root, for example)")
    return DatabaseError(f"MySQL error {code} while {doing}: {msg}", where=ep.where)


def flavour_of(version: str) -> Flavour:
    if "mariadb" in version.lower():
        return "mariadb"
    m = re.match(r"(\d+)\.(\d+)", version)
    major, minor = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    if (major, minor) >= (8, 0):
        return "mysql8"
    if (major, minor) >= (5, 7):
        return "mysql5.7"
    raise DatabaseError(f"MySQL {version} is older than 5.7, which CREATE USER IF NOT EXISTS needs",
                        hint="run 'wso2patch db sql' and adapt the user statements by hand")


class Server:
    def __init__(self, ep: Endpoint, *, database: str | None = None, timeout: float = 10) -> None:
        self.ep = ep
        try:
            self.conn = pymysql.connect(host=ep.host, port=ep.port, user=ep.user, password=ep.password,
                                        database=database, connect_timeout=timeout, autocommit=True)
        except pymysql.MySQLError as e:
            raise _error(e, ep, "connecting") from None
        except (OSError, ValueError) as e:
            raise DatabaseError(f"cannot connect to {ep.where}: {e}", where=ep.where,
                                hint="check [database] host and port") from None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.conn.close()

    def query(self, sql: str, args: Any = None, doing: str = "querying") -> list[tuple[Any, ...]]:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, args)
                return list(cur.fetchall())
        except pymysql.MySQLError as e:
            raise _error(e, self.ep, doing) from None

    def execute(self, sql: str, args: Any = None, doing: str = "executing") -> None:
        self.query(sql, args, doing)

    def version(self) -> str:
        return str(self.query("SELECT VERSION()")[0][0])

    def databases(self) -> set[str]:
        return {str(r[0]) for r in self.query("SHOW DATABASES")}

    def tables(self, db: str) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (db,))
        return {str(r[0]).upper() for r in rows}

    def indexes(self, db: str) -> set[tuple[str, str]]:
        rows = self.query("SELECT DISTINCT table_name, index_name FROM information_schema.statistics "
                          "WHERE table_schema = %s", (db,))
        return {(str(t).upper(), str(i).upper()) for t, i in rows}

    def constraints(self, db: str) -> set[tuple[str, str]]:
        rows = self.query("SELECT table_name, constraint_name FROM information_schema.table_constraints "
                          "WHERE table_schema = %s", (db,))
        return {(str(t).upper(), str(c).upper()) for t, c in rows}

    def user_exists(self, user: str, host: str) -> bool:
        return bool(self.query("SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s", (user, host),
                               "looking up the application user")[0][0])

    def grants(self, account: str) -> list[str]:
        return [str(r[0]) for r in self.query(f"SHOW GRANTS FOR {account}", doing="reading grants")]


def can_login(ep: Endpoint, database: str | None = None) -> bool:
    try:
        with Server(ep, database=database):
            return True
    except DatabaseError as e:
        if "access denied" in e.message:
            return False
        raise
