"""The patch set as data: every file loads, renders with a node's values, and rejects mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from wso2patch.errors import PatchError
from wso2patch.ops import ReplaceChildren, SetText
from wso2patch.patchset import load_patch, load_patches

VALUES = {"node.id": "2", "node.host": "10.0.0.2", "node.url_host": "10.0.0.2", "node.member_port": "4003",
          "cluster.domain": "d"}
PEERS = [{"peer.id": "1", "peer.host": "10.0.0.1", "peer.url_host": "10.0.0.1", "peer.member_port": "4000"}]


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "90-test.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_the_shipped_patch_set_loads_in_order_with_descriptions() -> None:
    patches = load_patches()
    assert [p.name for p in patches] == ["clustering", "wka-members", "host-names", "port-offset", "carbon-db-off",
                                         "datasources", "mb-store", "registry-mounts", "user-store", "thrift-host"]
    assert all(p.description and "\n" not in p.description for p in patches)
    assert {p.name for p in patches if p.requires} == {"mb-store", "thrift-host"}


def test_members_render_one_per_peer_with_escaped_values() -> None:
    (wka,) = [p for p in load_patches() if p.name == "wka-members"]
    steps = wka.render(VALUES, [*PEERS, {"peer.id": "3", "peer.host": "a&b", "peer.url_host": "a&b",
                                                "peer.member_port": "4005"}])
    op = steps[-1].op
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
    bad = load_patch(write(tmp_path, 'description = "d"\nfile = "f.xml"\n[[op]]\nkind = "set_text"\n'
                                     'xpath = "/a"\nvalue = "{node.hots}"\n'))
    with pytest.raises(PatchError, match=r"unknown value \{node.hots\}"):
        bad.render(VALUES, PEERS)


@pytest.mark.parametrize("body, message", [
    ('file = "f"\n[[op]]\nkind = "set_text"\nxpath = "/a"\nvalue = "x"\n', "needs description"),
    ('description = "d"\nfile = "f"\n[[op]]\nkind = "frobnicate"\n', "kind must be one of"),
    ('description = "d"\nfile = "f"\n[[op]]\nkind = "set_text"\nxpath = "/a"\n', "missing ['value']"),
    ('description = "d"\nfile = "f"\n[[op]]\nkind = "set_text"\nxpath = "/a"\nvalue = "x"\nextra = 1\n',
     "unknown ['extra']"),
    ('description = "d"\nfile = "f"\n[[op]]\nkind = "ensure"\nparent = "/a"\nelement = "<b>"\n', "element template"),
    ('description = "d"\nfile = [\n', "cannot load patch"),
])
def test_invalid_patch_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(PatchError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_patch(write(tmp_path, body)).render(VALUES, PEERS)


def test_an_empty_patch_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PatchError, match="no patch files"):
        load_patches(tmp_path)
