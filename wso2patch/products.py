"""Which WSO2 products and profiles wso2patch knows, as data, and how patches name them.

A product is recognised by the ServerKey in its carbon.xml (read by wso2patch.detect). Versions
are WSO2's release numbers; ranges use wso2patch.versions (">=2.5,<3.3"). A patch names its
targets as `products = ["mb", "ei:broker"]` (a bare key is the product's main profile) and an
optional `versions` range, checked by `applies`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wso2patch.versions import satisfies

CLASSIC_CONF = "repository/conf"  # MB, ESB, Carbon, IS, API Manager
EI_CONF = "conf"  # the EI integrator (main) profile; other EI profiles live in wso2/<profile>/conf
PROFILE_NAME = re.compile(r"[a-z][a-z0-9-]{0,39}\Z")


@dataclass(frozen=True)
class ProfileDef:
    name: str
    conf: str  # config root, relative to the home
    server_key: str  # what the profile's own carbon.xml says (EI's broker profile is an MB 3.2.0 inside)
    supported: bool
    # the shared registry's config mount targetPath when the spec sets none: a product sub-path keeps products
    # that share one registry database apart
    registry_path: str = "/_system/config"


@dataclass(frozen=True)
class ProductDef:
    key: str  # wso2patch's name, used in patch files and output
    server_key: str  # carbon.xml /Server/ServerKey
    name: str  # display name, as carbon.xml /Server/Name says it
    supported: str | None  # version range wso2patch patches; None: recognised only to refuse it clearly
    shown: str  # the supported versions as people say them ("2.5-3.2")
    kernels: tuple[tuple[str, str], ...]  # (version range, Carbon kernel generation); the first match wins
    profiles: tuple[ProfileDef, ...]  # the first is the main profile
    more_profiles: bool = False  # also look for wso2/<name>/conf/carbon.xml profiles not listed here
    lib: str = "repository/components/lib"  # where a JDBC driver jar goes (every profile of the product)

    @property
    def main(self) -> ProfileDef:
        return self.profiles[0]

    def profile(self, name: str) -> ProfileDef | None:
        return next((p for p in self.profiles if p.name == name), None)

    def kernel(self, version: str) -> str | None:
        return next((k for spec, k in self.kernels if satisfies(version, spec)), None)


def _single(server_key: str) -> tuple[ProfileDef, ...]:
    return (ProfileDef("default", CLASSIC_CONF, server_key, True),)


def _ei_profile(name: str, server_key: str, supported: bool) -> ProfileDef:
    return ProfileDef(name, f"wso2/{name}/conf", server_key, supported)


# Read from the stock trees (see the table in tests/test_products.py). Kernels: SOURCES.md of the stock trees
# (MB 2.5.0: 4.3.0; MB 3.x: 4.4.2-4.4.16; ESB 4.9.0: 4.4.1, 5.0.0: 4.4.8; EI 6.1.1: 4.4.16, 6.4.0: 4.4.36,
# 6.6.0: 4.5.3; IS 5.7.0 and AM 2.6.0: 4.4.35; AM 2.1.0: 4.4.11).
PRODUCTS: tuple[ProductDef, ...] = (
    ProductDef("mb", "MB", "WSO2 Message Broker", ">=2.5,<3.3", "2.5-3.2",
               ((">=2.5,<3.0", "4.3"), (">=3.0,<3.3", "4.4")), _single("MB")),
    ProductDef("carbon", "Carbon", "WSO2 Carbon", ">=4.4,<4.5", "4.4.x",
               ((">=4.2,<4.3", "4.2"), (">=4.3,<4.4", "4.3"), (">=4.4,<4.5", "4.4"), (">=4.5,<4.6", "4.5")),
               _single("Carbon")),
    # EI 6.6.0 runs on kernel 4.5.3 yet ships no deployment.toml: it is configured through its XML like 6.1-6.5
    ProductDef("ei", "EI", "WSO2 Enterprise Integrator", ">=6.0,<7", "6.x",
               ((">=6.0,<6.6", "4.4"), (">=6.6,<7", "4.5")),
               (ProfileDef("integrator", EI_CONF, "EI", True, "/_system/config/ei"), _ei_profile("broker", "MB", True),
                _ei_profile("business-process", "BPS", False), _ei_profile("analytics", "EI", False)),
               more_profiles=True, lib="lib"),
    ProductDef("esb", "ESB", "WSO2 Enterprise Service Bus", ">=4.9,<5.1", "4.9-5.0",
               ((">=4.8,<4.9", "4.2"), (">=4.9,<5.1", "4.4")),
               (ProfileDef("default", CLASSIC_CONF, "ESB", True, "/_system/config/esb"),)),
    # Recognised so that they are refused by name: today's patches would break them (API Manager ships a
    # broker.xml whose embedded store must stay local).
    ProductDef("is", "IS", "WSO2 Identity Server", None, "", ((">=5.1,<5.9", "4.4"),), _single("IS")),
    ProductDef("am", "AM", "WSO2 API Manager", None, "", ((">=2.0,<3.0", "4.4"),), _single("AM")),
)
BY_SERVER_KEY = {p.server_key: p for p in PRODUCTS}
BY_KEY = {p.key: p for p in PRODUCTS}
# A site patch written before products existed names a home-relative "repository/conf/..." file: it applies to the
# products whose config root that is.
LEGACY_TARGETS: tuple[str, ...] = ("mb", "carbon", "esb")


def supported_targets() -> tuple[str, ...]:
    """Every supported product and profile, as patches name them ("mb", "ei", "ei:broker", ...)."""
    return tuple(p.key if f is p.main else f"{p.key}:{f.name}" for p in PRODUCTS if p.supported is not None
                 for f in p.profiles if f.supported)


def spec_profiles() -> tuple[str, ...]:
    """The profile names a spec's [[node]] profile may give: the supported profiles of multi-profile products."""
    return tuple(dict.fromkeys(f.name for p in PRODUCTS if p.supported is not None and len(p.profiles) > 1
                               for f in p.profiles if f.supported))


