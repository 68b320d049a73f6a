"""The board paper's sentence rules, and the statistics behind them, against independent oracles."""

from __future__ import annotations

import re

import polars as pl
import pytest
from statsmodels.stats.proportion import proportions_ztest

from insight.board.sections import pack_period, period_for, same_period_a_year_earlier
from insight.board.wording import (
    Comparison,
    TrendTest,
    change_sentence,
    gap_sentence,
    p_text,
    share,
    trend_sentence,
)
from insight.config.definition import Suppression
from insight.figures.sign_ups import gap_changes


def comparison(x1: int, n1: int, x2: int, n2: int, **extra) -> Comparison:
    p = proportions_ztest([x1, x2], [n1, n2])[1]  # the oracle decides, not the product
    return Comparison("Overall satisfaction", "2019-09", x1 / n1 * 100, n1, "2019-08", x2 / n2 * 100, n2, p, **extra)


def test_rose_and_fell_only_for_a_significant_change():
    up = change_sentence(comparison(560, 1000, 480, 1000))
    assert up.startswith("Overall satisfaction in September 2019 rose to 56.0% (base 1,000) from 48.0% in August 2019")
    assert "a significant change (p < 0.001)" in up
    down = change_sentence(comparison(480, 1000, 560, 1000))
    assert " fell to 48.0% " in down and "significant" in down


def test_a_change_the_test_calls_noise_is_stable():
    c = comparison(500, 1000, 480, 1000)
    assert c.p_value > 0.05
    said = change_sentence(c)
    assert "was stable at 50.0% (base 1,000) against 48.0% in August 2019 (base 1,000)" in said
    assert "up 2.0 points, a change within the margin of error (p = 0.371)" in said
    assert "significant" not in said and "rose" not in said


def test_low_base_is_flagged_and_suppressed_figures_never_shown():
    sup = Suppression(min_base=10, caution_base=50)
    row = {"status": "low_base", "pct": 58.3, "base": 12, "ci_low": 32.0, "ci_high": 80.7}
    assert share(row, sup) == "58.3% (base 12; 95% CI 32.0–80.7%) (treat with caution: fewer than 50 answered)"
    hidden = {"status": "suppressed", "pct": None, "base": 4, "ci_low": None, "ci_high": None}
    assert share(hidden, sup) == "not shown (fewer than 10 answered)"
    c = Comparison("Overall", "2019-09", None, 4, "2019-08", 60.0, 30, None)
    assert change_sentence(c) == "Overall in September 2019: not shown, too few answered to report or compare."
    earlier_hidden = Comparison("Overall", "2019-09", 60.0, 30, "2019-08", None, 4, None)
    assert "cannot be compared with August 2019: too few answered then" in change_sentence(earlier_hidden)


def test_trend_words_respect_the_test():
    flat = TrendTest("Overall", "2018-10", "2019-09", 12, 0.81, unit="months")
    assert trend_sentence(flat) == (
        "Overall was stable over the 12 months October 2018 to September 2019: "
        "its movements are within the margin of error (p = 0.810)."
    )
    falling = TrendTest("Overall", "2018-10", "2019-09", 12, 0.002, direction="down", unit="months")
    assert trend_sentence(falling) == (
        "Overall fell over the 12 months October 2018 to September 2019: "
        "a significant trend (Cochran–Armitage trend test, p = 0.002)."
    )
    rising = TrendTest("Overall", "2018-10", "2019-09", 12, 0.002, direction="up", method="Cochran–Armitage test")
    assert trend_sentence(rising).startswith("Overall rose over the 12 periods")


def test_gap_sentence_against_a_statsmodels_z_test():
    """Sign-up gaps: narrowing only when the first-to-last z-test says so."""
    rows = {
        "period": ["2018-10", "2019-09"], "stated": [500, 900], "in_groups": [25, 80], "series": ["Aged 16-24"] * 2,
    }  # fmt: skip
    series = (
        pl.DataFrame(rows)
        .with_columns((pl.col("in_groups") / pl.col("stated") * 100).alias("share"), pl.lit(15.8).alias("census_share"))
        .with_columns((pl.col("share") - pl.col("census_share")).alias("gap_pp"))
    )
    (change,) = gap_changes(series)
    p = proportions_ztest([25, 80], [500, 900])[1]
    assert change.p_value == pytest.approx(p, rel=1e-9) and p < 0.05
    assert gap_sentence("16-24s", change) == (
        "The gap for 16-24s: too few months over the 2 months October 2018 to September 2019 to test for a trend. "
        "First and last month: 10.8 points below the census in October 2018, 6.9 points below the census in "
        f"September 2019: a significant narrowing (p = {p:.3f})."
    )
    (flat,) = gap_changes(series.with_columns(pl.Series("in_groups", [25, 50]), pl.Series("share", [5.0, 50 / 9])))
    said = gap_sentence("16-24s", flat)
    assert "within the margin of error" in said and "significant" not in said and "narrowed" not in said


def test_gap_sentence_follows_the_shape_of_the_whole_range():
    """Flat for nine months, then a step up: the trend, the recent step and the ends, each by its own test."""
    from tests.test_sign_ups import step_series

    series, oracle = step_series()
    (change,) = gap_changes(series)
    said = gap_sentence("16-24s", change)
    assert f"narrowed over the 12 months October 2018 to September 2019: a significant trend (Cochran–Armitage " \
           f"trend test, {p_text(oracle['trend_p'])})" in said  # fmt: skip
    assert "The change is recent: about 10.0 points below the census before August 2019, 5.0 points below the " \
           "census since August 2019: a significant step" in said  # fmt: skip
    pieces = [x for x in re.split(r"(?<=\.)\s+(?=[A-Z])", said) if "significant" in x]
    assert pieces and all(re.search(r"p (=|<) 0\.0[0-4]", x) for x in pieces), pieces


def test_periods_for_the_pack(definitions):
    victim, confidence = definitions["victim"], definitions["public_confidence"]
    assert period_for(victim, "2019-09", ["2019-08", "2019-09"]) == "2019-09"
    assert period_for(victim, "2019-10", ["2019-08", "2019-09"]) is None
    assert period_for(victim, None, ["2019-08", "2019-09"]) == "2019-09"
    assert period_for(confidence, "2019-08", ["2019-Q2", "2019-Q3"]) == "2019-Q3"
    assert period_for(confidence, "2019-01", ["2019-Q2", "2019-Q3"]) is None
    # a month's pack shows each survey's period for the month, or its latest before it (and says so)
    assert pack_period(victim, "2019-10", ["2019-06", "2019-08"]) == "2019-08"
    assert pack_period(victim, "2019-05", ["2019-06", "2019-08"]) is None
    assert pack_period(confidence, "2019-11", ["2019-Q2", "2019-Q3"]) == "2019-Q3"
    assert pack_period(confidence, "2019-08", ["2019-Q2", "2019-Q3", "2019-Q4"]) == "2019-Q3"
    assert same_period_a_year_earlier("2019-09") == "2018-09"
    assert same_period_a_year_earlier("2019-Q3") == "2018-Q3"
