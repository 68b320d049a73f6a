"""The access log: who opened a page of a restricted dataset, when, and with which filters.

It lives in the store's data directory. In a local folder it is ``access_log.jsonl``, one
JSON line per page opened, each written with a single append so two sessions writing at
once never interleave a line. In a cloud store (``az://…``, ``s3://…``) it is a Delta table,
``access_log``, beside the datasets' tables, appended to through the same credentials.
Read back by ``python -m insight audit``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from pathlib import Path

LOG_NAME = "access_log.jsonl"
TABLE_NAME = "access_log"
FIELDS = ("time", "user", "page", "dataset", "filters")


def utc_now() -> str:
    # Microseconds keep two views in the same second in order; the audit shows whole seconds.
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record_view(where: Path | str, *, user: str, page: str, dataset: str, filters: dict[str, object]) -> None:
    """Append one view: user, time (UTC), page, dataset and the filters it opened with."""
    entry = {"time": utc_now(), "user": user, "page": page, "dataset": dataset, "filters": filters}
    if isinstance(where, Path):
        _append_line(where, entry)
    else:
        _append_row(f"{where}/{TABLE_NAME}", entry)


def read_views(where: Path | str) -> list[dict]:
    """Every view recorded, oldest first (a line cut short by a crash is skipped)."""
    if isinstance(where, Path):
        return _read_lines(where)
    return _read_rows(f"{where}/{TABLE_NAME}")


def _append_line(folder: Path, entry: dict) -> None:
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_lines(folder: Path) -> list[dict]:
    path = folder / LOG_NAME
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


def _append_row(uri: str, entry: dict) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake
    from deltalake.exceptions import CommitFailedError

    row = {**entry, "filters": json.dumps(entry["filters"], ensure_ascii=False)}
    table = pa.table({k: [row[k]] for k in FIELDS}, schema=pa.schema([(k, pa.string()) for k in FIELDS]))
    for attempt in range(10):  # two sessions appending at once: the later commit retries
        try:
            write_deltalake(uri, table, mode="append")
            return
        except CommitFailedError:
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    write_deltalake(uri, table, mode="append")


def _read_rows(uri: str) -> list[dict]:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        rows = DeltaTable(uri).to_pyarrow_table().to_pylist()
    except TableNotFoundError:
        return []
    out = []
    for r in rows:
        try:
            filters = json.loads(r.get("filters") or "{}")
        except json.JSONDecodeError:
            filters = {}
        out.append({**r, "filters": filters})
    return sorted(out, key=lambda r: r["time"] or "")
