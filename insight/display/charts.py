"""Altair charts: pure functions from a metrics frame to a chart.

Colours are the Okabe-Ito palette, safe for the common forms of colour blindness, and
never the only carrier of meaning: series are labelled directly at their ends and drawn
with different point shapes; "treat with caution" is written in the bar's label; the
census is a black tick over the respondents' bar. Text is dark ink (WCAG AA contrast).
Every chart carries a ``description`` stating its finding ("Phone 71.0%, Online 44.4%"):
Vega-Lite makes it the SVG's accessible name and the pages show it as text.
Suppressed rows carry no percentage in their data, so no mark, label or tooltip can
show one; they are drawn as a "suppressed" label instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import textwrap
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import altair as alt
import polars as pl

from insight.config.definition import Definition, Scale
from insight.config.events import Event, within
from insight.display.tables import in_words
from insight.figures.metrics import LOW_BASE, OK, SUPPRESSED
from insight.periods import period_label, period_start

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STATUS_LABEL = {OK: "ok", LOW_BASE: "treat with caution (base < caution threshold)", SUPPRESSED: "suppressed"}
FONT = 13
WHITE = "#FFFFFF"
INK = "#1f1f1f"  # axis labels, titles and legends: 16:1 on white (Vega's default grey is ~3.7:1)
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge", "stroke"]


@dataclass(frozen=True)
class Look:
    """How large a chart is drawn: on a page (``PAGE``) or for a meeting room's screen (``PRESENTER``).

    ``label``: axis, category and legend text; ``figure``: the figures a chart carries (a bar's value, a line's
    last value), the key figures; ``title``: the chart's title; ``row``: the height a bar's row takes, ``bar``
    its thickness; ``height``: a line or point chart's plot height. In pixels.
    """

    label: int = FONT
    figure: int = FONT
    title: int = 15
    row: int = 46
    bar: int = 16
    height: int = 300
    point: int = 70

    @property
    def big(self) -> bool:
        return self.figure > FONT


PAGE = Look()
# From the back of a meeting room at 1920x1080: key figures 40 px, every other label 24 px, bars as thick as
# their figures; sized so a chart of up to six rows is whole on a 1366x768 screen under the presenter's bar.
PRESENTER = Look(label=24, figure=40, title=26, row=58, bar=42, height=320, point=220)
PRESENTER_ROWS = 6  # the rows a presenter's bar chart holds at full size


def _fitted(look: Look, rows: int) -> Look:
    """A presenter's look for a bar chart of more than ``PRESENTER_ROWS`` rows: rows, bars and figures scaled
    down together so the chart keeps the height of six (a checklist's eight entitlements on one screen), the
    figures never below 28 px."""
    if not look.big or rows <= PRESENTER_ROWS:
        return look
    scale = PRESENTER_ROWS / rows
    return replace(look, row=round(look.row * scale), bar=round(look.bar * scale),
                   figure=max(28, round(look.figure * scale)))  # fmt: skip


def once_per_result(builder: Callable[..., Any]) -> Callable[..., Any]:
    """Build a chart once per result: Altair takes ~70 ms to build and ~70 ms to serialise a chart,
    far more than computing its figures, so a rerun that shows the same result reuses both.

    Keyed on the builder, its other arguments and the frame's contents (hash, then checked equal).
    """
    cache: OrderedDict[tuple, tuple[Any, ...]] = OrderedDict()

    @functools.wraps(builder)
    def build(frame: pl.DataFrame, *args: Any, **kwargs: Any) -> Any:
        # Arguments that cannot be hashed (a Definition) count by identity; the entry keeps them alive.
        others = tuple(_key_part(a) for a in args) + tuple((k, _key_part(v)) for k, v in sorted(kwargs.items()))
        key = (tuple(frame.columns), frame.height, int(frame.hash_rows().sum()), others)
        hit = cache.get(key)
        if hit is not None and hit[0].equals(frame):
            cache.move_to_end(key)
            return hit[1]
        chart = builder(frame, *args, **kwargs)
        cache[key] = (frame, chart, args, kwargs)
        while len(cache) > 64:
            cache.popitem(last=False)
        return chart

    return build


def _key_part(value: Any) -> Any:
    if isinstance(value, dict):
        return ("dict", tuple((k, _key_part(v)) for k, v in sorted(value.items())))
    if isinstance(value, list):
        return ("list", tuple(_key_part(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def spec_of(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec, serialised once per chart object."""
    spec = getattr(chart, "_insight_spec", None)
    if spec is None:
        spec = chart.to_dict(validate=False)
        object.__setattr__(chart, "_insight_spec", spec)
    return spec


def _axis(look: Look = PAGE, **kwargs: Any) -> alt.Axis:
    return alt.Axis(labelFontSize=look.label, labelColor=INK, titleColor=INK, titleFontSize=look.label, **kwargs)


def _legend(look: Look = PAGE, **kwargs: Any) -> alt.Legend:
    return alt.Legend(
        labelFontSize=look.label, titleFontSize=look.label, labelColor=INK, titleColor=INK, titleLimit=600, **kwargs
    )


def nice_top(values: list[float | None], *, room: float = 0.0) -> float:
    """The top of a share axis: the largest value (an interval's end included) plus ``room``, up to the next
    10, at most 100, so bars are as long as they can be without an axis to 100% that squeezes the differences."""
    top = max((v for v in values if v is not None), default=100.0) + room
    return float(min(100, max(10, math.ceil(top / 10) * 10)))


def value_range(values: list[float | None], step: float = 5.0) -> tuple[float, float]:
    """An axis around the values (a line chart's): from the step below the lowest to the step above the highest."""
    shown = [v for v in values if v is not None] or [0.0, 100.0]
    low = math.floor(min(shown) / step) * step
    high = math.ceil(max(shown) / step) * step
    return (low, high if high > low else low + step)


def from_zero_words(title: str, low: float) -> str:
    """An axis title that says where the axis starts when it is not at 0, so nobody reads a gap as a ratio."""
    return title if low == 0 else f"{title} (axis from {low:g}%)"


def _text_px(text: str, size: int) -> float:
    """About how wide a text is drawn, in pixels: 0.6 of the font size a character, with room to spare."""
    return len(text) * size * 0.6 + 8


TITLE_LINE = 38  # characters a title line may hold: on a 390 px phone Vega cuts a longer line short with "…"


def title_lines(text: str) -> list[str]:
    """A chart title in lines that fit a phone: after its colon first, then at spaces."""
    if len(text) <= TITLE_LINE:
        return [text]
    head, sep, rest = text.partition(": ")
    parts = [head + sep.rstrip(), rest] if sep else [text]
    return [line for part in parts for line in textwrap.wrap(part, TITLE_LINE, break_long_words=False) or [part]]


def title_text(title: object) -> str:
    """A spec's title (text, lines, or a title object holding either) as one line of words."""
    text = title.get("text") if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else str(text or "")


def _title(text: str, look: Look = PAGE) -> alt.TitleParams:
    lines = title_lines(text) if not look.big else [text]
    return alt.TitleParams(lines if len(lines) > 1 else text, color=INK, anchor="start", fontSize=look.title)


def _pct(value: float | None) -> str:
    return "suppressed" if value is None else f"{value:.1f}%"


def _listing(items: list[str], limit: int = 12) -> str:
    """``a, b, c`` with a count of what was left out when there are many."""
    shown = items[:limit]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


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
            in_words(result, "base", "{:,}".format).alias("base_text"),
        )
        .with_columns(
            pl.when(pl.col("status") == SUPPRESSED)
            .then(pl.format("suppressed (n={})", pl.col("base_text")))
            .when(pl.col("status") == LOW_BASE)
            .then(pl.format("{}% (n={}, caution)", pl.col("pct").round(1), pl.col("base_text")))
            .otherwise(pl.format("{}% (n={})", pl.col("pct").round(1), pl.col("base_text")))
            .alias("label"),
        )
        .with_columns(pl.col(label_col).alias("row_label"))
    )


