"""Survey definitions: what one export holds and how to read it.

A definition is a YAML file in ``config/surveys/``. Adding a survey means adding a
file there, not code. Definitions are validated when loaded (through ``insight.config``): every mistake names
the file, the key path and what is wrong, so a typo never becomes a silently wrong figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insight.configfile import ConfigError, Reader, Skip, normalise_label

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
NOT_STATED = "Not stated"
GRANULARITIES = ("month", "quarter")
KINDS = ("survey", "membership")


# The name most code catches; every configuration mistake is a ConfigError listing all of them.
DefinitionError = ConfigError
__all__ = ["DefinitionError", "normalise_label"]


@dataclass(frozen=True)
class Scale:
    name: str
    answers: tuple[str, ...]
    positive: tuple[str, ...]
    excluded: tuple[str, ...]

    @property
    def in_base(self) -> tuple[str, ...]:
        return tuple(a for a in self.answers if a not in self.excluded)


@dataclass(frozen=True)
class Question:
    key: str
    column: str
    label: str
    scale: Scale


@dataclass(frozen=True)
class Dimension:
    key: str
    column: str
    label: str
    groups: dict[str, tuple[str, ...]]  # output group -> export labels
    not_stated: tuple[str, ...] = ()
    census: str | None = None
    area: bool = False  # a geography that maps onto census local authorities

    @property
    def values(self) -> tuple[str, ...]:
        """Output categories in display order, "Not stated" last."""
        return (*self.groups, NOT_STATED)

    def label_map(self) -> dict[str, str]:
        """Normalised export label -> output group (or "Not stated")."""
        mapping = {normalise_label(lab): grp for grp, labs in self.groups.items() for lab in labs}
        mapping.update({normalise_label(lab): NOT_STATED for lab in self.not_stated})
        return mapping

    def allowed_labels(self) -> list[str]:
        return [lab for labs in self.groups.values() for lab in labs] + list(self.not_stated)


@dataclass(frozen=True)
class Period:
    column: str
    formats: tuple[str, ...]
    granularity: str


@dataclass(frozen=True)
class Suppression:
    min_base: int = 10  # below this no percentage is shown anywhere
    caution_base: int = 50  # below this a percentage is marked "treat with caution"
    secondary: bool = False  # also suppress the next smallest group when one is suppressed


@dataclass(frozen=True)
class Volumes:
    """Monthly contact volumes file: which column is the month, contacts, invitations."""

    period_column: str
    period_format: str
    contacts: str | None
    invitations: str | None
    contacts_label: str = "contacts"


@dataclass(frozen=True)
class Definition:
    dataset: str
    title: str
    kind: str
    id_column: str
    period: Period
    pii_columns: tuple[str, ...]
    dimensions: dict[str, Dimension]
    questions: dict[str, Question]
    free_text: dict[str, str] = field(default_factory=dict)
    suppression: Suppression = Suppression()
    headline: str | None = None
    population: dict[str, tuple[str, ...]] = field(default_factory=dict)
    volumes: Volumes | None = None
    path: Path | None = None

    @property
    def aspects(self) -> list[str]:
        return list(self.questions)

    def required_columns(self) -> list[str]:
        """Every export column the definition reads (PII is read only to be dropped)."""
        cols = [self.id_column, self.period.column]
        cols += [d.column for d in self.dimensions.values()]
        cols += [q.column for q in self.questions.values()]
        cols += list(self.free_text.values())
        return list(dict.fromkeys(cols))

    def aspect_label(self, aspect: str) -> str:
        return self.questions[aspect].label

    def dimension_label(self, dim: str) -> str:
        return self.dimensions[dim].label


# --------------------------------------------------------------------------- reading
#
# One function per key, each reading its part and recording its own mistakes (Reader),
# so a definition with five mistakes reports five. A new key is a new function here,
# called from parse_definition, plus its field on the dataclass.

SCALE_KEYS = {"answers", "positive", "excluded"}
DIMENSION_KEYS = {"use", "column", "label", "values", "groups", "not_stated", "census", "area"}
TOP_KEYS = {
    "dataset", "title", "kind", "id_column", "period", "pii_columns", "headline",
    "dimensions", "questions", "free_text", "suppression", "population", "volumes",
}  # fmt: skip


def parse_scales(r: Reader, raw: Any) -> tuple[dict[str, Scale], set[str]]:
    """The scales, and the names of those with mistakes (so a survey naming one is not told it is unknown)."""
    scales: dict[str, Scale] = {}
    broken: set[str] = set()
    for name, node in r.mapping(raw, "", required=True).items():
        name = str(name)
        before = len(r.mistakes)
        with r.part():
            scale = _scale(r, name, node)
            if len(r.mistakes) == before:
                scales[name] = scale
        if len(r.mistakes) != before:
            broken.add(name)
    return scales, broken


def _scale(r: Reader, name: str, node: Any) -> Scale:
    node = r.mapping(node, name, required=True)
    r.known_keys(node, SCALE_KEYS, name)
    answers = r.labels(node.get("answers"), f"{name}.answers", required=True)
    on_scale = {normalise_label(a) for a in answers}
    parts: dict[str, tuple[str, ...]] = {}
    for part in ("positive", "excluded"):
        with r.part():
            parts[part] = r.labels(node.get(part), f"{name}.{part}")
            for label in parts[part]:
                if normalise_label(label) not in on_scale:
                    r.note(f"{name}.{part}", f"{label!r} is not on the scale {list(answers)}")
    positive, excluded = parts.get("positive", ()), parts.get("excluded", ())
    if "positive" in parts and not positive:
        r.note(f"{name}.positive", "at least one answer must count as positive")
    both = {normalise_label(p) for p in positive} & {normalise_label(e) for e in excluded}
    if both:
        r.note(name, f"answers both positive and excluded: {sorted(both)}")
    return Scale(name, answers, positive, excluded)


def parse_templates(r: Reader, raw: Any) -> dict[str, dict[str, Any]]:
    templates: dict[str, dict[str, Any]] = {}
    for name, node in r.mapping(raw, "", required=True).items():
        with r.part():
            node = r.mapping(node, str(name), required=True)
            r.known_keys(node, DIMENSION_KEYS - {"use"}, str(name))
            templates[str(name)] = node
    return templates


def _dimension(r: Reader, key: str, node: Any, templates: dict[str, dict[str, Any]] | None) -> Dimension:
    kp = f"dimensions.{key}"
    node = r.mapping(node, kp, required=True)
    r.known_keys(node, DIMENSION_KEYS, kp)
    if "use" in node:
        name = r.as_text(node["use"], f"{kp}.use")
        if templates is None:  # dimensions.yaml itself has a mistake, reported there
            raise Skip
        if name not in templates:
            raise r.fail(f"{kp}.use", f"no dimension template {name!r} in dimensions.yaml; known: {sorted(templates)}")
        node = {**templates[name], **{k: v for k, v in node.items() if k != "use"}}
    column = r.text(node, "column", kp)
    label = r.text(node, "label", kp, default=key)
    if ("values" in node) == ("groups" in node):
        raise r.fail(kp, "give either `values` (a list) or `groups` (group -> labels), not both")
    if "values" in node:
        groups = {v: (v,) for v in r.labels(node["values"], f"{kp}.values", required=True)}
    else:
        raw_groups = r.mapping(node["groups"], f"{kp}.groups", required=True)
        groups = {}
        for g, labs in raw_groups.items():
            with r.part():
                groups[r.as_text(g, f"{kp}.groups")] = r.labels(labs, f"{kp}.groups.{g}", required=True)
        if not groups:
            raise r.fail(f"{kp}.groups", "is empty")
    not_stated = r.labels(node.get("not_stated"), f"{kp}.not_stated")
    seen: dict[str, str] = {}
    if NOT_STATED in groups:
        r.note(kp, f"{NOT_STATED!r} is reserved; list such labels under not_stated")
    for grp, labs in [*groups.items(), (NOT_STATED, not_stated)]:
        for lab in labs:
            norm = normalise_label(lab)
            if norm in seen and seen[norm] != grp:
                r.note(kp, f"label {lab!r} is in both {seen[norm]!r} and {grp!r}")
            seen[norm] = grp
    census = r.text(node, "census", kp, default=None)
    return Dimension(
        key=key,
        column=column,
        label=label,
        groups=groups,
        not_stated=not_stated,
        census=census,
        area=r.boolean(node, "area", kp, default=False),
    )


def _period(r: Reader, raw: dict[str, Any]) -> Period:
    pnode = r.mapping(raw.get("period"), "period", required=True)
    r.known_keys(pnode, {"column", "formats", "granularity"}, "period")
    granularity = r.choice(pnode, "granularity", "period", GRANULARITIES)
    formats = r.labels(pnode.get("formats"), "period.formats")
    if not formats:
        raise r.fail("period.formats", "give at least one date format, e.g. '%d/%m/%Y'")
    for i, fmt in enumerate(formats):
        with r.part():
            r.date_format(fmt, f"period.formats[{i}]")
    return Period(r.text(pnode, "column", "period"), formats, granularity)


def _dimensions(r: Reader, raw: dict[str, Any], templates: dict[str, dict[str, Any]] | None) -> dict[str, Dimension]:
    dimensions: dict[str, Dimension] = {}
    for key, node in r.mapping(raw.get("dimensions"), "dimensions").items():
        with r.part():
            dimensions[str(key)] = _dimension(r, str(key), node, templates)
    return dimensions


def _questions(r: Reader, raw: dict[str, Any], scales: dict[str, Scale], broken: set[str]) -> dict[str, Question]:
    questions: dict[str, Question] = {}
    for key, node in r.mapping(raw.get("questions"), "questions").items():
        kp = f"questions.{key}"
        with r.part():
            node = r.mapping(node, kp, required=True)
            r.known_keys(node, {"column", "label", "scale"}, kp)
            column = r.text(node, "column", kp)
            label = r.text(node, "label", kp, default=str(key))
            scale_name = r.text(node, "scale", kp)
            if scale_name in broken:
                raise Skip  # the scale's own mistake is reported in scales.yaml
            if scale_name not in scales:
                raise r.fail(f"{kp}.scale", f"unknown scale {scale_name!r}; known: {sorted(scales)}")
            questions[str(key)] = Question(str(key), column, label, scales[scale_name])
    return questions


def _free_text(r: Reader, raw: dict[str, Any]) -> dict[str, str]:
    node = r.mapping(raw.get("free_text"), "free_text")
    out = {}
    for key, column in node.items():
        with r.part():
            out[str(key)] = r.as_text(column, f"free_text.{key}")
    return out


def _suppression(r: Reader, raw: dict[str, Any]) -> Suppression:
    node = r.mapping(raw.get("suppression"), "suppression")
    r.known_keys(node, {"min_base", "caution_base", "secondary"}, "suppression")
    default = Suppression()
    values: dict[str, Any] = {}
    with r.part():
        values["min_base"] = r.integer(node, "min_base", "suppression", default.min_base)
    with r.part():
        values["caution_base"] = r.integer(node, "caution_base", "suppression", default.caution_base)
    values["secondary"] = r.boolean(node, "secondary", "suppression", default.secondary)
    if len(values) < 3:
        raise Skip
    suppression = Suppression(**values)
    if not 1 <= suppression.min_base <= suppression.caution_base:
        raise r.fail("suppression", "need 1 <= min_base <= caution_base")
    return suppression


def _population(r: Reader, raw: dict[str, Any], dimensions: dict[str, Dimension]) -> dict[str, tuple[str, ...]]:
    population: dict[str, tuple[str, ...]] = {}
    for dim, values in r.mapping(raw.get("population"), "population").items():
        kp = f"population.{dim}"
        with r.part():
            vals = r.labels(values, kp, required=True)
            if dim not in dimensions:
                raise r.fail(kp, "is not a dimension of this definition")
            for v in vals:
                if v not in dimensions[dim].groups:
                    r.note(kp, f"{v!r} is not a value of {dim}")
            population[str(dim)] = vals
    return population


def _volumes(r: Reader, raw: dict[str, Any]) -> Volumes | None:
    if raw.get("volumes") is None:
        return None
    node = r.mapping(raw["volumes"], "volumes")
    r.known_keys(node, {"period_column", "period_format", "contacts", "invitations", "contacts_label"}, "volumes")
    period_format = r.text(node, "period_format", "volumes", default="%b %Y")
    r.date_format(period_format, "volumes.period_format", prefix="%d ")
    return Volumes(
        period_column=r.text(node, "period_column", "volumes"),
        period_format=period_format,
        contacts=r.text(node, "contacts", "volumes", default=None),
        invitations=r.text(node, "invitations", "volumes", default=None),
        contacts_label=r.text(node, "contacts_label", "volumes", default="contacts"),
    )


def _cross_checks(r: Reader, d: dict[str, Any]) -> None:
    """Checks between the parts of one definition."""
    questions, dimensions, free_text = d["questions"], d["dimensions"], d["free_text"]
    if d["kind"] == "survey" and not questions:
        r.note("questions", "a survey needs at least one question")
    if d["kind"] == "membership" and questions:
        r.note("questions", "a membership list has no questions")
    headline = d["headline"]
    if headline is not None and headline not in questions:
        r.note("headline", f"{headline!r} is not one of the questions {list(questions)}")
    used = {normalise_label(c) for c in [d["id_column"], d["period"].column]}
    used |= {normalise_label(x.column) for x in dimensions.values()}
    used |= {normalise_label(q.column) for q in questions.values()}
    used |= {normalise_label(c) for c in free_text.values()}
    for col in d["pii_columns"]:
        if normalise_label(col) in used:
            r.note("pii_columns", f"{col!r} is PII but is also read as data")
    keys = list(dimensions) + list(questions) + list(free_text)
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        r.note("(top)", f"names used twice across dimensions/questions/free_text: {sorted(dupes)}")
    reserved = {"id", "period", "date"} & set(keys)
    if reserved:
        r.note("(top)", f"names reserved for the tidy frame: {sorted(reserved)}")


def parse_definition(
    r: Reader,
    raw: Any,
    path: Path,
    scales: dict[str, Scale],
    broken_scales: set[str],
    templates: dict[str, dict[str, Any]] | None,
) -> Definition | None:
    """One survey definition, or None when it has mistakes (all of them recorded in ``r``)."""
    raw = r.mapping(raw, "", required=True)
    r.known_keys(raw, TOP_KEYS, "")
    d: dict[str, Any] = {}

    def step(name: str, read: Any) -> None:
        with r.part():
            d[name] = read()

    step("dataset", lambda: _dataset(r, raw, path))
    step("title", lambda: r.text(raw, "title", "", default=path.stem))
    step("kind", lambda: r.choice(raw, "kind", "", KINDS, default="survey"))
    step("id_column", lambda: r.text(raw, "id_column", ""))
    step("period", lambda: _period(r, raw))
    step("pii_columns", lambda: r.labels(raw.get("pii_columns"), "pii_columns"))
    step("headline", lambda: r.text(raw, "headline", "", default=None))
    step("dimensions", lambda: _dimensions(r, raw, templates))
    step("questions", lambda: _questions(r, raw, scales, broken_scales))
    step("free_text", lambda: _free_text(r, raw))
    step("suppression", lambda: _suppression(r, raw))
    step("population", lambda: _population(r, raw, d.get("dimensions", {})))
    step("volumes", lambda: _volumes(r, raw))
    if not r.clean:
        return None
    _cross_checks(r, d)
    if not r.clean:
        return None
    return Definition(**d, path=path)


def _dataset(r: Reader, raw: dict[str, Any], path: Path) -> str:
    dataset = r.text(raw, "dataset", "")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", dataset):
        raise r.fail("dataset", f"{dataset!r} must be lower-case letters, digits and _")
    if dataset != path.stem:
        raise r.fail("dataset", f"{dataset!r} must match the file name {path.stem!r}")
    return dataset


def load_definitions(config_dir: Path | None = None) -> dict[str, Definition]:
    """Every definition in ``config/surveys/``, keyed by dataset name (through the one loader)."""
    from insight.config import load_config

    return load_config(config_dir).definitions


# The order the paper presents its sources in; datasets not listed follow.
DATASET_ORDER = {"victim": 0, "caller_101": 1, "live_chat": 2, "domestic_abuse": 3, "public_confidence": 4, "wmnow": 5}
