"""WMNow sign-ups: joiners counted whether or not they later left; gaps tested for narrowing."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.proportion import proportions_ztest

from insight.config.definition import DefinitionError
from insight.config.loader import load_config
from insight.display import wording
from insight.figures.sign_ups import gap_changes, joiners_by_month, sign_up_gaps
from tests.conftest import repeat, tidy


def members(wmnow, spec: list[tuple[str, str, str, str, int]]):
    """(month joined, status, age, ethnicity, how many)."""
    rows = [r for p, s, a, e, n in spec for r in repeat({"period": p, "status": s, "age": a, "ethnicity": e}, n)]
    return tidy(wmnow, rows)


def test_joiners_include_members_who_since_left(wmnow):
    frame = members(wmnow, [
        ("2019-08", "Active", "16-24", "White", 30), ("2019-08", "Unsubscribed", "16-24", "Asian", 12),
        ("2019-08", "Active", "45-54", "White", 58), ("2019-09", "Active", "16-24", "White", 5),
        ("2019-09", "Unsubscribed", "25-34", "White", 3),
    ])  # fmt: skip
    joiners = {r["period"]: r for r in joiners_by_month(frame, wmnow).iter_rows(named=True)}
    assert (joiners["2019-08"]["joined"], joiners["2019-08"]["since_left"], joiners["2019-08"]["still_members"]) == (
        100, 12, 88,
    )  # fmt: skip
    # 8 joiners is below the minimum base: the split is not shown
    assert joiners["2019-09"]["joined"] == 8 and joiners["2019-09"]["since_left"] is None


def test_gap_narrowing_matches_a_two_proportion_z_test(wmnow):
    frame = members(wmnow, [
        ("2019-01", "Active", "16-24", "White", 10), ("2019-01", "Active", "45-54", "White", 190),
        ("2019-05", "Active", "16-24", "White", 20), ("2019-05", "Unsubscribed", "16-24", "Asian", 10),
        ("2019-05", "Active", "45-54", "White", 170),
    ])  # fmt: skip
    _, changes = sign_up_gaps(frame, wmnow, load_config().census)
    young = next(c for c in changes if c.series == "Aged 16-24")
    # unsubscribed joiners count: 30 of 200 in May, against 10 of 200 in January
    assert (young.first_share, young.last_share) == (pytest.approx(5.0), pytest.approx(15.0))
    assert young.p_value == pytest.approx(proportions_ztest([10, 30], [200, 200])[1], rel=1e-9)
    assert young.narrowed and not young.widened  # the census is 15.8% of residents aged 16+
    minority = next(c for c in changes if c.series == "Ethnic minority groups")
    assert minority.p_value == pytest.approx(proportions_ztest([0, 10], [200, 200])[1], rel=1e-9)
    only_may = sign_up_gaps(frame, wmnow, load_config().census, first="2019-05")[1]
    assert only_may == []  # one month shown: nothing to compare


def test_targets_are_checked(tmp_path: Path, wmnow):
    from tests.test_definition import copy_config

    assert wmnow.targets == {"Aged 16-24": 12.0, "Ethnic minority groups": 30.0}
    for old, new, message in [
        ("Aged 16-24: 12", "Aged 16-24: 120", r"targets\.Aged 16-24: expected a percentage from 0 to 100"),
        ("Aged 16-24: 12", "Over 75s: 12", r"targets\.Over 75s: targets are set for"),
    ]:
        config = copy_config(tmp_path / new.split(":")[0].replace(" ", "_"))
        path = config / "surveys" / "wmnow.yaml"
        path.write_text(path.read_text().replace(old, new, 1))
        with pytest.raises(DefinitionError, match=message):
            load_config(config)


MONTHS = [f"2018-{m}" for m in ("10", "11", "12")] + [f"2019-{m:02d}" for m in range(1, 10)]


def step_series(after: tuple[int, int] = (54, 54), before: tuple[int, ...] = (29, 31, 27, 30, 28, 29, 32, 26, 29, 29)):
    """Sign-ups who stated their age (500 a month) and 16-24s among them: flat for ten months, then a step in
    August and September 2019 (census 15.8%); and what statsmodels makes of it."""
    in_groups = [*before, *after]
    series = (
        pl.DataFrame({"period": MONTHS, "in_groups": in_groups, "stated": [500] * 12, "series": ["Aged 16-24"] * 12})
        .with_columns((pl.col("in_groups") / pl.col("stated") * 100).alias("share"), pl.lit(15.8).alias("census_share"))
        .with_columns((pl.col("share") - pl.col("census_share")).alias("gap_pp"))
    )
    n = 500 * 12

    def armitage(counts: list[int], scores: list[int]) -> float:
        table = np.array([[x, 500 - x] for x in counts])
        sm = Table(table).test_ordinal_association(row_scores=np.array(scores), col_scores=np.array([1, 0]))
        total = 500 * len(counts)  # statsmodels divides by N - 1, the classic test by N
        z = sm.zscore * math.sqrt(total / (total - 1))
        return math.erfc(abs(z) / math.sqrt(2))

    # The step: every split leaving the last 1, 2 or 3 months after it, the largest difference, times 3 (Bonferroni)
    splits = [proportions_ztest([sum(in_groups[-k:]), sum(in_groups[:-k])], [500 * k, 500 * (12 - k)])[1]
              for k in (1, 2, 3)]  # fmt: skip
    k = 1 + int(np.argmin(splits))
    oracle = {
        "trend_p": armitage(in_groups, [*range(12)]),
        "step_p": min(1.0, 3 * min(splits)),
        "step_months": k,
        "before_trend_p": armitage(in_groups[:-k], [*range(12 - k)]),
        "first_last_p": proportions_ztest([in_groups[0], in_groups[-1]], [500, 500])[1],
    }
    assert n == int(series.get_column("stated").sum())
    return series, oracle


def test_a_recent_step_after_flat_months_is_said_to_be_recent():
    """The shape of the whole range: a trend test over every month, a recent step, the first against the last."""
    series, oracle = step_series()
    (change,) = gap_changes(series)
    assert change.months == 12
    assert change.trend_p == pytest.approx(oracle["trend_p"], rel=1e-9) and change.trend_towards
    assert oracle["step_months"] == 2 and change.step_since == "2019-08"
    assert change.step_p == pytest.approx(oracle["step_p"], rel=1e-9) and change.step_p < 0.05
    assert change.before_trend_p == pytest.approx(oracle["before_trend_p"], rel=1e-9) and change.before_trend_p > 0.05
    assert change.p_value == pytest.approx(oracle["first_last_p"], rel=1e-9)
    assert (change.before_gap_pp, change.after_gap_pp) == (pytest.approx(-10.0), pytest.approx(-5.0))
    assert change.recent and change.verdict == "narrowing, recently"
    said = wording.gap_change(change)
    assert said.startswith("Over the 12 months October 2018 to September 2019 the gap has narrowed significantly.")
    assert "The change is recent: about 10.0 points below the census before August 2019, 5.0 points below the " \
           "census since August 2019." in said  # fmt: skip
    assert not re.search(r"\bp [=<]", said)  # p-values only under "About this figure"
    assert "Bonferroni" in (wording.gap_change_method(change) or "")


def test_a_steady_trend_is_not_called_recent_and_flat_months_are_not_closing():
    steady = tuple(20 + 3 * i for i in range(10))
    (change,) = gap_changes(step_series(after=(50, 53), before=steady)[0])
    assert change.trend_significant and change.trend_towards and not change.recent
    assert change.verdict == "narrowing" and "recent" not in wording.gap_change(change)
    (flat,) = gap_changes(step_series(after=(29, 30))[0])
    assert not flat.trend_significant and not flat.recent and flat.verdict == "not closing"
    assert "shows no significant trend" in wording.gap_change(flat)
    (away,) = gap_changes(step_series(after=(10, 9))[0])
    assert away.recent and away.verdict == "widening, recently"
