"""Bad inputs around issue 10's spec keys, through the CLI with tests/test_bad_inputs' machinery: the documented
exit code, one error line naming the file, no traceback, not one byte changed, and no secret (the database
password, the AWS secret key) in the output."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, stock_params
from tests.test_bad_inputs import (
    AXIS2,
    CONFIG_ERR,
    DATASOURCES,
    MB_HOME,
    PASSWORD_LINE,
    PATCH_ERR,
    SPEC_ERR,
    UNSET_VAR,
    Case,
    Env,
    apply1,
    check_error,
    diff1,
    edit,
    edit_spec,
    make_env,
    state,
    status1,
)

CATALINA = "repository/conf/tomcat/catalina-server.xml"
AWS_SECRET = "Aws-Hostile-S3cretKey9"


def proxy_ports(env: Env) -> None:
    env.spec.write_text(env.spec.read_text(encoding="utf-8") + "\n[cluster.proxy_ports]\nhttp = 80\nhttps = 443\n",
                        encoding="utf-8")


def aws(env: Env, secret_line: str = f'secret_key = "{AWS_SECRET}"') -> None:
    edit_spec(env, "[cluster]\n", '[cluster]\nmembership = "aws"\n')
    env.spec.write_text(env.spec.read_text(encoding="utf-8") + '\n[cluster.aws]\naccess_key = "AKIAIOSFODNN7EXAMPLE"\n'
                        f"{secret_line}\n", encoding="utf-8")


def kubernetes(env: Env) -> None:
    edit_spec(env, "[cluster]\n", '[cluster]\nmembership = "kubernetes"\n')
    env.spec.write_text(env.spec.read_text(encoding="utf-8") + '\n[cluster.kubernetes]\nnamespace = "wso2"\n'
                        'services = ["mb"]\n', encoding="utf-8")


# --- setups ---------------------------------------------------------------------------------------------------
def proxy_ports_without_catalina(env: Env) -> list[str | Path]:
    proxy_ports(env)
    (env.file(CATALINA)).unlink()
    return apply1(env)


def two_http_connectors(env: Env) -> list[str | Path]:
    proxy_ports(env)
    edit(env.file(CATALINA), lambda raw: raw.replace(b'port="9443"', b'port="9763"', 1))
    return apply1(env)


def aws_secret_with_a_control_character(env: Env) -> list[str | Path]:
    aws(env, 'secret_key_env = "I10_BAD_SECRET"')
    os.environ["I10_BAD_SECRET"] = AWS_SECRET + "\x01"  # the test's monkeypatch removes it again
    return apply1(env)


def aws_secret_env_unset(env: Env) -> list[str | Path]:
    assert UNSET_VAR not in os.environ
    aws(env, f'secret_key_env = "{UNSET_VAR}"')
    return diff1(env)


def aws_on_a_broken_axis2(env: Env) -> list[str | Path]:
    """The scheme's parameters cannot be placed: the error names the file, never the key."""
    aws(env)
    edit(env.file(AXIS2), lambda raw: raw.replace(b"<clustering", b"<clusterin", 1).replace(b"</clustering>",
                                                                                             b"</clusterin>", 1))
    return apply1(env)


def kubernetes_namespace_twice(env: Env) -> list[str | Path]:
    kubernetes(env)
    param = b'<parameter name="KUBERNETES_NAMESPACE">a</parameter>\n'
    edit(env.file(AXIS2), lambda raw: raw.replace(b"<members>", param + param + b"<members>", 1))
    return apply1(env)


def embedded_without_any_carbon_db(env: Env) -> list[str | Path]:
    """local = "embedded" on a home whose WSO2_CARBON_DB was deleted (neither active nor commented out)."""
    edit_spec(env, PASSWORD_LINE, f'{PASSWORD_LINE}\nlocal = "embedded"')
    edit_spec(env, 'local = "REGISTRY_LOCAL{id}"\n', "")

    def drop(raw: bytes) -> bytes:
        start = raw.index(b"<name>WSO2_CARBON_DB</name>")
        begin, end = raw.rindex(b"<datasource>", 0, start), raw.index(b"</datasource>", start) + 13
        return raw[:begin] + raw[end:]

    edit(env.file(DATASOURCES), drop)
    return apply1(env)


