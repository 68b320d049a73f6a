"""Sentences for the board paper, each obeying the paper's rules.

- A number always comes with its base or its period.
- "rose" / "fell" only when the test says the change is significant (p < 0.05); otherwise
  "was stable at" and "a change within the margin of error". The word "significant" is
  used only for a significant result, always with its p-value, so a reader (and a test)
  can check it.
- A base below the caution threshold is flagged in the sentence that uses it.
- A suppressed figure never reaches a sentence: these functions are given rows whose
  percentage is already None and say "not shown" instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from insight.config.definition import Suppression
from insight.figures.metrics import LOW_BASE, SUPPRESSED
from insight.figures.sign_ups import GapChange
from insight.periods import period_label

SIGNIFICANCE = 0.05


def pct(value: float) -> str:
    return f"{value:.1f}%"


def p_text(p: float) -> str:
    """``p = 0.012``, or ``p < 0.001`` for very small values."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def points(value: float) -> str:
    return f"{abs(value):.1f} point" + ("" if round(abs(value), 1) == 1.0 else "s")


def caution_flag(status: str, suppression: Suppression) -> str:
    """`` (treat with caution: fewer than 50 answered)`` for a low base; empty otherwise."""
    if status == LOW_BASE:
        return f" (treat with caution: fewer than {suppression.caution_base} answered)"
    return ""


def share(row: dict, suppression: Suppression, *, interval: bool = True) -> str:
    """``49.4% (base 950; 95% CI 46.2–52.5%)``; a suppressed row gives no figure at all."""
    if row["status"] == SUPPRESSED or row["pct"] is None:
        return f"not shown (fewer than {suppression.min_base} answered)"
    ci = f"; 95% CI {row['ci_low']:.1f}–{row['ci_high']:.1f}%" if interval else ""
    return f"{pct(row['pct'])} (base {row['base']:,}{ci}){caution_flag(row['status'], suppression)}"


@dataclass(frozen=True)
class Comparison:
    """One figure against an earlier one, with the z-test's p-value (None: not comparable)."""

    label: str  # e.g. "Overall satisfaction"
    period: str
    pct: float | None
    base: int
    earlier_period: str | None
    earlier_pct: float | None
    earlier_base: int | None
    p_value: float | None
    caution: str = ""  # caution_flag() of this period's base, if low

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE


def change_sentence(c: Comparison, *, against: str = "") -> str:
    """A change in words that respect its test.

    ``against`` names the comparison ("the previous period", "a year earlier") for the
    sentences where no earlier period exists.
    """
    what = f"{c.label} in {period_label(c.period)}"
    if c.pct is None:
        return f"{what}: not shown, too few answered to report or compare."
    if c.earlier_period is None:
        return f"{what}: no figure for {against or 'an earlier period'} to compare with."
    earlier = period_label(c.earlier_period)
    if c.earlier_pct is None or c.p_value is None:
        return f"{what} cannot be compared with {earlier}: too few answered then."
    delta = c.pct - c.earlier_pct
    if c.significant:
        verb = "rose" if delta > 0 else "fell"
        return (
            f"{what} {verb} to {pct(c.pct)} (base {c.base:,}){c.caution} from {pct(c.earlier_pct)} in {earlier} "
            f"(base {c.earlier_base:,}): {points(delta)}, a significant change ({p_text(c.p_value)})."
        )
    moved = "no change" if round(delta, 1) == 0 else f"{'up' if delta > 0 else 'down'} {points(delta)}"
    return (
        f"{what} was stable at {pct(c.pct)} (base {c.base:,}){c.caution} against {pct(c.earlier_pct)} in {earlier} "
        f"(base {c.earlier_base:,}): {moved}, a change within the margin of error ({p_text(c.p_value)})."
    )


