"""Benchmark: the whole CLI import against the floor (a bare Polars read), DuckDB and pandas, in one run.

    python bench/bench_engine.py                 # 1,000,000 responses, 3 rounds
    python bench/bench_engine.py --rows 10000000 --rounds 1

Every step is its own process, timed from start to exit (interpreter start included) with its
own peak memory (max RSS, from wait4) and CPU time; the steps take turns, round after round,
so a busy machine slows them alike; times are medians over the rounds (and the best of them),
ratios the median of each round's own ratio. Steps:

- ``cli_import``: ``python -m insight ingest victim FILE`` into an empty store (store write included);
- ``cli_import_unpseudonymised``: the same, the definition's ``pseudonymise:`` taken out (Crime Reference then
  goes unread): what a million keyed hashes, and their 64 MB in the store, cost;
- ``bare_read``: ``pl.read_csv(path, infer_schema=False)``, nothing else (the floor);
- ``duckdb_copy``: DuckDB copying the CSV to Parquet (a peer);
- ``pandas_ingest``: a straightforward pandas version of the import (up to 1M rows: beyond, it may not fit);
- ``xlsx_import``: ``python -m insight ingest`` of a 100,000-row workbook with title lines above the header;
- ``report_call``: ``python -m insight report victim`` on the imported store;
- ``full_report`` / ``pandas_report``: every aspect × dimension × period, in process (best of 3).

Figures go to stdout and bench/results/latest.json; the ones the docs quote to docs/benchmarks.json
(``bench/summary.py``), under the number of rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
# The victim survey pseudonymises its crime reference: imports need a key (this one is the benchmark's own).
os.environ.setdefault("INSIGHT_ID_KEY", "benchmark pseudonym key - not the force's, 0123456789")
sys.path.insert(0, str(REPO))

from bench.summary import record, step_summary, target  # noqa: E402
from insight.config.loader import load_config  # noqa: E402
from insight.samples import ETHNIC_DETAIL, NPUS, OFFENCES, SAT7_NEG, SAT7_POS, VICTIM_HEADER  # noqa: E402

COMMENTS = [
    *[""] * 12,
    "Nobody called me back.",
    "Officer was kind.",
    "Took 3 weeks to hear anything",  # a digit but no PII: through the masking patterns, unchanged
    "Call me on 07700 900123 please",  # PII: masked
    "my email is someone@example.org",
]


def generate(rows: int, path: Path, seed: int = 7) -> pl.DataFrame:
    """A victim survey export of ``rows`` responses over 13 months, in the real layout."""
    rng = np.random.default_rng(seed)

    def pick(options: list[str]) -> pl.Series:
        return pl.Series(np.asarray(options, dtype=object)[rng.integers(0, len(options), rows)], dtype=pl.String)

    answers = [*SAT7_POS, *SAT7_NEG, "Don\u2019t know", ""]
    start = np.datetime64("2018-09-01T00:00")
    minutes = rng.integers(0, 395 * 24 * 60, rows)
    completed = pl.Series((start + minutes.astype("timedelta64[m]")).astype("datetime64[us]"))
    ethnicities = [e for group in ETHNIC_DETAIL.values() for e in group] + ["Prefer not to say"]
    index = pl.int_range(0, rows, eager=True)
    frame = pl.DataFrame(
        {
            VICTIM_HEADER[0]: pl.select(pl.format("VS{}", pl.lit(index).cast(pl.String).str.zfill(9))).to_series(),
            VICTIM_HEADER[1]: completed.dt.strftime("%d/%m/%Y %H:%M"),
            VICTIM_HEADER[2]: (completed - dt.timedelta(days=42)).dt.strftime("%d/%m/%Y"),
            VICTIM_HEADER[3]: pl.select(
                pl.format("20BE/{}/19", (pl.lit(index) % 999999).cast(pl.String).str.zfill(6))
            ).to_series(),
            VICTIM_HEADER[4]: pl.select(pl.format("person{}@example.org", pl.lit(index))).to_series(),
            VICTIM_HEADER[5]: pick(OFFENCES),
            VICTIM_HEADER[6]: pick(["999", "101", "Online", "Live Chat", "Front counter"]),
            VICTIM_HEADER[7]: pick(NPUS),
            **{VICTIM_HEADER[8 + q]: pick(answers) for q in range(5)},
            VICTIM_HEADER[13]: pick(["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "Prefer not to say"]),
            VICTIM_HEADER[14]: pick(ethnicities),
            VICTIM_HEADER[15]: pick(["Female", "Male", "Non-binary or other", "Prefer not to say"]),
            VICTIM_HEADER[16]: pick(COMMENTS),
        }
    )
    frame.write_csv(path)
    return frame


def write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    """The export as the reporting tool's workbook: a title line and a blank row above the header,
    completion times as date cells."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Responses")
    sheet.append(["Victim satisfaction survey: responses"])
    sheet.append([])
    sheet.append(frame.columns)
    completed = frame.get_column(VICTIM_HEADER[1]).str.strptime(pl.Datetime, "%d/%m/%Y %H:%M")
    frame = frame.with_columns(completed.alias(VICTIM_HEADER[1]))
    for row in frame.iter_rows():
        sheet.append([v if v != "" else None for v in row])
    book.save(path)


