"""The RDBMS datasources a home's master-datasources.xml defines, and a live check of each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from wso2patch.dbserver import Endpoint, Server
from wso2patch.errors import DatabaseError
from wso2patch.plan import read_config
from wso2patch.products import CLASSIC_CONF
from wso2patch.secrets import mask_url as mask_url  # re-exported: check --db prints each URL through it
from wso2patch.xmlio import Doc

DATASOURCES = "datasources/master-datasources.xml"  # in the config root of the product's profile
# host[:port], [v6][:port] (Connector/J 8) or address=(protocol=tcp)(host=v6)(port=N) (5.1 and 8, as apply writes v6)
_MYSQL_URL = re.compile(r"^jdbc:mysql://(?:address=\(protocol=tcp\)\(host=(?P<h1>[^)]+)\)\(port=(?P<p1>\d+)\)"
                        r"|\[(?P<h2>[^\]]+)\](?::(?P<p2>\d+))?|(?P<h3>[^/:?\[]+)(?::(?P<p3>\d+))?)/(?P<db>[^?;]*)")


@dataclass(frozen=True)
class DataSource:
    name: str
    jndi: str
    url: str
    username: str
    password: str
    validation_query: str
    vault: bool  # the password is a secure-vault alias, not the password itself


@dataclass(frozen=True)
class Result:
    datasource: DataSource
    ok: bool | None  # None: not checked (not MySQL, or the password lives in the secure vault)
    detail: str


def read_datasources(home: Path, root: str = CLASSIC_CONF) -> list[DataSource]:
    """The RDBMS datasources of the profile whose config root (relative to the home) is `root`."""
    path = home / root / DATASOURCES
    doc = Doc(read_config(path), where=str(path))
    out = []
    for ds in doc.xpath("/datasources-configuration/datasources/datasource[definition/@type='RDBMS']"):
        conf = ds.find("definition/configuration")
        if conf is None:
            continue
        pw = conf.find("password")
        vault = pw is not None and any(k.endswith("secretAlias") for k in pw.attrib)
        out.append(DataSource(name=(ds.findtext("name") or "").strip(),
                              jndi=(ds.findtext("jndiConfig/name") or "").strip(),
                              url=(conf.findtext("url") or "").strip(), username=(conf.findtext("username") or ""),
                              password=(pw.text or "") if pw is not None else "", vault=vault,
                              validation_query=(conf.findtext("validationQuery") or "SELECT 1").strip()))
    return out


def check(ds: DataSource, timeout: float = 5) -> Result:
    m = _MYSQL_URL.match(ds.url)
    if not m:
        return Result(ds, None, "skipped: not a MySQL URL")
    if ds.vault:
        return Result(ds, None, "skipped: the password is a secure-vault alias")
    host, port = next((m[f"h{i}"], m[f"p{i}"]) for i in (1, 2, 3) if m[f"h{i}"])
    ep = Endpoint(host, int(port or 3306), ds.username, ds.password, role="application")
    try:
        with Server(ep, database=m["db"] or None, timeout=timeout) as server:
            server.query(ds.validation_query, doing=f"running validationQuery {ds.validation_query!r}")
    except DatabaseError as e:
        return Result(ds, False, e.message)
    return Result(ds, True, f"ok ({ds.validation_query})")

