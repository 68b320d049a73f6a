"""Altair charts: pure functions from a metrics frame to a chart.

Colours are the Okabe-Ito palette, safe for the common forms of colour blindness.
Suppressed rows carry no percentage in their data, so no mark, label or tooltip can
show one; they are drawn as a "suppressed" label instead.
"""

from __future__ import annotations

import io

import altair as alt
import polars as pl

from insight.definition import Definition, Scale
from insight.metrics import LOW_BASE, OK, SUPPRESSED
from insight.periods import period_label

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STATUS_LABEL = {OK: "ok", LOW_BASE: "treat with caution (base < caution threshold)", SUPPRESSED: "suppressed"}
FONT = 13


def _prepare(result: pl.DataFrame, definition: Definition, label_col: str) -> pl.DataFrame:
    labels = {k: q.label for k, q in definition.questions.items()}
    return (
        result.with_columns(
            pl.col("aspect").replace_strict(labels, default=pl.col("aspect")).alias("aspect_label"),
            pl.col("group").fill_null("All respondents"),
            pl.col("pct").round(1),
            pl.col("ci_low").round(1),
            pl.col("ci_high").round(1),
            pl.col("change_pp").round(1) if "change_pp" in result.columns else pl.lit(None).alias("change_pp"),
            pl.col("status").replace_strict(STATUS_LABEL, default=pl.col("status")).alias("status_text"),
            pl.col("base").map_elements(lambda b: f"{b:,}", return_dtype=pl.String).alias("base_text"),
        )
        .with_columns(
            pl.when(pl.col("status") == SUPPRESSED)
            .then(pl.format("suppressed (n={})", pl.col("base_text")))
            .otherwise(pl.format("{}% (n={})", pl.col("pct").round(1), pl.col("base_text")))
            .alias("label"),
        )
        .with_columns(pl.col(label_col).alias("row_label"))
    )


