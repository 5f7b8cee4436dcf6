"""The proof that wso2patch encrypts exactly as Carbon decrypts: Java itself (tests/java/VaultDecrypt.java, the way
Carbon's file-based secret repository decrypts) gets back every password we encrypted, on the stock wso2carbon.jks
of every tree in ../shared/wso2-dist and on JKS and PKCS12 keystores made by keytool. Needs a JDK: skipped without
one, a failure in CI (.ci/run installs default-jdk-headless and sets WSO2PATCH_REQUIRE_JAVA)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from tests.conftest import DIST, NO_STOCK, REPO
from tests.test_vault_apply import Tree, vault_home, vault_trees
from tests.test_vault_keystore import make_cert
from wso2patch.vault.cipher import encrypt
from wso2patch.vault.keystore import KeystoreRef, keystore_ref, public_key, read_certificate
from wso2patch.xmlio import Doc

NO_JDK = "no javac, java and keytool on this machine: the secure-vault proof needs a JDK (.ci/run installs one)"
SOURCE = REPO / "tests" / "java" / "VaultDecrypt.java"
Decrypt = Callable[[KeystoreRef, str, str, Path], dict[str, str]]


def require_jdk() -> None:
    if all(shutil.which(tool) for tool in ("javac", "java", "keytool")):
        return
    if os.environ.get("WSO2PATCH_REQUIRE_JAVA"):
        pytest.fail(NO_JDK)
    pytest.skip(NO_JDK)


def run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run([str(a) for a in args], capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, f"{args[0]} failed: {done.stderr.decode(errors='replace')}"
    return done


@pytest.fixture(scope="session")
def java_decrypt(tmp_path_factory: pytest.TempPathFactory) -> Decrypt:
    """Compile VaultDecrypt once; the callable decrypts a cipher-text.properties with Java and returns alias -> text."""
    require_jdk()
    classes = tmp_path_factory.mktemp("java")
    run("javac", "-d", classes, SOURCE)

    def decrypt(ref: KeystoreRef, store_password: str, key_password: str, properties: Path) -> dict[str, str]:
        # -Dfile.encoding=UTF8 as wso2server.sh starts Carbon: new String(bytes) then decodes UTF-8
        out = run("java", "-Dfile.encoding=UTF8", "-cp", classes, "VaultDecrypt", ref.path, ref.type,
                  store_password, key_password, ref.alias, properties).stdout.decode("utf-8")
        return dict(line.split("=", 1) for line in out.splitlines())

    return decrypt


def passwords(key_bits: int, aliases: list[str]) -> dict[str, str]:
    """What a spec could hold: the product's own vault aliases plus awkward values (the last one fills the key)."""
    room = key_bits // 8 - 11
    return {**{alias: f"{alias}-S3cret" for alias in aliases},
            "Test.NonAscii": "pässwörd €😀", "Test.Empty": "", "Test.PropertiesSyntax": "a=b:c#d!e \\u0041",
            "Test.Spaces": "  both ends  ", "Test.Longest": "x" * room}


def prove(decrypt: Decrypt, ref: KeystoreRef, store_password: str, key_password: str, tmp_path: Path,
          aliases: list[str], *, password: str | None = None) -> None:
    key = public_key(ref, password)
    secrets = passwords(key.key_size, aliases)
    properties = tmp_path / "cipher-text.properties"
    properties.write_text("".join(f"{alias}={encrypt(key, text)}\n" for alias, text in secrets.items()),
                          encoding="ascii")
    assert decrypt(ref, store_password, key_password, properties) == secrets


# --- the stock keystores, as each tree's carbon.xml names them ---------------------------------------------------

@dataclass(frozen=True)
class Stock:
    home: Path
    ref: KeystoreRef
    store_password: str
    key_password: str
    aliases: list[str]  # the vault aliases of the tree's own cipher-text.properties


