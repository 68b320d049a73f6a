"""Free-text themes, as ``config/themes.yaml`` defines them.

Each theme has a name, a description and the patterns (case-insensitive regular
expressions) that signal it, with complaint and praise patterns that give a comment its
tone. ``insight.figures.comments`` finds them in comments and relates them to satisfaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from insight.config.files import Reader

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen, Then

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
        expr: Then | ChainedThen = pl.when(comment.str.contains(self.regex).not_()).then(pl.lit(None, pl.String))
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
