"""Since the last board: every aspect now against a comparison month, z-tested (statsmodels as the oracle)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from statsmodels.stats.proportion import proportions_ztest

from insight import cli
from insight.board.pack import build_pack, render
from insight.figures.since import changes_since, survey_period
from insight.store import Store
from tests.conftest import repeat, tidy
from tests.test_boardpack import TEXT

SAT, DIS = "Very satisfied", "Very dissatisfied"


def month(period: str, overall: tuple[int, int], actions: tuple[int, int]) -> list[dict]:
    """``overall``/``actions``: (satisfied, dissatisfied) answers in the month."""
    rows = []
    for aspect, (yes, no) in (("overall", overall), ("actions", actions)):
        rows += repeat({"period": period, aspect: SAT}, yes) + repeat({"period": period, aspect: DIS}, no)
    return rows


def test_changes_since_a_month_match_a_z_test_and_hide_small_bases(victim):
    frame = tidy(victim, month("2019-05", (40, 60), (4, 4)) + month("2019-09", (60, 40), (30, 30)))
    changes = {c.aspect: c for c in changes_since(frame, victim, period="2019-09", since="2019-05")}
    overall = changes["overall"]
    _, p = proportions_ztest([60, 40], [100, 100])  # the oracle: pooled two-proportion z-test
    assert (overall.since_pct, overall.pct, overall.diff_pp) == (40.0, 60.0, 20.0)
    assert overall.p_value == pytest.approx(p) and overall.significant  # by hand: z = 2.83, p = 0.0047
    actions = changes["actions"]  # 8 answered in May: below the minimum base of 10, never shown or compared
    assert actions.since_pct is None and actions.p_value is None and actions.diff_pp is None
    assert actions.pct == 50.0 and not actions.significant
    assert changes["initial_contact"].pct is None and changes["initial_contact"].p_value is None  # nobody answered


def test_a_quarterly_survey_compares_the_quarter_holding_the_month(definitions):
    public_confidence = definitions["public_confidence"]
    assert survey_period(public_confidence, "2019-05") == "2019-Q2"
    with pytest.raises(ValueError, match="not a month"):
        survey_period(public_confidence, "2019-Q2")


@pytest.fixture(scope="module")
def since_pack(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("since-empty"))  # the bundled samples
    return build_pack(store, period="2019-09", since="2019-05", datasets=["victim", "public_confidence"])


def test_the_pack_says_what_changed_since_the_last_board_in_every_format(since_pack, sample_store):
    section = since_pack.sections[1]
    assert section.key == "since" and section.heading == "Since the last board (May 2019)"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        args = ["changes", "victim", "--since", "2019-05", "--period", "2019-09", "--format", "json"]
        assert cli.main([*args, "--data-dir", str(sample_store)]) == 0
    overall = next(r for r in json.loads(out.getvalue())["rows"] if r["aspect"] == "overall")
    _, p = proportions_ztest(
        [round(overall["pct"] * overall["base"] / 100), round(overall["since_pct"] * overall["since_base"] / 100)],
        [overall["base"], overall["since_base"]],
    )
    assert overall["p_value"] == pytest.approx(p, rel=1e-3)
    said = next(p for p in section.paragraphs if p.startswith("Victim satisfaction survey: whole experience"))
    assert ("was stable at" in said) == (not overall["significant"]) and f"(p = {overall['p_value']:.3f})" in said
    for fmt in ("docx", "pptx", "html"):
        text = TEXT[fmt](render(since_pack, fmt))
        assert "Since the last board (May 2019)" in text and "changed significantly" in text, fmt
        if fmt != "pptx":  # the slide carries the points; the document and page every sentence and the table
            assert said in text and f"{overall['pct']:.1f}% (base {overall['base']:,})" in said, fmt
            assert f"against {overall['since_pct']:.1f}% in May 2019 (base {overall['since_base']:,})" in said
            assert "Public confidence surveys (Public Voice): overall confidence in Jul-Sep 2019 (Q3)" in text
            assert "in Apr-Jun 2019 (Q2)" in text  # the quarter holding May


def test_changes_needs_a_month():
    with contextlib.redirect_stderr(io.StringIO()) as err:
        assert cli.main(["changes", "victim", "--since", "May"]) == 2
    assert "--since is a month, e.g. 2019-05" in err.getvalue()
