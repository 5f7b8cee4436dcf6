"""A catalogue of broken patch files (issue item 13): each is refused at load, through `wso2patch patches` and
`diff`, with exit 6 and one error line naming the patch file (and line), the [[op]] and the key; no traceback, no
byte changed, never blamed on a config file. Random data fed to the checker never raises anything but PatchError."""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli
from tests.test_bad_inputs import MB_HOME, NO_FIXTURES, PATCH_ERR, Case, Env, check_error, diff1, make_env, state
from wso2patch import patchset_load, variables
from wso2patch.errors import PatchError
from wso2patch.patchcheck import KINDS
from wso2patch.patchset_load import load_patch, load_patches, parse_patch

HEAD = 'description = "An extra patch"\nfile = "repository/conf/carbon.xml"\n'
NEW_HEAD = 'description = "An extra patch"\nproducts = ["mb", "carbon"]\nfile = "carbon.xml"\n'  # issue 11's format
SET = '[[op]]\nkind = "set_text"\nxpath = "/Server/Ports/Offset"\nvalue = "{node.offset}"\n'
MARK = "# <-"  # ends the line the error must name


def set_text(line: str) -> str:
    """A set_text op with one line replaced or added (`key = ...`), that line marked."""
    key = line.split("=")[0].strip()
    fields = {"kind": '"set_text"', "xpath": '"/Server/Ports/Offset"', "value": '"{node.offset}"'}
    body = [f"{k} = {v}" for k, v in fields.items() if k != key]
    return "[[op]]\n" + "\n".join([*body, f"{line}  {MARK}"]) + "\n"


def ensure(line: str, element: str = '"<HostName>{node.host}</HostName>"') -> str:
    key = line.split("=")[0].strip()
    fields = {"kind": '"ensure"', "parent": '"/Server"', "element": element}
    body = [f"{k} = {v}" for k, v in fields.items() if k != key]
    return "[[op]]\n" + "\n".join([*body, f"{line}  {MARK}"]) + "\n"


@dataclass(frozen=True)
class BadPatch:
    id: str
    body: str | bytes
    says: tuple[str, ...]  # besides "<patch file><where>: "
    where: str | None = None  # ":line" or ":line:column"; None: the line marked MARK, else none ("")
    name: str = "90-extra.toml"

    def position(self) -> str:
        if self.where is not None:
            return self.where
        text = self.body.decode("utf-8", "replace") if isinstance(self.body, bytes) else self.body
        marked = [no for no, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith(MARK)]
        return f":{marked[0]}" if marked else ""


