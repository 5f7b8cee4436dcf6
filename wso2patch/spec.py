"""Load the cluster spec (wso2patch.toml): read it, parse its TOML and check it table by table (spec_check, spec_nodes
and the other spec_* modules) into a Spec (spec_model), whose nodes' values the patch templates use."""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any

from wso2patch import digest, spec_cluster, spec_db, spec_nodes, spec_site, spec_vault
from wso2patch.errors import SpecError
from wso2patch.spec_check import _Checker
from wso2patch.spec_db import DEFAULT_NAMES as DEFAULT_NAMES
from wso2patch.spec_db import Database as Database
from wso2patch.spec_model import Node as Node
from wso2patch.spec_model import Spec as Spec
from wso2patch.spec_nodes import MAX_OFFSET as MAX_OFFSET

TOP = {"cluster": dict, "database": dict, "registry": dict, "node": list, "patches": dict, "vault": dict}


def find_spec(given: Path | None) -> Path:
    if given is not None:
        return given
    env = os.environ.get("WSO2PATCH_SPEC")
    return Path(env) if env else Path("wso2patch.toml")


def load_spec(path: Path) -> Spec:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError("cluster spec not found", where=path,
                        hint="pass --spec FILE, set WSO2PATCH_SPEC, or run 'wso2patch init' to write one") from None
    except OSError as e:
        raise SpecError(f"cannot read the cluster spec: {e.strerror}", where=path) from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark, as Windows editors write one, is no content
    except UnicodeDecodeError as e:  # replacing the bytes would put U+FFFD into a password or a host
        line = raw[: e.start].count(b"\n") + 1
        raise SpecError("invalid TOML: bytes that are not UTF-8", where=f"{path}:{line}",
                        hint="save the spec as UTF-8 and rerun") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"invalid TOML: {e}", where=path, hint="fix the syntax and rerun") from None
    return _build(path, digest.sha256(raw), text, data)


def _build(path: Path, digest: str, text: str, data: dict[str, Any]) -> Spec:
    c = _Checker(path, text)
    for key, value in data.items():
        if key not in TOP:
            close = difflib.get_close_matches(key, TOP, n=1)
            raise c.fail(f"unknown table [{key}]", key, hint=f"did you mean [{close[0]}]?" if close else
                         "known tables: [cluster], [database], [registry], [[node]], [patches], [vault]")
        if not isinstance(value, TOP[key]):
            raise c.fail(f"{key} must be {'[[node]] tables' if key == 'node' else f'a [{key}] table'}", key)
    raw_cluster = c.table(data.get("cluster", {}), "cluster")
    cluster = spec_cluster.load(c, raw_cluster)
    if "database" not in data:
        raise SpecError("the spec has no [database] table", where=path,
                        hint="add [database] with host, username and password (see 'wso2patch init')")
    db = spec_db.load(c, data["database"])
    registry = spec_cluster.load_registry(c, data.get("registry", {}))
    raw_nodes = data.get("node", [])
    if not raw_nodes:
        raise SpecError("the spec has no [[node]] tables", where=path, hint="add one [[node]] per cluster member")
    nodes = [spec_nodes.load(c, path, raw, i) for i, raw in enumerate(raw_nodes)]
    spec_db.check_names(c, db, [n.id for n in nodes])
    spec_nodes.check(c, nodes)
    return Spec(path=path, sha256=digest, domain=data.get("cluster", {}).get("domain"),
                nodes=tuple(sorted(nodes, key=lambda n: n.id)), db=db, cluster=cluster, registry=registry,
                hazelcast=spec_site.load_hazelcast(c, raw_cluster),
                site=spec_site.load_patches_table(c, path, data.get("patches", {})),
                vault=spec_vault.load(c, data.get("vault", {})))

