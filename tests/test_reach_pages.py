"""Reach on the Trends page (AppTest): who is surveyed and who answers, and the surveys' response rates side by
side, with the words the tests allow; figures checked against the sample's own counts and statsmodels."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportions_ztest

from tests.test_app import app, texts
from tests.test_reach import CALLS_101

pytestmark = pytest.mark.usefixtures("data_dir")


def frames(at):
    return [d.value for d in at.dataframe]


def test_101_reach_says_the_fall_since_march_and_lists_every_month():
    at = app("app_pages/trends.py", dataset="caller_101", view="reach")
    assert not at.exception, at.exception
    assert at.header[0].value == "Who is surveyed and who answers"  # the view the link names comes first
    body = texts(at)
    assert "Responses to the 101 caller survey have fallen significantly since March 2019: about 20 a month" in body
    table = next(f for f in frames(at) if "Answered" in f.columns)
    assert table["Answered"].tolist() == CALLS_101
    assert table["Sent"].tolist() == [540, 498, 305, 212, 96, 50]
    assert table["Response rate %"].round(1).tolist() == [
        round(r / n * 100, 1) for r, n in zip(CALLS_101, [540, 498, 305, 212, 96, 50], strict=True)
    ]


def test_victim_reach_reads_like_the_paper_and_sets_rates_side_by_side():
    at = app("app_pages/trends.py", dataset="victim", view="reach")
    assert not at.exception, at.exception
    body = texts(at)
    assert "The response rate to the Victim satisfaction survey remains at around 10%" in body
    table = next(f for f in frames(at) if "Reachable by email %" in f.columns)
    september = table[table["Month"] == "September 2019"].iloc[0]
    assert (september["Crimes in scope"], september["Sent"], september["Excluded: no email address"]) == (
        21980,
        9893,
        8352,
    )
    in_funnel = 21980 - 1318 - 1978
    assert september["Reachable by email %"] == pytest.approx((in_funnel - 8352) / in_funnel * 100)
    # the rates view: every survey with invitations, Live Chat against 101 by the z-test in their latest common month
    rates = next(f for f in frames(at) if "Survey" in f.columns and "Response rate %" in f.columns)
    assert set(rates["Survey"]) == {"Victim satisfaction survey", "101 caller survey", "Live Chat feedback"}
    june = rates[rates["Month"] == "June 2019"].set_index("Survey")
    chat = june.loc["Live Chat feedback"]
    _, p = proportions_ztest([chat["Answered"], 12], [chat["Sent"], 50])
    said = (
        f"In June 2019 the response rate to the 101 caller survey, 24.0% (12 of 50), was significantly lower than to "
        f"the Live Chat feedback, {chat['Response rate %']:.1f}% ({chat['Answered']:,} of {chat['Sent']:,}) "
        f"(p = {p:.3f})."
    )
    assert p < 0.05 and said in body
