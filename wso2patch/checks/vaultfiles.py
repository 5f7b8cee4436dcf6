"""What Carbon's secure vault reads from a home, for `check`: every svns:secretAlias attribute, the entries of
cipher-text.properties, and the settings of secret-conf.properties and cipher-tool.properties.

Only files are read (or the bytes a plan would write, where given), so hand-configured homes and homes configured
with WSO2's ciphertool.sh are judged by the same rules as the ones wso2patch configures. Nothing here keeps or
returns a cipher text or a password: an entry is known by its alias, its line and its kind.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from wso2patch.errors import ConfigError
from wso2patch.plan import read_config
from wso2patch.properties import parse
from wso2patch.xmlio import Doc

SVNS = "http://org.wso2.securevault/configuration"
CONF = "repository/conf"  # the classic config root; EI's is "conf" (the caller passes the product's)
# config files wso2patch writes, relative to the config root: judged whatever cipher-tool.properties lists
MANAGED = ("carbon.xml", "datasources/master-datasources.xml", "axis2/axis2.xml", "user-mgt.xml", "registry.xml",
           "tomcat/catalina-server.xml", "broker.xml")
# outside the config root, user stores carry secretAlias attributes and synapse artifacts {wso2:vault-lookup('a')}
USERSTORES = "repository/deployment/server/userstores"
SYNAPSE = "repository/deployment/server/synapse-configs"
_LOOKUP = re.compile(rb"""vault-lookup\(\s*['"]([^'"]+)['"]\s*\)""")
_REFERENCE = re.compile(r"^\$(?:env|sys)?\{[^}]+\}$")  # resolved by newer securevault releases, not a cipher text
CARBON_HOME = "${carbon.home}"


@dataclass(frozen=True)
class Use:
    """One svns:secretAlias attribute (or one in a namespace Carbon does not read)."""

    alias: str
    file: str  # relative to the home
    element: str  # XPath without namespace prefixes
    line: int
    namespace: str | None


@dataclass(frozen=True)
class CipherEntry:
    alias: str
    line: int
    kind: str  # "encrypted", "placeholder" ([plain text], as WSO2 ships it), "empty", "reference", "malformed"


@dataclass
class Files:
    """A home's files as `check` sees them: the planned bytes where given, else the disk."""

    home: Path
    planned: Mapping[str, bytes] = field(default_factory=dict)
    # the profile's carbon home under the home ("" or EI's "wso2/broker", whose wso2server.sh runs from there):
    # relative paths and ${carbon.home} in secret-conf and cipher-tool resolve against it, as Carbon resolves them
    base: str = ""
    unreadable: list[tuple[str, str, int | None]] = field(default_factory=list)  # (file, what is wrong, line)

    def _unreadable(self, rel: str, e: ConfigError) -> None:
        line = re.search(r":(\d+):\d+$", e.where or "")
        self.unreadable.append((rel, f"{e.message}; {e.hint}" if e.hint else e.message,
                                int(line.group(1)) if line else None))

    def read(self, rel: str) -> bytes | None:
        """The bytes, None when absent; a file that cannot be read (a FIFO, too large) is noted in `unreadable`."""
        if rel in self.planned:
            return self.planned[rel]
        path = self.home / rel
        try:
            return read_config(path) if path.exists() else None
        except ConfigError as e:
            self._unreadable(rel, e)
            return None

    def xml_files(self, *folders: str) -> list[str]:
        """Every *.xml under the folders (relative to the home), on disk or planned."""
        out = {rel for rel in self.planned if rel.endswith(".xml") and any(rel.startswith(f"{f}/") for f in folders)}
        for folder in folders:
            for root, _, names in os.walk(self.home / folder):
                out |= {(Path(root) / n).relative_to(self.home).as_posix() for n in names if n.endswith(".xml")}
        return sorted(out)

    def doc(self, rel: str) -> Doc | None:
        """The file parsed, None when absent; a file that cannot be parsed is noted in `unreadable`."""
        try:
            raw = self.read(rel)
            return Doc(raw, where=rel) if raw is not None else None
        except ConfigError as e:
            self._unreadable(rel, e)
            return None

    def properties(self, rel: str) -> dict[str, tuple[str, int]] | None:
        """key -> (value, line) as Java's Properties.load reads the file (the last occurrence wins); None: absent."""
        try:
            raw = self.read(rel)
            if raw is None:
                return None
            return {e.key: (e.value, e.line) for e in parse(raw.decode("latin-1"), where=rel).entries}
        except ConfigError as e:
            self._unreadable(rel, e)
            return None


