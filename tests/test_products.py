"""Product detection (issue 11 groundwork): every stock tree, the fixture homes, refusals, hostile homes, and the
version and target helpers that patches will use to say what they apply to."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DIST, FIXTURES, copy_tree
from tests.test_bad_inputs import BIG, edit, state, symlink_loop, with_doctype
from wso2patch import versions
from wso2patch.detect import MAX_WSO2_ENTRIES, detect, detect_supported, read_server
from wso2patch.errors import ConfigError, HomeError, Wso2PatchError
from wso2patch.products import BY_KEY, PRODUCTS, Product, applies, check_targets, parse_target, supported_products

EI_HOME, ESB_HOME = FIXTURES / "ei-home", FIXTURES / "esb-home"
SUPPORTED = "MB 2.5-3.2, Carbon 4.4.x, EI 6.x (integrator and broker profiles), ESB 4.9-5.0"


# --- every stock tree: what its carbon.xml says, and what wso2patch makes of it ------------------------------------
@dataclass(frozen=True)
class Seen:
    tree: str
    profile: str | None  # asked for (None: the main profile)
    key: str
    version: str
    conf: str
    supported: bool
    kernel: str
    server: str  # ServerKey and Version of the profile's own carbon.xml
    profiles: tuple[str, ...] = ("default",)


EI_PROFILES = ("integrator", "broker")
STOCK_SEEN = [
    Seen("wso2mb-2.5.0", None, "mb", "2.5.0", "repository/conf", True, "4.3", "MB 2.5.0"),
    Seen("wso2mb-3.0.0", None, "mb", "3.0.0", "repository/conf", True, "4.4", "MB 3.0.0"),
    Seen("wso2mb-3.1.0", None, "mb", "3.1.0", "repository/conf", True, "4.4", "MB 3.1.0"),
    Seen("wso2mb-3.2.0", None, "mb", "3.2.0", "repository/conf", True, "4.4", "MB 3.2.0"),
    Seen("wso2carbon-4.4.16", None, "carbon", "4.4.16", "repository/conf", True, "4.4", "Carbon 4.4.16"),
    Seen("wso2esb-4.9.0", None, "esb", "4.9.0", "repository/conf", True, "4.4", "ESB 4.9.0"),
    Seen("wso2esb-5.0.0", None, "esb", "5.0.0", "repository/conf", True, "4.4", "ESB 5.0.0"),
    Seen("wso2ei-6.1.1", None, "ei", "6.1.1", "conf", True, "4.4", "EI 6.1.1", EI_PROFILES),
    Seen("wso2ei-6.1.1", "broker", "ei", "6.1.1", "wso2/broker/conf", True, "4.4", "MB 3.2.0", EI_PROFILES),
    Seen("wso2ei-6.4.0", None, "ei", "6.4.0", "conf", True, "4.4", "EI 6.4.0", EI_PROFILES),
    Seen("wso2ei-6.4.0", "broker", "ei", "6.4.0", "wso2/broker/conf", True, "4.4", "MB 3.2.0", EI_PROFILES),
    Seen("wso2ei-6.6.0", None, "ei", "6.6.0", "conf", True, "4.5", "EI 6.6.0", EI_PROFILES),
    Seen("wso2ei-6.6.0", "broker", "ei", "6.6.0", "wso2/broker/conf", True, "4.5", "MB 3.2.0", EI_PROFILES),
    Seen("wso2is-5.7.0", None, "is", "5.7.0", "repository/conf", False, "4.4", "IS 5.7.0"),
    Seen("wso2am-2.1.0", None, "am", "2.1.0", "repository/conf", False, "4.4", "AM 2.1.0"),
    Seen("wso2am-2.6.0", None, "am", "2.6.0", "repository/conf", False, "4.4", "AM 2.6.0"),
]


def _stock(seen: Seen) -> Any:
    tree = DIST / seen.tree
    skip = pytest.mark.skipif(not tree.is_dir(), reason=f"../shared/wso2-dist/{seen.tree} is not beside the repo: "
                                                         "real stock trees are tested only where it is checked out")
    return pytest.param(seen, id=f"{seen.tree}-{seen.profile or 'main'}", marks=skip)


def check(product: Product, seen: Seen) -> None:
    assert (product.key, product.version, product.conf, product.supported, product.kernel) == \
        (seen.key, seen.version, seen.conf, seen.supported, seen.kernel)
    assert f"{product.server_key} {product.server_version}" == seen.server
    assert product.profiles == seen.profiles
    assert product.profile == (seen.profile or seen.profiles[0])


@pytest.mark.parametrize("seen", [_stock(s) for s in STOCK_SEEN])
def test_stock_tree(seen: Seen) -> None:
    check(detect(DIST / seen.tree, seen.profile), seen)


def test_every_stock_tree_is_in_the_table() -> None:
    if not DIST.is_dir():
        pytest.skip("../shared/wso2-dist is not beside the repo")
    trees = {p.name for p in DIST.iterdir() if p.is_dir()}
    assert trees <= {s.tree for s in STOCK_SEEN}, "a new stock tree: add what it says to STOCK_SEEN"


@pytest.mark.parametrize("tree", ["wso2is-5.7.0", "wso2am-2.1.0", "wso2am-2.6.0"])
def test_stock_unsupported_products_are_refused_by_name(tree: str) -> None:
    if not (DIST / tree).is_dir():
        pytest.skip(f"../shared/wso2-dist/{tree} is not beside the repo")
    name, version = {"is": ("WSO2 Identity Server", "5.7.0"), "am": ("WSO2 API Manager", tree[-5:])}[tree[4:6]]
    with pytest.raises(HomeError) as e:
        detect_supported(DIST / tree)
    one_line(e.value, f"{name} {version}", "is not supported", SUPPORTED)


# --- fixture homes (always there) ----------------------------------------------------------------------------------
FIXTURE_SEEN = [
    (EI_HOME, Seen("ei-home", None, "ei", "6.4.0", "conf", True, "4.4", "EI 6.4.0",
                   ("integrator", "broker", "business-process"))),
    (EI_HOME, Seen("ei-home", "broker", "ei", "6.4.0", "wso2/broker/conf", True, "4.4", "MB 3.2.0",
                   ("integrator", "broker", "business-process"))),
    (EI_HOME, Seen("ei-home", "business-process", "ei", "6.4.0", "wso2/business-process/conf", False, "4.4",
                   "BPS 3.6.0", ("integrator", "broker", "business-process"))),
    (ESB_HOME, Seen("esb-home", None, "esb", "5.0.0", "repository/conf", True, "4.4", "ESB 5.0.0")),
    (FIXTURES / "mb-home", Seen("mb-home", None, "mb", "3.2.0", "repository/conf", True, "4.4", "MB 3.2.0")),
    (FIXTURES / "mb-old-home", Seen("mb-old-home", None, "mb", "2.5.0", "repository/conf", True, "4.3", "MB 2.5.0")),
    (FIXTURES / "carbon-home", Seen("carbon-home", None, "carbon", "4.4.16", "repository/conf", True, "4.4",
                                    "Carbon 4.4.16")),
]


@pytest.mark.parametrize(("home", "seen"), [pytest.param(h, s, id=f"{s.tree}-{s.profile or 'main'}")
                                            for h, s in FIXTURE_SEEN])
def test_fixture_home(home: Path, seen: Seen) -> None:
    check(detect(home, seen.profile), seen)


def test_fixture_traits() -> None:
    """What the fixtures reproduce from the stock EI and ESB carbon.xml files (all of them LF, no CRLF)."""
    for path in [*EI_HOME.rglob("carbon.xml"), *ESB_HOME.rglob("carbon.xml")]:
        raw = path.read_bytes()
        assert raw.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>\n') and b"\r" not in raw, path
        assert b'<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">' in raw, path
    for path in [EI_HOME / "conf/carbon.xml", EI_HOME / "wso2/broker/conf/carbon.xml", ESB_HOME / "repository/conf"
                 / "carbon.xml"]:
        raw = path.read_bytes()
        assert b"<!--HostName>www.wso2.org</HostName-->" in raw and b"<HostName>" not in raw, path
        assert b"<!--MgtHostName>mgt.wso2.org</MgtHostName-->" in raw, path
    assert b"<Offset>3</Offset>" in (EI_HOME / "wso2/broker/conf/carbon.xml").read_bytes()  # as the stock broker
    assert (ESB_HOME / "repository/conf/carbon.xml").read_bytes().startswith(b"<?xml version=\"1.0\" encoding="
                                                                            b"\"ISO-8859-1\"?>\n\n")


def test_detection_writes_nothing(tmp_path: Path) -> None:
    home = copy_tree(EI_HOME, tmp_path / "ei")
    before = state(tmp_path)
    for profile in (None, "broker", "business-process"):
        detect(home, profile)
    assert state(tmp_path) == before


def test_supported_products_sentence() -> None:
    assert supported_products() == SUPPORTED


def test_table_is_consistent() -> None:
    assert len({p.key for p in PRODUCTS}) == len({p.server_key for p in PRODUCTS}) == len(PRODUCTS)
    for p in PRODUCTS:
        if p.supported is not None:
            versions.check_range(p.supported)
            assert p.main.supported, p.key
        for spec, _ in p.kernels:
            versions.check_range(spec)


# --- refusals ------------------------------------------------------------------------------------------------------
def one_line(error: Wso2PatchError, *says: str) -> None:
    text = str(error)
    assert "\n" not in text and "\r" not in text, text
    for s in says:
        assert s in text, (s, text)


def product_home(tmp_path: Path, key: str, name: str, version: str) -> Path:
    """The ESB fixture made to say it is another product."""
    home = copy_tree(ESB_HOME, tmp_path / key)
    edit(home / "repository/conf/carbon.xml", lambda raw: raw.replace(b"<ServerKey>ESB<", f"<ServerKey>{key}<".encode())
         .replace(b"<Version>5.0.0<", f"<Version>{version}<".encode())
         .replace(b"<Name>WSO2 Enterprise Service Bus<", f"<Name>{name}<".encode()))
    return home


@pytest.mark.parametrize(("key", "name", "version"), [
    ("IS", "WSO2 Identity Server", "5.7.0"), ("AM", "WSO2 API Manager", "2.6.0"),
    ("DSS", "WSO2 Data Services Server", "3.5.1"),  # not in the table: named from its own carbon.xml
])
def test_unsupported_product_refused(tmp_path: Path, key: str, name: str, version: str) -> None:
    home = product_home(tmp_path, key, name, version)
    product = detect(home)
    assert not product.supported and product.name == name and product.version == version
    assert product.key == ("unknown" if key == "DSS" else key.lower()) and product.server_key == key
    with pytest.raises(HomeError) as e:
        detect_supported(home)
    one_line(e.value, str(home), f"{name} {version} (ServerKey {key}) is not supported", SUPPORTED)
    assert e.value.exit_code == 4


@pytest.mark.parametrize(("key", "name", "version"), [
    ("MB", "WSO2 Message Broker", "2.0.0"), ("MB", "WSO2 Message Broker", "3.3.0"),
    ("ESB", "WSO2 Enterprise Service Bus", "4.8.1"), ("Carbon", "WSO2 Carbon", "4.5.0"),
])
def test_supported_product_outside_its_versions_refused(tmp_path: Path, key: str, name: str, version: str) -> None:
    with pytest.raises(HomeError) as e:
        detect_supported(product_home(tmp_path, key, name, version))
    one_line(e.value, f"{name} {version}", "is not supported", SUPPORTED)


def test_unsupported_ei_profile_refused() -> None:
    with pytest.raises(HomeError) as e:
        detect_supported(EI_HOME, "business-process")
    one_line(e.value, "the business-process profile of WSO2 Enterprise Integrator 6.4.0 (ServerKey BPS)", SUPPORTED)


@pytest.mark.parametrize("conf", ["repository/conf", "conf", "wso2/broker/conf"])
def test_deployment_toml_refused(tmp_path: Path, conf: str) -> None:
    home = copy_tree(ESB_HOME if conf.startswith("repository") else EI_HOME, tmp_path / "home")
    (home / conf / "deployment.toml").write_text('[server]\nhostname = "localhost"\n', encoding="utf-8")
    before = state(tmp_path)
    with pytest.raises(HomeError) as e:
        detect(home, "broker" if conf.startswith("wso2") else None)
    one_line(e.value, "Carbon 4.5+", f"{conf}/deployment.toml is present", "WSO2 ", SUPPORTED)
    assert state(tmp_path) == before
    if conf.startswith("wso2"):  # the integrator profile of that home has no deployment.toml
        assert detect(home).supported


def test_carbon45_fixture_refused() -> None:
    with pytest.raises(HomeError) as e:
        detect(FIXTURES / "carbon45-home")
    one_line(e.value, "Carbon 4.5+", "repository/conf/deployment.toml")


def test_ei_660_is_kernel_45_but_supported() -> None:
    """EI 6.6.0 runs on kernel 4.5.3 without deployment.toml: configured through its XML, so supported."""
    if not (DIST / "wso2ei-6.6.0").is_dir():
        pytest.skip("../shared/wso2-dist/wso2ei-6.6.0 is not beside the repo")
    assert not (DIST / "wso2ei-6.6.0/conf/deployment.toml").exists()
    product = detect_supported(DIST / "wso2ei-6.6.0")
    assert product.kernel == "4.5" and product.supported


# --- hostile homes: one line, the right error, nothing written -------------------------------------------------------
@dataclass(frozen=True)
class Hostile:
    id: str
    setup: Callable[[Path], Path]  # break a copy of the EI fixture (given); return the home to detect
    error: type[Wso2PatchError]
    says: tuple[str, ...]
    profile: str | None = None
    during: Callable[[Path, pytest.MonkeyPatch], None] | None = None


CONF = "conf/carbon.xml"
BROKER = "wso2/broker/conf/carbon.xml"


def _edit(rel: str, change: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def setup(home: Path) -> Path:
        edit(home / rel, change)
        return home
    return setup


def _loop(rel: str) -> Callable[[Path], Path]:
    def setup(home: Path) -> Path:
        (home / rel).unlink()
        symlink_loop(home / rel, (home / rel).with_name("loop.xml"))
        return home
    return setup


def _dangling(home: Path) -> Path:
    (home / CONF).unlink()
    (home / CONF).symlink_to(home.parent / "nowhere.xml")
    return home


def _huge(home: Path) -> Path:
    with (home / CONF).open("r+b") as f:
        f.truncate(BIG)  # sparse: instant
    return home


def _home_loop(home: Path) -> Path:
    symlink_loop(home.parent / "a", home.parent / "b")
    return home.parent / "a"


def _home_file(home: Path) -> Path:
    (home.parent / "file").write_bytes(b"not a home\n")
    return home.parent / "file"


def _empty_dir(home: Path) -> Path:
    (home.parent / "empty").mkdir()
    return home.parent / "empty"


def _both_layouts(home: Path) -> Path:
    (home / "repository/conf").mkdir(parents=True)
    (home / "repository/conf/carbon.xml").write_bytes((home / CONF).read_bytes())
    return home


def _broker_as_home(home: Path) -> Path:
    return home / "wso2/broker"


def _ei_in_classic_place(home: Path) -> Path:
    (home / "repository/conf").mkdir(parents=True)
    (home / CONF).rename(home / "repository/conf/carbon.xml")
    return home


def _many_wso2_entries(home: Path) -> Path:
    for i in range(MAX_WSO2_ENTRIES + 1):
        (home / "wso2" / f"p{i}").mkdir()
    return home


def _profile_dir_loop(home: Path) -> Path:
    symlink_loop(home / "wso2/loop-a", home / "wso2/loop-b")
    return home


def _wso2_loop(home: Path) -> Path:
    (home / "wso2").rename(home / "wso2-real")
    symlink_loop(home / "wso2", home / "wso2-loop")
    return home


def _profile_carbon_loop(home: Path) -> Path:
    return _loop(BROKER)(home)


def _unreadable(home: Path, mp: pytest.MonkeyPatch) -> None:
    """EACCES on carbon.xml: chmod does not stop root (who runs CI), so read_bytes refuses it as the kernel would."""
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "carbon.xml":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    mp.setattr(Path, "read_bytes", read_bytes)


def _ident(home: Path) -> Path:
    return home


HOSTILE = [
    Hostile("home-missing", lambda h: h.parent / "gone", HomeError, ("does not exist",)),
    Hostile("home-is-a-file", _home_file, HomeError, ("not a directory",)),
    Hostile("home-symlink-loop", _home_loop, HomeError, ("broken or looping symbolic link",)),
    Hostile("home-empty", _empty_dir, HomeError, ("not a WSO2 Carbon product home", "conf/carbon.xml")),
    Hostile("carbon-symlink-loop", _loop(CONF), ConfigError, (CONF,)),
    Hostile("carbon-dangling-symlink", _dangling, ConfigError, (CONF, "missing")),
    Hostile("carbon-200mib", _huge, ConfigError, (CONF, "MiB")),
    Hostile("carbon-unreadable", _ident, ConfigError, (CONF, "Permission denied"), during=_unreadable),
    Hostile("carbon-empty", _edit(CONF, lambda raw: b""), ConfigError, (f"{CONF}:1:1", "empty")),
    Hostile("carbon-malformed", _edit(CONF, lambda raw: raw.replace(b"</Ports>", b"</Port>")), ConfigError,
            (f"{CONF}:", "malformed XML")),
    Hostile("carbon-nul-bytes", _edit(CONF, lambda raw: raw.replace(b"<Name>", b"<Name>\x00")), ConfigError,
            (CONF, "NUL")),
    Hostile("carbon-xxe", _edit(CONF, lambda raw: with_doctype(
        raw.replace(b"<Version>6.4.0<", b"<Version>&x;<"),
        b'<!DOCTYPE Server [<!ENTITY x SYSTEM "file:///etc/hostname">]>')), ConfigError, (CONF, "DOCTYPE")),
    Hostile("no-server-key", _edit(CONF, lambda raw: raw.replace(b"<ServerKey>EI</ServerKey>", b"")), HomeError,
            (CONF, "no <ServerKey>")),
    Hostile("two-versions", _edit(CONF, lambda raw: raw.replace(b"<Version>6.4.0</Version>",
                                                                  b"<Version>6.4.0</Version><Version>6.6.0</Version>")),
            HomeError, (f"{CONF}:24", "several <Version>")),
    Hostile("server-key-not-a-key", _edit(CONF, lambda raw: raw.replace(b"<ServerKey>EI<", b"<ServerKey>E\nI; rm<")),
            HomeError, (f"{CONF}:19", "is not a product key")),
    Hostile("version-unfiltered", _edit(CONF, lambda raw: raw.replace(b"<Version>6.4.0<",
                                                                      b"<Version>${product.version}<")),
            HomeError, (f"{CONF}:24", "'${product.version}' is not a version number")),
    Hostile("server-key-in-other-namespace", _edit(CONF, lambda raw: raw.replace(
        b"<ServerKey>EI</ServerKey>", b'<k:ServerKey xmlns:k="urn:x">EI</k:ServerKey>')), HomeError,
        ("no <ServerKey>",)),
    Hostile("both-layouts", _both_layouts, HomeError, ("both conf/carbon.xml", "repository/conf/carbon.xml")),
    Hostile("broker-folder-as-home", _broker_as_home, HomeError,
            ("ServerKey MB", "keeps its config in repository/conf/", "an EI profile folder such as wso2/broker")),
    Hostile("ei-in-repository-conf", _ei_in_classic_place, HomeError,
            ("ServerKey EI", "keeps its config in conf/", "not an EI home")),
    Hostile("unknown-profile", _ident, HomeError, ("has no 'analytics' profile here", "integrator, broker, "
                                                   "business-process"), profile="analytics"),
    Hostile("profile-path-escape", _ident, HomeError, ("has no '../../repository' profile",),
            profile="../../repository"),
    Hostile("profile-on-single-profile-product", lambda h: FIXTURES / "mb-home", HomeError,
            ("WSO2 Message Broker 3.2.0 has no profiles to choose from", "leave the node's profile unset"),
            profile="broker"),
    Hostile("profile-server-key-wrong", _edit(BROKER, lambda raw: raw.replace(b"<ServerKey>MB<", b"<ServerKey>AM<")),
            HomeError, (BROKER, "says ServerKey AM", "the broker profile of WSO2 Enterprise Integrator ships MB"),
            profile="broker"),
    Hostile("profile-carbon-symlink-loop", _profile_carbon_loop, ConfigError, (BROKER,), profile="broker"),
    Hostile("profile-carbon-malformed", _edit(BROKER, lambda raw: raw[:200]), ConfigError,
            (f"{BROKER}:", "malformed XML"), profile="broker"),
    # loud, never a silent 'no such profile': a link that loops is a file meant to be there
    Hostile("profile-folder-symlink-loop", _profile_dir_loop, HomeError,
            ("wso2/loop-a/conf/carbon.xml", "Too many levels of symbolic links")),
    Hostile("wso2-folder-symlink-loop", _wso2_loop, HomeError, ("wso2: cannot list wso2/", "Too many levels")),
    Hostile("wso2-too-many-entries", _many_wso2_entries, HomeError, ("wso2", "more than 1000 entries")),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in HOSTILE])
def test_hostile_home(case: Hostile, tmp_path: Path) -> None:
    home = case.setup(copy_tree(EI_HOME, tmp_path / "ei"))
    before = state(tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        if case.during is not None:
            case.during(home, mp)
        with pytest.raises(Wso2PatchError) as e:
            detect(home, case.profile)
    assert state(tmp_path) == before
    assert type(e.value) is case.error, f"{type(e.value).__name__}: {e.value}"
    one_line(e.value, *case.says)


def test_read_server_of_stock_like_file() -> None:
    server = read_server(EI_HOME / "wso2/broker/conf/carbon.xml")
    assert (server.key, server.name, server.version) == ("MB", "WSO2 Message Broker", "3.2.0")


# --- versions and targets ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "cmp"), [
    ("3.2.0", "3.2", 0), ("3", "3.0.0", 0), ("4.4.16", "4.4.9", 1), ("4.4.16", "4.5", -1), ("6.6.0", "6.10.0", -1),
    ("5.0.0-SNAPSHOT", "5.0.0", 0), ("3.0.1", "3.0", 1), ("4.4.0.wso2v1", "4.4", 0), ("6.5.0-rc1", "6.5", 0),
])
def test_version_compare(a: str, b: str, cmp: int) -> None:
    assert versions.compare(a, b) == cmp
    assert versions.compare(b, a) == -cmp


@pytest.mark.parametrize(("version", "spec", "ok"), [
    ("3.2.0", ">=3.0", True), ("2.5.0", ">=3.0", False), ("3.2.0", ">=2.5,<3.3", True), ("3.3.0", ">=2.5,<3.3", False),
    ("4.4.16", ">=4.4,<4.5", True), ("4.5.0", ">=4.4,<4.5", False), ("6.6.0", "6.6", True), ("6.6.0", "!=6.6.0", False),
    ("6.4.0", " >= 6.1 , < 6.6 ", True), ("6.1.1", ">6.1", True), ("6.1.0", ">6.1", False), ("6.0", "<=6.0.0", True),
])
def test_version_ranges(version: str, spec: str, ok: bool) -> None:
    assert versions.satisfies(version, spec) is ok


@pytest.mark.parametrize("bad", ["", ">=", "=>3.0", ">=3.0,", "~3.0", ">=three", "3.0 4.0", ">=3.0;<4"])
def test_bad_version_ranges(bad: str) -> None:
    with pytest.raises(ValueError) as e:
        versions.check_range(bad)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("bad", ["", "${product.version}", "v3.2", "3..2", "3.2.", "1" * 12])
def test_bad_versions(bad: str) -> None:
    with pytest.raises(ValueError):
        versions.parse(bad)


def _product(home: Path, profile: str | None = None) -> Product:
    return detect(home, profile)


def test_targets_and_versions() -> None:
    mb, ei, broker = _product(FIXTURES / "mb-home"), _product(EI_HOME), _product(EI_HOME, "broker")
    old_mb = _product(FIXTURES / "mb-old-home")
    assert (mb.target, ei.target, broker.target) == ("mb", "ei", "ei:broker")
    targets = ["mb", "ei:broker"]
    assert applies(mb, targets, ">=3.0") and applies(broker, targets, ">=3.0") and not applies(ei, targets)
    assert not applies(old_mb, targets, ">=3.0") and applies(old_mb, targets)
    assert applies(ei, ["ei"]) and not applies(broker, ["ei"])  # a bare key is the main profile only
    assert applies(ei, ["ei:integrator"]) and not applies(ei, ["esb", "mb"])
    assert not applies(broker, ["ei:broker"], "<6.4") and applies(broker, ["ei:broker"], ">=6.1,<6.6")
    assert broker.label == "WSO2 Enterprise Integrator 6.4.0 (broker profile)" and mb.label == \
        "WSO2 Message Broker 3.2.0"


def test_check_targets() -> None:
    check_targets(["mb", "ei:broker", "ei:integrator", "esb", "carbon", "is", "am"])
    assert parse_target("ei:business-process") == ("ei", "business-process") and parse_target("mb") == ("mb", None)
    for bad, says in [([], "no products"), (["xx"], "unknown product 'xx'"), (["mb:broker"], "no profile 'broker'"),
                      (["ei:"], "bad product"), (["EI"], "bad product"), (["ei:broker:x"], "bad product")]:
        with pytest.raises(ValueError) as e:
            check_targets(bad)
        assert says in str(e.value), (bad, str(e.value))


def test_by_key_names_every_product() -> None:
    assert set(BY_KEY) == {"mb", "carbon", "ei", "esb", "is", "am"}


def test_wso2_as_a_file_holds_no_profiles(tmp_path: Path) -> None:
    home = copy_tree(EI_HOME, tmp_path / "ei")
    (home / "wso2").rename(tmp_path / "elsewhere")
    (home / "wso2").write_bytes(b"not a folder\n")
    assert detect(home).profiles == ("integrator",)
    (home / "wso2").unlink()
    (home / "wso2").mkdir()
    (home / "wso2/components").mkdir()  # the stock wso2/ also holds components/, lib/, tmp/: no carbon.xml, no profile
    assert detect(home).profiles == ("integrator",)


def test_a_hand_edited_server_key_is_no_known_product(tmp_path: Path) -> None:
    """ServerKey is case-sensitive: 'mb' is not MB, and no patch for "mb" may apply to it."""
    product = detect(product_home(tmp_path, "mb", "WSO2 Message Broker", "3.2.0"))
    assert (product.key, product.supported) == ("unknown", False)
    assert not applies(product, ["mb", "ei:broker", "esb"])
