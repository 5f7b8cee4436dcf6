"""Masking by position (wso2patch.secrets): secrets are masked where they sit, everything else is printed as is,
in linear time. Sizes here (a 1 MB line, a 60 KB line) are correctness checks: speed is measured in bench/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, STOCK, Cli, stock_params
from tests.test_bad_inputs import (
    CARBON,
    CONFIG_ERR,
    DATASOURCES,
    DRIFT_ERR,
    LONG_SECRET,
    SECRET,
    VAULT_PHRASE,
    Case,
    Env,
    Setup,
    active,
    apply1,
    apply_ok,
    check_error,
    edit,
    make_env,
    state,
)
from wso2patch.diff import unified
from wso2patch.secrets import MASK, is_secret_name, mask_diff, mask_text, mask_url

Cluster = Callable[[Path], tuple[Path, Path, Path]]
MB_HOME = FIXTURES / "mb-home"
MB_STORE = b"<name>WSO2_MB_STORE_DB</name>"

# --- the name rule, on the names the stock trees use (grep -ri pass ../shared/wso2-dist/*/repository/conf) ----------
SECRET_NAMES = [
    "password", "Password", "KeyPassword", "SvnPassword", "keystorePass", "truststorePass", "StorePass",
    "ConnectionPassword", "connectionPassword", "kdcPassword", "ldapServerPrinciplePassword", "XMPPPassword",
    "DASPassword", "ServerPassword", "ws.trust.store.Password", "mail.smtp.password", "rabbitmq.server.password",
    "Carbon.Security.KeyStore.KeyPassword", "Server.Service.Connector.keystorePass", "keystore.identity.store.password",
    "transports.amqp.sslConnection.keyStore.password", "UserManager.AdminUser.Password", "Identity.System.StorePass",
    "{http://wso2.org/projects/carbon/carbon.xml}Password", "svns:password", "client_secret", "ClientSecret",
    "consumer-secret-key", "passwd", "dbPwd", "StoreSaltedPassword",  # a flag, but it ends like a secret: masked
]
PLAIN_NAMES = [
    "PasswordJavaRegEx", "PasswordJavaScriptRegEx", "PasswordJavaRegExViolationErrorMsg", "PasswordHashMethod",
    "passwordHashMethod", "PasswordDigest", "PasswordsExternallyManaged", "passwordType", "ServicePasswordJavaRegEx",
    "secretAlias", "svns:secretAlias", "carbon.secretProvider", "secretRepositories.file.location",
    "EnableClientSecretHash", "passthru-https", "PassiveSTS", "PasswordProvisioningUI", "PasswordGenerator",
    "EnableAskPasswordAdminUI", "AdminPasswordReset", "HostName", "username", "UserName", "url", "ProxyBypass",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_names_that_name_a_secret(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_names_that_only_describe_one(name: str) -> None:
    assert not is_secret_name(name)


# --- free text: lines shaped like the stock files' --------------------------------------------------------------
@pytest.mark.parametrize(("line", "masked"), [
    ("<password>regadmin</password>", f"<password>{MASK}</password>"),
    ("<Password>wso2carbon</Password>", f"<Password>{MASK}</Password>"),  # carbon.xml KeyStore, user-mgt AdminUser
    ("<KeyPassword>wso2carbon</KeyPassword>", f"<KeyPassword>{MASK}</KeyPassword>"),
    ("<SvnPassword>password</SvnPassword>", f"<SvnPassword>{MASK}</SvnPassword>"),
    ("<password><![CDATA[p<ss]]&w]]></password>", f"<password><![CDATA[{MASK}]]></password>"),
    ("<password> spaced out </password>", f"<password> {MASK} </password>"),
    ('<Property name="ConnectionPassword">admin</Property>', f'<Property name="ConnectionPassword">{MASK}</Property>'),
    ('<parameter name="mail.smtp.password">mailpassword</parameter>',
     f'<parameter name="mail.smtp.password">{MASK}</parameter>'),
    ('<Property name="Password" value="admin"/>', f'<Property name="Password" value="{MASK}"/>'),
    ('\t\t\t\tkeystorePass="wso2carbon" ', f'\t\t\t\tkeystorePass="{MASK}" '),  # catalina-server.xml
    ('<user userName="testuser1" password="password1" />', f'<user userName="testuser1" password="{MASK}" />'),
    ("Carbon.Security.KeyStore.Password=wso2carbon", f"Carbon.Security.KeyStore.Password={MASK}"),
    ("keystore.identity.store.password = Vault pass phrase", f"keystore.identity.store.password = {MASK}"),
    ("jdbc:mysql://db:3306/X?user=a&amp;password=p4ss&amp;useSSL=false",
     f"jdbc:mysql://db:3306/X?user=a&amp;password={MASK}&amp;useSSL=false"),
    ("jdbc:sqlserver://db:1433;databaseName=X;password=p4ss;", f"jdbc:sqlserver://db:1433;databaseName=X;password={MASK};"),
    ("CREATE USER IF NOT EXISTS 'mysql'@'%' IDENTIFIED WITH mysql_native_password BY 'it''s\\'a';",
     f"CREATE USER IF NOT EXISTS 'mysql'@'%' IDENTIFIED WITH mysql_native_password BY '{MASK}';"),
    ("<!--password>commented</password-->", f"<!--password>{MASK}</password-->"),
    ("<password/><password></password>", "<password/><password></password>"),
    # printed as is
    ('<password svns:secretAlias="WSO2.DB.Password"></password>',
     '<password svns:secretAlias="WSO2.DB.Password"></password>'),
    ('<Property name="PasswordJavaRegEx">^[\\S]{5,30}$</Property>',
     '<Property name="PasswordJavaRegEx">^[\\S]{5,30}$</Property>'),
    ("<url>jdbc:mysql://mysql:3306/mysql</url><username>regadmin</username>",
     "<url>jdbc:mysql://mysql:3306/mysql</url><username>regadmin</username>"),
    ("SOURCE /opt/mysql/dbscripts/mysql5.7.sql;", "SOURCE /opt/mysql/dbscripts/mysql5.7.sql;"),
    ("-- the password is masked as ********: rerun with --show-secrets", None),
    ("node 2 (/opt/passwords): 6 file(s) would change", None),
])
def test_mask_text_masks_positions_only(line: str, masked: str | None) -> None:
    assert mask_text(line) == (line if masked is None else masked)
    assert mask_text(line + "\r\n") == (line if masked is None else masked) + "\r\n"


def test_a_secret_element_over_several_lines() -> None:
    text = "<a>\n  <password>\n    first\n    <![CDATA[sec\nond]]>\n  </password>\n  <b>kept</b>\n</a>\n"
    assert mask_text(text) == (f"<a>\n  <password>\n    {MASK}\n    <![CDATA[{MASK}\n{MASK}]]>\n  </password>\n"
                               "  <b>kept</b>\n</a>\n")


def test_a_start_tag_over_several_lines() -> None:
    text = ('<Property\n    name="ConnectionPassword"\n    >admin</Property>\n'
            '<Connector port="9443"\n  keystorePass="k">')
    assert mask_text(text) == (f'<Property\n    name="ConnectionPassword"\n    >{MASK}</Property>\n'
                               f'<Connector port="9443"\n  keystorePass="{MASK}">')


def test_urls_in_check_db() -> None:
    assert mask_url("jdbc:mysql://h/db?password=a b&c=1;Password=x;y") == f"jdbc:mysql://h/db?password={MASK}&c=1;" \
                                                                          f"Password={MASK};y"
    assert mask_url("jdbc:mysql://mysql/mysql?user=mysql") == "jdbc:mysql://mysql/mysql?user=mysql"


# --- diffs ---------------------------------------------------------------------------------------------------------
def test_a_diff_follows_each_side_over_lines() -> None:
    old = "<c>\n  <password>\n    abc\n    def\n  </password>\n  <x>1</x>\n</c>\n"
    new = '<c>\n  <password><![CDATA[\n    new]]>\n  </password>\n  <x>2</x>\n  <y\n     keystorePass="k"/>\n</c>\n'
    masked = mask_diff(unified("f.xml", old, new))
    assert "abc" not in masked and "def" not in masked and "new" not in masked and '"k"' not in masked
    assert f"-    {MASK}\n-    {MASK}\n" in masked and f"+    {MASK}]]>\n" in masked
    assert f'+     keystorePass="{MASK}"/>\n' in masked and "-  <x>1</x>\n+  <x>2</x>\n" in masked


def test_a_hunk_that_starts_inside_a_secret_element() -> None:
    inside = [f"    part{i}\n" for i in range(6)]
    old = "<c>\n  <password>\n" + "".join(inside) + "  </password>\n  <x>1</x>\n</c>\n"
    new = old.replace("<x>1</x>", "<x>2</x>")
    diff = unified("f.xml", old, new)
    assert "<password>" not in diff and "part5" in diff  # the hunk begins inside the element
    masked = mask_diff(diff)
    assert "part" not in masked and f" {MASK}\n" in masked and "-  <x>1</x>\n" in masked


def test_a_hunk_that_starts_inside_a_start_tag() -> None:
    old = ("<c>\n  <Property\n" + '    a="1"\n' * 4
           + '    name="ConnectionPassword"\n    >admin</Property>\n  <x>1</x>\n</c>\n')
    diff = unified("f.xml", old, old.replace("<x>1</x>", "<x>2</x>"))
    assert "<Property" not in diff and 'name="ConnectionPassword"' in diff  # the hunk starts inside the tag
    assert f"     >{MASK}</Property>\n" in mask_diff(diff) and "admin" not in mask_diff(diff)


def test_a_diff_without_secrets_is_unchanged() -> None:
    diff = unified("f.xml", "<a>\n<passthru>1</passthru>\n</a>\n", "<a>\n<passthru>2</passthru>\n</a>\n")
    assert mask_diff(diff) == diff
    no_newline = unified("f.xml", "<password>a</password>", "<password>b</password>")
    assert mask_diff(no_newline) == (f"--- a/f.xml\n+++ b/f.xml\n@@ -1 +1 @@\n-<password>{MASK}</password>\n"
                                     "\\ No newline at end of file\n"
                                     f"+<password>{MASK}</password>\n\\ No newline at end of file\n")


# --- linear time: long lines and hostile shapes, checked for their result --------------------------------------
MB = 1 << 20
TAIL = " <password>x</password>"  # so that the scanner runs over the shape (a line without a secret name is skipped)


@pytest.mark.parametrize(("text", "masked"), [
    ("h" * MB + TAIL, None),
    ("<" * MB + TAIL, None),
    ("</" * (MB // 2) + TAIL, None),
    ("a=" * (MB // 2) + TAIL, None),
    ('a="' * (MB // 3) + TAIL, None),
    ("a.b-c:" * (MB // 6) + "x" + TAIL, None),
    (" " * MB + "=" + TAIL, None),
    ("</password" * (MB // 10) + TAIL, None),
    ("<password " * (MB // 10), "<password " * (MB // 10)),
    ("password=" * (MB // 9), f"password={MASK}"),  # a properties line: the value runs to the end of the line
    ("x password=" * (MB // 11), "x password=" + f"{MASK} password=" * (MB // 11 - 1)),
    ("IDENTIFIED BY '" + "''" * (MB // 2), f"IDENTIFIED BY '{MASK}"),
    ("x" * MB + "</password>", f"{MASK}</password>"),
    ("<password>" + "s" * MB + "</password>", f"<password>{MASK}</password>"),
    ("<password><![CDATA[" + "]" * MB, f"<password><![CDATA[{MASK}"),
    ('<a keystorePass="' + "k" * MB, f'<a keystorePass="{MASK}'),
])
def test_a_megabyte_line(text: str, masked: str | None) -> None:
    expected = text.removesuffix(TAIL) + f" <password>{MASK}</password>" if masked is None else masked
    assert mask_text(text) == expected


def test_a_60kb_line_next_to_an_edit_in_a_diff() -> None:
    long = "<!-- " + "x" * 60_000 + " password=Long-S3cret -->\n"
    old = "<a>\n" + long + "<b>1</b>\n</a>\n"
    masked = mask_diff(unified("f.xml", old, old.replace("<b>1</b>", "<b>2</b>")))
    assert f" <!-- {'x' * 60_000} password={MASK} -->\n" in masked and "Long-S3cret" not in masked


def test_a_megabyte_diff_line() -> None:
    host = "h" * MB
    old = "<a>\n<password>pw</password>\n<HostName>x</HostName>\n</a>\n"
    masked = mask_diff(unified("f.xml", old, old.replace(">x<", f">{host}<")))
    assert f"+<HostName>{host}</HostName>\n" in masked and f" <password>{MASK}</password>\n" in masked


# --- through the CLI --------------------------------------------------------------------------------------------
def _mb_store_password(raw: bytes, value: bytes) -> bytes:
    """Replace the active WSO2_MB_STORE_DB datasource's <password> content (the mb-store patch rewrites it)."""
    start = raw.index(b"<password>", active(raw, MB_STORE)) + len(b"<password>")
    return raw[:start] + value + raw[raw.index(b"</password>", start):]


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason="fixtures/mb-home is not there")
def test_diff_masks_a_cdata_password_and_show_secrets_prints_it(cli: Cli, cluster: Cluster) -> None:
    spec, h1, _ = cluster(MB_HOME)
    edit(h1 / DATASOURCES, lambda raw: _mb_store_password(raw, b"<![CDATA[Cdata-S3cret&<]]>"))
    r = cli("diff", "--node", "1", "--spec", spec)
    assert r.exit_code == 1 and f"-                    <password><![CDATA[{MASK}]]></password>" in r.stdout
    doc = json.loads(cli("diff", "--node", "1", "--spec", spec, "--json").stdout)
    diffs = "".join(f.get("diff", "") for f in doc["nodes"][0]["files"])
    assert f"<![CDATA[{MASK}]]>" in diffs
    assert "Cdata-S3cret" not in r.stdout + diffs
    assert "<password><![CDATA[Cdata-S3cret&<]]></password>" in cli("diff", "--node", "1", "--spec", spec,
                                                                     "--show-secrets").stdout


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason="fixtures/mb-home is not there")
def test_a_password_that_is_a_common_word_masks_only_its_positions(cli: Cli, cluster: Cluster) -> None:
    spec, _, _ = cluster(MB_HOME)
    spec.write_text(spec.read_text().replace('password = "regadmin"', 'password = "mysql"'))
    r = cli("diff", "--node", "1", "--spec", spec)
    assert r.exit_code == 1
    assert "jdbc:mysql://localhost:3306/REGISTRY_DB?autoReconnect=true" in r.stdout
    assert "com.mysql.jdbc.Driver" in r.stdout and "<username>regadmin</username>" in r.stdout
    assert "<password>mysql</password>" not in r.stdout and f"+{' ' * 20}<password>{MASK}</password>" in r.stdout
    assert "<password>mysql</password>" in cli("diff", "--node", "1", "--spec", spec, "--show-secrets").stdout


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason="fixtures/mb-home is not there")
def test_a_megabyte_value_in_a_diff(cli: Cli, cluster: Cluster) -> None:
    # the case was a 1 MB host; the spec now refuses host names over 253 characters, so the value that
    # reaches the diff is the cluster domain (any length)
    spec, _, _ = cluster(MB_HOME)
    domain = "h" * MB
    spec.write_text(spec.read_text().replace('domain = "wso2.mb.domain"', f'domain = "{domain}"'))
    r = cli("diff", "--node", "2", "--spec", spec)
    assert r.exit_code == 1
    assert f">{domain}</parameter>" in r.stdout and f"<password>{MASK}</password>" in r.stdout
    assert "regadmin</password>" not in r.stdout


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason="fixtures/mb-home is not there")
def test_apply_with_a_60kb_line_next_to_an_edit(cli: Cli, cluster: Cluster) -> None:
    spec, h1, _ = cluster(MB_HOME)
    long = b"<!-- " + b"x" * 60_000 + b" password=Long-S3cret -->"
    edit(h1 / CARBON, lambda raw: raw.replace(b"<!--HostName>", long + b"\n    <!--HostName>", 1))
    r = cli("apply", "--node", "1", "--spec", spec, "--yes")
    assert r.exit_code == 0
    assert f" {long.decode().replace('Long-S3cret', MASK)}\n" in r.stdout and "Long-S3cret" not in r.stdout
    assert long in (h1 / CARBON).read_bytes()
    again = cli("apply", "--node", "1", "--spec", spec, "--yes")
    assert again.exit_code == 0 and "already applied" in again.stdout


