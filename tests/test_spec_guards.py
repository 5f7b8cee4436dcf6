"""The spec's guard rails (issue 8 item 10, issue 9) through the CLI, and IPv6 from the spec to the files.

The catalogue reuses tests/test_bad_inputs.py's machinery: each case gets exit 3, one error line naming the spec and
the key's line, not one byte written anywhere, and never the password (SECRET) in the output.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_bad_inputs import (
    CARBON,
    MB_HOME,
    NO_FIXTURES,
    PASSWORD_LINE,
    SECRET,
    SPEC_ERR,
    Case,
    Env,
    Setup,
    apply1,
    check_error,
    console_script,
    diff1,
    edit_spec,
    make_env,
    run_case,
    spec_edit_then,
    spec_error_at,
    state,
)

Cluster = Callable[[Path], tuple[Path, Path, Path]]
NODE2_HOST = 'host = "10.100.7.118"\noffset = 3'
PW_VAR = "WSO2PATCH_TEST_GUARD_PW"


def node2_host(host: str) -> Setup:
    return spec_edit_then(NODE2_HOST, f'host = "{host}"\noffset = 3')


def diff_after(old: str, new: str) -> Setup:
    def setup(env: Env) -> list[str | Path]:
        edit_spec(env, old, new)
        return diff1(env)

    return setup


def shared_home(home2: Callable[[Env], str], *command: str) -> Setup:
    """Node 2's home is node 1's, spelled home2(env); the command runs on the whole spec or on node 1."""

    def setup(env: Env) -> list[str | Path]:
        edit_spec(env, f'home = "{env.home2}"', f'home = "{home2(env)}"')
        return [*command, "--spec", env.spec, "--yes"] if command else apply1(env)

    return setup


def symlinked_home(env: Env) -> str:
    (env.tmp / "alias").symlink_to(env.home1)
    return str(env.tmp / "alias")


def password_env(value: str) -> Callable[[Env, pytest.MonkeyPatch], None]:
    def during(env: Env, mp: pytest.MonkeyPatch) -> None:
        mp.setenv(PW_VAR, value)

    return during


def spec_not_utf8(env: Env) -> list[str | Path]:
    raw = env.spec.read_bytes()
    env.spec.write_bytes(raw.replace(b'domain = "wso2.mb.domain"', b'domain = "caf\xe9"'))
    return apply1(env)


def literal_fffe(env: Env) -> list[str | Path]:
    edit_spec(env, PASSWORD_LINE, f'password = "{SECRET}\ufffe"')  # the character itself, not an escape
    return apply1(env)


HOME_HINT = "every node needs its own product home"
CASES: list[Case] = [
    Case("node-host-with-port", node2_host("10.100.7.118:4003"), SPEC_ERR,
         spec_error_at("10.100.7.118:4003", "node #2 host '10.100.7.118:4003' includes a port",
                       'use host = "10.100.7.118" and member_port = 4003')),
    Case("node-host-with-port-diff", diff_after(NODE2_HOST, 'host = "mb2:4003"\noffset = 3'), SPEC_ERR,
         spec_error_at("mb2:4003", "includes a port", "member_port = 4003")),
    Case("database-host-with-port", spec_edit_then('host = "localhost"', 'host = "db:3306"'), SPEC_ERR,
         spec_error_at("db:3306", "database host 'db:3306' includes a port", 'use host = "db" and port = 3306')),
    Case("options-leading-question-mark",
         spec_edit_then('options = "autoReconnect=true"', 'options = "?useSSL=false"'), SPEC_ERR,
         spec_error_at("options", "database options start with '?'", "remove the leading '?'")),
    Case("shared-home-apply-all", shared_home(lambda e: str(e.home1), "apply", "--all"), SPEC_ERR,
         spec_error_at("home = ", "nodes #1 and #2 share the home", HOME_HINT, occurrence=2)),
    Case("shared-home-trailing-slash", shared_home(lambda e: f"{e.home1}/", "apply", "--all"), SPEC_ERR,
         spec_error_at("home = ", "nodes #1 and #2 share the home", HOME_HINT, occurrence=2)),
    Case("shared-home-relative", shared_home(lambda e: e.home1.name), SPEC_ERR,
         spec_error_at("home = ", "nodes #1 and #2 share the home", HOME_HINT, occurrence=2)),
    Case("shared-home-symlink", shared_home(symlinked_home, "apply", "--all"), SPEC_ERR,
         spec_error_at("home = ", "nodes #1 and #2 share the home", HOME_HINT, occurrence=2)),
    Case("password-uFFFE-escape", spec_edit_then(PASSWORD_LINE, f'password = "{SECRET}\\uFFFE"'), SPEC_ERR,
         spec_error_at("password = ", "[database] password contains a Unicode noncharacter, U+FFFE")),
    Case("password-uFFFE-literal", literal_fffe, SPEC_ERR,
         spec_error_at("password = ", "[database] password contains a Unicode noncharacter, U+FFFE")),
    Case("password-uFFFF", spec_edit_then(PASSWORD_LINE, f'password = "{SECRET}\\uFFFF"'), SPEC_ERR,
         spec_error_at("password = ", "a Unicode noncharacter, U+FFFF")),
    Case("password-control", spec_edit_then(PASSWORD_LINE, f'password = "{SECRET}\\u0002"'), SPEC_ERR,
         spec_error_at("password = ", "a control character, U+0002")),
    Case("domain-nel", spec_edit_then('domain = "wso2.mb.domain"', 'domain = "wso2\\u0085mb"'), SPEC_ERR,
         spec_error_at("domain = ", "[cluster] domain contains a control character, U+0085 (next line)")),
    Case("username-cr", spec_edit_then('username = "regadmin"', 'username = "regadmin\\r"'), SPEC_ERR,
         spec_error_at("username = ", "a control character, U+000D (carriage return)")),
    Case("password-env-cr", spec_edit_then(PASSWORD_LINE, f'password_env = "{PW_VAR}"'), SPEC_ERR,
         spec_error_at("password_env", f"password_env names ${PW_VAR}, whose value contains a control character, "
                                       "U+000D (carriage return)", "Windows line endings"),
         during=password_env(f"{SECRET}\r")),
    Case("password-env-not-utf8", spec_edit_then(PASSWORD_LINE, f'password_env = "{PW_VAR}"'), SPEC_ERR,
         spec_error_at("password_env", f"${PW_VAR}", "a lone surrogate, U+DCE9 (bytes that are not UTF-8)"),
         during=password_env(f"{SECRET}\udce9")),
    Case("password-env-uFFFE", spec_edit_then(PASSWORD_LINE, f'password_env = "{PW_VAR}"'), SPEC_ERR,
         spec_error_at("password_env", f"${PW_VAR}", "a Unicode noncharacter, U+FFFE"),
         during=password_env(f"{SECRET}\ufffe")),
    Case("spec-not-utf8", spec_not_utf8, SPEC_ERR, spec_error_at("domain = ", "bytes that are not UTF-8")),
    Case("node-host-bracketed-ipv6", node2_host("[2001:db8::2]"), SPEC_ERR,
         spec_error_at("[2001:db8::2]", "brackets belong in URLs", 'use host = "2001:db8::2"')),
    Case("node-host-ipv6-zone", node2_host("fe80::2%eth0"), SPEC_ERR, spec_error_at("fe80::2%eth0", "zone index")),
    Case("node-host-bad-ipv4", node2_host("10.100.7.256"), SPEC_ERR,
         spec_error_at("10.100.7.256", "not a valid IPv4 address")),
    Case("database-host-trailing-dot", spec_edit_then('host = "localhost"', 'host = "db.example.com."'), SPEC_ERR,
         spec_error_at("db.example.com.", "database host", "no empty label")),
]


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_spec_guard(case: Case, tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    run_case(case, make_env(tmp_path, cluster, MB_HOME), cli)


SUBPROCESS_CASES = ["node-host-with-port", "shared-home-apply-all", "password-uFFFE-literal", "password-env-cr"]


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)
@pytest.mark.parametrize("case", [c for c in CASES if c.id in SUBPROCESS_CASES], ids=lambda c: c.id)
def test_spec_guard_console_script(case: Case, tmp_path: Path, cluster: Cluster) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    args = [str(a) for a in case.setup(env)]
    before = state(tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        if case.during is not None:
            case.during(env, mp)
        environ = {k: v for k, v in os.environ.items() if k != "WSO2PATCH_DEBUG"}
        proc = subprocess.run([*console_script(), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              cwd=tmp_path, env=environ, timeout=120, check=False)
    assert state(tmp_path) == before
    assert proc.stderr.count("\n") == 1, repr(proc.stderr)
    check_error(case, env, proc.returncode, proc.stdout, proc.stderr)


def test_the_catalogue_covers_what_issue_9_names() -> None:
    ids = {c.id for c in CASES}
    assert len(ids) == len(CASES)
    assert {"node-host-with-port", "database-host-with-port", "options-leading-question-mark",
            "shared-home-apply-all", "password-uFFFE-literal"} <= ids
