"""WMNow sign-up sources: sign-ups per source and each source's diversity, against hand-computed figures."""

from __future__ import annotations

import pytest

from insight.cli import main
from insight.config.loader import load_config
from insight.figures.sources import has_sources, sign_ups_by_source
from insight.store import Store
from tests.conftest import repeat, tidy
from tests.test_app import app, texts

MONTH = "2019-09"


def member(source: str, age: str = "45-54", ethnicity: str = "White") -> dict:
    return {"period": MONTH, "status": "Active", "npu": "Coventry", "age": age, "ethnicity": ethnicity,
            "gender": "Female", "source": source}  # fmt: skip


def by_source(rows):
    return {r["source"]: r for r in rows.iter_rows(named=True)}


def test_sign_ups_per_source_and_their_diversity_by_hand(wmnow):
    census = load_config().census
    rows = (
        repeat(member("Force Response", age="16-24", ethnicity="Asian"), 6)
        + repeat(member("Force Response", ethnicity="Black"), 4)
        + repeat(member("Force Response"), 20)
        + repeat(member("Website", age="16-24"), 2)
        + repeat(member("Website", age="Not stated"), 2)  # left out of the age base
        + repeat(member("Website"), 16)
        + repeat(member("Community event"), 5)  # below the minimum base of 10
        + repeat(member("Neighbourhood officer"), 8)  # shown alone, Community event's 5 = 75 - the rest
        + repeat(member("Social media"), 12)
    )
    got = by_source(sign_ups_by_source(tidy(wmnow, rows), wmnow, census, period=MONTH))
    young = census.tables["age"].shares(census.areas_for([]))["16-24"]
    eth = census.tables["ethnicity"].shares(census.areas_for([]))
    minority = sum(v for g, v in eth.items() if g != "White")
    force = got["Force Response"]
    assert force["sign_ups"] == 30 and force["share"] == pytest.approx(30 / 75 * 100)
    assert force["aged_16_24"] == pytest.approx(20.0) and force["aged_16_24_gap_pp"] == pytest.approx(20.0 - young)
    assert force["ethnic_minority"] == pytest.approx(10 / 30 * 100)
    assert force["ethnic_minority_census"] == pytest.approx(minority)
    assert got["Website"]["aged_16_24"] == pytest.approx(2 / 18 * 100)  # of the 18 who stated an age
    assert got["Website"]["ethnic_minority"] == 0.0
    for hidden in ("Community event", "Neighbourhood officer"):  # 5 alone, then 8 with it (13 together)
        assert got[hidden]["sign_ups"] is None and got[hidden]["share"] is None
        assert got[hidden]["aged_16_24"] is None and got[hidden]["ethnic_minority"] is None
    assert got["Social media"]["sign_ups"] == 12
    assert got["Not recorded"]["sign_ups"] == 0


def test_a_hidden_source_cannot_be_worked_out_from_the_shares(wmnow):
    """Community event's 5 hidden with the 12 not recorded would leave it alone among the sources: the shares
    (over the 95 with a source) would give 95 - 50 - 40 = 5. The next smallest source is hidden with it."""
    rows = (repeat(member("Force Response"), 50) + repeat(member("Website"), 40) + repeat(member("Community event"), 5)
            + repeat(member("Not stated"), 12))  # fmt: skip
    got = by_source(sign_ups_by_source(tidy(wmnow, rows), wmnow, load_config().census, period=MONTH))
    assert got["Community event"]["sign_ups"] is None and got["Website"]["sign_ups"] is None
    assert got["Force Response"]["sign_ups"] == 50
    hidden = {r["source"] for r in got.values() if r["source"] != "Not recorded" and r["sign_ups"] is None}
    assert hidden == {"Community event", "Website"}, "never a lone hidden source"


def test_an_export_without_sources_imports_as_not_recorded(exports, tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    assert main(["ingest", "wmnow", str(exports / "wmnow_members_example.csv"), "--data-dir", str(old)]) == 0
    assert (
        main(["ingest", "wmnow", str(exports / "wmnow_members_with_source_example.csv"), "--data-dir", str(new)]) == 0
    )
    wmnow = load_config().definitions["wmnow"]
    old_frame, new_frame = Store(old).read(wmnow), Store(new).read(wmnow)
    assert old_frame is not None and new_frame is not None
    assert not has_sources(old_frame, wmnow) and has_sources(new_frame, wmnow)
    assert new_frame.get_column("source").cast(str).value_counts().height == 5


def test_wmnow_page_shows_sign_ups_per_source():
    at = app("app_pages/wmnow.py", period=MONTH, view="sources")
    assert not at.exception, at.exception
    body = texts(at)
    assert "Where new members signed up, October 2018 to September 2019, force-wide" in body
    assert "Force Response brought the largest share of 16-24s" in body  # the sample: the officer signs up victims
