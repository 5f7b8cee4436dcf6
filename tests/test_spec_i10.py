"""The spec keys of issue 10 (load balancer, membership schemes, registry layout, an embedded local registry, more
than one database server): what each derives, and each mistake one SpecError with its line and a hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_spec import assert_at, line_no, load, spec_error, write
from wso2patch import spec, spec_check, variables
from wso2patch.spec import load_spec
from wso2patch.spec_cluster import KUBERNETES_CLASS

BASE = """\
[cluster]
domain = "wso2.mb.domain"
{cluster}
[database]
host = "db.example.com"
username = "regadmin"
password = "regadmin"
{database}
[database.names]
{names}
{tables}
[[node]]
id = 1
host = "10.0.0.1"

[[node]]
id = 2
host = "10.0.0.2"
"""
K8S = '[cluster.kubernetes]\nnamespace = "wso2"\nservices = ["mb", "mb-mgt"]\n'
AWS = '[cluster.aws]\naccess_key = "AKIAIOSFODNN7EXAMPLE"\nsecret_key = "wJalr/K7MDENG+bPxRfiCY"\n'


def text(cluster: str = "", database: str = "", names: str = "", tables: str = "") -> str:
    return BASE.format(cluster=cluster, database=database, names=names, tables=tables)


# --- what the keys derive -------------------------------------------------------------------------------------
def test_without_the_new_keys_the_values_are_todays(tmp_path: Path) -> None:
    s = load(tmp_path, text())
    v = s.values(1)
    assert (v["node.hostname"], v["node.mgt_hostname"], v["cluster.membership"]) == ("10.0.0.1", "10.0.0.1", "wka")
    assert (v["registry.config_path"], v["registry.governance_path"]) == ("/_system/config", "/_system/governance")
    assert v["db.local"] == "mysql" and "db.name.governance" not in v
    assert all(v[f"db.{w}.{k}"] == v[f"db.{w}"] for w in ("username", "password") for k in variables.DB_KINDS)
    assert not any(k.startswith(("cluster.kubernetes", "cluster.aws", "cluster.proxy_ports")) for k in v)


def test_a_load_balancer_names_carbon_xml_but_not_the_member(tmp_path: Path) -> None:
    s = load(tmp_path, text(cluster='hostname = "mb.example.com"\n',
                            tables="[cluster.proxy_ports]\nhttp = 80\nhttps = 443\n"))
    v = s.values(2)
    assert (v["node.hostname"], v["node.mgt_hostname"], v["node.host"]) == ("mb.example.com", "mb.example.com",
                                                                            "10.0.0.2")
    assert (v["cluster.proxy_ports.http"], v["cluster.proxy_ports.https"]) == ("80", "443")
    s = load(tmp_path, text(cluster='hostname = "2001:db8::10"\nmgt_hostname = "mgt.example.com"\n'))
    assert (s.values(1)["node.hostname"], s.values(1)["node.mgt_hostname"]) == ("[2001:db8::10]", "mgt.example.com")


def test_kubernetes_values(tmp_path: Path) -> None:
    s = load(tmp_path, text(cluster='membership = "kubernetes"\n', tables=K8S + 'master = "https://k8s:6443"\n'
                            "skip_ssl_verification = true\nuse_dns = false\n"))
    assert {k: v for k, v in s.values(1).items() if k.startswith("cluster.")} == {
        "cluster.domain": "wso2.mb.domain", "cluster.membership": "kubernetes",
        "cluster.kubernetes.namespace": "wso2", "cluster.kubernetes.services": "mb,mb-mgt",
        "cluster.kubernetes.master": "https://k8s:6443", "cluster.kubernetes.skip_ssl_verification": "true",
        "cluster.kubernetes.use_dns": "false"}
    assert s.cluster.membership == "kubernetes" and KUBERNETES_CLASS.endswith("KubernetesMembershipScheme")
    one = load(tmp_path, text(cluster='membership = "kubernetes"\n', tables=K8S.replace('["mb", "mb-mgt"]', '"a, b"')))
    assert one.values(1)["cluster.kubernetes.services"] == "a,b"


def test_aws_values_and_the_secret_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SK", "from/the+env")
    s = load(tmp_path, text(cluster='membership = "aws"\n', tables=AWS.replace(
        'secret_key = "wJalr/K7MDENG+bPxRfiCY"', 'secret_key_env = "AWS_SK"') +
        'security_group = "sg"\nregion = "eu-west-1"\ntag_key = "k"\ntag_value = "v"\n'))
    assert {k: v for k, v in s.values(1).items() if k.startswith("cluster.aws.")} == {
        "cluster.aws.access_key": "AKIAIOSFODNN7EXAMPLE", "cluster.aws.secret_key": "from/the+env",
        "cluster.aws.security_group": "sg", "cluster.aws.region": "eu-west-1", "cluster.aws.tag_key": "k",
        "cluster.aws.tag_value": "v"}


def test_registry_paths_and_a_governance_database(tmp_path: Path) -> None:
    s = load(tmp_path, text(names='governance = "GOV_DB"\n', tables='[registry]\nconfig_path = "/_system/config/mb"\n'
                            'governance_path = "/_system/governance/mb"\n'))
    v = s.values(1)
    assert (v["registry.config_path"], v["registry.governance_path"]) == ("/_system/config/mb",
                                                                          "/_system/governance/mb")
    assert v["db.url.governance"] == "jdbc:mysql://db.example.com:3306/GOV_DB"
    assert (v["db.username.governance"], v["db.password.governance"]) == ("regadmin", "regadmin")
    assert s.db.kinds == ("user", "registry", "local", "mb_store", "governance")


def test_an_embedded_local_registry(tmp_path: Path) -> None:
    s = load(tmp_path, text(database='local = "embedded"\n'))
    assert s.db.local_embedded and s.values(1)["db.local"] == "embedded" and "local" not in s.db.kinds
    # several nodes, no {id} needed: there is no MySQL local registry
    assert load(tmp_path, text(database='local = "embedded"\n')).db.names["local"] == "REGISTRY_LOCAL{id}"


def test_each_kind_may_have_its_own_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MB_PW", "mb-secret")
    s = load(tmp_path, text(database='options = "useSSL=false"\n', tables=(
        '[database.mb_store]\nhost = "mbdb.example.com"\nport = 3307\nusername = "mb"\npassword_env = "MB_PW"\n'
        '[database.local]\nhost = "local.example.com"\noptions = "a=b"\n'
        '[database.user]\nusername = "um"\npassword = "um-secret"\n')))
    v = s.values(2)
    assert v["db.url.mb_store"] == "jdbc:mysql://mbdb.example.com:3307/WSO2_MB_STORE_DB?useSSL=false"
    assert (v["db.username.mb_store"], v["db.password.mb_store"]) == ("mb", "mb-secret")
    assert v["db.url.local"] == "jdbc:mysql://local.example.com:3306/REGISTRY_LOCAL2?a=b"
    assert (v["db.username.local"], v["db.password.local"]) == ("regadmin", "regadmin")
    assert v["db.url.user"] == "jdbc:mysql://db.example.com:3306/WSO2_USER_DB?useSSL=false"
    assert (v["db.username.user"], v["db.password.user"]) == ("um", "um-secret")
    assert v["db.url.registry"] == "jdbc:mysql://db.example.com:3306/REGISTRY_DB?useSSL=false"
    assert (v["db.username"], v["db.password"]) == ("regadmin", "regadmin")  # [database] itself, unchanged


def test_every_new_key_is_in_the_starter() -> None:
    starter = (Path(spec.__file__).parent / "starter.toml").read_text(encoding="utf-8")
    for table, keys in spec_check.SCHEMA.items():
        if table.startswith("database.") and table != "database.names":
            continue  # one commented example stands for the kinds' tables (they take the [database] keys)
        head = table.split(".")[-1]
        assert f"[{table}]" in starter or re.search(rf"^#? ?{head} = ", starter, re.M) or table == "node", table
        for key in keys:
            assert re.search(rf"^#? ?{key} = |# or {key} = ", starter, re.M) or f"[{table}.{key}]" in starter, \
                (table, key)
    assert "[database.mb_store]" in starter and "for any kind" in starter


# --- mistakes: one line, the line number, a hint ------------------------------------------------------------------
CASES = [
    # (id, cluster, database, names, tables, the line holding this, what the message says)
    ("membership-unknown", 'membership = "multicast"\n', "", "", "", "membership =",
     "membership 'multicast' is not one of wka, kubernetes, aws"),
    ("membership-without-table", 'membership = "kubernetes"\n', "", "", "", "membership =",
     'membership = "kubernetes" needs a [cluster.kubernetes] table'),
    ("table-without-membership", "", "", "", K8S, "[cluster.kubernetes]",
     "[cluster.kubernetes] is given, but membership is 'wka'"),
    ("aws-table-under-kubernetes", 'membership = "kubernetes"\n', "", "", K8S + AWS, "[cluster.aws]",
     "[cluster.aws] is given, but membership is 'kubernetes'"),
    ("k8s-typo", 'membership = "kubernetes"\n', "", "", K8S + 'namespce = "x"\n', "namespce",
     "unknown key 'namespce' in [cluster.kubernetes]; did you mean 'namespace'?"),
    ("k8s-namespace", 'membership = "kubernetes"\n', "", "", K8S.replace('"wso2"', '"WSO2_NS"'), "namespace =",
     "namespace 'WSO2_NS' is not a Kubernetes namespace name"),
    ("k8s-no-services", 'membership = "kubernetes"\n', "", "", K8S.replace('services = ["mb", "mb-mgt"]\n', ""),
     "[cluster.kubernetes]", "[cluster.kubernetes] needs 'services'"),
    ("k8s-services-type", 'membership = "kubernetes"\n', "", "", K8S.replace('["mb", "mb-mgt"]', "[1]"), "services =",
     "services holds 1, which is not a Kubernetes service name"),
    ("k8s-services-int", 'membership = "kubernetes"\n', "", "", K8S.replace('["mb", "mb-mgt"]', "3"), "services =",
     "services must be str or list, not int"),
    ("k8s-master", 'membership = "kubernetes"\n', "", "", K8S + 'master = "k8s:6443"\n', "master =",
     "master 'k8s:6443' is not an http(s) URL"),
    ("k8s-bool", 'membership = "kubernetes"\n', "", "", K8S + 'use_dns = "no"\n', "use_dns =",
     "use_dns must be bool, not str"),
    ("aws-key", 'membership = "aws"\n', "", "", AWS.replace("AKIAIOSFODNN7EXAMPLE", "my key"), "access_key =",
     "access_key is not an AWS access key ID"),
    ("aws-no-secret", 'membership = "aws"\n', "", "", AWS.replace('secret_key = "wJalr/K7MDENG+bPxRfiCY"\n', ""),
     "[cluster.aws]", "[cluster.aws] needs exactly one of secret_key and secret_key_env"),
    ("aws-both-secrets", 'membership = "aws"\n', "", "", AWS + 'secret_key_env = "X"\n', "[cluster.aws]",
     "[cluster.aws] needs exactly one of secret_key and secret_key_env"),
    ("aws-unset-env", 'membership = "aws"\n', "", "", AWS.replace('secret_key = "wJalr/K7MDENG+bPxRfiCY"',
                                                               'secret_key_env = "WSO2PATCH_UNSET_AWS"'),
     "secret_key_env", "secret_key_env names $WSO2PATCH_UNSET_AWS, which is not set"),
    ("aws-region", 'membership = "aws"\n', "", "", AWS + 'region = "Frankfurt"\n', "region =",
     "region 'Frankfurt' is not an AWS region"),
    ("aws-tag-alone", 'membership = "aws"\n', "", "", AWS + 'tag_key = "k"\n', "tag_key =",
     "tag_key and tag_value go together"),
    ("hostname-port", 'hostname = "lb.example.com:443"\n', "", "", "", "hostname =",
     "cluster hostname 'lb.example.com:443' includes a port"),
    ("hostname-bad", 'mgt_hostname = "lb example"\n', "", "", "", "mgt_hostname =",
     "cluster mgt_hostname 'lb example' is not a host name or IP address"),
    ("proxy-port-range", "", "", "", "[cluster.proxy_ports]\nhttps = 70000\n", "https =",
     "proxy port 70000 is out of range 1..65535"),
    ("proxy-port-typo", "", "", "", "[cluster.proxy_ports]\nhtps = 443\n", "htps =",
     "unknown key 'htps' in [cluster.proxy_ports]; did you mean 'https'?"),
    ("registry-relative", "", "", "", '[registry]\nconfig_path = "_system/config/mb"\n', "config_path =",
     "registry config_path '_system/config/mb' is not a registry path"),
    ("registry-trailing-slash", "", "", "", '[registry]\ngovernance_path = "/_system/gov/"\n', "governance_path =",
     "is not a registry path"),
    ("registry-dotdot", "", "", "", '[registry]\nconfig_path = "/_system/../x"\n', "config_path =",
     "is not a registry path"),
    ("registry-overlap", "", "", "", '[registry]\nconfig_path = "/_system/x"\ngovernance_path = "/_system/x/gov"\n',
     "governance_path =", "overlap: the two mounts would write into each other"),
    ("registry-typo", "", "", "", '[registry]\nconfig_pth = "/a"\n', "config_pth",
     "unknown key 'config_pth' in [registry]; did you mean 'config_path'?"),
    ("local-bad-string", "", 'local = "h2"\n', "", "", "local =",
     "database local 'h2' is neither \"embedded\" nor a [database.local] table"),
    ("local-embedded-and-name", "", 'local = "embedded"\n', 'local = "L{id}"\n', "", 'local = "L{id}"',
     'database.names.local names a MySQL database, but local = "embedded"'),
    ("kind-typo", "", "", "", '[database.mb_store]\nhots = "x"\n', "hots",
     "unknown key 'hots' in [database.mb_store]; did you mean 'host'?"),
    ("kind-host-port", "", "", "", '[database.user]\nhost = "db2:3307"\n', 'host = "db2',
     "[database.user] host 'db2:3307' includes a port"),
    ("kind-two-passwords", "", "", "", '[database.registry]\npassword = "a"\npassword_env = "B"\n',
     "[database.registry]", "[database.registry] takes password or password_env, not both"),
    ("kind-port-range", "", "", "", "[database.local]\nport = 0\n", "port =", "database port 0 is out of range"),
    ("kind-options-question", "", "", "", '[database.user]\noptions = "?a=b"\n', "options =",
     "database options start with '?'"),
    ("kind-same-account-two-passwords", "", "", "", '[database.user]\npassword = "other"\n', "[database.user]",
     "the user and registry databases log in to db.example.com:3306 as 'regadmin' with different passwords"),
    ("governance-without-name", "", "", "", '[database.governance]\nhost = "gov.example.com"\n',
     "[database.governance]", "[database.governance] describes a governance database, but database.names has no"),
    ("governance-is-registry", "", "", 'governance = "REGISTRY_DB"\n', "", "governance =",
     "database.names.governance is the registry database itself"),
    ("governance-bad-name", "", "", 'governance = "GOV-DB"\n', "", "governance =",
     "database name 'GOV-DB' (governance) is not a plain MySQL name"),
    ("names-typo", "", "", 'governence = "G"\n', "", "governence",
     "unknown key 'governence' in [database.names]; did you mean 'governance'?"),
    ("unsafe-value", 'hostname = "lb\\u0085.example.com"\n', "", "", "", "hostname =",
     "[cluster] hostname contains a control character, U+0085 (next line)"),
    ("unsafe-in-list", 'membership = "kubernetes"\n', "", "", K8S.replace('"mb-mgt"', '"a\\u0000"'), "services =",
     "[cluster.kubernetes] services contains a control character, U+0000"),
]


@pytest.mark.parametrize("cluster, database, names, tables, needle, says",
                         [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_a_mistake_is_one_line_at_its_line(tmp_path: Path, cluster: str, database: str, names: str, tables: str,
                                           needle: str, says: str) -> None:
    body = text(cluster, database, names, tables)
    path, message = spec_error(tmp_path, body)
    assert says in message, message
    assert_at(path, message, line_no(body, needle, body.count(needle)))  # the last: the case adds it after BASE's


def test_a_secret_from_the_environment_with_a_control_character_is_named_not_quoted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SK", "Zq7\rXv9")
    body = text('membership = "aws"\n', tables=AWS.replace('secret_key = "wJalr/K7MDENG+bPxRfiCY"',
                                                           'secret_key_env = "AWS_SK"'))
    _, message = spec_error(tmp_path, body)
    assert "secret_key_env names $AWS_SK, whose value contains a control character, U+000D" in message
    assert "Zq7" not in message and "Xv9" not in message


def test_local_embedded_and_a_local_table_cannot_both_be_written(tmp_path: Path) -> None:
    body = text(database='local = "embedded"\n', tables='[database.local]\nhost = "x"\n')
    _, message = spec_error(tmp_path, body)
    assert "invalid TOML" in message


def test_a_spec_file_in_the_repo_example_still_loads(tmp_path: Path) -> None:
    starter = (Path(spec.__file__).parent / "starter.toml").read_text(encoding="utf-8")
    s = load_spec(write(tmp_path, starter))
    assert s.cluster.membership == "wka" and s.values(1)["node.hostname"] == "10.100.7.118"
