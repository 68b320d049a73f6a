"""Loaded by every Python process of a test cluster (tests/test_cluster.py puts this folder on PYTHONPATH).

With ``INSIGHT_TEST_COMMIT_BARRIER`` set and its ``.armed`` file present, the first commit of an
import in each process waits, after
planning its rows on the version it read, until another process has planned too: two imports through
two replicas then overlap for certain, and one of them must meet the other's commit and plan again.
Each commit attempt is recorded beside the barrier (``NAME.commits.PID``). Without the variable, nothing
changes. Test scaffolding only: the app never sets it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

BARRIER = os.environ.get("INSIGHT_TEST_COMMIT_BARRIER")


def _install(barrier: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for insight/
    from insight.store import delta

    original = delta.commit_rows
    waited: list[bool] = []

    def commit_rows(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not Path(f"{barrier}.armed").exists():
            return original(*args, **kwargs)
        with open(f"{barrier}.commits.{os.getpid()}", "a") as log:
            log.write("attempt\n")
        if not waited:
            waited.append(True)
            Path(f"{barrier}.planned.{os.getpid()}").touch()
            deadline = time.monotonic() + 60
            while len(list(barrier.parent.glob(barrier.name + ".planned.*"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        return original(*args, **kwargs)

    delta.commit_rows = commit_rows


if BARRIER and "app_pages.serving" in sys.orig_argv:  # the replicas only, not the script's other Pythons
    _install(Path(BARRIER))
