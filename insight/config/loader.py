"""The one configuration loader: every file under ``config/``, checked alone and together.

``load_config()`` reads scales, dimension templates, every survey definition, the census
tables and areas, the themes and the events (``events.yaml``, optional); it reports *every* mistake
across all of them in one ``ConfigError`` (file, key path, what is wrong), then checks the files against each other
(a census table a survey names must exist, every NPU must map onto a census area). The
CLI calls it before every command and the app at start, so both refuse the same mistakes
with the same sentences.

Adding a file: write ``parse_x(reader, raw)`` beside the thing it builds, recording
mistakes on the reader, and add it to ``EXTRA_FILES`` below (or, for a built-in, a field on
``Config``). Adding a key to a survey definition: see ``insight.config.definition``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insight.config.access import AccessPolicy, load_access, parse_access
from insight.config.census import AREA_TABLE, Census, CensusTable, parse_areas, parse_census_table
from insight.config.definition import (
    Definition,
    Scale,
    parse_definition,
    parse_scales,
    parse_templates,
)
from insight.config.events import Event, parse_events
from insight.config.files import CONFIG_DIR, ConfigError, Mistake, Reader, read_yaml
from insight.config.themes import Theme, parse_themes

# Further optional files, e.g. access.yaml: file name (relative to config/) -> parser(reader, parsed YAML or
# None when the file is absent, the dataset names of every survey file, loaded or not) -> value, kept in
# Config.extra[file name].
# The parser records its mistakes on the reader like every other (reader.note / raise reader.fail(...)), so
# they are listed with all the rest; the file has already been size-capped and read without aliases.
EXTRA_FILES: dict[str, Callable[[Reader, Any, list[str]], Any]] = {"access.yaml": parse_access}


@dataclass(frozen=True)
class Config:
    definitions: dict[str, Definition]
    scales: dict[str, Scale]
    census: Census
    themes: list[Theme]
    extra: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)  # config/events.yaml: what happened when, oldest first


_cache: dict[Path, tuple[tuple[Any, ...], Config]] = {}


def _fingerprint(config_dir: Path) -> tuple[Any, ...]:
    """Every config file's name, size and modification time: a changed file is read again."""
    out = []
    for path in sorted(config_dir.rglob("*.yaml")):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


def config_dir_in_use() -> Path:
    """``$INSIGHT_CONFIG_DIR`` (a force's own definitions, or a test's), else the bundled ``config/``."""
    return Path(os.environ.get("INSIGHT_CONFIG_DIR") or CONFIG_DIR)


def load_config(config_dir: Path | None = None) -> Config:
    """Every configuration file, validated; raises ConfigError listing every mistake found."""
    config_dir = Path(config_dir or config_dir_in_use())
    key = _fingerprint(config_dir)
    cached = _cache.get(config_dir)
    if cached and cached[0] == key:
        return cached[1]
    config = _load(config_dir)
    _cache[config_dir] = (key, config)
    return config


def access_alone(config_dir: Path | None = None) -> AccessPolicy | None:
    """``access.yaml`` read on its own (ConfigError lists its mistakes), for when another file is broken.

    Who may see the configuration's mistakes is decided by the access file; it is checked against the
    survey files' names, as ``load_config`` checks it.
    """
    config_dir = Path(config_dir or config_dir_in_use())
    survey_files = sorted((config_dir / "surveys").glob("*.yaml"))
    return load_access(config_dir / "access.yaml", [p.stem for p in survey_files])


def _reader(config_dir: Path, name: str, mistakes: list[Mistake], *, optional: bool = False) -> tuple[Reader, Any]:
    path = config_dir / name
    reader = Reader(name, mistakes)
    if optional and not path.exists():
        return reader, None
    if not path.is_file():
        reader.note("", "is missing")
        return reader, None
    return reader, read_yaml(path, name, mistakes)


