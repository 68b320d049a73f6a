"""Group comparisons checked against statsmodels' z-test and Holm adjustment."""

from __future__ import annotations

import dataclasses
import json

import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from insight.figures.compare import compare_groups, holm
from tests.conftest import repeat, tidy

CHANNEL = {"Phone": "999", "Online": "Online", "Live Chat": "Live Chat", "Front counter": "Front counter"}


def channel_frame(victim, counts: dict[str, tuple[int, int]], period: str = "2019-09"):
    """counts: group -> (satisfied, dissatisfied) answers to overall; one Don't know each (out of the base)."""
    rows = []
    for group, (pos, neg) in counts.items():
        who = {"period": period, "channel": CHANNEL[group], "channel_group": group}
        rows += repeat({**who, "overall": "Very satisfied"}, pos)
        rows += repeat({**who, "overall": "Very dissatisfied"}, neg)
        rows += repeat({**who, "overall": "Don't know"}, 1)
    return tidy(victim, rows)


COUNTS = {"Phone": (355, 145), "Online": (120, 150), "Live Chat": (50, 25), "Front counter": (3, 4)}


def test_each_group_against_the_rest_matches_statsmodels_and_holm(victim):
    frame = channel_frame(victim, COUNTS)
    result = compare_groups(frame, victim, by="channel_group")
    # Front counter (7 answers) is below the minimum base: no row, no test, but counted in everyone else's rest
    assert [r.group for r in result.rows] == ["Phone", "Online", "Live Chat"]
    total_x, total_n = sum(p for p, _ in COUNTS.values()), sum(p + q for p, q in COUNTS.values())
    expected_p = []
    for row in result.rows:
        x, n = COUNTS[row.group][0], sum(COUNTS[row.group])
        _, p = proportions_ztest([x, total_x - x], [n, total_n - n])
        expected_p.append(p)
        assert (row.base, row.rest_base) == (n, total_n - n)
        assert row.pct == pytest.approx(x / n * 100)
        assert row.rest_pct == pytest.approx((total_x - x) / (total_n - n) * 100)
        assert row.diff_pp == pytest.approx(row.pct - row.rest_pct)
        assert row.p_value == pytest.approx(p, rel=1e-9)
    reject, adjusted, _, _ = multipletests(expected_p, alpha=0.05, method="holm")
    assert [r.p_adjusted for r in result.rows] == pytest.approx(list(adjusted), rel=1e-9)
    assert [r.significant for r in result.rows] == list(reject)
    assert result.rows[2].significant is False and result.rows[0].significant is True  # Live Chat: not significant


@pytest.mark.parametrize("ps", [[0.01, 0.04, 0.03, 0.5], [0.2, 0.2, 0.001], [0.049], [0.9, 0.01, 0.02, 0.03, 0.04]])
def test_holm_matches_statsmodels(ps):
    assert holm(ps) == pytest.approx(list(multipletests(ps, method="holm")[1]), rel=1e-12)


def test_two_groups_against_each_other(victim):
    frame = channel_frame(victim, COUNTS)
    result = compare_groups(frame, victim, by="channel_group", groups=["Phone", "Online"])
    (row,) = result.rows
    _, p = proportions_ztest([355, 120], [500, 270])
    assert (row.group, row.base, row.rest_base) == ("Phone", 500, 270)
    assert row.rest_pct == pytest.approx(120 / 270 * 100)
    assert row.p_value == pytest.approx(p, rel=1e-9) and row.p_adjusted == row.p_value and row.significant
    with pytest.raises(ValueError, match="too few answers to compare Front counter"):
        compare_groups(frame, victim, by="channel_group", groups=["Phone", "Front counter"])
    with pytest.raises(ValueError, match="no group 'Bus'"):
        compare_groups(frame, victim, by="channel_group", groups=["Phone", "Bus"])


