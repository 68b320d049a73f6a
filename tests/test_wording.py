from __future__ import annotations

import re

from insight.config.definition import Suppression
from insight.display import wording


def row(**kw):
    base = {"status": "ok", "base": 950, "pct": 49.36, "ci_low": 46.2, "ci_high": 52.5, "previous_period": "2019-08",
            "change_pp": 2.1, "significant": False}  # fmt: skip
    return base | kw


def test_change_follows_the_test():
    assert wording.change(row()) == "up 2.1 points on August 2019, not a significant change"
    assert (
        wording.change(row(change_pp=-3.04, significant=True)) == "down 3.0 points on August 2019, a significant change"
    )
    assert wording.change(row(change_pp=1.0)) == "up 1.0 point on August 2019, not a significant change"
    assert wording.change(row(change_pp=0.01)).startswith("unchanged on August 2019")
    assert wording.change(row(previous_period=None, change_pp=None)) == "no previous period to compare with"
    assert wording.change(row(change_pp=None)) == "no comparison: too few responses in August 2019"
    assert wording.change(row(status="suppressed")) == "no comparison: too few responses this period"


def test_figure_never_shows_a_suppressed_percentage():
    assert wording.figure(row()) == "49.4% (base 950; 95% CI 46.2–52.5%)"
    hidden = wording.figure(row(status="suppressed", base=7, pct=None))
    assert "%" not in hidden and "7" in hidden


def test_caution_and_sentence():
    sup = Suppression()
    assert wording.caution(row(status="low_base"), sup) == "Treat with caution: fewer than 50 answered."
    assert wording.caution(row(), sup) is None
    assert wording.sentence("up 2.1 points on August 2019") == "Up 2.1 points on August 2019."


def test_variation():
    assert wording.variation("Treatment", {"periods": 13, "p_value": 0.41, "significant": False}) == (
        "Treatment has not varied significantly over the 13 periods."
    )
    # the method and its p-value go behind "about this figure"
    method = wording.variation_method("Treatment", {"periods": 13, "p_value": 0.41, "significant": False})
    assert method == "Treatment: chi-square test of homogeneity across 13 periods, p = 0.41."
    assert wording.p_value(0.0004) == "p < 0.001" and wording.p_value(0.0042) == "p = 0.004"
    assert "has varied significantly" in wording.variation("X", {"periods": 3, "p_value": 0.001, "significant": True})


def test_trend_and_gap_verdicts_leave_their_p_values_to_the_detail():
    from insight.figures.sign_ups import GapChange
    from insight.figures.trend import TrendTest

    rising = TrendTest("victim", "overall", 13, 40.0, 52.5, 1.04, 0.0031, True, "rising", "2018-09", "2019-09",
                       "month")  # fmt: skip
    assert wording.trend("Overall", rising) == (
        "Overall has risen from September 2018 to September 2019 (40.0% then 52.5%), about 1.0 points a month."
    )
    waves = TrendTest("ess", "trust", 11, 40.0, 52.5, 0.61, 0.0031, True, "rising", "2002-09", "2022-09", "year")
    assert wording.trend("Trust", waves).endswith("about 0.6 points a year.")
    assert wording.trend_method("Overall", rising) == (
        "Overall: Cochran-Armitage test for a linear trend, p = 0.003 (a trend when p < 0.05)."
    )
    flat = TrendTest("victim", "overall", 3, 29.2, 49.4, 10.1, 0.14, False, "none", "2019-07", "2019-09")
    said = wording.trend("Overall", flat)
    assert not re.search(r"\bp [=<]", said) and "neither risen nor fallen" in said
    untested = TrendTest("victim", "overall", 1, None, None, None, None, None, "none")
    assert wording.trend_method("Overall", untested) is None

    gap = GapChange("Aged 16-24", "2019-01", "2019-09", 5.0, 9.0, 12.0, -7.0, -3.0, 0.0004, True, False)
    said = wording.gap_change(gap)
    assert wording.gap_verdict(gap) == "Aged 16-24: narrower than at the start"  # two months: no trend to test
    assert said.endswith("3.0 points below the census in September 2019, a significant difference.")
    assert not re.search(r"\bp [=<]", said)
    assert wording.gap_change_method(gap) == (
        "Aged 16-24: two-sided two-proportion z-test of January 2019's share against September 2019's, "
        "p < 0.001 (significant when p < 0.05)."
    )
