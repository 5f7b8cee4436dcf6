"""A catalogue of bad inputs (issue 4), run through the CLI: each gets its documented exit code, one error line
naming the file (file:line:column for malformed XML), no traceback, not one byte changed anywhere, and never the
spec's password in the output (every case runs with a spec whose password is SECRET)."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import FIXTURES, Cli, copy_tree, snapshot, stock_params
from wso2patch.cli import app

MB_HOME = FIXTURES / "mb-home"
CARBON45_HOME = FIXTURES / "carbon45-home"
NO_FIXTURES = "fixtures/mb-home is not there yet"

CONF = "repository/conf"
CARBON = f"{CONF}/carbon.xml"
AXIS2 = f"{CONF}/axis2/axis2.xml"
DATASOURCES = f"{CONF}/datasources/master-datasources.xml"
REGISTRY = f"{CONF}/registry.xml"
USER_MGT = f"{CONF}/user-mgt.xml"
BROKER = f"{CONF}/broker.xml"
UNSET_VAR = "WSO2PATCH_TEST_NEVER_SET_7F3A"
SECRET = "Hostile-S3cret"  # the password of every case's spec: it must never be printed
# Passwords some cases put into a config file's <password>: never printed either (README: "Passwords never appear
# in output, JSON or errors").
VAULT_PHRASE = "Vault pass phrase 2024"
LONG_SECRET = "LongVaultSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
SECRETS = (SECRET, VAULT_PHRASE, LONG_SECRET)
PASSWORD_LINE = f'password = "{SECRET}"'
BIG = 200 * 1024 * 1024  # the tool refuses config files over 16 MiB

# exit codes (wso2patch.errors, README)
USAGE, SPEC_ERR, HOME_ERR, CONFIG_ERR, PATCH_ERR, DRIFT_ERR, REFUSED, WRITE_ERR, UNFINISHED = 2, 3, 4, 5, 6, 7, 8, 9, 13


@dataclass(frozen=True)
class Env:
    """One case's sandbox: tmp holds the spec and two copies of the tree (home1 for node 1, home2 for node 2)."""

    tmp: Path
    spec: Path
    home1: Path
    home2: Path

    def file(self, rel: str) -> Path:
        return self.home1 / rel

    def line_in_spec(self, needle: str, occurrence: int = 1) -> int:
        return line_of(self.spec.read_bytes(), needle.encode(), occurrence)


Setup = Callable[[Env], Sequence[str | Path]]
Says = Callable[[Env], Sequence[str]]
Command = Callable[[Env], list[str | Path]]
During = Callable[[Env, pytest.MonkeyPatch], None]  # faults that only hold while the command runs


@dataclass(frozen=True)
class Case:
    id: str
    setup: Setup  # break things; return the command line
    code: int
    says: Says  # substrings the one error line must hold (for usage errors: the usage output)
    pattern: str | None = None  # a regular expression the error line must match
    trees: bool = False  # also run it on every real stock tree (when ../shared is checked out)
    never: tuple[str, ...] = ()  # must appear neither in the output nor in any file
    during: During | None = None  # installed after the snapshot, removed before the check


