"""The secure vault's cipher layer: RSA PKCS#1 v1.5 encryption in Carbon's format, the keyed fingerprint that makes
re-applying idempotent although encryption is randomized, and the key kept in .wso2patch/ for it."""

from __future__ import annotations

import base64
import re
import stat
from pathlib import Path
from typing import NamedTuple

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from wso2patch.errors import ConfigError, SpecError, WriteError
from wso2patch.vault.cipher import KEY_BYTES, create_key, encrypt, fingerprint, matches, read_key, seal

BASE64_LINE = re.compile(r"[A-Za-z0-9+/]+={0,2}")  # standard alphabet, padded, one line


@pytest.fixture(scope="module")
def keys() -> dict[int, rsa.RSAPrivateKey]:
    return {bits: rsa.generate_private_key(public_exponent=65537, key_size=bits) for bits in (1024, 2048)}


def decrypt(key: rsa.RSAPrivateKey, cipher_text: str) -> str:
    return key.decrypt(base64.b64decode(cipher_text, validate=True), padding.PKCS1v15()).decode("utf-8")


@pytest.mark.parametrize("bits", [1024, 2048])  # the stock keystores hold both sizes
@pytest.mark.parametrize("plaintext", ["wso2carbon", "", "pässwörd €😀", " spaces at both ends ", "a=b:c#d!e\\f"])
def test_round_trip(keys: dict[int, rsa.RSAPrivateKey], bits: int, plaintext: str) -> None:
    text = encrypt(keys[bits].public_key(), plaintext)
    assert BASE64_LINE.fullmatch(text), text
    assert len(base64.b64decode(text)) == bits // 8
    assert decrypt(keys[bits], text) == plaintext


