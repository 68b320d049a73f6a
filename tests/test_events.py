"""What happened when: config/events.yaml checked, drawn on trend charts, listed by `trend --format json`, and
`compare --before-after EVENT` (the two-proportion z-test over equal windows), checked against statsmodels and
counts made by hand from the sample's rows."""

from __future__ import annotations

import json

import polars as pl
import pytest
from statsmodels.stats.proportion import proportions_ztest

from insight.config.events import Event, find_event, within
from insight.config.files import ConfigError
from insight.config.loader import load_config
from insight.datasets import load_dataset
from insight.display import charts
from insight.figures.before_after import before_after, longest_windows
from insight.figures.metrics import satisfaction
from insight.store import Store
from tests.conftest import copy_config
from tests.test_cli import run


def test_the_bundled_events_are_the_papers_dated_ones():
    events = {e.label: e for e in load_config().events}
    assert events["Live Chat launched"].month == "2018-08"  # paragraph 13: "implemented in August 2018"
    assert events["BOB-E chatbot introduced"].month == "2019-09"  # paragraph 16
    assert events["BOB-E chatbot introduced"].datasets == ("live_chat",)
    assert events["Last board update (SPCB)"].datasets == ()  # every survey
    assert [e.month for e in load_config().events] == sorted(e.month for e in load_config().events)


