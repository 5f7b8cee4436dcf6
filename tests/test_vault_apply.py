"""[vault] on the real stock trees (each has the stock wso2carbon.jks the vault encrypts for): the secrets
wso2patch writes leave every file it writes, its output and .wso2patch (backups aside); the bytes change only
where the vault must (zero noise); a re-apply changes no byte, a changed password re-encrypts only its alias, a
hand-edited cipher text is drift, the vault off gives back the plain passwords, and rollback every byte."""

from __future__ import annotations

import json
import os
import re
import stat
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DIST, NO_STOCK, SPEC, STOCK, Cli, copy_tree, snapshot
from wso2patch import variables
from wso2patch.errors import ConfigError
from wso2patch.properties import parse
from wso2patch.spec import load_spec
from wso2patch.vault.inputs import current_tags, prepare
from wso2patch.workflow_files import journal_of
from wso2patch.workflow_plan import plan_node

DB_PASSWORD = "Vault+Db/Pw=1"  # distinctive, with the characters base64 and .properties treat specially
GOV_PASSWORD = "gov&Pw<2>"
AWS_SECRET = "Zw9/aws+Secret7Key"
CIPHER_TEXT = "security/cipher-text.properties"  # each under the config root: Tree.rel
CIPHER_TOOL = "security/cipher-tool.properties"
SECRET_CONF = "security/secret-conf.properties"
DATASOURCES = "datasources/master-datasources.xml"
AXIS2 = "axis2/axis2.xml"


@dataclass(frozen=True)
class Tree:
    """A stock tree, and the profile a node runs there (EI: integrator or broker) with its config root."""

    path: Path
    profile: str | None = None
    conf: str = "repository/conf"

    def rel(self, name: str) -> str:
        return f"{self.conf}/{name}"


def vault_trees(first: bool = False) -> list[Any]:
    """Every stock tree with the stock wso2carbon.jks: MB, Carbon, ESB, and EI's integrator and broker profiles."""
    found = [pytest.param(Tree(p), id=p.name) for p in STOCK]
    for name in ("wso2esb-5.0.0", "wso2esb-4.9.0"):
        if (DIST / name / "repository/conf/carbon.xml").is_file():
            found.append(pytest.param(Tree(DIST / name), id=name))
    for name in ("wso2ei-6.6.0", "wso2ei-6.4.0", "wso2ei-6.1.1"):
        if (DIST / name / "conf/carbon.xml").is_file():
            found += [pytest.param(Tree(DIST / name, "integrator", "conf"), id=f"{name}-integrator"),
                      pytest.param(Tree(DIST / name, "broker", "wso2/broker/conf"), id=f"{name}-broker")]
    if not found:
        return [pytest.param(None, id="no-stock", marks=pytest.mark.skip(reason=NO_STOCK))]
    return found[:1] if first else found
SECRETS = (DB_PASSWORD, GOV_PASSWORD, AWS_SECRET)


def vault_home(tree: Tree, dest: Path) -> Path:
    """A copy of the tree; the real packs all have <conf>/security (our trees of some lack the folder)."""
    home = copy_tree(tree.path, dest)
    (home / tree.conf / "security").mkdir(exist_ok=True)
    return home


def spec_text(tree: Tree, h1: Path, h2: Path, *, vault: bool = True, extra: str = "",
              password: str = DB_PASSWORD) -> str:
    text = SPEC.format(home1=h1, home2=h2).replace('password = "regadmin"', f'password = "{password}"')
    if tree.profile is not None:
        text = text.replace('host = "10.100.7.118"\n', f'host = "10.100.7.118"\nprofile = "{tree.profile}"\n')
    return text + ("[vault]\nenabled = true\n" if vault else "") + extra


GOVERNANCE = '[database.governance]\nhost = "gov"\nusername = "gov"\npassword = "gov&Pw<2>"\n'
AWS = ('[cluster.aws]\naccess_key = "AKIAIOSFODNN7EXAMPLE"\nsecret_key = "Zw9/aws+Secret7Key"\n'
       'region = "eu-west-1"\n')


def full(text: str) -> str:
    """Every secret wso2patch writes: the three datasources, a governance one, the MB store, AWS's secret key."""
    return text.replace("[database.names]\n", '[database.names]\ngovernance = "REGISTRY_GOV_DB"\n').replace(
        "[cluster]\n", '[cluster]\nmembership = "aws"\n') + GOVERNANCE + AWS


