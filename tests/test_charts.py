from __future__ import annotations

import json

import polars as pl

from insight.charts import (
    INK,
    OKABE_ITO,
    SAMPLE_MARK,
    for_export,
    representation_bars,
    share_bars,
    to_png,
    trend_lines,
)
from insight.ingest import ingest_file
from insight.metrics import LOW_BASE, satisfaction


def contrast(fg: str, bg: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio, written out from the definition (the test's own oracle)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_share_bars_label_every_bar_with_its_base_and_export_png(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    result = satisfaction(frame, victim)
    chart = share_bars(result, victim, rows="aspect_label", title="t")
    values = next(iter(chart.to_dict()["datasets"].values()))
    labels = {v["aspect_label"]: v["label"] for v in values}
    for row in result.iter_rows(named=True):
        label = labels[victim.aspect_label(row["aspect"])]
        assert label.startswith(f"{row['pct']:.1f}% (n={row['base']:,}")
        # caution is said in words, not only by the paler bar
        assert label.endswith(", caution)") == (row["status"] == LOW_BASE)
    png = to_png(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_every_chart_states_its_finding(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    by_channel = satisfaction(frame, victim, by="channel_group", aspects=["initial_contact"])
    description = share_bars(by_channel, victim, rows="group", title="Initial contact by channel").to_dict()[
        "description"
    ]
    for row in by_channel.iter_rows(named=True):
        said = f"{row['group']} {row['pct']:.1f}%" if row["pct"] is not None else f"{row['group']} suppressed"
        assert said in description
    trend = trend_lines(satisfaction(frame, victim, all_periods=True, aspects=["overall"]), victim, title="t")
    assert trend.to_dict()["description"].startswith("t: Whole experience (overall) ")


def test_text_is_dark_enough_to_read_on_white(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    spec = json.dumps(share_bars(satisfaction(frame, victim), victim, rows="aspect_label", title="t").to_dict())
    assert f'"labelColor": "{INK}"' in spec and contrast(INK) >= 4.5


def test_lines_are_told_apart_without_colour(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    spec = trend_lines(satisfaction(frame, victim, all_periods=True), victim, title="t").to_dict()
    encodings = [layer.get("encoding", {}) for layer in spec["layer"]]
    ranges = [e["color"]["scale"]["range"] for e in encodings if "color" in e]
    assert ranges and all(set(r) <= set(OKABE_ITO) for r in ranges)
    shapes = next(e["shape"]["scale"]["range"] for e in encodings if "shape" in e)
    assert len(set(shapes)) == len(victim.aspects)  # a different point shape per line
    ends = next(
        spec["datasets"][layer["data"]["name"]]
        for layer in spec["layer"]
        if layer.get("encoding", {}).get("text", {}).get("field") == "end_label"
    )
    assert {row["aspect_label"] for row in ends} == {victim.aspect_label(a) for a in victim.aspects}  # direct labels
    rows = pl.DataFrame({"group": ["A"], "count": [5], "share": [50.0], "census_share": [40.0], "gap_pp": [10.0]})
    rep = representation_bars(rows, who="Respondents", title="t").to_dict()
    marks = [layer["mark"]["type"] for layer in rep["layer"]]
    assert marks == ["bar", "tick"]  # the census is a black line, not a second colour
    assert "A 50.0% against 40.0%" in rep["description"]


def test_exported_charts_carry_survey_period_and_sample_mark(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    chart = share_bars(satisfaction(frame, victim), victim, rows="aspect_label", title="% positive")
    title = for_export(chart, heading="Victim satisfaction survey, September 2019", sample=True).to_dict()["title"]
    assert title["text"] == "Victim satisfaction survey, September 2019"
    assert title["subtitle"] == [SAMPLE_MARK, "% positive"]
    real = for_export(chart, heading="Victim satisfaction survey, September 2019", sample=False).to_dict()["title"]
    assert SAMPLE_MARK not in real["subtitle"]
    assert to_png(chart, heading="x", sample=True) != to_png(chart, heading="x", sample=False)
