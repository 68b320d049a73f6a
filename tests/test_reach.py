"""Reach: the victim survey's funnel as its volumes, response rates and response counts over time, and several
surveys' response rates side by side; checked by hand and against statsmodels and scipy."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import proportions_ztest

from insight.config.files import ConfigError
from insight.config.loader import load_config
from insight.figures.reach import (
    compare_rates,
    count_trend,
    monthly_reach,
    overdispersed_trend,
    poisson_trend,
    rate_trend,
    response_trends,
    side_by_side,
    step_test,
)
from insight.figures.trend import FALLING, NO_CLEAR_TREND, cochran_armitage
from insight.intake.volumes import VolumesError, read_volumes, recognise_volumes
from insight.store import Store
from tests.conftest import copy_config
from tests.test_cli import run

# The paper's 101 responses, January to June 2019 ("a decline in the number of responses since March 2019").
CALLS_101 = [64, 58, 35, 24, 11, 12]
MONTHS_101 = ["2019-01", "2019-02", "2019-03", "2019-04", "2019-05", "2019-06"]
FUNNEL = (
    b"Month,Crimes in scope,Excluded: under 16,Excluded: vulnerable,Excluded: no email address,Excluded: opted out,"
    b"Surveys sent\n"
)


def glm(y, x, scale):
    return sm.GLM(np.array(y, float), sm.add_constant(np.array(x, float)), family=sm.families.Poisson()).fit(
        scale=scale
    )


# --------------------------------------------------------------------------- the count's trend


def test_poisson_trend_is_statsmodels_quasi_poisson():
    # 101: dispersion 1.025 (X² / (n - 2) above 1, so it scales the variance)
    slope, z, p, phi = poisson_trend(range(6), CALLS_101)
    fit = glm(CALLS_101, range(6), "X2")
    assert slope == pytest.approx(fit.params[1], rel=1e-9)
    assert phi == pytest.approx(fit.scale, rel=1e-9) and phi > 1
    assert p == pytest.approx(fit.pvalues[1], rel=1e-6)
    assert z == pytest.approx(fit.tvalues[1], rel=1e-9)
    # counts swinging far more than a Poisson count (dispersion about 15): no trend is claimed
    swinging = [1000, 1250, 990, 1230, 1060, 1290, 1110]
    _, _, p_wide, phi_wide = poisson_trend(range(7), swinging)
    wide = glm(swinging, range(7), "X2")
    assert phi_wide == pytest.approx(wide.scale, rel=1e-9) and phi_wide > 10
    assert p_wide == pytest.approx(wide.pvalues[1], rel=1e-6) and p_wide > 0.05
    assert glm(swinging, range(7), 1.0).pvalues[1] < 0.05  # a plain Poisson test would have called it a trend
    # counts steadier than Poisson: the variance is never shrunk below Poisson's (phi = 1)
    steady = [100, 101, 99, 100, 102]
    _, _, p_steady, phi_steady = poisson_trend(range(5), steady)
    assert glm(steady, range(5), "X2").scale < 1 and phi_steady == 1.0
    assert p_steady == pytest.approx(glm(steady, range(5), 1.0).pvalues[1], rel=1e-6)
    with pytest.raises(ValueError):
        poisson_trend([0, 1], [5, 6])  # two periods: no dispersion can be estimated


def test_a_step_is_statsmodels_with_an_indicator():
    for k in range(1, 6):
        log_ratio, p = step_test(CALLS_101, k)
        fit = glm(CALLS_101, [0] * k + [1] * (6 - k), "X2")
        if fit.scale < 1:  # the variance is never shrunk below Poisson's
            fit = glm(CALLS_101, [0] * k + [1] * (6 - k), 1.0)
        assert log_ratio == pytest.approx(fit.params[1], rel=1e-9)
        assert p == pytest.approx(fit.pvalues[1], rel=1e-6)
    assert step_test([0, 0, 3, 4], 2) is None  # a side with no count at all: no ratio


def test_101_responses_have_fallen_significantly_since_march_2019():
    t = count_trend(MONTHS_101, CALLS_101, "month")
    assert (t.direction, t.significant, t.per) == (FALLING, True, "month")
    # since when: the earliest split significant after Bonferroni over the 5 splits; February's (64 | 58, 35, ...)
    # is not (p = 0.136 x 5), March's (64, 58 | 35, 24, 11, 12) is
    p_feb, p_mar = step_test(CALLS_101, 1)[1], step_test(CALLS_101, 2)[1]
    assert p_feb * 5 > 0.05 and p_mar * 5 < 0.05
    assert t.step is not None and t.step.since == "2019-03"
    assert (t.step.before_mean, t.step.after_mean) == ((64 + 58) / 2, (35 + 24 + 11 + 12) / 4)
    assert t.step.p_adjusted == pytest.approx(p_mar * 5)
    assert t.ratio_per == pytest.approx(math.exp(glm(CALLS_101, range(6), "X2").params[1]))
    flat = count_trend(MONTHS_101, [30, 32, 29, 31, 30, 33], "month")
    assert (flat.direction, flat.step) == (NO_CLEAR_TREND, None)
    short = count_trend(MONTHS_101[:2], [64, 12], "month")
    assert short.p_value is None and short.direction == NO_CLEAR_TREND


# --------------------------------------------------------------------------- the rate's trend


def test_rate_trend_scales_cochran_armitage_by_the_departure_from_a_line():
    scores, responses, invited = [0, 1, 2, 3, 4], [400, 520, 380, 540, 410], [1000] * 5
    z, p, phi = overdispersed_trend(scores, responses, invited)
    z_ca, _ = cochran_armitage(scores, responses, invited)
    assert z == z_ca
    table = np.array([[x, n - x] for x, n in zip(responses, invited, strict=True)])
    homogeneity = chi2_contingency(table, correction=False)[0]  # scipy's Pearson chi-square over the 5 months
    assert phi == pytest.approx((homogeneity - z * z) / 3, rel=1e-9) and phi > 1
    assert p == pytest.approx(math.erfc(abs(z) / math.sqrt(2 * phi)), rel=1e-12)
    # months on a straight line: no departure, phi = 1, the plain Cochran-Armitage test
    _, p_line, phi_line = overdispersed_trend([0, 1, 2], [100, 110, 120], [1000, 1000, 1000])
    assert phi_line == 1.0 and p_line == pytest.approx(cochran_armitage([0, 1, 2], [100, 110, 120], [1000] * 3)[1])


# --------------------------------------------------------------------------- volumes files with a funnel


def test_the_funnel_export_is_the_victim_survey_volumes(exports, definitions):
    data = (exports / "victim_survey_funnel_example.csv").read_bytes()
    months = read_volumes(data, "funnel.csv", definitions["victim"])
    assert months.columns == ["period", "contacts", "invitations", "under_16", "vulnerable", "no_email", "opted_out"]
    assert months.row(0) == ("2019-07", 21840, 9830, 1310, 1965, 8299, 436)
    assert recognise_volumes(data.decode().splitlines()[0].split(","), definitions) == "victim"


def test_a_funnel_that_does_not_add_up_is_refused_in_one_sentence(definitions, tmp_path):
    victim = definitions["victim"]
    over = FUNNEL + b"Sep 2019,100,10,10,50,10,30\n"  # 110 excluded or sent, from 100 in scope
    with pytest.raises(VolumesError, match=r"add up to 110, more than the 100 crimes in scope"):
        read_volumes(over, "f.csv", victim)
    with pytest.raises(VolumesError, match="whole numbers, 0 or more"):
        read_volumes(FUNNEL + b"Sep 2019,100,-5,10,50,10,30\n", "f.csv", victim)
    fewer = read_volumes(FUNNEL + b"Sep 2019,100,10,10,40,10,20\n", "f.csv", victim)  # 10 left for other reasons
    assert fewer.row(0)[:3] == ("2019-09", 100, 20)
    bad = tmp_path / "over.csv"
    bad.write_bytes(over)
    out = run("ingest", "victim", "--volumes", str(bad), data_dir=tmp_path / "store")
    assert out.returncode == 1 and out.stderr.count("\n") == 2 and "Nothing was imported" in out.stderr
    assert not (tmp_path / "store" / "volumes").exists()


def test_a_volumes_table_gains_the_funnel_counts_and_keeps_older_months(definitions, tmp_path):
    """A store holding months of the victim volumes written before the funnel (surveys sent only) takes the
    funnel: its count columns are added, the older months keep their figures with the counts unknown."""
    store = Store(tmp_path)
    old = pl.DataFrame({"period": ["2019-06"], "contacts": [None], "invitations": [4623]}, schema_overrides={
        "contacts": pl.Int64})  # fmt: skip
    store.import_volumes("victim", old, file_name="sent.csv", sha256="a", user="cli:test")
    victim = definitions["victim"]
    funnel = read_volumes(FUNNEL + b"Sep 2019,21980,1318,1978,8352,439,9893\n", "f.csv", victim)
    record = store.import_volumes("victim", funnel, file_name="funnel.csv", sha256="b", user="cli:test")
    assert (record.new, record.updated) == (1, 0)
    held = store.read_volumes(victim)
    assert held.rows() == [("2019-06", None, 4623, None, None, None, None),
                           ("2019-09", 21980, 9893, 1318, 1978, 8352, 439)]  # fmt: skip
    again = read_volumes(FUNNEL + b"Sep 2019,21980,1318,1978,8352,440,9892\n", "f2.csv", victim)
    assert store.import_volumes("victim", again, file_name="f2.csv", sha256="c", user="cli:t").updated == 1
    assert store.read_volumes(victim).row(1)[-1] == 440
    store.undo("victim", volumes=True, user="cli:test")
    assert store.read_volumes(victim).row(1)[-1] == 439


def test_counts_in_a_definition_are_checked(tmp_path):
    config = copy_config(tmp_path)
    path = config / "surveys" / "caller_101.yaml"
    text = path.read_text()
    bad = text.replace(
        "  contacts_label: calls\n",
        "  contacts_label: calls\n  counts:\n    period: {column: X}\n    busy: {column: Busy, reach: got through}\n",
    )
    path.write_text(bad)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    said = str(caught.value)
    assert "volumes.counts.period: name a count" in said
    assert "volumes.counts.busy.reach: only an excluded count" in said
    excluded = "  contacts_label: calls\n  counts:\n    busy: {column: Busy, excluded: true}\n"
    path.write_text(text.replace("  contacts: Calls received\n", "").replace("  contacts_label: calls\n", excluded))
    with pytest.raises(ConfigError, match="needs `contacts`"):
        load_config(config)


# --------------------------------------------------------------------------- month by month, on the samples


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """Each survey's bundled sample (an empty store shows it), read as the pages read it."""
    from insight.datasets import load_dataset

    store = Store(tmp_path_factory.mktemp("reach-empty"))
    out = {}
    for name in ("victim", "caller_101", "live_chat", "domestic_abuse"):
        definition = load_config().definitions[name]
        out[name] = (definition, load_dataset(definition, store))
    return out


