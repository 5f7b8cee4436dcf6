"""`check`'s secure-vault rules, from the files alone: on homes built here with real cipher texts, on stock trees
as they ship (no error), on a stock tree configured as WSO2's ciphertool.sh leaves it, and that home copied away."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import DIST, FIXTURES, NO_STOCK, Cli, copy_tree
from wso2patch.checks import check_cluster, check_home_alone
from wso2patch.checks.vault import judge, spec_vault
from wso2patch.checks.vaultfiles import Files, classify
from wso2patch.effective import load
from wso2patch.properties import escape
from wso2patch.spec import load_spec
from wso2patch.vault.cipher import encrypt

CONF = "repository/conf"
DS = f"{CONF}/datasources/master-datasources.xml"
TEXT = f"{CONF}/security/cipher-text.properties"
SECRET = f"{CONF}/security/secret-conf.properties"
AXIS2 = f"{CONF}/axis2/axis2.xml"
KEYSTORE = "repository/resources/security/wso2carbon.jks"
PASSWORD = "Sup3r-s3cret=pw"  # never in any finding
ALIAS = "Datasources.REGISTRY_DB.Configuration.Password"
SVNS = 'xmlns:svns="http://org.wso2.securevault/configuration"'
Cluster = Callable[[Path], tuple[Path, Path, Path]]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def _datasource(name: str, url: str, password: str) -> str:
    return f"""        <datasource>
            <name>{name}</name>
            <jndiConfig><name>jdbc/{name}</name></jndiConfig>
            <definition type="RDBMS">
                <configuration>
                    <url>{url}</url>
                    <username>u</username>
                    {password}
                </configuration>
            </definition>
        </datasource>
