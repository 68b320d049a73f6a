"""Masking personal data before anything is stored or shown.

Comments are where people write their phone number or crime reference; the store must
never hold them, so every free-text column passes through ``mask_pii`` at ingest, and
every value a message quotes passes through ``scrub``. The patterns follow the forms the
force's data takes (docs/data-protection.md): they are tested as a table of what must be
masked and what must survive ("999", "101", "3 times", dates, ages, "8/10", "3 - 4 hours").

Text is **normalised first** (``normalise_text``), so a disguise does not hide anything from
the patterns: Unicode compatibility forms folded (NFKC: a fullwidth ``＠`` or ``０７７００`` is an
``@`` or ``07700``), invisible characters removed (zero-width spaces and joiners, soft hyphens,
direction marks, control characters, a combining mark put on a digit), and every script's
digits written as ASCII digits (Arabic-Indic ``٠٧٧٠٠`` is ``07700``). What is stored and shown
is the normalised text, masked.

Not detected, and said so in docs/data-protection.md: names and street addresses in free text.
"""

from __future__ import annotations

import functools
import re
import unicodedata

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

# The hyphen and the dashes a keyboard or a word processor puts between digits (NFKC keeps them apart).
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Between a phone number's digits: one dot or dash, or a few spaces ("07700  900123").
_PHONE_GAP = rf"(?:[ \t]{{1,3}}|[.{_DASH}])"
# Between a crime reference's parts: a slash, dash, dot or backslash, with spaces around it or not.
_REF_GAP = rf"[ \t]*[/\\.{_DASH}][ \t]*"
# Between the parts of an NI number or a postcode: one space, dot or dash.
_PART_GAP = rf"[ \t.{_DASH}]"

# Written for Rust's regex engine (Polars): no look-around, so \b does the bounding.
# Order matters: e-mails first (their domain could look like anything else), then the
# crime reference and NI number, whose digits could otherwise be read as a phone number.
PATTERNS: dict[str, str] = {
    # local@domain.tld, letters of any script (\w is Unicode here).
    "[email]": r"[\w.%+'\-]+@[\w\-]+(?:\.[\w\-]+)+",
    # 20/123456/19, 20BE/123456R/19, 20/1234567/19 and 20-123456-19, 20 / 123456 / 19, 20.123456.19,
    # 20\123456\19: year or force, station letters, a serial with an optional letter, the year.
    "[crime ref]": rf"(?i)\b\d{{2}}[A-Z]{{0,4}}{_REF_GAP}\d{{3,8}}[A-Z]?{_REF_GAP}\d{{2}}\b",
    # National Insurance number: two prefix letters, six digits, a suffix A-D (AB 12 34 56 C, AB-12-34-56-C).
    "[NI number]": (
        rf"(?i)\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]{_PART_GAP}?\d{{2}}{_PART_GAP}?\d{{2}}{_PART_GAP}?\d{{2}}"
        rf"{_PART_GAP}?[A-D]\b"
    ),
    # +44 / 0044 / (+44) / 44 with an optional (0); (0121) area codes; 0 followed by 9-10 digits;
    # digits split by a dot, a dash or a few spaces; or in groups split by slashes (07700/900/123),
    # the first group of three digits or more, so a date (01/02/2019) is never read as one.
    "[phone]": (
        rf"(?:(?:\(\+44\)|\+44|\b0044|\b44)[ .{_DASH}]?(?:\(0\)[ .{_DASH}]?)?\d(?:{_PHONE_GAP}?\d){{8,9}}"
        rf"|\(0\d{{2,4}}\)[ .{_DASH}]?\d(?:{_PHONE_GAP}?\d){{5,7}}"
        rf"|\b0\d(?:{_PHONE_GAP}?\d){{8,9}}"
        r"|\b0\d{2,4}(?:[ \t]*/[ \t]*\d{3,4}){2}"
        r"|\b0\d{2,4}[ \t]*/[ \t]*\d{5,8})\b"
    ),
    # Outward code (area, district) and inward code, any spacing, a dash or a dot between, any case.
    "[postcode]": (
        r"(?i)\b(?:" + "|".join(_POSTCODE_AREAS) + rf")\d[A-Z\d]?(?:[ \t]*|{_PART_GAP})\d[ABD-HJLNP-UW-Z]{{2}}\b"
    ),
}