def test_monthly_reach_of_the_victim_sample_by_hand(samples):
    definition, loaded = samples["victim"]
    months = monthly_reach(loaded.frame, definition, loaded.volumes)
    september = months.filter(pl.col("period") == "2019-09").row(0, named=True)
    responses = loaded.frame.filter(pl.col("period") == "2019-09").height
    assert (september["responses"], september["contacts"], september["invitations"]) == (responses, 21980, 9893)
    assert september["response_rate"] == pytest.approx(responses / 9893 * 100)
    low, high = sm.stats.proportion_confint(responses, 9893, method="wilson")
    assert (september["rate_low"], september["rate_high"]) == (pytest.approx(low * 100), pytest.approx(high * 100))
    assert september["other_not_invited"] == 0
    blank = monthly_reach(
        loaded.frame, definition, loaded.volumes.with_columns(pl.lit(None, pl.Int64).alias("vulnerable"))
    )
    assert blank.filter(pl.col("period") == "2019-09").row(0, named=True)["other_not_invited"] is None, (
        "an exclusion left blank is unknown, not 0: the other reasons cannot be counted"
    )
    assert september["reach_no_email"] == pytest.approx((21980 - 1318 - 1978 - 8352) / (21980 - 1318 - 1978) * 100)
    assert months.height == 13 and months.get_column("response_rate").is_between(9.0, 11.0).all()
    filtered = monthly_reach(loaded.frame, definition, loaded.volumes, filters={"npu": ["Coventry"]})
    assert filtered.get_column("invitations").null_count() == filtered.height  # force-wide volumes: not for a filter


