"""The fast ingest path gives exactly what the careful one did (issue 14).

Each shortcut is checked against the slow, obvious computation: masking only the values
that can hold PII against masking all of them; reading from a path against reading the
bytes; dropping unwanted columns against the blank-row rule over every column; the report
reading two periods against the report on everything held; libyaml against PyYAML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal

from insight.cli import main, report_json_rows
from insight.config import files as configfile
from insight.config.files import CONFIG_DIR
from insight.figures import metrics
from insight.intake.masking import mask_pii, mask_pii_series, normalise_text
from insight.intake.tidy import ingest_bytes, ingest_file
from insight.store import Store
from tests.messy import read_rows, write_rows

ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
PRINTABLE_ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("\t\n\r"))
# Digits, @ and separators, and their disguises: fullwidth, Arabic-Indic, zero-width, a combining mark.
PII_ALPHABET = "0123456789@ ./-+()abcdeBEMSWXYZ\u0663\u06f5\uff10\uff17\uff20\u200b\u0301\u2013"


def _masked_everywhere(values: list[str | None]) -> pl.Series:
    return pl.select(mask_pii(pl.lit(pl.Series(values, dtype=pl.String)))).to_series()


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_text_without_a_digit_or_at_sign_once_normalised_is_never_masked(text):
    """The prefilter's premise: every pattern needs a digit or an @ in the normalised text."""
    normal = normalise_text(text)
    assume(not re.search(r"[0-9@]", normal))
    assert _masked_everywhere([text]).to_list() == [normal]


@settings(max_examples=300, deadline=None)
@given(PRINTABLE_ASCII)
def test_printable_ascii_is_left_as_it_is_by_normalisation(text):
    """The normalising prefilter's premise: only text with something beyond printable ASCII can change."""
    assert normalise_text(text) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(PII_ALPHABET, max_size=30), ANY_TEXT), max_size=20))
def test_masking_only_where_pii_can_be_equals_masking_everything(values):
    series = pl.Series("c", values, dtype=pl.String)
    assert_series_equal(mask_pii_series(series), _masked_everywhere(values).alias("c"))


def test_masking_real_pii_with_the_prefilter():
    series = pl.Series(["ring 07700 900123", "fine", None, "me@x.org", "B1 1AA", "20BE/123456/19", "Arabic \u0663"])
    out = mask_pii_series(series).to_list()
    assert out[:6] == ["ring [phone]", "fine", None, "[email]", "[postcode]", "[crime ref]"]
    assert series.to_list()[0] == "ring 07700 900123"  # the input is left as it was


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("title", [False, True])
def test_reading_the_path_equals_reading_the_bytes(exports, victim, tmp_path, encoding, title):
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[3][-1] = "Call me on 07700 900123 or me@example.org"
    rows[5][-1] = "   "
    data = write_rows(rows, encoding=encoding, title=title)
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    from_bytes = ingest_bytes(data, "export.csv", victim)
    from_path = ingest_file(path, victim)
    assert from_path.report.ok, from_path.report.describe()
    assert_frame_equal(from_path.frame, from_bytes.frame)
    assert from_path.report.sha256 == from_bytes.report.sha256
    assert (from_path.report.encoding, from_path.report.header_row) == (encoding, 3 if title else 1)
    comments = from_path.frame.get_column("comments").to_list()
    assert "Call me on [phone] or [email]" in comments
    assert "07700" not in " ".join(c for c in comments if c)


def test_a_row_with_only_pii_filled_is_not_blank(exports, victim, tmp_path):
    """PII columns are dropped once read, but a row is blank only if every column is."""
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    header = rows[0]
    only_pii = ["" for _ in header]
    only_pii[header.index("Email Address")] = "someone@example.org"
    rows[3:3] = [["" for _ in header], only_pii]
    path = tmp_path / "export.csv"
    path.write_bytes(write_rows(rows))
    result = ingest_file(path, victim)
    assert result.report.blank_rows == 1
    assert result.report.rows_read == 41
    problems = result.report.problems.filter(pl.col("row") == 5)  # header row 1; the blank line is row 4
    assert "missing ID" in problems.get_column("problem").to_list()
    assert "someone@example.org" not in result.rejected.write_csv()


def test_duplicate_ids_found_however_many_rows(exports, victim):
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows.append(list(rows[7]))
    result = ingest_bytes(write_rows(rows), "dupe.csv", victim)
    dupes = result.report.problems.filter(pl.col("problem").str.starts_with("duplicate ID"))
    assert dupes.get_column("row").to_list() == [len(rows)]


