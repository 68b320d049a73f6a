"""Survey definitions: what one export holds and how to read it.

A definition is a YAML file in ``config/surveys/``. Adding a survey means adding a
file there, not code. Definitions are validated when loaded: a mistake names the file,
the key path and what is wrong, so a typo never becomes a silently wrong figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
NOT_STATED = "Not stated"
GRANULARITIES = ("month", "quarter")
KINDS = ("survey", "membership")


class DefinitionError(ValueError):
    """A survey definition (or a file it relies on) is wrong."""


def normalise_label(text: str) -> str:
    """The form two labels are compared in: case, spacing and apostrophes don't matter."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


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
class Weighting:
    """Raking to census margins (insight/weighting.py): which dimensions, and optional trimming."""

    margins: tuple[str, ...]
    trim: tuple[float, float] | None = None  # weights clipped to [lo, hi] x their mean after each pass


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
    weighting: Weighting | None = None
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


# --------------------------------------------------------------------------- loading


class _Reader:
    """Walks a parsed YAML mapping, naming the file and key path in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, keypath: str, message: str) -> DefinitionError:
        return DefinitionError(f"{self.path.name}: {keypath}: {message}")

    def mapping(self, value: Any, keypath: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(keypath, f"expected a mapping, got {type(value).__name__}")
        return value

    def text(self, node: dict[str, Any], key: str, keypath: str, default: str | None = None) -> str:
        value = node.get(key, default)
        if value is None:
            raise self.fail(f"{keypath}.{key}" if keypath else key, "is required")
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise self.fail(f"{keypath}.{key}" if keypath else key, f"expected text, got {value!r}")
        return str(value)

    def labels(self, value: Any, keypath: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise self.fail(keypath, "expected a list of labels")
        if any(isinstance(v, bool) for v in value):
            raise self.fail(keypath, 'YAML read a label as true/false: quote it, e.g. "Yes", "No"')
        out = tuple(str(v) for v in value)
        seen: set[str] = set()
        for label in out:
            norm = normalise_label(label)
            if norm in seen:
                raise self.fail(keypath, f"label {label!r} is listed twice")
            seen.add(norm)
        return out


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path.name}: not valid YAML: {exc}") from exc


def load_scales(path: Path | None = None) -> dict[str, Scale]:
    path = path or CONFIG_DIR / "scales.yaml"
    r = _Reader(path)
    raw = r.mapping(_read_yaml(path), "(top)")
    scales: dict[str, Scale] = {}
    for name, node in raw.items():
        node = r.mapping(node, name)
        unknown = set(node) - {"answers", "positive", "excluded"}
        if unknown:
            raise r.fail(name, f"unknown key(s) {sorted(unknown)}")
        answers = r.labels(node.get("answers"), f"{name}.answers")
        if not answers:
            raise r.fail(f"{name}.answers", "is required")
        norm = {normalise_label(a) for a in answers}
        for part in ("positive", "excluded"):
            for label in r.labels(node.get(part), f"{name}.{part}"):
                if normalise_label(label) not in norm:
                    raise r.fail(f"{name}.{part}", f"{label!r} is not on the scale {list(answers)}")
        positive = r.labels(node.get("positive"), f"{name}.positive")
        excluded = r.labels(node.get("excluded"), f"{name}.excluded")
        if not positive:
            raise r.fail(f"{name}.positive", "at least one answer must count as positive")
        both = {normalise_label(p) for p in positive} & {normalise_label(e) for e in excluded}
        if both:
            raise r.fail(name, f"answers both positive and excluded: {sorted(both)}")
        scales[name] = Scale(name, answers, positive, excluded)
    return scales


def load_dimension_templates(path: Path | None = None) -> dict[str, dict[str, Any]]:
    path = path or CONFIG_DIR / "dimensions.yaml"
    r = _Reader(path)
    raw = r.mapping(_read_yaml(path), "(top)")
    return {name: r.mapping(node, name) for name, node in raw.items()}


_DIMENSION_KEYS = {"use", "column", "label", "values", "groups", "not_stated", "census", "area"}
_TOP_KEYS = {
    "dataset", "title", "kind", "id_column", "period", "pii_columns", "headline",
    "dimensions", "questions", "free_text", "suppression", "population", "volumes",
    "weighting",
}  # fmt: skip


def _dimension(r: _Reader, key: str, node: Any, templates: dict[str, dict[str, Any]]) -> Dimension:
    kp = f"dimensions.{key}"
    node = r.mapping(node, kp)
    unknown = set(node) - _DIMENSION_KEYS
    if unknown:
        raise r.fail(kp, f"unknown key(s) {sorted(unknown)}")
    if "use" in node:
        template = templates.get(str(node["use"]))
        if template is None:
            raise r.fail(f"{kp}.use", f"no dimension template {node['use']!r} in dimensions.yaml")
        node = {**template, **{k: v for k, v in node.items() if k != "use"}}
    column = r.text(node, "column", kp)
    if ("values" in node) == ("groups" in node):
        raise r.fail(kp, "give either `values` (a list) or `groups` (group -> labels), not both")
    if "values" in node:
        groups = {v: (v,) for v in r.labels(node["values"], f"{kp}.values")}
    else:
        raw_groups = r.mapping(node["groups"], f"{kp}.groups")
        groups = {str(g): r.labels(labs, f"{kp}.groups.{g}") for g, labs in raw_groups.items()}
    if not groups:
        raise r.fail(kp, "has no values")
    not_stated = r.labels(node.get("not_stated"), f"{kp}.not_stated")
    seen: dict[str, str] = {}
    for grp, labs in [*groups.items(), (NOT_STATED, not_stated)]:
        if grp == NOT_STATED and grp in groups:
            raise r.fail(kp, f"{NOT_STATED!r} is reserved; list such labels under not_stated")
        for lab in labs:
            norm = normalise_label(lab)
            if norm in seen and seen[norm] != grp:
                raise r.fail(kp, f"label {lab!r} is in both {seen[norm]!r} and {grp!r}")
            seen[norm] = grp
    census = node.get("census")
    return Dimension(
        key=key,
        column=column,
        label=str(node.get("label", key)),
        groups=groups,
        not_stated=not_stated,
        census=str(census) if census else None,
        area=bool(node.get("area", False)),
    )


def load_definition(
    path: Path,
    scales: dict[str, Scale] | None = None,
    templates: dict[str, dict[str, Any]] | None = None,
) -> Definition:
    """Read and validate one survey definition."""
    scales = scales if scales is not None else load_scales()
    templates = templates if templates is not None else load_dimension_templates()
    r = _Reader(path)
    raw = r.mapping(_read_yaml(path), "(top)")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise r.fail("(top)", f"unknown key(s) {sorted(unknown)}")
    dataset = r.text(raw, "dataset", "")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", dataset):
        raise r.fail("dataset", f"{dataset!r} must be lower-case letters, digits and _")
    if dataset != path.stem:
        raise r.fail("dataset", f"{dataset!r} must match the file name {path.stem!r}")
    kind = r.text(raw, "kind", "", default="survey")
    if kind not in KINDS:
        raise r.fail("kind", f"{kind!r} is not one of {list(KINDS)}")

    pnode = r.mapping(raw.get("period"), "period")
    granularity = r.text(pnode, "granularity", "period")
    if granularity not in GRANULARITIES:
        raise r.fail("period.granularity", f"{granularity!r} is not one of {list(GRANULARITIES)}")
    formats = r.labels(pnode.get("formats"), "period.formats")
    if not formats:
        raise r.fail("period.formats", "give at least one date format, e.g. '%d/%m/%Y'")
    period = Period(r.text(pnode, "column", "period"), formats, granularity)

    dims_raw = r.mapping(raw.get("dimensions", {}), "dimensions")
    dimensions = {str(k): _dimension(r, str(k), v, templates) for k, v in dims_raw.items()}

    questions: dict[str, Question] = {}
    for key, node in r.mapping(raw.get("questions") or {}, "questions").items():
        kp = f"questions.{key}"
        node = r.mapping(node, kp)
        scale_name = r.text(node, "scale", kp)
        if scale_name not in scales:
            raise r.fail(f"{kp}.scale", f"unknown scale {scale_name!r}; known: {sorted(scales)}")
        questions[str(key)] = Question(
            str(key), r.text(node, "column", kp), str(node.get("label", key)), scales[scale_name]
        )
    if kind == "survey" and not questions:
        raise r.fail("questions", "a survey needs at least one question")
    if kind == "membership" and questions:
        raise r.fail("questions", "a membership list has no questions")

    free_text = {str(k): str(v) for k, v in r.mapping(raw.get("free_text") or {}, "free_text").items()}

    snode = r.mapping(raw.get("suppression") or {}, "suppression")
    unknown = set(snode) - {"min_base", "caution_base", "secondary"}
    if unknown:
        raise r.fail("suppression", f"unknown key(s) {sorted(unknown)}")
    suppression = Suppression(
        int(snode.get("min_base", 10)), int(snode.get("caution_base", 50)), bool(snode.get("secondary", False))
    )
    if not 1 <= suppression.min_base <= suppression.caution_base:
        raise r.fail("suppression", "need 1 <= min_base <= caution_base")

    headline = raw.get("headline")
    if headline is not None and headline not in questions:
        raise r.fail("headline", f"{headline!r} is not one of the questions {list(questions)}")

    population: dict[str, tuple[str, ...]] = {}
    for dim, values in r.mapping(raw.get("population") or {}, "population").items():
        if dim not in dimensions:
            raise r.fail(f"population.{dim}", "is not a dimension of this definition")
        vals = r.labels(values, f"population.{dim}")
        for v in vals:
            if v not in dimensions[dim].groups:
                raise r.fail(f"population.{dim}", f"{v!r} is not a value of {dim}")
        population[str(dim)] = vals

    volumes = None
    if raw.get("volumes") is not None:
        vnode = r.mapping(raw["volumes"], "volumes")
        volumes = Volumes(
            period_column=r.text(vnode, "period_column", "volumes"),
            period_format=r.text(vnode, "period_format", "volumes", default="%b %Y"),
            contacts=str(vnode["contacts"]) if vnode.get("contacts") else None,
            invitations=str(vnode["invitations"]) if vnode.get("invitations") else None,
            contacts_label=str(vnode.get("contacts_label", "contacts")),
        )

    id_column = r.text(raw, "id_column", "")
    pii = r.labels(raw.get("pii_columns"), "pii_columns")
    used = {normalise_label(c) for c in [id_column, period.column]}
    used |= {normalise_label(d.column) for d in dimensions.values()}
    used |= {normalise_label(q.column) for q in questions.values()}
    used |= {normalise_label(c) for c in free_text.values()}
    for col in pii:
        if normalise_label(col) in used:
            raise r.fail("pii_columns", f"{col!r} is PII but is also read as data")
    keys = list(dimensions) + list(questions) + list(free_text)
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise r.fail("(top)", f"names used twice across dimensions/questions/free_text: {sorted(dupes)}")
    reserved = {"id", "period", "date"} & set(keys)
    if reserved:
        raise r.fail("(top)", f"names reserved for the tidy frame: {sorted(reserved)}")

    return Definition(
        dataset=dataset,
        title=str(raw.get("title", dataset)),
        kind=kind,
        id_column=id_column,
        period=period,
        pii_columns=pii,
        dimensions=dimensions,
        questions=questions,
        free_text=free_text,
        suppression=suppression,
        headline=str(headline) if headline else None,
        population=population,
        volumes=volumes,
        weighting=_weighting(r, raw.get("weighting"), dimensions),
        path=path,
    )


def _weighting(r: _Reader, node: Any, dimensions: dict[str, Dimension]) -> Weighting | None:
    """``weighting: {margins: [age, gender, npu], trim: [0.3, 3.0]}``: each margin a dimension with a census
    benchmark (``census:``) or a geography mapped to census areas (``area: true``)."""
    if node is None:
        return None
    node = r.mapping(node, "weighting")
    unknown = set(node) - {"margins", "trim"}
    if unknown:
        raise r.fail("weighting", f"unknown key(s) {sorted(unknown)}")
    margins = r.labels(node.get("margins"), "weighting.margins")
    if not margins:
        raise r.fail("weighting.margins", "name at least one dimension to weight by, e.g. [age, gender, npu]")
    for m in margins:
        if m not in dimensions:
            raise r.fail("weighting.margins", f"{m!r} is not a dimension of this definition")
        if not (dimensions[m].census or dimensions[m].area):
            raise r.fail("weighting.margins", f"{m!r} has no census benchmark (census:) and is not an area")
    trim = node.get("trim")
    if trim is not None:
        ok = isinstance(trim, list) and len(trim) == 2 and all(isinstance(v, (int, float)) for v in trim)
        if not ok or any(isinstance(v, bool) for v in trim) or not 0 < trim[0] <= 1 <= trim[1]:
            raise r.fail("weighting.trim", f"expected [low, high] with 0 < low <= 1 <= high, got {trim!r}")
        trim = (float(trim[0]), float(trim[1]))
    return Weighting(margins, trim)


def load_definitions(config_dir: Path | None = None) -> dict[str, Definition]:
    """Every definition in ``config/surveys/``, keyed by dataset name, in file order."""
    config_dir = config_dir or CONFIG_DIR
    scales = load_scales(config_dir / "scales.yaml")
    templates = load_dimension_templates(config_dir / "dimensions.yaml")
    defs: dict[str, Definition] = {}
    for path in sorted((config_dir / "surveys").glob("*.yaml")):
        d = load_definition(path, scales, templates)
        defs[d.dataset] = d
    return dict(sorted(defs.items(), key=lambda kv: DATASET_ORDER.get(kv[0], 99)))


# The order the paper presents its sources in; datasets not listed follow.
DATASET_ORDER = {"victim": 0, "caller_101": 1, "live_chat": 2, "domestic_abuse": 3, "public_confidence": 4, "wmnow": 5}
