"""Figures in words a board member understands, following the paper's own phrasing."""

from __future__ import annotations

import polars as pl

from insight.definition import Suppression
from insight.metrics import LOW_BASE, SUPPRESSED
from insight.periods import period_label
from insight.validity import Validity


def sentence(text: str) -> str:
    """Capitalise the first letter only (``str.capitalize`` would lower-case month names)."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def points(value: float) -> str:
    return f"{abs(value):.1f} point" + ("" if round(abs(value), 1) == 1.0 else "s")


def figure(row: dict) -> str:
    """``49.4% (base 950; 95% CI 46.2–52.5%)`` or why no figure is shown."""
    if row["status"] == SUPPRESSED:
        return f"not shown: only {row['base']} answered (too few to report)"
    return f"{pct(row['pct'])} (base {row['base']:,}; 95% CI {row['ci_low']:.1f}–{row['ci_high']:.1f}%)"


def change(row: dict) -> str:
    """The change on the previous period in words that respect the significance test."""
    previous = row.get("previous_period")
    if row["status"] == SUPPRESSED:
        return "no comparison: too few responses this period"
    if not previous:
        return "no previous period to compare with"
    if row.get("change_pp") is None:
        return f"no comparison: too few responses in {period_label(previous)}"
    delta = row["change_pp"]
    if round(delta, 1) == 0:
        movement = f"unchanged on {period_label(previous)}"
    else:
        movement = f"{'up' if delta > 0 else 'down'} {points(delta)} on {period_label(previous)}"
    verdict = "a significant change" if row.get("significant") else "not a significant change"
    return f"{movement}, {verdict}"


def caution(row: dict, suppression: Suppression) -> str | None:
    if row["status"] == SUPPRESSED:
        return f"Suppressed: fewer than {suppression.min_base} answered, so no percentage is shown."
    if row["status"] == LOW_BASE:
        return f"Treat with caution: fewer than {suppression.caution_base} answered."
    return None


def variation(aspect_label: str, test: dict) -> str:
    """The paper's question: has this aspect varied significantly over time?"""
    if test.get("p_value") is None:
        return f"{aspect_label}: too few periods with enough responses to test."
    span = f"{test['periods']} periods"
    if test["significant"]:
        return f"{aspect_label} has varied significantly over the {span}."
    return f"{aspect_label} has not varied significantly over the {span}."


def p_value(p: float | None) -> str:
    """A p-value for the "about this figure" detail: ``p = 0.41``, ``p < 0.001``."""
    if p is None:
        return "not tested"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def variation_method(aspect_label: str, test: dict) -> str:
    """The method behind ``variation``, for the "about this figure" detail."""
    if test.get("p_value") is None:
        return f"{aspect_label}: not tested (fewer than two periods with enough answers)."
    periods = test["periods"]
    return f"{aspect_label}: chi-square test of homogeneity across {periods} periods, {p_value(test['p_value'])}."


def change_method(label: str, row: dict) -> str | None:
    """The method behind ``change``, for the "about this figure" detail; None when nothing was tested."""
    if row.get("p_value") is None or not row.get("previous_period"):
        return None
    return (
        f"{label}: two-sided two-proportion z-test against {period_label(row['previous_period'])}, "
        f"{p_value(row['p_value'])} (significant when p < 0.05)."
    )


def suppressed_groups(result: pl.DataFrame, suppression: Suppression) -> str | None:
    """Why some groups of a breakdown show no figure."""
    hidden = result.get_column("status").to_list().count(SUPPRESSED)
    if not hidden:
        return None
    why = f"fewer than {suppression.min_base} answered"
    if suppression.secondary:
        why += ", or the group was hidden too so that a suppressed group cannot be worked out from the total"
    return f"{hidden} group(s) suppressed: {why}."


def margin(value: float) -> str:
    return f"±{value:.0f}" if value >= 9.95 else f"±{value:.1f}"


def validity(v: Validity) -> str:
    """e.g. "12 responses from 50 invitations out of 79,359 calls: ±28 points, too few to support a
    conclusion; about 383 would give ±5"."""
    said = f"{v.responses:,} response" + ("" if v.responses == 1 else "s")
    if v.invitations is not None:
        said += f" from {v.invitations:,} invitations"
    if v.contacts is not None:
        said += f" out of {v.contacts:,} {v.contacts_label}"
    if v.response_rate is not None:
        said += f" ({v.response_rate:.1f}% responded)"
    if v.margin_of_error_pp is None:
        return said + ": no responses, so no conclusion can be drawn"
    said += f": {margin(v.margin_of_error_pp)} points"
    if v.valid_for_5pp:
        return said + ", enough to support a conclusion at ±5 points"
    return said + f", too few to support a conclusion; about {v.needed_for_5pp:,} would give ±5"
