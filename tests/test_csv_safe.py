"""No formula injection: every CSV the app or the CLI writes goes through one writer that neutralises formulas."""

from __future__ import annotations

import csv
import io
import re

import polars as pl
import pytest

from insight.cli import _emit, main
from insight.intake.safe_csv import to_csv
from insight.store import Store
from tests.conftest import REPO
from tests.messy import read_rows, write_rows

HOSTILE = ["=1+1", "+44 121", "-5", "@SUM(A1:A9)", "\tx", "\rx", '=HYPERLINK("https://evil.example","Click")']
HARMLESS = ["ok", "5", "a=b", " =not at start", ""]


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_text_cells_that_start_a_formula_are_prefixed_numbers_are_not():
    frame = pl.DataFrame(
        {
            "text": [*HOSTILE, *HARMLESS, None],
            "number": [-5] * (len(HOSTILE) + len(HARMLESS) + 1),
            "share": [-2.5] * (len(HOSTILE) + len(HARMLESS) + 1),
        }
    ).with_columns(pl.col("text").alias("label").cast(pl.Categorical))
    out = rows_of(to_csv(frame))
    assert out[0] == ["text", "number", "share", "label"]
    texts = [r[0] for r in out[1:]]
    assert texts[: len(HOSTILE)] == ["'" + h for h in HOSTILE]
    assert texts[len(HOSTILE) : -1] == HARMLESS
    assert {r[1] for r in out[1:]} == {"-5"} and {r[2] for r in out[1:]} == {"-2.5"}, "numeric columns stay numbers"
    assert [r[3] for r in out[1:]] == texts, "categorical text is text too"


def test_a_text_column_that_looks_numeric_is_still_prefixed():
    assert rows_of(to_csv(pl.DataFrame({"change": ["-5", "+3", "2"]})))[1:] == [["'-5"], ["'+3"], ["2"]]


def test_the_cli_csv_format_is_safe():
    out = io.StringIO()
    _emit([{"group": "=cmd|' /C calc'!A0", "base": -5, "pct": None}], "csv", {}, out)
    assert rows_of(out.getvalue()) == [["group", "base", "pct"], ["'=cmd|' /C calc'!A0", "-5", ""]]


def test_cli_report_csv_keeps_numbers_as_numbers(exports, data_dir, capsys):
    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv")]) == 0
    capsys.readouterr()
    assert main(["report", "victim", "--format", "csv"]) == 0
    table = pl.read_csv(io.StringIO(capsys.readouterr().out))
    assert table.schema["base"] == pl.Int64 and table.height > 0


def test_the_rejects_file_is_formula_safe(exports, data_dir, victim):
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[3][5] = '=HYPERLINK("https://evil.example","Arson")'  # an unknown Offence Group label
    path = data_dir.parent / "bad.csv"
    path.write_bytes(write_rows(rows))
    assert main(["ingest", "victim", str(path), "--skip-invalid"]) == 0
    kept = list((data_dir / "rejected").glob("*.csv"))
    assert len(kept) == 1
    table = rows_of(kept[0].read_text())
    cells = [c for row in table[1:] for c in row]
    assert '\'=HYPERLINK("https://evil.example","Arson")' in cells
    assert not [c for c in cells if re.match(r"[=+\-@\t\r]", c)]
    assert Store(data_dir).read(victim).height == 39


def test_no_other_code_writes_csv():
    """One writer: nothing in the app or the CLI calls Polars' write_csv except insight/intake/safe_csv.py."""
    offenders = []
    for folder in ("insight", "app_pages"):
        for path in (REPO / folder).rglob("*.py"):
            # samples.py writes synthetic *exports* (input in the source system's layout), not output for users
            if path.name in ("safe_csv.py", "samples.py"):
                continue
            if re.search(r"\.write_csv\(|csv\.writer\(", path.read_text()):
                offenders.append(str(path.relative_to(REPO)))
    for path in [REPO / "app.py"]:
        if re.search(r"\.write_csv\(", path.read_text()):
            offenders.append("app.py")
    assert offenders == []


@pytest.mark.parametrize("value", HOSTILE)
def test_every_dangerous_start_is_caught(value):
    assert to_csv(pl.DataFrame({"v": [value]})).splitlines()[1].lstrip('"').startswith("'")
