"""Documents parsed once: the plan starts from the Doc product detection parsed when the file's bytes are the same
(and parses them when not), and the second run starts from the first run's result (plan.replan_doc), so a plan
is what parsing every step afresh gives."""

from __future__ import annotations

from pathlib import Path

from wso2patch import plan
from wso2patch.edits import text_edits
from wso2patch.ops import SetText
from wso2patch.patchset import Step
from wso2patch.plan import parse_config, plan_file, replan_doc
from wso2patch.splices import Edit
from wso2patch.xmlio import Doc

CARBON = b'<?xml version="1.0" encoding="UTF-8"?>\n<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">\n' \
         b"    <Name>WSO2 Message Broker</Name>\n    <HostName>localhost</HostName>\n</Server>\n"


def test_the_plan_starts_from_the_detected_doc_when_the_bytes_are_the_same(tmp_path: Path) -> None:
    path = tmp_path / "carbon.xml"
    path.write_bytes(CARBON)
    doc = parse_config(path)
    assert plan._parsed(CARBON, str(path)) is doc
    assert plan._parsed(CARBON, str(tmp_path / "other.xml")) is not doc  # another file's bytes, even if equal


def test_changed_bytes_are_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "carbon.xml"
    path.write_bytes(CARBON)
    parse_config(path)
    changed = CARBON.replace(b"localhost", b"mb1.example.com")
    path.write_bytes(changed)
    steps = [Step("host", "set_text", "/Server/HostName", SetText("/Server/HostName", "mb2.example.com"))]
    planned = plan_file(path, "carbon.xml", steps)
    assert planned.old == changed
    assert planned.new == changed.replace(b"mb1.example.com", b"mb2.example.com")


def test_a_plan_from_a_kept_doc_is_the_plan_from_a_fresh_parse(tmp_path: Path) -> None:
    path = tmp_path / "carbon.xml"
    path.write_bytes(CARBON)
    steps = [Step("host", "set_text", "/Server/HostName", SetText("/Server/HostName", "10.0.0.1"))]
    fresh = plan_file(path, "carbon.xml", steps)
    parse_config(path)
    kept = plan_file(path, "carbon.xml", steps)
    assert (kept.new, [r.result for r in kept.results]) == (fresh.new, [r.result for r in fresh.results])
    assert b"<HostName>10.0.0.1</HostName>" in kept.new


def test_the_second_run_starts_from_the_result_itself() -> None:
    doc = Doc(CARBON, where="carbon.xml")
    end = CARBON.index(b"</Server>")
    after = doc.apply([Edit(end, end, "    <?pi x?>\n")])  # a processing instruction: scanned, nothing to check
    assert after.scanned
    assert replan_doc(after) is after
    moved = doc.apply(text_edits(doc, doc.xpath("/Server/HostName")[0], "10.0.0.1"))  # spans moved: checked
    assert not moved.scanned
    assert replan_doc(moved) is moved
    added = doc.apply([Edit(end, end, "    <Port>1</Port>\n")])  # a whole element: moved too
    assert not added.scanned
    assert replan_doc(added) is added
