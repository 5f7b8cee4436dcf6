"""`check`'s identity-keystore findings (vault-config): secret-conf.properties names the keystore carbon.xml encrypts
with (location, type, alias), each cipher text fits that key, and the keystore password is not in clear. On homes
built from our mb-home fixture with real JKS keystores, and on the stock trees through planned bytes (never written)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import DIST, FIXTURES, NO_STOCK, copy_tree
from tests.test_check_vault import (
    ALIASED,
    DS,
    KEYSTORE,
    PASSWORD,
    SECRET,
    SECRET_CONF,
    STOCK_TREES,
    TEXT,
    datasources,
)
from tests.test_vault_keystore import build_jks, jks_entry, make_cert
from wso2patch.checks import check_home_alone
from wso2patch.checks.vault import judge
from wso2patch.checks.vaultfiles import Files
from wso2patch.checks.vaultidentity import prefers_internal
from wso2patch.detect import detect
from wso2patch.properties import escape
from wso2patch.vault.cipher import encrypt
from wso2patch.vault.keystore import keystore_ref, public_key

CARBON = "repository/conf/carbon.xml"
OTHER = "repository/resources/security/other.jks"
Finding = tuple[str, str, str, str | None, int | None]


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """The home's key, a second key of the same size, a smaller one (its cipher texts are shorter)."""
    return (rsa.generate_private_key(public_exponent=65537, key_size=2048),
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            rsa.generate_private_key(public_exponent=65537, key_size=1024))


def write_jks(path: Path, key: rsa.RSAPrivateKey, alias: str = "wso2carbon") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_jks([jks_entry(1, alias, [make_cert(key, alias)])]))


class Home:
    def __init__(self, path: Path, cipher_text: str) -> None:
        self.path, self.cipher_text = path, cipher_text

    def write(self, rel: str, text: str) -> None:
        (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.path / rel).write_text(text)

    def secret_conf(self, key: str = "", value: str = "") -> None:
        """secret-conf.properties as WSO2 documents it (the keystore relative to the home), `key` set to `value`."""
        lines = SECRET_CONF.format(location=KEYSTORE).splitlines(keepends=True)
        self.write(SECRET, "".join(f"{key}={value}\n" if key and x.startswith(f"{key}=") else x for x in lines))

    def problems(self, *, prefer_internal: bool = False) -> list[Finding]:
        out = judge(Files(self.path), "repository/conf", prefer_internal=prefer_internal).out
        assert PASSWORD not in repr(out) and self.cipher_text not in repr(out)  # never a value
        return [(lvl, rule, msg, w.file if w else None, w.line if w else None) for lvl, rule, msg, w in out
                if lvl != "ok"]


@pytest.fixture
def home(tmp_path: Path, keys: tuple[rsa.RSAPrivateKey, ...]) -> Home:
    """mb-home (its carbon.xml names ${carbon.home}/repository/resources/security/wso2carbon.jks, JKS, wso2carbon)
    with that keystore, one aliased password encrypted with its key and secret-conf as WSO2 documents it."""
    h = Home(copy_tree(FIXTURES / "mb-home", tmp_path / "mb"), encrypt(keys[0].public_key(), PASSWORD))
    write_jks(h.path / KEYSTORE, keys[0])
    h.write(DS, datasources(ALIASED))
    h.write(TEXT, f"Datasources.REGISTRY_DB.Configuration.Password={escape(h.cipher_text, key=False)}\n")
    h.secret_conf()
    return h


def test_the_fixture_home_passes(home: Home) -> None:
    assert home.problems() == []


