"""Survey definitions: what one export holds and how to read it.

A definition is a YAML file in ``config/surveys/``. Adding a survey means adding a
file there, not code. Definitions are validated when loaded (through ``insight.config.loader``): every mistake names
the file, the key path and what is wrong, so a typo never becomes a silently wrong figure.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insight.config.files import ConfigError, Reader, Skip, normalise_label
from insight.config.keys import GRANULARITIES, KINDS, ON_MISSING, SCALES, TARGET_GROUPS, keys_under
from insight.periods import check_wave

NOT_STATED = "Not stated"
SEVERAL = "Two or more"  # the `several` group of a dimension whose answers are across columns, unless named


# The name most code catches; every configuration mistake is a ConfigError listing all of them.
DefinitionError = ConfigError
__all__ = ["DefinitionError", "normalise_label"]


@dataclass(frozen=True)
class Scale:
    name: str
    answers: tuple[str, ...]
    positive: tuple[str, ...]
    excluded: tuple[str, ...]
    codes: dict[str, str] = field(default_factory=dict)  # code in the file -> answer label (`codes:`)
    negative: tuple[str, ...] = ()  # answers that count as dissatisfied / disagreeing (`negative:`)

    @property
    def in_base(self) -> tuple[str, ...]:
        return tuple(a for a in self.answers if a not in self.excluded)

    def answer_map(self) -> dict[str, str]:
        """Normalised cell (an answer label, or its code) -> answer label."""
        mapping = {normalise_label(a): a for a in self.answers}
        mapping.update({normalise_label(c): a for c, a in self.codes.items()})
        return mapping


@dataclass(frozen=True)
class Question:
    key: str
    column: str | None  # None for a derived measure (`derived:`), computed from other questions when read
    label: str
    scale: Scale
    all_of: tuple[str, ...] = ()  # a derived measure: the questions it is "all of" (`derived.<key>.all_of`)

    @property
    def derived(self) -> bool:
        return self.column is None


# The answers of a derived "all of these" measure (`derived:`): Yes when every part that applies is positive,
# No when any part answered is not; neither (out of the base) when no part applies or one is blank and none is
# missed. insight.config.layout.with_derived computes it when the data is read.
ALL_OF_SCALE = Scale("all_of", ("Yes", "No"), positive=("Yes",), excluded=(), negative=("No",))


@dataclass(frozen=True)
class Dimension:
    key: str
    column: str | None  # None when the value is given at import (`given_at_import: true`)
    label: str
    groups: dict[str, tuple[str, ...]]  # output group -> export labels
    not_stated: tuple[str, ...] = ()
    census: str | None = None
    area: bool = False  # a geography that maps onto census local authorities
    codes: dict[str, str] = field(default_factory=dict)  # code in the file -> export label (`codes:`)
    separator: str | None = None  # a multi-select cell: parts split on this (`separator:`)
    several: str | None = None  # the group for a cell whose parts fall in more than one group (`several:`)
    given_at_import: bool = False  # one value for the whole file, typed at import (`--set KEY=VALUE`)
    # Answers across columns (`columns:`): file column -> the label it stands for, chosen when its cell is
    # neither blank, 0 nor one of `not_chosen`; then `column` is None and the row's labels become one group
    # exactly as a multi-select cell's parts do.
    columns: dict[str, str] = field(default_factory=dict)
    not_chosen: tuple[str, ...] = ()  # other cells that mean "not chosen" in a `columns` dimension
    optional: bool = False  # a file may lack the column (an older export): its rows are Not stated (`optional:`)
    within: str | None = None  # the dimension whose groups this one's fall within (`within: npu`): drill-down
    others: str | None = None  # the group of every label not listed (`others:`), instead of a row problem

    @property
    def values(self) -> tuple[str, ...]:
        """Output categories in display order, then the `others` and `several` groups, "Not stated" last."""
        extra = [g for g in (self.others, self.several) if g]
        return (*self.groups, *extra, NOT_STATED)

    def label_map(self) -> dict[str, str]:
        """Normalised export label (or its code) -> output group (or "Not stated")."""
        mapping = {normalise_label(lab): grp for grp, labs in self.groups.items() for lab in labs}
        mapping.update({normalise_label(lab): NOT_STATED for lab in self.not_stated})
        mapping.update({normalise_label(c): mapping[normalise_label(lab)] for c, lab in self.codes.items()})
        return mapping

    def allowed_labels(self) -> list[str]:
        return [lab for labs in self.groups.values() for lab in labs] + list(self.not_stated)


@dataclass(frozen=True)
class Period:
    column: str | None  # None when the period is given at import (`given_at_import: true`)
    formats: tuple[str, ...]  # date formats; each file's dates must all read one way
    granularity: str
    waves: dict[str, str] = field(default_factory=dict)  # wave label -> period (`waves:`), instead of dates
    given_at_import: bool = False  # the file has no period column: `ingest ... --period P`
    earliest: dt.date = dt.date(2000, 1, 1)  # an earlier date is a row problem (a typo), never a period


@dataclass(frozen=True)
class Weight:
    """A vendor's weight per response (`weight: {column: W, on_missing: unweighted}`), stored as the `weight`
    column. ``on_missing``: a response without one (a blank cell, or a file without the column) makes its
    period ``unweighted`` (raked to the census instead when there is `weighting:`), is left out of weighted
    figures only (``drop``), or is a row problem (``error``)."""

    column: str
    on_missing: str = "unweighted"


@dataclass(frozen=True)
class Suppression:
    min_base: int = 10  # below this no percentage is shown anywhere
    caution_base: int = 50  # below this a percentage is marked "treat with caution"
    secondary: bool = False  # also suppress the next smallest group when one is suppressed


@dataclass(frozen=True)
class VolumeCount:
    """A named count in a monthly volumes file (`volumes.counts.<key>`), e.g. victims left out for having no email.

    ``excluded``: a reason some of the month's contacts were not invited, between ``contacts`` (where the
    survey's funnel starts) and ``invitations`` (where it ends); exclusions are counted in the order listed,
    each contact under the first that applies. ``reach``: the words for the share of those still in the
    funnel when this exclusion is applied who are *not* excluded by it ("reachable by email").
    """

    key: str
    column: str
    label: str
    excluded: bool = False
    reach: str | None = None


@dataclass(frozen=True)
class Volumes:
    """Monthly contact volumes file: which column is the month, contacts, invitations, and any named counts."""

    period_column: str
    period_format: str
    contacts: str | None
    invitations: str | None
    contacts_label: str = "contacts"
    counts: dict[str, VolumeCount] = field(default_factory=dict)  # `counts:`, in the file's funnel order

    @property
    def columns(self) -> list[str]:
        """Every column a volumes file of this survey must hold."""
        named = [self.period_column, self.contacts, self.invitations, *(c.column for c in self.counts.values())]
        return [c for c in named if c]

    @property
    def exclusions(self) -> list[VolumeCount]:
        """The reasons contacts were not invited, in the funnel's order."""
        return [c for c in self.counts.values() if c.excluded]


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
    # The response's key: one column, or several whose values together identify it (`id_column: [Round, ID]`),
    # stored as one value (insight.intake.tidy.response_key).
    id_columns: tuple[str, ...]
    period: Period
    pii_columns: tuple[str, ...]
    dimensions: dict[str, Dimension]
    questions: dict[str, Question]
    free_text: dict[str, str] = field(default_factory=dict)
    suppression: Suppression = Suppression()
    headline: str | None = None
    population: dict[str, tuple[str, ...]] = field(default_factory=dict)
    volumes: Volumes | None = None
    missing: tuple[str, ...] = ()  # cells that mean blank (`missing:`), e.g. NA, #N/A, -99
    include: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> kept values (`include:`)
    weight: Weight | None = None
    targets: dict[str, float] = field(default_factory=dict)  # membership: target % of sign-ups per group
    weighting: Weighting | None = None  # raking to the census (`weighting:`), insight/weighting.py
    order: int | None = None  # where the survey comes in lists, tiles and the board pack (`order:`)
    split_by: str | None = None  # a dimension whose values are separate surveys, never merged (`split_by:`)
    id_pseudonymise: bool = False  # the ID is kept only as its keyed hash (`id_pseudonymise:`)
    pseudonymise: tuple[str, ...] = ()  # columns kept only as their keyed hash (`pseudonymise:`)
    sample_target: int | None = None  # responses (cases) aimed for each period (`sample_target:`)
    path: Path | None = None

    @property
    def pseudonymised(self) -> dict[str, str]:
        """Tidy column -> export column of every column kept as a pseudonym (``pseudonymise:``)."""
        return {pseudonym_column(c): c for c in self.pseudonymise}

    @property
    def optional_dimensions(self) -> list[str]:
        """Dimensions a file may lack (`optional: true`); rows held from before the definition gained one read as
        Not stated, and the next import adds its column to the table."""
        return [k for k, d in self.dimensions.items() if d.optional]

    @property
    def needs_key(self) -> bool:
        """Whether importing needs the pseudonym key."""
        return self.id_pseudonymise or bool(self.pseudonymise)

    @property
    def aspects(self) -> list[str]:
        """Every measure, in order: the questions asked, then the derived measures (`derived:`)."""
        return list(self.questions)

    @property
    def answer_columns(self) -> dict[str, str]:
        """Question key -> export column, for the questions asked (a derived measure has no column)."""
        return {k: q.column for k, q in self.questions.items() if q.column is not None}

    @property
    def asked(self) -> list[str]:
        """The questions the export holds answers to: every aspect but the derived measures."""
        return list(self.answer_columns)

    @property
    def derived(self) -> dict[str, Question]:
        """The derived measures (`derived:`), computed from the questions when the data is read."""
        return {k: q for k, q in self.questions.items() if q.derived}

    def required_columns(self) -> list[str]:
        """Every export column the definition reads (PII is read only to be dropped)."""
        cols = [*self.id_columns, *([self.period.column] if self.period.column else [])]
        cols += [d.column for d in self.dimensions.values() if d.column]
        cols += [c for d in self.dimensions.values() for c in d.columns]
        cols += list(self.answer_columns.values())
        cols += list(self.free_text.values())
        cols += list(self.pseudonymise)
        cols += list(self.include)
        cols += [self.weight.column] if self.weight else []
        return list(dict.fromkeys(cols))

    @property
    def id_label(self) -> str:
        """The ID column(s) as a problem names them: ``RespID``, or ``essround + idno``."""
        return " + ".join(self.id_columns)

    def composite_id_example(self) -> str:
        """A composite `id_column` that would keep this survey's waves apart: ``[essround, idno]`` (its wave
        column and its ID), or ``[Wave, RespID]`` when its period is not a column of wave labels."""
        wave = self.period.column if self.period.waves and self.period.column else "Wave"
        return "[" + ", ".join([wave, *(c for c in self.id_columns if c != wave)]) + "]"

    def optional_columns(self) -> list[str]:
        """Columns a file may lack: the weight's, unless a response without a weight is an error; an `optional`
        dimension's."""
        weight = [self.weight.column] if self.weight and self.weight.on_missing != "error" else []
        return weight + [d.column for d in self.dimensions.values() if d.optional and d.column]

    @property
    def weight_column(self) -> str | None:
        """The tidy column holding a vendor's weights (`weight:`): weighting uses it instead of raking."""
        return "weight" if self.weight else None

    def given_at_import(self) -> list[str]:
        """What a file of this survey cannot say itself: ``period`` and/or dimension keys, typed at import."""
        given = ["period"] if self.period.given_at_import else []
        return given + [k for k, d in self.dimensions.items() if d.given_at_import]

    def aspect_label(self, aspect: str) -> str:
        return self.questions[aspect].label

    def dimension_label(self, dim: str) -> str:
        return self.dimensions[dim].label