@once_per_result
def share_bars(
    result: pl.DataFrame,
    definition: Definition,
    *,
    rows: str,
    title: str,
    marks: dict[str, str] | None = None,
    look: Look = PAGE,
    measure: str = "% positive",
) -> alt.LayerChart:
    """Horizontal bars of positive share with 95% intervals, one bar per aspect or group, in the frame's order.
    ``measure`` names the share on the axis ("% met" for a checklist).

    ``rows`` is ``"aspect_label"`` (every aspect) or ``"group"`` (one aspect by a dimension). ``marks`` adds
    text after a row's figure (e.g. "▲ above the rest"), so significance is not shown by colour alone. Bars
    start at 0; the axis ends just past the longest interval (``nice_top``), not at 100, so differences show.
    On a page each value sits above its bar with its base; for a presenter the figure is large, at the bar's
    end, and the base goes with the row's name.
    """
    data = _prepare(result, definition, rows)
    look = _fitted(look, data.height)
    if marks:
        data = data.with_columns(
            pl.concat_str(
                [pl.col("label"), pl.col("row_label").replace_strict(marks, default="", return_dtype=pl.String)],
                separator="  ",
            )
            .str.strip_chars_end()
            .alias("label")
        )
    short = {k: v.split(" ")[0] for k, v in (marks or {}).items()}  # the arrow alone beside a presenter's figure
    data = data.with_columns(
        pl.when(pl.col("pct").is_null())
        .then(pl.lit("suppressed"))
        .otherwise(pl.format("{}%", pl.col("pct")))
        .alias("figure"),
        pl.concat_str(
            [
                pl.col("row_label"),
                pl.format(
                    " (n={}{})",
                    pl.col("base_text"),
                    pl.when(pl.col("status") == LOW_BASE).then(pl.lit(", caution")).otherwise(pl.lit("")),
                ),
            ]
        ).alias("row_name"),
        pl.col("row_label").replace_strict(short, default="", return_dtype=pl.String).alias("mark"),
        pl.max_horizontal(pl.col("ci_high").fill_null(0), pl.col("pct").fill_null(0)).alias("end"),
    ).with_columns(pl.concat_str([pl.col("figure"), pl.col("mark")], separator=" ").str.strip_chars().alias("figure"))
    data = data.with_columns(
        in_words(data, "figure", lambda f: _text_px(f, look.figure), pl.Float64).alias("figure_px")
    )
    top = nice_top(data.get_column("end").to_list(), room=12 if look.big else 0)
    order = data.get_column("row_label" if not look.big else "row_name").to_list()
    y_field = "row_label:N" if not look.big else "row_name:N"
    y = alt.Y(y_field, sort=order, title=None, axis=_axis(look, labelLimit=320 if not look.big else 520))
    tooltip = [
        alt.Tooltip("row_label:N", title=""),
        alt.Tooltip("pct:Q", title=measure, format=".1f"),
        alt.Tooltip("base:Q", title="base (answered)", format=","),
        alt.Tooltip("ci_low:Q", title="95% CI from", format=".1f"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format=".1f"),
        alt.Tooltip("status_text:N", title="status"),
    ]
    x = alt.X("pct:Q", title=measure, scale=alt.Scale(domain=[0, top]), axis=_axis(look))
    base = alt.Chart(data).encode(y=y)
    offset = 8 if not look.big else 0
    # Caution is written in each bar's label ("caution"); the paler bar only repeats it.
    bars = base.mark_bar(color=OKABE_ITO[0], size=look.bar, yOffset=offset).encode(
        x=x,
        opacity=alt.Opacity(
            "status_text:N",
            scale=alt.Scale(domain=[STATUS_LABEL[OK], STATUS_LABEL[LOW_BASE]], range=[1.0, 0.45]),
            legend=None,
        ),
        tooltip=tooltip,
        description=alt.Description("label:N"),
    )
    errors = base.mark_rule(color="#333333", strokeWidth=1.5 if not look.big else 3, aria=False,
                            yOffset=offset).encode(x="ci_low:Q", x2="ci_high:Q", tooltip=tooltip)  # fmt: skip
    if look.big:
        # The figure as large as the bar is thick, past the bar's end and its interval; where the screen is too
        # narrow for it there (a phone), smaller and inside the bar, in white (5.1:1 on the bar's blue).
        size = alt.ExprRef(f"width < 600 ? {look.label} : {look.figure}")
        scale_down = look.label / look.figure
        fits = f"datum.end * width / {top:g} + datum.figure_px * (width < 600 ? {scale_down:.2f} : 1) + 12"
        outside = (
            base.transform_filter(f"{fits} <= width")
            .mark_text(align="left", baseline="middle", dx=10, fontSize=size, fontWeight="bold", color=INK,
                       aria=False)
            .encode(x="end:Q", text="figure:N", tooltip=tooltip)
        )  # fmt: skip
        inside = (
            base.transform_filter(f"{fits} > width")
            .mark_text(align="right", baseline="middle", dx=-8, fontSize=size, fontWeight="bold", color=WHITE,
                       aria=False)
            .encode(x="pct:Q", text="figure:N", tooltip=tooltip)
        )  # fmt: skip
        data_labels = outside + inside
    else:  # each value above its bar, from the axis: never pushed past the chart's edge on a phone
        data_labels = base.mark_text(
            align="left", baseline="middle", dx=2, yOffset=-10, fontSize=look.figure, color=INK, aria=False
        ).encode(x=alt.datum(0), text="label:N", tooltip=tooltip)
    finding = _listing(
        [
            f"{r['row_label']} {_pct(r['pct'])}" + (" (treat with caution)" if r["status"] == LOW_BASE else "")
            for r in data.iter_rows(named=True)
        ]
    )
    return (bars + errors + data_labels).properties(
        title=_title(title, look), height=alt.Step(look.row), description=f"{title}: {finding}."
    )


