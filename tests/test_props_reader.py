"""The .properties reader: every trait of Properties.load, a byte-identical round trip, and the same answers as real
Java (javac/java, JDK 9+) on hand-picked and generated files."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wso2patch.errors import ConfigError
from wso2patch.properties import escape, parse

# --- file generators (the ops tests use them too) ------------------------------------------------------
EOLS = ["\n", "\r\n", "\r"]
# A soup of every character that matters to the reader: anything goes, malformed \u escapes included.
SOUP_TOKENS = ["a", "k", "u", "0", "F", "\xe9", "\xff", "\x00", " ", "\t", "\f", "\x0b", "=", ":", "#", "!", "\\",
               "\\\\", "\\u0041", "\\u00e9", "\\uD83D", "\\uDE00", "\\u12", "\\n", "\\t", "\\=", "\\ ", "\\\n",
               "\\\r\n", "\\\r", "\r", "\n", "\r\n"]
soup = st.lists(st.sampled_from(SOUP_TOKENS), max_size=40).map("".join)

WS = st.sampled_from(["", "", " ", "  ", "\t", "\f"])
KEY_ATOMS = ["a", "b", "k", ".", "x1", "\xe9", "\\=", "\\:", "\\ ", "\\#", "\\u0041", "\\\\", "\\t", "\\uD83D\\uDE00"]
VALUE_ATOMS = [*KEY_ATOMS, " ", "=", ":", "#", "!", "\\n", "/", ",", "[", "]"]


@st.composite
def continuation(draw: st.DrawFn) -> str:
    return "\\" + draw(st.sampled_from(EOLS)) + draw(WS)


@st.composite
def entry_line(draw: st.DrawFn) -> str:
    key = draw(st.lists(st.sampled_from(KEY_ATOMS) | continuation(), min_size=1, max_size=4))
    sep = draw(st.sampled_from(["=", ":", " ", " = ", "\t:", " :  ", "  ", "=\\\n   "]))
    value = draw(st.lists(st.sampled_from(VALUE_ATOMS) | continuation(), max_size=6))
    tail = draw(st.sampled_from(["", "", "", " ", "\\"]))  # trailing blanks, a dangling backslash
    return draw(WS) + "".join(key) + sep + "".join(value) + tail


@st.composite
def other_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["blank", "comment", "twin"]))
    if kind == "blank":
        return draw(WS)
    body = draw(entry_line()) if kind == "twin" else draw(st.text(st.sampled_from("ab =:\\#!\xe9"), max_size=12))
    return draw(WS) + draw(st.sampled_from(["#", "!", "# ", "##"])) + body.replace("\r", "").replace("\n", "")


@st.composite
def props_file(draw: st.DrawFn) -> str:
    """A file of entries, comments (some of them commented-out entries) and blank lines, with mixed line breaks
    and continuations, with or without a final line break."""
    lines = draw(st.lists(entry_line() | other_line(), max_size=8))
    out = "".join(line + draw(st.sampled_from(EOLS)) for line in lines)
    return out[: -1 if out.endswith("\n") else len(out)] if draw(st.booleans()) else out


def java_load(text: str) -> dict[str, str] | None:
    """Our decoding, or None where Java's load throws (a malformed \\uXXXX escape)."""
    try:
        return parse(text).load()
    except ConfigError:
        return None