# --------------------------------------------------------------------------- reading
#
# One function per key, each reading its part and recording its own mistakes (Reader),
# so a definition with five mistakes reports five. A new key is a new function here,
# called from parse_definition, plus its field on the dataclass and its row in the key
# table (insight.config.keys), from which the sets below and the docs' key reference come.

# The keys each part may hold, from the one key table (insight.config.keys) the docs are generated from.
SCALE_KEYS = keys_under("<scale>", SCALES)
DIMENSION_KEYS = keys_under("dimensions.<key>")
PERIOD_KEYS = keys_under("period")
TOP_KEYS = keys_under("")


def _codes(r: Reader, node: dict[str, Any], keypath: str, labels: tuple[str, ...]) -> dict[str, str]:
    """`codes: {"5": Very satisfied, ...}`: each code once, each naming one of ``labels``."""
    raw = r.mapping(node.get("codes"), f"{keypath}.codes")
    known = {normalise_label(lab): lab for lab in labels}
    codes: dict[str, str] = {}
    for code, label in raw.items():
        with r.part():
            code_text = r.as_text(code, f"{keypath}.codes")
            label_text = r.as_text(label, f"{keypath}.codes.{code_text}")
            if normalise_label(label_text) not in known:
                raise r.fail(f"{keypath}.codes.{code_text}", f"{label_text!r} is not one of {list(labels)}")
            codes[code_text] = known[normalise_label(label_text)]
    return codes


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
    for part in ("positive", "excluded", "negative"):
        with r.part():
            parts[part] = r.labels(node.get(part), f"{name}.{part}")
            for label in parts[part]:
                if normalise_label(label) not in on_scale:
                    r.note(f"{name}.{part}", f"{label!r} is not on the scale {list(answers)}")
    positive, excluded = parts.get("positive", ()), parts.get("excluded", ())
    negative = parts.get("negative", ())
    if "positive" in parts and not positive:
        r.note(f"{name}.positive", "at least one answer must count as positive")
    for a, b in (("positive", "excluded"), ("positive", "negative"), ("negative", "excluded")):
        both = {normalise_label(x) for x in parts.get(a, ())} & {normalise_label(x) for x in parts.get(b, ())}
        if both:
            r.note(name, f"answers both {a} and {b}: {sorted(both)}")
    return Scale(name, answers, positive, excluded, codes=_codes(r, node, name, answers), negative=negative)


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
            raise r.depends_on_broken()
        if name not in templates:
            raise r.fail(f"{kp}.use", f"no dimension template {name!r} in dimensions.yaml; known: {sorted(templates)}")
        node = {**templates[name], **{k: v for k, v in node.items() if k != "use"}}
    given = r.boolean(node, "given_at_import", kp, default=False)
    if given and "column" in node:
        raise r.fail(kp, "a dimension given at import has no `column`: its value is typed at import (--set)")
    across = node.get("columns") is not None
    if across:
        clash = [k for k in ("column", "separator", "given_at_import", "codes") if node.get(k) is not None]
        if clash:
            raise r.fail(kp, f"a dimension with `columns` (one column per answer) has no {', '.join(clash)}: each "
                         "column names the label it stands for")  # fmt: skip
    elif node.get("not_chosen") is not None:
        raise r.fail(f"{kp}.not_chosen", "only a dimension with `columns` (one column per answer) has `not_chosen`")
    column = None if given or across else r.text(node, "column", kp)
    label = r.text(node, "label", kp, default=key)
    if ("values" in node) == ("groups" in node):
        raise r.fail(kp, "give either `values` (a list) or `groups` (group -> labels), not both")
    if "values" in node:
        groups: dict[str, tuple[str, ...]] = {v: (v,) for v in r.labels(node["values"], f"{kp}.values", required=True)}
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
    separator = r.text(node, "separator", kp, default=None) if node.get("separator") != " " else " "
    several = r.text(node, "several", kp, default=SEVERAL if across else None)
    labels = tuple(lab for labs in groups.values() for lab in labs) + not_stated
    columns = _answer_columns(r, node, kp, labels) if across else {}
    if not across and (separator is None) != (several is None):
        raise r.fail(kp, "a multi-select dimension needs both `separator` and `several` (the group for a cell "
                     "whose parts fall in more than one group)")  # fmt: skip
    if several is not None and several in (*groups, NOT_STATED):
        example = "" if several == SEVERAL else f", e.g. {SEVERAL}"
        raise r.fail(f"{kp}.several", f"{several!r} is already a group: name a group of its own{example}")
    if given and separator is not None:
        raise r.fail(kp, "a dimension given at import has one value per file: it cannot have a `separator`")
    others = r.text(node, "others", kp, default=None)
    if others is not None and (across or separator is not None):
        raise r.fail(f"{kp}.others", "a multi-select dimension lists every answer it takes: it cannot have `others`")
    if others is not None and others in (*groups, NOT_STATED, *([several] if several else [])):
        raise r.fail(f"{kp}.others", f"{others!r} is already a group: name a group of its own, e.g. Elsewhere")
    return Dimension(
        key=key,
        column=column,
        label=label,
        groups=groups,
        not_stated=not_stated,
        census=census,
        area=r.boolean(node, "area", kp, default=False),
        codes=_codes(r, node, kp, labels),
        separator=separator,
        several=several,
        given_at_import=given,
        columns=columns,
        not_chosen=tuple(v.strip() for v in r.labels(node.get("not_chosen"), f"{kp}.not_chosen")),
        optional=r.boolean(node, "optional", kp, default=False),
        within=r.text(node, "within", kp, default=None),
        others=others,
    )


