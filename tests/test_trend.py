"""The Cochran-Armitage trend test and the base-weighted slope, checked by hand and against statsmodels."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import Table

from insight.figures.trend import FALLING, NO_CLEAR_TREND, RISING, trend_test
from tests.conftest import repeat, tidy


def overall_frame(victim, spec: dict[str, tuple[int, int]]):
    """period -> (satisfied, dissatisfied) answers to overall, and one Don't know per period."""
    rows = []
    for period, (pos, neg) in spec.items():
        rows += repeat({"period": period, "overall": "Very satisfied"}, pos)
        rows += repeat({"period": period, "overall": "Completely dissatisfied"}, neg)
        rows += repeat({"period": period, "overall": "Don't know"}, 1)
    return tidy(victim, rows)


def test_cochran_armitage_by_hand_with_a_gap(victim):
    # 40/100, 50/100, then nothing in March, then 60/100 in April: scores 0, 1 and 3 (the gap keeps its place);
    # the month held with only "Don't know" answers has no answers in the base and is left out.
    frame = overall_frame(victim, {"2019-01": (40, 60), "2019-02": (50, 50), "2019-03": (0, 0), "2019-04": (60, 40)})
    result = trend_test(frame, victim)
    # N = 300, p = 0.5, t_bar = (0 + 100 + 300) / 300 = 4/3
    # T = 40(-4/3) + 50(-1/3) + 60(5/3) = 30; Var = 0.25 * 100 * (16 + 1 + 25) / 9
    z = 30 / math.sqrt(0.25 * 100 * 42 / 9)
    assert result.periods == 3
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-12)
    # statsmodels' ordinal association test uses N - 1 in the variance: z_sm = z * sqrt((N - 1) / N)
    sm = Table(np.array([[40, 60], [50, 50], [60, 40]])).test_ordinal_association(
        row_scores=np.array([0, 1, 3]), col_scores=np.array([1, 0])
    )
    assert sm.zscore == pytest.approx(z * math.sqrt(299 / 300), rel=1e-9)
    # slope: sum n(t - t_bar)(y - y_bar) / sum n(t - t_bar)^2 = 100 * (40/3 + 50/3) / (100 * 42/9) = 45/7 points
    assert result.slope_pp == pytest.approx(45 / 7, rel=1e-12)
    weighted = np.polyfit([0, 1, 3], [40, 50, 60], 1, w=np.sqrt([100, 100, 100]))[0]
    assert result.slope_pp == pytest.approx(weighted, rel=1e-9)
    assert (result.first_pct, result.last_pct, result.significant, result.direction) == (40.0, 60.0, True, RISING)
    assert result.slope_per == "month"
    assert list(result.to_json()) == ["dataset", "aspect", "periods", "first_pct", "last_pct", "slope_pp",
                                      "p_value", "significant", "direction", "slope_per"]  # fmt: skip


def test_falling_flat_and_range(victim):
    frame = overall_frame(victim, {"2019-01": (70, 30), "2019-02": (60, 40), "2019-03": (45, 55)})
    assert trend_test(frame, victim).direction == FALLING
    assert trend_test(frame, victim).slope_pp == pytest.approx(-12.5)
    flat = overall_frame(victim, {"2019-01": (50, 50), "2019-02": (52, 48), "2019-03": (49, 51)})
    assert trend_test(flat, victim).direction == NO_CLEAR_TREND and trend_test(flat, victim).significant is False
    one = trend_test(frame, victim, period="2019-02..2019-03")
    assert (one.periods, one.first_pct) == (2, 60.0)


def test_a_period_below_the_minimum_base_shows_no_figure(victim):
    frame = overall_frame(victim, {"2019-01": (4, 4), "2019-02": (60, 40), "2019-03": (45, 55)})
    result = trend_test(frame, victim)
    assert result.periods == 3 and result.first_pct is None and result.last_pct == 45.0


def test_cli_trend(sample_store):
    from tests.test_cli import run

    out = run("trend", "public_confidence", "--format", "json", data_dir=sample_store)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["periods"] == 5 and payload["aspect"] == "confidence"
    ranged = json.loads(run("trend", "victim", "--period", "2019-01..2019-09", "--aspect", "feedback", "--format",
                            "json", data_dir=sample_store).stdout)  # fmt: skip
    assert ranged["periods"] == 9 and ranged["direction"] in (RISING, FALLING, NO_CLEAR_TREND)
    bad = run("trend", "victim", "--aspect", "nope", data_dir=sample_store)
    assert bad.returncode == 2 and "no aspect 'nope'" in bad.stderr
