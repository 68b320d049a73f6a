"""Every level: figures for the finer units inside one group of a coarser one (force > NPU > district).

A dimension names its parent with ``within:`` (``district`` within ``npu``). Drilling into one parent group
breaks it down by the child dimension, counting only the parent's rows. Suppression holds at every level:
a child group below the minimum base shows nothing, and because the parent's own figure is shown one level
up, complementary suppression (``metrics.complementary_hidden``) always applies among a parent's children,
so a hidden child can never be worked out as the parent less its visible children. Children holding no row
are left out (they reveal nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from insight.config.definition import NOT_STATED, Definition
from insight.figures import metrics
from insight.figures.metrics import SUPPRESSED, apply_filters, complementary_hidden, status_of
from insight.periods import PeriodRange


def children(definition: Definition, key: str) -> list[str]:
    """The dimensions that name ``key`` as their parent (``within: key``)."""
    return [k for k, d in definition.dimensions.items() if d.within == key]


def path(definition: Definition, key: str) -> list[str]:
    """From the coarsest level down to ``key``: ``["npu", "district"]``."""
    out = [key]
    while (parent := definition.dimensions[out[0]].within) is not None:
        out.insert(0, parent)
    return out


def _parent_filter(definition: Definition, child: str, parent_group: str) -> dict[str, list[str]]:
    parent = definition.dimensions[child].within
    if parent is None:
        raise ValueError(f"{definition.dataset}: {child!r} names no parent (`within:`), so there is nothing to drill")
    return {parent: [parent_group]}


def members_within(
    frame: pl.DataFrame,
    definition: Definition,
    *,
    child: str,
    parent_group: str,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """A membership list's current members in each child group of one parent group, with their share of the
    parent's members. Columns: group, members, share (None where hidden), status."""
    wanted = {**(filters or {}), **_parent_filter(definition, child, parent_group)}
    population = {k: list(v) for k, v in definition.population.items()}
    rows = apply_filters(apply_filters(frame, population), wanted)
    counts = (
        rows.group_by(pl.col(child).cast(pl.String).alias("group"))
        .agg(pl.len().cast(pl.Int64).alias("members"))
        .filter(pl.col("members") > 0)
        .sort("group")
        .collect()
    )
    groups = counts.get_column("group").to_list()
    bases = counts.get_column("members").to_list()
    sup = definition.suppression
    total = sum(bases)
    hidden = complementary_hidden(bases, [b < sup.min_base for b in bases], sup.min_base)
    out = [
        {
            "group": g,
            "members": None if h else n,
            "share": None if h or not total else n / total * 100,
            "status": SUPPRESSED if h else status_of(n, sup),
        }
        for g, n, h in zip(groups, bases, hidden, strict=True)
    ]
    schema = {"group": pl.String, "members": pl.Int64, "share": pl.Float64, "status": pl.String}
    order = {g: i for i, g in enumerate([*definition.dimensions[child].groups, NOT_STATED])}
    return pl.DataFrame(out, schema=schema).sort(pl.col("group").replace_strict(order, default=len(order)))


def satisfaction_within(
    frame: pl.DataFrame,
    definition: Definition,
    *,
    child: str,
    parent_group: str,
    period: str | PeriodRange | None = None,
    aspects: Sequence[str] | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """A survey's % positive for each child group inside one parent group: ``metrics.satisfaction`` by the child
    over the parent's rows (which applies complementary suppression among a parent's children), without the
    children holding no answer."""
    wanted = {**(filters or {}), **_parent_filter(definition, child, parent_group)}
    result = metrics.satisfaction(frame, definition, period=period, by=child, aspects=aspects, filters=wanted)
    return result.filter(pl.col("base") > 0)
