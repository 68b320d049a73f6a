from __future__ import annotations

import json
import re

import polars as pl
from coloraide import Color

from insight.config.loader import load_config
from insight.display.charts import (
    INK,
    OKABE_ITO,
    SAMPLE_MARK,
    TITLE_LINE,
    for_export,
    representation_bars,
    share_bars,
    title_lines,
    title_text,
    to_png,
    trend_lines,
)
from insight.figures.metrics import LOW_BASE, satisfaction
from insight.intake.tidy import ingest_file


def contrast(fg: str, bg: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio by coloraide, a colour library independent of insight.display.charts.contrast."""
    return Color(fg).contrast(bg, method="wcag21")


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


def test_share_bars_name_their_measure_on_the_axis(exports, victim):
    """A checklist's bars read "% met" on the axis and in the tooltip; a survey's keep "% positive"."""
    result = satisfaction(ingest_file(exports / "victim_survey_example.csv", victim).frame, victim)

    def titles(spec: dict) -> list[str]:
        found = []
        for layer in spec.get("layer", []):
            x = layer.get("encoding", {}).get("x", {})
            found += [x["title"]] if x.get("field") == "pct" and "title" in x else []
        return found

    assert set(titles(share_bars(result, victim, rows="aspect_label", title="t").to_dict())) == {"% positive"}
    met = share_bars(result, victim, rows="aspect_label", title="t", measure="% met").to_dict()
    assert set(titles(met)) == {"% met"} and '"title": "% met"' in json.dumps(met)


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


def test_more_lines_than_palette_colours_still_draw(exports, victim):
    # The NPU breakdown has nine groups, one more than the palette: Vega's own colours then, not a crash.
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    one = satisfaction(frame, victim, all_periods=True, aspects=["overall"])
    nine = pl.concat([one.with_columns(pl.lit(f"NPU {i}").alias("group")) for i in range(len(OKABE_ITO) + 1)])
    spec = trend_lines(nine, victim, title="t", series="group").to_dict()
    scales = [layer["encoding"]["color"]["scale"] for layer in spec["layer"] if "color" in layer.get("encoding", {})]
    assert scales and all(len(s["domain"]) == len(OKABE_ITO) + 1 and "range" not in s for s in scales)


def test_exported_charts_carry_survey_period_and_sample_mark(exports, victim):
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    chart = share_bars(satisfaction(frame, victim), victim, rows="aspect_label", title="% positive")
    title = for_export(chart, heading="Victim satisfaction survey, September 2019", sample=True).to_dict()["title"]
    assert title["text"] == "Victim satisfaction survey, September 2019"
    assert title["subtitle"] == [SAMPLE_MARK, "% positive"]
    real = for_export(chart, heading="Victim satisfaction survey, September 2019", sample=False).to_dict()["title"]
    assert SAMPLE_MARK not in real["subtitle"]
    assert to_png(chart, heading="x", sample=True) != to_png(chart, heading="x", sample=False)


def _layer_rows(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]] if "data" in layer else spec["datasets"][spec["data"]["name"]]


def test_every_answer_segment_is_labelled_in_ink_that_reads_on_its_fill(victim):
    import vl_convert as vlc

    from insight.datasets import load_sample
    from insight.display.charts import diverging_answers
    from insight.figures.answers import answer_distribution

    sample = load_sample(victim)
    answers = answer_distribution(sample, victim, aspect="overall", period="2019-09", by="channel_group")
    scale = victim.questions["overall"].scale
    chart = diverging_answers(answers.rows, scale, title="Overall: every answer")
    spec = chart.to_dict()
    text_layer = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    segments = _layer_rows(spec, text_layer)
    assert text_layer["encoding"]["color"] == {"field": "ink", "type": "nominal", "scale": None}
    for row in segments:  # each label's ink is chosen for the fill it sits on (WCAG AA, 4.5:1)
        assert contrast(row["ink"], row["colour"]) >= 4.5, row
        assert abs(int(row["share_text"].rstrip("%")) - row["share"]) <= 0.55  # whole percent, of the 1-dp share
        assert row["long_text"] == f"{row['answer']} {row['share_text']}"
    assert {row["ink"] for row in segments} == {INK, "#FFFFFF"}  # dark ink on light fills, white on the darkest
    bars_layer = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")
    legend = bars_layer["encoding"]["color"]
    assert legend["title"] == "Answers, left to right"
    # drawn: every segment wide enough carries its share in text, whatever its colour
    span = bars_layer["encoding"]["x"]["scale"]["domain"]
    assert span[0] == -span[1] and max(abs(r["x"]) for r in segments) <= span[1]  # centred, every segment within
    svg = vlc.vegalite_to_svg(chart.properties(width=700).to_dict())
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    wide = [r for r in segments if r["share"] * 700 / (2 * span[1]) >= len(r["share_text"]) * 7 + 8]
    assert wide and all(r["share_text"] in drawn or r["long_text"] in drawn for r in wide)
    assert not [t for t in drawn if t.endswith("%") and t not in {r["share_text"] for r in segments}
                and t not in {r["long_text"] for r in segments}]  # fmt: skip
    narrow = re.findall(r"<text[^>]*>([^<]*%)</text>", vlc.vegalite_to_svg(chart.properties(width=120).to_dict()))
    assert len(narrow) < len(wide)  # a narrow chart leaves out the labels that would not fit
    # the finding states every group's every answer, in words
    description = spec["description"]
    for row in answers.dissatisfied:
        assert f"{row['group']}: {row['pct']:.1f}% dissatisfied" in description
    phone = [r for r in segments if r["group"] == "Phone"]
    assert all(f"{r['answer']} {r['share']:.1f}%" in description for r in phone)
    # and the table under it gives the same shares of the base (its text equivalent)
    from insight.display.tables import answers_table

    table = answers_table(answers, group_label="Channel")
    charted = {(r["group"], r["answer"]): r["share"] for r in segments}
    tabled = {(g, a): v for g, a, v in table.select("Channel", "Answer", "% of the base (as charted)").iter_rows()}
    assert charted and all(tabled[key] == share for key, share in charted.items())
    assert tabled[("Phone", "Don't know")] is None  # left out of the base, as of the bars


def test_weighted_charts_state_their_finding_and_differ_without_colour(victim):
    from insight.datasets import load_sample
    from insight.display.charts import UNWEIGHTED, WEIGHTED, weighted_bars, weighted_trend
    from insight.figures.weighting import weighted_satisfaction

    sample = load_sample(victim).filter(pl.col("period") >= "2019-07")
    census = load_config().census
    rows = weighted_satisfaction(sample, victim, census, period="2019-09").rows
    spec = weighted_bars(rows, victim, rows="aspect_label", title="% positive").to_dict()
    for row in rows.iter_rows(named=True):
        said = f"{victim.aspect_label(row['aspect'])} {row['pct']:.1f}% unweighted, {row['weighted_pct']:.1f}% weighted"
        assert said in spec["description"]
    bars = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")
    dashes = bars["encoding"]["strokeDash"]["scale"]["range"]
    assert bars["mark"]["stroke"] == INK and dashes[0] != dashes[1]  # weighted bars outlined dashed
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert text["mark"]["color"] == INK
    labels = [r["label"] for r in _layer_rows(spec, text)]
    assert sum(x.startswith("unweighted ") for x in labels) == sum(x.startswith("weighted ") for x in labels) == 5
    assert f'"labelColor": "{INK}"' in json.dumps(spec)

    over_time = weighted_satisfaction(sample, victim, census, all_periods=True).rows.filter(
        pl.col("aspect") == "overall"
    )
    trend = weighted_trend(over_time, victim, title="t").to_dict()
    last = over_time.filter(pl.col("period") == "2019-09").row(0, named=True)
    assert f"{UNWEIGHTED} {last['pct']:.1f}% in September 2019" in trend["description"]
    assert f"{WEIGHTED} {last['weighted_pct']:.1f}% in September 2019" in trend["description"]
    encodings = [layer.get("encoding", {}) for layer in trend["layer"]]
    dash = next(e["strokeDash"]["scale"]["range"] for e in encodings if "strokeDash" in e)
    shapes = next(e["shape"]["scale"]["range"] for e in encodings if "shape" in e)
    assert dash[0] != dash[1] and shapes[0] != shapes[1]  # a dashed line and other points, not only a colour
    ends = next(
        _layer_rows(trend, layer) for layer in trend["layer"] if layer.get("encoding", {}).get("text", {}).get("field")
    )
    assert {r["end_label"] for r in ends} == {
        f"{last['pct']:.1f}% {UNWEIGHTED}",
        f"{last['weighted_pct']:.1f}% {WEIGHTED}",
    }  # labelled where each line ends, the figure first (a phone cuts a long name short, never the figure)
    assert f'"labelColor": "{INK}"' in json.dumps(trend)


def test_weighting_profile_tells_before_after_and_target_apart_without_colour(victim):
    from insight.datasets import load_sample
    from insight.display.charts import weighting_profile_bars
    from insight.figures.weighting import profile, weigh_period

    respondents, raking = weigh_period(load_sample(victim), victim, load_config().census, period="2019-09")
    shares = profile(respondents, raking)
    rows = shares.filter(shares["margin"] == raking.margins[0].dimension)
    spec = weighting_profile_bars(rows, title="Age group").to_dict()
    encoding = spec["encoding"]
    dashes = encoding["strokeDash"]["scale"]["range"]
    fills = encoding["color"]["scale"]["range"]
    assert spec["mark"]["stroke"] == INK  # every bar outlined in dark ink
    assert dashes[0] != dashes[1] and fills[2] == "#FFFFFF"  # after: dashed outline; target: an empty bar
    for r in rows.iter_rows(named=True):
        before, after, target = (round(r[c], 1) for c in ("unweighted_pct", "weighted_pct", "target_pct"))
        said = f"{r['group']} {before:.1f}% before, {after:.1f}% after, target {target:.1f}%"
        assert said in spec["description"]


def test_long_titles_are_set_in_lines_a_phone_can_show(exports, victim):
    """Vega cuts a title line longer than the chart with "…": a 390 px phone shows about 38 characters."""
    assert title_lines("% positive, September 2019") == ["% positive, September 2019"]
    lines = title_lines("Whole experience (overall): every answer, September 2019")
    assert lines == ["Whole experience (overall):", "every answer, September 2019"]
    long = "Victim satisfaction survey, Birmingham East, Birmingham West and Coventry: % positive by age group"
    assert all(len(line) <= TITLE_LINE for line in title_lines(long))
    assert " ".join(title_lines(long)) == long, "no word lost or changed"
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    chart = share_bars(satisfaction(frame, victim), victim, rows="aspect_label", title=long).to_dict()
    assert isinstance(chart["title"]["text"], list) and title_text(chart["title"]) == long
    bars = share_bars(satisfaction(frame, victim), victim, rows="aspect_label", title=long)
    exported = for_export(bars, heading="Victim satisfaction survey, September 2019", sample=False).to_dict()["title"]
    assert exported["subtitle"] == [long], "the PNG's subtitle keeps the chart's own title as one line"


def test_contrast_oracle_and_the_apps_contrast_agree_with_published_ratios():
    """WebAIM's published ratios (#767676 on white 4.54:1, black on white 21:1); the app's own function agrees."""
    from insight.display.charts import contrast as app_contrast

    for fg, bg, ratio in (("#767676", "#ffffff", 4.54), ("#000000", "#ffffff", 21.0), ("#1f1f1f", "#ffffff", 16.48)):
        assert round(contrast(fg, bg), 2) == ratio
        assert round(app_contrast(fg, bg), 2) == ratio


def test_axes_show_differences_without_misleading(exports, victim):
    """Bars start at 0 and end just past the longest interval (not at 100%); a line's axis says where it starts."""
    from insight.display.charts import PRESENTER, nice_top, value_range

    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame
    result = satisfaction(frame, victim)
    spec = share_bars(result, victim, rows="aspect_label", title="t").to_dict()
    domain = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    highest = max(r["ci_high"] for r in result.iter_rows(named=True) if r["ci_high"] is not None)
    assert domain[0] == 0 and highest <= domain[1] < 100 and domain[1] == nice_top([highest])
    assert nice_top([95.1]) == 100 and nice_top([3.0]) == 10 and nice_top([61.0], room=12) == 80
    trend = trend_lines(satisfaction(frame, victim, all_periods=True), victim, title="t", look=PRESENTER).to_dict()
    y = next(layer["encoding"]["y"] for layer in trend["layer"] if layer["encoding"].get("y", {}).get("title"))
    low, high = value_range([40.2, 66.0])
    assert (low, high) == (40.0, 70.0)
    assert y["scale"]["domain"][0] > 0 and y["title"] == f"% positive (axis from {y['scale']['domain'][0]:g}%)"


def test_a_presenters_chart_is_large_and_its_line_labels_clear_of_every_line(victim):
    """Key figures 40 px, labels 24 px, thick bars; line labels right of the last period, never on each other."""
    import polars as pl

    from insight.datasets import load_sample
    from insight.display.charts import PRESENTER, gap_lines

    sample = load_sample(victim)
    spec = json.dumps(share_bars(satisfaction(sample, victim, period="2019-09"), victim, rows="aspect_label",
                                 title="t", look=PRESENTER).to_dict())  # fmt: skip
    assert '"labelFontSize": 24' in spec and '"size": 42' in spec and '"step": 58' in spec
    assert "width < 600 ? 24 : 40" in spec  # 40 px figures, smaller (and inside the bar) only on a phone
    # two series ending 0.2 points apart: their labels are spread at least a label's height apart
    series = pl.DataFrame(
        {
            "series": ["A"] * 3 + ["B"] * 3,
            "period": ["2019-07", "2019-08", "2019-09"] * 2,
            "gap_pp": [-10.0, -9.0, -6.1, -20.0, -15.0, -6.3],
            "share": [5.0] * 6, "census_share": [15.0] * 6, "stated": [500] * 6, "in_groups": [25] * 6,
        }
    )  # fmt: skip
    chart = gap_lines(series, title="t", look=PRESENTER).to_dict()
    ends = next(_layer_rows(chart, layer) for layer in chart["layer"]
                if layer.get("encoding", {}).get("text", {}).get("field") == "end_figure")  # fmt: skip
    assert {r["end_at"] for r in ends} == {"September 2019"}  # all in the margin right of the last month
    y_domain = next(layer["encoding"]["y"]["scale"]["domain"] for layer in chart["layer"]
                    if layer.get("encoding", {}).get("y", {}).get("field") == "gap_pp")  # fmt: skip
    pixels_per_point = (PRESENTER.height - 50) / (y_domain[1] - y_domain[0])
    a, b = sorted(r["label_y"] for r in ends)
    assert (b - a) * pixels_per_point >= PRESENTER.figure + PRESENTER.label  # a figure and a name apart
    assert y_domain[0] <= a and b <= y_domain[1]
    x = next(layer["encoding"]["x"] for layer in chart["layer"] if layer.get("encoding", {}).get("x", {}).get("field"))
    assert "width - " in x["scale"]["range"][1]["expr"]  # the periods stop short of the labels' margin
    rules = [layer for layer in chart["layer"] if layer.get("mark", {}).get("type") == "rule"]
    assert rules and all("x2" in layer["encoding"] for layer in rules)  # zero and targets stop there too


def test_a_tiles_trend_says_itself_in_words(victim):
    from insight.datasets import load_sample
    from insight.display import wording
    from insight.display.charts import sparkline

    history = satisfaction(load_sample(victim), victim, all_periods=True, aspects=["overall"]).tail(13)
    words = wording.sparkline(history)
    assert words.startswith("Last 13 months: ") and "in September 2019" in words
    assert sparkline(history, words=words).to_dict()["description"] == words  # its accessible name