"""


def datasources(*entries: str) -> str:
    return f'<datasources-configuration {SVNS}>\n    <datasources>\n{"".join(entries)}    </datasources>\n' \
           "</datasources-configuration>\n"


ALIASED = _datasource("REGISTRY_DB", "jdbc:mysql://db:3306/REGISTRY_DB",
                      f'<password svns:secretAlias="{ALIAS}">password</password>')
SECRET_CONF = """carbon.secretProvider=org.wso2.securevault.secret.handler.SecretManagerSecretCallbackHandler
secretRepositories=file
secretRepositories.file.provider=org.wso2.securevault.secret.repository.FileBaseSecretRepositoryProvider
secretRepositories.file.location=repository/conf/security/cipher-text.properties
keystore.identity.location={location}
keystore.identity.type=JKS
keystore.identity.alias=wso2carbon
keystore.identity.store.password=identity.store.password
keystore.identity.store.secretProvider=org.wso2.carbon.securevault.DefaultSecretCallbackHandler
"""


@dataclass
class Home:
    path: Path
    cipher_text: str

    def write(self, rel: str, text: str) -> None:
        (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.path / rel).write_text(text)

    def findings(self, enabled: bool = False) -> list[tuple[str, str, str, str | None, int | None]]:
        out = judge(Files(self.path), CONF, enabled).out
        text = repr(out)
        assert PASSWORD not in text and self.cipher_text not in text and escape(self.cipher_text, key=False) not in text
        return [(lvl, rule, msg, w.file if w else None, w.line if w else None) for lvl, rule, msg, w in out]

    def problems(self, enabled: bool = False) -> list[tuple[str, str, str, str | None, int | None]]:
        return [f for f in self.findings(enabled) if f[0] != "ok"]


@pytest.fixture
def home(tmp_path: Path, key: rsa.RSAPrivateKey) -> Home:
    """A home configured right: one aliased MySQL password, its cipher text, secret-conf as ciphertool writes it."""
    h = Home(tmp_path / "mb1", encrypt(key.public_key(), PASSWORD))
    h.write(DS, datasources(ALIASED))
    h.write(TEXT, f"# cipher texts\n{ALIAS}={escape(h.cipher_text, key=False)}\n")
    h.write(SECRET, SECRET_CONF.format(location=h.path / KEYSTORE))
    h.write(KEYSTORE, "a keystore")  # the rules check it is there; the vault modules read it
    h.write(AXIS2, "<axisconfig><clustering/></axisconfig>\n")
    return h


def test_a_home_configured_right_passes(home: Home) -> None:
    assert home.problems() == []
    assert {(f[0], f[1]) for f in home.findings()} == {("ok", "vault-aliases"), ("ok", "vault-config"),
                                                       ("ok", "vault-clear")}


def test_an_alias_without_an_entry_is_an_error_at_its_element(home: Home) -> None:
    home.write(TEXT, "# no entries\n")
    (problem,) = home.problems()
    assert problem[:2] == ("error", "vault-aliases") and ALIAS in problem[2] and "no entry" in problem[2]
    assert problem[3:] == (DS, 10)


@pytest.mark.parametrize(("value", "says"), [("[wso2carbon]", "plain-text placeholder"), ("", "empty"),
                                             ("not*base64!", "not base64")])
def test_an_alias_whose_entry_is_not_encrypted_is_an_error(home: Home, value: str, says: str) -> None:
    home.write(TEXT, f"{ALIAS}={value}\n")
    (problem,) = home.problems()
    assert problem[:2] == ("error", "vault-aliases") and says in problem[2] and f"{TEXT}:1" in problem[2]
    assert "wso2carbon" not in problem[2]


def test_an_encrypted_entry_nobody_references_is_an_error(home: Home) -> None:
    cipher = escape(home.cipher_text, key=False)
    home.write(TEXT, f"{ALIAS}={cipher}\nOld.Alias = {cipher}\n")
    (problem,) = home.problems()
    assert problem[:2] == ("error", "vault-aliases") and "Old.Alias" in problem[2] and "no svns:secretAlias" in \
        problem[2]
    assert problem[3:] == (TEXT, 2)


def test_an_alias_a_synapse_artifact_looks_up_is_referenced(home: Home) -> None:
    home.write(TEXT, f"{ALIAS}={escape(home.cipher_text, key=False)}\nproxy.pw={escape(home.cipher_text, key=False)}\n")
    home.write("repository/deployment/server/synapse-configs/default/proxy-services/p.xml",
               "<proxy><property expression=\"wso2:vault-lookup('proxy.pw')\"/></proxy>\n")
    assert home.problems() == []


def test_unused_stock_placeholders_are_one_warning(home: Home) -> None:
    home.write(TEXT, f"{ALIAS}={escape(home.cipher_text, key=False)}\nCarbon.Security.KeyStore.Password=[wso2carbon]\n"
                     "UserManager.AdminUser.Password=[admin]\n")
    (problem,) = home.problems()
    assert problem[:2] == ("warning", "vault-aliases") and problem[3:] == (TEXT, 2)
    assert "2 unused plain-text placeholders (Carbon.Security.KeyStore.Password, UserManager.AdminUser.Password)" \
        in problem[2] and "wso2carbon" not in problem[2]


def test_an_alias_in_another_namespace_is_an_error(home: Home) -> None:
    home.write(DS, datasources(ALIASED).replace("http://org.wso2.securevault/configuration", "urn:other"))
    ((level, rule, message, file, line),) = home.problems()
    assert (level, rule, file, line) == ("error", "vault-aliases", DS, 10)
    assert f"secretAlias {ALIAS} is in namespace urn:other, which Carbon ignores" in message


def test_secret_conf_missing_or_off_is_an_error(home: Home) -> None:
    (home.path / SECRET).unlink()
    assert [(p[0], p[1], p[3]) for p in home.problems()] == [("error", "vault-config", SECRET)]
    home.write(SECRET, SECRET_CONF.format(location=KEYSTORE).replace("secretRepositories=file", "#secretRepositories"))
    ((level, rule, message, file, line),) = home.problems()
    assert (level, rule, file, line) == ("error", "vault-config", SECRET, None) and "secretRepositories" in message


@pytest.mark.parametrize("location", [KEYSTORE, "${carbon.home}/" + KEYSTORE, "./repository/../" + KEYSTORE])
def test_a_keystore_inside_the_home_passes_however_written(home: Home, location: str) -> None:
    home.write(SECRET, SECRET_CONF.format(location=location))
    assert home.problems() == []


def test_a_keystore_in_another_home_is_an_error_naming_both(home: Home, tmp_path: Path) -> None:
    other = tmp_path / "old" / "wso2mb-3.2.0"
    (other / KEYSTORE).parent.mkdir(parents=True)
    (other / KEYSTORE).write_text("the other home's keystore")
    home.write(SECRET, SECRET_CONF.format(location=other / KEYSTORE))
    ((level, rule, message, file, line),) = home.problems()
    assert (level, rule, file, line) == ("error", "vault-config", SECRET, 5)
    assert f"in another home ({other}), not this one ({home.path})" in message


def test_a_keystore_outside_any_home_or_missing_is_an_error(home: Home, tmp_path: Path) -> None:
    home.write(SECRET, SECRET_CONF.format(location=tmp_path / "elsewhere.jks"))
    assert "outside this home" in home.problems()[0][2]
    (home.path / KEYSTORE).unlink()
    home.write(SECRET, SECRET_CONF.format(location=KEYSTORE))
    ((level, rule, message, _, line),) = home.problems()
    assert (level, rule, line) == ("error", "vault-config", 5) and "does not exist" in message


def test_a_password_in_clear_beside_an_alias_is_an_error_naming_the_element(home: Home) -> None:
    clear = _datasource("WSO2_USER_DB", "jdbc:mysql://db:3306/WSO2_USER_DB", f"<password>{PASSWORD}</password>")
    h2 = _datasource("WSO2_MB_STORE_DB", "jdbc:h2:repository/database/WSO2MB_DB", "<password>wso2carbon</password>")
    empty = _datasource("NO_PASSWORD", "jdbc:mysql://db:3306/X", "<password></password>")
    home.write(DS, datasources(ALIASED, clear, h2, empty))
    errors = home.problems()
    assert [(p[0], p[1], p[3], p[4]) for p in errors] == [("error", "vault-clear", DS, 21),
                                                          ("warning", "vault-clear", DS, 32)]
    assert errors[0][2].startswith("datasource WSO2_USER_DB: <password> is in clear while the vault is in use")
    assert "embedded H2" in errors[1][2]


def test_an_aws_secret_key_in_clear_is_an_error(home: Home) -> None:
    home.write(AXIS2, f'<axisconfig><clustering>\n<parameter name="secretKey">{PASSWORD}</parameter>\n'
                      "</clustering></axisconfig>\n")
    ((level, rule, message, file, line),) = home.problems()
    assert (level, rule, file, line) == ("error", "vault-clear", AXIS2, 2) and "secretKey" in message


def test_passwords_in_clear_are_fine_while_no_vault_is_in_use(home: Home) -> None:
    clear = _datasource("WSO2_USER_DB", "jdbc:mysql://db:3306/WSO2_USER_DB", f"<password>{PASSWORD}</password>")
    home.write(DS, datasources(clear))
    home.write(TEXT, "# nothing\n")
    assert home.findings() == [("ok", "vault-aliases", "no svns:secretAlias: the secure vault is not in use", None,
                                None)]
    # the spec's [vault] enabled = true puts the vault in use on every node, aliases or not
    assert [(p[0], p[1]) for p in home.problems(enabled=True)] == [("error", "vault-clear")]


def test_the_spec_key_turns_the_vault_on() -> None:
    assert spec_vault(SimpleNamespace(vault=SimpleNamespace(enabled=True)))
    assert not spec_vault(SimpleNamespace(vault=SimpleNamespace(enabled=False)))
    assert not spec_vault(SimpleNamespace()) and not spec_vault(None)


def test_planned_bytes_are_judged_instead_of_the_files(home: Home) -> None:
    bad = datasources(_datasource("REGISTRY_DB", "jdbc:mysql://db:3306/R", f"<password>{PASSWORD}</password>"))
    good = datasources(ALIASED)
    home.write(DS, bad)
    assert home.problems()  # on disk, the entry is referenced by nothing
    assert [f for f in judge(Files(home.path, {DS: good.encode()}), CONF).out if f[0] != "ok"] == []
    home.write(DS, good)
    assert home.problems() == []
    assert [f[:2] for f in judge(Files(home.path, {DS: bad.encode()}), CONF).out if f[0] != "ok"] == [
        ("error", "vault-aliases")]


def test_a_lone_home_is_checked_without_a_spec(home: Home) -> None:
    assert {(f.level, f.rule, f.node) for f in check_home_alone(home.path)} == {
        ("ok", "vault-aliases", 1), ("ok", "vault-config", 1), ("ok", "vault-clear", 1)}
    home.write(TEXT, "")
    (bad,) = [f for f in check_home_alone(home.path) if f.level != "ok"]
    assert (bad.file, bad.line, bad.home) == (DS, 10, home.path) and ALIAS in bad.message


@pytest.mark.parametrize(("value", "kind"), [("[wso2carbon]", "placeholder"), ("  ", "empty"),
                                             ("$env{DB_PW}", "reference"), ("a b", "malformed"), ("QUJD", "encrypted")])
def test_classify(value: str, kind: str) -> None:
    assert classify(value) == kind


# --- stock trees ---------------------------------------------------------------------------------------------------

STOCK_TREES = sorted(p for p in DIST.glob("wso2*") if (p / "repository/conf/carbon.xml").is_file()
                     or (p / "conf/carbon.xml").is_file()) if DIST.is_dir() else []


def _conf(tree: Path) -> str:
    return "conf" if (tree / "conf/carbon.xml").is_file() else CONF


@pytest.mark.skipif(not STOCK_TREES, reason=NO_STOCK)
@pytest.mark.parametrize("tree", STOCK_TREES, ids=lambda p: p.name)
def test_every_stock_tree_as_it_ships_passes(tree: Path) -> None:
    out = judge(Files(tree), _conf(tree)).out
    assert [f for f in out if f[0] != "ok"] == []
    assert [(f[1], f[2]) for f in out] == [("vault-aliases", "no svns:secretAlias: the secure vault is not in use")]


@pytest.mark.skipif(not STOCK_TREES, reason=NO_STOCK)
@pytest.mark.parametrize("tree", STOCK_TREES, ids=lambda p: p.name)
def test_every_stock_tree_with_the_vault_enabled_has_its_stock_placeholders_as_warnings(tree: Path) -> None:
    out = judge(Files(tree), _conf(tree), enabled=True).out
    placeholders = [f for f in out if f[1] == "vault-aliases" and f[0] != "ok"]
    assert all(f[0] == "warning" and "unused plain-text placeholder" in f[2] for f in placeholders)
    assert bool(placeholders) == (tree / _conf(tree) / "security/cipher-text.properties").is_file()


MB = DIST / "wso2mb-3.2.0"


@pytest.mark.skipif(not (MB / KEYSTORE).is_file(), reason=NO_STOCK)
def test_a_stock_home_configured_as_ciphertool_does_passes_and_breaks_when_copied(tmp_path: Path) -> None:
    """ciphertool.sh -Dconfigure: the alias on carbon.xml's keystore password, its entry encrypted with the stock
    keystore, secret-conf.properties naming the keystore by the absolute path of the home it ran in."""
    from wso2patch.vault.keystore import keystore_ref, public_key

    h = copy_tree(MB, tmp_path / "a" / "wso2mb-3.2.0")
    carbon = h / CONF / "carbon.xml"
    text = carbon.read_text()
    text = text.replace("<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">",
                        f"<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\" {SVNS}>", 1)
    assert SVNS in text
    text = text.replace("<Password>wso2carbon</Password>",
                        '<Password svns:secretAlias="Carbon.Security.KeyStore.Password">password</Password>', 1)
    carbon.write_text(text)
    cipher = encrypt(public_key(keystore_ref(h, KEYSTORE, "JKS", "wso2carbon")), "wso2carbon")
    tt = h / TEXT
    tt.write_text(tt.read_text().replace("Carbon.Security.KeyStore.Password=[wso2carbon]",
                                         f"Carbon.Security.KeyStore.Password={escape(cipher, key=False)}"))
    (h / SECRET).write_text(SECRET_CONF.format(location=h / KEYSTORE))
    out = judge(Files(h), CONF).out
    # the 10 other stock placeholders, and the two embedded H2 datasources MB ships
    assert [(f[0], f[1]) for f in out if f[0] != "ok"] == [("warning", "vault-aliases"), ("warning", "vault-clear"),
                                                           ("warning", "vault-clear")]
    assert any(f[0] == "warning" and "10 unused plain-text placeholders" in f[2] for f in out)
    moved = tmp_path / "b" / "wso2mb-3.2.0"
    shutil.copytree(h, moved)
    (bad,) = [f for f in judge(Files(moved), CONF).out if f[0] == "error"]
    assert bad[1] == "vault-config" and f"in another home ({h}), not this one ({moved})" in bad[2]
    assert cipher not in repr(out) and "wso2carbon]" not in bad[2]


# --- wired into check ----------------------------------------------------------------------------------------------

def test_the_spec_vault_puts_every_node_in_use(cluster: Cluster) -> None:
    spec_path, h1, h2 = cluster(FIXTURES / "mb-home")
    spec = load_spec(spec_path)
    off = check_cluster(spec, {1: load(h1), 2: load(h2)})
    assert {(f.rule, f.node, f.message) for f in off if f.rule.startswith("vault-")} == {
        ("vault-aliases", 1, "no svns:secretAlias: the secure vault is not in use"),
        ("vault-aliases", 2, "no svns:secretAlias: the secure vault is not in use")}
    object.__setattr__(spec, "vault", SimpleNamespace(enabled=True))  # [vault] enabled = true (the spec key)
    on = check_cluster(spec, {1: load(h1), 2: load(h2)})
    assert {(f.level, f.rule, f.node, f.file) for f in on if f.level == "error" and f.rule.startswith("vault-")} == {
        ("error", "vault-config", n, SECRET) for n in (1, 2)}  # no secret-conf.properties on either node


def test_check_planned_judges_the_planned_bytes(cluster: Cluster) -> None:
    spec_path, h1, h2 = cluster(FIXTURES / "mb-home")
    spec = load_spec(spec_path)
    planned = {DS: datasources(ALIASED).encode()}  # an alias, with no cipher text in h1's files
    (bad,) = [f for f in check_cluster(spec, {1: load(h1, planned), 2: load(h2)}) if f.rule.startswith("vault-")
              and f.level == "error" and f.rule == "vault-aliases"]
    assert (bad.node, bad.file, bad.line) == (1, DS, 10) and ALIAS in bad.message


def test_check_of_a_lone_home_reports_and_fails(cli: Cli, tmp_path: Path) -> None:
    h = copy_tree(FIXTURES / "mb-home", tmp_path / "lone")
    store = h / "repository/deployment/server/userstores/ldap.xml"  # user stores are read too
    store.parent.mkdir(parents=True)
    store.write_text(f'<UserStoreManager {SVNS}>\n  <Property name="ConnectionPassword" '
                     'svns:secretAlias="Ldap.Password">password</Property>\n</UserStoreManager>\n')
    (h / TEXT).parent.mkdir(parents=True, exist_ok=True)
    (h / TEXT).write_text(f"Ldap.Password=[{PASSWORD}]\n")
    r = cli("check", "--home", h, env={"WSO2PATCH_SPEC": ""})
    assert r.exit_code == 1, r.output
    assert "vault-aliases" in r.stdout and "Ldap.Password" in r.stdout and PASSWORD not in r.output


def test_a_file_that_cannot_be_read_is_an_error_not_a_crash(home: Home) -> None:
    home.write(f"{CONF}/identity/identity.xml", f'<Server {SVNS}><Password svns:secretAlias="A">password</Server>\n')
    home.write(TEXT, f"{ALIAS}={escape(home.cipher_text, key=False)}\nbad=\\u12\n")
    problems = home.problems()
    assert [(p[0], p[1], p[3], p[4]) for p in problems] == [("error", "vault-aliases", f"{CONF}/identity/identity.xml",
                                                             1), ("error", "vault-aliases", TEXT, 2)]
    assert problems[0][2].startswith("cannot be read: malformed XML") and "\\u" in problems[1][2]


def test_a_home_given_as_a_relative_path_is_named_absolute(home: Home, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    home.write(SECRET, SECRET_CONF.format(location="/opt/old/wso2mb/" + KEYSTORE))
    monkeypatch.chdir(tmp_path)
    (problem,) = [p for p in judge(Files(Path("mb1")), CONF).out if p[0] != "ok"]
    assert f"in another home (/opt/old/wso2mb), not this one ({home.path})" in problem[2]
