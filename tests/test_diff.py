"""Unified diffs: lines end only where the file's line ends are (issue item 11), on hand-made and stock files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import all_tree_params
from wso2patch.diff import file_diff, split_lines, unified
from wso2patch.ops import SetText, apply_op
from wso2patch.plan import FilePlan
from wso2patch.xmlio import Doc

LATIN1 = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>\n  <!-- 10\x85 20 -->\n  <b>1</b>\n</a>\n'


def plan_of(old: bytes, new: bytes, encoding: str) -> FilePlan:
    return FilePlan(rel="conf/t.xml", path=Path("conf/t.xml"), old=old, new=new, encoding=encoding)


def test_byte_0x85_in_an_iso_8859_1_file_ends_no_line() -> None:
    doc = Doc(LATIN1.encode("latin-1"), where="t.xml")
    new, _ = apply_op(doc, SetText("/a/b", "2"))
    assert file_diff(plan_of(doc.raw, new.raw, doc.encoding)) == (
        "--- a/conf/t.xml\n+++ b/conf/t.xml\n@@ -1,5 +1,5 @@\n"
        ' <?xml version="1.0" encoding="ISO-8859-1"?>\n <a>\n   <!-- 10\x85 20 -->\n-  <b>1</b>\n+  <b>2</b>\n </a>\n')


@pytest.mark.parametrize("odd", ["\u2028", "\u2029", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\r"])
def test_only_lf_ends_a_line(odd: str) -> None:
    old = f"<a>\n<!-- x{odd}y -->\n<b>1</b>\n</a>\n"
    out = unified("t.xml", old, old.replace(">1<", ">2<"))
    assert "No newline" not in out
    assert out.splitlines(keepends=False)[2] == "@@ -1,4 +1,4 @@"
    assert f" <!-- x{odd}y -->\n-<b>1</b>\n+<b>2</b>\n" in out


def test_a_missing_final_newline_is_still_marked() -> None:
    out = unified("t.xml", "<a>\n<b>1</b></a>", "<a>\n<b>2</b></a>")
    assert out.endswith("-<b>1</b></a>\n\\ No newline at end of file\n+<b>2</b></a>\n\\ No newline at end of file\n")


def test_crlf_lines_print_without_their_cr() -> None:
    out = unified("t.xml", "<a>\r\n<b>1</b>\r\n</a>", "<a>\r\n<b>2</b>\r\n</a>")
    assert out == ("--- a/t.xml (CRLF)\n+++ b/t.xml (CRLF)\n@@ -1,3 +1,3 @@\n <a>\n-<b>1</b>\n+<b>2</b>\n </a>\n"
                   "\\ No newline at end of file\n")


def test_a_cr_only_file_is_diffed_line_by_line() -> None:
    out = unified("t.xml", "<a>\r<b>1</b>\r</a>\r", "<a>\r<b>2</b>\r</a>\r")
    assert out == "--- a/t.xml (CR)\n+++ b/t.xml (CR)\n@@ -1,3 +1,3 @@\n <a>\n-<b>1</b>\n+<b>2</b>\n </a>\n"


def test_split_lines_is_lossless() -> None:
    text = "a\r\nb\x85c\u2028\nd\re\n\nf"
    assert "".join(split_lines(text, "\n")) == text and len(split_lines(text, "\n")) == 5
    assert "".join(split_lines(text, "\r")) == text and len(split_lines(text, "\r")) == 3


@pytest.mark.parametrize("tree", all_tree_params())
def test_hunk_line_numbers_on_every_stock_file_match_the_file(tree: Path) -> None:
    """Change the last element on each file's middle line; the hunk must name that line and show it as the file has
    it (stock files hold CRLF, ISO-8859-1 and missing final newlines)."""
    checked = 0
    for path in sorted(tree.rglob("*.xml")):
        doc = Doc(path.read_bytes(), where=str(path))
        lines = doc.text.split("\n")
        for no in range(len(lines) // 2, len(lines)):
            m = re.search(r">([^<>&]*)</", lines[no])
            if m:
                break
        else:
            continue
        changed = lines[no][: m.start(1)] + "X" + m.group(1) + lines[no][m.end(1) :]
        new = "\n".join([*lines[:no], changed, *lines[no + 1 :]])
        out = unified("f", doc.text, new)
        first = max(no - 3, 0) + 1
        assert re.search(rf"^@@ -{first},\d+ \+{first},\d+ @@$", out, re.M), (path, no, out[:300])
        assert f"-{lines[no].removesuffix(chr(13))}\n+{changed.removesuffix(chr(13))}\n" in out, path
        assert out.count("No newline at end of file") == (0 if doc.text.endswith("\n") or no + 3 < len(lines) - 1
                                                          else 2), path
        checked += 1
    assert checked >= 5
