"""The access log: who opened a page of a restricted dataset, when, and with which filters.

One JSON line per page opened, in ``access_log.jsonl`` in the store's data directory,
written with a single append so two sessions writing at once never interleave a line.
Read back by ``python -m insight audit``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

LOG_NAME = "access_log.jsonl"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record_view(data_dir: Path, *, user: str, page: str, dataset: str, filters: dict[str, object]) -> None:
    """Append one view: user, time (UTC), page, dataset and the filters it opened with."""
    entry = {"time": utc_now(), "user": user, "page": page, "dataset": dataset, "filters": filters}
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_views(data_dir: Path) -> list[dict]:
    """Every view recorded, oldest first (a line cut short by a crash is skipped)."""
    path = data_dir / LOG_NAME
    if not path.exists():
        return []
    views = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            views.append(entry)
    return views
