"""Benchmark: many viewers at once. N sessions speaking Streamlit's own protocol against one server.

    python bench/bench_load.py                                   # 1M and 10M rows; 10, 25, 50, 100 viewers
    python bench/bench_load.py --rows 100000 --sessions 5 10 --duration 20   # a smoke run
    python bench/bench_load.py --url http://127.0.0.1:8080 --sessions 50     # a running server or cluster

Each viewer is a ``bench/load_client.Viewer``: a WebSocket session as a browser tab opens it (no
browser, whose own drawing would be measured instead), answering the live reload's ``auto_rerun``
as the browser does. It opens a page (Overview, Satisfaction, Trends, Respondents or Comments), then
until the time is up: waits a viewer's pause (``--think`` seconds on average), then changes a filter
on the page (*Break down by*, *Aspect* or *Period*, 3 times in 4) or opens another page. Viewers
start spread over ``--ramp`` seconds.

For each number of viewers a fresh server is started on the store (the store is built once per
size, like bench_app's: the 1M ingest, repeated with new IDs for 10M), warmed by one viewer opening
every page, and measured while the N viewers run for ``--duration`` seconds:

- p50 / p95 from a filter change (the BackMsg sent) to the end of that run (``script_finished``);
  the same for opening another page, and for opening the app;
- errors: exceptions or error boxes drawn, runs not finished within 120 s, lost connections;
- the server's CPU (cores used, from /proc) and resident memory: its growth over the warmed server
  with no viewer, per viewer;
- the live reload's fragment runs (count and p95);
- where it saturates: the first N whose filter-change p95 passes ``--target-p95`` or that has errors,
  with the server's CPU then.

Figures go to stdout and bench/results/load.json; the ones the docs quote to docs/benchmarks.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.load_client import Run, Viewer  # noqa: E402
from bench.summary import record, target  # noqa: E402

PAGES = ("", "satisfaction", "trends", "respondents", "comments")
FILTERS = ("Break down by", "Aspect", "Period")
TICK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the server, measured from /proc


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Monitor:
    """Samples the processes' CPU and memory (summed: the replicas of a cluster) every second until stopped."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.samples: list[tuple[float, float, float]] = []  # (time, cpu seconds, rss MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        cpu = sum(cpu_seconds(pid) for pid in self.pids)
        self.samples.append((time.perf_counter(), cpu, sum(rss_mb(pid) for pid in self.pids)))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sample()
            except OSError:
                return
            self._stop.wait(1.0)

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(OSError):
            self._sample()

    def cores(self, until: float | None = None) -> float:
        """Cores used from the first sample to ``until`` (the viewers' end: a run still waiting for its time
        limit after that would add idle seconds), or to the last sample."""
        within = [s for s in self.samples if until is None or s[0] <= until] or self.samples
        (t0, c0, _), (t1, c1, _) = within[0], within[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0

    def peak_mb(self) -> float:
        return max(s[2] for s in self.samples)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, log: Path, samples: str = "off") -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "INSIGHT_DATA_DIR": str(data_dir), "INSIGHT_SAMPLES": samples}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app_pages.serving", "run", "--server.port", str(port)],  # warms as scripts/ do
        cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return proc, base
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the app did not start: {log.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- the viewers


async def viewer(base: str, index: int, *, until: float, think: float, rng: random.Random) -> dict:
    """One viewer's session: open a page, then filter changes and page switches until ``until``."""
    v = Viewer(base, name=f"viewer-{index}")
    runs: list[Run] = []
    page = rng.choice(PAGES)
    try:
        runs.append(await v.open(page, "dataset=victim"))
        while time.perf_counter() < until:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            if time.perf_counter() >= until:
                break
            choices = [label for label in FILTERS if label in v.widgets and len(v.widgets[label].options) > 1]
            if choices and rng.random() < 0.75:
                label = rng.choice(choices)
                widget = v.widgets[label]
                option = rng.choice([o for o in widget.options if o != widget.value] or widget.options)
                runs.append(await v.choose(label, option))
            else:
                page = rng.choice([p for p in PAGES if p != page])
                runs.append(await v.switch(page))
    except Exception as exc:  # a viewer that cannot go on is an error, not the end of the benchmark
        v.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await v.close()
    return {"runs": runs, "errors": v.errors, "fragment_runs": v.fragment_runs, "fragment_seconds": v.fragment_seconds,
            "finishes_lost": v.finishes_lost}  # fmt: skip


async def crowd(base: str, sessions: int, *, duration: float, think: float, ramp: float, seed: int) -> list[dict]:
    start = time.perf_counter()
    until = start + ramp + duration

    async def one(i: int) -> dict:
        await asyncio.sleep(ramp * i / max(sessions, 1))
        return await viewer(base, i, until=until, think=think, rng=random.Random(seed * 1000 + i))

    return list(await asyncio.gather(*(one(i) for i in range(sessions))))


async def warm_up(base: str) -> None:
    """One viewer opens every page once, as the first visitor after a start would."""
    v = Viewer(base, name="warm-up")
    try:
        await v.open("", "dataset=victim")
        for page in PAGES[1:]:
            await v.switch(page)
    finally:
        await v.close()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(results: list[dict], sessions: int, duration: float) -> dict:
    runs = [r for res in results for r in res["runs"]]
    by_action = {a: [r.seconds for r in runs if r.action == a and not r.errors] for a in ("open", "page", "filter")}
    errors = [e for r in runs for e in r.errors] + [e for res in results for e in res["errors"]]
    fragments = [s for res in results for s in res["fragment_seconds"]]
    out: dict = {"sessions": sessions, "runs": len(runs), "runs_per_s": round(len(runs) / duration, 2)}
    for action, times in by_action.items():
        out[action] = {
            "count": len(times),
            "p50_s": _r(percentile(times, 0.5)),
            "p95_s": _r(percentile(times, 0.95)),
            "max_s": _r(max(times) if times else None),
        }
    out["charts_per_run"] = round(statistics.mean([r.charts for r in runs]), 1) if runs else 0
    out["errors"] = len(errors)
    out["error_examples"] = sorted(set(errors))[:5]
    out["fragment_runs"] = sum(res["fragment_runs"] for res in results)
    # Runs whose script_finished Streamlit dropped (a timer's fragment rerun started a new runner first):
    # timed to their last element; a browser's page is drawn, though it may show "running" until the next run.
    out["finishes_lost"] = sum(res["finishes_lost"] for res in results)
    out["fragment_p95_s"] = _r(percentile(fragments, 0.95))
    return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def measure(base: str, pids: list[int], sessions: int, args: argparse.Namespace) -> dict:
    """N viewers against a running server; its CPU and memory from /proc when its process ids are known."""
    asyncio.run(warm_up(base))
    idle_mb = sum(rss_mb(pid) for pid in pids) if pids else None
    client_before = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    until = t + args.ramp + args.duration  # when the viewers stop acting (crowd's own deadline)
    if pids:
        with Monitor(pids) as monitor:
            results = asyncio.run(crowd(base, sessions, duration=args.duration, think=args.think, ramp=args.ramp,
                                        seed=args.seed))  # fmt: skip
    else:
        results = asyncio.run(crowd(base, sessions, duration=args.duration, think=args.think, ramp=args.ramp,
                                    seed=args.seed))  # fmt: skip
    wall = time.perf_counter() - t
    client_after = resource.getrusage(resource.RUSAGE_SELF)
    figures = summarise(results, sessions, wall)
    client_cpu = (client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
    figures["client_cores"] = round(client_cpu / wall, 2)
    if pids:
        figures["server_cores"] = round(monitor.cores(until), 2)
        figures["server_idle_mb"] = round(idle_mb or 0)
        figures["server_peak_mb"] = round(monitor.peak_mb())
        figures["mb_per_session"] = round((monitor.peak_mb() - (idle_mb or 0)) / sessions, 1)
    return figures


def line(f: dict) -> str:
    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v * 1000:.0f}"

    text = (
        f"{f['sessions']:>4} viewers: filter p50 {ms(f['filter']['p50_s'])} / p95 {ms(f['filter']['p95_s'])} ms "
        f"({f['filter']['count']}), page p95 {ms(f['page']['p95_s'])} ms, open p95 {ms(f['open']['p95_s'])} ms, "
        f"errors {f['errors']}, {f['runs_per_s']} runs/s"
    )
    if "server_cores" in f:
        text += f"; server {f['server_cores']:.2f} cores, {f['server_peak_mb']} MB ({f['mb_per_session']} MB/viewer)"
    return text + f"; client {f['client_cores']:.2f} cores"


def saturation(levels: list[dict], p95_target: float) -> dict | None:
    """The first number of viewers whose filter-change p95 passes the target, or that has errors."""
    for f in levels:
        p95 = f["filter"]["p95_s"]
        if f["errors"] or (p95 is not None and p95 > p95_target):
            return {"sessions": f["sessions"], "filter_p95_s": p95, "errors": f["errors"],
                    "server_cores": f.get("server_cores")}  # fmt: skip
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--duration", type=float, default=60, help="seconds each level runs after the ramp")
    parser.add_argument("--think", type=float, default=5, help="a viewer's mean pause between actions, seconds")
    parser.add_argument("--ramp", type=float, default=10, help="viewers start spread over this many seconds")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--target-p95", type=float, default=2.0)
    parser.add_argument("--url", help="measure this running server (or cluster) instead of starting one")
    parser.add_argument(
        "--pid", type=int, nargs="+", default=[], help="with --url: the server's process ids (a cluster's replicas)"
    )
    parser.add_argument("--stores", type=Path, help="keep the built stores in this folder and reuse them")
    parser.add_argument("--no-record", action="store_true", help="do not write docs/benchmarks.json")
    args = parser.parse_args()

    results: dict[str, list[dict]] = {}
    load = [os.getloadavg()[0]]
    if args.url:
        results["given"] = []
        for n in args.sessions:
            figures = measure(args.url, args.pid, n, args)  # the replicas' pids: run-cluster.sh --run-dir DIR/rN.pid
            print(line(figures), flush=True)
            results["given"].append(figures)
    else:
        from bench.bench_app import build_store

        with tempfile.TemporaryDirectory() as tmp:
            for rows in args.rows:
                folder = (args.stores or Path(tmp)) / str(rows)
                if not (folder / "store").exists():
                    folder.mkdir(parents=True, exist_ok=True)
                    t = time.perf_counter()
                    build_store(rows, folder)
                    print(f"built a store of {rows:,} responses in {time.perf_counter() - t:.0f} s", flush=True)
                results[str(rows)] = []
                for n in args.sessions:
                    proc, base = start_server(folder / "store", folder / f"server-{n}.log")
                    try:
                        figures = measure(base, [proc.pid], n, args)
                    finally:
                        stop_server(proc)
                    print(f"{rows:>10,} rows, " + line(figures), flush=True)
                    results[str(rows)].append(figures)
    load.append(os.getloadavg()[0])
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(results, indent=2))
    for rows, levels in results.items():
        found = saturation(levels, args.target_p95)
        print(f"{rows}: " + (f"saturates at {found['sessions']} viewers ({found})" if found else "did not saturate"))
    if not args.url and not args.no_record:
        record("load", summary_entry(args, results, load))


def summary_entry(args: argparse.Namespace, results: dict[str, list[dict]], load: list[float]) -> dict:
    """What docs/benchmarks.md quotes from this run, and the targets (issue 24) it is held to."""
    stores = {
        rows: {
            "levels": {str(f["sessions"]): {k: v for k, v in f.items() if k != "error_examples"} for f in levels},
            "saturates_at": saturation(levels, args.target_p95),
        }
        for rows, levels in results.items()
    }
    targets = []
    if "1000000" in stores and "50" in stores["1000000"]["levels"]:
        targets += [
            target("50 viewers at 1M rows: filter change p95", "stores.1000000.levels.50.filter.p95_s", 2.0, "s"),
            target("50 viewers at 1M rows: memory per viewer", "stores.1000000.levels.50.mb_per_session", 20, "MB"),
        ]
    return {
        "conditions": (
            f"{args.duration:.0f} s per level after a {args.ramp:.0f} s ramp, a viewer acting every "
            f"{args.think:.0f} s on average; server and viewers on the same machine; load average "
            f"{min(load):.1f}-{max(load):.1f}"
        ),
        "duration_s": args.duration,
        "think_s": args.think,
        "stores": stores,
        "targets": targets,
    }


if __name__ == "__main__":
    main()
