"""Encrypt a password for Carbon's secure vault, and recognise it later without keeping it.

Encryption, exactly as Carbon decrypts. Carbon's file secret repository reads
cipher-text.properties, base64-decodes each value, decrypts it with `Cipher.getInstance("RSA")`
(RSA/ECB/PKCS1Padding) and the private key of the keystore alias, and makes a String of the bytes
in the JVM's default charset, which wso2server.sh sets to UTF-8 (`-Dfile.encoding=UTF8`). So:
the password's UTF-8 bytes, RSA with PKCS#1 v1.5 padding under the alias's public key, standard
base64 on one line. At most k - 11 bytes fit a k-byte key (245 for RSA 2048).

Idempotency although the padding is random. Encrypting one password twice gives two cipher texts,
and we cannot decrypt (no private key, no password needed), so the journal keeps per alias a tag

    HMAC-SHA256(key, "wso2patch-vault-v1" | alias | SHA-256(public key) | cipher text | password)

with every field length-prefixed. Recomputed from the spec's password and the cipher text now in
the file, it equals the kept tag exactly when that cipher text is the one we wrote, for this
password, under this key pair: then the entry is left as it is. A changed password, another
certificate in the keystore, or a cipher text edited by hand each give another tag, and only that
alias is encrypted again. `seal` makes that decision for a whole cipher-text.properties.

The key: 32 random bytes per home in `.wso2patch/vault-key`, mode 0600, never printed, never in
the journal (so journal.json may be readable more widely than the key).

What a tag reveals, and why it is safe in `.wso2patch/`. Without the key, nothing: HMAC-SHA256 is
a pseudo-random function, so a tag tells nothing of the password, not even whether two aliases,
homes or runs share one. With the key, a tag lets one test guesses at the password offline, one
HMAC per guess. Whoever can read the key (the home's owner, root) can read the keystore as well;
where its password is in the home too (the stock `wso2carbon`, password-tmp, password-persist)
they decrypt cipher-text.properties outright, and the tag gives them nothing more. Only where the
keystore password is kept out of the home (typed at start-up) does the tag let such a reader test
guesses the vault alone would not allow: spec passwords must resist guessing, as any must. A slow
hash would not remove that and would cost every apply time per alias and node. Deleting the key
is harmless: every vault password is encrypted once more on the next apply.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import struct
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey as RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from wso2patch.errors import ConfigError, SpecError, WriteError

KEY_FILE = "vault-key"  # vault.inputs.KEY_FILE names it too, without importing cryptography
KEY_BYTES = 32
TAG_PREFIX = "hmac-sha256-v1:"
_DOMAIN = b"wso2patch-vault-v1"
_PKCS1_OVERHEAD = 11


def encrypt(public_key: RSAPublicKey, plaintext: str) -> str:
    """The cipher text Carbon decrypts back to `plaintext`: one line of standard base64."""
    data = plaintext.encode("utf-8")
    room = (public_key.key_size + 7) // 8 - _PKCS1_OVERHEAD
    if len(data) > room:  # the message never holds the password itself
        raise SpecError(f"a password of {len(data)} bytes (UTF-8) does not fit the {public_key.key_size}-bit RSA key "
                        f"of the keystore, which takes at most {room}", hint="use a shorter password or a larger key")
    return base64.b64encode(public_key.encrypt(data, padding.PKCS1v15())).decode("ascii")


def fingerprint(key: bytes, *, alias: str, public_key: RSAPublicKey, cipher_text: str, plaintext: str) -> str:
    """The tag to keep in the journal for `alias` (see the module docstring); never the password."""
    spki = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    fields = (_DOMAIN, alias.encode("utf-8"), hashlib.sha256(spki).digest(),
              cipher_text.encode("utf-8"), plaintext.encode("utf-8"))
    message = b"".join(struct.pack(">I", len(f)) + f for f in fields)
    return TAG_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()


def matches(recorded: str | None, key: bytes, *, alias: str, public_key: RSAPublicKey, cipher_text: str,
            plaintext: str) -> bool:
    """Whether `cipher_text` is the one we wrote for `plaintext` under `public_key` (constant time)."""
    if recorded is None:
        return False
    fresh = fingerprint(key, alias=alias, public_key=public_key, cipher_text=cipher_text, plaintext=plaintext)
    return hmac.compare_digest(recorded.encode("utf-8"), fresh.encode("utf-8"))


def seal(passwords: Mapping[str, str], current: Mapping[str, str], tags: Mapping[str, str], key: bytes,
         public_key: RSAPublicKey) -> tuple[dict[str, str], dict[str, str]]:
    """The cipher texts and tags for `passwords` (alias -> password), given the cipher texts now in
    cipher-text.properties and the tags kept from the last run: an alias whose cipher text is
    recognised keeps it byte for byte, any other is encrypted anew. Aliases not in `passwords` are
    dropped from both results."""
    texts: dict[str, str] = {}
    for alias, password in passwords.items():
        text = current.get(alias)
        if text is None or not matches(tags.get(alias), key, alias=alias, public_key=public_key, cipher_text=text,
                                       plaintext=password):
            text = encrypt(public_key, password)
        texts[alias] = text
    return texts, {alias: fingerprint(key, alias=alias, public_key=public_key, cipher_text=text,
                                      plaintext=passwords[alias]) for alias, text in texts.items()}


def read_key(path: Path) -> bytes | None:
    """The key kept at `path` (normally `.wso2patch/vault-key`), or None when there is none yet."""
    try:
        with open(path, "rb") as f:
            raw = f.read(4 * KEY_BYTES)  # a few bytes more than a key: a huge file is not read whole
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError(f"the vault key cannot be read: {e.strerror}", where=path) from None
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except (UnicodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError("is not a wso2patch vault key", where=path,
                          hint="delete it: the next apply makes a new one and encrypts every vault password again")
    return key


def create_key(path: Path) -> bytes:
    """Make a new key and store it at `path`, readable by its owner only; never replaces a file."""
    key = secrets.token_bytes(KEY_BYTES)
    store_key(path, key)
    return key


def store_key(path: Path, key: bytes) -> None:
    """Store `key` at `path`, readable by its owner only; never replaces a file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise WriteError(f"the vault key cannot be created: {e.strerror}", where=path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key.hex().encode("ascii") + b"\n")
            f.flush()
            os.fsync(f.fileno())
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)  # the new name survives a power cut with its content
        finally:
            os.close(dir_fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            path.unlink()
        raise WriteError(f"the vault key cannot be written: {e.strerror}", where=path) from None
