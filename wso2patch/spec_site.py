"""[cluster.hazelcast] (Hazelcast properties for hazelcast.properties) and [patches] (the site's own patch files,
built-in patches switched off): checked through spec.py's checker, so errors carry the line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wso2patch.spec_check import _Checker

Schema = dict[str, tuple[type | tuple[type, ...], bool]]
CLUSTER_KEYS: Schema = {"hazelcast": (dict, False)}
SCHEMA: dict[str, Schema] = {"patches": {"extra": (list, False), "disable": (list, False)}}
_PROPERTY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


@dataclass(frozen=True)
class SitePatches:
    """[patches]: the site's own patch files (globs relative to the spec's folder) and built-in patches switched
    off; `where_*` locate them in the spec, for the errors found when the patch set is loaded."""

    extra: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    base: Path = Path(".")
    where_extra: str = ""  # the spec and the line of `extra`
    where_disable: str = ""


NO_SITE_PATCHES = SitePatches()


def rows(hazelcast: Mapping[str, str] | None) -> dict[str, list[dict[str, str]]]:
    """The spec tables a patch may repeat an op over (variables.TABLES); a table the spec lacks is absent."""
    if hazelcast is None:
        return {}
    return {"cluster.hazelcast": [{"item.key": k, "item.value": v} for k, v in hazelcast.items()]}


def _flat(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """An unquoted dotted key (hazelcast.logging.type = "log4j") is nested tables in TOML: join it back."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        out.update(_flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


def load_hazelcast(c: _Checker, cluster: dict[str, Any]) -> dict[str, str] | None:
    """Hazelcast property names and their values as Java's Properties holds them (true/false, decimal); None when
    the spec has no [cluster.hazelcast] (the hazelcast-properties patch then does nothing)."""
    from wso2patch.spec_check import unsafe

    if "hazelcast" not in cluster:
        return None
    out = {}
    for key, value in _flat(cluster["hazelcast"]).items():
        if not _PROPERTY.match(key):
            raise c.fail(f"[cluster.hazelcast] key {key!r} is not a Hazelcast property name", "cluster.hazelcast",
                         None, key, hint="use the property's name, letters, digits, '.', '_' and '-' (quoted when "
                                         'dotted: "hazelcast.max.no.heartbeat.seconds" = 600)')
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, int):
            out[key] = str(value)
        elif isinstance(value, str):
            if bad := unsafe(value):
                raise c.fail(f"[cluster.hazelcast] {key} contains {bad}", "cluster.hazelcast", None, key,
                             hint="a Hazelcast property value is one line of text: remove it")
            out[key] = value
        else:
            raise c.fail(f"[cluster.hazelcast] {key} must be a string, an integer or a boolean, not "
                         f"{type(value).__name__}", "cluster.hazelcast", None, key,
                         hint="write a number as Hazelcast reads it, e.g. 600 or \"0.5\"")
    return out


def load_patches_table(c: _Checker, path: Path, data: Any) -> SitePatches:
    table = c.table(data, "patches")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("extra", "disable"):
        items = table.get(key, [])
        for item in items:
            if not isinstance(item, str) or not item:
                what = "a patch file pattern" if key == "extra" else "a built-in patch name"
                raise c.fail(f"[patches] {key} must list strings, each {what}; {item!r} is not one", "patches",
                             None, key, hint='e.g. extra = ["site/*.toml"], disable = ["thrift-host"]')
        lists[key] = tuple(items)
    from wso2patch.spec_check import _line_of

    where = {}
    for key in ("extra", "disable"):
        line = _line_of(c.text, "patches", None, key) or _line_of(c.text, "patches", None, None)
        where[key] = f"{path}:{line}" if line else str(path)
    return SitePatches(extra=lists["extra"], disable=lists["disable"], base=path.parent, where_extra=where["extra"],
                       where_disable=where["disable"])
