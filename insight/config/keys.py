"""Every key a survey definition or an answer scale may hold: one table, read by the parser and the docs.

``insight.config.definition`` accepts exactly the keys listed here (its ``known_keys`` sets are
derived from this table), and the key reference in the documentation (docs/surveys.md) is
generated from it, so a key cannot be accepted without being documented. A new key is a row
here, a field on the dataclass and a function in ``definition.py`` that reads it; the tests
check that the documented defaults are the parser's own.

A path names the key as it sits in its file: ``period.granularity``; ``<key>`` stands for a
name the file chooses (``dimensions.<key>.separator``). Dimension templates in
``config/dimensions.yaml`` take the keys of ``dimensions.<key>`` except ``use``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GRANULARITIES = ("month", "quarter")
ON_MISSING = ("unweighted", "drop", "error")  # weight.on_missing: what a response without a weight does
KINDS = ("survey", "membership")
TARGET_GROUPS = ("Aged 16-24", "Ethnic minority groups")  # the sign-up gaps portfolio leads track

SURVEYS = "surveys/<dataset>.yaml"
SCALES = "scales.yaml"
ACCESS = "access.yaml"
EVENTS = "events.yaml"


class Default:
    """A default that is not a plain value: required, absent (None), empty, or said in words."""

    def __init__(self, words: str) -> None:
        self.words = words

    def __repr__(self) -> str:
        return self.words


REQUIRED = Default("required")
NONE = Default("none")  # absent: the field is None
EMPTY = Default("none")  # absent: the field is an empty list or mapping


def said(words: str) -> Default:
    """A default that depends on something else, in words (e.g. "the file name")."""
    return Default(f"({words})")


@dataclass(frozen=True)
class Key:
    path: str  # where it sits, e.g. "dimensions.<key>.separator"
    type: str  # what it holds, in the words of the YAML a person writes
    default: object  # a plain value (10, False, "survey"), or REQUIRED, NONE, EMPTY, said("...")
    meaning: str  # one line
    file: str = SURVEYS

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def parent(self) -> str:
        return self.path.rsplit(".", 1)[0] if "." in self.path else ""


_DIM = "dimensions.<key>"
_Q = "questions.<key>"
_ONE_WAY = said("give one of formats, waves, given_at_import")
_VALUES_OR_GROUPS = said("give values or groups")
_TARGET_TYPE = "% from 0 to 100; groups: " + " or ".join(f'"{g}"' for g in TARGET_GROUPS)

KEYS: tuple[Key, ...] = (
    # --- the survey
    Key("dataset", "text: lower-case letters, digits, _", REQUIRED, "the dataset's name; must match the file name"),
    Key("title", "text", said("the file name"), "the survey's name on pages, tiles and the board pack"),
    Key("kind", " or ".join(f"`{k}`" for k in KINDS), "survey", "`membership`: a list with no questions (WMNow)"),
    Key(
        "id_column",
        "column, or a list of columns",
        REQUIRED,
        "one row per response; re-imports upsert by it; a list: the columns together name a response",
    ),
    Key("order", "whole number, 0 or more", NONE, "where the survey comes in lists, tiles and the board pack"),
    Key("headline", "question key", NONE, "the question on the Overview tile and in the board pack"),
    Key("split_by", "dimension key", NONE, "a dimension whose values are separate surveys, never merged"),
    Key("pii_columns", "list of columns", EMPTY, "personal data: read only to be dropped, never stored"),
    Key(
        "id_pseudonymise",
        "true/false",
        False,
        "the ID is personal data (a crime reference): stored only as its keyed hash (docs/data-protection.md)",
    ),
    Key(
        "pseudonymise",
        "list of columns",
        EMPTY,
        "kept only as a keyed hash, to match on later; stored as the column's name in snake_case",
    ),
    Key(
        "missing",
        "list of text",
        EMPTY,
        'cells that mean blank everywhere, e.g. `["NA", "#N/A", "-99"]` (cells of only spaces are blank already)',
    ),
    # --- the period
    Key("period", "mapping", REQUIRED, "where each response's period comes from"),
    Key("period.granularity", " or ".join(f"`{g}`" for g in GRANULARITIES), REQUIRED, "the reporting period"),
    Key("period.column", "column", said("required unless given_at_import"), "the date (or wave) column"),
    Key(
        "period.formats", "list of date formats", _ONE_WAY, "e.g. `['%d/%m/%Y']`; a file's dates must all read one way"
    ),
    Key("period.waves", "mapping: wave label -> period", EMPTY, "wave labels instead of dates"),
    Key(
        "period.waves.<label>",
        'quoted period: "2021-09", "2021-Q3", or a fieldwork range "2022-12..2023-01"',
        REQUIRED,
        "the period of that wave; a range is one wave, placed at its first month",
    ),
    Key(
        "period.given_at_import",
        "true/false",
        False,
        "no period column: `ingest --period P` (P may be a fieldwork range 2022-12..2023-01)",
    ),
    Key("period.earliest", "date", dt.date(2000, 1, 1), "with `formats`: an earlier date is a row problem"),
    # --- dimensions
    Key("dimensions", "mapping: key -> dimension", EMPTY, "the breakdowns: channel, NPU, age ..."),
    Key(f"{_DIM}.use", "template name", said("no template"), "start from a template in dimensions.yaml; keys here win"),
    Key(f"{_DIM}.column", "column", said("required unless given_at_import"), "the column holding the value"),
    Key(f"{_DIM}.label", "text", said("the key"), "the dimension's name on pages"),
    Key(f"{_DIM}.values", "list of labels", _VALUES_OR_GROUPS, "each label is its own group"),
    Key(
        f"{_DIM}.groups",
        "mapping: group -> labels",
        _VALUES_OR_GROUPS,
        "the export's labels mapped to the groups shown",
    ),
    Key(f"{_DIM}.not_stated", "list of labels", EMPTY, 'labels that mean "did not say" (shown as Not stated)'),
    Key(f"{_DIM}.census", "census table name", NONE, "benchmark against config/census/<name>.yaml"),
    Key(f"{_DIM}.area", "true/false", False, "a geography mapped onto census local authorities (areas.yaml)"),
    Key(f"{_DIM}.codes", "mapping: code -> label", EMPTY, "the file holds codes; labels are shown everywhere"),
    Key(f"{_DIM}.separator", "text", NONE, "a multi-select cell: its parts are split on this"),
    Key(
        f"{_DIM}.several",
        "group name",
        NONE,
        "with `separator` (or `columns`, default Two or more): the group of answers falling in several groups",
    ),
    Key(
        f"{_DIM}.columns",
        "mapping: column -> label",
        EMPTY,
        "answers across columns, one per answer: chosen when the cell is not blank or 0 (no `column`)",
    ),
    Key(f"{_DIM}.not_chosen", "list of text", EMPTY, "with `columns`: other cells that mean not chosen, e.g. No"),
    Key(f"{_DIM}.given_at_import", "true/false", False, "one value per file, typed at import (`--set KEY=VALUE`)"),
    Key(
        f"{_DIM}.within",
        "dimension key",
        NONE,
        "the dimension whose groups this one's fall within (`within: npu`): pages drill down from it, and no "
        "hidden figure can be worked out from the parent's",
    ),
    Key(
        f"{_DIM}.others",
        "group name",
        NONE,
        "the group of every label not listed (e.g. a postcode district outside the force area), which would "
        "otherwise make its row a problem; not with `separator` or `columns`",
    ),
    Key(
        f"{_DIM}.optional", "true/false", False, "a file may lack the column (an older export): its rows are Not stated"
    ),
    # --- questions and free text
    Key("questions", "mapping: key -> question", EMPTY, "the aspects asked about (a survey needs one)"),
    Key(f"{_Q}.column", "column", REQUIRED, "the column holding the answers"),
    Key(f"{_Q}.label", "text", said("the key"), "the aspect's name on pages"),
    Key(f"{_Q}.scale", "scale name", REQUIRED, "its answer scale in scales.yaml"),
    # --- derived measures and a sample target (compliance checklists such as the Victims' Code dip sample)
    Key(
        "derived",
        "mapping: key -> derived measure",
        EMPTY,
        "measures computed from the answers when the data is read (never stored), shown wherever a question is",
    ),
    Key(
        "derived.<key>.all_of",
        "list of question keys, at least two",
        REQUIRED,
        "Yes when every one that applies is positive; No when any answered is not; out of the base when none "
        "applies (all excluded, e.g. Not applicable) or one is blank and none is missed",
    ),
    Key("derived.<key>.label", "text", said("the key"), "the measure's name on pages"),
    Key(
        "sample_target",
        "whole number, 1 or more",
        NONE,
        "responses (cases) aimed for each period: pages and the pack say whether it was reached and its margin "
        "of error",
    ),
    Key("free_text", "mapping: key -> column", EMPTY, "comment columns, masked for personal data at import"),
    Key("free_text.<key>", "column", REQUIRED, "the column holding the comments"),
    # --- which rows count
    Key("include", "mapping: column -> values", EMPTY, "keep only rows holding one of the values (any case)"),
    Key("include.<column>", "list of text", REQUIRED, "the values kept; other rows are counted as left out"),
    Key("population", "mapping: dimension -> groups", EMPTY, "who representation counts, e.g. `{status: [Active]}`"),
    Key("population.<dimension>", "list of groups", REQUIRED, "the groups of that dimension counted"),
    # --- suppression
    Key("suppression", "mapping", said("each key's default"), "when figures are hidden or marked"),
    Key("suppression.min_base", "whole number", 10, "below this base no percentage is shown anywhere"),
    Key("suppression.caution_base", "whole number", 50, 'below this a figure is marked "treat with caution"'),
    Key("suppression.secondary", "true/false", False, "complementary suppression: no hidden figure can be derived"),
    # --- contact volumes
    Key("volumes", "mapping", NONE, "a monthly contact volumes file (calls, chats, surveys sent)"),
    Key("volumes.period_column", "column", REQUIRED, "the month column"),
    Key("volumes.period_format", "date format", "%b %Y", "how the month is written"),
    Key("volumes.contacts", "column", NONE, "contacts in the month (calls received, chats, crimes in scope)"),
    Key("volumes.invitations", "column", NONE, "survey invitations sent in the month"),
    Key("volumes.contacts_label", "text", "contacts", "what a contact is called in sentences (`calls`)"),
    Key(
        "volumes.counts",
        "mapping: key -> count",
        EMPTY,
        "further named counts in the file, in its order, e.g. the survey's exclusions (docs/statistics.md, Reach)",
    ),
    Key("volumes.counts.<key>.column", "column", REQUIRED, "the column holding the count"),
    Key("volumes.counts.<key>.label", "text", said("the key"), "what the count is called in sentences"),
    Key(
        "volumes.counts.<key>.excluded",
        "true/false",
        False,
        "a reason contacts were not invited: contacts less every exclusion is at least the invitations",
    ),
    Key(
        "volumes.counts.<key>.reach",
        "text",
        NONE,
        "an exclusion's complement in words (`reachable by email`): the share of those it was applied to it left in",
    ),
    # --- weights
    Key("weighting", "mapping", NONE, "weight to the census by raking (docs/weighting.md)"),
    Key("weighting.margins", "list of dimension keys", REQUIRED, "each with `census:` or `area: true`"),
    Key("weighting.trim", "[low, high], 0 < low <= 1 <= high", NONE, "weights clipped to low-high x their mean"),
    Key("weight", "mapping", NONE, "a vendor's weight per response, used instead of raking"),
    Key(
        "weight.column", "column", REQUIRED, "the weight column; zero, negative or unreadable weights are row problems"
    ),
    Key(
        "weight.on_missing",
        " or ".join(f"`{o}`" for o in ON_MISSING),
        "unweighted",
        "a response without a weight: its period unweighted (raked with `weighting:`), left out of weighted "
        "figures (drop), or a row problem (error)",
    ),
    Key("targets", "mapping: group -> %", EMPTY, "membership: the share of sign-ups the drive aims for"),
    Key("targets.<group>", _TARGET_TYPE, REQUIRED, "drawn as a dashed line on the WMNow page"),
    # --- answer scales (config/scales.yaml)
    Key("<scale>.answers", "list of labels", REQUIRED, "every answer, in the questionnaire's order", SCALES),
    Key("<scale>.positive", "list of answers, at least one", REQUIRED, "answers that count as satisfied", SCALES),
    Key("<scale>.excluded", "list of answers", EMPTY, "answers that leave the base, as blank does", SCALES),
    Key("<scale>.negative", "list of answers", EMPTY, "answers that count as dissatisfied (% dissatisfied)", SCALES),
    Key("<scale>.codes", "mapping: code -> answer", EMPTY, "the file holds codes for the answers", SCALES),
    # --- sign-in and roles (config/access.yaml)
    Key(
        "identity_claim",
        "`email` or `preferred_username`",
        "email",
        "the ID token claim that names the person, matched against `emails:` only",
        ACCESS,
    ),
    Key(
        "group_claim",
        "claim name",
        "groups",
        "the claim listing the person's groups (Entra ID app roles: `roles`), matched against `groups:` only",
        ACCESS,
    ),
    Key(
        "max_session_hours",
        "number of hours, above 0, at most 720",
        8,
        "sign-in is asked again this long after it was given (the ID token's `iat`)",
        ACCESS,
    ),
    Key("restricted", "list of datasets", EMPTY, "opening a page that shows one is written to the access log", ACCESS),
    Key("grants", "list of grants", REQUIRED, "who may do what; a person holds every grant they match", ACCESS),
    Key(
        "grants[].emails",
        "list of email addresses",
        EMPTY,
        "people, by the identity claim, compared after lower-casing A-Z only",
        ACCESS,
    ),
    Key(
        "grants[].groups",
        "list of group claim values",
        EMPTY,
        "groups, by the group claim, compared after lower-casing A-Z only; give emails, groups or both",
        ACCESS,
    ),
    Key(
        "grants[].role",
        "`viewer`, `manager` or `admin`",
        REQUIRED,
        "viewer views; manager also uploads and undoes; admin has everything",
        ACCESS,
    ),
    Key(
        "grants[].datasets",
        "`all` or list of datasets",
        said("required, except for an admin"),
        "the datasets the grant covers (an admin has every one)",
        ACCESS,
    ),
    Key("grants[].except", "list of datasets", EMPTY, "left out of `datasets: all`", ACCESS),
    # --- what happened when (config/events.yaml)
    Key("events", "list of events", EMPTY, "the events results are read against (the file may be absent)", EVENTS),
    Key(
        "events[].date",
        "month: 2019-09",
        REQUIRED,
        "the month it happened (a date gives its month); a quarterly survey places it in that month's quarter",
        EVENTS,
    ),
    Key(
        "events[].label",
        "text",
        REQUIRED,
        "its name on charts and in the pack; `compare --before-after` names it",
        EVENTS,
    ),
    Key("events[].datasets", "`all` or list of datasets", "all", "the surveys whose charts and pack show it", EVENTS),
    Key(
        "events[].approximate",
        "true/false",
        False,
        "the source gives its month only roughly: said as 'about' wherever it is shown",
        EVENTS,
    ),
)


def keys_under(parent: str, file: str = SURVEYS) -> set[str]:
    """The keys a mapping at ``parent`` may hold ("" for the top of the file): what the parser accepts there."""
    return {k.name for k in KEYS if k.file == file and k.parent == parent and not k.name.startswith("<")}


def default_words(key: Key) -> str:
    """The default as the reference prints it."""
    value = key.default
    if isinstance(value, Default):
        return value.words
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"`{value}`"