def test_report_reads_two_periods_and_gives_what_the_whole_store_gives(victim, tmp_path, capsys):
    """The report reads only the period and the one before; its figures equal those from everything held."""
    from insight.samples import write_samples

    samples = write_samples(tmp_path / "samples")
    victim_files = [p for p in samples if p.parent.name == "victim" and not p.name.startswith("volumes")]
    assert len(victim_files) >= 2
    data_dir = tmp_path / "store"
    assert main(["ingest", "victim", *map(str, victim_files), "--data-dir", str(data_dir), "--skip-invalid"]) == 0
    held = Store(data_dir).read(victim)
    assert held is not None
    periods = metrics.periods(held)
    assert len(periods) >= 3
    for period in (periods[0], periods[len(periods) // 2], f"{periods[1]}..{periods[3]}", None):
        for by in (None, "npu"):
            capsys.readouterr()
            args = ["report", "victim", "--format", "json", "--data-dir", str(data_dir)]
            args += ["--period", period] if period else []
            args += ["--by", by] if by else []
            assert main(args) == 0
            shown = json.loads(capsys.readouterr().out)
            expected = metrics.satisfaction(held, victim, period=period or periods[-1], by=by)
            assert shown["rows"] == report_json_rows(expected)
            assert any(r["previous_period"] for r in shown["rows"]) == ((period or periods[-1]) != periods[0])
            assert shown["rows"], (period, by)


def test_libyaml_reads_every_bundled_file_as_pyyaml_does():
    files = sorted(Path(CONFIG_DIR).rglob("*.yaml"))
    assert len(files) > 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert configfile._parse(text) == yaml.load(text, Loader=configfile._StrictLoader), path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x 1\nb: *x\n", "anchors and aliases"),
        ("a: 1\na: 2\n", "'a' appears twice"),
        ("a: !!python/object/apply:os.system ['true']\n", "python/object"),
        ("a: [1, 2\n", "expected ',' or ']'"),
        ("a: 'Q&A'\nb: \x07\n", "special characters"),
    ],
)
def test_libyaml_never_decides_a_mistake(text, message):
    """Whatever libyaml makes of a broken file, the mistake is named by the strict loader."""
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.load(text, Loader=configfile._StrictLoader)
    assert message in str(caught.value)
    with pytest.raises(yaml.YAMLError) as fast:
        configfile._parse(text)
    assert str(fast.value) == str(caught.value)


def test_relabelling_by_codes_equals_looking_up_the_text():
    from insight.intake.tidy import _relabel

    values = pl.Series("c", ["b", None, "a", "zz", "a", "c "], dtype=pl.String)
    pl.Series(["unrelated", "other"], dtype=pl.Categorical)  # codes taken by other columns first
    lookup = {"a": "A", "b": "B", "c ": "C"}
    dtype = pl.Enum(["A", "B", "C"])
    expected = values.replace_strict(lookup, default=None, return_dtype=dtype)
    assert_series_equal(_relabel(values.cast(pl.Categorical), lookup, dtype), expected)
    assert_series_equal(_relabel(values, lookup, dtype), expected)
    assert _relabel(pl.Series("c", [None, None], dtype=pl.Categorical), lookup, dtype).to_list() == [None, None]


def test_label_columns_read_dictionary_coded_give_what_text_columns_give(exports, victim):
    """The whole import, label columns read as Categorical (the fast path) or as text: the same."""
    from insight.intake.tidy import label_columns, normalise_label, read_export, shape

    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[4][5] = "Not an offence group"  # an unknown label: a problem row
    rows[6][9] = "very   SATISFIED"  # a label written differently
    rows.append(list(rows[2]))  # a duplicate ID
    data = write_rows(rows)
    wanted = {normalise_label(c) for c in victim.required_columns()}
    fast = read_export(data, "x.csv", wanted, keep=wanted, labels=label_columns(victim))
    slow = read_export(data, "x.csv", wanted, keep=wanted, labels=set())
    assert fast.frame.schema[rows[0][5]] == pl.Categorical
    a, b = shape(fast, victim, "x.csv", "h"), shape(slow, victim, "x.csv", "h")
    assert_frame_equal(a.frame, b.frame)
    assert_frame_equal(a.report.problems, b.report.problems)
    assert_frame_equal(a.rejected, b.rejected)
    assert a.report.problems.height >= 2