def _answer_columns(r: Reader, node: dict[str, Any], kp: str, labels: tuple[str, ...]) -> dict[str, str]:
    """`columns: {"Q32[01] [Asian]": Asian, ...}`: each file column once, each naming one of ``labels``."""
    raw = r.mapping(node.get("columns"), f"{kp}.columns", required=True)
    if not raw:
        raise r.fail(f"{kp}.columns", "is empty")
    known = {normalise_label(lab): lab for lab in labels}
    columns: dict[str, str] = {}
    seen: set[str] = set()
    for col, label in raw.items():
        with r.part():
            col_text = r.as_text(col, f"{kp}.columns")
            label_text = r.as_text(label, f"{kp}.columns.{col_text}")
            if normalise_label(label_text) not in known:
                raise r.fail(f"{kp}.columns.{col_text}", f"{label_text!r} is not one of {list(labels)}")
            if normalise_label(col_text) in seen:
                raise r.fail(f"{kp}.columns", f"column {col_text!r} is listed twice")
            seen.add(normalise_label(col_text))
            columns[col_text] = known[normalise_label(label_text)]
    return columns


def _period(r: Reader, raw: dict[str, Any]) -> Period:
    """Dates in a column (`formats`), wave labels in a column (`waves`), or typed at import (`given_at_import`)."""
    pnode = r.mapping(raw.get("period"), "period", required=True)
    r.known_keys(pnode, PERIOD_KEYS, "period")
    granularity = r.choice(pnode, "granularity", "period", GRANULARITIES)
    given = r.boolean(pnode, "given_at_import", "period", default=False)
    ways = [k for k in ("formats", "waves") if pnode.get(k) is not None] + (["given_at_import"] if given else [])
    if len(ways) != 1:
        raise r.fail(
            "period",
            "give exactly one of `formats` (dates in a column), `waves` (wave labels in a column) or "
            f"`given_at_import: true` (the period is typed at import); found {ways or 'none'}",
        )
    if given:
        if "column" in pnode:
            raise r.fail("period.column", "a period given at import has no column")
        return Period(None, (), granularity, given_at_import=True)
    column = r.text(pnode, "column", "period")
    if "waves" in pnode:
        return Period(column, (), granularity, waves=_waves(r, pnode["waves"], granularity))
    formats = r.labels(pnode.get("formats"), "period.formats")
    if not formats:
        raise r.fail("period.formats", "give at least one date format, e.g. '%d/%m/%Y'")
    for i, fmt in enumerate(formats):
        with r.part():
            r.date_format(fmt, f"period.formats[{i}]")
    return Period(column, formats, granularity, earliest=_earliest(r, pnode))