@pytest.fixture
def homes(tmp_path: Path) -> Callable[[Tree], tuple[Path, Path, Path]]:
    def make(tree: Tree) -> tuple[Path, Path, Path]:
        return vault_home(tree, tmp_path / "n1"), vault_home(tree, tmp_path / "n2"), tmp_path / "wso2patch.toml"
    return make


def leaks(home: Path) -> list[str]:
    """Files below home holding a spec secret, backups of the files that held it before aside."""
    found = []
    for p in sorted(home.rglob("*")):
        rel = p.relative_to(home).as_posix()
        if p.is_file() and not rel.startswith(".wso2patch/backups/"):
            data = p.read_bytes()
            found += [f"{rel}: {s!r}" for s in SECRETS if s.encode() in data or s.encode("latin-1", "ignore") in data]
    return found


def cipher_texts(home: Path, tree: Tree) -> dict[str, str]:
    return parse((home / tree.rel(CIPHER_TEXT)).read_bytes().decode("latin-1")).load()


# --- the workflow's variables: no drift from the list the patch checker knows ----------------------------------
@pytest.mark.parametrize("tree", vault_trees())
def test_the_vault_workflow_sets_only_known_names_and_all_of_them(tree: Tree, homes: Callable[..., tuple[Path, ...]]
                                                                  ) -> None:
    h1, h2, spec_path = homes(tree)
    spec_path.write_text(full(spec_text(tree, h1, h2)), encoding="utf-8")
    spec = load_spec(spec_path)
    vault = prepare(h1, spec.values(1), spec.rows(), None, tree.conf)
    assert set(vault.values) <= variables.KNOWN
    assert set(vault.values) >= variables.VAULT_WORKFLOW - ({"vault.alias.mb_store"} if not
                                                           (h1 / tree.rel("broker.xml")).exists() else set())
    assert all(set(row) == variables.SECRET for row in vault.rows["vault.secret"])
    assert not any(s in json.dumps(vault.values) for s in SECRETS)  # written as 'password'


# --- apply on every tree ---------------------------------------------------------------------------------------
def changed_lines(old: bytes, new: bytes) -> list[tuple[str, str]]:
    """(old line, new line) of each line replaced; an added or removed line is ('', new) or (old, '')."""
    a, b = old.decode("latin-1").splitlines(), new.decode("latin-1").splitlines()
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            out += list(zip(a[i1:i2], b[j1:j2], strict=True))
        elif tag != "equal":
            out += [(x, "") for x in a[i1:i2]] + [("", y) for y in b[j1:j2]]
    return out


@pytest.mark.parametrize("tree", vault_trees())
def test_the_vault_changes_only_what_it_must(tree: Tree, homes: Callable[..., tuple[Path, ...]]) -> None:
    """Against the same spec without the vault: in the XML files only the secrets' lines (and a root that lacked the
    declaration) change, line for line; in the stock .properties files only the entries the vault sets."""
    h1, h2, spec_path = homes(tree)
    spec_path.write_text(full(spec_text(tree, h1, h2, vault=False)), encoding="utf-8")
    plain = {f.rel: f for f in plan_node(load_spec(spec_path), 1, h1).files}
    spec_path.write_text(full(spec_text(tree, h1, h2)), encoding="utf-8")
    vaulted = {f.rel: f for f in plan_node(load_spec(spec_path), 1, h1).files}
    for rel in (tree.rel(DATASOURCES), tree.rel(AXIS2)):
        pairs = changed_lines(plain[rel].new, vaulted[rel].new)
        assert pairs and all(a and b for a, b in pairs), pairs  # no line added or removed
        for a, b in pairs:
            root = b.startswith(("<datasources-configuration", "<axisconfig"))
            assert root or ("svns:secretAlias=" in b and ">password</" in b), (a, b)
            assert not root or b == a.replace(">", ' xmlns:svns="http://org.wso2.securevault/configuration">', 1)
    ours = {r["secret.alias"] for r in prepare(h1, load_spec(spec_path).values(1), {}, None, tree.conf)
            .rows["vault.secret"]}
    for rel in (tree.rel(CIPHER_TEXT), tree.rel(CIPHER_TOOL), tree.rel(SECRET_CONF)):
        f = vaulted[rel]
        if not f.existed:
            continue
        for a, _ in changed_lines(f.old, f.new):
            key = a.split("=", 1)[0]
            last = f.old.decode("latin-1").splitlines()[-1] == a and not f.old.endswith(b"\n")
            assert not a or last or key in ours, a


