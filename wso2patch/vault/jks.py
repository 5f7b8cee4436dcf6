"""A small reader of Sun's JKS keystore format, for the certificates only.

Encrypting for Carbon's secure vault needs only the public certificate of the key alias, and a
JKS file keeps every certificate in clear (only private keys are protected), so this reader needs
no password and no Java. It is our own because the format is small and fixed (below) and the file
is untrusted input: every length is checked against the bytes that are left before anything is
sliced, so a truncated or hostile file (huge counts or lengths) costs at most one pass over its
own bytes and ends in `JksFormatError`, never in an allocation larger than the file.

Layout (all integers big-endian; strings are Java "modified UTF-8" with a u16 byte length):
    u32 magic 0xFEEDFEED, u32 version (1 or 2), u32 entry count, then per entry:
      u32 tag, string alias, u64 timestamp (ms), and
        tag 1 (private key): u32 length + protected key (opaque here), u32 chain length, and per
                             certificate: [version 2: string type] u32 length + encoding
        tag 2 (trusted certificate): [version 2: string type] u32 length + encoding
    20 bytes: SHA-1(password as UTF-16BE + b"Mighty Aphrodite" + every byte before the digest)
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass
from typing import Literal

MAGIC = 0xFEEDFEED
MAGIC_JCEKS = 0xCECECECE
WHITENER = b"Mighty Aphrodite"
DIGEST_BYTES = 20


class JksFormatError(Exception):
    """The bytes are not a well-formed JKS keystore (the message says what and at which offset)."""


class JksDigestError(JksFormatError):
    """The integrity digest does not match the password given: a wrong password, or altered bytes."""


@dataclass(frozen=True)
class JksEntry:
    alias: str  # as stored: Java's JKS writes it lower-cased
    kind: Literal["key", "cert"]  # a key pair (tag 1) or a trusted certificate (tag 2)
    cert_type: str  # "X.509" in practice
    cert: bytes | None  # its own certificate (a key pair's is the first of its chain); None: an empty chain


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def skip(self, n: int, what: str) -> int:
        """Move past n bytes, checked against what is left before anything is read; return where they start."""
        if n > len(self.data) - self.pos:
            raise JksFormatError(f"{what} ({n} bytes at offset {self.pos}) runs past the end of the file "
                                 f"({len(self.data)} bytes): the file is truncated or not a JKS keystore")
        self.pos += n
        return self.pos - n

    def take(self, n: int, what: str) -> bytes:
        start = self.skip(n, what)
        return self.data[start:start + n]

    def u16(self, what: str) -> int:
        value: int = struct.unpack(">H", self.take(2, what))[0]
        return value

    def u32(self, what: str) -> int:
        value: int = struct.unpack(">I", self.take(4, what))[0]
        return value

    def string(self, what: str) -> str:
        start = self.pos
        raw = self.take(self.u16(what), what)
        try:
            return decode_modified_utf8(raw)
        except UnicodeError:
            raise JksFormatError(f"{what} at offset {start} is not valid modified UTF-8") from None


def decode_modified_utf8(raw: bytes) -> str:
    """Java's DataInput.readUTF: UTF-8, except NUL is C0 80 and characters beyond U+FFFF are two
    3-byte surrogates (CESU-8). Raises UnicodeError on bytes readUTF would refuse too."""
    text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
    if any(ord(c) > 0xFFFF for c in text):  # a 4-byte UTF-8 sequence: readUTF refuses it
        raise UnicodeError("4-byte sequence")
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be")  # pairs the surrogates, refuses lone ones


def store_digest(password: str, body: bytes) -> bytes:
    # Java feeds the password's chars as two bytes each, high byte first: UTF-16BE (surrogates included).
    return hashlib.sha1(password.encode("utf-16-be", "surrogatepass") + WHITENER + body).digest()


@dataclass(frozen=True)
class Lookup:
    """What a JKS file says about one alias: its entry, and what an error message needs when there is none."""

    entry: JksEntry | None  # the entry stored under exactly that alias (the last one, as Java's load keeps)
    near: str | None  # an alias stored with other capitals (which Java's lower-cased lookup never finds)
    key_aliases: list[str]  # the first few key pairs' aliases
    key_count: int


SHOWN = 8  # key-pair aliases kept for the error message


def find(data: bytes, alias: str, password: str | None = None) -> Lookup:
    """Walk a JKS file and keep only what concerns `alias` (stored aliases are compared exactly, as
    Java does with the alias it has lower-cased): the rest is skipped, not copied, so a hostile file
    of many tiny entries costs no memory beyond its own bytes.

    The trailing digest is keyed with the store password, so it is verified only when one is
    given. Without it the check is skipped, as Java's KeyStore.load(stream, null) skips it: the
    certificates are in clear and need no password, and the digest would not make them more
    trustworthy to us (Carbon verifies it itself with the password when it starts)."""
    cur = _Cursor(data)
    magic = cur.u32("the magic number")
    if magic == MAGIC_JCEKS:
        raise JksFormatError("it is a JCEKS keystore (magic 0xCECECECE), which is not supported: use JKS or PKCS12")
    if magic != MAGIC:
        raise JksFormatError(f"it does not start with the JKS magic number 0xFEEDFEED (found 0x{magic:08X})")
    version = cur.u32("the version")
    if version not in (1, 2):
        raise JksFormatError(f"it has JKS version {version}; only versions 1 and 2 exist")
    entry: JksEntry | None = None
    near: str | None = None
    key_aliases: list[str] = []
    key_count = 0
    folded = alias.lower()
    # A huge count is harmless: each entry consumes at least 14 bytes, so a lying count ends in
    # "runs past the end of the file" after at most len(data) / 14 rounds, with nothing preallocated.
    count = cur.u32("the entry count")
    for number in range(1, count + 1):
        what = f"entry {number} of {count}"
        tag = cur.u32(f"the tag of {what}")
        stored = cur.string(f"the alias of {what}")
        cur.skip(8, f"the date of {what}")
        wanted = stored == alias
        if tag == 1:
            key_count += 1
            if len(key_aliases) < SHOWN:
                key_aliases.append(stored)
            cur.skip(cur.u32(f"the key length of {what}"), f"the protected key of {what}")
            chain = cur.u32(f"the chain length of {what}")
            first: tuple[str, bytes] | None = None
            for i in range(chain):  # bounded like the count: each certificate consumes at least 4 bytes
                cert = _certificate(cur, version, f"certificate {i + 1} of {what} ({stored!r})", keep=wanted and i == 0)
                first = first or cert
            found = JksEntry(stored, "key", *(first or ("X.509", None)))
        elif tag == 2:
            found = JksEntry(stored, "cert", *_certificate(cur, version, f"the certificate of {what}", keep=wanted))
        else:
            raise JksFormatError(f"{what} ({stored!r}) has tag {tag}; JKS knows 1 (key pair) and 2 (certificate)")
        if wanted:
            entry = found
        elif near is None and stored.lower() == folded:
            near = stored
    body_end = cur.pos
    digest = cur.take(DIGEST_BYTES, "the integrity digest")
    if password is not None and not hmac.compare_digest(digest, store_digest(password, data[:body_end])):
        raise JksDigestError("it fails its integrity check: the keystore password is wrong or the file was altered")
    return Lookup(entry, near, key_aliases, key_count)


def _certificate(cur: _Cursor, version: int, what: str, *, keep: bool) -> tuple[str, bytes]:
    """A certificate's type and encoding; the encoding is copied only when `keep` (else b"")."""
    cert_type = cur.string(f"the type of {what}") if version == 2 else "X.509"
    length = cur.u32(f"the length of {what}")
    if keep:
        return cert_type, cur.take(length, what)
    cur.skip(length, what)
    return cert_type, b""
