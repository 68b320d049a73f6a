"""Benchmark: the Delta Lake store. Whole CLI imports, a no-op re-import, an undo, a report's read.

    python bench/bench_store.py                    # stores of 0, 1M and 3M rows
    python bench/bench_store.py --sizes 0 200000   # quicker

Each import is the whole command (``python -m insight ingest victim FILE``) in its own
process onto a fresh copy of a store, so the ratios compare like with like in one run:
- a month of 100,000 responses onto stores of 0, 1M and 3M rows (target: 3M within 1.3x of 0, medians);
  the stores are built by ``--imports`` imports (30: two and a half years of monthly imports), since
  a store built in one import has a one-version history and hid what a long one costs;
- the same month again with 1% of its answers corrected, onto the largest store (its rows held);
- an unchanged re-import of a 1M-row file against its first import (target: at most 0.3x);
- an undo of the month just imported, on the largest store;
- a report's read: only the columns and rows a report needs, against reading everything.
Figures go to stdout and bench/results/store.json; the ones the docs quote to docs/benchmarks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
# The victim survey pseudonymises its crime reference: imports need a key (this one is the benchmark's own).
os.environ.setdefault("INSIGHT_ID_KEY", "benchmark pseudonym key - not the force's, 0123456789")
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_engine import generate  # noqa: E402
from summary import record, target  # noqa: E402

from insight.config.layout import tidy_columns  # noqa: E402
from insight.config.loader import load_config  # noqa: E402
from insight.intake.tidy import ingest_file  # noqa: E402
from insight.store import Store  # noqa: E402


def month_file(rows: int, path: Path) -> None:
    """``rows`` responses all in November 2019 (after the base store's months), with fresh IDs."""
    generate(rows, path, seed=11)
    frame = pl.read_csv(path, infer_schema=False)
    cols = frame.columns
    frame.with_columns(
        pl.col(cols[0]).str.replace("^VS", "NW"),
        pl.lit("15/11/2019 12:00").alias(cols[1]),
        pl.lit("04/10/2019").alias(cols[2]),
    ).write_csv(path)


def cli(*args: str) -> float:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "insight", *args], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr}")
    return seconds


