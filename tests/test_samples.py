"""The bundled sample data reproduces the paper's published September 2019 figures."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from insight.datasets import SAMPLES_DIR
from insight.samples import sample_files
from tests.test_cli import run


def xlsx_cells(data: bytes) -> dict[str, list[tuple]]:
    """Every sheet's cell values: the bytes differ with the save time and with whether lxml is installed."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_generator_is_deterministic_and_bundled_files_are_current():
    first, second = sample_files(), sample_files()
    for dataset, files in first.items():
        for name, data in files.items():
            if name.endswith(".xlsx"):
                assert xlsx_cells(data) == xlsx_cells(second[dataset][name])
                assert xlsx_cells((SAMPLES_DIR / dataset / name).read_bytes()) == xlsx_cells(data)
                continue
            assert data == second[dataset][name]
            assert (SAMPLES_DIR / dataset / name).read_bytes() == data, f"run: python -m insight make-samples ({name})"


def test_every_sample_file_says_it_is_synthetic():
    for path in SAMPLES_DIR.rglob("*.csv"):
        head = path.read_bytes()[:200].decode("utf-8-sig", errors="replace")
        assert "SYNTHETIC" in head, path


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("samples")
    for dataset in ("victim", "wmnow"):
        files = sorted(str(p) for p in (SAMPLES_DIR / dataset).iterdir() if not p.name.startswith("volumes"))
        out = run("ingest", dataset, *files, data_dir=store)
        assert out.returncode == 0, out.stderr
    return store


def report(store, *args):
    out = run("report", "victim", "--format", "json", *args, data_dir=store)
    assert out.returncode == 0, out.stderr
    return {(r["aspect"], r["group"]): r for r in json.loads(out.stdout)["rows"]}


def test_september_2019_aspects_match_the_paper(sample_store):
    rows = report(sample_store, "--period", "2019-09")
    paper = {"overall": 49.4, "initial_contact": 62.7, "actions": 47.4, "feedback": 39.1, "treatment": 65.8}
    assert {a: rows[(a, None)]["pct"] for a in paper} == paper
    # "an increase of just over 2% on the previous survey", not a significant one
    assert rows[("overall", None)]["change_pp"] == 2.1
    assert rows[("overall", None)]["significant"] is False


def test_september_2019_channels_and_offences_match_the_paper(sample_store):
    channel = report(sample_store, "--period", "2019-09", "--by", "channel_group")
    assert channel[("initial_contact", "Phone")]["pct"] == 71.0
    assert channel[("initial_contact", "Online")]["pct"] == 44.4
    offence = report(sample_store, "--period", "2019-09", "--by", "offence")
    assert offence[("overall", "Robbery")]["pct"] == 70.0
    assert offence[("overall", "Burglary")]["pct"] == 63.0
    assert offence[("overall", "Violence against the person")]["pct"] == 45.0


def test_september_2019_respondents_match_the_paper(sample_store):
    out = run(
        "represent", "victim", "--by", "ethnicity", "--period", "2019-09", "--format", "json", data_dir=sample_store
    )
    shares = {r["group"]: r["share"] for r in json.loads(out.stdout)["rows"]}
    assert (shares["White"], shares["Asian"], shares["Black"]) == (84.7, 10.2, 2.8)
    out = run("represent", "victim", "--by", "age", "--period", "2019-09", "--format", "json", data_dir=sample_store)
    assert {r["group"]: r["share"] for r in json.loads(out.stdout)["rows"]}["16-24"] == 9.5


def test_overlapping_sample_exports_are_counted_once(sample_store):
    out = run("report", "victim", "--format", "json", "--period", "2019-08", data_dir=sample_store)
    rows = json.loads(out.stdout)["rows"]
    assert rows[0]["base"] < 1100  # 25 repeated rows per overlapping file are not double counted
