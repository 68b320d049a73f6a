"""Pseudonyms (issue 20, item 6): a crime reference kept only as its keyed hash, matched across datasets.

The oracle is Python's own ``hmac`` module over the value written out by hand in its hash form; the
import is checked end to end (no raw value in any stored byte, the Delta log's statistics included),
and without a key, with a short one or with another key than the store's, nothing is imported.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insight.config.files import ConfigError
from insight.config.loader import load_config
from insight.intake.pseudonyms import KeyMissing, Pseudonyms, find_key, hash_form
from insight.intake.raw_table import ExportError
from insight.intake.tidy import ingest_bytes
from insight.store import Store, StoreError
from tests.conftest import REPO, TEST_KEY, copy_config
from tests.messy import read_rows, write_rows
from tests.test_survey_keys import csv_bytes, definition

OTHER_KEY = "another force's key - fedcba9876543210fedcba9876543210"


def oracle(key: str, form: str) -> str:
    return hmac.new(key.encode(), form.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "typed",
    [
        "20BE/123456R/19",
        "20be/123456r/19",
        "20BE 123456R 19",
        "20BE-123456R-19",
        " 20BE.123456R.19 ",
        "20BE\\123456R\\19",
        "20BE / 123456R / 19",
        "\uff12\uff10\uff22\uff25/123456R/19",  # fullwidth
        "20BE/\u0661\u0662\u0663\u0664\u0665\u0666R/19",  # Arabic-Indic digits
        "20BE/123\u200b456R/19",  # a zero-width space
    ],
)
def test_one_case_always_gives_one_pseudonym(typed):
    """However the reference is typed, its pseudonym is HMAC-SHA-256 of 20BE123456R19 under the key."""
    assert Pseudonyms(TEST_KEY).of_text(typed) == oracle(TEST_KEY, "20BE123456R19")


def test_different_values_and_keys_give_different_pseudonyms():
    under = Pseudonyms(TEST_KEY)
    assert under.of_text("20BE/123456R/19") != under.of_text("20BE/123457R/19")
    assert Pseudonyms(OTHER_KEY).of_text("20BE/123456R/19") == oracle(OTHER_KEY, "20BE123456R19")
    assert Pseudonyms(OTHER_KEY).of_text("20BE/123456R/19") != under.of_text("20BE/123456R/19")
    assert under.of(pl.Series(["", " - ", None])).to_list() == [None, None, None], "a blank value has none"
    assert Pseudonyms(TEST_KEY).fingerprint == Pseudonyms(TEST_KEY).fingerprint != Pseudonyms(OTHER_KEY).fingerprint
    assert TEST_KEY not in Pseudonyms(TEST_KEY).fingerprint


def test_a_long_key_is_hashed_first_as_hmac_says():
    long_key = "k" * 100  # longer than SHA-256's block: RFC 2104 hashes it
    assert Pseudonyms(long_key).of_text("ab1") == oracle(long_key, "AB1")


def test_the_column_hash_gives_rfc_4231s_published_answer():
    """The column is hashed in Rust (polars-hash): RFC 4231's test case 2 (values of any script, under any key,
    are held to Python's hmac in the next test)."""
    published = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"  # RFC 4231, 4.3
    # "Jefe" is far too short to import with (for_import refuses it); the class itself takes it
    assert Pseudonyms("Jefe")._hashed(pl.Series(["what do ya want for nothing?"])).item() == published


@settings(max_examples=40, deadline=None)
@given(
    st.text(min_size=32, max_size=150).filter(lambda k: k.strip() == k and len(k) >= 32),
    st.lists(st.one_of(st.none(), st.text(max_size=120)), min_size=1, max_size=30),
)
def test_every_value_hashes_as_pythons_hmac_under_any_key(key, values):
    forms = pl.Series(values, dtype=pl.String)
    expected = [None if v is None else oracle(key, v) for v in values]
    assert Pseudonyms(key)._hashed(forms).to_list() == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=60), st.from_regex(r"\A\d{2}[A-Z]{2}/\d{6}[A-Z]?/\d{2}\Z")),
                min_size=1, max_size=30))  # fmt: skip
