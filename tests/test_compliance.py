"""Victims' Code compliance (issue 23, items 1 and 2): the dip sample as a dataset, its derived "all of these"
measure, the sample target, the entitlement most often missed, and victims' satisfaction where the victim survey
shares a case. Figures are checked against the raw rows counted by hand here and against statsmodels/scipy."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from pathlib import Path

import polars as pl
import pytest
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from insight import cli
from insight.config.files import ConfigError
from insight.config.layout import with_derived
from insight.config.loader import load_config
from insight.datasets import sample_paths
from insight.figures.compliance import matched, mcnemar_exact, sample_check
from insight.figures.metrics import satisfaction
from insight.intake.reading import read_export
from insight.intake.tidy import ingest_bytes, recognise
from insight.store import Store
from tests.conftest import copy_config, tidy

PERIOD = "2019-Q3"
ENTITLEMENTS = [
    "needs_assessment", "acknowledgement", "referral", "decisions", "arrest_charge_bail", "personal_statement",
    "kept_informed",
]  # fmt: skip


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(list(args)) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def code(definitions):
    return definitions["victims_code"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The dip sample and the victim survey samples imported through the CLI, like real uploads."""
    folder = tmp_path_factory.mktemp("code-store")
    for dataset in ("victims_code", "victim"):
        _cli("ingest", dataset, *[str(p) for p in sample_paths(dataset)], "--data-dir", str(folder))
    return folder


@pytest.fixture(scope="module")
def report(store) -> dict:
    return json.loads(_cli("report", "victims_code", "--period", PERIOD, "--format", "json", "--data-dir", str(store)))


def raw_rows(paths: list[Path]) -> list[dict]:
    """Every data row of the sample exports as written: names in lower case, cells with their spaces closed up
    (the sample writes labels messily: "Not  needed", "YES")."""
    rows = []
    for path in paths:
        frame = read_export(path, path.name).frame.drop("__row")
        names = {c: c.strip().lower() for c in frame.columns}
        rows += [{names[k]: " ".join((v or "").split()) for k, v in r.items()} for r in frame.iter_rows(named=True)]
    return rows


def quarter(date: str) -> str:
    _day, month, year = date.split("/")
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


@pytest.fixture(scope="module")
def q3_rows() -> list[dict]:
    rows = raw_rows(sample_paths("victims_code"))
    return [r for r in rows if quarter(r["review date"]) == PERIOD]


# --------------------------------------------------------------------------- the dataset


def test_the_dip_sample_is_recognised_and_keeps_no_reference_reviewer_or_number(exports, definitions, code):
    data = (exports / "victims_code_dip_sample_example.csv").read_bytes()
    raw = read_export(data, "dip.csv")
    assert recognise(raw.columns, definitions)[0][0] == "victims_code"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    rows[1][16] = "Spoke to Mrs Jones on 07700 900461 about 20/118204/19."
    result = ingest_bytes("\n".join(",".join(f'"{c}"' for c in r) for r in rows).encode(), "dip.csv", code)
    assert result.frame.height == 40 and result.rejected.height == 0
    stored = result.frame.write_csv()
    for r in rows[1:]:
        assert r[0] not in stored and r[0].lower() not in stored, "the crime reference is kept only as a pseudonym"
        assert r[2] not in stored, "the reviewer's name is never kept"
    assert "Reviewer" not in result.frame.columns and "all_met" not in result.frame.columns  # derived: never stored
    assert "07700" not in stored and "118204" not in stored
    assert result.frame.get_column("id").str.len_chars().min() >= 32


def test_the_example_counts_by_hand(exports, code):
    """% met over the cases each entitlement applied to; every applicable one met, counted from the raw file."""
    data = (exports / "victims_code_dip_sample_example.csv").read_bytes()
    frame = with_derived(ingest_bytes(data, "dip.csv", code).frame, code)
    result = {r["aspect"]: r for r in satisfaction(frame, code).iter_rows(named=True)}
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    columns = [code.questions[e].column for e in ENTITLEMENTS]
    for key, column in zip(ENTITLEMENTS, columns, strict=True):
        applied = [r[column] for r in rows if r[column] in ("Yes", "No")]
        assert (result[key]["base"], result[key]["positive"]) == (len(applied), applied.count("Yes")), key
    every = [all(r[c] != "No" for c in columns) for r in rows if any(r[c] in ("Yes", "No") for c in columns)]
    assert (result["all_met"]["base"], result["all_met"]["positive"]) == (len(every), sum(every))
    needed = [r["Service Recovery"] for r in rows if r["Service Recovery"] in ("Open", "Completed")]
    assert (result["recovery_completed"]["base"], result["recovery_completed"]["positive"]) == (
        len(needed), needed.count("Completed"),
    )  # fmt: skip