# --- helpers used by the setups ----------------------------------------------------------------------
def line_of(raw: bytes, needle: bytes, occurrence: int = 1) -> int:
    seen = 0
    for no, line in enumerate(raw.split(b"\n"), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return no
    raise AssertionError(f"{needle!r} not found")


def active(raw: bytes, needle: bytes) -> int:
    """Offset of the first occurrence of needle outside any <!-- comment -->."""
    pos = raw.find(needle)
    while pos != -1:
        if raw.rfind(b"<!--", 0, pos) <= raw.rfind(b"-->", 0, pos):
            return pos
        pos = raw.find(needle, pos + 1)
    raise AssertionError(f"no active {needle!r}")


def edit(path: Path, change: Callable[[bytes], bytes]) -> None:
    old = path.read_bytes()
    new = change(old)
    assert new != old, f"the setup did not change {path}"
    path.write_bytes(new)


def edit_spec(env: Env, old: str, new: str, count: int = 1) -> None:
    edit(env.spec, lambda raw: raw.replace(old.encode(), new.encode(), count))


def with_doctype(raw: bytes, doctype: bytes) -> bytes:
    """Put a DOCTYPE where XML wants it: after the declaration, if any, else first."""
    if raw.startswith(b"<?xml"):
        end = raw.index(b"?>") + 2
        return raw[:end] + b"\n" + doctype + raw[end:]
    return doctype + b"\n" + raw


def use_in_description(raw: bytes, ref: bytes) -> bytes:
    """Replace the text of the first active <description> with an entity reference."""
    start = active(raw, b"<description>") + len(b"<description>")
    end = raw.index(b"</description>", start)
    return raw[:start] + ref + raw[end:]


def apply_ok(env: Env) -> None:
    """A real apply of node 1 (part of a setup: the snapshot is taken afterwards)."""
    result = CliRunner().invoke(app, ["apply", "--node", "1", "--spec", str(env.spec), "--yes"])
    assert result.exit_code == 0, result.output


def apply1(env: Env, *extra: str | Path) -> list[str | Path]:
    return ["apply", "--node", "1", "--spec", env.spec, "--yes", *extra]


def diff1(env: Env, *extra: str | Path) -> list[str | Path]:
    return ["diff", "--node", "1", "--spec", env.spec, *extra]


def rollback1(env: Env, *extra: str | Path) -> list[str | Path]:
    return ["rollback", "--home", env.home1, "--yes", *extra]


def status1(env: Env) -> list[str | Path]:
    return ["status", "--home", env.home1, "--spec", env.spec]


def history1(env: Env) -> list[str | Path]:
    return ["history", "--home", env.home1]


# --- the setups that need more than one expression ---------------------------------------------------
def spec_home_missing(env: Env) -> list[str | Path]:
    edit_spec(env, f'home = "{env.home1}"', f'home = "{env.tmp / "gone"}"')
    return apply1(env)


def node_without_home(env: Env) -> list[str | Path]:
    edit_spec(env, f'home = "{env.home2}"\n', "")
    return ["apply", "--node", "2", "--spec", env.spec, "--yes"]


def home_is_file(env: Env) -> list[str | Path]:
    (env.tmp / "a-file").write_text("not a home\n", encoding="utf-8")
    return apply1(env, "--home", env.tmp / "a-file")


def home_empty_dir(env: Env) -> list[str | Path]:
    (env.tmp / "empty").mkdir()
    return apply1(env, "--home", env.tmp / "empty")


def no_carbon_xml(env: Env) -> list[str | Path]:
    env.file(CARBON).unlink()
    return apply1(env)


def carbon45(env: Env) -> list[str | Path]:
    env.file(f"{CONF}/deployment.toml").write_text('[server]\nhostname = "localhost"\noffset = 0\n',
                                                    encoding="utf-8")
    return apply1(env)


def carbon45_rollback(env: Env) -> list[str | Path]:
    carbon45(env)
    return ["rollback", "--home", env.home1, "--yes"]


def carbon45_fixture(env: Env) -> list[str | Path]:
    home = copy_tree(CARBON45_HOME, env.tmp / "carbon45")
    return apply1(env, "--home", home)


def missing_registry(env: Env) -> list[str | Path]:
    env.file(REGISTRY).unlink()
    return apply1(env)


def carbon_truncated(env: Env) -> list[str | Path]:
    edit(env.file(CARBON), lambda raw: raw[: active(raw, b"<Offset>") + 4])  # ends in "<Off"
    return apply1(env)


def carbon_mismatched(env: Env) -> list[str | Path]:
    edit(env.file(CARBON), lambda raw: raw.replace(b"</Ports>", b"</Port>", 1))
    return apply1(env)


def carbon_mismatched_says(env: Env) -> list[str]:
    line = line_of(env.file(CARBON).read_bytes(), b"</Port>")
    return [f"{env.file(CARBON)}:{line}:", "malformed XML"]


def datasources_empty(env: Env) -> list[str | Path]:
    env.file(DATASOURCES).write_bytes(b"")
    return apply1(env)


def datasources_blank(env: Env) -> list[str | Path]:
    env.file(DATASOURCES).write_bytes(b"\n   \n\t\n")
    return apply1(env)


def utf16_without_bom(declared: str) -> Setup:
    """carbon.xml (made ASCII) re-encoded as UTF-16-LE without a BOM; its declaration says `declared`."""

    def change(raw: bytes) -> bytes:
        text = re.sub(r"[^\x00-\x7f]", "?", raw.decode("latin-1"))
        text = re.sub(r'encoding="[^"]*"', f'encoding="{declared}"', text, count=1)
        if not text.startswith("<?xml"):
            text = f'<?xml version="1.0" encoding="{declared}"?>\n' + text
        return text.encode("utf-16-le")

    def setup(env: Env) -> list[str | Path]:
        edit(env.file(CARBON), change)
        return apply1(env)

    return setup


def binary_garbage(env: Env) -> list[str | Path]:
    env.file(REGISTRY).write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n<wso2registry>\n'
                                   b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x80\x81\xc3\x28</wso2registry>\n")
    return apply1(env)


def latin1_byte_in_utf8(env: Env) -> list[str | Path]:
    edit(env.file(USER_MGT), lambda raw: raw.replace(b"<UserManager>", b"<!-- caf\xe9 -->\n<UserManager>", 1))
    return apply1(env)


def latin1_says(env: Env) -> list[str]:
    line = line_of(env.file(USER_MGT).read_bytes(), b"caf\xe9")
    return [f"{env.file(USER_MGT)}:{line}:1", "not utf-8"]


def xxe(env: Env) -> list[str | Path]:
    doctype = b'<!DOCTYPE datasources-configuration [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>'
    edit(env.file(DATASOURCES), lambda raw: use_in_description(with_doctype(raw, doctype), b"&xxe;"))
    return apply1(env)


def xxe_in_carbon(env: Env) -> list[str | Path]:
    doctype = b'<!DOCTYPE Server [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>'
    edit(env.file(CARBON), lambda raw: with_doctype(raw, doctype).replace(b"<Offset>0</Offset>",
                                                                          b"<Offset>&xxe;</Offset>", 1))
    return diff1(env)


def billion_laughs(env: Env) -> list[str | Path]:
    entities = [b'<!ENTITY lol0 "lol">'] + [b"<!ENTITY lol%d \"%s\">" % (i, b"&lol%d;" % (i - 1) * 10)
                                             for i in range(1, 10)]
    doctype = b"<!DOCTYPE datasources-configuration [\n" + b"\n".join(entities) + b"\n]>"
    edit(env.file(DATASOURCES), lambda raw: use_in_description(with_doctype(raw, doctype), b"&lol9;"))
    return apply1(env)


def external_dtd(env: Env) -> list[str | Path]:
    doctype = b'<!DOCTYPE datasources-configuration SYSTEM "http://127.0.0.1:9/evil.dtd">'
    edit(env.file(DATASOURCES), lambda raw: with_doctype(raw, doctype))
    return apply1(env)


def external_dtd_file(env: Env) -> list[str | Path]:
    doctype = b'<!DOCTYPE datasources-configuration SYSTEM "file:///etc/passwd">'
    edit(env.file(DATASOURCES), lambda raw: with_doctype(raw, doctype))
    return apply1(env)


def parameter_entity(env: Env) -> list[str | Path]:
    doctype = b'<!DOCTYPE datasources-configuration [\n<!ENTITY % p SYSTEM "file:///etc/passwd">\n%p;\n]>'
    edit(env.file(DATASOURCES), lambda raw: with_doctype(raw, doctype))
    return apply1(env)


def no_members(env: Env) -> list[str | Path]:
    def change(raw: bytes) -> bytes:
        start = active(raw, b"<members>")
        end = raw.index(b"</members>", start) + len(b"</members>")
        return raw[:start] + raw[end:]

    edit(env.file(AXIS2), change)
    return apply1(env)


def two_offsets(env: Env) -> list[str | Path]:
    def change(raw: bytes) -> bytes:
        start = active(raw, b"<Offset>")
        end = raw.index(b"</Offset>", start) + len(b"</Offset>")
        return raw[:end] + raw[start:end] + raw[end:]

    edit(env.file(CARBON), change)
    return apply1(env)


def registry_is_a_directory(env: Env) -> list[str | Path]:
    env.file(REGISTRY).unlink()
    env.file(REGISTRY).mkdir()
    return apply1(env)


def unknown_encoding(env: Env) -> list[str | Path]:
    def change(raw: bytes) -> bytes:
        body = raw[raw.index(b"?>") + 2 :] if raw.startswith(b"<?xml") else b"\n" + raw
        return b'<?xml version="1.0" encoding="KLINGON-9"?>' + body

    edit(env.file(REGISTRY), change)
    return apply1(env)


def no_home_here(env: Env) -> list[str | Path]:
    edit_spec(env, f'home = "{env.home1}"', f'home = "{env.tmp / "gone1"}"')
    edit_spec(env, f'home = "{env.home2}"', f'home = "{env.tmp / "gone2"}"')
    return ["diff", "--spec", env.spec]


def rollback_without_yes(env: Env) -> list[str | Path]:
    apply_ok(env)
    return ["rollback", "--home", env.home1]


def rollback_drift(env: Env) -> list[str | Path]:
    apply_ok(env)
    edit(env.file(REGISTRY), lambda raw: raw + b"<!-- edited by hand -->")
    return ["rollback", "--home", env.home1, "--yes"]


def password_env_unset(env: Env) -> list[str | Path]:
    assert UNSET_VAR not in os.environ
    edit_spec(env, PASSWORD_LINE, f'password_env = "{UNSET_VAR}"')
    return apply1(env)


def same_member_port(env: Env) -> list[str | Path]:
    edit_spec(env, "offset = 3", "offset = 3\nmember_port = 4000")
    return apply1(env)


def edit_spec_nth(env: Env, old: str, new: str, occurrence: int) -> None:
    """Replace only the occurrence-th `old` in the spec (1-based)."""

    def change(raw: bytes) -> bytes:
        parts = raw.split(old.encode())
        assert len(parts) > occurrence, f"{old!r} occurs fewer than {occurrence} times"
        return old.encode().join(parts[:occurrence]) + new.encode() + old.encode().join(parts[occurrence:])

    edit(env.spec, change)


def node_host(occurrence: int, host: str) -> Setup:
    """The occurrence-th [[node]] announces `host`; the other keeps 10.100.7.118 (so: two hosts)."""

    def setup(env: Env) -> list[str | Path]:
        edit_spec_nth(env, 'host = "10.100.7.118"', f'host = "{host}"', occurrence)
        return apply1(env)

    return setup


def spec_empty(env: Env) -> list[str | Path]:
    env.spec.write_bytes(b"")
    return apply1(env)


def spec_utf16(env: Env) -> list[str | Path]:
    edit(env.spec, lambda raw: raw.decode("utf-8").encode("utf-16"))  # with a BOM
    return apply1(env)


def spec_symlink_loop(env: Env) -> list[str | Path]:
    (env.tmp / "loop-a.toml").symlink_to(env.tmp / "loop-b.toml")
    (env.tmp / "loop-b.toml").symlink_to(env.tmp / "loop-a.toml")
    return ["apply", "--node", "1", "--spec", env.tmp / "loop-a.toml", "--yes"]


def symlink_loop(a: Path, b: Path) -> None:
    """a -> b -> a."""
    a.symlink_to(b.name)
    b.symlink_to(a.name)


def home_symlink_loop(env: Env) -> list[str | Path]:
    symlink_loop(env.tmp / "home-a", env.tmp / "home-b")
    return apply1(env, "--home", env.tmp / "home-a")


def rollback_home_symlink_loop(env: Env) -> list[str | Path]:
    symlink_loop(env.tmp / "home-a", env.tmp / "home-b")
    return ["rollback", "--home", env.tmp / "home-a", "--yes"]


def home_dangling_symlink(env: Env) -> list[str | Path]:
    (env.tmp / "home-link").symlink_to(env.tmp / "unpacked-nowhere")
    return diff1(env, "--home", env.tmp / "home-link")


def config_symlink_loop(rel: str) -> Setup:
    def setup(env: Env) -> list[str | Path]:
        env.file(rel).unlink()
        symlink_loop(env.file(rel), env.file(rel).with_name(f"loop-{env.file(rel).name}"))
        return apply1(env)

    return setup


def config_dangling_symlink(env: Env) -> list[str | Path]:
    env.file(REGISTRY).unlink()
    env.file(REGISTRY).symlink_to(env.tmp / "shared" / "registry.xml")
    return apply1(env)


def config_200mb(env: Env) -> list[str | Path]:
    """A valid start, then a sparse 200 MiB tail of NUL bytes (instant to create)."""
    with env.file(REGISTRY).open("r+b") as f:
        f.truncate(BIG)
    return apply1(env)


def unreadable_datasources_dir(env: Env, mp: pytest.MonkeyPatch) -> None:
    """repository/conf/datasources/ can no longer be read (EACCES). chmod cannot show it to root, who runs CI,
    so read_bytes refuses everything below that folder, as the kernel would for another user."""
    folder = env.file(DATASOURCES).parent
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if folder in Path(os.path.abspath(self)).parents:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    mp.setattr(Path, "read_bytes", read_bytes)


def disk_full_on_registry(env: Env, mp: pytest.MonkeyPatch) -> None:
    """The file system fills up when registry.xml is swapped in (the third file of the transaction)."""
    from wso2patch import journal

    real = journal.atomic_write

    def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
        if path.name == "registry.xml" and ".wso2patch" not in path.parts:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data, durable=durable)

    mp.setattr(journal, "atomic_write", atomic_write)


