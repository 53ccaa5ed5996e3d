"""Pure helpers of the benchmarks (bench/): flow replay, figures, tables."""

from __future__ import annotations

from bench.broker import _props
from bench.report import Series, deciles, fmt, fmt_series, metric_rows, ratio, table
from bench.server_floor import parse_strategy
from bench.watch import _flow_key, complete_at, settled_at

A = ("br-int", "0", "in_port=1", "goto_table:60")
B = ("br-int", "60", "dl_vlan=1", "NORMAL")
B2 = ("br-int", "60", "dl_vlan=1", "drop")


def test_flow_key_splits_match_and_actions() -> None:
    assert _flow_key(" priority=1,in_port=1 actions=drop") == ("priority=1,in_port=1", "drop")
    assert _flow_key("actions=NORMAL") == ("", "NORMAL")
    assert _flow_key("in_port=2") == ("in_port=2", "drop")


def test_settled_at_is_the_first_time_the_final_flows_were_all_there() -> None:
    changes = [(1.0, "ADDED", A), (2.0, "ADDED", B), (3.0, "MODIFIED", B2),
               (4.0, "MODIFIED", B)]  # B rewritten, then back: final state first at 2.0
    assert settled_at(changes, 0.0) == 2.0
    assert settled_at(changes, 2.5) == 4.0  # only times at or after "since" count
    assert settled_at([*changes, (5.0, "DELETED", A)], 0.0) == 5.0
    assert settled_at([], 0.0) is None


def test_settled_at_ignores_the_order_changes_were_recorded_in() -> None:
    changes = [(2.0, "ADDED", B), (1.0, "ADDED", A), (3.0, "DELETED", B), (4.0, "ADDED", B)]
    assert settled_at(changes, 0.0) == 2.0
    assert settled_at(changes[:3], 0.0) == 1.0  # B came and went: {A} first at 1.0


def test_series_and_formatting() -> None:
    s = Series()
    s.add(None)
    assert s.median is None and fmt_series(s) == "-"
    for v in (3.0, 1.0, 2.0):
        s.add(v)
    assert s.median == 2.0 and s.spread() == (1.0, 3.0)
    assert fmt_series(s) == "2.000 s (1.000-3.000)"
    assert fmt(12.34) == "12.3 s" and fmt(200.4, "MB") == "200 MB" and fmt(0.5, "%") == "0.50 %"
    assert fmt(3.0, "") == "3" and fmt(None) == "-"


def test_ratio() -> None:
    assert ratio(10.0, 2.0) == "5.0x"
    assert ratio(1000.0, 2.0) == "500x"
    assert ratio(1.0, 0.0) == "∞" and ratio(0.0, 0.0) == "=" and ratio(None, 1.0) == "-"


def test_table_and_metric_rows() -> None:
    rows = metric_rows({"reference": {"t": Series([4.0])}, "ovsagent": {"t": Series([1.0])}},
                       [("t", "time", "s"), ("x", "missing", "s")])
    assert rows == [("time", "4.000 s", "1.000 s", "4.0x"), ("missing", "-", "-", "-")]
    text = table("title", rows).splitlines()
    assert text[1] == "title" and text[3].startswith("| metric ") and text[4].startswith("|--")
    assert len({len(line) for line in text[3:]}) == 1  # columns aligned


def test_parse_strategy_and_connection_properties() -> None:
    assert parse_strategy("20x4") == (20, 4) and parse_strategy("50") == (50, 1)
    props = [["connection_name", "longstr", "neutron-openvswitch-agent:123:abc"]]
    assert _props({"client_properties": props})["connection_name"].split(":")[1] == "123"
    assert _props({"client_properties": {"a": 1}}) == {"a": 1}


def test_complete_at_is_when_each_final_flow_had_been_installed_once() -> None:
    changes = [(0.5, "ADDED", A), (1.0, "ADDED", B), (2.0, "DELETED", B), (3.0, "ADDED", B)]
    assert complete_at(changes, 0.7) == 1.0  # B was there at 1.0 (rewritten later)
    assert settled_at(changes, 0.7) == 1.0
    assert complete_at(changes, 1.5) == 1.5  # nothing missing since before 1.5
    assert complete_at([(1.0, "ADDED", A), (2.0, "MODIFIED", B2)], 0.0) == 2.0
    assert complete_at([], 0.0) == 0.0


def test_pings_in_flight_at_the_stop_are_not_lost() -> None:
    from bench.watch import TimedPing

    ping = object.__new__(TimedPing)  # no process: only the accounting
    ping.seen = {seq: 100.0 + seq / 100 for seq in (2, 3, 5, 6, 7)}
    assert ping.losses(9) == (2, 2)  # 1 and 4 lost; 8 and 9 on their way at the stop
    assert ping.gaps() == [(100.03, 4)]
    ping.seen = {}
    assert ping.losses(3) == (3, 0)


def test_deciles_are_the_tenth_to_hundredth_percentiles() -> None:
    times = [float(t) for t in range(1, 21)]  # 20 ports, one every second
    assert deciles(times) == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0]
    assert deciles([3.0]) == [3.0] * 10
    assert deciles([]) == []