def _earliest(r: Reader, pnode: dict[str, Any]) -> dt.date:
    """`period.earliest` (default 2000-01-01): a response dated before it is a row problem."""
    value = pnode.get("earliest", dt.date(2000, 1, 1))
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise r.fail("period.earliest", f"{value!r} is not a date like 2000-01-01") from None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise r.fail("period.earliest", f"{value!r} is not a date like 2000-01-01")
    return value


def _waves(r: Reader, raw: Any, granularity: str) -> dict[str, str]:
    """`waves: {1QSEP2021: 2021-09, ...}`: each wave label to a period of the survey's granularity."""
    waves: dict[str, str] = {}
    for label, period in r.mapping(raw, "period.waves", required=True).items():
        with r.part():
            label_text = r.as_text(label, "period.waves")
            kp = f"period.waves.{label_text}"
            if not isinstance(period, str):  # YAML reads 2021-09-01 as a date and 2021 as a number
                raise r.fail(kp, f'write the period in quotes, e.g. "2021-09", "2021-Q3" or "2022-12..2023-01"; '
                             f"got {period!r}")  # fmt: skip
            try:
                waves[label_text] = check_wave(period, granularity)
            except ValueError as exc:
                raise r.fail(kp, str(exc)) from None
    if not waves and r.clean:
        raise r.fail("period.waves", "is empty")
    return waves


