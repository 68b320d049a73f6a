"""Upload: drop exports, see what would change before anything is written, then import."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from app_pages import ui
from insight.datasets import samples_enabled
from insight.definition import Definition
from insight.ingest import ExportError, GivenValueError, IngestResult, given_values, ingest_bytes, recognise
from insight.periods import period_label
from insight.store import UpsertCounts
from insight.tables import problems_table, upload_history, volumes_table
from insight.volumes import VolumesError, read_volumes, recognise_volumes

st.title("Upload survey exports")
st.write(
    "Drop this month's exports (CSV or Excel). Each file is checked first: nothing is written until you press "
    "**Import**. Personal data (emails, phone numbers, crime references) is removed as the file is read and "
    "never stored. Responses already held are recognised by their ID and counted once."
)
definitions = ui.definitions()
store = ui.store()
files = st.file_uploader("Exports", type=["csv", "xlsx"], accept_multiple_files=True, key="uploads")
skip_invalid = st.checkbox(
    "Import the valid rows of a file that has problems (the invalid rows are kept aside, with their reasons)",
    key="skip_invalid",
)


def ask_given(definition: Definition, file_id: str) -> dict[str, str] | None:
    """What the file cannot say itself (`given_at_import`): asked here, as `--period`/`--set` in the CLI."""
    needed = definition.given_at_import()
    given: dict[str, str] = {}
    for key in needed:
        if key == "period":
            example = "2024-08" if definition.period.granularity == "month" else "2024-Q3"
            value = st.text_input(f"Period this file covers (e.g. {example})", key=f"given-period-{file_id}")
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
    except GivenValueError as exc:
        st.error(str(exc))
        return None


def check(
    file_id: str, data: bytes, name: str, dataset: str, given: dict[str, str]
) -> tuple[IngestResult, UpsertCounts] | str:
    """Validate a file and compare it with the store; remembered for this upload, dataset, values and store version."""
    cache = st.session_state.setdefault("upload_checks", {})
    key = (file_id, dataset, store.version(), tuple(sorted(given.items())))
    if key not in cache:
        status = st.status(f"Reading and validating {name}…", expanded=False)
        try:
            result = ingest_bytes(data, name, definitions[dataset], given)
            status.update(label=f"Comparing {name} with the data already held…")
            counts = store.compare(definitions[dataset], result.frame)
            cache[key] = (result, counts)
        except ExportError as exc:
            cache[key] = f"{name} cannot be read as an export: {exc}"
        except Exception:  # whatever went wrong, the status must not keep spinning
            cache[key] = f"{name} could not be checked: it does not look like a survey export. Nothing was changed."
        # The status always ends: done or failed, never left on "Reading and validating…".
        failed = isinstance(cache[key], str)
        status.update(label=f"Could not check {name}" if failed else f"Checked {name}",
                      state="error" if failed else "complete")  # fmt: skip
    return cache[key]


@dataclass
class Pending:
    """A checked file that can be imported."""

    file_id: str
    name: str
    dataset: str
    result: IngestResult


def volumes_file(data: bytes, name: str, dataset: str, file_id: str) -> None:
    """A monthly contact volumes file (calls, chats, invitations): preview, then import."""
    definition = definitions[dataset]
    st.caption(f"Recognised as monthly contact volumes for {definition.title}.")
    try:
        frame = read_volumes(data, name, definition)
    except VolumesError as exc:
        st.error(f"This file cannot be imported: {exc}. Nothing was changed.")
        return
    ui.table(volumes_table(frame), f"volumes-{name}")
    if st.button("Import", key=f"import-volumes-{name}", type="primary"):
        store.upsert_volumes(dataset, frame, file_name=name, sha256=hashlib.sha256(data).hexdigest())
        done(file_id, f"Imported {name}: {frame.height} month(s) of contact volumes for {definition.title}.")
        st.rerun()


def done(file_id: str, message: str) -> None:
    """Mark a file imported: it shows as done, with no Import button, until it leaves the uploader."""
    st.session_state.setdefault("imported_files", {})[file_id] = message
    st.session_state.setdefault("import_messages", []).append(message)


def import_checked(pending: Pending) -> None:
    """Write one checked file through the store and mark it done."""
    record = store.import_result(definitions[pending.dataset], pending.result)
    report = pending.result.report
    done(
        pending.file_id,
        f"Imported {pending.name} into {definitions[pending.dataset].title}: {record.new:,} new, "
        f"{record.updated:,} updated, {record.unchanged:,} already held, {record.rejected:,} set aside"
        + (f" (kept in {record.rejected_file})" if record.rejected_file else "")
        + (f"; {report.left_out_text()}" if report.left_out else "")
        + ".",
    )


import_all = st.container()  # filled below, once it is known how many files are ready
ready: list[Pending] = []
imported_files: dict[str, str] = st.session_state.setdefault("imported_files", {})
for uploaded in files or []:
    data = uploaded.getvalue()
    with st.container(border=True):
        st.subheader(uploaded.name)
        if uploaded.file_id in imported_files:
            st.success("Done: this file has been imported (see below).", icon=":material/check_circle:")
            continue
        volumes_dataset = recognise_volumes(data, uploaded.name, definitions)
        if volumes_dataset:
            volumes_file(data, uploaded.name, volumes_dataset, uploaded.file_id)
            continue
        guesses = recognise(data, uploaded.name, definitions)
        names = list(definitions)
        guess = guesses[0][0] if guesses else names[0]
        dataset = st.selectbox(
            "Dataset",
            names,
            index=names.index(guess),
            key=f"dataset-{uploaded.file_id}",
            format_func=lambda d: definitions[d].title,
        )
        if guesses and guesses[0][1] == 1.0 and dataset == guess:
            st.caption(f"Recognised from its header as {definitions[guess].title}.")
        elif dataset == guess:
            st.warning("The header does not fully match any survey definition: check the dataset chosen.")
        given = ask_given(definitions[dataset], uploaded.file_id)
        if given is None:
            continue
        checked = check(uploaded.file_id, data, uploaded.name, dataset, given)
        if isinstance(checked, str):
            st.error(checked)
            continue
        result, counts = checked
        report = result.report
        if report.missing_columns:
            st.error(
                "This file cannot be imported: it lacks the column(s) "
                + ", ".join(f"**{c}**" for c in report.missing_columns)
                + f" that a {definitions[dataset].title} export has. Nothing was changed."
            )
            continue
        cols = st.columns(5)
        cols[0].metric("Rows", f"{report.rows_read:,}")
        cols[1].metric("New", f"{counts.new:,}")
        cols[2].metric("Updated", f"{counts.updated:,}")
        cols[3].metric("Already held", f"{counts.unchanged:,}")
        cols[4].metric("Invalid rows", f"{report.invalid_rows:,}")
        if report.period_counts:
            st.write(
                "Responses per period: "
                + ", ".join(f"{period_label(p)}: {n:,}" for p, n in report.period_counts.items())
            )
        if report.left_out:
            st.info(f"{report.left_out_text()} (the survey definition's include filter): they will not be imported.")
        if report.blank_rows:
            st.caption(f"{report.blank_rows} empty line(s) in the file were not responses and were ignored.")
        if report.ignored_columns:
            st.caption("Columns not used: " + ", ".join(c.strip() for c in report.ignored_columns))
        if not report.ok:
            st.error(
                f"{report.invalid_rows:,} row(s) have problems (below, with the row number as in the file). "
                + (
                    "They will be set aside with their reasons."
                    if skip_invalid
                    else "Nothing will be imported unless you correct them or tick the box above."
                )
            )
            ui.table(problems_table(report.problems), f"problems-{uploaded.name}")
        nothing_new = counts.new == 0 and counts.updated == 0
        if nothing_new:
            st.info("Nothing new: every response in this file is already held, so there is nothing to import.")
        can_import = (report.ok or (skip_invalid and report.valid_rows > 0)) and not nothing_new
        pending = Pending(uploaded.file_id, uploaded.name, dataset, result)
        if can_import:
            ready.append(pending)
        if st.button("Import", key=f"import-{uploaded.file_id}-{dataset}", type="primary", disabled=not can_import):
            with st.spinner(f"Writing {uploaded.name} to the store…"):
                import_checked(pending)
            st.rerun()

if len(ready) > 1 and import_all.button(
    f"Import all {len(ready)} files ready to import", type="primary", icon=":material/upload:", key="import-all"
):
    with import_all, st.spinner(f"Writing {len(ready)} files to the store…"):
        for pending in ready:
            import_checked(pending)
    st.rerun()

# Forget the checks of files no longer in the uploader (they can hold large frames).
current = {f.file_id for f in files or []}
checks = st.session_state.get("upload_checks", {})
for key in [k for k in checks if k[0] not in current]:
    del checks[key]
for file_id in [f for f in imported_files if f not in current]:
    del imported_files[file_id]

for message in st.session_state.get("import_messages", []):
    st.success(message, icon=":material/check_circle:")

st.header("Upload history")
history = upload_history(store.upload_log())
if history.height == 0:
    st.caption(
        "Nothing has been imported into this store yet"
        + ("; the pages show the bundled sample data." if samples_enabled() else ".")
    )
else:
    ui.table(history, "upload-history")