@pytest.mark.parametrize("tree", vault_trees())
def test_apply_with_the_vault_leaks_nothing_reapplies_and_rolls_back(cli: Cli, tree: Tree,
                                                                     homes: Callable[..., tuple[Path, ...]]) -> None:
    h1, h2, spec_path = homes(tree)
    spec_path.write_text(full(spec_text(tree, h1, h2)), encoding="utf-8")
    before = snapshot(h1)
    outputs = [cli("diff", "--spec", spec_path, "--node", "1"), cli("diff", "--spec", spec_path, "--json"),
               cli("apply", "--spec", spec_path, "--node", "1", "--yes")]
    assert outputs[-1].exit_code == 0, outputs[-1].output
    outputs += [cli(*args, "--spec", spec_path) for args in (("status", "--node", "1"), ("status", "--json"),
                                                               ("check",), ("check", "--json"))]
    outputs.append(cli("history", "--home", h1, env={"WSO2PATCH_SPEC": str(spec_path)}))
    assert not [s for r in outputs for s in SECRETS if s in r.output]
    assert leaks(h1) == []
    assert cli("apply", "--spec", spec_path, "--node", "2", "--yes").exit_code == 0
    findings = json.loads(cli("check", "--spec", spec_path, "--json").stdout)["findings"]
    # the vault's check rules hold on what apply wrote, EI's broker profile included: its wso2server.sh makes
    # wso2/broker the carbon home, which secret-conf's and cipher-tool's relative paths are read against
    assert [f for f in findings if f["level"] == "error"] == []
    assert stat.S_IMODE((h1 / ".wso2patch").stat().st_mode) == 0o700
    assert stat.S_IMODE((h1 / ".wso2patch/vault-key").stat().st_mode) == 0o600
    after = snapshot(h1)
    again = cli("apply", "--spec", spec_path, "--node", "1", "--yes")
    assert again.exit_code == 0 and "already" in again.stdout, again.output
    assert snapshot(h1) == after
    assert cli("diff", "--spec", spec_path, "--node", "1").exit_code == 0
    texts = cipher_texts(h1, tree)
    tags = current_tags(journal_of(h1).load())
    assert tags is not None and set(tags) <= set(texts)
    assert "Datasources.REGISTRY_GOV_DB.Configuration.Password" in tags and "Axis2.Clustering.AWS.SecretKey" in tags
    assert cli("rollback", "--home", h1, "--yes", env={"WSO2PATCH_SPEC": str(spec_path)}).exit_code == 0
    assert {k: v for k, v in snapshot(h1).items() if not k.startswith(".wso2patch/")} == \
        {k: v for k, v in before.items() if not k.startswith(".wso2patch/")}


@pytest.mark.parametrize("tree", vault_trees(first=True))
def test_one_changed_password_re_encrypts_only_its_alias(cli: Cli, tree: Tree,
                                                         homes: Callable[..., tuple[Path, ...]]) -> None:
    h1, h2, spec_path = homes(tree)
    spec_path.write_text(full(spec_text(tree, h1, h2)), encoding="utf-8")
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    first = cipher_texts(h1, tree)
    spec_path.write_text(full(spec_text(tree, h1, h2)).replace('password = "gov&Pw<2>"', 'password = "new-Gov-Pw"'),
                         encoding="utf-8")
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    second = cipher_texts(h1, tree)
    changed = {a for a in first if first[a] != second.get(a)}
    assert changed == {"Datasources.REGISTRY_GOV_DB.Configuration.Password"}