BAD: list[BadPatch] = [
    # products, versions and paths (issue 11)
    BadPatch("builtin-without-products", HEAD + SET, ("a built-in patch needs 'products'",)),
    BadPatch("unknown-product", f'description = "d"\nproducts = ["mb", "apim"]  {MARK}\nfile = "carbon.xml"\n' + SET,
             ("key 'products': unknown product 'apim' (known: mb, carbon, ei, esb, is, am)",)),
    BadPatch("unknown-profile", f'description = "d"\nproducts = ["ei:brokr"]  {MARK}\nfile = "carbon.xml"\n' + SET,
             ("key 'products': WSO2 Enterprise Integrator has no profile 'brokr'",)),
    BadPatch("products-not-array", f'description = "d"\nproducts = "mb"  {MARK}\nfile = "carbon.xml"\n' + SET,
             ("key 'products': must be an array of product names, not a string",)),
    BadPatch("products-empty", f'description = "d"\nproducts = []  {MARK}\nfile = "carbon.xml"\n' + SET,
             ("key 'products': no products named",)),
    BadPatch("bad-versions", f'description = "d"\nproducts = ["ei"]\nversions = ">=six"  {MARK}\nfile = "carbon.xml"\n'
             + SET, ("key 'versions': 'six' is not a version number",)),
    BadPatch("products-with-home-path",
             f'description = "d"\nproducts = ["mb"]\nfile = "repository/conf/carbon.xml"  {MARK}\n' + SET,
             ("key 'file': 'repository/conf/carbon.xml': with 'products', paths are relative to the product's "
              "config root (write 'carbon.xml')",)),
    # the file as a whole
    BadPatch("toml-syntax", HEAD + '[[op]]\nkind = "set_text"\nxpath = \n', ("invalid TOML: Invalid value",), ":5:9"),
    BadPatch("toml-unterminated", HEAD + '[[op]]\nkind = "set_text\n', ("invalid TOML: Illegal character '\\n'",),
             ":4:17"),
    BadPatch("not-utf8", b'description = "caf\xe9"\n' + HEAD[HEAD.index("\n") + 1 :].encode() + SET.encode(),
             ("bytes that are not UTF-8",), ":1"),
    BadPatch("unknown-top-level-key", HEAD + f'descrption = "typo"  {MARK}\n' + SET,
             ("key 'descrption': unknown key (did you mean 'description'?)",)),
    BadPatch("unknown-table", HEAD + SET + f"[extra]  {MARK}\nx = 1\n", ("key 'extra': unknown key",)),
    BadPatch("no-description", 'file = "repository/conf/carbon.xml"\n' + SET, ("a patch needs 'description'",)),
    BadPatch("no-file", 'description = "d"\n' + SET, ("a patch needs 'file'",)),
    BadPatch("no-ops", HEAD, ("a patch needs [[op]] tables",)),
    BadPatch("empty-description", f'description = "  "  {MARK}\nfile = "repository/conf/carbon.xml"\n' + SET,
             ("key 'description': must say what the patch does",)),
    BadPatch("multiline-description", f'description = "one\\ntwo"  {MARK}\nfile = "repository/conf/carbon.xml"\n' + SET,
             ("key 'description': contains the character '\\n'",)),
    BadPatch("description-not-string", f'description = 5  {MARK}\nfile = "repository/conf/carbon.xml"\n' + SET,
             ("key 'description': must be a string, not an integer",)),
    # file and requires: relative, normalized, inside the home, XML
    *(BadPatch(f"file-{what}", f'description = "d"\nfile = {value}  {MARK}\n' + SET, ("key 'file': ", says))
      for what, value, says in [
          ("absolute", '"/etc/wso2/carbon.xml"', "must be a relative POSIX path"),
          ("drive", '"C:/wso2/carbon.xml"', "must be a relative POSIX path"),
          ("backslash", '"repository\\\\conf\\\\carbon.xml"', "must be a relative POSIX path"),
          ("dotdot", '"../other-home/repository/conf/carbon.xml"', "must be a normalized path inside the home"),
          ("dotdot-inside", '"repository/../../carbon.xml"', "must be a normalized path inside the home"),
          ("dot", '"./repository/conf/carbon.xml"', "must be a normalized path"),
          ("double-slash", '"repository//conf/carbon.xml"', "must be a normalized path"),
          ("nul", '"repository/conf/carbon\\u0000.xml"', "contains the character '\\x00'"),
          ("newline", '"repository/conf/\\ncarbon.xml"', "contains the character '\\n'"),
          ("empty", '""', "must name a file under the home"),
          ("not-xml", '"repository/conf/deployment.toml"', "is neither an .xml nor a .properties file"),
          ("not-string", '["repository/conf/carbon.xml"]', "must be a string, not an array"),
      ]),
    BadPatch("requires-not-list", HEAD + f'requires = "repository/conf/broker.xml"  {MARK}\n' + SET,
             ("key 'requires': must be an array of paths, not a string",)),
    BadPatch("requires-absolute", HEAD + f'requires = ["repository/conf/broker.xml", "/etc/broker.xml"]  {MARK}\n'
             + SET, ("key 'requires': '/etc/broker.xml' must be a relative POSIX path",)),
    BadPatch("requires-dotdot", HEAD + f'requires = ["../broker.xml"]  {MARK}\n' + SET,
             ("key 'requires': '../broker.xml' must be a normalized path inside the home",)),
    BadPatch("requires-not-string", HEAD + f'requires = [1]  {MARK}\n' + SET,
             ("key 'requires': must be a string, not an integer",)),
    # [[op]] tables
    BadPatch("op-not-a-table", HEAD + f"op = [1, 2]  {MARK}\n", ("[[op]] #1: must be a table, not an integer",)),
    BadPatch("op-not-an-array", HEAD + f'op = "set_text"  {MARK}\n',
             ("key 'op': must be one or more [[op]] tables, not a string",)),
    BadPatch("op-empty", HEAD + f"op = []  {MARK}\n", ("key 'op': must be one or more [[op]] tables",)),
    BadPatch("kind-unknown", HEAD + SET + set_text('kind = "frobnicate"'),
             ("[[op]] #2 key 'kind': must be one of set_text, set_attr",)),
    BadPatch("kind-missing", HEAD + SET + f'[[op]]  {MARK}\nxpath = "/a"\n', ("[[op]] #2: needs kind = one of",)),
    BadPatch("kind-not-string", HEAD + set_text("kind = 3"), ("[[op]] #1 key 'kind': must be one of",)),
    BadPatch("op-unknown-key", HEAD + set_text("vaule = 'x'"),
             ("[[op]] #1 key 'vaule': unknown key for set_text (did you mean 'value'?)",)),
    BadPatch("op-missing-key", HEAD + f'[[op]]  {MARK}\nkind = "set_text"\nxpath = "/a"\n',
             ("[[op]] #1: set_text needs 'value'",)),
    BadPatch("for-each-on-set-text", HEAD + set_text('for_each = "peer"'),
             ("[[op]] #1 key 'for_each': unknown key for set_text",)),
    BadPatch("xpath-not-string", HEAD + set_text("xpath = 1"), ("[[op]] #1 key 'xpath': must be a string",)),
    BadPatch("value-control-char", HEAD + set_text('value = "a\\u0001b"'),
             ("[[op]] #1 key 'value': contains the character '\\x01'",)),
    BadPatch("value-carriage-return", HEAD + set_text('value = "a\\rb"'),
             ("[[op]] #1 key 'value': a carriage return cannot be kept",)),
    # XPaths: compiled and tried at load
    *(BadPatch(f"{key}-{what}", HEAD + SET + make(f"{key} = {expr!r}"), (f"[[op]] #2 key '{key}': ", says))
      for key, make, what, expr, says in [
          ("xpath", set_text, "syntax", "/Server/Ports[", "invalid XPath '/Server/Ports[': Invalid expression"),
          ("xpath", set_text, "function", "frob(/Server)", "Unregistered function"),
          ("xpath", set_text, "prefix", "/x:Server/x:Ports", "Undefined namespace prefix"),
          ("xpath", set_text, "variable", "$offset", "Undefined variable"),
          ("xpath", set_text, "number", "count(/Server)", "gives a number, but must select nodes"),
          ("xpath", set_text, "boolean", "/Server = 'x'", "gives a boolean, but must select nodes"),
          ("xpath", set_text, "template", "/Server/{node.id}",
           "(variables are replaced only in value and element)"),
          ("parent", ensure, "syntax", "/Server//", "invalid XPath"),
          ("after", ensure, "syntax", "comment()[", "invalid XPath"),
          ("after", ensure, "string", "string(HostName)", "gives a string, but must select nodes"),
          ("key", ensure, "syntax", "normalize-space(", "invalid XPath"),
          ("key", ensure, "escapes-string", "name) or (true()", "invalid XPath"),
      ]),
    *(BadPatch(f"{kind}-select", HEAD + SET + f'[[op]]\nkind = "{kind}"\nparent = "/Server"\n'
               f'select = "Ports[@a="  {MARK}\n', ("[[op]] #2 key 'select': invalid XPath",))
      for kind in ("comment_out", "uncomment")),
    BadPatch("set-attr-name", HEAD + '[[op]]\nkind = "set_attr"\nxpath = "/Server"\nvalue = "x"\n'
             f'name = "xml:lang"  {MARK}\n', ("[[op]] #1 key 'name': 'xml:lang' is not a plain attribute name",)),
    # variables and when
    BadPatch("variable-unknown", HEAD + set_text('value = "{node.hots}"'),
             ("[[op]] #1 key 'value': unknown variable {node.hots} (did you mean {node.host}?)",)),
    BadPatch("variable-peer-outside-for-each", HEAD + set_text('value = "{peer.host}"'),
             ("[[op]] #1 key 'value': unknown variable {peer.host} ({peer.host} exists only in an op with for_each = "
              '"peer")',)),
    BadPatch("variable-peer-without-for-each", HEAD + '[[op]]\nkind = "replace_children"\nparent = "/Server"\n'
             f'element = "<member>{{peer.host}}</member>"  {MARK}\n', ("[[op]] #1 key 'element': unknown variable "
                                                                       "{peer.host}",)),
    BadPatch("variable-optional-unguarded", HEAD + set_text('value = "{cluster.domain}"'),
             ("[[op]] #1 key 'value': {cluster.domain} is set only when the spec sets it: add when = "
              '"cluster.domain"',)),
    BadPatch("variable-lone-brace", HEAD + set_text('value = "${carbon.home"'),
             ("[[op]] #1 key 'value': a lone '{': write {{ for a literal brace",)),
    BadPatch("variable-bad-name", HEAD + set_text('value = "{node host}"'),
             ("[[op]] #1 key 'value': '{node host}' is not a variable",)),
    BadPatch("when-unknown", HEAD + set_text('when = "cluster.domian"'),
             ("[[op]] #1 key 'when': unknown variable 'cluster.domian' (did you mean {cluster.domain}?)",)),
    BadPatch("when-not-string", HEAD + set_text("when = true"), ("[[op]] #1 key 'when': must be a string, not a "
                                                                 "boolean",)),
    BadPatch("for-each-not-peer", HEAD + '[[op]]\nkind = "replace_children"\nparent = "/Server"\nelement = "<a/>"\n'
             f'for_each = "node"  {MARK}\n',
             ("[[op]] #1 key 'for_each': must be \"peer\" or \"cluster.hazelcast\" or \"vault.secret\" or "
              "\"vault.retired\", not 'node'",)),
    BadPatch("create-not-bool", HEAD + ensure('create = "no"'), ("[[op]] #1 key 'create': must be true or false",)),
    # element templates
    *(BadPatch(f"element-{what}", HEAD + SET + ensure(f"element = {value}"), ("[[op]] #2 key 'element': ", says))
      for what, value, says in [
          ("unclosed", '"<HostName>{node.host}"', "not well-formed XML"),
          ("two-roots", '"<A/><B/>"', "not well-formed XML"),
          ("entity", '"<A>&nbsp;</A>"', "not well-formed XML"),
          ("empty", '""', "not well-formed XML"),
          ("variable-in-tag", '"<{node.host}/>"', "a {variable} may stand only in element text or an attribute"),
          ("variable-in-attribute-name", '"<A {node.host}=\\"x\\"/>"', "a {variable} may stand only"),
          ("variable-in-comment", '"<A><!-- {db.password} --></A>"', "a {variable} may stand only"),
          ("variable-in-pi", '"<A><?pi {node.id}?></A>"', "no entity references or processing instructions"),
          ("variable-in-cdata", '"<A><![CDATA[{db.password}]]></A>"', "a {variable} may stand only"),
          ("namespace", '"<A xmlns=\\"urn:x\\"/>"', "<A> uses a namespace"),
          ("prefix", '"<x:A xmlns:x=\\"urn:x\\"/>"', "<x:A> uses a namespace"),
          ("mixed-content", '"<A>text<B/></A>"', "<A> mixes text with child elements"),
          ("doctype", '"<!DOCTYPE A><A/>"', "a template cannot have a DOCTYPE"),
      ]),
    # names across the set
    BadPatch("name-collision", NEW_HEAD + SET,
             ("the patch name 'datasources' is also the name of 31-datasources.toml",), "", name="95-datasources.toml"),
    BadPatch("name-empty", HEAD + SET, ("the patch name '' ",), "", name="90-.toml"),
    BadPatch("name-odd", HEAD + SET, ("the patch name 'my patch'",), "", name="90-my patch.toml"),
]


