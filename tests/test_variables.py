"""One list of template variables (wso2patch.variables) for the patch checker and the spec: they cannot drift."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SPEC
from wso2patch import variables
from wso2patch.spec import DEFAULT_NAMES, load_spec

MINIMAL = '[database]\nhost = "db"\nusername = "u"\npassword = "p"\n[[node]]\nid = 1\nhost = "h1"\n' \
          '[[node]]\nid = 2\nhost = "h2"\n'


def test_the_database_kinds_are_the_specs() -> None:
    assert set(variables.DB_KINDS) == set(DEFAULT_NAMES)


def test_full_specs_produce_exactly_the_known_names(tmp_path: Path) -> None:
    """The contract's spec sets domain and options; the rest of the optional names comes from the keys of issue 10
    (kubernetes and aws exclude each other: two specs between them set every name)."""
    base = SPEC.format(home1=tmp_path / "a", home2=tmp_path / "b")
    base = base.replace("offset = 3\n", 'offset = 3\nrole = "worker"\n')  # issue 11: node.role, node.sub_domain
    extras = ('[cluster.proxy_ports]\nhttp = 80\nhttps = 443\n[database.governance]\nhost = "gov"\n',
              '[cluster.kubernetes]\nnamespace = "ns"\nservices = ["mb"]\nmaster = "https://k8s"\n'
              'skip_ssl_verification = true\nuse_dns = false\n')
    aws = ('[cluster.aws]\naccess_key = "AKIAIOSFODNN7EXAMPLE"\nsecret_key = "s"\nsecurity_group = "g"\n'
           'region = "us-east-1"\ntag_key = "k"\ntag_value = "v"\n')
    seen: set[str] = set()
    for scheme, extra in (("kubernetes", "".join(extras)), ("aws", aws)):
        path = tmp_path / f"{scheme}.toml"
        path.write_text(base.replace("[cluster]\n", f'[cluster]\nmembership = "{scheme}"\n')
                        .replace("[database.names]\n", '[database.names]\ngovernance = "GOV"\n') + extra,
                        encoding="utf-8")
        spec = load_spec(path)
        for node in spec.nodes:
            assert set(spec.values(node.id)) <= variables.KNOWN
            seen |= set(spec.values(node.id))
            assert all(set(row) == variables.PEER for row in spec.peer_values(node.id))
    assert seen == variables.KNOWN - variables.PRODUCT  # the product's values come from the home, at plan time


def test_a_minimal_spec_leaves_out_only_the_optional_names(tmp_path: Path) -> None:
    path = tmp_path / "wso2patch.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    spec = load_spec(path)
    assert set(spec.values(1)) == variables.NODE


def test_a_role_adds_its_names_and_a_plan_adds_the_products(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES
    from wso2patch.workflow import node_product, node_values

    path = tmp_path / "wso2patch.toml"
    path.write_text(MINIMAL.replace('host = "h2"\n', 'host = "h2"\nrole = "worker"\n')
                    .replace('host = "h1"\n', 'host = "h1"\nrole = "manager"\n'), encoding="utf-8")
    spec = load_spec(path)
    assert set(spec.values(1)) == variables.NODE | variables.ROLE
    assert [(spec.values(n)["node.sub_domain"], spec.values(n)["registry.read_only"]) for n in (1, 2)] == [
        ("mgt", "false"), ("worker", "true")]
    home = FIXTURES / "mb-home"
    values = node_values(spec, 1, node_product(spec, 1, home))
    assert set(values) == variables.NODE | variables.ROLE | variables.PRODUCT
    assert (values["product.key"], values["product.profile"]) == ("mb", "default")
    assert [set(row) for row in spec.peer_values(1)] == [variables.PEER]


def test_the_hint_folds_the_database_names_into_patterns() -> None:
    text = variables.describe(variables.KNOWN)
    assert "db.url.<kind>" in text and "db.url.user" not in text and "mb_store" in text and "node.host" in text
    assert variables.suggest("node.hots", variables.KNOWN) == "(did you mean {node.host}?)"
