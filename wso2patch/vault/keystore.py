"""Which keystore Carbon's secure vault decrypts with, and the public key of its alias.

The values come from carbon.xml (`/Server/Security/KeyStore/{Location,Type,KeyAlias}`, or
`InternalKeyStore` where the product's cipher tool prefers it); the caller extracts them, this
module resolves and reads. Only the public certificate is needed to encrypt, so no password is.

Where the keystore may be. `${carbon.home}` is the home, and a relative path is relative to the
home, because wso2server.sh (and integrator.sh) `cd "$CARBON_HOME"` before starting Java. Any
other `${...}` is a system property only the running server knows: refused. A path that leaves
the home (an absolute one, or `..`) is accepted: keystores are often kept outside the product
(a secrets mount, /etc), Carbon reads them there, and we only ever read the file, never write it.
What is refused is what could hurt the reader: a non-regular file (a FIFO would block, a device
never ends) and a file larger than any keystore (`MAX_BYTES`).

Types. `JKS` and `PKCS12`, case-insensitive like `KeyStore.getInstance`. Java's two types each load
either format (the "keystore.type.compat" dual format, on by default), so the bytes decide how the
file is read, as in Java: 0xFEEDFEED is JKS, a DER SEQUENCE is PKCS12.

PKCS12 needs the store password. keytool (JDK 17, and 8u301/11.0.12 onwards) encrypts the
certificate bags with a key derived from it (PBES2, AES-256; older JDKs and `openssl pkcs12`
encrypt them too, with RC2/3DES) and always shrouds the key bag, so `cryptography` cannot read
such a file without it. `read_certificate` therefore takes the password as an optional argument;
for PKCS12 without it the error says so. JKS needs none.

Aliases are matched as Java does: a JKS lookup lower-cases the alias asked for
(`toLowerCase(Locale.ENGLISH)`) and compares it with the alias as stored, which Java's keytool
writes lower-cased (an upper-case alias written by another tool is unreachable from Java, and
so is refused here too); PKCS12 compares both sides lower-cased. A JKS alias must be a key pair
(Carbon decrypts with its private key); in PKCS12 `cryptography` shows the first key pair's
certificate apart from the others, so there a trusted certificate cannot be told from a second key pair.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import pkcs12

from wso2patch.errors import ConfigError
from wso2patch.vault import jks

CARBON_HOME = "${carbon.home}"
TYPES = ("JKS", "PKCS12")
# The stock EI 6.6 keystore, with ~90 CA certificates, is 97 KiB. The limit also bounds the time a hostile file of
# tiny entries costs the pure-Python JKS walk (about 0.7 s per MiB).
MAX_BYTES = 4 * 1024 * 1024
_FIX = "check KeyStore (or InternalKeyStore) Location, Type and KeyAlias in carbon.xml"


@dataclass(frozen=True)
class KeystoreRef:
    path: Path
    type: str  # "JKS" or "PKCS12"
    alias: str  # as carbon.xml spells it


def keystore_ref(home: Path, location: str, store_type: str, alias: str) -> KeystoreRef:
    """Resolve carbon.xml's Location, Type and KeyAlias (their text, as extracted) against a home."""
    text = location.strip()
    if not text:
        raise ConfigError("the keystore Location is empty", hint=_FIX)
    home = Path(os.path.abspath(home))  # a spec's relative home: ${carbon.home} must not be relative to it again
    text = text.replace(CARBON_HOME, str(home))
    if "${" in text:
        raise ConfigError(f"the keystore Location {location.strip()!r} uses a placeholder other than {CARBON_HOME}, "
                          "whose value only the running server knows",
                          hint="write the path out, absolute or relative to the home")
    kind = store_type.strip().upper()
    if kind not in TYPES:
        raise ConfigError(f"keystore type {store_type.strip()!r} is not supported for the secure vault",
                          where=text, hint="use a JKS or PKCS12 keystore")
    name = alias.strip()
    if not name:
        raise ConfigError("the keystore KeyAlias is empty", where=text, hint=_FIX)
    path = Path(text)
    return KeystoreRef(path if path.is_absolute() else home / path, kind, name)


def pick(primary: KeystoreRef, internal: KeystoreRef | None, *, prefer_internal: bool) -> KeystoreRef:
    """The keystore the product's cipher tool encrypts with: wso2/cipher-tool since December 2018 (1.1.0 on,
    shipped by EI 6.5 and 6.6) takes InternalKeyStore whenever carbon.xml has one; older ones take KeyStore."""
    return internal if prefer_internal and internal is not None else primary


def java_lower(alias: str) -> str:
    # str.lower() equals Java's toLowerCase(Locale.ENGLISH) for every alias a person would type.
    return alias.lower()


def public_key(ref: KeystoreRef, password: str | None = None) -> RSAPublicKey:
    """The RSA public key Carbon's secure vault decrypts for (`Cipher.getInstance("RSA")`)."""
    cert = read_certificate(ref, password)
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise _error(ref, f"the certificate of alias {ref.alias!r} has a public key that cannot be read") from None
    if not isinstance(key, RSAPublicKey):
        raise _error(ref, f"the key pair {ref.alias!r} is not RSA, and the secure vault encrypts with RSA",
                     "use an RSA key pair (keytool -genkeypair -keyalg RSA)")
    return key


