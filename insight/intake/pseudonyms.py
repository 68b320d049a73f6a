"""Pseudonyms: a value kept only as a keyed hash, so a dataset can be keyed or matched on it without holding it.

A definition says ``id_pseudonymise: true`` (the response ID is personal data, e.g. a crime
reference) or ``pseudonymise: [COLUMN, ...]`` (a column a later analysis must match on). Each
such value is stored as HMAC-SHA-256 under one secret key, written as 64 hexadecimal digits.
Without the key nobody can tell which value a pseudonym stands for, and since the key is never
in the store, a copy of the store gives nothing away; with it, the same crime reference gives
the same pseudonym in every dataset and every import, so cases can be matched across them.

The value is normalised before it is hashed, so one case always gives one pseudonym however it
was typed: the text normalisation masking uses (NFKC, invisible characters out, every script's
digits as ASCII), then upper case, then only letters and digits (spaces and the separators people
use, ``/ - . \\``, dropped): ``20BE/123456R/19``, ``20be 123456r 19`` and ``20BE-123456R-19`` are one.

The key comes from the ``INSIGHT_ID_KEY`` environment variable or ``id_key`` under ``[insight]``
in Streamlit's secrets (``.streamlit/secrets.toml``); an import that needs it is refused in one
sentence without it. Each import records the key's fingerprint (a hash of a fixed text under the
key, which says nothing about it) so a store is never filled under two keys
(docs/data-protection.md, "Pseudonyms").
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from insight.intake.masking import normalise_series
from insight.intake.raw_table import ExportError

KEY_VARIABLE = "INSIGHT_ID_KEY"
SECRETS_SECTION, SECRETS_KEY = "insight", "id_key"
MIN_KEY_CHARS = 32  # a short key could be guessed from one known value and its pseudonym
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_hex(32))"'
_FINGERPRINT_TEXT = b"insight pseudonym key fingerprint"
_KNOWN_ANSWER = "20BE/123456R/19 \u00e9\u0660"  # checked at every key: ASCII, Latin and Arabic-Indic text


class KeyMissing(ExportError):
    """A definition pseudonymises a column and no key is set: nothing can be imported."""


def secrets_files() -> list[Path]:
    """Where Streamlit reads its secrets by default, later files winning: the user's, then the project's."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def _from_files() -> Mapping[str, Any]:
    merged: dict[str, Any] = {}
    for path in secrets_files():
        try:
            with path.open("rb") as fh:
                merged.update(tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError):
            continue  # a missing file is normal; a broken one is Streamlit's to report
    return merged


def find_key(secrets: Mapping[str, Any] | None = None) -> str | None:
    """The pseudonym key: ``$INSIGHT_ID_KEY``, else ``id_key`` under ``[insight]`` in ``secrets`` (the app passes
    ``st.secrets``) or, without them, in the secrets files Streamlit reads. None when there is none."""
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if key:
        return key
    section = (secrets if secrets is not None else _from_files()).get(SECRETS_SECTION)
    value = section.get(SECRETS_KEY) if isinstance(section, Mapping) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def hash_form(values: pl.Series) -> pl.Series:
    """The form a value is hashed in: normalised, upper case, letters and digits only (null when none are left)."""
    normal, form = _form(values)
    return _on_every_core(normal, form).alias(values.name)


def _form(values: pl.Series) -> tuple[pl.Series, pl.Expr]:
    """The values normalised (as masking reads text), and the expression over them (named ``v``) that gives
    their hash form, so it can be hashed in the same pass, never held whole."""
    normal = normalise_series(values.cast(pl.String))
    # Letters and digits of any script; ASCII ones alone when every value is ASCII (a simpler, faster pattern:
    # upper case keeps ASCII text ASCII, and on ASCII text the two patterns keep the same characters).
    ascii_only = not normal.str.contains(r"[^\x00-\x7f]").any()
    form = pl.col("v").str.to_uppercase().str.replace_all(r"[^A-Z0-9]" if ascii_only else r"[^\p{L}\p{N}]", "")
    return normal, pl.when(form != "").then(form)


