"""AppTest for the board's questions: period ranges, comparisons, answers, drivers, trend, WMNow joiners, tiles."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app import app, texts


@pytest.fixture(autouse=True)
def fresh_store(data_dir):
    return data_dir


def chart_spec(at: AppTest, index: int | str) -> tuple[dict, list[dict]]:
    """The Vega-Lite spec of a chart on the page (by place, or by the start of its finding) and its data's rows."""
    charts = at.get("vega_lite_chart")
    if isinstance(index, str):
        index = next(
            i for i, c in enumerate(charts) if json.loads(c.proto.spec).get("description", "").startswith(index)
        )
    proto = charts[index].proto
    rows = pa.ipc.open_stream(proto.datasets[0].data.data).read_all().to_pylist() if proto.datasets else []
    return json.loads(proto.spec), rows


def test_a_range_from_a_link_opens_as_a_custom_range():
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-07..2019-09")
    assert not at.exception
    assert at.sidebar.selectbox(key="period_choice").value == "custom"
    assert (at.sidebar.selectbox(key="period_from").value, at.sidebar.selectbox(key="period_to").value) == (
        "2019-07",
        "2019-09",
    )
    assert "Every aspect, July \u2013 September 2019" in texts(at)
    assert "on April \u2013 June 2019" in texts(at)  # change against the three months before


@pytest.mark.parametrize(
    ("choice", "resolved"),
    [("last3", "2019-07..2019-09"), ("last12", "2018-10..2019-09"), ("fytd", "2019-04..2019-09"), ("one", "2019-09")],
)
def test_relative_choices_put_the_resolved_range_in_the_url(choice, resolved):
    at = app("app_pages/satisfaction.py", dataset="victim")
    at.sidebar.selectbox(key="period_choice").set_value(choice).run()
    assert not at.exception
    assert at.query_params["period"] == resolved  # never "last 3": a shared link keeps its meaning


def test_domestic_abuse_offers_whole_quarters_and_years_only():
    at = app("app_pages/satisfaction.py", dataset="domestic_abuse", period="2019-07..2019-08")
    assert not at.exception
    picker = at.sidebar.selectbox(key="period_choice")
    assert picker.options == ["One period", "A whole quarter", "A whole financial year"]
    assert at.query_params["period"] == "2019-09"  # a partial quarter from a link falls back to one period
    picker.set_value("quarter").run()
    assert at.query_params["period"] == "2019-07..2019-09"
    at.sidebar.selectbox(key="period_choice").set_value("year").run()
    assert at.query_params["period"] == "2018-04..2019-03"  # the latest complete financial year


def test_satisfaction_compares_groups_in_words_and_marks(sample_store):
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-09", by="channel_group",
             aspect="initial_contact")  # fmt: skip
    assert not at.exception
    body = texts(at)
    assert "Significantly above the rest: Phone (71.0%" in body
    assert "Significantly below the rest: Online (44.4%" in body
    spec, rows = chart_spec(at, "Initial contact by channel")
    assert chart_spec(at, 0)[0] == spec  # the view the link names (by=) is drawn first
    # channels are unordered: bars sorted by value, significance marked by a shape and words as well as colour
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["Phone", "Front counter", "Live Chat", "Online"]
    labels = {r["row_label"]: r["label"] for r in rows}
    assert labels["Phone"].endswith("▲ above the rest") and labels["Online"].endswith("▼ below the rest")
    assert "▲" not in labels["Live Chat"]
    # the same figures as the CLI
    from tests.test_cli import run

    cli = json.loads(run("compare", "victim", "--by", "channel_group", "--aspect", "initial_contact", "--format",
                         "json", data_dir=sample_store).stdout)  # fmt: skip
    assert {r["group"] for r in cli["rows"] if r["significant"]} == {"Phone", "Online"}


def test_age_bands_keep_their_order():
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-09", by="age")
    spec, _ = chart_spec(at, "Whole experience (overall) by age")
    assert spec["layer"][0]["encoding"]["y"]["sort"][:3] == ["16-24", "25-34", "35-44"]


