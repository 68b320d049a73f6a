"""Ranges of periods: parsing, the range before, and figures that count a range's responses together."""

from __future__ import annotations

import json

import pytest
from statsmodels.stats.proportion import proportions_ztest

from insight.figures.metrics import satisfaction
from insight.periods import financial_year_start, last_n, parse_range, period_label
from tests.conftest import repeat, tidy
from tests.test_cli import run


def test_parse_and_the_range_before():
    span = parse_range(" 2019-07..2019-09 ", "month")
    assert (span.text, span.periods, span.before().text) == ("2019-07..2019-09", ["2019-07", "2019-08", "2019-09"],
                                                             "2019-04..2019-06")  # fmt: skip
    assert parse_range("2019-01..2019-01", "month").text == "2019-01"
    assert parse_range("2018-12..2019-02", "month").before().text == "2018-09..2018-11"  # across a year end
    assert parse_range("2019-q1..2019-q2", "quarter").before().text == "2018-Q3..2018-Q4"
    assert parse_range("2019-Q2", "quarter").months() == ["2019-04", "2019-05", "2019-06"]
    assert period_label("2019-07..2019-09") == "July \u2013 September 2019"
    for bad, message in [("2019-09..2019-07", "ends before"), ("2019-7", "write it like 2019-09"),
                         ("2019-01..2019-02..2019-03", "FIRST..LAST")]:  # fmt: skip
        with pytest.raises(ValueError, match=message):
            parse_range(bad, "month")


def test_whole_quarters_and_financial_years():
    whole = ["2019-09", "2019-07..2019-09", "2019-04..2020-03", "2018-10..2018-12"]
    assert all(parse_range(t, "month").is_whole_quarters_or_year() for t in whole)
    partial = ["2019-07..2019-08", "2019-08..2019-10", "2019-01..2019-12", "2019-04..2019-09"]
    assert not any(parse_range(t, "month").is_whole_quarters_or_year() for t in partial)
    assert parse_range("2019-Q2..2020-Q1", "quarter").is_whole_quarters_or_year()
    assert financial_year_start("2020-02", "month") == financial_year_start("2019-04", "month") == "2019-04"
    assert last_n("2019-02", 3, "month").text == "2018-12..2019-02"


def test_a_range_counts_responses_together_and_compares_with_the_range_before(victim):
    spec = {"2019-04": (30, 20), "2019-05": (10, 10), "2019-07": (40, 10), "2019-08": (20, 30), "2019-09": (35, 15)}
    rows = []
    for period, (pos, neg) in spec.items():
        rows += repeat({"period": period, "overall": "Fairly satisfied"}, pos)
        rows += repeat({"period": period, "overall": "Fairly dissatisfied"}, neg)
    frame = tidy(victim, rows)
    row = satisfaction(frame, victim, period="2019-07..2019-09", aspects=["overall"]).row(0, named=True)
    assert (row["period"], row["base"], row["positive"]) == ("2019-07..2019-09", 150, 95)
    # the three months before, 2019-04..2019-06 (June has no data): 40 of 70
    assert row["previous_period"] == "2019-04..2019-06"
    assert row["change_pp"] == pytest.approx(95 / 150 * 100 - 40 / 70 * 100)
    assert row["p_value"] == pytest.approx(proportions_ztest([95, 40], [150, 70])[1], rel=1e-9)
    # no data in the range before: no change
    alone = satisfaction(frame, victim, period="2019-04..2019-05", aspects=["overall"]).row(0, named=True)
    assert alone["base"] == 70 and alone["previous_period"] is None and alone["change_pp"] is None


def test_every_command_takes_and_echoes_a_range(sample_store):
    commands = [("report", []), ("validity", []), ("themes", []), ("represent", ["--by", "age"]),
                ("compare", ["--by", "age"]), ("answers", ["--aspect", "overall"]), ("drivers", [])]  # fmt: skip
    for command, extra in commands:
        out = run(command, "victim", "--period", "2019-07..2019-09", "--format", "json", *extra, data_dir=sample_store)
        assert out.returncode == 0, (command, out.stderr)
        assert json.loads(out.stdout)["period"] == "2019-07..2019-09", command
    months = [json.loads(run("validity", "caller_101", "--period", p, "--format", "json", data_dir=sample_store).stdout)
              for p in ("2019-04", "2019-05", "2019-06")]  # fmt: skip
    pooled = json.loads(run("validity", "caller_101", "--period", "2019-04..2019-06", "--format", "json",
                            data_dir=sample_store).stdout)  # fmt: skip
    for key in ("responses", "invitations", "contacts"):
        assert pooled[key] == sum(m[key] for m in months)


def test_domestic_abuse_takes_only_whole_quarters_or_financial_years(sample_store):
    bad = run("report", "domestic_abuse", "--period", "2019-07..2019-08", data_dir=sample_store)
    assert bad.returncode == 2 and "whole quarter or a financial year" in bad.stderr
    for good in ("2019-07..2019-09", "2018-04..2019-03", "2019-08"):
        out = run("report", "domestic_abuse", "--period", good, "--format", "json", data_dir=sample_store)
        assert out.returncode == 0 and json.loads(out.stdout)["period"] == good


def test_picker_choices_resolve_to_ranges():
    from insight.periods import choice_for, financial_years, resolve_choice, whole_quarters

    held = ["2019-08", "2019-02", "2018-04"]
    assert [q.text for q in whole_quarters(held, "month")] == ["2019-01..2019-03", "2018-04..2018-06"]  # Q3 partial
    assert [y.text for y in financial_years(held, "month")] == ["2018-04..2019-03"]  # 2019-20 not complete
    assert resolve_choice("last3", "2019-08", "month").text == "2019-06..2019-08"
    assert resolve_choice("fytd", "2019-02", "month").text == "2018-04..2019-02"
    assert resolve_choice("last12", "2019-Q3", "quarter").text == "2016-Q4..2019-Q3"
    assert choice_for(parse_range("2019-07..2019-09", "month"), secondary=True) == "quarter"
    assert choice_for(parse_range("2018-04..2019-03", "month"), secondary=True) == "year"
    assert choice_for(parse_range("2019-07..2019-09", "month"), secondary=False) == "custom"
