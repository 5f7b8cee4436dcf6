"""[cluster] beyond the domain (load balancer host names and proxy ports, the membership scheme and its table)
and [registry] (where the shared registry's mounts point): checked like the rest of the spec, through spec.py's
checker, so errors carry the line and a did-you-mean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wso2patch import hosts

if TYPE_CHECKING:
    from wso2patch.spec_check import _Checker
    from wso2patch.spec_model import Node

Schema = dict[str, tuple[type | tuple[type, ...], bool]]
MEMBERSHIPS = ("wka", "kubernetes", "aws")
KUBERNETES_CLASS = "org.wso2.carbon.membership.scheme.kubernetes.KubernetesMembershipScheme"
# The jar that holds KUBERNETES_CLASS, as WSO2 ships it (repository/components/dropins or lib).
KUBERNETES_JAR = "kubernetes-membership-scheme-*.jar"
CLUSTER_KEYS: Schema = {"hostname": (str, False), "mgt_hostname": (str, False), "membership": (str, False),
                        "proxy_ports": (dict, False), "kubernetes": (dict, False), "aws": (dict, False)}
SCHEMA: dict[str, Schema] = {
    "cluster.proxy_ports": {"http": (int, False), "https": (int, False)},
    "cluster.kubernetes": {"namespace": (str, True), "services": ((str, list), True), "master": (str, False),
                           "skip_ssl_verification": (bool, False), "use_dns": (bool, False)},
    "cluster.aws": {"access_key": (str, True), "secret_key": (str, False), "secret_key_env": (str, False),
                    "security_group": (str, False), "region": (str, False), "tag_key": (str, False),
                    "tag_value": (str, False)},
    "registry": {"config_path": (str, False), "governance_path": (str, False)},
}
DEFAULT_PATHS = {"config_path": "/_system/config", "governance_path": "/_system/governance"}
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")  # a Kubernetes namespace or service (RFC 1123)
_MASTER = re.compile(r"https?://[^\s/?#]+(/\S*)?\Z")
_ACCESS_KEY = re.compile(r"[A-Z0-9]{16,128}\Z")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}\Z")
_REGISTRY_PATH = re.compile(r"(/[A-Za-z0-9_.-]+)+\Z")


STANDARD_PORTS = (("http", 80), ("https", 443))


@dataclass(frozen=True)
class Cluster:
    hostname: str | None = None  # the load balancer's host name: carbon.xml HostName
    mgt_hostname: str | None = None  # MgtHostName (default: hostname)
    membership: str = "wka"
    proxy_ports: Mapping[str, int] = field(default_factory=dict)  # http, https: the connectors' proxyPort
    kubernetes: Mapping[str, str] = field(default_factory=dict)  # as written into axis2.xml
    aws: Mapping[str, str] = field(default_factory=dict)

    def values(self, node: Node) -> dict[str, str]:
        host = hosts.url_host(self.hostname) if self.hostname else node.url_host
        mgt = hosts.url_host(self.mgt_hostname) if self.mgt_hostname else host
        v = {"node.hostname": host, "node.mgt_hostname": mgt, "cluster.membership": self.membership}
        v.update({f"cluster.proxy_ports.{k}": str(p) for k, p in self.proxy_ports.items()})
        if self.hostname:  # the load balancer's URLs: its ports are the proxy ports when set, else the standard ones
            v["cluster.hostname"] = host
            v.update({f"cluster.url.{s}": f"{s}://{host}:{self.proxy_ports.get(s, d)}" for s, d in STANDARD_PORTS})
        v.update({f"cluster.kubernetes.{k}": s for k, s in self.kubernetes.items()})
        v.update({f"cluster.aws.{k}": s for k, s in self.aws.items()})
        return v


@dataclass(frozen=True)
class Registry:
    config_path: str = DEFAULT_PATHS["config_path"]
    governance_path: str = DEFAULT_PATHS["governance_path"]
    config_default: bool = True  # config_path not set in the spec: the product's own default applies at plan time

    def values(self) -> dict[str, str]:
        return {"registry.config_path": self.config_path, "registry.governance_path": self.governance_path}


DEFAULT_CLUSTER, DEFAULT_REGISTRY = Cluster(), Registry()  # a spec without the new keys


def load(c: _Checker, raw: dict[str, Any]) -> Cluster:
    """The [cluster] table, already checked against CLUSTER_KEYS by the caller."""
    names = {k: _host_name(c, raw[k], k) for k in ("hostname", "mgt_hostname") if k in raw}
    membership = raw.get("membership", "wka")
    if membership not in MEMBERSHIPS:
        raise c.fail(f"membership {membership!r} is not one of {', '.join(MEMBERSHIPS)}", "cluster", None,
                     "membership", hint="wka lists the nodes as well-known members; kubernetes and aws discover them")
    for scheme in MEMBERSHIPS[1:]:
        if scheme in raw and membership != scheme:
            raise c.fail(f"[cluster.{scheme}] is given, but membership is {membership!r}", f"cluster.{scheme}",
                         hint=f"set membership = \"{scheme}\" in [cluster], or remove [cluster.{scheme}]")
        if scheme not in raw and membership == scheme:
            raise c.fail(f"membership = \"{scheme}\" needs a [cluster.{scheme}] table", "cluster", None,
                         "membership", hint=f"add [cluster.{scheme}] (see 'wso2patch init')")
    ports = c.table(raw.get("proxy_ports", {}), "cluster.proxy_ports")
    for key, port in ports.items():
        if not 1 <= port <= 65535:
            raise c.fail(f"proxy port {port} is out of range 1..65535", "cluster.proxy_ports", None, key)
    return Cluster(hostname=names.get("hostname"), mgt_hostname=names.get("mgt_hostname"), membership=membership,
                   proxy_ports=ports,
                   kubernetes=_kubernetes(c, raw["kubernetes"]) if membership == "kubernetes" else {},
                   aws=_aws(c, raw["aws"]) if membership == "aws" else {})


def load_registry(c: _Checker, raw: Any) -> Registry:
    d = c.table(raw, "registry")
    paths = dict(DEFAULT_PATHS)
    for key, path in d.items():
        if not _REGISTRY_PATH.match(path) or any(part in (".", "..") for part in path.split("/")):
            raise c.fail(f"registry {key} {path!r} is not a registry path", "registry", None, key,
                         hint="write an absolute path such as \"/_system/config/mb\" (letters, digits, '_', '.', "
                              "'-' between single '/', no trailing '/')")
        paths[key] = path
    conf, gov = paths["config_path"], paths["governance_path"]
    if conf == gov or gov.startswith(conf + "/") or conf.startswith(gov + "/"):
        raise c.fail(f"config_path {conf!r} and governance_path {gov!r} overlap: the two mounts would write into "
                     "each other", "registry", None, "governance_path" if "governance_path" in d else "config_path",
                     hint="give each its own path, e.g. /_system/config/mb and /_system/governance/mb")
    return Registry(config_path=conf, governance_path=gov, config_default="config_path" not in d)


def _host_name(c: _Checker, name: str, key: str) -> str:
    if split := hosts.with_port(name):
        raise c.fail(f"cluster {key} {name!r} includes a port", "cluster", None, key,
                     hint=f"use {key} = \"{split[0]}\" and set the port in [cluster.proxy_ports]")
    if why := hosts.problem(name):
        raise c.fail(f"cluster {key} {name!r} is not a host name or IP address: {why}", "cluster", None, key,
                     hint="write the load balancer's DNS name (or address)")
    return name


def _kubernetes(c: _Checker, raw: Any) -> dict[str, str]:
    t = "cluster.kubernetes"
    d = c.table(raw, t)
    if not _LABEL.match(d["namespace"]):
        raise c.fail(f"namespace {d['namespace']!r} is not a Kubernetes namespace name", t, None, "namespace",
                     hint="lower-case letters, digits and '-', at most 63 characters")
    services = d["services"] if isinstance(d["services"], list) else d["services"].split(",")
    if not services:
        raise c.fail("services is empty", t, None, "services", hint="name the service(s) the nodes belong to")
    for s in services:
        if not isinstance(s, str) or not _LABEL.match(s.strip()):
            raise c.fail(f"services holds {s!r}, which is not a Kubernetes service name", t, None, "services",
                         hint="services = [\"wso2mb\"] (lower-case letters, digits and '-')")
    v = {"namespace": d["namespace"], "services": ",".join(s.strip() for s in services)}
    if "master" in d:
        if not _MASTER.match(d["master"]):
            raise c.fail(f"master {d['master']!r} is not an http(s) URL", t, None, "master",
                         hint="the Kubernetes API server, e.g. master = \"https://kubernetes.default:443\"")
        v["master"] = d["master"]
    v.update({k: "true" if d[k] else "false" for k in ("skip_ssl_verification", "use_dns") if k in d})
    return v


def _aws(c: _Checker, raw: Any) -> dict[str, str]:
    t = "cluster.aws"
    d = c.table(raw, t)
    if not _ACCESS_KEY.match(d["access_key"]):
        raise c.fail("access_key is not an AWS access key ID", t, None, "access_key",
                     hint="an access key ID is 16 or more upper-case letters and digits (AKIA...)")
    if ("secret_key" in d) == ("secret_key_env" in d):
        raise c.fail("[cluster.aws] needs exactly one of secret_key and secret_key_env", t,
                     hint="prefer secret_key_env = \"VARIABLE\", which keeps the key out of the spec")
    secret = d["secret_key"] if "secret_key" in d else c.env_secret(d["secret_key_env"], t, "secret_key_env")
    if not secret:
        raise c.fail("the AWS secret key is empty", t, None, "secret_key" if "secret_key" in d else "secret_key_env")
    if "region" in d and not _REGION.match(d["region"]):
        raise c.fail(f"region {d['region']!r} is not an AWS region", t, None, "region",
                     hint="e.g. region = \"us-east-1\"")
    if ("tag_key" in d) != ("tag_value" in d):
        raise c.fail("tag_key and tag_value go together", t, None, "tag_key" if "tag_key" in d else "tag_value",
                     hint="nodes are found by the EC2 tag key=value: set both, or neither")
    v = {"access_key": d["access_key"], "secret_key": secret}
    v.update({k: d[k] for k in ("security_group", "region", "tag_key", "tag_value") if k in d})
    return v