# --- hand-picked traits, each with what Java loads ----------------------------------------------------
CASES: list[tuple[str, str, dict[str, str] | None]] = [
    ("separators", "a=1\nb = 2\r\nc:3\rd 4\ne\t:\t5\nf  =  =6\ng::7\nh = :8\ni  j",
     {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "=6", "g": ":7", "h": ":8", "i": "j"}),
    ("empty values and keys", "k\nl=\n:m\n", {"k": "", "l": "", "": "m"}),
    ("only a separator", "=", {"": ""}),
    ("whitespace ends the key", "key with spaces=v", {"key": "with spaces=v"}),
    ("escaped separators in the key", "a\\ b\\=c\\:d\\#=v", {"a b=c:d#": "v"}),
    ("unicode escapes", "u=\\u0041\\u00e9\\u20AC\\uD83D\\uDE00", {"u": "A\xe9\u20ac\U0001f600"}),
    ("a lone surrogate", "s=\\uD83D!", {"s": "\ud83d!"}),
    ("control escapes", "t=\\t\\n\\r\\f\\q\\b\\\\", {"t": "\t\n\r\fqb\\"}),
    ("escaped leading space", "a= \\ b  ", {"a": " b  "}),
    ("continuation", "a=1\\\n   2\nb=1\\\r\n\t2\rc=1\\\r2", {"a": "12", "b": "12", "c": "12"}),
    ("even backslashes do not continue", "a=1\\\\\n2=x", {"a": "1\\", "2": "x"}),
    ("odd backslashes continue", "a=1\\\\\\\n2", {"a": "1\\2"}),
    ("backslash at the end of the file", "a=1\\", {"a": "1"}),
    ("backslash and line break at the end", "a=1\\\n", {"a": "1"}),
    ("a backslash alone", "\\", {"": ""}),
    ("a backslash alone before the end", "\\\n", {"": ""}),
    ("a backslash-only line is nothing", "\\\n \nx=1", {"x": "1"}),
    ("a comment right after a backslash-only line", "\\\n#c=1", {}),
    ("comments", "#a=1\n!b=2\n  #c=3\n\f!x\nd=4 #not a comment", {"d": "4 #not a comment"}),
    ("comments do not continue", "#a\\\nb=1", {"b": "1"}),
    ("a blank line ends a continuation", "a=1\\\n\nb=2\nc=3\\\n  \t\nd=4", {"a": "1", "b": "2", "c": "3", "d": "4"}),
    ("latin-1 characters", "\xe9=\xff", {"\xe9": "\xff"}),
    ("\\v is not whitespace, \\f is", "\x0ba=1\n\fb=2", {"\x0ba": "1", "b": "2"}),
    ("the last occurrence wins", "a=1\na=2\n", {"a": "2"}),
    ("a key across lines", "ke\\\n  y = v", {"key": "v"}),
    ("a separator after a continuation", "a\\\n  =\\\n  v", {"a": "v"}),
    ("NUL is a character", "a\x00=\x00", {"a\x00": "\x00"}),
    ("malformed: short", "a=\\u12", None),
    ("malformed: not hex", "a=\\u00g1", None),
    ("malformed: in a key", "\\uZZZZ=1", None),
    ("malformed: cut by the end of the line", "a=\\u004\nb=1", None),
]


@pytest.mark.parametrize(("text", "want"), [pytest.param(t, w, id=i) for i, t, w in CASES])
def test_decodes_as_java_does(text: str, want: dict[str, str] | None) -> None:
    assert java_load(text) == want


def test_spans_of_one_entry() -> None:
    text = "x=0\r\n  key\\\n  name = va\\\r\n\tlue\r\n# after"
    e = parse(text).entries[1]
    assert (e.key, e.value, e.line) == ("keyname", "value", 2)
    assert text[e.start : e.key_span[0]] == "  "
    assert text[slice(*e.key_span)] == "key\\\n  name"
    assert text[slice(*e.sep_span)] == " = "
    assert text[slice(*e.value_span)] == "va\\\r\n\tlue"
    assert text[e.value_span[1] : e.end] == "\r\n"


def test_a_dangling_backslash_belongs_to_the_value_span() -> None:
    text = "a=1\\\n\nb=2"
    e = parse(text).entries[0]
    assert text[slice(*e.value_span)] == "1\\\n" and text[e.value_span[1] : e.end] == "\n"


def test_comments_are_found_with_their_markers() -> None:
    text = "a=1\n  # one\r\n!two"
    got = [(text[c.start : c.marker], text[c.marker : c.stop], text[c.stop : c.end]) for c in parse(text).comments]
    assert got == [("  ", "# one", "\r\n"), ("", "!two", "")]


def test_malformed_escape_is_one_line_error_with_position() -> None:
    with pytest.raises(ConfigError) as e:
        parse("a=1\r\nb=x\\u12G4\n", where="conf/x.properties")
    assert str(e.value).startswith("conf/x.properties:2:4: malformed \\uXXXX escape")
    assert "\n" not in str(e.value)


def test_store_escapes() -> None:
    assert escape(" a b=c:d#e!f\\", key=True) == "\\ a\\ b\\=c\\:d\\#e\\!f\\\\"
    assert escape(" a b=c", key=False) == "\\ a b\\=c"
    assert escape("\t\n\r\f\x01\x7f\xe9\u20ac\U0001f600", key=False) == \
        "\\t\\n\\r\\f\\u0001\\u007F\\u00E9\\u20AC\\uD83D\\uDE00"
    assert escape("ab;<>\"'[]/,~", key=False) == "ab;<>\"'[]/,~"


