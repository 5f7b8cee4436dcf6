"""Which secrets the vault encrypts on a node: patches/vault/secrets.toml, checked at load, evaluated per node.

The table is data, like the patches: the engine learns from it each secret's alias, the variable holding its
password, when it exists and where cipher-tool.properties should say it is.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wso2patch import variables
from wso2patch.errors import PatchError
from wso2patch.patchcheck_exprs import template
from wso2patch.patchcheck_fields import Locator, condition
from wso2patch.patchset import skip_reason
from wso2patch.patchset_load import default_dir

_KEYS = {"name", "alias", "password", "when", "unless", "requires", "file", "xpath"}
_REQUIRED = {"name", "alias", "password", "file", "xpath"}


@dataclass(frozen=True)
class Secret:
    name: str  # {vault.alias.<name>}
    alias: str
    password: str  # the variable holding it
    target: str  # cipher-tool.properties' value: <conf>/<file>//<xpath>,false


@dataclass(frozen=True)
class _Row:
    name: str
    alias: str
    password: str
    when: str | None
    unless: str | None
    requires: str | None
    target: str


def table_path() -> Path:
    return default_dir() / "vault" / "secrets.toml"


@functools.cache
def _table(path: Path) -> tuple[_Row, ...]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise PatchError(f"cannot read the vault's secret table: {e}", where=path,
                         hint="reinstall wso2patch; the table ships inside the package") from None
    loc = Locator(path, text)
    rows = []
    for n, raw in enumerate(data.get("secret", []), 1):
        if not isinstance(raw, dict) or set(raw) - _KEYS or _REQUIRED - set(raw) or \
                not all(isinstance(v, str) for v in raw.values()):
            raise loc.fail(f"[[secret]] #{n} must have {', '.join(sorted(_REQUIRED))} (strings) and may have when, "
                           "unless, requires")
        if raw["name"] not in variables.VAULT_SECRETS or raw["password"] not in variables.KNOWN:
            raise loc.fail(f"[[secret]] #{n}: name must be one of {', '.join(variables.VAULT_SECRETS)} and password "
                           "a known variable")
        for key in ("alias", "xpath"):  # checked as templates: only known variables
            template(loc, raw[key], key, n, variables.KNOWN)
        when, unless = (condition(loc, raw.get(k), k, n) for k in ("when", "unless"))
        rows.append(_Row(raw["name"], raw["alias"], raw["password"], when, unless, raw.get("requires"),
                         f"{raw['file']}//{raw['xpath']},false"))  # under the config root: active() says which
    return tuple(rows)


def active(home: Path, values: Mapping[str, str], conf: str, seen_as: str, path: Path | None = None) -> list[Secret]:
    """The secrets this node's values write into this home, aliases and targets filled in. `conf`: the config root
    from the home; `seen_as`: the same from the profile's carbon home, as cipher-tool.properties names files."""
    out = []
    for row in _table(path or table_path()):
        if row.password not in values or skip_reason(row.when, row.unless, values) is not None:
            continue
        if row.requires is not None and not (home / conf / row.requires).exists():
            continue
        alias = _fill(row.alias, values)
        out.append(Secret(row.name, alias, row.password, f"{seen_as}/{_fill(row.target, values)}"))
    return out


def _fill(text: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        text = text.replace(f"{{{name}}}", value)
    return text


def all_aliases(values: Mapping[str, str], path: Path | None = None) -> set[str]:
    """Every alias the table may give this node, whatever the spec sets: what wso2patch calls its own."""
    return {_fill(row.alias, values) for row in _table(path or table_path())}