def test_a_wrong_events_file_is_refused_with_every_mistake(tmp_path):
    config = copy_config(tmp_path)
    (config / "events.yaml").write_text(
        "events:\n"
        "  - {date: 2019-13, label: A}\n"
        "  - {date: 2019-05, label: B, datasets: [nosuch]}\n"
        "  - {date: 2019-04, label: E}\n"
        "  - {date: 2019-05, label: e}\n"
        "  - {date: 2019-05, label: C, colour: red}\n"
        "  - {label: D}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    said = str(caught.value)
    assert "events[0].date: expected a month written like 2019-09" in said
    assert "events[1].datasets: no survey ['nosuch']" in said
    assert "events[3].label: 'e' is the label of another event" in said
    assert "colour" in said and "events[5].date" in said
    (config / "events.yaml").unlink()
    assert load_config(config).events == []  # the file is optional


def test_events_are_placed_in_a_quarterly_surveys_quarter():
    bob = Event("2019-08", "X", ("public_confidence",))
    assert bob.period("quarter") == "2019-Q3" and bob.period("month") == "2019-08"
    assert within([bob], "public_confidence", "quarter", "2018-Q3", "2019-Q3") == [bob]
    assert within([bob], "victim", "month", "2018-01", "2019-12") == []  # not one of its surveys
    assert within([bob], "public_confidence", "quarter", "2018-Q3", "2019-Q2") == []
    with pytest.raises(ValueError, match="no event 'nothing' for victim"):
        find_event(load_config().events, "victim", "nothing")


def test_trend_charts_mark_the_events_within_their_periods():
    config = load_config()
    definition = config.definitions["live_chat"]
    frame = load_dataset(definition, _empty()).frame
    trend = satisfaction(frame, definition, all_periods=True, aspects=[definition.aspects[0]])
    chart = charts.trend_lines(trend, definition, title="t", events=config.events).to_dict()
    rules = [layer for layer in chart["layer"] if layer["mark"].get("type") == "rule"]
    assert len(rules) == 1 and rules[0]["mark"]["strokeDash"]
    marked = {row["event"] for row in chart["datasets"][rules[0]["data"]["name"]]}
    assert marked == {"Live Chat launched", "Last board update (SPCB)", "Citizen Satisfaction Project established",
                      "BOB-E chatbot introduced"}  # fmt: skip
    assert "Events: Live Chat launched (August 2018);" in chart["description"]
    recent = trend.filter(pl.col("period") < "2019-05")
    early = charts.trend_lines(recent, definition, title="t2", events=config.events).to_dict()
    assert "Last board update" not in early["description"]  # outside the periods drawn: not drawn
    plain = charts.trend_lines(trend, definition, title="t3").to_dict()
    assert not [layer for layer in plain["layer"] if layer["mark"].get("type") == "rule"]


def _empty() -> Store:
    import tempfile

    return Store(tempfile.mkdtemp())


def test_before_after_is_the_z_test_over_equal_windows_by_hand():
    config = load_config()
    definition = config.definitions["victim"]
    frame = load_dataset(definition, _empty()).frame
    event = find_event(config.events, "victim", "last board update (spcb)")
    # held September 2018 to September 2019: 8 months before May 2019, 5 from it on -> 5 each side
    assert longest_windows(sorted(frame.get_column("period").unique()), event, "month") == 5
    found = before_after(frame, definition, event)
    assert (found.length, found.why) == (5, "the longest the periods held allow on both sides")
    assert (found.before.span.text, found.after.span.text) == ("2018-12..2019-04", "2019-05..2019-09")

    def counts(first: str, last: str) -> tuple[int, int]:
        scale = definition.questions["overall"].scale  # in the base: every answer but those excluded
        rows = frame.filter(pl.col("period").is_between(pl.lit(first), pl.lit(last)) & pl.col("overall").is_in(
            scale.in_base))  # fmt: skip
        positive = rows.filter(pl.col("overall").is_in(scale.positive)).height
        return positive, rows.height

    xb, nb = counts("2018-12", "2019-04")
    xa, na = counts("2019-05", "2019-09")
    assert (found.before.base, found.after.base) == (nb, na)
    assert found.before.pct == pytest.approx(xb / nb * 100) and found.after.pct == pytest.approx(xa / na * 100)
    _, p = proportions_ztest([xa, xb], [na, nb])
    assert found.p_value == pytest.approx(p, rel=1e-9)
    three = before_after(frame, definition, event, length=3)
    assert (three.before.span.text, three.after.span.text, three.why) == ("2019-02..2019-04", "2019-05..2019-07",
                                                                          "as asked")  # fmt: skip
    with pytest.raises(ValueError, match="allow from 1 to 5"):
        before_after(frame, definition, event, length=6)
    launched = find_event(config.events, "live_chat", "Live Chat launched")
    chat = config.definitions["live_chat"]
    with pytest.raises(ValueError, match="nothing before or after it"):  # the first month held: nothing before
        before_after(load_dataset(chat, _empty()).frame, chat, launched)


def test_trend_json_lists_the_events_in_range_and_compare_before_after(sample_store):
    out = json.loads(run("trend", "victim", "--format", "json", data_dir=sample_store).stdout)
    assert [e["label"] for e in out["events"]] == ["Last board update (SPCB)",
                                                   "Citizen Satisfaction Project established"]  # fmt: skip
    assert out["events"][0] == {"month": "2019-05", "label": "Last board update (SPCB)", "datasets": "all",
                                "approximate": False}  # fmt: skip
    narrow = json.loads(run("trend", "victim", "--period", "2019-06..2019-09", "--format", "json",
                            data_dir=sample_store).stdout)  # fmt: skip
    assert [e["month"] for e in narrow["events"]] == ["2019-08"]
    done = run("compare", "victim", "--before-after", "Last board update (SPCB)", "--format", "json",
               data_dir=sample_store)  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["periods_each_side"] == 5 and said["window"].startswith("5 months each side")
    assert (said["before"]["periods"], said["after"]["periods"]) == ("2018-12..2019-04", "2019-05..2019-09")
    table = run("compare", "victim", "--before-after", "last board update (spcb)", data_dir=sample_store).stdout
    assert "before Last board update (SPCB) (May 2019)" in table and "not a significant change (p = " in table
    unknown = run("compare", "victim", "--before-after", "BOB-E chatbot introduced", data_dir=sample_store)
    assert unknown.returncode != 0 and "no event 'BOB-E chatbot introduced' for victim" in unknown.stderr
    both = run("compare", "victim", "--before-after", "Last board update (SPCB)", "--by", "age", data_dir=sample_store)
    assert both.returncode != 0 and "leave out --by" in both.stderr
    # a dataset holding separate surveys: each before and after on its own, never one merged figure
    each = json.loads(run("compare", "public_confidence", "--before-after", "Last board update (SPCB)", "--format",
                          "json", data_dir=sample_store).stdout)  # fmt: skip
    assert [s["survey"] for s in each["surveys"]] == ["Public Voice", "How are we Doing"]
    for survey in each["surveys"]:  # May 2019 is in 2019-Q2; 2018-Q3 to 2019-Q3 held: two quarters each side
        assert (survey["before"]["periods"], survey["after"]["periods"]) == ("2018-Q4..2019-Q1", "2019-Q2..2019-Q3")
    config = load_config()
    confidence = config.definitions["public_confidence"]
    frame = load_dataset(confidence, _empty()).frame
    own = frame.filter(pl.col(confidence.split_by).cast(pl.String) == "Public Voice")
    alone = before_after(own, confidence, find_event(config.events, "public_confidence", "Last board update (SPCB)"))
    assert (
        each["surveys"][0]["after"]["base"]
        == alone.after.base
        < before_after(frame, confidence, alone.event).after.base
    )
    neither = run("compare", "victim", data_dir=sample_store)
    assert neither.returncode != 0 and "--by DIMENSION" in neither.stderr


def test_an_events_defaults_are_every_survey_and_an_exact_month(tmp_path):
    config = copy_config(tmp_path)
    (config / "events.yaml").write_text("events:\n  - {date: 2019-06, label: Something}\n")
    (event,) = load_config(config).events
    assert event == Event("2019-06", "Something", (), False)  # keys.py: datasets `all`, approximate false
    assert event.concerns("victim") and event.concerns("wmnow") and event.said == "Something (June 2019)"
    (config / "events.yaml").write_text("events:\n  - {date: 2019-06, label: S, approximate: true}\n")
    assert load_config(config).events[0].said == "S (about June 2019)"


def test_a_window_holding_a_hidden_month_is_hidden_under_secondary_suppression():
    """Domestic abuse hides a month of 7 answers and every range that would give it away: a before/after window
    holding that month is hidden too (its pooled figure less the months shown would be the hidden month's)."""
    from insight.config.events import Event
    from insight.config.loader import load_config
    from insight.figures.before_after import before_after
    from tests.conftest import repeat, tidy

    da = load_config().definitions["domestic_abuse"]
    rows = []
    for month, n in (("2019-05", 30), ("2019-06", 7), ("2019-07", 30), ("2019-08", 30), ("2019-09", 30)):
        rows += repeat({"period": month, "overall": "Completely satisfied"}, n - 3)
        rows += repeat({"period": month, "overall": "Completely dissatisfied"}, 3)
    got = before_after(tidy(da, rows), da, Event("2019-08", "test"), aspect="overall", length=2)
    assert got.before.status == "suppressed" and got.before.pct is None  # June and July: June hides it
    assert got.after.pct is not None and got.p_value is None  # nothing is tested against a hidden side
