"""Weighting to the census: satisfaction as if respondents looked like the force area.

Raking (iterative proportional fitting) of the respondents shown, after filters, to the
census margins a definition names (``weighting: {margins: [age, gender, npu], trim: [lo, hi]}``):

- **Targets.** Age bands and sex of residents aged 16+ (Census 2021) of the area shown (the
  force area, or the local authorities of the NPUs chosen); each NPU's share of the 16+
  population of the force area, where NPUs sharing one local authority (Birmingham East and
  West) split its population in proportion to their respondents in the period shown, before
  filters. A filter on a margin's own dimension renormalises that margin's targets to the
  categories chosen; a census category with no respondents is dropped and the others rescaled.
- **Not stated, or no census counterpart** (a gender other than female or male, which the
  census table does not count): one extra category per margin, whose target is its share
  of the sample; the census categories share the rest in their census proportions.
- **Raking.** Weights start at 1; each margin in turn is matched exactly; after each full
  pass weights are clipped to ``[lo, hi] x`` their mean when trimming is set (repeatedly, as clipping
  moves the mean, until every weight is within the bounds of the final mean); the pass is
  repeated until every margin's weighted shares are within 1e-6 of their targets (checked
  after trimming), or 100 passes (not converged). Weights are then scaled to sum to the
  number of respondents.
- **Weighted figures.** Weighted positive share over each row's base; its 95% Wilson interval
  on the effective base (Kish: (sum w)^2 / sum w^2 over the row's base). Suppression stays
  on the unweighted base.

Supplied weights (a vendor's weight column) are used instead of raking: a definition's
``weight: {column: W}`` key stores them in the tidy frame's ``weight`` column, or pass
``weights_column``. A period in which some respondent has no weight follows ``weight.on_missing``:
``unweighted`` (the default) weighs every respondent of that period 1, or rakes them to the census
when the definition also has ``weighting:``; ``drop`` gives those respondents weight 0, so they are
left out of the weighted figures only; either way a note says so. Pure functions, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import polars as pl

from insight.config.census import AREA_TABLE, Census
from insight.config.definition import Definition, Dimension
from insight.figures import metrics
from insight.periods import PeriodRange

TOLERANCE = 1e-6  # largest gap allowed between a weighted share and its target (proportions, 0-1)
MAX_ITERATIONS = 100
OTHER = "Not stated or other"  # the extra category of every margin
WEIGHTED_COLUMNS = ("weighted_pct", "weighted_ci_low", "weighted_ci_high", "effective_base")


class WeightingError(ValueError):
    """The respondents cannot be weighted as the definition asks (one sentence for the user)."""


@dataclass(frozen=True)
class Margin:
    """One margin's targets, for the respondents being weighted."""

    dimension: str
    label: str
    population: str  # which census population, and where, the targets describe
    categories: tuple[str, ...]  # census categories raked to, then OTHER when any respondent falls in it
    targets: tuple[float, ...]  # proportions (0-1), summing to 1, in the order of ``categories``
    census_shares: dict[str, float]  # census proportions of the census categories kept (summing to 1)
    dropped: tuple[str, ...] = ()  # census categories with no respondents (not left out by a filter)
    filtered: tuple[str, ...] = ()  # census categories left out by a filter on this dimension
    other_values: tuple[str, ...] = ()  # the respondents' values counted in OTHER

    def note(self) -> str | None:
        """Why the targets differ from the census table, in one sentence, or None."""
        if not self.dropped:
            return None
        return (
            f"{self.label}: no respondents in {', '.join(self.dropped)}, so "
            f"{'that group was' if len(self.dropped) == 1 else 'those groups were'} left out of the targets "
            "and the other groups rescaled."
        )


