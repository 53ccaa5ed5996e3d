"""Arguments, figures and tables of the benchmarks: medians, ratios, JSON results."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
AGENTS = ("reference", "ovsagent")


def say(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ arguments
def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def base_parser(doc: str | None, ports: str = "100") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ports", type=int_list, default=int_list(ports),
                   help="port counts, comma separated (default %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="runs per agent and size (median)")
    p.add_argument("--agents", default=",".join(AGENTS),
                   help="agents to run, in order (default %(default)s)")
    p.add_argument("--rpc-workers", type=int, default=1,
                   help="neutron-server rpc_workers (default 1, as in the lab)")
    p.add_argument("--networks", type=int, default=10, help="networks the ports spread over")
    p.add_argument("--no-save", action="store_true", help="do not write bench/results/*.json")
    return p


def agents_of(args: argparse.Namespace) -> list[str]:
    return [a.strip() for a in args.agents.split(",") if a.strip()]


# --------------------------------------------------------------- statistics
@dataclass
class Series:
    values: list[float] = field(default_factory=list)

    def add(self, v: float | None) -> None:
        if v is not None:
            self.values.append(v)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def spread(self) -> tuple[float, float] | None:
        return (min(self.values), max(self.values)) if self.values else None


def fmt(v: float | None, unit: str = "s") -> str:
    if v is None:
        return "-"
    if unit == "s":
        return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"
    if unit == "MB":
        return f"{v:.0f} MB"
    if unit == "%":
        return f"{v:.2f} %"
    if unit == "":
        return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"
    return f"{v:.2f} {unit}"


def fmt_series(s: Series, unit: str = "s") -> str:
    m = s.median
    if m is None:
        return "-"
    text = fmt(m, unit)
    if len(s.values) > 1:
        lo, hi = s.spread()  # type: ignore[misc]
        text += f" ({fmt(lo, unit).split()[0]}-{fmt(hi, unit).split()[0]})"
    return text


def ratio(ref: float | None, ours: float | None) -> str:
    if ref is None or ours is None:
        return "-"
    if ours == 0:
        return "∞" if ref > 0 else "="
    r = ref / ours
    return f"{r:.1f}x" if r < 100 else f"{r:.0f}x"


def table(title: str, rows: Sequence[tuple[str, str, str, str]]) -> str:
    head = ("metric", "reference", "ovsagent", "ref / ovsagent")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]

    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([f"\n{title}\n", line(head), sep, *(line(r) for r in rows)])


def metric_rows(results: dict[str, dict[str, Series]], metrics: Sequence[tuple[str, str, str]]
                ) -> list[tuple[str, str, str, str]]:
    """``metrics``: (key, label, unit). ``results``: agent -> key -> series."""
    rows = []
    for key, label, unit in metrics:
        ref = results.get("reference", {}).get(key, Series())
        ours = results.get("ovsagent", {}).get(key, Series())
        rows.append((label, fmt_series(ref, unit), fmt_series(ours, unit),
                     ratio(ref.median, ours.median)))
    return rows


def machine() -> dict[str, Any]:
    busy = subprocess.run(["pgrep", "-af", "pytest|neutron-rpc-server"], capture_output=True,
                          text=True, check=False).stdout.splitlines()
    return {"host": platform.node(), "cpus": os.cpu_count(), "python": sys.version.split()[0],
            "load1": os.getloadavg()[0],
            "other_labs_or_tests_running": len([b for b in busy if str(os.getpid()) not in b])}


def save(name: str, data: dict[str, Any], enabled: bool = True) -> Path | None:
    if not enabled:
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    data = {"bench": name, "when": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": machine(), **data}
    path = RESULTS / f"{name}-{stamp}.json"
    text = json.dumps(data, indent=2, default=lambda o: o.values if isinstance(o, Series)
                      else str(o))
    path.write_text(text + "\n")
    (RESULTS / f"{name}-latest.json").write_text(text + "\n")
    say(f"saved {path}")
    return path


def load_latest(name: str) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((RESULTS / f"{name}-latest.json").read_text())
    except (OSError, ValueError):
        return None
    return data


def deciles(times: list[float]) -> list[float]:
    """The 10th, 20th, ..., 100th percentile of sorted ``times`` (rounded): the shape of
    an ACTIVE curve, to tell a slow server from gaps in an agent's reporting."""
    if not times:
        return []
    return [round(times[min(len(times) - 1, (len(times) * k) // 10 - 1)], 2)
            for k in range(1, 11)]
