"""The "Weighted to the census" toggle and the weighting sections of the pages, through AppTest."""

from __future__ import annotations

import polars as pl
import pytest

from insight.config.loader import load_config
from insight.datasets import load_sample
from insight.display import wording
from insight.figures.weighting import weigh_period, weighted_figure, weighted_report
from tests.test_app import app, texts


@pytest.fixture(autouse=True)
def fresh_store(data_dir):
    return data_dir


@pytest.fixture(scope="module")
def september_overall(victim):
    frame = load_sample(victim)
    return weighted_report(frame, victim, load_config().census, period="2019-09").rows


def _row(rows: pl.DataFrame, aspect: str) -> dict:
    return rows.filter(pl.col("aspect") == aspect).row(0, named=True)


def test_satisfaction_weighted_from_a_link_shows_both_figures(september_overall):
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-09", weighted="1")
    assert not at.exception, at.exception
    assert at.toggle(key="weighted").value is True
    body = texts(at)
    overall = _row(september_overall, "overall")
    assert "49.4% (base 950; 95% CI 46.2–52.5%); " + weighted_figure(overall) in body
    assert "Weighted to the census." in body and "efficiency" in body
    assert "matched Census 2021 residents aged 16+ by age group, gender and neighbourhood policing unit" in body
    table = at.dataframe[0].value
    row = table[table["Aspect"] == "Whole experience (overall)"].iloc[0]
    assert (row["% positive"], row["Weighted % positive"]) == (49.4, round(overall["weighted_pct"], 1))
    assert row["Effective base"] == round(overall["effective_base"])


def test_without_the_toggle_the_page_is_unchanged():
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-09")
    assert at.toggle(key="weighted").value is False
    body = texts(at)
    assert "effective base" not in body and "Weighted to the census." not in body
    assert "Weighted % positive" not in at.dataframe[0].value.columns


def test_the_toggle_writes_the_url_and_survives_a_page_without_it():
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-09")
    at.toggle(key="weighted").set_value(True).run()
    assert not at.exception
    assert at.query_params.get("weighted") == "1"
    assert "effective base" in texts(at)
    at.switch_page("app_pages/comments.py").run()
    at.switch_page("app_pages/trends.py").run()
    assert not at.exception, at.exception
    assert at.toggle(key="weighted").value is True
    assert "Whole experience (overall): weighted and unweighted" in texts(at)
    at.toggle(key="weighted").set_value(False).run()
    assert "weighted" not in at.query_params


def test_weighted_breakdown_uses_the_periods_weights(victim):
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-09", by="age", weighted="1")
    assert not at.exception, at.exception
    expected = weighted_report(load_sample(victim), victim, load_config().census, period="2019-09", by="age",
                               aspects=["overall"]).rows  # fmt: skip
    table = next(d.value for d in at.dataframe if {"Age group", "Weighted % positive"} <= set(d.value.columns))
    young = table[table["Age group"] == "16-24"].iloc[0]
    assert young["Weighted % positive"] == round(_row(expected.filter(pl.col("group") == "16-24"), "overall")[
        "weighted_pct"], 1)  # fmt: skip


def test_a_survey_without_weighting_has_no_toggle():
    at = app("app_pages/satisfaction.py", dataset="caller_101", weighted="1")
    assert not at.exception
    assert len(at.toggle) == 0 or all(t.key != "weighted" for t in at.toggle)
    assert "effective base" not in texts(at)


def test_overview_weighted_beside_unweighted(september_overall):
    at = app(weighted="1")
    assert not at.exception, at.exception
    metrics = [(m.label, m.value) for m in at.metric]
    overall = _row(september_overall, "overall")
    assert ("% weighted", f"{overall['weighted_pct']:.1f}%") in metrics
    assert sum(label == "% weighted" for label, _ in metrics) == 3  # victim and both public confidence surveys
    assert wording.sentence(weighted_figure(overall)) in texts(at)


