"""Promises in the README that code can check: the exit-code table, the patch list, the two set-up commands."""

from __future__ import annotations

import re

from tests.conftest import REPO
from wso2patch.errors import EXIT_CODES
from wso2patch.patchset_load import load_patches

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_exit_code_is_documented() -> None:
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", README, re.M))
    assert set(EXIT_CODES) <= {int(k) for k in rows}


def test_every_patch_is_in_the_patch_table() -> None:
    for p in load_patches():
        assert f"| `{p.name}` |" in README


def test_the_two_setup_commands_exist() -> None:
    assert "$ ./dev demo" in README and "$ ./dev test" in README
    assert (REPO / "dev").stat().st_mode & 0o111 and (REPO / "scripts/demo").stat().st_mode & 0o111
    assert "./dev test" in (REPO / ".ci/run").read_text()


def test_the_site_patch_examples_are_the_ones_the_tests_apply() -> None:
    from tests.test_site_patches import README_EXAMPLES

    for text in README_EXAMPLES.values():
        assert text in README


def test_the_supported_products_table_matches_the_product_table() -> None:
    from wso2patch.products import PRODUCTS

    section = README.split("## Supported products", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| WSO2 ")]
    for product in PRODUCTS:
        if product.supported is None:  # refused by name
            assert product.name.removeprefix("WSO2 ") in section
            continue
        mine = [r for r in rows if r.startswith(f"| {product.name} |")]
        assert mine and all(product.shown.replace("-", "\u2013") in r or "same" in r for r in mine), product.key
        for profile in product.profiles:
            if len(product.profiles) > 1 and profile.supported:
                assert any(f"`{profile.name}`" in r and f"`{profile.conf}`" in r for r in mine), profile.name