# --------------------------------------------------------------------------- in-process children


# The floor and the peer run as bare scripts: importing this file (numpy, insight) would slow them.
BARE_READ = "import sys, polars as pl; pl.read_csv(sys.argv[1], infer_schema=False)"
DUCKDB_COPY = (
    "import sys, duckdb; "
    "duckdb.sql(f\"COPY (SELECT * FROM read_csv('{sys.argv[1]}')) TO '{sys.argv[1]}.parquet' (FORMAT parquet)\")"
)


def _norm(series):  # pandas baseline helper
    return series.str.replace("\u2019", "'", regex=False).str.strip().str.lower()


def pandas_ingest(path: Path) -> dict:
    import pandas as pd

    victim = load_config().definitions["victim"]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw.drop(columns=list(victim.pii_columns))
    out = pd.DataFrame({"id": raw[victim.id_columns[0]].str.strip()})
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
    out.to_parquet(path.with_name("pandas.parquet"))
    return {"rows": len(out)}


def full_report(store: Path) -> dict:
    """Every aspect by every dimension for every period, in process; the frame is saved for pandas."""
    from insight.figures.metrics import full_report as report
    from insight.store import Store

    victim = load_config().definitions["victim"]
    frame = Store(store).read(victim)
    assert frame is not None
    frame.write_parquet(store.parent / "held.parquet")
    report(frame, victim)  # warm-up: first-call costs are not what a page reload sees
    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        result = report(frame, victim)
        best = min(best, time.perf_counter() - t)
    return {"seconds": best, "rows_out": sum(r.height for r in result.values())}


def pandas_report(store: Path) -> dict:
    import pandas as pd

    victim = load_config().definitions["victim"]
    frame = pd.read_parquet(store.parent / "held.parquet")
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


CHILDREN = {f.__name__: f for f in (pandas_ingest, full_report, pandas_report)}


# --------------------------------------------------------------------------- measuring a process