def share_bars(
    result: pl.DataFrame, definition: Definition, *, rows: str, title: str, marks: dict[str, str] | None = None
) -> alt.LayerChart:
    """Horizontal bars of positive share with 95% intervals, one bar per aspect or group, in the frame's order.

    ``rows`` is ``"aspect_label"`` (every aspect) or ``"group"`` (one aspect by a dimension). ``marks`` adds
    text after a row's label (e.g. "▲ above the rest"), so significance is not shown by colour alone.
    """
    data = _prepare(result, definition, rows)
    if marks:
        data = data.with_columns(
            pl.concat_str(
                [pl.col("label"), pl.col("row_label").replace_strict(marks, default="", return_dtype=pl.String)],
                separator="  ",
            )
            .str.strip_chars_end()
            .alias("label")
        )
    order = data.get_column("row_label").to_list()
    y = alt.Y("row_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelFontSize=FONT))
    tooltip = [
        alt.Tooltip("row_label:N", title=""),
        alt.Tooltip("pct:Q", title="% positive", format=".1f"),
        alt.Tooltip("base:Q", title="base (answered)", format=","),
        alt.Tooltip("ci_low:Q", title="95% CI from", format=".1f"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format=".1f"),
        alt.Tooltip("status_text:N", title="status"),
    ]
    x = alt.X("pct:Q", title="% positive", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(labelFontSize=FONT))
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(color=OKABE_ITO[0]).encode(
        x=x,
        opacity=alt.Opacity(
            "status_text:N",
            scale=alt.Scale(domain=[STATUS_LABEL[OK], STATUS_LABEL[LOW_BASE]], range=[1.0, 0.45]),
            legend=alt.Legend(title="status", orient="bottom"),
        ),
        tooltip=tooltip,
    )
    errors = base.mark_rule(color="#333333", strokeWidth=1.5).encode(x="ci_low:Q", x2="ci_high:Q", tooltip=tooltip)
    labels = base.mark_text(align="left", dx=6, fontSize=FONT, color="#222222").encode(
        x=alt.X("label_x:Q"), text="label:N", tooltip=tooltip
    )
    data_labels = labels.transform_calculate(label_x="datum.ci_high === null ? 0 : datum.ci_high")
    return (bars + errors + data_labels).properties(title=title, height=alt.Step(40))


def trend_lines(trend: pl.DataFrame, definition: Definition, *, title: str) -> alt.LayerChart:
    """Each aspect over time with its 95% band; significant changes on the previous period ringed."""
    data = _prepare(trend, definition, "aspect_label").with_columns(
        pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("period_label"),
        pl.when(pl.col("significant")).then(pl.lit("significant change")).otherwise(pl.lit("")).alias("sig"),
    )
    aspects = [definition.questions[a].label for a in dict.fromkeys(trend.get_column("aspect").to_list())]
    colour = alt.Color(
        "aspect_label:N",
        title="aspect",
        scale=alt.Scale(domain=aspects, range=OKABE_ITO[: len(aspects)]),
        legend=alt.Legend(orient="bottom", columns=3, labelFontSize=FONT, labelLimit=300),
    )
    x = alt.X("period:O", title=None, axis=alt.Axis(labelAngle=-45, labelFontSize=FONT))
    y = alt.Y("pct:Q", title="% positive", scale=alt.Scale(zero=False), axis=alt.Axis(labelFontSize=FONT))
    tooltip = [
        alt.Tooltip("aspect_label:N", title="aspect"),
        alt.Tooltip("period_label:N", title="period"),
        alt.Tooltip("pct:Q", title="% positive", format=".1f"),
        alt.Tooltip("base:Q", title="base", format=","),
        alt.Tooltip("ci_low:Q", title="95% CI from", format=".1f"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format=".1f"),
        alt.Tooltip("change_pp:Q", title="change (points)", format="+.1f"),
        alt.Tooltip("sig:N", title=""),
    ]
    base = alt.Chart(data).encode(x=x, color=colour)
    band = base.mark_area(opacity=0.15).encode(y="ci_low:Q", y2="ci_high:Q")
    line = base.mark_line(point=alt.OverlayMarkDef(size=50)).encode(y=y, tooltip=tooltip)
    rings = (
        alt.Chart(data)
        .transform_filter("datum.significant === true")
        .mark_point(size=260, strokeWidth=2.5, filled=False, color="#000000")
        .encode(x=x, y="pct:Q", tooltip=tooltip)
    )
    # The line comes first so the legend shows its solid colours, not the faint bands.
    return (line + band + rings).properties(title=title, height=380)


def representation_bars(rows: pl.DataFrame, *, who: str, title: str) -> alt.Chart:
    """Share of respondents (or members) against the census share, group by group."""
    long = pl.concat(
        [
            rows.select(
                "group", pl.col("share").round(1).alias("value"), pl.lit(who).alias("series"), "count", "gap_pp"
            ),
            rows.select(
                "group",
                pl.col("census_share").round(1).alias("value"),
                pl.lit("Census 2021").alias("series"),
                "count",
                "gap_pp",
            ),
        ]
    ).with_columns(pl.col("gap_pp").round(1))
    order = rows.get_column("group").to_list()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("group:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=FONT)),
            xOffset=alt.XOffset("series:N", sort=[who, "Census 2021"]),
            y=alt.Y("value:Q", title="% of those who stated", axis=alt.Axis(labelFontSize=FONT)),
            color=alt.Color(
                "series:N",
                title=None,
                sort=[who, "Census 2021"],
                scale=alt.Scale(domain=[who, "Census 2021"], range=[OKABE_ITO[0], OKABE_ITO[1]]),
                legend=alt.Legend(orient="bottom", labelFontSize=FONT),
            ),
            tooltip=[
                alt.Tooltip("group:N"),
                alt.Tooltip("series:N", title=""),
                alt.Tooltip("value:Q", title="% of those who stated", format=".1f"),
                alt.Tooltip("count:Q", title=f"{who} (count)", format=","),
                alt.Tooltip("gap_pp:Q", title="gap (points)", format="+.1f"),
            ],
        )
        .properties(title=title, height=300)
    )