def read_certificate(ref: KeystoreRef, password: str | None = None) -> x509.Certificate:
    """The certificate of `ref.alias`. `password` is needed for PKCS12 (see the module docstring);
    for JKS it is optional and, when given, the file's integrity digest is verified with it."""
    data = _read(ref)
    if data[:4] in (jks.MAGIC.to_bytes(4, "big"), jks.MAGIC_JCEKS.to_bytes(4, "big")):
        return _jks_certificate(ref, data, password)
    if data[:1] == b"\x30":  # a DER SEQUENCE: the PFX structure of PKCS12
        return _pkcs12_certificate(ref, data, password)
    raise _error(ref, f"the file (the keystore of alias {ref.alias!r}) is neither a JKS nor a PKCS12 keystore")


def _error(ref: KeystoreRef, message: str, hint: str = _FIX) -> ConfigError:
    """One line: the keystore file, what is wrong with it or its alias, what to do."""
    return ConfigError(message, where=ref.path, hint=hint)


def _read(ref: KeystoreRef) -> bytes:
    try:  # O_NONBLOCK: opening a FIFO must not hang; it is refused just below
        fd = os.open(ref.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise _error(ref, f"the keystore of alias {ref.alias!r} does not exist") from None
    except OSError as e:
        raise _error(ref, f"the keystore of alias {ref.alias!r} cannot be opened: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _error(ref, f"the keystore of alias {ref.alias!r} is not a regular file")
        if st.st_size > MAX_BYTES:
            raise _error(ref, f"the keystore of alias {ref.alias!r} is larger than {MAX_BYTES >> 20} MiB, "
                         "which no keystore is")
        data = b""
        while len(data) <= st.st_size:  # never ask for more than the file's size (read allocates what it is asked)
            chunk = os.read(fd, st.st_size + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except OSError as e:
        raise _error(ref, f"the keystore of alias {ref.alias!r} cannot be read: {e.strerror}") from None
    finally:
        os.close(fd)
    if len(data) != st.st_size:
        raise _error(ref, f"the keystore of alias {ref.alias!r} changed while it was read", "run again")
    return data


def _jks_certificate(ref: KeystoreRef, data: bytes, password: str | None) -> x509.Certificate:
    try:
        found = jks.find(data, java_lower(ref.alias), password)
    except jks.JksDigestError as e:
        raise _error(ref, f"cannot read the JKS keystore of alias {ref.alias!r}: {e}",
                     "check the keystore password") from None
    except jks.JksFormatError as e:
        raise _error(ref, f"cannot read the JKS keystore of alias {ref.alias!r}: {e}",
                     "restore the keystore, or point carbon.xml at the right one") from None
    entry = found.entry
    if entry is None:
        if found.near is not None:
            raise _error(ref, f"the keystore stores alias {found.near!r} with capitals, so Java, which looks up "
                         f"{java_lower(ref.alias)!r}, cannot find it",
                         "re-import the key pair with keytool (it writes lower case)")
        raise _error(ref, f"the keystore has no alias {ref.alias!r}",
                     f"its key pairs are: {_names(found.key_aliases, found.key_count)}; "
                     "set KeyAlias in carbon.xml to one of them")
    if entry.kind != "key":
        raise _error(ref, f"alias {ref.alias!r} is a trusted certificate, not a key pair: Carbon decrypts with the "
                     "alias's private key", "set KeyAlias in carbon.xml to a key pair's alias")
    if entry.cert is None or entry.cert_type != "X.509":
        raise _error(ref, f"the key pair {ref.alias!r} has no X.509 certificate",
                     "regenerate the key pair with keytool -genkeypair")
    try:
        return x509.load_der_x509_certificate(entry.cert)
    except ValueError:
        raise _error(ref, f"the certificate of alias {ref.alias!r} is not a valid X.509 certificate",
                     "the keystore is damaged: restore it or regenerate the key pair") from None


def _pkcs12_certificate(ref: KeystoreRef, data: bytes, password: str | None) -> x509.Certificate:
    if password is None:
        raise _error(ref, f"the certificate of alias {ref.alias!r} in this PKCS12 keystore cannot be read without the "
                     "keystore password (PKCS12 encrypts its certificates with it)",
                     "give the keystore password, or use a JKS keystore")
    try:
        store = pkcs12.load_pkcs12(data, password.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _error(ref, f"the file (the keystore of alias {ref.alias!r}) is not a readable PKCS12 keystore, or the "
                     "keystore password is wrong") from None
    certs = ([store.cert] if store.cert is not None else []) + list(store.additional_certs)
    named = {java_lower(c.friendly_name.decode("utf-8", "replace")): c for c in certs if c.friendly_name is not None}
    found = named.get(java_lower(ref.alias))
    if found is None:
        raise _error(ref, f"the keystore has no alias {ref.alias!r}",
                     f"its aliases are: {_names(sorted(named), len(named))}; set KeyAlias in carbon.xml to one of them")
    if store.key is None:
        raise _error(ref, f"the keystore of alias {ref.alias!r} holds no key pair: Carbon decrypts with a private key",
                     "use a keystore with a key pair (keytool -genkeypair)")
    return found.certificate


def _names(aliases: list[str], count: int) -> str:
    """The first few aliases, quoted (a hostile alias cannot smuggle control characters into the message)."""
    shown = ", ".join(repr(a) for a in aliases[:jks.SHOWN])
    return (shown + (f" and {count - jks.SHOWN} more" if count > jks.SHOWN else "")) if aliases else "none"