def stock_keystores() -> list[object]:
    found: list[object] = []
    for carbon_xml in sorted(DIST.glob("*/repository/conf/carbon.xml")) + sorted(DIST.glob("*/conf/carbon.xml")) \
            + sorted(DIST.glob("*/wso2/*/conf/carbon.xml")):
        home = carbon_xml.parents[2] if carbon_xml.parent.parent.name == "repository" else carbon_xml.parents[1]
        doc = Doc(carbon_xml.read_bytes(), where=str(carbon_xml))
        conf = carbon_xml.parent
        cipher_text = conf / "security" / "cipher-text.properties"
        aliases = [line.split("=", 1)[0] for line in cipher_text.read_text("latin-1").splitlines()
                   if "=" in line and not line.startswith("#")] if cipher_text.is_file() else []
        for section in ("KeyStore", "InternalKeyStore"):
            if not doc.xpath(f"/Server/Security/{section}/Location"):
                continue
            location, kind, alias, store_password, key_password = (
                str(doc.xpath(f"/Server/Security/{section}/{name}")[0].text)
                for name in ("Location", "Type", "KeyAlias", "Password", "KeyPassword"))
            ref = keystore_ref(home, location, kind, alias)
            if ref.path.is_file():
                found.append(pytest.param(Stock(home, ref, store_password, key_password, aliases),
                                          id=f"{home.relative_to(DIST)}-{section}"))
    return found or [pytest.param(None, marks=pytest.mark.skip(reason=NO_STOCK))]


@pytest.mark.parametrize("stock", stock_keystores())
def test_java_decrypts_what_we_encrypt_with_the_stock_keystore(java_decrypt: Decrypt, stock: Stock,
                                                               tmp_path: Path) -> None:
    prove(java_decrypt, stock.ref, stock.store_password, stock.key_password, tmp_path, stock.aliases)


# --- keystores made by keytool -------------------------------------------------------------------------------------

STORE_PASSWORD, KEY_PASSWORD = "store-Pass1", "key-Pass22"
Made = tuple[KeystoreRef, str]  # the keystore, and the password of its key pair


@pytest.fixture(scope="module")
def keytool_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Made]:
    """A JKS and a PKCS12 keystore made by keytool: an RSA 2048 key pair under a mixed-case alias (keytool stores it
    lower-cased) next to a trusted certificate."""
    require_jdk()
    made: dict[str, Made] = {}
    for store_type in ("JKS", "PKCS12"):
        tmp = tmp_path_factory.mktemp(store_type.lower())
        path = tmp / f"vault.{store_type.lower()}"
        key_password = KEY_PASSWORD if store_type == "JKS" else STORE_PASSWORD  # PKCS12: one password for both
        (tmp / "peer.der").write_bytes(make_cert(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                                                 "peer"))
        common: list[str | Path] = ["-keystore", path, "-storetype", store_type, "-storepass", STORE_PASSWORD]
        run("keytool", "-importcert", "-noprompt", "-alias", "trusted-peer", "-file", tmp / "peer.der", *common)
        run("keytool", "-genkeypair", "-alias", "VaultKey", "-keyalg", "RSA", "-keysize", "2048",
            "-dname", "CN=wso2patch vault test", "-validity", "30", "-keypass", key_password, *common)
        made[store_type] = keystore_ref(tmp, path.name, store_type, "VaultKey"), key_password
    return made


@pytest.mark.parametrize("store_type", ["JKS", "PKCS12"])
def test_java_decrypts_what_we_encrypt_with_a_keytool_keystore(java_decrypt: Decrypt, keytool_stores: dict[str, Made],
                                                               store_type: str, tmp_path: Path) -> None:
    ref, key_password = keytool_stores[store_type]
    # JKS needs no password to encrypt; PKCS12 does (keytool encrypts its certificates)
    password = STORE_PASSWORD if store_type == "PKCS12" else None
    prove(java_decrypt, ref, STORE_PASSWORD, key_password, tmp_path, ["Carbon.Security.KeyStore.Password"],
          password=password)


