"""Real multi-wave exports (issue 21): nothing moved, dropped or merged silently.

Two real-shaped files (tests/waves.py): a six-round social survey whose respondent number starts again
each round, with vendor weights missing for the newest round and fieldwork from September into the
next year; and a city resident survey with race in six columns, blanks written as a space and no
date. The definitions are the ones docs/surveys.md shows. Every figure is checked against pandas on
the same bytes, or a count by hand.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from statsmodels.stats.contingency_tables import Table

from insight.config.definition import NOT_STATED, Definition
from insight.config.loader import load_config
from insight.figures import metrics
from insight.figures.trend import trend_test
from insight.figures.weighting import weighted_satisfaction
from insight.intake.tidy import IngestResult, ingest_bytes
from insight.periods import period_label
from insight.store import Store
from tests.conftest import REPO as REPO_ROOT
from tests.waves import RACE_COLUMNS, ROUNDS, SAFE, city_survey, config_with_docs, social_survey

POSITIVE = {"6", "7", "8", "9", "10"}
REFUSED = {"77", "88", "99"}


@pytest.fixture(scope="module")
def social():
    return social_survey()


@pytest.fixture(scope="module")
def city():
    return city_survey()


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    return config_with_docs(tmp_path_factory.mktemp("waves"))


@pytest.fixture(scope="module")
def examples(config) -> dict[str, Definition]:
    return load_config(config).definitions


@pytest.fixture(scope="module")
def social_result(social, examples) -> IngestResult:
    return ingest_bytes(social.data, "ess_rounds_1-6.csv", examples["social_survey"])


def frame_of(data: bytes) -> pd.DataFrame:
    """The file as pandas reads it: every cell as text, blanks kept as written."""
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def trust_oracle(raw: pd.DataFrame) -> pd.DataFrame:
    """Per round, with pandas: base (0-10 answered), positive (6-10), weighted share over the base."""
    df = raw.assign(trust=raw["trstplc"].str.strip(), w=pd.to_numeric(raw["pspwght"].str.strip(), errors="coerce"))
    df = df[df["trust"].isin([str(i) for i in range(11)])]
    df = df.assign(pos=df["trust"].isin(POSITIVE), period=df["essround"].map(ROUNDS))
    out = df.groupby("period").agg(base=("pos", "size"), positive=("pos", "sum"))
    weighted = df.dropna(subset=["w"]).groupby("period").apply(lambda g: (g["w"] * g["pos"]).sum() / g["w"].sum())
    return out.assign(weighted=weighted * 100)


# --------------------------------------------------------------------------- 1. composite IDs


def test_the_docs_examples_are_what_the_tests_run(examples):
    social = examples["social_survey"]
    assert social.id_columns == ("essround", "idno") and social.id_label == "essround + idno"
    assert social.period.waves["1"] == "2002-09..2003-02" and social.period.waves["6"] == "2012-09"
    assert social.weight is not None and social.weight.on_missing == "unweighted"
    race = examples["city_survey"].dimensions["race"]
    assert race.column is None and race.columns == RACE_COLUMNS and race.several == "Two or more races"


def test_a_multi_round_file_with_a_composite_id_keeps_every_response(social, social_result):
    raw = frame_of(social.data)
    report = social_result.report
    assert report.ok, report.describe()
    assert social_result.frame.height == len(raw) == report.rows_read
    by_round = raw["essround"].map(ROUNDS).value_counts().to_dict()
    assert report.period_counts == dict(sorted(by_round.items()))
    ids = social_result.frame["id"]
    assert ids.n_unique() == len(raw), "round + number is unique where the number alone is not"
    assert raw["idno"].str.strip().nunique() < len(raw)
    spaced = raw.index[raw["idno"].str.startswith(" ")][0]  # " 17 " in some round: stored trimmed
    expected = f"{raw.loc[spaced, 'essround']}|{raw.loc[spaced, 'idno'].strip()}"
    assert expected in ids.to_list()


def test_the_key_joins_parts_so_no_two_combinations_collide(tmp_path):
    """`a|b` + `c` and `a` + `b|c` would both join to `a|b|c` without the escaping."""
    config = config_with_docs(
        tmp_path, edits={"social_survey": ("id_column: [essround, idno]", "id_column: [cntry, idno]")}
    )
    d = load_config(config).definitions["social_survey"]
    header = ["cntry", "essround", "idno", "gndr", "agea", "trstplc", "pspwght", "dweight"]
    rows = [["a|b", "1", "c", "1", "30", "5", "1", "1"], ["a", "1", "b|c", "1", "30", "5", "1", "1"],
            ["a\\", "1", "|c", "1", "30", "5", "1", "1"], ["a", "1", "\\|c", "1", "30", "5", "1", "1"],
            ["GB", "1", "  ", "1", "30", "5", "1", "1"]]  # fmt: skip
    from tests.waves import csv_bytes

    result = ingest_bytes(csv_bytes([header, *rows]), "f.csv", d)
    assert result.frame["id"].to_list() == ["a\\|b|c", "a|b\\|c", "a\\\\|\\|c", "a|\\\\\\|c"]
    assert result.frame["id"].n_unique() == 4
    assert result.report.problems.select("row", "column", "problem").rows() == [(6, "idno", "missing ID")]


def test_each_part_of_a_composite_id_is_checked_for_personal_data(tmp_path):
    config = config_with_docs(tmp_path)
    d = load_config(config).definitions["social_survey"]
    from tests.waves import SOCIAL_HEADER, csv_bytes

    rows = [
        ["GB", "1", "07700 900123", "1", "30", "5", "1", "1"],
        ["GB", "1", "jo@example.com", "1", "30", "5", "1", "1"],
    ]
    problems = ingest_bytes(csv_bytes([SOCIAL_HEADER, *rows]), "f.csv", d).report.problems
    assert problems.select("row", "column").rows() == [(2, "idno"), (3, "idno")]
    assert problems["problem"].str.starts_with("ID looks like").all() and "07700" not in str(
        problems["value"].to_list()
    )


def test_with_the_number_alone_later_rounds_are_problems_and_the_warning_still_covers_the_file(tmp_path, social):
    """The issue's first finding: by the respondent number alone, later rounds are duplicates. The span
    warning counts every row read, the rejected ones too (it used to stop where the valid rows did)."""
    config = config_with_docs(tmp_path, edits={"social_survey": ("id_column: [essround, idno]", "id_column: idno")})
    d = load_config(config).definitions["social_survey"]
    raw = frame_of(social.data)
    report = ingest_bytes(social.data, "f.csv", d).report
    repeats = len(raw) - raw["idno"].str.strip().nunique()
    assert report.invalid_rows == repeats
    assert set(report.problems["problem"].str.extract(r"^(duplicate ID)").to_list()) == {"duplicate ID"}
    assert report.warnings == [
        f"This file covers 121 months (2002-09 to 2012-09, in {len(raw):,} rows, {repeats:,} of them "
        "with problems), more than 24: check it is the export you meant (a mistyped year moves a response far away)."
    ]  # 2002-09 to 2012-09 inclusive: 10 years and a month


# --------------------------------------------------------------------------- figures per round


def test_each_rounds_trust_matches_pandas(social, social_result, examples):
    d = examples["social_survey"]
    oracle = trust_oracle(frame_of(social.data))
    shown = metrics.satisfaction(social_result.frame, d, all_periods=True)
    assert shown["period"].to_list() == list(ROUNDS.values()), "one period per round, in time order"
    for row in shown.iter_rows(named=True):
        expected = oracle.loc[row["period"]]
        assert (row["base"], row["positive"]) == (expected["base"], expected["positive"])
        assert row["pct"] == pytest.approx(expected["positive"] / expected["base"] * 100, abs=1e-9)
    assert shown["previous_period"].to_list() == [None, *list(ROUNDS.values())[:-1]]


def test_weights_missing_for_the_newest_round_leave_the_other_rounds_weighted(social, social_result, examples):
    d = examples["social_survey"]
    oracle = trust_oracle(frame_of(social.data))
    census = load_config(None).census
    result = weighted_satisfaction(social_result.frame, d, census, all_periods=True)
    for row in result.rows.iter_rows(named=True):
        if row["period"] == "2012-09":  # no weights: reported unweighted, with a note
            assert row["weighted_pct"] == pytest.approx(row["pct"], abs=1e-9)
            assert row["effective_base"] == pytest.approx(row["base"])
        else:
            assert row["weighted_pct"] == pytest.approx(oracle.loc[row["period"], "weighted"], abs=1e-9)
    newest = result.rakings["2012-09"]
    assert newest.unweighted and newest.notes() == [
        "258 of the 258 respondents in this period have no weight in the export, so its figures are not weighted "
        "(every respondent counts once)."
    ]
    assert all(not r.notes() and r.supplied == "weight" for p, r in result.rakings.items() if p != "2012-09")


def test_on_missing_drop_leaves_unweighted_rows_out_of_weighted_figures_only(tmp_path, social):
    config = config_with_docs(tmp_path, edits={"social_survey": ("on_missing: unweighted", "on_missing: drop")})
    d = load_config(config).definitions["social_survey"]
    rows = [list(r) for r in social.rows]
    for row in rows[1:40]:  # some of round 1's weights are blank too
        row[6] = " "
    from tests.waves import csv_bytes

    data = csv_bytes(rows)
    frame = ingest_bytes(data, "f.csv", d).frame
    oracle = trust_oracle(frame_of(data))
    result = weighted_satisfaction(frame, d, load_config(None).census, all_periods=True)
    by_period = {r["period"]: r for r in result.rows.iter_rows(named=True)}
    first = by_period["2002-09..2003-02"]
    assert first["weighted_pct"] == pytest.approx(oracle.loc["2002-09..2003-02", "weighted"], abs=1e-9)
    assert first["base"] == oracle.loc["2002-09..2003-02", "base"], "the unweighted figure keeps every row"
    assert result.rakings["2002-09..2003-02"].left_out == 39
    assert "39 of the 240 respondents" in result.rakings["2002-09..2003-02"].notes()[0]
    assert by_period["2012-09"]["weighted_pct"] is None and by_period["2012-09"]["pct"] is not None


def test_on_missing_unweighted_with_weighting_rakes_that_round_to_the_census(tmp_path, social):
    suppression = "suppression: {min_base: 30, caution_base: 100}"
    edits = {"social_survey": (suppression, suppression + "\nweighting: {margins: [gender]}")}
    config = config_with_docs(tmp_path, edits=edits)
    (config / "surveys" / "social_survey.yaml").write_text(
        (config / "surveys" / "social_survey.yaml")
        .read_text()
        .replace("    codes: {1: Male", "    census: gender\n    codes: {1: Male")
    )
    config_ = load_config(config)
    d = config_.definitions["social_survey"]
    frame = ingest_bytes(social.data, "f.csv", d).frame
    result = weighted_satisfaction(frame, d, config_.census, all_periods=True)
    raked = result.rakings["2012-09"]
    assert raked.supplied is None and not raked.unweighted and [m.dimension for m in raked.margins] == ["gender"]
    assert raked.notes()[0].endswith("so it is weighted to the census by gender instead.")
    newest = frame.filter(pl.col("period") == "2012-09")
    stated = newest.with_columns(raked.weights).filter(pl.col("gender") != NOT_STATED)
    female = stated.filter(pl.col("gender") == "Female")["weight"].sum() / stated["weight"].sum()
    census_female = config_.census.tables["gender"].shares(config_.census.force_area)["Female"] / 100
    assert female == pytest.approx(census_female, abs=1e-6)
    assert result.rakings["2002-09..2003-02"].supplied == "weight", "the rounds with weights keep them"


def test_on_missing_error_makes_rows_without_a_weight_problems(tmp_path, social):
    config = config_with_docs(tmp_path, edits={"social_survey": ("on_missing: unweighted", "on_missing: error")})
    report = ingest_bytes(social.data, "f.csv", load_config(config).definitions["social_survey"]).report
    raw = frame_of(social.data)
    assert report.invalid_rows == int((raw["pspwght"].str.strip() == "").sum()) == 258
    assert set(report.problems["problem"].to_list()) == {"missing weight"}


# --------------------------------------------------------------------------- 7. waves in time


def test_the_trend_over_rounds_is_scored_in_years_and_said_per_year(social, social_result, examples):
    d = examples["social_survey"]
    oracle = trust_oracle(frame_of(social.data))
    result = trend_test(social_result.frame, d)
    years = [(int(p[:4]) * 12 + int(p[5:7]) - 2002 * 12 - 9) / 12 for p in ROUNDS.values()]  # from September 2002
    base = oracle["base"].to_numpy()
    share = (oracle["positive"] / oracle["base"] * 100).to_numpy()
    slope = np.polyfit(years, share, 1, w=np.sqrt(base))[0]
    assert result.slope_per == "year" and result.slope_pp == pytest.approx(slope, rel=1e-9)
    table = np.column_stack([oracle["positive"], oracle["base"] - oracle["positive"]])
    sm = Table(table).test_ordinal_association(row_scores=np.array(years), col_scores=np.array([1, 0]))
    n = base.sum()  # statsmodels' variance has N - 1 where Cochran-Armitage's has N
    assert result.p_value == pytest.approx(math.erfc(abs(sm.zscore) * math.sqrt(n / (n - 1)) / math.sqrt(2)), rel=1e-6)
    assert result.direction == "rising" and result.significant
    from insight.display.wording import trend

    said = trend("Trust in the police", result)
    assert said.endswith(f"about {abs(slope):.1f} points a year.") and "September 2002 – February 2003" in said


def test_trend_charts_space_waves_by_date(social_result, examples):
    from insight.display.charts import trend_lines

    d = examples["social_survey"]
    spec = trend_lines(metrics.satisfaction(social_result.frame, d, all_periods=True), d, title="t").to_dict()
    x = next(layer["encoding"]["x"] for layer in spec["layer"] if "x" in layer.get("encoding", {}))
    assert x["type"] == "temporal" and x["timeUnit"] == "utcyearmonth"
    # a tick at each wave's first month, as DateTime objects (timestamps lose the axis in the browser)
    assert [(v["year"], v["month"], v["utc"]) for v in x["axis"]["values"]] == [
        (y, 9, True) for y in range(2002, 2013, 2)
    ]
    data = max(spec["datasets"].values(), key=len)
    assert sorted({r["when"] for r in data}) == ["2002-09-01", "2004-09-01", "2006-09-01", "2008-09-01",
                                                  "2010-09-01", "2012-09-01"]  # fmt: skip
    assert {r["period_label"] for r in data} >= {"September 2002 – February 2003", "September 2012"}


def test_monthly_data_keeps_its_slope_per_month(victim):
    from tests.test_trend import overall_frame

    frame = overall_frame(victim, {"2019-01": (40, 60), "2019-02": (50, 50), "2019-04": (60, 40)})
    assert trend_test(frame, victim).slope_per == "month"
    quarterly = overall_frame(victim, {"2019-01": (40, 60), "2019-04": (50, 50), "2019-07": (60, 40)})
    result = trend_test(quarterly, victim)
    assert result.slope_per == "year" and result.slope_pp == pytest.approx(10 * 4)  # 10 points a quarter


# --------------------------------------------------------------------------- 8. fieldwork ranges


def test_a_fieldwork_wave_is_one_period_placed_by_its_first_month(social_result, examples):
    d = examples["social_survey"]
    frame = social_result.frame
    assert period_label("2002-09..2003-02") == "September 2002 – February 2003"
    assert period_label("2022-12..2023-01") == "December 2022 – January 2023"
    one = metrics.satisfaction(frame, d, period="2004-09..2005-01")
    assert one["period"].to_list() == ["2004-09..2005-01"] and one["previous_period"].to_list() == ["2002-09..2003-02"]
    assert one["base"].item() == frame.filter(pl.col("period") == "2004-09..2005-01")["trust_police"].is_in(
        d.questions["trust_police"].scale.in_base).sum()  # fmt: skip
    # a range of months takes in every wave whose first month is inside it: rounds 1 and 2, not 3
    pooled = metrics.in_range(frame, metrics.as_range("2002-01..2005-12", d, frame))
    assert sorted(pooled["period"].unique().to_list()) == ["2002-09..2003-02", "2004-09..2005-01"]
    assert metrics.in_range(frame, metrics.as_range("2003-01..2004-08", d, frame)).height == 0


def test_a_period_given_at_import_may_be_the_months_fieldwork_ran_over(tmp_path, config, city):
    store = tmp_path / "store"
    path = tmp_path / "city_2023.csv"
    path.write_bytes(city.data)
    env = {"INSIGHT_CONFIG_DIR": str(config)}
    done = run_env(env, "ingest", "city_survey", str(path), "--period", "2022-12..2023-01", data_dir=store)
    assert done.returncode == 0, done.stderr
    assert f"responses per period: 2022-12..2023-01: {len(city.rows) - 1}" in done.stdout
    held = Store(store).read(load_config(config).definitions["city_survey"])
    assert held["period"].unique().to_list() == ["2022-12..2023-01"] and held["date"].unique().to_list() == [
        pd.Timestamp("2022-12-01").date()]  # fmt: skip
    backwards = run_env(env, "ingest", "city_survey", str(path), "--period", "2023-01..2022-12", data_dir=store)
    assert backwards.returncode == 2 and "the range ends before it starts" in backwards.stderr
    report = json.loads(run_env(env, "report", "city_survey", "--format", "json", data_dir=store).stdout)
    assert report["period"] == "2022-12..2023-01"
    same = json.loads(run_env(env, "report", "city_survey", "--period", "2022-12..2023-01", "--format", "json",
                              data_dir=store).stdout)  # fmt: skip
    assert same["rows"] == report["rows"], "the wave named by its range is that one wave"


def run_env(env: dict[str, str], *args: str, data_dir: Path | None = None):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    cmd = [sys.executable, "-m", "insight", *args, *(["--data-dir", str(data_dir)] if data_dir else [])]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=120, env={**os.environ, **env})
    assert "Traceback" not in done.stderr, done.stderr
    return done


# --------------------------------------------------------------------------- 2. no silent move


def test_one_round_per_file_by_the_number_alone_is_refused_not_moved(tmp_path, social):
    config = config_with_docs(tmp_path, edits={"social_survey": ("id_column: [essround, idno]", "id_column: idno")})
    env = {"INSIGHT_CONFIG_DIR": str(config)}
    store = tmp_path / "store"
    first, second = tmp_path / "round2.csv", tmp_path / "round3.csv"
    first.write_bytes(social.round_file("2"))
    second.write_bytes(social.round_file("3"))
    raw = frame_of(social.data)
    ids = {r: set(raw.loc[raw["essround"] == r, "idno"].str.strip()) for r in ("2", "3")}
    moving = len(ids["2"] & ids["3"])  # round 3's numbers that round 2 used too
    assert 0 < moving < len(ids["2"])
    assert run_env(env, "ingest", "social_survey", str(first), data_dir=store).returncode == 0
    refused = run_env(env, "ingest", "social_survey", str(second), data_dir=store)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"rejected: round3.csv: {moving:,} response(s) already held would move to another period ({moving:,} from "
        "2004-09..2005-01 to 2006-09..2007-01), so nothing was imported: their IDs are probably reused across waves "
        "(a respondent number that starts again each round), so make the ID unique per wave with a composite "
        "id_column such as `id_column: [essround, idno]` in the survey definition, or, if these really are the same "
        "responses now in another period, import the file again with --allow-move."
    )
    d = load_config(config).definitions["social_survey"]
    assert len(Store(store).history("social_survey")) == 1, "nothing written"
    before = base_of(env, store, "2004-09..2005-01")
    moved = run_env(env, "ingest", "social_survey", str(second), "--allow-move", data_dir=store)
    assert moved.returncode == 0, moved.stderr
    assert f"moved to another period (--allow-move): {moving:,} from 2004-09..2005-01 to 2006-09..2007-01" in (
        moved.stdout
    )
    held = Store(store).read(d)
    assert held.filter(pl.col("period") == "2004-09..2005-01").height == len(ids["2"]) - moving
    assert Store(store).history("social_survey")[0]["moved"] == [["2004-09..2005-01", "2006-09..2007-01", moving]]
    assert base_of(env, store, "2004-09..2005-01") < before  # the silent fall, now asked for
    undone = run_env(env, "undo", "social_survey", data_dir=store)
    assert undone.returncode == 0 and f"{len(ids['3']) - moving} row(s) removed, {moving} row(s) restored" in (
        undone.stdout
    )
    assert base_of(env, store, "2004-09..2005-01") == before


def base_of(env: dict[str, str], store: Path, period: str) -> int:
    out = run_env(env, "report", "social_survey", "--period", period, "--format", "json", data_dir=store)
    return json.loads(out.stdout)["rows"][0]["base"]


def test_one_round_per_file_with_the_composite_id_moves_nothing(tmp_path, social, examples):
    d = examples["social_survey"]
    store = Store(tmp_path / "store")
    for r in ("1", "2", "3"):
        record = store.import_result(d, ingest_bytes(social.round_file(r), f"round{r}.csv", d), user="t")
        assert (record.updated, record.moved) == (0, ())
    counts = store.compare(d, ingest_bytes(social.round_file("2"), "again.csv", d).frame)
    assert (counts.new, counts.updated, counts.moved) == (0, 0, ())


# --------------------------------------------------------------------------- 4, 5. the city survey


def test_blanks_written_as_a_space_are_blank(city, examples):
    d = examples["city_survey"]
    result = ingest_bytes(city.data, "city.csv", d, {"period": "2022-12..2023-01"})
    assert result.report.ok, result.report.describe()
    raw = frame_of(city.data)
    gender = raw["Q31 Gender"].str.strip().map({"1": "Male", "2": "Female", "3": "Another gender"}).fillna(NOT_STATED)
    assert result.frame["gender"].cast(pl.String).to_list() == gender.to_list()
    safe = raw[SAFE].str.strip()
    base = safe.isin(["1", "2", "3", "4", "5"])
    shown = metrics.satisfaction(result.frame, d, period="2022-12..2023-01")
    assert (shown["base"].item(), shown["positive"].item()) == (int(base.sum()), int(safe.isin(["4", "5"]).sum()))


def test_missing_may_list_a_space_and_check_config_explains(tmp_path):
    config = config_with_docs(
        tmp_path, edits={"city_survey": ("id_column: RespID", 'id_column: RespID\nmissing: [" ", "NA"]')}
    )
    assert load_config(config).definitions["city_survey"].missing == (" ", "NA")
    done = run_env({"INSIGHT_CONFIG_DIR": str(config)}, "check-config")
    assert done.returncode == 0, done.stderr
    assert (
        "  note: city_survey: missing: ' ' changes nothing: a cell holding only spaces (or nothing) is blank already"
        in (done.stdout)
    )


ONE_CELL = """    columns:
      "Q32[01]  [Asian or Asian Indian]": Asian
      "Q32[02]  [Black or African American]": Black
      "Q32[03]  [Hispanic or Latino]": Hispanic
      "Q32[04]  [Native American]": Native American
      "Q32[05]  [White]": White
      "Q32[06]  [Other]": Other
