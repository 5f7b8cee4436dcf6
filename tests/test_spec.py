"""Unit tests of wso2patch.spec: loading, validation (one clear SpecError, exit 3) and derived values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SPEC
from wso2patch.errors import SpecError
from wso2patch.spec import DEFAULT_NAMES, MAX_OFFSET, Spec, find_spec, load_spec

# The contract's example spec (issue 2, "The cluster spec"), verbatim apart from the comments.
EXAMPLE = SPEC.format(home1="/opt/mb1", home2="/opt/mb2") + "# member_port = 4003\n"

# The smallest valid spec: no [cluster], no port, no options, no [database.names], one node.
MINIMAL = """\
[database]
host = "db.example.com"
username = "wso2"
password = "secret"

[[node]]
id = 1
host = "10.0.0.1"
"""

DB = """\
[database]
host = "localhost"
username = "regadmin"
password = "regadmin"
"""


def write(tmp_path: Path, text: str, name: str = "wso2patch.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Spec:
    return load_spec(write(tmp_path, text))


def line_no(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the occurrence-th line of text that contains needle."""
    seen = 0
    for no, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return no
    raise AssertionError(f"{needle!r} is not in the test spec")


def spec_error(tmp_path: Path, text: str) -> tuple[Path, str]:
    """Load a broken spec; return its path and the SpecError's one-line message (checked: exit code 3)."""
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.exit_code == 3
    message = str(info.value)
    assert "\n" not in message, message
    assert str(path) in message, message
    return path, message


def assert_at(path: Path, message: str, line: int) -> None:
    assert message.startswith(f"{path}:{line}: "), message


def nodes(*lines: str) -> str:
    """[[node]] tables, one per argument ("id = 1, host = 'a'" style: comma separated key = value)."""
    out = []
    for spec in lines:
        out.append("\n[[node]]\n" + "\n".join(part.strip() for part in spec.split(",")) + "\n")
    return "".join(out)