@pytest.mark.parametrize("tree", vault_trees(first=True))
def test_a_hand_edited_cipher_text_is_drift_and_is_encrypted_again(cli: Cli, tree: Tree,
                                                                   homes: Callable[..., tuple[Path, ...]]) -> None:
    h1, h2, spec_path = homes(tree)
    spec_path.write_text(spec_text(tree, h1, h2), encoding="utf-8")
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    path = h1 / tree.rel(CIPHER_TEXT)
    alias = "Datasources.REGISTRY_DB.Configuration.Password"
    before = cipher_texts(h1, tree)
    old = before[alias]
    path.write_bytes(path.read_bytes().replace(old[:20].encode(), b"A" * 20))
    st = cli("status", "--spec", spec_path, "--node", "1", "--json")
    states = {p["name"]: p["state"] for n in json.loads(st.stdout)["nodes"] for p in n["patches"]}
    assert states["vault-cipher-text"] == "drifted", st.stdout
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    now = cipher_texts(h1, tree)
    assert now[alias] not in (old, old.replace(old[:20], "A" * 20))  # encrypted anew, the others kept
    assert {a: t for a, t in now.items() if a != alias} == {a: t for a, t in before.items() if a != alias}


@pytest.mark.parametrize("tree", vault_trees())
def test_the_vault_off_gives_back_the_plain_passwords(cli: Cli, tree: Tree,
                                                      homes: Callable[..., tuple[Path, ...]]) -> None:
    h1, h2, spec_path = homes(tree)
    spec_path.write_text(full(spec_text(tree, h1, h2, vault=False)), encoding="utf-8")
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    plain = snapshot(h1, skip=".wso2patch")
    xml = {rel: (h1 / rel).read_bytes() for rel in (tree.rel(DATASOURCES), tree.rel(AXIS2))}
    spec_path.write_text(full(spec_text(tree, h1, h2)), encoding="utf-8")
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    spec_path.write_text(full(spec_text(tree, h1, h2, vault=False)), encoding="utf-8")
    off = cli("apply", "--spec", spec_path, "--node", "1", "--yes")
    assert off.exit_code == 0, off.output
    assert cli("diff", "--spec", spec_path, "--node", "1").exit_code == 0  # nothing left to do
    now = snapshot(h1, skip=".wso2patch")
    differ = {k for k in plain.keys() | now.keys() if plain.get(k) != now.get(k)}
    # left: the declaration on a root that lacked it, an emptied secret-conf.properties the vault created, and the
    # MB store's stock alias, which the vault took over (its stock placeholder is not known any more). The plain
    # passwords are back and no alias is left: at most the root line differs.
    for rel in (tree.rel(DATASOURCES), tree.rel(AXIS2)):
        assert [b for _, b in changed_lines(xml[rel], (h1 / rel).read_bytes())] in (
            [], [f'{xml[rel].decode().splitlines()[0][:-1]} xmlns:svns="http://org.wso2.securevault/configuration">'])
    assert differ <= {tree.rel(n) for n in (DATASOURCES, AXIS2, SECRET_CONF, CIPHER_TEXT, CIPHER_TOOL)}
    stock_conf = tree.path / tree.rel(SECRET_CONF)
    assert parse((h1 / tree.rel(SECRET_CONF)).read_text("latin-1")).load() == (
        parse(stock_conf.read_text("latin-1")).load() if stock_conf.is_file() else {})
    assert not {a for a in cipher_texts(h1, tree) if "REGISTRY" in a or "USER_DB" in a or "AWS" in a}
    assert current_tags(journal_of(h1).load()) == {}


def test_dot_wso2patch_is_owner_only_from_its_creation(tmp_path: Path) -> None:
    from wso2patch.statedir import StateDir
    with StateDir(tmp_path).folder("backups", create=True) as fd:
        assert fd is not None
    assert stat.S_IMODE((tmp_path / ".wso2patch").stat().st_mode) == 0o700 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- include_stock: the stock secrets cipher-tool.properties lists ---------------------------------------------
STOCK_VAULT = "[vault]\nenabled = true\ninclude_stock = true\n"


def stock_spec(tree: Tree, h1: Path, h2: Path) -> str:
    return full(spec_text(tree, h1, h2, vault=False, extra=STOCK_VAULT))


