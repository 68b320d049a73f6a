"""The board pack: each format opened with its own library and checked against the CLI's figures.

The pack is built from the bundled samples (an empty store); the CLI's `report` and
`validity` read the same sample files after `ingest` into a separate store, so the two
reach the figures by different paths.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from docx import Document
from pptx import Presentation
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from insight import cli
from insight.board.model import MAX_POINTS, SAMPLE_MARK
from insight.board.pack import build_pack, render
from insight.config.loader import load_config
from insight.datasets import load_dataset, sample_paths, sample_volume_paths
from insight.display.charts import title_text
from insight.periods import period_label
from insight.store import Store

PERIOD = "2019-09"


# --------------------------------------------------------------------------- reading each format back


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    parts += [p.text for s in doc.sections for p in s.header.paragraphs]
    return "\n".join(parts)


def pptx_text(data: bytes) -> str:
    prs = Presentation(io.BytesIO(data))
    return "\n".join(shape.text_frame.text for slide in prs.slides for shape in slide.shapes if shape.has_text_frame)


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.alts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")


def html_text(data: bytes) -> str:
    parser = _HtmlText()
    parser.feed(data.decode("utf-8"))
    return "\n".join(parser.parts)


def every_stored_word(data: bytes, fmt: str) -> str:
    """Everything in the file a reader could reach: for Office files every XML part (text, tables,
    alt text, headers), for HTML the whole source."""
    if fmt == "html":
        return data.decode("utf-8")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


TEXT = {"docx": docx_text, "pptx": pptx_text, "html": html_text}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("empty"))


@pytest.fixture(scope="module")
def pack(empty_store: Store):
    return build_pack(empty_store, period=PERIOD)


@pytest.fixture(scope="module")
def documents(pack) -> dict[str, bytes]:
    return {fmt: render(pack, fmt) for fmt in ("docx", "pptx", "html")}


@pytest.fixture(scope="module")
def texts(documents) -> dict[str, str]:
    return {fmt: TEXT[fmt](data) for fmt, data in documents.items()}


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(list(args)) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the sample exports, imported through the CLI like real uploads."""
    folder = tmp_path_factory.mktemp("cli-store")
    for dataset in ("victim", "caller_101", "live_chat", "domestic_abuse", "victims_code"):
        files = [str(p) for p in sample_paths(dataset)]
        volumes = [a for p in sample_volume_paths(dataset) for a in ("--volumes", str(p))]
        _cli("ingest", dataset, *files, *volumes, "--data-dir", str(folder))
    return folder


def report(store: Path, dataset: str, period: str, by: str | None = None) -> list[dict]:
    args = ["report", dataset, "--period", period, "--format", "json", "--data-dir", str(store)]
    return json.loads(_cli(*args, *(["--by", by] if by else [])))["rows"]


def validity_json(store: Path, dataset: str, period: str) -> dict:
    return json.loads(_cli("validity", dataset, "--period", period, "--format", "json", "--data-dir", str(store)))


def sentences_about(text: str, start: str) -> list[str]:
    return [line for line in re.split(r"\n|\u2022 ", text) if line.strip().lstrip("0123456789. ").startswith(start)]


# --------------------------------------------------------------------------- figures and words against the CLI


@pytest.mark.parametrize("fmt", ["docx", "pptx", "html"])
def test_victim_headline_and_changes_match_report(fmt, texts, cli_store):
    text = texts[fmt]
    overall = next(r for r in report(cli_store, "victim", PERIOD) if r["aspect"] == "overall")
    assert (
        f"{overall['pct']:.1f}% (base {overall['base']:,}; 95% CI {overall['ci_low']:.1f}–{overall['ci_high']:.1f}%)"
        in text
    )
    change = sentences_about(text, f"Overall victim satisfaction in {period_label(PERIOD)} was stable at")
    rose_or_fell = sentences_about(
        text, f"Overall victim satisfaction in {period_label(PERIOD)} rose"
    ) + sentences_about(text, f"Overall victim satisfaction in {period_label(PERIOD)} fell")
    if overall["significant"]:
        assert rose_or_fell and not change
    else:
        assert change and not rose_or_fell
        assert (
            f"against {overall['pct'] - overall['change_pp']:.1f}% in {period_label(overall['previous_period'])}"
            in text
        )
        said = float(re.search(r"\(p = (\d\.\d+)\)", change[0]).group(1))
        assert said == pytest.approx(overall["p_value"], abs=0.0006)  # the CLI rounds to 4 places, the paper to 3


