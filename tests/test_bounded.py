"""Bounded cells and messages (issue 20, item 8).

A comment longer than MAX_TEXT_CHARS is cut at import, with a note for its row, and nothing personal
survives at the cut; a value a problem quotes is cut to QUOTE_CHARS; the rejects file's cells to the text
limit. No page sends Streamlit a message over its limit: the Comments page with a file of very long
comments shows the rows that fit, says so, and its download has them all.
"""

from __future__ import annotations

import io

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from insight.cli import main
from insight.display.tables import SHOWN_BYTES, rows_that_fit
from insight.intake.tidy import MAX_TEXT_CHARS, QUOTE_CHARS, ingest_bytes
from tests.conftest import REPO
from tests.messy import read_rows, write_rows
from tests.test_pii_never_written import downloads  # noqa: F401  (a fixture)

COMMENT = 16  # "Any other comments?"


@pytest.fixture()
def rows(exports) -> list[list[str]]:
    return read_rows((exports / "victim_survey_example.csv").read_bytes())


def test_a_long_comment_is_cut_with_a_note_and_nothing_personal_survives_the_cut(rows, victim):
    # a phone number straddling the cut, an e-mail address after it
    head = "x" * (MAX_TEXT_CHARS - 5)
    rows[5][COMMENT] = head + " ring 07700 900123 " + "y" * 5000 + " or jo@home.net"
    length = len(rows[5][COMMENT])
    result = ingest_bytes(write_rows(rows), "long.csv", victim)
    report = result.report
    assert report.ok and result.frame.height == 40, "the row is imported"
    assert report.notes.select("row", "column", "problem").rows() == [
        (6, "Any other comments?", f"cut to {MAX_TEXT_CHARS:,} characters (it had {length:,}): longer free text "
                                   "is not kept")
    ]  # fmt: skip
    stored = result.frame.get_column("comments")[4]
    assert len(stored) == MAX_TEXT_CHARS and stored.endswith("...") and stored.startswith(head)
    assert not any(ch.isdigit() for ch in stored), "the phone number at the cut was masked before cutting"
    assert "jo@home.net" not in stored
    assert "cut to 10,000 characters" in report.describe()


def test_a_comment_at_the_limit_is_kept_whole(rows, victim):
    rows[5][COMMENT] = "z" * MAX_TEXT_CHARS
    result = ingest_bytes(write_rows(rows), "limit.csv", victim)
    assert result.report.notes.height == 0 and result.frame.get_column("comments")[4] == "z" * MAX_TEXT_CHARS


def test_quoted_values_and_rejected_cells_are_bounded(rows, victim):
    rows[3][5] = "Burglary " + "q" * 1_000_000  # an unknown label of a million characters
    rows[4][COMMENT] = "w" * 50_000
    rows[4][12] = "Delighted"  # an unknown answer: the row with the long comment is rejected
    result = ingest_bytes(write_rows(rows), "huge.csv", victim)
    values = result.report.problems.get_column("value").to_list()
    assert values and all(len(v) <= QUOTE_CHARS for v in values)
    assert len(result.report.describe()) < 5_000
    rejected = result.rejected
    assert rejected.height == 2
    longest = rejected.select(pl.all().exclude("row").cast(pl.String).str.len_chars().max()).row(0)
    assert max(n for n in longest if n is not None) <= MAX_TEXT_CHARS
    assert result.report.notes.height == 0, "a rejected row has no note: it is not imported"


def test_rows_that_fit_counts_bytes_by_hand():
    frame = pl.DataFrame({"text": ["a" * 100, "b" * 200, "c" * 300, None], "n": [1, 2, 3, 4]})
    # a row's size: its text bytes + 8, and 8 for the number: 116, 216, 316, 16
    assert rows_that_fit(frame, budget=116) == 1
    assert rows_that_fit(frame, budget=331) == 1
    assert rows_that_fit(frame, budget=332) == 2
    assert rows_that_fit(frame, budget=664) == 4
    assert rows_that_fit(frame, budget=10_000) == 4
    assert rows_that_fit(frame.clear()) == 0


def leaves(node):
    """Every element on the page (each is sent to the browser as its own message)."""
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for child in children.values():
        yield from leaves(child)


def test_the_comments_page_never_sends_more_than_fits(rows, data_dir, tmp_path, monkeypatch, downloads):  # noqa: F811
    """2,000 comments at the limit (80 MB of text), and one comment of 20 MB cut at import: the page shows
    the rows that fit in one message, says how many, and the download holds every one."""
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    header, body = rows[0], rows[1:]
    out = [header]
    for i in range(2000):
        row = list(body[i % len(body)])
        row[0] = f"LONG{i:06d}"
        row[COMMENT] = f"comment {i:04d} " + "\N{GRINNING FACE}" * (
            MAX_TEXT_CHARS - 13
        )  # 4 bytes each: 1,000 are 40 MB
        out.append(row)
    out[1][COMMENT] = "huge " + "h" * 20_000_000
    path = tmp_path / "long-comments.csv"
    path.write_bytes(write_rows(out))
    assert main(["ingest", "victim", str(path)]) == 0

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/comments.py").run()
    assert not at.exception, at.exception
    limit = SHOWN_BYTES + 1024 * 1024  # the cells, and room for the table's own framing
    sizes = [element.proto.ByteSize() for element in leaves(at.main)]
    assert len(sizes) > 10 and max(sizes) < limit, "every element is one message: each well under Streamlit's 200 MB"
    table = at.dataframe[-1].value
    assert 0 < len(table) < 2000
    assert any(f"Showing the first {len(table):,} of 2,000 rows" in c.value for c in at.caption)
    csv = next(d for d in downloads if d.startswith(b"Period,Comment"))
    listed = pl.read_csv(io.BytesIO(csv), infer_schema=False)
    assert listed.height == 2000 and listed.get_column("Comment").str.len_chars().max() == MAX_TEXT_CHARS


def test_the_upload_preview_lists_the_comments_it_will_cut(rows, data_dir):
    rows[7][COMMENT] = "long " * 3000
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploads").set_value([("long.csv", write_rows(rows), "text/csv")]).run()
    assert not at.exception
    assert any("1 comment(s) are longer than 10,000 characters" in w.value for w in at.warning)
    cut = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
    assert cut["Row"].tolist() == [8] and cut["Problem"].str.startswith("cut to 10,000 characters").all()
    assert next(b for b in at.button if b.label == "Import").disabled is False, "a cut comment does not stop it"
