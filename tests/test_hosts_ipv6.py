"""IPv6 addresses and DNS names, from the spec into every file, through check, db init and check --db (issue 9).

Each place gets the form it reads: Hazelcast's localMemberHost and broker.xml's thriftServerHost take the bare
address; <member><hostName>, carbon.xml's HostName/MgtHostName and the registry URL are joined into "host:port"
strings and URLs, so IPv6 is bracketed there; the JDBC URL uses Connector/J's address=(...) form.
"""

from __future__ import annotations

import json
import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import DIST, FIXTURES, Cli, MariaDB, copy_tree, snapshot
from tests.test_bad_inputs import AXIS2, BROKER, CARBON, DATASOURCES, REGISTRY
from tests.test_cluster import add_driver, errors, findings
from tests.test_db import PASSWORD, table_counts, write_spec

# --- IPv6 and names, from the spec into every file, through check ---------------------------------------
NS = {"c": "http://wso2.org/projects/carbon/carbon.xml"}
V6_SPEC = """\
[database]
host = "{db}"
username = "u"
password = "p"

[[node]]
id = 1
host = "{h1}"
home = "mb1"

[[node]]
id = 2
host = "{h2}"
home = "mb2"
"""


def parse(path: Path) -> Any:
    return etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))


# the fixture always; the real MB 3.2.0 and Carbon 4.4.16 trees where ../shared is checked out
TREES = [pytest.param(FIXTURES / "mb-home", id="fixture-mb-home")] + [
    pytest.param(DIST / name, id=name) for name in ("wso2mb-3.2.0", "wso2carbon-4.4.16") if (DIST / name).is_dir()]


def two_node_cluster(tmp_path: Path, db: str, h1: str, h2: str,
                     tree: Path = FIXTURES / "mb-home") -> tuple[Path, Path, Path]:
    homes = [copy_tree(tree, tmp_path / f"mb{i}") for i in (1, 2)]
    add_driver(*homes)
    spec = tmp_path / "wso2patch.toml"
    spec.write_text(V6_SPEC.format(db=db, h1=h1, h2=h2), encoding="utf-8")
    return spec, homes[0], homes[1]


@pytest.mark.parametrize(
    ("db", "h1", "h2", "url_h1", "url_h2", "jdbc"),
    [
        pytest.param("2001:db8::9", "2001:db8::1", "2001:db8::2", "[2001:db8::1]", "[2001:db8::2]",
                     "address=(protocol=tcp)(host=2001:db8::9)(port=3306)", id="ipv6"),
        pytest.param("db.example.com", "mb1.example.com", "mb2.example.com", "mb1.example.com", "mb2.example.com",
                     "db.example.com:3306", id="names"),
    ],
)
@pytest.mark.parametrize("tree", TREES)
def test_hosts_reach_every_file_in_the_form_each_place_reads(cli: Cli, tmp_path: Path, tree: Path, db: str, h1: str,
                                                             h2: str, url_h1: str, url_h2: str, jdbc: str) -> None:
    spec, home1, home2 = two_node_cluster(tmp_path, db, h1, h2, tree)
    assert cli("apply", "--spec", spec, "--all", "--yes").exit_code == 0
    ax = parse(home1 / AXIS2)
    # localMemberHost and thriftServerHost are addresses (Hazelcast's public address, a bind address): bare
    assert ax.xpath("string(//clustering/parameter[@name='localMemberHost'])") == h1
    mb = (tree / BROKER).is_file()
    assert not mb or parse(home1 / BROKER).xpath("string(//thriftServerHost)") == h1
    # <member><hostName>, HostName and the registry URL end up in "host:port" strings and URLs: bracketed
    assert [(m.findtext("hostName"), m.findtext("port")) for m in ax.xpath("//clustering/members/member")] == [
        (url_h2, "4000")]
    ax2 = parse(home2 / AXIS2)
    assert ax2.xpath("string(//clustering/parameter[@name='localMemberHost'])") == h2
    assert [m.findtext("hostName") for m in ax2.xpath("//clustering/members/member")] == [url_h1]
    carbon = parse(home1 / CARBON)
    assert [carbon.xpath(f"string(/c:Server/c:{t})", namespaces=NS) for t in ("HostName", "MgtHostName")] == [
        url_h1, url_h1]
    assert parse(home1 / REGISTRY).xpath("string(//remoteInstance/@url)") == f"https://{url_h1}:9443/registry"
    urls = parse(home1 / DATASOURCES).xpath("//datasource/definition/configuration/url/text()")
    assert f"jdbc:mysql://{jdbc}/REGISTRY_LOCAL1" in urls
    assert (f"jdbc:mysql://{jdbc}/WSO2_MB_STORE_DB" in urls) == mb
    code, rows = findings(cli, "--spec", spec)
    assert code == 0 and not [r for r in rows if r["level"] == "error"], rows
    assert [r["message"] for r in rows if r["rule"] == "wka-members"] == ["lists every other node (1)"] * 2
    before = snapshot(tmp_path)  # the twin: a second apply changes nothing
    again = cli("apply", "--spec", spec, "--all", "--yes")
    assert again.exit_code == 0 and again.stdout.count("already applied") == 2
    assert snapshot(tmp_path) == before


