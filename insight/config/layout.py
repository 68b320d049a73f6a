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
    weight = ["weight"] if definition.weight else []
    return [
        "id", "period", "date", *definition.dimensions, *definition.questions, *definition.free_text,
        *definition.pseudonymised, *weight,
    ]  # fmt: skip


def tidy_schema(definition: Definition) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {"id": pl.String(), "period": pl.String(), "date": pl.Date()}
    schema.update({k: pl.Enum(d.values) for k, d in definition.dimensions.items()})
    schema.update({k: pl.Enum(q.scale.answers) for k, q in definition.questions.items()})
    schema.update({k: pl.String() for k in definition.free_text})
    schema.update({k: pl.String() for k in definition.pseudonymised})  # keyed hashes, never the values
    if definition.weight:
        schema["weight"] = pl.Float64()  # the vendor's weight: weighting uses it instead of raking
    return schema


def empty_frame(definition: Definition) -> pl.DataFrame:
    return pl.DataFrame(schema=tidy_schema(definition))
