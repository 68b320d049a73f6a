"""Who may see and change which survey: roles from ``config/access.yaml``, matched exactly.

Roles are ``viewer`` (view), ``manager`` (view, upload and undo) and ``admin`` (everything,
every dataset). A grant names people under ``emails:`` and groups under ``groups:``: an
email is compared only with the identity claim (``email``, or ``preferred_username`` when
the file says ``identity_claim: preferred_username``), a group only with the values of the
group claim (``groups`` unless the file says otherwise). Both are compared after lower-casing
the ASCII letters A-Z and nothing else.

A claim used for access is refused outright (the person gets no access, and the reason is
given) when it holds a character that Unicode normalisation (NFKC) or case folding would
change beyond ASCII case (the Kelvin sign ``K`` for K, the long s ``ſ`` for s), a control or
format character (a zero-width space), or spaces around it; so is an ID token whose
``email_verified`` is present and not true, or whose group claim is not a list of text.
What the app shows and records of a person is their identity ``escaped`` to printable ASCII,
so a look-alike is visibly not the person it imitates.

A sign-in lasts ``max_session_hours`` from the ID token's ``iat`` (``session_ended``), and a
sign-in issued before that person's latest sign-out is over (``insight.store.sessions``).

Without sign-in configured the app runs in *local mode*: one person on their own computer,
who may do everything (``local_user``). (``app_pages/serving.py`` keeps such an app on
localhost.)
"""

from __future__ import annotations

import getpass
import math
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insight.config.files import ConfigError, Mistake, Reader, read_yaml
from insight.config.keys import ACCESS, keys_under

ROLES = ("viewer", "manager", "admin")  # in increasing order of rights
IDENTITY_CLAIMS = ("email", "preferred_username")
DEFAULT_IDENTITY_CLAIM = "email"
DEFAULT_GROUP_CLAIM = "groups"
DEFAULT_MAX_SESSION_HOURS = 8
MAX_SESSION_HOURS_LIMIT = 720  # Streamlit's sign-in cookie lasts 30 days: a longer cap would never be reached
LOCAL_BANNER = "Local mode: no sign-in; anyone who can reach this address sees everything"

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# Control, format (zero-width and direction marks), surrogate, private-use and unassigned characters.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


# --------------------------------------------------------------------------- comparing and showing claims


def ascii_lower(text: str) -> str:
    """``text`` with A-Z lower-cased and every other character left exactly as it is."""
    return text.translate(_ASCII_LOWER)


def claim_problem(value: str) -> str | None:
    """Why a claim value cannot be matched exactly (None if it can): hidden characters or look-alikes."""
    for ch in value:
        if unicodedata.category(ch) in _HIDDEN_CATEGORIES:
            return f"holds an invisible or control character ({escaped(ch)})"
    if value != value.strip() or any(unicodedata.category(ch) in ("Zl", "Zp") for ch in value):
        return "has spaces or line breaks around it"
    if (normal := unicodedata.normalize("NFKC", value)) != value:
        changed = next((ch for ch in value if unicodedata.normalize("NFKC", ch) != ch), None)
        if changed is None:  # letters and combining marks that normalisation joins (e + \u0301 -> \u00e9)
            return f"is written in a form Unicode normalisation changes (to {escaped(normal)})"
        into = escaped(unicodedata.normalize("NFKC", changed))
        return f"holds {escaped(changed)}, a character Unicode normalisation turns into {into}"
    if value.casefold() != ascii_lower(value):
        changed = next((ch for ch in value if ch.casefold() != ascii_lower(ch)), value)
        return f"holds {escaped(changed)}, a character case folding turns into {escaped(changed.casefold())}"
    return None


