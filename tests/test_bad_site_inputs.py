"""Bad inputs of issue 10's engine part, through the CLI with the catalogue's machinery (tests/test_bad_inputs.py):
[cluster.hazelcast] and [patches] mistakes, a hostile hazelcast.properties, site patches that are wrong or fight a
built-in one, a created file edited by hand. Each: its exit code, one error line naming the file (and line), no
traceback, not one byte changed, no password printed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_bad_inputs import (
    CONFIG_ERR,
    DRIFT_ERR,
    MB_HOME,
    NO_FIXTURES,
    PATCH_ERR,
    SECRET,
    SPEC_ERR,
    Case,
    Env,
    apply1,
    apply_ok,
    case_params,
    diff1,
    make_env,
    rollback1,
    run_case,
)

Cluster = Callable[[Path], tuple[Path, Path, Path]]
PROPS = "repository/conf/hazelcast.properties"
HAZELCAST = '\n[cluster.hazelcast]\n"hazelcast.jmx" = true\n'


def add_to_spec(env: Env, text: str) -> None:
    with env.spec.open("a", encoding="utf-8") as f:
        f.write(text)


def spec_line(env: Env, needle: str) -> str:
    return f"{env.spec}:{env.line_in_spec(needle)}: "


def site_patch(env: Env, body: str, name: str = "50-site.toml") -> Path:
    (env.tmp / "site").mkdir(exist_ok=True)
    path = env.tmp / "site" / name
    path.write_text(body, encoding="utf-8")
    add_to_spec(env, '\n[patches]\nextra = ["site/*.toml"]\n')
    return path


def with_hazelcast(raw: bytes | None) -> Callable[[Env], list[str | Path]]:
    def setup(env: Env) -> list[str | Path]:
        add_to_spec(env, HAZELCAST)
        target = env.file(PROPS)
        target.unlink(missing_ok=True)
        if raw is None:
            target.mkdir()
        else:
            target.write_bytes(raw)
        return apply1(env)

    return setup


def hazelcast_float(env: Env) -> list[str | Path]:
    add_to_spec(env, '\n[cluster.hazelcast]\n"hazelcast.merge.first.run.delay.seconds" = 0.5\n')
    return apply1(env)


def disable_unknown(env: Env) -> list[str | Path]:
    add_to_spec(env, '\n[patches]\ndisable = ["thrift-hots"]\n')
    return diff1(env)


def extra_matches_nothing(env: Env) -> list[str | Path]:
    add_to_spec(env, '\n[patches]\nextra = ["site/*.toml"]\n')
    return apply1(env)


OFFSET = 'description = "d"\nfile = "repository/conf/carbon.xml"\n[[op]]\nkind = "set_text"\n' \
         'xpath = "/Server/Ports/Offset"\nvalue = "{v}"\n'


def collides(env: Env) -> list[str | Path]:
    site_patch(env, OFFSET.format(v="{node.offset}"), "21-port-offset.toml")
    return apply1(env)


def fights(env: Env) -> list[str | Path]:
    site_patch(env, OFFSET.format(v="7"))
    return apply1(env)


def xml_op_on_properties(env: Env) -> list[str | Path]:
    site_patch(env, 'description = "d"\nfile = "repository/conf/log4j.properties"\n[[op]]\nkind = "set_text"\n'
                    'xpath = "/a"\nvalue = "x"\n')
    return diff1(env)


def folder_missing(env: Env) -> list[str | Path]:
    site_patch(env, 'description = "d"\nfile = "repository/conf/site/site.properties"\n[[op]]\n'
                    'kind = "set_property"\nkey = "a"\nvalue = "b"\n')
    return apply1(env)


CREATES = 'description = "d"\nfile = "repository/conf/node.properties"\n[[op]]\nkind = "set_property"\n' \
          'key = "node.id"\nvalue = "{node.id}"\n'


def created_then(change: Callable[[Path], object]) -> Callable[[Env], list[str | Path]]:
    def setup(env: Env) -> list[str | Path]:
        site_patch(env, CREATES)
        apply_ok(env)
        change(env.file("repository/conf/node.properties"))
        return rollback1(env, "--spec", env.spec)  # the spec whose site patch wrote it vouches for the file

    return setup


def without_spec(env: Env) -> list[str | Path]:
    """A journal naming a file no built-in patch writes, and no spec here to say a site patch did: refused."""
    site_patch(env, CREATES)
    apply_ok(env)
    return rollback1(env)


CASES = [
    Case("hazelcast-value-float", hazelcast_float, SPEC_ERR,
         lambda e: [spec_line(e, "hazelcast.merge.first.run.delay.seconds"), "[cluster.hazelcast] "
                    "hazelcast.merge.first.run.delay.seconds must be a string, an integer or a boolean, not float"]),
    Case("hazelcast-properties-bad-escape", with_hazelcast(b"hazelcast.jmx=false\nbad=\\u12"), CONFIG_ERR,
         lambda e: [f"{e.file(PROPS)}:2:5: malformed \\uXXXX escape"], trees=True),
    Case("hazelcast-properties-is-a-directory", with_hazelcast(None), CONFIG_ERR,
         lambda e: [f"{e.file(PROPS)}: cannot read the config file"], trees=True),
    Case("patches-disable-unknown", disable_unknown, SPEC_ERR,
         lambda e: [spec_line(e, "disable ="), "which is no built-in patch (did you mean 'thrift-host'?)"]),
    Case("patches-extra-matches-nothing", extra_matches_nothing, SPEC_ERR,
         lambda e: [spec_line(e, "extra ="), "[patches] extra 'site/*.toml' matches no file"]),
    Case("site-patch-takes-a-built-in-name", collides, PATCH_ERR,
         lambda e: [f"{e.tmp / 'site/21-port-offset.toml'}: the patch name 'port-offset' is also the name of the "
                    "built-in patch", "add 'port-offset' to [patches] disable"]),
    Case("site-patch-fights-a-built-in-one", fights, PATCH_ERR,
         lambda e: [f"{e.file('repository/conf/carbon.xml')}: patches port-offset, site undo each other's edits"]),
    Case("site-patch-xml-op-on-properties", xml_op_on_properties, PATCH_ERR,
         lambda e: [f"{e.tmp / 'site/50-site.toml'}:4: [[op]] #1 key 'kind': set_text is an operation on XML "
                    "files, but log4j.properties is a .properties file"]),
    Case("site-properties-folder-missing", folder_missing, CONFIG_ERR,
         lambda e: [f"{e.file('repository/conf/site')}: cannot create site.properties: its folder is missing"]),
    Case("rollback-created-file-edited", created_then(lambda p: p.write_bytes(p.read_bytes() + b"x=1\n")),
         DRIFT_ERR, lambda e: ["changed by hand since it was applied: repository/conf/node.properties"]),
    Case("rollback-created-file-removed", created_then(lambda p: p.unlink()), DRIFT_ERR,
         lambda e: ["changed by hand since it was applied: repository/conf/node.properties"]),
    Case("rollback-site-file-without-the-spec", without_spec, CONFIG_ERR,
         lambda e: [f"{e.home1 / '.wso2patch/journal.json'}: unreadable journal", "path "
                    "'repository/conf/node.properties' is not a file wso2patch writes"]),
]


@pytest.mark.parametrize(("case", "tree"), list(case_params(CASES)))
def test_bad_input(case: Case, tree: Path, tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    run_case(case, make_env(tmp_path, cluster, tree), cli)


@pytest.mark.skipif(not (MB_HOME / "repository/conf/carbon.xml").is_file(), reason=NO_FIXTURES)
def test_a_password_a_site_patch_puts_in_a_properties_file_is_masked(tmp_path: Path, cluster: Cluster,
                                                                     cli: Cli) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    site_patch(env, 'description = "d"\nfile = "repository/conf/agent.properties"\n[[op]]\nkind = "set_property"\n'
                    'key = "agent.db.password"\nvalue = "{db.password}"\n')
    for args in (diff1(env), [*diff1(env), "--json"]):
        result = cli(*args)
        assert result.exit_code == 1 and "+agent.db.password=********" in result.stdout.replace("\\n", "\n")
        assert SECRET not in result.stdout + result.stderr
    shown = cli(*diff1(env), "--show-secrets")
    assert f"+agent.db.password={SECRET}" in shown.stdout
    doc = json.loads(cli(*diff1(env), "--json").stdout)
    (f,) = [f for f in doc["nodes"][0]["files"] if f["path"] == "repository/conf/agent.properties"]
    assert f["new"] is True and f["changed"] is True