def pseudonym_column(column: str) -> str:
    """The tidy name of a pseudonymised column: ``Crime Reference`` -> ``crime_reference``."""
    return re.sub(r"[^a-z0-9]+", "_", normalise_label(column)).strip("_")


def _pseudonymise(r: Reader, raw: dict[str, Any]) -> tuple[str, ...]:
    """`pseudonymise: [Crime Reference]`: columns kept only as their keyed hash, each named in snake_case."""
    columns = r.labels(raw.get("pseudonymise"), "pseudonymise")
    for column in columns:
        name = pseudonym_column(column)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            r.note("pseudonymise", f"{column!r} gives no usable column name ({name!r}): name it with letters first")
    return columns


def _missing(r: Reader, raw: dict[str, Any]) -> tuple[str, ...]:
    """`missing: ["NA", "-99", " "]`: any marker; one of only spaces changes nothing, as such cells are blank
    already (``whitespace_markers`` says so where definitions are checked)."""
    value = raw.get("missing")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise r.fail("missing", f"expected a list of text, got {value!r}")
    markers = []
    for i, marker in enumerate(value):
        with r.part():
            if isinstance(marker, str) and not marker.strip():
                markers.append(marker)  # blank already: kept, so the loader can say so
                continue
            markers.append(r.as_text(marker, f"missing[{i}]"))
    return tuple(markers)


def whitespace_markers(definition: Definition) -> str | None:
    """A note for `missing:` markers of only spaces (or nothing): harmless, and what they change is nothing."""
    blank = [m for m in definition.missing if not m.strip()]
    if not blank:
        return None
    return (
        f"{definition.dataset}: missing: {', '.join(repr(m) for m in blank)} changes nothing: a cell holding only "
        "spaces (or nothing) is blank already"
    )