def kind_password_env_unset(env: Env) -> list[str | Path]:
    env.spec.write_text(env.spec.read_text(encoding="utf-8") + f'\n[database.mb_store]\nhost = "mb-db"\n'
                        f'password_env = "{UNSET_VAR}"\n', encoding="utf-8")
    return status1(env)


def membership_typo(env: Env) -> list[str | Path]:
    edit_spec(env, "[cluster]\n", '[cluster]\nmembersip = "kubernetes"\n')
    return diff1(env)


CASES = [
    Case("proxy-ports-without-catalina-server-xml", proxy_ports_without_catalina, CONFIG_ERR,
         lambda e: [str(e.file(CATALINA)), "config file is missing", "restore it"], trees=True),
    Case("proxy-ports-two-http-connectors", two_http_connectors, PATCH_ERR,
         lambda e: ["patch proxy-ports", "Connector[@port='9763'] matched 2 elements", str(e.file(CATALINA))]),
    Case("aws-secret-with-a-control-character", aws_secret_with_a_control_character, SPEC_ERR,
         lambda e: [f"{e.spec}:", "secret_key_env names $I10_BAD_SECRET, whose value contains a control character, "
                                  "U+0001"], never=(AWS_SECRET,)),
    Case("aws-secret-env-unset", aws_secret_env_unset, SPEC_ERR,
         lambda e: [f"{e.spec}:", f"secret_key_env names ${UNSET_VAR}, which is not set"]),
    Case("aws-on-a-broken-axis2", aws_on_a_broken_axis2, PATCH_ERR,
         lambda e: [str(e.file(AXIS2)), "/axisconfig/clustering"], never=(AWS_SECRET,), trees=True),
    Case("kubernetes-parameter-twice", kubernetes_namespace_twice, PATCH_ERR,
         lambda e: ["patch kubernetes-membership", "2 elements <parameter> with @name = 'KUBERNETES_NAMESPACE'",
                    "remove the duplicates by hand"]),
    Case("embedded-without-any-carbon-db", embedded_without_any_carbon_db, PATCH_ERR,
         lambda e: ["patch carbon-db-off", "found 0 commented-out elements", str(e.file(DATASOURCES))]),
    Case("database-kind-password-env-unset", kind_password_env_unset, SPEC_ERR,
         lambda e: [f"{e.spec}:", f"password_env names ${UNSET_VAR}, which is not set"]),
    Case("membership-typo", membership_typo, SPEC_ERR,
         lambda e: [f"{e.spec}:", "unknown key 'membersip' in [cluster]", "did you mean 'membership'?"]),
]


def _params() -> Iterator[Any]:
    for case in CASES:
        yield pytest.param(case, MB_HOME, id=f"{case.id}-fixture-mb-home")
        if case.trees:
            for p in stock_params():
                yield pytest.param(case, p.values[0], id=f"{case.id}-{p.id}", marks=p.marks)


@pytest.mark.parametrize(("case", "tree"), list(_params()))
def test_bad_input(case: Case, tree: Path, tmp_path: Path, cluster: Callable[[Path], tuple[Path, Path, Path]],
                   cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("I10_BAD_SECRET", raising=False)  # a setup may set it: gone after the case
    env = make_env(tmp_path, cluster, tree)
    args = case.setup(env)
    before = state(tmp_path)
    result = cli(*args)
    assert state(tmp_path) == before, f"a byte changed (exit {result.exit_code}): ...{result.output[-600:]}"
    check_error(case, env, result.exit_code, result.stdout, result.stderr)