def gap_lines(trend: pl.DataFrame, *, title: str, targets: dict[str, float] | None = None) -> alt.LayerChart:
    """The gap to the census, in points, month by month, for one or more groups (column ``series``).

    ``targets`` (series -> target gap in points) are drawn as dashed lines in the series' colour.
    """
    data = trend.with_columns(pl.col("gap_pp").round(1), pl.col("share").round(1), pl.col("census_share").round(1))
    series = list(dict.fromkeys(data.get_column("series").to_list()))
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title=None, axis=alt.Axis(labelAngle=-45, labelFontSize=FONT)),
            y=alt.Y("gap_pp:Q", title="gap to census (points)", axis=alt.Axis(labelFontSize=FONT)),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=series, range=OKABE_ITO[: len(series)]),
                legend=alt.Legend(orient="bottom", labelFontSize=FONT, labelLimit=300),
            ),
            tooltip=[
                alt.Tooltip("series:N", title=""),
                alt.Tooltip("period:O"),
                alt.Tooltip("share:Q", title="% of new sign-ups", format=".1f"),
                alt.Tooltip("census_share:Q", title="% census", format=".1f"),
                alt.Tooltip("gap_pp:Q", title="gap (points)", format="+.1f"),
                alt.Tooltip("stated:Q", title="sign-ups who stated", format=","),
            ],
        )
    )
    zero = alt.Chart(pl.DataFrame({"y": [0]})).mark_rule(color="#666666", strokeDash=[4, 4]).encode(y="y:Q")
    shown = {k: v for k, v in (targets or {}).items() if k in series}
    if not shown:
        return (zero + lines).properties(title=title, height=320)
    goal = pl.DataFrame({"series": list(shown), "target_gap": [round(v, 1) for v in shown.values()]}).with_columns(
        pl.format("target for {}", pl.col("series")).alias("what")
    )
    target_lines = (
        alt.Chart(goal)
        .mark_rule(strokeDash=[8, 4], strokeWidth=2)
        .encode(
            y="target_gap:Q",
            color=alt.Color("series:N", scale=alt.Scale(domain=series, range=OKABE_ITO[: len(series)]), legend=None),
            tooltip=[alt.Tooltip("what:N", title=""), alt.Tooltip("target_gap:Q", title="target gap (points)")],
        )
    )
    labels = target_lines.mark_text(align="left", dx=4, dy=-6, fontSize=FONT).encode(text="what:N", x=alt.value(0))
    return (zero + lines + target_lines + labels).properties(title=title, height=320)


