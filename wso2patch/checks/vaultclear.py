"""vault-clear: while the vault is in use, no datasource password or AWS secret key is left in clear (an embedded H2
database's password is only a warning: whoever reads the file can read the database beside it)."""

from __future__ import annotations

from wso2patch.checks.roles import embedded
from wso2patch.checks.vaultfiles import Files
from wso2patch.checks.vaultreport import FIX, Report
from wso2patch.effective import Where
from wso2patch.secrets import mask_url
from wso2patch.xmlparse import Node


def check(r: Report, files: Files, conf: str) -> None:
    """Datasource passwords and the AWS secret key, in clear while the vault is in use."""
    rel = f"{conf}/datasources/master-datasources.xml"
    found = 0
    doc = files.doc(rel)
    if doc is not None:
        for ds in doc.xpath("/datasources-configuration/datasources/datasource"):
            name = (ds.findtext("name") or "").strip()
            url = (ds.findtext("definition/configuration/url") or "").strip()
            for pw in doc.xpath("definition/configuration/password | "
                                "definition/configuration/dataSourceProps/property[@name='password']", ds):
                if not _clear_text(pw):
                    continue
                found += 1
                what = f"datasource {name}: <{'password' if pw.tag == 'password' else 'property name=password'}>"
                step = "password" if pw.tag == "password" else "dataSourceProps/property[@name='password']"
                where = Where(rel, f"/datasources-configuration/datasources/datasource[name='{name}']/definition/"
                                   f"configuration/{step}", doc.line_of(pw))
                if embedded(url):  # the database file sits in the home: whoever reads this file can read it
                    r.add("warning", "vault-clear", f"{what} is in clear, for an embedded H2 database "
                          f"({mask_url(url)})", where)
                else:
                    r.add("error", "vault-clear", f"{what} is in clear while the vault is in use: {FIX}", where)
    rel = f"{conf}/axis2/axis2.xml"
    doc = files.doc(rel)
    if doc is not None:
        for p in doc.xpath("/axisconfig/clustering/parameter[@name='secretKey']"):
            if _clear_text(p):
                found += 1
                r.add("error", "vault-clear", "the AWS membership secretKey is in clear while the vault is in use: "
                      f"{FIX}", Where(rel, "/axisconfig/clustering/parameter[@name='secretKey']", doc.line_of(p)))
    if not found:
        r.add("ok", "vault-clear", "no datasource password or AWS secret key in clear", None)


def _clear_text(el: Node) -> bool:
    """A secret in clear: text, and no secretAlias attribute (in any namespace) that replaces it."""
    has_alias = any(str(k).rpartition("}")[2] == "secretAlias" for k in el.attrib)
    return not has_alias and bool("".join(el.itertext()).strip())