def _end_labels(
    data: pl.DataFrame,
    series: str,
    value: str,
    figure: str,
    *,
    domain: tuple[float, float],
    look: Look,
    last_label: str,
) -> pl.DataFrame:
    """The last shown point of each series, to label the line in the margin right of the chart's last period
    (no legend to decode, and no label over another line, since no line runs there).

    ``figure`` formats the value (``"{}%"``); a series that ends before the last period says its month.
    ``label_y`` spreads the labels so none sits on another: each a figure (and, for a presenter, a name under
    it) tall, on the chart's scale, kept inside ``domain``.
    """
    ends = (
        data.filter(pl.col(value).is_not_null())
        .sort("period")
        .group_by(series, maintain_order=True)
        .last()
        .with_columns(
            pl.format(figure, pl.col(value)).alias("end_figure"),
            pl.when(pl.col("period_label") == last_label)
            .then(pl.col(series))
            .otherwise(pl.format("{} ({})", pl.col(series), pl.col("period_label")))
            .alias("end_name"),
            pl.lit(last_label).alias("end_at"),
        )
        .with_columns(pl.format("{} {}", pl.col("end_figure"), pl.col("end_name")).alias("end_label"))
        .sort(value)
    )
    if ends.height == 0:
        return ends.with_columns(pl.lit(None, dtype=pl.Float64).alias("label_y"))
    low, high = domain
    block = (look.figure + look.label + 6) if look.big else look.label + 6  # a label's height in pixels
    gap = (high - low) * block / look.height
    placed: list[float] = []
    for y in ends.get_column(value).to_list():
        placed.append(y if not placed else max(y, placed[-1] + gap))
    # Pushed past the top: move the stack down, never below the bottom (nor onto each other).
    top = high - gap / 2
    if placed[-1] > top:
        placed[-1] = top
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    return ends.with_columns(pl.Series("label_y", placed, dtype=pl.Float64))


def _end_marks(ends: pl.DataFrame, x: alt.X, look: Look, y_scale: alt.Scale) -> list[alt.Chart]:
    """The end labels: the name and figure together on a page; for a presenter the figure large, the name under."""
    chart = alt.Chart(ends).encode(x=x, y=alt.Y("label_y:Q", scale=y_scale))
    # On a narrow screen (a phone) a long name is cut short with "…" at the chart's edge, never past it;
    # the finding under "Figures and table" and the chart's accessible name say it whole. On a time axis
    # (periods placed by date) the label's place is its period's first day.
    at = "toDate(datum.when)" if "when" in ends.columns else "datum.end_at"
    limit = alt.ExprRef(f"max(30, width - scale('x', {at}) - 16)")
    if not look.big:
        return [chart.mark_text(align="left", baseline="middle", dx=12, fontSize=look.label, fontWeight="bold",
                                color=INK, aria=False, limit=limit).encode(text="end_label:N")]  # fmt: skip
    return [
        chart.mark_text(align="left", baseline="bottom", dx=14, dy=8, fontSize=look.figure, fontWeight="bold",
                        color=INK, aria=False, limit=limit).encode(text="end_figure:N"),
        chart.mark_text(align="left", baseline="top", dx=14, dy=8, fontSize=look.label, color=INK,
                        aria=False, limit=limit).encode(text="end_name:N"),
    ]  # fmt: skip


def _room_for_ends(ends: pl.DataFrame, look: Look) -> float:
    """Pixels kept right of the last period for the end labels."""
    widths = [
        max(_text_px(r["end_figure"], look.figure), _text_px(r["end_name"], look.label))
        if look.big
        else _text_px(r["end_label"], look.label)
        for r in ends.iter_rows(named=True)
    ]
    return max(widths, default=0) + 16


def _period_axis(months: list[str], room: float, look: Look) -> alt.X:
    """Periods along the bottom, ending ``room`` pixels before the right edge (the end labels go there).

    Months are written short ("Sep 2019"), so large type or a narrow screen never cuts them.
    """
    short = all(re.fullmatch(r"[A-Z][a-z]+ \d{4}", m) for m in months)
    return alt.X(
        "period_label:O",
        title=None,
        sort=months,
        scale=alt.Scale(range=[0, alt.ExprRef(f"max(width - {room:.0f}, width / 2)")]),
        axis=_axis(
            look,
            labelAngle=-45,
            **({"labelExpr": "slice(datum.label, 0, 3) + ' ' + slice(datum.label, -4)"} if short else {}),
        ),
    )


EVENT_INK = "#4d4d4d"  # an event's rule and label: 8.5:1 on white


def events_in(events: Sequence[Event], data: pl.DataFrame, definition: Definition) -> list[Event]:
    """The survey's events (``config/events.yaml``) whose period falls between a chart's first and last period:
    only those are drawn (a quarterly survey's event in its quarter)."""
    held = data.get_column("period").drop_nulls().to_list() if "period" in data.columns else []
    if not held:
        return []
    return within(events, definition.dataset, definition.period.granularity, min(held), max(held))


def _event_marks(
    events: Sequence[Event],
    definition: Definition,
    y_scale: alt.Scale,
    top: float,
    look: Look,
    start: str | None = None,
) -> list[alt.Chart]:
    """Each event as a dashed rule at its period (a quarterly survey's at its quarter), its label written up the
    rule from the top of the plot, so two events a month apart never write over each other; behind the lines.
    Nothing when there are none. ``start``: the first period's first day (ISO) on the chart."""
    if not events:
        return []
    data = pl.DataFrame(
        {
            "when": [period_start(e.period(definition.period.granularity)).isoformat() for e in events],
            "event": [e.label + (" (about)" if e.approximate else "") for e in events],
            "said": [e.said for e in events],
            "top": [top] * len(events),
        }
    )
    x = alt.X("when:T", timeUnit="utcyearmonth")
    size = look.label  # every label in a presenter's chart is at least its label size
    rule = (
        alt.Chart(data)
        .mark_rule(color=EVENT_INK, strokeDash=[4, 3], strokeWidth=1.5 if not look.big else 2.5)
        .encode(x=x, tooltip=[alt.Tooltip("said:N", title="event")], description=alt.Description("said:N"))
    )
    # Left of its rule, clear of the end labels at the right; an event at the first period, right of it (its
    # left is the axis).
    first = min(data.get_column("when").to_list()) if start is None else start
    labels = []
    sides: tuple[tuple[bool, Literal["bottom", "top"], int], ...] = ((False, "bottom", -3), (True, "top", 3))
    for at_start, baseline, dy in sides:
        side = data.filter((pl.col("when") <= first) if at_start else (pl.col("when") > first))
        if side.height:
            labels.append(
                alt.Chart(side)
                .mark_text(angle=270, align="right", baseline=baseline, dx=-4, dy=dy, fontSize=size, color=EVENT_INK,
                           aria=False)
                .encode(x=x, y=alt.Y("top:Q", scale=y_scale), text="event:N")
            )  # fmt: skip
    return [rule, *labels]


def _events_words(events: Sequence[Event]) -> str:
    return f" Events: {'; '.join(e.said for e in events)}." if events else ""


