"""A home's effective configuration, flattened to keyed paths such as `carbon.Ports.Offset`,
`axis2.clustering.parameter[localMemberHost]`, `axis2.clustering.members` or
`datasources[jdbc/WSO2RegistryDB].url`: what `check` reasons about and `compare` diffs (by role, compare.py).

Siblings are keyed by what identifies them (a `name` attribute, a mount's path, a datasource's JNDI name), so two
nodes' keys line up. Every key also records where it stands (`Where`: the file, an XPath without namespace
prefixes, the line), so that a finding can name the element. Secrets (wso2patch.secrets: `<password>`,
`<KeyPassword>`, `<Property name="ConnectionPassword">`, a `keystorePass` attribute, `password=` in a URL) are
replaced by a short hash where they sit: comparable, never printed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wso2patch.detect import detect
from wso2patch.edits import elements, text_value
from wso2patch.plan import read_config
from wso2patch.products import CLASSIC_CONF, Product
from wso2patch.secrets import is_secret_name, mask_text
from wso2patch.xmlio import Doc
from wso2patch.xmlparse import Node

FILES = {  # relative to the config root of the node's product and profile (Product.conf)
    "axis2": "axis2/axis2.xml",
    "carbon": "carbon.xml",
    "datasources": "datasources/master-datasources.xml",
    "registry": "registry.xml",
    "user-mgt": "user-mgt.xml",
    "broker": "broker.xml",
}
# Where broker.xml holds a message store the nodes share. Other products may ship a broker.xml too (API Manager's
# embedded broker must stay local): it is read only for these targets, never because the file is there.
MB_STORE = frozenset({"mb", "ei:broker"})
Value = str | list[str]


@dataclass(frozen=True)
class Where:
    file: str  # relative to the home: the config root, then a path of FILES
    element: str  # XPath without namespace prefixes: /axisconfig/clustering/parameter[@name='domain']
    line: int | None


@dataclass
class Effective:
    home: Path
    product: Product | None = None  # None: built by hand, read as a repository/conf product
    flat: dict[str, Value] = field(default_factory=dict)
    where: dict[str, Where] = field(default_factory=dict)  # flat key -> where it stands
    jndi: list[str] = field(default_factory=list)  # every active datasource's JNDI name, duplicates kept
    references: list[tuple[str, str]] = field(default_factory=list)  # (file, JNDI name) the product looks up
    planned: Mapping[str, bytes] = field(default_factory=dict)  # the bytes a plan would write (check --planned)

    def get(self, key: str) -> str | None:
        value = self.flat.get(key)
        return value if isinstance(value, str) else None

    def rel(self, label: str) -> str:
        """Where a file of FILES stands, relative to the home."""
        return f"{self.product.conf if self.product is not None else CLASSIC_CONF}/{FILES[label]}"

    @property
    def target(self) -> str | None:
        """How patches name the node's product and profile ("esb", "ei:broker"); None when unknown."""
        return self.product.target if self.product is not None else None

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


def _quote(value: str) -> str:
    return f"'{value}'" if "'" not in value else f'"{value}"'


def _step(el: Node, position: int, counts: Counter[str]) -> str:
    """The XPath step that selects el among its siblings, by the same identity as its key segment."""
    tag = str(el.tag)
    if el.get("name") is not None:
        return f"{tag}[@name={_quote(el.get('name'))}]"
    if tag == "mount" and el.get("path") is not None:
        return f"mount[@path={_quote(el.get('path'))}]"
    if tag == "remoteInstance":
        return f"remoteInstance[id={_quote((el.findtext('id') or '').strip())}]"
    return f"{tag}[{position}]" if counts[tag] > 1 else tag


