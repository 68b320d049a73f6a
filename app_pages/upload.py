"""Upload: drop exports, see what would change before anything is written, then import."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.uploaded_file_manager import UploadedFile

from app_pages import identity, loading, output
from insight.config.definition import Definition
from insight.datasets import samples_enabled
from insight.display.tables import HISTORY_ON_SCREEN, problems_table, uk_time, upload_history, volumes_table
from insight.figures.metrics import periods
from insight.intake.masking import safe_file_name
from insight.intake.plain_text import literal
from insight.intake.raw_table import ExportError, RawTable
from insight.intake.reading import MAX_UPLOAD_MB, read_export
from insight.intake.safe_csv import to_csv
from insight.intake.tidy import (
    MAX_TEXT_CHARS,
    GivenValueError,
    IngestResult,
    ValidationReport,
    every_column,
    given_values,
    ingest_raw,
    recognise,
    sha256_of,
)
from insight.intake.volumes import VolumesError, recognise_volumes, volumes_from_raw
from insight.periods import period_label
from insight.store import StoreError, UpsertCounts
from insight.store.records import MoveRefused, move_refusal, moves_text

st.title("Upload survey exports")
st.write(
    "Drop this month's exports (CSV or Excel). Each file is checked first: nothing is written until you press "
    "**Import**. Personal data (emails, phone numbers, crime references) is never stored as written: it is removed "
    "as the file is read, or kept only as a pseudonym (a keyed hash) where a survey must match on it. Responses "
    "already held are recognised by their ID and counted once. "
    f"Files up to {MAX_UPLOAD_MB} MB each (about 1.8 million responses); split a larger export by month."
)
user = identity.user()
# Only the surveys this user manages: files are recognised, and imported, among these alone.
definitions = {d: v for d, v in loading.definitions().items() if user.may_manage(d)}
store = loading.store()
# .xls is accepted here only to be told, in words, to save it as .xlsx or CSV.
files = st.file_uploader("Exports", type=["csv", "xlsx", "xlsm", "xls"], accept_multiple_files=True, key="uploads")


def read(uploaded: UploadedFile) -> tuple[RawTable, str] | str:
    """Read an uploaded file once (whatever dataset is chosen later): the table and its SHA-256, or why not."""
    cache = st.session_state.setdefault("upload_reads", {})
    file_id = uploaded.file_id
    if file_id not in cache:
        name = safe_file_name(uploaded.name)
        data = uploaded.getvalue()
        try:
            with st.spinner(f"Reading {literal(name)}…"):
                wanted = every_column(definitions)  # only these are kept: PII columns are never held
                cache[file_id] = (read_export(data, name, wanted, keep=wanted), sha256_of(data))
        except ExportError as exc:
            cache[file_id] = f"{name} {exc}."
        except Exception as exc:  # a fault of ours: this file's message, never a traceback; the page goes on
            logging.getLogger(__name__).error("reading an upload failed: %s", type(exc).__name__)
            cache[file_id] = f"{name} could not be read because of a fault in the app (nothing was changed)."
    return cache[file_id]


def ask_given(definition: Definition, file_id: str) -> dict[str, str] | None:
    """What the file cannot say itself (`given_at_import`): asked here, as `--period`/`--set` in the CLI."""
    needed = definition.given_at_import()
    given: dict[str, str] = {}
    for key in needed:
        value: str | None
        if key == "period":
            example = "2024-08" if definition.period.granularity == "month" else "2024-Q3"
            value = st.text_input(
                f"Period this file covers (e.g. {example})",
                key=f"given-period-{file_id}",
                help="Fieldwork over several months is one wave: give its first and last month, e.g. 2022-12..2023-01.",
            )
        else:
            dim = definition.dimensions[key]
            label = f"{dim.label} of every response in this file"
            value = st.selectbox(label, list(dim.groups), index=None, key=f"given-{key}-{file_id}")
        if value:
            given[key] = value
    if len(given) < len(needed):
        st.info("This survey's files do not say this themselves: fill in the box(es) above to check the file.")
        return None
    try:
        return given_values(definition, given)
    except GivenValueError as exc:  # about what the user typed, not the file's text
        st.error(str(exc))
        return None


def check(
    file_id: str, raw: RawTable, sha256: str, name: str, dataset: str, given: dict[str, str]
) -> tuple[IngestResult, UpsertCounts] | str:
    """Validate a file and compare it with the store; remembered for this upload, dataset, values and store version."""
    cache = st.session_state.setdefault("upload_checks", {})
    key = (file_id, dataset, store.version([dataset]), tuple(sorted(given.items())))
    if key not in cache:
        with st.status(f"Checking {literal(name)}…", expanded=False) as status:
            try:
                result = ingest_raw(raw, name, sha256, definitions[dataset], given, key=loading.id_key())
                status.update(label=f"Comparing {literal(name)} with the data already held…")
                store.check_key(dataset, result.report.key_fingerprint)
                counts = store.compare(definitions[dataset], result.frame)
                status.update(label=f"Checked {literal(name)}", state="complete")
                cache[key] = (result, counts)
            except ExportError as exc:  # e.g. dates that read two ways: one sentence, quoting masked values only
                status.update(label=f"Could not check {literal(name)}", state="error")
                cache[key] = f"{name} {exc}"
            except StoreError as exc:  # the store cannot be read: its sentence, not remembered (it may be repaired)
                status.update(label=f"Could not check {literal(name)}", state="error")
                return str(exc)
            except Exception as exc:  # a fault of ours: this file's message; other files and the history go on
                logging.getLogger(__name__).error("checking an upload failed: %s", type(exc).__name__)
                status.update(label=f"Could not check {literal(name)}", state="error")
                cache[key] = f"{name} could not be checked because of a fault in the app (nothing was changed)."
    return cache[key]


@dataclass
class Pending:
    """A checked file that can be imported."""

    file_id: str
    name: str
    dataset: str
    result: IngestResult
    allow_move: bool = False  # the user confirmed that held responses may move to another period


@dataclass(frozen=True)
class SetAside:
    """The rows of an imported file that were set aside, with their reasons, as a CSV to download on the page."""

    file_name: str
    rows: int
    csv: str


def done(file_id: str, message: str, set_aside: SetAside | None = None) -> None:
    """Mark a file imported: it shows as done, with no Import button, until it leaves the uploader."""
    st.session_state.setdefault("imported_files", {})[file_id] = message
    st.session_state.setdefault("import_messages", []).append((message, set_aside))


def import_checked(pending: Pending) -> bool:
    """Write one checked file through the store and mark it done; a store fault is said in one sentence."""
    definition = definitions[pending.dataset]
    try:
        record = store.import_result(definition, pending.result, user=user.email, allow_move=pending.allow_move)
    except MoveRefused as exc:  # held responses moved since the preview: said as the preview says it
        allow = "tick the box in its preview to move them"
        words = move_refusal(exc.counts, definition.composite_id_example(), allow, period_label)
        st.error(f"{literal(pending.name)} was not imported: {literal(words)}")
        return False
    except StoreError as exc:
        st.error(f"{literal(pending.name)} was not imported: {exc}")
        return False
    report = pending.result.report
    rejected = pending.result.rejected
    set_aside = (
        SetAside(f"set-aside-{Path(pending.name).stem}.csv", rejected.height, to_csv(rejected))
        if record.rejected and rejected.height
        else None
    )
    done(  # the set-aside rows are a download on this page: a path on the server means nothing to a manager
        pending.file_id,
        f"Imported {literal(pending.name)} into {definitions[pending.dataset].title}: {record.new:,} new, "
        f"{record.updated:,} updated, {record.unchanged:,} already held, {record.rejected:,} set aside"
        + (" (their rows and reasons: the download below)" if set_aside else "")
        + (f"; {report.left_out_text()}" if report.left_out else "")
        + (f"; moved to another period: {moves_text(record.moved, period_label)}" if record.moved else "")
        + ".",
        set_aside,
    )
    return True


def volumes_file(raw: RawTable, sha256: str, name: str, dataset: str, file_id: str) -> None:
    """A monthly contact volumes file (calls, chats, invitations): preview, then import."""
    definition = definitions[dataset]
    st.caption(f"Recognised as monthly contact volumes for {definition.title}.")
    try:
        frame = volumes_from_raw(raw, name, definition)
    except VolumesError as exc:
        st.error(f"This file cannot be imported: {literal(str(exc))}. Nothing was changed.")
        return
    except Exception as exc:  # a fault of ours: this file's message, never a traceback
        logging.getLogger(__name__).error("reading a volumes upload failed: %s", type(exc).__name__)
        st.error(f"{literal(name)} could not be checked because of a fault in the app (nothing was changed).")
        return
    output.table(volumes_table(frame), f"volumes-{sha256[:12]}")  # the figures, not only the months
    if st.button("Import", key=f"import-volumes-{sha256}", type="primary"):
        try:
            record = store.import_volumes(dataset, frame, file_name=name, sha256=sha256, user=user.email)
        except StoreError as exc:
            st.error(str(exc))
            return
        done(
            file_id,
            f"Imported {literal(name)}: {frame.height} month(s) of contact volumes for {definition.title} "
            f"({record.new} new, {record.updated} updated, {record.unchanged} already held).",
        )
        st.rerun()


def uploaded_file(uploaded: UploadedFile, imported_files: dict[str, str]) -> Pending | None:
    """One file in its own box: read, recognised, checked against the store, then its Import button.

    Returns the file when it is ready to import (for "Import all"); None when it is not, or is done.
    """
    name = safe_file_name(uploaded.name)
    with st.container(border=True):
        st.subheader(literal(name))
        if uploaded.file_id in imported_files:
            st.success("Done: this file has been imported (see below).", icon=":material/check_circle:")
            return None
        got = read(uploaded)
        if isinstance(got, str):
            st.error(literal(got), icon=":material/error:")
            return None
        raw, sha256 = got
        volumes_dataset = recognise_volumes(raw.columns, definitions)
        if volumes_dataset:
            volumes_file(raw, sha256, name, volumes_dataset, uploaded.file_id)
            return None
        dataset = choose_dataset(raw, uploaded.file_id)
        given = ask_given(definitions[dataset], uploaded.file_id)
        if given is None:
            return None
        checked = check(uploaded.file_id, raw, sha256, name, dataset, given)
        if isinstance(checked, str):
            st.error(literal(checked), icon=":material/error:")
            return None
        result, counts = checked
        if result.report.missing_columns:
            st.error(
                "This file cannot be imported: it lacks the column(s) "
                + ", ".join(f"**{literal(c)}**" for c in result.report.missing_columns)
                + f" that a {definitions[dataset].title} export has. Nothing was changed."
            )
            return None
        first_real_import(dataset)
        why_not = what_would_change(result.report, counts, sha256, uploaded.file_id)
        allow_move = confirm_move(definitions[dataset], counts, f"{uploaded.file_id}-{dataset}")
        if why_not is None and counts.moved and not allow_move:
            why_not = "it would move held responses to another period: tick the box above to allow it"
        pending = Pending(uploaded.file_id, name, dataset, result, allow_move)
        row = st.container(horizontal=True, vertical_alignment="center")
        if row.button(
            "Import",
            key=f"import-{uploaded.file_id}-{dataset}",
            type="primary",
            disabled=why_not is not None,
            help=why_not,
        ):
            with st.spinner(f"Writing {literal(name)} to the store…"):
                imported = import_checked(pending)
            if imported:
                st.rerun()
        if why_not:
            row.caption(f"Import is off: {why_not}")
        return pending if why_not is None else None


def first_real_import(dataset: str) -> None:
    """Before a survey's first real import: say that its sample months will be replaced."""
    loaded = loading.load_quietly(dataset)
    if loaded is None or not loaded.is_sample:
        return
    held = periods(loaded.frame)
    if not held:
        return
    span = f"{period_label(held[0])} to {period_label(held[-1])}"
    st.warning(
        f"This is the first real export of {definitions[dataset].title}: importing it replaces the "
        f"{len(held)} sample {'months' if 'Q' not in held[0] else 'quarters'} ({span}) that every page shows for "
        "this survey until now. Other surveys keep their sample data until their own first import.",
        icon=":material/swap_horiz:",
    )


