"""The audit trail: imports, undos and views of restricted datasets, newest first.

``changes`` is the one place that reads imports and undos from the store; views come
from the access log (``insight.access_log``). Every row has the same five fields, with
times in ISO 8601 UTC (``2019-09-30T14:05:00Z``).
"""

from __future__ import annotations

import datetime as dt

from insight.access_log import read_views
from insight.store import Store

UNRECORDED = "(not recorded)"  # imports made before the store recorded who made them


def utc_time(text: str) -> str:
    """Any ISO 8601 time as UTC with a Z (a time without a zone is taken as UTC)."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return str(text)  # shown as written rather than dropped from the trail
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def changes(store: Store) -> list[dict]:
    """Imports and undos as audit rows, from the store's upload log."""
    rows = []
    for r in store.upload_log().iter_rows(named=True):
        volumes = str(r.get("periods") or "").startswith("volumes: ")
        if volumes:
            detail = f"{r['file_name']} (contact volumes; sha256 {str(r['sha256'])[:12]}): {r['periods'][9:]}"
        else:
            detail = (
                f"{r['file_name']} (sha256 {str(r['sha256'])[:12]}): {r['new']} new, {r['updated']} updated, "
                f"{r['unchanged']} already held, {r['rejected']} rejected; periods {r['periods'] or '-'}"
            )
        rows.append(
            {
                "time": utc_time(r["uploaded_at"]),
                "user": r.get("user") or UNRECORDED,
                "action": r.get("action") or "import",
                "dataset": r["dataset"],
                "detail": detail,
            }
        )
    return rows


def views(store: Store) -> list[dict]:
    rows = []
    for v in read_views(store.data_dir):
        filters = v.get("filters") or {}
        shown = "; ".join(f"{k}={','.join(x) if isinstance(x, list) else x}" for k, x in filters.items() if x)
        rows.append(
            {
                "time": utc_time(v["time"]),
                "user": v.get("user") or UNRECORDED,
                "action": "view",
                "dataset": v.get("dataset", ""),
                "detail": f"page {v.get('page') or 'overview'}" + (f"; {shown}" if shown else ""),
            }
        )
    return rows


def audit_rows(store: Store, since: dt.date | None = None) -> list[dict]:
    """Imports, undos and restricted views, newest first; from ``since`` (a UTC date) if given."""
    # Each log is oldest first: reversed, a stable sort keeps the later of two same-second rows first.
    rows = changes(store)[::-1] + views(store)[::-1]
    if since is not None:
        start = since.isoformat()
        rows = [r for r in rows if r["time"] >= start]
    return sorted(rows, key=lambda r: r["time"], reverse=True)
