"""Reach on a chart: who is surveyed and who answers, month by month, and several surveys' response rates.

``funnel_bars`` draws each month's funnel as a stacked bar (for a survey whose volumes hold its exclusions,
every contact in scope: excluded for each reason, not sent for other reasons, sent and not answered,
answered; otherwise the invitations: answered and not); ``reach_lines`` the response rate with its 95%
interval and each exclusion's reach ("reachable by email") as lines labelled where they end, with the events
of ``config/events.yaml`` marked. ``rates_side_by_side`` sets several surveys'
response rates on one chart. Both follow ``insight.display.charts``: labels at the lines' ends, a shape per
line, the chart's accessible name saying its figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import polars as pl

from insight.config.definition import Definition
from insight.config.events import Event
from insight.display.charts import (
    OKABE_ITO,
    PAGE,
    SHAPES,
    Look,
    _axis,
    _end_labels,
    _end_marks,
    _event_marks,
    _events_words,
    _legend,
    _period_axis,
    _room_for_ends,
    _time_axis,
    _title,
    _when,
    events_in,
    once_per_result,
    value_range,
)
from insight.display.tables import in_words
from insight.periods import period_label

ANSWERED, NOT_ANSWERED, OTHER = "answered", "sent, not answered", "not sent, other reasons"
RESPONSE_RATE = "Response rate"
FUNNEL_COLOURS = ["#0072B2", "#56B4E9", "#BBBBBB", "#E69F00", "#CC79A7", "#D55E00", "#F0E442", "#009E73"]


def funnel_segments(months: pl.DataFrame, definition: Definition) -> pl.DataFrame:
    """``monthly_reach``'s rows as stacked-bar parts, long: period, segment, count, order (answered first).

    With exclusions in the funnel the bar is every contact in scope; without, the invitations sent."""
    spec = definition.volumes
    rows = months.filter(pl.col("invitations").is_not_null())
    exclusions = list(spec.exclusions) if spec else []
    parts: list[tuple[str, pl.Expr]] = [
        (ANSWERED, pl.min_horizontal("responses", "invitations")),
        (NOT_ANSWERED, (pl.col("invitations") - pl.col("responses")).clip(lower_bound=0)),
    ]
    if exclusions and "contacts" in rows.columns:
        if "other_not_invited" in rows.columns:
            parts.append((OTHER, pl.col("other_not_invited").clip(lower_bound=0)))
        parts += [(f"excluded: {c.label}", pl.col(c.key)) for c in reversed(exclusions)]
    frames = [
        rows.select(
            "period", pl.lit(name).alias("segment"), expr.cast(pl.Int64).alias("count"), pl.lit(i).alias("order")
        )
        for i, (name, expr) in enumerate(parts)
    ]
    empty = {"period": pl.String, "segment": pl.String, "count": pl.Int64, "order": pl.Int32}
    long = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=empty)
    return long.filter(pl.col("count").is_not_null() & (pl.col("count") > 0) | (pl.col("segment") == ANSWERED))


def rate_lines(months: pl.DataFrame, definition: Definition) -> pl.DataFrame:
    """The response rate (with its interval) and each exclusion's reach, long: period, series, pct, ci_low,
    ci_high, base."""
    spec = definition.volumes
    parts = [
        months.filter(pl.col("response_rate").is_not_null()).select(
            "period",
            pl.lit(RESPONSE_RATE).alias("series"),
            pl.col("response_rate").alias("pct"),
            pl.col("rate_low").alias("ci_low"),
            pl.col("rate_high").alias("ci_high"),
            pl.col("invitations").alias("base"),
        )
    ]
    for count in spec.exclusions if spec else []:
        column = f"reach_{count.key}"
        if count.reach and column in months.columns:
            name = count.reach[:1].upper() + count.reach[1:]
            parts.append(
                months.filter(pl.col(column).is_not_null()).select(
                    "period",
                    pl.lit(name).alias("series"),
                    pl.col(column).alias("pct"),
                    pl.lit(None, pl.Float64).alias("ci_low"),
                    pl.lit(None, pl.Float64).alias("ci_high"),
                    pl.col("contacts").alias("base"),
                )
            )
    return pl.concat(parts, how="vertical_relaxed").with_columns(pl.col("pct").round(1))


def _lines(
    data: pl.DataFrame,
    names: list[str],
    *,
    y_title: str,
    look: Look,
    x_room: float | None = None,
    definition: Definition | None = None,
    events: Sequence[Event] = (),
) -> tuple[alt.LayerChart, float]:
    """Lines of % over time, each with its band where it has one, labelled at its end; (chart, room at the right)."""
    low, high = value_range(
        [*data.get_column("ci_low").to_list(), *data.get_column("ci_high").to_list(), *data.get_column("pct").to_list()]
    )
    low = 0.0 if low <= 10 else low
    y_scale = alt.Scale(domain=[low, high], zero=False, nice=False)
    months = [period_label(p) for p in sorted(set(data.get_column("period").to_list()))]
    ends = _end_labels(
        data, "series", "pct", "{}%", domain=(low, high), look=look, last_label=months[-1] if months else ""
    )
    room = max(x_room or 0.0, _room_for_ends(ends, look))
    x = _time_axis(data, room, look)
    colour = alt.Color("series:N", scale=alt.Scale(domain=names, range=OKABE_ITO[: len(names)]), legend=None)
    shape = alt.Shape("series:N", scale=alt.Scale(domain=names, range=SHAPES[: len(names)]), legend=None)
    title = y_title if low == 0 else f"{y_title} (axis from {low:g}%)"
    y = alt.Y("pct:Q", title=title, scale=y_scale, axis=_axis(look))
    tooltip = [
        alt.Tooltip("series:N", title=""),
        alt.Tooltip("period_label:N", title="month"),
        alt.Tooltip("pct:Q", title="%", format=".1f"),
        alt.Tooltip("base:Q", title="of", format=","),
        alt.Tooltip("ci_low:Q", title="95% CI from", format=".1f"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format=".1f"),
    ]
    base = alt.Chart(data).encode(x=x, color=colour)
    band = (
        base.transform_filter("isValid(datum.ci_low)")
        .mark_area(opacity=0.15, aria=False)
        .encode(y=alt.Y("ci_low:Q", scale=y_scale), y2="ci_high:Q")
    )
    line = base.mark_line(aria=False, strokeWidth=2 if not look.big else 4).encode(y=y, detail="series:N")
    points = base.mark_point(filled=True, size=look.point).encode(
        y="pct:Q", shape=shape, tooltip=tooltip, description=alt.Description("label:N")
    )
    start = min(data.get_column("when").to_list()) if data.height else None
    marks = _event_marks(events, definition, y_scale, high, look, start=start) if definition is not None else []
    layer = alt.LayerChart(layer=[*marks, band, line, points, *_end_marks(ends, x, look, y_scale)])
    return layer.properties(height=look.height), room


def _labelled(frame: pl.DataFrame, label: str) -> pl.DataFrame:
    """With ``period_label`` (September 2019), ``when`` (its first day) and ``label`` (a point's words)."""
    named = frame.with_columns(in_words(frame, "period", period_label).alias("period_label"), _when(frame))
    return named.with_columns(pl.format(label, *[pl.col(c) for c in ("series", "period_label", "pct")]).alias("label"))


@once_per_result
def funnel_bars(months: pl.DataFrame, definition: Definition, *, title: str, look: Look = PAGE) -> alt.LayerChart:
    """``monthly_reach``'s months as stacked bars: answered at the bottom, then sent and not answered, then (with
    exclusions in the volumes) those not sent for each reason, so each bar is every contact in scope."""
    segments = funnel_segments(months, definition)
    segments = segments.with_columns(in_words(segments, "period", period_label).alias("period_label"), _when(segments))
    order = list(dict.fromkeys(segments.sort("order").get_column("segment").to_list()))
    spec = definition.volumes
    whole = spec.contacts_label if spec and spec.exclusions else "invitations sent"
    months_shown = [period_label(p) for p in sorted(set(segments.get_column("period").to_list()))]
    x = _period_axis(months_shown, 16, look)
    bars = (
        alt.Chart(segments)
        .mark_bar(
            size=alt.ExprRef(f"max(3, min({22 if not look.big else 32}, width / {max(len(months_shown), 1)} * 0.55))")
        )
        .encode(
            x=x,
            y=alt.Y("sum(count):Q", title=f"{whole[:1].upper()}{whole[1:]}", axis=_axis(look, format=",d")),
            color=alt.Color(
                "segment:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=FUNNEL_COLOURS[: len(order)]),
                legend=_legend(
                    look,
                    orient="top",
                    # three to a row; one on a narrow screen (a phone), so no name is cut at the edge
                    columns=alt.ExprRef(f"width < {500 if not look.big else 1100} ? 1 : {3 if not look.big else 2}"),
                    symbolType="square",
                ),
            ),
            order=alt.Order("order:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("period_label:N", title="month"),
                alt.Tooltip("segment:N", title=""),
                alt.Tooltip("count:Q", title="count", format=","),
            ],
        )
    )
    return alt.LayerChart(layer=[bars]).properties(
        title=_title(title, look), height=look.height, description=f"{title}: {reach_listing(months, definition)}"
    )


@once_per_result
def reach_lines(
    months: pl.DataFrame, definition: Definition, *, title: str, look: Look = PAGE, events: Sequence[Event] = ()
) -> alt.LayerChart:
    """The response rate (with its 95% interval) and each exclusion's reach ("reachable by email") month by
    month, labelled where they end, with the survey's events marked."""
    lines = _labelled(rate_lines(months, definition), "{} {}: {}%")
    shown = events_in(events, lines, definition) if lines.height else []
    names = list(dict.fromkeys(lines.get_column("series").to_list()))
    chart, _ = _lines(lines, names, y_title="% of those asked", look=look, definition=definition, events=shown)
    latest = []
    for name in names:
        own = lines.filter(pl.col("series") == name).sort("period")
        first, last = own.row(0, named=True), own.row(-1, named=True)
        latest.append(
            f"{name} {last['pct']:.1f}% in {last['period_label']} (from {first['pct']:.1f}% in {first['period_label']})"
        )
    return chart.properties(
        title=_title(title, look), description=f"{title}: {', '.join(latest)}.{_events_words(shown)}"
    )


def reach_listing(months: pl.DataFrame, definition: Definition) -> str:
    """The latest month's funnel and the first and latest response rate, in words (the chart's accessible name)."""
    held = months.filter(pl.col("invitations").is_not_null()).sort("period")
    if held.height == 0:
        return "no invitations held."
    last = held.row(-1, named=True)
    spec = definition.volumes
    said = [f"in {period_label(last['period'])}"]
    if spec and spec.exclusions and last.get("contacts") is not None:
        said.append(f"{last['contacts']:,} {spec.contacts_label}")
        said += [f"{last[c.key]:,} excluded as {c.label}" for c in spec.exclusions if last.get(c.key) is not None]
    said.append(f"{last['invitations']:,} sent, {last['responses']:,} answered")
    rated = held.filter(pl.col("response_rate").is_not_null())
    if rated.height:
        first, end = rated.row(0, named=True), rated.row(-1, named=True)
        said.append(
            f"response rate {end['response_rate']:.1f}% (from {first['response_rate']:.1f}% in "
            f"{period_label(first['period'])})"
        )
    for c in spec.exclusions if spec else []:
        if c.reach and last.get(f"reach_{c.key}") is not None:
            said.append(f"{c.reach} {last[f'reach_{c.key}']:.1f}%")
    return ", ".join(said) + "."


@once_per_result
def rates_side_by_side(
    long: pl.DataFrame, titles: Mapping[str, str], *, title: str, look: Look = PAGE
) -> alt.LayerChart:
    """``side_by_side``'s response rates, one line per survey with its 95% interval, labelled where it ends."""
    data = _labelled(
        long.select(
            "period",
            pl.col("survey").replace_strict(dict(titles), default=pl.col("survey")).alias("series"),
            pl.col("response_rate").round(1).alias("pct"),
            pl.col("rate_low").alias("ci_low"),
            pl.col("rate_high").alias("ci_high"),
            pl.col("invitations").alias("base"),
        ),
        "{} {}: {}%",
    )
    names = list(dict.fromkeys(data.get_column("series").to_list()))
    chart, _ = _lines(data, names, y_title="Response rate", look=look)
    latest = []
    for name in names:
        own = data.filter(pl.col("series") == name).sort("period")
        if own.height:
            row = own.row(-1, named=True)
            latest.append(f"{name} {row['pct']:.1f}% in {row['period_label']}")
    return chart.properties(title=_title(title, look), description=f"{title}: {', '.join(latest)}.")
