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
from insight.metrics import SUPPRESSED, status_of
from insight.redact import mask_pii


@dataclass(frozen=True)
class Theme:
    key: str
    name: str
    description: str
    patterns: tuple[str, ...]

    @property
    def regex(self) -> str:
        return "(?i)(" + "|".join(f"(?:{p})" for p in self.patterns) + ")"


THEME_KEYS = {"name", "description", "patterns"}


def parse_themes(r: Reader, raw: Any) -> list[Theme]:
    """themes.yaml: each theme's name, description and patterns; every pattern must compile."""
    themes = []
    for key, node in r.mapping(raw, "", required=True).items():
        kp = str(key)
        with r.part():
            node = r.mapping(node, kp, required=True)
            r.known_keys(node, THEME_KEYS, kp)
            name = r.text(node, "name", kp)
            description = r.text(node, "description", kp, default="")
            patterns = r.labels(node.get("patterns"), f"{kp}.patterns", required=True)
            for i, pattern in enumerate(patterns):
                try:
                    pl.select(pl.lit("").str.contains(f"(?i){pattern}"))
                except pl.exceptions.PolarsError as exc:
                    reasons = [ln[len("error: ") :] for ln in str(exc).splitlines() if ln.startswith("error: ")]
                    reason = (reasons[0] if reasons else "regex parse error")[:200]
                    r.note(f"{kp}.patterns[{i}]", f"{pattern!r} is not a valid pattern ({reason})")
            themes.append(Theme(kp, name, description, patterns))
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
    period: str | None = None,
    aspect: str | None = None,
) -> pl.DataFrame:
    """Every comment (masked) with a column per theme and the answer to ``aspect`` (default: the headline).

    Columns: id, period, column, comment, the aspect's answer (``answer``), ``positive``
    (None where the answer is out of the base), then one boolean per theme key.
    """
    if not definition.free_text:
        return pl.DataFrame()
    rows = frame if period is None else frame.filter(pl.col("period") == period)
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
    return out.with_columns([pl.col("comment").str.contains(t.regex).alias(t.key) for t in themes])


def theme_counts(
    frame: pl.DataFrame,
    definition: Definition,
    themes: list[Theme],
    *,
    period: str | None = None,
    aspect: str | None = None,
) -> pl.DataFrame:
    """Per theme: comments mentioning it, their share of all comments, and satisfaction with and without it.

    Columns: theme (name), key, comments, share, positive_with, base_with, positive_without, base_without,
    status_with, status_without. A positive share from a base below the threshold is not given.
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
        "base_with": pl.Int64, "positive_with": pl.Float64, "status_with": pl.String,
        "base_without": pl.Int64, "positive_without": pl.Float64, "status_without": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema).sort("comments", descending=True, maintain_order=True)