# --- the contract's example ------------------------------------------------------------------------
def test_example_loads(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    s = load_spec(path)
    assert s.path == path
    assert s.domain == "wso2.mb.domain"
    assert len(s.sha256) == 64
    assert [n.id for n in s.nodes] == [1, 2]
    n1, n2 = s.node(1), s.node(2)
    assert (n1.host, n1.offset, n1.member_port, n1.https_port, n1.home) == ("10.100.7.118", 0, 4000, 9443,
                                                                             Path("/opt/mb1"))
    assert (n2.host, n2.offset, n2.member_port, n2.https_port, n2.home) == ("10.100.7.118", 3, 4003, 9446,
                                                                             Path("/opt/mb2"))
    assert s.db.host == "localhost" and s.db.port == 3306
    assert s.db.username == "regadmin" and s.db.password == "regadmin"
    assert s.db.options == "autoReconnect=true"


def test_example_values_node2(tmp_path: Path) -> None:
    v = load(tmp_path, EXAMPLE).values(2)
    assert v == {
        "node.id": "2",
        "node.host": "10.100.7.118",
        "node.url_host": "10.100.7.118",
        "node.offset": "3",
        "node.member_port": "4003",
        "node.https_port": "9446",
        "db.host": "localhost",
        "db.port": "3306",
        "db.username": "regadmin",
        "db.password": "regadmin",
        "db.options": "autoReconnect=true",
        "cluster.domain": "wso2.mb.domain",
        "db.name.user": "WSO2_USER_DB",
        "db.name.registry": "REGISTRY_DB",
        "db.name.local": "REGISTRY_LOCAL2",
        "db.name.mb_store": "WSO2_MB_STORE_DB",
        "db.url.user": "jdbc:mysql://localhost:3306/WSO2_USER_DB?autoReconnect=true",
        "db.url.registry": "jdbc:mysql://localhost:3306/REGISTRY_DB?autoReconnect=true",
        "db.url.local": "jdbc:mysql://localhost:3306/REGISTRY_LOCAL2?autoReconnect=true",
        "db.url.mb_store": "jdbc:mysql://localhost:3306/WSO2_MB_STORE_DB?autoReconnect=true",
        **{f"db.{what}.{kind}": value for kind in ("user", "registry", "local", "mb_store")
           for what, value in (("username", "regadmin"), ("password", "regadmin"))},
        "db.local": "mysql",
        "registry.read_only": "false",
        "node.hostname": "10.100.7.118",
        "node.mgt_hostname": "10.100.7.118",
        "cluster.membership": "wka",
        "registry.config_path": "/_system/config",
        "registry.governance_path": "/_system/governance",
    }


def test_example_values_node1(tmp_path: Path) -> None:
    v = load(tmp_path, EXAMPLE).values(1)
    assert v["node.member_port"] == "4000"
    assert v["node.https_port"] == "9443"
    assert v["db.url.local"] == "jdbc:mysql://localhost:3306/REGISTRY_LOCAL1?autoReconnect=true"


def test_database_url(tmp_path: Path) -> None:
    db = load(tmp_path, EXAMPLE).db
    assert db.url("local", 2) == "jdbc:mysql://localhost:3306/REGISTRY_LOCAL2?autoReconnect=true"
    assert db.url("registry", 7) == "jdbc:mysql://localhost:3306/REGISTRY_DB?autoReconnect=true"
    assert db.name("local", 12) == "REGISTRY_LOCAL12"


def test_example_peers(tmp_path: Path) -> None:
    s = load(tmp_path, EXAMPLE)
    assert [p.id for p in s.peers(1)] == [2]
    assert s.peer_values(1) == [{"peer.id": "2", "peer.host": "10.100.7.118", "peer.url_host": "10.100.7.118",
                                 "peer.member_port": "4003"}]
    assert s.peer_values(2) == [{"peer.id": "1", "peer.host": "10.100.7.118", "peer.url_host": "10.100.7.118",
                                 "peer.member_port": "4000"}]


# --- defaults ---------------------------------------------------------------------------------------
def test_minimal_defaults(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL)
    assert s.domain is None
    n = s.node(1)
    assert (n.offset, n.member_port, n.https_port, n.home) == (0, 4000, 9443, None)
    assert s.db.port == 3306
    assert s.db.options is None
    assert dict(s.db.names) == DEFAULT_NAMES
    v = s.values(1)
    assert "cluster.domain" not in v
    assert "db.options" not in v
    assert v["db.port"] == "3306"
    assert v["db.name.user"] == "WSO2_USER_DB"
    assert v["db.name.registry"] == "REGISTRY_DB"
    assert v["db.name.local"] == "REGISTRY_LOCAL1"
    assert v["db.name.mb_store"] == "WSO2_MB_STORE_DB"


def test_url_without_options_has_no_question_mark(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL)
    assert s.db.url("local", 1) == "jdbc:mysql://db.example.com:3306/REGISTRY_LOCAL1"
    for key, value in s.values(1).items():
        if key.startswith("db.url."):
            assert "?" not in value, (key, value)


def test_empty_options_adds_no_question_mark(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL.replace('password = "secret"', 'password = "secret"\noptions = ""'))
    assert s.db.url("user", 1) == "jdbc:mysql://db.example.com:3306/WSO2_USER_DB"


def test_port_and_options_used(tmp_path: Path) -> None:
    text = MINIMAL.replace('password = "secret"', 'password = "secret"\nport = 3307\noptions = "useSSL=false"')
    s = load(tmp_path, text)
    assert s.db.url("registry", 1) == "jdbc:mysql://db.example.com:3307/REGISTRY_DB?useSSL=false"


def test_member_port_default_follows_offset(tmp_path: Path) -> None:
    s = load(tmp_path, DB + nodes("id = 1, host = 'h', offset = 7",
                                  "id = 2, host = 'h', offset = 8, member_port = 5000"))
    assert s.node(1).member_port == 4007
    assert s.node(1).https_port == 9450
    assert s.node(2).member_port == 5000
    assert s.values(2)["node.member_port"] == "5000"


def test_partial_names_keep_other_defaults(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL + '\n[database.names]\nregistry = "SHARED_REG"\n')
    assert s.db.names["registry"] == "SHARED_REG"
    assert s.db.names["user"] == "WSO2_USER_DB"
    assert s.db.names["local"] == "REGISTRY_LOCAL{id}"


def test_id_allowed_in_any_name(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL + '\n[database.names]\nmb_store = "MB_STORE_{id}"\n')
    assert s.values(1)["db.name.mb_store"] == "MB_STORE_1"


def test_single_node_local_without_id(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL + '\n[database.names]\nlocal = "REGISTRY_LOCAL"\n')
    assert s.values(1)["db.name.local"] == "REGISTRY_LOCAL"


# --- peers ------------------------------------------------------------------------------------------
def test_peers_exclude_self_in_id_order(tmp_path: Path) -> None:
    s = load(tmp_path, DB + nodes("id = 3, host = 'c', member_port = 4300",
                                  "id = 1, host = 'a'",
                                  "id = 2, host = 'b', offset = 2"))
    assert [n.id for n in s.nodes] == [1, 2, 3]
    assert [p.id for p in s.peers(2)] == [1, 3]
    assert [p.id for p in s.peers(3)] == [1, 2]
    assert [p.id for p in s.peers(1)] == [2, 3]
    assert s.peer_values(2) == [{"peer.id": "1", "peer.host": "a", "peer.url_host": "a", "peer.member_port": "4000"},
                                {"peer.id": "3", "peer.host": "c", "peer.url_host": "c", "peer.member_port": "4300"}]
    assert s.peer_values(1)[0]["peer.member_port"] == "4002"


def test_single_node_has_no_peers(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL)
    assert s.peers(1) == []
    assert s.peer_values(1) == []


def test_unknown_node_id(tmp_path: Path) -> None:
    s = load(tmp_path, EXAMPLE)
    with pytest.raises(SpecError) as info:
        s.node(9)
    assert info.value.exit_code == 3
    assert "9" in str(info.value) and str(s.path) in str(info.value)
    assert "1, 2" in str(info.value)
    with pytest.raises(SpecError):
        s.values(9)


# --- homes ------------------------------------------------------------------------------------------
def test_relative_home_is_relative_to_the_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    conf = tmp_path / "conf"
    conf.mkdir()
    s = load(conf, MINIMAL.replace('host = "10.0.0.1"', 'host = "10.0.0.1"\nhome = "../homes/mb1"'))
    home = s.node(1).home
    assert home == conf / "../homes/mb1"
    assert home is not None and home.resolve() == (tmp_path / "homes" / "mb1").resolve()


def test_absolute_home_kept(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL.replace('host = "10.0.0.1"', 'host = "10.0.0.1"\nhome = "/opt/mb1"'))
    assert s.node(1).home == Path("/opt/mb1")


# --- password ---------------------------------------------------------------------------------------
def test_password_env_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WSO2PATCH_TEST_DB_PW", "s3cr3t")
    s = load(tmp_path, MINIMAL.replace('password = "secret"', 'password_env = "WSO2PATCH_TEST_DB_PW"'))
    assert s.db.password == "s3cr3t"
    assert s.values(1)["db.password"] == "s3cr3t"


def test_password_env_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WSO2PATCH_TEST_DB_PW", raising=False)
    text = MINIMAL.replace('password = "secret"', 'password_env = "WSO2PATCH_TEST_DB_PW"')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "password_env"))
    assert "WSO2PATCH_TEST_DB_PW" in msg
    assert "not set" in msg


