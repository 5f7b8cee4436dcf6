"""The .properties operations: each applies, and a second run is "already" and byte-identical; generated files keep
every other entry and byte; the real stock files (hazelcast, cipher-text, cipher-tool, secret-conf) take the
intended edits and nothing else."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import DIST, FIXTURES
from tests.test_props_reader import KEY_ATOMS, Oracle, java_load, props_file, start_oracle, units
from wso2patch.errors import ConfigError
from wso2patch.properties import PropOp, RemoveProp, SetProp, apply_prop_op, parse


def must(text: str | None) -> str:
    assert text is not None
    return text


def run_twice(text: str | None, op: PropOp) -> str | None:
    """Apply once (must report applied), then again (must report already and change nothing)."""
    first, outcome = apply_prop_op(text, op)
    assert outcome == "applied"
    second, again = apply_prop_op(first, op)
    assert again == "already" and second == first
    return first


# --- set_property on an existing key ----------------------------------------------------------------
def test_set_changes_only_the_value() -> None:
    assert run_twice("# c\r\na = 1\r\nb=2", SetProp("a", "x")) == "# c\r\na = x\r\nb=2"


def test_set_compares_decoded_values() -> None:
    for text, value in [("a=b\\=c", "b=c"), ("a=\\u00e9\\u20ac", "\xe9\u20ac"), ("a b\\\n   c", "bc"),
                        ("a=\\uD83D\\uDE00", "\U0001f600"), ("a:\\ x", " x")]:
        assert apply_prop_op(text, SetProp("a", value)) == (text, "already")


def test_set_escapes_as_store_does() -> None:
    out = run_twice("a=1\n", SetProp("a", " x=y:#!\\\t\xe9\u20ac\n"))
    assert out == "a=\\ x\\=y\\:\\#\\!\\\\\\t\\u00E9\\u20AC\\n\n"
    assert java_load(out or "") == {"a": " x=y:#!\\\t\xe9\u20ac\n"}


def test_set_replaces_a_value_spread_over_continuation_lines_and_keeps_the_key_as_written() -> None:
    text = "ke\\\n  y = one \\\n    two\\\n    three\nnext=1\n"
    assert run_twice(text, SetProp("key", "4")) == "ke\\\n  y = 4\nnext=1\n"


def test_set_replaces_a_dangling_backslash() -> None:
    assert run_twice("a=1\\\n\nb=2", SetProp("a", "x")) == "a=x\n\nb=2"
    assert run_twice("a=\\", SetProp("a", "x")) == "a=x"


def test_set_to_empty_drops_a_continuation_that_would_take_the_next_line() -> None:
    # found by hypothesis: "a=\\\r" + "" + "\n" reads as a continuation over "\r\n", joining ".=" to the value
    assert run_twice("a=\\\ra=\n.=\n", SetProp("a", "")) == "a=\n.=\n"
    assert run_twice("a :\\\n  x\nb=1", SetProp("a", "")) == "a :\nb=1"


def test_set_changes_the_last_of_duplicates_which_java_reads() -> None:
    assert run_twice("a=1\nb=2\na=3\n", SetProp("a", "x")) == "a=1\nb=2\na=x\n"
    assert apply_prop_op("a=x\na=1\n", SetProp("a", "1"))[1] == "already"  # the first is dead to Java


def test_set_gives_a_key_only_line_a_separator() -> None:
    assert run_twice("flag\nb=2", SetProp("flag", "on")) == "flag=on\nb=2"
    assert run_twice("flag \nb=2", SetProp("flag", "on")) == "flag on\nb=2"


# --- set_property on a new key ----------------------------------------------------------------------
def test_new_key_follows_the_last_entry_with_its_separator_indent_and_line_break() -> None:
    text = "# head\r\n  a : 1\r\n  b : 2\r\n\r\n# tail\r\n"
    assert run_twice(text, SetProp("c d", "3")) == "# head\r\n  a : 1\r\n  b : 2\r\n  c\\ d : 3\r\n\r\n# tail\r\n"


def test_new_key_in_a_file_without_final_newline_adds_one_line_only() -> None:
    stock = (FIXTURES / "mb-home/repository/conf/hazelcast.properties").read_bytes().decode("latin-1")
    assert not stock.endswith("\n")
    out = run_twice(stock, SetProp("hazelcast.shutdownhook.enabled", "false"))
    assert out == stock + "\nhazelcast.shutdownhook.enabled=false"
    assert apply_prop_op(out, SetProp("hazelcast.logging.type", "log4j")) == (out, "already")


def test_new_key_uses_the_nearest_line_break_in_a_mixed_file() -> None:
    text = "a=1\r\nb=2\nc=3"
    assert run_twice(text, SetProp("d", "4")) == "a=1\r\nb=2\nc=3\nd=4"


def test_new_key_goes_after_its_commented_out_twin() -> None:
    text = "#\r\n#secretRepositories=file\r\n#keystore.identity.type = JKS\r\n##x=y\r\n#\r\n"
    out = run_twice(text, SetProp("keystore.identity.type", "PKCS12"))
    assert out == "#\r\n#secretRepositories=file\r\n#keystore.identity.type = JKS\r\nkeystore.identity.type = PKCS12" \
        "\r\n##x=y\r\n#\r\n"
    assert run_twice(text, SetProp("x", "1")) == text + "x=1\r\n"  # "##x=y" comments a comment: no twin


def test_new_key_after_a_twin_on_the_last_line() -> None:
    assert run_twice("a=1\n# b=2", SetProp("b", "3")) == "a=1\n# b=2\nb=3"


def test_new_key_after_a_last_line_that_continues() -> None:
    # a backslash at the very end would pull the new line into the last value: a blank line ends it first
    assert run_twice("a=1\\", SetProp("b", "2")) == "a=1\\\n\nb=2"
    assert run_twice("a=1\\\n", SetProp("b", "2")) == "a=1\\\n\nb=2\n"


def test_creates_the_file_when_absent_or_empty() -> None:
    assert run_twice(None, SetProp("a b", "=1")) == "a\\ b=\\=1\n"
    assert run_twice("", SetProp("a", "1")) == "a=1\n"
    assert run_twice("# only a comment", SetProp("a", "1")) == "# only a comment\na=1"


def test_separator_copied_only_from_a_clean_neighbour() -> None:
    # the last entry's separator spans a continuation and its value is empty: the one before sets the style
    assert run_twice("a: 1\nb=\\\n  2\nc = \n", SetProp("d", "4")) == "a: 1\nb=\\\n  2\nc = \nd: 4\n"


def test_latin1_bytes_are_kept() -> None:
    raw = b"# caf\xe9\nname=Jos\xe9\n"
    out = run_twice(raw.decode("latin-1"), SetProp("city", "S\xe3o Paulo"))
    assert out is not None and out.encode("latin-1") == raw + b"city=S\\u00E3o Paulo\n"


# --- remove_property --------------------------------------------------------------------------------
def test_remove_takes_every_logical_line_of_the_key_and_nothing_else() -> None:
    text = "# about a\na=1\\\n  2\r\nb=2\n  a = 3\n# after\n"
    assert run_twice(text, RemoveProp("a")) == "# about a\nb=2\n# after\n"


def test_remove_keeps_a_missing_final_newline() -> None:
    assert run_twice("a=1\r\nb=2", RemoveProp("b")) == "a=1"
    assert run_twice("b=1\nb=2", RemoveProp("b")) == ""


def test_remove_when_absent_is_already() -> None:
    assert apply_prop_op("a=1", RemoveProp("b")) == ("a=1", "already")
    assert apply_prop_op(None, RemoveProp("b")) == (None, "already")


def test_remove_undoes_an_insert_byte_for_byte() -> None:
    for text in ["a=1", "a=1\r\n", "#x=1\n", "a=1\n#c", "# b=0\r\n"]:
        added, _ = apply_prop_op(text, SetProp("b", "2"))
        assert apply_prop_op(added, RemoveProp("b")) == (text, "applied")


def test_a_backslash_only_last_line_is_refused_rather_than_dropped() -> None:
    # "\\" alone at the end of the file is the entry "" = "" for Java; any line after it would make it vanish
    assert java_load("a=1\n\\") == {"a": "1", "": ""}
    with pytest.raises(ConfigError, match=r"^p.properties:2:1: a line that holds only a backslash.*; remove that line"):
        apply_prop_op("a=1\n\\", SetProp("b", "2"), where="p.properties")
    assert run_twice("a=1\n\\", SetProp("", "x")) == "a=1\n=x"


def test_a_file_java_cannot_load_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^x.properties:2:3: malformed"):
        apply_prop_op("a=1\nb=\\u12\n", SetProp("a", "2"), where="x.properties")


# --- properties over generated files ------------------------------------------------------------------
keys = st.text(st.sampled_from("ab.= :#\xe9\u20ac"), max_size=4) | st.lists(st.sampled_from(KEY_ATOMS), min_size=1,
                                                                          max_size=3).map(lambda k: java_key(k))
values = st.text(max_size=8)


def java_key(atoms: list[str]) -> str:
    return next(iter(parse("".join(atoms) + "=").load()))


def set_prop(text: str, key: str, value: str) -> tuple[str | None, str]:
    """SetProp, with the one refusal (a backslash-only last line, see below) taken out of the generated cases."""
    try:
        return apply_prop_op(text, SetProp(key, value))
    except ConfigError as e:
        assume("holds only a backslash" not in str(e))
        raise


def loadable(text: str) -> dict[str, str]:
    got = java_load(text)
    assume(got is not None)
    assert got is not None
    return got


@given(props_file(), st.data(), values)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_set_property_keeps_everything_else(text: str, data: st.DataObject, value: str) -> None:
    before = loadable(text)
    key = data.draw(st.sampled_from(sorted(before)) | keys if before else keys)
    value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    out, outcome = set_prop(text, key, value)
    assert out is not None
    after = loadable(out)
    assert after == {**before, key: value}
    assert apply_prop_op(out, SetProp(key, value)) == (out, "already")
    if outcome == "already":
        assert out == text and before.get(key) == value
    elif key in before:  # only the last occurrence's value span changed (and, for "", a continuation before it)
        e = [e for e in parse(text).entries if e.key == key][-1]
        cut = e.value_span[0] if value else e.sep_span[0]
        assert out.startswith(text[:cut]) and out.endswith(text[e.value_span[1] :])
    else:  # one line (and where needed the break before it) inserted, every old byte kept in order
        extra = len(out) - len(text)
        assert any(out[:q] + out[q + extra :] == text for q in range(len(out) - extra + 1))
        assert len(parse(out).entries) == len(parse(text).entries) + 1


@given(props_file(), st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_remove_property_keeps_everything_else(text: str, data: st.DataObject) -> None:
    before = loadable(text)
    key = data.draw(st.sampled_from(sorted(before)) | keys if before else keys)
    out, outcome = apply_prop_op(text, RemoveProp(key))
    assert out is not None
    assert loadable(out) == {k: v for k, v in before.items() if k != key}
    assert apply_prop_op(out, RemoveProp(key)) == (out, "already")
    assert (outcome == "already") == (key not in before)
    kept = iter(text)
    assert all(ch in kept for ch in out)  # the result is the old text with pieces cut out
    assert all(e in [(d.key, d.value) for d in parse(text).entries]
               for e in [(d.key, d.value) for d in parse(out).entries])


@given(props_file(), keys, values)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_set_then_remove_of_a_new_key_restores_the_bytes(text: str, key: str, value: str) -> None:
    before = loadable(text)
    assume(key not in before)
    entries = parse(text).entries
    # the one exception: a last line that continues at the end of the file keeps the blank line that ends it
    assume(not (entries and re.search(r"(?<!\\)(\\\\)*\\\Z", text[entries[-1].start : entries[-1].value_span[1]])))
    # likewise when that continuation holds no entry at all ('\\\n \\\r\n': Java reads an empty logical line),
    # the new line joins it: Java still reads the key as set, but removing the key takes the continuation with it
    last = text.rstrip("\r\n").rsplit("\n", 1)[-1].rsplit("\r", 1)[-1]
    assume(not (not entries and text.endswith(("\n", "\r")) and re.search(r"(?<!\\)(\\\\)*\\\Z", last)))
    added, _ = set_prop(text, key, value)
    assert apply_prop_op(added, RemoveProp(key)) == (text, "applied")


# --- the real stock files -------------------------------------------------------------------------------
STOCK_NAMES = ("hazelcast.properties", "cipher-text.properties", "cipher-tool.properties", "secret-conf.properties")
STOCK_FILES = sorted(p for p in DIST.glob("*/**/*.properties") if p.name in STOCK_NAMES) if DIST.is_dir() else []
NEW: dict[str, list[SetProp]] = {
    "hazelcast.properties": [SetProp("hazelcast.shutdownhook.enabled", "false"),
                             SetProp("hazelcast.logging.type", "log4j")],
    "cipher-text.properties": [SetProp("WSO2.MB.Store.Password", "kqT1Yo4Nq8wZ3v/Ux+0r5Q=="),
                               SetProp("Carbon.Security.Other.Password", "[secret]")],
    "cipher-tool.properties": [SetProp("WSO2.MB.Store.Password",
                                       "repository/conf/datasources/master-datasources.xml//datasources-configuration/"
                                       "datasources/datasource[name='WSO2_MB_STORE_DB']/definition[@type='RDBMS']/"
                                       "configuration/password,false"),
                               SetProp("Server.Service.Connector.truststorePass",
                                       "repository/conf/tomcat/catalina-server.xml//Server/Service/"
                                       "Connector[@truststorePass],true")],
    "secret-conf.properties": [SetProp("secretRepositories", "file"),
                               SetProp("keystore.identity.location", "repository/resources/security/wso2carbon.jks")],
}


def changed_lines(old: str, new: str) -> tuple[int, int]:
    """(lines removed, lines added), physical lines with their line breaks, as difflib counts them."""
    split = re.compile(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")
    diff = list(difflib.ndiff(split.split(old), split.split(new)))
    return sum(d.startswith("- ") for d in diff), sum(d.startswith("+ ") for d in diff)


@pytest.mark.parametrize("path", [pytest.param(p, id=str(p.relative_to(DIST))) for p in STOCK_FILES] or [
    pytest.param(None, marks=pytest.mark.skip(reason="../shared/wso2-dist is not beside the repo"))])
def test_stock_files_take_two_keys_and_nothing_else(path: Path) -> None:
    raw = path.read_bytes()
    stock = text = raw.decode("latin-1")
    assert parse(stock).unparse().encode("latin-1") == raw
    ops = NEW[path.name]
    applied = [op for op in ops if apply_prop_op(stock, op)[1] == "applied"]
    for op in ops:
        text = must(run_twice(text, op) if op in applied else apply_prop_op(text, op)[0])
    assert java_load(text) == {**(java_load(stock) or {}), **{op.key: op.value for op in ops}}
    removed, added = changed_lines(stock, text)
    assert added - removed == len(applied)  # one new line per new key...
    assert removed <= (0 if re.search(r"[\r\n]\Z", stock) else 1)  # ...and a last line without a break gains one
    lines = text.splitlines()
    for op in applied:  # next to its commented-out twin when there is one
        at = next(i for i, ln in enumerate(lines) if ln.startswith(op.key + "="))
        assert lines[at - 1].startswith(f"#{op.key}=") == (f"#{op.key}=" in stock)
    for op in applied:
        text = must(run_twice(text, RemoveProp(op.key)))
    assert text.encode("latin-1") == raw


@pytest.mark.parametrize("path", [pytest.param(p, id=str(p.relative_to(DIST))) for p in STOCK_FILES] or [
    pytest.param(None, marks=pytest.mark.skip(reason="../shared/wso2-dist is not beside the repo"))])
def test_stock_files_change_one_line_per_existing_value(path: Path) -> None:
    stock = path.read_bytes().decode("latin-1")
    entries = parse(stock).entries
    if not entries:
        pytest.skip(f"{path.name} has no active entry (every line is commented out)")
    e = entries[0]
    text = run_twice(stock, SetProp(e.key, e.value + "=changed"))
    assert text is not None and changed_lines(stock, text) == (1, 1)
    back = run_twice(text, SetProp(e.key, e.value))
    assert java_load(back or "") == java_load(stock)


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    yield from start_oracle(tmp_path_factory)


@given(props_file(), st.data(), values)
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_java_reads_what_set_property_promised(java: Oracle, text: str, data: st.DataObject, value: str) -> None:
    before = loadable(text)
    key = data.draw(st.sampled_from(sorted(before)) | keys if before else keys)
    out, _ = set_prop(text, key, value)
    assert out is not None
    assert java.load(out) == {units(k): units(v) for k, v in {**before, key: value}.items()}
