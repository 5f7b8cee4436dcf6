"""The MySQL JDBC driver: copy a Connector/J jar into the home, as part of the apply transaction."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from wso2patch.errors import ConfigError
from wso2patch.products import driver_dirs

DRIVER_DIR = "repository/components/lib"  # MB, Carbon, ESB; the product table says each product's (EI: lib)
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


def is_driver_path(rel: str) -> bool:
    """<a product's driver folder>/<name>.jar: the only file wso2patch copies into a home."""
    folder, _, name = rel.rpartition("/")
    return folder in driver_dirs() and name.endswith(".jar") and not name.startswith(".") and name.isprintable()


def driver_copy(home: Path, jar: Path, lib: str = DRIVER_DIR) -> FileCopy:
    """Check that `jar` is a MySQL Connector/J jar, and plan its copy into the product's `lib` folder."""
    if not is_driver_path(f"{lib}/{jar.name}"):
        raise ConfigError("a driver jar's name must end in .jar (and not start with a dot)", where=jar,
                          hint="pass the mysql-connector-java jar under its own name")
    import zipfile  # only with --jdbc-driver: zipfile and what it imports cost a tenth of the floor

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
    rel = f"{lib}/{jar.name}"
    target = home / rel
    if not target.parent.is_dir():
        raise ConfigError(f"{lib} is missing", where=home, hint="is this a complete product home?")
    return FileCopy(rel=rel, path=target, old=_present(target), new=data)


def _present(target: Path) -> bytes | None:
    """The jar already in place, if any. It must be a plain file: wso2patch never reads or writes a driver jar
    through a link (or from a FIFO) another user put there."""
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as e:
        what = "a symbolic link is" if e.errno == errno.ELOOP else f"cannot read ({e.strerror}) what is"
        raise ConfigError(f"{what} where the driver jar goes", where=target,
                          hint="nothing was written; remove it (or put the jar there yourself) and rerun") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError("something other than a plain file is where the driver jar goes", where=target,
                              hint="nothing was written; remove it and rerun")
        return f.read()


def driver_jars(home: Path, lib: str = DRIVER_DIR) -> list[Path]:
    """MySQL connector jars already in the home's `lib` folder (check warns when there is none)."""
    folder = home / lib
    return sorted(folder.glob("mysql-connector-*.jar")) if folder.is_dir() else []
