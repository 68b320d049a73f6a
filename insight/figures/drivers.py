"""Which aspect matters most for overall satisfaction? Key drivers by Johnson's relative weights.

Over the respondents who answered the target and every other aspect in the base, each aspect
is its positive indicator (1 positive, 0 not). With R the correlation matrix of the aspects,
r their correlations with the target, and R = V diag(λ) V' its eigen-decomposition:
    Λ = V diag(√λ) V'          (the aspects' loadings on their closest orthogonal versions)
    β = Λ⁻¹ r                   (the target regressed on those orthogonal versions)
    ε_j = Σ_k Λ_jk² β_k²        (aspect j's share of R²; Σ ε_j = R²)
and importance = ε_j / R² × 100, so the rows sum to 100 (Johnson 2000).
Aspects answered by fewer than half the target's respondents, or with no variation, are left
out of the model and listed with importance None.
A model whose R² is below WEAK_MODEL explains too little to rank aspects: it names no top priority.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import cast

import numpy as np
import polars as pl

from insight.config.definition import Definition
from insight.figures.metrics import apply_filters, as_range, in_range, latest_period
from insight.periods import PeriodRange

WEAK_MODEL = 0.1  # R² below which the aspects explain too little to name a top priority (docs/statistics.md)


class TooFewRespondents(ValueError):
    """Fewer respondents than the caution base answered every aspect in the model."""


@dataclass(frozen=True)
class Driver:
    aspect: str
    pct: float | None  # % positive over the model's respondents (over those who answered it, if left out)
    importance: float | None  # % of R²; None when left out of the model


@dataclass(frozen=True)
class Drivers:
    dataset: str
    period: str
    target: str
    n: int
    r_squared: float
    rows: list[Driver]

    @property
    def weak(self) -> bool:
        """The aspects explain less than WEAK_MODEL of the target's variation: no priority can be named."""
        return self.r_squared < WEAK_MODEL

    def to_json(self) -> dict:
        rnd = lambda v: None if v is None else round(v, 1)  # noqa: E731
        top = self.top_priority()
        return {
            "dataset": self.dataset,
            "period": self.period,
            "target": self.target,
            "n": self.n,
            "r_squared": round(self.r_squared, 4),
            "weak_model": self.weak,
            "top_priority": top.aspect if top else None,
            "warning": (
                f"the aspects explain little (R² {self.r_squared:.3f}, below {WEAK_MODEL}): no top priority is named"
                if self.weak
                else None
            ),
            "rows": [{**asdict(r), "pct": rnd(r.pct), "importance": rnd(r.importance)} for r in self.rows],
        }

    def top_priority(self) -> Driver | None:
        """High importance, low satisfaction: of the aspects at least averagely important, the least positive.

        None when the model is weak (R² below WEAK_MODEL): a ranking of what explains almost nothing misleads.
        """
        if self.weak:
            return None
        modelled = [(r, r.importance, r.pct) for r in self.rows if r.importance is not None and r.pct is not None]
        if not modelled:
            return None
        average = 100 / len(modelled)
        important = [m for m in modelled if m[1] >= average]
        return min(important or modelled, key=lambda m: m[2])[0]


def relative_weights(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's relative weights of each column of ``x`` in a linear model of ``y``: (weights, R²)."""
    data = np.column_stack([x, y]).astype(float)
    corr = np.corrcoef(data, rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    loadings = vectors @ np.diag(np.sqrt(eigenvalues)) @ vectors.T
    beta = np.linalg.pinv(loadings) @ rxy
    weights = (loadings**2) @ (beta**2)
    return weights, float(weights.sum())


def key_drivers(
    frame: pl.DataFrame,
    definition: Definition,
    *,
    target: str | None = None,
    period: str | PeriodRange | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> Drivers:
    """Importance of every other aspect for the target (the headline by default); see the module docstring.

    Raises TooFewRespondents below the caution base, ValueError for an unknown target.
    """
    target = target or definition.headline or definition.aspects[0]
    if target not in definition.questions:
        raise ValueError(f"{definition.dataset} has no aspect {target!r}; choose from {', '.join(definition.aspects)}")
    span = as_range(period, definition, frame) or as_range(latest_period(frame), definition, frame)
    assert span is not None
    rows = apply_filters(in_range(frame, span), filters).collect()
    in_base = {a: pl.col(a).is_in(list(q.scale.in_base)) for a, q in definition.questions.items()}
    positive = {a: pl.col(a).is_in(list(q.scale.positive)).cast(pl.Int8) for a, q in definition.questions.items()}
    answered_target = rows.filter(in_base[target])
    # A derived measure is never a driver, and one made of other answers is not explained by its own parts.
    parts = set(definition.questions[target].all_of)
    others = [a for a in definition.asked if a != target and a not in parts]
    sup = definition.suppression

    left_out: dict[str, float | None] = {}
    candidates = []
    for a in others:
        answered = answered_target.filter(in_base[a])
        if answered.height * 2 < answered_target.height:
            left_out[a] = _pct(answered, positive[a], sup.min_base)
        else:
            candidates.append(a)
    model = answered_target.filter(pl.all_horizontal([in_base[a] for a in candidates] or [pl.lit(True)]))
    if model.height < sup.caution_base:
        raise TooFewRespondents(
            f"only {model.height} respondent(s) answered {definition.aspect_label(target)} and every other aspect "
            f"in {span.text}; key drivers need at least {sup.caution_base}"
        )
    values = model.select([positive[a].alias(a) for a in [*candidates, target]])
    if values.get_column(target).n_unique() < 2:
        raise TooFewRespondents(f"every respondent gave the same answer to {definition.aspect_label(target)}")
    used = [a for a in candidates if values.get_column(a).n_unique() > 1]
    for a in candidates:
        if a not in used:
            left_out[a] = _pct(model, positive[a], sup.min_base)
    importance: dict[str, float] = {}
    r_squared = 0.0
    if used:
        weights, r_squared = relative_weights(values.select(used).to_numpy(), values.get_column(target).to_numpy())
        importance = {
            a: float(w / r_squared * 100) if r_squared > 0 else 0.0 for a, w in zip(used, weights, strict=True)
        }
    # Each column is the aspect's 0/1 indicator; polars types a column's mean as any Python value.
    out = [Driver(a, float(cast("float", values.get_column(a).mean())) * 100, importance[a]) for a in used]
    out.sort(key=lambda r: -(r.importance or 0))
    out += [Driver(a, left_out[a], None) for a in others if a in left_out]
    return Drivers(definition.dataset, span.text, target, model.height, r_squared, out)


def _pct(rows: pl.DataFrame, indicator: pl.Expr, min_base: int) -> float | None:
    """% positive, or None from a base below the minimum (never shown)."""
    if rows.height < min_base:
        return None
    return float(rows.select(indicator.mean()).item()) * 100
