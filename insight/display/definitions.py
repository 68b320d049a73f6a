"""The definitions and census sources as tables, for the Data page."""

from __future__ import annotations

import polars as pl

from insight.config.census import Census
from insight.config.definition import Definition


def definition_summary(definitions: dict[str, Definition]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Dataset": d.dataset,
                "Title": d.title,
                "Kind": d.kind,
                "Periods": d.period.granularity
                + "ly"
                + (" (waves)" if d.period.waves else " (given at import)" if d.period.given_at_import else ""),
                "Questions": len(d.questions),
                "Dimensions": ", ".join(d.dimensions),
                "Minimum base": d.suppression.min_base,
                "Caution below": d.suppression.caution_base,
                "Secondary suppression": d.suppression.secondary,
                "File": d.path.name if d.path else "",
            }
            for d in definitions.values()
        ]
    )


def questions_table(definition: Definition) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Aspect": q.key,
                "Label": q.label,
                "Export column": q.column or "(derived: all of " + ", ".join(q.all_of) + ")",
                "Positive": ", ".join(q.scale.positive),
                "Negative (% dissatisfied)": ", ".join(q.scale.negative),
                "Left out of the base": ", ".join(["(blank)", *q.scale.excluded]),
            }
            for q in definition.questions.values()
        ]
    )


def dimensions_table(definition: Definition) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Dimension": d.key,
                "Label": d.label,
                "Export column": d.column
                or (f"{len(d.columns)} columns, one per answer" if d.columns else "(given at import)"),
                "Groups": "; ".join(
                    g if labels == (g,) else f"{g} ({len(labels)} labels)" for g, labels in d.groups.items()
                )
                + (f"; {d.several} (answers in more than one group)" if d.columns else "")
                + (f"; {d.several} (several, split on {d.separator!r})" if d.several and d.separator else ""),
                "Not stated": ", ".join(d.not_stated) or "(blank)",
                "Census benchmark": d.census or "",
            }
            for d in definition.dimensions.values()
        ]
    )


def census_sources(census: Census) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Table": t.table,
                "Title": t.title,
                "Population": t.population,
                "Groups": ", ".join(t.groups),
                "Source": t.source,
            }
            for t in census.tables.values()
        ]
    )
