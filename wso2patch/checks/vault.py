"""Secure-vault rules, node by node, from the files alone (or the bytes a plan would write).

vault-aliases: every svns:secretAlias has an encrypted entry in cipher-text.properties, and every encrypted entry
is referenced (Carbon's file repository decrypts every entry at start-up, referenced or not; a stock `[plain]`
placeholder nobody uses is only a warning). vault-config: when an alias is used, secret-conf.properties enables the
file repository and names an identity keystore that exists inside this home (ciphertool.sh writes the absolute
path of the home it ran in, so a copied or moved home silently decrypts with another home's keystore, or not at
all). vault-clear: while the vault is in use, no datasource password or AWS secret key is left in clear.
A finding names the alias, the element and the line, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wso2patch.checks import Ctx, NodeView
from wso2patch.checks.roles import embedded
from wso2patch.checks.vaultfiles import (
    CONF,
    SVNS,
    CipherEntry,
    Files,
    Use,
    absolute,
    alias_uses,
    cipher_entries,
    inside,
    lookups,
    other_home,
    resolve,
)
from wso2patch.effective import Where
from wso2patch.secrets import mask_url
from wso2patch.xmlio import Node

_FIX = "encrypt it with ciphertool.sh, or let wso2patch do it ([vault] enabled = true)"


@dataclass
class Report:
    """One node's findings as (level, rule, message, where)."""

    out: list[tuple[str, str, str, Where | None]] = field(default_factory=list)

    def add(self, level: str, rule: str, message: str, where: Where | None = None) -> None:
        self.out.append((level, rule, message, where))


def spec_vault(spec: Any) -> bool:
    """`[vault] enabled = true` in the spec: the vault is in use on every node (spec.vault comes with issue 12's
    spec key; a spec without it has no vault)."""
    return bool(getattr(getattr(spec, "vault", None), "enabled", False))


def conf_root(node: NodeView) -> str:
    """The node's config root: "repository/conf", EI's "conf" or "wso2/broker/conf"."""
    return n.eff.product.conf if (n := node).eff is not None and n.eff.product is not None else CONF


def run(ctx: Ctx) -> None:
    enabled = spec_vault(ctx.spec)
    for n in ctx.here:
        assert n.eff is not None
        for level, rule, message, where in judge(Files(n.eff.home, n.eff.planned), conf_root(n), enabled).out:
            ctx.add(level, rule, n, message, where=where)


def judge(files: Files, conf: str = CONF, enabled: bool = False) -> Report:
    """Every vault rule on one home. enabled: the spec turns the vault on (else: in use when an alias is)."""
    r = Report()
    uses = alias_uses(files, conf)
    in_use = enabled or bool(uses)
    cipher_rel = _secret_conf(r, files, conf) if in_use else f"{conf}/security/cipher-text.properties"
    if cipher_rel is not None:
        _aliases(r, files, cipher_rel, uses, in_use)
    if in_use:
        _clear(r, files, conf)
    for rel, reason, line in files.unreadable:
        r.add("error", "vault-aliases", f"cannot be read: {reason}", Where(rel, "", line))
    return r


def _aliases(r: Report, files: Files, rel: str, uses: list[Use], in_use: bool) -> None:
    props = files.properties(rel)
    if props is None and any(u[0] == rel for u in files.unreadable):
        return  # reported as unreadable: every alias would be reported missing too
    entries = cipher_entries(props or {})
    bad = 0
    for u in uses:
        where = Where(u.file, u.element, u.line)
        e = entries.get(u.alias)
        if u.namespace != SVNS:
            problem = f"secretAlias {u.alias} is in namespace {u.namespace or '(none)'}, which Carbon ignores " \
                      f"(the element's text is used as it is): bind the prefix to {SVNS}"
        elif e is None:
            problem = f"alias {u.alias} has no entry in {rel}: Carbon uses the element's text as it is"
        elif e.kind in ("encrypted", "reference"):
            continue
        else:
            problem = f"alias {u.alias} is {_KIND[e.kind]} in {rel}:{e.line}, not encrypted: {_FIX}"
        bad += 1
        r.add("error", "vault-aliases", problem, where)
    used = {u.alias for u in uses} | lookups(files)
    unused = [e for e in entries.values() if e.alias not in used]
    for e in unused:
        if e.kind in ("encrypted", "malformed"):
            bad += 1
            what = "an encrypted entry" if e.kind == "encrypted" else "an entry that is not base64"
            r.add("error", "vault-aliases", f"alias {e.alias}: {what} that no svns:secretAlias references (Carbon "
                  "decrypts every entry at start-up): remove it, or reference it", Where(rel, e.alias, e.line))
    placeholders = [e for e in unused if e.kind == "placeholder"]
    if placeholders and in_use:
        r.add("warning", "vault-aliases", f"{len(placeholders)} unused plain-text placeholder"
              f"{'s' * (len(placeholders) > 1)} ({_names(placeholders)}), as WSO2 ships them: "
              f"{'passwords are' if len(placeholders) > 1 else 'a password is'} in clear in this file; remove or "
              "encrypt them", Where(rel, placeholders[0].alias, placeholders[0].line))
    if not bad:
        r.add("ok", "vault-aliases", f"{len(uses)} secret alias{'es' * (len(uses) != 1)}, each encrypted in {rel}"
              if uses else "no svns:secretAlias in the config files" if in_use else
              "no svns:secretAlias: the secure vault is not in use", None)


