from __future__ import annotations

import polars as pl

from insight.charts import OKABE_ITO, representation_bars, share_bars, to_png, trend_lines
from insight.ingest import ingest_file
from insight.metrics import satisfaction


def test_share_bars_label_every_bar_with_its_base_and_export_png(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    result = satisfaction(frame, victim)
    chart = share_bars(result, victim, rows="aspect_label", title="t")
    values = next(iter(chart.to_dict()["datasets"].values()))
    labels = {v["aspect_label"]: v["label"] for v in values}
    overall = result.filter(pl.col("aspect") == "overall").row(0, named=True)
    assert labels["Whole experience (overall)"] == f"{overall['pct']:.1f}% (n={overall['base']:,})"
    png = to_png(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_trend_and_representation_use_the_colour_blind_safe_palette(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    spec = trend_lines(satisfaction(frame, victim, all_periods=True), victim, title="t").to_dict()
    ranges = [
        layer["encoding"]["color"]["scale"]["range"] for layer in spec["layer"] if "color" in layer.get("encoding", {})
    ]
    assert ranges and all(set(r) <= set(OKABE_ITO) for r in ranges)
    rows = pl.DataFrame({"group": ["A"], "count": [5], "share": [50.0], "census_share": [40.0], "gap_pp": [10.0]})
    rep = representation_bars(rows, who="Respondents", title="t").to_dict()
    assert set(rep["encoding"]["color"]["scale"]["range"]) <= set(OKABE_ITO)
    assert any(t.get("field") == "count" for t in rep["encoding"]["tooltip"])
