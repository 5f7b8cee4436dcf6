"""The XML layer's hostile inputs, run through the CLI with tests/test_bad_inputs.py's machinery: a byte-order mark
that contradicts the XML declaration is refused (exit 5, one line naming the file, not one byte changed); the inputs
next to them that Java's parser accepts (a UTF-16 file with a BOM and no declaration, a DOCTYPE whose internal subset
holds quotes and ']' in comments) apply, and a second apply changes nothing."""

from __future__ import annotations

import codecs
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Cli, snapshot, stock_params
from tests.test_bad_inputs import (
    CARBON,
    CONFIG_ERR,
    DATASOURCES,
    MB_HOME,
    NO_FIXTURES,
    REGISTRY,
    Case,
    Env,
    apply1,
    case_params,
    check_error,
    console_script,
    diff1,
    edit,
    make_env,
    run_case,
    state,
    with_doctype,
)
from wso2patch import effective

Cluster = Callable[[Path], tuple[Path, Path, Path]]
BOMS = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}


def ascii_text(raw: bytes) -> str:
    """A stock file's text with its few non-ASCII characters (ISO-8859-1 or UTF-8) replaced."""
    return re.sub(r"[^\x00-\x7f]", "?", raw.decode("latin-1"))


def declare(text: str, declared: str | None) -> str:
    """text with its XML declaration saying `declared` (None: no declaration at all)."""
    text = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
    return text if declared is None else f'<?xml version="1.0" encoding="{declared}"?>\n{text}'


def rewrite(rel: str, codec: str, declared: str | None, bom: bool = True,
            command: Callable[[Env], list[str | Path]] = apply1) -> Callable[[Env], list[str | Path]]:
    """The file re-encoded in `codec` (with that codec's byte-order mark), its declaration saying `declared`."""

    def setup(env: Env) -> list[str | Path]:
        prefix = BOMS[codec] if bom else b""
        edit(env.file(rel), lambda raw: prefix + declare(ascii_text(raw), declared).encode(codec))
        return command(env)

    return setup


def bom_says(rel: str, bom: str, declared: str) -> Callable[[Env], list[str]]:
    return lambda e: [f"{e.file(rel)}:1:1", f"the byte-order mark says {bom}", f'encoding="{declared}"']


CASES: list[Case] = [
    Case("utf16-bom-declares-utf8", rewrite(CARBON, "utf-16-le", "UTF-8"), CONFIG_ERR,
         bom_says(CARBON, "UTF-16 (little-endian)", "UTF-8"), trees=True),
    Case("utf16be-bom-declares-utf8", rewrite(DATASOURCES, "utf-16-be", "UTF-8"), CONFIG_ERR,
         bom_says(DATASOURCES, "UTF-16 (big-endian)", "UTF-8")),
    Case("utf16-bom-declares-latin1", rewrite(REGISTRY, "utf-16-le", "ISO-8859-1"), CONFIG_ERR,
         bom_says(REGISTRY, "UTF-16 (little-endian)", "ISO-8859-1"), trees=True),
    Case("utf16be-bom-declares-utf16le", rewrite(CARBON, "utf-16-be", "UTF-16LE"), CONFIG_ERR,
         bom_says(CARBON, "UTF-16 (big-endian)", "UTF-16LE")),
    Case("utf8-bom-declares-latin1", rewrite(CARBON, "utf-8", "ISO-8859-1"), CONFIG_ERR,
         bom_says(CARBON, "UTF-8", "ISO-8859-1"), trees=True),
    Case("utf8-bom-declares-utf16", rewrite(REGISTRY, "utf-8", "UTF-16"), CONFIG_ERR,
         bom_says(REGISTRY, "UTF-8", "UTF-16")),
    Case("single-byte-declares-utf16", rewrite(REGISTRY, "utf-8", "UTF-16", bom=False), CONFIG_ERR,
         lambda e: [f"{e.file(REGISTRY)}:1:1", 'encoding="UTF-16"', "single-byte text"], trees=True),
    Case("diff-utf16-bom-declares-utf8", rewrite(CARBON, "utf-16-le", "UTF-8", command=diff1), CONFIG_ERR,
         bom_says(CARBON, "UTF-16 (little-endian)", "UTF-8")),
]


@pytest.mark.parametrize(("case", "tree"), list(case_params(CASES)))
def test_xml_bad_input(case: Case, tree: Path, tmp_path: Path, cluster: Cluster, cli: Cli) -> None:
    run_case(case, make_env(tmp_path, cluster, tree), cli)