def test_a_columns_pseudonyms_are_the_hmac_of_each_values_hash_form(values):
    """``of`` makes the hash form and its HMAC in one pass: the same as the two steps, each held to its oracle."""
    column = pl.Series(values, dtype=pl.String)
    forms = hash_form(column).to_list()
    expected = [None if f is None else oracle(TEST_KEY, f) for f in forms]
    assert Pseudonyms(TEST_KEY).of(column).to_list() == expected


def test_a_hashing_library_that_disagrees_with_python_pseudonymises_nothing(monkeypatch):
    """Checked each time a key is taken: a wrong library (a bad build, another version) refuses the import."""
    monkeypatch.setattr(Pseudonyms, "_hmac", lambda self, texts: texts.str.to_uppercase())
    with pytest.raises(ExportError, match=r"does not give the HMAC-SHA-256 Python gives.*nothing was imported"):
        Pseudonyms(TEST_KEY)


def every_stored_byte(folder: Path) -> str:
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        parts.append(path.read_bytes().decode("utf-8", errors="replace"))
        if path.suffix == ".parquet":
            parts.append(pl.read_parquet(path).select(pl.all().cast(pl.String)).write_csv())
    return "\n".join(parts)


def test_the_victim_surveys_crime_reference_is_stored_only_as_its_pseudonym(exports, victim, tmp_path):
    data = (exports / "victim_survey_example.csv").read_bytes()
    refs = [r[3] for r in read_rows(data)[1:]]
    result = ingest_bytes(data, "victim.csv", victim)
    assert result.report.ok
    expected = [oracle(TEST_KEY, r.replace("/", "").upper()) for r in refs]
    assert result.frame.get_column("crime_reference").to_list() == expected
    assert result.frame.get_column("id").to_list() == [r[0] for r in read_rows(data)[1:]], "the ID is kept as read"
    store = Store(tmp_path / "store")
    store.import_result(victim, result, user="test")
    written = every_stored_byte(tmp_path / "store")
    assert expected[0] in written
    assert not [r for r in refs if r in written or r.replace("/", "") in written]
    history = store.history("victim")[0]
    assert history["key"] == Pseudonyms(TEST_KEY).fingerprint and TEST_KEY not in written


CASES = """
dataset: {name}
title: Case review
id_column: Crime Reference
id_pseudonymise: true
period: {{column: Reviewed, formats: ["%d/%m/%Y"], granularity: month}}
questions:
  overall: {{column: Overall, label: Overall, scale: satisfied_5}}
"""


def test_a_pseudonymised_id_keys_a_dataset_and_matches_the_victim_survey(exports, victim, tmp_path):
    """A dataset keyed by crime reference: no ID problem, no raw reference kept (nor in the log's min/max),
    repeats found however typed, and each ID equal to the victim survey's pseudonym of the same case."""
    cases = definition(tmp_path, CASES.format(name="case_review"), name="case_review")
    refs = [r[3] for r in read_rows((exports / "victim_survey_example.csv").read_bytes())[1:6]]
    rows = [[ref, "15/09/2019", "Very satisfied"] for ref in refs]
    rows.append([refs[0].lower().replace("/", " - "), "16/09/2019", "Fairly dissatisfied"])  # the first case again
    result = ingest_bytes(csv_bytes(["Crime Reference", "Reviewed", "Overall"], rows), "cases.csv", cases)
    problems = result.report.problems
    assert problems.select("row", "problem").rows() == [(7, "duplicate ID (first on row 2)")]
    assert problems["value"].to_list() == [None], "a pseudonymised ID is not quoted"
    victim_result = ingest_bytes((exports / "victim_survey_example.csv").read_bytes(), "v.csv", victim)
    assert result.frame.get_column("id").to_list() == victim_result.frame.get_column("crime_reference")[:5].to_list()
    store = Store(tmp_path / "store")
    store.import_result(cases, ingest_bytes(csv_bytes(["Crime Reference", "Reviewed", "Overall"], rows[:5]), "c.csv",
                                            cases), user="test")  # fmt: skip
    log = "".join(p.read_text() for p in (tmp_path / "store" / "case_review" / "_delta_log").glob("*.json"))
    assert "minValues" in log and not [r for r in refs if r in log or r.replace("/", "") in log]
    assert every_stored_byte(tmp_path / "store").count(refs[0]) == 0