def test_password_and_password_env(tmp_path: Path) -> None:
    text = MINIMAL.replace('password = "secret"', 'password = "secret"\npassword_env = "X"')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "[database]"))
    assert "exactly one of password and password_env" in msg


def test_neither_password_nor_password_env(tmp_path: Path) -> None:
    text = MINIMAL.replace('password = "secret"\n', "")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "[database]"))
    assert "password" in msg and "password_env" in msg


# --- unknown keys and tables ------------------------------------------------------------------------
def test_unknown_node_key_with_did_you_mean(tmp_path: Path) -> None:
    text = EXAMPLE.replace("offset = 3", "ofset = 3")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "ofset"))
    assert "unknown key 'ofset'" in msg
    assert "[[node]] #2" in msg
    assert "did you mean 'offset'?" in msg


def test_unknown_database_key_with_did_you_mean(tmp_path: Path) -> None:
    text = EXAMPLE.replace('host = "localhost"', 'hostname = "localhost"')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "hostname"))
    assert "unknown key 'hostname'" in msg
    assert "[database]" in msg
    assert "did you mean 'host'?" in msg


def test_unknown_names_key_with_did_you_mean(tmp_path: Path) -> None:
    text = EXAMPLE.replace('registry = "REGISTRY_DB"', 'regisrty = "REGISTRY_DB"')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "regisrty"))
    assert "unknown key 'regisrty'" in msg and "did you mean 'registry'?" in msg


def test_unknown_key_without_close_match_lists_known(tmp_path: Path) -> None:
    text = EXAMPLE.replace('domain = "wso2.mb.domain"', 'zzz = 1')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "zzz"))
    assert "unknown key 'zzz'" in msg and "domain" in msg


def test_unknown_table_with_did_you_mean(tmp_path: Path) -> None:
    text = EXAMPLE.replace("[cluster]", "[clustr]")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "[clustr]"))
    assert "unknown table [clustr]" in msg
    assert "did you mean [cluster]?" in msg


def test_unknown_array_table_with_did_you_mean(tmp_path: Path) -> None:
    text = EXAMPLE.replace("[[node]]", "[[nodes]]")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "[[nodes]]"))
    assert "unknown table [nodes]" in msg and "did you mean [node]?" in msg


# --- wrong types ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "key", "table", "says"),
    [
        pytest.param("offset = 3", 'offset = "3"', "offset", "[[node]] #2", "must be int, not str", id="offset-str"),
        pytest.param("id = 1", "id = true", "id", "[[node]] #1", "must be int, not bool", id="id-bool"),
        pytest.param("port = 3306", 'port = "x"', "port", "[database]", "must be int, not str", id="port-str"),
        pytest.param('host = "10.100.7.118"', "host = 10", "host", "[[node]] #1", "must be str, not int",
                     id="host-int"),
        pytest.param("offset = 0", "offset = 1.5", "offset", "[[node]] #1", "must be int, not float",
                     id="offset-float"),
        pytest.param('domain = "wso2.mb.domain"', "domain = false", "domain", "[cluster]", "must be str, not bool",
                     id="domain-bool"),
        pytest.param('username = "regadmin"', 'username = ["a"]', "username", "[database]", "must be str, not list",
                     id="username-list"),
        pytest.param('local = "REGISTRY_LOCAL{id}"', "local = 3", "local", "[database.names]",
                     "must be str, not int", id="names-local-int"),
    ],
)
def test_wrong_type(tmp_path: Path, old: str, new: str, key: str, table: str, says: str) -> None:
    assert old in EXAMPLE
    text = EXAMPLE.replace(old, new, 1)
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, new))
    assert f"{table} {key} {says}" in msg


def test_names_not_a_table(tmp_path: Path) -> None:
    text = MINIMAL.replace('password = "secret"', 'password = "secret"\nnames = "x"')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "names ="))
    assert "names must be a table" in msg


def test_node_not_an_array_of_tables(tmp_path: Path) -> None:
    _, msg = spec_error(tmp_path, DB + "\n[node]\nid = 1\nhost = 'a'\n")
    assert "[[node]]" in msg


# --- missing required keys --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("drop", "header", "says"),
    [
        pytest.param('host = "db.example.com"\n', "[database]", "[database] needs 'host'", id="db-host"),
        pytest.param('username = "wso2"\n', "[database]", "[database] needs 'username'", id="db-username"),
        pytest.param("id = 1\n", "[[node]]", "[[node]] #1 needs 'id'", id="node-id"),
        pytest.param('host = "10.0.0.1"\n', "[[node]]", "[[node]] #1 needs 'host'", id="node-host"),
    ],
)
def test_missing_required_key(tmp_path: Path, drop: str, header: str, says: str) -> None:
    assert drop in MINIMAL
    text = MINIMAL.replace(drop, "")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, header))
    assert says in msg


def test_no_database_table(tmp_path: Path) -> None:
    text = '[cluster]\ndomain = "d"\n' + nodes("id = 1, host = 'a'")
    _, msg = spec_error(tmp_path, text)
    assert "no [database] table" in msg