_KIND = {"placeholder": "a plain-text placeholder", "empty": "empty", "malformed": "not base64 (no cipher text)"}


def _names(entries: list[CipherEntry]) -> str:
    names = [e.alias for e in entries]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _secret_conf(r: Report, files: Files, conf: str) -> str | None:
    """secret-conf.properties: the file repository on, the identity keystore inside this home. Returns the
    cipher-text file it names, relative to the home (None: it names one that cannot be judged)."""
    rel = f"{conf}/security/secret-conf.properties"
    default = f"{conf}/security/cipher-text.properties"
    props = files.properties(rel)
    if props is None:
        r.add("error", "vault-config", f"{rel} is missing: Carbon starts no secret repository, so no alias is "
              "resolved; write it as ciphertool.sh -Dconfigure does, or apply with [vault] enabled = true",
              Where(rel, "", None))
        return default
    bad = False
    repos, line = props.get("secretRepositories", ("", None))
    if "file" not in [x.strip() for x in repos.split(",")]:
        bad = True
        r.add("error", "vault-config", "secretRepositories does not list the file-based repository (file): the "
              "aliases are not resolved", Where(rel, "secretRepositories", line))
    provider, pline = props.get("secretRepositories.file.provider", ("", line))
    if not provider.strip().endswith(".FileBaseSecretRepositoryProvider"):
        bad = True
        r.add("error", "vault-config", "secretRepositories.file.provider is not a FileBaseSecretRepositoryProvider",
              Where(rel, "secretRepositories.file.provider", pline))
    bad |= _keystore(r, files, rel, props)
    location, lline = props.get("secretRepositories.file.location", ("", None))
    cipher = inside(files.home, location) if location.strip() else default
    if cipher is None:
        bad = True
        r.add("error", "vault-config", f"secretRepositories.file.location points at {resolve(files.home, location)}, "
              f"outside this home ({absolute(files.home)}): point it at {default}",
              Where(rel, "secretRepositories.file.location", lline))
    if not bad:
        r.add("ok", "vault-config", f"the file repository decrypts {cipher} with "
              f"{props['keystore.identity.location'][0].strip()}", Where(rel, "", None))
    return cipher


def _keystore(r: Report, files: Files, rel: str, props: Mapping[str, tuple[str, int]]) -> bool:
    """True when the identity keystore is not a file inside this home (reported)."""
    key = "keystore.identity.location"
    location, line = props.get(key, ("", None))
    where = Where(rel, key, line)
    if not location.strip():
        r.add("error", "vault-config", f"{key} is not set: Carbon has no key to decrypt with", where)
        return True
    path, here = resolve(files.home, location), absolute(files.home)
    if inside(files.home, location) is None:
        other = other_home(path)
        if other is not None:
            r.add("error", "vault-config", f"{key} points at {path}, in another home ({other}), not this one ({here}): "
                  "the home was copied or moved; point it at this home's keystore", where)
        else:
            r.add("error", "vault-config", f"{key} points at {path}, outside this home ({here}): keep the keystore "
                  "inside the home", where)
        return True
    if not path.is_file():
        r.add("error", "vault-config", f"{key} points at {path}, which does not exist", where)
        return True
    return False


def _clear(r: Report, files: Files, conf: str) -> None:
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
                    r.add("error", "vault-clear", f"{what} is in clear while the vault is in use: {_FIX}", where)
    rel = f"{conf}/axis2/axis2.xml"
    doc = files.doc(rel)
    if doc is not None:
        for p in doc.xpath("/axisconfig/clustering/parameter[@name='secretKey']"):
            if _clear_text(p):
                found += 1
                r.add("error", "vault-clear", "the AWS membership secretKey is in clear while the vault is in use: "
                      f"{_FIX}", Where(rel, "/axisconfig/clustering/parameter[@name='secretKey']", doc.line_of(p)))
    if not found:
        r.add("ok", "vault-clear", "no datasource password or AWS secret key in clear", None)


def _clear_text(el: Node) -> bool:
    """A secret in clear: text, and no secretAlias attribute (in any namespace) that replaces it."""
    has_alias = any(str(k).rpartition("}")[2] == "secretAlias" for k in el.attrib)
    return not has_alias and bool("".join(el.itertext()).strip())