@once_per_result
def trend_lines(
    trend: pl.DataFrame,
    definition: Definition,
    *,
    title: str,
    series: str = "aspect_label",
    look: Look = PAGE,
    events: Sequence[Event] = (),
) -> alt.LayerChart:
    """Each aspect (or each group, ``series="group"``) over time with its 95% band.

    Lines are labelled at their ends and drawn with different point shapes, so no line is
    known by its colour alone; significant changes on the previous period are ringed. The axis spans
    the values (its title says where it starts when not at 0). ``events`` within the periods shown are
    dashed rules labelled with what happened (``config/events.yaml``).
    """
    data = _prepare(trend, definition, "aspect_label").with_columns(
        in_words(trend, "period", period_label).alias("period_label"),
        _when(trend),
        pl.when(pl.col("significant")).then(pl.lit("significant change")).otherwise(pl.lit("")).alias("sig"),
    )
    names = list(dict.fromkeys(data.get_column(series).to_list()))
    months = [period_label(p) for p in sorted(set(data.get_column("period").to_list()))]
    # More lines than the palette has colours (nine NPUs): Vega's own category colours; a range of None is invalid.
    palette = OKABE_ITO[: len(names)] if len(names) <= len(OKABE_ITO) else alt.Undefined
    domain = alt.Scale(domain=names, range=palette)
    colour = alt.Color(f"{series}:N", title=None, scale=domain, legend=None)
    shape = alt.Shape(f"{series}:N", scale=alt.Scale(domain=names, range=SHAPES[: len(names)]), legend=None)
    low, high = value_range([*data.get_column("ci_low").to_list(), *data.get_column("ci_high").to_list(),
                             *data.get_column("pct").to_list()])  # fmt: skip
    y_scale = alt.Scale(domain=[low, high], zero=False, nice=False)
    ends = _end_labels(
        data, series, "pct", "{}%", domain=(low, high), look=look, last_label=months[-1] if months else ""
    )
    x = _time_axis(data, _room_for_ends(ends, look), look)
    y = alt.Y("pct:Q", title=from_zero_words("% positive", low), scale=y_scale, axis=_axis(look))
    tooltip = [
        alt.Tooltip(f"{series}:N", title=""),
        alt.Tooltip("period_label:N", title="period"),
        alt.Tooltip("pct:Q", title="% positive", format=".1f"),
        alt.Tooltip("base:Q", title="base", format=","),
        alt.Tooltip("ci_low:Q", title="95% CI from", format=".1f"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format=".1f"),
        alt.Tooltip("change_pp:Q", title="change (points)", format="+.1f"),
        alt.Tooltip("sig:N", title=""),
    ]
    base = alt.Chart(data).encode(x=x, color=colour)
    band = base.mark_area(opacity=0.15, aria=False).encode(y=alt.Y("ci_low:Q", scale=y_scale), y2="ci_high:Q")
    line = base.mark_line(aria=False, strokeWidth=2 if not look.big else 4).encode(y=y, detail=f"{series}:N")
    points = base.mark_point(filled=True, size=look.point).encode(
        y="pct:Q", shape=shape, tooltip=tooltip, description=alt.Description("label:N")
    )
    rings = (
        alt.Chart(data)
        .transform_filter("datum.significant === true")
        .mark_point(size=look.point * 3.7, strokeWidth=2.5, filled=False, color="#000000", aria=False)
        .encode(x=x, y="pct:Q", tooltip=tooltip)
    )
    finding = [_latest_and_first(data, series, name) for name in names]
    shown = events_in(events, data, definition)
    marks = _event_marks(shown, definition, y_scale, high, look, start=min(data.get_column("when").to_list()))
    return alt.LayerChart(layer=[*marks, band, line, points, rings, *_end_marks(ends, x, look, y_scale)]).properties(
        title=_title(title, look),
        height=look.height,
        description=f"{title}: {_listing(finding)}.{_events_words(shown)}",
    )


def _when(frame: pl.DataFrame) -> pl.Expr:
    """Each period's date, to place it on a time axis: a fieldwork wave at its first month."""
    return in_words(frame, "period", lambda p: period_start(p).isoformat()).alias("when")


def _time_axis(data: pl.DataFrame, room: float, look: Look) -> alt.X:
    """Periods placed by date (``when``), not one step apart: waves two years apart are drawn two years apart,
    with a tick at each period held, ending ``room`` pixels before the right edge (the end labels go there).
    Months are written short ("Sep 2019"), so large type or a narrow screen never cuts them."""
    ticks = sorted(set(data.get_column("when").to_list()))
    return alt.X(
        "when:T",
        timeUnit="utcyearmonth",
        title=None,
        scale=alt.Scale(range=[0, alt.ExprRef(f"max(width - {room:.0f}, width / 2)")]),
        axis=_axis(look, labelAngle=-45, format="%b %Y", values=[_utc_month(t) for t in ticks], labelOverlap="greedy"),
    )


def _utc_month(iso_day: str) -> dict[str, int | bool]:
    """A tick at a period's first month, as a Vega-Lite DateTime in UTC (where a ``utcyearmonth`` value is
    drawn). Streamlit's Vega-Lite drops a temporal axis whose values are given as timestamps."""
    day = dt.date.fromisoformat(iso_day)
    return {"year": day.year, "month": day.month, "date": 1, "utc": True}


def _latest_and_first(data: pl.DataFrame, series: str, name: str) -> str:
    """A line's finding: ``Phone 71.0% in September 2019 (from 64.2% in July 2019)``."""
    shown = data.filter((pl.col(series) == name) & pl.col("pct").is_not_null()).sort("period")
    if shown.height == 0:
        return f"{name}: suppressed in every period"
    first, last = shown.row(0, named=True), shown.row(-1, named=True)
    return f"{name} {last['pct']:.1f}% in {last['period_label']}" + (
        "" if shown.height == 1 else f" (from {first['pct']:.1f}% in {first['period_label']})"
    )


@once_per_result
def representation_bars(rows: pl.DataFrame, *, who: str, title: str, look: Look = PAGE) -> alt.LayerChart:
    """Share of respondents (or members) as bars; the census share as a black tick on each bar."""
    data = rows.select(
        "group",
        pl.col("share").round(1),
        pl.col("census_share").round(1),
        "count",
        pl.col("gap_pp").round(1),
    ).with_columns(pl.format("{}%", pl.col("share")).alias("figure"))
    order = data.get_column("group").to_list()
    # Labels slanted and ending at their tick: a long last label ("Non-binary or other") stays inside on a phone.
    axis = _axis(look, labelAngle=-30, labelAlign="right", labelLimit=200 if not look.big else 360)
    x = alt.X("group:N", sort=order, title=None, axis=axis)
    tooltip = [
        alt.Tooltip("group:N"),
        alt.Tooltip("share:Q", title=f"% of {who.lower()} who stated", format=".1f"),
        alt.Tooltip("census_share:Q", title="% Census 2021", format=".1f"),
        alt.Tooltip("count:Q", title=f"{who} (count)", format=","),
        alt.Tooltip("gap_pp:Q", title="gap (points)", format="+.1f"),
    ]
    top = nice_top([*data.get_column("share").to_list(), *data.get_column("census_share").to_list()], room=8)
    y = alt.Y("share:Q", title="% of those who stated", scale=alt.Scale(domain=[0, top]), axis=_axis(look))
    base = alt.Chart(data).encode(x=x)
    bars = base.mark_bar(color=OKABE_ITO[0]).encode(y=y, tooltip=tooltip, description=alt.Description("group:N"))
    census = base.mark_tick(
        color="#000000", opacity=1, thickness=4 if not look.big else 6, size=44 if not look.big else 90, aria=False
    ).encode(y="census_share:Q", tooltip=tooltip)
    layers: list[alt.Chart] = [bars, census]
    if look.big:  # each bar's figure above it, large
        layers.append(
            base.mark_text(baseline="bottom", dy=-8, fontSize=look.figure, fontWeight="bold", color=INK,
                           aria=False).encode(y=alt.Y("top_of:Q", scale=alt.Scale(domain=[0, top])), text="figure:N")
            .transform_calculate(top_of="max(datum.share, datum.census_share)")
        )  # fmt: skip
    finding = _listing(
        [f"{r['group']} {_pct(r['share'])} against {_pct(r['census_share'])}" for r in data.iter_rows(named=True)]
    )
    heading = alt.TitleParams(title, subtitle=f"Bars: {who.lower()}; black line: Census 2021", color=INK,
                              subtitleColor=INK, anchor="start", fontSize=look.title,
                              subtitleFontSize=look.label)  # fmt: skip
    return alt.LayerChart(layer=layers).properties(
        title=heading, height=look.height, description=f"{title} ({who.lower()} against Census 2021): {finding}."
    )