def to_png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as a PNG, rendered offline through vl-convert."""
    buf = io.BytesIO()
    # In the app a chart takes the page's width; on its own it needs one for a slide.
    chart.properties(width=720).save(buf, format="png", scale_factor=2)
    return buf.getvalue()


def theme_bars(counts: pl.DataFrame, *, title: str) -> alt.Chart:
    """Share of comments mentioning each theme."""
    data = counts.with_columns(pl.col("share").round(1))
    return (
        alt.Chart(data)
        .mark_bar(color=OKABE_ITO[2])
        .encode(
            x=alt.X("share:Q", title="% of comments", axis=alt.Axis(labelFontSize=FONT)),
            y=alt.Y("theme:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360, labelFontSize=FONT)),
            tooltip=[
                alt.Tooltip("theme:N"),
                alt.Tooltip("comments:Q", title="comments", format=","),
                alt.Tooltip("share:Q", title="% of comments", format=".1f"),
            ],
        )
        .properties(title=title, height=alt.Step(34))
    )


UNWEIGHTED, WEIGHTED = "Unweighted", "Weighted to the census"


def _weighted_long(result: pl.DataFrame, definition: Definition) -> pl.DataFrame:
    """One row per figure and series (unweighted, weighted), for charts showing both side by side."""
    labels = {k: q.label for k, q in definition.questions.items()}
    common = [
        "period",
        pl.col("aspect").replace_strict(labels, default=pl.col("aspect")).alias("aspect_label"),
        pl.col("group").fill_null("All respondents"),
    ]
    parts = [
        result.select(*common, pl.lit(UNWEIGHTED).alias("series"), "pct", "ci_low", "ci_high",
                      pl.col("base").cast(pl.Float64).alias("n"), pl.lit("n").alias("n_word")),
        result.select(*common, pl.lit(WEIGHTED).alias("series"), pl.col("weighted_pct").alias("pct"),
                      pl.col("weighted_ci_low").alias("ci_low"), pl.col("weighted_ci_high").alias("ci_high"),
                      pl.col("effective_base").alias("n"), pl.lit("effective n").alias("n_word")),
    ]  # fmt: skip
    return (
        pl.concat(parts)
        .with_columns(pl.col("pct", "ci_low", "ci_high").round(1), pl.col("n").round(0))
        .with_columns(
            pl.when(pl.col("pct").is_null())
            .then(pl.lit("suppressed"))
            .otherwise(pl.format("{}% ({}={})", "pct", "n_word", pl.col("n").cast(pl.Int64)))
            .alias("label"),
            pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("period_label"),
        )
    )


def _series_colour() -> alt.Color:
    return alt.Color(
        "series:N",
        title=None,
        sort=[UNWEIGHTED, WEIGHTED],
        scale=alt.Scale(domain=[UNWEIGHTED, WEIGHTED], range=[OKABE_ITO[0], OKABE_ITO[5]]),
        legend=alt.Legend(orient="bottom", labelFontSize=FONT, labelLimit=300),
    )


_WEIGHTED_TOOLTIP = [
    alt.Tooltip("series:N", title=""),
    alt.Tooltip("pct:Q", title="% positive", format=".1f"),
    alt.Tooltip("n:Q", title="base (effective, when weighted)", format=","),
    alt.Tooltip("ci_low:Q", title="95% CI from", format=".1f"),
    alt.Tooltip("ci_high:Q", title="95% CI to", format=".1f"),
]


def weighted_bars(result: pl.DataFrame, definition: Definition, *, rows: str, title: str) -> alt.LayerChart:
    """Unweighted and weighted positive share side by side, with 95% intervals, per aspect or group."""
    data = _weighted_long(result, definition).with_columns(pl.col(rows).alias("row_label"))
    order = list(dict.fromkeys(data.get_column("row_label").to_list()))
    y = alt.Y("row_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelFontSize=FONT))
    tooltip = [alt.Tooltip("row_label:N", title=""), *_WEIGHTED_TOOLTIP]
    base = alt.Chart(data).encode(y=y, yOffset=alt.YOffset("series:N", sort=[UNWEIGHTED, WEIGHTED]))
    bars = base.mark_bar().encode(
        x=alt.X("pct:Q", title="% positive", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(labelFontSize=FONT)),
        color=_series_colour(),
        tooltip=tooltip,
    )
    errors = base.mark_rule(color="#333333", strokeWidth=1.5).encode(x="ci_low:Q", x2="ci_high:Q", tooltip=tooltip)
    labels = (
        base.mark_text(align="left", dx=6, fontSize=FONT, color="#222222")
        .encode(x=alt.X("label_x:Q"), text="label:N", tooltip=tooltip)
        .transform_calculate(label_x="datum.ci_high === null ? 0 : datum.ci_high")
    )
    return (bars + errors + labels).properties(title=title, height=alt.Step(28))


def weighted_trend(trend: pl.DataFrame, definition: Definition, *, title: str) -> alt.LayerChart:
    """One aspect over time, unweighted and weighted, each with its 95% band."""
    data = _weighted_long(trend, definition)
    x = alt.X("period:O", title=None, axis=alt.Axis(labelAngle=-45, labelFontSize=FONT))
    y = alt.Y("pct:Q", title="% positive", scale=alt.Scale(zero=False), axis=alt.Axis(labelFontSize=FONT))
    tooltip = [alt.Tooltip("period_label:N", title="period"), *_WEIGHTED_TOOLTIP]
    base = alt.Chart(data).encode(x=x, color=_series_colour())
    band = base.mark_area(opacity=0.12).encode(y="ci_low:Q", y2="ci_high:Q")
    line = base.mark_line(point=alt.OverlayMarkDef(size=50)).encode(y=y, tooltip=tooltip)
    return (line + band).properties(title=title, height=380)


def weighting_profile_bars(profile: pl.DataFrame, *, title: str) -> alt.Chart:
    """One margin's respondents before and after weighting, beside the target from the census."""
    series = ["Before weighting", "After weighting", "Target (census)"]
    long = pl.concat(
        [
            profile.select("group", pl.col(column).round(1).alias("value"), pl.lit(name).alias("series"), "respondents")
            for column, name in zip(("unweighted_pct", "weighted_pct", "target_pct"), series, strict=True)
        ]
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X(
                "group:N",
                sort=profile.get_column("group").to_list(),
                title=None,
                axis=alt.Axis(labelAngle=0, labelFontSize=FONT, labelLimit=160),
            ),
            xOffset=alt.XOffset("series:N", sort=series),
            y=alt.Y("value:Q", title="% of respondents", axis=alt.Axis(labelFontSize=FONT)),
            color=alt.Color(
                "series:N",
                title=None,
                sort=series,
                scale=alt.Scale(domain=series, range=[OKABE_ITO[0], OKABE_ITO[5], OKABE_ITO[1]]),
                legend=alt.Legend(orient="bottom", labelFontSize=FONT),
            ),
            tooltip=[
                alt.Tooltip("group:N"),
                alt.Tooltip("series:N", title=""),
                alt.Tooltip("value:Q", title="% of respondents", format=".1f"),
                alt.Tooltip("respondents:Q", title="respondents", format=","),
            ],
        )
        .properties(title=title, height=260)
    )


NEGATIVE_COLOURS = ["#F4B183", "#E07B39", "#B3541E", "#7F2704"]  # mild to strong
POSITIVE_COLOURS = ["#9ECAE1", "#4A98C9", "#1B6BA8", "#08306B"]
NEUTRAL_COLOUR = "#BDBDBD"


