"""docs/pipeline.md is generated from the table map and must not drift."""

from __future__ import annotations

from pathlib import Path

from ovsagent.pipeline.doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "pipeline.md"


def test_pipeline_doc_is_current() -> None:
    assert DOC.read_text() == render(), (
        "docs/pipeline.md is stale: run `python -m ovsagent.pipeline.doc > docs/pipeline.md`")


def test_doc_lists_every_reference_table() -> None:
    text = render()
    for name in ("CANARY_TABLE", "ARP_SPOOF_TABLE", "VXLAN_TUN_TO_LV", "FLOOD_TO_TUN",
                 "LEARN_FROM_TUN", "ARP_RESPONDER"):
        assert f"| {name} |" in text