def choose_dataset(raw: RawTable, file_id: str) -> str:
    """The survey a file is an export of: recognised from its header, which the user can change."""
    guesses = recognise(raw.columns, definitions)
    names = list(definitions)
    guess = guesses[0][0] if guesses else names[0]
    dataset = st.selectbox(
        "Dataset",
        names,
        index=names.index(guess),
        key=f"dataset-{file_id}",
        format_func=lambda d: definitions[d].title,
    )
    if guesses and guesses[0][1] == 1.0 and dataset == guess:
        st.caption(f"Recognised from its header as {definitions[guess].title}.")
    elif dataset == guess:
        st.warning("The header does not fully match any survey definition: check the dataset chosen.")
    return dataset


def what_would_change(report: ValidationReport, counts: UpsertCounts, sha256: str, file_id: str) -> str | None:
    """What importing the file would do (rows new, updated, already held, invalid) and its problems, with the
    choice to import this file's valid rows beside them; None when it can be imported, else why not."""
    cols = st.columns(5)
    cols[0].metric("Rows", f"{report.rows_read:,}")
    cols[1].metric("New", f"{counts.new:,}")
    cols[2].metric("Updated", f"{counts.updated:,}")
    cols[3].metric("Already held", f"{counts.unchanged:,}")
    cols[4].metric("Invalid rows", f"{report.invalid_rows:,}")
    if report.period_counts:
        st.write(
            "Responses per period: " + ", ".join(f"{period_label(p)}: {n:,}" for p, n in report.period_counts.items())
        )
    if report.left_out:
        st.info(f"{report.left_out_text()} (the survey definition's include filter): they will not be imported.")
    for warning in report.warnings:
        st.warning(literal(warning), icon=":material/warning:")
    if report.notes.height:
        st.warning(
            f"{report.notes.height:,} comment(s) are longer than {MAX_TEXT_CHARS:,} characters: they will be imported "
            "cut to that length (below, with the row number as in the file).",
            icon=":material/content_cut:",
        )
        output.table(problems_table(report.notes).drop("Value found", "Allowed values"), f"cut-{sha256[:12]}")
    if report.blank_rows:
        st.caption(f"{report.blank_rows} empty line(s) in the file were not responses and were ignored.")
    if report.ignored_columns:
        st.caption("Columns not used: " + literal(", ".join(c.strip() for c in report.ignored_columns)))
    skip = False
    if not report.ok:
        skip = bool(st.session_state.get(f"skip-{file_id}"))
        st.error(
            f"{report.invalid_rows:,} row(s) have problems (below, with the row number as in the file). "
            + (
                "They will be set aside with their reasons, to download once the file is imported."
                if skip
                else "Nothing will be imported unless you correct them, or choose below to import the valid rows."
            )
        )
        output.table(problems_table(report.problems), f"problems-{sha256[:12]}")
        if report.valid_rows:
            skip = st.checkbox(
                f"Import the {report.valid_rows:,} valid rows of this file and set the {report.invalid_rows:,} with "
                "problems aside (with their reasons, to download)",
                key=f"skip-{file_id}",
            )
    nothing_new = counts.new == 0 and counts.updated == 0
    if nothing_new:
        st.info("Nothing new: every response in this file is already held, so there is nothing to import.")
    if not report.ok and report.valid_rows == 0:
        return "no row of this file is valid; correct the problems listed and upload it again."
    if not report.ok and not skip:
        return (
            f"{report.invalid_rows:,} row(s) have problems: correct them in the file, or tick “Import the "
            f"{report.valid_rows:,} valid rows of this file” above."
        )
    if nothing_new:
        return "every response in this file is already held."
    return None