def diverging_answers(rows: list[dict], scale: Scale, *, title: str) -> alt.LayerChart:
    """A diverging stacked bar per group: negative answers left of zero, positive right, neutral split across it.

    ``rows`` are ``answer_distribution`` rows; shares are recomputed over the base (answers left out of
    the base are not drawn), so the left side adds up to % dissatisfied. Hidden groups are left out.
    """
    parts = []
    groups = list(dict.fromkeys(r["group"] for r in rows))
    neutral = [a for a in scale.in_base if a not in scale.positive and a not in scale.negative]
    for g in groups:
        mine = {r["answer"]: r["count"] for r in rows if r["group"] == g and r["in_base"]}
        if any(v is None for v in mine.values()):
            continue
        base = sum(mine.values())
        if not base:
            continue
        share = {a: n / base * 100 for a, n in mine.items()}
        half = sum(share[a] for a in neutral) / 2
        label = g or "All respondents"
        left, right = -half, half
        for a in neutral:  # centred on zero
            parts.append((label, a, -share[a] / 2, share[a] / 2, share[a], NEUTRAL_COLOUR))
        for i, a in enumerate(scale.negative):  # listed mildest first: the mildest sits next to the centre
            parts.append((label, a, left - share[a], left, share[a], NEGATIVE_COLOURS[min(i, 3)]))
            left -= share[a]
        for i, a in enumerate(reversed(scale.positive)):  # listed strongest first
            parts.append((label, a, right, right + share[a], share[a], POSITIVE_COLOURS[min(i, 3)]))
            right += share[a]
    data = pl.DataFrame(parts, schema=["group", "answer", "x", "x2", "share", "colour"], orient="row").with_columns(
        pl.col("share").round(1)
    )
    order = [*reversed(scale.negative), *neutral, *reversed(scale.positive)]  # left to right
    colours = dict(zip(data.get_column("answer").to_list(), data.get_column("colour").to_list(), strict=True))
    domain = [a for a in order if a in colours]
    y = alt.Y("group:N", sort=[g or "All respondents" for g in groups], title=None,
              axis=alt.Axis(labelLimit=320, labelFontSize=FONT))  # fmt: skip
    x = alt.X(
        "x:Q",
        title="% of the base (dissatisfied left, satisfied right)",
        scale=alt.Scale(domain=[-100, 100]),
        axis=alt.Axis(labelFontSize=FONT, labelExpr="abs(datum.value)"),
    )
    colour = alt.Color(
        "answer:N",
        sort=order,
        title=None,
        scale=alt.Scale(domain=domain, range=[colours[a] for a in domain]),
        legend=alt.Legend(orient="bottom", columns=4, labelLimit=320, labelFontSize=FONT),
    )
    tooltip = [alt.Tooltip("group:N", title=""), alt.Tooltip("answer:N"),
               alt.Tooltip("share:Q", title="% of base", format=".1f")]  # fmt: skip
    bars = (
        alt.Chart(data)
        .mark_bar(stroke="#FFFFFF", strokeWidth=0.5)
        .encode(y=y, x=x, x2="x2:Q", color=colour, tooltip=tooltip)
    )
    zero = alt.Chart(pl.DataFrame({"x": [0]})).mark_rule(color="#333333").encode(x="x:Q")
    return (bars + zero).properties(title=title, height=alt.Step(34))


def priority_matrix(rows: pl.DataFrame, *, title: str) -> alt.LayerChart:
    """Importance (% of R²) against % positive, one point per aspect: top left is the priority.

    ``rows``: label, pct, importance (modelled aspects only).
    """
    data = rows.with_columns(pl.col("pct").round(1), pl.col("importance").round(1))
    mean_pct = float(data.get_column("pct").mean() or 0)
    mean_importance = float(data.get_column("importance").mean() or 0)
    x = alt.X("pct:Q", title="% positive", scale=alt.Scale(zero=False, padding=30), axis=alt.Axis(labelFontSize=FONT))
    y = alt.Y("importance:Q", title="importance (% of what the model explains)", scale=alt.Scale(zero=True),
              axis=alt.Axis(labelFontSize=FONT))  # fmt: skip
    tooltip = [alt.Tooltip("label:N", title="aspect"), alt.Tooltip("pct:Q", title="% positive", format=".1f"),
               alt.Tooltip("importance:Q", title="importance (%)", format=".1f")]  # fmt: skip
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
    points = base.mark_point(filled=True, size=140, color=OKABE_ITO[0], shape="diamond")
    labels = base.mark_text(align="left", dx=9, fontSize=FONT, color="#222222").encode(text="label:N")
    rules = alt.Chart(pl.DataFrame({"pct": [mean_pct], "importance": [mean_importance]}))
    vertical = rules.mark_rule(color="#888888", strokeDash=[4, 4]).encode(x="pct:Q")
    horizontal = rules.mark_rule(color="#888888", strokeDash=[4, 4]).encode(y="importance:Q")
    return (points + labels + vertical + horizontal).properties(title=title, height=340)