def test_empty_file(tmp_path: Path) -> None:
    _, msg = spec_error(tmp_path, "")
    assert "no [database] table" in msg


def test_no_nodes(tmp_path: Path) -> None:
    _, msg = spec_error(tmp_path, DB)
    assert "no [[node]] tables" in msg


def test_spec_not_found(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.exit_code == 3
    assert str(path) in str(info.value) and "not found" in str(info.value)


# --- broken TOML ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        pytest.param(EXAMPLE.replace('host = "localhost"', 'host = "localhost'), id="unterminated-string"),
        pytest.param(EXAMPLE.replace("[cluster]", "[cluster"), id="unclosed-header"),
        pytest.param(EXAMPLE + "\noffset = 4\n", id="duplicate-key"),
        pytest.param("this is not toml\n", id="prose"),
        pytest.param("\x00\xff\n", id="binary"),
    ],
)
def test_broken_toml_names_the_file(tmp_path: Path, text: str) -> None:
    _, msg = spec_error(tmp_path, text)
    assert "invalid TOML" in msg


def test_broken_toml_reports_its_line(tmp_path: Path) -> None:
    text = EXAMPLE.replace('username = "regadmin"', 'username = regadmin')
    _, msg = spec_error(tmp_path, text)
    assert f"line {line_no(text, 'username')}" in msg


# --- uniqueness -------------------------------------------------------------------------------------
def test_duplicate_node_ids(tmp_path: Path) -> None:
    text = EXAMPLE.replace("id = 2", "id = 1")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "id = 1", 2))
    assert "nodes #1 and #2 share id 1" in msg


def test_same_host_same_offset(tmp_path: Path) -> None:
    text = EXAMPLE.replace("offset = 3", "offset = 0")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "offset = 0", 2))
    assert "nodes #1 and #2 share host 10.100.7.118 with offset 0" in msg


def test_same_offset_on_different_hosts_is_fine(tmp_path: Path) -> None:
    s = load(tmp_path, DB + nodes("id = 1, host = 'a'", "id = 2, host = 'b'"))
    assert [n.member_port for n in s.nodes] == [4000, 4000]


def test_same_host_same_member_port(tmp_path: Path) -> None:
    text = EXAMPLE.replace("# member_port = 4003", "member_port = 4000")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "member_port = 4000"))
    assert "nodes #1 and #2 share host 10.100.7.118 with member port 4000" in msg


def test_same_host_member_port_clashes_with_a_default(tmp_path: Path) -> None:
    text = DB + nodes("id = 1, host = 'h', offset = 0, member_port = 4003", "id = 2, host = 'h', offset = 3")
    _, msg = spec_error(tmp_path, text)
    assert "share host h with member port 4003" in msg


# --- database names ---------------------------------------------------------------------------------
def test_local_without_id_in_two_node_spec(tmp_path: Path) -> None:
    text = EXAMPLE.replace('local = "REGISTRY_LOCAL{id}"', 'local = "REGISTRY_LOCAL"')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, 'local = "REGISTRY_LOCAL"'))
    assert "database.names.local must contain {id}" in msg


@pytest.mark.parametrize("bad", ["REG-DB", "REG DB", "reg;drop", "REG/DB", "x" * 65, "", "REG`DB"])
def test_database_name_with_illegal_characters(tmp_path: Path, bad: str) -> None:
    text = EXAMPLE.replace('registry = "REGISTRY_DB"', f'registry = "{bad}"')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "registry = "))
    assert "(registry) is not a plain MySQL name" in msg


def test_database_name_with_illegal_id_expansion(tmp_path: Path) -> None:
    text = EXAMPLE.replace('user = "WSO2_USER_DB"', 'user = "USER-{id}"')
    _, msg = spec_error(tmp_path, text)
    assert "(user) is not a plain MySQL name" in msg


# --- ranges and hosts -------------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [-1, 70000, MAX_OFFSET + 1])
def test_offset_out_of_range(tmp_path: Path, offset: int) -> None:
    text = EXAMPLE.replace("offset = 3", f"offset = {offset}")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, f"offset = {offset}"))
    assert f"offset {offset} is out of range 0..{MAX_OFFSET}" in msg


def test_highest_offset_allowed(tmp_path: Path) -> None:
    s = load(tmp_path, MINIMAL.replace('host = "10.0.0.1"', f'host = "10.0.0.1"\noffset = {MAX_OFFSET}\n'
                                                            "member_port = 4000"))
    assert s.node(1).https_port == 9443 + MAX_OFFSET


@pytest.mark.parametrize("port", [0, -5, 65536])
def test_member_port_out_of_range(tmp_path: Path, port: int) -> None:
    text = EXAMPLE.replace("# member_port = 4003", f"member_port = {port}")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "member_port"))
    assert f"member_port {port} is out of range 1..65535" in msg


@pytest.mark.parametrize("port", [0, 65536])
def test_database_port_out_of_range(tmp_path: Path, port: int) -> None:
    text = EXAMPLE.replace("port = 3306", f"port = {port}")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, f"port = {port}"))
    assert f"database port {port} is out of range" in msg


@pytest.mark.parametrize("node_id", [0, -1])
def test_node_id_not_positive(tmp_path: Path, node_id: int) -> None:
    text = EXAMPLE.replace("id = 2", f"id = {node_id}")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, f"id = {node_id}"))
    assert f"node id {node_id} must be a positive integer" in msg


