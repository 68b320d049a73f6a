from __future__ import annotations

import polars as pl
from scipy.stats import chi2_contingency

from insight.display.views import matching_period, trend_view
from insight.figures.metrics import satisfaction
from insight.intake.tidy import ingest_file


def test_a_chosen_period_means_the_matching_period_of_each_survey():
    months = ["2019-07", "2019-08", "2019-09"]
    quarters = ["2019-Q2", "2019-Q3"]
    assert matching_period("2019-08", months) == "2019-08"
    assert matching_period("2019-08", quarters) == "2019-Q3"  # the quarter containing the month
    assert matching_period("2019-05", quarters) == "2019-Q2"
    assert matching_period("2019-12", quarters) is None  # not held: said, not replaced by another
    assert matching_period("2019-Q3", months) == "2019-09"  # the latest month of the quarter held
    assert matching_period("2019-Q1", months) is None
    assert matching_period(None, months) == "2019-09" and matching_period("2019-08", []) is None


def test_trend_view_honours_aspect_breakdown_and_period(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    # a second, earlier period so there is a trend to cut
    earlier = frame.with_columns(pl.lit("2019-08").alias("period"), (pl.col("id") + "-a").alias("id"))
    both = pl.concat([earlier, frame])
    trend, tests = trend_view(both, victim, aspects=["initial_contact"], by="channel_group")
    assert set(trend.get_column("aspect")) == {"initial_contact"}
    assert set(trend.get_column("period")) == {"2019-08", "2019-09"}
    expected = satisfaction(both, victim, all_periods=True, by="channel_group", aspects=["initial_contact"])
    assert trend.equals(expected)
    cut, _ = trend_view(both, victim, aspects=["initial_contact"], by="channel_group", up_to="2019-08")
    assert set(cut.get_column("period")) == {"2019-08"}
    # one test per line drawn, each against scipy on that group's own counts
    for test in tests.iter_rows(named=True):
        part = trend.filter((pl.col("group") == test["group"]) & (pl.col("status") != "suppressed"))
        if test["p_value"] is None:
            continue
        table = [part.get_column("positive").to_list(), (part["base"] - part["positive"]).to_list()]
        assert abs(chi2_contingency(table, correction=False)[1] - test["p_value"]) < 1e-9
    assert set(tests.get_column("group")) == set(trend.get_column("group"))
