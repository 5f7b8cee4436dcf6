"""Tell which product, version and profile a home holds, from the ServerKey and Version in its carbon.xml.

The home and every file in it are untrusted: links may loop, carbon.xml may be huge or malformed. Each
problem is one HomeError or ConfigError line; nothing here writes. `detect` tells what the home is, even an
unsupported product (its `supported` says so); `detect_supported` refuses what wso2patch cannot patch.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from wso2patch.errors import HomeError, Wso2PatchError
from wso2patch.plan import check_home_dir, parse_config
from wso2patch.products import (
    BY_SERVER_KEY,
    CLASSIC_CONF,
    EI_CONF,
    PROFILE_NAME,
    Product,
    ProductDef,
    ProfileDef,
    supported_products,
)
from wso2patch.versions import parse, satisfies
from wso2patch.xmlio import Doc

CARBON = "carbon.xml"
DEPLOYMENT = "deployment.toml"
MAX_WSO2_ENTRIES = 1000  # a stock EI wso2/ folder holds about 8; more means this is no EI home
UNKNOWN = "unknown"  # the key of every product missing from the table
_SERVER_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


@dataclass(frozen=True)
class Server:
    """What one carbon.xml says."""

    key: str
    name: str
    version: str


def _present(path: Path) -> bool:
    """Whether path is there. A link that dangles or loops counts as there (reading it then fails loudly);
    anything else that stops us from looking is an error, never a silent 'absent'."""
    try:
        os.lstat(path)
        return True
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            return False
        raise HomeError(f"cannot inspect {path.name}: {e.strerror}", where=path,
                        hint="check the path and its permissions") from None


def _text(doc: Doc, path: Path, tag: str) -> tuple[str, int]:
    found = doc.xpath(f"/Server/{tag}")
    if len(found) != 1:
        line = f":{doc.line_of(found[1])}" if found else ""
        what = "several" if found else "no"
        raise HomeError(f"{what} <{tag}> under <Server>: cannot tell which product this is", where=f"{path}{line}",
                        hint="restore carbon.xml from the product distribution")
    return " ".join(str(found[0].xpath("string()")).split()), doc.line_of(found[0])


def read_server(path: Path) -> Server:
    """ServerKey, Name and Version of one carbon.xml (its default namespace is stripped by Doc)."""
    doc = parse_config(path)
    key, line = _text(doc, path, "ServerKey")
    if not _SERVER_KEY.fullmatch(key):
        raise HomeError(f"<ServerKey> {key[:40]!r} is not a product key", where=f"{path}:{line}",
                        hint="restore carbon.xml from the product distribution")
    version, line = _text(doc, path, "Version")
    try:
        parse(version)
    except ValueError as e:
        raise HomeError(f"<Version>: {e}", where=f"{path}:{line}",
                        hint="restore carbon.xml from the product distribution") from None
    names = doc.xpath("/Server/Name")
    name = " ".join(str(names[0].xpath("string()")).split())[:80] if len(names) == 1 else ""
    return Server(key, name or f"WSO2 {key}", version)


def _refuse_45(home: Path, conf: str) -> None:
    """Carbon >= 4.5 products regenerate their XML from deployment.toml at every start-up: patched XML would be
    silently overwritten, so such homes are refused before anything is read."""
    toml = home / conf / DEPLOYMENT
    if not _present(toml):
        return
    try:
        server = read_server(home / conf / CARBON)
        found = f"{server.name} {server.version}: "
    except Wso2PatchError:  # only for the message: the refusal stands either way
        found = ""
    raise HomeError(f"{found}a Carbon 4.5+ home ({conf}/{DEPLOYMENT} is present): it rebuilds its XML config "
                    f"from {DEPLOYMENT} at every start-up, so patched XML would be silently overwritten",
                    where=home, hint=f"configure it through {DEPLOYMENT}; wso2patch supports {supported_products()}")


def _main_conf(home: Path) -> str:
    classic, ei = _present(home / CLASSIC_CONF / CARBON), _present(home / EI_CONF / CARBON)
    if classic and ei:
        raise HomeError(f"both {EI_CONF}/{CARBON} (Enterprise Integrator) and {CLASSIC_CONF}/{CARBON} (other "
                        "products) exist: cannot tell which product this is", where=home,
                        hint="remove the stray copy, or point --home at the right folder")
    if not (classic or ei):
        raise HomeError(f"not a WSO2 Carbon product home: neither {CLASSIC_CONF}/{CARBON} (MB, ESB, Carbon) nor "
                        f"{EI_CONF}/{CARBON} (Enterprise Integrator) is there", where=home,
                        hint="point --home at the unpacked product folder (the one holding bin/)")
    return EI_CONF if ei else CLASSIC_CONF


def home_profiles(home: Path, product: ProductDef) -> tuple[str, ...]:
    """Every profile the home has: the main one, then each wso2/<name>/conf/carbon.xml (table order first)."""
    names = [product.main.name]
    found: set[str] = set()
    if product.more_profiles and _present(home / "wso2"):
        try:
            with os.scandir(home / "wso2") as it:
                entries = list(itertools.islice(it, MAX_WSO2_ENTRIES + 1))
        except NotADirectoryError:
            entries = []
        except OSError as e:  # a loop, a dangling link, no permission: never a silent "no profiles"
            raise HomeError(f"cannot list wso2/: {e.strerror}", where=home / "wso2",
                            hint="check the folder and its permissions") from None
        if len(entries) > MAX_WSO2_ENTRIES:
            raise HomeError(f"wso2/ holds more than {MAX_WSO2_ENTRIES} entries, far beyond an EI home",
                            where=home / "wso2", hint="point --home at the unpacked product folder")
        names_here = sorted(e.name for e in entries if PROFILE_NAME.match(e.name))  # sorted: the same first error
        found = {n for n in names_here if _present(home / "wso2" / n / "conf" / CARBON)}
    known = [p.name for p in product.profiles[1:] if p.name in found]
    return (*names, *known, *sorted(found - set(known) - set(names)))


def _unknown(server: Server, conf: str) -> ProductDef:
    """A product missing from the table: described from its own carbon.xml, never supported. Its key is never a
    table key (a hand-edited ServerKey 'mb' must not pass for MB), so no patch ever targets it."""
    return ProductDef(UNKNOWN, server.key, server.name, None, "", (),
                      (ProfileDef("default", conf, server.key, False),))


def detect(home: Path, profile: str | None = None) -> Product:
    """What the home holds, for the profile a node runs (None: the product's main profile)."""
    check_home_dir(home)
    conf = _main_conf(home)
    _refuse_45(home, conf)
    path = home / conf / CARBON
    server = read_server(path)
    product = BY_SERVER_KEY.get(server.key) or _unknown(server, conf)
    if product.main.conf != conf:
        where = "an EI profile folder such as wso2/broker" if conf == EI_CONF else "not an EI home"
        raise HomeError(f"{conf}/{CARBON} names {server.name} {server.version} (ServerKey {server.key}), which keeps "
                        f"its config in {product.main.conf}/: this looks like {where}", where=home,
                        hint="point --home at the product home (the folder holding bin/); an EI profile is chosen "
                             "with the node's profile")
    profiles = home_profiles(home, product)
    chosen = profile or product.main.name
    if chosen not in profiles:
        if len(product.profiles) == 1:
            raise HomeError(f"{server.name} {server.version} has no profiles to choose from, but profile "
                            f"{chosen[:40]!r} was asked for", where=home, hint="leave the node's profile unset")
        raise HomeError(f"{server.name} {server.version} has no {chosen[:40]!r} profile here (this home has: "
                        f"{', '.join(profiles)})", where=home, hint="set the node's profile to one of these")
    spec = product.profile(chosen)
    own, conf_of = server, conf
    if chosen != product.main.name:
        conf_of = spec.conf if spec else f"wso2/{chosen}/conf"
        _refuse_45(home, conf_of)
        own = read_server(home / conf_of / CARBON)
        if spec and own.key != spec.server_key:
            raise HomeError(f"{conf_of}/{CARBON} says ServerKey {own.key}, but the {chosen} profile of {server.name} "
                            f"ships {spec.server_key}", where=home / conf_of / CARBON,
                            hint="restore the profile's carbon.xml from the product distribution")
    ok = (product.supported is not None and satisfies(server.version, product.supported)
          and spec is not None and spec.supported)
    return Product(key=product.key, name=server.name if product.supported is None else product.name,
                   version=server.version, profile=chosen, conf=conf_of, supported=ok,
                   kernel=product.kernel(server.version), profiles=profiles, server_key=own.key,
                   server_version=own.version)


def refuse_unsupported(product: Product, home: Path) -> None:
    """A one-line HomeError naming what was found and what wso2patch supports, unless product is supported."""
    if product.supported:
        return
    what = product.label if product.profile == product.profiles[0] else \
        f"the {product.profile} profile of {product.name} {product.version}"
    raise HomeError(f"{what} (ServerKey {product.server_key}) is not supported: wso2patch supports "
                    f"{supported_products()}", where=home, hint="point --home at a supported product home"
                    if product.profile == product.profiles[0] else "choose a supported profile for the node")


def detect_supported(home: Path, profile: str | None = None) -> Product:
    product = detect(home, profile)
    refuse_unsupported(product, home)
    return product
