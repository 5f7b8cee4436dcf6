"""vault-config, the identity keystore: secret-conf.properties must name the keystore whose public key encrypted the
cipher texts, and must not hold that keystore's password in clear.

The cipher tool (ciphertool.sh, and wso2patch) encrypts with the keystore carbon.xml names
(`/Server/Security/KeyStore`, or `InternalKeyStore` where the product's cipher tool prefers it, see
wso2patch.vault.keystore.pick); Carbon decrypts with the one `keystore.identity.*` names. When they differ (a
keystore replaced in carbon.xml only, a secret-conf.properties copied from another product), every alias fails at
start-up. Location is compared as resolved paths, the type case-insensitively (as KeyStore.getInstance reads it),
the alias exactly. Where that keystore's certificate can be read without a password (JKS), each cipher text must be
as long as its RSA modulus: one of another length was encrypted with another key and cannot be decrypted by this one.

`keystore.identity.store.password` / `.key.password` are, as WSO2 ships and documents them, the references
`identity.store.password` / `identity.key.password`, which DefaultSecretCallbackHandler resolves from the console,
password-tmp or password-persist. Any other value is, or may be, the keystore password itself, in clear beside the
keystore: whoever reads the home can decrypt every alias. A warning, naming the key, never the value.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from wso2patch.checks.vaultfiles import Files, absolute, classify, inside, resolve
from wso2patch.checks.vaultreport import Report
from wso2patch.effective import Where
from wso2patch.errors import ConfigError
from wso2patch.products import Product
from wso2patch.vault.keystore import KeystoreRef, keystore_ref, pick, public_key
from wso2patch.versions import satisfies

KEY = "keystore.identity"
_PROVIDER = "org.wso2.carbon.securevault.DefaultSecretCallbackHandler"
Props = Mapping[str, tuple[str, int]]
_NONE: tuple[str, int | None] = ("", None)


def prefers_internal(product: Product | None) -> bool:
    """EI 6.5 and 6.6 ship wso2/cipher-tool 1.1, which encrypts with InternalKeyStore whenever carbon.xml has one."""
    return product is not None and product.key == "ei" and satisfies(product.version, ">=6.5")


def check(r: Report, files: Files, conf: str, rel: str, props: Props, cipher: str | None, *, location_ok: bool,
          prefer_internal: bool) -> bool:
    """The identity keystore against carbon.xml's, the cipher texts against its key, its passwords not in clear.
    location_ok: keystore.identity.location names an existing file inside this home. True when an error was added."""
    _passwords(r, rel, props)
    carbon = _carbon_keystore(files, conf, prefer_internal)
    bad = carbon is not None and _compare(r, files, rel, props, carbon, location_ok=location_ok)
    if location_ok and cipher is not None:
        bad |= _lengths(r, files, props, carbon[0] if carbon else None, cipher)
    return bad


def _carbon_keystore(files: Files, conf: str, prefer_internal: bool) -> tuple[KeystoreRef, str] | None:
    """The keystore the cipher tool encrypts with, the element naming it and its line; None when carbon.xml is
    absent, unreadable or names none that can be resolved (nothing to compare with)."""
    rel = f"{conf}/carbon.xml"
    if any(u[0] == rel for u in files.unreadable):
        return None
    doc = files.doc(rel)
    if doc is None:
        return None
    found: dict[str, tuple[KeystoreRef, int]] = {}
    for name in ("KeyStore", "InternalKeyStore"):
        for el in doc.xpath(f"/Server/Security/{name}"):
            # a placeholder only the server resolves, an unsupported type: nothing to compare with
            with contextlib.suppress(ConfigError):
                found[name] = (keystore_ref(absolute(files.home) / files.base, el.findtext("Location") or "",
                                            el.findtext("Type") or "", el.findtext("KeyAlias") or ""), doc.line_of(el))
            break
    if "KeyStore" not in found:
        return None
    internal = found.get("InternalKeyStore")
    chosen = pick(found["KeyStore"][0], internal[0] if internal else None, prefer_internal=prefer_internal)
    name = "InternalKeyStore" if internal is not None and chosen is internal[0] else "KeyStore"
    return chosen, f"{rel}:{found[name][1]} {name}"


def _compare(r: Report, files: Files, rel: str, props: Props, carbon: tuple[KeystoreRef, str], *,
             location_ok: bool) -> bool:
    ref, named = carbon
    bad = False
    location, line = props.get(f"{KEY}.location", _NONE)
    if location_ok and not _same(resolve(files.home, location, files.base), ref.path):
        bad = True
        named_here = _shown(files.home, resolve(files.home, location, files.base))
        r.add("error", "vault-config", f"{KEY}.location names {named_here}, "
              f"but the cipher tool encrypts with the keystore of {named}, {_shown(files.home, ref.path)}: Carbon "
              "cannot decrypt the aliases; name the same keystore in both", Where(rel, f"{KEY}.location", line))
    kind, line = props.get(f"{KEY}.type", _NONE)
    if kind.strip() and kind.strip().upper() != ref.type:
        bad = True
        r.add("error", "vault-config", f"{KEY}.type is {kind.strip()!r}, but {named} says {ref.type!r}: name the "
              "same keystore type in both", Where(rel, f"{KEY}.type", line))
    alias, line = props.get(f"{KEY}.alias", _NONE)
    if alias.strip() and alias.strip() != ref.alias:
        bad = True
        r.add("error", "vault-config", f"{KEY}.alias is {alias.strip()!r}, but {named} has KeyAlias {ref.alias!r}, "
              "whose public key encrypts the cipher texts: name the same alias in both",
              Where(rel, f"{KEY}.alias", line))
    return bad


def _same(a: Path, b: Path) -> bool:
    if os.path.normpath(a) == os.path.normpath(b):
        return True
    try:  # the same file through a link
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _shown(home: Path, path: Path) -> str:
    return inside(home, str(path)) or str(path)


def _lengths(r: Report, files: Files, props: Props, carbon: KeystoreRef | None, cipher: str) -> bool:
    """Each cipher text as long as the identity key's modulus (skipped when its certificate cannot be read without
    a password: PKCS12, or a damaged file, which Carbon itself reports at start-up)."""
    location = props[f"{KEY}.location"][0]
    kind = props.get(f"{KEY}.type", _NONE)[0].strip() or (carbon.type if carbon else "JKS")
    alias = props.get(f"{KEY}.alias", _NONE)[0].strip() or (carbon.alias if carbon else "")
    if not alias:
        return False
    try:
        ref = keystore_ref(absolute(files.home) / files.base, location, kind, alias)
        size = (public_key(ref).key_size + 7) // 8
    except ConfigError:
        return False
    bad = False
    for name, (value, line) in (files.properties(cipher) or {}).items():
        if classify(value) != "encrypted":
            continue
        try:
            n = len(base64.b64decode(value.strip(), validate=True))
        except (binascii.Error, ValueError):
            continue
        if n != size:
            bad = True
            r.add("error", "vault-config", f"alias {name}: its cipher text is {n} bytes, but the RSA key of "
                  f"{alias!r} in {_shown(files.home, ref.path)} decrypts {size}-byte ones: it was encrypted with "
                  "another key; encrypt it again with this keystore", Where(cipher, name, line))
    return bad


def _passwords(r: Report, rel: str, props: Props) -> None:
    for part in ("store", "key"):
        key, stock = f"{KEY}.{part}.password", f"identity.{part}.password"
        value, line = props.get(key, _NONE)
        if not value.strip() or value.strip() == stock:
            continue
        provider = f"{KEY}.{part}.secretProvider"
        how = "Carbon takes it as the password itself" if not props.get(provider, _NONE)[0].strip() else \
            f"not the stock reference {stock}"
        r.add("warning", "vault-config", f"{key} holds a literal password ({how}): the keystore password in clear "
              f"next to the keystore lets anyone who reads this home decrypt every alias; set {key}={stock} and "
              f"{provider}={_PROVIDER}, and give the password at start-up", Where(rel, key, line))
