"""What each page shows: the uploaded data, or the bundled sample until the first upload.

Until a dataset has real uploads its pages show the synthetic sample data (marked as
such); the first real upload replaces the sample for that dataset only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from insight.config.definition import Definition
from insight.config.layout import with_derived
from insight.intake.tidy import ingest_file
from insight.intake.volumes import read_volumes
from insight.store import Store

# The bundled sample exports, one folder per dataset (written by ``python -m insight make-samples``).
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "samples"
# The pseudonym key the bundled samples are read with: public, as the synthetic values it hashes are.
# Never the force's key (real pseudonyms must not be comparable with anything in the repository).
SAMPLE_KEY = "synthetic sample data only - a public key, never the force's"


@dataclass(frozen=True)
class Loaded:
    frame: pl.DataFrame
    is_sample: bool
    volumes: pl.DataFrame | None = None  # monthly contacts and invitations, where known


def sample_paths(dataset: str, samples_dir: Path | None = None) -> list[Path]:
    """The sample exports (and volumes files) bundled for a dataset, in import order."""
    folder = (samples_dir or SAMPLES_DIR) / dataset
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".xlsx") and not p.name.startswith("volumes"))


def sample_volume_paths(dataset: str, samples_dir: Path | None = None) -> list[Path]:
    folder = (samples_dir or SAMPLES_DIR) / dataset
    return sorted(folder.glob("volumes*.csv")) if folder.exists() else []


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
        result = ingest_file(path, definition, key=SAMPLE_KEY)
        if not result.report.ok:
            raise ValueError(f"bundled sample {path.name} does not fit its definition:\n{result.report.describe()}")
        frames.append(result.frame)
    if not frames:
        return None
    held = pl.concat(frames).unique("id", keep="last", maintain_order=True).sort("period", "id")
    return with_derived(held, definition)  # as the store's reading adds them


def load_sample_volumes(definition: Definition, samples_dir: Path | None = None) -> pl.DataFrame | None:
    frames = [
        read_volumes(p.read_bytes(), p.name, definition) for p in sample_volume_paths(definition.dataset, samples_dir)
    ]
    return pl.concat(frames).unique("period", keep="last").sort("period") if frames else None


# The bundled samples are read once per process: an upload to one dataset must not make
# every other page re-read its sample files. Keyed on the files' names and times.
_SAMPLES: dict[tuple[object, ...], Loaded | None] = {}


def _sample_key(definition: Definition, samples_dir: Path | None) -> tuple[object, ...]:
    paths = [*sample_paths(definition.dataset, samples_dir), *sample_volume_paths(definition.dataset, samples_dir)]
    return (definition.dataset, definition.path, *((str(p), p.stat().st_mtime_ns) for p in paths))


def opening_period(frame: pl.DataFrame, definition: Definition) -> tuple[str | None, list[str]]:
    """The period a page opens on, and the newer periods passed over.

    The latest period whose headline question (for a membership list: whose members) has at
    least the minimum base; newer periods with fewer are passed over, so the app never opens
    on a month where every figure reads "too few". With no such period, the latest.
    """
    if frame.height == 0:
        return None, []
    headline = definition.headline or (definition.aspects[0] if definition.aspects else None)
    rows = frame.lazy()
    if headline:
        rows = rows.filter(pl.col(headline).is_in(list(definition.questions[headline].scale.in_base)))
    bases = dict(rows.group_by("period").len().collect().iter_rows())
    held = sorted(frame.get_column("period").drop_nulls().unique().to_list(), reverse=True)
    for i, period in enumerate(held):
        if bases.get(period, 0) >= definition.suppression.min_base:
            return period, held[:i]
    return (held[0] if held else None), []


def load_dataset(definition: Definition, store: Store, samples_dir: Path | None = None) -> Loaded | None:
    frame = store.read(definition)
    if frame is not None and frame.height:
        return Loaded(frame, is_sample=False, volumes=store.read_volumes(definition))
    if not samples_enabled():
        return None
    key = _sample_key(definition, samples_dir)
    if key not in _SAMPLES:
        sample = load_sample(definition, samples_dir)
        volumes = load_sample_volumes(definition, samples_dir) if sample is not None else None
        _SAMPLES[key] = Loaded(sample, is_sample=True, volumes=volumes) if sample is not None else None
    return _SAMPLES[key]