@dataclass(frozen=True)
class Raking:
    """Weights for one set of respondents (a period, or a pooled range), and how they were found."""

    weights: pl.Series  # Float64, one per respondent, in the frame's row order, summing to n
    margins: tuple[Margin, ...]
    iterations: int
    converged: bool
    trim: tuple[float, float] | None
    supplied: str | None = None  # the weight column used instead of raking
    unweighted: bool = False  # supplied weights were missing: every respondent weighs 1 (`on_missing: unweighted`)
    left_out: int = 0  # respondents without a supplied weight, weighing 0 (`on_missing: drop`)
    note: str | None = None  # why the period's weights are not (all) the supplied ones

    @property
    def n(self) -> int:
        """The respondents the weights are for (those left out weigh 0 and are not counted)."""
        return self.weights.len() - self.left_out

    @property
    def effective_n(self) -> float:
        return effective_base(self.weights)

    @property
    def efficiency_pct(self) -> float:
        return self.effective_n / self.n * 100 if self.n else 0.0

    # The weights are Float64; polars types a column's min and max as any Python value.
    @property
    def min_weight(self) -> float:
        return float(cast("float", self.weights.filter(self.weights > 0).min())) if self.n else 0.0

    @property
    def max_weight(self) -> float:
        return float(cast("float", self.weights.max())) if self.n else 0.0

    def notes(self) -> list[str]:
        out = [self.note] if self.note else []
        out += [note for m in self.margins if (note := m.note())]
        if not self.converged:
            out.append(
                f"The weights did not converge in {MAX_ITERATIONS} passes: the margins could not all be matched "
                f"within {TOLERANCE:g} (trimming or very small groups); weighted figures are approximate."
            )
        return out

    def summary(self) -> dict:
        """The ``weighting`` object of ``report --weighted`` (JSON-ready)."""
        return {
            "margins": [m.dimension for m in self.margins],
            "iterations": self.iterations,
            "converged": self.converged,
            "min_weight": round(self.min_weight, 4),
            "max_weight": round(self.max_weight, 4),
            "efficiency_pct": round(self.efficiency_pct, 1),
            "respondents": self.n,
            "effective_n": round(self.effective_n, 1),
            "trim": list(self.trim) if self.trim else None,
            "supplied_weights": self.supplied,
            "unweighted": self.unweighted,
            "left_out": self.left_out,
            "populations": {m.dimension: m.population for m in self.margins},
            "notes": self.notes(),
        }


def supplied_column(definition: Definition) -> str | None:
    """The tidy frame's column of weights supplied with the export, when the definition has a ``weight:`` key."""
    return definition.weight_column


def can_weight(definition: Definition) -> bool:
    """Raked to the census (``weighting:``) or weighted by the export's own weights (``weight:``)."""
    return definition.weighting is not None or supplied_column(definition) is not None


def effective_base(weights: pl.Series | Sequence[float]) -> float:
    """Kish's effective sample size: (sum w)^2 / sum w^2."""
    w = np.asarray(weights, dtype=float)
    sq = float((w**2).sum())
    return float(w.sum()) ** 2 / sq if sq else 0.0


# --------------------------------------------------------------------------- raking (numbers only)