def _uses(doc: Doc, rel: str) -> Iterator[Use]:
    tree = doc.tree
    for el in tree.getroot().iter(tag=etree.Element):
        for name, value in el.attrib.items():
            q = etree.QName(name)
            if q.localname == "secretAlias":
                yield Use(value.strip(), rel, re.sub(r"\{[^}]*\}", "", tree.getpath(el)), doc.line_of(el), q.namespace)


def alias_uses(files: Files, conf: str) -> list[Use]:
    """Every secretAlias attribute in the config files: all XML under the config root and the user stores, and
    each file cipher-tool.properties names (a file without the word 'secretAlias' is not parsed)."""
    rels = set(files.xml_files(conf, USERSTORES)) | {f"{conf}/{m}" for m in MANAGED} | set(tool_files(files, conf))
    out: list[Use] = []
    for rel in sorted(rels):
        raw = files.read(rel)
        if raw is None or b"secretAlias" not in raw:
            continue
        doc = files.doc(rel)
        if doc is not None:
            out += _uses(doc, rel)
    return out


def lookups(files: Files) -> set[str]:
    """Aliases synapse artifacts read with vault-lookup('alias') (ESB and EI): they need no attribute."""
    out: set[str] = set()
    for rel in files.xml_files(SYNAPSE):
        raw = files.read(rel) or b""
        out |= {m.decode("utf-8", "replace") for m in _LOOKUP.findall(raw)}
    return out


def tool_files(files: Files, conf: str) -> list[str]:
    """The files cipher-tool.properties names (`alias=<file>//<xpath>,<flag>`), relative to the home."""
    props = files.properties(f"{conf}/security/cipher-tool.properties") or {}
    out = []
    for value, _ in props.values():
        name = value.partition("//")[0].strip() if "//" in value else ""
        rel = inside(files.home, name, files.base) if name else None
        if rel is not None:
            out.append(rel)
    return out


def classify(value: str) -> str:
    text = value.strip()
    if not text:
        return "empty"
    if "[" in text and "]" in text[text.index("[") :]:  # as ciphertool.sh tells a plain text to encrypt
        return "placeholder"
    if _REFERENCE.match(text):
        return "reference"
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return "malformed"
    return "encrypted"


def cipher_entries(props: Mapping[str, tuple[str, int]]) -> dict[str, CipherEntry]:
    return {alias: CipherEntry(alias, line, classify(value)) for alias, (value, line) in props.items()}


def absolute(home: Path) -> Path:
    """The home as an absolute path, '..' collapsed (not resolving links: as the operator wrote it)."""
    return Path(os.path.normpath(home.absolute()))


def resolve(home: Path, location: str, base: str = "") -> Path:
    """A path as Carbon opens it: ${carbon.home} is the profile's carbon home (`base` under the home), a relative
    path is relative to it (the start scripts cd there), '..' collapsed as the file system would. Always absolute."""
    root = absolute(home) / base
    path = Path(location.strip().replace(CARBON_HOME, str(root)))
    return Path(os.path.normpath(path if path.is_absolute() else root / path))


def inside(home: Path, location: str, base: str = "") -> str | None:
    """The location relative to the home (not to `base`) when it lies inside the home, else None."""
    path = resolve(home, location, base)
    for top in (absolute(home), home.resolve()):
        if path.is_relative_to(top):
            return path.relative_to(top).as_posix()
    return None


def other_home(path: Path) -> Path | None:
    """The home a keystore path lies in, when it has a WSO2 home's layout (…/repository/resources/security/…)."""
    parts = path.parts
    for i in range(len(parts) - 2):
        if parts[i : i + 3] == ("repository", "resources", "security"):
            return Path(*parts[:i]) if i else None
    return None
