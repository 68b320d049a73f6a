"""Masking as a table: what must be masked (in every form the force's data takes) and what must survive."""

from __future__ import annotations

import polars as pl
import pytest

from insight.intake.masking import mask_text, safe_file_name, scrub
from insight.intake.plain_text import literal
from insight.intake.tidy import ingest_bytes
from tests.messy import read_rows, write_rows

MASKED = [
    # crime references, every form the force uses
    ("ref 20/123456/19 please", "ref [crime ref] please"),
    ("ref 20BE/123456R/19", "ref [crime ref]"),
    ("ref 20/1234567/19.", "ref [crime ref]."),
    ("20be/598646/19", "[crime ref]"),
    # UK phone numbers however written
    ("ring 07700 900123 please", "ring [phone] please"),
    ("ring 07700900123", "ring [phone]"),
    ("ring 07700.900.123", "ring [phone]"),
    ("ring 07700-900-123", "ring [phone]"),
    ("ring (0121) 626 5000", "ring [phone]"),
    ("ring 0121 626 5000.", "ring [phone]."),
    ("ring 0044 7700 900123", "ring [phone]"),
    ("ring +44 7700 900123", "ring [phone]"),
    ("ring +44 (0)121 626 5000", "ring [phone]"),
    ("ring +447700900123", "ring [phone]"),
    ("ring (+44) 7700 900123", "ring [phone]"),
    # postcodes, any spacing or case
    ("I live at B15 2TT", "I live at [postcode]"),
    ("I live at b15 2tt", "I live at [postcode]"),
    ("I live at B152TT", "I live at [postcode]"),
    ("I live at B15  2TT", "I live at [postcode]"),
    ("near SW1A 1AA and EC1A 1BB", "near [postcode] and [postcode]"),
    ("WV1 1AA", "[postcode]"),
    # National Insurance numbers
    ("NI AB 12 34 56 C", "NI [NI number]"),
    ("NI ab123456c", "NI [NI number]"),
    # e-mails, non-ASCII too
    ("me@home.net", "[email]"),
    ("write to jo.bloggs+police@home-mail.co.uk.", "write to [email]."),
    ("zoë.brontë@exämple.co.uk", "[email]"),
    ("用户@例子.广告", "[email]"),
    ("o'brien@mail.ie", "[email]"),
    # disguised: text is normalised first (NFKC, invisible characters out, every script's digits as ASCII)
    ("jo\uff20home.net", "[email]"),  # fullwidth commercial at
    ("jo@ho\u200bme.net", "[email]"),  # a zero-width space in the domain
    ("jo\u200b@home.net", "[email]"),  # ... and before the @
    ("jo\u00ad@home\u2060.net", "[email]"),  # a soft hyphen, a word joiner
    ("ring 0770\u200b0 900\u200d123", "ring [phone]"),  # zero-width space and joiner in a phone number
    ("ring \uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13", "ring [phone]"),  # fullwidth
    ("ring \u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663", "ring [phone]"),  # Arabic-Indic
    ("ring \u06f0\u06f7\u06f7\u06f0\u06f0\u06f9\u06f0\u06f0\u06f1\u06f2\u06f3", "ring [phone]"),  # Persian
    ("ring 0\u03017700 900123", "ring [phone]"),  # a combining mark on a digit
    ("ring 07700\u00a0900123", "ring [phone]"),  # a no-break space
    ("ring 07700  900123", "ring [phone]"),  # two spaces
    ("ring 07700/900/123", "ring [phone]"),
    ("ring 0121/626/5000", "ring [phone]"),
    ("ring 07700\u2013900\u2013123", "ring [phone]"),  # en dashes
    ("ring 447700900123", "ring [phone]"),  # the country code without its +
    ("ring 44 7700 900123", "ring [phone]"),
    ("ref 20-123456-19", "ref [crime ref]"),
    ("ref 20 / 123456 / 19", "ref [crime ref]"),
    ("ref 20.123456.19", "ref [crime ref]"),
    ("ref 20\\123456\\19", "ref [crime ref]"),
    ("ref 20BE-123456R-19", "ref [crime ref]"),
    ("ref \uff12\uff10/123456/19", "ref [crime ref]"),
    ("NI AB-12-34-56-C", "NI [NI number]"),
    ("NI AB.12.34.56.C", "NI [NI number]"),
    ("at B1-1AA", "at [postcode]"),
    ("at B15.2TT", "at [postcode]"),
    ("at \uff22\uff11 \uff11\uff21\uff21", "at [postcode]"),  # fullwidth letters and digits
]

