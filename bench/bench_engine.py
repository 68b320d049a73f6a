"""Benchmark: ingest and a full report on N synthetic victim responses, against pandas.

    python bench/bench_engine.py            # 1,000,000 responses
    python bench/bench_engine.py --rows 200000

Each measurement runs in its own process so its peak memory (max RSS) is its own.
The pandas baseline does the same work in a straightforward way: read the CSV, drop
PII, normalise labels, parse UK dates, check IDs; then every aspect by every
dimension for every period with base, positive share, Wilson interval and the change
test on the previous period. Figures go to stdout and bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from insight.definition import load_definitions  # noqa: E402
from insight.samples import ETHNIC_DETAIL, NPUS, OFFENCES, SAT7_NEG, SAT7_POS, VICTIM_HEADER  # noqa: E402


def generate(rows: int, path: Path, seed: int = 7) -> None:
    """A victim survey export of ``rows`` responses over 13 months, in the real layout."""
    rng = np.random.default_rng(seed)

    def pick(options: list[str]) -> pl.Series:
        return pl.Series(np.asarray(options, dtype=object)[rng.integers(0, len(options), rows)], dtype=pl.String)

    answers = [*SAT7_POS, *SAT7_NEG, "Don\u2019t know", ""]
    start = np.datetime64("2018-09-01T00:00")
    minutes = rng.integers(0, 395 * 24 * 60, rows)
    completed = pl.Series((start + minutes.astype("timedelta64[m]")).astype("datetime64[us]"))
    ethnicities = [e for group in ETHNIC_DETAIL.values() for e in group] + ["Prefer not to say"]
    frame = pl.DataFrame(
        {
            VICTIM_HEADER[0]: pl.Series([f"VS{i:09d}" for i in range(rows)]),
            VICTIM_HEADER[1]: completed.dt.strftime("%d/%m/%Y %H:%M"),
            VICTIM_HEADER[2]: (completed - dt.timedelta(days=42)).dt.strftime("%d/%m/%Y"),
            VICTIM_HEADER[3]: pl.Series([f"20BE/{i % 999999:06d}/19" for i in range(rows)]),
            VICTIM_HEADER[4]: pl.Series([f"person{i}@example.org" for i in range(rows)]),
            VICTIM_HEADER[5]: pick(OFFENCES),
            VICTIM_HEADER[6]: pick(["999", "101", "Online", "Live Chat", "Front counter"]),
            VICTIM_HEADER[7]: pick(NPUS),
            **{VICTIM_HEADER[8 + q]: pick(answers) for q in range(5)},
            VICTIM_HEADER[13]: pick(["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "Prefer not to say"]),
            VICTIM_HEADER[14]: pick(ethnicities),
            VICTIM_HEADER[15]: pick(["Female", "Male", "Non-binary or other", "Prefer not to say"]),
            VICTIM_HEADER[16]: pick(["", "", "", "Nobody called me back.", "Officer was kind."]),
        }
    )
    frame.write_csv(path)


# --------------------------------------------------------------------------- the work


def polars_ingest(path: Path) -> dict:
    from insight.ingest import ingest_file

    victim = load_definitions()["victim"]
    t = time.perf_counter()
    result = ingest_file(path, victim)
    seconds = time.perf_counter() - t
    assert result.report.ok, result.report.describe()
    result.frame.write_parquet(path.with_suffix(".parquet"))
    return {"seconds": seconds, "rows": result.frame.height}


def polars_report(path: Path) -> dict:
    from insight.metrics import full_report

    victim = load_definitions()["victim"]
    frame = pl.read_parquet(path.with_suffix(".parquet"))
    full_report(frame, victim)  # warm-up: first-call costs are not what a page reload sees
    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        report = full_report(frame, victim)
        best = min(best, time.perf_counter() - t)
    return {"seconds": best, "rows_out": sum(r.height for r in report.values())}


def _norm(series):  # pandas baseline helper
    return series.str.replace("\u2019", "'", regex=False).str.strip().str.lower()


def pandas_ingest(path: Path) -> dict:
    import pandas as pd

    victim = load_definitions()["victim"]
    t = time.perf_counter()
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw.drop(columns=list(victim.pii_columns))
    out = pd.DataFrame({"id": raw[victim.id_column].str.strip()})
    assert not out["id"].duplicated().any()
    dates = pd.to_datetime(raw[victim.period.column], format="%d/%m/%Y %H:%M", errors="coerce")
    assert not dates.isna().any()
    out["date"] = dates.dt.date
    out["period"] = dates.dt.strftime("%Y-%m")
    for key, dim in victim.dimensions.items():
        mapped = _norm(raw[dim.column]).map(dim.label_map())
        assert not mapped.isna().any()
        out[key] = mapped
    for key, q in victim.questions.items():
        lookup = {a.lower(): a for a in q.scale.answers}
        col = _norm(raw[q.column])
        mapped = col.map(lookup)
        assert not (mapped.isna() & (col != "")).any()
        out[key] = mapped
    out["comments"] = raw["Any other comments?"]
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rows": len(out)}


def pandas_report(path: Path) -> dict:
    import pandas as pd

    victim = load_definitions()["victim"]
    frame = pd.read_parquet(path.with_suffix(".parquet"))
    for col in frame.columns:
        if str(frame[col].dtype) == "category":
            frame[col] = frame[col].astype(str)
    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        outputs = []
        flags = {}
        for a, q in victim.questions.items():
            flags[f"{a}_base"] = frame[a].isin(q.scale.in_base)
            flags[f"{a}_pos"] = frame[a].isin(q.scale.positive)
        work = pd.concat([frame, pd.DataFrame(flags)], axis=1)
        for dim in [None, *victim.dimensions]:
            keys = ["period"] if dim is None else ["period", dim]
            grouped = work.groupby(keys, observed=True)[list(flags)].sum().reset_index()
            for a in victim.questions:
                part = grouped[keys].copy()
                part["aspect"] = a
                n = grouped[f"{a}_base"].astype(float)
                x = grouped[f"{a}_pos"].astype(float)
                p = x / n
                z = 1.959963984540054
                denom = 1 + z**2 / n
                centre = (p + z**2 / (2 * n)) / denom
                half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
                part["base"], part["positive"], part["pct"] = n, x, p * 100
                part["ci_low"], part["ci_high"] = (centre - half) * 100, (centre + half) * 100
                part = part.sort_values(keys)
                group_keys = [dim] if dim else []
                shifted = (
                    part.groupby(group_keys)[["base", "positive"]].shift(1)
                    if dim
                    else part[["base", "positive"]].shift(1)
                )
                n0, x0 = shifted["base"], shifted["positive"]
                pooled = (x + x0) / (n + n0)
                se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n0))
                zval = (p - x0 / n0) / se
                part["change_pp"] = (p - x0 / n0) * 100
                part["p_value"] = [math.erfc(abs(v) / math.sqrt(2)) if v == v else None for v in zval]
                outputs.append(part)
        result = pd.concat(outputs)
        best = min(best, time.perf_counter() - t)
    return {"seconds": best, "rows_out": len(result)}


TASKS = {"polars_ingest": polars_ingest, "polars_report": polars_report,
         "pandas_ingest": pandas_ingest, "pandas_report": pandas_report}  # fmt: skip


def run_child(task: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, "--file", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child")
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.child:
        result = TASKS[args.child](Path(args.file))
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "victim_bench.csv"
        t = time.perf_counter()
        generate(args.rows, path)
        print(
            f"generated {args.rows:,} responses ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f}s"
        )
        results = {task: run_child(task, path) for task in TASKS}
    figures = {
        "rows": args.rows,
        "ingest_s": round(results["polars_ingest"]["seconds"], 2),
        "ingest_peak_mb": round(results["polars_ingest"]["peak_mb"]),
        "report_s": round(results["polars_report"]["seconds"], 3),
        "report_peak_mb": round(results["polars_report"]["peak_mb"]),
        "pandas_ingest_s": round(results["pandas_ingest"]["seconds"], 2),
        "pandas_report_s": round(results["pandas_report"]["seconds"], 3),
        "ingest_speedup": round(results["pandas_ingest"]["seconds"] / results["polars_ingest"]["seconds"], 1),
        "report_speedup": round(results["pandas_report"]["seconds"] / results["polars_report"]["seconds"], 1),
        "report_rows_out": results["polars_report"]["rows_out"],
    }
    print(json.dumps(figures, indent=2))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps({"figures": figures, "raw": results}, indent=2))


if __name__ == "__main__":
    main()
