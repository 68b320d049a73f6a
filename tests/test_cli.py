from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from insight.store import Store
from tests.conftest import REPO
from tests.messy import read_rows, write_rows


def run(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "insight", *args]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr  # every failure is a clear message, never a crash
    return done


def test_ingest_then_report_json_end_to_end(tmp_path, exports):
    done = run("ingest", "victim", str(exports / "victim_survey_example.csv"), data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "40 rows read; 40 new" in done.stdout
    out = run("report", "victim", "--format", "json", "--by", "channel_group", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert list(payload) == ["dataset", "period", "by", "rows"]
    assert (payload["dataset"], payload["period"], payload["by"]) == ("victim", "2019-09", "channel_group")
    first = payload["rows"][0]
    assert list(first) == ["aspect", "group", "base", "positive", "pct", "ci_low", "ci_high", "status",
                           "previous_period", "change_pp", "p_value", "significant"]  # fmt: skip
    # hand count from the example: initial contact among 999/101 callers
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())[1:]
    phone = [r[8] for r in rows if r[6] in ("999", "101")]
    base = [a for a in phone if a and a != "Don\u2019t know"]
    pos = [a for a in base if a in ("Completely satisfied", "Very satisfied", "Fairly satisfied")]
    assert (first["aspect"], first["group"], first["base"], first["positive"]) == (
        "initial_contact",
        "Phone",
        len(base),
        len(pos),
    )
    assert first["pct"] == round(len(pos) / len(base) * 100, 1)
    suppressed = [r for r in payload["rows"] if r["status"] == "suppressed"]
    assert suppressed and all(r["pct"] is None and r["positive"] is None and r["ci_low"] is None for r in suppressed)


def test_report_csv_and_table(tmp_path, exports):
    assert run("ingest", "victim", str(exports / "victim_survey_example.csv"), data_dir=tmp_path).returncode == 0
    csv_out = run("report", "victim", "--format", "csv", data_dir=tmp_path)
    assert csv_out.stdout.splitlines()[0].startswith("aspect,group,base,positive,pct")
    assert len(csv_out.stdout.splitlines()) == 6
    table = run("report", "victim", data_dir=tmp_path)
    assert "initial_contact" in table.stdout and "period=2019-09" in table.stdout


def test_rejected_file_leaves_store_unchanged_and_skip_invalid_keeps_the_rest(tmp_path, exports):
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[3][5] = "Arson"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(write_rows(rows))
    store = tmp_path / "store"
    out = run("ingest", "victim", str(bad), data_dir=store)
    assert out.returncode == 1
    assert "row 4, column 'Offence Group': unknown label 'Arson'" in out.stderr
    assert not Store(store).has("victim") and not store.exists(), "a rejected file writes nothing"
    out = run("ingest", "victim", str(bad), "--skip-invalid", data_dir=store)
    assert out.returncode == 0, out.stderr
    assert "39 new" in out.stdout and "1 rejected" in out.stdout
    rejected_path = Path(out.stderr.split("they are in ")[1].strip())
    assert rejected_path.exists()
    text = rejected_path.read_text()
    assert "Arson" in text and "Offence Group: unknown label" in text
    assert "@example.org" not in text


def test_missing_file_and_usage_errors(tmp_path):
    assert run("ingest", "victim", str(tmp_path / "nope.csv"), data_dir=tmp_path).returncode == 1
    assert run("report", "nosuch", data_dir=tmp_path).returncode == 2
    assert run("report", "victim", "--period", "Sept", data_dir=tmp_path).returncode == 2
    assert run("frobnicate").returncode == 2
    empty = run("report", "victim", data_dir=tmp_path)
    assert empty.returncode == 1 and "no victim data is held" in empty.stderr


def test_report_unknown_dimension_and_period(tmp_path, exports):
    assert run("ingest", "victim", str(exports / "victim_survey_example.csv"), data_dir=tmp_path).returncode == 0
    assert run("report", "victim", "--by", "shoe_size", data_dir=tmp_path).returncode == 2
    out = run("report", "victim", "--period", "2019-08", data_dir=tmp_path)
    assert out.returncode == 1 and "periods held: 2019-09" in out.stderr


def test_represent_json(tmp_path, exports):
    assert run("ingest", "wmnow", str(exports / "wmnow_members_example.csv"), data_dir=tmp_path).returncode == 0
    out = run("represent", "wmnow", "--by", "ethnicity", "--format", "json", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert list(payload) == ["dataset", "by", "period", "not_stated", "rows"]
    assert payload["period"] is None  # a membership list without --period: every current member
    rows = read_rows((exports / "wmnow_members_example.csv").read_bytes())[1:]
    active = [r for r in rows if r[3] == "Active"]
    stated = [r for r in active if r[7] != "Prefer not to say"]
    white = sum(r[7] == "White" for r in stated)
    assert payload["not_stated"] == len(active) - len(stated)
    got = {r["group"]: r for r in payload["rows"]}
    assert got["White"]["count"] == white
    assert got["White"]["share"] == round(white / len(stated) * 100, 1)
    assert got["White"]["census_share"] == 61.4
    assert list(got["White"]) == ["group", "count", "share", "census_share", "gap_pp"]


def test_check_config():
    out = run("check-config")
    assert out.returncode == 0, out.stderr
    assert "config OK" in out.stdout


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_represent_formats(tmp_path, exports, fmt):
    assert run("ingest", "victim", str(exports / "victim_survey_example.csv"), data_dir=tmp_path).returncode == 0
    out = run("represent", "victim", "--by", "age", "--format", fmt, data_dir=tmp_path)
    assert out.returncode == 0 and "16-24" in out.stdout


def test_report_public_confidence_is_survey_by_survey_unless_asked_to_combine(sample_store):
    """Public Voice and How are we Doing are separate surveys (`split_by: survey`): never one merged figure."""
    import polars as pl

    from insight.config.loader import load_config
    from insight.figures.metrics import satisfaction

    definition = load_config().definitions["public_confidence"]
    split = definition.split_by
    assert split == "survey"
    payload = json.loads(run("report", "public_confidence", "--format", "json", data_dir=sample_store).stdout)
    assert payload["combined"] is False
    surveys = list(definition.dimensions[split].groups)
    assert [r["survey"] for r in payload["rows"]] == [s for s in surveys for _ in definition.questions]
    # each survey's figure is that survey's responses alone, worked out here from the store's own rows
    frame = Store(sample_store).read(definition)
    for row in payload["rows"]:
        own = frame.filter(pl.col(split).cast(pl.String) == row["survey"])
        mine = satisfaction(own, definition, period=payload["period"], aspects=[row["aspect"]]).row(0, named=True)
        assert (row["base"], row["pct"]) == (mine["base"], round(mine["pct"], 1)), row
    combined = json.loads(run("report", "public_confidence", "--combine", "--format", "json",
                              data_dir=sample_store).stdout)  # fmt: skip
    assert combined["combined"] is True and {r["survey"] for r in combined["rows"]} == {None}
    by_survey = {r["aspect"]: r["base"] for r in combined["rows"]}
    for aspect, base in by_survey.items():
        assert base == sum(r["base"] for r in payload["rows"] if r["aspect"] == aspect)
    weighted = json.loads(run("report", "public_confidence", "--weighted", "--format", "json",
                              data_dir=sample_store).stdout)  # fmt: skip
    assert set(weighted["weighting"]) == set(surveys) and {r["survey"] for r in weighted["rows"]} == set(surveys)
    refused = run("report", "victim", "--combine", data_dir=sample_store)
    assert refused.returncode == 2 and "holds one survey" in refused.stderr
