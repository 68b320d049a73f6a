"""Masking personal data before anything is stored or shown.

Comments are where people write their phone number or crime reference; the store must
never hold them, so every free-text column passes through ``mask_pii`` at ingest, and
every value a message quotes passes through ``scrub``. The patterns follow the forms the
force's data takes (docs/data-protection.md): they are tested as a table of what must be
masked and what must survive ("999", "101", "3 times", dates, ages).

Not detected, and said so in docs/data-protection.md: names and street addresses in free text.
"""

from __future__ import annotations

import re

import polars as pl

# Postcode areas of the UK (and the Crown dependencies): a postcode must start with one,
# so "Q1 2nd" or "A45 3rd" are not taken for postcodes.
# fmt: off
_POSTCODE_AREAS = [
    "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF", "CH", "CM", "CO", "CR",
    "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E", "EC", "EH", "EN", "EX", "FK", "FY",
    "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR", "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT",
    "KW", "KY", "L", "LA", "LD", "LE", "LL", "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP",
    "NR", "NW", "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK", "SL",
    "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W",
    "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
]
# fmt: on

# Written for Rust's regex engine (Polars): no look-around, so \b does the bounding.
# Order matters: e-mails first (their domain could look like anything else), then the
# crime reference and NI number, whose digits could otherwise be read as a phone number.
PATTERNS: dict[str, str] = {
    # local@domain.tld, letters of any script (\w is Unicode here).
    "[email]": r"[\w.%+'\-]+@[\w\-]+(?:\.[\w\-]+)+",
    # 20/123456/19, 20BE/123456R/19, 20/1234567/19: year or force, station letters,
    # a serial with an optional letter, the year.
    "[crime ref]": r"(?i)\b\d{2}[A-Z]{0,4}/\d{3,8}[A-Z]?/\d{2}\b",
    # National Insurance number: two prefix letters, six digits, a suffix A-D.
    "[NI number]": r"(?i)\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    # +44 / 0044 / (+44) with an optional (0); (0121) area codes; 0 followed by 9-10 digits.
    # Digits may be split by one space, dot or hyphen each.
    "[phone]": (
        r"(?:(?:\(\+44\)|\+44|\b0044)[ .\-]?(?:\(0\)[ .\-]?)?\d(?:[ .\-]?\d){8,9}"
        r"|\(0\d{2,4}\)[ .\-]?\d(?:[ .\-]?\d){5,7}"
        r"|\b0\d(?:[ .\-]?\d){8,9})\b"
    ),
    # Outward code (area, district) and inward code, any spacing or case.
    "[postcode]": r"(?i)\b(?:" + "|".join(_POSTCODE_AREAS) + r")\d[A-Z\d]? *\d[ABD-HJLNP-UW-Z]{2}\b",
}

# What an ID must not look like: it would bring personal data into the store.
ID_LOOKALIKES: dict[str, str] = {
    "an email address": PATTERNS["[email]"],
    "a crime reference": PATTERNS["[crime ref]"],
    "a phone number": PATTERNS["[phone]"],
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def mask_pii(expr: pl.Expr) -> pl.Expr:
    """Replace e-mails, crime references, NI numbers, phone numbers and postcodes with a tag."""
    for tag, pattern in PATTERNS.items():
        expr = expr.str.replace_all(pattern, tag)
    return expr


def mask_text(text: str) -> str:
    return pl.select(mask_pii(pl.lit(text, dtype=pl.String))).item()


def id_lookalike(expr: pl.Expr) -> pl.Expr:
    """What an ID looks like ("an email address", ...), or null when it looks like none."""
    out = pl.lit(None, pl.String)
    for kind, pattern in reversed(ID_LOOKALIKES.items()):
        out = pl.when(expr.str.contains(pattern)).then(pl.lit(kind)).otherwise(out)
    return out


def scrub(text: str, limit: int = 80) -> str:
    """Text from a file made safe to quote: PII masked, control characters gone, length bounded."""
    text = _CONTROL.sub(" ", mask_text(text))
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_file_name(name: str) -> str:
    """A file name as messages, the upload history and the store may show it: no folders, no PII."""
    base = re.split(r"[\\/]", name)[-1]
    return scrub(base, limit=120) or "(unnamed file)"


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