def _include(r: Reader, raw: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """`include: {RESIDENT: ["Yes"]}`: only rows whose column holds one of the values are kept."""
    include: dict[str, tuple[str, ...]] = {}
    for column, values in r.mapping(raw.get("include"), "include").items():
        with r.part():
            name = r.as_text(column, "include")
            include[name] = r.labels(values, f"include.{name}", required=True)
    return include


def _weight(r: Reader, raw: dict[str, Any]) -> Weight | None:
    """`weight: {column: W, on_missing: unweighted}`: the vendor's weights, and what a response without one does."""
    if raw.get("weight") is None:
        return None
    node = r.mapping(raw["weight"], "weight", required=True)
    r.known_keys(node, keys_under("weight"), "weight")
    column = r.text(node, "column", "weight")
    return Weight(column, r.choice(node, "on_missing", "weight", ON_MISSING, default="unweighted"))


def _id_columns(r: Reader, raw: dict[str, Any]) -> tuple[str, ...]:
    """`id_column: RespID`, or `id_column: [essround, idno]`: the columns whose values together name a response."""
    value = raw.get("id_column")
    if isinstance(value, list):
        columns = r.labels(value, "id_column", required=True)
        return columns
    return (r.text(raw, "id_column", ""),)


def _dimensions(r: Reader, raw: dict[str, Any], templates: dict[str, dict[str, Any]] | None) -> dict[str, Dimension]:
    dimensions: dict[str, Dimension] = {}
    for key, node in r.mapping(raw.get("dimensions"), "dimensions").items():
        with r.part():
            dimensions[str(key)] = _dimension(r, str(key), node, templates)
    for key, dim in dimensions.items():
        with r.part():
            _check_within(r, key, dim, dimensions)
    return dimensions


def _check_within(r: Reader, key: str, dim: Dimension, dimensions: dict[str, Dimension]) -> None:
    """`within:` names another dimension of the survey, and following the parents never comes back."""
    seen = [key]
    parent = dim.within
    while parent is not None:
        if parent not in dimensions:
            raise r.fail(f"dimensions.{key}.within", f"no dimension {parent!r}; choose from {sorted(dimensions)}")
        if parent in seen:
            raise r.fail(f"dimensions.{key}.within", f"goes round in a circle: {' within '.join([*seen, parent])}")
        seen.append(parent)
        parent = dimensions[parent].within


def _questions(r: Reader, raw: dict[str, Any], scales: dict[str, Scale], broken: set[str]) -> dict[str, Question]:
    questions: dict[str, Question] = {}
    for key, node in r.mapping(raw.get("questions"), "questions").items():
        kp = f"questions.{key}"
        with r.part():
            node = r.mapping(node, kp, required=True)
            r.known_keys(node, keys_under("questions.<key>"), kp)
            column = r.text(node, "column", kp)
            label = r.text(node, "label", kp, default=str(key))
            scale_name = r.text(node, "scale", kp)
            if scale_name in broken:
                raise r.depends_on_broken()  # the scale's own mistake is reported in scales.yaml
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
    r.known_keys(node, keys_under("suppression"), "suppression")
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


VOLUME_FIELDS = ("period", "contacts", "invitations", "responses")  # a volumes frame's own columns


def _volumes(r: Reader, raw: dict[str, Any]) -> Volumes | None:
    if raw.get("volumes") is None:
        return None
    node = r.mapping(raw["volumes"], "volumes")
    r.known_keys(node, keys_under("volumes"), "volumes")
    period_format = r.text(node, "period_format", "volumes", default="%b %Y")
    r.date_format(period_format, "volumes.period_format", prefix="%d ")
    volumes = Volumes(
        period_column=r.text(node, "period_column", "volumes"),
        period_format=period_format,
        contacts=r.text(node, "contacts", "volumes", default=None),
        invitations=r.text(node, "invitations", "volumes", default=None),
        contacts_label=r.text(node, "contacts_label", "volumes", default="contacts"),
        counts=_volume_counts(r, node),
    )
    if volumes.exclusions and not (volumes.contacts and volumes.invitations):
        r.note("volumes.counts", "a count with `excluded: true` needs `contacts` (where the funnel starts) and "
               "`invitations` (where it ends)")  # fmt: skip
    seen: dict[str, str] = {}
    for column in volumes.columns:
        if normalise_label(column) in seen:
            r.note("volumes", f"column {column!r} is read twice")
        seen[normalise_label(column)] = column
    return volumes


def _volume_counts(r: Reader, node: dict[str, Any]) -> dict[str, VolumeCount]:
    """`counts: {no_email: {column: "Excluded: no email address", label: no email address, excluded: true}}`."""
    counts: dict[str, VolumeCount] = {}
    for key, spec in r.mapping(node.get("counts"), "volumes.counts").items():
        kp = f"volumes.counts.{key}"
        with r.part():
            name = str(key)
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in VOLUME_FIELDS:
                raise r.fail(
                    kp, f"name a count with lower-case letters, digits and _, not one of {list(VOLUME_FIELDS)}"
                )
            spec = r.mapping(spec, kp, required=True)
            r.known_keys(spec, keys_under("volumes.counts.<key>"), kp)
            excluded = r.boolean(spec, "excluded", kp, default=False)
            reach = r.text(spec, "reach", kp, default=None)
            if reach is not None and not excluded:
                raise r.fail(f"{kp}.reach", "only an excluded count (`excluded: true`) has a reach")
            counts[name] = VolumeCount(
                name, r.text(spec, "column", kp), r.text(spec, "label", kp, default=name), excluded, reach
            )
    return counts


def _targets(r: Reader, raw: dict[str, Any]) -> dict[str, float]:
    """`targets: {Aged 16-24: 12}`: the share of sign-ups (%) the drive aims for, drawn on the WMNow page."""
    targets: dict[str, float] = {}
    node = r.mapping(raw.get("targets"), "targets")
    for group in node:
        with r.part():
            if str(group) not in TARGET_GROUPS:
                raise r.fail(f"targets.{group}", f"targets are set for {list(TARGET_GROUPS)}")
            value = r.number(node, group, "targets")
            if not 0 <= value <= 100:
                raise r.fail(f"targets.{group}", f"expected a percentage from 0 to 100, got {value:g}")
            targets[str(group)] = value
    return targets


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
    used = {normalise_label(c) for c in [*d["id_columns"], d["period"].column] if c}
    used |= {normalise_label(x.column) for x in dimensions.values() if x.column}
    used |= {normalise_label(c) for x in dimensions.values() for c in x.columns}
    used |= {normalise_label(q.column) for q in questions.values() if q.column is not None}
    used |= {normalise_label(c) for c in free_text.values()}
    used |= {normalise_label(c) for c in d["include"]}
    used |= {normalise_label(d["weight"].column)} if d["weight"] else set()
    for col in d["pii_columns"]:
        if normalise_label(col) in used:
            r.note("pii_columns", f"{col!r} is PII but is also read as data")
    pseudonymised = [pseudonym_column(c) for c in d["pseudonymise"]]
    for col in d["pseudonymise"]:
        if normalise_label(col) in {normalise_label(c) for c in d["id_columns"]}:
            what = "the ID" if len(d["id_columns"]) == 1 else "part of the ID"
            r.note("pseudonymise", f"{col!r} is {what}: write id_pseudonymise: true instead")
        elif normalise_label(col) in used:
            r.note("pseudonymise", f"{col!r} is also read as data: a pseudonymised column is kept only as its hash")
        if normalise_label(col) in {normalise_label(c) for c in d["pii_columns"]}:
            r.note("pseudonymise", f"{col!r} is also in pii_columns: a column is either dropped or pseudonymised")
    keys = list(dimensions) + list(questions) + list(free_text) + pseudonymised
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        r.note("(top)", f"names used twice across dimensions/questions/free_text/pseudonymise: {sorted(dupes)}")
    split_by = d["split_by"]
    if split_by is not None and split_by not in dimensions:
        r.note("split_by", f"{split_by!r} is not one of the dimensions {list(dimensions)}")
    reserved = {"id", "period", "date", "weight"} & set(keys)
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
    step("id_columns", lambda: _id_columns(r, raw))
    step("period", lambda: _period(r, raw))
    step("pii_columns", lambda: r.labels(raw.get("pii_columns"), "pii_columns"))
    step("headline", lambda: r.text(raw, "headline", "", default=None))
    step("dimensions", lambda: _dimensions(r, raw, templates))
    step("questions", lambda: _questions(r, raw, scales, broken_scales))
    step("free_text", lambda: _free_text(r, raw))
    step("suppression", lambda: _suppression(r, raw))
    step("population", lambda: _population(r, raw, d.get("dimensions", {})))
    step("volumes", lambda: _volumes(r, raw))
    step("missing", lambda: _missing(r, raw))
    step("include", lambda: _include(r, raw))
    step("weight", lambda: _weight(r, raw))
    step("targets", lambda: _targets(r, raw))
    step("weighting", lambda: _weighting(r, raw, d.get("dimensions", {})))
    step("order", lambda: _order(r, raw))
    step("split_by", lambda: r.text(raw, "split_by", "", default=None))
    step("id_pseudonymise", lambda: r.boolean(raw, "id_pseudonymise", "", default=False))
    step("pseudonymise", lambda: _pseudonymise(r, raw))
    step("derived", lambda: _derived(r, raw, d.get("questions", {}), raw.get("questions")))
    step("sample_target", lambda: _sample_target(r, raw))
    if not r.clean or r.incomplete:
        return None
    d["questions"] = {**d["questions"], **d.pop("derived")}  # the derived measures follow the questions asked
    _cross_checks(r, d)
    if not r.clean:
        return None
    return Definition(**d, path=path)


def _derived(r: Reader, raw: dict[str, Any], questions: dict[str, Question], written: Any) -> dict[str, Question]:
    """`derived: {all_met: {all_of: [q1, q2, ...], label: ...}}`: a measure of each response computed from its
    answers to two or more questions (insight.config.layout.with_derived), shown wherever a question is."""
    written = written if isinstance(written, dict) else {}
    derived: dict[str, Question] = {}
    for key, node in r.mapping(raw.get("derived"), "derived").items():
        kp = f"derived.{key}"
        with r.part():
            node = r.mapping(node, kp, required=True)
            r.known_keys(node, keys_under("derived.<key>"), kp)
            parts = r.labels(node.get("all_of"), f"{kp}.all_of", required=True)
            label = r.text(node, "label", kp, default=str(key))
            if str(key) in written:
                raise r.fail(kp, f"{key!r} is also a question: name the derived measure something else")
            for part in parts:
                if part not in questions and part in written:
                    raise r.depends_on_broken()  # the question has a mistake of its own, reported there
                if part not in questions:
                    r.note(f"{kp}.all_of", f"{part!r} is not one of the questions {list(questions)}")
            if len(set(parts)) < 2:
                r.note(f"{kp}.all_of", "needs at least two questions")
            derived[str(key)] = Question(str(key), None, label, ALL_OF_SCALE, all_of=parts)
    return derived


def _sample_target(r: Reader, raw: dict[str, Any]) -> int | None:
    """`sample_target: 240`: the responses (cases) the survey aims for each period."""
    if raw.get("sample_target") is None:
        return None
    target = r.integer(raw, "sample_target", "")
    if target < 1:
        raise r.fail("sample_target", f"expected a whole number 1 or more, got {target}")
    return target


def _order(r: Reader, raw: dict[str, Any]) -> int | None:
    """`order: 1`: where the survey comes among the others (lists, overview tiles, board pack); none: after them."""
    if raw.get("order") is None:
        return None
    order = r.integer(raw, "order", "")
    if order < 0:
        raise r.fail("order", f"expected a whole number 0 or more, got {order}")
    return order


def _dataset(r: Reader, raw: dict[str, Any], path: Path) -> str:
    dataset = r.text(raw, "dataset", "")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", dataset):
        raise r.fail("dataset", f"{dataset!r} must be lower-case letters, digits and _")
    if dataset != path.stem:
        raise r.fail("dataset", f"{dataset!r} must match the file name {path.stem!r}")
    return dataset


def _weighting(r: Reader, raw: dict[str, Any], dimensions: dict[str, Dimension]) -> Weighting | None:
    """`weighting: {margins: [age, gender, npu], trim: [0.3, 3.0]}`: each margin a dimension with a census
    benchmark (`census:`) or the geography mapped to census areas (`area: true`)."""
    if raw.get("weighting") is None:
        return None
    node = r.mapping(raw["weighting"], "weighting", required=True)
    r.known_keys(node, keys_under("weighting"), "weighting")
    margins = r.labels(node.get("margins"), "weighting.margins", required=True)
    written = raw["dimensions"] if isinstance(raw.get("dimensions"), dict) else {}
    for m in margins:
        if m in dimensions:
            if not (dimensions[m].census or dimensions[m].area):
                r.note("weighting.margins", f"{m!r} has no census benchmark (census:) and is not an area")
        elif m in written:
            raise r.depends_on_broken()  # the dimension has a mistake of its own, reported there
        else:
            r.note("weighting.margins", f"{m!r} is not a dimension of this definition")
    trim = node.get("trim")
    if trim is None:
        return Weighting(margins)
    numbers = isinstance(trim, list) and len(trim) == 2
    numbers = numbers and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in trim)
    if not numbers or not 0 < trim[0] <= 1 <= trim[1]:
        raise r.fail("weighting.trim", f"expected [low, high] with 0 < low <= 1 <= high, got {trim!r}")
    return Weighting(margins, (float(trim[0]), float(trim[1])))
