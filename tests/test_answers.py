"""The full answer distribution and % dissatisfied, against hand counts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from insight.config.definition import DefinitionError
from insight.config.loader import load_config
from insight.figures.answers import answer_distribution
from tests.conftest import repeat, tidy


def test_every_answer_in_scale_order_with_shares_of_all_answers_given(victim):
    counts = {"Completely satisfied": 10, "Fairly satisfied": 20, "Neither satisfied nor dissatisfied": 5,
              "Fairly dissatisfied": 8, "Completely dissatisfied": 7, "Don't know": 10}  # fmt: skip
    rows = [r for answer, n in counts.items() for r in repeat({"period": "2019-09", "feedback": answer}, n)]
    rows += repeat({"period": "2019-09", "feedback": None}, 4)  # blank: not an answer given
    result = answer_distribution(tidy(victim, rows), victim, aspect="feedback")
    scale = victim.questions["feedback"].scale
    assert [r["answer"] for r in result.rows] == list(scale.answers)
    given = 60  # every answer, Don't know included; blanks are not answers
    for r in result.rows:
        assert r["count"] == counts.get(r["answer"], 0)
        assert r["share"] == pytest.approx(counts.get(r["answer"], 0) / given * 100)
        assert r["in_base"] is (r["answer"] != "Don't know")
    (d,) = result.dissatisfied
    assert (d["base"], d["negative"]) == (50, 15) and d["pct"] == pytest.approx(30.0)  # 15 of the 50 in the base
    payload = result.to_json()
    assert list(payload) == ["dataset", "period", "aspect", "by", "rows", "dissatisfied"]
    assert list(payload["rows"][0]) == ["group", "answer", "count", "share", "in_base"]


def test_by_group_hides_a_suppressed_group(victim):
    strict = dataclasses.replace(victim, suppression=dataclasses.replace(victim.suppression, secondary=True))
    rows = repeat({"period": "2019-09", "age": "16-24", "overall": "Very satisfied"}, 30)
    rows += repeat({"period": "2019-09", "age": "25-34", "overall": "Very dissatisfied"}, 4)
    rows += repeat({"period": "2019-09", "age": "35-44", "overall": "Very dissatisfied"}, 12)
    result = answer_distribution(tidy(victim, rows), strict, aspect="overall", by="age")
    shown = {r["group"]: r for r in result.dissatisfied}
    assert shown["16-24"]["pct"] == 0.0
    # 25-34 is below the minimum base, and 35-44 is hidden so that it cannot be worked out from the total
    for group in ("25-34", "35-44"):
        assert shown[group]["pct"] is None and shown[group]["negative"] is None
        assert all(r["count"] is None and r["share"] is None for r in result.rows if r["group"] == group)


@pytest.mark.parametrize(
    ("negative", "message"),
    [
        ("negative: [Fairly satisfied, Very dissatisfied]", r"satisfied_7: answers both positive and negative"),
        ("negative: [Awful]", r"satisfied_7\.negative: 'Awful' is not on the scale"),
    ],
)
def test_negative_answers_are_checked(tmp_path: Path, negative: str, message: str):
    from tests.test_definition import copy_config

    config = copy_config(tmp_path)
    path = config / "scales.yaml"
    old = "negative: [Fairly dissatisfied, Very dissatisfied, Completely dissatisfied]"
    path.write_text(path.read_text().replace(old, negative, 1))
    with pytest.raises(DefinitionError, match=message):
        load_config(config)


def test_bundled_scales_name_their_negative_answers(victim):
    assert victim.questions["overall"].scale.negative == (
        "Fairly dissatisfied",
        "Very dissatisfied",
        "Completely dissatisfied",
    )


def test_cli_answers(sample_store):
    from tests.test_cli import run

    out = run("answers", "domestic_abuse", "--aspect", "children", "--period", "2019-07..2019-09", "--format", "json",
              data_dir=sample_store)  # fmt: skip
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["period"] == "2019-07..2019-09"
    not_applicable = [r for r in payload["rows"] if r["answer"].startswith("Not applicable")]
    assert not_applicable and not_applicable[0]["in_base"] is False
    given = sum(r["count"] for r in payload["rows"])
    assert all(r["share"] == round(r["count"] / given * 100, 1) for r in payload["rows"])
    assert run("answers", "victim", data_dir=sample_store).returncode == 2  # --aspect is required
