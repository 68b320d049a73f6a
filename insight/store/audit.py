"""The audit trail: imports, undos, views of restricted datasets, sign-outs and refused sign-ins, newest first.

Imports and undos come from each dataset's history in the store (``Store.history``, the
Delta tables' own commit log); views from the access log (``insight.store.access_log``);
sign-outs and refused sign-ins from the session log (``insight.store.sessions``). Every
row has the same five fields, with times in ISO 8601 UTC (``2019-09-30T14:05:00Z``). A
user is shown as the app recorded it: the identity claim escaped to printable ASCII, so a
look-alike (``\\u212aate@force.example``) is visibly not the person it imitates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from insight.config.access import escaped
from insight.store import Store
from insight.store.access_log import read_views
from insight.store.sessions import REFUSED, read_events

UNRECORDED = "(not recorded)"


def shown_user(user: object) -> str:
    """A user as recorded; one written before identities were recorded escaped (or by other means) is escaped here."""
    text = str(user or "")
    if not text:
        return UNRECORDED
    return text if all(" " <= ch <= "~" for ch in text) else escaped(text)


def utc_time(text: str) -> str:
    """Any ISO 8601 time as UTC with a Z (a time without a zone is taken as UTC)."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return str(text)  # shown as written rather than dropped from the trail
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def changes(store: Store, datasets: Iterable[str]) -> list[dict]:
    """Imports and undos as audit rows, oldest first, from each dataset's history in the store."""
    rows = []
    for dataset in datasets:
        for volumes in (False, True):
            for h in reversed(store.history(dataset, volumes=volumes)):  # oldest first
                rows.append(
                    {
                        "time": utc_time(h["time"]),
                        "user": shown_user(h["user"]),
                        "action": h["action"],
                        "dataset": dataset,
                        "detail": _change_detail(h, volumes),
                    }
                )
    return sorted(rows, key=lambda r: r["time"])


def _change_detail(h: dict, volumes: bool) -> str:
    table = "contact volumes, " if volumes else ""
    if h["action"] in ("undo", "repair"):
        taken = ", ".join(map(str, h.get("undoes") or [])) or "none"
        detail = (
            f"{table}version {h['version']}: back to version {h.get('restored_to')} (imports taken back: {taken}"
            + (f"; {h['file']}" if h.get("file") else "")
            + ")"
        )
        if h["action"] == "repair":
            return detail + f"; damaged files: {', '.join(h.get('damaged') or []) or 'not recorded'}"
        return detail + f"; {h.get('removed')} removed, {h.get('restored')} restored"
    return (
        f"{table}version {h['version']}: {h['file']} (sha256 {(h['sha256'] or '')[:12]}): {h['new']} new, "
        f"{h['updated']} updated, {h['unchanged']} already held; periods {', '.join(h['periods'] or []) or '-'}"
    )


def views(store: Store) -> list[dict]:
    rows = []
    for v in read_views(store.data_dir):
        filters = v.get("filters") or {}
        shown = "; ".join(f"{k}={','.join(x) if isinstance(x, list) else x}" for k, x in filters.items() if x)
        rows.append(
            {
                "time": utc_time(v["time"]),
                "user": shown_user(v.get("user")),
                "action": "view",
                "dataset": v.get("dataset", ""),
                "detail": f"page {v.get('page') or 'overview'}" + (f"; {shown}" if shown else ""),
            }
        )
    return rows


def sessions(store: Store) -> list[dict]:
    """Sign-outs and refused sign-ins as audit rows, oldest first."""
    rows = []
    for e in read_events(store.data_dir):
        if e.get("event") == REFUSED:
            detail = f"sign-in refused: {e.get('reason') or 'no reason recorded'}"
        else:
            issued = e.get("issued")
            when = _epoch_time(issued) if issued else None
            detail = "signed out" + (f"; ends every sign-in given up to {when}" if when else "")
        rows.append(
            {
                "time": utc_time(e.get("time") or ""),
                "user": shown_user(e.get("user")),
                "action": str(e.get("event") or ""),
                "dataset": "",
                "detail": detail,
            }
        )
    return rows


def _epoch_time(seconds: object) -> str | None:
    try:
        when = dt.datetime.fromtimestamp(float(str(seconds)), dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def audit_rows(store: Store, datasets: Iterable[str], since: dt.date | None = None) -> list[dict]:
    """Imports, undos, restricted views, sign-outs and refusals, newest first; from ``since`` (a UTC date) if given."""
    # Each list is oldest first: reversed, a stable sort keeps the later of two same-second rows first.
    rows = changes(store, datasets)[::-1] + views(store)[::-1] + sessions(store)[::-1]
    if since is not None:
        start = since.isoformat()
        rows = [r for r in rows if r["time"] >= start]
    return sorted(rows, key=lambda r: r["time"], reverse=True)
