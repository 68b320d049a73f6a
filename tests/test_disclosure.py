"""Secondary suppression for the domestic abuse survey: metrics, CLI and the rendered page."""

from __future__ import annotations

import json

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from insight.config.layout import empty_frame
from insight.config.loader import load_config
from insight.figures.representation import representation
from tests.conftest import REPO, open_figures
from tests.test_cli import run

NPU_BASES = {"Birmingham East": 25, "Birmingham West": 14, "Coventry": 4, "Dudley": 18}


@pytest.fixture()
def da_export(tmp_path, exports) -> str:
    """A domestic abuse export where exactly one NPU is below the threshold."""
    import csv

    with (exports / "domestic_abuse_example.csv").open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        template = next(reader)
    rows, n = [], 0
    for npu, base in NPU_BASES.items():
        for i in range(base):
            row = list(template)
            row[0], row[2] = f"DA{n:05d}", npu
            row[8] = "Very satisfied" if i % 2 else "Fairly dissatisfied"  # Q6 overall
            rows.append(row)
            n += 1
    path = tmp_path / "da.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return str(path)


def test_cli_applies_secondary_suppression(tmp_path, da_export):
    store = tmp_path / "store"
    assert run("ingest", "domestic_abuse", da_export, data_dir=store).returncode == 0
    out = run("report", "domestic_abuse", "--by", "npu", "--format", "json", data_dir=store)
    rows = {r["group"]: r for r in json.loads(out.stdout)["rows"] if r["aspect"] == "overall"}
    assert rows["Coventry"]["status"] == "suppressed"  # primary: base 4
    assert rows["Birmingham West"]["status"] == "suppressed"  # secondary: the next smallest, base 14
    for group in ("Coventry", "Birmingham West"):
        assert rows[group]["pct"] is None and rows[group]["positive"] is None and rows[group]["ci_low"] is None
    assert rows["Dudley"]["pct"] is not None and rows["Birmingham East"]["pct"] is not None
    csv_out = run("report", "domestic_abuse", "--by", "npu", "--format", "csv", data_dir=store).stdout
    coventry = next(line for line in csv_out.splitlines() if line.startswith("overall,Coventry"))
    assert coventry.split(",")[3:7] == ["", "", "", ""]


def test_rendered_page_hides_both(tmp_path, da_export, monkeypatch):
    store = tmp_path / "store"
    assert run("ingest", "domestic_abuse", da_export, data_dir=store).returncode == 0
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(store))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update({"dataset": "domestic_abuse", "by": "npu", "aspect": "overall"})
    open_figures(at.switch_page("app_pages/satisfaction.py").run())  # the tables are drawn once opened
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Note" in d.value.columns)  # the breakdown (by=) comes first
    hidden = table[table["Neighbourhood policing unit"].isin(["Coventry", "Birmingham West"])]
    assert list(hidden["Note"]) == ["suppressed", "suppressed"]
    answers = next(d.value for d in at.dataframe if "Answer" in d.value.columns)  # every answer: hidden there too
    hidden_answers = answers[answers["Neighbourhood policing unit"].isin(["Coventry", "Birmingham West"])]
    assert (
        len(hidden_answers) and hidden_answers["Count"].isna().all() and hidden_answers["% of all answers"].isna().all()
    )
    assert hidden["% positive"].isna().all() and hidden["Positive"].isna().all()
    assert any("cannot be worked out from the total" in c.value for c in at.caption)


def test_chart_data_and_tooltips_carry_no_hidden_figure(tmp_path, da_export, definitions):
    from insight.display.charts import share_bars
    from insight.figures.metrics import satisfaction
    from insight.intake.tidy import ingest_file

    definition = definitions["domestic_abuse"]
    frame = ingest_file(da_export, definition).frame
    result = satisfaction(frame, definition, by="npu", aspects=["overall"])
    spec = share_bars(result, definition, rows="group", title="t").to_dict()
    values = next(iter(spec["datasets"].values()))
    hidden = [v for v in values if v["group"] in ("Coventry", "Birmingham West")]
    assert len(hidden) == 2
    for v in hidden:
        assert v["pct"] is None and v["ci_low"] is None and v["ci_high"] is None and v["positive"] is None
        assert v["label"] == f"suppressed (n={v['base']})"


