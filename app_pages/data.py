"""Data and definitions: the survey definitions in force and the census sources."""

from __future__ import annotations

import streamlit as st

from app_pages import identity, loading
from insight.config.definition import Definition
from insight.display.definitions import census_sources, definition_summary, dimensions_table, questions_table
from insight.figures.weighting import method_note


def method() -> None:
    st.write(
        "Every figure in this app follows the survey definitions below (YAML files in `config/surveys/`). "
        "Adding a survey means adding a definition file, not code."
    )
    st.markdown(
        "- **Positive share** = positive answers ÷ base; the base leaves out blanks and answers such as "
        "*Don't know* and *Not applicable*.\n"
        "- **95% interval**: Wilson score. **Change**: two-sided two-proportion z-test; significant when p < 0.05.\n"
        "- **Suppression**: below the minimum base no percentage is shown anywhere; below the caution base it is "
        "shown and marked *treat with caution*."
    )


def definition_details(definition: Definition) -> None:
    """One survey's data held, questions, dimensions and the columns never stored, behind its title."""
    with st.expander(f"{definition.title} (`{definition.dataset}`)"):
        loaded = loading.load(definition, stop=False)
        if loaded is not None:
            st.caption(("Showing synthetic sample data. " if loaded.is_sample else "Showing uploaded data. ")
                       + f"{loaded.frame.height:,} rows held.")  # fmt: skip
        if definition.questions:
            st.markdown("**Questions**")
            st.dataframe(questions_table(definition), hide_index=True, width="stretch")
        st.markdown("**Dimensions**")
        st.dataframe(dimensions_table(definition), hide_index=True, width="stretch")
        kept = pseudonymised(definition)
        st.caption(
            f"Never stored: {', '.join(definition.pii_columns) or 'no PII columns'}."
            + (f" Kept only as pseudonyms (keyed hashes): {', '.join(kept)}." if kept else "")
        )


def pseudonymised(definition: Definition) -> list[str]:
    """The columns a survey keeps only as keyed hashes (its ID too, under ``id_pseudonymise``)."""
    return [*(definition.id_columns if definition.id_pseudonymise else ()), *definition.pseudonymise]


def census_benchmarks() -> None:
    st.header("Census benchmarks")
    st.dataframe(census_sources(loading.census()), hide_index=True, width="stretch")
    st.caption(
        "Census 2021 (ONS). Ethnicity is for all residents of all ages because no 16+ table was available; the 16+ "
        "population would show a somewhat higher White share. The paper's 17.0% for 16-24s is an older figure."
    )


st.title("Data and definitions")
method()
definitions = identity.visible(loading.definitions())  # only the surveys this user may see
st.dataframe(definition_summary(definitions), hide_index=True, width="stretch")
for definition in definitions.values():
    definition_details(definition)
st.header("Weighting to the census")
st.markdown(method_note(definitions))  # the weighted surveys this user may see
census_benchmarks()