def write_patch_dir(root: Path, bad: BadPatch) -> Path:
    """The shipped patch set plus the broken file (as a user's extra patch sits among them)."""
    folder = root / "patches"
    shutil.copytree(patchset_load.default_dir(), folder)
    target = folder / bad.name
    target.write_bytes(bad.body if isinstance(bad.body, bytes) else bad.body.encode("utf-8"))
    return target


def expected(target: Path, bad: BadPatch) -> list[str]:
    return [f"{target}{bad.position()}: ", *bad.says, "; fix the patch file" if bad.where != "" else "; rename"]


@pytest.mark.parametrize("bad", BAD, ids=lambda b: b.id)
def test_load_refuses(bad: BadPatch, tmp_path: Path) -> None:
    target = write_patch_dir(tmp_path, bad)
    with pytest.raises(PatchError) as raised:
        load_patches(target.parent)
    line = str(raised.value)
    assert "\n" not in line and line.startswith(f"{target}{bad.position()}: "), line
    assert all(s in line for s in expected(target, bad)), line


def use_patch_dir(env: Env, mp: pytest.MonkeyPatch) -> None:
    """The CLI has no option for a user's patch directory yet: point the default at the case's."""
    mp.setattr(patchset_load, "default_dir", lambda: env.tmp / "patches")