@once_per_result
def gap_lines(
    trend: pl.DataFrame, *, title: str, targets: dict[str, float] | None = None, look: Look = PAGE
) -> alt.LayerChart:
    """The gap to the census, in points, month by month, for one or more groups (column ``series``).

    Each line is labelled right of the last month, where no line runs, so a label never sits on another line.
    ``targets`` (series -> target gap in points) are dashed lines in the series' colour, each labelled
    "target for ..." in words. A little lower than other line charts: it sits under the verdicts.
    """
    look = replace(look, height=look.height - 50)
    data = trend.with_columns(
        pl.col("gap_pp").round(1),
        pl.col("share").round(1),
        pl.col("census_share").round(1),
        in_words(trend, "period", period_label).alias("period_label"),
    )
    series = list(dict.fromkeys(data.get_column("series").to_list()))
    months = [period_label(p) for p in sorted(set(data.get_column("period").to_list()))]
    shown = {k: v for k, v in (targets or {}).items() if k in series}
    low, high = value_range([*data.get_column("gap_pp").to_list(), 0.0, *shown.values()])
    y_scale = alt.Scale(domain=[low, high])
    ends = _end_labels(data, "series", "gap_pp", "{} points", domain=(low, high), look=look,
                       last_label=months[-1] if months else "")  # fmt: skip
    room = _room_for_ends(ends, look)
    x = _period_axis(months, room, look)
    tooltip = [
        alt.Tooltip("series:N", title=""),
        alt.Tooltip("period_label:N", title="month joined"),
        alt.Tooltip("share:Q", title="% of new sign-ups", format=".1f"),
        alt.Tooltip("census_share:Q", title="% census", format=".1f"),
        alt.Tooltip("gap_pp:Q", title="gap (points)", format="+.1f"),
        alt.Tooltip("stated:Q", title="sign-ups who stated", format=","),
    ]
    colour = alt.Color("series:N", scale=alt.Scale(domain=series, range=OKABE_ITO[: len(series)]), legend=None)
    base = alt.Chart(data).encode(x=x, color=colour)
    lines = base.mark_line(aria=False, strokeWidth=2 if not look.big else 4).encode(
        y=alt.Y("gap_pp:Q", title="gap to census (points)", scale=y_scale, axis=_axis(look))
    )
    points = base.mark_point(filled=True, size=look.point).encode(
        y="gap_pp:Q",
        shape=alt.Shape("series:N", scale=alt.Scale(domain=series, range=SHAPES[: len(series)]), legend=None),
        tooltip=tooltip,
        description=alt.Description("series:N"),
    )
    # Across the months only, not through the labels' margin.
    plot_end = alt.value(alt.ExprRef(f"max(width - {room:.0f}, width / 2)"))
    zero = (
        alt.Chart(pl.DataFrame({"y": [0]}))
        .mark_rule(color="#666666", strokeDash=[4, 4], aria=False)
        .encode(y=alt.Y("y:Q", scale=y_scale), x=alt.value(0), x2=plot_end)
    )
    finding = _listing(
        [f"{r['series']} {r['gap_pp']:+.1f} points in {r['period_label']}" for r in ends.iter_rows(named=True)]
    )
    layers: list[alt.Chart] = [zero, lines, points, *_end_marks(ends, x, look, y_scale)]
    if shown:
        goal = pl.DataFrame({"series": list(shown), "target_gap": [round(v, 1) for v in shown.values()]})
        goal = goal.with_columns(pl.format("target for {}", pl.col("series")).alias("what"))
        target_lines = (
            alt.Chart(goal)
            .mark_rule(strokeDash=[8, 4], strokeWidth=2, aria=False)
            .encode(
                y=alt.Y("target_gap:Q", scale=y_scale),
                x=alt.value(0),
                x2=plot_end,
                color=alt.Color(
                    "series:N", scale=alt.Scale(domain=series, range=OKABE_ITO[: len(series)]), legend=None
                ),
                tooltip=[alt.Tooltip("what:N", title=""), alt.Tooltip("target_gap:Q", title="target gap (points)")],
            )
        )
        target_text = (
            alt.Chart(goal)
            .mark_text(align="left", dx=4, dy=-6, baseline="bottom", fontSize=look.label, color=INK, aria=False)
            .encode(y=alt.Y("target_gap:Q", scale=y_scale), text="what:N", x=alt.value(0))
        )
        layers += [target_lines, target_text]
        finding += "; targets: " + ", ".join(f"{k} {v:+.1f} points" for k, v in shown.items())
    # alt.LayerChart, not alt.layer: this keeps each layer's own encodings as they are.
    return alt.LayerChart(layer=layers).properties(
        title=_title(title, look),
        height=look.height,
        description=f"{title}: latest gap, {finding or 'no month to show'}.",
    )


@once_per_result
def theme_bars(counts: pl.DataFrame, *, title: str, look: Look = PAGE) -> alt.LayerChart:
    """Share of comments mentioning each theme, each bar's figure at its end."""
    data = (
        counts.with_columns(pl.col("share").round(1))
        .sort("share", descending=True, maintain_order=True)
        .with_columns(pl.format("{}%", pl.col("share")).alias("figure"))
    )
    finding = _listing([f"{r['theme']} {_pct(r['share'])}" for r in data.iter_rows(named=True)])
    top = nice_top(data.get_column("share").to_list(), room=8 if not look.big else 14)
    base = alt.Chart(data).encode(
        y=alt.Y("theme:N", sort="-x", title=None, axis=_axis(look, labelLimit=360 if not look.big else 520)),
        tooltip=[
            alt.Tooltip("theme:N"),
            alt.Tooltip("comments:Q", title="comments", format=","),
            alt.Tooltip("share:Q", title="% of comments", format=".1f"),
        ],
    )
    x = alt.X("share:Q", title="% of comments", scale=alt.Scale(domain=[0, top]), axis=_axis(look))
    bars = base.mark_bar(color=OKABE_ITO[2], size=look.bar if look.big else 22).encode(
        x=x, description=alt.Description("theme:N")
    )
    figures = base.mark_text(align="left", baseline="middle", dx=6, fontSize=look.figure if look.big else look.label,
                             fontWeight="bold" if look.big else "normal", color=INK, aria=False).encode(
        x="share:Q", text="figure:N"
    )  # fmt: skip
    return (bars + figures).properties(
        title=_title(title, look), height=alt.Step(look.row if look.big else 34), description=f"{title}: {finding}."
    )