def test_every_survey_gets_count_and_rate_trends(samples):
    found = {name: response_trends(loaded.frame, d, loaded.volumes) for name, (d, loaded) in samples.items()}
    assert found["caller_101"].count.step is not None and found["caller_101"].count.step.since == "2019-03"
    assert found["victim"].rate.direction == NO_CLEAR_TREND and round(found["victim"].rate.pooled_rate) == 10
    # Live Chat's monthly rates swing by more than chance (thousands invited a month): no trend is claimed
    assert found["live_chat"].rate.dispersion > 2 and found["live_chat"].rate.direction == NO_CLEAR_TREND
    assert found["domestic_abuse"].rate.periods == 0 and found["domestic_abuse"].count.periods == 18
    rates = rate_trend(monthly_reach(samples["caller_101"][1].frame, samples["caller_101"][0],
                                     samples["caller_101"][1].volumes), "month")  # fmt: skip
    assert rates.pooled_rate == pytest.approx(sum(CALLS_101) / (540 + 498 + 305 + 212 + 96 + 50) * 100)


def test_live_chat_and_101_response_rates_side_by_side(samples):
    rates = {
        name: monthly_reach(samples[name][1].frame, samples[name][0], samples[name][1].volumes)
        for name in ("live_chat", "caller_101")
    }
    long = side_by_side(rates)
    assert set(long.get_column("survey").unique()) == {"live_chat", "caller_101"}
    c = compare_rates(long, "live_chat", "caller_101")
    assert c is not None and c.period == "2019-06"  # the latest month both hold
    chat = rates["live_chat"].filter(pl.col("period") == "2019-06").row(0, named=True)
    _, p = proportions_ztest([chat["responses"], 12], [chat["invitations"], 50])
    assert c.p_value == pytest.approx(p, rel=1e-9) and c.significant
    assert c.first_counts == (chat["responses"], chat["invitations"]) and c.second_counts == (12, 50)
    assert compare_rates(long, "live_chat", "victim") is None