def test_trends_weighted(victim):
    at = app("app_pages/trends.py", dataset="victim", weighted="1", aspect="overall")
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Weighted % positive" in d.value.columns)
    assert table["Weighted % positive"].notna().sum() == table["% positive"].notna().sum()
    assert "Each period's respondents are weighted on their own" in texts(at)
    assert "Both tests use the unweighted figures." in texts(at)


def test_respondents_before_and_after_weighting(victim):
    at = app("app_pages/respondents.py", dataset="victim", period="2019-09")
    assert not at.exception, at.exception
    assert "Age group, before and after weighting to the census" in texts(at)
    ages = next(d.value for d in at.dataframe if "% before weighting" in d.value.columns and "Age group" in
                d.value.columns)  # fmt: skip
    respondents, raking = weigh_period(load_sample(victim), victim, load_config().census, period="2019-09")
    assert raking.converged
    young = ages[ages["Age group"] == "16-24"].iloc[0]
    assert young["Respondents"] == respondents.filter(pl.col("age") == "16-24").height
    assert young["% before weighting"] == round(young["Respondents"] / respondents.height * 100, 1)
    age = next(m for m in raking.margins if m.dimension == "age")
    assert young["% after weighting"] == young["% target"] == round(age.targets[0] * 100, 1)
    assert young["% census (of census groups)"] == 15.8


def test_respondents_weighting_for_one_npu_uses_its_census_and_says_when_it_does_not_converge(victim):
    at = app("app_pages/respondents.py", dataset="victim", period="2019-09", npu="Coventry")
    assert not at.exception, at.exception
    body = texts(at)
    _, raking = weigh_period(load_sample(victim), victim, load_config().census, period="2019-09",
                             filters={"npu": ["Coventry"]})  # fmt: skip
    assert not raking.converged  # Coventry's 16-24s would need weights beyond 3 x the mean
    assert "did not converge" in body and "did NOT converge" in body
    assert "usual residents aged 16 and over, Coventry" in body
    assert "Left out by the filter: Birmingham East" in body
    ages = next(d.value for d in at.dataframe if "% before weighting" in d.value.columns and "Age group" in
                d.value.columns)  # fmt: skip
    assert ages[ages["Age group"] == "16-24"].iloc[0]["% census (of census groups)"] == 19.2


def test_data_page_method_note():
    at = app("app_pages/data.py")
    body = texts(at)
    assert "Weighting to the census" in body
    assert "never receive the survey" in body and "Victim satisfaction survey (by age group, gender" in body


def test_the_page_says_when_a_census_group_has_no_respondents(victim):
    """Filters that leave an age band without respondents: its target is dropped, and the page says so."""
    september = load_sample(victim).filter(pl.col("period") == "2019-09")
    bands = set(victim.dimensions["age"].groups)
    groups = september.group_by("npu", "offence").agg(pl.col("age").cast(pl.String).unique(), pl.len()).sort("len")
    npu, offence, ages, _ = next(r for r in reversed(groups.rows()) if not bands <= set(r[2]))
    missing = [b for b in victim.dimensions["age"].groups if b not in ages]
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-09", npu=npu, offence=offence, weighted="1")
    assert not at.exception, at.exception
    assert f"Age group: no respondents in {', '.join(missing)}, so" in texts(at)


def test_weighted_over_a_pooled_range(victim):
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-07..2019-09", weighted="1")
    assert not at.exception, at.exception
    expected = weighted_report(load_sample(victim), victim, load_config().census, period="2019-07..2019-09").rows
    assert weighted_figure(_row(expected, "overall")) in texts(at)
    trends = app("app_pages/trends.py", dataset="victim", period="2019-07..2019-09", weighted="1")
    assert not trends.exception, trends.exception
    table = next(d.value for d in trends.dataframe if "Weighted % positive" in d.value.columns)
    assert set(table["Period"]) == {"July 2019", "August 2019", "September 2019"}  # periods in words