# --- hosts (issue 9): an IPv4 address, an IPv6 address or a DNS name ---------------------------------
GOOD_HOSTS = [
    pytest.param("10.0.0.7", id="ipv4"),
    pytest.param("mb-1.example.com", id="dns-name"),
    pytest.param("MB-1.Example.COM", id="dns-name-upper-case"),
    pytest.param("mb1", id="one-label"),
    pytest.param("node_2", id="underscore-docker-name"),  # Docker Compose service names; Docker's DNS serves them
    pytest.param("xn--mnchen-3ya.de", id="idn-in-punycode"),
    pytest.param("1mb.example.com", id="label-starts-with-digit"),
    pytest.param("a" * 63 + ".example.com", id="label-63"),
    pytest.param(".".join(["a" * 62] * 4) + ".b", id="name-253"),
    pytest.param("2001:db8::7", id="ipv6"),
    pytest.param("2001:DB8:0:0:0:0:0:7", id="ipv6-long-upper"),
    pytest.param("::ffff:10.0.0.7", id="ipv6-mapped-ipv4"),
]

# (host, what the message says after "is not a host name or IP address: ")
BAD_HOSTS = [
    pytest.param("", "it is empty", id="empty"),
    pytest.param("10.100.7.118 ", "only letters, digits", id="trailing-space"),
    pytest.param("my host", "only letters, digits", id="space"),
    pytest.param("a<b", "only letters, digits", id="angle-bracket"),
    pytest.param("a&b", "only letters, digits", id="ampersand"),
    pytest.param("a/b", "only letters, digits", id="slash"),
    pytest.param("https://mb1", "not a valid IPv6 address", id="url"),
    pytest.param("10.0.0.256", "not a valid IPv4 address", id="ipv4-octet-256"),
    pytest.param("010.0.0.1", "not a valid IPv4 address", id="ipv4-leading-zero"),
    pytest.param("10.0.0", "not a valid IPv4 address", id="ipv4-three-parts"),
    pytest.param("4000", "not a valid IPv4 address", id="a-number"),
    pytest.param("-mb1.example.com", "starts or ends with '-'", id="label-starts-with-hyphen"),
    pytest.param("mb1-.example.com", "starts or ends with '-'", id="label-ends-with-hyphen"),
    pytest.param("mb1..example.com", "no empty label", id="double-dot"),
    pytest.param("mb1.example.com.", "no empty label", id="trailing-dot"),
    pytest.param(".mb1", "no empty label", id="leading-dot"),
    pytest.param("a" * 64 + ".example.com", "longer than 63", id="label-64"),
    pytest.param(".".join(["a" * 62] * 4) + ".bc", "at most 253", id="name-254"),
    pytest.param("münchen.de", "xn--", id="idn-not-in-punycode"),
    pytest.param("2001:db8::7::1", "not a valid IPv6 address", id="ipv6-two-double-colons"),
    pytest.param("2001:db8::g", "not a valid IPv6 address", id="ipv6-bad-digit"),
    pytest.param("fe80::1%eth0", "zone index", id="ipv6-zone"),
    pytest.param("[2001:db8::7]", "brackets belong in URLs", id="ipv6-bracketed"),
    pytest.param("[mb1]", "only letters, digits", id="name-bracketed"),
]


def node2_host(host: str) -> str:
    text = EXAMPLE.replace('host = "10.100.7.118"\noffset = 3', f'host = "{host}"\noffset = 3')
    assert text != EXAMPLE
    return text


def db_host(host: str) -> str:
    text = EXAMPLE.replace('host = "localhost"', f'host = "{host}"')
    assert text != EXAMPLE
    return text


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_good_node_host(tmp_path: Path, host: str) -> None:
    s = load(tmp_path, MINIMAL.replace('host = "10.0.0.1"', f'host = "{host}"'))
    assert s.node(1).host == host  # kept as written: the files get the operator's spelling


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_good_database_host(tmp_path: Path, host: str) -> None:
    assert load(tmp_path, db_host(host)).db.host == host


@pytest.mark.parametrize(("host", "why"), BAD_HOSTS)
def test_bad_node_host(tmp_path: Path, host: str, why: str) -> None:
    text = node2_host(host)
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, f'host = "{host}"'))
    assert f"node #2 host {host!r} is not a host name or IP address: " in msg
    assert why in msg


@pytest.mark.parametrize(("host", "why"), BAD_HOSTS)
def test_bad_database_host(tmp_path: Path, host: str, why: str) -> None:
    text = db_host(host)
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, f'host = "{host}"'))
    assert f"database host {host!r} is not a host name or IP address: " in msg
    assert why in msg


def test_bracketed_ipv6_says_how_to_write_it(tmp_path: Path) -> None:
    _, msg = spec_error(tmp_path, node2_host("[2001:db8::7]"))
    assert msg.endswith('; use host = "2001:db8::7"'), msg


@pytest.mark.parametrize(
    ("host", "bare", "port"),
    [
        pytest.param("10.0.0.1:4000", "10.0.0.1", 4000, id="ipv4"),
        pytest.param("mb2.example.com:4003", "mb2.example.com", 4003, id="name"),
        pytest.param("[2001:db8::7]:4000", "2001:db8::7", 4000, id="bracketed-ipv6"),
        pytest.param("mb2:99999", "mb2", 99999, id="port-out-of-range"),
    ],
)
def test_node_host_with_port_points_at_member_port(tmp_path: Path, host: str, bare: str, port: int) -> None:
    text = node2_host(host)
    path, msg = spec_error(tmp_path, text)
    assert msg == f'{path}:{line_no(text, host)}: node #2 host {host!r} includes a port; ' \
                  f'use host = "{bare}" and member_port = {port}'


