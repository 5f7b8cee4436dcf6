"""The patch set as data: every file loads, renders with a node's values, and rejects mistakes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from wso2patch import patchcheck, patchcheck_exprs, patchcheck_fields, patchset_load, variables
from wso2patch.errors import PatchError
from wso2patch.ops import ReplaceChildren, SetText
from wso2patch.patchset_load import load_patch, load_patches

VALUES = {"node.id": "2", "node.host": "10.0.0.2", "node.url_host": "10.0.0.2", "node.member_port": "4003",
          "cluster.domain": "d", "cluster.membership": "wka"}
PEERS = [{"peer.id": "1", "peer.host": "10.0.0.1", "peer.url_host": "10.0.0.1", "peer.member_port": "4000"}]


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "90-test.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_the_shipped_patch_set_loads_in_order_with_descriptions() -> None:
    patches = load_patches()
    assert [p.name for p in patches] == ["clustering", "wka-members", "kubernetes-membership", "aws-membership",
                                         "hazelcast-shutdownhook", "hazelcast-properties", "worker-manager",
                                         "host-names", "port-offset", "proxy-ports", "wsdl-epr-prefix",
                                         "carbon-db-off", "datasources", "mb-store", "registry-mounts", "user-store",
                                         "thrift-host", "vault-datasources", "vault-aws", "vault-cipher-text",
                                         "vault-cipher-tool", "vault-secret-conf"]
    # ESB and the EI integrator only; hazelcast-shutdownhook before hazelcast-properties: a spec's own value wins
    assert {p.name for p in patches if p.products == ("ei", "esb")} == {"hazelcast-shutdownhook", "worker-manager",
                                                                        "wsdl-epr-prefix"}
    assert all(p.description and "\n" not in p.description for p in patches)
    assert {p.name for p in patches if p.products == ("mb", "ei:broker")} == {"mb-store", "thrift-host"}
    assert all(p.products for p in patches) and not any(p.requires for p in patches)


def test_members_render_one_per_peer_with_escaped_values() -> None:
    (wka,) = [p for p in load_patches() if p.name == "wka-members"]
    steps = wka.render(VALUES, [*PEERS, {"peer.id": "3", "peer.host": "a&b", "peer.url_host": "a&b",
                                                "peer.member_port": "4005"}])
    (op,) = [s.op for s in steps if s.kind == "replace_children"]
    assert isinstance(op, ReplaceChildren)
    assert [(m.findtext("hostName"), m.findtext("port")) for m in op.children] == [("10.0.0.1", "4000"),
                                                                                  ("a&b", "4005")]


def test_an_op_whose_value_is_unset_is_skipped_not_guessed() -> None:
    (clustering,) = [p for p in load_patches() if p.name == "clustering"]
    steps = clustering.render({k: v for k, v in VALUES.items() if k != "cluster.domain"}, PEERS)
    assert steps[1].op is None and steps[1].skipped == "cluster.domain is not set in the spec"


def test_literal_braces_and_unknown_values(tmp_path: Path) -> None:
    p = load_patch(write(tmp_path, 'description = "d"\nfile = "f.xml"\n[[op]]\nkind = "set_text"\n'
                                   'xpath = "/a"\nvalue = "${{carbon.home}}/{node.id}"\n'))
    op = p.render(VALUES, PEERS)[0].op
    assert isinstance(op, SetText) and op.value == "${carbon.home}/2"
    with pytest.raises(PatchError, match=r"90-test.toml:6: \[\[op\]\] #1 key 'value': unknown variable \{node.hots\} "
                                         r"\(did you mean \{node.host\}\?\); fix the patch file"):
        load_patch(write(tmp_path, 'description = "d"\nfile = "f.xml"\n[[op]]\nkind = "set_text"\n'
                                   'xpath = "/a"\nvalue = "{node.hots}"\n'))


def test_a_loaded_patch_renders_without_checking_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled once: rendering never calls the checker nor lxml's XPath compiler."""
    patches = load_patches()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("checked again while rendering")

    for module, checks in ((patchcheck, ("check_op",)), (patchcheck_exprs, ("template", "element", "xpath")),
                           (patchcheck_fields, ("rel_path", "text"))):
        for name in checks:
            monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(etree, "XPath", refuse)
    rendered: set[tuple[str, int]] = set()
    rows = {t: [dict.fromkeys(names, "v")] for t, names in variables.ROWS.items() if t != "peer"}  # one step per op
    # every op runs under one of these: all names set (the other schemes, an embedded local), or only the
    # names always set (what `unless` guards), each membership scheme in turn
    for names, extra in ((variables.KNOWN, {"cluster.membership": "kubernetes", "db.local": "embedded"}),
                         (variables.NODE, {"cluster.membership": "aws", "db.local": "mysql"}),
                         (variables.NODE, {"cluster.membership": "wka", "db.local": "mysql"})):
        values = {**dict.fromkeys(names, "v"), **extra}
        steps = [(p.name, i, s) for p in patches for i, s in enumerate(p.render(values, PEERS, rows))]
        assert all((s.op is None) == (s.skipped is not None) for _, _, s in steps)
        rendered |= {(name, i) for name, i, s in steps if s.op is not None}
    assert rendered == {(p.name, i) for p in patches for i in range(len(p.ops))}


