"""The Victims' Code compliance page and its Overview tile through AppTest, on the bundled sample (the figures
counted here from the sample's raw rows, not by the app)."""

from __future__ import annotations

import math

import pytest

from insight.datasets import sample_paths
from tests.test_app import app, table_with, texts
from tests.test_compliance import quarter, raw_rows

PAGE = "app_pages/compliance.py"


@pytest.fixture(autouse=True)
def fresh_store(data_dir):
    return data_dir


@pytest.fixture(scope="module")
def dip() -> list[dict]:
    return raw_rows(sample_paths("victims_code"))


def test_the_page_opens_on_the_latest_quarter_with_each_view(dip):
    at = app(PAGE)
    assert not at.exception, at.exception
    body = texts(at)
    q3 = [r for r in dip if quarter(r["review date"]) == "2019-Q3"]
    margin = 1.96 * math.sqrt(0.25 / len(q3)) * 100
    assert f"{len(q3)} cases reviewed in Jul-Sep 2019 (Q3), reaching the target of 240" in body
    assert f"within ±{margin:.1f} points" in body
    referral = [r["referred to victim services within 2 working days"].capitalize() for r in q3]
    met, base = referral.count("Yes"), referral.count("Yes") + referral.count("No")
    assert (
        "Referral to victim services (2 working days) was the entitlement most often missed in Jul-Sep 2019 (Q3): "
        f"met in {met / base * 100:.1f}% (base {base})"
    ) in body
    needed = [r["service recovery"].capitalize() for r in q3 if r["service recovery"].lower() != "not needed"]
    assert f"{len(needed)} cases needed a service recovery in Jul-Sep 2019 (Q3): {needed.count('Completed')} " in body
    headers = [h.value for h in at.header]
    assert headers[:2] == [
        "Each entitlement, Jul-Sep 2019 (Q3)",
        "Good service and service recovery, Jul-Sep 2019 (Q3)",
    ]
    assert "Victims' satisfaction where the survey shares a case" in headers
    assert "Every applicable entitlement met by enhanced entitlements, Jul-Sep 2019 (Q3)" in headers


def test_the_overlap_with_the_victim_survey_is_said_plainly(dip):
    victims = {r["crime reference"].upper() for r in raw_rows(sample_paths("victim"))}
    year = [r for r in dip if quarter(r["review date"]) in {"2018-Q4", "2019-Q1", "2019-Q2", "2019-Q3"}]
    shared = [r for r in year if r["crime reference"].upper() in victims]
    at = app(PAGE, view="survey")
    assert not at.exception, at.exception
    assert at.header[0].value == "Victims' satisfaction where the survey shares a case"
    share = len(shared) / len(year) * 100
    assert (
        f"Of the {len(year)} cases reviewed in Oct-Dec 2018 (Q4) – Jul-Sep 2019 (Q3), {len(shared)} ({share:.1f}%) "
        "were victims who also answered"
    ) in texts(at)
    assert "So few cannot stand for every case reviewed" in texts(at)
    table = table_with(at, "Reviewed")
    hidden = table[table["Note"] != ""]
    assert len(hidden) > 0 and ((hidden["Base (no)"] < 10) | (hidden["Base (yes)"] < 10)).all()
    assert hidden.iloc[:, 1].isna().all() and hidden.iloc[:, 3].isna().all(), "a small group shows no figure"


def test_matched_answers_are_every_cases_whatever_the_filters(dip):
    """A filtered matched figure set against the whole one would give away a handful of victims' answers: the
    matched view keeps to every case reviewed, and says the filters do not apply there."""
    whole = app(PAGE, view="survey")
    filtered = app(PAGE, view="survey", department="Response")
    assert not filtered.exception, filtered.exception
    assert "the filters do not apply to victims' matched answers" in texts(filtered)
    assert "the filters do not apply" not in texts(whole)
    assert table_with(filtered, "Reviewed").equals(table_with(whole, "Reviewed"))


def test_a_filter_and_a_breakdown_act_on_the_page(dip):
    at = app(PAGE, enhanced="Yes", by="department")
    assert not at.exception, at.exception
    q3 = [r for r in dip if quarter(r["review date"]) == "2019-Q3" and r["enhanced entitlements"].lower() == "yes"]
    entitlements = next(d.value for d in at.dataframe if "Needs assessment" in list(d.value.iloc[:, 0]))
    every = entitlements[entitlements["Aspect"] == "Every applicable entitlement met"].iloc[0]
    assert every["Base"] == len(q3) == 60 and every["% positive"] == 85.0  # the paper's serious, complex cases
    assert "Filtered to Enhanced entitlements: Yes" in texts(at)
    departments = table_with(at, "Department")
    small = departments[departments["Base"] < 10]
    assert len(small) > 0 and small["% positive"].isna().all()


def test_a_quarter_short_of_its_target_says_so():
    at = app(PAGE, period="2019-Q1")
    assert not at.exception, at.exception
    warning = next(w.value for w in at.warning if "short of the target" in w.value)
    assert "226 cases reviewed in Jan-Mar 2019 (Q1), 14 short of the target of 240" in warning
    assert "against ±6.3 at the target" in warning


def test_the_overview_has_a_compliance_tile_linking_to_the_page():
    at = app("app_pages/overview.py")
    assert not at.exception, at.exception
    body = texts(at)
    assert "**Every applicable entitlement met**, Jul-Sep 2019 (Q3)" in body
    assert "Most often missed: referral to victim services (2 working days), met in 74.1% (base 216)." in body
    links = [e for e in at.get("page_link") if "compliance" in str(e.proto.page)]
    assert links, "the tile links to the compliance page"


def test_presenter_mode_shows_one_view_a_screen_the_one_the_link_names():
    at = app(PAGE, present="1", view="service")
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == ["Good service and service recovery, Jul-Sep 2019 (Q3)"]
    assert len(at.get("download_button")) == 0


def test_someone_who_may_not_view_the_dip_sample_sees_no_figure_of_it():
    from tests.test_app_access import ANALYST, DENIED, figures, tiles
    from tests.test_app_access import app as signed_in_app

    at = signed_in_app(ANALYST, PAGE, dataset="victims_code")
    assert DENIED in [e.value for e in at.error] and figures(at) == 0
    assert "Victims' Code compliance" not in tiles(signed_in_app(ANALYST))
