"""A way back from damage (issue 20, item 9), and only the file named (item 7).

A data file of a table deleted or overwritten: ``check`` names it (exit 1), pages and the CLI say
how to repair in one sentence, the export is no longer called "already imported whole", and
``check --repair`` returns the table to its last whole version as an audited version; importing
the exports it took back gives exactly the table a fresh store holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from deltalake import DeltaTable
from polars.testing import assert_frame_equal

from insight.cli import main
from insight.store import Store
from tests.messy import read_rows, write_rows
from tests.test_store_faults import app


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture()
def run(capsys):
    """The CLI in this process (each call a few hundred ms quicker than a new interpreter)."""

    def call(*args: str, data_dir: Path) -> Done:
        code = main([*args, "--data-dir", str(data_dir)])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return Done(code, out.out, out.err)

    return call


@pytest.fixture()
def two_imports(tmp_path, exports, run) -> tuple[Path, Path, Path]:
    """A store with the victim example (version 1) and a later export changing and adding rows (version 2)."""
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    first = tmp_path / "september.csv"
    first.write_bytes(write_rows(rows))
    later = [list(r) for r in rows]
    later[1][12] = "Completely satisfied"  # an update
    later.append(["VS190999999", *rows[2][1:]])  # a new response
    second = tmp_path / "september-again.csv"
    second.write_bytes(write_rows(later))
    store = tmp_path / "store"
    for path in (first, second):
        done = run("ingest", "victim", str(path), data_dir=store)
        assert done.returncode == 0, done.stderr
    return store, first, second


def newest_files(store: Path) -> list[Path]:
    """The data files version 2 added (the period it rewrote)."""
    table = DeltaTable(str(store / "victim"))
    now = set(table.file_uris())
    before = set(DeltaTable(str(store / "victim"), version=1).file_uris())
    return [Path(p) for p in sorted(now - before)]


@pytest.mark.parametrize("damage", ["delete", "overwrite"])
def test_check_names_the_damaged_file_and_repair_brings_the_table_back(two_imports, damage, victim, tmp_path, run):
    store, first, second = two_imports
    assert run("check", data_dir=store).returncode == 0
    (lost,) = newest_files(store)
    if damage == "delete":
        lost.unlink()
    else:
        lost.write_bytes(b"PAR1 this is not what was written")
    relative = str(lost.relative_to(store / "victim"))

    out = run("check", "victim", data_dir=store)
    assert out.returncode == 1
    assert f"{relative}: {'missing' if damage == 'delete' else 'unreadable (damaged)'}" in out.stdout
    assert "check victim --repair" in out.stdout
    report = json.loads(run("check", "--format", "json", data_dir=store).stdout)
    (victim_table,) = [t for t in report["tables"] if t["dataset"] == "victim" and not t["volumes"]]
    assert not report["whole"] and victim_table["damaged"][0]["file"] == relative

    # importing the export again is not "already imported whole": the table cannot be read, and says what to do
    again = run("ingest", "victim", str(second), data_dir=store)
    assert again.returncode == 1 and "already imported" not in again.stdout
    assert "check victim --repair" in again.stderr and len(again.stderr.strip().splitlines()) == 1

    fixed = run("check", "victim", "--repair", data_dir=store)
    assert fixed.returncode == 0, fixed.stderr
    assert "restored to version 1, its last whole version; recorded as version 3" in fixed.stdout
    assert "Imports taken back: 2 (september-again.csv)" in fixed.stdout
    assert run("check", "victim", data_dir=store).returncode == 0
    history = Store(store).history("victim")
    assert (history[0]["action"], history[0]["restored_to"], history[0]["undoes"]) == ("repair", 1, [2])
    assert history[0]["damaged"] == [relative] and history[0]["user"].startswith("cli:")
    audit = run("audit", data_dir=store).stdout
    assert "repair" in audit and relative in audit

    assert run("ingest", "victim", str(second), data_dir=store).returncode == 0
    fresh = tmp_path / "fresh"
    for path in (first, second):
        assert run("ingest", "victim", str(path), data_dir=fresh).returncode == 0
    assert_frame_equal(Store(store).read(victim), Store(fresh).read(victim))
    assert run("undo", "victim", data_dir=store).returncode == 0, "the repaired table undoes as any other"
    only_first = tmp_path / "only-first"
    assert run("ingest", "victim", str(first), data_dir=only_first).returncode == 0
    assert_frame_equal(Store(store).read(victim), Store(only_first).read(victim))


def test_a_damaged_table_on_a_page_says_how_to_repair(two_imports, monkeypatch, run):
    store, _, _ = two_imports
    newest_files(store)[0].unlink()
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(store))
    page = app("app_pages/satisfaction.py", dataset="victim")
    assert not page.exception
    assert any("check victim --repair" in e.value for e in page.error)
    assert run("check", "victim", "--repair", data_dir=store).returncode == 0
    history = app("app_pages/upload.py").dataframe[-1].value
    assert history["What"].tolist()[0] == "Repaired (damaged files)"
    assert history["What"].tolist()[1] == "Imported, then undone", "the version the repair took back is marked undone"


def test_repair_refuses_what_it_cannot_or_need_not_do(two_imports, run):
    store, _, _ = two_imports
    whole = run("check", "victim", "--repair", data_dir=store)
    assert whole.returncode == 0 and "all there and readable" in whole.stdout and "restored" not in whole.stdout
    assert len(Store(store).history("victim")) == 2, "nothing damaged: nothing done"
    newest = sorted((store / "victim" / "_delta_log").glob("*.json"))[-1]
    newest.write_text('{"add": {"path": ')
    out = run("check", "victim", data_dir=store)
    assert out.returncode == 1 and "its log" in out.stdout and "cannot be read" in out.stdout
    refused = run("check", "victim", "--repair", data_dir=store)
    assert refused.returncode == 1 and "not repaired" in refused.stderr


def test_force_reads_a_file_already_imported_whole(two_imports, run):
    store, _, second = two_imports
    skipped = run("ingest", "victim", str(second), data_dir=store)
    assert "already imported whole" in skipped.stdout and "--force" in skipped.stdout
    forced = run("ingest", "victim", str(second), "--force", data_dir=store)
    assert forced.returncode == 0 and "41 rows read; 0 new, 0 updated, 41 already held" in forced.stdout


def test_the_cli_reads_exactly_the_file_named(tmp_path, exports, run):
    """A name with glob characters is a name: `report*.csv` is that file, not every report; `[final]` is literal."""
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    (tmp_path / "report1.csv").write_bytes(write_rows(rows))  # 40 responses a pattern would also read
    (tmp_path / "report*.csv").write_bytes(write_rows(rows[:6]))
    (tmp_path / "report [final].csv").write_bytes(write_rows(rows[:4]))
    star = run("ingest", "victim", str(tmp_path / "report*.csv"), data_dir=tmp_path / "a")
    assert star.returncode == 0 and "5 rows read; 5 new" in star.stdout, star.stdout + star.stderr
    final = run("ingest", "victim", str(tmp_path / "report [final].csv"), data_dir=tmp_path / "b")
    assert final.returncode == 0 and "3 rows read; 3 new" in final.stdout, final.stdout + final.stderr
    nothing = run("ingest", "victim", str(tmp_path / "report?.csv"), data_dir=tmp_path / "c")
    assert nothing.returncode == 1 and "report?.csv: no such file" in nothing.stderr