@dataclass
class _Walk:
    doc: Doc
    file: str
    eff: Effective

    def put(self, key: str, value: Value, xpath: str, node: Node) -> None:
        self.eff.flat[key] = value
        self.eff.where[key] = Where(self.file, xpath, self.doc.line_of(node))

    def walk(self, el: Node, prefix: str, xprefix: str) -> None:
        kids = elements(el)
        counts, seen, position = Counter(k.tag for k in kids), Counter[str](), Counter[str]()
        for k in kids:
            position[k.tag] += 1
            segment = _segment(k, counts, seen)
            path, xpath = f"{prefix}.{segment}", f"{xprefix}/{_step(k, position[k.tag], counts)}"
            secret = is_secret_name(str(k.tag)) or is_secret_name(k.get("name") or "")  # <Property name="..Password">
            for name, value in k.attrib.items():
                # the attribute that keys the segment is in the key already; namespaced ones (secure-vault
                # aliases) are not configuration values
                if "}" not in name and f"[{value}]" != segment.removeprefix(str(k.tag)):
                    self.put(f"{path}.@{name}", _hidden(value, is_secret_name(name) or (secret and name == "value")),
                             f"{xpath}/@{name}", k)
            if elements(k):
                self.walk(k, path, xpath)
            else:  # <Offset><!-- c -->3</Offset> is 3
                self.put(path, _hidden((text_value(k) or "").strip(), secret), xpath, k)


def _datasources(w: _Walk) -> None:
    for ds in w.doc.xpath("/datasources-configuration/datasources/datasource"):
        jndi = (ds.findtext("jndiConfig/name") or "").strip()
        name = (ds.findtext("name") or "").strip()
        w.eff.jndi.append(jndi)
        base, xbase = f"datasources[{jndi}]", f"/datasources-configuration/datasources/datasource[name={_quote(name)}]"
        w.put(f"{base}.name", name, f"{xbase}/name", ds.find("name") if ds.find("name") is not None else ds)
        definition = ds.find("definition")
        if definition is not None:
            w.put(f"{base}.type", definition.get("type", ""), f"{xbase}/definition/@type", definition)
            configuration = definition.find("configuration")
            if configuration is not None:
                w.walk(configuration, base, f"{xbase}/definition/configuration")
            else:
                w.walk(definition, base, f"{xbase}/definition")


def _axis2(w: _Walk) -> None:
    members = w.doc.xpath("/axisconfig/clustering/members")
    anchor = members[0] if members else next(iter(w.doc.xpath("/axisconfig/clustering")), None)
    value: Value = [f"{(m.findtext('hostName') or '').strip()}:{(m.findtext('port') or '').strip()}"
                    for ms in members for m in elements(ms)]
    if anchor is not None:
        w.put("axis2.clustering.members", value, "/axisconfig/clustering/members", anchor)
    else:
        w.eff.flat["axis2.clustering.members"] = value
    for m in members:
        m.getparent().remove(m)  # the list above stands for them
    w.walk(w.doc.tree.getroot(), "axis2", "/axisconfig")


def load(home: Path, planned: Mapping[str, bytes] | None = None, product: Product | None = None) -> Effective:
    """Read the config files of a home's product and profile (None: detect it, main profile) under its config
    root, or the bytes a plan would write where given (keyed by path relative to the home, as Plan.planned)."""
    eff = Effective(home, detect(home) if product is None else product, planned=dict(planned or {}))
    for label in FILES:
        if label == "broker" and eff.target not in MB_STORE:
            continue
        rel = eff.rel(label)
        raw = (planned or {}).get(rel)
        if raw is None:
            if not (home / rel).is_file():
                continue
            raw = read_config(home / rel)
        doc = Doc(raw, where=str(home / rel))
        w = _Walk(doc, rel, eff)
        if label == "axis2":
            _axis2(w)
        elif label == "datasources":
            _datasources(w)
        else:
            w.walk(doc.tree.getroot(), label, f"/{doc.tree.getroot().tag}")
        eff.references += [(rel, jndi) for jndi in _references(label, doc)]
    return eff


def _references(label: str, doc: Doc) -> list[str]:
    paths = {"user-mgt": "/UserManager/Realm/Configuration/Property[@name='dataSource']",
             "registry": "/wso2registry/dbConfig/dataSource",
             "broker": "//property[@name='dataSource']"}
    if label not in paths:
        return []
    return [(n.text or "").strip() for n in doc.xpath(paths[label])]