def utf16_bom_broken(env: Env) -> list[str | Path]:
    """carbon.xml as UTF-16 with its BOM (allowed by XML), with a mismatched end tag."""

    def change(raw: bytes) -> bytes:
        text = re.sub(r"[^\x00-\x7f]", "?", raw.decode("latin-1")).replace("</Ports>", "</Port>", 1)
        text = re.sub(r'encoding="[^"]*"', 'encoding="UTF-16"', text, count=1)
        return text.encode("utf-16")  # BOM + native order

    edit(env.file(CARBON), change)
    return apply1(env)


def utf8_bom_broken(env: Env) -> list[str | Path]:
    edit(env.file(USER_MGT), lambda raw: b"\xef\xbb\xbf" + raw.replace(b"</UserManager>", b"</UserManager", 1))
    return apply1(env)


def junk_after_root(env: Env) -> list[str | Path]:
    edit(env.file(REGISTRY), lambda raw: raw + b"\n<wso2registry/>\n")
    return apply1(env)


def unclosed_comment(env: Env) -> list[str | Path]:
    edit(env.file(AXIS2), lambda raw: raw.replace(b"<clustering", b"<!-- clustering off\n<clustering", 1))
    return apply1(env)


def unquoted_attribute(env: Env) -> list[str | Path]:
    edit(env.file(AXIS2), lambda raw: raw.replace(b'enable="false"', b"enable=false", 1))
    return apply1(env)


