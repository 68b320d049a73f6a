"""Who may see and change which survey: roles from ``config/access.yaml``.

Roles are ``viewer`` (view), ``manager`` (view, upload and undo) and ``admin`` (everything,
every dataset). A grant names its members by email or by a value of the identity
provider's group claim (``groups`` unless the file says otherwise; Entra ID may send
``roles``), compared ignoring case. The file is read and checked by the one configuration
loader (``insight.config.loader``), which reports every mistake at once with its key path.

Without sign-in configured the app runs in *local mode*: one person on their own computer,
who may do everything (``local_user``). (``app_pages/serving.py`` keeps such an app on
localhost.)
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insight.config.files import ConfigError, Mistake, Reader, read_yaml

ROLES = ("viewer", "manager", "admin")  # in increasing order of rights
DEFAULT_GROUP_CLAIM = "groups"
LOCAL_BANNER = "Local mode: no sign-in; anyone who can reach this address sees everything"


@dataclass(frozen=True)
class Grant:
    role: str
    members: frozenset[str]  # casefolded emails and group claim values
    datasets: frozenset[str]  # what the grant covers, "all" already expanded


@dataclass(frozen=True)
class User:
    """The person using the app and what they may do."""

    email: str  # lower case; ``local:<name>`` in local mode
    name: str
    role: str | None  # the highest role held anywhere; None: no access at all
    viewable: tuple[str, ...]  # datasets, in the order of the definitions
    manageable: tuple[str, ...]
    local: bool = False

    @property
    def has_access(self) -> bool:
        return bool(self.viewable)

    def may_view(self, dataset: str) -> bool:
        return dataset in self.viewable

    def may_manage(self, dataset: str) -> bool:
        return dataset in self.manageable


@dataclass(frozen=True)
class AccessPolicy:
    group_claim: str
    restricted: frozenset[str]
    grants: tuple[Grant, ...]
    datasets: tuple[str, ...]  # every dataset defined, in order

    def user(self, claims: Mapping[str, Any]) -> User:
        """The rights of a signed-in user, from their ID token claims."""
        email = str(claims.get("email") or claims.get("preferred_username") or "").strip().casefold()
        groups = claims.get(self.group_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        keys = {email} | {str(g).strip().casefold() for g in groups if g is not None}
        keys.discard("")
        held = [g for g in self.grants if g.members & keys]
        viewable = set().union(*(g.datasets for g in held)) if held else set()
        manageable = set().union(*(g.datasets for g in held if g.role != "viewer")) if held else set()
        role = max((g.role for g in held), key=ROLES.index) if held else None
        return User(
            email=email,
            name=str(claims.get("name") or email or "unknown user"),
            role=role,
            viewable=tuple(d for d in self.datasets if d in viewable),
            manageable=tuple(d for d in self.datasets if d in manageable),
        )


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


def parse_access(reader: Reader, raw: Any, datasets: list[str]) -> AccessPolicy | None:
    """The access rules in a parsed access.yaml, checked against the datasets defined; None if there is no file."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise reader.fail("", "expected a mapping with group_claim, restricted and grants")
    for key in sorted(set(raw) - {"group_claim", "restricted", "grants"}, key=str):
        reader.note(str(key), "unknown key (expected group_claim, restricted, grants)")
    claim = raw.get("group_claim", DEFAULT_GROUP_CLAIM)
    if not isinstance(claim, str) or not claim.strip():
        reader.note("group_claim", f"expected a claim name such as groups or roles, got {claim!r}")
        claim = DEFAULT_GROUP_CLAIM
    restricted = _dataset_list(reader, raw.get("restricted", []), "restricted", datasets)
    grants_raw = raw.get("grants")
    if not isinstance(grants_raw, list) or not grants_raw:
        reader.note("grants", "expected a list of grants (members, role, datasets)")
        grants_raw = []
    grants = [g for i, node in enumerate(grants_raw) if (g := _grant(reader, node, f"grants[{i}]", datasets))]
    return AccessPolicy(claim.strip(), frozenset(restricted), tuple(grants), tuple(datasets))


def _grant(reader: Reader, node: Any, keypath: str, datasets: list[str]) -> Grant | None:
    if not isinstance(node, dict):
        reader.note(keypath, "expected a mapping with members, role and datasets")
        return None
    before = len(reader.mistakes)
    for key in sorted(set(node) - {"members", "role", "datasets", "except"}, key=str):
        reader.note(f"{keypath}.{key}", "unknown key (expected members, role, datasets, except)")
    members = node.get("members")
    if not isinstance(members, list) or not members or not all(isinstance(m, str) and m.strip() for m in members):
        reader.note(f"{keypath}.members", "expected a list of email addresses or group names")
        members = []
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
    return Grant(str(role), frozenset(m.strip().casefold() for m in members), frozenset(covered))


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
    """One access file on its own (the app reads it through insight.config.loader); ConfigError lists every mistake."""
    mistakes: list[Mistake] = []
    reader = Reader(path.name, mistakes)
    raw = read_yaml(path, path.name, mistakes) if path.exists() else None
    policy = None
    with reader.part():
        policy = parse_access(reader, raw, datasets)
    if mistakes:
        raise ConfigError(mistakes)
    return policy