# --------------------------------------------------------------------------- the command line


def test_reach_command_says_the_101_fall_and_gives_every_month(sample_store):
    out = run("reach", "caller_101", "--format", "json", data_dir=sample_store)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert [r["responses"] for r in payload["rows"]] == CALLS_101
    assert [r["invitations"] for r in payload["rows"]] == [540, 498, 305, 212, 96, 50]
    responses = payload["trends"][0]["responses"]
    assert (responses["direction"], responses["since"], responses["significant"]) == ("falling", "2019-03", True)
    assert responses["p_value"] == pytest.approx(glm(CALLS_101, range(6), "X2").pvalues[1], rel=1e-6)
    table = run("reach", "caller_101", data_dir=sample_store).stdout
    assert "Responses to the 101 caller survey have fallen significantly since March 2019" in table
    victim = json.loads(run("reach", "victim", "--period", "2019-07..2019-09", "--format", "json",
                            data_dir=sample_store).stdout)  # fmt: skip
    assert [r["period"] for r in victim["rows"]] == ["2019-07", "2019-08", "2019-09"]
    assert [r["invitations"] for r in victim["rows"]] == [9830, 10089, 9893]  # the export example's months
    assert {r["reach_no_email"] for r in victim["rows"]} == {55.3}
    bad = run("reach", "victim", "--period", "2031-01", data_dir=sample_store)
    assert bad.returncode == 1 and bad.stderr.startswith("rejected: no victim responses in 2031-01")