def test_every_victim_aspect_matches_report_in_the_paper(texts, cli_store):
    text = texts["docx"]
    labels = {k: q.label for k, q in load_config().definitions["victim"].questions.items()}
    for row in report(cli_store, "victim", PERIOD):
        mine = sentences_about(text, f"{labels[row['aspect']]} in {period_label(PERIOD)}")
        assert mine, row["aspect"]
        assert f"{row['pct']:.1f}% (base {row['base']:,})" in mine[0]
        assert ("rose" in mine[0] or "fell" in mine[0]) == bool(row["significant"]), mine[0]
        assert ("was stable at" in mine[0]) == (not row["significant"]), mine[0]


def test_live_chat_domestic_abuse_and_validity_match_the_cli(texts, cli_store):
    text = texts["docx"]
    for dataset in ("live_chat", "domestic_abuse"):
        for row in report(cli_store, dataset, PERIOD):
            assert f"{row['pct']:.1f}% (base {row['base']:,}" in text, (dataset, row["aspect"])
    v = validity_json(cli_store, "live_chat", PERIOD)
    assert f"{v['responses']:,} responses from {v['invitations']:,} invitations out of {v['contacts']:,} chats" in text
    assert f"({v['response_rate']:.1f}% responded)" in text


@pytest.mark.parametrize("fmt", ["docx", "pptx", "html"])
def test_victims_code_compliance_matches_the_cli(fmt, texts, cli_store):
    """The quarter containing the month: the cases against the target, every applicable entitlement met, the
    enhanced cases, the entitlement most often missed and service recovery, as `report victims_code` gives them
    (a slide holds the first three points)."""
    text = " ".join(texts[fmt].split())
    out = json.loads(
        _cli("report", "victims_code", "--period", "2019-Q3", "--format", "json", "--data-dir", str(cli_store))
    )
    rows = {r["aspect"]: r for r in out["rows"]}
    every, missed = rows["all_met"], out["most_missed"]
    quarter = "Jul-Sep 2019 (Q3)"
    assert f"with every applicable entitlement met in {quarter} was {every['pct']:.1f}% (base {every['base']:,}" in text
    assert (
        f"Referral to victim services (2 working days) was the entitlement most often missed in {quarter}: met in "
        f"{missed['pct']:.1f}% (base {missed['base']:,})"
    ) in text and missed["aspect"] == "referral"
    assert f"{out['sample']['responses']} cases reviewed in {quarter}, reaching the target of 240" in text
    if fmt == "pptx":
        return
    enhanced = {r["group"]: r for r in report(cli_store, "victims_code", "2019-Q3", by="enhanced")
                if r["aspect"] == "all_met"}  # fmt: skip
    yes, no = enhanced["Yes"], enhanced["No"]
    assert (
        f"Enhanced entitlements (Yes): every applicable entitlement met {yes['pct']:.1f}% (base {yes['base']}) in "
        f"{quarter}, higher than the rest ({no['pct']:.1f}%, base {no['base']})"
    ) in text
    recovery = rows["recovery_completed"]
    assert (
        f"{recovery['base']} cases needed a service recovery in {quarter}: {recovery['positive']} completed, "
        f"{recovery['pct']:.1f}% (base {recovery['base']}"
    ) in text