@pytest.mark.parametrize("store_type", ["JKS", "PKCS12"])
def test_certificate_is_the_one_keytool_exports(keytool_stores: dict[str, Made], store_type: str,
                                                tmp_path: Path) -> None:
    ref, _ = keytool_stores[store_type]
    exported = tmp_path / "exported.der"
    run("keytool", "-exportcert", "-alias", "vaultkey", "-file", exported, "-keystore", ref.path,
        "-storepass", STORE_PASSWORD)
    assert read_certificate(ref, STORE_PASSWORD).public_bytes(Encoding.DER) == exported.read_bytes()
    if store_type == "JKS":
        assert read_certificate(ref).public_bytes(Encoding.DER) == exported.read_bytes()


def test_round_trip_with_the_keytool_pkcs12_private_key(keytool_stores: dict[str, Made]) -> None:
    ref, _ = keytool_stores["PKCS12"]
    private = pkcs12.load_pkcs12(ref.path.read_bytes(), STORE_PASSWORD.encode()).key
    assert isinstance(private, rsa.RSAPrivateKey)
    for text in ("wso2carbon", "pässwörd €😀", ""):
        cipher_text = encrypt(public_key(ref, STORE_PASSWORD), text)
        assert private.decrypt(base64.b64decode(cipher_text, validate=True), padding.PKCS1v15()).decode() == text


# --- apply with [vault] on every stock tree: Java gets back the spec's passwords ----------------------------------

@pytest.mark.parametrize("include_stock", [False, True], ids=["ours", "include-stock"])
@pytest.mark.parametrize("tree", vault_trees())
def test_java_decrypts_every_secret_an_apply_with_the_vault_wrote(java_decrypt: Decrypt, tree: Tree,
                                                                  tmp_path: Path, include_stock: bool) -> None:
    from tests.conftest import Cli
    from tests.test_vault_apply import AWS_SECRET, CIPHER_TEXT, DB_PASSWORD, GOV_PASSWORD, full, spec_text, stock_spec
    from wso2patch.detect import detect
    from wso2patch.products import vault_prefers_internal
    from wso2patch.properties import parse
    from wso2patch.vault.inputs import _keystore

    h1, h2 = vault_home(tree, tmp_path / "n1"), vault_home(tree, tmp_path / "n2")
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(stock_spec(tree, h1, h2) if include_stock else full(spec_text(tree, h1, h2)), encoding="utf-8")
    stock = (h1 / tree.rel(CIPHER_TEXT)).read_text("latin-1") if (h1 / tree.rel(CIPHER_TEXT)).is_file() else ""
    placeholders = {k: v[1:-1] for k, v in parse(stock).load().items() if v.startswith("[") and v.endswith("]")}
    applied = Cli()("apply", "--spec", spec, "--node", "1", "--yes")
    assert applied.exit_code == 0, applied.output
    # the entries wso2patch encrypted, exactly as written (the stock [plaintext] placeholders left out)
    lines = (h1 / tree.rel(CIPHER_TEXT)).read_bytes().splitlines(keepends=True)
    ours = tmp_path / "ours.properties"
    ours.write_bytes(b"".join(line for line in lines if b"=" in line and not line.startswith(b"#")
                              and not line.split(b"=", 1)[1].startswith(b"[")))
    ref, _ = _keystore(h1, tree.conf, vault_prefers_internal(detect(h1, tree.profile)))
    got = java_decrypt(ref, "wso2carbon", "wso2carbon", ours)
    want = {"Datasources.REGISTRY_LOCAL1.Configuration.Password": DB_PASSWORD,
            "Datasources.REGISTRY_DB.Configuration.Password": DB_PASSWORD,
            "Datasources.REGISTRY_GOV_DB.Configuration.Password": GOV_PASSWORD,
            "Datasources.WSO2_USER_DB.Configuration.Password": DB_PASSWORD,
            "Axis2.Clustering.AWS.SecretKey": AWS_SECRET}
    if (h1 / tree.rel("broker.xml")).is_file():
        want["Datasources.WSO2_MB_STORE_DB.Configuration.Password"] = DB_PASSWORD
    if include_stock:  # the stock secrets: what the stock files held (their cipher-text placeholders say the same)
        want |= {a: placeholders[a] for a in got if a not in want}
        assert not stock or ("Carbon.Security.KeyStore.Password" in got
                             and any(a.startswith("Server.Service.Connector.") for a in got))
    assert got == want
