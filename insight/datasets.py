"""What each page shows: the uploaded data, or the bundled sample until the first upload.

Until a dataset has real uploads its pages show the synthetic sample data (marked as
such); the first real upload replaces the sample for that dataset only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from insight.definition import Definition
from insight.ingest import ingest_file
from insight.samples import sample_paths, sample_volume_paths
from insight.store import Store
from insight.volumes import read_volumes


@dataclass(frozen=True)
class Loaded:
    frame: pl.DataFrame
    is_sample: bool
    volumes: pl.DataFrame | None = None  # monthly contacts and invitations, where known


def samples_enabled() -> bool:
    """``INSIGHT_SAMPLES=off`` turns the sample fallback off (an empty store shows empty pages)."""
    return os.environ.get("INSIGHT_SAMPLES", "on").lower() not in ("off", "0", "false", "no")


def load_sample(definition: Definition, samples_dir: Path | None = None) -> pl.DataFrame | None:
    """The bundled sample exports, read through the same ingest as uploads.

    Overlapping sample files count each response once, the later file winning, as the
    store would.
    """
    frames = []
    for path in sample_paths(definition.dataset, samples_dir):
        result = ingest_file(path, definition)
        if not result.report.ok:
            raise ValueError(f"bundled sample {path.name} does not fit its definition:\n{result.report.describe()}")
        frames.append(result.frame)
    if not frames:
        return None
    return pl.concat(frames).unique("id", keep="last", maintain_order=True).sort("period", "id")


def load_sample_volumes(definition: Definition, samples_dir: Path | None = None) -> pl.DataFrame | None:
    frames = [
        read_volumes(p.read_bytes(), p.name, definition) for p in sample_volume_paths(definition.dataset, samples_dir)
    ]
    return pl.concat(frames).unique("period", keep="last").sort("period") if frames else None


def load_dataset(definition: Definition, store: Store, samples_dir: Path | None = None) -> Loaded | None:
    frame = store.read(definition)
    if frame is not None and frame.height:
        return Loaded(frame, is_sample=False, volumes=store.read_volumes(definition))
    if not samples_enabled():
        return None
    sample = load_sample(definition, samples_dir)
    if sample is None:
        return None
    return Loaded(sample, is_sample=True, volumes=load_sample_volumes(definition, samples_dir))