def escaped(text: str) -> str:
    """``text`` in printable ASCII: every other character (and the backslash) as a Python escape.

    ``\\u212aate@force.example`` (a Kelvin sign) is then visibly not ``kate@force.example``, and no two
    different texts look the same: the escape is reversible.
    """
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif " " <= ch <= "~":
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def shown_name(text: str) -> str:
    """A person's display name as sent, with only what could hide or imitate a character escaped.

    Letters of any script stay readable (Zoë stays Zoë); invisible characters and those that Unicode
    normalisation would change (compatibility look-alikes) are escaped as in ``escaped``.
    """
    out = []
    for ch in text:
        hidden = unicodedata.category(ch) in _HIDDEN_CATEGORIES or unicodedata.normalize("NFKC", ch) != ch
        out.append(escaped(ch) if hidden or ch == "\\" else ch)
    return "".join(out)


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Grant:
    role: str
    emails: frozenset[str]  # ASCII-lower-cased identity claim values
    groups: frozenset[str]  # ASCII-lower-cased group claim values
    datasets: frozenset[str]  # what the grant covers, "all" already expanded


@dataclass(frozen=True)
class User:
    """The person using the app and what they may do."""

    email: str  # the identity as shown and recorded: ASCII-lower-cased, ``escaped``; ``local:<name>`` in local mode
    name: str  # as shown: ``shown_name``
    role: str | None  # the highest role held anywhere; None: no access at all
    viewable: tuple[str, ...]  # datasets, in the order of the definitions
    manageable: tuple[str, ...]
    local: bool = False
    refused: str | None = None  # why the sign-in gives no access at all (a claim that cannot be trusted)

    @property
    def has_access(self) -> bool:
        return bool(self.viewable)

    def may_view(self, dataset: str) -> bool:
        return dataset in self.viewable

    def may_manage(self, dataset: str) -> bool:
        return dataset in self.manageable


@dataclass(frozen=True)
class AccessPolicy:
    identity_claim: str
    group_claim: str
    max_session_hours: float
    restricted: frozenset[str]
    grants: tuple[Grant, ...]
    datasets: tuple[str, ...]  # every dataset defined, in order

    def user(self, claims: Mapping[str, Any]) -> User:
        """The rights of a signed-in user, from their ID token claims (as ``st.user`` holds them)."""
        raw_identity = claims.get(self.identity_claim)
        identity = ascii_lower(raw_identity) if isinstance(raw_identity, str) else ""
        name = claims.get("name")
        shown = escaped(identity) if identity else f"(no {self.identity_claim})"
        display = shown_name(name) if isinstance(name, str) and name.strip() else shown
        refused = self.refusal(claims)
        if refused:
            return User(shown, display, None, (), (), refused=refused)
        groups = {ascii_lower(g) for g in claims.get(self.group_claim) or []}
        held = [g for g in self.grants if identity in g.emails or g.groups & groups]
        viewable = set().union(*(g.datasets for g in held)) if held else set()
        manageable = set().union(*(g.datasets for g in held if g.role != "viewer")) if held else set()
        role = max((g.role for g in held), key=ROLES.index) if held else None
        return User(
            email=shown,
            name=display,
            role=role,
            viewable=tuple(d for d in self.datasets if d in viewable),
            manageable=tuple(d for d in self.datasets if d in manageable),
        )

    def refusal(self, claims: Mapping[str, Any]) -> str | None:
        """Why these claims give no access whatever the grants say, in one sentence (None: they may be matched)."""
        claim = self.identity_claim
        value = claims.get(claim)
        if not isinstance(value, str) or not value:
            return f"the sign-in has no {claim} claim, so it names nobody"
        if problem := claim_problem(value):
            return f"the {claim} claim {problem}"
        if any(ch.isspace() for ch in value):
            return f"the {claim} claim has a space in it"
        if claim == "email" and (value.count("@") != 1 or value.startswith("@") or value.endswith("@")):
            return "the email claim is not an email address"
        verified = claims.get("email_verified", True)
        if verified is not True and verified != "true":  # some providers send the text "true"
            said = escaped(str(verified))
            return f"the identity provider says the email address is not verified (email_verified: {said})"
        groups = claims.get(self.group_claim, [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            return f"the {self.group_claim} claim is not a list of names"
        for group in groups:
            if problem := claim_problem(group):
                return f"the {self.group_claim} claim {escaped(group)} {problem}"
        return None


def session_ended(claims: Mapping[str, Any], max_hours: float, now: float) -> str | None:
    """Why a sign-in is too old to use (None: it is recent enough), from the ``iat`` its ID token carries.

    Never ``exp``: that is the ID token's own expiry (an hour at many providers), not the sign-in's.
    """
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, (int, float)) or not math.isfinite(issued):
        return "Your sign-in does not say when it was given, so it cannot be used; sign in again."
    if now - issued >= max_hours * 3600:
        return f"Your sign-in is more than {hours(max_hours)} old; sign in again to carry on."
    return None


def hours(value: float) -> str:
    """8 -> "8 hours", 0.5 -> "30 minutes", 1/3600 -> "1 second"."""
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        count = value * 3600 / size
        if count >= 1 and (count == int(count) or unit == "second"):
            n = round(count)
            return f"{n} {unit}" + ("" if n == 1 else "s")
    return f"{value * 3600:g} seconds"


def local_user(datasets: Sequence[str]) -> User:
    """Local mode: the one person at this computer may do everything; changes carry their login name."""
    name = os_user()
    return User(f"local:{name}", name, "admin", tuple(datasets), tuple(datasets), local=True)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container running as an unnamed uid)
        return "unknown"