def run(argv: list[str], *, expect: str | None = None) -> dict:
    """One process's wall time, CPU time and peak memory, through a wrapper that waits for it with wait4
    (so the figures are the process's own); ``expect``: text its output must hold, thousands separators aside."""
    out = subprocess.run([sys.executable, __file__, "--wrap", "--", *argv], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{out.stderr[-3000:]}")
    figures = json.loads(out.stdout.strip().splitlines()[-1])["wrapped"]
    if expect and expect not in figures["stdout"].replace(",", ""):
        raise RuntimeError(f"{' '.join(argv)}: {expect!r} not in its output:\n{figures['stdout'][-2000:]}")
    return {k: v for k, v in figures.items() if k != "stdout"}


def wrap(argv: list[str]) -> None:
    """Run argv, wait for it with wait4, print its figures as JSON (the wrapper's own start is not counted)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryFile() as errors:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, env=env, cwd=REPO)
        out = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        errors.seek(0)
        err = errors.read()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped above: Popen must not wait again
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(err.decode()[-3000:])
        raise SystemExit(f"{' '.join(argv)} failed")
    text = out.decode()
    figures = {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}
    last = text.strip().splitlines()[-1] if text.strip() else ""
    if last.startswith("{"):
        figures.update(json.loads(last))
    figures["stdout"] = text
    print(json.dumps({"wrapped": figures}))


def child(name: str, target: Path) -> list[str]:
    return [sys.executable, __file__, "--child", name, "--file", str(target)]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "insight", *args]


def without_pseudonyms(folder: Path) -> Path:
    """The configuration with the victim survey's ``pseudonymise:`` line taken out (its Crime Reference then
    goes unread): what making a million pseudonyms costs, in the same run."""
    shutil.copytree(REPO / "config", folder)
    survey = folder / "surveys" / "victim.yaml"
    lines = survey.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("pseudonymise:")]
    assert len(kept) == len(lines) - 1, "the victim definition's pseudonymise: line was not found"
    survey.write_text("".join(kept))
    return folder


# --------------------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--report-calls", type=int, default=5)
    parser.add_argument("--child")
    parser.add_argument("--file")
    parser.add_argument("--wrap", action="store_true")
    parser.add_argument("argv", nargs="*")
    args = parser.parse_args()
    if args.wrap:
        wrap(args.argv)
        return
    if args.child:
        print(json.dumps(CHILDREN[args.child](Path(args.file))))
        return

    # As installed (pip and container builds compile bytecode): without it each call would first compile
    # the app's modules from source, which PYTHONDONTWRITEBYTECODE in a shell's environment would repeat.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "insight")], check=True)
    load = {"start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "victim_bench.csv"
        t = time.perf_counter()
        frame = generate(args.rows, path)
        xlsx = tmp / "victim_bench.xlsx"
        write_xlsx(frame.head(args.xlsx_rows), xlsx) if args.xlsx_rows else None
        del frame
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} responses ({size_mb:.0f} MB) in {time.perf_counter() - t:.1f}s", flush=True)

        steps: dict[str, list[dict]] = {}
        store = tmp / "store"
        unpseudonymised = without_pseudonyms(tmp / "config")

        def step(name: str, argv: list[str], expect: str | None = None) -> None:
            figures = run(argv, expect=expect)
            steps.setdefault(name, []).append(figures)
            print(f"  {name}: {figures['wall_s']:.2f}s wall, {figures['cpu_s']:.2f}s CPU, "
                  f"{figures['peak_mb']:.0f} MB", flush=True)  # fmt: skip

        for r in range(args.rounds):
            print(f"round {r + 1} (load {os.getloadavg()[0]:.1f})", flush=True)
            shutil.rmtree(store, ignore_errors=True)
            step("cli_import", cli("ingest", "victim", str(path), "--data-dir", str(store)), f"{args.rows} new")
            step("bare_read", [sys.executable, "-c", BARE_READ, str(path)])
            plain_store = tmp / f"plain{r}"
            step(
                "cli_import_unpseudonymised",
                ["env", f"INSIGHT_CONFIG_DIR={unpseudonymised}",
                 *cli("ingest", "victim", str(path), "--data-dir", str(plain_store))],
                f"{args.rows} new",
            )  # fmt: skip
            shutil.rmtree(plain_store)
            step("duckdb_copy", [sys.executable, "-c", DUCKDB_COPY, str(path)])
            if args.rows <= 1_000_000:
                step("pandas_ingest", child("pandas_ingest", path))
            if args.xlsx_rows:
                step(
                    "xlsx_import",
                    cli("ingest", "victim", str(xlsx), "--data-dir", str(tmp / f"xlsx{r}")),
                    f"{args.xlsx_rows} new",
                )
            for _ in range(args.report_calls):
                step("report_call", cli("report", "victim", "--data-dir", str(store), "--format", "json"), '"rows"')
        full = run(child("full_report", store))
        pandas_full = run(child("pandas_report", store)) if args.rows <= 1_000_000 else None
    load["end"] = os.getloadavg()

    def median(name: str, key: str = "wall_s") -> float | None:
        values = [s[key] for s in steps.get(name, [])]
        return statistics.median(values) if values else None

    def ratio(a: str, b: str, key: str = "wall_s") -> float:
        """Median over rounds of a / b within each round (the two ran minutes apart at most)."""
        return round(statistics.median(x[key] / y[key] for x, y in zip(steps[a], steps[b], strict=True)), 2)

    def best(name: str) -> float:
        return round(min(s["wall_s"] for s in steps[name]), 2)

    cli_s, bare_s = median("cli_import"), median("bare_read")
    figures = {
        "rows": args.rows,
        "csv_mb": round(size_mb),
        "rounds": args.rounds,
        "load_average": {k: [round(x, 1) for x in v] for k, v in load.items()},
        "cli_import_s": round(cli_s, 2),
        "bare_read_s": round(bare_s, 2),
        "duckdb_copy_s": round(median("duckdb_copy"), 2),
        "pandas_ingest_s": round(median("pandas_ingest"), 2) if "pandas_ingest" in steps else None,
        "best_of_rounds_s": {name: best(name) for name in steps},
        "ratio_import_to_bare": ratio("cli_import", "bare_read"),
        "ratio_import_to_bare_cpu": ratio("cli_import", "bare_read", "cpu_s"),
        "ratio_unpseudonymised_to_bare": ratio("cli_import_unpseudonymised", "bare_read"),
        "ratio_import_to_duckdb": ratio("cli_import", "duckdb_copy"),
        "cli_import_peak_mb": round(median("cli_import", "peak_mb")),
        "bare_read_peak_mb": round(median("bare_read", "peak_mb")),
        "duckdb_copy_peak_mb": round(median("duckdb_copy", "peak_mb")),
        "pandas_ingest_peak_mb": round(median("pandas_ingest", "peak_mb")) if "pandas_ingest" in steps else None,
        "xlsx_rows": args.xlsx_rows,
        "xlsx_import_s": round(median("xlsx_import"), 2) if "xlsx_import" in steps else None,
        "report_call_s": round(median("report_call"), 3),
        "report_call_cpu_s": round(median("report_call", "cpu_s"), 3),
        "report_call_peak_mb": round(median("report_call", "peak_mb")),
        "full_report_s": round(full["seconds"], 3),
        "pandas_report_s": round(pandas_full["seconds"], 3) if pandas_full else None,
        "full_report_rows_out": full["rows_out"],
    }
    print(json.dumps(figures, indent=2))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps({"figures": figures, "steps": steps}, indent=2))
    record("engine", summary_entry(args, figures, steps, size_mb, load), str(args.rows))


def summary_entry(
    args: argparse.Namespace, figures: dict, steps: dict[str, list[dict]], size_mb: float, load: dict
) -> dict:
    """What docs/benchmarks.md quotes from this run, and the targets it is held to."""
    low = min(x[0] for x in load.values())
    high = max(x[0] for x in load.values())
    targets = [
        target("CLI import / bare read, wall", "ratios.import_to_bare", 2.0, "×"),
        target("CLI import's peak memory", "steps.cli_import.peak_median_mb", "steps.bare_read.peak_median_mb", "MB"),
    ]
    if args.rows < 10_000_000:  # time targets are set at 1M rows; at 10M, memory
        targets.append(target("report call, interpreter start included", "steps.report_call.wall_median_s", 0.3, "s"))
        if "xlsx_import" in steps:
            targets.append(
                target(f"{args.xlsx_rows:,}-row workbook import", "steps.xlsx_import.wall_median_s", 1.5, "s")
            )
    else:
        targets.append(target("CLI import's peak memory", "steps.cli_import.peak_median_mb", 6000, "MB"))
    return {
        "conditions": f"load average {low:.1f}-{high:.1f} during the run",
        "rows": args.rows,
        "csv_mb": round(size_mb),
        "rounds": args.rounds,
        "xlsx_rows": args.xlsx_rows,
        "steps": {name: step_summary(samples) for name, samples in steps.items()},
        "ratios": {
            "import_to_bare": figures["ratio_import_to_bare"],
            "import_to_bare_cpu": figures["ratio_import_to_bare_cpu"],
            "unpseudonymised_to_bare": figures["ratio_unpseudonymised_to_bare"],
            "import_to_duckdb": figures["ratio_import_to_duckdb"],
        },
        "in_process": {"full_report_s": figures["full_report_s"], "pandas_report_s": figures["pandas_report_s"]},
        "targets": targets,
    }


if __name__ == "__main__":
    main()
