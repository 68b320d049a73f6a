"""WMNow sign-ups: joiners counted whether or not they later left; gaps tested for narrowing."""

from __future__ import annotations

from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportions_ztest

from insight.config.definition import DefinitionError
from insight.config.loader import load_config
from insight.figures.sign_ups import joiners_by_month, sign_up_gaps
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
