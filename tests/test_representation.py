from __future__ import annotations

import csv

import polars as pl
import pytest

from insight.config.census import build_tables
from insight.config.loader import load_config
from insight.figures.representation import gap_trend, representation
from insight.intake.tidy import ingest_file
from tests.conftest import SHARED, need_shared


def test_census_yaml_matches_the_shared_csvs():
    need_shared()
    built = build_tables(SHARED / "census")
    census = load_config().census
    for name, doc in built.items():
        assert census.tables[name].areas == doc["areas"], f"rebuild with: python -m insight build-census ({name})"
    with (SHARED / "census" / "age_2021_by_local_authority.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["sex"] == "All persons":
                shares = census.tables["age"].shares(row["area_name"])
                for band, share in shares.items():
                    assert share == pytest.approx(float(row[f"pct16plus_{band}"]), abs=0.051)


def test_each_benchmark_says_which_population_it_covers():
    census = load_config().census
    assert census.tables["age"].population == "usual residents aged 16 and over"
    assert "all ages" in census.tables["ethnicity"].population


def test_wmnow_representation_by_hand(exports, wmnow):
    frame = ingest_file(exports / "wmnow_members_example.csv", wmnow).frame
    census = load_config().census
    rep = representation(frame, wmnow, census, by="age", npu="Sandwell")
    active = frame.filter((pl.col("status") == "Active") & (pl.col("npu") == "Sandwell"))
    stated = active.filter(pl.col("age") != "Not stated")
    assert rep.area == "Sandwell" and rep.stated == stated.height
    assert rep.not_stated == active.height - stated.height
    row = rep.rows.filter(pl.col("group") == "65-74").row(0, named=True)
    n = stated.filter(pl.col("age") == "65-74").height
    assert row["count"] == n
    assert row["share"] == pytest.approx(n / stated.height * 100)
    assert row["census_share"] == pytest.approx(26514 / 266034 * 100)
    assert row["gap_pp"] == pytest.approx(row["share"] - row["census_share"])


def test_birmingham_npus_use_birmingham(exports, wmnow):
    frame = ingest_file(exports / "wmnow_members_example.csv", wmnow).frame
    rep = representation(frame, wmnow, load_config().census, by="ethnicity", npu="Birmingham East")
    assert rep.area == "Birmingham"


def test_small_bases_show_no_shares(exports, wmnow):
    frame = ingest_file(exports / "wmnow_members_example.csv", wmnow).frame
    rep = representation(frame, wmnow, load_config().census, by="age", period="2019-10")
    assert rep.stated < 10 and rep.status == "suppressed"
    assert rep.rows.get_column("share").null_count() == rep.rows.height


def test_gap_trend_by_hand(exports, wmnow):
    frame = ingest_file(exports / "wmnow_members_example.csv", wmnow).frame
    trend = gap_trend(frame, wmnow, load_config().census, by="age", groups=["16-24"])
    assert trend.get_column("period").to_list() == sorted(trend.get_column("period").to_list())
    # a month's sign-ups are everyone who joined then, still a member or since unsubscribed
    total = trend.get_column("stated").sum()
    joined = frame.filter(pl.col("age") != "Not stated")
    assert total == joined.height > joined.filter(pl.col("status") == "Active").height
    assert trend.get_column("census_share").unique().to_list() == [pytest.approx(15.77, abs=0.01)]


def test_several_npus_add_their_local_authorities(exports, wmnow):
    frame = ingest_file(exports / "wmnow_members_example.csv", wmnow).frame
    census = load_config().census
    rep = representation(
        frame, wmnow, census, by="age", npu=["Coventry", "Dudley", "Birmingham East", "Birmingham West"]
    )
    assert rep.area == "Coventry + Dudley + Birmingham"
    counts = census.tables["age"].areas
    total = sum(counts[a][g] for a in ("Coventry", "Dudley", "Birmingham") for g in counts["Coventry"])
    young = counts["Coventry"]["16-24"] + counts["Dudley"]["16-24"] + counts["Birmingham"]["16-24"]
    assert rep.rows.row(0, named=True)["census_share"] == pytest.approx(young / total * 100)
    chosen = frame.filter(pl.col("status") == "Active").filter(
        pl.col("npu").cast(pl.String).is_in(["Coventry", "Dudley", "Birmingham East", "Birmingham West"])
    )
    assert rep.stated + rep.not_stated == chosen.height


def test_other_filters_narrow_but_a_filter_on_the_dimension_itself_is_ignored(exports, wmnow):
    frame = ingest_file(exports / "wmnow_members_example.csv", wmnow).frame
    census = load_config().census
    women = representation(frame, wmnow, census, by="age", filters={"gender": ["Female"]})
    expected = frame.filter((pl.col("status") == "Active") & (pl.col("gender") == "Female")).height
    assert women.stated + women.not_stated == expected
    everyone = representation(frame, wmnow, census, by="age")
    same = representation(frame, wmnow, census, by="age", filters={"age": ["16-24"]})
    assert same.rows.equals(everyone.rows)


def test_npu_not_stated_is_compared_with_the_force_area(exports, wmnow):
    """Members who did not say their NPU have no local authority: alone they face the force area, and beside
    named NPUs they add none (no KeyError, as the Respondents page once raised)."""
    frame = ingest_file(exports / "wmnow_members_example.csv", wmnow).frame
    census = load_config().census
    alone = representation(frame, wmnow, census, by="age", npu="Not stated")
    assert alone.area == census.force_area
    assert (
        alone.stated + alone.not_stated
        == frame.filter((pl.col("status") == "Active") & (pl.col("npu") == "Not stated")).height
    )
    beside = representation(frame, wmnow, census, by="age", npu=["Coventry", "Not stated"])
    assert beside.area == "Coventry"