def cases() -> list[Any]:
    out = []
    for bad in BAD:
        for command in ("patches", "diff"):
            def setup(env: Env, bad: BadPatch = bad, command: str = command) -> list[str | Path]:
                write_patch_dir(env.tmp, bad)
                return ["patches"] if command == "patches" else diff1(env)

            def says(env: Env, bad: BadPatch = bad) -> list[str]:
                return expected(env.tmp / "patches" / bad.name, bad)

            case = Case(f"{bad.id}-{command}", setup, PATCH_ERR, says, pattern=r"^wso2patch: error: \S*/patches/",
                        during=use_patch_dir)
            out.append(pytest.param(case, id=case.id))
    return out


@pytest.mark.skipif(not (MB_HOME / "repository/conf/carbon.xml").is_file(), reason=NO_FIXTURES)
@pytest.mark.parametrize("case", cases())
def test_cli_refuses(case: Case, tmp_path: Path, cluster: Any, cli: Cli) -> None:
    env = make_env(tmp_path, cluster, MB_HOME)
    args = case.setup(env)
    before = state(tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        assert case.during is not None
        case.during(env, mp)
        result = cli(*args)
    assert state(tmp_path) == before, f"a byte changed (exit {result.exit_code}): {result.output[-600:]}"
    check_error(case, env, result.exit_code, result.stdout, result.stderr)
    assert str(env.home1) not in result.stderr  # the patch file is at fault, never a config file


@pytest.mark.skipif(not (MB_HOME / "repository/conf/carbon.xml").is_file(), reason=NO_FIXTURES)
def test_a_valid_extra_patch_is_listed_and_applied(tmp_path: Path, cluster: Any, cli: Cli,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The positive twin: the same route with a good extra patch (literal braces, a guarded optional value)."""
    env = make_env(tmp_path, cluster, MB_HOME)
    good = BadPatch("good", 'description = "Mark the server"\nproducts = ["mb"]\nfile = "carbon.xml"\n'
                    '[[op]]\nkind = "ensure"\nparent = "/Server"\nkey = "@name"\n'
                    'element = "<Marker name=\\"cluster\\">${{x}} {cluster.domain} &amp; {node.host}</Marker>"\n'
                    'when = "cluster.domain"\n', ())
    write_patch_dir(tmp_path, good)
    use_patch_dir(env, monkeypatch)
    listed = cli("patches")
    assert listed.exit_code == 0 and "extra" in listed.stdout and "Mark the server" in listed.stdout
    assert cli("apply", "--node", "1", "--spec", env.spec, "--yes").exit_code == 0
    assert b'<Marker name="cluster">${x} wso2.mb.domain &amp; 10.100.7.118</Marker>' in \
        (env.home1 / "repository/conf/carbon.xml").read_bytes()
    again = cli("apply", "--node", "1", "--spec", env.spec, "--yes")
    assert again.exit_code == 0 and "already" in again.stdout


# --- random input: never anything but PatchError ----------------------------------------------------------------
KEYS = sorted({"description", "file", "requires", "op", "kind", "when", "xpath", "parent", "select", "after", "key",
               "name", "value", "element", "for_each", "create", "extra"})
WORDS = ["/Server", "/Server/Ports/Offset", "Ports", "normalize-space(name)", "@name", "count(/a)", "a) or (b",
         "/a[", "$v", "x:y", "comment()", "repository/conf/carbon.xml", "../x.xml", "/abs.xml", "a\\b.xml", "",
         "peer", "node", "cluster.domain", "db.options", "{node.host}", "{peer.host}", "{{", "}}", "{", "}",
         "{cluster.domain}", "{node hots}", "<A/>", "<A>{node.host}</A>", "<{node.id}/>", "<A>", "<A><!--{db.password}"
         "--></A>", "<A>t<B/></A>", '<A xmlns="u"/>', "<!DOCTYPE A><A/>", "<A>&x;</A>", "set_text", "ensure",
         "replace_children", "comment_out", "uncomment", "set_attr", "\x00", "\r", "\ud800", "xml:lang"]
scalars = st.one_of(st.sampled_from(WORDS), st.text(max_size=30), st.booleans(), st.integers(), st.floats(),
                    st.datetimes(), st.dates(), st.none())
strings = st.one_of(st.sampled_from(WORDS), st.text(max_size=30),
                    st.lists(st.sampled_from(WORDS), max_size=4).map("".join))
values = st.recursive(scalars | strings, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3), max_leaves=8)
ops = st.one_of(st.fixed_dictionaries({"kind": st.sampled_from(sorted(KINDS))},
                                      optional={k: strings | values for k in KEYS if k != "kind"}), values)
patches = st.fixed_dictionaries({}, optional={"description": strings | values, "file": strings | values,
                                              "requires": st.lists(strings | values, max_size=3) | values,
                                              "op": st.lists(ops, max_size=3) | values})
SHIPPED = sorted(patchset_load.default_dir().glob("*.toml"))


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A shipped patch with one to three keys (top level or in an op) replaced by random data or removed."""
    data = tomllib.loads(draw(st.sampled_from(SHIPPED)).read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        tables = [data, *(op for op in data.get("op", []) if isinstance(op, dict))] if isinstance(data.get("op"),
                                                                                                   list) else [data]
        table = draw(st.sampled_from(tables))
        key = draw(st.sampled_from(KEYS))
        if draw(st.integers(0, 4)) == 0:
            table.pop(key, None)
        else:
            table[key] = draw(strings | values)
    return data


FILL = dict.fromkeys(variables.KNOWN, "v<&>\"'--]]>")
PEERS = [dict.fromkeys(variables.PEER, "p&<")]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated() | patches | values)
def test_random_data_is_a_patch_or_one_patch_error(data: Any) -> None:
    try:
        patch = parse_patch(Path("50-fuzz.toml"), data)
    except PatchError as e:
        assert "\n" not in str(e) and str(e).startswith("50-fuzz.toml") and "fix the patch file" in str(e)
        return
    patch.render(FILL, PEERS)  # a patch that loads renders with any value the spec allows



@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(SHIPPED) - 1), at=st.integers(0, 4000), cut=st.integers(0, 12),
       insert=st.sampled_from(["", "[", "]", '"', "'''", "=", "\n", "{", "}", "<", "&", "\x00", "\\", "[[op]]\n",
                               'kind = "ensure"\n', "#", "\xe9", "é"]))
def test_a_mangled_shipped_patch_loads_or_is_one_patch_error(tmp_path_factory: pytest.TempPathFactory, index: int,
                                                             at: int, cut: int, insert: str) -> None:
    source = SHIPPED[index].read_bytes()
    at = min(at, len(source))
    target = tmp_path_factory.mktemp("mangled") / SHIPPED[index].name
    target.write_bytes(source[:at] + insert.encode("utf-8", "surrogatepass") + source[at + cut :])
    try:
        load_patch(target).render(FILL, PEERS)
    except PatchError as e:
        assert "\n" not in str(e) and re.match(rf"{re.escape(str(target))}(:\d+(:\d+)?)?: ", str(e)), str(e)
