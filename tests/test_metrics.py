from __future__ import annotations

import dataclasses
import math

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from insight.config.layout import empty_frame
from insight.figures.metrics import (
    LOW_BASE,
    OK,
    SUPPRESSED,
    full_report,
    satisfaction,
    two_proportion_p_value,
    wilson_interval,
)


def responses(victim, spec: list[tuple[str, str, str | None, int]]) -> pl.DataFrame:
    """Build a tidy victim frame from (period, channel_group, overall answer, how many)."""
    rows = []
    n = 0
    channel = {"Phone": "999", "Online": "Online", "Live Chat": "Live Chat", "Front counter": "Front counter"}
    for period, group, answer, count in spec:
        for _ in range(count):
            rows.append({"id": f"R{n}", "period": period, "channel": channel[group], "channel_group": group,
                         "overall": answer})  # fmt: skip
            n += 1
    frame = pl.DataFrame(rows)
    template = empty_frame(victim)
    return (
        frame.with_columns(
            [pl.lit(None).cast(t).alias(c) for c, t in template.schema.items() if c not in frame.columns]
        )
        .select(template.columns)
        .cast(template.schema)
    )


@pytest.mark.parametrize(("x", "n"), [(469, 950), (0, 12), (12, 12), (7, 49), (355, 500), (1, 10)])
def test_wilson_matches_statsmodels(x, n):
    lo, hi = wilson_interval(pl.lit(x), pl.lit(n))
    lo, hi = pl.select(lo.alias("lo"), hi.alias("hi")).row(0)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert lo == pytest.approx(ref_lo * 100, abs=1e-9)
    assert hi == pytest.approx(ref_hi * 100, abs=1e-9)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(469, 950, 449, 950), (355, 500, 120, 270), (30, 60, 10, 50)])
def test_change_test_matches_statsmodels(x1, n1, x2, n2):
    _, p = proportions_ztest([x1, x2], [n1, n2])
    assert two_proportion_p_value(x1, n1, x2, n2) == pytest.approx(p, rel=1e-9)


def test_base_leaves_out_blank_and_dont_know(victim):
    frame = responses(victim, [
        ("2019-09", "Phone", "Very satisfied", 30), ("2019-09", "Phone", "Fairly dissatisfied", 20),
        ("2019-09", "Phone", "Don't know", 7), ("2019-09", "Phone", None, 5),
    ])  # fmt: skip
    row = satisfaction(frame, victim, aspects=["overall"]).row(0, named=True)
    assert (row["base"], row["positive"]) == (50, 30)
    assert row["pct"] == pytest.approx(60.0)
    assert row["status"] == OK


def test_status_thresholds_and_suppression(victim):
    frame = responses(victim, [
        ("2019-09", "Phone", "Very satisfied", 30), ("2019-09", "Phone", "Very dissatisfied", 19),  # 49: low base
        ("2019-09", "Online", "Very satisfied", 9),  # 9: suppressed
        ("2019-09", "Live Chat", "Very satisfied", 10),  # 10: shown, low base
        ("2019-09", "Front counter", "Very satisfied", 50),  # 50: ok
    ])  # fmt: skip
    out = satisfaction(frame, victim, aspects=["overall"], by="channel_group")
    by_group = {r["group"]: r for r in out.iter_rows(named=True)}
    assert by_group["Phone"]["status"] == LOW_BASE
    assert by_group["Live Chat"]["status"] == LOW_BASE
    assert by_group["Front counter"]["status"] == OK
    hidden = by_group["Online"]
    assert hidden["status"] == SUPPRESSED and hidden["base"] == 9
    assert (
        hidden["pct"] is None and hidden["positive"] is None and hidden["ci_low"] is None and hidden["ci_high"] is None
    )