def test_101_callers_with_the_validity_verdict(empty_store, cli_store):
    june = build_pack(empty_store, period="2019-06")
    text = docx_text(render(june, "docx"))
    v = validity_json(cli_store, "caller_101", "2019-06")
    assert f"{v['responses']} responses from {v['invitations']} invitations out of {v['contacts']:,} calls" in text
    assert f"±{v['margin_of_error_pp']:.0f} points, too few to support a conclusion" in text
    overall = next(r for r in report(cli_store, "caller_101", "2019-06") if r["aspect"] == "overall")
    assert f"{overall['pct']:.1f}% (base {overall['base']}; 95% CI" in text
    assert "(treat with caution: fewer than 50 answered)" in text  # base 12


def test_trends_match_the_trend_command(pack, cli_store):
    """The headline's 12-period trend, word for word with `trend` (Cochran-Armitage) over the same range."""
    victim = next(s for s in pack.sections if s.key == "victim").paragraphs
    said = next(x for x in victim if "over the 12 months" in x)
    out = json.loads(
        _cli("trend", "victim", "--period", "2018-10..2019-09", "--format", "json", "--data-dir", str(cli_store))
    )
    words = {"rising": " rose over ", "falling": " fell over ", "no clear trend": " was stable over "}
    assert words[out["direction"]] in said
    if out["p_value"] >= 0.001:
        assert f"p = {out['p_value']:.3f}" in said
    assert ("significant" in said) == bool(out["significant"])


def test_a_survey_without_data_for_the_month_says_so_in_one_line(texts, pack, empty_store):
    """Every section of a month's pack shows that month, or says in words why another (with and without
    --period: the pack is the same)."""
    note = "101 caller survey: no responses for September 2019; latest is June 2019."
    for fmt in ("docx", "html"):
        lines = [x for x in texts[fmt].splitlines() if "101 caller survey: no" in x]
        assert len(lines) == 1 and note in lines[0], lines
    assert note in texts["pptx"]  # on its slide too
    assert pack.notes == [note] and pack.missing == []
    for section in pack.sections:
        said = re.findall(r"\(([A-Z][a-z]+ \d{4})", section.heading)  # the period a heading names
        if said and said[0] != "September 2019" and "Q3" not in section.heading:
            assert section.paragraphs[0] == note, section.heading
    latest = build_pack(empty_store)
    assert [(s.key, s.heading, s.paragraphs) for s in latest.sections] == [
        (s.key, s.heading, s.paragraphs) for s in pack.sections
    ]  # no --period: the latest month any monthly survey holds, September 2019; WMNow too, not October
    wmnow = next(s for s in latest.sections if s.key == "wmnow")
    assert wmnow.heading == "WMNow sign-up diversity (September 2019)"
    assert "October 2019" not in "\n".join(wmnow.paragraphs)


def test_groups_that_differ_match_a_statsmodels_oracle(texts, cli_store):
    """Each channel and offence group against the rest (z-test), Holm across the groups of a breakdown."""
    labels = {k: q.label for k, q in load_config().definitions["victim"].questions.items()}
    totals = {r["aspect"]: r for r in report(cli_store, "victim", PERIOD)}
    expected = set()
    for by in ("channel_group", "offence"):
        rows = report(cli_store, "victim", PERIOD, by=by)
        for aspect in labels:
            tested = [r for r in rows if r["aspect"] == aspect and r["status"] != "suppressed"]
            pvals = [
                proportions_ztest(
                    [r["positive"], totals[aspect]["positive"] - r["positive"]],
                    [r["base"], totals[aspect]["base"] - r["base"]],
                )[1]
                for r in tested
            ]
            reject = multipletests(pvals, alpha=0.05, method="holm")[0]
            expected |= {(r["group"], labels[aspect]) for r, rej in zip(tested, reject, strict=True) if rej}
    assert expected, "the sample should hold differences to find"
    by_compare = set()
    for by in ("channel_group", "offence"):
        for aspect in labels:
            args = ["compare", "victim", "--by", by, "--aspect", aspect, "--period", PERIOD, "--format", "json"]
            rows = json.loads(_cli(*args, "--data-dir", str(cli_store)))["rows"]
            by_compare |= {(r["group"], labels[aspect]) for r in rows if r["significant"]}
    assert by_compare == expected
    said = set(
        re.findall(r"\n(?:\d+\. )?([A-Za-z ]+): ([a-z ()]+) \d+\.\d%[^\n]*a significant difference", texts["docx"])
    )
    assert {(g, a.lower()) for g, a in expected} == said