"""


def both_forms(tmp_path: Path, groups: str | None = None) -> tuple[Definition, Definition]:
    """The city survey with race across columns, and the same survey reading race from one cell."""
    edits_across = {}
    if groups:  # census groups: Hispanic, Native American and Other fall in Other
        edits_across = {"city_survey": ("    values: [Asian, Black, Hispanic, Native American, White, Other]", groups)}
    across = load_config(config_with_docs(tmp_path / "across", edits=edits_across)).definitions["city_survey"]
    one_cell = config_with_docs(
        tmp_path / "cell", edits={"city_survey": (ONE_CELL, '    column: Race\n    separator: ","\n')}
    )
    if groups:
        path = one_cell / "surveys" / "city_survey.yaml"
        path.write_text(
            path.read_text().replace("    values: [Asian, Black, Hispanic, Native American, White, Other]", groups)
        )
    return across, load_config(one_cell).definitions["city_survey"]


def test_race_across_columns_is_the_one_cell_multi_select(tmp_path, city):
    across, one_cell = both_forms(tmp_path)
    given = {"period": "2022-12..2023-01"}
    a = ingest_bytes(city.data, "city.csv", across, given)
    b = ingest_bytes(city.one_cell(), "city_one_cell.csv", one_cell, given)
    assert a.report.ok and b.report.ok, (a.report.describe(), b.report.describe())
    assert_frame_equal(a.frame, b.frame)
    # the oracle: none chosen -> Not stated, one -> itself, more -> Two or more races
    expected = [NOT_STATED if not r else r[0] if len(r) == 1 else "Two or more races" for r in city.races]
    assert a.frame["race"].cast(pl.String).to_list() == expected
    assert {"Asian", "Two or more races", NOT_STATED} <= set(expected)
    by = metrics.satisfaction(a.frame, across, period="2022-12..2023-01", by="race")
    assert_frame_equal(by, metrics.satisfaction(b.frame, one_cell, period="2022-12..2023-01", by="race"))
    white = [s for s, r in zip(frame_of(city.data)[SAFE].str.strip(), expected, strict=True) if r == "White"]
    row = by.filter(pl.col("group") == "White").row(0, named=True)
    assert (row["base"], row["positive"]) == (
        sum(s in {"1", "2", "3", "4", "5"} for s in white),
        sum(s in {"4", "5"} for s in white),
    )


def test_race_across_columns_compares_downloads_and_meets_the_census_as_one_cell_does(tmp_path, city):
    from insight.display.tables import satisfaction_table
    from insight.figures.answers import answer_distribution
    from insight.figures.compare import compare_groups
    from insight.figures.representation import representation
    from insight.intake.safe_csv import to_csv

    groups = (
        "    groups: {White: [White], Mixed: [Mixed], Asian: [Asian], Black: [Black], "
        "Other: [Hispanic, Native American, Other]}\n    census: ethnicity"
    )
    across, one_cell = both_forms(tmp_path, groups)
    given = {"period": "2022-12..2023-01"}
    a = ingest_bytes(city.data, "city.csv", across, given).frame
    b = ingest_bytes(city.one_cell(), "city_one_cell.csv", one_cell, given).frame
    census = load_config(None).census
    rep_a = representation(a, across, census, by="race")
    rep_b = representation(b, one_cell, census, by="race")
    assert_frame_equal(rep_a.rows, rep_b.rows)
    assert (rep_a.stated, rep_a.not_stated) == (rep_b.stated, rep_b.not_stated)
    group_of = {"White": "White", "Asian": "Asian", "Black": "Black", "Hispanic": "Other", "Native American": "Other",
                "Other": "Other"}  # fmt: skip
    groups_chosen = [{group_of[r] for r in races} for races in city.races]
    for group in ("White", "Asian", "Black", "Other"):  # one group (however many of its answers), by hand
        count = sum(chosen == {group} for chosen in groups_chosen)
        assert rep_a.rows.filter(pl.col("group") == group)["count"].item() == count
    assert rep_a.not_stated == sum(not chosen for chosen in groups_chosen)
    assert rep_a.stated == sum(bool(chosen) for chosen in groups_chosen)  # two or more races count as stated
    assert rep_a.rows["census_share"].drop_nulls().len() == 5, "the census comparison is made"
    cmp_a = compare_groups(a, across, by="race", aspect="safe_alone", period="2022-12..2023-01")
    cmp_b = compare_groups(b, one_cell, by="race", aspect="safe_alone", period="2022-12..2023-01")
    assert cmp_a.to_json() == cmp_b.to_json()
    ans_a = answer_distribution(a, across, aspect="safe_alone", period="2022-12..2023-01", by="race")
    assert (
        ans_a.to_json()
        == answer_distribution(b, one_cell, aspect="safe_alone", period="2022-12..2023-01", by="race").to_json()
    )
    table_a = satisfaction_table(
        metrics.satisfaction(a, across, period="2022-12..2023-01", by="race"), across, by_label="Race"
    )
    table_b = satisfaction_table(
        metrics.satisfaction(b, one_cell, period="2022-12..2023-01", by="race"), one_cell, by_label="Race"
    )
    assert to_csv(table_a) == to_csv(table_b)


def test_not_chosen_and_zero_mean_not_chosen(tmp_path, city):
    config = config_with_docs(
        tmp_path,
        edits={
            "city_survey": (
                "    several: Two or more races",
                "    several: Two or more races\n    not_chosen: [Not selected]",
            )
        },
    )
    d = load_config(config).definitions["city_survey"]
    rows = [list(r) for r in city.rows]
    race_at = [rows[0].index(c) for c in RACE_COLUMNS]
    for n, row in enumerate(rows[1:]):
        for i in race_at:
            if not row[i].strip():
                row[i] = ["0", "Not selected", "  ", "0.0"][n % 4]
    from tests.waves import csv_bytes

    given = {"period": "2022-12..2023-01"}
    plain = ingest_bytes(city.data, "a.csv", d, given).frame
    marked = ingest_bytes(csv_bytes(rows), "b.csv", d, given).frame
    assert_frame_equal(plain, marked)


def shown(text: str) -> str:
    """A message as the page shows it: Markdown escapes and word joiners (insight.intake.plain_text) removed."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def test_the_upload_page_asks_before_moving_held_responses(tmp_path, monkeypatch, data_dir, social):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    config = config_with_docs(tmp_path, edits={"social_survey": ("id_column: [essround, idno]", "id_column: idno")})
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    d = load_config(config).definitions["social_survey"]
    Store(data_dir).import_result(d, ingest_bytes(social.round_file("2"), "round2.csv", d), user="t")
    raw = frame_of(social.data)
    ids = {r: set(raw.loc[raw["essround"] == r, "idno"].str.strip()) for r in ("2", "3")}
    moving = len(ids["2"] & ids["3"])
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploads").upload("round3.csv", social.round_file("3"), "text/csv").run()
    assert not at.exception, at.exception
    warnings = [shown(w.value) for w in at.warning if "would move" in w.value]
    assert warnings == [
        f"{moving} response(s) already held would move to another period ({moving} from September 2004 – January "
        "2005 to September 2006 – January 2007): their IDs are probably reused across waves (a respondent number "
        "that starts again each round), so make the ID unique per wave with a composite id_column such as "
        "`id_column: [essround, idno]` in the survey definition, or, if these really are the same responses now "
        "in another period, tick the box below to move them."
    ]
    assert next(b for b in at.button if b.label == "Import").disabled, "not imported without the box ticked"
    next(c for c in at.checkbox if c.label.startswith(f"Move these {moving} held response(s)")).check().run()
    import_button = next(b for b in at.button if b.label == "Import")
    assert not import_button.disabled
    import_button.click().run()
    assert not at.exception, at.exception
    done = [shown(s.value) for s in at.success if s.value.startswith("Imported")]
    assert done and done[0].endswith(
        f"moved to another period: {moving} from September 2004 – January 2005 to September 2006 – January 2007."
    )
    held = Store(data_dir).read(d)
    assert held.filter(pl.col("period") == "2004-09..2005-01").height == len(ids["2"]) - moving
    undone = Store(data_dir).undo("social_survey", user="t")  # moving stays undoable
    assert (undone.removed, undone.restored) == (len(ids["3"]) - moving, moving)
    assert Store(data_dir).read(d).filter(pl.col("period") == "2004-09..2005-01").height == len(ids["2"])


def test_the_pages_show_waves_as_periods_and_a_link_to_one_opens_it(tmp_path, monkeypatch, data_dir, social, config):
    """The Satisfaction and Trends pages over the six rounds: a deep link to a fieldwork wave opens that one
    wave (compared with the round before), and the trend is said per year."""
    from streamlit.testing.v1 import AppTest

    from tests.test_app import texts

    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    d = load_config(config).definitions["social_survey"]
    Store(data_dir).import_result(d, ingest_bytes(social.data, "all_rounds.csv", d), user="t")
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"dataset": "social_survey", "period": "2004-09..2005-01"})
    at.switch_page("app_pages/satisfaction.py").run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="period_choice").value == "one"
    assert at.sidebar.selectbox(key="period").value == "2004-09..2005-01"
    shown_text = texts(at)
    assert "September 2004 – January 2005" in shown_text and "September 2002 – February 2003" in shown_text
    at.switch_page("app_pages/trends.py").run()
    assert not at.exception, at.exception
    assert "points a year" in texts(at)