def undefined_entity(env: Env) -> list[str | Path]:
    edit(env.file(USER_MGT), lambda raw: raw.replace(b"<UserManager>", b"<UserManager>&nbsp;", 1))
    return apply1(env)


def cdata_password_unterminated(password: str) -> Setup:
    """A datasource password in CDATA (as WSO2's guides write passwords with special characters), its ]]> lost:
    libxml2's message quotes what follows the <![CDATA[."""

    def change(raw: bytes) -> bytes:
        start = active(raw, b"<password>") + len(b"<password>")
        end = raw.index(b"</password>", start)
        return raw[:start] + b"<![CDATA[" + password.encode() + raw[end:]

    def setup(env: Env) -> list[str | Path]:
        edit(env.file(DATASOURCES), change)
        return apply1(env)

    return setup


def xxe_http(env: Env) -> list[str | Path]:
    doctype = b'<!DOCTYPE datasources-configuration [\n<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">\n]>'
    edit(env.file(DATASOURCES), lambda raw: use_in_description(with_doctype(raw, doctype), b"&xxe;"))
    return apply1(env)


def set_journal_state(env: Env, state: str) -> None:
    journal = env.home1 / ".wso2patch" / "journal.json"
    data = json.loads(journal.read_text(encoding="utf-8"))
    data["transactions"][-1]["state"] = state
    journal.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def pending_then(command: Command) -> Setup:
    """An apply whose journal entry still says "pending", as a process killed mid-apply leaves it."""

    def setup(env: Env) -> list[str | Path]:
        apply_ok(env)
        set_journal_state(env, "pending")
        return command(env)

    return setup


def corrupt_journal_then(content: bytes, command: Command) -> Setup:
    def setup(env: Env) -> list[str | Path]:
        apply_ok(env)
        edit(env.home1 / ".wso2patch" / "journal.json", lambda raw: content)
        return command(env)

    return setup


def journal_says(env: Env) -> list[str]:
    return [str(env.home1 / ".wso2patch" / "journal.json"), "unreadable journal"]


def state_dir_is_a_file(env: Env) -> list[str | Path]:
    (env.home1 / ".wso2patch").write_text("not a folder\n")
    return apply1(env)


def rollback_to_unknown(env: Env) -> list[str | Path]:
    apply_ok(env)
    return rollback1(env, "--to", "UNKNOWN-ID")


def spec_error_at(needle: str, *more: str, occurrence: int = 1) -> Says:
    return lambda env: [f"{env.spec}:{env.line_in_spec(needle, occurrence)}: ", *more]


def spec_edit_then(old: str, new: str) -> Setup:
    def setup(env: Env) -> list[str | Path]:
        edit_spec(env, old, new)
        return apply1(env)

    return setup