# --------------------------------------------------------------------------- the rules


P_VALUE = re.compile(r"p (=|<) (\d\.\d+)")


@pytest.mark.parametrize("fmt", ["docx", "pptx", "html"])
def test_significant_only_where_p_is_below_0_05(fmt, texts):
    pieces = [x for x in re.split(r"(?<=\.)\s+(?=[A-Z0-9])|\n", texts[fmt]) if x.strip()]
    flagged = [x for x in pieces if "significant" in x.lower()]
    assert flagged
    for piece in flagged:
        values = P_VALUE.findall(piece) or re.findall(r"(<) (\d\.\d+)", piece)
        assert values, f"'significant' without a p-value: {piece}"
        for op, value in values:
            assert float(value) < 0.05 or (op == "<" and float(value) <= 0.05), piece
    for piece in pieces:
        if re.search(r"\b(rose|fell)\b", piece):
            assert "significant" in piece, piece


def test_suppressed_domestic_abuse_figures_appear_nowhere(pack, documents, empty_store):
    """Work out every hidden figure from the raw responses, then look for it in every format."""
    definition = load_config().definitions["domestic_abuse"]
    frame = load_dataset(definition, empty_store).frame.filter(pl.col("period") == PERIOD)
    section = next(s for s in pack.sections if s.key == "domestic_abuse")
    assert section.table is not None
    hidden = [row[0] for row in section.table.rows if row[1] == "suppressed"]
    assert len(hidden) >= 2  # secondary suppression: never exactly one
    aspect = definition.headline
    scale = definition.questions[aspect].scale
    secrets = set()
    for group in hidden:
        answers = frame.filter(pl.col("npu").cast(pl.String) == group).get_column(aspect)
        base = int(answers.is_in(list(scale.in_base)).sum())
        positive = int(answers.is_in(list(scale.positive)).sum())
        if base:
            secrets.add(f"{positive / base * 100:.1f}%")
    assert secrets
    for fmt, data in documents.items():
        stored = every_stored_word(data, fmt)
        leaked = {s for s in secrets if s in stored}
        assert not leaked, (fmt, leaked)
    chart_data = json.dumps(section.figure.chart.to_dict()) if section.figure else ""
    assert not {s.rstrip("%") for s in secrets if s.rstrip("%") in chart_data}


def test_sample_data_is_marked_on_every_page_slide_and_printed_page(documents, pack):
    doc = Document(io.BytesIO(documents["docx"]))
    assert all(SAMPLE_MARK in "".join(p.text for p in s.header.paragraphs) for s in doc.sections)
    prs = Presentation(io.BytesIO(documents["pptx"]))
    for slide in prs.slides:
        assert any(sh.has_text_frame and sh.text_frame.text == SAMPLE_MARK for sh in slide.shapes)
    html = documents["html"].decode("utf-8")
    assert f'<div class="mark" role="note">{SAMPLE_MARK}</div>' in html  # on screen
    assert f'@top-center {{ content: "{SAMPLE_MARK}"' in html  # in the top margin of every printed page