def confirm_move(definition: Definition, counts: UpsertCounts, key: str) -> bool:
    """Held responses the file would move to another period: said, and imported only once the box is ticked."""
    if not counts.moved:
        return False
    allow = "tick the box below to move them"
    st.warning(literal(move_refusal(counts, definition.composite_id_example(), allow, period_label, refused=False)),
               icon=":material/move_down:")  # fmt: skip
    return st.checkbox(
        f"Move these {counts.moved_total:,} held response(s) to the file's period (they stay undoable)",
        key=f"allow-move-{key}",
    )


def import_all(where: DeltaGenerator, ready: list[Pending]) -> None:
    """One button for every file ready to import, above the files, once there is more than one."""
    if len(ready) > 1 and where.button(
        f"Import all {len(ready)} files ready to import", type="primary", icon=":material/upload:", key="import-all"
    ):
        with where, st.spinner(f"Writing {len(ready)} files to the store…"):
            every_one = all(import_checked(pending) for pending in ready)  # stops at the first that fails
        if every_one:
            st.rerun()


def forget_files_gone(current: set[str], imported_files: dict[str, str]) -> None:
    """Forget the checks of files no longer in the uploader (they can hold large frames)."""
    checks = st.session_state.get("upload_checks", {})
    for key in [k for k in checks if k[0] not in current]:
        del checks[key]
    reads = st.session_state.get("upload_reads", {})
    for key in [k for k in reads if k not in current]:
        del reads[key]
    for file_id in [f for f in imported_files if f not in current]:
        del imported_files[file_id]