@pytest.mark.skipif(not (MB_HOME / CARBON).is_file(), reason=NO_FIXTURES)
def test_the_refusal_from_the_console_script(tmp_path: Path, cluster: Cluster) -> None:
    case = CASES[0]
    env = make_env(tmp_path, cluster, MB_HOME)
    args = [str(a) for a in case.setup(env)]
    before = state(tmp_path)
    proc = subprocess.run([*console_script(), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, check=False)
    assert state(tmp_path) == before
    check_error(case, env, proc.returncode, proc.stdout, proc.stderr)


# --- what is accepted: it applies, and a second apply is a no-op ---------------------------------------------------
def utf16_no_declaration(env: Env) -> None:
    edit(env.file(CARBON), lambda raw: BOMS["utf-16-le"] + declare(ascii_text(raw), None).encode("utf-16-le"))


def doctype_with_tricky_comments(env: Env) -> None:
    subset = b"<!DOCTYPE Server [\n  <!-- it's the ] of a subset > -->\n  <?note ] > ?>\n]>"
    edit(env.file(CARBON), lambda raw: with_doctype(raw, subset))


@pytest.mark.parametrize("tree", [pytest.param(MB_HOME, id="fixture-mb-home"), *stock_params()])
@pytest.mark.parametrize("setup", [utf16_no_declaration, doctype_with_tricky_comments])
def test_accepted_input_applies_once_then_is_a_no_op(setup: Callable[[Env], None], tree: Path, tmp_path: Path,
                                                     cluster: Cluster, cli: Cli) -> None:
    if not (tree / CARBON).is_file():
        pytest.skip(NO_FIXTURES)
    env = make_env(tmp_path, cluster, tree)
    setup(env)
    start = env.file(CARBON).read_bytes()
    first = cli(*apply1(env))
    assert first.exit_code == 0, first.output
    patched = env.file(CARBON).read_bytes()
    assert patched != start and patched[:4] == start[:4]  # the byte-order mark or the declaration: kept
    if start.startswith(BOMS["utf-16-le"]):
        text = patched.decode("utf-16-le")
        assert "<HostName>10.100.7.118</HostName>" in text and "\x00" not in text  # still UTF-16
    after = snapshot(env.home1)
    second = cli(*apply1(env))
    assert second.exit_code == 0, second.output
    assert snapshot(env.home1) == after


@pytest.mark.parametrize("tree", [pytest.param(MB_HOME, id="fixture-mb-home"), *stock_params()])
@pytest.mark.parametrize("comment_first", [False, True], ids=["value-first", "comment-first"])
def test_port_offset_keeps_a_comment_inside_offset(tree: Path, comment_first: bool, tmp_path: Path, cluster: Cluster,
                                                   cli: Cli) -> None:
    """Node 2 (offset 3) gets its value beside the comment, and check/compare read it; node 1 (offset 0) already has
    it: its file is not touched (set_text used to rewrite the element, dropping the comment)."""
    if not (tree / CARBON).is_file():
        pytest.skip(NO_FIXTURES)
    env = make_env(tmp_path, cluster, tree)

    def offset(value: str) -> bytes:
        return (f"<Offset><!-- 0: one node -->{value}</Offset>" if comment_first
                else f"<Offset>{value}<!-- 0: one node --></Offset>").encode()

    for home in (env.home1, env.home2):
        edit(home / CARBON, lambda raw: raw.replace(b"<Offset>0</Offset>", offset("0"), 1))
    one = (env.home1 / CARBON).read_bytes()
    for node, home in (("1", env.home1), ("2", env.home2)):
        args: list[str | Path] = ["apply", "--node", node, "--spec", env.spec, "--yes"]
        assert cli(*args).exit_code == 0
        after = snapshot(home)
        assert cli(*args).exit_code == 0 and snapshot(home) == after
    assert offset("0") in (env.home1 / CARBON).read_bytes() and offset("3") in (env.home2 / CARBON).read_bytes()
    assert [line for line in (env.home1 / CARBON).read_bytes().split(b"\n") if b"Offset>" in line] == \
        [line for line in one.split(b"\n") if b"Offset>" in line]
    assert [effective.load(h).get("carbon.Ports.Offset") for h in (env.home1, env.home2)] == ["0", "3"]
