from __future__ import annotations

import polars as pl
from scipy.stats import chi2_contingency

from insight.datasets import load_sample
from insight.display.tables import one_decimal
from insight.display.views import breakdown_order, matching_period, survey_responses, target_gaps, trend_view
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
    waves = ["2020-09..2021-01", "2022-12..2023-01"]  # fieldwork waves: a month means the wave starting in it
    assert matching_period("2022-12", waves) == "2022-12..2023-01" and matching_period("2023-01", waves) is None


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


def test_a_survey_tile_counts_its_own_responses_only(definitions):
    confidence = definitions["public_confidence"]
    frame = load_sample(confidence)
    assert frame is not None
    assert survey_responses(frame, confidence, None) is frame
    for survey in confidence.dimensions[confidence.split_by].groups:
        own = survey_responses(frame, confidence, survey)
        assert 0 < own.height < frame.height
        assert set(own.get_column(confidence.split_by).cast(pl.String)) == {survey}


def test_a_breakdown_keeps_age_bands_in_order_and_sorts_other_groups(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    by_age = satisfaction(frame, victim, by="age", aspects=["overall"])
    assert breakdown_order(by_age, victim, "age").equals(by_age)
    by_channel = satisfaction(frame, victim, by="channel_group", aspects=["overall"])
    shares = breakdown_order(by_channel, victim, "channel_group").get_column("pct").to_list()
    shown = [p for p in shares if p is not None]
    assert shown == sorted(shown, reverse=True) and shares[: len(shown)] == shown  # suppressed groups last


def test_targets_are_drawn_as_gaps_to_the_census(wmnow):
    series = pl.DataFrame(
        {"series": ["Aged 16-24", "Aged 16-24", "Ethnic minority groups"], "census_share": [15.0, 15.0, 40.5]}
    )
    assert target_gaps(series, wmnow) == {"Aged 16-24": 12 - 15.0, "Ethnic minority groups": 30 - 40.5}
    assert target_gaps(series.head(1), wmnow) == {"Aged 16-24": -3.0}  # no series, no target line


def test_presenter_tables_print_one_decimal_and_a_dash_for_none():
    frame = pl.DataFrame({"Group": ["a", "b"], "% positive": [62.7, None], "Base": [120, 8]})
    assert one_decimal(frame).rows() == [("a", "62.7", 120), ("b", "–", 8)]
