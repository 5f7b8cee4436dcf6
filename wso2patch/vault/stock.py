"""[vault] include_stock: the stock secrets the home's cipher-tool.properties lists, encrypted as
`ciphertool.sh -Dconfigure` would, but byte-carefully and inside the same transaction.

cipher-tool.properties says, per alias, `<file>//<xpath>,<true|false>`: false, the secret is the element's text;
true with a last step `X[@attr]`, it is that attribute of X. The secret's value then becomes `password` and X gets
`svns:secretAlias`, its file's root the declaration. The XPath is Java's, namespace-unaware (carbon.xml's default
namespace is not written in it): each step is matched by local name here.

Which value is encrypted: the one the file holds now (as the plan leaves it), which is what the server uses; a
secret that already reads `password` with its alias is in the vault and keeps its cipher text. A target the plan
leaves absent (WSO2_CARBON_DB, which wso2patch comments out) makes ciphertool.sh fail: its alias is retired from
both .properties files. A target that is ambiguous, in a file wso2patch does not manage, or of a form this does not
know (broker.xml's `,true` without an attribute) is left as it is, and said in the plan's notes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from wso2patch.ops import DeclareNs, Op, SetAttr, SetText
from wso2patch.patchset import Step
from wso2patch.plan import read_config
from wso2patch.properties import parse
from wso2patch.vault.inputs import WRITTEN, Sealer, carbon_home

PATCH = "vault-stock"
SVNS = "http://org.wso2.securevault/configuration"
CIPHER_TOOL = "security/cipher-tool.properties"
_STEP = re.compile(r"([A-Za-z_][\w.-]*)((?:\[[^\]]*\])*)")
_ATTR_LAST = re.compile(r"\[@([A-Za-z_][\w.-]*)\]\Z")


@dataclass
class Stock:
    steps: dict[str, list[Step]] = field(default_factory=dict)  # file -> the XML edits
    secret: list[dict[str, str]] = field(default_factory=list)  # rows of vault.secret
    retired: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def local_xpath(path: str) -> str | None:
    """cipher-tool's namespace-unaware XPath as one lxml matches whatever the file's default namespace."""
    steps = []
    for part in path.strip("/").split("/"):
        m = _STEP.fullmatch(part)
        if m is None:
            return None
        steps.append(f"*[local-name()='{m.group(1)}']{m.group(2)}")
    return "/" + "/".join(steps)


def targets(home: Path, conf: str) -> dict[str, str]:
    """alias -> `<file>//<xpath>,<flag>` as the home's cipher-tool.properties lists them."""
    path = home / conf / CIPHER_TOOL
    if not path.is_file():
        return {}
    return parse(read_config(path).decode("latin-1"), where=str(path)).load()


def plan_stock(home: Path, conf: str, ours: set[str], planned: Callable[[str], bytes | None],
               managed: Callable[[str], bool], sealer: Sealer) -> Stock:
    """`planned(file)`: the file's bytes as the plan leaves them (None: absent); files relative to the home."""
    out = Stock()
    base = carbon_home(conf)[0]
    passwords: dict[str, str] = {}
    for alias, value in targets(home, conf).items():
        if alias in ours:
            continue
        seen, _, rest = value.partition("//")
        rel = f"{base}/{seen}" if base else seen  # cipher-tool names files from the profile's carbon home
        xpath, _, flag = rest.rpartition(",")
        attr = _ATTR_LAST.search(xpath) if flag.strip() == "true" else None
        element = local_xpath(xpath)  # X[@attr]: the X that has the attribute
        raw = planned(rel) if managed(rel) else None
        why = ("its XPath is not one wso2patch reads" if element is None else
               f"{rel} is not a file wso2patch writes" if not managed(rel) else
               f"{rel} is absent" if raw is None else
               "',true' without a last [@attribute] is a form wso2patch does not encrypt"
               if flag.strip() == "true" and attr is None else None)
        if why is not None or raw is None or element is None:
            out.notes.append(f"{alias} stays as it is: {why}")
            continue
        tree = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
        hits = tree.xpath(element)
        found = [n for n in hits if isinstance(n, etree._Element)] if isinstance(hits, list) else []
        if not found:
            out.retired.append(alias)  # ciphertool.sh would fail on it
            continue
        if len(found) > 1:
            out.notes.append(f"{alias} stays as it is: {len(found)} elements match {xpath}")
            continue
        el = found[0]
        now = el.get(attr.group(1)) if attr else "".join(str(t) for t in el.itertext())
        if now is None:
            out.retired.append(alias)
            continue
        in_vault = now == WRITTEN and el.get(f"{{{SVNS}}}secretAlias") == alias and alias in sealer.current
        if now == WRITTEN and not in_vault:  # 'password' is Carbon's placeholder, never the secret itself
            out.notes.append(f"{alias} stays as it is: its target reads 'password' but cipher-text.properties holds "
                             "no cipher text for it, so its plain text is unknown")
            continue
        if in_vault:
            out.secret.append({"secret.alias": alias, "secret.cipher": sealer.current[alias], "secret.target": value})
            if alias in sealer.tags:
                out.tags[alias] = sealer.tags[alias]
        else:
            passwords[alias] = now
            out.secret.append({"secret.alias": alias, "secret.cipher": "", "secret.target": value})
        out.steps.setdefault(rel, []).extend(_steps(tree, element, attr.group(1) if attr else None, alias))
    from wso2patch.vault import cipher  # cryptography: only once the vault is on

    texts, tags = cipher.seal(passwords, sealer.current, sealer.tags, sealer.key, sealer.public_key)
    for row in out.secret:
        if row["secret.alias"] in texts:
            row["secret.cipher"] = texts[row["secret.alias"]]
    out.tags |= tags
    return out


def _steps(tree: etree._Element, element: str, attr: str | None, alias: str) -> list[Step]:
    root = f"/*[local-name()='{etree.QName(tree).localname}']"
    ops: list[Op] = [DeclareNs(root, "svns", SVNS),
                     SetAttr(element, attr, WRITTEN) if attr else SetText(element, WRITTEN),
                     SetAttr(element, "svns:secretAlias", alias, (("svns", SVNS),))]
    kinds = ("declare_namespace", "set_attr" if attr else "set_text", "set_attr")
    return [Step(PATCH, kind, element, op) for kind, op in zip(kinds, ops, strict=True)]


def rows(vin_rows: Mapping[str, Sequence[Mapping[str, str]]], stock: Stock) -> dict[str, Sequence[Mapping[str, str]]]:
    """The vault's rows with the stock secrets added (ours first) and the retired stock aliases."""
    out: dict[str, Sequence[Mapping[str, str]]] = dict(vin_rows)
    out["vault.secret"] = [*vin_rows.get("vault.secret", []), *stock.secret]
    retired = [*vin_rows.get("vault.retired", []), *({"secret.alias": a} for a in stock.retired)]
    if retired:
        out["vault.retired"] = retired
    return out
