from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insight.intake.tidy import ExportError, ingest_bytes, read_export, recognise
from tests.messy import read_rows, shuffle_and_pad, to_xlsx, vary_labels, write_rows

PII_VALUES = ("@example.org", "20BE/")


@pytest.fixture()
def victim_bytes(exports) -> bytes:
    return (exports / "victim_survey_example.csv").read_bytes()


@pytest.fixture()
def clean(victim_bytes, victim):
    result = ingest_bytes(victim_bytes, "victim_survey_example.csv", victim)
    assert result.report.ok, result.report.describe()
    return result.frame


def test_example_reads_whole_and_typed(clean, victim):
    assert clean.height == 40
    assert clean.schema["date"] == pl.Date
    assert isinstance(clean.schema["overall"], pl.Enum)
    assert clean.get_column("period").unique().to_list() == ["2019-09"]
    # curly "Don’t know" became the scale's own label
    assert "Don't know" in clean.get_column("initial_contact").cast(pl.String).to_list()


def test_pii_never_reaches_the_frame(clean):
    assert not {"Crime Reference", "Email Address"} & set(clean.columns)
    text = clean.select(pl.all().cast(pl.String)).write_csv()
    for value in PII_VALUES:
        assert value not in text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_give_the_same_frame(victim_bytes, victim, clean, encoding):
    data = write_rows(read_rows(victim_bytes), encoding=encoding)
    result = ingest_bytes(data, "x.csv", victim)
    assert result.report.ok, result.report.describe()
    assert_frame_equal(result.frame, clean)


def test_title_line_shuffled_padded_extra_columns_and_varied_labels(victim_bytes, victim, clean):
    rows = read_rows(victim_bytes)
    rows = vary_labels(rows, columns=list(range(5, 16)))
    data = write_rows(shuffle_and_pad(rows), encoding="cp1252", title=True)
    result = ingest_bytes(data, "messy.csv", victim)
    assert result.report.ok, result.report.describe()
    assert result.report.header_row == 3
    assert "Survey Version" in [c.strip() for c in result.report.ignored_columns]
    assert_frame_equal(result.frame, clean)


def test_xlsx_with_title_lines_and_numeric_cells(victim_bytes, victim, clean):
    result = ingest_bytes(to_xlsx(read_rows(victim_bytes)), "export.xlsx", victim)
    assert result.report.ok, result.report.describe()
    assert result.report.header_row == 3
    assert_frame_equal(result.frame, clean)


def test_unknown_labels_are_reported_with_row_column_value_and_allowed(victim_bytes, victim):
    rows = read_rows(victim_bytes)
    rows[3][5] = "Arson"  # Offence Group, third data row -> spreadsheet row 4
    rows[7][8] = "Quite happy"  # Q1
    result = ingest_bytes(write_rows(rows), "bad.csv", victim)
    problems = result.report.problems.sort("row")
    assert problems.select("row", "column", "value", "problem").rows() == [
        (4, "Offence Group", "Arson", "unknown label"),
        (8, rows[0][8], "Quite happy", "unknown answer"),
    ]
    assert "Burglary" in problems.get_column("allowed")[0]
    assert result.report.invalid_rows == 2
    assert result.frame.height == 38  # the valid rows, for --skip-invalid
    assert result.rejected.get_column("row").to_list() == [4, 8]


def test_unreadable_and_missing_dates_and_ids(victim_bytes, victim):
    rows = read_rows(victim_bytes)
    rows[1][1] = "2019-31-09"
    rows[2][1] = ""
    rows[3][0] = ""
    result = ingest_bytes(write_rows(rows), "bad.csv", victim)
    got = {(r["row"], r["problem"]) for r in result.report.problems.iter_rows(named=True)}
    assert got == {(2, "unreadable date"), (3, "missing date"), (4, "missing ID")}


def test_us_dates_are_not_misread(victim_bytes, victim):
    rows = read_rows(victim_bytes)
    rows[1][1] = "09/16/2019 17:17"  # month 16 cannot be a UK date
    result = ingest_bytes(write_rows(rows), "bad.csv", victim)
    assert result.report.problems.get_column("problem").to_list() == ["unreadable date"]


def test_duplicate_ids_inside_a_file(victim_bytes, victim):
    rows = read_rows(victim_bytes)
    rows.append(list(rows[5]))
    result = ingest_bytes(write_rows(rows), "dupe.csv", victim)
    problems = result.report.problems
    assert problems.height == 1
    assert problems["problem"][0] == "duplicate ID (first on row 6)"
    assert problems["row"][0] == len(rows)
    assert result.frame.height == 40


def test_missing_columns_reject_the_file(victim_bytes, victim):
    rows = [row[:12] + row[13:] for row in read_rows(victim_bytes)]  # drop Q5
    result = ingest_bytes(write_rows(rows), "short.csv", victim)
    assert result.report.missing_columns == [victim.questions["overall"].column]
    assert result.report.valid_rows == 0
    assert result.frame.height == 0


def test_error_messages_carry_no_pii(victim_bytes, victim):
    rows = read_rows(victim_bytes)
    rows[2][6] = "phoned 07700 900123 or me@home.net"  # PII typed into Contact Method
    result = ingest_bytes(write_rows(rows), "bad.csv", victim)
    text = result.report.describe() + result.rejected.write_csv()
    assert "07700 900123" not in text and "me@home.net" not in text
    assert "[phone]" in text
    for value in PII_VALUES:
        assert value not in text


def test_free_text_is_masked(victim_bytes, victim):
    rows = read_rows(victim_bytes)
    rows[1][16] = "Call me on 07700 900456 about 20BE/123456/19, or me@home.net, B15 2TT"
    result = ingest_bytes(write_rows(rows), "x.csv", victim)
    assert result.frame.get_column("comments")[0] == "Call me on [phone] about [crime ref], or [email], [postcode]"


def test_blank_lines_are_counted_not_kept(victim_bytes, victim):
    data = victim_bytes.replace(b"\nVS190900005", b"\n,,,,,,,,,,,,,,,,\nVS190900005")
    result = ingest_bytes(data, "x.csv", victim)
    assert result.report.ok and result.report.blank_rows == 1 and result.frame.height == 40


def test_not_an_export(victim):
    with pytest.raises(ExportError):
        ingest_bytes(b"", "empty.csv", victim)
    with pytest.raises(ExportError):
        ingest_bytes(b"PK\x03\x04garbage", "bad.xlsx", victim)


def test_recognises_which_dataset_a_file_is(exports, definitions):
    for name, dataset in [("victim_survey_example.csv", "victim"), ("wmnow_members_example.csv", "wmnow")]:
        data = (exports / name).read_bytes()
        assert recognise(read_export(data, name).columns, definitions)[0] == (dataset, 1.0)


def test_a_row_with_more_values_than_columns_is_named_not_truncated(victim_bytes, victim):
    rows = read_rows(victim_bytes)
    rows[6] = [*rows[6], "spilled over"]
    with pytest.raises(ExportError, match=r"has 18 values on row 7 but its header has 17 columns"):
        ingest_bytes(write_rows(rows), "ragged.csv", victim)
