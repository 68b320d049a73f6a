"""Many sessions at once in one server: what each page builds must not deadlock when built in parallel.

Streamlit runs each session's script in its own thread. A Python function that Polars calls from its
thread pool (``map_elements``) needs the GIL there; while another session's thread holds the GIL and
waits on that pool (Streamlit's ``to_pandas`` of a table does), neither can go on and the whole server
stops: a load run with 50 viewers froze at 0.15 cores with every session waiting (issue 24). The
tables and charts now look values up (``tables.in_words``), and nothing under insight/ or app_pages/
calls Python from Polars.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

from tests.conftest import REPO

# What a Satisfaction and a Trends page build for one viewer, in 8 threads at once, each table handed to
# pandas as st.dataframe does. A deadlock never returns, so it runs in its own process with a time limit.
WORKLOAD = textwrap.dedent(
    """
    import threading
    import polars as pl
    from insight.config.loader import load_config
    from insight.datasets import load_sample
    from insight.display import charts, tables
    from insight.figures.metrics import satisfaction

    victim = load_config().definitions["victim"]
    frame = load_sample(victim)
    result = satisfaction(frame, victim, by="channel")
    over_time = satisfaction(frame, victim, all_periods=True)
    failures = []

    def viewer():
        try:
            for _ in range(15):
                tables.satisfaction_table(result, victim, by_label="Channel").to_pandas()
                tables.satisfaction_table(over_time, victim, over_time=True).to_pandas()
                charts._prepare(result, victim, "group").to_pandas()
                charts.trend_lines.__wrapped__(over_time, victim, title="t")
        except Exception as exc:
            failures.append(repr(exc))

    threads = [threading.Thread(target=viewer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    print("done")
    """
)


def test_pages_built_in_parallel_threads_finish():
    assert _run_with_limit(WORKLOAD, seconds=120) == "done"


def _run_with_limit(code: str, *, seconds: float) -> str:
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"8 viewers' tables and charts built at once did not finish in {seconds:.0f} s") from exc
    assert proc.returncode == 0, err[-3000:]
    return out.strip()


def test_nothing_calls_python_from_polars_thread_pool():
    """``map_elements`` and ``map_batches`` run Python on Polars' threads: the deadlock above."""
    found = []
    for path in [REPO / "app.py", *(REPO / "app_pages").rglob("*.py"), *(REPO / "insight").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("map_elements", "map_batches", "map_groups"):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.attr}")
    assert not found, found
