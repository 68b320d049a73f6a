from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from insight.config.definition import Definition
from insight.config.files import CONFIG_DIR
from insight.config.loader import load_config

# The pseudonym key every test (and every CLI it starts) imports with, unless a test takes it away.
TEST_KEY = "test pseudonym key - 0123456789abcdef0123456789abcdef"
os.environ.setdefault("INSIGHT_ID_KEY", TEST_KEY)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
EXPORTS = SHARED / "exports"


def copy_config(tmp_path: Path) -> Path:
    """A copy of the bundled config/ a test may edit (load_config(copy), or $INSIGHT_CONFIG_DIR)."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


def need_shared() -> Path:
    """The shared folder beside the repo: required in CI, skipped without it elsewhere."""
    if not EXPORTS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{EXPORTS} is missing; CI must run with ../shared beside the repo")
        pytest.skip("../shared/exports is not beside this checkout")
    return EXPORTS


@pytest.fixture(scope="session")
def definitions() -> dict[str, Definition]:
    return load_config().definitions


@pytest.fixture(scope="session")
def victim(definitions: dict[str, Definition]) -> Definition:
    return definitions["victim"]


@pytest.fixture(scope="session")
def wmnow(definitions: dict[str, Definition]) -> Definition:
    return definitions["wmnow"]


@pytest.fixture()
def exports() -> Path:
    return need_shared()


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "store"
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(folder))
    return folder


def tidy(definition: Definition, rows: list[dict]) -> pl.DataFrame:
    """A tidy frame in the definition's stored schema from a few columns per row (the rest left blank).

    Each row needs ``period``; ``id`` is numbered when left out.
    """
    from insight.config.layout import empty_frame

    template = empty_frame(definition)
    rows = [{"id": f"R{i}", **r} for i, r in enumerate(rows)]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return (
        frame.with_columns(
            [pl.lit(None).cast(t).alias(c) for c, t in template.schema.items() if c not in frame.columns]
        )
        .select(template.columns)
        .cast(template.schema)
    )


def repeat(row: dict, n: int) -> list[dict]:
    return [dict(row) for _ in range(n)]


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding every bundled survey sample (and its volumes), imported through the CLI once per run."""
    import subprocess
    import sys

    from insight.datasets import SAMPLES_DIR

    store = tmp_path_factory.mktemp("sample-store")
    for dataset in ("victim", "caller_101", "domestic_abuse", "public_confidence", "wmnow"):
        files = sorted(str(p) for p in (SAMPLES_DIR / dataset).iterdir() if not p.name.startswith("volumes"))
        volumes = [a for p in sorted((SAMPLES_DIR / dataset).glob("volumes*")) for a in ("--volumes", str(p))]
        cmd = [sys.executable, "-m", "insight", "ingest", dataset, *files, *volumes, "--data-dir", str(store)]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)
        assert done.returncode == 0, done.stderr
    return store


def open_figures(at):
    """Open every "Figures and table" detail on an AppTest page, as a reader does, and run it again: each
    figure's table is drawn only once its detail is open. Returns the AppTest (as ``run`` does)."""
    from app_pages.output import FIGURES_KEY

    for _ in range(3):  # a table opened may bring no new detail; three passes bound it all the same
        closed = [k for k in at.session_state if str(k).startswith(FIGURES_KEY) and not at.session_state[k]]
        if not closed:
            return at
        for key in closed:
            at.session_state[key] = True
        at.run()
    return at