def upload_history_section() -> list[tuple[str, bool]]:
    """Every import and undo in the store, newest first; returns the tables with an import to undo."""
    st.header("Upload history")
    history_rows, undoable = [], []
    for name in definitions:
        for volumes in (False, True):
            try:
                rows = store.history(name, volumes=volumes)
            except StoreError as exc:
                if not volumes:
                    st.warning(str(exc), icon=":material/error:")
                continue
            table_name = "contact volumes" if volumes else "responses"
            history_rows += [{**r, "dataset": name, "table": table_name} for r in rows]
            if any(r["action"] == "import" for r in rows):
                undoable.append((name, volumes))
    if not history_rows:
        st.caption(
            "Nothing has been imported into this store yet"
            + ("; the pages show the bundled sample data." if samples_enabled() else ".")
        )
    else:
        output.table(
            upload_history(history_rows, {n: d.title for n, d in definitions.items()}),
            "upload-history",
            on_screen=HISTORY_ON_SCREEN,
            narrow=("New", "Updated", "Already held"),
        )
    return undoable


def undo_section(choices: list[tuple[str, bool]]) -> None:
    """Take back the latest import of a dataset, after a confirmation that says what will change."""
    st.subheader("Undo an import")
    choice = st.selectbox(
        "Dataset to undo in",
        choices,
        key="undo-dataset",
        format_func=lambda c: definitions[c[0]].title + (" (contact volumes)" if c[1] else ""),
    )
    dataset, volumes = choice
    title = definitions[dataset].title + (" contact volumes" if volumes else "")
    try:
        plan = store.undo_plan(dataset, volumes=volumes, count=False)  # the log only: cheap on every run
    except StoreError as exc:
        st.caption(str(exc))
        return
    files = literal(
        ", ".join(f for f in plan["files"] if f) or "the latest import"
    )  # file names are text, not Markdown
    unit = "month(s)" if volumes else "response(s)"
    latest = next((r for r in store.history(dataset, volumes=volumes) if r["version"] == plan["undoes"][-1]), None)
    st.write(
        f"Latest import still held: **{files}**"
        + (f" (imported {uk_time(latest['time'])}, UK time, by {literal(str(latest['user']))})." if latest else ".")
    )
    pending = st.session_state.get("undo-confirm")
    if pending != (dataset, volumes, plan["current"]):
        if st.button("Undo this import", key="undo-ask", icon=":material/undo:"):
            st.session_state["undo-confirm"] = (dataset, volumes, plan["current"])
            st.rerun()
        return
    try:
        plan = store.undo_plan(dataset, volumes=volumes)  # reads both versions to count what changes
    except StoreError as exc:
        st.error(str(exc))
        return
    st.warning(
        f"Undo {files} in {title}? {plan['removed']:,} {unit} will be removed and {plan['restored']:,} "
        f"{unit} restored to what they were before it. The undo is recorded in the history; nothing is erased.",
        icon=":material/warning:",
    )
    yes, no = st.columns(2)
    if yes.button("Yes, undo it", key="undo-yes", type="primary"):
        st.session_state.pop("undo-confirm", None)
        try:
            undone = store.undo(dataset, volumes=volumes, user=user.email)
        except StoreError as exc:
            st.error(str(exc))
            return
        st.session_state.setdefault("import_messages", []).append(
            (f"Undone: {files} in {title}. {undone.removed:,} {unit} removed, {undone.restored:,} restored.", None)
        )
        st.rerun()
    if no.button("Cancel", key="undo-no"):
        st.session_state.pop("undo-confirm", None)
        st.rerun()


import_all_above = st.container()  # filled at the end, once it is known how many files are ready
imported_files: dict[str, str] = st.session_state.setdefault("imported_files", {})
ready: list[Pending] = []
for uploaded in files or []:
    pending = uploaded_file(uploaded, imported_files)
    if pending is not None:
        ready.append(pending)
import_all(import_all_above, ready)
forget_files_gone({f.file_id for f in files or []}, imported_files)
for i, (message, set_aside) in enumerate(st.session_state.get("import_messages", [])):
    st.success(message, icon=":material/check_circle:")
    if set_aside is not None:
        st.download_button(
            f"Download the {set_aside.rows:,} set-aside rows and their reasons (CSV)",
            data=set_aside.csv,
            file_name=set_aside.file_name,
            mime="text/csv",
            on_click="ignore",
            key=f"set-aside-{i}",
            icon=":material/download:",
        )
undoable = upload_history_section()
if undoable:
    undo_section(undoable)
