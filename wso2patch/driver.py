"""The MySQL JDBC driver: copy a Connector/J jar into the home, as part of the apply transaction."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from wso2patch.errors import ConfigError

DRIVER_DIR = "repository/components/lib"
DRIVER_CLASSES = ("com/mysql/jdbc/Driver.class", "com/mysql/cj/jdbc/Driver.class")


@dataclass(frozen=True)
class FileCopy:
    rel: str
    path: Path
    old: bytes | None  # None: the file is new
    new: bytes

    @property
    def changed(self) -> bool:
        return self.old != self.new


def driver_copy(home: Path, jar: Path) -> FileCopy:
    """Check that `jar` is a MySQL Connector/J jar, and plan its copy into repository/components/lib."""
    try:
        data = jar.read_bytes()
        with zipfile.ZipFile(jar) as z:
            names = set(z.namelist())
    except FileNotFoundError:
        raise ConfigError("JDBC driver jar not found", where=jar,
                          hint="pass the path of mysql-connector-*.jar") from None
    except (OSError, zipfile.BadZipFile) as e:
        raise ConfigError(f"not a readable jar: {e}", where=jar,
                          hint="download MySQL Connector/J and pass its .jar") from None
    if not names.intersection(DRIVER_CLASSES):
        raise ConfigError("not a MySQL Connector/J jar (no com.mysql.jdbc.Driver or com.mysql.cj.jdbc.Driver)",
                          where=jar, hint="pass the mysql-connector-java jar")
    rel = f"{DRIVER_DIR}/{jar.name}"
    target = home / rel
    if not target.parent.is_dir():
        raise ConfigError(f"{DRIVER_DIR} is missing", where=home, hint="is this a complete product home?")
    try:
        old = target.read_bytes()
    except FileNotFoundError:
        old = None
    return FileCopy(rel=rel, path=target, old=old, new=data)


def driver_jars(home: Path) -> list[Path]:
    """MySQL connector jars already in the home (check warns when there is none)."""
    lib = home / DRIVER_DIR
    return sorted(lib.glob("mysql-connector-*.jar")) if lib.is_dir() else []