@pytest.mark.parametrize(
    ("host", "bare", "port"),
    [
        pytest.param("db:3306", "db", 3306, id="name"),
        pytest.param("10.0.0.9:3307", "10.0.0.9", 3307, id="ipv4"),
        pytest.param("[2001:db8::9]:3306", "2001:db8::9", 3306, id="bracketed-ipv6"),
    ],
)
def test_database_host_with_port_points_at_port(tmp_path: Path, host: str, bare: str, port: int) -> None:
    text = db_host(host)
    path, msg = spec_error(tmp_path, text)
    assert msg == f'{path}:{line_no(text, host)}: database host {host!r} includes a port; ' \
                  f'use host = "{bare}" and port = {port}'


def test_bare_ipv6_is_an_address_not_a_host_with_port(tmp_path: Path) -> None:
    """::1:4000 is the address ::0.1.64.0; only the bracketed form can carry a port."""
    assert load(tmp_path, node2_host("::1:4000")).node(2).host == "::1:4000"


# --- where hosts go: URL-ready forms ------------------------------------------------------------------
def test_url_host_brackets_ipv6_only(tmp_path: Path) -> None:
    s = load(tmp_path, DB + nodes("id = 1, host = '2001:db8::1'", "id = 2, host = 'mb2.example.com'",
                                  "id = 3, host = '10.0.0.3'"))
    assert [n.url_host for n in s.nodes] == ["[2001:db8::1]", "mb2.example.com", "10.0.0.3"]
    v = s.values(1)
    assert (v["node.host"], v["node.url_host"]) == ("2001:db8::1", "[2001:db8::1]")
    assert [(p["peer.host"], p["peer.url_host"]) for p in s.peer_values(3)] == [
        ("2001:db8::1", "[2001:db8::1]"), ("mb2.example.com", "mb2.example.com")]


@pytest.mark.parametrize(
    ("host", "url"),
    [
        pytest.param("db.example.com", "jdbc:mysql://db.example.com:3307/REGISTRY_DB?useSSL=false", id="name"),
        pytest.param("10.0.0.9", "jdbc:mysql://10.0.0.9:3307/REGISTRY_DB?useSSL=false", id="ipv4"),
        # Connector/J 5.1 splits host:port at the first colon; its address=(...) form is read by 5.1 and 8.x
        pytest.param("2001:db8::9", "jdbc:mysql://address=(protocol=tcp)(host=2001:db8::9)(port=3307)/REGISTRY_DB"
                                    "?useSSL=false", id="ipv6"),
    ],
)
def test_jdbc_url_per_host_kind(tmp_path: Path, host: str, url: str) -> None:
    text = MINIMAL.replace('host = "db.example.com"', f'host = "{host}"\nport = 3307\noptions = "useSSL=false"')
    s = load(tmp_path, text)
    assert s.db.url("registry", 1) == url
    assert s.values(1)["db.host"] == host


# --- one host, many spellings ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("2001:db8::1", "2001:DB8:0:0:0:0:0:1", id="ipv6-spellings"),
        pytest.param("mb.example.com", "MB.Example.com", id="name-case"),
    ],
)
def test_same_host_spelled_twice_shares_offsets(tmp_path: Path, a: str, b: str) -> None:
    _, msg = spec_error(tmp_path, DB + nodes(f"id = 1, host = '{a}'", f"id = 2, host = '{b}'"))
    assert f"nodes #1 and #2 share host {b} with offset 0" in msg


@pytest.mark.parametrize("host", ["::1", "LOCALHOST", "127.0.0.2", "localhost.localdomain"])
def test_loopback_in_multi_host_cluster(tmp_path: Path, host: str) -> None:
    text = DB + nodes(f"id = 1, host = '{host}'", "id = 2, host = '10.0.0.2'")
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, host))
    assert f"node 1 host {host!r} is a loopback address" in msg


@pytest.mark.parametrize(("a", "b"), [("::1", "0:0:0:0:0:0:0:1"), ("localhost", "127.0.0.1"), ("127.0.0.1", "::1"),
                                    ("LOCALHOST", "127.0.0.2")])
def test_loopback_spelled_twice_is_one_machine(tmp_path: Path, a: str, b: str) -> None:
    s = load(tmp_path, DB + nodes(f"id = 1, host = '{a}'", f"id = 2, host = '{b}', offset = 1"))
    assert [n.host for n in s.nodes] == [a, b]  # not "two hosts, one of them loopback"
    _, msg = spec_error(tmp_path, DB + nodes(f"id = 1, host = '{a}'", f"id = 2, host = '{b}'"))
    assert f"nodes #1 and #2 share host {b} with offset 0" in msg  # Carbon binds every interface


# --- database options -------------------------------------------------------------------------------
def test_options_with_leading_question_mark(tmp_path: Path) -> None:
    text = EXAMPLE.replace('options = "autoReconnect=true"', 'options = "?useSSL=false"')
    path, msg = spec_error(tmp_path, text)
    assert msg == f"{path}:{line_no(text, 'options')}: database options start with '?', which wso2patch puts " \
                  "between the database name and the options itself; remove the leading '?'"


def test_options_with_a_later_question_mark_are_kept(tmp_path: Path) -> None:
    s = load(tmp_path, EXAMPLE.replace('options = "autoReconnect=true"', 'options = "a=b?c&d=e"'))
    assert s.db.url("user", 1).endswith("/WSO2_USER_DB?a=b?c&d=e")