@pytest.mark.parametrize("bits", [1024, 2048])
def test_longest_password_fits_and_one_byte_more_is_refused(keys: dict[int, rsa.RSAPrivateKey], bits: int) -> None:
    room = bits // 8 - 11
    longest = "é" * (room // 2) + "x" * (room % 2)  # counted in UTF-8 bytes, not characters
    assert decrypt(keys[bits], encrypt(keys[bits].public_key(), longest)) == longest
    with pytest.raises(SpecError) as info:
        encrypt(keys[bits].public_key(), longest + "y")
    assert f"a password of {room + 1} bytes" in str(info.value) and longest not in str(info.value)


def test_encryption_is_randomized(keys: dict[int, rsa.RSAPrivateKey]) -> None:
    public = keys[2048].public_key()
    assert encrypt(public, "same") != encrypt(public, "same")  # hence the fingerprint below


# --- the fingerprint -----------------------------------------------------------------------------------------------

KEY = bytes(range(KEY_BYTES))


class Inputs(NamedTuple):
    alias: str
    public_key: rsa.RSAPublicKey
    cipher_text: str
    plaintext: str


def tag(i: Inputs, key: bytes = KEY) -> str:
    return fingerprint(key, alias=i.alias, public_key=i.public_key, cipher_text=i.cipher_text, plaintext=i.plaintext)


def same(recorded: str | None, i: Inputs, key: bytes = KEY) -> bool:
    return matches(recorded, key, alias=i.alias, public_key=i.public_key, cipher_text=i.cipher_text,
                   plaintext=i.plaintext)


def test_fingerprint_is_stable_and_keeps_no_password(keys: dict[int, rsa.RSAPrivateKey]) -> None:
    public = keys[2048].public_key()
    i = Inputs("Datasources.WSO2_CARBON_DB.Configuration.Password", public, encrypt(public, "Regadmin-S3cret"),
               "Regadmin-S3cret")
    assert tag(i) == tag(i)
    assert re.fullmatch(r"hmac-sha256-v1:[0-9a-f]{64}", tag(i))
    assert "S3cret" not in tag(i) and b"Regadmin".hex() not in tag(i)
    assert same(tag(i), i)
    assert not same(None, i)


def test_fingerprint_changes_with_every_input(keys: dict[int, rsa.RSAPrivateKey]) -> None:
    public = keys[2048].public_key()
    base = Inputs("UserManager.AdminUser.Password", public, encrypt(public, "admin"), "admin")
    variants = {
        "password": base._replace(plaintext="admin2"),
        "alias": base._replace(alias="Carbon.Security.KeyStore.Password"),
        "keystore certificate": base._replace(public_key=keys[1024].public_key()),
        "cipher text (a hand edit, or a new encryption)": base._replace(cipher_text=encrypt(public, "admin")),
        "field boundary": base._replace(alias="UserManager.AdminUser.Passwor", plaintext="dadmin"),
    }
    for what, changed in variants.items():
        assert tag(changed) != tag(base), what
        assert not same(tag(base), changed), what
    assert tag(base, bytes(KEY_BYTES)) != tag(base)
    assert not same(tag(base), base, bytes(KEY_BYTES))


def test_seal_same_spec_changes_nothing_and_one_password_changes_one_entry(keys: dict[int, rsa.RSAPrivateKey]) -> None:
    public = keys[2048].public_key()
    spec = {"Carbon.Security.KeyStore.Password": "wso2carbon", "UserManager.AdminUser.Password": "admin-S3cret",
            "Datasources.WSO2_CARBON_DB.Configuration.Password": "db-S3cret"}
    texts, tags = seal(spec, {}, {}, KEY, public)  # first apply: everything encrypted
    assert {alias: decrypt(keys[2048], text) for alias, text in texts.items()} == spec
    assert not any(password in tag for password in spec.values() for tag in tags.values())

    assert seal(spec, texts, tags, KEY, public) == (texts, tags)  # re-apply: not one byte changes

    changed = {**spec, "UserManager.AdminUser.Password": "new-S3cret"}
    texts2, tags2 = seal(changed, texts, tags, KEY, public)
    assert [a for a in spec if texts2[a] != texts[a]] == ["UserManager.AdminUser.Password"]
    assert decrypt(keys[2048], texts2["UserManager.AdminUser.Password"]) == "new-S3cret"
    assert seal(changed, texts2, tags2, KEY, public) == (texts2, tags2)

    edited = {**texts, "Carbon.Security.KeyStore.Password": encrypt(public, "by hand")}
    texts3, _ = seal(spec, edited, tags, KEY, public)  # a hand edit is not ours: encrypted again
    assert [a for a in spec if texts3[a] != texts[a]] == ["Carbon.Security.KeyStore.Password"]
    assert decrypt(keys[2048], texts3["Carbon.Security.KeyStore.Password"]) == "wso2carbon"

    other = keys[1024].public_key()  # another keystore certificate: every entry encrypted again
    texts4, _ = seal(spec, texts, tags, KEY, other)
    assert all(texts4[a] != texts[a] for a in spec)
    texts5, _ = seal(spec, texts, tags, bytes(KEY_BYTES), public)  # a lost key costs one re-encryption
    assert all(texts5[a] != texts[a] for a in spec)
    assert seal({"UserManager.AdminUser.Password": "admin-S3cret"}, texts, tags, KEY, public)[0] == {
        "UserManager.AdminUser.Password": texts["UserManager.AdminUser.Password"]}


# --- the key file ---------------------------------------------------------------------------------------------------

def test_key_is_created_private_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "vault-key"
    assert read_key(path) is None
    key = create_key(path)
    assert len(key) == KEY_BYTES and read_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert create_key(tmp_path / "other") != key  # random, per home


def test_existing_key_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "vault-key"
    key = create_key(path)
    before = path.read_bytes()
    with pytest.raises(WriteError, match="cannot be created"):
        create_key(path)
    assert path.read_bytes() == before and read_key(path) == key


def test_key_through_a_symlink_is_not_created(tmp_path: Path) -> None:
    (tmp_path / "vault-key").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(WriteError):
        create_key(tmp_path / "vault-key")
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("content", [b"", b"not hex\n", b"ab" * (KEY_BYTES - 1), b"\xff" * 64, b"0" * 10_000_000])
def test_garbled_key_is_a_config_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "vault-key"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        read_key(path)
    assert str(path) in str(info.value) and "delete it" in str(info.value) and "\n" not in str(info.value)