def build_store(frame: pl.DataFrame, folder: Path, imports: int = 1) -> None:
    """A store holding ``frame`` (already validated), imported in ``imports`` parts, each its own version
    (a store that grew by monthly imports has a history: its log and files are what an import reads)."""
    from insight.intake.tidy import IngestResult, ValidationReport

    victim = load_config().definitions["victim"]
    size = -(-frame.height // imports)
    for i in range(imports):
        part = frame.slice(i * size, size)
        report = ValidationReport("victim", f"base{i}.csv", f"{i:064d}", part.height, 1, "utf-8")
        Store(folder).import_result(victim, IngestResult(part, pl.DataFrame(), report), user="bench")


def best(times: list[float]) -> float:
    return min(times)


def median(times: list[float]) -> float:
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 1_000_000, 3_000_000])
    parser.add_argument("--month", type=int, default=100_000, help="responses in the imported month")
    parser.add_argument("--reimport", type=int, default=1_000_000, help="rows of the re-imported file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--imports", type=int, default=30, help="the base stores are built by this many imports (their history)"
    )
    args = parser.parse_args()
    victim = load_config().definitions["victim"]
    results: dict[str, object] = {"sizes": args.sizes, "month_rows": args.month}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        month = tmp / "month.csv"
        month_file(args.month, month)
        base_csv = tmp / "base.csv"
        largest = max(max(args.sizes), args.reimport)
        generate(largest, base_csv)
        base = ingest_file(base_csv, victim).frame
        print(f"generated: a month of {args.month:,} and a base of {largest:,} responses")

        # 1. a month onto stores of each size
        imports: dict[int, float] = {}
        for size in args.sizes:
            seed = tmp / f"store-{size}"
            if size:
                build_store(base.head(size), seed, args.imports)
            times = []
            for _ in range(args.repeat):
                work = tmp / "work"
                shutil.rmtree(work, ignore_errors=True)
                if size:
                    shutil.copytree(seed, work)
                times.append(cli("ingest", "victim", str(month), "--data-dir", str(work)))
            imports[size] = median(times)
            print(f"import {args.month:,} onto {size:>9,} rows: median {imports[size]:.2f} s (best {best(times):.2f})")
        smallest = min(args.sizes)
        results["import_seconds"] = {str(k): round(v, 3) for k, v in imports.items()}
        results["import_ratio_largest_to_empty"] = round(imports[max(args.sizes)] / imports[smallest], 2)

        # 1b. the same month again with 1% of its answers corrected: its rows are held now, 868 of them change
        corrected = tmp / "month-corrected.csv"
        raw = pl.read_csv(month, infer_schema=False)
        overall = raw.columns[12]
        every_100th = pl.int_range(pl.len()) % 100 == 0
        raw.with_columns(pl.when(every_100th).then(pl.lit("Completely satisfied")).otherwise(pl.col(overall))
                         .alias(overall)).write_csv(corrected)  # fmt: skip
        times = []
        for _ in range(args.repeat):
            merged = tmp / "merged"
            shutil.rmtree(merged, ignore_errors=True)
            shutil.copytree(tmp / "work", merged)
            times.append(cli("ingest", "victim", str(corrected), "--data-dir", str(merged)))
        results["corrected_month_seconds"] = round(best(times), 3)
        print(f"the month again, 1% corrected (its rows held), onto {max(args.sizes):,} rows: {best(times):.2f} s")

        # 2. undo the month just imported, on the largest store (``work`` holds it)
        results["undo_seconds"] = round(cli("undo", "victim", "--data-dir", str(tmp / "work")), 3)
        print(f"undo on {max(args.sizes):,} rows: {results['undo_seconds']:.2f} s")

        # 3. a report's read on the largest store: the columns and periods it needs, against everything
        store = Store(tmp / "work")
        columns = [c for c in tidy_columns(victim) if c not in ("date", *victim.free_text)]
        latest = store.held_periods(victim)[-2:]
        reads = {}
        for name, kwargs in (("everything", {}), ("report columns", {"columns": columns}),
                             ("report columns, two periods", {"columns": columns, "periods": latest})):  # fmt: skip
            times = []
            for _ in range(3):
                t = time.perf_counter()
                store.read(victim, **kwargs)
                times.append(time.perf_counter() - t)
            reads[name] = round(best(times), 3)
            print(f"read {name}: {reads[name]:.3f} s")
        results["read_seconds"] = reads

        # 4. an unchanged re-import against the first import of the same file
        file = tmp / "reimport.csv"
        base_csv_rows = base.height
        if args.reimport == base_csv_rows:
            shutil.copy(base_csv, file)
        else:
            pl.read_csv(base_csv, infer_schema=False).head(args.reimport).write_csv(file)
        first, again = [], []
        for _ in range(args.repeat):
            work = tmp / "reimport-store"
            shutil.rmtree(work, ignore_errors=True)
            first.append(cli("ingest", "victim", str(file), "--data-dir", str(work)))
            again.append(cli("ingest", "victim", str(file), "--data-dir", str(work)))
        results["reimport"] = {"first_seconds": round(best(first), 3), "unchanged_seconds": round(best(again), 3),
                               "ratio": round(best(again) / best(first), 2)}  # fmt: skip
        print(f"re-import of {args.reimport:,} unchanged: {best(again):.2f} s against {best(first):.2f} s first")

    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "store.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    targets = [
        target(f"a month onto {max(args.sizes):,} rows / onto the smallest store", "import_ratio_largest_to_empty",
               1.3, "×"),
        target("unchanged re-import / first import", "reimport.ratio", 0.3, "×"),
    ]  # fmt: skip
    conditions = f"imports: median of {args.repeat}; base stores built by {args.imports} imports each"
    record("store", {"conditions": conditions, **results, "targets": targets})


if __name__ == "__main__":
    main()