def test_representation_hides_small_counts_for_sensitive_data(definitions):
    definition = definitions["domestic_abuse"]
    template = empty_frame(definition)
    ages = ["25-34"] * 30 + ["35-44"] * 20 + ["16-24"] * 3 + ["45-54"] * 12
    frame = pl.DataFrame({"id": [str(i) for i in range(len(ages))], "period": ["2019-09"] * len(ages), "age": ages})
    frame = (
        frame.with_columns(
            [pl.lit(None).cast(t).alias(c) for c, t in template.schema.items() if c not in frame.columns]
        )
        .select(template.columns)
        .cast(template.schema)
    )
    rep = representation(frame, definition, load_config().census, by="age")
    rows = {r["group"]: r for r in rep.rows.iter_rows(named=True)}
    assert rows["16-24"]["count"] is None and rows["16-24"]["share"] is None  # 3: primary
    assert rows["45-54"]["count"] is None and rows["45-54"]["share"] is None  # 12: next smallest
    assert rows["25-34"]["count"] == 30


def test_a_filter_cannot_reveal_a_small_group_by_difference(da_export, definitions):
    """All NPUs but Coventry (4 people) against the total would give Coventry away."""
    from insight.figures.metrics import satisfaction
    from insight.intake.tidy import ingest_file

    definition = definitions["domestic_abuse"]
    frame = ingest_file(da_export, definition).frame
    total = satisfaction(frame, definition, aspects=["overall"]).row(0, named=True)
    assert total["status"] != "suppressed"
    others = ["Birmingham East", "Birmingham West", "Dudley"]
    almost = satisfaction(frame, definition, aspects=["overall"], filters={"npu": others}).row(0, named=True)
    assert almost["status"] == "suppressed" and almost["pct"] is None and almost["positive"] is None
    dudley = satisfaction(frame, definition, aspects=["overall"], filters={"npu": ["Dudley"]}).row(0, named=True)
    assert dudley["status"] != "suppressed" and dudley["base"] == NPU_BASES["Dudley"]
    # a dataset without the secondary rule keeps its ordinary threshold only
    import dataclasses

    plain = dataclasses.replace(definition, suppression=dataclasses.replace(definition.suppression, secondary=False))
    shown = satisfaction(frame, plain, aspects=["overall"], filters={"npu": others}).row(0, named=True)
    assert shown["status"] == "ok" and shown["base"] == 57


def test_a_range_without_a_breakdown_holding_a_hidden_month_is_hidden_not_a_crash():
    """Domestic abuse, June held 7 answers: June-July pooled less July would give June. Without a breakdown the
    range's figure is hidden (it used to fail joining an untyped group column)."""
    from insight.config.loader import load_config
    from insight.figures.metrics import satisfaction
    from tests.conftest import repeat, tidy

    da = load_config().definitions["domestic_abuse"]
    rows = []
    for month, n in (("2019-06", 7), ("2019-07", 30), ("2019-08", 30)):
        rows += repeat({"period": month, "overall": "Completely satisfied"}, n - 3)
        rows += repeat({"period": month, "overall": "Completely dissatisfied"}, 3)
    frame = tidy(da, rows)
    hidden = satisfaction(frame, da, period="2019-06..2019-07", aspects=["overall"]).row(0, named=True)
    assert hidden["status"] == "suppressed" and hidden["pct"] is None
    shown = satisfaction(frame, da, period="2019-07..2019-08", aspects=["overall"]).row(0, named=True)
    assert shown["pct"] == 90.0 and shown["base"] == 60  # 54 of 60, by hand