# --- characters a config file cannot hold (issue 8, item 10) -----------------------------------------
# A value a TOML basic string escapes (\u, \U, \t, \r): every one is refused, in every string key.
UNSAFE = [
    pytest.param("\\uFFFE", "a Unicode noncharacter, U+FFFE", id="U+FFFE"),
    pytest.param("\\uFFFF", "a Unicode noncharacter, U+FFFF", id="U+FFFF"),
    pytest.param("\\uFDD0", "a Unicode noncharacter, U+FDD0", id="U+FDD0"),
    pytest.param("\\U0001FFFE", "a Unicode noncharacter, U+1FFFE", id="U+1FFFE"),
    pytest.param("\\U0010FFFF", "a Unicode noncharacter, U+10FFFF", id="U+10FFFF"),
    pytest.param("\\u0001", "a control character, U+0001", id="U+0001"),
    pytest.param("\\t", "a control character, U+0009 (tab)", id="tab"),
    pytest.param("\\r", "a control character, U+000D (carriage return)", id="CR"),
    pytest.param("\\u007F", "a control character, U+007F (delete)", id="DEL"),
    pytest.param("\\u0085", "a control character, U+0085 (next line)", id="NEL"),
    pytest.param("\\u009F", "a control character, U+009F", id="U+009F"),
]
# Legal in XML 1.0 and given back as written: accepted.
SAFE = [
    pytest.param("\\u2028", "\u2028", id="U+2028"),
    pytest.param("\\u2029", "\u2029", id="U+2029"),
    pytest.param("\\u00A0", "\u00a0", id="no-break-space"),
    pytest.param("\\uFFFD", "\ufffd", id="U+FFFD"),
    pytest.param("\\U0001F600", "\U0001f600", id="astral"),
    pytest.param("<&>\\\"'", "<&>\"'", id="markup"),
]
STRING_KEYS = [
    pytest.param('domain = "wso2.mb.domain"', "domain", "[cluster] domain", id="cluster.domain"),
    pytest.param('username = "regadmin"', "username", "[database] username", id="database.username"),
    pytest.param('password = "regadmin"', "password", "[database] password", id="database.password"),
    pytest.param('options = "autoReconnect=true"', "options", "[database] options", id="database.options"),
    pytest.param('host = "localhost"', "host", "[database] host", id="database.host"),
    pytest.param('home = "/opt/mb2"', "home", "[[node]] #2 home", id="node.home"),
]


@pytest.mark.parametrize(("escape", "says"), UNSAFE)
@pytest.mark.parametrize(("line", "key", "label"), STRING_KEYS)
def test_unsafe_character_in_a_value(tmp_path: Path, escape: str, says: str, line: str, key: str,
                                     label: str) -> None:
    text = EXAMPLE.replace(line, line[:-1] + escape + '"')
    assert text != EXAMPLE
    path, msg = spec_error(tmp_path, text)
    assert msg == f"{path}:{line_no(text, escape)}: {label} contains {says}; XML config files cannot carry it " \
                  "safely: remove it"


@pytest.mark.parametrize(("escape", "value"), SAFE)
@pytest.mark.parametrize(("line", "key"), [("password", "regadmin"), ("domain", "wso2.mb.domain"),
                                           ("username", "regadmin")])
def test_safe_character_in_a_value(tmp_path: Path, escape: str, value: str, line: str, key: str) -> None:
    s = load(tmp_path, EXAMPLE.replace(f'{line} = "{key}"', f'{line} = "{key}{escape}"'))
    assert {"password": s.db.password, "domain": s.domain, "username": s.db.username}[line] == key + value


def test_unsafe_character_message_never_shows_the_password(tmp_path: Path) -> None:
    _, msg = spec_error(tmp_path, EXAMPLE.replace('password = "regadmin"', 'password = "Pw-9f3k2\\uFFFE"'))
    assert "Pw-9f3k2" not in msg and "U+FFFE" in msg


PW_ENV = "WSO2PATCH_TEST_DB_PW"
SECRET = "Env-S3cret-77"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param(f"{SECRET}\r", "a control character, U+000D (carriage return)", id="trailing-CR"),
        pytest.param(f"{SECRET}\n", "a control character, U+000A (line feed)", id="trailing-LF"),
        pytest.param(f"{SECRET}\x01", "a control character, U+0001", id="U+0001"),
        pytest.param(f"{SECRET}\ufffe", "a Unicode noncharacter, U+FFFE", id="U+FFFE"),
        pytest.param(f"{SECRET}\x85", "a control character, U+0085 (next line)", id="NEL"),
        # a byte that is not UTF-8 reaches Python as a lone surrogate (PEP 383)
        pytest.param(f"{SECRET}\udcff", "a lone surrogate, U+DCFF (bytes that are not UTF-8)", id="latin1-byte"),
    ],
)
def test_password_env_value_xml_cannot_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str,
                                            says: str) -> None:
    monkeypatch.setenv(PW_ENV, value)
    text = MINIMAL.replace('password = "secret"', f'password_env = "{PW_ENV}"')
    path, msg = spec_error(tmp_path, text)
    assert_at(path, msg, line_no(text, "password_env"))
    assert f"password_env names ${PW_ENV}, whose value contains {says}; set {PW_ENV} without it and rerun" in msg
    assert SECRET not in msg
    assert ("Windows line endings" in msg) == ("\r" in value)


