"""Every hostile or careless file gets one sentence naming it, in the CLI and the library; none a traceback."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import zipfile

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insight.intake.reading import MAX_UPLOAD_MB, read_export
from insight.intake.tidy import ExportError, ingest_bytes, shape
from tests.conftest import REPO
from tests.hostile import (
    PII,
    READABLE,
    UNREADABLE,
    formula_without_value,
    merged_cells,
    namespace_prefixed,
    write_corpus,
)
from tests.messy import read_rows, to_xlsx, write_rows


@pytest.fixture()
def example(exports) -> bytes:
    return (exports / "victim_survey_example.csv").read_bytes()


@pytest.fixture()
def clean(example, victim) -> pl.DataFrame:
    return ingest_bytes(example, "victim.csv", victim).frame


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable_files_are_refused_with_one_sentence(name, example, victim):
    maker, fragment = UNREADABLE[name]
    with pytest.raises(ExportError) as caught:
        ingest_bytes(maker(example), name, victim)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message and len(message) < 300
    for value in PII.values():
        assert value not in message
    assert caught.value.__cause__ is None, "a parser's message (it quotes rows) must not travel with ours"


@pytest.mark.parametrize("name", READABLE)
def test_cr_only_line_ends_and_utf16_read_like_the_example(name, example, victim, clean):
    result = ingest_bytes(READABLE[name](example), name, victim)
    assert result.report.ok, result.report.describe()
    assert_frame_equal(result.frame, clean)


def test_the_cli_refuses_every_unreadable_file_in_one_sentence_naming_it(tmp_path, example):
    """Exit 1, one line on stderr that names the file, nothing on stdout, no traceback."""
    paths = write_corpus(tmp_path / "corpus", example)
    for path in paths:
        if path.name not in UNREADABLE:
            continue
        run = subprocess.run(
            [sys.executable, "-m", "insight", "ingest", "victim", str(path), "--data-dir", str(tmp_path / "store")],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert run.returncode == 1, (path.name, run.stderr)
        assert run.stdout == ""
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
        assert lines[0].startswith(f"rejected: {path.name} ") and UNREADABLE[path.name][1] in lines[0]
    assert not (tmp_path / "store").exists() or not list((tmp_path / "store").rglob("*.parquet"))


def test_the_cli_names_a_folder_and_a_missing_file(tmp_path):
    (tmp_path / "afolder.csv").mkdir()
    for arg in (tmp_path / "afolder.csv", tmp_path / "missing.csv"):
        run = subprocess.run(
            [sys.executable, "-m", "insight", "ingest", "victim", str(arg), "--data-dir", str(tmp_path / "s")],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert run.returncode == 1 and "Traceback" not in run.stderr and arg.name in run.stderr


def test_an_unterminated_quote_names_its_row_and_quotes_nothing(example, victim):
    data = UNREADABLE["quote.csv"][0](example)
    with pytest.raises(ExportError, match=r'has a quote \("\) that is never closed, starting on row 5'):
        ingest_bytes(data, "quote.csv", victim)


@pytest.fixture(params=["inflated beside the parse", "streamed", "inflated, scanned in 4 KB chunks"])
def sheet_read(request, monkeypatch) -> list[str]:
    """Every way the sheet's XML is scanned: inflated whole beside fastexcel's parse (a sheet up to
    INFLATE_AT_ONCE), streamed a chunk at a time (a bigger one), and in small chunks that cut rows
    between them. Returns the members inflated whole, filled in as the test runs."""
    import insight.intake.workbook as workbook

    if request.param == "streamed":
        monkeypatch.setattr(workbook, "INFLATE_AT_ONCE", 0)
    if "4 KB" in request.param:  # many chunks, cutting rows between them (a row may not outgrow four)
        monkeypatch.setattr(workbook, "CHUNK", 4096)
    inflated: list[str] = []
    original = workbook._inflate

    def spy(book, member, started):  # type: ignore[no-untyped-def]
        inflated.append(member)
        return original(book, member, started)

    monkeypatch.setattr(workbook, "_inflate", spy)
    return inflated


def test_a_workbook_formula_without_a_saved_value_is_a_row_problem(example, victim, sheet_read):
    result = ingest_bytes(formula_without_value(example), "formula.xlsx", victim)
    problems = result.report.problems
    assert problems.select("row", "problem").rows() == [
        (7, "formula with no saved value (open the file in Excel and save it again)")
    ]
    assert problems["column"][0] == victim.questions["initial_contact"].column
    assert result.frame.height == 39, "never silently 'Not stated'"


def test_a_sheet_with_namespace_prefixes_is_scanned_too(example, victim, sheet_read):
    result = ingest_bytes(namespace_prefixed(example), "dotnet.xlsx", victim)
    assert result.report.problems.select("row", "problem").rows() == [
        (7, "formula with no saved value (open the file in Excel and save it again)")
    ]
    assert result.frame.height == 39


def test_merged_cells_are_row_problems_not_not_stated(example, victim, sheet_read):
    result = ingest_bytes(merged_cells(example), "merged.xlsx", victim)
    problems = result.report.problems
    assert problems.select("row", "column").rows() == [(8, "Offence Group"), (9, "Offence Group")]
    assert problems["problem"].str.starts_with("merged cells").all()
    # the merged title line above the header (A1:D1) is not a problem
    assert result.report.header_row == 3


def test_a_workbook_with_title_lines_reads_like_the_csv(example, victim, clean, sheet_read, request):
    result = ingest_bytes(to_xlsx(read_rows(example)), "export.xlsx", victim)
    assert result.report.ok and result.report.header_row == 3
    assert_frame_equal(result.frame, clean)
    streamed = request.node.callspec.params["sheet_read"] == "streamed"
    assert sheet_read == ([] if streamed else ["xl/worksheets/sheet1.xml"]), "the path named was the path taken"


def test_a_workbook_that_expands_too_far_is_refused_before_parsing(example, victim, monkeypatch):
    import insight.intake.workbook

    def never(data: bytes) -> pl.DataFrame:
        raise AssertionError("the parser must not be reached")

    monkeypatch.setattr(insight.intake.workbook, "_load", never)
    with pytest.raises(ExportError, match="more than 100 times its size"):
        ingest_bytes(UNREADABLE["bomb.xlsx"][0](example), "bomb.xlsx", victim)


def test_a_workbook_whose_sizes_lie_is_caught_by_its_checksum(example, victim, sheet_read):
    """Declared sizes that pass the expansion check but do not match the data."""
    data = bytearray(to_xlsx(read_rows(example)))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    # flip a byte inside the sheet's compressed data: its CRC no longer matches
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    data[offset] ^= 0xFF
    with pytest.raises(ExportError, match="damaged or incomplete"):
        ingest_bytes(bytes(data), "lying.xlsx", victim)


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(tmp_path, victim, monkeypatch):
    import insight.intake.reading
    from insight.intake.tidy import ingest_file

    monkeypatch.setattr(insight.intake.reading, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(insight.intake.reading, "MAX_CSV_PATH_BYTES", 3000)
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(ExportError, match=f"files up to {MAX_UPLOAD_MB} MB are accepted"):
        ingest_bytes(big.read_bytes(), "big.csv", victim)  # an upload
    # The CLI streams a plain CSV from its path: the bigger limit, still checked before reading.
    with pytest.raises(ExportError, match="has no header row"):
        ingest_file(big, victim)
    big.write_bytes(b"x" * 4000)
    with pytest.raises(ExportError, match=f"files up to {insight.intake.reading.MAX_CSV_PATH_MB} MB are accepted"):
        ingest_file(big, victim)
    book = tmp_path / "big.xlsx"  # a workbook is read whole: the upload limit
    book.write_bytes(b"PK\x03\x04" + b"x" * 1996)
    with pytest.raises(ExportError, match=f"files up to {MAX_UPLOAD_MB} MB are accepted"):
        ingest_file(book, victim)


def test_the_upload_limit_is_the_one_streamlit_enforces():
    config = (REPO / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {MAX_UPLOAD_MB}\n" in config


# --------------------------------------------------------------------------- implausible data


def _with_dates(example: bytes, dates: dict[int, str]) -> bytes:
    rows = read_rows(example)
    for row, value in dates.items():
        rows[row - 1][1] = value
    return write_rows(rows)


def test_dates_after_next_month_or_before_the_earliest_are_row_problems(example, victim):
    data = _with_dates(example, {2: "16/11/2099 10:00", 3: "01/12/1999 09:00", 4: "30/11/2026 12:00"})
    raw = read_export(data, "x.csv")
    result = shape(raw, victim, "x.csv", "0" * 64, today=dt.date(2026, 10, 5))
    got = {(r["row"], r["problem"], r["allowed"]) for r in result.report.problems.iter_rows(named=True)}
    assert got == {(2, "date in the future", "up to 30/11/2026"), (3, "date too early", "from 01/01/2000")}
    assert "2099-11" not in result.frame.get_column("period").to_list()
    assert "2026-11" in result.frame.get_column("period").to_list(), "the end of next month is still plausible"


def test_end_of_next_month_across_a_year_end():
    from insight.intake.tidy import latest_plausible_date

    assert latest_plausible_date(dt.date(2026, 12, 15)) == dt.date(2027, 1, 31)
    assert latest_plausible_date(dt.date(2026, 11, 30)) == dt.date(2026, 12, 31)
    assert latest_plausible_date(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)


def test_a_per_survey_earliest_date(example, victim):
    from dataclasses import replace

    later = replace(victim, period=replace(victim.period, earliest=dt.date(2019, 9, 10)))
    result = ingest_bytes(example, "x.csv", later)
    early = result.report.problems.filter(pl.col("problem") == "date too early")
    assert early.height > 0 and early["allowed"].unique().to_list() == ["from 10/09/2019"]


def test_a_file_spanning_more_than_24_months_gets_a_warning(example, victim):
    ok = ingest_bytes(_with_dates(example, {2: "16/10/2017 10:00"}), "x.csv", victim)
    assert ok.report.warnings == []  # October 2017 to September 2019: 24 months
    wide = ingest_bytes(_with_dates(example, {2: "16/08/2017 10:00"}), "x.csv", victim)
    assert wide.report.ok, "a warning, not a problem"
    assert wide.report.warnings == [
        "This file covers 26 months (2017-08 to 2019-09, in 40 rows), more than 24: check it is the "
        "export you meant (a mistyped year moves a response far away)."
    ]


def test_the_cli_prints_the_span_warning(example, data_dir, tmp_path, capsys):
    from insight.cli import main

    path = tmp_path / "wide.csv"
    path.write_bytes(_with_dates(example, {2: "16/08/2017 10:00"}))
    assert main(["ingest", "victim", str(path)]) == 0
    assert "warning: wide.csv: This file covers 26 months" in capsys.readouterr().err


def test_a_quarterly_file_spanning_more_than_8_quarters_gets_a_warning(definitions, exports):
    data = (exports / "public_confidence_example.csv").read_bytes()
    rows = read_rows(data)
    rows[1][2] = "01/06/2017"
    result = ingest_bytes(write_rows(rows), "pc.csv", definitions["public_confidence"])
    assert result.report.warnings and "covers 10 quarters (2017-Q2 to 2019-Q3, in 40 rows)" in result.report.warnings[0]


@pytest.mark.parametrize("member", ["docProps/app.xml", "xl/styles.xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_a_workbook_with_a_corrupt_member_is_refused_in_one_sentence(example, victim, sheet_read, member):
    """Damaged compressed data (zlib errors, not only bad checksums), whichever member it is in."""
    data = bytearray(to_xlsx(read_rows(example)))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo(member)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + 4] = b"\x07\xff\xff\x00"  # an invalid deflate block header
    with pytest.raises(ExportError, match="damaged or incomplete"):
        ingest_bytes(bytes(data), "corrupt.xlsx", victim)


def test_period_earliest_is_read_from_the_definition_and_checked(tmp_path):
    from insight.config.files import ConfigError
    from tests.test_survey_keys import BASE, definition

    period = '{column: Date, formats: ["%d/%m/%Y"], granularity: month, earliest: "2015-04-01"}'
    d = definition(tmp_path / "a", BASE.format(name="test_survey", period=period))
    assert d.period.earliest == dt.date(2015, 4, 1)
    default = '{column: Date, formats: ["%d/%m/%Y"], granularity: month}'
    assert definition(tmp_path / "b", BASE.format(name="test_survey", period=default)).period.earliest == dt.date(
        2000, 1, 1
    )
    wrong = '{column: Date, formats: ["%d/%m/%Y"], granularity: month, earliest: "last spring"}'
    with pytest.raises(ConfigError, match=r"period\.earliest.*'last spring' is not a date like 2000-01-01"):
        definition(tmp_path / "c", BASE.format(name="test_survey", period=wrong))


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("as_path", [False, True])
def test_a_utf8_file_with_stray_windows_1252_bytes_reads_every_character_as_written(
    example, victim, clean, tmp_path, bom, as_path
):
    """A UTF-8 export with one comment pasted in from a Windows-1252 file: each part read in its own encoding."""
    rows = read_rows(example)
    comment = "Caf\u00e9 staff were \u2018kind\u2019 \u2013 thanks"
    rows[3][16] = "@@MIXED@@"
    utf8 = write_rows(rows)
    # "é" and the closing quote as Windows-1252 bytes, the opening quote and the dash as UTF-8
    mixed = utf8.replace(b"@@MIXED@@", b"Caf" + b"\xe9" + " staff were \u2018kind".encode() + b"\x92"
                         + " \u2013 thanks".encode())  # fmt: skip
    data = (b"\xef\xbb\xbf" if bom else b"") + mixed
    if as_path:
        (tmp_path / "mixed.csv").write_bytes(data)
        from insight.intake.tidy import ingest_file

        result = ingest_file(tmp_path / "mixed.csv", victim)
    else:
        result = ingest_bytes(data, "mixed.csv", victim)
    assert result.report.ok, result.report.describe()
    assert result.report.encoding == "utf-8 with Windows-1252 characters"
    comments = result.frame.get_column("comments")
    assert comments[2] == comment
    assert_frame_equal(result.frame.with_row_index().filter(pl.col("index") != 2).drop("index"),
                       clean.with_row_index().filter(pl.col("index") != 2).drop("index"))  # fmt: skip


def test_a_whole_windows_1252_file_is_still_read_as_windows_1252(example, victim, clean):
    text = write_rows(read_rows(example)).decode("utf-8")
    result = ingest_bytes(text.encode("cp1252"), "cp1252.csv", victim)
    assert result.report.encoding == "cp1252"
    assert_frame_equal(result.frame, clean)