def rake(
    codes: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    *,
    trim: tuple[float, float] | None = None,
    tolerance: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> tuple[np.ndarray, int, bool]:
    """Raking weights for respondents whose category on margin ``i`` is ``codes[i]`` (0..k-1).

    ``targets[i][c]`` is the share (0-1) category ``c`` of margin ``i`` should have; every
    category with a positive target needs at least one respondent. Returns the weights
    (summing to the number of respondents), the passes made and whether every weighted share
    came within ``tolerance`` of its target.
    """
    n = len(codes[0]) if codes else 0
    weights = np.ones(n)
    if n == 0 or not codes:
        return weights, 0, True
    iterations, converged = 0, False
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - the count is returned
        for code, target in zip(codes, targets, strict=True):
            totals = np.bincount(code, weights=weights, minlength=len(target))
            factor = np.divide(target * weights.sum(), totals, out=np.ones(len(target)), where=totals > 0)
            weights = weights * factor[code]
        if trim is not None:
            weights = trimmed(weights, trim)
        if largest_gap(codes, targets, weights) <= tolerance:
            converged = True
            break
    return weights * (n / weights.sum()), iterations, converged


def trimmed(weights: np.ndarray, trim: tuple[float, float]) -> np.ndarray:
    """Weights clipped to ``[lo, hi] x`` their mean; clipping moves the mean, so it is repeated until
    every weight is within the bounds of the mean it ends with."""
    lo, hi = trim
    for _ in range(1000):
        mean = weights.mean()
        if weights.min() >= lo * mean * (1 - 1e-12) and weights.max() <= hi * mean * (1 + 1e-12):
            break
        weights = np.clip(weights, lo * mean, hi * mean)
    return weights


def largest_gap(codes: Sequence[np.ndarray], targets: Sequence[np.ndarray], weights: np.ndarray) -> float:
    """The largest difference, over every margin and category, between weighted share and target."""
    total = weights.sum()
    return max(
        float(np.abs(np.bincount(code, weights=weights, minlength=len(target)) / total - target).max())
        for code, target in zip(codes, targets, strict=True)
    )


# --------------------------------------------------------------------------- targets from the census


def _npu_dimension(definition: Definition) -> str | None:
    return next((k for k, d in definition.dimensions.items() if d.area), None)


def _chosen(filters: Mapping[str, Sequence[str]] | None, dim: str) -> list[str]:
    return list((filters or {}).get(dim) or [])


def _census_counts(
    dim: Dimension, definition: Definition, census: Census, filters: Mapping[str, Sequence[str]] | None,
    split_from: pl.DataFrame,
) -> tuple[dict[str, float], str]:  # fmt: skip
    """Census population of each of the dimension's census categories, and a description of it."""
    if dim.area:
        table = census.tables[AREA_TABLE]
        respondents = dict(split_from.group_by(pl.col(dim.key).cast(pl.String)).len().iter_rows())
        by_area: dict[str, list[str]] = {}
        for npu in dim.groups:
            by_area.setdefault(census.area_for(npu), []).append(npu)
        counts: dict[str, float] = {}
        for area, npus in by_area.items():
            population = sum(table.areas[area].values())
            said = sum(respondents.get(n, 0) for n in npus)
            for npu in npus:  # shared by respondents; evenly when none of them answered
                counts[npu] = population * (respondents.get(npu, 0) / said if said else 1 / len(npus))
        chosen = set(_chosen(filters, dim.key))
        shared = [" and ".join(n) for n in by_area.values() if len(n) > 1 and (not chosen or chosen & set(n))]
        how = f"; {', '.join(shared)} share their local authority in proportion to their respondents" if shared else ""
        return counts, f"{table.population}, by local authority{how}"
    table = census.tables[dim.census or ""]
    npu_dim = _npu_dimension(definition)
    npus = [n for n in _chosen(filters, npu_dim) if n in census.npu_areas] if npu_dim else []  # not "Not stated"
    areas = census.areas_for(npus)
    counts = {g: float(sum(table.areas[a][g] for a in areas)) for g in table.groups if g in dim.groups}
    return counts, f"{table.population}, {' + '.join(areas)}"


def margin_targets(
    respondents: pl.DataFrame,
    definition: Definition,
    census: Census,
    dimension: str,
    *,
    filters: Mapping[str, Sequence[str]] | None = None,
    split_from: pl.DataFrame | None = None,
) -> Margin:
    """One margin's targets for these respondents (see the module's docstring for the rules).

    ``split_from`` holds the respondents used to split a local authority between the NPUs that
    share it (the period's respondents before filters); the respondents themselves without it.
    """
    dim = definition.dimensions[dimension]
    census_counts, population = _census_counts(
        dim, definition, census, filters, respondents if split_from is None else split_from
    )
    present = dict(respondents.group_by(pl.col(dimension).cast(pl.String)).len().iter_rows())
    chosen = _chosen(filters, dimension)
    filtered = tuple(g for g in census_counts if chosen and g not in chosen)
    dropped = tuple(g for g in census_counts if g not in filtered and not present.get(g))
    kept = [g for g in census_counts if present.get(g) and census_counts[g] > 0]
    other_values = tuple(v for v in present if v not in kept)
    n = respondents.height
    other_share = sum(present[v] for v in other_values) / n if n else 0.0
    total = sum(census_counts[g] for g in kept)
    census_shares = {g: census_counts[g] / total for g in kept}
    categories = tuple(kept) + ((OTHER,) if other_values else ())
    targets = tuple((1 - other_share) * census_shares[g] for g in kept) + ((other_share,) if other_values else ())
    return Margin(
        dimension=dimension,
        label=dim.label,
        population=population,
        categories=categories,
        targets=targets,
        census_shares=census_shares,
        dropped=dropped,
        filtered=filtered,
        other_values=tuple(sorted(other_values)),
    )


# --------------------------------------------------------------------------- weights for respondents


def weigh(
    respondents: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    filters: Mapping[str, Sequence[str]] | None = None,
    split_from: pl.DataFrame | None = None,
    weights_column: str | None = None,
) -> Raking:
    """Weights for respondents already selected (one period, or a pooled range, after filters).

    The weights supplied in ``weights_column`` (by default the definition's ``weight:`` column, if
    it has one) are used instead of raking, scaled to sum to the number of respondents.
    """
    weights_column = weights_column or supplied_column(definition)
    note = None
    if weights_column is not None:
        period_rows = respondents if split_from is None else split_from
        lacking = _lacking(period_rows, weights_column)
        on_missing = definition.weight.on_missing if definition.weight else "error"
        if not lacking or on_missing == "error":
            return _supplied(respondents, weights_column)
        lacks = f"{lacking:,} of the {period_rows.height:,} respondents in this period have no weight in the export"
        if on_missing == "drop":
            return _supplied(respondents, weights_column, drop=f"{lacks}; they are left out of the weighted figures.")
        if definition.weighting is None:
            return _unweighted(respondents, f"{lacks}, so its figures are not weighted (every respondent counts once).")
        note = f"{lacks}, so it is weighted to the census by {margins_in_words(definition)} instead."
    if definition.weighting is None:
        raise WeightingError(
            f"{definition.title} has no `weighting:` (or `weight:`) in its definition, so it cannot be weighted"
        )
    margins = tuple(
        margin_targets(respondents, definition, census, m, filters=filters, split_from=split_from)
        for m in definition.weighting.margins
    )
    codes = [_codes(respondents, m) for m in margins]
    targets = [np.array(m.targets) for m in margins]
    weights, iterations, converged = rake(codes, targets, trim=definition.weighting.trim)
    return Raking(pl.Series("weight", weights), margins, iterations, converged, definition.weighting.trim, note=note)


def weigh_period(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    period: str,
    filters: Mapping[str, Sequence[str]] | None = None,
    weights_column: str | None = None,
) -> tuple[pl.DataFrame, Raking]:
    """One period's respondents after filters, and their weights (a shared local authority is split
    by the period's respondents before filters). A range ``2019-07..2019-09`` is weighted once, over
    all its respondents."""
    everyone = metrics.in_range(frame, metrics.as_range(period, definition, frame))
    respondents = metrics.apply_filters(everyone, filters).collect()
    raking = weigh(respondents, definition, census, filters=filters, split_from=everyone, weights_column=weights_column)
    return respondents, raking


def _codes(respondents: pl.DataFrame, margin: Margin) -> np.ndarray:
    """Each respondent's category index on a margin (the last, OTHER, for values outside the census)."""
    index = {c: i for i, c in enumerate(margin.categories)}
    other = index.get(OTHER, -1)
    values = respondents.get_column(margin.dimension).cast(pl.String)
    return values.replace_strict(index, default=other, return_dtype=pl.Int64).to_numpy()


def _lacking(respondents: pl.DataFrame, column: str) -> int:
    """How many respondents have no supplied weight."""
    return respondents.get_column(column).null_count() if column in respondents.columns else 0


def _supplied(respondents: pl.DataFrame, column: str, *, drop: str | None = None) -> Raking:
    """The supplied weights, scaled to sum to the respondents weighted; with ``drop`` (its note), a respondent
    without one weighs 0."""
    if column not in respondents.columns:
        raise WeightingError(f"the weight column {column!r} is not in the data held")
    weights = respondents.get_column(column).cast(pl.Float64)
    left_out = weights.null_count() if drop else 0
    weights = weights.fill_null(0.0) if drop else weights
    if weights.null_count() or (weights < 0).any() or not weights.is_finite().all() or (weights == 0).sum() > left_out:
        raise WeightingError(f"the weight column {column!r} has blank, zero, negative or infinite weights")
    counted = respondents.height - left_out
    weights = weights / weights.sum() * counted if counted else weights
    return Raking(weights.alias("weight"), (), 0, True, None, supplied=column, left_out=left_out, note=drop)


def _unweighted(respondents: pl.DataFrame, note: str) -> Raking:
    """Every respondent weighs 1: the period's figures are reported unweighted, with the note saying why."""
    weights = pl.Series("weight", [1.0] * respondents.height, dtype=pl.Float64)
    return Raking(weights, (), 0, True, None, unweighted=True, note=note)


# --------------------------------------------------------------------------- weighted figures


@dataclass(frozen=True)
class WeightedResult:
    """``metrics.satisfaction`` rows with the weighted columns, and the raking of each period."""

    rows: pl.DataFrame
    rakings: dict[str, Raking]

    @property
    def weighting(self) -> Raking:
        """The raking of the (single) period shown."""
        if len(self.rakings) != 1:
            raise ValueError(f"{len(self.rakings)} periods were weighted; choose one from .rakings")
        return next(iter(self.rakings.values()))


def weighted_figures(
    weighted: pl.DataFrame, definition: Definition, *, aspects: Sequence[str], by: str | None
) -> pl.DataFrame:
    """Weighted share, Wilson interval on the effective base, and the effective base, by period,
    aspect and group, for respondents carrying a ``weight`` column."""
    keys = ["period", by] if by else ["period"]
    w = pl.col("weight")
    parts = []
    for a in aspects:
        scale = definition.questions[a].scale
        in_base = pl.col(a).is_in(list(scale.in_base))
        positive = pl.col(a).is_in(list(scale.positive))
        sums = weighted.group_by(keys).agg(
            w.filter(in_base).sum().alias("__wbase"),
            w.filter(positive & in_base).sum().alias("__wpos"),
            (w.filter(in_base) ** 2).sum().alias("__wsq"),
        )
        group = pl.col(by).cast(pl.String) if by else pl.lit(None, pl.String)
        parts.append(sums.select("period", pl.lit(a).alias("aspect"), group.alias("group"), pl.col("^__w.*$")))
    frame = pl.concat(parts)
    share = pl.when(pl.col("__wbase") > 0).then(pl.col("__wpos") / pl.col("__wbase"))  # none weighted: no figure
    n_eff = pl.when(pl.col("__wsq") > 0).then(pl.col("__wbase") ** 2 / pl.col("__wsq"))
    frame = frame.with_columns(n_eff.alias("effective_base"), (share * 100).alias("weighted_pct"))
    lo, hi = metrics.wilson_interval(share * pl.col("effective_base"), pl.col("effective_base"))
    return frame.with_columns(lo.alias("weighted_ci_low"), hi.alias("weighted_ci_high")).select(
        "period", "aspect", "group", *WEIGHTED_COLUMNS
    )


def weighted_satisfaction(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    period: str | PeriodRange | None = None,
    by: str | None = None,
    aspects: Sequence[str] | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    all_periods: bool = False,
    weights_column: str | None = None,
) -> WeightedResult:
    """``metrics.satisfaction`` with weighted columns beside the unweighted ones.

    Each period's respondents (after filters) are weighted once; every row of a breakdown
    uses those weights. Suppressed rows (unweighted base) carry no weighted figures either.
    """
    aspects = list(aspects or definition.aspects)
    result = metrics.satisfaction(
        frame, definition, period=period, by=by, aspects=aspects, filters=filters, all_periods=all_periods
    )
    rakings: dict[str, Raking] = {}
    parts = []
    for p in metrics.periods(result):
        respondents, raking = weigh_period(
            frame, definition, census, period=p, filters=filters, weights_column=weights_column
        )
        rakings[p] = raking
        parts.append(respondents.with_columns(raking.weights, pl.lit(p).alias("period")))  # a range: one label
    if not parts:
        return WeightedResult(result.with_columns([pl.lit(None, pl.Float64).alias(c) for c in WEIGHTED_COLUMNS]), {})
    figures = weighted_figures(pl.concat(parts), definition, aspects=aspects, by=by)
    rows = result.join(figures, on=["period", "aspect", "group"], how="left", nulls_equal=True, maintain_order="left")
    hidden = pl.col("status") == metrics.SUPPRESSED
    rows = rows.with_columns([pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in WEIGHTED_COLUMNS])
    return WeightedResult(rows, rakings)


def weighted_report(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    period: str | PeriodRange | None = None,
    by: str | None = None,
    aspects: Sequence[str] | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    weights_column: str | None = None,
) -> WeightedResult:
    """One period's (or range's) figures, weighted beside unweighted (the latest period without ``period``);
    ``.weighting`` is its raking."""
    return weighted_satisfaction(
        frame, definition, census, period=period or metrics.latest_period(frame), by=by, aspects=aspects,
        filters=filters, weights_column=weights_column,
    )  # fmt: skip


# --------------------------------------------------------------------------- who answered, before and after


def profile(respondents: pl.DataFrame, raking: Raking) -> pl.DataFrame:
    """Respondents by each margin's categories: count, share before and after weighting, target,
    and the census share among the census categories (percentages)."""
    rows = []
    weights = raking.weights.to_numpy()
    for margin in raking.margins:
        codes = _codes(respondents, margin)
        counts = np.bincount(codes, minlength=len(margin.categories))
        weighted = np.bincount(codes, weights=weights, minlength=len(margin.categories))
        for i, category in enumerate(margin.categories):
            rows.append(
                {
                    "margin": margin.dimension,
                    "group": category,
                    "respondents": int(counts[i]),
                    "unweighted_pct": counts[i] / counts.sum() * 100,
                    "weighted_pct": weighted[i] / weighted.sum() * 100,
                    "target_pct": margin.targets[i] * 100,
                    "census_pct": margin.census_shares[category] * 100 if category in margin.census_shares else None,
                }
            )
    schema = {"margin": pl.String, "group": pl.String, "respondents": pl.Int64, "unweighted_pct": pl.Float64,
              "weighted_pct": pl.Float64, "target_pct": pl.Float64, "census_pct": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


# --------------------------------------------------------------------------- in words


def margins_in_words(definition: Definition) -> str:
    """``age group, gender and neighbourhood policing unit``."""
    labels = [definition.dimensions[m].label.lower() for m in (definition.weighting.margins if definition.weighting
                                                                 else ())]  # fmt: skip
    return " and ".join([", ".join(labels[:-1]), labels[-1]]) if len(labels) > 1 else "".join(labels)


def explanation(definition: Definition | None = None) -> str:
    """The one line shown under the toggle (naming the margins of one definition)."""
    if definition is not None and supplied_column(definition):
        return (
            "Weighted figures use the weights supplied with the export; the effective base is how many unweighted "
            "responses would give the same precision."
        )
    by = f" by {margins_in_words(definition)}" if definition else " by the margins each survey names"
    return (
        f"Weighted figures show satisfaction as if respondents matched Census 2021 residents aged 16+{by}; "
        "the effective base is how many unweighted responses would give the same precision."
    )


def weighting_in_words(raking: Raking) -> str:
    """``1,000 respondents weighted; they count as 905 (efficiency 90.5%); converged in 4 passes.``"""
    if raking.unweighted:
        return f"{raking.n:,} respondents, not weighted: each counts once."
    if raking.supplied:
        how = f"weights supplied in column {raking.supplied!r}"
        if raking.left_out:
            how += f"; {raking.left_out:,} without a weight left out"
    else:
        how = f"converged in {raking.iterations} passes" if raking.converged else "did NOT converge"
    return (
        f"{raking.n:,} respondents weighted: after weighting they carry the precision of "
        f"{raking.effective_n:,.0f} (efficiency {raking.efficiency_pct:.1f}%); weights "
        f"{raking.min_weight:.2f} to {raking.max_weight:.2f}; {how}."
    )


def weighted_figure(row: Mapping[str, object]) -> str:
    """``weighted 50.7% (effective base 859; 95% CI 47.3–54.0%)``, or nothing for a suppressed row."""
    if row.get("weighted_pct") is None:
        return ""
    return (
        f"weighted {row['weighted_pct']:.1f}% (effective base {row['effective_base']:,.0f}; "
        f"95% CI {row['weighted_ci_low']:.1f}–{row['weighted_ci_high']:.1f}%)"
    )


def method_note(definitions: Mapping[str, Definition]) -> str:
    """How weighting works and what it cannot do, for the Data page (docs/weighting.md says the same)."""
    weighted = []
    for d in definitions.values():
        if d.weighting:
            trim = d.weighting.trim
            kept = f"; weights kept within {trim[0]:g}–{trim[1]:g} × their mean" if trim else ""
            weighted.append(f"{d.title} (by {margins_in_words(d)}{kept})")
    return "\n".join(
        [
            "- **Surveys weighted:** " + ("; ".join(weighted) or "none") + ". A definition opts in with "
            "`weighting: {margins: [age, gender, npu], trim: [0.3, 3.0]}`.",
            "- **Population:** Census 2021 usual residents aged 16 and over, by age band and sex, in the area "
            "shown (the force area, or the local authorities of the NPUs chosen); each NPU's share of the force "
            "area's 16+ population. NPUs sharing a local authority (Birmingham East and West) split it in "
            "proportion to their respondents in the period, before filters. Ethnicity is not weighted: the only "
            "ethnicity table covers all ages, and weighting respondents aged 16+ to it would over-weight "
            "minority groups.",
            "- **Not stated, or not counted by the census** (a gender other than female or male): one extra "
            "group per margin that keeps its share of the sample; census groups share the rest. A filter on a "
            "margin's own dimension rescales its targets to the groups chosen; a census group with no "
            "respondents is dropped, the others rescaled, and the page says so.",
            f"- **Raking:** each margin matched in turn, weights clipped after each full pass when trimming is "
            f"set, until every weighted share is within {TOLERANCE:g} of its target (after trimming) or "
            f"{MAX_ITERATIONS} passes (then reported as not converged). Weights sum to the number of respondents; "
            "each period (or pooled range) is weighted once, over its respondents after filters.",
            "- **Precision:** the effective base is Kish's (Σw)² ÷ Σw²; the weighted 95% interval is the Wilson "
            "interval on it. Suppression and *treat with caution* stay on the unweighted base.",
            "- **What it can and cannot fix:** weighting corrects for *who answered* on the margins used (too few "
            "16-24s, too many 35-64s, an NPU answering more than its share), assuming those who answered in each "
            "group feel as those who did not. It cannot correct for anything else that made people answer, for "
            "characteristics not weighted, or for people who never receive the survey (victims without an email "
            "address or not on WMNow): no weight stands for people with no respondent like them.",
        ]
    )