def test_real_data_carries_no_sample_mark(cli_store, monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    real = build_pack(Store(cli_store), period=PERIOD, datasets=["victim"])
    assert not real.sample
    assert SAMPLE_MARK not in docx_text(render(real, "docx"))


def test_one_slide_per_section_a_chart_and_at_most_three_points(documents, pack):
    prs = Presentation(io.BytesIO(documents["pptx"]))
    slides = list(prs.slides)[1:]  # after the cover
    assert len(slides) == len(pack.sections)
    for slide, section in zip(slides, pack.sections, strict=True):
        bullets = [
            p.text
            for sh in slide.shapes
            if sh.has_text_frame
            for p in sh.text_frame.paragraphs
            if p.text.startswith("•")
        ]
        assert 1 <= len(bullets) <= MAX_POINTS, section.heading
        pictures = [sh for sh in slide.shapes if sh.shape_type == 13]
        assert len(pictures) == (1 if section.figure else 0), section.heading
        for pic in pictures:
            assert pic._element.nvPicPr.cNvPr.get("descr") == section.figure.alt_text


def test_charts_are_pngs_with_titles_naming_survey_and_period_and_alt_text(pack, documents):
    figures = [s.figure for s in pack.sections if s.figure]
    assert len(figures) >= 8
    for figure in figures:
        assert figure.png().startswith(b"\x89PNG")
        assert any(t in figure.title for t in ("survey", "Live Chat", "WMNow", "Victims' Code"))
        assert re.search(
            r"(January|February|March|April|May|June|July|August|September|October|November|December) \d{4}|Q\d",
            figure.title,
        )
        # a styled title (dark ink) carries its words in "text", in lines that fit a phone
        assert title_text(figure.chart.to_dict()["title"]) == figure.title
        assert figure.title in figure.alt_text and re.search(r"\d+\.\d%|[+-]\d+\.\d points", figure.alt_text)
    doc = Document(io.BytesIO(documents["docx"]))
    described = [
        el.get("descr")
        for el in doc.element.body.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")
    ]
    assert described == [f.alt_text for f in figures]
    parser = _HtmlText()
    parser.feed(documents["html"].decode("utf-8"))
    assert parser.alts == [f.alt_text for f in figures]
    assert documents["html"].count(b"data:image/png;base64,") == len(figures)
    assert b"<script" not in documents["html"] and b"http" not in documents["html"].split(b"<body")[1]


def test_structure_follows_the_source_paper(pack):
    keys = [s.key for s in pack.sections]
    assert keys == ["purpose", "victim", "victim_aspects", "victim_groups", "respondents", "caller_101", "live_chat",
                    "domestic_abuse", "public_confidence", "wmnow", "victims_code", "reach", "events",
                    "points"]  # fmt: skip
    points = next(s for s in pack.sections if s.key == "points").paragraphs
    assert not any(re.search(r"\b(should|recommend|must|need to)\b", p, re.IGNORECASE) for p in points)


def test_points_for_the_board_are_facts_from_report_and_themes(pack, cli_store):
    labels = {k: q.label for k, q in load_config().definitions["victim"].questions.items()}
    now = min(report(cli_store, "victim", PERIOD), key=lambda r: r["pct"])
    before = min(report(cli_store, "victim", now["previous_period"]), key=lambda r: r["pct"])
    verb = "remains" if before["aspect"] == now["aspect"] else "is"
    themes = json.loads(_cli("themes", "victim", "--period", PERIOD, "--format", "json", "--data-dir", str(cli_store)))
    top = max(themes["rows"], key=lambda r: r["comments"])
    first = next(s for s in pack.sections if s.key == "points").paragraphs[0]
    assert first.startswith(
        f"{labels[now['aspect']]} {verb} the lowest aspect of victim satisfaction in September 2019 "
        f"({now['pct']:.1f}%, base {now['base']:,}); the most common theme in victims' comments is "
        f"\u201c{top['theme']}\u201d ({top['share']:.1f}% of "
    )


def test_surveys_the_reader_may_not_view_are_left_out(empty_store):
    narrow = build_pack(empty_store, period=PERIOD, datasets=["victim", "live_chat"])
    stored = every_stored_word(render(narrow, "html"), "html")
    for title in ("Domestic abuse", "101 caller", "Public confidence", "WMNow"):
        assert title.lower() not in stored.lower(), title
    assert "Live Chat" in stored and "Victim satisfaction" in stored


def test_quarterly_survey_uses_the_quarter_containing_the_month(pack):
    section = next(s for s in pack.sections if s.key == "public_confidence")
    assert section.heading == "Public confidence (Jul-Sep 2019 (Q3))"


# --------------------------------------------------------------------------- command line


def test_pack_command_writes_the_paper_and_prints_its_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "store"
    assert cli.main(["pack", "--period", "2019-09", "--data-dir", str(store)]) == 0
    out, err = capsys.readouterr()
    written = tmp_path / "board-pack-2019-09.docx"
    assert out.strip() == str(written)
    assert "101 caller survey: no responses for September 2019; latest is June 2019." in err
    assert "Overall victim satisfaction in September 2019 was 49.4% (base 950" in docx_text(written.read_bytes())


def test_pack_command_in_a_subprocess_takes_the_format_from_the_file_name(tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO

    out = tmp_path / "paper.pptx"
    done = subprocess.run(
        [sys.executable, "-m", "insight", "pack", "--out", str(out), "--data-dir", str(tmp_path / "store")],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    prs = Presentation(str(out))
    assert "Public and victim satisfaction: board paper, September 2019" in pptx_text(out.read_bytes())
    assert len(prs.slides) > 5


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--period", "2019-13"], 2, "--period is a month: period '2019-13' is not a month; write it like 2019-09"),
        (["--period", "2019-Q3"], 2, "--period is a month"),
        (["--out", "paper.pptx", "--format", "html"], 2, "does not end in .html; name the file paper.html"),
        (["--out", "no/such/folder/paper.docx"], 1, "cannot write no/such/folder/paper.docx: no folder"),
    ],
)
def test_pack_command_bad_input_gets_one_clear_sentence(args, code, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["pack", *args, "--data-dir", str(tmp_path / "store")]) == code
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("*.docx")) and not list(tmp_path.glob("*.pptx"))


