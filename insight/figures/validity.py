"""Is a sample big enough to support a conclusion? Response rate and margin of error.

The margin is the 95% half-width for a share at the worst case p = 0.5, with the
finite population correction over the period's contacts where they are known:
    margin = 1.96 * sqrt(0.25 / n) * sqrt((N - n) / (N - 1))
and the responses needed for a margin e are n0 / (1 + (n0 - 1) / N), n0 = 1.96² * 0.25 / e².
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import polars as pl

from insight.config.definition import Definition
from insight.figures.metrics import Z95, apply_filters, as_range, in_range
from insight.periods import PeriodRange, parse_range


@dataclass(frozen=True)
class Validity:
    dataset: str
    period: str
    responses: int
    invitations: int | None
    contacts: int | None
    response_rate: float | None  # % of invitations answered
    margin_of_error_pp: float | None
    needed_for_5pp: int
    needed_for_3pp: int
    valid_for_5pp: bool
    contacts_label: str = "contacts"
    invited_share: float | None = None  # % of contacts invited to the survey (101: 50 of 79,359 calls)
    filtered: bool = False  # responses narrowed by filters: the volumes (force-wide) no longer apply
    counts: dict[str, int] | None = None  # the volumes file's named counts in the period (the funnel's exclusions)
    reach: dict[str, float] | None = None  # exclusion key -> % of those it was applied to it left in (``reach:``)


def volumes_for(
    volumes: pl.DataFrame | None, definition: Definition, period: str | PeriodRange
) -> dict[str, int | None]:
    """Every column of the volumes (contacts, invitations, each named count) added up over a period or range;
    None for a column unknown in any of its months (a missing month means every column is unknown)."""
    names = ["contacts", "invitations", *(definition.volumes.counts if definition.volumes else {})]
    if volumes is None or volumes.height == 0:
        return dict.fromkeys(names)
    span = period if isinstance(period, PeriodRange) else parse_range(period, definition.period.granularity)
    months = span.months()
    rows = volumes.filter(pl.col("period").is_in(months))
    if rows.height < len(months):
        return dict.fromkeys(names)

    def total(col: str) -> int | None:
        if col not in rows.columns:
            return None
        values = rows.get_column(col)
        return None if values.null_count() else int(values.sum())

    return {name: total(name) for name in names}


def reach_shares(definition: Definition, totals: Mapping[str, int | None]) -> dict[str, float] | None:
    """Each exclusion with a ``reach``: of those still in the funnel when it is applied (the contacts less the
    exclusions before it), the % it leaves in. None when the funnel is not known."""
    spec = definition.volumes
    if spec is None or not any(c.reach for c in spec.exclusions) or totals.get("contacts") is None:
        return None
    remaining = totals["contacts"]
    shares: dict[str, float] = {}
    for count in spec.exclusions:
        taken = totals.get(count.key)
        if taken is None or remaining is None:
            return None
        if count.reach and remaining > 0:
            shares[count.key] = (remaining - taken) / remaining * 100
        remaining -= taken
    return shares


def margin_of_error(responses: int, contacts: int | None = None) -> float | None:
    """95% margin of error in points for a share near 50%."""
    if responses <= 0:
        return None
    margin = Z95 * math.sqrt(0.25 / responses)
    if contacts and contacts > 1:
        margin *= math.sqrt(max(contacts - responses, 0) / (contacts - 1))
    return margin * 100


def responses_needed(margin_pp: float, contacts: int | None = None) -> int:
    n0 = Z95**2 * 0.25 / (margin_pp / 100) ** 2
    if contacts:
        n0 = n0 / (1 + (n0 - 1) / contacts)
    return math.ceil(n0 - 1e-9)


def validity(
    frame: pl.DataFrame,
    definition: Definition,
    volumes: pl.DataFrame | None,
    *,
    period: str | PeriodRange,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> Validity:
    """Responses in the period or range that match the filters; with filters, the force-wide volumes are not used."""
    span = as_range(period, definition, frame)
    assert span is not None
    filtered = any((filters or {}).values())
    responses = apply_filters(in_range(frame, span), filters).select(pl.len()).collect().item()
    totals = volumes_for(None if filtered else volumes, definition, span)
    contacts, invitations = totals.pop("contacts"), totals.pop("invitations")
    counts = (
        None if not totals or any(v is None for v in totals.values()) else {k: int(v or 0) for k, v in totals.items()}
    )
    margin = margin_of_error(responses, contacts)
    return Validity(
        dataset=definition.dataset,
        period=span.text,
        responses=responses,
        invitations=invitations,
        contacts=contacts,
        response_rate=responses / invitations * 100 if invitations else None,
        margin_of_error_pp=margin,
        needed_for_5pp=responses_needed(5, contacts),
        needed_for_3pp=responses_needed(3, contacts),
        valid_for_5pp=margin is not None and margin <= 5.0,
        contacts_label=definition.volumes.contacts_label if definition.volumes else "contacts",
        invited_share=invitations / contacts * 100 if invitations is not None and contacts else None,
        filtered=filtered,
        counts=counts,
        reach=reach_shares(definition, {"contacts": contacts, **(counts or {})}) if counts else None,
    )


def validity_json(v: Validity) -> dict:
    """The CLI's JSON object: rates and margins in points to one decimal; null where unknown."""
    out = asdict(v)
    out.pop("contacts_label")
    out.pop("filtered")
    for key in ("response_rate", "margin_of_error_pp"):
        out[key] = None if out[key] is None else round(out[key], 1)
    out["invited_share"] = None if v.invited_share is None else round(v.invited_share, 3)
    out["reach"] = None if v.reach is None else {k: round(share, 1) for k, share in v.reach.items()}
    return out
