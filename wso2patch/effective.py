"""A home's effective configuration, flattened to keyed paths such as `carbon.Ports.Offset`,
`axis2.clustering.parameter[localMemberHost]`, `axis2.clustering.members` or
`datasources[jdbc/WSO2RegistryDB].url`: what `check` reasons about and `compare` diffs.

Siblings are keyed by what identifies them (a `name` attribute, a mount's path, a datasource's
JNDI name), so two nodes' keys line up. Secrets (wso2patch.secrets: `<password>`, `<KeyPassword>`,
`<Property name="ConnectionPassword">`, a `keystorePass` attribute, `password=` in a URL) are replaced by a
short hash where they sit: comparable, never printed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wso2patch.edits import text_value
from wso2patch.ops import elements
from wso2patch.plan import read_config
from wso2patch.secrets import is_secret_name, mask_text
from wso2patch.xmlio import Doc, Node

FILES = {
    "axis2": "repository/conf/axis2/axis2.xml",
    "carbon": "repository/conf/carbon.xml",
    "datasources": "repository/conf/datasources/master-datasources.xml",
    "registry": "repository/conf/registry.xml",
    "user-mgt": "repository/conf/user-mgt.xml",
    "broker": "repository/conf/broker.xml",
}
Value = str | list[str]


@dataclass
class Effective:
    home: Path
    flat: dict[str, Value] = field(default_factory=dict)
    jndi: list[str] = field(default_factory=list)  # every active datasource's JNDI name, duplicates kept
    references: list[tuple[str, str]] = field(default_factory=list)  # (file, JNDI name) the product looks up

    def get(self, key: str) -> str | None:
        value = self.flat.get(key)
        return value if isinstance(value, str) else None

    def members(self) -> list[str]:
        value = self.flat.get("axis2.clustering.members")
        return value if isinstance(value, list) else []


def _hash(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def _hidden(value: str, secret: bool) -> str:
    """A secret value as its hash; any other value with its secret parts (a URL's password=) hashed."""
    return (_hash(value) if value else value) if secret else mask_text(value, _hash)


def _segment(el: Node, counts: Counter[str], seen: Counter[str]) -> str:
    tag = el.tag
    if el.get("name") is not None:
        return f"{tag}[{el.get('name')}]"
    if tag == "mount" and el.get("path") is not None:
        return f"mount[{el.get('path')}]"
    if tag == "remoteInstance":
        return f"remoteInstance[{(el.findtext('id') or '').strip()}]"
    if counts[tag] > 1:
        seen[tag] += 1
        return f"{tag}[{seen[tag]}]"
    return str(tag)


def _walk(el: Node, prefix: str, out: dict[str, Value]) -> None:
    kids = elements(el)
    counts, seen = Counter(k.tag for k in kids), Counter[str]()
    for k in kids:
        segment = _segment(k, counts, seen)
        path = f"{prefix}.{segment}"
        secret = is_secret_name(str(k.tag)) or is_secret_name(k.get("name") or "")  # <Property name="...Password">
        for name, value in k.attrib.items():
            # the attribute that keys the segment is in the key already; namespaced ones (secure-vault
            # aliases) are not configuration values
            if "}" not in name and f"[{value}]" != segment.removeprefix(str(k.tag)):
                out[f"{path}.@{name}"] = _hidden(value, is_secret_name(name) or (secret and name == "value"))
        if elements(k):
            _walk(k, path, out)
        else:
            out[path] = _hidden((text_value(k) or "").strip(), secret)  # <Offset><!-- c -->3</Offset> is 3


def _datasources(doc: Doc, eff: Effective) -> None:
    for ds in doc.xpath("/datasources-configuration/datasources/datasource"):
        jndi = (ds.findtext("jndiConfig/name") or "").strip()
        eff.jndi.append(jndi)
        base = f"datasources[{jndi}]"
        eff.flat[f"{base}.name"] = (ds.findtext("name") or "").strip()
        definition = ds.find("definition")
        if definition is not None:
            eff.flat[f"{base}.type"] = definition.get("type", "")
            _walk(definition.find("configuration") if definition.find("configuration") is not None else definition,
                  base, eff.flat)


def _axis2(doc: Doc, eff: Effective) -> None:
    members = doc.xpath("/axisconfig/clustering/members")
    eff.flat["axis2.clustering.members"] = [
        f"{(m.findtext('hostName') or '').strip()}:{(m.findtext('port') or '').strip()}"
        for ms in members for m in elements(ms)]
    for m in members:
        m.getparent().remove(m)  # the list above stands for them
    _walk(doc.tree.getroot(), "axis2", eff.flat)


def load(home: Path, planned: Mapping[str, bytes] | None = None) -> Effective:
    """Read a home's config files (or the bytes a plan would write, where given)."""
    eff = Effective(home)
    for label, rel in FILES.items():
        raw = (planned or {}).get(rel)
        if raw is None:
            if not (home / rel).is_file():
                continue
            raw = read_config(home / rel)
        doc = Doc(raw, where=str(home / rel))
        if label == "axis2":
            _axis2(doc, eff)
        elif label == "datasources":
            _datasources(doc, eff)
        else:
            _walk(doc.tree.getroot(), label, eff.flat)
        eff.references += _references(label, doc)
    return eff


def _references(label: str, doc: Doc) -> list[tuple[str, str]]:
    paths = {"user-mgt": "/UserManager/Realm/Configuration/Property[@name='dataSource']",
             "registry": "/wso2registry/dbConfig/dataSource",
             "broker": "//property[@name='dataSource']"}
    if label not in paths:
        return []
    return [(FILES[label], (n.text or "").strip()) for n in doc.xpath(paths[label])]
