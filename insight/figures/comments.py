"""Free-text comments by theme, and how each theme relates to satisfaction.

Themes come from ``config/themes.yaml`` (``insight.config.themes``). Comments were masked
for personal data at ingest; they are masked again here before anything is shown.
"""

from __future__ import annotations

import polars as pl

from insight.config.definition import Definition
from insight.config.themes import TONES, Theme
from insight.figures.metrics import SUPPRESSED, as_range, in_range, status_of
from insight.intake.masking import mask_pii
from insight.periods import PeriodRange


def comments(
    frame: pl.DataFrame,
    definition: Definition,
    themes: list[Theme],
    *,
    period: str | PeriodRange | None = None,
    aspect: str | None = None,
) -> pl.DataFrame:
    """Every comment (masked) with a column per theme and the answer to ``aspect`` (default: the headline).

    Columns: id, period, column, comment, the aspect's answer (``answer``), ``positive``
    (None where the answer is out of the base), then one boolean per theme key and its tone (``KEY__tone``:
    complaint, praise or neutral; None when the comment does not carry the theme).
    """
    if not definition.free_text:
        return pl.DataFrame()
    rows = in_range(frame, as_range(period, definition, frame))
    headline = aspect or definition.headline or (definition.aspects[0] if definition.aspects else None)
    parts = []
    for key in definition.free_text:
        cols = [pl.col("id"), pl.col("period"), pl.lit(key).alias("column"), mask_pii(pl.col(key)).alias("comment")]
        if headline:
            scale = definition.questions[headline].scale
            answer = pl.col(headline)
            cols.append(answer.cast(pl.String).alias("answer"))
            cols.append(
                pl.when(answer.is_in(list(scale.in_base))).then(answer.is_in(list(scale.positive))).alias("positive")
            )
        parts.append(rows.filter(pl.col(key).is_not_null()).select(cols))
    out = pl.concat(parts)
    return out.with_columns(
        [pl.col("comment").str.contains(t.regex).alias(t.key) for t in themes]
        + [t.tone_expr(pl.col("comment")).alias(f"{t.key}__tone") for t in themes]
    )


def theme_counts(
    frame: pl.DataFrame,
    definition: Definition,
    themes: list[Theme],
    *,
    period: str | PeriodRange | None = None,
    aspect: str | None = None,
) -> pl.DataFrame:
    """Per theme: comments mentioning it, their share of all comments, and satisfaction with and without it.

    Columns: theme (name), key, comments, share, complaint, praise, neutral (comments by tone), positive_with,
    base_with, positive_without, base_without, status_with, status_without. A positive share from a base below the
    threshold is not given.
    """
    listed = comments(frame, definition, themes, period=period, aspect=aspect)
    total = listed.height
    sup = definition.suppression
    rows = []
    for t in themes:
        has = listed.get_column(t.key) if total else pl.Series([], dtype=pl.Boolean)
        n = int(has.sum()) if total else 0
        row: dict[str, object] = {
            "theme": t.name,
            "key": t.key,
            "comments": n,
            "share": n / total * 100 if total else None,
        }
        tones = listed.get_column(f"{t.key}__tone").to_list() if total else []
        row.update({tone: tones.count(tone) for tone in TONES})
        for side, mask in (("with", has), ("without", ~has)):
            answered = (
                listed.filter(mask).get_column("positive").drop_nulls() if total else pl.Series([], dtype=pl.Boolean)
            )
            base = answered.len()
            status = status_of(base, sup)
            row[f"base_{side}"] = base
            row[f"positive_{side}"] = None if status == SUPPRESSED else answered.sum() / base * 100
            row[f"status_{side}"] = status
        rows.append(row)
    schema = {
        "theme": pl.String, "key": pl.String, "comments": pl.Int64, "share": pl.Float64,
        "complaint": pl.Int64, "praise": pl.Int64, "neutral": pl.Int64,
        "base_with": pl.Int64, "positive_with": pl.Float64, "status_with": pl.String,
        "base_without": pl.Int64, "positive_without": pl.Float64, "status_without": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema).sort("comments", descending=True, maintain_order=True)
