"""The tidy frames a definition implies: one row per response, and one per month of contact volumes.

Intake builds them, the store keeps them, the figures read them: their columns and types
are stated here once, beside the definitions they follow from.
"""

from __future__ import annotations

import polars as pl

from insight.config.definition import Definition

# A month of contact volumes: calls or chats received, survey invitations sent.
# A pl.Schema, which DataFrame.cast is typed to take (a dict[str, DataType] is not: Mapping keys are invariant).
VOLUME_SCHEMA = pl.Schema({"period": pl.String(), "contacts": pl.Int64(), "invitations": pl.Int64()})


def volume_schema(definition: Definition) -> pl.Schema:
    """A month of this survey's volumes: the three columns every volumes table has, then its named counts
    (`volumes.counts`, e.g. the exclusions of the victim survey's funnel), each a whole number."""
    counts = definition.volumes.counts if definition.volumes else {}
    return pl.Schema({**VOLUME_SCHEMA, **{key: pl.Int64() for key in counts}})


def tidy_columns(definition: Definition) -> list[str]:
    """The columns stored for a response (a derived measure is not stored: ``with_derived`` adds it when read)."""
    weight = ["weight"] if definition.weight else []
    return [
        "id", "period", "date", *definition.dimensions, *definition.asked, *definition.free_text,
        *definition.pseudonymised, *weight,
    ]  # fmt: skip


def tidy_schema(definition: Definition) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {"id": pl.String(), "period": pl.String(), "date": pl.Date()}
    schema.update({k: pl.Enum(d.values) for k, d in definition.dimensions.items()})
    schema.update({k: pl.Enum(definition.questions[k].scale.answers) for k in definition.asked})
    schema.update({k: pl.String() for k in definition.free_text})
    schema.update({k: pl.String() for k in definition.pseudonymised})  # keyed hashes, never the values
    if definition.weight:
        schema["weight"] = pl.Float64()  # the vendor's weight: weighting uses it instead of raking
    return schema


def empty_frame(definition: Definition) -> pl.DataFrame:
    return pl.DataFrame(schema=tidy_schema(definition))


# --------------------------------------------------------------------------- derived measures (`derived:`)


def derived_expr(definition: Definition, key: str) -> pl.Expr:
    """A derived "all of these" measure of each response (`derived.<key>.all_of`), as Yes, No or null.

    No when any part was answered (is in its base) and is not positive: one missed is enough, whatever the
    others say. Otherwise null (out of the base) when any part is blank, as nobody can say all were met; then
    Yes when at least one part is positive (the rest excluded, e.g. Not applicable); null when every part is
    excluded (nothing applied).
    """
    measure = definition.questions[key]
    missed, blank, met = [], [], []
    for part in measure.all_of:
        scale = definition.questions[part].scale
        answer = pl.col(part)
        positive = answer.is_in(list(scale.positive)).fill_null(False)
        missed.append(answer.is_in(list(scale.in_base)).fill_null(False) & ~positive)
        blank.append(answer.is_null())
        met.append(positive)
    value = (
        pl.when(pl.any_horizontal(missed))
        .then(pl.lit("No"))
        .when(pl.any_horizontal(blank))
        .then(pl.lit(None, pl.String))
        .when(pl.any_horizontal(met))
        .then(pl.lit("Yes"))
        .otherwise(pl.lit(None, pl.String))
    )
    return value.cast(pl.Enum(measure.scale.answers)).alias(key)


def with_derived(frame: pl.DataFrame, definition: Definition, keys: list[str] | None = None) -> pl.DataFrame:
    """The frame with its derived measures (``keys``: only these) computed from the answers it holds."""
    wanted = [k for k in definition.derived if keys is None or k in keys]
    return frame.with_columns(derived_expr(definition, k) for k in wanted) if wanted else frame


def stored_columns(definition: Definition, columns: list[str]) -> list[str]:
    """The stored columns to read for ``columns``: a derived measure is read as the questions it is made from."""
    derived = definition.derived
    needed = [c for c in columns if c not in derived]
    needed += [part for c in columns if c in derived for part in derived[c].all_of]
    return list(dict.fromkeys(needed))