CASES: list[Case] = [
    # --- unknown node, spec file ------------------------------------------------------------------
    Case("unknown-node-apply", lambda e: ["apply", "--node", "9", "--spec", e.spec, "--yes"], SPEC_ERR,
         lambda e: [str(e.spec), "no [[node]] with id = 9"]),
    Case("unknown-node-diff", lambda e: ["diff", "--node", "9", "--spec", e.spec], SPEC_ERR,
         lambda e: [str(e.spec), "no [[node]] with id = 9"]),
    Case("unknown-node-with-home", lambda e: ["apply", "--node", "9", "--spec", e.spec, "--yes", "--home", e.home1],
         SPEC_ERR, lambda e: [str(e.spec), "no [[node]] with id = 9"]),
    Case("unknown-node-rollback", lambda e: ["rollback", "--node", "9", "--spec", e.spec, "--yes"], SPEC_ERR,
         lambda e: [str(e.spec), "no [[node]] with id = 9"]),
    Case("spec-not-found", lambda e: ["apply", "--node", "1", "--spec", e.tmp / "nope.toml", "--yes"], SPEC_ERR,
         lambda e: [str(e.tmp / "nope.toml"), "not found"]),
    Case("spec-is-a-directory", lambda e: ["apply", "--node", "1", "--spec", e.tmp, "--yes"], SPEC_ERR,
         lambda e: [str(e.tmp), "cannot read the cluster spec"]),
    Case("node-without-home", node_without_home, SPEC_ERR, lambda e: [str(e.spec), "node 2 has no home"]),
    Case("broken-toml", spec_edit_then('username = "regadmin"', "username = regadmin"), SPEC_ERR,
         lambda e: [str(e.spec), "invalid TOML"]),
    Case("unknown-key", spec_edit_then("offset = 3", "ofset = 3"), SPEC_ERR,
         spec_error_at("ofset", "unknown key 'ofset'", "did you mean 'offset'?")),
    Case("unknown-key-database", spec_edit_then('host = "localhost"', 'hostname = "localhost"'), SPEC_ERR,
         spec_error_at("hostname", "unknown key 'hostname'", "did you mean 'host'?")),
    Case("unknown-table", spec_edit_then("[cluster]", "[clustr]"), SPEC_ERR,
         spec_error_at("[clustr]", "unknown table [clustr]", "did you mean [cluster]?")),
    Case("wrong-type-offset", spec_edit_then("offset = 3", 'offset = "3"'), SPEC_ERR,
         spec_error_at('offset = "3"', "offset must be int, not str")),
    Case("wrong-type-id", spec_edit_then("id = 2", "id = true"), SPEC_ERR,
         spec_error_at("id = true", "id must be int, not bool")),
    Case("wrong-type-port", spec_edit_then("port = 3306", 'port = "x"'), SPEC_ERR,
         spec_error_at('port = "x"', "port must be int, not str")),
    Case("duplicate-node-ids", spec_edit_then("id = 2", "id = 1"), SPEC_ERR,
         spec_error_at("id = 1", "share id 1", occurrence=2)),
    Case("same-host-same-offset", spec_edit_then("offset = 3", "offset = 0"), SPEC_ERR,
         spec_error_at("offset = 0", "share host 10.100.7.118 with offset 0", occurrence=2)),
    Case("same-host-same-member-port", same_member_port, SPEC_ERR,
         spec_error_at("member_port = 4000", "share host 10.100.7.118 with member port 4000")),
    Case("password-and-password-env", spec_edit_then(PASSWORD_LINE, f'{PASSWORD_LINE}\npassword_env = "X"'),
         SPEC_ERR,
         spec_error_at("[database]", "exactly one of password and password_env")),
    Case("password-neither", spec_edit_then(f"{PASSWORD_LINE}\n", ""), SPEC_ERR,
         spec_error_at("[database]", "exactly one of password and password_env")),
    Case("password-env-unset", password_env_unset, SPEC_ERR,
         spec_error_at("password_env", f"${UNSET_VAR}", "not set")),
    Case("local-name-without-id", spec_edit_then("REGISTRY_LOCAL{id}", "REGISTRY_LOCAL"), SPEC_ERR,
         spec_error_at("local = ", "must contain {id}")),
    Case("bad-host", spec_edit_then('host = "10.100.7.118"', 'host = "10.100.7.118 <x>"'), SPEC_ERR,
         spec_error_at("<x>", "is not a host name or IP address")),
    Case("spec-empty", spec_empty, SPEC_ERR, lambda e: [str(e.spec), "no [database] table"]),
    Case("spec-utf16-with-bom", spec_utf16, SPEC_ERR, lambda e: [str(e.spec), "invalid TOML"]),
    Case("spec-symlink-loop", spec_symlink_loop, SPEC_ERR,
         lambda e: [str(e.tmp / "loop-a.toml"), "cannot read the cluster spec"]),
    Case("offset-negative", spec_edit_then("offset = 3", "offset = -1"), SPEC_ERR,
         spec_error_at("offset = -1", "offset -1 is out of range 0..54424")),
    Case("offset-70000", spec_edit_then("offset = 3", "offset = 70000"), SPEC_ERR,
         spec_error_at("offset = 70000", "offset 70000 is out of range 0..54424")),
    Case("member-port-0", spec_edit_then("offset = 3", "offset = 3\nmember_port = 0"), SPEC_ERR,
         spec_error_at("member_port = 0", "member_port 0 is out of range 1..65535")),
    Case("member-port-70000", spec_edit_then("offset = 3", "offset = 3\nmember_port = 70000"), SPEC_ERR,
         spec_error_at("member_port = 70000", "member_port 70000 is out of range 1..65535")),
    Case("database-port-0", spec_edit_then("port = 3306", "port = 0"), SPEC_ERR,
         spec_error_at("port = 0", "database port 0 is out of range 1..65535")),
    Case("node-id-zero", spec_edit_then("id = 2", "id = 0"), SPEC_ERR,
         spec_error_at("id = 0", "node id 0 must be a positive integer")),
    Case("localhost-in-multi-host-cluster", node_host(1, "localhost"), SPEC_ERR,
         spec_error_at('host = "localhost"', "node 1 host 'localhost'", "loopback", occurrence=2)),
    Case("127.0.0.1-in-multi-host-cluster", node_host(2, "127.0.0.1"), SPEC_ERR,
         spec_error_at('host = "127.0.0.1"', "node 2 host '127.0.0.1'", "loopback")),
    Case("password-key-typo", spec_edit_then(PASSWORD_LINE, f'pasword = "{SECRET}"'), SPEC_ERR,
         spec_error_at("pasword", "unknown key 'pasword'", "did you mean 'password'?")),
    Case("password-unquoted", spec_edit_then(PASSWORD_LINE, f"password = {SECRET}"), SPEC_ERR,
         lambda e: [str(e.spec), "invalid TOML"]),
    Case("password-wrong-type", spec_edit_then(PASSWORD_LINE, f'password = ["{SECRET}"]'), SPEC_ERR,
         spec_error_at("password = [", "password must be str, not list")),
    Case("database-name-not-plain", spec_edit_then('user = "WSO2_USER_DB"', 'user = "WSO2-USER-DB"'), SPEC_ERR,
         spec_error_at('user = "WSO2-USER-DB"', "'WSO2-USER-DB' (user) is not a plain MySQL name")),
    Case("apply-node-negative", lambda e: ["apply", "--node", "-1", "--spec", e.spec, "--yes"], SPEC_ERR,
         lambda e: [str(e.spec), "no [[node]] with id = -1"]),
    # --- usage errors (click: exit 2) ---------------------------------------------------------------
    Case("rollback-without-home-or-node", lambda e: ["rollback", "--spec", e.spec, "--yes"], USAGE,
         lambda e: ["--home", "--node"]),
    Case("diff-home-without-node", lambda e: ["diff", "--home", e.home1, "--spec", e.spec], USAGE,
         lambda e: ["--home", "--node"]),
    Case("apply-without-node", lambda e: ["apply", "--spec", e.spec, "--yes"], USAGE, lambda e: ["--node"]),
    Case("apply-node-not-a-number", lambda e: ["apply", "--node", "two", "--spec", e.spec, "--yes"], USAGE,
         lambda e: ["--node"]),
    Case("unknown-option", lambda e: ["apply", "--nod", "1", "--spec", e.spec, "--yes"], USAGE,
         lambda e: ["--nod"]),
    Case("home-without-value", lambda e: ["apply", "--node", "1", "--spec", e.spec, "--yes", "--home"], USAGE,
         lambda e: ["--home"]),
    Case("apply-node-float", lambda e: ["apply", "--node", "1.5", "--spec", e.spec, "--yes"], USAGE,
         lambda e: ["--node"]),
    Case("diff-node-not-a-number", lambda e: ["diff", "--node", "one", "--spec", e.spec], USAGE,
         lambda e: ["--node"]),
    Case("history-without-home-or-node", lambda e: ["history", "--spec", e.spec], USAGE,
         lambda e: ["--home", "--node"]),
    Case("unknown-command", lambda e: ["aply", "--node", "1", "--spec", e.spec], USAGE, lambda e: ["aply"]),
    # --- the product home ------------------------------------------------------------------------------
    Case("home-missing", lambda e: apply1(e, "--home", e.tmp / "nope"), HOME_ERR,
         lambda e: [str(e.tmp / "nope"), "does not exist"], trees=True),
    Case("diff-home-missing", lambda e: diff1(e, "--home", e.tmp / "nope"), HOME_ERR,
         lambda e: [str(e.tmp / "nope"), "does not exist"]),
    Case("rollback-home-missing", lambda e: ["rollback", "--home", e.tmp / "nope", "--yes"], HOME_ERR,
         lambda e: [str(e.tmp / "nope"), "does not exist"]),
    Case("spec-home-missing", spec_home_missing, HOME_ERR, lambda e: [str(e.tmp / "gone"), "does not exist"]),
    Case("diff-no-home-on-this-machine", no_home_here, HOME_ERR, lambda e: [str(e.spec), "no node of the spec"]),
    Case("home-is-a-file", home_is_file, HOME_ERR, lambda e: [str(e.tmp / "a-file"), "not a directory"]),
    Case("home-empty-dir", home_empty_dir, HOME_ERR,
         lambda e: [str(e.tmp / "empty"), "not a WSO2 Carbon product home", "repository/conf/carbon.xml"]),
    Case("home-without-carbon-xml", no_carbon_xml, HOME_ERR,
         lambda e: [str(e.home1), "not a WSO2 Carbon product home", "repository/conf/carbon.xml"], trees=True),
    Case("carbon45-home", carbon45, HOME_ERR,
         lambda e: [str(e.home1), "deployment.toml", "start-up", "overwritten"], trees=True),
    Case("carbon45-home-rollback", carbon45_rollback, HOME_ERR, lambda e: [str(e.home1), "deployment.toml"]),
    Case("carbon45-fixture", carbon45_fixture, HOME_ERR,
         lambda e: [str(e.tmp / "carbon45"), "deployment.toml", "start-up"]),
    Case("home-symlink-loop", home_symlink_loop, HOME_ERR,
         lambda e: [str(e.tmp / "home-a"), "looping symbolic link"], trees=True),
    Case("rollback-home-symlink-loop", rollback_home_symlink_loop, HOME_ERR,
         lambda e: [str(e.tmp / "home-a"), "looping symbolic link"]),
    Case("diff-home-dangling-symlink", home_dangling_symlink, HOME_ERR,
         lambda e: [str(e.tmp / "home-link"), "broken or looping symbolic link"]),
    # --- config files ------------------------------------------------------------------------------
    Case("missing-registry-xml", missing_registry, CONFIG_ERR, lambda e: [str(e.file(REGISTRY)), "missing"],
         trees=True),
    Case("carbon-xml-truncated-mid-tag", carbon_truncated, CONFIG_ERR,
         lambda e: [str(e.file(CARBON)), "malformed XML"], pattern=r"/carbon\.xml:\d+:\d+: malformed XML",
         trees=True),
    Case("carbon-xml-mismatched-tag", carbon_mismatched, CONFIG_ERR, carbon_mismatched_says,
         pattern=r"/carbon\.xml:\d+:\d+: ", trees=True),
    Case("registry-xml-is-a-directory", registry_is_a_directory, CONFIG_ERR,
         lambda e: [str(e.file(REGISTRY)), "cannot read"]),
    Case("unknown-encoding", unknown_encoding, CONFIG_ERR,
         lambda e: [f"{e.file(REGISTRY)}:1:1", "unknown encoding 'KLINGON-9'"], trees=True),
    Case("master-datasources-empty", datasources_empty, CONFIG_ERR,
         lambda e: [f"{e.file(DATASOURCES)}:1:1", "empty"], trees=True),
    Case("master-datasources-blank", datasources_blank, CONFIG_ERR, lambda e: [str(e.file(DATASOURCES)), "empty"]),
    Case("utf16-without-bom", utf16_without_bom("UTF-8"), CONFIG_ERR, lambda e: [str(e.file(CARBON))],
         pattern=r"/carbon\.xml:\d+:\d+: ", trees=True),
    Case("utf16-without-bom-declared-utf16", utf16_without_bom("UTF-16"), CONFIG_ERR,
         lambda e: [str(e.file(CARBON))], pattern=r"/carbon\.xml:\d+:\d+: "),
    Case("binary-garbage", binary_garbage, CONFIG_ERR, lambda e: [str(e.file(REGISTRY)), "utf-8"],
         pattern=r"/registry\.xml:3:1: ", trees=True),
    Case("latin1-byte-in-utf8", latin1_byte_in_utf8, CONFIG_ERR, latin1_says),
    Case("xxe-file-entity", xxe, CONFIG_ERR, lambda e: [str(e.file(DATASOURCES)), "DOCTYPE"],
         pattern=r"/master-datasources\.xml:\d+:\d+: ", trees=True, never=("root:",)),
    Case("xxe-in-carbon-xml", xxe_in_carbon, CONFIG_ERR, lambda e: [str(e.file(CARBON)), "DOCTYPE"],
         pattern=r"/carbon\.xml:\d+:\d+: ", never=("root:",)),
    Case("billion-laughs", billion_laughs, CONFIG_ERR, lambda e: [str(e.file(DATASOURCES)), "entit"],
         pattern=r"/master-datasources\.xml:\d+:\d+: ", trees=True, never=("lollollol",)),
    Case("external-dtd-http", external_dtd, CONFIG_ERR, lambda e: [str(e.file(DATASOURCES)), "DOCTYPE"],
         pattern=r"/master-datasources\.xml:\d+:\d+: ", trees=True),
    Case("external-dtd-file", external_dtd_file, CONFIG_ERR, lambda e: [str(e.file(DATASOURCES)), "DOCTYPE"],
         never=("root:",)),
    Case("parameter-entity", parameter_entity, CONFIG_ERR, lambda e: [str(e.file(DATASOURCES)), "DOCTYPE"],
         never=("root:",)),
    Case("xxe-http-entity", xxe_http, CONFIG_ERR, lambda e: [str(e.file(DATASOURCES)), "DOCTYPE"],
         pattern=r"/master-datasources\.xml:\d+:\d+: ", trees=True),
    Case("config-file-200mb", config_200mb, CONFIG_ERR, lambda e: [str(e.file(REGISTRY)), "200 MiB"]),
    Case("config-symlink-loop", config_symlink_loop(REGISTRY), CONFIG_ERR,
         lambda e: [str(e.file(REGISTRY)), "cannot read the config file", "symbolic links"], trees=True),
    Case("broker-xml-symlink-loop", config_symlink_loop(BROKER), CONFIG_ERR,
         lambda e: [str(e.file(BROKER))]),
    Case("config-dangling-symlink", config_dangling_symlink, CONFIG_ERR,
         lambda e: [str(e.file(REGISTRY)), "missing"]),
    Case("unreadable-config-directory", apply1, CONFIG_ERR,
         lambda e: [str(e.file(DATASOURCES)), "cannot read the config file", "Permission denied"],
         during=unreadable_datasources_dir),
    Case("utf16-with-bom-broken", utf16_bom_broken, CONFIG_ERR, lambda e: [str(e.file(CARBON)), "malformed XML"],
         pattern=r"/carbon\.xml:\d+:\d+: ", trees=True),
    Case("utf8-bom-broken", utf8_bom_broken, CONFIG_ERR, lambda e: [str(e.file(USER_MGT)), "malformed XML"],
         pattern=r"/user-mgt\.xml:\d+:\d+: "),
    Case("junk-after-root", junk_after_root, CONFIG_ERR, lambda e: [str(e.file(REGISTRY)), "malformed XML"],
         pattern=r"/registry\.xml:\d+:\d+: ", trees=True),
    Case("unclosed-comment", unclosed_comment, CONFIG_ERR, lambda e: [str(e.file(AXIS2)), "malformed XML"],
         pattern=r"/axis2\.xml:\d+:\d+: "),
    Case("unquoted-attribute", unquoted_attribute, CONFIG_ERR, lambda e: [str(e.file(AXIS2)), "malformed XML"],
         pattern=r"/axis2\.xml:\d+:\d+: "),
    Case("undefined-entity", undefined_entity, CONFIG_ERR, lambda e: [str(e.file(USER_MGT)), "nbsp"],
         pattern=r"/user-mgt\.xml:\d+:\d+: "),
    Case("cdata-password-unterminated", cdata_password_unterminated(SECRET), CONFIG_ERR,
         lambda e: [str(e.file(DATASOURCES)), "malformed XML"], pattern=r"/master-datasources\.xml:\d+:\d+: ",
         trees=True),
    Case("cdata-password-with-spaces-unterminated", cdata_password_unterminated(VAULT_PHRASE), CONFIG_ERR,
         lambda e: [str(e.file(DATASOURCES)), "malformed XML"], pattern=r"/master-datasources\.xml:\d+:\d+: "),
    Case("cdata-long-password-unterminated", cdata_password_unterminated(LONG_SECRET), CONFIG_ERR,
         lambda e: [str(e.file(DATASOURCES)), "malformed XML"], pattern=r"/master-datasources\.xml:\d+:\d+: "),
    # --- patches that do not fit ---------------------------------------------------------------------
    Case("axis2-without-members", no_members, PATCH_ERR,
         lambda e: [str(e.file(AXIS2)), "wka-members", "/axisconfig/clustering/members", "matched 0"], trees=True),
    Case("carbon-xml-two-offsets", two_offsets, PATCH_ERR,
         lambda e: [str(e.file(CARBON)), "port-offset", "/Server/Ports/Offset", "matched 2"], trees=True),
    # --- confirmation and drift ----------------------------------------------------------------------
    Case("apply-without-yes", lambda e: ["apply", "--node", "1", "--spec", e.spec], REFUSED,
         lambda e: ["not confirmed", "--yes", "nothing was written"], trees=True),
    Case("apply-without-yes-json", lambda e: ["apply", "--node", "1", "--spec", e.spec, "--json"], REFUSED,
         lambda e: ["not confirmed", "--yes"]),
    Case("rollback-without-yes", rollback_without_yes, REFUSED, lambda e: ["not confirmed", "--yes"], trees=True),
    Case("rollback-after-hand-edit", rollback_drift, DRIFT_ERR,
         lambda e: [str(e.home1), "repository/conf/registry.xml", "--force"], trees=True),
    # --- the journal (.wso2patch/) ---------------------------------------------------------------------
    Case("state-dir-is-a-file", state_dir_is_a_file, CONFIG_ERR,
         lambda e: [str(e.home1 / ".wso2patch" / "journal.json"), "unreadable journal", "move .wso2patch away"]),
    Case("disk-full-mid-apply", apply1, WRITE_ERR,
         lambda e: [str(e.file(REGISTRY)), "No space left on device", "every file was left as it was"],
         during=disk_full_on_registry, trees=True),
    Case("rollback-to-unknown-id", rollback_to_unknown, HOME_ERR,
         lambda e: ["no applied transaction UNKNOWN-ID", "wso2patch history"]),
    Case("status-with-pending-transaction", pending_then(status1), UNFINISHED,
         lambda e: [str(e.home1), "run 'wso2patch recover"]),
    Case("diff-with-pending-transaction", pending_then(diff1), UNFINISHED,
         lambda e: [str(e.home1), "run 'wso2patch recover"]),
    Case("journal-truncated-diff", corrupt_journal_then(b'{"version": 1, "transactions": [', diff1), CONFIG_ERR,
         journal_says),
    Case("journal-binary-apply", corrupt_journal_then(b"\x00\xff\xfe garbage", apply1), CONFIG_ERR, journal_says),
    Case("journal-wrong-fields-rollback", corrupt_journal_then(b'{"version": 1, "transactions": [{"id": "x"}]}',
                                                               rollback1), CONFIG_ERR, journal_says),
    Case("journal-a-list-status", corrupt_journal_then(b"[]\n", status1), CONFIG_ERR, journal_says),
    Case("journal-wrong-shape-history", corrupt_journal_then(b'{"transactions": "nope"}', history1), CONFIG_ERR,
         journal_says),
]