def profile_of(target: str) -> tuple[ProductDef, ProfileDef]:
    """The product and profile a (checked) target names."""
    key, profile = parse_target(target)
    product = BY_KEY[key]
    found = product.profile(profile) if profile is not None else product.main
    assert found is not None, target  # check_targets ran at load
    return product, found


def conf_roots(targets: Sequence[str] | None) -> tuple[str, ...]:
    """The config roots of the supported profiles among targets (None: every supported profile), without repeats."""
    roots = [profile_of(t)[1].conf for t in (supported_targets() if targets is None else targets)
             if t in supported_targets()]
    return tuple(dict.fromkeys(roots))


def driver_dirs() -> tuple[str, ...]:
    """Every folder a driver jar may be copied to, over the supported products."""
    return tuple(dict.fromkeys(p.lib for p in PRODUCTS if p.supported is not None))


def supported_products() -> str:
    """The one-line list of what wso2patch supports, for refusals and help: built from the table."""
    parts = []
    for p in PRODUCTS:
        if p.supported is None:
            continue
        names = [f.name for f in p.profiles if f.supported]
        extra = f" ({' and '.join(names)} profiles)" if len(p.profiles) > 1 else ""
        parts.append(f"{p.server_key} {p.shown}{extra}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Product:
    """What a home holds, as detected: the product, its version, the profile a node runs, and where that
    profile's config lives."""

    key: str  # "mb", "ei", ...; "unknown" for a product missing from the table (server_key says which)
    name: str  # "WSO2 Enterprise Integrator"
    version: str  # the product's version ("6.4.0"), from the main profile's carbon.xml
    profile: str  # "default" for single-profile products; EI: "integrator", "broker", ...
    conf: str  # the profile's config root, relative to the home ("conf", "wso2/broker/conf")
    supported: bool
    kernel: str | None  # Carbon kernel generation ("4.4"); None when unknown
    profiles: tuple[str, ...]  # every profile this home has, the main one first
    server_key: str  # what the profile's own carbon.xml says: EI's broker profile says MB ...
    server_version: str  # ... 3.2.0

    @property
    def definition(self) -> ProductDef | None:
        """The table's entry (None for a product missing from the table)."""
        return BY_KEY.get(self.key)

    @property
    def registry_path(self) -> str:
        """The config mount's default targetPath for this profile."""
        d = self.definition
        f = d.profile(self.profile) if d is not None else None
        return f.registry_path if f is not None else "/_system/config"

    @property
    def lib(self) -> str:
        """Where a JDBC driver jar goes in this home."""
        d = self.definition
        return d.lib if d is not None else "repository/components/lib"

    @property
    def target(self) -> str:
        """How a patch names this product and profile: "mb", "ei:broker"."""
        return self.key if self.profile == self.profiles[0] else f"{self.key}:{self.profile}"

    @property
    def label(self) -> str:
        """For people: "WSO2 Enterprise Integrator 6.4.0 (broker profile)"."""
        text = f"{self.name} {self.version}"
        return f"{text} ({self.profile} profile)" if len(self.profiles) > 1 else text


_TARGET = re.compile(r"([a-z]+)(?::([a-z][a-z0-9-]{0,39}))?\Z")


def parse_target(target: str) -> tuple[str, str | None]:
    """"ei:broker" -> ("ei", "broker"); "mb" -> ("mb", None), None meaning the main profile."""
    m = _TARGET.match(target)
    if not m:
        raise ValueError(f"bad product {target[:40]!r} (expected a product key, optionally ':' and a profile, "
                         "e.g. \"mb\" or \"ei:broker\")")
    return m.group(1), m.group(2)


def check_targets(targets: Sequence[str]) -> None:
    """Raise ValueError (one line) unless every target names a known product and one of its profiles."""
    if not targets:
        raise ValueError("no products named (expected e.g. products = [\"mb\", \"ei:broker\"])")
    for target in targets:
        key, profile = parse_target(target)
        product = BY_KEY.get(key)
        if product is None:
            raise ValueError(f"unknown product {target[:40]!r} (known: {', '.join(BY_KEY)})")
        if profile is not None and product.profile(profile) is None:
            known = ", ".join(f"{key}:{p.name}" for p in product.profiles)
            raise ValueError(f"{product.name} has no profile {profile[:40]!r} (known: {known})")


def applies(product: Product, targets: Sequence[str], versions: str | None = None) -> bool:
    """Whether a patch for these targets (and this version range of the product) applies to product."""
    if versions is not None and not satisfies(product.version, versions):
        return False
    for target in targets:
        key, profile = parse_target(target)
        if key == product.key and (profile or product.profiles[0]) == product.profile:
            return True
    return False