# --- hostile inputs (the catalogue's machinery): secrets in hand edits and broken files stay masked ----------------
def _hand_edit_then_rollback(change: Callable[[bytes], bytes], rel: str = DATASOURCES) -> Setup:
    def setup(env: Env) -> list[str | Path]:
        apply_ok(env)
        edit(env.file(rel), change)
        return ["rollback", "--home", env.home1, "--yes"]

    return setup


def _first_password(raw: bytes, value: bytes) -> bytes:
    start = raw.index(b"<password>" + SECRET.encode())  # what the datasources patch wrote
    return raw[:start] + value + raw[start + len(b"<password>" + SECRET.encode() + b"</password>"):]


def _unterminated_cdata_key_password(env: Env) -> list[str | Path]:
    edit(env.file(CARBON), lambda raw: raw.replace(b"<KeyPassword>wso2carbon", b"<KeyPassword><![CDATA["
                                                   + LONG_SECRET.encode(), 1))
    return apply1(env)


CASES = [
    Case("hand-edit-cdata-password-rollback",
         _hand_edit_then_rollback(lambda raw: _first_password(raw, f"<password><![CDATA[{VAULT_PHRASE}]]></password>"
                                                              .encode())),
         DRIFT_ERR, lambda e: [str(e.home1), DATASOURCES, "--force"], trees=True),
    Case("hand-edit-multiline-password-rollback",
         _hand_edit_then_rollback(lambda raw: _first_password(
             raw, f"<password>\n                        {VAULT_PHRASE}\n                    </password>".encode())),
         DRIFT_ERR, lambda e: [str(e.home1), DATASOURCES, "--force"]),
    Case("hand-edit-key-password-rollback",
         _hand_edit_then_rollback(lambda raw: raw.replace(b"<KeyPassword>wso2carbon</KeyPassword>",
                                                          f"<KeyPassword>{LONG_SECRET}</KeyPassword>".encode(), 1),
                                  CARBON),
         DRIFT_ERR, lambda e: [str(e.home1), CARBON, "--force"], trees=True),
    Case("cdata-key-password-unterminated", _unterminated_cdata_key_password, CONFIG_ERR,
         lambda e: [str(e.file(CARBON)), "malformed XML"], pattern=r"/carbon\.xml:\d+:\d+: ", trees=True),
]