def _on_every_core(values: pl.Series, expr: pl.Expr) -> pl.Series:
    """``expr`` over the column named ``v``, in order, by the streaming engine: a Series' own string
    operations run on one core, the streaming engine splits the column across all of them."""
    return values.to_frame("v").lazy().select(expr).collect(engine="streaming").to_series()


class Pseudonyms:
    """Pseudonyms under one key. ``Pseudonyms.for_import(key)`` refuses a missing or short key in one sentence."""

    def __init__(self, key: str) -> None:
        self._key = key
        self.fingerprint = hmac.new(key.encode("utf-8"), _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:16]
        # A whole column is hashed by polars-hash (Rust): before any value is, it must give what Python's
        # own HMAC gives under this key, or nothing is pseudonymised with it.
        known = [_KNOWN_ANSWER, _KNOWN_ANSWER * 40]
        theirs = self._hashed(pl.Series(known, dtype=pl.String)).to_list()
        ours = [hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest() for text in known]
        if theirs != ours:
            raise ExportError(
                "cannot be imported: the pseudonym library (polars-hash) does not give the HMAC-SHA-256 Python "
                "gives under this key; reinstall the pinned requirements (requirements.txt); nothing was imported"
            )

    @classmethod
    def for_import(cls, key: str | None, why: str) -> Pseudonyms:
        """``why``: what needs the key, e.g. "the Victim survey definition pseudonymises Crime Reference"."""
        if not key:
            raise KeyMissing(
                f"cannot be imported: {why} and no pseudonym key is set (set the {KEY_VARIABLE} environment "
                f"variable, or {SECRETS_KEY} under [{SECRETS_SECTION}] in .streamlit/secrets.toml, to the force's "
                "key: docs/data-protection.md, Pseudonyms); nothing was imported"
            )
        if len(key) < MIN_KEY_CHARS:
            raise KeyMissing(
                f"cannot be imported: the pseudonym key is {len(key)} characters long and needs at least "
                f"{MIN_KEY_CHARS} (make one with {MAKE_A_KEY}); nothing was imported"
            )
        return cls(key)

    def of(self, values: pl.Series) -> pl.Series:
        """Every value's pseudonym (null for a blank one), as text: hash form and HMAC in one pass over the
        column (on 10M crime references the hash forms alone were a quarter of a gigabyte held at once)."""
        normal, form = _form(values)
        return _on_every_core(normal, self._hmac(form)).alias(values.name)

    def of_parts(self, parts: list[pl.Series]) -> pl.Series:
        """The pseudonym of each row's composite ID (`id_column: [round, number]`): every part in its hash form,
        joined by ``|`` (which no hash form holds, so no two combinations give one text), then hashed. Null when
        any part is blank. One part: the same as ``of``."""
        if len(parts) == 1:
            return self.of(parts[0])
        forms = pl.DataFrame([hash_form(part).alias(f"p{i}") for i, part in enumerate(parts)])
        return self._hashed(forms.select(pl.concat_str(pl.all(), separator="|")).to_series())

    def _hashed(self, forms: pl.Series) -> pl.Series:
        """HMAC-SHA-256 of each hash form, as 64 hexadecimal digits (null for null), in Rust over the column."""
        return _on_every_core(forms, self._hmac(pl.col("v")))

    def _hmac(self, texts: pl.Expr) -> pl.Expr:
        """HMAC-SHA-256 under the key of each text ``texts`` gives (polars-hash: every pseudonym is made here)."""
        import polars_hash

        return polars_hash.CryptographicHashingNameSpace(texts).hmac_sha256(key=self._key)

    def of_text(self, value: str) -> str | None:
        return self.of(pl.Series([value])).item()
