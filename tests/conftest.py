from __future__ import annotations

import os
from pathlib import Path

import pytest

from insight.definition import Definition, load_definitions

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
EXPORTS = SHARED / "exports"


def need_shared() -> Path:
    """The shared folder beside the repo: required in CI, skipped without it elsewhere."""
    if not EXPORTS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{EXPORTS} is missing; CI must run with ../shared beside the repo")
        pytest.skip("../shared/exports is not beside this checkout")
    return EXPORTS


@pytest.fixture(scope="session")
def definitions() -> dict[str, Definition]:
    return load_definitions()


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
