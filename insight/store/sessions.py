"""The session log: every sign-out and every refused sign-in, read by every copy of the app.

Streamlit's sign-in cookie lasts 30 days and *Sign out* only deletes it from the browser it
was pressed in: a copy of the cookie would still sign its holder in. So a sign-out is recorded
here, in the store's data directory, and the app refuses any sign-in issued (the ID token's
``iat``) before that person's latest sign-out (``ended_by_sign_out``). Every replica of the app
reads the same log, so a sign-out counts everywhere at once.

In a local folder the log is ``sessions.jsonl``, one JSON line per event, each written with a
single append (two sessions writing at once never interleave a line). In a cloud store
(``az://…``, ``s3://…``) it is a Delta table, ``sessions``, beside the datasets' tables. Each
entry: ``time`` (UTC), ``user`` (the identity as the app shows it), ``event`` (``sign-out`` or
``refused``), ``issued`` (the signed-out sign-in's ``iat``, in seconds since 1970) and ``reason``.
The audit trail (``python -m insight audit``) lists both kinds.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_NAME = "sessions.jsonl"
TABLE_NAME = "sessions"
FIELDS = ("time", "user", "event", "issued", "reason")
SIGN_OUT = "sign-out"
REFUSED = "refused"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record_sign_out(where: Path | str, *, user: str, issued: float | None) -> None:
    """``user`` signed out of the sign-in issued at ``issued`` (its ``iat``): it, and every earlier one, is over."""
    _append(where, {"time": utc_now(), "user": user, "event": SIGN_OUT, "issued": _issued(issued), "reason": ""})


def record_refusal(where: Path | str, *, user: str, reason: str) -> None:
    """A sign-in given no access whatever the grants say (a look-alike claim, a signed-out cookie...), and why."""
    _append(where, {"time": utc_now(), "user": user, "event": REFUSED, "issued": "", "reason": reason})


def read_events(where: Path | str) -> list[dict[str, Any]]:
    """Every event recorded, oldest first (a line cut short by a crash is skipped)."""
    if isinstance(where, Path):
        return _parse_lines((where / LOG_NAME).read_bytes() if (where / LOG_NAME).exists() else b"")[0]
    return _read_rows(f"{where}/{TABLE_NAME}")


@dataclass(frozen=True)
class SignOut:
    at: float  # when the latest sign-out was, seconds since 1970 (UTC)
    issued: float  # the latest ``iat`` signed out of; -inf if none was known


def ended_by_sign_out(where: Path | str, user: str, issued: float) -> bool:
    """Was a sign-in of ``user`` issued at ``issued`` (its ``iat``) ended by a sign-out?

    It was if it was issued before their latest sign-out, or is one they signed out of. ``iat`` is in whole
    seconds, so the sign-out's time is too: a sign-in in the very second of a sign-out counts as after it,
    unless it is the one signed out of. (The identity provider's clock and this server's must agree: keep both
    on NTP.)
    """
    latest = _index(where).get(user)
    if latest is None:
        return False
    return issued < math.floor(latest.at) or issued <= latest.issued


# --------------------------------------------------------------------------- writing


def _issued(issued: float | None) -> str:
    if issued is None or isinstance(issued, bool) or not isinstance(issued, (int, float)) or not math.isfinite(issued):
        return ""
    return repr(issued) if isinstance(issued, float) else str(issued)


def _append(where: Path | str, entry: dict[str, str]) -> None:
    if isinstance(where, Path):
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        where.mkdir(parents=True, exist_ok=True)
        fd = os.open(where / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    else:
        _append_row(f"{where}/{TABLE_NAME}", entry)
    _note(where, entry)  # this replica knows at once, before it next reads the log


def _append_row(uri: str, entry: dict[str, str]) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake
    from deltalake.exceptions import CommitFailedError

    table = pa.table({k: [entry[k]] for k in FIELDS}, schema=pa.schema([(k, pa.string()) for k in FIELDS]))
    for attempt in range(10):  # two replicas appending at once: the later commit retries
        try:
            write_deltalake(uri, table, mode="append")
            return
        except CommitFailedError:
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    write_deltalake(uri, table, mode="append")


# --------------------------------------------------------------------------- reading, once per change
#
# The app asks on every run of every session, so each replica keeps the latest sign-out per person and reads
# only what was added since: a local log from the byte it had read to, a cloud table when its version moved.


@dataclass
class _Held:
    index: dict[str, SignOut]
    read_to: int = 0  # local: bytes read; cloud: the table version read
    table: Any = None  # cloud: the DeltaTable, updated incrementally
    file: tuple[int, int] = (0, 0)  # local: the file's device and inode (a replaced file is read afresh)


_HELD: dict[str, _Held] = {}
_LOCK = threading.Lock()


def _index(where: Path | str) -> dict[str, SignOut]:
    with _LOCK:
        if isinstance(where, Path):
            return _local_index(where)
        return _cloud_index(f"{where}/{TABLE_NAME}")


def _local_index(folder: Path) -> dict[str, SignOut]:
    path = folder / LOG_NAME
    key = str(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        _HELD.pop(key, None)
        return {}
    size, file = stat.st_size, (stat.st_dev, stat.st_ino)
    held = _HELD.get(key)
    if held is None or held.file != file or size < held.read_to:  # new, replaced or cut short: read it all
        held = _HELD[key] = _Held({}, file=file)
    if size > held.read_to:
        with path.open("rb") as f:
            f.seek(held.read_to)
            events, used = _parse_lines(f.read(size - held.read_to))
        held.read_to += used
        for event in events:
            _add(held.index, event)
    return held.index


def _cloud_index(uri: str) -> dict[str, SignOut]:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    held = _HELD.get(uri)
    try:
        if held is None or held.table is None:
            held = _HELD[uri] = _Held({}, -1, DeltaTable(uri))
        else:
            held.table.update_incremental()
    except TableNotFoundError:
        _HELD.pop(uri, None)
        return {}
    version = held.table.version()
    if version != held.read_to:
        held.index = {}
        for event in _rows(held.table):
            _add(held.index, event)
        held.read_to = version
    return held.index


def _note(where: Path | str, entry: dict[str, str]) -> None:
    """Add an event this replica has just written to what it holds (the log is read again on its next change)."""
    key = str(where / LOG_NAME) if isinstance(where, Path) else f"{where}/{TABLE_NAME}"
    with _LOCK:
        held = _HELD.get(key)
        if held is not None:
            _add(held.index, entry)


def _add(index: dict[str, SignOut], event: dict[str, Any]) -> None:
    if event.get("event") != SIGN_OUT or not isinstance(event.get("user"), str):
        return
    try:
        at = dt.datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).timestamp()
    except (KeyError, ValueError):
        return
    try:
        issued = float(event.get("issued") or "-inf")
    except ValueError:
        issued = -math.inf
    before = index.get(event["user"])
    if before is not None:
        at, issued = max(at, before.at), max(issued, before.issued)
    index[event["user"]] = SignOut(at, issued)


def _parse_lines(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """The whole lines in ``data`` as events, and how many bytes they took (a last line not yet ended waits)."""
    end = data.rfind(b"\n") + 1
    events = []
    for line in data[:end].splitlines():
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(entry, dict):
            events.append(entry)
    return events, end


def _rows(table: Any) -> list[dict[str, Any]]:
    rows = table.to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda r: r.get("time") or "")


def _read_rows(uri: str) -> list[dict[str, Any]]:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        return _rows(DeltaTable(uri))
    except TableNotFoundError:
        return []