def test_the_rejects_file_holds_pseudonyms_not_values(exports, victim, tmp_path):
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[3][12] = "Delighted"  # an unknown answer: the row is rejected
    rows[3][3] = "20BE/777777X/19 (see notes)"  # a reference the masking patterns alone would not mask whole
    result = ingest_bytes(write_rows(rows), "victim.csv", victim)
    assert result.rejected.height == 1
    assert result.rejected["Crime Reference"].to_list() == [result_pseudonym("20BE/777777X/19 (see notes)")]
    assert "777777" not in result.rejected.write_csv()


def result_pseudonym(value: str) -> str:
    return Pseudonyms(TEST_KEY).of_text(value) or ""


@pytest.fixture()
def no_key(monkeypatch, tmp_path):
    """No key anywhere: not in the environment, not in a secrets file (home or working folder)."""
    monkeypatch.delenv("INSIGHT_ID_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert find_key() is None


def test_without_a_key_nothing_is_imported_in_one_sentence(exports, victim, no_key, tmp_path):
    with pytest.raises(
        KeyMissing, match=r"pseudonymises Crime Reference and no pseudonym key is set \(set the INSIGHT_ID_KEY"
    ) as caught:
        ingest_bytes((exports / "victim_survey_example.csv").read_bytes(), "victim.csv", victim)
    assert "\n" not in str(caught.value) and "INSIGHT_ID_KEY" in str(caught.value)
    env = {k: v for k, v in os.environ.items() if k != "INSIGHT_ID_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "insight", "ingest", "victim", str(exports / "victim_survey_example.csv"),
         "--data-dir", str(tmp_path / "store")],
        capture_output=True, text=True, cwd=REPO, env={**env, "HOME": str(tmp_path / "home")}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "no pseudonym key is set" in done.stderr and "nothing was imported" in done.stderr.lower()
    assert not (tmp_path / "store" / "victim").exists()
    # the volumes given with it are refused too: the key is checked before anything is imported
    volumes = REPO / "data" / "samples" / "victim" / "volumes_victim.csv"
    done = subprocess.run(
        [sys.executable, "-m", "insight", "ingest", "victim", str(exports / "victim_survey_example.csv"),
         "--volumes", str(volumes), "--data-dir", str(tmp_path / "store")],
        capture_output=True, text=True, cwd=REPO, env={**env, "HOME": str(tmp_path / "home")}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "victim files cannot be imported" in done.stderr, done.stderr
    assert not (tmp_path / "store" / "volumes").exists()


def test_a_short_key_is_refused(exports, victim, monkeypatch):
    monkeypatch.setenv("INSIGHT_ID_KEY", "secret")
    with pytest.raises(KeyMissing, match=r"6 characters long and needs at least 32"):
        ingest_bytes((exports / "victim_survey_example.csv").read_bytes(), "victim.csv", victim)


def test_the_key_can_be_in_streamlits_secrets(exports, victim, no_key, tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'[insight]\nid_key = "{OTHER_KEY}"\n')
    assert find_key() == OTHER_KEY
    assert find_key({"insight": {"id_key": TEST_KEY}}) == TEST_KEY  # the app passes st.secrets
    result = ingest_bytes((exports / "victim_survey_example.csv").read_bytes(), "victim.csv", victim)
    assert result.frame["crime_reference"][0] == oracle(OTHER_KEY, "20BE598646" + "19")


def test_a_store_is_never_filled_under_two_keys(exports, victim, tmp_path, monkeypatch):
    data = (exports / "victim_survey_example.csv").read_bytes()
    store = Store(tmp_path / "store")
    store.import_result(victim, ingest_bytes(data, "victim.csv", victim), user="test")
    monkeypatch.setenv("INSIGHT_ID_KEY", OTHER_KEY)
    rows = read_rows(data)
    rows[1][12] = "Completely satisfied"
    other = ingest_bytes(write_rows(rows), "changed.csv", victim)
    with pytest.raises(StoreError, match=r"pseudonymised under another key .*nothing was imported"):
        store.import_result(victim, other, user="test")
    assert len(store.history("victim")) == 1


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("pii_columns: [Email Address]", "pii_columns: [Email Address, Crime Reference]",
         "'Crime Reference' is also in pii_columns"),
        ("pseudonymise: [Crime Reference]", "pseudonymise: [Response ID]",
         "'Response ID' is the ID: write id_pseudonymise: true instead"),
        ("pseudonymise: [Crime Reference]", "pseudonymise: [NPU]", "'NPU' is also read as data"),
        ("pseudonymise: [Crime Reference]", "pseudonymise: [Crime Reference, '2nd ref']",
         "gives no usable column name"),
        ("pseudonymise: [Crime Reference]", "pseudonymise: [Crime Reference]\nid_pseudonymise: maybe",
         "id_pseudonymise"),
    ],
)  # fmt: skip
def test_pseudonymise_mistakes_are_named(tmp_path, old, new, message):
    config = copy_config(tmp_path)
    path = config / "surveys" / "victim.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert message in str(caught.value)


