from __future__ import annotations

import json

import polars as pl
import pytest

from insight.config.definition import DefinitionError
from insight.config.layout import empty_frame
from insight.config.loader import load_config
from insight.figures.comments import comments, theme_counts
from tests.conftest import copy_config
from tests.test_cli import run

COMMENTS = [
    ("I waited 40 minutes for an agent", "Excellent"),
    ("The bot did not understand me", "Poor"),
    ("BOB-E didn't understand my question and I waited ages", "Very poor"),
    ("Nobody called me back", "Average"),
    ("Lovely, quick and easy", "Good"),
    ("Email me on someone@example.org or 07700 900123", "Good"),
    ("", "Excellent"),
    (None, "Good"),
]


@pytest.fixture()
def chats(definitions) -> pl.DataFrame:
    definition = definitions["live_chat"]
    template = empty_frame(definition)
    frame = pl.DataFrame(
        {
            "id": [f"LC{i}" for i in range(len(COMMENTS))],
            "period": ["2019-09"] * len(COMMENTS),
            "handled_by": ["Agent"] * len(COMMENTS),
            "needs_met": [a for _, a in COMMENTS],
            "comments": [c or None for c, _ in COMMENTS],
        }
    )
    return (
        frame.with_columns(
            [pl.lit(None).cast(t).alias(c) for c, t in template.schema.items() if c not in frame.columns]
        )
        .select(template.columns)
        .cast(template.schema)
    )


def test_themes_counted_on_known_comments(chats, definitions):
    counts = {
        r["key"]: r for r in theme_counts(chats, definitions["live_chat"], load_config().themes).iter_rows(named=True)
    }
    # 6 comments (blank and missing ones are not comments)
    assert counts["waiting"]["comments"] == 3  # waited, waited ages, quick
    assert counts["waiting"]["share"] == pytest.approx(50.0)
    assert counts["chatbot"]["comments"] == 2
    assert counts["keeps_informed"]["comments"] == 1
    assert counts["clear_end"]["comments"] == 0
    # satisfaction with and without a theme: below the minimum base no share is given
    assert counts["waiting"]["base_with"] == 3 and counts["waiting"]["positive_with"] is None
    assert counts["waiting"]["status_with"] == "suppressed"


def test_theme_relation_to_satisfaction_by_hand(definitions):
    import dataclasses

    definition = definitions["live_chat"]
    loose = dataclasses.replace(definition, suppression=dataclasses.replace(definition.suppression, min_base=1))
    template = empty_frame(definition)
    spec = [("waited too long", "Poor")] * 3 + [("waited but fine", "Good")] + [("great", "Excellent")] * 4
    frame = pl.DataFrame(
        {
            "id": [str(i) for i in range(len(spec))],
            "period": ["2019-09"] * len(spec),
            "needs_met": [a for _, a in spec],
            "comments": [c for c, _ in spec],
        }
    )
    frame = (
        frame.with_columns(
            [pl.lit(None).cast(t).alias(c) for c, t in template.schema.items() if c not in frame.columns]
        )
        .select(template.columns)
        .cast(template.schema)
    )
    row = theme_counts(frame, loose, load_config().themes).filter(pl.col("key") == "waiting").row(0, named=True)
    assert (row["base_with"], row["positive_with"]) == (4, 25.0)
    assert (row["base_without"], row["positive_without"]) == (4, 100.0)


def test_comments_are_masked(chats, definitions):
    listed = comments(chats, definitions["live_chat"], load_config().themes)
    text = "\n".join(listed.get_column("comment").to_list())
    assert "someone@example.org" not in text and "07700 900123" not in text
    assert "Email me on [email] or [phone]" in text


def test_a_bad_pattern_is_reported(tmp_path):
    config = copy_config(tmp_path)
    path = config / "themes.yaml"
    path.write_text("broken:\n  name: Broken\n  patterns: ['(unclosed']\n")
    with pytest.raises(DefinitionError, match=r"themes\.yaml: broken\.patterns"):
        load_config(config)


def test_themes_cli(tmp_path, exports):
    assert run("ingest", "live_chat", str(exports / "live_chat_example.csv"), data_dir=tmp_path).returncode == 0
    out = run("themes", "live_chat", "--format", "json", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    rows = {r["theme"]: r for r in payload["rows"]}
    assert all(list(r) == ["theme", "comments", "share", "complaint", "praise", "neutral"] for r in payload["rows"])
    import csv

    with (exports / "live_chat_example.csv").open(encoding="utf-8") as fh:
        texts = [r["Q4 Is there anything else you would like to tell us?"] for r in csv.DictReader(fh)]
    said = [t for t in texts if t]
    bot = sum("did not understand" in t for t in said)
    assert rows["The chatbot did not understand"]["comments"] == bot
    assert rows["The chatbot did not understand"]["share"] == round(bot / len(said) * 100, 1)
    no_text = run("themes", "domestic_abuse", data_dir=tmp_path)
    assert no_text.returncode == 2


@pytest.mark.parametrize(
    ("comment", "theme", "tone"),
    [
        ("Nobody called me back.", "keeps_informed", "complaint"),  # negative phrasing wins over "called me back"
        ("No one ever called me back", "keeps_informed", "complaint"),
        ("Kept me informed throughout, thank you.", "keeps_informed", "praise"),
        ("Still waiting for an update after 5 weeks.", "keeps_informed", "complaint"),
        ("He called me back.", "keeps_informed", "neutral"),
        ("Officer was kind and showed they cared.", "shows_we_care", "praise"),
        ("Nobody seemed to care", "shows_we_care", "complaint"),
        ("I was never told what happens next.", "explains_next", "complaint"),
        ("Quick and easy.", "waiting", "praise"),
        ("The bot did not understand me.", "chatbot", "complaint"),
    ],
)
def test_theme_tone(comment, theme, tone):
    themes = {t.key: t for t in load_config().themes}
    got = pl.select(themes[theme].tone_expr(pl.lit(comment))).item()
    assert got == tone


def test_tone_counts_by_hand(victim):
    from tests.conftest import tidy

    said = ["Nobody called me back.", "Nobody called me back.", "Kept me informed throughout, thank you.",
            "He called me back.", "Waited a long time on 101."]  # fmt: skip
    frame = tidy(victim, [{"period": "2019-09", "comments": c} for c in said])
    counts = {r["key"]: r for r in theme_counts(frame, victim, load_config().themes).iter_rows(named=True)}
    informed = counts["keeps_informed"]
    assert (informed["comments"], informed["complaint"], informed["praise"], informed["neutral"]) == (4, 2, 1, 1)
    assert (counts["waiting"]["complaint"], counts["waiting"]["praise"]) == (1, 0)


def test_a_bad_tone_is_named(tmp_path):
    config = copy_config(tmp_path)
    path = config / "themes.yaml"
    path.write_text("t:\n  name: T\n  patterns: [x]\n  tone: angry\n")
    with pytest.raises(DefinitionError, match=r"t\.tone: 'angry' is not one of"):
        load_config(config)
    path.write_text("t:\n  name: T\n  patterns: [x]\n  complaint: ['(']\n")
    with pytest.raises(DefinitionError, match=r"t\.complaint\[0\]: '\(' is not a valid pattern"):
        load_config(config)