# What an ID must not look like (after normalisation): it would bring personal data into the store.
ID_LOOKALIKES: dict[str, str] = {
    "an email address": PATTERNS["[email]"],
    "a crime reference": PATTERNS["[crime ref]"],
    "an NI number": PATTERNS["[NI number]"],
    "a phone number": PATTERNS["[phone]"],
    "a postcode": PATTERNS["[postcode]"],
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

# ----------------------------------------------------------------------------------------- normalising

# What normalisation may change: anything but printable ASCII, tab and line ends. Text without it
# (most of any export) is left as it is, unread by the slower steps.
MAY_CHANGE = r"[^\t\n\r\x20-\x7e]"
# Invisible characters removed: format characters (zero-width space and joiners, soft hyphen, direction
# marks, byte-order mark, tags) and control characters other than tab and line ends.
_INVISIBLE = r"[\p{Cf}\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# A combining mark on an ASCII character: after NFKC nothing precomposed is left there, so it can only
# be a mark put on a digit or an @ to split what the patterns read ("0\u0301 7700...").
_MARK_ON_ASCII = r"([\x00-\x7f])\p{M}+"


@functools.cache
def _digits() -> tuple[list[str], list[str]]:
    """Every script's decimal digits (other than ASCII's) and the ASCII digit each stands for."""
    found = [chr(c) for c in range(0x80, 0x20000) if unicodedata.decimal(chr(c), None) is not None]
    return found, [str(unicodedata.decimal(c)) for c in found]


def normalise_expr(expr: pl.Expr) -> pl.Expr:
    """Text as the patterns read it: NFKC, invisible characters and stray marks removed, digits in ASCII."""
    digits, ascii_digits = _digits()
    return (
        expr.str.normalize("NFKC")
        .str.replace_all(_INVISIBLE, "")
        .str.replace_all(_MARK_ON_ASCII, "${1}")
        .str.replace_many(digits, ascii_digits)
    )


def normalise_series(values: pl.Series) -> pl.Series:
    """``normalise_expr`` on a column, run only on the values holding something it may change."""
    idx = values.str.contains(MAY_CHANGE).fill_null(False).arg_true()
    if idx.len() == 0:
        return values
    changed = pl.select(normalise_expr(pl.lit(values.gather(idx)))).to_series()
    return values.clone().scatter(idx, changed)


def normalise_text(text: str) -> str:
    return pl.select(normalise_expr(pl.lit(text, dtype=pl.String))).item()


# ----------------------------------------------------------------------------------------- masking


def _mask_patterns(expr: pl.Expr) -> pl.Expr:
    for tag, pattern in PATTERNS.items():
        expr = expr.str.replace_all(pattern, tag)
    return expr


def mask_pii(expr: pl.Expr) -> pl.Expr:
    """Normalise, then replace e-mails, crime references, NI numbers, phone numbers and postcodes with a tag."""
    return _mask_patterns(normalise_expr(expr))


def mask_text(text: str) -> str:
    """``mask_pii`` on one text (normalised only when it holds something normalising may change)."""
    return mask_pii_series(pl.Series([text], dtype=pl.String)).item()


def id_lookalike(expr: pl.Expr) -> pl.Expr:
    """What an ID (or one part of one) looks like once normalised ("an email address", ...), or null."""
    normal = normalise_expr(expr)
    out = pl.lit(None, pl.String)
    for kind, pattern in reversed(ID_LOOKALIKES.items()):
        out = pl.when(normal.str.contains(pattern)).then(pl.lit(kind)).otherwise(out)
    return out


def scrub(text: str, limit: int = 80) -> str:
    """Text from a file made safe to quote: PII masked, control characters gone, length bounded."""
    text = _CONTROL.sub(" ", mask_text(text[: limit + QUOTE_MARGIN]))
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_file_name(name: str) -> str:
    """A file name as messages, the upload history and the store may show it: no folders, no PII."""
    base = re.split(r"[\\/]", name)[-1]
    return scrub(base, limit=120) or "(unnamed file)"


# Every pattern above needs a digit (ASCII, once normalised) or an @: a value with neither cannot hold
# anything they mask, so only values with one are run through them.
MAY_HOLD_PII = r"[\d@]"
# Quoting at most ``limit`` characters of a value, the text is masked a little beyond the cut, so no
# e-mail address (254 characters at most) or number that starts before it is cut unmasked.
QUOTE_MARGIN = 256


def mask_pii_series(values: pl.Series) -> pl.Series:
    """``mask_pii`` on a column: normalised where it may change, and run through the patterns only where
    they can match (one pass over those)."""
    values = normalise_series(values)
    idx = values.str.contains(MAY_HOLD_PII).fill_null(False).arg_true()
    if idx.len() == 0:
        return values
    masked = pl.select(_mask_patterns(pl.lit(values.gather(idx)))).to_series()
    return values.clone().scatter(idx, masked)


def quoted(expr: pl.Expr, limit: int) -> pl.Expr:
    """A cell as a message or the rejects file may quote it: masked, and cut to ``limit`` characters
    (a trailing "…" says it was cut)."""
    masked = mask_pii(expr.str.slice(0, limit + QUOTE_MARGIN))
    return pl.when(masked.str.len_chars() > limit).then(masked.str.slice(0, limit - 1) + "…").otherwise(masked)