@pytest.mark.parametrize("tree", vault_trees())
def test_include_stock_encrypts_the_listed_secrets_in_place(cli: Cli, tree: Tree,
                                                            homes: Callable[..., tuple[Path, ...]]) -> None:
    h1, h2, spec_path = homes(tree)
    if not (tree.path / tree.rel(CIPHER_TOOL)).is_file():
        pytest.skip(f"{tree.path.name} ships no cipher-tool.properties: nothing stock to encrypt")
    spec_path.write_text(full(spec_text(tree, h1, h2)), encoding="utf-8")
    only_ours = {f.rel: f for f in plan_node(load_spec(spec_path), 1, h1).files}
    spec_path.write_text(stock_spec(tree, h1, h2), encoding="utf-8")
    before = snapshot(h1)
    plan = {f.rel: f for f in plan_node(load_spec(spec_path), 1, h1).files}
    for rel, f in plan.items():  # beyond our own secrets: a stock secret's line, a root's declaration
        base = only_ours[rel].new if rel in only_ours else f.old
        if rel.endswith(".xml"):
            gone = Counter(base.decode().splitlines()) - Counter(f.new.decode().splitlines())
            came = Counter(f.new.decode().splitlines()) - Counter(base.decode().splitlines())
            assert all(re.search(r"Pass(word)?[\">=]", a) or a.startswith("<") for a in gone), gone
            assert all("svns:secretAlias=" in b or '="password"' in b or "xmlns:svns=" in b for b in came), came
    listed = parse((h1 / tree.rel(CIPHER_TOOL)).read_text("latin-1")).load()
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    tool = parse((h1 / tree.rel(CIPHER_TOOL)).read_text("latin-1")).load()
    assert "Datasources.WSO2_CARBON_DB.Configuration.Password" not in tool  # commented out: ciphertool.sh would fail
    assert "Datasources.WSO2_CARBON_DB.Configuration.Password" not in cipher_texts(h1, tree)
    texts = cipher_texts(h1, tree)
    encrypted = {a for a in listed if a in texts and not texts[a].startswith("[")}
    assert {"Carbon.Security.KeyStore.Password", "UserManager.AdminUser.Password"} <= encrypted
    assert {a for a in encrypted if a.startswith("Server.Service.Connector.")}  # keystorePass; EI 6.6: SSLHostConfig
    assert "<Password>" not in (h1 / tree.rel("carbon.xml")).read_text("utf-8").split("<KeyStore>")[1][:400]
    after = snapshot(h1)
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    assert snapshot(h1) == after
    off = cli("apply", "--spec", spec_path.write_text(full(spec_text(tree, h1, h2)), encoding="utf-8") and spec_path,
              "--node", "1", "--yes")
    assert off.exit_code != 0 and "plain text is kept nowhere" in off.output and snapshot(h1) == after
    spec_path.write_text(stock_spec(tree, h1, h2), encoding="utf-8")
    assert cli("rollback", "--home", h1, "--yes", env={"WSO2PATCH_SPEC": str(spec_path)}).exit_code == 0
    assert {k: v for k, v in snapshot(h1).items() if not k.startswith(".wso2patch/")} == \
        {k: v for k, v in before.items() if not k.startswith(".wso2patch/")}


@pytest.mark.parametrize("tree", vault_trees(first=True))
def test_an_apply_makes_an_existing_dot_wso2patch_owner_only(cli: Cli, tree: Tree,
                                                             homes: Callable[..., tuple[Path, ...]]) -> None:
    h1, h2, spec_path = homes(tree)
    (h1 / ".wso2patch").mkdir(mode=0o755)
    (h1 / ".wso2patch").chmod(0o755)  # as an older wso2patch left it
    spec_path.write_text(spec_text(tree, h1, h2, vault=False), encoding="utf-8")
    assert cli("apply", "--spec", spec_path, "--node", "1", "--yes").exit_code == 0
    assert stat.S_IMODE((h1 / ".wso2patch").stat().st_mode) == 0o700