def test_change_on_previous_period_by_hand(victim):
    frame = responses(victim, [
        ("2019-07", "Phone", "Very satisfied", 80), ("2019-07", "Phone", "Very dissatisfied", 20),
        ("2019-08", "Phone", "Very satisfied", 45), ("2019-08", "Phone", "Very dissatisfied", 55),
        ("2019-09", "Phone", "Very satisfied", 60), ("2019-09", "Phone", "Very dissatisfied", 40),
    ])  # fmt: skip
    row = satisfaction(frame, victim, aspects=["overall"], period="2019-09").row(0, named=True)
    assert row["previous_period"] == "2019-08"
    assert row["change_pp"] == pytest.approx(15.0)
    pooled = 105 / 200
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert row["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert row["significant"] is True
    assert satisfaction(frame, victim, aspects=["overall"], period="2019-07").row(0, named=True)["change_pp"] is None


def test_no_change_against_a_suppressed_period(victim):
    frame = responses(victim, [
        ("2019-08", "Phone", "Very satisfied", 5),
        ("2019-09", "Phone", "Very satisfied", 60), ("2019-09", "Phone", "Very dissatisfied", 40),
    ])  # fmt: skip
    row = satisfaction(frame, victim, aspects=["overall"]).row(0, named=True)
    assert row["previous_period"] == "2019-08"
    assert row["change_pp"] is None and row["p_value"] is None and row["significant"] is None


def test_secondary_suppression_hides_the_next_smallest(victim):
    strict = dataclasses.replace(victim, suppression=dataclasses.replace(victim.suppression, secondary=True))
    frame = responses(victim, [
        ("2019-09", "Phone", "Very satisfied", 40),
        ("2019-09", "Online", "Very satisfied", 4),  # primary
        ("2019-09", "Live Chat", "Very satisfied", 12),  # next smallest: secondary
        ("2019-09", "Front counter", "Very satisfied", 30),
    ])  # fmt: skip
    out = {
        r["group"]: r
        for r in satisfaction(frame, strict, aspects=["overall"], by="channel_group").iter_rows(named=True)
    }
    assert out["Online"]["status"] == SUPPRESSED and out["Live Chat"]["status"] == SUPPRESSED
    assert out["Live Chat"]["pct"] is None and out["Live Chat"]["positive"] is None
    assert out["Phone"]["pct"] == 100.0 and out["Front counter"]["status"] == LOW_BASE
    # without the secondary rule only the small group is hidden
    plain = {
        r["group"]: r
        for r in satisfaction(frame, victim, aspects=["overall"], by="channel_group").iter_rows(named=True)
    }
    assert plain["Live Chat"]["status"] == LOW_BASE


def test_two_suppressed_groups_whose_sum_is_small_hide_a_third(victim):
    # 4 + 3 = 7 hidden responses: the total less the groups shown would reveal their sum, so the next
    # smallest group is hidden too; two hidden groups of 6 and 5 (11 together) need nothing more.
    strict = dataclasses.replace(victim, suppression=dataclasses.replace(victim.suppression, secondary=True))

    def statuses(counts: dict[str, int]) -> dict[str, str]:
        frame = responses(victim, [("2019-09", g, "Very satisfied", n) for g, n in counts.items()])
        return {
            r["group"]: r["status"]
            for r in satisfaction(frame, strict, aspects=["overall"], by="channel_group").iter_rows(named=True)
        }

    small = statuses({"Phone": 40, "Online": 4, "Live Chat": 3, "Front counter": 12})
    assert small == {"Phone": LOW_BASE, "Online": SUPPRESSED, "Live Chat": SUPPRESSED, "Front counter": SUPPRESSED}
    enough = statuses({"Phone": 40, "Online": 6, "Live Chat": 5, "Front counter": 12})
    assert enough == {"Phone": LOW_BASE, "Online": SUPPRESSED, "Live Chat": SUPPRESSED, "Front counter": LOW_BASE}


@pytest.mark.parametrize(
    ("bases", "hidden", "expected"),
    [
        ([40, 4, 12, 30], [0, 1, 0, 0], [0, 1, 1, 0]),  # one hidden: the next smallest too
        ([40, 2, 3, 4, 30], [0, 1, 1, 0, 0], [0, 1, 1, 1, 1]),  # 5, then 9: still below 10, then 39
        ([40, 6, 5, 30], [0, 1, 1, 0], [0, 1, 1, 0]),  # 11 together: enough
        ([40, 0, 30], [0, 1, 0], [0, 0, 0]),  # a group with no answers reveals nothing
        ([5, 3], [1, 1], [1, 1]),  # nothing left to hide
    ],
)
def test_complementary_suppression_by_hand(bases, hidden, expected):
    from insight.figures.metrics import complementary_hidden

    assert complementary_hidden(bases, [bool(h) for h in hidden], 10) == [bool(e) for e in expected]


def test_full_report_agrees_with_single_breakdowns(victim, exports):
    from insight.intake.tidy import ingest_file

    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    report = full_report(frame, victim)
    assert set(report) == {None, *victim.dimensions}
    for dim in (None, "offence", "ethnicity"):
        single = satisfaction(frame, victim, by=dim, all_periods=True)
        assert report[dim].equals(single)
    # every response is counted once in each breakdown
    by_npu = report["npu"].filter(pl.col("aspect") == "overall")
    assert (
        by_npu.get_column("base").sum() == report[None].filter(pl.col("aspect") == "overall").get_column("base").item()
    )


@pytest.mark.parametrize(("x", "df"), [(0.5, 1), (3.84, 1), (10, 12), (25, 12), (100, 50), (1e-3, 3), (7, 2)])
def test_chi_square_tail_matches_scipy(x, df):
    from scipy.stats import chi2

    from insight.figures.metrics import chi_square_sf

    assert chi_square_sf(x, df) == pytest.approx(chi2.sf(x, df), rel=1e-9)


def test_variation_over_time_matches_a_contingency_test(victim):
    from scipy.stats import chi2_contingency

    from insight.figures.metrics import variation_over_time

    spec = [(p, n_pos, n_neg) for p, n_pos, n_neg in [("2019-07", 60, 40), ("2019-08", 45, 55), ("2019-09", 52, 48)]]
    frame = responses(
        victim,
        [(p, "Phone", "Very satisfied", a) for p, a, _ in spec]
        + [(p, "Phone", "Very dissatisfied", b) for p, _, b in spec],
    )
    trend = satisfaction(frame, victim, aspects=["overall"], all_periods=True)
    test = variation_over_time(trend).row(0, named=True)
    stat, p, _dof, _ = chi2_contingency([[a, b] for _, a, b in spec], correction=False)
    assert (test["periods"], test["statistic"], test["p_value"]) == (3, pytest.approx(stat), pytest.approx(p))
    assert test["significant"] is bool(p < 0.05)