def case_params(cases: Sequence[Case]) -> Iterator[Any]:
    """(case, tree) for each case: the fixture home, and every stock tree where the case says so."""
    fixture_marks = [pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)]
    for case in cases:
        yield pytest.param(case, MB_HOME, id=f"{case.id}-fixture-mb-home", marks=fixture_marks)
        if case.trees:
            for p in stock_params():
                yield pytest.param(case, p.values[0], id=f"{case.id}-{p.id}", marks=p.marks)


def _params() -> Iterator[Any]:
    return case_params(CASES)


def run_case(case: Case, env: Env, cli: Cli) -> None:
    """Run one catalogue case in-process: its exit code, one line, and not one byte changed anywhere in env.tmp."""
    args = case.setup(env)
    before = state(env.tmp)
    with pytest.MonkeyPatch.context() as mp:
        if case.during is not None:
            case.during(env, mp)
        result = cli(*args)
    assert state(env.tmp) == before, f"a byte changed (exit {result.exit_code}): ...{result.output[-600:]}"
    check_error(case, env, result.exit_code, result.stdout, result.stderr)
    for s in case.never:
        for p in env.tmp.rglob("*"):
            if p.is_file():
                assert s.encode() not in p.read_bytes(), p


def state(root: Path) -> tuple[dict[str, str], list[str]]:
    """Every file's hash, and every path (so that a created or removed directory also counts)."""
    return snapshot(root), sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def check_error(case: Case, env: Env, code: int, stdout: str, stderr: str) -> None:
    both = stdout + stderr
    assert "Traceback" not in both, both
    leaked = [part for secret in SECRETS for part in fragments(secret) if part in both]
    assert not leaked, f"passwords leaked into the output ({leaked[0]!r}...): {both}"
    assert code == case.code, f"exit {code}, expected {case.code}: {both}"
    if case.code == USAGE and not stderr.startswith("wso2patch: "):  # click's own box (in-process runner)
        assert "Error" in stderr, stderr
        for s in case.says(env):
            assert s in stderr, (s, stderr)
    elif case.code == USAGE:  # the console script: one line
        assert stderr.count("\n") == 1 and stderr.startswith("wso2patch: usage error: "), repr(stderr)
        for s in case.says(env):
            assert s in stderr, (s, stderr)
    else:
        lines = stderr.strip("\n").splitlines()
        assert len(lines) == 1, f"expected one error line on stderr, got: {stderr!r}"
        line = lines[0]
        assert line.startswith("wso2patch: error: "), line
        for s in case.says(env):
            assert s in line, (s, line)
        if case.pattern is not None:
            assert re.search(case.pattern, line), (case.pattern, line)
    for s in case.never:
        assert s not in both, f"{s!r} leaked into the output"


