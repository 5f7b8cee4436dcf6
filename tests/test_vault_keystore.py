"""The secure vault's keystore layer: resolving carbon.xml's keystore, reading an alias's certificate from
JKS (our own reader) and PKCS12 (cryptography), and refusing broken or hostile keystores with one ConfigError."""

from __future__ import annotations

import datetime
import hashlib
import os
import struct
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DIST, NO_STOCK
from wso2patch.errors import ConfigError
from wso2patch.vault import jks
from wso2patch.vault.keystore import MAX_BYTES, KeystoreRef, keystore_ref, pick, public_key, read_certificate

PASSWORD = "store-pass"
KeyPair = tuple[rsa.RSAPrivateKey, bytes]  # the private key and the DER of its self-signed certificate


def make_cert(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, cn: str) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    return cert.public_bytes(Encoding.DER)


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, make_cert(key, "vault test")


def mutf8(text: str) -> bytes:
    """Java's writeUTF encoding (modified UTF-8): NUL as C0 80, supplementary characters as two 3-byte surrogates."""
    units = struct.unpack(f">{len(text.encode('utf-16-be')) // 2}H", text.encode("utf-16-be"))
    out = bytearray()
    for u in units:
        if 0 < u < 0x80:
            out.append(u)
        elif u < 0x800:
            out += bytes([0xC0 | u >> 6, 0x80 | u & 0x3F])
        else:
            out += bytes([0xE0 | u >> 12, 0x80 | u >> 6 & 0x3F, 0x80 | u & 0x3F])
    return struct.pack(">H", len(out)) + bytes(out)


def jks_entry(tag: int, alias: str, certs: Sequence[bytes], *, version: int = 2, cert_type: str = "X.509") -> bytes:
    """One entry as Java writes it; a key entry's protected key is opaque to the reader, so any bytes do."""
    def cert(der: bytes) -> bytes:
        return (mutf8(cert_type) if version == 2 else b"") + struct.pack(">I", len(der)) + der
    head = struct.pack(">I", tag) + mutf8(alias) + struct.pack(">Q", 1_700_000_000_000)
    if tag == 1:
        protected = b"\x30\x82opaque protected key"
        return head + struct.pack(">I", len(protected)) + protected + struct.pack(">I", len(certs)) + b"".join(
            cert(c) for c in certs)
    return head + cert(certs[0])


def build_jks(entries: Sequence[bytes], password: str = PASSWORD, *, version: int = 2) -> bytes:
    body = struct.pack(">III", jks.MAGIC, version, len(entries)) + b"".join(entries)
    return body + hashlib.sha1(password.encode("utf-16-be") + jks.WHITENER + body).digest()


def ref_to(path: Path, alias: str = "mykey", kind: str = "JKS") -> KeystoreRef:
    return keystore_ref(path.parent, path.name, kind, alias)


def write(tmp_path: Path, data: bytes, name: str = "ks.jks") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def der_of(ref: KeystoreRef, password: str | None = None) -> bytes:
    return read_certificate(ref, password).public_bytes(Encoding.DER)