def test_every_applicable_entitlement_met_per_case(code):
    """Yes when every part that applied was met; No when any was missed; out of the base when none applied, or
    one is blank and none missed (nobody can say all were met)."""
    na, yes, no = "Not applicable", "Yes", "No"
    cases = {
        "all met": ({e: yes for e in ENTITLEMENTS}, "Yes"),
        "one missed": ({**{e: yes for e in ENTITLEMENTS}, "referral": no}, "No"),
        "met where applied": ({**{e: na for e in ENTITLEMENTS}, "acknowledgement": yes}, "Yes"),
        "nothing applied": ({e: na for e in ENTITLEMENTS}, None),
        "one blank, rest met": ({**{e: yes for e in ENTITLEMENTS}, "kept_informed": None}, None),
        "one blank, one missed": ({**{e: yes for e in ENTITLEMENTS}, "kept_informed": None, "decisions": no}, "No"),
    }
    frame = tidy(code, [{"period": PERIOD, **answers} for answers, _ in cases.values()])
    got = with_derived(frame, code).get_column("all_met").cast(pl.String).to_list()
    assert dict(zip(cases, got, strict=True)) == {name: want for name, (_, want) in cases.items()}


# --------------------------------------------------------------------------- report: each entitlement as an aspect


def test_report_lists_each_entitlement_and_the_measures_with_the_fields_of_any_survey(report, q3_rows, code):
    rows = {r["aspect"]: r for r in report["rows"]}
    assert list(rows) == [*ENTITLEMENTS, "good_service", "recovery_completed", "all_met"]
    fields = ["aspect", "group", "base", "positive", "pct", "ci_low", "ci_high", "status", "previous_period",
              "change_pp", "p_value", "significant"]  # fmt: skip
    assert all(list(r) == fields for r in rows.values())
    for key in ENTITLEMENTS:  # by hand from the raw file: Not applicable (and blank) out of the base
        answers = [r[code.questions[key].column.lower()].capitalize() for r in q3_rows]
        base, met = answers.count("Yes") + answers.count("No"), answers.count("Yes")
        assert (rows[key]["base"], rows[key]["positive"]) == (base, met), key
        low, high = proportion_confint(met, base, alpha=0.05, method="wilson")
        assert (rows[key]["ci_low"], rows[key]["ci_high"]) == (round(low * 100, 1), round(high * 100, 1))
    # the paper's quarter: 240 cases, 156 with every applicable entitlement met; 60 needed a service recovery
    assert (rows["all_met"]["base"], rows["all_met"]["positive"], rows["all_met"]["pct"]) == (240, 156, 65.0)
    assert (rows["good_service"]["base"], rows["good_service"]["positive"]) == (240, 180)
    assert (rows["recovery_completed"]["base"], rows["recovery_completed"]["positive"]) == (60, 48)


def test_change_on_the_previous_quarter_matches_statsmodels(report, store):
    before = json.loads(
        _cli("report", "victims_code", "--period", "2019-Q2", "--format", "json", "--data-dir", str(store))
    )
    then = {r["aspect"]: r for r in before["rows"]}
    for r in report["rows"]:
        old = then[r["aspect"]]
        assert r["previous_period"] == "2019-Q2"
        _, p = proportions_ztest([r["positive"], old["positive"]], [r["base"], old["base"]])
        assert r["p_value"] == pytest.approx(p, abs=1e-4), r["aspect"]
        assert r["change_pp"] == pytest.approx(r["positive"] / r["base"] * 100 - old["pct"], abs=0.11)


def test_the_sample_target_and_its_margin_of_error(report, store, code):
    assert report["sample"] == {
        "period": PERIOD, "responses": 240, "target": 240, "reached": True,
        "margin_of_error_pp": round(1.96 * math.sqrt(0.25 / 240) * 100, 1), "target_margin_of_error_pp": 6.3,
    }  # fmt: skip
    short = json.loads(
        _cli("report", "victims_code", "--period", "2019-Q1", "--format", "json", "--data-dir", str(store))
    )["sample"]
    assert (short["responses"], short["reached"], short["margin_of_error_pp"]) == (226, False, 6.5)
    frame = Store(store).read(code)
    year = sample_check(frame, code, "2018-Q4..2019-Q3")
    assert year is not None and (year.responses, year.target, year.reached) == (946, 960, False)
    from insight.display.views import sample_by_period

    upto = sample_by_period(frame, code, up_to="2019-Q1..2019-Q3").get_column("period").to_list()
    assert upto == ["2018-Q3", "2018-Q4", "2019-Q1", "2019-Q2", "2019-Q3"], "a range's table runs to its last quarter"