def test_a_keystore_other_than_carbon_xml_s_is_an_error_naming_both(home: Home,
                                                                    keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    write_jks(home.path / OTHER, keys[1])  # same key size: only the location is wrong
    home.secret_conf("keystore.identity.location", OTHER)
    ((level, rule, message, file, line),) = home.problems()
    assert (level, rule, file, line) == ("error", "vault-config", SECRET, 5)
    assert f"names {OTHER}, but the cipher tool encrypts with the keystore of {CARBON}:92 KeyStore, {KEYSTORE}" \
        in message


@pytest.mark.parametrize("written", [f"${{carbon.home}}/{KEYSTORE}", f"./repository/../{KEYSTORE}"])
def test_the_same_keystore_written_otherwise_passes(home: Home, written: str) -> None:
    home.secret_conf("keystore.identity.location", written)
    assert home.problems() == []


def test_the_type_is_compared_case_insensitively(home: Home) -> None:
    home.secret_conf("keystore.identity.type", "jks")
    assert home.problems() == []
    home.secret_conf("keystore.identity.type", "PKCS12")
    ((level, rule, message, file, line),) = home.problems()
    assert (level, rule, file, line) == ("error", "vault-config", SECRET, 6)
    assert message.startswith("keystore.identity.type is 'PKCS12', but repository/conf/carbon.xml:92 KeyStore says "
                              "'JKS'")


def test_the_alias_is_compared_exactly(home: Home) -> None:
    home.secret_conf("keystore.identity.alias", "WSO2Carbon")
    ((level, rule, message, file, line),) = home.problems()
    assert (level, rule, file, line) == ("error", "vault-config", SECRET, 7)
    assert "keystore.identity.alias is 'WSO2Carbon', but repository/conf/carbon.xml:92 KeyStore has KeyAlias " \
           "'wso2carbon'" in message


def add_internal_keystore(home: Home, key: rsa.RSAPrivateKey) -> None:
    """carbon.xml gets an InternalKeyStore (as EI 6.4 and later ship one) naming other.jks, whose key is `key`."""
    write_jks(home.path / OTHER, key)
    carbon = (home.path / CARBON).read_bytes()  # the fixture is ISO-8859-1
    internal = f"""        <InternalKeyStore>
            <Location>${{carbon.home}}/{OTHER}</Location>
            <Type>JKS</Type>
            <KeyAlias>wso2carbon</KeyAlias>
        </InternalKeyStore>
"""
    (home.path / CARBON).write_bytes(carbon.replace(b"        </KeyStore>\n",
                                                    b"        </KeyStore>\n" + internal.encode(), 1))


def test_internal_keystore_where_the_cipher_tool_prefers_it(home: Home, keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    """EI 6.5/6.6: the cipher tool encrypts with InternalKeyStore, so secret-conf must name that one."""
    add_internal_keystore(home, keys[1])
    assert home.problems() == []  # the KeyStore, as MB's and EI 6.4's cipher tool use
    ((level, rule, message, _, line),) = home.problems(prefer_internal=True)
    assert (level, rule, line) == ("error", "vault-config", 5) and "InternalKeyStore, " + OTHER in message


def test_which_products_prefer_the_internal_keystore() -> None:
    ei = detect(FIXTURES / "ei-home")
    assert (ei.key, ei.version) == ("ei", "6.4.0") and not prefers_internal(ei)
    assert prefers_internal(replace(ei, version="6.5.0")) and prefers_internal(replace(ei, version="6.6.0"))
    assert prefers_internal(replace(ei, version="6.6.0", profile="broker"))
    assert not prefers_internal(detect(FIXTURES / "mb-home")) and not prefers_internal(None)


def test_a_cipher_text_of_another_key_size_is_an_error_naming_its_alias(home: Home,
                                                                       keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    short = encrypt(keys[2].public_key(), PASSWORD)
    home.write(TEXT, f"# texts\nDatasources.REGISTRY_DB.Configuration.Password={escape(short, key=False)}\n")
    ((level, rule, message, file, line),) = home.problems()
    assert (level, rule, file, line) == ("error", "vault-config", TEXT, 2) and short not in message
    assert message.startswith("alias Datasources.REGISTRY_DB.Configuration.Password: its cipher text is 128 bytes, "
                              f"but the RSA key of 'wso2carbon' in {KEYSTORE} decrypts 256-byte ones")


def test_a_keystore_that_cannot_be_read_without_its_password_skips_the_length_check(
        home: Home, keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    short = encrypt(keys[2].public_key(), PASSWORD)
    home.write(TEXT, f"Datasources.REGISTRY_DB.Configuration.Password={escape(short, key=False)}\n")
    (home.path / KEYSTORE).write_bytes(b"\x30\x82not a readable PKCS12")
    assert home.problems() == []


@pytest.mark.parametrize("part", ["store", "key"])
def test_a_literal_keystore_password_is_a_warning_never_shown(home: Home, part: str) -> None:
    key = f"keystore.identity.{part}.password"
    home.write(SECRET, SECRET_CONF.format(location=KEYSTORE) + f"{key}={PASSWORD}\n")
    ((level, rule, message, file, line),) = home.problems()  # problems() asserts the value is never shown
    assert (level, rule, file, line) == ("warning", "vault-config", SECRET, 10)
    assert message.startswith(f"{key} holds a literal password")
    assert f"set {key}=identity.{part}.password" in message
    says = "not the stock reference" if part == "store" else "Carbon takes it as the password itself"
    assert says in message  # the store password has its secretProvider in SECRET_CONF, the key password none


def test_the_stock_references_pass(home: Home) -> None:
    home.write(SECRET, SECRET_CONF.format(location=KEYSTORE) + "keystore.identity.key.password=identity.key.password\n"
               "keystore.identity.key.secretProvider=org.wso2.carbon.securevault.DefaultSecretCallbackHandler\n")
    assert home.problems() == []


# --- stock trees, through planned bytes: nothing is written to them ------------------------------------------------

def _stock(tree: Path) -> tuple[str, Callable[..., list[Finding]]]:
    conf = "conf" if (tree / "conf/carbon.xml").is_file() else "repository/conf"

    def errors(secret: str, text: str = "") -> list[Finding]:
        planned = {f"{conf}/security/secret-conf.properties": secret.encode("latin-1")}
        if text:
            planned[f"{conf}/security/cipher-text.properties"] = text.encode("latin-1")
        ei = tree.name.startswith("wso2ei-") and tree.name >= "wso2ei-6.5"
        out = judge(Files(tree, planned), conf, enabled=True, prefer_internal=ei).out
        return [(lvl, rule, msg, w.file if w else None, w.line if w else None) for lvl, rule, msg, w in out
                if lvl == "error"]
    return conf, errors


@pytest.mark.skipif(not STOCK_TREES, reason=NO_STOCK)
@pytest.mark.parametrize("tree", STOCK_TREES, ids=lambda p: p.name)
def test_every_stock_tree_with_secret_conf_as_documented_passes(tree: Path,
                                                                keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    conf, errors = _stock(tree)
    # untouched, its secret-conf.properties all comments (a literal password among them): no identity finding
    stock = judge(Files(tree), conf, enabled=True).out
    assert not [f for f in stock if f[1] == "vault-config" and "keystore.identity." in f[2] and "not set" not in f[2]]
    secret = SECRET_CONF.format(location=KEYSTORE).replace("repository/conf/security", f"{conf}/security")
    assert errors(secret) == []
    assert errors(secret.replace("alias=wso2carbon", "alias=other"))[0][2].startswith(
        "keystore.identity.alias is 'other', but")
    # the stock keys are RSA 1024 (MB 2.5-3.1, ESB, AM 2.1) or 2048: a cipher text of the other size
    size = public_key(keystore_ref(tree, KEYSTORE, "JKS", "wso2carbon")).key_size
    other = keys[2] if size == 2048 else keys[0]
    text = escape(encrypt(other.public_key(), PASSWORD), key=False)
    bad = [e for e in errors(secret, f"Unused.Alias={text}\n") if e[1] == "vault-config"]
    assert [(e[3], e[4]) for e in bad] == [(f"{conf}/security/cipher-text.properties", 1)]
    assert f"its cipher text is {other.key_size // 8} bytes, but the RSA key of 'wso2carbon' in {KEYSTORE} " \
           f"decrypts {size // 8}-byte ones" in bad[0][2]


@pytest.mark.skipif(not (DIST / "wso2mb-3.2.0" / KEYSTORE).is_file(), reason=NO_STOCK)
def test_a_stock_tree_s_literal_password_is_a_warning(tmp_path: Path) -> None:
    tree = DIST / "wso2mb-3.2.0"
    secret = SECRET_CONF.format(location=KEYSTORE).replace("=identity.store.password", f"={PASSWORD}")
    out = judge(Files(tree, {SECRET: secret.encode()}), "repository/conf", enabled=True).out
    assert PASSWORD not in repr(out)
    assert [(f[0], f[3].line if f[3] else None) for f in out if f[1] == "vault-config" and f[0] != "ok"] == [
        ("warning", 8)]


def test_check_takes_the_preference_from_the_detected_product(home: Home,
                                                              keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    add_internal_keystore(home, keys[1])
    mb = detect(home.path)
    assert [f for f in check_home_alone(home.path, mb) if f.level != "ok"] == []
    (bad,) = [f for f in check_home_alone(home.path, replace(mb, key="ei", version="6.6.0")) if f.level != "ok"]
    assert (bad.level, bad.rule, bad.file, bad.line) == ("error", "vault-config", SECRET, 5)
