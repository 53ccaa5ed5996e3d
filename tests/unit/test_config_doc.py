"""docs/configuration.md is generated from the options and the support map and must not drift."""

from __future__ import annotations

from pathlib import Path

from ovsagent.config import doc
from ovsagent.config.opts import list_opts

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_configuration_doc_is_current() -> None:
    assert DOC.read_text() == doc.render(), (
        "docs/configuration.md is stale: run "
        "`python -m ovsagent.config.doc > docs/configuration.md`")


def test_every_option_has_a_row_with_its_status() -> None:
    text = doc.render()
    for group, opts in list_opts():
        assert f"## [{group}]" in text
        for opt in opts:
            assert f"| `{opt.dest}` |" in text
    assert "| `l2_population` | bool | `False` | yes |" in text
    assert "| `enable_distributed_routing` | bool | `False` | ignored: DVR" in text
    assert "| `metrics_listen` | str | (empty) | **ovsagent** |" in text
    assert "**only** `neutron.agent.firewall.NoopFirewallDriver`, `noop`" in text
    assert "| `host` | hostaddress | `example.domain` |" in text  # not this machine's name