@pytest.mark.parametrize("value", ["p\u2028w", "pässwörd", "\U0001f600", "a<b&c]]>"])
def test_password_env_value_xml_can_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(PW_ENV, value)
    assert load(tmp_path, MINIMAL.replace('password = "secret"', f'password_env = "{PW_ENV}"')).db.password == value


# --- the spec file's own encoding --------------------------------------------------------------------
def test_spec_with_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "wso2patch.toml"
    path.write_bytes(MINIMAL.replace('"secret"', '"caf\xe9"').encode("latin-1"))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value) == f"{path}:4: invalid TOML: bytes that are not UTF-8; save the spec as UTF-8 and rerun"


def test_spec_with_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "wso2patch.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_spec(path).db.password == "secret"


# --- homes (issue 9): two nodes may not share one --------------------------------------------------------
def two_homes(home1: str, home2: str) -> str:
    return DB + nodes(f"id = 1, host = 'h', home = '{home1}'", f"id = 2, host = 'h', offset = 3, home = '{home2}'")


@pytest.mark.parametrize(
    ("home1", "home2"),
    [
        pytest.param("/opt/mb1", "/opt/mb1", id="same"),
        pytest.param("/opt/mb1", "/opt/mb1/", id="trailing-slash"),
        pytest.param("/opt/mb1", "/opt/./mb1", id="dot"),
        pytest.param("/opt/mb1", "/opt/x/../mb1", id="dot-dot"),
        pytest.param("/opt//mb1", "/opt/mb1", id="double-slash"),
        pytest.param("{tmp}/mb1", "mb1", id="relative-and-absolute"),
        pytest.param("./mb1", "mb1/", id="two-relative-spellings"),
    ],
)
def test_two_nodes_one_home(tmp_path: Path, home1: str, home2: str) -> None:
    text = two_homes(home1.format(tmp=tmp_path), home2.format(tmp=tmp_path))
    path, msg = spec_error(tmp_path, text)
    real = "/opt/mb1" if home1.startswith("/opt") else str(tmp_path.resolve() / "mb1")
    assert msg == f"{path}:{line_no(text, 'home', 2)}: nodes #1 and #2 share the home {real}; every node needs its " \
                  "own product home: unpack the product once per node"


def test_a_symlink_to_another_nodes_home_is_that_home(tmp_path: Path) -> None:
    (tmp_path / "mb1").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "mb1")
    _, msg = spec_error(tmp_path, two_homes(str(tmp_path / "mb1"), str(tmp_path / "alias")))
    assert f"share the home {(tmp_path / 'mb1').resolve()}" in msg


def test_relative_homes_resolve_from_the_spec_not_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same relative home in two specs in different folders are different homes; in one spec, the same."""
    monkeypatch.chdir(tmp_path)
    conf = tmp_path / "conf"
    conf.mkdir()
    s = load(conf, two_homes("../mb1", str(tmp_path / "mb2")))
    assert [n.home for n in s.nodes] == [conf / "../mb1", tmp_path / "mb2"]
    _, msg = spec_error(conf, two_homes("../mb1", str(tmp_path / "mb1")))
    assert f"share the home {tmp_path.resolve() / 'mb1'}" in msg


def test_distinct_homes_and_nodes_without_a_home(tmp_path: Path) -> None:
    text = DB + nodes("id = 1, host = 'h', home = '/opt/mb1'", "id = 2, host = 'h', offset = 1",
                      "id = 3, host = 'h', offset = 2", "id = 4, host = 'h', offset = 3, home = '/opt/mb10'")
    assert [n.home for n in load(tmp_path, text).nodes] == [Path("/opt/mb1"), None, None, Path("/opt/mb10")]


def test_a_looping_home_is_left_to_the_home_check(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    s = load(tmp_path, two_homes(str(tmp_path / "a"), str(tmp_path / "mb2")))
    assert s.node(1).home == tmp_path / "a"


# --- find_spec --------------------------------------------------------------------------------------
def test_find_spec_given_beats_env_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, MINIMAL)
    monkeypatch.setenv("WSO2PATCH_SPEC", str(tmp_path / "env.toml"))
    assert find_spec(Path("given.toml")) == Path("given.toml")


def test_find_spec_env_beats_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, MINIMAL)
    monkeypatch.setenv("WSO2PATCH_SPEC", str(tmp_path / "env.toml"))
    assert find_spec(None) == tmp_path / "env.toml"


def test_find_spec_defaults_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WSO2PATCH_SPEC", raising=False)
    found = find_spec(None)
    assert found == Path("wso2patch.toml")
    write(tmp_path, MINIMAL)
    assert load_spec(found).node(1).host == "10.0.0.1"


def test_find_spec_empty_env_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WSO2PATCH_SPEC", "")
    assert find_spec(None) == Path("wso2patch.toml")


def test_find_spec_loads_the_right_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, MINIMAL.replace("10.0.0.1", "from-cwd"))
    env = write(tmp_path, MINIMAL.replace("10.0.0.1", "from-env"), "env.toml")
    given = write(tmp_path, MINIMAL.replace("10.0.0.1", "from-option"), "given.toml")
    monkeypatch.setenv("WSO2PATCH_SPEC", str(env))
    assert load_spec(find_spec(given)).node(1).host == "from-option"
    assert load_spec(find_spec(None)).node(1).host == "from-env"
    monkeypatch.delenv("WSO2PATCH_SPEC")
    assert load_spec(find_spec(None)).node(1).host == "from-cwd"