def test_the_entitlement_most_often_missed_is_named_and_tested_against_scipy(report, q3_rows, code):
    missed = report["most_missed"]
    shares = {}
    for key in ENTITLEMENTS:
        answers = [r[code.questions[key].column.lower()].capitalize() for r in q3_rows]
        shares[key] = answers.count("Yes") / (answers.count("Yes") + answers.count("No"))
    lowest, following = sorted(shares, key=shares.get)[:2]  # type: ignore[arg-type]
    assert (missed["aspect"], missed["next_aspect"]) == (lowest, following) == ("referral", "personal_statement")
    pairs = [
        (
            r[code.questions[lowest].column.lower()].capitalize(),
            r[code.questions[following].column.lower()].capitalize(),
        )
        for r in q3_rows
    ]
    both = [(a, b) for a, b in pairs if a in ("Yes", "No") and b in ("Yes", "No")]
    only_first = sum(1 for a, b in both if a == "Yes" and b == "No")
    only_second = sum(1 for a, b in both if a == "No" and b == "Yes")
    assert missed["both_applied"] == len(both)
    oracle = binomtest(only_first, only_first + only_second, 0.5).pvalue
    assert missed["p_value"] == pytest.approx(oracle, rel=1e-9)
    assert mcnemar_exact(3, 15) == pytest.approx(binomtest(3, 18, 0.5).pvalue, rel=1e-12)
    assert mcnemar_exact(0, 0) is None


def test_by_group_with_the_usual_suppression(store, code):
    for by in ("department", "npu", "offence", "enhanced"):
        out = json.loads(
            _cli("report", "victims_code", "--period", PERIOD, "--by", by, "--format", "json", "--data-dir", str(store))
        )
        groups = [r for r in out["rows"] if r["aspect"] == "all_met"]
        assert sum(r["base"] for r in groups) == 240, by
        for aspect in {r["aspect"] for r in out["rows"]}:
            rows = [r for r in out["rows"] if r["aspect"] == aspect and r["base"] > 0]
            for r in rows:  # a small group never shows a figure
                if r["base"] < code.suppression.min_base:
                    assert r["status"] == "suppressed" and r["pct"] is None, (by, r)
            # and none can be worked out from the total less the groups shown (secondary suppression):
            # hidden groups are none, or several that together hold at least the minimum base
            hidden = [r["base"] for r in rows if r["status"] == "suppressed"]
            assert not hidden or (len(hidden) > 1 and sum(hidden) >= code.suppression.min_base), (by, aspect, rows)
    enhanced = {r["group"]: r for r in out["rows"] if r["aspect"] == "all_met"}
    # the paper: "a high level of support in the most serious and complex cases" (51/60 against 105/180)
    assert (enhanced["Yes"]["positive"], enhanced["Yes"]["base"]) == (51, 60)
    assert (enhanced["No"]["positive"], enhanced["No"]["base"]) == (105, 180)
    assert any(r["status"] == "suppressed" for r in json.loads(
        _cli("report", "victims_code", "--period", PERIOD, "--by", "department", "--format", "json",
             "--data-dir", str(store))
    )["rows"])  # fmt: skip


# --------------------------------------------------------------------------- matched with the victim survey


def test_shared_cases_match_by_the_pseudonym_as_the_raw_references_do(store, definitions, code):
    """The overlap counted from the raw files (references compared in capitals: the dip sample writes some in
    lower case) equals the one matched by pseudonym in the store, where neither reference is held."""
    victims = raw_rows(sample_paths("victim"))
    refs = {r["crime reference"].upper() for r in victims}
    dip = raw_rows(sample_paths("victims_code"))
    year = {"2018-Q4", "2019-Q1", "2019-Q2", "2019-Q3"}
    shared = [r for r in dip if quarter(r["review date"]) in year and r["crime reference"].upper() in refs]
    held = Store(store)
    found = matched(held.read(code), code, held.read(definitions["victim"]), definitions["victim"])
    assert found.matched == len(shared) > 0
    assert found.period == "2018-Q4..2019-Q3" and found.cases == 946
    assert found.matched / found.cases < 0.1, "few cases overlap: said plainly on the page and in the pack"