def test_wmnow_gaps_closing_only_when_a_z_test_on_the_raw_sign_ups_says_so(pack, empty_store):
    """Every sign-up in the first and last month (members since left included), counted by hand."""
    definition = load_config().definitions["wmnow"]
    frame = load_dataset(definition, empty_store).frame
    section = next(s for s in pack.sections if s.key == "wmnow")
    minority = [g for g in definition.dimensions["ethnicity"].groups if g != "White"]
    for who, dim, groups in (("16-24s", "age", ["16-24"]), ("ethnic minority groups", "ethnicity", minority)):
        counts = []
        for month in ("2018-10", PERIOD):
            stated = frame.filter((pl.col("period") == month) & (pl.col(dim).cast(pl.String) != "Not stated"))
            counts.append((int(stated.get_column(dim).cast(pl.String).is_in(groups).sum()), stated.height))
        p = proportions_ztest([counts[0][0], counts[1][0]], [counts[0][1], counts[1][1]])[1]
        said = next(x for x in section.paragraphs if x.startswith(f"The gap for {who} "))
        ends = said[said.index("First and last month:") :]  # the first month against the last, by its own test
        closer = counts[1][0] / counts[1][1] > counts[0][0] / counts[0][1]  # both below the census here
        assert f"p = {p:.3f}" in ends or (p < 0.001 and "p < 0.001" in ends), (p, ends)
        if p < 0.05:
            assert ("narrowing" if closer else "widening") in ends and "significant" in ends, ends
        else:
            assert "within the margin of error" in ends and "significant" not in ends, ends


def test_wmnow_with_no_sign_ups_in_the_12_months_says_so(empty_store):
    import dataclasses

    from insight.board import sections as board_sections

    definition = load_config().definitions["wmnow"]
    loaded = load_dataset(definition, empty_store)
    old = dataclasses.replace(loaded, frame=loaded.frame.filter(pl.col("period") < "2017-06"))
    section = board_sections._wmnow(board_sections.Survey(definition, old, PERIOD), load_config().census)
    assert section.paragraphs == [
        "Too few new members stated their age or ethnic group in the 12 months to September 2019."
    ]
    assert section.figure is None and section.points == section.paragraphs


def test_weighted_headline_matches_report_weighted(pack, cli_store):
    args = ["report", "victim", "--period", PERIOD, "--weighted", "--format", "json", "--data-dir", str(cli_store)]
    overall = next(r for r in json.loads(_cli(*args))["rows"] if r["aspect"] == "overall")
    said = next(x for x in next(s for s in pack.sections if s.key == "respondents").paragraphs if "Weighted" in x)
    assert said.startswith("Weighted to Census 2021 residents aged 16+ by age group, gender and neighbourhood")
    assert (
        f"would be {overall['weighted_pct']:.1f}% (effective base {overall['effective_base']:,.0f}; "
        f"95% CI {overall['weighted_ci_low']:.1f}–{overall['weighted_ci_high']:.1f}%), "
        f"against {overall['pct']:.1f}% unweighted (base {overall['base']:,})"
    ) in said


