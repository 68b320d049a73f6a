"""What the store reports: an import's counts, an undo's, and the one error it raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class StoreError(RuntimeError):
    """The store cannot be read or written as asked: one sentence saying what to do."""


@dataclass(frozen=True)
class Move:
    """Held responses an import would move from one period to another (their ID is in the file, dated elsewhere)."""

    from_period: str
    to_period: str
    responses: int


@dataclass(frozen=True)
class UpsertCounts:
    new: int
    updated: int  # the moved responses among them
    unchanged: int
    moved: tuple[Move, ...] = ()

    @property
    def moved_total(self) -> int:
        return sum(m.responses for m in self.moved)

    def moves_text(self, label: Callable[[str], str] = str) -> str:
        return moves_text(self.moved, label)


def moves_text(moved: tuple[Move, ...], label: Callable[[str], str] = str) -> str:
    """``948 from 2004-09 to 2006-09, 3 from 2004-09 to 2008-09`` (``label`` writes each period)."""
    return ", ".join(f"{m.responses:,} from {label(m.from_period)} to {label(m.to_period)}" for m in moved)


class MoveRefused(StoreError):
    """An import would move held responses to another period and moving was not allowed; nothing was written."""

    def __init__(self, counts: UpsertCounts, definition_hint: str) -> None:
        self.counts = counts
        super().__init__(move_refusal(counts, definition_hint, "import the file again with --allow-move"))


def move_refusal(
    counts: UpsertCounts, example: str, allow: str, label: Callable[[str], str] = str, *, refused: bool = True
) -> str:
    """Why a file that would move held responses is refused (or, in a preview, would be), in one sentence:
    the moves, the likely cause and the fix.

    ``example`` is a composite `id_column` for this survey (``[essround, idno]``); ``allow`` says how to
    accept the move when it is right (the CLI's --allow-move, the Upload page's box)."""
    n = counts.moved_total
    outcome = ", so nothing was imported" if refused else ""
    return (
        f"{n:,} response(s) already held would move to another period ({counts.moves_text(label)}){outcome}: "
        "their IDs are probably reused across waves (a respondent number that starts again each round), so make "
        f"the ID unique per wave with a composite id_column such as `id_column: {example}` in the survey "
        f"definition, or, if these really are the same responses now in another period, {allow}."
    )


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
    moved: tuple[Move, ...] = ()  # held responses this import moved to another period (allowed: --allow-move)


@dataclass(frozen=True)
class UndoRecord:
    dataset: str
    version: int  # the new version the undo wrote
    restored_to: int  # the table is now as it was right after this version
    undoes: list[int]  # the imports taken back
    removed: int  # rows no longer held
    restored: int  # rows back as they were (re-added or earlier values)
