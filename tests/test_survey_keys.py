"""Issue 15's definition keys, each on a small generated file: dates read one way, waves, periods and
dimensions given at import, codes, missing markers, multi-select, the row filter and vendor weights."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import polars as pl
import pytest

from insight.config.definition import NOT_STATED, Definition
from insight.config.files import CONFIG_DIR, ConfigError
from insight.config.loader import load_config
from insight.figures import metrics
from insight.intake.tidy import AmbiguousDates, GivenValueError, IngestResult, ingest_bytes
from insight.store import Store
from tests.test_cli import run

SCALES = """
sat_coded:
  answers: [Very satisfied, Satisfied, Neither, Dissatisfied, Very dissatisfied, Don't know]
  positive: [Very satisfied, Satisfied]
  excluded: [Don't know]
  codes: {"5": Very satisfied, "4": Satisfied, "3": Neither, "2": Dissatisfied, "1": Very dissatisfied,
          "9": Don't know}
"""

BASE = """
dataset: {name}
title: Test survey
id_column: ID
period: {period}
dimensions:
  area: {{column: Area, values: [North, South]}}
questions:
  overall: {{column: Overall, label: Overall, scale: satisfied_5}}
"""


def config_with(tmp_path: Path, survey: str, name: str = "test_survey") -> Path:
    config = tmp_path / "config"
    if not config.exists():
        shutil.copytree(CONFIG_DIR, config)
        with (config / "scales.yaml").open("a") as fh:
            fh.write(SCALES)
    (config / "surveys" / f"{name}.yaml").write_text(survey)
    return config


def definition(tmp_path: Path, survey: str, name: str = "test_survey") -> Definition:
    return load_config(config_with(tmp_path, survey, name)).definitions[name]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([header, *rows])
    return buf.getvalue().encode()


def dated(formats: str) -> str:
    return BASE.format(name="test_survey", period=f"{{column: Date, formats: {formats}, granularity: month}}")


def ingest(d: Definition, header: list[str], rows: list[list[str]], **given: str) -> IngestResult:
    return ingest_bytes(csv_bytes(header, rows), "file.csv", d, given or None)


# --------------------------------------------------------------------------- 1. dates read one way per file

TWO_WAYS = '["%d/%m/%Y", "%m/%d/%Y"]'


def test_each_file_reads_its_dates_one_way(tmp_path):
    d = definition(tmp_path, dated(TWO_WAYS))
    header = ["ID", "Date", "Area", "Overall"]
    day_first = [["1", "14/8/2024", "North", "Very satisfied"], ["2", "3/9/2024", "North", "Fairly satisfied"]]
    month_first = [["3", "8/30/2024", "South", "Very satisfied"], ["4", "9/3/2024", "South", "Very dissatisfied"]]
    first = ingest(d, header, day_first).frame
    second = ingest(d, header, month_first).frame
    # 3/9/2024 is 3 September in the day-first file and 9/3/2024 is 3 September in the month-first one.
    assert first["date"].to_list() == [dt.date(2024, 8, 14), dt.date(2024, 9, 3)]
    assert second["date"].to_list() == [dt.date(2024, 8, 30), dt.date(2024, 9, 3)]


def test_a_file_whose_dates_read_two_ways_is_refused_naming_formats_and_an_example(tmp_path):
    d = definition(tmp_path, dated(TWO_WAYS))
    rows = [["1", "5/5/2024", "North", "Very satisfied"], ["2", "3/8/2024", "North", "Very satisfied"]]
    with pytest.raises(AmbiguousDates) as caught:
        ingest(d, ["ID", "Date", "Area", "Overall"], rows)
    message = str(caught.value)
    assert "'3/8/2024' is 03 August 2024 as %d/%m/%Y but 08 March 2024 as %m/%d/%Y" in message
    assert "every date in the file fits both" in message


def test_dates_that_read_the_same_month_either_way_are_accepted(tmp_path):
    d = definition(tmp_path, dated(TWO_WAYS))
    result = ingest(d, ["ID", "Date", "Area", "Overall"], [["1", "8/8/2024", "North", "Very satisfied"]])
    assert result.report.ok and result.frame["period"].to_list() == ["2024-08"]


def test_a_mixed_file_makes_the_other_way_row_problems(tmp_path):
    d = definition(tmp_path, dated(TWO_WAYS))
    rows = [["1", "14/8/2024", "North", ""], ["2", "15/8/2024", "North", ""], ["3", "8/30/2024", "North", ""]]
    report = ingest(d, ["ID", "Date", "Area", "Overall"], rows).report
    assert report.problems.select("row", "problem", "allowed").rows() == [(4, "unreadable date", "dd/mm/yyyy")]


def test_responses_per_period_in_the_report_and_the_cli_summary(tmp_path, monkeypatch):
    config = config_with(tmp_path, dated('["%d/%m/%Y"]'))
    days = ["1/7/2024", "2/7/2024", "3/8/2024", "4/8/2024", "5/8/2024", "6/9/2024"]
    rows = [[str(i), day, "North", "Very satisfied"] for i, day in enumerate(days)]
    result = ingest(load_config(config).definitions["test_survey"], ["ID", "Date", "Area", "Overall"], rows)
    expected = {}
    for day in days:  # independent count with the standard library
        key = dt.datetime.strptime(day, "%d/%m/%Y").strftime("%Y-%m")
        expected[key] = expected.get(key, 0) + 1
    assert result.report.period_counts == expected
    path = tmp_path / "file.csv"
    path.write_bytes(csv_bytes(["ID", "Date", "Area", "Overall"], rows))
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    done = run("ingest", "test_survey", str(path), data_dir=tmp_path / "store")
    assert done.returncode == 0, done.stderr
    assert "responses per period: 2024-07: 2, 2024-08: 3, 2024-09: 1" in done.stdout


# --------------------------------------------------------------------------- 2. waves and a period given at import

WAVES = BASE.format(
    name="test_survey", period='{column: Wave, granularity: month, waves: {1QSEP2021: "2021-09", 3QMAR2022: "2022-03"}}'
)


def test_waves_map_to_periods_and_an_unknown_wave_is_a_row_problem(tmp_path):
    d = definition(tmp_path, WAVES)
    rows = [["1", "1QSEP2021", "North", ""], ["2", "3qmar2022", "North", ""], ["3", "2QDEC2021", "North", ""]]
    result = ingest(d, ["ID", "Wave", "Area", "Overall"], rows)
    assert result.frame.select("period", "date").rows() == [
        ("2021-09", dt.date(2021, 9, 1)),
        ("2022-03", dt.date(2022, 3, 1)),
    ]
    assert result.report.problems.select("row", "problem", "value").rows() == [(4, "unknown wave", "2QDEC2021")]


GIVEN_PERIOD = BASE.format(name="test_survey", period="{given_at_import: true, granularity: month}")


def test_a_file_without_a_period_takes_the_one_given_at_import(tmp_path, monkeypatch):
    config = config_with(tmp_path, GIVEN_PERIOD)
    d = load_config(config).definitions["test_survey"]
    header, rows = ["ID", "Area", "Overall"], [["1", "North", "Very satisfied"], ["2", "South", "Very dissatisfied"]]
    assert ingest(d, header, rows, period="2024-08").frame["period"].to_list() == ["2024-08", "2024-08"]
    with pytest.raises(GivenValueError, match="files do not say the period: give it at import"):
        ingest(d, header, rows)
    path = tmp_path / "file.csv"
    path.write_bytes(csv_bytes(header, rows))
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    store = tmp_path / "store"
    without = run("ingest", "test_survey", str(path), data_dir=store)
    assert without.returncode == 2 and "--period 2019-09" in without.stderr
    wrong = run("ingest", "test_survey", str(path), "--period", "August", data_dir=store)
    assert wrong.returncode == 2 and "write it like 2019-09" in wrong.stderr
    done = run("ingest", "test_survey", str(path), "--period", "2024-08", data_dir=store)
    assert done.returncode == 0, done.stderr
    report = run("report", "test_survey", "--format", "json", data_dir=store)
    assert '"period": "2024-08"' in report.stdout


# --------------------------------------------------------------------------- 3. coded scales and dimensions

CODED = """
dataset: test_survey
title: Coded survey
id_column: ID
period: {column: Date, formats: ["%d/%m/%Y"], granularity: month}
dimensions:
  area:
    column: Area
    values: [North, South]
    not_stated: [Refused]
    codes: {1: North, 2: South, 8: Refused}
questions:
  overall: {column: Q1, label: Overall, scale: sat_coded}
suppression: {min_base: 1, caution_base: 1}
"""


def test_codes_become_labels_everywhere_downstream(tmp_path):
    d = definition(tmp_path, CODED)
    codes = ["5", "4", "4", "3", "1", "9", "5", "2", ""]
    areas = ["1", "1", "2", "2", "2", "8", "1", "2", "1"]
    rows = [[str(i), "1/8/2024", a, c] for i, (a, c) in enumerate(zip(areas, codes, strict=True))]
    result = ingest(d, ["ID", "Date", "Area", "Q1"], rows)
    assert result.report.ok
    assert result.frame["overall"].to_list()[:3] == ["Very satisfied", "Satisfied", "Satisfied"]
    assert result.frame["area"].to_list()[:6] == ["North", "North", "South", "South", "South", NOT_STATED]
    out = metrics.satisfaction(result.frame, d, period="2024-08", by="area").filter(pl.col("group") == "North")
    # hand count: North (code 1) answered 5, 4, 5 and one blank -> base 3, positive 3
    assert (out["base"].item(), out["positive"].item()) == (3, 3)
    total = metrics.satisfaction(result.frame, d, period="2024-08")
    in_base = [c for c in codes if c not in ("9", "")]  # 9 = Don't know leaves the base
    assert total["base"].item() == len(in_base)
    assert total["positive"].item() == sum(c in ("5", "4") for c in in_base)


def test_an_unknown_code_is_a_row_problem_listing_the_codes(tmp_path):
    d = definition(tmp_path, CODED)
    report = ingest(d, ["ID", "Date", "Area", "Q1"], [["1", "1/8/2024", "1", "7"]]).report
    (problem,) = report.problems.rows(named=True)
    assert (problem["problem"], problem["value"]) == ("unknown answer", "7")
    assert "5 (Very satisfied)" in problem["allowed"]


# --------------------------------------------------------------------------- 4. missing markers

MISSING = CODED.replace("dataset: test_survey", 'dataset: test_survey\nmissing: ["NA", "#N/A", "-99"]')


def test_missing_markers_are_blank_everywhere(tmp_path):
    d = definition(tmp_path, MISSING)
    rows = [["1", "1/8/2024", "NA", "5"], ["2", "1/8/2024", "1", "#N/A"], ["3", "1/8/2024", "-99", "-99"]]
    result = ingest(d, ["ID", "Date", "Area", "Q1"], rows)
    assert result.report.ok, result.report.describe()
    assert result.frame["area"].to_list() == [NOT_STATED, "North", NOT_STATED]
    assert result.frame["overall"].to_list() == ["Very satisfied", None, None]
    assert metrics.satisfaction(result.frame, d, period="2024-08")["base"].item() == 1
    without = definition(tmp_path, CODED)
    assert not ingest(without, ["ID", "Date", "Area", "Q1"], rows).report.ok  # NA is otherwise an unknown label


# --------------------------------------------------------------------------- 5. multi-select dimensions

QUALTRICS = """
dataset: test_survey
title: Qualtrics community survey
id_column: ResponseId
period: {column: RecordedDate, formats: ["%Y-%m-%d %H:%M:%S"], granularity: month}
include: {Finished: ["True"], RESIDENT: ["Yes"]}
dimensions:
  ethnicity:
    column: Ethnicity
    separator: ","
    several: Two or more
    groups:
      White: [White or European]
      Hispanic: [Hispanic or Latino/a]
      Black: [Black or African American]
    not_stated: [Prefer not to say]
  mode: {given_at_import: true, label: Mode, values: [Web, Mail]}
questions:
  overall: {column: Q1, label: Overall, scale: satisfied_5}
weight: {column: W}
"""
Q_HEADER = ["ResponseId", "RecordedDate", "Finished", "RESIDENT", "Ethnicity", "Q1", "W"]


def q_row(i: int, eth: str, finished: str = "True", resident: str = "Yes", weight: str = "1.5") -> list[str]:
    return [f"R_{i}", "2024-08-14 10:00:00", finished, resident, eth, "Very satisfied", weight]


def test_a_multi_select_cell_is_one_group_or_the_several_group(tmp_path):
    d = definition(tmp_path, QUALTRICS)
    cells = [
        "White or European",
        "White or European,Hispanic or Latino/a",
        "Hispanic or Latino/a, Hispanic or Latino/a",
        "Prefer not to say",
        "Black or African American,Prefer not to say",
        "White or European,Martian",
    ]
    result = ingest(d, Q_HEADER, [q_row(i, c) for i, c in enumerate(cells)], mode="Web")
    assert result.frame["ethnicity"].to_list() == ["White", "Two or more", "Hispanic", NOT_STATED, "Black"]
    assert result.report.problems.select("row", "problem").rows() == [(7, "unknown label")]
    assert list(d.dimensions["ethnicity"].values) == ["White", "Hispanic", "Black", "Two or more", NOT_STATED]


# --------------------------------------------------------------------------- 6. the row filter


def test_rows_the_include_filter_leaves_out_are_counted_never_silent(tmp_path):
    d = definition(tmp_path, QUALTRICS)
    rows = [q_row(1, "White or European"), q_row(2, "White or European", finished="False"),
            q_row(3, "White or European", resident="No"), q_row(4, "White or European", resident="no"),
            q_row(5, "White or European", finished="true", resident="YES")]  # fmt: skip
    report = ingest(d, Q_HEADER, rows, mode="Mail").report
    assert report.left_out == [("Finished not True", 1), ("RESIDENT not Yes", 2)]
    assert report.left_out_text() == "1 row(s) left out: Finished not True; 2 row(s) left out: RESIDENT not Yes"
    assert (report.rows_read, report.valid_rows, report.period_counts) == (5, 2, {"2024-08": 2})


# --------------------------------------------------------------------------- 7. per-file constants


def test_a_dimension_given_at_import_keeps_web_and_mail_files_apart(tmp_path):
    d = definition(tmp_path, QUALTRICS)
    web = ingest(d, Q_HEADER, [q_row(1, "White or European")], mode="web").frame
    mail = ingest(d, Q_HEADER, [q_row(2, "White or European")], mode="Mail").frame
    assert pl.concat([web, mail])["mode"].to_list() == ["Web", "Mail"]
    with pytest.raises(GivenValueError, match="'Phone' is not a mode; choose from Web, Mail"):
        ingest(d, Q_HEADER, [q_row(1, "White or European")], mode="Phone")
    with pytest.raises(GivenValueError, match=r"--set mode=VALUE"):
        ingest(d, Q_HEADER, [q_row(1, "White or European")])


def test_cli_set_gives_a_dimension_and_refuses_unknown_ones(tmp_path, monkeypatch):
    config = config_with(tmp_path, QUALTRICS)
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    path = tmp_path / "file.csv"
    path.write_bytes(csv_bytes(Q_HEADER, [q_row(1, "White or European"), q_row(2, "x", finished="False")]))
    store = tmp_path / "store"
    bad = run("ingest", "test_survey", str(path), "--set", "colour=red", data_dir=store)
    assert bad.returncode == 2 and "colour cannot be given at import" in bad.stderr
    done = run("ingest", "test_survey", str(path), "--set", "mode=Mail", data_dir=store)
    assert done.returncode == 0, done.stderr
    assert "1 row(s) left out: Finished not True" in done.stdout
    held = Store(store).read(load_config(config).definitions["test_survey"])
    assert held["mode"].to_list() == ["Mail"]


# --------------------------------------------------------------------------- 8. vendor weights


def test_vendor_weights_are_stored_as_a_column_and_bad_ones_are_row_problems(tmp_path):
    d = definition(tmp_path, QUALTRICS.replace("weight: {column: W}", "weight: {column: W, on_missing: error}"))
    rows = [q_row(1, "White or European", weight="0.75"), q_row(2, "White or European", weight="1,250.5"),
            q_row(3, "White or European", weight="heavy"), q_row(4, "White or European", weight="-1"),
            q_row(5, "White or European", weight=""), q_row(6, "White or European", weight="  ")]  # fmt: skip
    result = ingest(d, Q_HEADER, rows, mode="Web")
    assert result.frame["weight"].to_list() == [0.75, 1250.5]
    assert result.report.problems.select("row", "problem").rows() == [
        (4, "weight is not a positive number"), (5, "weight is not a positive number"), (6, "missing weight"),
        (7, "missing weight"),
    ]  # fmt: skip
    store = Store(tmp_path / "store")
    store.import_result(d, result, user="cli:test")
    assert store.read(d)["weight"].to_list() == [0.75, 1250.5]


def test_by_default_a_blank_weight_is_no_problem_and_a_file_may_lack_the_column(tmp_path):
    """`weight: {column: W}` (on_missing: unweighted, the default): blank weights import, bad ones do not."""
    d = definition(tmp_path, QUALTRICS)
    assert d.weight is not None and d.weight.on_missing == "unweighted"
    rows = [q_row(1, "White or European", weight="0.75"), q_row(2, "White or European", weight=" "),
            q_row(3, "White or European", weight="heavy")]  # fmt: skip
    result = ingest(d, Q_HEADER, rows, mode="Web")
    assert result.frame["weight"].to_list() == [0.75, None]
    assert result.report.problems.select("row", "problem").rows() == [(4, "weight is not a positive number")]
    without = ingest(d, Q_HEADER[:-1], [r[:-1] for r in rows[:2]], mode="Web")
    assert without.report.ok and without.frame["weight"].to_list() == [None, None]
    strict = definition(tmp_path, QUALTRICS.replace("weight: {column: W}", "weight: {column: W, on_missing: error}"))
    assert ingest(strict, Q_HEADER[:-1], [r[:-1] for r in rows[:2]], mode="Web").report.missing_columns == ["W"]


# --------------------------------------------------------------------------- check-config on the new keys


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    several: Two or more\n", "", "dimensions.ethnicity: a multi-select dimension needs both `separator` and "
                                          "`several`"),
        ("several: Two or more", "several: White", "dimensions.ethnicity.several: 'White' is already a group"),
        ("mode: {given_at_import: true,", "mode: {given_at_import: true, column: Mode,",
         "dimensions.mode: a dimension given at import has no `column`"),
        ("mode: {given_at_import: true,", "mode: {given_at_import: 'yes',",
         "dimensions.mode.given_at_import: expected true or false (unquoted), got 'yes'"),
        ('include: {Finished: ["True"], RESIDENT: ["Yes"]}', "include: {Finished: True}",
         "include.Finished: expected a list of labels, got True"),
        ("weight: {column: W}", "weight: W", "weight: expected a mapping (key: value lines), got 'W'"),
        ('formats: ["%Y-%m-%d %H:%M:%S"],', 'formats: ["%Y-%m-%d %H:%M:%S"], waves: {A: "2024-08"},',
         "period: give exactly one of `formats`"),
    ],
)  # fmt: skip
def test_check_config_names_mistakes_in_the_new_keys(tmp_path, old, new, message):
    assert old in QUALTRICS
    with pytest.raises(ConfigError) as caught:
        load_config(config_with(tmp_path, QUALTRICS.replace(old, new, 1)))
    found = [str(m) for m in caught.value.mistakes]
    assert any(m.startswith(f"surveys/test_survey.yaml: {message}") for m in found), found


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('3QMAR2022: "2022-03"', "3QMAR2022: 2022-03-01", "period.waves.3QMAR2022: write the period in quotes"),
        ('3QMAR2022: "2022-03"', '3QMAR2022: "2022-Q1"', "period.waves.3QMAR2022: period '2022-Q1' is not a month"),
    ],
)
def test_check_config_names_mistakes_in_waves(tmp_path, old, new, message):
    with pytest.raises(ConfigError) as caught:
        load_config(config_with(tmp_path, WAVES.replace(old, new, 1)))
    assert any(str(m).startswith(f"surveys/test_survey.yaml: {message}") for m in caught.value.mistakes)


def test_codes_must_name_labels_on_the_scale(tmp_path):
    config = config_with(tmp_path, CODED)
    path = config / "scales.yaml"
    path.write_text(path.read_text().replace('"9": Don\'t know', '"9": Unsure'))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert [str(m).split(" is not")[0] for m in caught.value.mistakes] == ["scales.yaml: sat_coded.codes.9: 'Unsure'"]


# --------------------------------------------------------------------------- the Upload page


def test_upload_page_asks_for_given_values_and_shows_left_out_rows_and_periods(tmp_path, monkeypatch, data_dir):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    config = config_with(tmp_path, QUALTRICS)
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    rows = [q_row(1, "White or European"), q_row(2, "Hispanic or Latino/a"), q_row(3, "x", resident="No")]
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploads").upload("qualtrics.csv", csv_bytes(Q_HEADER, rows), "text/csv").run()
    assert not at.exception, at.exception
    assert any("fill in the box(es) above" in i.value for i in at.info)
    assert not at.metric, "nothing is checked before the mode is given"
    next(s for s in at.selectbox if s.label == "Mode of every response in this file").set_value("Mail").run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Rows"] == "3"
    assert any(m.value == "Responses per period: August 2024: 2" for m in at.markdown)
    assert any(i.value.startswith("1 row(s) left out: RESIDENT not Yes") for i in at.info)
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, at.exception
    assert any("1 row(s) left out: RESIDENT not Yes" in s.value for s in at.success)
    held = Store(data_dir).read(load_config(config).definitions["test_survey"])
    assert held.sort("id").select("id", "mode", "ethnicity").rows() == [
        ("R_1", "Mail", "White"),
        ("R_2", "Mail", "Hispanic"),
    ]


# --------------------------------------------------------------------------- 9. a sensible opening view


def thin_latest_month(tmp_path: Path) -> tuple[Path, Definition, IngestResult]:
    """12 answers in July and August, and only 2 in September (plus 5 Don't know, which are out of the base)."""
    config = config_with(tmp_path, dated('["%d/%m/%Y"]'))
    d = load_config(config).definitions["test_survey"]
    rows = [[f"{m}-{i}", f"{i + 1}/{m}/2024", "North", "Very satisfied"] for m in (7, 8) for i in range(12)]
    rows += [[f"9-{i}", f"{i + 1}/9/2024", "South", "Fairly satisfied" if i < 2 else "Don't know"] for i in range(7)]
    return config, d, ingest(d, ["ID", "Date", "Area", "Overall"], rows)


def test_the_opening_period_is_the_latest_with_the_minimum_base(tmp_path):
    from insight.datasets import opening_period

    _, d, result = thin_latest_month(tmp_path)
    assert opening_period(result.frame, d) == ("2024-08", ["2024-09"])
    only_thin = result.frame.filter(pl.col("period") == "2024-09")
    assert opening_period(only_thin, d) == ("2024-09", [])  # nothing has enough: the latest, nothing passed over


def test_the_app_opens_on_that_period_says_why_and_hints_with_the_datasets_own_dimensions(
    tmp_path, monkeypatch, data_dir
):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    config, d, result = thin_latest_month(tmp_path)
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    Store(data_dir).import_result(d, result, user="cli:test")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    (at.switch_page("app_pages/satisfaction.py").run(),)
    at.query_params["dataset"] = "test_survey"
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="period").value == "2024-08"
    captions = [c.value for c in at.sidebar.caption]
    assert "Opened on August 2024: the newer September 2024 holds fewer than 10 answers to the headline question." in (
        captions
    )
    assert "Choose **Break down by** in the sidebar to see an aspect by area." in [c.value for c in at.caption]
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    assert any(m.value == "**Overall**, August 2024" for m in at.markdown)
    assert "Newer: September 2024, with fewer than 10 answers." in [c.value for c in at.caption]


def test_the_documented_examples_load(tmp_path):
    """The worked examples in docs/surveys.md ("Exports from other survey tools") are real, loadable definitions."""
    from tests.conftest import REPO

    text = (REPO / "docs" / "surveys.md").read_text(encoding="utf-8")
    section = text.split("### Exports from other survey tools", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```yaml\n")[1:]]
    surveys = [b for b in blocks if b.startswith("dataset: ")]
    scales = [b for b in blocks if not b.startswith("dataset: ")]
    assert len(surveys) == 4 and len(scales) == 2  # the multi-round and city examples: tests/test_waves.py
    config = config_with(tmp_path, surveys[0], name="city_residents")
    with (config / "scales.yaml").open("a") as fh:
        fh.write("\n" + scales[0])
    config_with(tmp_path, surveys[1], name="community_survey")
    definitions = load_config(config).definitions
    assert definitions["city_residents"].period.waves["1QSEP2021"] == "2021-09"
    assert definitions["city_residents"].dimensions["mode"].given_at_import
    assert definitions["community_survey"].dimensions["ethnicity"].several == "Two or more"
    assert definitions["community_survey"].weight is not None


def test_upload_page_asks_for_the_period_of_a_file_without_one(tmp_path, monkeypatch, data_dir):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config_with(tmp_path, GIVEN_PERIOD)))
    data = csv_bytes(["ID", "Area", "Overall"], [["1", "North", "Very satisfied"], ["2", "South", "Fairly satisfied"]])
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploads").upload("no_dates.csv", data, "text/csv").run()
    box = next(t for t in at.text_input if t.label == "Period this file covers (e.g. 2024-08)")
    box.set_value("August").run()
    assert not at.exception, at.exception
    assert any("period 'AUGUST' is not a month; write it like 2019-09" in e.value for e in at.error)
    assert not at.metric
    next(t for t in at.text_input if t.label.startswith("Period this file covers")).set_value("2024-08").run()
    assert any(m.value == "Responses per period: August 2024: 2" for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["New"] == "2"


# --------------------------------------------------------------------------- issue 21's keys: their mistakes

ACROSS = """
dataset: test_survey
title: Race in columns
id_column: [Round, ID]
period: {column: Round, granularity: month, waves: {"1": "2022-12..2023-01", "2": "2023-12"}}
dimensions:
  race:
    label: Race
    columns: {"Q32[01]  [Asian]": Asian, "Q32[02]  [White]": White}
    values: [Asian, White]
questions:
  overall: {column: Overall, label: Overall, scale: satisfied_5}
weight: {column: W, on_missing: drop}
"""


def test_the_new_keys_read_as_written(tmp_path):
    d = definition(tmp_path, ACROSS)
    assert d.id_columns == ("Round", "ID") and d.period.waves == {"1": "2022-12..2023-01", "2": "2023-12"}
    assert d.dimensions["race"].several == "Two or more" and d.weight is not None and d.weight.on_missing == "drop"
    assert d.required_columns()[:2] == ["Round", "ID"] and "Q32[01]  [Asian]" in d.required_columns()


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("id_column: [Round, ID]", "id_column: [Round, round]", "id_column: label 'round' is listed twice"),
        ("id_column: [Round, ID]", "id_column: []", "id_column: is empty"),
        (
            '"2023-12"}',
            '"2023-12..2023-11"}',
            "period.waves.2: period '2023-12..2023-11': the range ends before it starts",
        ),
        (
            '"2023-12"}',
            '"2023-12..2024-01..2024-02"}',
            "period.waves.2: period '2023-12..2024-01..2024-02': write a fieldwork range as FIRST..LAST",
        ),
        (
            "    label: Race\n",
            "    label: Race\n    column: Race\n",
            "dimensions.race: a dimension with `columns` (one column per answer) has no column",
        ),
        ("    label: Race\n", '    label: Race\n    separator: ","\n', "has no separator"),
        (
            '[White]": White}',
            '[White]": Martian}',
            "dimensions.race.columns.Q32[02]  [White]: 'Martian' is not one of",
        ),
        (
            "    values: [Asian, White]",
            "    values: [Asian, White]\n    several: White",
            "dimensions.race.several: 'White' is already a group: name a group of its own, e.g. Two or more",
        ),
        (
            "    values: [Asian, White]",
            "    values: [Asian, White]\n  area: {column: Area, values: [N], not_chosen: [No]}",
            "dimensions.area.not_chosen: only a dimension with `columns`",
        ),
        (
            "on_missing: drop",
            "on_missing: ignore",
            "weight.on_missing: 'ignore' is not one of ['unweighted', 'drop', 'error']",
        ),
    ],
)
def test_the_new_keys_mistakes_are_named(tmp_path, old, new, said):
    assert old in ACROSS
    with pytest.raises(ConfigError) as caught:
        definition(tmp_path, ACROSS.replace(old, new))
    assert said in str(caught.value)


def test_missing_accepts_any_marker_including_a_space(tmp_path):
    d = definition(tmp_path, MISSING.replace('missing: ["NA", "#N/A", "-99"]', 'missing: [" ", "", "NA"]'))
    assert d.missing == (" ", "", "NA")
    from insight.config.definition import whitespace_markers

    assert whitespace_markers(d) == (
        "test_survey: missing: ' ', '' changes nothing: a cell holding only spaces (or nothing) is blank already"
    )