def _pair(code, victim, met_yes: int, met_no: int, missed_yes: int, missed_no: int):
    """Cases and responses sharing a pseudonymised reference: met/missed cases with satisfied/not victims."""
    cases, answers = [], []
    plan = [("Yes", True)] * met_yes + [("Yes", False)] * met_no + [("No", True)] * missed_yes
    plan += [("No", False)] * missed_no
    for i, (referral, satisfied) in enumerate(plan):
        cases.append({"id": f"case{i}", "period": PERIOD, **{e: "Yes" for e in ENTITLEMENTS}, "referral": referral})
        answers.append({"id": f"resp{i}", "period": "2019-08", "crime_reference": f"case{i}",
                        "overall": "Very satisfied" if satisfied else "Very dissatisfied"})  # fmt: skip
    cases.append({"id": "unmatched", "period": PERIOD, **{e: "No" for e in ENTITLEMENTS}})
    return with_derived(tidy(code, cases), code), tidy(victim, answers)


def test_satisfaction_met_against_missed_matches_statsmodels(code, victim):
    cases, answers = _pair(code, victim, 20, 5, 6, 9)
    found = matched(cases, code, answers, victim, period=PERIOD)
    assert (found.cases, found.matched) == (41, 40)
    row = found.row("all_met")
    assert row is not None
    assert (row.met.base, row.met.positive, row.missed.base, row.missed.positive) == (25, 20, 15, 6)
    assert (row.met.pct, row.missed.pct) == (80.0, 40.0)
    _, p = proportions_ztest([20, 6], [25, 15])
    assert row.p_value == pytest.approx(p, rel=1e-9) and row.significant
    low, high = proportion_confint(6, 15, method="wilson")
    assert (row.missed.ci_low, row.missed.ci_high) == pytest.approx((low * 100, high * 100))


def test_a_small_group_hides_both_figures_of_its_row(code, victim):
    cases, answers = _pair(code, victim, 20, 5, 6, 3)  # 9 missed: below the minimum base of 10
    row = matched(cases, code, answers, victim, period=PERIOD).row("all_met")
    assert row is not None and row.p_value is None
    assert (row.met.pct, row.met.positive, row.missed.pct, row.missed.positive) == (None, None, None, None)
    assert row.met.status == row.missed.status == "suppressed"
    payload = json.dumps(matched(cases, code, answers, victim, period=PERIOD).to_json())
    assert "80.0" not in payload and "66.7" not in payload


def test_matched_cli_and_its_mistakes(store):
    out = json.loads(_cli("matched", "victims_code", "--format", "json", "--data-dir", str(store)))
    assert (out["survey_dataset"], out["aspect"], out["measure"]) == ("victim", "overall", "all_met")
    assert out["matched"] == sum(p["matched"] for p in out["by_period"])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = cli.main(["matched", "victim", "--data-dir", str(store)])
    assert rc != 0 and "victim has no derived measure" in err.getvalue()


# --------------------------------------------------------------------------- the generic keys


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("kept_informed]", "nonsense]", "derived.all_met.all_of: 'nonsense' is not one of the questions"),
        (
            "all_of: [needs_assessment, acknowledgement,",
            "all_of: [needs_assessment, needs_assessment,",
            "derived.all_met.all_of: label 'needs_assessment' is listed twice",
        ),
        ("sample_target: 240", "sample_target: 0", "sample_target: expected a whole number 1 or more, got 0"),
        ("derived:\n  all_met:", "derived:\n  good_service:", "'good_service' is also a question"),
        ("    label: Every applicable entitlement met", "    label: x\n    any_of: [a]", "any_of"),
    ],
)
def test_the_new_keys_mistakes_are_named(tmp_path, old, new, said):
    folder = copy_config(tmp_path)
    path = folder / "surveys" / "victims_code.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert said in str(caught.value)


def test_any_survey_may_use_the_keys(tmp_path):
    """A derived measure and a sample target on another survey: the victim survey's aspects all positive."""
    folder = copy_config(tmp_path)
    path = folder / "surveys" / "victim.yaml"
    path.write_text(
        path.read_text() + "\nsample_target: 500\nderived:\n  all_good:\n    all_of: [initial_contact, treatment]\n"
    )
    d = load_config(folder).definitions["victim"]
    assert d.sample_target == 500 and d.derived["all_good"].all_of == ("initial_contact", "treatment")
    assert "all_good" in d.aspects and "all_good" not in d.asked
