"""WMNow sign-ups by where the member signed up (``Sign-up Source``), and each source's diversity.

For the months asked, everyone who joined (still a member or since left, as for every sign-up figure) is
counted by the membership list's ``source`` dimension; each source's share of 16-24s (of those stating an
age) and of ethnic minority groups (every group but White, of those stating an ethnicity) is set against
the census of the same area (``representation``). Suppression as everywhere: a source with fewer sign-ups
than the minimum base shows no count and no share, and complementary suppression hides the next smallest
too, so no hidden count can be worked out from the total of the months (the joiners table) less those
shown; a share whose base of members stating a value is below the minimum is not shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from insight.config.census import Census
from insight.config.definition import NOT_STATED, Definition
from insight.figures.metrics import apply_filters, as_range, complementary_hidden, in_range
from insight.figures.representation import representation
from insight.periods import PeriodRange

SOURCE = "source"  # the membership list's dimension naming where each member signed up
NOT_RECORDED = "Not recorded"
SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "sign_ups": pl.Int64(),
    "share": pl.Float64(),
    "aged_16_24": pl.Float64(),
    "aged_16_24_census": pl.Float64(),
    "aged_16_24_gap_pp": pl.Float64(),
    "ethnic_minority": pl.Float64(),
    "ethnic_minority_census": pl.Float64(),
    "ethnic_minority_gap_pp": pl.Float64(),
}


def has_sources(frame: pl.DataFrame, definition: Definition) -> bool:
    """Whether the list records a sign-up source for anyone (older exports do not)."""
    if SOURCE not in definition.dimensions or SOURCE not in frame.columns:
        return False
    return bool(frame.select((pl.col(SOURCE).cast(pl.String) != NOT_STATED).any()).item())


def sign_ups_by_source(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    period: str | PeriodRange,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """One row per source (then those with none recorded): sign-ups in ``period``, their share of the sign-ups
    with a source, and each source's 16-24 and ethnic minority shares against the census (columns: SCHEMA)."""
    span = as_range(period, definition, frame)
    assert span is not None
    dims = {k: v for k, v in (filters or {}).items() if k not in (SOURCE, "status")}
    joined = apply_filters(in_range(frame, span), dims).collect()
    counts = dict(joined.group_by(pl.col(SOURCE).cast(pl.String)).len().iter_rows())
    sources = [*definition.dimensions[SOURCE].groups, NOT_STATED]
    bases = [int(counts.get(s, 0)) for s in sources]
    min_base = definition.suppression.min_base
    hidden = complementary_hidden(bases, [0 < b < min_base for b in bases], min_base)
    # The shares are over the sign-ups with a source, which a shown count and its share give away: so the
    # sources themselves, without those not recorded, must hide at least two (or none) too.
    real = [i for i, s in enumerate(sources) if s != NOT_STATED]
    for i, hide in zip(real, complementary_hidden([bases[i] for i in real], [hidden[i] for i in real], min_base),
                       strict=True):  # fmt: skip
        hidden[i] = hidden[i] or hide
    with_source = sum(b for s, b, h in zip(sources, bases, hidden, strict=True) if s != NOT_STATED)
    minority = [g for g in definition.dimensions["ethnicity"].groups if g != "White"]
    rows = []
    for source, n, hide in zip(sources, bases, hidden, strict=True):
        row: dict[str, object] = {"source": NOT_RECORDED if source == NOT_STATED else source}
        row["sign_ups"] = None if hide else n
        row["share"] = None if hide or source == NOT_STATED or not with_source else n / with_source * 100
        for name, by, groups in (("aged_16_24", "age", ["16-24"]), ("ethnic_minority", "ethnicity", minority)):
            share = census_share = None
            if not hide and n and source != NOT_STATED:
                rep = representation(frame, definition, census, by=by, period=span, filters={**dims, SOURCE: [source]})
                wanted = rep.rows.filter(pl.col("group").is_in(groups))
                if wanted.get_column("share").null_count() == 0:
                    share = float(wanted.get_column("share").sum())
                if wanted.get_column("census_share").null_count() == 0:
                    census_share = float(wanted.get_column("census_share").sum())
            row[name] = share
            row[f"{name}_census"] = census_share
            row[f"{name}_gap_pp"] = share - census_share if share is not None and census_share is not None else None
        rows.append(row)
    return pl.DataFrame(rows, schema=SCHEMA)
