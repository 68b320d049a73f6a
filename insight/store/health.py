"""Checking a table's files, and returning a damaged table to its last whole version.

``check_table`` reads every data file the current version of a table needs (all of it, through
the table's own storage: a local folder or an object store) and names each one that is missing
or cannot be read. ``repair`` finds the newest version whose files are all there and readable,
and restores the table to it as a new version: recorded in the history (action ``repair``, who,
which files were damaged, which imports it took back), so it is audited like an undo and the
exports of those imports can be imported again. Nothing is deleted: the damaged version stays
in the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import CommitFailedError

from insight.store.commit import META_KEY
from insight.store.delta import READ_ERRORS, Store, _query
from insight.store.records import StoreError


@dataclass(frozen=True)
class TableHealth:
    """What ``check_table`` found. ``damaged``: each damaged file (its path in the table) and what is wrong."""

    dataset: str
    volumes: bool
    version: int | None  # None: no table (nothing imported)
    files: int = 0
    damaged: dict[str, str] = field(default_factory=dict)  # "missing" or "unreadable"
    log_fault: str | None = None  # the table's log itself cannot be read: one sentence

    @property
    def whole(self) -> bool:
        return not self.damaged and self.log_fault is None

    @property
    def name(self) -> str:
        return f"{self.dataset}{' contact volumes' if self.volumes else ''}"

    def describe(self) -> list[str]:
        """One line for a whole table; for a damaged one, a line per damaged file after it."""
        if self.log_fault:
            return [f"{self.name}: DAMAGED: {self.log_fault}"]
        if self.version is None:
            return [f"{self.name}: nothing imported"]
        if self.whole:
            return [f"{self.name}: version {self.version}, {self.files} file(s), all there and readable"]
        lines = [f"{self.name}: DAMAGED: {len(self.damaged)} of the {self.files} file(s) version {self.version} "
                 "needs cannot be read:"]  # fmt: skip
        lines += [f"  {path}: {what}" for path, what in sorted(self.damaged.items())]
        return lines

    def to_json(self) -> dict:
        return {
            "dataset": self.dataset,
            "volumes": self.volumes,
            "version": self.version,
            "files": self.files,
            "whole": self.whole,
            "damaged": [{"file": p, "problem": w} for p, w in sorted(self.damaged.items())],
            "log_fault": self.log_fault,
        }


class _Files:
    """Each data file's state, read once however many versions need it.

    Missing files are found by delta-rs's own audit of the table (a dry run of its FSCK, through the
    table's storage, local or cloud). In a local store each other file is then read whole with pyarrow,
    so a damaged one is named; in a cloud store the version is read whole through the query engine,
    and a failure is put down to its files as a whole.
    """

    def __init__(self, table: DeltaTable, local: bool) -> None:
        self.table = table
        self.local = local
        self.seen: dict[str, str | None] = {}

    def damaged(self, version: int | None) -> tuple[int, dict[str, str]]:
        """The number of files a version needs, and those of them that are damaged (path in the table -> what)."""
        table = self.table if version is None else DeltaTable(self.table.table_uri, version=version)
        paths = table.get_add_actions(flatten=True).column("path").to_pylist()
        missing = set(table.repair(dry_run=True).get("files_removed") or [])
        bad = {path: "missing" for path in missing}
        self.seen.update(bad)
        if self.local:
            for path in paths:
                if path not in self.seen:
                    self.seen[path] = _unreadable(Path(table.table_uri.removeprefix("file://")) / path)
                if self.seen[path] is not None:
                    bad[path] = str(self.seen[path])
        elif not missing and paths:
            try:
                _query(table)
            except Exception:  # delta-rs's query engine raises plain Exception
                bad["(its data files)"] = "unreadable (damaged)"
        return len(paths), bad


def _unreadable(path: Path) -> str | None:
    """None when the whole Parquet file reads; else what is wrong."""
    import pyarrow.parquet as pq

    try:
        pq.read_table(path)
    except FileNotFoundError:
        return "missing"
    except Exception:  # pyarrow raises many kinds for a damaged file
        return "unreadable (damaged)"
    return None


def check_table(store: Store, dataset: str, *, volumes: bool = False) -> TableHealth:
    """Every file the current version of the table needs: there, and readable whole."""
    try:
        table = store._open(dataset, volumes=volumes)
    except StoreError as exc:
        return TableHealth(dataset, volumes, None, log_fault=_log_fault(exc))
    if table is None:
        return TableHealth(dataset, volumes, None)
    try:
        files, bad = _Files(table, store.is_local).damaged(None)
    except READ_ERRORS as exc:
        return TableHealth(dataset, volumes, table.version(), log_fault=_log_fault(exc))
    return TableHealth(dataset, volumes, table.version(), files, bad)


def _log_fault(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, StoreError) and "permission denied" in text:
        return text
    return (
        "its log (the list of versions and their files) cannot be read: restore the table's _delta_log folder "
        "from a backup, or move the table aside and import the exports again"
    )


def check_store(store: Store, datasets: list[str]) -> list[TableHealth]:
    """``check_table`` for each dataset's responses and contact volumes that exist."""
    found = []
    for dataset in datasets:
        for volumes in (False, True):
            health = check_table(store, dataset, volumes=volumes)
            if health.version is not None or health.log_fault or not volumes:
                found.append(health)
    return found


