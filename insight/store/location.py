"""Where the store is: a local folder (``data/store/`` by default) or an object-store URI."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "store"


def resolve_data_dir(data_dir: str | Path | None = None) -> str | Path:
    """``--data-dir``, else ``$INSIGHT_DATA_DIR``, else ``data/store/``: a folder, or a URI such as ``az://…``."""
    chosen = data_dir or os.environ.get("INSIGHT_DATA_DIR") or DEFAULT_DATA_DIR
    if isinstance(chosen, str) and is_uri(chosen):
        return chosen.rstrip("/")
    return Path(chosen)


def is_uri(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


def earlier_file(data_dir: Path, dataset: str, *, volumes: bool = False) -> Path | None:
    """The first version's single Parquet file for a dataset (or its volumes), if still there (insight.store.legacy)."""
    path = data_dir / "volumes" / f"{dataset}.parquet" if volumes else data_dir / f"{dataset}.parquet"
    return path if path.is_file() else None
