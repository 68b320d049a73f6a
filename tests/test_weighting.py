"""Weighting to the census: raking against weightipy and hand-computed cases, targets from the
census tables by hand, Kish's effective base by hand, the interval against statsmodels, the CLI."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pandas as pd
import polars as pl
import pytest
import weightipy
from statsmodels.stats.proportion import proportion_confint

from insight.config.definition import DefinitionError, Weight, Weighting
from insight.config.files import CONFIG_DIR
from insight.config.loader import load_config
from insight.datasets import load_sample
from insight.figures import metrics
from insight.figures.weighting import (
    OTHER,
    WEIGHTED_COLUMNS,
    WeightingError,
    _codes,
    effective_base,
    margin_targets,
    profile,
    rake,
    weigh,
    weigh_period,
    weighted_report,
    weighted_satisfaction,
)
from tests.conftest import REPO
from tests.test_cli import run

CENSUS_DIR = REPO / "config" / "census"


@pytest.fixture(scope="module")
def census():
    return load_config().census


@pytest.fixture(scope="module")
def sample(victim):
    return load_sample(victim)


@pytest.fixture(scope="module")
def september(sample):
    return sample.filter(pl.col("period") == "2019-09")


def untrimmed(definition):
    return dataclasses.replace(definition, weighting=dataclasses.replace(definition.weighting, trim=None))


def weightipy_weights(respondents: pl.DataFrame, raking) -> np.ndarray:
    """The same margins and targets raked by weightipy, run to full convergence."""
    codes = pd.DataFrame({m.dimension: _codes(respondents, m) for m in raking.margins})
    scheme = weightipy.scheme_from_dict(
        {m.dimension: {i: t * 100 for i, t in enumerate(m.targets)} for m in raking.margins},
        rim_params={"convcrit": 1e-12, "max_iterations": 1000},
    )
    return weightipy.weight(codes, scheme).to_numpy()


# --------------------------------------------------------------------------- raking


@pytest.mark.parametrize("period", ["2019-09", "2019-03", "2018-12"])
def test_raking_matches_weightipy(victim, census, sample, period):
    respondents = sample.filter(pl.col("period") == period)
    definition = untrimmed(victim)
    raking = weigh(respondents, definition, census)
    reference = weightipy_weights(respondents, raking)
    # Our convergence rule (every share within 1e-6) run tighter: the algorithm itself agrees to 1e-6.
    codes = [_codes(respondents, m) for m in raking.margins]
    tight, _, converged = rake(codes, [np.array(m.targets) for m in raking.margins], tolerance=1e-11)
    assert converged
    np.testing.assert_allclose(tight, reference, atol=1e-6, rtol=0)
    # At the product's own tolerance the weights are close and every percentage within 0.1 point.
    assert raking.converged
    np.testing.assert_allclose(raking.weights.to_numpy(), reference, atol=1e-4, rtol=0)
    ours = weighted_satisfaction(sample, definition, census, period=period).rows
    theirs = respondents.with_columns(weight=pl.Series(reference))
    for row in ours.iter_rows(named=True):
        scale = definition.questions[row["aspect"]].scale
        in_base = theirs.filter(pl.col(row["aspect"]).is_in(list(scale.in_base)))
        expected = in_base.filter(pl.col(row["aspect"]).is_in(list(scale.positive)))["weight"].sum()
        expected = expected / in_base["weight"].sum() * 100
        assert abs(row["weighted_pct"] - expected) < 0.1
        assert abs(row["weighted_pct"] - expected) < 1e-3  # in fact far closer


def test_two_margins_by_hand():
    """Age and sex independent in the sample: one pass gives w = (R_age / r_age) x (C_sex / c_sex)."""
    age = np.array([0] * 60 + [1] * 40)  # A 60%, B 40%
    sex = np.array(([0] * 30 + [1] * 30) + ([0] * 20 + [1] * 20))  # F/M half and half within each age
    weights, iterations, converged = rake([age, sex], [np.array([0.4, 0.6]), np.array([0.7, 0.3])])
    expected = {(0, 0): 0.4 / 0.6 * 0.7 / 0.5, (0, 1): 0.4 / 0.6 * 0.3 / 0.5,
                (1, 0): 0.6 / 0.4 * 0.7 / 0.5, (1, 1): 0.6 / 0.4 * 0.3 / 0.5}  # fmt: skip
    assert (iterations, converged) == (1, True)
    np.testing.assert_allclose(weights, [expected[a, s] for a, s in zip(age, sex, strict=True)], atol=1e-12)
    assert weights.sum() == pytest.approx(100)


def test_trimming_by_hand_and_not_converged():
    """90 A and 10 B raked to 50/50 needs B at 9 x A; trimmed to 3 x the mean it can never get there.

    Clipping B to 3 x the mean moves the mean, so it settles where B = 3m and m = (50 + 30m) / 100:
    m = 5/7, so A = (5/9) / (5/7) = 7/9 and B = 3 once scaled to sum to 100. Shares stay 70/30.
    """
    codes = [np.array([0] * 90 + [1] * 10)]
    weights, iterations, converged = rake(codes, [np.array([0.5, 0.5])], trim=(0.3, 3.0))
    assert (iterations, converged) == (100, False)
    np.testing.assert_allclose(weights[:90], 7 / 9, atol=1e-9)
    np.testing.assert_allclose(weights[90:], 3.0, atol=1e-9)
    assert weights.sum() == pytest.approx(100)


def test_trimmed_weights_stay_within_bounds_and_convergence_is_checked_after_trimming(victim, census, september):
    for trim in [(0.3, 3.0), (0.8, 1.25)]:
        definition = dataclasses.replace(victim, weighting=Weighting(("age", "gender", "npu"), trim))
        raking = weigh(september, definition, census)
        w = raking.weights.to_numpy()
        assert w.sum() == pytest.approx(september.height)
        assert w.min() >= trim[0] * w.mean() - 1e-9 and w.max() <= trim[1] * w.mean() + 1e-9
        shares = profile(september, raking)
        gap = (shares["weighted_pct"] - shares["target_pct"]).abs().max() / 100
        assert raking.converged == (gap <= 1e-6), (trim, gap)
    assert not raking.converged  # 0.8-1.25 is too tight to reach the 16-24 target
    assert raking.iterations == 100
    assert "did not converge" in " ".join(raking.notes())


def test_kish_effective_base_by_hand():
    assert effective_base([1, 1, 2, 4]) == pytest.approx(8**2 / (1 + 1 + 4 + 16))
    assert effective_base([2.5] * 40) == pytest.approx(40)


def test_weighted_row_with_supplied_weights_by_hand(victim, census):
    """A vendor's weights: the weighted share, Kish base over the row's base and Wilson on it, by hand."""
    answers = ["Completely satisfied", "Very dissatisfied", "Fairly satisfied", "Don't know"] * 5
    weights = [1.0, 2.0, 3.0, 10.0] * 5  # the Don't know answers carry the heavy weight, outside the base
    scale = pl.Enum(victim.questions["overall"].scale.answers)
    frame = pl.DataFrame({"id": [str(i) for i in range(20)], "period": ["2019-09"] * 20, "w": weights,
                          "overall": pl.Series(answers, dtype=scale)})  # fmt: skip
    result = weighted_report(frame, victim, census, aspects=["overall"], weights_column="w")
    row = result.rows.row(0, named=True)
    w = np.array(weights) / sum(weights) * 20  # scaled to sum to n
    in_base = np.array([a != "Don't know" for a in answers])
    positive = np.array([a in ("Completely satisfied", "Fairly satisfied") for a in answers])
    share = w[positive].sum() / w[in_base].sum()
    n_eff = w[in_base].sum() ** 2 / (w[in_base] ** 2).sum()
    assert row["base"] == 15
    assert row["weighted_pct"] == pytest.approx(share * 100)
    assert row["effective_base"] == pytest.approx(n_eff)
    lo, hi = proportion_confint(share * n_eff, n_eff, alpha=0.05, method="wilson")
    assert (row["weighted_ci_low"], row["weighted_ci_high"]) == (pytest.approx(lo * 100), pytest.approx(hi * 100))
    assert result.weighting.supplied == "w"
    assert result.weighting.summary()["efficiency_pct"] == pytest.approx(effective_base(w) / 20 * 100, abs=0.05)


def test_supplied_weights_must_be_positive_numbers(victim, census, september):
    with pytest.raises(WeightingError, match="not in the data"):
        weigh(september, victim, census, weights_column="nope")
    bad = september.with_columns(w=pl.lit(0.0))
    with pytest.raises(WeightingError, match="zero, negative"):
        weigh(bad, victim, census, weights_column="w")


# --------------------------------------------------------------------------- targets from the census


def _yaml_counts(name: str) -> dict:
    import yaml

    return yaml.safe_load((CENSUS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))["areas"]


def test_not_stated_and_no_census_counterpart_form_one_category_at_their_sample_share(victim, census, september):
    margin = margin_targets(september, victim, census, "gender")
    counts = september.group_by(pl.col("gender").cast(pl.String)).len().rows_by_key("gender", unique=True)
    other = (counts["Non-binary or other"][0] + counts["Not stated"][0]) / september.height
    force = _yaml_counts("gender")["West Midlands (met county)"]
    female = force["Female"] / (force["Female"] + force["Male"])
    assert margin.categories == ("Female", "Male", OTHER)
    assert margin.other_values == ("Non-binary or other", "Not stated")
    assert margin.targets == pytest.approx(((1 - other) * female, (1 - other) * (1 - female), other))


def test_npus_sharing_a_local_authority_split_it_by_their_respondents(victim, census, september):
    margin = margin_targets(september, victim, census, "npu")
    age = _yaml_counts("age")
    sixteen_plus = {area: sum(bands.values()) for area, bands in age.items()}
    n = september.group_by(pl.col("npu").cast(pl.String)).len().rows_by_key("npu", unique=True)
    east, west = n["Birmingham East"][0], n["Birmingham West"][0]
    force = sixteen_plus["West Midlands (met county)"]
    targets = dict(zip(margin.categories, margin.targets, strict=True))
    assert targets["Birmingham East"] == pytest.approx(sixteen_plus["Birmingham"] * east / (east + west) / force)
    assert targets["Birmingham West"] == pytest.approx(sixteen_plus["Birmingham"] * west / (east + west) / force)
    assert targets["Solihull"] == pytest.approx(sixteen_plus["Solihull"] / force)
    assert "in proportion to their respondents" in margin.population


def test_a_filter_on_a_margin_renormalises_its_targets_and_narrows_the_census_area(victim, census, sample):
    filters = {"npu": ["Birmingham East", "Coventry"]}
    september = sample.filter(pl.col("period") == "2019-09")
    respondents = metrics.apply_filters(september, filters).collect()
    npu = margin_targets(respondents, victim, census, "npu", filters=filters, split_from=september)
    age = _yaml_counts("age")
    sixteen_plus = {area: sum(bands.values()) for area, bands in age.items()}
    n = september.group_by(pl.col("npu").cast(pl.String)).len().rows_by_key("npu", unique=True)
    east = sixteen_plus["Birmingham"] * n["Birmingham East"][0] / (n["Birmingham East"][0] + n["Birmingham West"][0])
    assert npu.categories == ("Birmingham East", "Coventry")
    assert npu.targets == pytest.approx(
        (east / (east + sixteen_plus["Coventry"]), 1 - east / (east + sixteen_plus["Coventry"]))
    )
    assert set(npu.filtered) == set(victim.dimensions["npu"].groups) - set(filters["npu"])
    assert npu.dropped == () and npu.note() is None  # left out by the filter, not for want of respondents
    ages = margin_targets(respondents, victim, census, "age", filters=filters, split_from=september)
    both = {b: age["Birmingham"][b] + age["Coventry"][b] for b in age["Coventry"]}
    assert ages.census_shares["16-24"] == pytest.approx(both["16-24"] / sum(both.values()))
    assert ages.population.endswith("Birmingham + Coventry")


def test_a_census_category_without_respondents_is_dropped_and_the_others_rescaled(victim, census, september):
    respondents = september.filter(pl.col("age") != "75+")
    margin = margin_targets(respondents, victim, census, "age")
    age = _yaml_counts("age")["West Midlands (met county)"]
    under_75 = sum(v for k, v in age.items() if k != "75+")
    other = respondents.filter(pl.col("age") == "Not stated").height / respondents.height
    assert "75+" not in margin.categories and margin.dropped == ("75+",)
    assert dict(zip(margin.categories, margin.targets, strict=True))["16-24"] == pytest.approx(
        (1 - other) * age["16-24"] / under_75
    )
    assert sum(margin.targets) == pytest.approx(1)
    raking = weigh(respondents, victim, census)
    assert raking.converged
    assert "Age group: no respondents in 75+" in raking.notes()[0]


# --------------------------------------------------------------------------- figures


def test_weighted_figures_sit_beside_unchanged_unweighted_ones(victim, census, sample):
    plain = metrics.satisfaction(sample, victim, period="2019-09", by="offence")
    weighted = weighted_report(sample, victim, census, period="2019-09", by="offence")
    assert weighted.rows.select(plain.columns).equals(plain)
    assert weighted.rows.columns == [*plain.columns, *WEIGHTED_COLUMNS]
    rows = weighted.rows.to_dicts()
    assert all(r["effective_base"] <= r["base"] + 1e-9 for r in rows if r["status"] != "suppressed")
    assert weighted.weighting.n == sample.filter(pl.col("period") == "2019-09").height


def test_suppression_stays_on_the_unweighted_base(victim, census, sample):
    weighted = weighted_satisfaction(sample, victim, census, by="offence", filters={"npu": ["Solihull"]},
                                     all_periods=True)  # fmt: skip
    suppressed = weighted.rows.filter(pl.col("status") == "suppressed")
    assert suppressed.height > 0
    assert suppressed.select(WEIGHTED_COLUMNS).null_count().row(0) == (suppressed.height,) * 4
    shown = weighted.rows.filter(pl.col("status") != "suppressed")
    assert shown.get_column("weighted_pct").null_count() == 0
    assert set(weighted.rakings) == set(metrics.periods(sample))  # every period raked on its own


def test_weighted_september_headline(victim, census, sample):
    """The figure docs/weighting.md quotes beside the paper's 49.4%."""
    row = weighted_report(sample, victim, census, period="2019-09", aspects=["overall"]).rows.row(0, named=True)
    assert round(row["pct"], 1) == 49.4
    page = (REPO / "docs" / "weighting.md").read_text(encoding="utf-8")
    assert f"{row['weighted_pct']:.1f}%" in page and f"{row['effective_base']:,.0f}" in page