def for_export(chart: alt.TopLevelMixin, *, heading: str, sample: bool) -> alt.TopLevelMixin:
    """The chart as it goes on a slide: titled with the survey and period, marked when synthetic."""
    own = title_text(chart.to_dict().get("title"))
    subtitle = [own] if own else []
    if sample:
        subtitle.insert(0, SAMPLE_MARK)
    title = alt.TitleParams(heading, subtitle=subtitle, color=INK, subtitleColor=INK, subtitleFontSize=14,
                            fontSize=16, anchor="start")  # fmt: skip
    # In the app a chart takes the page's width; on its own it needs one for a slide.
    return chart.properties(width=720, title=title)


SAMPLE_MARK = "SAMPLE DATA: synthetic records, not real responses"


def to_png(chart: alt.TopLevelMixin, *, heading: str | None = None, sample: bool = False) -> bytes:
    """The chart as a PNG, rendered offline through vl-convert: titled with ``heading`` when given."""
    buf = io.BytesIO()
    exported = for_export(chart, heading=heading, sample=sample) if heading else chart.properties(width=720)
    exported.save(buf, format="png", scale_factor=2)
    return buf.getvalue()


UNWEIGHTED, WEIGHTED = "Unweighted", "Weighted to the census"


def _weighted_long(result: pl.DataFrame, definition: Definition) -> pl.DataFrame:
    """One row per figure and series (unweighted, weighted), for charts showing both side by side."""
    labels = {k: q.label for k, q in definition.questions.items()}
    common: list[str | pl.Expr] = [
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
            in_words(result, "period", period_label).alias("period_label"),
        )
    )


def _series_colour(*, legend: bool = True, look: Look = PAGE) -> alt.Color:
    return alt.Color(
        "series:N",
        title=None,
        sort=[UNWEIGHTED, WEIGHTED],
        scale=alt.Scale(domain=[UNWEIGHTED, WEIGHTED], range=[OKABE_ITO[0], OKABE_ITO[5]]),
        legend=_legend(look, orient="bottom", labelLimit=300 if not look.big else 600) if legend else None,
    )


def _series_dash() -> alt.StrokeDash:
    """Weighted figures dashed, unweighted solid: the two are told apart without their colours."""
    return alt.StrokeDash(
        "series:N", scale=alt.Scale(domain=[UNWEIGHTED, WEIGHTED], range=[[1, 0], [6, 3]]), legend=None
    )


_WEIGHTED_TOOLTIP = [
    alt.Tooltip("series:N", title=""),
    alt.Tooltip("pct:Q", title="% positive", format=".1f"),
    alt.Tooltip("n:Q", title="base (effective, when weighted)", format=","),
    alt.Tooltip("ci_low:Q", title="95% CI from", format=".1f"),
    alt.Tooltip("ci_high:Q", title="95% CI to", format=".1f"),
]


def _both(data: pl.DataFrame, key: str, name: str) -> str:
    """``Overall 71.0% unweighted, 72.3% weighted``: one row's two figures in words."""
    said = {r["series"]: _pct(r["pct"]) for r in data.filter(pl.col(key) == name).iter_rows(named=True)}
    return f"{name} {said.get(UNWEIGHTED, 'suppressed')} unweighted, {said.get(WEIGHTED, 'suppressed')} weighted"


@once_per_result
def weighted_bars(
    result: pl.DataFrame, definition: Definition, *, rows: str, title: str, look: Look = PAGE
) -> alt.LayerChart:
    """Unweighted and weighted positive share side by side, with 95% intervals, per aspect or group.

    Each bar's label starts with "unweighted" or "weighted", and weighted bars have a dashed outline,
    so the two are not told apart by colour alone.
    """
    data = (
        _weighted_long(result, definition)
        .with_columns(pl.col(rows).alias("row_label"))
        .with_columns(pl.format("{} {}", pl.col("series").str.split(" ").list.first().str.to_lowercase(),
                                pl.col("label")).alias("label"))
    )  # fmt: skip
    order = list(dict.fromkeys(data.get_column("row_label").to_list()))
    y = alt.Y("row_label:N", sort=order, title=None, axis=_axis(look, labelLimit=320 if not look.big else 520))
    tooltip = [alt.Tooltip("row_label:N", title=""), *_WEIGHTED_TOOLTIP]
    top = nice_top(data.get_column("ci_high").to_list(), room=30 if not look.big else 45)  # the labels need room
    base = alt.Chart(data).encode(y=y, yOffset=alt.YOffset("series:N", sort=[UNWEIGHTED, WEIGHTED]))
    bars = base.mark_bar(stroke=INK, strokeWidth=1.5).encode(
        x=alt.X("pct:Q", title="% positive", scale=alt.Scale(domain=[0, top]), axis=_axis(look)),
        color=_series_colour(look=look),
        strokeDash=_series_dash(),
        tooltip=tooltip,
        description=alt.Description("label:N"),
    )
    errors = base.mark_rule(color="#333333", strokeWidth=1.5, aria=False).encode(
        x="ci_low:Q", x2="ci_high:Q", tooltip=tooltip
    )
    labels = (
        base.mark_text(align="left", dx=6, fontSize=look.label, color=INK, aria=False,
                       fontWeight="bold" if look.big else "normal")
        .encode(x=alt.X("label_x:Q"), text="label:N", tooltip=tooltip)
        .transform_calculate(label_x="datum.ci_high === null ? 0 : datum.ci_high")
    )  # fmt: skip
    finding = _listing([_both(data, "row_label", name) for name in order])
    return (bars + errors + labels).properties(
        title=_title(title, look), height=alt.Step(28 if not look.big else 40), description=f"{title}: {finding}."
    )


