"""Free-text comments by theme, and how each theme relates to satisfaction.

Themes are defined in ``config/themes.yaml``: a name, a description and the patterns
(case-insensitive regular expressions) that signal it. Comments were masked for
personal data at ingest; they are masked again here before anything is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from insight.configfile import ConfigError, Mistake, Reader, read_yaml
from insight.definition import Definition
from insight.metrics import SUPPRESSED, as_range, in_range, status_of
from insight.periods import PeriodRange
from insight.redact import mask_pii

COMPLAINT, PRAISE, NEUTRAL = "complaint", "praise", "neutral"
TONES = (COMPLAINT, PRAISE, NEUTRAL)


def _regex(patterns: tuple[str, ...]) -> str:
    return "(?i)(" + "|".join(f"(?:{p})" for p in patterns) + ")"


@dataclass(frozen=True)
class Theme:
    key: str
    name: str
    description: str
    patterns: tuple[str, ...]
    complaint: tuple[str, ...] = ()  # negative phrasing: checked first, so "nobody called me back" is a complaint
    praise: tuple[str, ...] = ()
    tone: str = NEUTRAL  # a comment matching neither list

    @property
    def regex(self) -> str:
        return _regex(self.patterns)

    def tone_expr(self, comment: pl.Expr) -> pl.Expr:
        """complaint / praise / neutral for a comment carrying this theme (null when it does not)."""
        expr = pl.when(comment.str.contains(self.regex).not_()).then(pl.lit(None, pl.String))
        if self.complaint:
            expr = expr.when(comment.str.contains(_regex(self.complaint))).then(pl.lit(COMPLAINT))
        if self.praise:
            expr = expr.when(comment.str.contains(_regex(self.praise))).then(pl.lit(PRAISE))
        return expr.otherwise(pl.lit(self.tone))


THEME_KEYS = {"name", "description", "patterns", "complaint", "praise", "tone"}


def parse_themes(r: Reader, raw: Any) -> list[Theme]:
    """themes.yaml: each theme's name, description, patterns and tone (complaint / praise patterns, default tone)."""
    themes = []
    for key, node in r.mapping(raw, "", required=True).items():
        kp = str(key)
        with r.part():
            node = r.mapping(node, kp, required=True)
            r.known_keys(node, THEME_KEYS, kp)
            name = r.text(node, "name", kp)
            description = r.text(node, "description", kp, default="")
            tone = r.choice(node, "tone", kp, TONES, default=NEUTRAL)
            lists: dict[str, tuple[str, ...]] = {}
            for part in ("patterns", "complaint", "praise"):
                lists[part] = r.labels(node.get(part), f"{kp}.{part}", required=part == "patterns")
                for i, pattern in enumerate(lists[part]):
                    try:
                        pl.select(pl.lit("").str.contains(f"(?i){pattern}"))
                    except pl.exceptions.PolarsError as exc:
                        reasons = [ln[len("error: ") :] for ln in str(exc).splitlines() if ln.startswith("error: ")]
                        reason = (reasons[0] if reasons else "regex parse error")[:200]
                        r.note(f"{kp}.{part}[{i}]", f"{pattern!r} is not a valid pattern ({reason})")
            themes.append(Theme(kp, name, description, lists["patterns"], lists["complaint"], lists["praise"], tone))
    return themes


def load_themes(path: Path | None = None) -> list[Theme]:
    """The themes: from the config folder through the one loader, or from one file (tests, drafts)."""
    if path is None:
        from insight.config import load_config

        return load_config().themes
    mistakes: list[Mistake] = []
    r = Reader(path.name, mistakes)
    with r.part():
        themes = parse_themes(r, read_yaml(path, path.name, mistakes))
    if mistakes:
        raise ConfigError(mistakes)
    return themes


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
    rows = in_range(frame, as_range(period, definition))
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