def test_a_definition_without_weighting_cannot_be_weighted(definitions, census):
    da = definitions["domestic_abuse"]
    frame = load_sample(da)
    with pytest.raises(WeightingError, match=r"no `weighting:` \(or `weight:`\)"):
        weighted_report(frame, da, census)


# --------------------------------------------------------------------------- the definition key


@pytest.mark.parametrize(
    ("weighting", "message"),
    [
        ("{margins: [age], trim: [0.3, 3.0], cap: 5}", "weighting: unknown key(s) ['cap']"),
        ("{margins: []}", "weighting.margins: is empty"),
        ("{trim: [0.3, 3.0]}", "weighting.margins: is required"),
        ("{margins: [shoe_size]}", "weighting.margins: 'shoe_size' is not a dimension"),
        ("{margins: [offence]}", "weighting.margins: 'offence' has no census benchmark"),
        ("{margins: [age], trim: [2, 3]}", "weighting.trim: expected [low, high] with 0 < low <= 1 <= high"),
        ("{margins: [age], trim: [0.5]}", "weighting.trim: expected [low, high]"),
        ("[age, gender]", "weighting: expected a mapping"),
    ],
)
def test_weighting_key_mistakes_name_the_key(tmp_path, weighting, message):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    path = config / "surveys" / "victim.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("\nweighting:")[0] + f"\nweighting: {weighting}\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_config(config)
    assert f"victim.yaml: {message}" in str(err.value)


