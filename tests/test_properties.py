"""Property tests (issue 4): generated cluster specs on every tree (our fixture homes, and the real stock trees
when ../shared/wso2-dist is beside the repo), through the Python API.

1. apply then apply is a no-op;           2. apply then rollback is byte-identical to the start;
3. diff after apply is empty;             4. the patched XML parses and holds every promised value.
And the spec loader: every generated spec loads as written; the same spec with one key renamed to a near-typo
is a SpecError that names the typo, its line, and suggests the right key.

Expected values are computed from the generated spec itself (and the README's rules), not from wso2patch.spec.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.conftest import FIXTURE_HOMES, FIXTURES, STOCK, copy_tree, snapshot
from wso2patch import txn
from wso2patch.diff import file_diff
from wso2patch.errors import SpecError
from wso2patch.journal import STATE_DIR
from wso2patch.patchset_load import load_patches
from wso2patch.spec import Spec, load_spec
from wso2patch.workflow_files import journal_of, managed
from wso2patch.workflow_plan import commit_plan, plan_node

# Every tree gets its own examples (hypothesis alone would mostly draw the first one); the stock trees only
# when ../shared/wso2-dist is beside the repo.
TREES = [pytest.param(FIXTURES / name, id=f"fixture-{name}") for name in FIXTURE_HOMES] + [
    pytest.param(p, id=p.name) for p in STOCK]
PATCHES = load_patches()
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The README's rules, written out here so the tests do not check wso2patch.spec against itself.
MAX_OFFSET = 65535 - 11111
DEFAULT_NAMES = {"user": "WSO2_USER_DB", "registry": "REGISTRY_DB", "local": "REGISTRY_LOCAL{id}",
                 "mb_store": "WSO2_MB_STORE_DB"}
KEYS = {"cluster": {"domain"},
        "database": {"host", "port", "username", "password", "password_env", "options", "names"},
        "database.names": {"user", "registry", "local", "mb_store"},
        "node": {"id", "host", "offset", "home", "member_port"}}
IPS = ["10.100.7.118", "10.100.7.119", "192.168.56.10", "172.16.0.5"]
LOOPBACK = ["127.0.0.1", "localhost"]

AXIS2 = "repository/conf/axis2/axis2.xml"
CARBON = "repository/conf/carbon.xml"
DATASOURCES = "repository/conf/datasources/master-datasources.xml"
REGISTRY = "repository/conf/registry.xml"
USER_MGT = "repository/conf/user-mgt.xml"
BROKER = "repository/conf/broker.xml"
NS = {"c": "http://wso2.org/projects/carbon/carbon.xml"}
DS_BASE = "/datasources-configuration/datasources/datasource"
POOL = {"driverClassName": "com.mysql.jdbc.Driver", "maxActive": "50", "maxWait": "60000", "testOnBorrow": "true",
        "validationQuery": "SELECT 1", "validationInterval": "30000"}


# --- generated specs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GenNode:
    id: int
    host: str
    offset: int | None  # None: the key is left out (0)
    member_port: int | None  # None: the key is left out (4000 + offset)

    @property
    def real_offset(self) -> int:
        return 0 if self.offset is None else self.offset

    @property
    def real_member_port(self) -> int:
        return 4000 + self.real_offset if self.member_port is None else self.member_port


@dataclass(frozen=True)
class GenSpec:
    domain: str | None
    db_host: str
    db_port: int | None
    username: str
    password: str
    options: str | None
    names: tuple[tuple[str, str], ...] | None  # [database.names] as written (only some keys), or no table
    nodes: tuple[GenNode, ...]  # in the order of the file: ids are not sorted

    def node(self, node_id: int) -> GenNode:
        return next(n for n in self.nodes if n.id == node_id)

    def peers(self, node_id: int) -> list[GenNode]:
        return sorted((n for n in self.nodes if n.id != node_id), key=lambda n: n.id)

    def db_name(self, kind: str, node_id: int) -> str:
        return dict(DEFAULT_NAMES, **dict(self.names or ()))[kind].replace("{id}", str(node_id))

    def url(self, kind: str, node_id: int) -> str:
        query = f"?{self.options}" if self.options else ""
        return f"jdbc:mysql://{self.db_host}:{self.db_port or 3306}/{self.db_name(kind, node_id)}{query}"

    def lines(self) -> list[tuple[str, str | None]]:
        """The TOML text, line by line, each with the table its key belongs to (None: no key on that line)."""
        out: list[tuple[str, str | None]] = []

        def table(header: str, name: str, values: list[tuple[str, object]]) -> None:
            out.append((header, None))
            out.extend((f"{key} = {toml_value(value)}", name) for key, value in values)
            out.append(("", None))

        if self.domain is not None:
            table("[cluster]", "cluster", [("domain", self.domain)])
        db: list[tuple[str, object]] = [("host", self.db_host), ("username", self.username),
                                        ("password", self.password)]
        db += [("port", self.db_port)] if self.db_port is not None else []
        db += [("options", self.options)] if self.options is not None else []
        table("[database]", "database", db)
        if self.names is not None:
            table("[database.names]", "database.names", list(self.names))
        for n in self.nodes:
            values: list[tuple[str, object]] = [("id", n.id), ("host", n.host)]
            values += [("offset", n.offset)] if n.offset is not None else []
            values += [("member_port", n.member_port)] if n.member_port is not None else []
            table("[[node]]", "node", values)
        return out

    def toml(self) -> str:
        return "".join(f"{line}\n" for line, _ in self.lines())


def toml_value(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str)
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string (no control characters are generated)


TEXT = st.characters(exclude_categories=("Cc", "Cs", "Cn"))  # anything XML 1.0 and TOML can hold
PLAIN_NAME = st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$]{0,20}", fullmatch=True)
NAME_PART = st.from_regex(r"[A-Za-z0-9_$]{0,10}", fullmatch=True)


@st.composite
def gen_nodes(draw: st.DrawFn) -> tuple[GenNode, ...]:
    count = draw(st.sampled_from([3, 1, 2, 4, 5]))  # shrinks towards a 3-node cluster, not a lone node
    ids = draw(st.lists(st.integers(1, 60), min_size=count, max_size=count, unique=True))
    if draw(st.booleans()):  # one host for every node: it may be a loopback address
        hosts = [draw(st.sampled_from(IPS + LOOPBACK))] * count
    else:  # several hosts: never a loopback address
        hosts = draw(st.lists(st.sampled_from(IPS), min_size=count, max_size=count))
    offsets: set[tuple[str, int]] = set()
    ports: set[tuple[str, int]] = set()
    nodes = []
    for node_id, host in zip(ids, hosts, strict=True):
        offset = draw(st.none() | st.integers(0, 20) | st.integers(0, MAX_OFFSET))
        while (host, 0 if offset is None else offset) in offsets:  # distinct offsets per host
            offset = ((offset or 0) + 1) % (MAX_OFFSET + 1)
        member_port = draw(st.none() | st.integers(1, 65535))
        node = GenNode(node_id, host, offset, member_port)
        while (host, node.real_member_port) in ports:  # distinct member ports per host
            node = GenNode(node_id, host, offset, node.real_member_port % 65535 + 1)
        offsets.add((host, node.real_offset))
        ports.add((host, node.real_member_port))
        nodes.append(node)
    return tuple(nodes)


@st.composite
def gen_specs(draw: st.DrawFn) -> GenSpec:
    names = None
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(["user", "registry", "mb_store"]), unique=True))
        written = [(k, draw(PLAIN_NAME)) for k in chosen]
        local = f"{draw(NAME_PART)}{{id}}{draw(NAME_PART)}"  # {id} in local: every node has its own
        names = tuple(sorted([*written, ("local", local)]))
    pairs = st.tuples(st.sampled_from(["autoReconnect", "useSSL", "characterEncoding", "serverTimezone"]),
                      st.sampled_from(["true", "false", "UTF-8", "UTC"]))
    options = draw(st.none() | st.lists(pairs, min_size=1, max_size=3).map(
        lambda kv: "&".join(f"{k}={v}" for k, v in kv)))
    return GenSpec(
        domain=draw(st.none() | st.text(st.characters(codec="ascii", categories=("L", "N", "P", "S", "Zs")),
                                        max_size=20)),
        db_host=draw(st.sampled_from(["localhost", "db.example.com", "10.100.7.200", "mysql-1"])),
        db_port=draw(st.none() | st.integers(1, 65535)),
        username=draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True)),
        password=draw(st.text(TEXT, max_size=20)),
        options=options,
        names=names,
        nodes=draw(gen_nodes()),
    )


@st.composite
def specs_and_nodes(draw: st.DrawFn) -> tuple[GenSpec, int]:
    """A spec, and the id of the node whose values are applied."""
    spec = draw(gen_specs())
    return spec, draw(st.sampled_from([n.id for n in spec.nodes]))


@dataclass(frozen=True)
class Scenario:
    spec: GenSpec
    node: int
    tree: Path  # the test's parameter: copied afresh for every example


@contextmanager
def workspace(sc: Scenario) -> Iterator[tuple[Spec, Path]]:
    """A fresh copy of the tree and the spec, per example (tmp_path would be shared by every example)."""
    event(f"nodes: {len(sc.spec.nodes)}, hosts: {len({n.host for n in sc.spec.nodes})}")  # --hypothesis-show-statistics
    with tempfile.TemporaryDirectory(prefix="wso2patch-prop-") as d:
        home = copy_tree(sc.tree, Path(d) / "home")
        path = Path(d) / "wso2patch.toml"
        path.write_text(sc.spec.toml(), encoding="utf-8")
        yield load_spec(path), home


def apply(spec: Spec, node: int, home: Path) -> txn.Transaction | None:
    """plan_node + commit_plan, as 'wso2patch apply --yes' does them (None: nothing to write)."""
    return commit_plan(plan_node(spec, node, home, PATCHES), spec)


def first_apply(spec: Spec, node: int, home: Path) -> txn.Transaction:
    tx = apply(spec, node, home)
    assert tx is not None, "a stock tree always has something to patch"
    return tx


def config_files(home: Path) -> dict[str, str]:
    return {rel: h for rel, h in snapshot(home).items() if not rel.startswith(f"{STATE_DIR}/")}


# --- the promised values (as tests/test_stock.py::test_the_contract_values, for any spec) -------------------
def parse(path: Path) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(path.read_bytes(), parser)


def stock_domain(tree: Path) -> str:
    found = parse(tree / AXIS2).xpath("/axisconfig/clustering/parameter[@name='domain']")
    return str(found[0].text or "")


def check_promises(home: Path, gen: GenSpec, node_id: int, tree: Path, domain_before: str | None = None) -> None:
    """domain_before: the domain in axis2.xml before this apply (default: the stock tree's), kept when the spec
    sets none."""
    node, peers = gen.node(node_id), gen.peers(node_id)

    ax = parse(home / AXIS2)
    assert ax.xpath("/axisconfig/clustering/@enable") == ["true"]
    params = {p.get("name"): p.text or "" for p in ax.xpath("/axisconfig/clustering/parameter")}
    assert params["membershipScheme"] == "wka"
    kept = stock_domain(tree) if domain_before is None else domain_before
    assert params["domain"] == (gen.domain if gen.domain is not None else kept)
    assert (params["localMemberHost"], params["localMemberPort"]) == (node.host, str(node.real_member_port))
    members = [(m.findtext("hostName"), m.findtext("port")) for m in ax.xpath("/axisconfig/clustering/members/member")]
    assert members == [(p.host, str(p.real_member_port)) for p in peers]

    carbon = parse(home / CARBON)
    for tag in ("HostName", "MgtHostName"):
        (host,) = carbon.xpath(f"/c:Server/c:{tag}", namespaces=NS)
        assert host.text == node.host
        assert host.getprevious().tag is etree.Comment and host.getprevious().text.startswith(f"{tag}>")
    assert carbon.xpath("string(/c:Server/c:Ports/c:Offset)", namespaces=NS) == str(node.real_offset)

    ds = parse(home / DATASOURCES)
    active = {" ".join((d.findtext("name") or "").split()): d for d in ds.xpath(DS_BASE)}
    assert "WSO2_CARBON_DB" not in active
    assert [n for n in active if n.startswith("REGISTRY_LOCAL")] == [f"REGISTRY_LOCAL{node.id}"]
    for name, jndi, kind in ((f"REGISTRY_LOCAL{node.id}", "jdbc/WSO2CarbonDB", "local"),
                             ("REGISTRY_DB", "jdbc/WSO2RegistryDB", "registry"),
                             ("WSO2_USER_DB", "jdbc/WSO2UMDB", "user")):
        d = active[name]
        assert d.findtext("jndiConfig/name") == jndi
        assert d.xpath("string(definition/@type)") == "RDBMS"
        conf = {c.tag: c.text or "" for c in d.xpath("definition/configuration/*")}
        assert conf == {"url": gen.url(kind, node.id), "username": gen.username, "password": gen.password, **POOL}

    assert parse(home / USER_MGT).xpath("string(//Property[@name='dataSource'])") == "jdbc/WSO2UMDB"

    reg = parse(home / REGISTRY)
    assert reg.xpath("string(/wso2registry/dbConfig[@name='sharedregistry']/dataSource)") == "jdbc/WSO2RegistryDB"
    (remote,) = reg.xpath("/wso2registry/remoteInstance")
    assert remote.get("url") == f"https://{node.host}:{9443 + node.real_offset}/registry"
    assert {c.tag: c.text for c in remote if isinstance(c.tag, str)} == {
        "id": "instanceid", "dbConfig": "sharedregistry", "readOnly": "false", "enableCache": "true",
        "registryRoot": "/", "cacheId": f"{gen.username}@{gen.url('registry', node.id)}"}
    mounts = {m.get("path"): m for m in reg.xpath("/wso2registry/mount")}
    assert sorted(mounts) == ["/_system/config", "/_system/governance"]
    for path, m in mounts.items():
        assert (m.get("overwrite"), m.findtext("instanceId"), m.findtext("targetPath")) == ("true", "instanceid", path)

    if (tree / BROKER).is_file():
        assert parse(home / BROKER).xpath("string(/broker/coordination/thriftServerHost)") == node.host
        conf = {c.tag: c.text or "" for c in active["WSO2_MB_STORE_DB"].xpath("definition/configuration/*")}
        assert (conf["url"], conf["driverClassName"], conf["username"], conf["password"]) == (
            gen.url("mb_store", node.id), "com.mysql.jdbc.Driver", gen.username, gen.password)
    else:
        assert "WSO2_MB_STORE_DB" not in active and not (home / BROKER).exists()


# --- the properties ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("tree", TREES)
@SETTINGS
@given(drawn=specs_and_nodes())
def test_apply_then_apply_is_a_no_op(tree: Path, drawn: tuple[GenSpec, int]) -> None:
    sc = Scenario(*drawn, tree)
    with workspace(sc) as (spec, home):
        first = first_apply(spec, sc.node, home)
        after = snapshot(home)  # the config files and the journal
        assert apply(spec, sc.node, home) is None
        assert snapshot(home) == after
        assert [t.id for t in journal_of(home).load()] == [first.id]


@pytest.mark.parametrize("tree", TREES)
@SETTINGS
@given(drawn=specs_and_nodes())
def test_apply_then_rollback_is_byte_identical(tree: Path, drawn: tuple[GenSpec, int]) -> None:
    sc = Scenario(*drawn, tree)
    with workspace(sc) as (spec, home):
        start = snapshot(home)
        first_apply(spec, sc.node, home)
        assert config_files(home) != start
        undone = txn.rollback(home, managed=managed)
        assert len(undone) == 1
        assert config_files(home) == start


def same_node(spec: GenSpec, node_id: int) -> GenSpec:
    """spec, with node_id among its nodes (its first node takes that id when it has none)."""
    if any(n.id == node_id for n in spec.nodes):
        return spec
    head = spec.nodes[0]
    return replace(spec, nodes=(replace(head, id=node_id), *spec.nodes[1:]))


@pytest.mark.parametrize("tree", TREES)
@SETTINGS
@given(drawn=specs_and_nodes(), other=gen_specs())
def test_two_applies_then_rollback_to_the_first_is_byte_identical(tree: Path, drawn: tuple[GenSpec, int],
                                                                   other: GenSpec) -> None:
    """The same node re-applied with another spec converges on that spec's values (the domain stays as the first
    apply left it when the second spec sets none); rollback --to the first apply undoes both."""
    first = Scenario(*drawn, tree)
    second = same_node(other, first.node)
    with workspace(first) as (spec, home):
        start = snapshot(home)
        tx = first_apply(spec, first.node, home)
        path = home.parent / "second.toml"
        path.write_text(second.toml(), encoding="utf-8")
        apply(load_spec(path), first.node, home)
        domain = first.spec.domain if first.spec.domain is not None else stock_domain(first.tree)
        check_promises(home, second, first.node, first.tree, domain_before=domain)
        assert len(txn.rollback(home, managed=managed, to=tx.id)) in (1, 2)  # 1: the second spec changed nothing
        assert config_files(home) == start


@pytest.mark.parametrize("tree", TREES)
@SETTINGS
@given(drawn=specs_and_nodes())
def test_diff_after_apply_is_empty(tree: Path, drawn: tuple[GenSpec, int]) -> None:
    sc = Scenario(*drawn, tree)
    with workspace(sc) as (spec, home):
        first_apply(spec, sc.node, home)
        plan = plan_node(spec, sc.node, home, PATCHES)
        assert not plan.pending
        assert [file_diff(f) for f in plan.files if file_diff(f)] == []
        assert {r.result for f in plan.files for r in f.results} <= {"already", "skipped"}


@pytest.mark.parametrize("tree", TREES)
@SETTINGS
@given(drawn=specs_and_nodes())
def test_patched_xml_parses_and_holds_every_promised_value(tree: Path, drawn: tuple[GenSpec, int]) -> None:
    sc = Scenario(*drawn, tree)
    with workspace(sc) as (spec, home):
        first_apply(spec, sc.node, home)
        check_promises(home, sc.spec, sc.node, sc.tree)


# --- the spec loader --------------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(gen=gen_specs())
def test_every_generated_spec_loads_as_written(gen: GenSpec) -> None:
    with tempfile.TemporaryDirectory(prefix="wso2patch-prop-") as d:
        path = Path(d) / "wso2patch.toml"
        path.write_text(gen.toml(), encoding="utf-8")
        spec = load_spec(path)
    assert spec.domain == gen.domain
    assert (spec.db.host, spec.db.port, spec.db.username, spec.db.password, spec.db.options) == (
        gen.db_host, gen.db_port or 3306, gen.username, gen.password, gen.options)
    assert [(n.id, n.host, n.offset, n.member_port, n.home) for n in spec.nodes] == [
        (n.id, n.host, n.real_offset, n.real_member_port, None) for n in sorted(gen.nodes, key=lambda n: n.id)]
    for n in gen.nodes:
        assert [spec.db.url(kind, n.id) for kind in DEFAULT_NAMES] == [gen.url(kind, n.id) for kind in DEFAULT_NAMES]


@st.composite
def near_typos(draw: st.DrawFn, key: str) -> str:
    """One slip of the finger: a letter doubled; on keys of 4+ letters also one dropped or two swapped."""
    kinds = ["double"] + (["drop", "swap"] if len(key) >= 4 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "double":
        i = draw(st.integers(0, len(key) - 1))
        return key[: i + 1] + key[i:]
    if kind == "drop":
        i = draw(st.integers(0, len(key) - 1))
        return key[:i] + key[i + 1 :]
    i = draw(st.integers(0, len(key) - 2).filter(lambda j: key[j] != key[j + 1]))
    return key[:i] + key[i + 1] + key[i] + key[i + 2 :]


@settings(max_examples=150, deadline=None)
@given(gen=gen_specs(), data=st.data())
def test_a_near_typo_of_any_key_is_named_with_the_right_suggestion(gen: GenSpec, data: st.DataObject) -> None:
    lines = gen.lines()
    keyed = [(i, table) for i, (_, table) in enumerate(lines) if table is not None]
    i, table = data.draw(st.sampled_from(keyed), label="line")
    key = lines[i][0].split(" = ", 1)[0]
    typo = data.draw(near_typos(key).filter(lambda t: t not in KEYS[table]), label="typo")
    text = [line for line, _ in lines]
    text[i] = typo + text[i][len(key) :]
    with tempfile.TemporaryDirectory(prefix="wso2patch-prop-") as d:
        path = Path(d) / "wso2patch.toml"
        path.write_text("".join(f"{line}\n" for line in text), encoding="utf-8")
        with pytest.raises(SpecError) as raised:
            load_spec(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{i + 1}: unknown key {typo!r} in "), message
    assert message.endswith(f"; did you mean {key!r}?"), message