def test_shaping_keeps_the_rows_where_the_reader_put_them(exports, victim):
    """A big file is read in batches, so each column arrives in many chunks: the tidy frame keeps them (an eager
    select copied every kept column into one chunk while the file's rows were still held, at the import's peak),
    and is the same frame as shaping the rows held in one chunk gives."""
    from insight.intake.tidy import label_columns, normalise_label, read_export, shape

    wanted = {normalise_label(c) for c in victim.required_columns()}
    raw = read_export((exports / "victim_survey_example.csv").read_bytes(), "x.csv", wanted, keep=wanted,
                      labels=label_columns(victim))  # fmt: skip
    whole = raw.frame.rechunk()
    raw.frame = pl.concat([whole.head(20), whole.tail(-20)], rechunk=False)
    assert raw.frame.n_chunks() == 2
    result = shape(raw, victim, "x.csv", "h")
    assert result.report.problems.height == 0
    kept = [c for c in ("id", "comments", "overall") if result.frame.get_column(c).n_chunks() > 1]
    assert kept, "the tidy columns were copied into one chunk"
    raw.frame = whole
    assert_frame_equal(result.frame, shape(raw, victim, "x.csv", "h").frame)


@pytest.mark.parametrize(("prefixed", "numbered"), [(False, True), (True, True), (False, False)])
def test_sheet_scan_skipping_formula_free_parts_finds_the_same_rows(exports, victim, monkeypatch, prefixed, numbered):
    """The scan reads cells only in the top rows and in parts holding a formula; the rows it names
    are those a full walk names, whatever the parts' size."""
    import re

    from insight.intake import workbook as xlsx
    from tests.hostile import _edit_sheet, _replace_cell
    from tests.messy import to_xlsx

    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    body = [[f"{r[0]}-{k}", *r[1:]] for k in range(6) for r in rows[1:]]  # 240 responses, IDs unique
    book = to_xlsx([rows[0], *body])  # two title lines: the header is row 3, responses from row 4

    def edit(xml: bytes) -> bytes:
        xml = _replace_cell(xml, b"I200", b'<c r="I200"><f>VLOOKUP(A200,Sheet2!A:B,2,0)</f></c>')
        if not numbered:  # rows without r="..." (allowed): counted one by one
            xml = re.sub(rb'(<row\b[^>]*?) r="\d+"', rb"\1", xml)
        if prefixed:
            xml = re.sub(rb"<(/?)(\w+)([ >/])", rb"<\1x:\2\3", xml)
            xml = xml.replace(b'<x:worksheet xmlns="', b'<x:worksheet xmlns:x="')
        return xml

    data = _edit_sheet(book, edit)
    whole = ingest_bytes(data, "late.xlsx", victim).report.problems.select("row", "problem").rows()
    assert len(whole) == 1 and whole[0][1].startswith("formula with no saved value")
    assert whole[0][0] == 200 or not numbered  # unnumbered rows: counted as the full walk counts them
    monkeypatch.setattr(xlsx, "CHUNK", 1024)  # many parts: most past the top rows, without a formula
    parts = ingest_bytes(data, "late.xlsx", victim)
    assert parts.report.problems.select("row", "problem").rows() == whole
    assert parts.frame.height == 239


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(PII_ALPHABET + "ABCDEFGHIJKLMNOPQRSTUVWXYZ/", max_size=24), min_size=1, max_size=10))
def test_one_pass_with_every_id_pattern_finds_what_each_pattern_finds(ids):
    from insight.intake.masking import ID_LOOKALIKES
    from insight.intake.tidy import ANY_LOOKALIKE

    series = pl.Series(ids, dtype=pl.String)
    each = pl.select([pl.lit(series).str.contains(p).alias(k) for k, p in ID_LOOKALIKES.items()])
    assert (
        series.str.contains(ANY_LOOKALIKE).to_list() == each.select(pl.any_horizontal(pl.all())).to_series().to_list()
    )


def test_ids_that_look_like_pii_are_still_refused(exports, victim):
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[2][0], rows[5][0], rows[9][0] = "me@example.org", "20/123456/19", "07700 900123"
    problems = ingest_bytes(write_rows(rows), "ids.csv", victim).report.problems
    kinds = problems.filter(pl.col("problem").str.starts_with("ID looks like")).select("row", "problem").rows()
    assert [(r, k.split(";")[0]) for r, k in kinds] == [
        (3, "ID looks like an email address"),
        (6, "ID looks like a crime reference"),
        (10, "ID looks like a phone number"),
    ]