@dataclass(frozen=True)
class RepairRecord:
    dataset: str
    volumes: bool
    version: int  # the new version the repair wrote
    restored_to: int  # the table is now as it was right after this version
    undoes: list[int]  # the imports taken back
    files: list[str | None]  # their files, to import again
    damaged: list[str]  # the damaged files the current version needed


def repair(store: Store, dataset: str, *, volumes: bool = False, user: str) -> RepairRecord:
    """Restore a damaged table to its newest version whose files are all there and readable.

    The restore is a new version whose history entry says who repaired it, which files were damaged and
    which imports were taken back (their files listed, to import again). Raises StoreError when the
    table is whole, has no whole version, or its log cannot be read.
    """
    what = "contact volumes" if volumes else "data"
    store._check_folder(writing=True)
    health = check_table(store, dataset, volumes=volumes)
    if health.log_fault:
        raise StoreError(f"The {dataset} {what} cannot be repaired here: {health.log_fault}.")
    if health.version is None:
        raise StoreError(f"Nothing to repair: no {dataset} {what} has been imported into {store._where()}.")
    if health.whole:
        raise StoreError(f"Nothing to repair: every file the {dataset} {what} needs is there and readable.")
    table, log = store._log(dataset, volumes=volumes)
    assert table is not None
    files = _Files(table, store.is_local)
    files.seen.update({path: problem for path, problem in health.damaged.items()})
    current = log[-1]["version"]
    target = next((v for v in range(current - 1, -1, -1) if not files.damaged(v)[1]), None)
    if target is None:
        raise StoreError(
            f"The {dataset} {what} has no whole version: move the table aside and import the exports again."
        )
    live = store._live_imports(log)
    undoes = [v for v in live.get(current, []) if v not in live.get(target, [])]
    names = {e["version"]: store._meta(e).get("file") for e in log}
    damaged = sorted(health.damaged)
    meta: dict[str, object] = {
        "action": "repair",
        "file": ", ".join(str(names[v]) for v in undoes if names.get(v)) or None,
        "undoes": undoes,
        "restored_to": target,
        "damaged": damaged,
        "removed": None,  # the damaged version cannot be read to count them
        "restored": None,
        "periods": [],
        "touched": None,
        "user": user,
    }
    uri = store.table_uri(dataset, volumes=volumes)
    try:
        DeltaTable(uri, version=current).restore(
            target,
            commit_properties=CommitProperties(custom_metadata={META_KEY: json.dumps(meta)}, max_commit_retries=0),
        )
    except CommitFailedError:
        raise StoreError(
            f"The {dataset} {what} changed while it was being repaired: nothing was done; check it again."
        ) from None
    except READ_ERRORS as exc:
        raise store._fault(exc, dataset, writing=True) from exc
    version = DeltaTable(uri).version()
    store._tidy(DeltaTable(uri), uri)
    return RepairRecord(dataset, volumes, version, target, undoes, [names.get(v) for v in undoes], damaged)