@pytest.mark.parametrize("fmt", ["docx", "pptx", "html"])
def test_reach_and_events_sections_in_every_format(fmt, pack, texts):
    """Survey reach in the paper's words (its 101 decline since March 2019, victims' response rate around 10%,
    Live Chat against 101 by the z-test) and the events listed, in each format."""
    reach = next(s for s in pack.sections if s.key == "reach")
    assert reach.heading == "Survey reach (September 2019)"
    text = texts[fmt]
    assert "Responses to the 101 caller survey have fallen significantly since March 2019" in text
    assert "The response rate to the Victim satisfaction survey remains at around 10%" in text
    # the events up to the pack's month, each with its month, in the table of "What happened when"
    for when, label in (("August 2018", "Live Chat launched"), ("September 2019", "BOB-E chatbot introduced"),
                        ("May 2019", "Last board update (SPCB)")):  # fmt: skip
        assert label in text and when in text
    if fmt != "pptx":  # a slide carries the section's three points; the document and page every sentence and table
        assert "was significantly lower than to the Live Chat feedback" in text  # 101 against Live Chat, z-test
        assert re.search(r"fallen significantly since March 2019 \(p [=<] 0\.\d+\)", text)  # the table's column


def test_a_group_that_differs_under_secondary_suppression_keeps_the_rest_unsaid_unless_it_is_the_other_group():
    """Domestic abuse (secondary suppression): compare keeps the rest's figures back. Against three groups the
    pack says the direction without them (worked out from the total); against two, the rest is the other
    group, whose figures are shown anyway."""
    from insight.board.sections import groups_differing
    from insight.board.wording import group_difference
    from tests.conftest import repeat, tidy

    da = load_config().definitions["domestic_abuse"]
    good, bad = "Completely satisfied", "Completely dissatisfied"

    def women_men(women: tuple[int, int], men: tuple[int, int], other: tuple[int, int] = (0, 0)) -> pl.DataFrame:
        rows = []
        for gender, (yes, no) in (("Female", women), ("Male", men), ("Non-binary or other", other)):
            row = {"period": "2019-09", "gender": gender}
            rows += repeat({**row, "overall": good}, yes) + repeat({**row, "overall": bad}, no)
        return tidy(da, rows)

    three = groups_differing(women_men((80, 20), (20, 40), (15, 15)), da, period="2019-09", by="gender",
                             aspect="overall")  # fmt: skip
    women = next(g for g in three if g.group == "Female")
    assert women.rest_pct is None and women.rest_base is None and women.higher  # 80% against 35/90 = 38.9%
    said = group_difference("Female", "Overall", "2019-09", women.row, None, None, women.p_holm, higher=True)
    assert "higher than the rest (its figure is not shown" in said and "38.9" not in said
    two = groups_differing(women_men((80, 20), (20, 40)), da, period="2019-09", by="gender", aspect="overall")
    men = next(g for g in two if g.group == "Male")
    assert (men.rest_pct, men.rest_base, men.higher) == (pytest.approx(80.0), 100, False)


def test_an_earlier_months_reach_section_says_nothing_of_later_months(empty_store):
    """A May 2019 pack, with data held to September: its reach paragraphs, table and rates compare months up to
    May only (the rates side by side and their test used to take the latest month held)."""
    may = build_pack(empty_store, period="2019-05")
    reach = next(s for s in may.sections if s.key == "reach")
    said = " ".join([*reach.paragraphs, *[" ".join(map(str, row)) for t in [reach.table] if t for row in t.rows]])
    assert "May 2019" in said
    for later in ("June 2019", "July 2019", "August 2019", "September 2019"):
        assert later not in said, later
