"""What the store reports: an import's counts, an undo's, and the one error it raises."""

from __future__ import annotations

from dataclasses import dataclass


class StoreError(RuntimeError):
    """The store cannot be read or written as asked: one sentence saying what to do."""


@dataclass(frozen=True)
class UpsertCounts:
    new: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class UploadRecord:
    """What one import did; ``version`` is None when it changed nothing (no new version)."""

    dataset: str
    file_name: str
    sha256: str
    rows_read: int
    new: int
    updated: int
    unchanged: int
    rejected: int
    rejected_file: str | None
    periods: str
    version: int | None


@dataclass(frozen=True)
class UndoRecord:
    dataset: str
    version: int  # the new version the undo wrote
    restored_to: int  # the table is now as it was right after this version
    undoes: list[int]  # the imports taken back
    removed: int  # rows no longer held
    restored: int  # rows back as they were (re-added or earlier values)