@once_per_result
def weighted_trend(
    trend: pl.DataFrame, definition: Definition, *, title: str, look: Look = PAGE, events: Sequence[Event] = ()
) -> alt.LayerChart:
    """One aspect over time, unweighted (solid line, circles) and weighted (dashed line, squares), each with its
    95% band and labelled where it ends; ``events`` as in ``trend_lines``."""
    data = _weighted_long(trend, definition).sort("period", "series")
    data = data.with_columns(_when(data))
    months = list(dict.fromkeys(data.get_column("period_label").to_list()))
    low, high = value_range([*data.get_column("ci_low").to_list(), *data.get_column("ci_high").to_list(),
                             *data.get_column("pct").to_list()])  # fmt: skip
    y_scale = alt.Scale(domain=[low, high], zero=False, nice=False)
    ends = _end_labels(data, "series", "pct", "{}%", domain=(low, high), look=look,
                       last_label=months[-1] if months else "")  # fmt: skip
    x = _time_axis(data, _room_for_ends(ends, look), look)
    y = alt.Y("pct:Q", title=from_zero_words("% positive", low), scale=y_scale, axis=_axis(look))
    tooltip = [alt.Tooltip("period_label:N", title="period"), *_WEIGHTED_TOOLTIP]
    shape = alt.Shape("series:N", scale=alt.Scale(domain=[UNWEIGHTED, WEIGHTED], range=SHAPES[:2]), legend=None)
    base = alt.Chart(data).encode(x=x, color=_series_colour(legend=False))  # each line is labelled where it ends
    band = base.mark_area(opacity=0.12, aria=False).encode(
        y=alt.Y("ci_low:Q", scale=y_scale), y2="ci_high:Q", detail="series:N"
    )
    line = base.mark_line(strokeWidth=2.5 if not look.big else 4, aria=False).encode(
        y=y, strokeDash=_series_dash(), detail="series:N"
    )
    points = base.mark_point(filled=True, size=look.point).encode(
        y="pct:Q", shape=shape, tooltip=tooltip, description=alt.Description("label:N")
    )
    finding = [_latest_and_first(data, "series", name) for name in (UNWEIGHTED, WEIGHTED)]
    shown = events_in(events, data, definition)
    marks = _event_marks(shown, definition, y_scale, high, look, start=min(data.get_column("when").to_list()))
    layers = [*marks, band, line, points, *_end_marks(ends, x, look, y_scale)]
    return alt.LayerChart(layer=layers).properties(
        title=_title(title, look),
        height=look.height,
        description=f"{title}: {'; '.join(finding)}.{_events_words(shown)}",
    )


