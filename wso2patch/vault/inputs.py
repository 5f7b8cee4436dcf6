"""What the vault patches (70-74) need for one node, computed before the plan: the values with each encrypted
secret written as the literal `password` (Carbon's convention), each alias, the rows of cipher texts and retired
aliases, and the tags to keep in the journal.

Nothing here writes. A home without a vault key yet gets a fresh one (`new_key`), which the apply stores
(`.wso2patch/vault-key`) in the same transaction as the cipher texts it was used for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from wso2patch import variables
from wso2patch.entries import Transaction
from wso2patch.errors import ConfigError
from wso2patch.plan import read_config
from wso2patch.properties import parse
from wso2patch.statedir import STATE_DIR, StateDir
from wso2patch.vault.secrets import Secret, active, all_aliases

if TYPE_CHECKING:  # cryptography costs a plain diff ~30 ms: loaded only once the vault is on
    from wso2patch.vault import cipher, keystore

CONF = "repository/conf"
KEY_FILE = "vault-key"  # in .wso2patch/ (as vault.cipher.KEY_FILE, without importing cryptography)
CIPHER_TEXT = "security/cipher-text.properties"
WRITTEN = "password"  # what Carbon's secure vault expects in place of an encrypted secret


@dataclass(frozen=True)
class Sealer:
    """What encrypting and recognising a cipher text takes on this home."""

    key: bytes
    public_key: cipher.RSAPublicKey
    current: dict[str, str]  # cipher-text.properties as it is now
    tags: dict[str, str]  # as the journal keeps them


@dataclass(frozen=True)
class VaultInputs:
    values: dict[str, str]
    rows: dict[str, Sequence[Mapping[str, str]]]
    tags: dict[str, str] | None  # to record with the apply; None: the vault was never on here, nothing to record
    new_key: bytes | None = None  # a key made for this plan: the apply stores it
    sealer: Sealer | None = None  # the vault is on


def current_tags(history: Sequence[Transaction]) -> dict[str, str] | None:
    """The tags of the newest committed transaction that recorded some (None when none ever did)."""
    for tx in reversed(history):
        if tx.state == "committed" and tx.vault is not None:
            return dict(tx.vault)
    return None


def key_path(home: Path) -> Path:
    return home / STATE_DIR / KEY_FILE


def carbon_home(conf: str) -> tuple[str, str]:
    """The profile's carbon home (relative to the home: "" for the home itself) and its config root as seen from
    there: repository/conf (MB, Carbon, ESB), conf (EI's integrator, and each profile under wso2/<name>/, whose
    start script makes that folder the carbon home)."""
    seen_as = CONF if conf == CONF or conf.endswith(f"/{CONF}") else "conf"
    return conf[: -len(seen_as)].rstrip("/"), seen_as


def prepare(home: Path, values: Mapping[str, str], rows: Mapping[str, Sequence[Mapping[str, str]]],
            tags: dict[str, str] | None, conf: str = CONF, prefer_internal: bool = False) -> VaultInputs:
    out_rows: dict[str, Sequence[Mapping[str, str]]] = dict(rows)
    ours = all_aliases(values)
    if stock := sorted(set(tags or {}) - ours) if "vault.include_stock" not in values else []:
        raise ConfigError(f"the vault holds {len(stock)} stock secret(s) wso2patch encrypted ({stock[0]}, ...) with "
                          "include_stock = true; their plain text is kept nowhere, so they cannot be given back",
                          where=home, hint="keep [vault] enabled and include_stock = true, or roll back to before "
                                           "the apply that encrypted them ('wso2patch history', 'rollback')")
    if "vault.enabled" not in values:
        if tags:
            out_rows["vault.retired"] = [{"secret.alias": a} for a in sorted(tags)]
        return VaultInputs(dict(values), out_rows, {} if tags is not None else None)
    from wso2patch.vault import cipher

    base, seen_as = carbon_home(conf)
    found = active(home, values, conf, seen_as)
    ref, public_key = _keystore(home, conf, prefer_internal)
    key = cipher.read_key(key_path(home))
    new_key = None
    if key is None:
        key = new_key = os.urandom(cipher.KEY_BYTES)  # what secrets.token_bytes returns
    sealer = Sealer(key, public_key, _current(home / conf / CIPHER_TEXT), tags or {})
    passwords = {s.alias: values[s.password] for s in found}
    texts, new_tags = cipher.seal(passwords, sealer.current, sealer.tags, key, public_key)
    out_rows["vault.secret"] = [{"secret.alias": s.alias, "secret.cipher": texts[s.alias], "secret.target": s.target}
                                for s in found]
    if retired := sorted(set(tags or {}) & ours - set(texts)):  # stock ones stay: include_stock decides them
        out_rows["vault.retired"] = [{"secret.alias": a} for a in retired]
    return VaultInputs(_written(values, found, ref, home / base, seen_as), out_rows, new_tags, new_key, sealer)


def _written(values: Mapping[str, str], found: list[Secret], ref: keystore.KeystoreRef, home: Path,
             conf: str) -> dict[str, str]:
    """`home`: the profile's carbon home, which secret-conf.properties' paths are relative to; `conf`: its config
    root from there."""
    out = {name: WRITTEN if name in variables.SECRET_VALUES else value for name, value in values.items()}
    out |= {f"vault.alias.{s.name}": s.alias for s in found}
    location, here = str(ref.path), Path(os.path.abspath(home))  # ref.path is absolute; a spec's home may not be
    if ref.path.is_relative_to(here):  # as ciphertool writes it: relative to the home, where Carbon starts
        location = ref.path.relative_to(here).as_posix()
    out |= {"vault.keystore.location": location, "vault.keystore.type": ref.type,
            "vault.keystore.alias": ref.alias, "vault.cipher_text": f"{conf}/{CIPHER_TEXT}"}
    return out


def _current(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return parse(read_config(path).decode("latin-1"), where=str(path)).load()


_KS = "/*[local-name()='Server']/*[local-name()='Security']/*[local-name()='KeyStore']/*[local-name()='{}']"


def _keystore(home: Path, conf: str = CONF, prefer_internal: bool = False) \
        -> tuple[keystore.KeystoreRef, cipher.RSAPublicKey]:
    """The keystore carbon.xml names (/Server/Security/KeyStore, or InternalKeyStore where the product's cipher
    tool prefers it and carbon.xml has one), and the public key of its alias."""
    from wso2patch.vault import keystore

    path = home / conf / "carbon.xml"
    try:
        tree = etree.fromstring(read_config(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as e:
        raise ConfigError(f"cannot read the keystore settings: {e}", where=path) from None

    section = "KeyStore"
    if prefer_internal and tree.xpath(_KS.replace("'KeyStore'", "'InternalKeyStore'").format("Location")):
        section = "InternalKeyStore"

    def text(name: str) -> str:
        found = tree.xpath(_KS.replace("'KeyStore'", f"'{section}'").format(name))
        if not isinstance(found, list) or len(found) != 1 or not isinstance(found[0], etree._Element):
            raise ConfigError(f"/Server/Security/{section}/{name} is missing or repeated", where=path,
                              hint="the vault encrypts with the keystore carbon.xml names: restore that setting")
        return found[0].text or ""

    ref = keystore.keystore_ref(home / carbon_home(conf)[0], text("Location"), text("Type"), text("KeyAlias"))
    password = None
    if ref.type == "PKCS12":  # PKCS12 encrypts its certificates: the store password, as carbon.xml holds it
        password = text("Password")
        if password == WRITTEN:
            raise ConfigError("the PKCS12 keystore's password in carbon.xml is itself in the vault", where=path,
                              hint="use a JKS keystore, or keep the keystore password out of the vault")
    return ref, keystore.public_key(ref, password)


def store_key(home: Path, key: bytes) -> None:
    """Keep the key made for this apply (in .wso2patch/, made owner-only when this creates it)."""
    with StateDir(home).folder(create=True) as fd:  # never through a link planted in the home
        assert fd is not None
    from wso2patch.vault import cipher

    cipher.store_key(key_path(home), key)
