"""Masking personal data in free text before it is stored or shown.

Comments are where people write their phone number or crime reference; the store
must never hold them, so every free-text column passes through ``mask_pii`` at ingest.
"""

from __future__ import annotations

import polars as pl

# Order matters: e-mails before anything that could match part of one.
PATTERNS: dict[str, str] = {
    "[email]": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}",
    "[crime ref]": r"\b\d{2}[A-Za-z]{1,4}/\d{3,8}/\d{2}\b",
    "[phone]": r"(?:\+44\s?\(?0?\)?\s?|\b0)(?:\d[\s\-]?){8,9}\d\b",
    "[postcode]": r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2}\b",
}


def mask_pii(expr: pl.Expr) -> pl.Expr:
    """Replace e-mails, phone numbers, crime references and postcodes with a tag."""
    for tag, pattern in PATTERNS.items():
        expr = expr.str.replace_all(pattern, tag)
    return expr


def mask_text(text: str) -> str:
    return pl.select(mask_pii(pl.lit(text, dtype=pl.String))).item()


# Every pattern above needs a digit (Unicode \d, as the patterns read it) or an @: a value with
# neither cannot hold anything they mask, so only values with one are run through them.
MAY_HOLD_PII = r"[\d@]"


def mask_pii_series(values: pl.Series) -> pl.Series:
    """``mask_pii`` on a column, run only on the values that can match a pattern (one pass over those)."""
    idx = values.str.contains(MAY_HOLD_PII).fill_null(False).arg_true()
    if idx.len() == 0:
        return values
    masked = pl.select(mask_pii(pl.lit(values.gather(idx)))).to_series()
    return values.clone().scatter(idx, masked)