@once_per_result
def weighting_profile_bars(profile: pl.DataFrame, *, title: str, look: Look = PAGE) -> alt.Chart:
    """One margin's respondents before and after weighting, beside the target from the census.

    Told apart without colour: before is a solid bar, after a bar with a dashed outline, the target an
    empty (white) bar outlined in black; the finding states all three for every group.
    """
    series = ["Before weighting", "After weighting", "Target (census)"]
    long = pl.concat(
        [
            profile.select("group", pl.col(column).round(1).alias("value"), pl.lit(name).alias("series"), "respondents")
            for column, name in zip(("unweighted_pct", "weighted_pct", "target_pct"), series, strict=True)
        ]
    )
    finding = _listing(
        [
            f"{r['group']} {_pct(r['unweighted_pct'])} before, {_pct(r['weighted_pct'])} after, "
            f"target {_pct(r['target_pct'])}"
            for r in profile.with_columns(pl.col("unweighted_pct", "weighted_pct", "target_pct").round(1)).iter_rows(
                named=True
            )
        ]
    )
    return (
        alt.Chart(long)
        .mark_bar(stroke=INK, strokeWidth=1.5)
        .encode(
            x=alt.X(
                "group:N",
                sort=profile.get_column("group").to_list(),
                title=None,
                axis=_axis(look, labelAngle=-30, labelAlign="right", labelLimit=200),  # inside on a phone
            ),
            xOffset=alt.XOffset("series:N", sort=series),
            y=alt.Y("value:Q", title="% of respondents", axis=_axis(look)),
            color=alt.Color(
                "series:N",
                title=None,
                sort=series,
                scale=alt.Scale(domain=series, range=[OKABE_ITO[0], OKABE_ITO[5], WHITE]),
                # one a line on a phone (narrow); side by side on a wider screen, where they fit
                legend=_legend(look, orient="bottom", columns=1 if not look.big else 3),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=alt.Scale(domain=series, range=[[1, 0], [6, 3], [1, 0]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("group:N"),
                alt.Tooltip("series:N", title=""),
                alt.Tooltip("value:Q", title="% of respondents", format=".1f"),
                alt.Tooltip("respondents:Q", title="respondents", format=","),
            ],
            description=alt.Description("series:N"),
        )
        .properties(title=_title(title, look), height=look.height - 40, description=f"{title}: {finding}.")
    )


NEGATIVE_COLOURS = ["#F4B183", "#E07B39", "#B3541E", "#7F2704"]  # mild to strong
POSITIVE_COLOURS = ["#9ECAE1", "#4A98C9", "#1B6BA8", "#08306B"]
NEUTRAL_COLOUR = "#BDBDBD"


def ink_on(fill: str) -> str:
    """The text colour for a label drawn on ``fill``: dark ink, or white on the darker fills (both >= 4.5:1)."""
    return INK if contrast(INK, fill) >= contrast(WHITE, fill) else WHITE


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def segment_label(span: float, size: int = FONT) -> str:
    """A segment's label, chosen by its drawn width on an axis ``span`` points wide (Vega's ``width`` signal: the
    chart follows the page, phone or projector): the answer and its share when both fit, the share alone when that
    fits, else nothing (the legend, the finding under the chart and the table still give it). ~7 px a character
    at 13 px (and in proportion at ``size``), with room to spare."""
    drawn = f"datum.share * width / {span:g}"
    char = 7 * size / FONT
    return (
        f"{drawn} >= length(datum.long_text) * {char:g} + 10 ? datum.long_text"
        f" : {drawn} >= length(datum.share_text) * {char:g} + 8 ? datum.share_text : ''"
    )


def diverging_answers(rows: list[dict], scale: Scale, *, title: str, look: Look = PAGE) -> alt.LayerChart:
    """A diverging stacked bar per group: negative answers left of zero, positive right, neutral split across it.

    ``rows`` are ``answer_distribution`` rows; shares are recomputed over the base (answers left out of
    the base are not drawn), so the left side adds up to % dissatisfied. Hidden groups are left out.
    Not by colour alone: each segment wide enough is labelled with its answer and share (or the share),
    in ink chosen to read on its fill; the legend lists the answers in their left-to-right order.
    """
    # Built once per result (the rows as a frame are the key), as the other charts are.
    return _diverging(pl.DataFrame(rows, infer_schema_length=None), scale, title=title, look=look)


@once_per_result
def _diverging(frame: pl.DataFrame, scale: Scale, *, title: str, look: Look = PAGE) -> alt.LayerChart:
    rows = frame.to_dicts()
    parts: list[tuple[str, str, float, float, float, str]] = []  # group, answer, x, x2, share, colour
    groups = list(dict.fromkeys(r["group"] for r in rows))
    neutral = [a for a in scale.in_base if a not in scale.positive and a not in scale.negative]
    for g in groups:
        mine = {r["answer"]: r["count"] for r in rows if r["group"] == g and r["in_base"]}
        if any(v is None for v in mine.values()):
            continue
        base = sum(mine.values())
        if not base:
            continue
        share = {a: mine.get(a, 0) / base * 100 for a in scale.in_base}  # an answer nobody gave is 0%
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
    schema = {"group": pl.String, "answer": pl.String, "x": pl.Float64, "x2": pl.Float64, "share": pl.Float64,
              "colour": pl.String}  # fmt: skip
    data = pl.DataFrame(parts, schema=schema, orient="row").with_columns(
        pl.col("share").round(1),
        ((pl.col("x") + pl.col("x2")) / 2).alias("middle"),
        pl.format("{}%", pl.col("share").round(0).cast(pl.Int64)).alias("share_text"),
        pl.format("{} {}%", "answer", pl.col("share").round(0).cast(pl.Int64)).alias("long_text"),
        pl.col("colour").replace_strict({c: ink_on(c) for c in {p[5] for p in parts}}, default=INK).alias("ink"),
    )
    order = [*reversed(scale.negative), *neutral, *reversed(scale.positive)]  # left to right
    # Centred on zero and only as wide as the longest side needs (to the next 10%): wider segments, more labels.
    reach = min(100, max(20, math.ceil(max((abs(x) for p in parts for x in (p[2], p[3])), default=100) / 10) * 10))
    colours = dict(zip(data.get_column("answer").to_list(), data.get_column("colour").to_list(), strict=True))
    domain = [a for a in order if a in colours]
    y = alt.Y("group:N", sort=[g or "All respondents" for g in groups], title=None,
              axis=_axis(look, labelLimit=320 if not look.big else 480))  # fmt: skip
    x = alt.X(
        "x:Q",
        title="% of the base (dissatisfied left, satisfied right)",
        scale=alt.Scale(domain=[-reach, reach]),
        axis=_axis(look, labelExpr="abs(datum.value)"),
    )
    colour = alt.Color(
        "answer:N",
        sort=order,
        title="Answers, left to right",
        scale=alt.Scale(domain=domain, range=[colours[a] for a in domain]),
        # one a line on a phone's width (Vega's width signal), four on a wider screen, three in large type
        legend=_legend(
            look,
            orient="bottom",
            columns=alt.ExprRef("width < 560 ? 1 : 4") if not look.big else 3,
            labelLimit=320 if not look.big else 480,
            symbolType="square",
            symbolSize=100 if not look.big else 400,
        ),
    )
    tooltip = [alt.Tooltip("group:N", title=""), alt.Tooltip("answer:N"),
               alt.Tooltip("share:Q", title="% of base", format=".1f")]  # fmt: skip
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    bars = base.mark_bar(stroke=WHITE, strokeWidth=1.5).encode(
        x=x, x2="x2:Q", color=colour, description=alt.Description("long_text:N")
    )
    zero = alt.Chart(pl.DataFrame({"x": [0]})).mark_rule(color="#333333", aria=False).encode(x="x:Q")
    labels = base.mark_text(
        fontSize=look.label, baseline="middle", aria=False, text=alt.ExprRef(segment_label(2 * reach, look.label))
    ).encode(x="middle:Q", color=alt.Color("ink:N", scale=None))
    negative, positive = set(scale.negative), set(scale.positive)
    findings = []
    for g in dict.fromkeys(p[0] for p in parts):
        segments = [p for p in parts if p[0] == g]
        every = ", ".join(
            f"{a} {next(p[4] for p in segments if p[1] == a):.1f}%" for a in order if any(p[1] == a for p in segments)
        )
        dissatisfied = f"{sum(p[4] for p in segments if p[1] in negative):.1f}% dissatisfied, " if negative else ""
        findings.append(f"{g}: {dissatisfied}{sum(p[4] for p in segments if p[1] in positive):.1f}% positive ({every})")
    return (zero + bars + labels).properties(  # the zero line under the bars: it never crosses a label
        title=_title(title, look),
        height=alt.Step(34 if not look.big else 60),
        description=f"{title}: {_listing(findings) or 'no answers to show'}.",
    )


@once_per_result
def priority_matrix(rows: pl.DataFrame, *, title: str, look: Look = PAGE) -> alt.LayerChart:
    """Importance (% of R²) against % positive, one point per aspect: top left is the priority.

    ``rows``: label, pct, importance (modelled aspects only).
    """
    data = rows.with_columns(pl.col("pct").round(1), pl.col("importance").round(1))
    # Both columns are Float64; polars types a column's mean as any Python value.
    mean_pct = float(cast("float | None", data.get_column("pct").mean()) or 0)
    mean_importance = float(cast("float | None", data.get_column("importance").mean()) or 0)
    low, high = value_range(data.get_column("pct").to_list(), step=10)
    high += 10  # room for the last point's name
    x = alt.X("pct:Q", title=from_zero_words("% positive", low), scale=alt.Scale(domain=[low, high]), axis=_axis(look))
    y = alt.Y("importance:Q", title="importance (% of R²)", scale=alt.Scale(zero=True),
              axis=_axis(look))  # fmt: skip
    tooltip = [alt.Tooltip("label:N", title="aspect"), alt.Tooltip("pct:Q", title="% positive", format=".1f"),
               alt.Tooltip("importance:Q", title="importance (%)", format=".1f")]  # fmt: skip
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
    points = base.mark_point(filled=True, size=140 if not look.big else 400, color=OKABE_ITO[0],
                             shape="diamond").encode(description=alt.Description("label:N"))  # fmt: skip
    labels = base.mark_text(align="left", dx=9 if not look.big else 16, fontSize=look.label, color=INK,
                            aria=False).encode(text="label:N")  # fmt: skip
    rules = alt.Chart(pl.DataFrame({"pct": [mean_pct], "importance": [mean_importance]}))
    vertical = rules.mark_rule(color="#888888", strokeDash=[4, 4], aria=False).encode(x="pct:Q")
    horizontal = rules.mark_rule(color="#888888", strokeDash=[4, 4], aria=False).encode(y="importance:Q")
    finding = _listing(
        [
            f"{r['label']} {r['pct']:.1f}% positive, importance {r['importance']:.1f}%"
            for r in data.sort("importance", descending=True).iter_rows(named=True)
        ]
    )
    return (points + labels + vertical + horizontal).properties(
        title=_title(title, look),
        height=look.height,
        description=f"{title}: {finding}.",
    )


@once_per_result
def sparkline(trend: pl.DataFrame, *, words: str, look: Look = PAGE) -> alt.LayerChart:
    """A tile's small trend of its headline: a line without axes, the last period marked; ``words`` (the trend in
    a sentence) is its accessible name. ``trend``: satisfaction rows, oldest first; suppressed periods are gaps."""
    data = trend.select(
        "period",
        pl.col("pct").round(1),
        in_words(trend, "period", period_label).alias("period_label"),
    )
    order = data.get_column("period_label").to_list()
    low, high = value_range(data.get_column("pct").to_list(), step=5)
    base = alt.Chart(data).encode(
        x=alt.X("period_label:O", sort=order, axis=None),
        y=alt.Y("pct:Q", scale=alt.Scale(domain=[low, high]), axis=None),
        tooltip=[alt.Tooltip("period_label:N", title="period"), alt.Tooltip("pct:Q", title="% positive", format=".1f")],
    )
    line = base.mark_line(color=OKABE_ITO[0], strokeWidth=2 if not look.big else 4, aria=False)
    last = base.transform_filter(f"datum.period === '{data.item(-1, 'period')}'").mark_point(
        filled=True, size=40 if not look.big else 120, color=INK, aria=False
    )
    return alt.LayerChart(layer=[line, last]).properties(height=44 if not look.big else 70, description=words)