def test_check_flags_an_ipv6_member_without_brackets(cli: Cli, tmp_path: Path) -> None:
    spec, home1, _ = two_node_cluster(tmp_path, "db", "2001:db8::1", "2001:db8::2")
    assert cli("apply", "--spec", spec, "--all", "--yes").exit_code == 0
    axis2 = home1 / AXIS2
    axis2.write_bytes(axis2.read_bytes().replace(b"<hostName>[2001:db8::2]</hostName>",
                                                 b"<hostName>2001:db8::2</hostName>"))
    code, rows = findings(cli, "--spec", spec)
    assert code == 1
    assert errors(rows, "wka-members") == ["lists IPv6 members without brackets (2001:db8::2:4000): Carbon passes "
                                           "Hazelcast hostName:port, which it cannot split"]


def test_check_matches_members_however_ipv6_is_spelled(cli: Cli, tmp_path: Path) -> None:
    spec, home1, _ = two_node_cluster(tmp_path, "db", "2001:db8::1", "2001:db8::2")
    assert cli("apply", "--spec", spec, "--all", "--yes").exit_code == 0
    axis2 = home1 / AXIS2
    axis2.write_bytes(axis2.read_bytes().replace(b"[2001:db8::2]", b"[2001:DB8:0:0:0:0:0:2]"))
    code, rows = findings(cli, "--spec", spec)
    assert code == 0 and not errors(rows, "wka-members")


# --- the database over IPv6: db init and check --db -----------------------------------------------------
class _Pipe(socketserver.BaseRequestHandler):
    """Copies bytes both ways between an IPv6 client and the IPv4 test server."""

    def handle(self) -> None:
        target: tuple[str, int] = self.server.target  # type: ignore[attr-defined]
        with socket.create_connection(target) as up:
            ends = {self.request: up, up: self.request}
            while True:
                ready, _, _ = select.select(list(ends), [], [], 60)
                if not ready:
                    return
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    ends[s].sendall(data)


class _V6Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


@pytest.fixture
def mariadb_v6(mariadb: MariaDB) -> Iterator[MariaDB]:
    """The test MariaDB (it listens on 127.0.0.1) reached at [::1], through a pipe this test owns."""
    try:
        server = _V6Server(("::1", 0), _Pipe)
    except OSError as e:
        pytest.skip(f"no IPv6 loopback here: {e}")
    server.target = (mariadb.host, mariadb.port)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MariaDB("::1", server.server_address[1], mariadb.admin, mariadb.admin_password)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_db_init_apply_and_check_db_over_ipv6(cli: Cli, mariadb: MariaDB, mariadb_v6: MariaDB,
                                              tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, prefix, _ = write_spec(tmp_path, mariadb_v6, [home])
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 0, r.output
    assert table_counts(mariadb, prefix) == {f"{prefix}USER": 5, f"{prefix}REG": 5, f"{prefix}LOCAL1": 5,
                                             f"{prefix}MB": 3}
    assert cli("apply", "--spec", spec, "--node", "1", "--yes").exit_code == 0
    r = cli("check", "--db", "--home", home, "--json")
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)["datasources"][0]["results"]}
    assert {rows[n]["detail"] for n in ("REGISTRY_LOCAL1", "REGISTRY_DB", "WSO2_USER_DB", "WSO2_MB_STORE_DB")} == {
        "ok (SELECT 1)"}
    assert f"address=(protocol=tcp)(host=::1)(port={mariadb_v6.port})" in json.dumps(rows)
    assert PASSWORD not in r.output


def test_an_unreachable_ipv6_server_is_named_with_brackets(cli: Cli, tmp_path: Path) -> None:
    home = copy_tree(FIXTURES / "mb-home", tmp_path / "mb1")
    spec, _, _ = write_spec(tmp_path, MariaDB("::1", 1, "root", ""), [home])
    r = cli("db", "init", "--spec", spec, "--yes")
    assert r.exit_code == 11 and r.stderr.count("\n") == 1, r.output
    assert "cannot reach the MySQL server at [::1]:1" in r.stderr