# --------------------------------------------------------------------------- loading
#
# config/access.yaml is read by the one configuration loader (insight.config.loader) like every
# other file: parse_access records each mistake on the reader, so they are all listed at once.
# The keys it accepts come from the key table (insight.config.keys), which the docs are generated from.

TOP_KEYS = keys_under("", ACCESS)
GRANT_KEYS = keys_under("grants[]", ACCESS)


def parse_access(reader: Reader, raw: Any, datasets: list[str]) -> AccessPolicy | None:
    """The access rules in a parsed access.yaml, checked against the datasets defined; None if there is no file."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise reader.fail("", "expected a mapping with grants (and identity_claim, group_claim, restricted...)")
    reader.known_keys(raw, TOP_KEYS, "")
    identity_claim = raw.get("identity_claim", DEFAULT_IDENTITY_CLAIM)
    if identity_claim not in IDENTITY_CLAIMS:
        reader.note("identity_claim", f"{identity_claim!r} is not one of {list(IDENTITY_CLAIMS)}")
        identity_claim = DEFAULT_IDENTITY_CLAIM
    claim = raw.get("group_claim", DEFAULT_GROUP_CLAIM)
    if not isinstance(claim, str) or not claim.strip() or claim != claim.strip():
        reader.note("group_claim", f"expected a claim name such as groups or roles, got {claim!r}")
        claim = DEFAULT_GROUP_CLAIM
    if claim == identity_claim:
        reader.note("group_claim", "must differ from identity_claim: people and groups are kept apart")
    max_hours = raw.get("max_session_hours", DEFAULT_MAX_SESSION_HOURS)
    if (
        isinstance(max_hours, bool)
        or not isinstance(max_hours, (int, float))
        or not 0 < max_hours <= MAX_SESSION_HOURS_LIMIT
    ):
        reader.note(
            "max_session_hours",
            f"expected a number of hours above 0 and at most {MAX_SESSION_HOURS_LIMIT} (30 days, the sign-in "
            f"cookie's own life), got {max_hours!r}",
        )
        max_hours = DEFAULT_MAX_SESSION_HOURS
    restricted = _dataset_list(reader, raw.get("restricted", []), "restricted", datasets)
    grants_raw = raw.get("grants")
    if not isinstance(grants_raw, list) or not grants_raw:
        reader.note("grants", "expected a list of grants (emails and/or groups, role, datasets)")
        grants_raw = []
    grants = [
        g for i, node in enumerate(grants_raw) if (g := _grant(reader, node, f"grants[{i}]", datasets, identity_claim))
    ]
    return AccessPolicy(
        identity_claim, claim.strip(), float(max_hours), frozenset(restricted), tuple(grants), tuple(datasets)
    )


def _grant(reader: Reader, node: Any, keypath: str, datasets: list[str], identity_claim: str) -> Grant | None:
    if not isinstance(node, dict):
        reader.note(keypath, "expected a mapping with emails and/or groups, role and datasets")
        return None
    before = len(reader.mistakes)
    if "members" in node:
        reader.note(f"{keypath}.members", "people and groups are now listed apart: use emails: and groups:")
    reader.known_keys({k: v for k, v in node.items() if k != "members"}, GRANT_KEYS, keypath)
    emails = _names(reader, node.get("emails"), f"{keypath}.emails", "email addresses")
    groups = _names(reader, node.get("groups"), f"{keypath}.groups", "group names")
    for email in emails:
        if identity_claim == "email" and (email.count("@") != 1 or email.startswith("@") or email.endswith("@")):
            reader.note(f"{keypath}.emails", f"{email!r} is not an email address (list groups under groups:)")
        elif any(ch.isspace() for ch in email):
            reader.note(f"{keypath}.emails", f"{email!r} has a space in it")
    if not emails and not groups and "members" not in node and len(reader.mistakes) == before:
        reader.note(keypath, "names nobody: give emails, groups or both")
    role = node.get("role")
    if role not in ROLES:
        reader.note(f"{keypath}.role", f"{role!r} is not a role; choose from {', '.join(ROLES)}")
    covered: list[str] = []
    if role == "admin":
        if "datasets" in node or "except" in node:
            reader.note(keypath, "an admin has every dataset; remove datasets/except")
        covered = list(datasets)
    elif "datasets" not in node:
        reader.note(f"{keypath}.datasets", "required (all, or a list of datasets)")
    elif node["datasets"] == "all":
        left_out = _dataset_list(reader, node.get("except", []), f"{keypath}.except", datasets)
        covered = [d for d in datasets if d not in left_out]
    else:
        covered = _dataset_list(reader, node["datasets"], f"{keypath}.datasets", datasets)
        if "except" in node:
            reader.note(f"{keypath}.except", "only used with datasets: all")
    if len(reader.mistakes) > before:
        return None
    return Grant(
        str(role), frozenset(map(ascii_lower, emails)), frozenset(map(ascii_lower, groups)), frozenset(covered)
    )


def _names(reader: Reader, value: Any, keypath: str, what: str) -> list[str]:
    """A list of emails or group names, each one a claim could match exactly."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        reader.note(keypath, f"expected a list of {what}")
        return []
    for v in value:
        if problem := claim_problem(v):
            reader.note(keypath, f"{escaped(v)!r} {problem}, so no sign-in could match it")
    return [v for v in value if not claim_problem(v)]


def _dataset_list(reader: Reader, value: Any, keypath: str, datasets: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        reader.note(keypath, "expected all or a list of dataset names")
        return []
    unknown = [v for v in value if v not in datasets]
    if unknown:
        reader.note(keypath, f"no dataset {', '.join(map(repr, unknown))}; datasets: {', '.join(datasets)}")
    return [v for v in value if v in datasets]


def load_access(path: Path, datasets: list[str]) -> AccessPolicy | None:
    """One access file on its own; ConfigError lists every mistake.

    The app reads it through ``insight.config.loader``; when another configuration file is broken, the
    app reads this one alone to know who may see the list of mistakes.
    """
    mistakes: list[Mistake] = []
    reader = Reader(path.name, mistakes)
    raw = read_yaml(path, path.name, mistakes) if path.exists() else None
    policy = None
    with reader.part():
        policy = parse_access(reader, raw, datasets)
    if mistakes:
        raise ConfigError(mistakes)
    return policy