SURVIVES = [
    "999",
    "101",
    "called 101 and 999 on 12/09/2019 at 14:05",
    "it took 3 times",
    "waited 2 hours",
    "16 September 2019",
    "2019-09-16 17:17",
    "01/02/2019",
    "I am 45",
    "aged 25-34",
    "75+",
    "Q3 2019",
    "the A45 3rd exit",
    "1,000 people",
    "£1,200.50",
    "0.5 miles",
    "VS190900000",
    "LC201909000",
    "PV19Q30000",
    "B8",
    "Birmingham West",
    "8/10",
    "12-09-2019",
    "3 - 4 hours",
    "£20",
    "2 x 999 calls",
    "rated it 8/10 on 12-09-2019, waited 3 - 4 hours, cost £20, made 2 x 999 calls",
    "on 01/02/2019 12 officers came",
    "16.09.2019 at 20.30",
    "between 10-20 minutes",
    "Zoë said it was “fine” – thanks",
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_personal_data_is_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", SURVIVES)
def test_ordinary_text_survives(text):
    assert mask_text(text) == text


def test_scrub_bounds_length_and_removes_control_characters():
    text = "\x1b[31mred\x1b[0m " + "x" * 200 + " me@home.net"
    out = scrub(text, limit=50)
    assert "\x1b" not in out and len(out) == 50 and out.endswith("…")
    assert scrub("a\u202eb") == "ab"  # right-to-left override: a file name could hide its real extension


def test_file_names_lose_folders_and_personal_data():
    assert safe_file_name("C:\\Users\\jo\\victim 20BE/123456/19.csv") == "19.csv"
    assert safe_file_name("/home/jo/me@home.net export.csv") == "[email] export.csv"
    assert safe_file_name("export for 07700 900123.csv") == "export for [phone].csv"
    assert safe_file_name("") == "(unnamed file)"


def test_markdown_literal_keeps_the_text_and_disarms_links():
    escaped = "\\[Sign in again\\]\\(https\\:\u2060\\/\\/evil\\.example\\)"
    assert literal("[Sign in again](https://evil.example)") == escaped
    assert literal("www.evil.example jo@x.org") == "www\u2060\\.evil\\.example jo\\@\u2060x\\.org"
    assert literal("a\nb") == "a b"
    assert literal("plain words") == "plain words"


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        ("jo@home.net", "an email address"),
        ("07700 900123", "a phone number"),
        ("+447700900123", "a phone number"),
        ("20BE/123456R/19", "a crime reference"),
        ("AB123456C", "an NI number"),
        ("AB-12-34-56-C", "an NI number"),
        ("B15 2TT", "a postcode"),
        ("B1-1AA", "a postcode"),
        ("\uff10\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13", "a phone number"),  # fullwidth
        ("jo\uff20home.net", "an email address"),  # fullwidth @
        ("jo@ho\u200bme.net", "an email address"),  # a zero-width space inside
    ],
)
def test_an_id_that_looks_like_personal_data_is_rejected_masked(exports, victim, identifier, kind):
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[4][0] = identifier
    result = ingest_bytes(write_rows(rows), "ids.csv", victim)
    problems = result.report.problems
    assert problems.select("row", "column").rows() == [(5, "Response ID")]
    assert problems["problem"][0] == f"ID looks like {kind}; IDs must not hold personal data"
    assert problems["value"][0].startswith("[") and identifier not in problems["value"][0]
    everything = result.report.describe() + result.rejected.write_csv() + result.frame.write_csv()
    assert identifier not in everything
    assert identifier not in result.frame.get_column("id").to_list()


def test_ordinary_ids_pass(exports, victim, definitions):
    for name, dataset in [
        ("victim_survey_example.csv", "victim"),
        ("caller_101_example.csv", "caller_101"),
        ("live_chat_example.csv", "live_chat"),
        ("wmnow_members_example.csv", "wmnow"),
    ]:
        result = ingest_bytes((exports / name).read_bytes(), name, definitions[dataset])
        assert not result.report.problems.filter(pl.col("problem").str.starts_with("ID looks")).height


def test_each_part_of_an_id_is_checked_normalised():
    """What a composite ID checks part by part: the kind each part looks like once normalised, or none."""
    from insight.intake.masking import id_lookalike
    from insight.intake.tidy import id_is_personal_data

    fullwidth_phone = "".join(chr(0xFF10 + int(d)) for d in "07700900123")
    parts = pl.Series(["R1", " CE-98-76-54-A ", "B1-1AA", fullwidth_phone, "kim\uff20x.org", "20\u200b/123456/19",
                       "2019", "9"])  # fmt: skip
    kinds = pl.select(id_lookalike(pl.lit(parts))).to_series().to_list()
    assert kinds == [None, "an NI number", "a postcode", "a phone number", "an email address", "a crime reference",
                     None, None]  # fmt: skip
    assert id_is_personal_data(parts).to_list() == [k is not None for k in kinds]