def _load(config_dir: Path) -> Config:
    mistakes: list[Mistake] = []

    r, raw = _reader(config_dir, "scales.yaml", mistakes)
    scales: dict[str, Scale] = {}
    broken_scales: set[str] = set()
    with r.part():
        if raw is not None:
            scales, broken_scales = parse_scales(r, raw)

    r, raw = _reader(config_dir, "dimensions.yaml", mistakes)
    templates: dict[str, dict[str, Any]] | None = None
    with r.part():
        if raw is not None:
            parsed = parse_templates(r, raw)
            templates = parsed if r.clean else None

    definitions: dict[str, Definition] = {}
    survey_files = sorted((config_dir / "surveys").glob("*.yaml"))
    if not survey_files:
        mistakes.append(Mistake("surveys", "", "no survey definitions (*.yaml) found"))
    for path in survey_files:
        r, raw = _reader(config_dir, f"surveys/{path.name}", mistakes)
        if raw is None and not r.clean:
            continue
        with r.part():
            definition = parse_definition(r, raw, path, scales, broken_scales, templates)
            if definition is not None:
                definitions[definition.dataset] = definition

    census = _census(config_dir, mistakes)

    r, raw = _reader(config_dir, "themes.yaml", mistakes)
    themes: list[Theme] = []
    with r.part():
        if raw is not None:
            themes = parse_themes(r, raw)

    r, raw = _reader(config_dir, "events.yaml", mistakes, optional=True)
    events: list[Event] = []
    with r.part():
        events = parse_events(r, raw, [p.stem for p in survey_files])

    extra: dict[str, Any] = {}
    for name, parse in EXTRA_FILES.items():
        r, raw = _reader(config_dir, name, mistakes, optional=True)
        with r.part():
            extra[name] = parse(r, raw, [p.stem for p in survey_files])

    if census is not None:
        mistakes += cross_checks(definitions, census)
    if mistakes:
        raise ConfigError(mistakes)
    assert census is not None
    # In each definition's `order:`; those without one follow, by name.
    ordered = dict(sorted(definitions.items(), key=lambda kv: (kv[1].order is None, kv[1].order or 0, kv[0])))
    return Config(ordered, scales, census, themes, extra, events)


def _census(config_dir: Path, mistakes: list[Mistake]) -> Census | None:
    start = len(mistakes)
    r, raw = _reader(config_dir, "census/areas.yaml", mistakes)
    areas: tuple[str, dict[str, str]] | None = None
    with r.part():
        if raw is not None:
            areas = parse_areas(r, raw)
    tables: dict[str, CensusTable] = {}
    for path in sorted((config_dir / "census").glob("*.yaml")):
        if path.name == "areas.yaml":
            continue
        r, raw = _reader(config_dir, f"census/{path.name}", mistakes)
        with r.part():
            if raw is not None:
                table = parse_census_table(r, raw, path.stem)
                tables[table.table] = table
    if len(mistakes) != start or areas is None:
        return None
    force_area, npu_areas = areas
    for table in tables.values():
        for area in [force_area, *dict.fromkeys(npu_areas.values())]:
            if area not in table.areas:
                mistakes.append(
                    Mistake("census/areas.yaml", "", f"area {area!r} has no counts in census/{table.table}.yaml")
                )
    return Census(tables, force_area, npu_areas)


def cross_checks(definitions: dict[str, Definition], census: Census) -> list[Mistake]:
    """Surveys against the census: tables named exist, their groups are the dimension's, NPUs map to areas."""
    out = []
    for d in definitions.values():
        name = f"surveys/{d.path.name if d.path else d.dataset + '.yaml'}"
        for dim in d.dimensions.values():
            kp = f"dimensions.{dim.key}"
            if dim.census and dim.census not in census.tables:
                out.append(
                    Mistake(name, f"{kp}.census", f"no census table {dim.census!r}; tables: {sorted(census.tables)}")
                )
            elif dim.census:
                extra = set(census.tables[dim.census].groups) - set(dim.groups)
                if extra:
                    out.append(Mistake(name, kp, f"census groups {sorted(extra)} are not values of this dimension"))
            if dim.area:
                unmapped = set(dim.groups) - set(census.npu_areas)
                if unmapped:
                    out.append(Mistake(name, kp, f"no census area in census/areas.yaml for {sorted(unmapped)}"))
        areas = [m for m in (d.weighting.margins if d.weighting else ()) if d.dimensions[m].area]
        if areas and AREA_TABLE not in census.tables:
            message = f"{areas[0]} is weighted by each area's 16+ population, from census table {AREA_TABLE!r}: missing"
            out.append(Mistake(name, "weighting.margins", message))
    return out