@dataclass(frozen=True)
class TrendTest:
    """A test for a trend across periods; ``direction`` ("up"/"down") is set only when it is significant."""

    label: str
    first_period: str
    last_period: str
    periods: int
    p_value: float | None
    direction: str | None = None
    method: str = "Cochran–Armitage trend test"
    unit: str = "periods"

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE and self.direction in ("up", "down")


def trend_sentence(t: TrendTest) -> str:
    span = f"the {t.periods} {t.unit} {period_label(t.first_period)} to {period_label(t.last_period)}"
    if t.p_value is None:
        return f"{t.label}: too few periods with enough answers over {span} to test for a trend."
    if t.significant:
        verb = "rose" if t.direction == "up" else "fell"
        return f"{t.label} {verb} over {span}: a significant trend ({t.method}, {p_text(t.p_value)})."
    return f"{t.label} was stable over {span}: its movements are within the margin of error ({p_text(t.p_value)})."


def group_difference(
    group: str,
    aspect_label: str,
    period: str,
    row: dict,
    rest_pct: float | None,
    rest_base: int | None,
    p_holm: float,
    *,
    higher: bool,
) -> str:
    """A group that differs significantly from the rest (Holm-adjusted p); the rest's figure unless it is kept back
    (secondary suppression: it would let a hidden group be worked out)."""
    rest = (
        f"({pct(rest_pct)}, base {rest_base:,})"
        if rest_pct is not None and rest_base is not None
        else "(its figure is not shown, so that no hidden group can be worked out)"
    )
    return (
        f"{group}: {aspect_label.lower()} {pct(row['pct'])} (base {row['base']:,}) in {period_label(period)}, "
        f"{'higher' if higher else 'lower'} than the rest {rest}: a significant difference "
        f"({p_text(p_holm)}, Holm-adjusted)."
    )


def gap_sentence(who: str, c: GapChange) -> str:
    """Whether a sign-up gap to the census is closing, in the shape of the whole range: the trend over every
    month (Cochran-Armitage), a recent step when there is one, and the first month against the last (z-test);
    the same tests as the WMNow page (``sign_ups.gap_changes``)."""

    def gap(value: float, period: str | None = None) -> str:
        return f"{points(value)} {'below' if value < 0 else 'above'} the census" + (
            f" in {period_label(period)}" if period else ""
        )

    span = f"the {c.months} months {period_label(c.first_period)} to {period_label(c.last_period)}"
    said = []
    if c.trend_p is None:
        said.append(f"The gap for {who}: too few months over {span} to test for a trend.")
    elif c.trend_significant:
        verb = "narrowed" if c.trend_towards else "widened"
        said.append(
            f"The gap for {who} {verb} over {span}: a significant trend (Cochran–Armitage trend test, "
            f"{p_text(c.trend_p)})."
        )
    else:
        said.append(f"The gap for {who} showed no trend beyond the margin of error over {span} ({p_text(c.trend_p)}).")
    if c.recent and c.step_since and c.before_gap_pp is not None and c.after_gap_pp is not None and c.step_p:
        since = "in" if c.step_since == c.last_period else "since"
        said.append(
            f"The change is recent: about {gap(c.before_gap_pp)} before {period_label(c.step_since)}, "
            f"{gap(c.after_gap_pp)} {since} {period_label(c.step_since)}: a significant step "
            f"({p_text(c.step_p)}, Bonferroni-adjusted)."
        )
    first, last = gap(c.first_gap_pp, c.first_period), gap(c.last_gap_pp, c.last_period)
    if c.p_value is None:
        said.append(f"First and last month: {first}, {last}; the change cannot be tested.")
    elif c.narrowed:
        said.append(f"First and last month: {first}, {last}: a significant narrowing ({p_text(c.p_value)}).")
    elif c.widened:
        said.append(f"First and last month: {first}, {last}: a significant widening ({p_text(c.p_value)}).")
    else:
        said.append(f"First and last month: {first}, {last}: a change within the margin of error "
                    f"({p_text(c.p_value)}).")  # fmt: skip
    return " ".join(said)
