"""Every level: force > NPU > postcode district, with suppression at every level (figures checked by hand)."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from insight.cli import main
from insight.config.files import ConfigError
from insight.config.loader import load_config
from insight.figures import metrics
from insight.figures.levels import children, members_within, path, satisfaction_within
from insight.figures.sources import has_sources
from insight.intake.tidy import ingest_bytes
from insight.store import Store
from tests.conftest import copy_config, repeat, tidy
from tests.test_app import app, texts

MONTH = "2019-09"


def member(district: str, npu: str = "Coventry", status: str = "Active") -> dict:
    return {"period": MONTH, "status": status, "npu": npu, "district": district, "age": "45-54",
            "ethnicity": "White", "gender": "Female", "source": "Website"}  # fmt: skip


def test_a_district_names_its_npu_and_the_path_runs_down_from_it(wmnow):
    assert children(wmnow, "npu") == ["district"] and path(wmnow, "district") == ["npu", "district"]


def test_members_within_an_npu_hide_a_district_that_the_npu_total_would_reveal(wmnow):
    rows = (
        repeat(member("CV1"), 40) + repeat(member("CV3"), 25) + repeat(member("CV6"), 4)  # 4: below 10
        + repeat(member("CV1", status="Unsubscribed"), 7)  # not current members: never counted
        + repeat(member("B1", npu="Birmingham West"), 30)  # another NPU: not in Coventry's figures
    )  # fmt: skip
    got = {r["group"]: r for r in members_within(tidy(wmnow, rows), wmnow, child="district", parent_group="Coventry")
           .iter_rows(named=True)}  # fmt: skip
    assert set(got) == {"CV1", "CV3", "CV6"}
    assert got["CV6"]["members"] is None and got["CV6"]["share"] is None  # small
    # Coventry's 69 members are shown a level up: 69 - 40 - 25 would give CV6's 4, so CV3 is hidden too
    assert got["CV3"]["members"] is None and got["CV3"]["status"] == "suppressed"
    assert got["CV1"]["members"] == 40 and got["CV1"]["share"] == pytest.approx(40 / 69 * 100)


def test_satisfaction_within_a_parent_by_hand(definitions):
    confidence = definitions["public_confidence"]
    assert "district" in children(confidence, "npu")
    yes, no = "Excellent", "Very poor"

    def answers(district: str, good: int, bad: int) -> list[dict]:
        row = {"period": "2019-Q3", "survey": "Public Voice", "npu": "Dudley", "district": district}
        return repeat({**row, "good_job": yes}, good) + repeat({**row, "good_job": no}, bad)

    frame = tidy(confidence, answers("DY1", 30, 20) + answers("DY8", 6, 2))  # DY8: base 8, below 10
    got = satisfaction_within(frame, confidence, child="district", parent_group="Dudley", aspects=["good_job"])
    rows = {r["group"]: r for r in got.iter_rows(named=True)}
    assert set(rows) == {"DY1", "DY8"}  # districts with no answers are left out
    assert rows["DY8"]["pct"] is None  # small
    assert rows["DY1"]["pct"] is None  # Dudley's 58 less DY1 would give DY8: hidden as well
    more = tidy(confidence, answers("DY1", 30, 20) + answers("DY8", 6, 2) + answers("DY2", 9, 3))
    got = satisfaction_within(more, confidence, child="district", parent_group="Dudley", aspects=["good_job"])
    rows = {r["group"]: r for r in got.iter_rows(named=True)}
    assert rows["DY1"]["pct"] == pytest.approx(60.0) and rows["DY1"]["base"] == 50  # 30 of 50, by hand
    assert rows["DY8"]["pct"] is None and rows["DY2"]["pct"] is None  # 8 hidden, then 12 with it (20 together)
    # force-wide by district, each NPU's districts protected against that NPU's total
    both = tidy(confidence, answers("DY1", 30, 20) + answers("DY8", 6, 2) + [
        {**r, "npu": "Walsall"} for r in answers("WS1", 40, 10) + answers("WS3", 20, 20)])  # fmt: skip
    rows = {r["group"]: r for r in metrics.satisfaction(both, confidence, by="district", aspects=["good_job"])
            .filter(pl.col("base") > 0).iter_rows(named=True)}  # fmt: skip
    assert rows["DY1"]["pct"] is None and rows["DY8"]["pct"] is None  # Dudley: 58 - 50 would give DY8
    assert rows["WS1"]["pct"] == pytest.approx(80.0) and rows["WS3"]["pct"] == pytest.approx(
        50.0
    )  # Walsall: none small


def test_a_store_from_before_districts_and_sources_still_opens(exports, tmp_path, monkeypatch):
    """Rows imported under the old definition read as Not stated; the next import adds the columns."""
    old = copy_config(tmp_path)
    yaml = (old / "surveys" / "wmnow.yaml").read_text()
    yaml = yaml.split("  # Drill-down below the NPU")[0] + "  age:" + yaml.split("\n  age:", 1)[1]
    (old / "surveys" / "wmnow.yaml").write_text(yaml)
    store = tmp_path / "store"
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(old))
    assert main(["ingest", "wmnow", str(exports / "wmnow_members_example.csv"), "--data-dir", str(store)]) == 0
    monkeypatch.delenv("INSIGHT_CONFIG_DIR")
    wmnow = load_config().definitions["wmnow"]
    held = Store(store).read(wmnow)
    assert held is not None and set(held.get_column("district").cast(str)) == {"Not stated"}
    with_source = tmp_path / "with_source.csv"
    shutil.copy(exports / "wmnow_members_with_source_example.csv", with_source)
    assert main(["ingest", "wmnow", str(with_source), "--data-dir", str(store)]) == 0
    held = Store(store).read(wmnow)
    assert held is not None and has_sources(held, wmnow) and held.height == 60
    assert "Not stated" not in set(held.get_column("district").cast(str))


def test_wmnow_page_drills_from_an_npu_to_its_districts():
    at = app("app_pages/wmnow.py", view="areas")
    assert not at.exception, at.exception
    at.selectbox(key="wmnow_drill").set_value("Coventry").run()
    assert not at.exception, at.exception
    assert "Active members in each postcode district of Coventry" in texts(at)


def test_satisfaction_page_drills_from_an_npu_to_its_districts():
    at = app("app_pages/satisfaction.py", dataset="public_confidence", by="npu")
    assert not at.exception, at.exception
    at.selectbox(key="drill_group").set_value("Dudley").run()
    assert not at.exception, at.exception
    assert at.query_params["by"] in ("district", ["district"]) and at.query_params["npu"] in ("Dudley", ["Dudley"])
    body = texts(at)
    assert "Overall confidence by postcode district" in body and "lies within a neighbourhood policing unit" in body


def test_a_district_outside_the_force_area_is_counted_as_such_not_refused(exports, tmp_path):
    """A member living outside the force area gives a district the list does not hold: the row imports, in the
    dimension's `others` group; without `others` the same row is a problem (so the key is what lets it in)."""
    text = (exports / "wmnow_members_with_source_example.csv").read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[1].split(",")
    column = header.split(",").index("Postcode District")
    first[column] = "LE10"
    upload = tmp_path / "members-le10.csv"
    upload.write_text("\n".join([header, ",".join(first), *text[2:]]) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    assert main(["ingest", "wmnow", str(upload), "--data-dir", str(store)]) == 0
    wmnow = load_config().definitions["wmnow"]
    held = Store(store).read(wmnow)
    assert held is not None and held.height == len(text) - 1, "no row set aside"
    districts = held.get_column("district").cast(str).to_list()
    assert districts.count("Outside the force area") == 1
    listed = copy_config(tmp_path / "strict")
    yaml = (listed / "dimensions.yaml").read_text()
    (listed / "dimensions.yaml").write_text(yaml.replace("  others: Outside the force area\n", ""))
    strict = load_config(listed).definitions["wmnow"]
    result = ingest_bytes(upload.read_bytes(), upload.name, strict)
    assert not result.report.ok and "LE10" in result.report.describe()


def test_others_must_be_a_group_of_its_own(tmp_path):
    config = copy_config(tmp_path)
    yaml = (config / "dimensions.yaml").read_text()
    (config / "dimensions.yaml").write_text(yaml.replace("others: Outside the force area", "others: B1"))
    with pytest.raises(ConfigError, match="already a group"):
        load_config(config)
