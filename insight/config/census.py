"""Census 2021 benchmarks: who lives in the force area, by age, ethnicity and sex.

The YAML tables in ``config/census/`` are built from the CSVs in ``../shared/census/``
by ``python -m insight build-census``; each keeps its source and the population it
covers, because "share of residents aged 16+" and "share of all residents" differ.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from insight.config.files import CONFIG_DIR, Reader, Skip, join

FORCE_AREA = "West Midlands (met county)"
AREA_TABLE = "age"  # its area totals are each local authority's residents aged 16+ (weighting NPUs)
AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
ETHNIC_GROUPS = {"White": "n_white", "Mixed": "n_mixed", "Asian": "n_asian", "Black": "n_black", "Other": "n_other"}


@dataclass(frozen=True)
class CensusTable:
    table: str
    title: str
    population: str
    source: str
    groups: tuple[str, ...]
    areas: dict[str, dict[str, int]]

    def shares(self, area: str | Sequence[str]) -> dict[str, float]:
        """Percentage of the area's population in each group (several areas are added together)."""
        areas = [area] if isinstance(area, str) else list(dict.fromkeys(area))
        counts = {g: sum(self.areas[a][g] for a in areas) for g in self.groups}
        total = sum(counts.values())
        return {g: counts[g] / total * 100 for g in self.groups}


@dataclass(frozen=True)
class Census:
    tables: dict[str, CensusTable]
    force_area: str
    npu_areas: dict[str, str]  # NPU -> local authority

    def area_for(self, npu: str | None) -> str:
        if npu is None:
            return self.force_area
        if npu not in self.npu_areas:
            raise KeyError(f"no census area is mapped for NPU {npu!r}")
        return self.npu_areas[npu]

    def areas_for(self, npus: Sequence[str]) -> list[str]:
        """The local authorities covering some NPUs (each once); the force area for none.

        A choice with no area of its own ("Not stated") adds none: alone, it is compared with the force area.
        """
        return list(dict.fromkeys(self.area_for(n) for n in npus if n in self.npu_areas)) or [self.force_area]


CENSUS_KEYS = {"table", "title", "population", "source", "groups", "areas"}


def parse_census_table(r: Reader, raw: Any, name: str) -> CensusTable:
    """One census table file (``name`` is its file stem, which must be its table name)."""
    raw = r.mapping(raw, "", required=True)
    r.known_keys(raw, CENSUS_KEYS, "")
    fields: dict[str, Any] = {}
    for key in ("table", "title", "population", "source"):
        with r.part():
            fields[key] = r.text(raw, key, "")
    if fields.get("table") not in (None, name):
        r.note("table", f"{fields['table']!r} must match the file name {name!r}")
    groups = r.labels(raw.get("groups"), "groups", required=True)
    areas: dict[str, dict[str, int]] = {}
    for area, counts in r.mapping(raw.get("areas"), "areas", required=True).items():
        kp = f"areas.{area}"
        with r.part():
            counts = r.mapping(counts, kp, required=True)
            if {str(g) for g in counts} != set(groups):
                raise r.fail(kp, f"groups {sorted(map(str, counts))} differ from {list(groups)}")
            row = {}
            for g in counts:
                with r.part():
                    n = r.integer(counts, g, kp)
                    if n < 0:
                        raise r.fail(join(kp, g), f"a count cannot be negative ({n})")
                    row[str(g)] = n
            areas[str(area)] = row
    if not r.clean:
        raise Skip
    return CensusTable(**fields, groups=groups, areas=areas)


def parse_areas(r: Reader, raw: Any) -> tuple[str, dict[str, str]]:
    """areas.yaml: the force area and NPU -> local authority."""
    raw = r.mapping(raw, "", required=True)
    r.known_keys(raw, {"force_area", "npu_areas"}, "")
    force_area = r.text(raw, "force_area", "")
    npu_areas = {}
    for npu, area in r.mapping(raw.get("npu_areas"), "npu_areas", required=True).items():
        with r.part():
            npu_areas[r.as_text(npu, "npu_areas")] = r.as_text(area, f"npu_areas.{npu}")
    return force_area, npu_areas


# --------------------------------------------------------------------------- building


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def build_tables(shared_census: Path) -> dict[str, dict]:
    """The census YAML documents, built from the shared CSVs (counts, not rounded shares)."""
    age_rows = _rows(shared_census / "age_2021_by_local_authority.csv")
    eth_rows = _rows(shared_census / "ethnicity_2021_by_local_authority.csv")
    everyone = [r for r in age_rows if r["sex"] == "All persons"]
    age = {
        "table": "age",
        "title": "Age group",
        "population": "usual residents aged 16 and over",
        "source": everyone[0]["source"],
        "groups": AGE_BANDS,
        "areas": {r["area_name"]: {b: int(r[f"n_{b}"]) for b in AGE_BANDS} for r in everyone},
    }
    gender_areas: dict[str, dict[str, int]] = {}
    for r in age_rows:
        if r["sex"] in ("Female", "Male"):
            gender_areas.setdefault(r["area_name"], {})[r["sex"]] = int(r["pop_16plus"])
    gender = {
        "table": "gender",
        "title": "Sex (Census 2021 records female/male only)",
        "population": "usual residents aged 16 and over, by sex",
        "source": everyone[0]["source"],
        "groups": ["Female", "Male"],
        "areas": gender_areas,
    }
    ethnicity = {
        "table": "ethnicity",
        "title": "Ethnic group (broad)",
        "population": "all usual residents, all ages (no 16+ table was available)",
        "source": eth_rows[0]["source"],
        "groups": list(ETHNIC_GROUPS),
        "areas": {r["area_name"]: {g: int(r[c]) for g, c in ETHNIC_GROUPS.items()} for r in eth_rows},
    }
    return {"age": age, "gender": gender, "ethnicity": ethnicity}


def write_tables(shared_census: Path, config_dir: Path | None = None) -> list[Path]:
    folder = (config_dir or CONFIG_DIR) / "census"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in build_tables(shared_census).items():
        path = folder / f"{name}.yaml"
        header = f"# Built by `python -m insight build-census` from {shared_census.name}/; do not edit by hand.\n"
        path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
        written.append(path)
    return written