def test_the_upload_page_says_in_one_sentence_that_the_key_is_missing(exports, no_key, data_dir):
    from streamlit.testing.v1 import AppTest

    data = (exports / "victim_survey_example.csv").read_bytes()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploads").set_value([("victim.csv", data, "text/csv")]).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("no pseudonym key is set" in e and "INSIGHT\\_ID\\_KEY" in e for e in errors), errors
    assert not [b for b in at.button if b.label == "Import"], "nothing can be imported"


def test_a_store_from_before_the_crime_reference_was_pseudonymised_reads_and_gains_the_column(
    exports, victim, tmp_path
):
    """Upgrading: victim rows stored when the crime reference was dropped still read (with no pseudonym), and
    the next import adds the column, its pseudonyms and one history entry; undo takes them back."""
    config = copy_config(tmp_path)
    path = config / "surveys" / "victim.yaml"
    path.write_text(
        path.read_text()
        .replace("pii_columns: [Email Address]", "pii_columns: [Crime Reference, Email Address]")
        .replace("pseudonymise: [Crime Reference]", "")
    )
    before = load_config(config).definitions["victim"]
    assert "crime_reference" not in before.pseudonymised
    data = (exports / "victim_survey_example.csv").read_bytes()
    store = Store(tmp_path / "store")
    store.import_result(before, ingest_bytes(data, "victim.csv", before), user="test")

    held = store.read(victim)
    assert held.height == 40 and held.get_column("crime_reference").null_count() == 40
    result = ingest_bytes(data, "victim.csv", victim)
    counts = store.compare(victim, result.frame)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 40, 0), "each held row gains its pseudonym"
    record = store.import_result(victim, result, user="test")
    assert (record.new, record.updated) == (0, 40)
    after = store.read(victim)
    assert (
        after.get_column("crime_reference").to_list() == result.frame.sort("period", "id")["crime_reference"].to_list()
    )
    assert [h["action"] for h in store.history("victim")] == ["import", "import"]
    store.undo("victim", user="test")
    assert store.read(victim).get_column("crime_reference").null_count() == 40


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20), min_size=1, max_size=8))
def test_the_ascii_shortcut_gives_the_hash_form_the_unicode_pattern_gives(values):
    """All-ASCII columns drop non-alphanumerics with an ASCII pattern; with one non-ASCII value beside them,
    the Unicode pattern runs instead: each value's form must be the same either way."""
    alone = hash_form(pl.Series(values)).to_list()
    beside = hash_form(pl.Series([*values, "\u00e9"])).to_list()[:-1]
    assert alone == beside


def test_the_data_page_says_which_columns_are_kept_only_as_pseudonyms(data_dir):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any("Never stored: Email Address. Kept only as pseudonyms (keyed hashes): Crime Reference." in c
               for c in captions)  # fmt: skip


def test_a_composite_id_is_hashed_from_its_parts_forms_joined_so_no_two_combinations_collide():
    """`id_column: [round, number]` with `id_pseudonymise`: HMAC of each part's hash form joined by `|` (which no
    hash form holds); the parts (1, 23) and (12, 3) differ although their forms run together alike."""
    under = Pseudonyms(TEST_KEY)
    rounds, numbers = pl.Series(["1", "12", " 1 ", None]), pl.Series(["23", "3", "2-3", "5"])
    got = under.of_parts([rounds, numbers]).to_list()
    assert got[0] == oracle(TEST_KEY, "1|23") == got[2]  # one case however typed
    assert got[1] == oracle(TEST_KEY, "12|3") != got[0]
    assert got[3] is None  # a blank part: no ID (a "missing ID" problem names that part)
    assert under.of_parts([numbers]).to_list() == under.of(numbers).to_list()