def test_ei_6_5_on_encrypts_with_the_internal_keystore(tmp_path: Path) -> None:
    """wso2/cipher-tool 1.1.0 (EI 6.5, 6.6) takes /Server/Security/InternalKeyStore when carbon.xml has one."""
    from tests.conftest import DIST
    from wso2patch.detect import detect
    from wso2patch.products import vault_prefers_internal
    from wso2patch.vault.inputs import _keystore

    trees = {n: DIST / n for n in ("wso2ei-6.6.0", "wso2ei-6.4.0", "wso2mb-3.2.0")}
    if not all((t / "repository/resources/security/wso2carbon.jks").is_file() for t in trees.values()):
        pytest.skip("the EI and MB stock trees are not beside the repo")
    assert [vault_prefers_internal(detect(t)) for t in trees.values()] == [True, False, False]
    home = tmp_path / "home"
    (home / "repository/conf").mkdir(parents=True)
    (home / "ks").mkdir()
    (home / "ks/internal.jks").write_bytes((trees["wso2mb-3.2.0"] / "repository/resources/security/wso2carbon.jks")
                                          .read_bytes())
    section = "<Location>{}</Location><Type>JKS</Type><Password>p</Password><KeyAlias>wso2carbon</KeyAlias>"
    (home / "repository/conf/carbon.xml").write_text(
        '<Server xmlns="http://wso2.org/projects/carbon/carbon.xml"><Security>'
        f"<KeyStore>{section.format('nowhere.jks')}</KeyStore>"
        f"<InternalKeyStore>{section.format('${carbon.home}/ks/internal.jks')}</InternalKeyStore>"
        "</Security></Server>", encoding="utf-8")
    assert _keystore(home, prefer_internal=True)[0].path == home / "ks/internal.jks"
    with pytest.raises(ConfigError, match="does not exist"):
        _keystore(home, prefer_internal=False)


@pytest.mark.parametrize("vault", [["x"], {"A": "plain-password"}, {"": "hmac-sha256-v1:" + "0" * 64},
                                   {"A\n": "hmac-sha256-v1:" + "0" * 64}, {"A": "hmac-sha256-v1:" + "G" * 64}])
def test_a_journal_whose_vault_field_is_not_aliases_and_tags_is_refused(vault: object) -> None:
    from wso2patch.entries import parse as parse_journal
    tx = {"id": "20260101T000000Z-1", "time": "t", "node": 1, "spec": None, "spec_sha256": None,
          "state": "committed", "files": [], "patches": [], "vault": vault}
    with pytest.raises(ValueError, match="vault is not a table of aliases and their tags"):
        parse_journal(json.dumps({"transactions": [tx]}).encode(), lambda rel: True)
    tx["vault"] = {"A.B": "hmac-sha256-v1:" + "0" * 64}
    assert parse_journal(json.dumps({"transactions": [tx]}).encode(), lambda rel: True)[0].vault == tx["vault"]


@pytest.mark.parametrize("tree", vault_trees(first=True))
def test_include_stock_never_encrypts_the_placeholder_password(tree: Tree, homes: Callable[..., tuple[Path, ...]]
                                                               ) -> None:
    """A stock secret whose file says 'password' (Carbon's placeholder) but whose cipher text is gone: its plain text
    is unknown, so it is left as it is and said, never encrypted as the word 'password'."""
    h1, h2, spec_path = homes(tree)
    carbon = h1 / tree.rel("carbon.xml")
    carbon.write_bytes(carbon.read_bytes().replace(b"<Password>wso2carbon</Password>", b"<Password>password</Password>",
                                                   1))
    spec_path.write_text(stock_spec(tree, h1, h2), encoding="utf-8")
    plan = plan_node(load_spec(spec_path), 1, h1)
    assert any("Carbon.Security.KeyStore.Password stays as it is" in w for w in plan.warnings)
    texts = {f.rel: f for f in plan.files}[tree.rel(CIPHER_TEXT)]
    assert parse(texts.new.decode("latin-1")).load()["Carbon.Security.KeyStore.Password"] == "[wso2carbon]"


@pytest.mark.parametrize("tree", vault_trees())
def test_a_spec_with_relative_homes_encrypts_with_each_homes_keystore(cli: Cli, tree: Tree, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # regression: `home = "mb1"` (relative to the spec, as the README allows) looked for the keystore in mb1/mb1/
    for name in ("mb1", "mb2"):
        vault_home(tree, tmp_path / name)
    text = SPEC.format(home1="mb1", home2="mb2") + "\n[vault]\nenabled = true\n"
    if tree.profile is not None:
        text = text.replace('home = "', f'profile = "{tree.profile}"\nhome = "')
    (tmp_path / "wso2patch.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    applied = cli("apply", "--all", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "Datasources.REGISTRY_DB.Configuration.Password=" in (tmp_path / "mb1" / tree.rel(CIPHER_TEXT)).read_text(
        encoding="latin-1")
    conf = parse((tmp_path / "mb1" / tree.rel(SECRET_CONF)).read_bytes().decode("latin-1")).load()
    assert not Path(conf["keystore.identity.location"]).is_absolute()  # as with absolute homes: the home may move
    assert cli("check").exit_code == 0