def config_error(ref: KeystoreRef, password: str | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        public_key(ref, password)
    text = str(info.value)
    assert "\n" not in text and str(ref.path) in text and ref.alias in text  # one line: the file and the alias
    return text


# --- the stock keystores ---------------------------------------------------------------------------------------

STOCK_KEYSTORES = sorted(DIST.glob("*/repository/resources/security/wso2carbon.jks")) + sorted(
    DIST.glob("*/wso2/*/repository/resources/security/wso2carbon.jks"))


@pytest.mark.parametrize("path", [pytest.param(p, id="/".join(p.relative_to(DIST).parts[:-4])) for p in STOCK_KEYSTORES]
                         or [pytest.param(None, marks=pytest.mark.skip(NO_STOCK))])
def test_stock_keystore_gives_its_rsa_key_without_password(path: Path) -> None:
    ref = keystore_ref(path.parents[3], "${carbon.home}/repository/resources/security/wso2carbon.jks", "JKS",
                       "wso2carbon")
    cert = read_certificate(ref)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"
    assert public_key(ref).key_size in (1024, 2048)
    assert der_of(ref, "wso2carbon") == cert.public_bytes(Encoding.DER)  # the stock digest verifies too
    assert "integrity check" in config_error(ref, "not-the-password")
    trusted = "baltimorecybertrustca"  # a CA in every stock store
    assert "trusted certificate" in config_error(KeystoreRef(ref.path, "JKS", trusted))


# --- our own JKS files -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", [1, 2])
def test_jks_key_entry_certificate_and_case_insensitive_alias(tmp_path: Path, pair: KeyPair, version: int) -> None:
    other = make_cert(rsa.generate_private_key(public_exponent=65537, key_size=1024), "ca")
    path = write(tmp_path, build_jks([jks_entry(2, "ca", [other], version=version),
                                      jks_entry(1, "mykey", [pair[1], other], version=version)], version=version))
    for asked in ("mykey", "MyKey", " MYKEY\n"):
        assert der_of(ref_to(path, asked)) == pair[1]
        assert der_of(ref_to(path, asked), PASSWORD) == pair[1]
    assert public_key(ref_to(path)).public_numbers() == pair[0].public_key().public_numbers()


def test_jks_alias_in_modified_utf8(tmp_path: Path, pair: KeyPair) -> None:
    alias = "clé\x00😀"  # NUL and a supplementary character are written differently from UTF-8
    path = write(tmp_path, build_jks([jks_entry(1, alias, [pair[1]])]))
    assert der_of(ref_to(path, alias)) == pair[1]


def test_later_duplicate_alias_wins_as_in_java(tmp_path: Path, pair: KeyPair) -> None:
    other = make_cert(pair[0], "second")
    path = write(tmp_path, build_jks([jks_entry(1, "mykey", [pair[1]]), jks_entry(1, "mykey", [other])]))
    assert der_of(ref_to(path)) == other


@pytest.mark.parametrize(("entries", "alias", "message"), [
    ([(1, "wso2carbon")], "mykey", "has no alias 'mykey'; its key pairs are: 'wso2carbon'; set KeyAlias"),
    ([(2, "mykey")], "mykey", "is a trusted certificate, not a key pair"),
    ([(1, "MyKey")], "mykey", "stores alias 'MyKey' with capitals, so Java, which looks up 'mykey', cannot find it"),
    ([(1, "a"), (1, "b"), (2, "c")], "z", "its key pairs are: 'a', 'b';"),
])
def test_jks_alias_refusals(tmp_path: Path, pair: KeyPair, entries: list[tuple[int, str]], alias: str,
                            message: str) -> None:
    path = write(tmp_path, build_jks([jks_entry(tag, name, [pair[1]]) for tag, name in entries]))
    assert message in config_error(ref_to(path, alias))


@pytest.mark.parametrize(("certs", "cert_type", "message"), [
    ([], "X.509", "has no X.509 certificate"),
    (["good"], "PGP", "has no X.509 certificate"),
    ([b"\x30\x03\x02\x01\x01"], "X.509", "is not a valid X.509 certificate"),
])
def test_jks_bad_certificate_of_the_alias(tmp_path: Path, pair: KeyPair, certs: list[bytes | str], cert_type: str,
                                          message: str) -> None:
    ders = [pair[1] if c == "good" else c for c in certs]
    path = write(tmp_path, build_jks([jks_entry(1, "mykey", [d for d in ders if isinstance(d, bytes)],
                                                cert_type=cert_type)]))
    assert message in config_error(ref_to(path))


def test_non_rsa_key_is_refused(tmp_path: Path) -> None:
    cert = make_cert(ec.generate_private_key(ec.SECP256R1()), "ec")
    path = write(tmp_path, build_jks([jks_entry(1, "mykey", [cert])]))
    assert "is not RSA" in config_error(ref_to(path))


def test_digest_checked_only_with_a_password(tmp_path: Path, pair: KeyPair) -> None:
    good = build_jks([jks_entry(1, "mykey", [pair[1]])])
    altered = bytearray(good)
    altered[25] ^= 0x01  # inside the entry's date (offset 23-30): the certificate stays readable
    path = write(tmp_path, bytes(altered))
    assert der_of(ref_to(path)) == pair[1]  # no password: no check, as Java's load(stream, null)
    assert "integrity check" in config_error(ref_to(path), PASSWORD)
    assert "check the keystore password" in config_error(ref_to(write(tmp_path, good)), "wrong")


# --- broken and hostile JKS files: always one ConfigError, never a crash or a large allocation ------------------

def test_every_truncation_is_refused(tmp_path: Path, pair: KeyPair) -> None:
    data = build_jks([jks_entry(2, "ca", [pair[1]]), jks_entry(1, "mykey", [pair[1], pair[1]])])
    for cut in range(len(data)):
        with pytest.raises(jks.JksFormatError, match="runs past the end of the file"):
            jks.find(data[:cut], "mykey")
    for cut in (0, 3, 4, 40, len(data) // 2, len(data) - 1):  # and through the file, as one ConfigError
        text = config_error(ref_to(write(tmp_path, data[:cut])))
        assert "runs past the end" in text or "neither a JKS" in text, (cut, text)


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


HEAD = u32(jks.MAGIC) + u32(2)
HOSTILE = {  # name: (bytes, what the error says)
    "empty file": (b"", "neither a JKS nor a PKCS12"),
    "wrong magic": (u32(0xFEEDFEEE) + u32(2) + u32(0), "neither a JKS nor a PKCS12"),
    "text": (b"hello, this is not a keystore", "neither a JKS nor a PKCS12"),
    "JCEKS": (u32(jks.MAGIC_JCEKS) + u32(2) + u32(0) + bytes(20), "JCEKS keystore"),
    "version 3": (u32(jks.MAGIC) + u32(3) + u32(0) + bytes(20), "version 3"),
    "no digest": (HEAD + u32(0) + bytes(19), "the integrity digest (20 bytes"),
    "huge count": (HEAD + u32(0xFFFFFFFF) + u32(2) + mutf8("k") + bytes(8) + mutf8("X.509") + u32(0) + bytes(3),
                   "the tag of entry 2 of 4294967295 (4 bytes"),
    "huge alias": (HEAD + u32(1) + u32(1) + b"\xff\xff" + bytes(30), "the alias of entry 1"),
    "huge key": (HEAD + u32(1) + u32(1) + mutf8("k") + bytes(8) + u32(0xFFFFFFF0) + bytes(30), "4294967280 bytes"),
    "huge chain": (HEAD + u32(1) + u32(1) + mutf8("k") + bytes(8) + u32(2) + b"ab" + u32(0xFFFFFFFF) + bytes(3),
                   "the length of certificate 1 of entry 1 of 1 ('k') (4 bytes"),
    "huge cert": (HEAD + u32(1) + u32(2) + mutf8("k") + bytes(8) + mutf8("X.509") + u32(0x7FFFFFFF) + bytes(20),
                  "2147483647 bytes"),
    "unknown tag": (HEAD + u32(1) + u32(3) + mutf8("k") + bytes(8) + bytes(20), "has tag 3"),
    "bad UTF-8 alias": (HEAD + u32(1) + u32(2) + b"\x00\x02\xff\xfe" + bytes(28), "not valid modified UTF-8"),
    "4-byte UTF-8 alias": (HEAD + u32(1) + u32(2) + b"\x00\x04" + "😀".encode() + bytes(28), "modified UTF-8"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_jks(tmp_path: Path, name: str) -> None:
    data, message = HOSTILE[name]
    path = write(tmp_path, data)
    tracemalloc.start()
    try:
        assert message in config_error(ref_to(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"{name}: {peak} bytes allocated for a {len(data)}-byte file"


def test_many_tiny_entries_cost_no_memory_beyond_the_file(tmp_path: Path, pair: KeyPair) -> None:
    entries = [jks_entry(2, f"ca{i}", [b"x"]) for i in range(5_000)] + [jks_entry(1, "mykey", [pair[1]])]
    path = write(tmp_path, build_jks(entries))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        assert der_of(ref_to(path)) == pair[1]
        assert "its key pairs are: 'mykey';" in config_error(ref_to(path, "other"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size + 200_000, f"{peak} bytes allocated for a {size}-byte file"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=4),
       cut=st.integers(min_value=0))
def test_mutated_jks_reads_or_fails_cleanly(tmp_path: Path, pair: KeyPair, edits: list[tuple[int, int]],
                                            cut: int) -> None:
    data = bytearray(build_jks([jks_entry(2, "ca", [pair[1]]), jks_entry(1, "mykey", [pair[1]])]))
    for at, value in edits:
        data[at % len(data)] = value
    path = write(tmp_path, bytes(data[:len(data) - cut % 64]))
    for password in (None, PASSWORD):
        try:
            read_certificate(ref_to(path), password)
        except ConfigError as e:
            assert "\n" not in str(e)


# --- PKCS12 (read with cryptography; the password is needed) -----------------------------------------------------

def make_p12(pair: KeyPair, *, name: bytes | None = b"MyKey", extra: bytes | None = None) -> bytes:
    cas = [pkcs12.PKCS12Certificate(x509.load_der_x509_certificate(extra), b"peer")] if extra else None
    return pkcs12.serialize_key_and_certificates(name, pair[0], x509.load_der_x509_certificate(pair[1]), cas,
                                                 BestAvailableEncryption(PASSWORD.encode()))


def test_pkcs12_with_password_and_case_insensitive_alias(tmp_path: Path, pair: KeyPair) -> None:
    other = make_cert(pair[0], "peer")
    path = write(tmp_path, make_p12(pair, extra=other), "ks.p12")
    assert der_of(ref_to(path, "mykey", "PKCS12"), PASSWORD) == pair[1]
    assert der_of(ref_to(path, "MYKEY", "pkcs12"), PASSWORD) == pair[1]
    assert der_of(ref_to(path, "Peer", "PKCS12"), PASSWORD) == other
    # Java reads either format whatever the declared type; so do we
    assert der_of(ref_to(path, "mykey", "JKS"), PASSWORD) == pair[1]


def test_pkcs12_refusals(tmp_path: Path, pair: KeyPair) -> None:
    path = write(tmp_path, make_p12(pair), "ks.p12")
    assert "cannot be read without the keystore password" in config_error(ref_to(path, "mykey", "PKCS12"))
    assert "password is wrong" in config_error(ref_to(path, "mykey", "PKCS12"), "wrong")
    assert "has no alias 'other'; its aliases are: 'mykey';" in config_error(ref_to(path, "other", "PKCS12"), PASSWORD)
    certs_only = pkcs12.serialize_key_and_certificates(
        None, None, None, [pkcs12.PKCS12Certificate(x509.load_der_x509_certificate(pair[1]), b"mykey")],
        BestAvailableEncryption(PASSWORD.encode()))
    certs_only_ref = ref_to(write(tmp_path, certs_only, "c.p12"), "mykey", "PKCS12")
    assert "holds no key pair" in config_error(certs_only_ref, PASSWORD)
    garbage = write(tmp_path, b"\x30\x82\xff\xff" + bytes(100), "bad.p12")
    assert "not a readable PKCS12 keystore" in config_error(ref_to(garbage, "mykey", "PKCS12"), PASSWORD)


# --- files that are no keystore at all ------------------------------------------------------------------------

def test_missing_directory_fifo_and_oversized_files(tmp_path: Path) -> None:
    assert "does not exist" in config_error(ref_to(tmp_path / "absent.jks"))
    (tmp_path / "dir.jks").mkdir()
    assert "not a regular file" in config_error(ref_to(tmp_path / "dir.jks"))
    os.mkfifo(tmp_path / "fifo.jks")  # opened without a writer: must not block
    assert "not a regular file" in config_error(ref_to(tmp_path / "fifo.jks"))
    with open(tmp_path / "big.jks", "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    assert "larger than 4 MiB" in config_error(ref_to(tmp_path / "big.jks"))


# --- where the keystore is ----------------------------------------------------------------------------------------

HOME = Path("/opt/wso2mb-3.2.0")


@pytest.mark.parametrize(("location", "path"), [
    ("${carbon.home}/repository/resources/security/wso2carbon.jks",
     HOME / "repository/resources/security/wso2carbon.jks"),
    ("\n    ${carbon.home}/ks.jks  \n", HOME / "ks.jks"),
    ("repository/resources/security/x.p12", HOME / "repository/resources/security/x.p12"),
    ("/etc/wso2/keystore.jks", Path("/etc/wso2/keystore.jks")),  # outside the home: read only, allowed
    ("${carbon.home}/../shared/ks.jks", HOME / "../shared/ks.jks"),
])
def test_keystore_location(location: str, path: Path) -> None:
    assert keystore_ref(HOME, location, " jks ", " wso2carbon ") == KeystoreRef(path, "JKS", "wso2carbon")


@pytest.mark.parametrize(("location", "kind", "alias", "message"), [
    ("", "JKS", "a", "the keystore Location is empty"),
    ("${user.home}/ks.jks", "JKS", "a", "uses a placeholder other than ${carbon.home}"),
    ("ks.jks", "JCEKS", "a", "keystore type 'JCEKS' is not supported"),
    ("ks.jks", "JKS", "  ", "the keystore KeyAlias is empty"),
])
def test_keystore_location_refusals(location: str, kind: str, alias: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("$", r"\$").replace("{", r"\{")):
        keystore_ref(HOME, location, kind, alias)


def test_pick_internal_keystore_only_where_preferred() -> None:
    primary, internal = KeystoreRef(HOME / "a.jks", "JKS", "a"), KeystoreRef(HOME / "b.jks", "JKS", "b")
    assert pick(primary, internal, prefer_internal=True) == internal
    assert pick(primary, internal, prefer_internal=False) == primary
    assert pick(primary, None, prefer_internal=True) == primary


def test_a_home_given_relative_resolves_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # regression: a spec's relative home ("ei1") gave ei1/ei1/repository/... for ${carbon.home}/repository/...
    monkeypatch.chdir(tmp_path)
    for location in ("${carbon.home}/repository/resources/security/wso2carbon.jks",
                     "repository/resources/security/wso2carbon.jks"):
        ref = keystore_ref(Path("ei1"), location, "JKS", "wso2carbon")
        assert ref.path == tmp_path / "ei1/repository/resources/security/wso2carbon.jks"
