"""The benchmark figures the docs quote: ``docs/benchmarks.json``, committed, rendered into docs/benchmarks.md.

Each benchmark writes its full results to ``bench/results/`` (not committed) and its summary here
with ``record``: one entry per benchmark (and, for the engine, per number of rows), with the date,
the machine and the targets, replacing that entry and keeping the others. The docs build
(docs/hooks.py) draws the tables and the met / not met verdicts from this file only, so a figure in
the docs is always one a benchmark measured.

A target is ``{"figure": words, "value": path, "at_most": number or path, "unit": "s" | "×" | "MB"}``;
a path is dotted keys into the entry (``steps.cli_import.wall_median_s``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
from pathlib import Path

SUMMARY = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.json"


def machine() -> str:
    """This machine in a few words: cores, memory, system."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
        ram = f", {memory:.0f} GB memory"
    except (ValueError, OSError, AttributeError):
        ram = ""
    return f"{os.cpu_count()} cores{ram}, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def record(benchmark: str, entry: dict, run: str | None = None, *, path: Path = SUMMARY) -> None:
    """Put ``entry`` (with today's date and this machine) under ``benchmark`` (and ``run``), keeping the rest."""
    summary = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entry = {"measured": dt.date.today().isoformat(), "machine": machine(), **entry}
    try:  # how busy the machine was: a shared machine's figures read differently
        busy = f"load average {os.getloadavg()[1]:.1f} over the last 5 minutes of the run"
        entry["conditions"] = f"{entry['conditions']}; {busy}" if entry.get("conditions") else busy
    except (OSError, AttributeError):
        pass
    if run is None:
        summary[benchmark] = entry
    else:
        summary.setdefault(benchmark, {})[run] = entry
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def step_summary(samples: list[dict]) -> dict:
    """One step's rounds (``wall_s``, ``cpu_s``, ``peak_mb`` each) as the figures the docs quote."""

    walls = [s["wall_s"] for s in samples]
    peaks = [s["peak_mb"] for s in samples]
    return {
        "wall_median_s": round(statistics.median(walls), 2),
        "wall_best_s": round(min(walls), 2),
        "cpu_median_s": round(statistics.median([s["cpu_s"] for s in samples]), 2),
        "peak_median_mb": round(statistics.median(peaks)),
        "peak_min_mb": round(min(peaks)),
        "peak_max_mb": round(max(peaks)),
    }


def target(figure: str, value: str, at_most: float | str, unit: str) -> dict:
    """A target: the figure at path ``value`` is at most ``at_most`` (a number, or the figure at that path)."""
    return {"figure": figure, "value": value, "at_most": at_most, "unit": unit}