@given(st.one_of(soup, props_file()))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_is_byte_identical(text: str) -> None:
    try:
        pf = parse(text)
    except ConfigError:
        return
    assert pf.unparse() == text
    assert text.encode("latin-1").decode("latin-1") == text
    pos = 0
    for e in pf.entries:  # the spans tile each entry, in order, without overlap
        assert pos <= e.start <= e.key_span[0] <= e.key_span[1] == e.sep_span[0] <= e.sep_span[1] \
            == e.value_span[0] <= e.value_span[1] <= e.end
        pos = e.end


@given(st.text(max_size=12), st.text(max_size=12))
def test_escaped_key_and_value_read_back(key: str, value: str) -> None:
    got = parse(escape(key, key=True) + "=" + escape(value, key=False)).load()
    assert got == {_java(key): _java(value)}


def _java(s: str) -> str:
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


# --- against real Java --------------------------------------------------------------------------------
ORACLE = r"""
import java.io.*;
import java.util.*;

/** Reads requests on stdin, one a line: "L <hex bytes>" loads a .properties file with Properties.load(InputStream);
 *  "S <key> <value>" stores one pair with Properties.store(OutputStream). Strings travel as "u" + UTF-16 units. */
public class PropsOracle {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "US-ASCII"));
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "US-ASCII");
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split(" ", -1);
            if (f[0].equals("L")) {
                Properties p = new Properties();
                try {
                    p.load(new ByteArrayInputStream(HexFormat.of().parseHex(f[1])));
                } catch (IllegalArgumentException e) {
                    out.println("ERR");
                    continue;
                }
                StringBuilder sb = new StringBuilder("OK");
                for (String k : p.stringPropertyNames())
                    sb.append(' ').append(enc(k)).append(':').append(enc(p.getProperty(k)));
                out.println(sb);
            } else {
                Properties p = new Properties();
                p.setProperty(dec(f[1]), dec(f[2]));
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                p.store(b, null);
                String[] lines = b.toString("ISO-8859-1").split("\n");
                out.println(HexFormat.of().formatHex(lines[1].getBytes("ISO-8859-1")));
            }
        }
    }
    static String enc(String s) {
        StringBuilder b = new StringBuilder("u");
        for (char c : s.toCharArray()) b.append(String.format("%04x", (int) c));
        return b.toString();
    }
    static String dec(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < s.length(); i += 4) b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
        return b.toString();
    }
}
"""


def units(s: str) -> str:
    return "u" + s.encode("utf-16-be", "surrogatepass").hex()


class Oracle:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def ask(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().rstrip("\n")

    def load(self, text: str) -> dict[str, str] | None:
        answer = self.ask("L " + text.encode("latin-1").hex())
        if answer == "ERR":
            return None
        assert answer.startswith("OK"), answer
        return dict(pair.split(":") for pair in answer.split()[1:])

    def store(self, key: str, value: str) -> str:
        return bytes.fromhex(self.ask(f"S {units(key)} {units(value)}")).decode("latin-1")


def _ours(text: str) -> dict[str, str] | None:
    got = java_load(text)
    return None if got is None else {units(k): units(v) for k, v in got.items()}


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    yield from start_oracle(tmp_path_factory)


def start_oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    """Compile and start the Java side once per module; it ends when its stdin closes."""
    if not (shutil.which("javac") and shutil.which("java")):
        pytest.skip("javac/java not on PATH: the decoder is checked against real Java only where a JDK is installed")
    src = Path(tmp_path_factory.mktemp("oracle")) / "PropsOracle.java"
    src.write_text(ORACLE)
    subprocess.run(["javac", "-d", str(src.parent), str(src)], check=True, capture_output=True)
    proc = subprocess.Popen(["java", "-cp", str(src.parent), "PropsOracle"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    yield Oracle(proc)
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait()


@pytest.mark.parametrize(("text", "want"), [pytest.param(t, w, id=i) for i, t, w in CASES])
def test_hand_picked_cases_match_java(java: Oracle, text: str, want: dict[str, str] | None) -> None:
    assert java.load(text) == (None if want is None else {units(k): units(v) for k, v in want.items()})


@given(st.one_of(soup, props_file()))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_files_match_java(java: Oracle, text: str) -> None:
    assert java.load(text) == _ours(text)


@given(st.text(max_size=10), st.text(max_size=10))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_escapes_match_java_store(java: Oracle, key: str, value: str) -> None:
    assert java.store(key, value) == escape(key, key=True) + "=" + escape(value, key=False)