def test_a_weighted_geography_needs_the_census_16_plus_table(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    (config / "census" / "age.yaml").unlink()
    with pytest.raises(DefinitionError, match=r"weighting\.margins: npu is weighted by each area's 16\+ population"):
        load_config(config)


def test_victim_definition_weights_by_age_sex_and_npu(victim):
    assert victim.weighting == Weighting(("age", "gender", "npu"), (0.3, 3.0))


# --------------------------------------------------------------------------- command line


def test_report_weighted_json(tmp_path, sample, victim, census):
    files = sorted((REPO / "data" / "samples" / "victim").glob("victim_survey_*.csv"))[-2:]
    assert run("ingest", "victim", *map(str, files), data_dir=tmp_path).returncode == 0
    plain = run("report", "victim", "--format", "json", data_dir=tmp_path)
    out = run("report", "victim", "--format", "json", "--weighted", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert list(payload) == ["dataset", "period", "by", "weighting", "rows"]
    weighting = payload["weighting"]
    assert list(weighting)[:6] == ["margins", "iterations", "converged", "min_weight", "max_weight", "efficiency_pct"]
    assert weighting["margins"] == ["age", "gender", "npu"] and weighting["converged"] is True
    unweighted = json.loads(plain.stdout)
    assert "weighting" not in unweighted and "weighted_pct" not in unweighted["rows"][0]
    for before, after in zip(unweighted["rows"], payload["rows"], strict=True):
        assert {k: after[k] for k in before} == before  # the unweighted figures are untouched
    expected = weighted_report(sample, victim, census, period="2019-09").rows
    overall = next(r for r in payload["rows"] if r["aspect"] == "overall")
    row = expected.filter(pl.col("aspect") == "overall").row(0, named=True)
    assert overall["weighted_pct"] == round(row["weighted_pct"], 1)
    assert overall["effective_base"] == round(row["effective_base"], 1)
    table = run("report", "victim", "--weighted", data_dir=tmp_path)
    assert "weighted to the census by age, gender, npu" in table.stdout and "effective_base" in table.stdout


def test_report_weighted_on_a_survey_without_weighting_is_a_usage_error(tmp_path, exports):
    assert run("ingest", "live_chat", str(exports / "live_chat_example.csv"), data_dir=tmp_path).returncode == 0
    out = run("report", "live_chat", "--weighted", data_dir=tmp_path)
    assert out.returncode == 2
    assert "live_chat has no `weighting:` (or `weight:`) in its definition" in out.stderr


def test_a_definition_with_its_own_weights_uses_them_instead_of_raking(victim, census, september):
    """A `weight: {column: W}` key keeps the export's weights in the tidy frame's `weight` column."""

    definition = dataclasses.replace(victim, weight=Weight("W"))
    supplied = september.with_columns(weight=pl.int_range(pl.len()) % 3 + 1.0)
    raking = weigh(supplied, definition, census)
    assert (raking.supplied, raking.margins, raking.iterations) == ("weight", (), 0)
    expected = supplied["weight"] / supplied["weight"].sum() * supplied.height
    np.testing.assert_allclose(raking.weights.to_numpy(), expected.to_numpy())


def test_choosing_not_stated_npu_weights_to_the_chosen_npus_census(victim, census, sample):
    result = weighted_report(sample, victim, census, period="2019-09", filters={"npu": ["Not stated", "Coventry"]})
    assert result.weighting.summary()["populations"]["age"].endswith(", Coventry")
    assert "Birmingham" not in result.weighting.summary()["populations"]["npu"]
    assert result.rows.get_column("weighted_pct").null_count() == 0


def test_a_pooled_range_is_weighted_once_over_all_its_respondents(victim, census, sample):
    respondents, raking = weigh_period(sample, victim, census, period="2019-07..2019-09", filters={"age": ["16-24"]})
    in_range = sample.filter(pl.col("period").is_in(["2019-07", "2019-08", "2019-09"]))
    assert respondents.height == raking.n == in_range.filter(pl.col("age") == "16-24").height
    assert raking.converged and raking.margins[0].categories == ("16-24",)
    assert raking.weights.sum() == pytest.approx(respondents.height)


def test_report_weighted_uses_the_exports_own_weights(tmp_path, monkeypatch):
    """A survey with `weight: {column: W}`: report --weighted uses the vendor's weights, not raking."""
    from tests.test_survey_keys import Q_HEADER, QUALTRICS, config_with, csv_bytes

    config = config_with(tmp_path, QUALTRICS)
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    answers = ["Very satisfied", "Very dissatisfied", "Fairly satisfied", "Don't know"] * 5
    weights = [1.0, 3.0, 0.5, 9.0] * 5
    rows = [[f"R_{i}", "2024-08-14 10:00:00", "True", "Yes", "White or European", a, str(w)]
            for i, (a, w) in enumerate(zip(answers, weights, strict=True))]  # fmt: skip
    path = tmp_path / "file.csv"
    path.write_bytes(csv_bytes(Q_HEADER, rows))
    store = tmp_path / "store"
    done = run("ingest", "test_survey", str(path), "--set", "mode=Web", data_dir=store)
    assert done.returncode == 0, done.stderr
    out = run("report", "test_survey", "--weighted", "--format", "json", data_dir=store)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["weighting"]["supplied_weights"] == "weight" and payload["weighting"]["margins"] == []
    w = np.array(weights) / sum(weights) * len(weights)
    in_base = np.array([a != "Don't know" for a in answers])
    positive = np.array([a in ("Very satisfied", "Fairly satisfied") for a in answers])
    row = payload["rows"][0]
    assert row["weighted_pct"] == round(w[positive].sum() / w[in_base].sum() * 100, 1)
    assert row["effective_base"] == round(w[in_base].sum() ** 2 / (w[in_base] ** 2).sum(), 1)
    assert row["pct"] == round(10 / 15 * 100, 1)


def test_weighted_report_for_a_pooled_range(victim, census, sample):
    result = weighted_report(sample, victim, census, period="2019-07..2019-09", aspects=["overall"])
    row = result.rows.row(0, named=True)
    respondents, raking = weigh_period(sample, victim, census, period="2019-07..2019-09")
    assert row["period"] == "2019-07..2019-09" and result.weighting.n == respondents.height == raking.n
    scale = victim.questions["overall"].scale
    w = respondents.with_columns(raking.weights).filter(pl.col("overall").is_in(list(scale.in_base)))
    expected = w.filter(pl.col("overall").is_in(list(scale.positive)))["weight"].sum() / w["weight"].sum() * 100
    assert row["weighted_pct"] == pytest.approx(expected) and row["base"] == w.height