def test_secondary_suppression_hides_the_rest_and_every_hidden_group(victim):
    strict = dataclasses.replace(victim, suppression=dataclasses.replace(victim.suppression, secondary=True))
    counts = {"Phone": (40, 20), "Online": (3, 2), "Live Chat": (10, 5), "Front counter": (20, 20)}
    result = compare_groups(channel_frame(victim, counts), strict, by="channel_group")
    # Online (5) is suppressed, so Live Chat (15), the next smallest, is hidden too
    assert [r.group for r in result.rows] == ["Phone", "Front counter"]
    assert all(r.rest_base is None and r.rest_pct is None for r in result.rows)
    assert result.to_json()["rows"][0]["rest_pct"] is None
    # pct - diff_pp would give the rest's share back, so the difference goes too; the direction stays for words
    assert all(r.diff_pp is None for r in result.rows)
    assert [row["diff_pp"] for row in result.to_json()["rows"]] == [None, None]
    phone = result.rows[0]
    assert phone.above is (40 / 60 > (3 + 10 + 20) / (5 + 15 + 40)) and "above" not in result.to_json()["rows"][0]
    plain = compare_groups(channel_frame(victim, counts), victim, by="channel_group").rows[0]
    assert plain.diff_pp == pytest.approx(plain.pct - plain.rest_pct)  # without the rule the difference is given


def test_secondary_suppression_tests_nothing_while_the_total_is_hidden(victim):
    """Under a filter leaving out 4 people the total is hidden; a rest's share (from the p-value) would give them."""
    strict = dataclasses.replace(victim, suppression=dataclasses.replace(victim.suppression, secondary=True))
    counts = {"Phone": (40, 20), "Online": (30, 30), "Live Chat": (10, 5), "Front counter": (2, 1)}
    frame = channel_frame(victim, counts)
    almost = {"channel_group": ["Phone", "Online", "Live Chat"]}
    assert compare_groups(frame, strict, by="channel_group", filters=almost).rows == []
    assert compare_groups(frame, victim, by="channel_group", filters=almost).rows != []  # ordinary datasets test
    assert [r.group for r in compare_groups(frame, strict, by="channel_group").rows] == ["Phone", "Online"]


def test_a_range_pools_its_periods(victim):
    frame = channel_frame(victim, {"Phone": (30, 20), "Online": (10, 20)}, "2019-07").vstack(
        channel_frame(victim, {"Phone": (40, 10), "Online": (15, 15)}, "2019-08")
    )
    result = compare_groups(frame, victim, by="channel_group", period="2019-07..2019-08", groups=["Phone", "Online"])
    _, p = proportions_ztest([70, 25], [100, 60])
    assert result.period == "2019-07..2019-08" and result.rows[0].p_value == pytest.approx(p, rel=1e-9)


def test_cli_compare_json_keys_and_the_papers_phone_against_online(sample_store):
    from tests.test_cli import run

    out = run("compare", "victim", "--by", "channel_group", "--aspect", "initial_contact", "--groups",
              "Phone,Online", "--format", "json", data_dir=sample_store)  # fmt: skip
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert list(payload) == ["dataset", "period", "by", "aspect", "rows"]
    (row,) = payload["rows"]
    assert list(row) == ["group", "base", "pct", "rest_base", "rest_pct", "diff_pp", "p_value", "p_adjusted",
                         "significant"]  # fmt: skip
    assert (row["pct"], row["rest_pct"]) == (71.0, 44.4)  # the paper: Phone 71.0% against Online 44.4%
    x1, x2 = round(row["base"] * 0.71), round(row["rest_base"] * 0.444)
    assert row["p_value"] == pytest.approx(proportions_ztest([x1, x2], [row["base"], row["rest_base"]])[1], rel=1e-6)
    assert row["significant"] is True
    every = json.loads(run("compare", "victim", "--by", "channel_group", "--period", "2019-07..2019-09", "--format",
                           "json", data_dir=sample_store).stdout)  # fmt: skip
    assert every["period"] == "2019-07..2019-09" and every["aspect"] == "overall"
    bad = run("compare", "victim", "--by", "channel_group", "--groups", "Phone", data_dir=sample_store)
    assert bad.returncode == 2 and "two different groups" in bad.stderr