def test_answers_and_dissatisfied_match_the_cli(sample_store):
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-09", aspect="feedback")
    assert not at.exception
    from tests.test_cli import run

    cli = json.loads(run("answers", "victim", "--aspect", "feedback", "--period", "2019-09", "--format", "json",
                         data_dir=sample_store).stdout)  # fmt: skip
    (d,) = cli["dissatisfied"]
    assert f"{d['pct']:.1f}% dissatisfied (Fairly dissatisfied, Very dissatisfied, Completely dissatisfied), of " in (
        texts(at)
    )
    proto = at.get("vega_lite_chart")[1].proto  # the diverging bar: negative answers left of zero
    rows = next(
        rows
        for dataset in proto.datasets
        if (rows := pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()) and "answer" in rows[0]
    )
    negative = [r for r in rows if "dissatisfied" in r["answer"] and not r["answer"].startswith("Neither")]
    assert negative and all(r["x2"] <= 0 for r in negative)
    assert round(sum(r["share"] for r in negative), 0) == round(d["pct"], 0)


def test_drivers_section_names_a_priority_or_says_why_not():
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-07..2019-09")
    assert "Top priority: " in texts(at) and "Priority matrix" in json.dumps(chart_spec(at, 2)[0])
    small = app("app_pages/satisfaction.py", dataset="domestic_abuse", period="2019-09")
    assert "Key drivers are not shown: only" in texts(small)
    weak = app("app_pages/satisfaction.py", dataset="public_confidence", view="drivers")
    assert "No top priority: together the aspects explain only" in texts(weak) and "Top priority:" not in texts(weak)


def test_sample_size_verdict_follows_the_filters_and_range():
    at = app("app_pages/satisfaction.py", dataset="victim", period="2019-07..2019-09", npu="Coventry")
    body = texts(at)
    assert (
        "responses matching the filters" in body
        and "invitations" not in body.split("Is the sample big enough?")[1][:80]
    )


def test_trends_page_says_whether_it_has_risen_or_fallen():
    # Public Voice and How are we Doing are separate surveys: one at a time (the first without a choice)
    at = app("app_pages/trends.py", dataset="public_confidence")
    assert not at.exception
    body = texts(at)
    assert at.sidebar.selectbox(key="split-survey").value == "Public Voice"
    assert "has it risen or fallen?" in body and "Overall confidence has neither risen nor fallen significantly" in body
    doing = texts(app("app_pages/trends.py", dataset="public_confidence", survey="How are we Doing"))
    assert "Overall confidence has risen from Jul-Sep 2018 (Q3) to Jul-Sep 2019 (Q3) (65.3% then 68.9%)" in doing


def test_wmnow_joiners_and_gap_narrowing():
    at = app("app_pages/wmnow.py")
    assert not at.exception
    body = texts(at)
    # the answer first, in the shape of the whole range: flat for months, then a step in September 2019
    assert at.header[0].value.startswith("Is the gap closing?")
    assert "Aged 16-24: narrowing, recently" in body
    assert "Over the 12 months November 2018 to October 2019 the gap has narrowed significantly." in body
    assert "The change is recent: about 10.1 points below the census before September 2019" in body
    six = texts(app("app_pages/wmnow.py", months="6"))
    assert "Over the 6 months May 2019 to October 2019" in six
    joiners = next(d.value for d in at.dataframe if "Since left" in d.value.columns)
    assert (joiners["Joined"] == joiners["Since left"] + joiners["Still members"]).all()
    assert "Dashed lines: the targets" in body


def test_one_overview_tile_per_public_confidence_survey(sample_store):
    from tests.test_cli import run

    at = app()
    titles = [s.value for s in at.subheader]
    assert "Public confidence surveys: Public Voice" in titles
    assert "Public confidence surveys: How are we Doing" in titles
    cli = json.loads(run("report", "public_confidence", "--by", "survey", "--format", "json",
                         data_dir=sample_store).stdout)  # fmt: skip
    shown = {m.value for m in at.metric}
    for row in (r for r in cli["rows"] if r["aspect"] == "confidence" and r["group"] != "Not stated"):
        assert f"{row['pct']:.1f}%" in shown


def test_comment_tone():
    at = app("app_pages/comments.py", dataset="victim", period="2019-09")
    themes = at.dataframe[0].value
    informed = themes[themes["Theme"] == "Keeps people informed / calls back"].iloc[0]
    assert (
        informed["Complaints"] > 0
        and informed["Complaints"] + informed["Praise"] + informed["Neutral"] == (informed["Comments"])
    )