def test_every_xpath_of_the_shipped_set_is_compiled_at_load() -> None:
    for p in load_patches():
        for op in [op for op in p.ops if op.prop_key is None]:  # a property op has no XPath
            exprs = {k: v for k, v in op.fields.items() if k in ("xpath", "parent", "select", "after", "key")}
            assert set(op.xpaths) == set(exprs) and exprs, (p.name, op.number)
            assert all(isinstance(x, etree.XPath) for x in op.xpaths.values())
            if "key" in op.xpaths:  # used as string(key): the very string ops.py compares today
                assert op.element is not None
                el = etree.fromstring(op.element.fill(dict.fromkeys(variables.KNOWN, "v"), escape=True))
                assert op.xpaths["key"](el) == el.xpath(f"string({op.fields['key']})") != ""


def test_an_empty_patch_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PatchError, match="no patch files"):
        load_patches(tmp_path)


def test_lines_are_found_past_multi_line_strings_and_for_inline_ops(tmp_path: Path) -> None:
    shipped = (load_patches()[0].path.parent / "40-registry-mounts.toml").read_text(encoding="utf-8")
    broken = shipped.replace('key = "@path"', 'key = "@path]"', 2).replace('key = "@path]"', 'key = "@path"', 1)
    line = broken.splitlines().index('key = "@path]"') + 1
    with pytest.raises(PatchError, match=rf"40-registry-mounts.toml:{line}: \[\[op\]\] #6 key 'key': invalid XPath"):
        load_patch(write(tmp_path, broken).rename(tmp_path / "40-registry-mounts.toml"))
    inline = 'description = "d"\nfile = "f.xml"\nop = [\n  {kind = "set_text", xpath = "/a", value = 1},\n]\n'
    with pytest.raises(PatchError, match=r"90-test.toml:3: \[\[op\]\] #1 key 'value': must be a string"):
        load_patch(write(tmp_path, inline))  # no [[op]] header: the line of `op =`


def test_the_patch_set_is_checked_once_per_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """apply --all plans every node twice: the files are read each time, but checked only when their bytes change."""
    folder = tmp_path / "patches"
    shutil.copytree(load_patches()[0].path.parent, folder)
    first = load_patches(folder)
    checked: list[int] = []
    real = patchcheck.check_op

    def counting(*args: Any) -> patchcheck.OpSpec:
        checked.append(1)
        return real(*args)

    monkeypatch.setattr(patchset_load, "check_op", counting)
    assert [a is b for a, b in zip(load_patches(folder), first, strict=True)] == [True] * len(first)
    assert checked == []
    port = folder / "21-port-offset.toml"
    port.write_text(port.read_text(encoding="utf-8").replace("Ports/Offset = the", "Ports/Offset is the"),
                    encoding="utf-8")
    again = {p.name: p for p in load_patches(folder)}
    assert checked == [1] and again["port-offset"].description.startswith("carbon.xml Ports/Offset is the")