def fragments(secret: str, size: int = 8) -> set[str]:
    """Every run of `size` characters of a secret: printing most of a password is a leak too."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)} or {secret}


def make_env(tmp_path: Path, cluster: Callable[[Path], tuple[Path, Path, Path]], tree: Path) -> Env:
    spec, home1, home2 = cluster(tree)
    env = Env(tmp_path, spec, home1, home2)
    edit_spec(env, 'password = "regadmin"', PASSWORD_LINE)
    return env


@pytest.mark.parametrize(("case", "tree"), list(_params()))
def test_bad_input(case: Case, tree: Path, tmp_path: Path, cluster: Callable[[Path], tuple[Path, Path, Path]],
                   cli: Cli) -> None:
    run_case(case, make_env(tmp_path, cluster, tree), cli)


def test_apply_without_yes_json_is_one_document(tmp_path: Path, cluster: Callable[[Path], tuple[Path, Path, Path]],
                                               cli: Cli) -> None:
    if not (MB_HOME / CARBON).is_file():
        pytest.skip(NO_FIXTURES)
    env = make_env(tmp_path, cluster, MB_HOME)
    before = state(tmp_path)
    result = cli("apply", "--node", "1", "--spec", env.spec, "--json")
    assert state(tmp_path) == before
    doc = json.loads(result.stdout)
    assert doc["exit_code"] == REFUSED == result.exit_code
    assert doc["status"] == "error"
    assert doc["error"]["type"] == "RefusedError"


# --- the real console script, in a subprocess (stdin is no terminal) ----------------------------------
def console_script() -> list[str]:
    script = Path(sys.executable).parent / "wso2patch"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "wso2patch"]


SUBPROCESS_CASES = ["unknown-node-apply", "carbon-xml-truncated-mid-tag", "xxe-file-entity", "apply-node-float",
                    "unknown-command", "config-symlink-loop", "journal-truncated-diff"]


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)
@pytest.mark.parametrize("case", [c for c in CASES if c.id in SUBPROCESS_CASES], ids=lambda c: c.id)
def test_console_script(case: Case, tmp_path: Path, cluster: Callable[[Path], tuple[Path, Path, Path]]) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    args = [str(a) for a in case.setup(env)]
    before = state(tmp_path)
    environ = {k: v for k, v in os.environ.items() if k != "WSO2PATCH_DEBUG"}
    proc = subprocess.run([*console_script(), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          cwd=tmp_path, env=environ, timeout=120, check=False)
    assert state(tmp_path) == before
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n"), repr(proc.stderr)
    check_error(case, env, proc.returncode, proc.stdout, proc.stderr)


class _CountLine:
    """A one-line plugin: the catalogue's count in the terminal summary, with or without -s."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_line(self.line)


def test_catalogue(request: pytest.FixtureRequest) -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert {c.code for c in CASES} == {USAGE, SPEC_ERR, HOME_ERR, CONFIG_ERR, PATCH_ERR, DRIFT_ERR, REFUSED,
                                       WRITE_ERR, UNFINISHED}
    runs = len(list(_params()))
    line = (f"bad-input catalogue: {len(CASES)} cases, {runs} runs "
            f"({sum(c.trees for c in CASES)} cases also on each stock tree)")
    print(f"\n{line}")
    plugins = request.config.pluginmanager
    if not plugins.has_plugin("wso2patch-bad-input-count"):
        plugins.register(_CountLine(line), "wso2patch-bad-input-count")
    assert len(CASES) >= 40, f"{line}: issue 4 asks for at least 40"
