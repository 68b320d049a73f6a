"""The Upload page under hostile files (AppTest): each bad file gets its own sentence, the rest keeps working."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from insight.store import Store
from tests.conftest import REPO
from tests.hostile import PII, UNREADABLE, formula_without_value
from tests.messy import read_rows, write_rows

EVIL = "[Sign in again](https://evil.example)"


@pytest.fixture(autouse=True)
def fresh_store(data_dir):
    return data_dir


@pytest.fixture()
def example(exports) -> bytes:
    return (exports / "victim_survey_example.csv").read_bytes()


def upload_page() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/upload.py")
    return at.run()


def shown(at: AppTest) -> list[str]:
    """Every markdown source the page sent, as written (escapes included)."""
    parts = [m.value for m in at.markdown] + [s.value for s in at.subheader] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    return [str(p) for p in parts]


def as_read(at: AppTest) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(shown(at))).replace("\u2060", "")


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader(key="uploads").set_value([(name, data, "application/octet-stream") for name, data in files])
    return at.run()


def test_bad_files_beside_a_good_one_each_get_their_sentence(example, data_dir):
    bad = list(UNREADABLE)
    # Import something first, so the history has a row to keep showing.
    from insight.cli import main

    assert main(["ingest", "victim", str(REPO.parent / "shared" / "exports" / "victim_survey_example.csv")]) == 0
    at = upload(upload_page(), [(name, UNREADABLE[name][0](example)) for name in bad] + [("good.csv", example)])
    assert not at.exception, at.exception
    text = as_read(at)
    for name in bad:
        assert f"{name} {UNREADABLE[name][1]}" in text.replace("\n", " ") or (
            name in text and UNREADABLE[name][1] in text
        ), name
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]
    assert len([e for e in errors if any(e.startswith(n + " ") for n in bad)]) == len(bad)
    # the good file's preview and the upload history still render
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "40" and metrics["Already held"] == "40"
    assert "Upload history" in [h.value for h in at.header]
    assert at.dataframe[-1].value.iloc[0]["File"] == "victim_survey_example.csv"
    assert "Traceback" not in text


def test_each_file_is_parsed_once(example, monkeypatch):
    import insight.intake.reading

    calls = []
    real = insight.intake.reading._scan_csv

    def counting(*args):
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(insight.intake.reading, "_scan_csv", counting)
    rows = read_rows(example)
    rows[3][5] = "Arson"  # one row with a problem: the file then offers its own "Import the valid rows" box
    at = upload_page()
    calls.clear()  # the bundled samples are read as the app starts
    at = upload(at, [("victim.csv", write_rows(rows))])
    assert not at.exception
    assert len(calls) == 1
    dataset = next(s.key for s in at.selectbox if s.key and s.key.startswith("dataset-"))
    at.selectbox(key=dataset).set_value("caller_101").run()
    at.selectbox(key=dataset).set_value("victim").run()
    next(c for c in at.checkbox if c.label.startswith("Import the 39 valid rows")).check().run()
    assert not at.exception
    assert len(calls) == 1, "choosing another dataset or ticking a box must not read the file again"


def test_file_names_and_headers_are_shown_as_text_never_as_links(example):
    rows = read_rows(example)
    rows = [[*row, EVIL if i == 0 else "x"] for i, row in enumerate(rows)]
    at = upload(upload_page(), [(f"{EVIL}.csv", write_rows(rows))])
    assert not at.exception
    sources = shown(at)
    assert any("Sign in again" in s for s in sources), "the name and the header are shown"
    for source in sources:
        # link syntax is always escaped: no bare "[Sign" and no bare "](" (a backslash before each bracket)
        assert not re.search(r"(?<!\\)\[Sign|(?<!\\)\]\(", source), source
    assert f"Columns not used: Date Reported, {EVIL}" in as_read(at)


def test_the_preview_warns_about_a_wide_span_and_lists_workbook_cell_problems(example):
    rows = read_rows(example)
    rows[1][1] = "16/08/2017 10:00"
    at = upload(upload_page(), [("wide.csv", write_rows(rows)), ("formula.xlsx", formula_without_value(example))])
    assert not at.exception
    assert any("covers 26 months" in re.sub(r"\\(.)", r"\1", w.value) for w in at.warning)
    problems = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
    assert problems.iloc[0]["Problem"].startswith("formula with no saved value")


def test_personal_data_in_a_file_name_never_reaches_the_history(example, data_dir):
    at = upload(upload_page(), [("victims for jo@home.net 07700 900123.csv", example)])
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    history = Store(data_dir).history("victim")  # the store's own commit log
    assert history[0]["file"] == "victims for [email] [phone].csv"
    for path in (p for p in data_dir.rglob("*") if p.is_file()):  # every stored byte, the log included
        blob = path.read_bytes()
        assert b"jo@home.net" not in blob and b"07700 900123" not in blob, path
    assert "jo@home.net" not in as_read(at)


def test_a_fault_of_ours_stays_in_its_files_box_and_quotes_nothing(example, monkeypatch):
    import insight.intake.tidy

    real = insight.intake.tidy.ingest_raw

    def faulty(raw, name, sha256, definition, given=None, **options):
        if name == "faulty.csv":
            raise RuntimeError(f"boom at {PII['email']}")  # an exception message may hold file text
        return real(raw, name, sha256, definition, given, **options)

    monkeypatch.setattr(insight.intake.tidy, "ingest_raw", faulty)
    at = upload(upload_page(), [("faulty.csv", example), ("good.csv", example)])
    assert not at.exception, at.exception
    text = as_read(at)
    assert "faulty.csv could not be checked because of a fault in the app (nothing was changed)." in text
    assert PII["email"] not in text and "boom" not in text
    assert {m.label: m.value for m in at.metric}["Rows"] == "40"
