"""Every CLI command piped into `head` ends without a traceback (issue 21).

Each subcommand runs in its own process with its standard output a pipe whose reading end is already
closed: the first write finds the reader gone, as when `head` has had its lines. The command must end
with its own exit status and nothing on stderr but its own messages; an import must still be done
whole (its summary could not be shown, its rows are still imported).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from insight.cli import build_parser
from insight.datasets import SAMPLES_DIR
from insight.store import Store
from tests.conftest import REPO, SHARED, need_shared

VICTIM = sorted(p for p in (SAMPLES_DIR / "victim").iterdir() if not p.name.startswith("volumes"))


def closed_stdout(args: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run ``python -m insight ARGS`` writing to a pipe nobody reads any more."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "insight", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            timeout=180,
        )
    finally:
        os.close(write_end)
    return done


def quiet(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert "BrokenPipe" not in done.stderr, done.stderr


def test_every_command_piped_into_head_ends_without_a_traceback(tmp_path):
    need_shared()
    store = str(tmp_path / "store")
    at = ["--data-dir", store]
    # The import comes first: its summary lines all go to the closed pipe, and both files are still imported.
    ingest = closed_stdout(["ingest", "victim", *map(str, VICTIM[-2:]), *at])
    quiet(ingest)
    assert ingest.returncode == 0
    assert [h["action"] for h in Store(store).history("victim")] == ["import", "import"], "nothing left half done"
    cases = closed_stdout(
        ["ingest", "victims_code", str(SAMPLES_DIR / "victims_code" / "victims_code_2019-Q3.csv"), *at]
    )
    assert cases.returncode == 0, cases.stderr  # the dip sample, for matched
    sandbox = tmp_path / "sandbox"  # build-census writes beside the code it runs: a copy of it here
    shutil.copytree(REPO / "insight", sandbox / "insight", ignore=shutil.ignore_patterns("__pycache__"))
    reading = {
        "report": ["report", "victim", *at],
        "represent": ["represent", "victim", "--by", "age", *at],
        "validity": ["validity", "victim", *at],
        "themes": ["themes", "victim", *at],
        "compare": ["compare", "victim", "--by", "channel_group", *at],
        "trend": ["trend", "victim", *at],
        "answers": ["answers", "victim", "--aspect", "overall", *at],
        "drivers": ["drivers", "victim", *at],
        "changes": ["changes", "victim", "--since", "2019-08", *at],
        "reach": ["reach", "victim", *at],
        "matched": ["matched", "victims_code", *at],
        "pack": ["pack", "--out", str(tmp_path / "pack.html"), *at],
        "audit": ["audit", *at],
        "history": ["history", "victim", *at],
        "migrate": ["migrate", *at],
        "check": ["check", *at],
        "check-config": ["check-config"],
        "make-samples": ["make-samples", "--out", str(tmp_path / "samples")],
        "--help": ["--help"],
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip(reading, pool.map(closed_stdout, reading.values()), strict=True))
    runs["build-census"] = closed_stdout(["build-census", "--source", str(SHARED / "census")], cwd=sandbox)
    runs["undo"] = closed_stdout(["undo", "victim", *at])  # last: it changes what the others read
    runs["ingest"] = ingest
    commands = {name for name, _, _ in _subcommands()}
    assert commands <= set(runs), f"a command with no closed-pipe run: {commands - set(runs)}"
    for name, done in runs.items():
        quiet(done)
        assert done.returncode == 0, (name, done.stderr)
    assert Store(store).history("victim")[0]["action"] == "undo"
    assert (sandbox / "config" / "census" / "age.yaml").exists(), "build-census did its work"


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return [(name, None, sub) for name, sub in action.choices.items()]  # type: ignore[union-attr]


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_reader_gone_mid_command_is_said_nowhere_and_changes_nothing(monkeypatch, capsys, stream, tmp_path):
    """In-process: a stream whose writes fail as a closed pipe's do; the command's status is its own."""
    from insight import cli

    class Gone:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            raise OSError("no file")

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, stream, Gone())
    args = ["check-config"] if stream == "stdout" else ["report", "victim", "--data-dir", str(tmp_path / "none")]
    assert cli.main(args) == (0 if stream == "stdout" else 1)