def _params() -> list[object]:
    out: list[object] = []
    for case in CASES:
        out.append(pytest.param(case, MB_HOME, id=f"{case.id}-fixture-mb-home"))
        if case.trees:
            out += [pytest.param(case, p.values[0], id=f"{case.id}-{p.id}", marks=p.marks) for p in stock_params()]
    return out


@pytest.mark.parametrize(("case", "tree"), _params())
def test_hostile_secret(case: Case, tree: Path, tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    env = make_env(tmp_path, cluster, tree)
    args = case.setup(env)
    before = state(tmp_path)
    result = cli(*args)
    assert state(tmp_path) == before
    check_error(case, env, result.exit_code, result.stdout, result.stderr)
    if case.code == DRIFT_ERR:
        assert MASK in result.stdout  # the hand edit was shown, masked


# --- the stock trees, whole files: every secret the name rule names is masked, nothing else changes ---------------
def _stock_files() -> list[object]:
    if not STOCK:
        return stock_params()
    rels = ["repository/conf/carbon.xml", "repository/conf/user-mgt.xml", "repository/conf/tomcat/catalina-server.xml",
            "repository/conf/axis2/axis2.xml", "repository/conf/broker.xml",
            "repository/conf/datasources/master-datasources.xml", "repository/conf/security/secret-conf.properties"]
    return [pytest.param(t / rel, id=f"{t.name}/{rel.rsplit('/', 1)[1]}") for t in STOCK for rel in rels
            if (t / rel).is_file()]


@pytest.mark.parametrize("path", _stock_files())
def test_stock_file_masked_by_position(path: Path) -> None:
    from lxml import etree

    text = path.read_text(encoding="iso-8859-1")
    masked = mask_text(text)
    assert masked.count("\n") == text.count("\n")
    changed = [(a, b) for a, b in zip(text.splitlines(), masked.splitlines(), strict=True) if a != b]
    assert all(MASK in b for _, b in changed)
    if path.suffix == ".properties":
        for a, b in changed:
            assert is_secret_name(a.split("=", 1)[0].strip()) and b.endswith(MASK)
        return
    root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, remove_comments=False))
    lines = masked.splitlines()
    checked = 0
    for el in root.iter(tag=etree.Element):
        text, line = el.text or "", int(getattr(el, "sourceline", 0) or 0)  # lxml-stubs type it loosely
        if text.strip() and "\n" not in text and (is_secret_name(str(el.tag)) or is_secret_name(str(el.get("name")))):
            assert MASK in lines[line - 1] and f">{text.strip()}<" not in lines[line - 1], line
            checked += 1
        for name, v in el.attrib.items():
            if v and is_secret_name(str(name)) and "}" not in str(name):
                assert f'{name!s}="{v!s}"' not in masked, (name, line)
                checked += 1
    # carbon.xml: the KeyStore's <Password> and <KeyPassword>, at least; catalina-server.xml: keystorePass
    assert checked >= {"carbon.xml": 2, "catalina-server.xml": 1}.get(path.name, 0)
