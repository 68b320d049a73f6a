"""Roles from config/access.yaml, local mode's listening address, the access log and `audit`."""

from __future__ import annotations

import datetime
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app_pages.serving import from_this_computer, listen_address, secrets_files, sign_in_configured
from insight.cli import main
from insight.config.access import ascii_lower, claim_problem, escaped, hours, load_access, session_ended, shown_name
from insight.config.files import ConfigError
from insight.config.loader import access_alone, load_config
from insight.store import Store
from insight.store.access_log import read_views, record_view
from insight.store.audit import audit_rows
from insight.store.sessions import ended_by_sign_out, read_events, record_refusal, record_sign_out
from tests.conftest import REPO

DATASETS = ["victim", "caller_101", "live_chat", "domestic_abuse", "public_confidence", "wmnow", "victims_code"]
NOT_DA = [d for d in DATASETS if d != "domestic_abuse"]


@pytest.fixture(scope="module")
def shipped():
    """The shipped file, read by the one configuration loader as the app and the CLI read it."""
    return load_config().extra["access.yaml"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_roles(shipped):
    admin = shipped.user({"email": "a@force.example", "groups": ["insight-admins"]})
    assert (admin.role, set(admin.viewable), set(admin.manageable)) == ("admin", set(DATASETS), set(DATASETS))
    manager = shipped.user({"email": "m@force.example", "groups": ["insight-managers"]})
    assert manager.role == "manager" and set(manager.manageable) == set(manager.viewable) == set(NOT_DA)
    viewer = shipped.user({"email": "v@force.example", "groups": ["insight-viewers"]})
    assert viewer.role == "viewer" and set(viewer.viewable) == set(NOT_DA) and viewer.manageable == ()
    analyst = shipped.user({"email": "d@force.example", "groups": ["da-analysts"]})
    assert analyst.viewable == ("domestic_abuse",) and analyst.manageable == ("domestic_abuse",)
    both = shipped.user({"email": "d@force.example", "groups": ["da-analysts", "insight-viewers"]})
    assert set(both.viewable) == set(DATASETS) and both.manageable == ("domestic_abuse",) and both.role == "manager"
    nobody = shipped.user({"email": "n@force.example", "groups": ["finance"]})
    assert not nobody.has_access and nobody.role is None and nobody.viewable == ()
    assert shipped.restricted == {"domestic_abuse"}


def test_people_and_groups_are_matched_apart_ignoring_ascii_case_only(tmp_path):
    policy = load_access(
        write(
            tmp_path,
            "group_claim: roles\ngrants:\n"
            "  - {emails: [Alice@Force.Example], role: viewer, datasets: [victim]}\n"
            "  - {groups: [5F1C0000-AAAA-4000-8000-000000000001], role: manager, datasets: [wmnow]}\n"
            "  - {emails: [j\u00f6rg@force.example], role: viewer, datasets: [caller_101]}\n",
        ),
        DATASETS,
    )
    alice = policy.user({"email": "ALICE@force.example"})
    assert alice.email == "alice@force.example" and alice.viewable == ("victim",)
    # Entra sends group object IDs; the group claim here is `roles`, and `groups` counts for nothing
    bob = policy.user({"email": "bob@x", "roles": ["5f1c0000-aaaa-4000-8000-000000000001"], "groups": ["x"]})
    assert bob.manageable == ("wmnow",)
    assert not policy.user({"email": "bob@x", "groups": ["5f1c0000-aaaa-4000-8000-000000000001"]}).has_access
    # an email is never a group and a group never an email
    assert not policy.user({"email": "c@x", "roles": ["alice@force.example"]}).has_access
    assert not policy.user({"email": "5f1c0000-aaaa-4000-8000-000000000001@x", "roles": []}).has_access
    # preferred_username counts for nothing unless the file says so
    nobody = policy.user({"preferred_username": "alice@force.example", "roles": []})
    assert not nobody.has_access and "no email claim" in (nobody.refused or "")
    # a letter beyond ASCII is compared as it is: lower-case \u00f6 matches itself, and is shown escaped
    jorg = policy.user({"email": "J\u00f6rg@Force.Example", "name": "J\u00f6rg"})
    assert jorg.viewable == ("caller_101",) and jorg.email == "j\\xf6rg@force.example" and jorg.name == "J\u00f6rg"
    # a Cyrillic a is a different letter: no match, and the escape shows it
    cyrillic = policy.user({"email": "\u0430lice@force.example", "roles": []})
    assert not cyrillic.has_access and cyrillic.refused is None and cyrillic.email == "\\u0430lice@force.example"


def test_preferred_username_is_the_identity_only_when_the_file_says_so(tmp_path):
    policy = load_access(
        write(
            tmp_path,
            "identity_claim: preferred_username\n"
            "grants:\n  - {emails: [Dee.Smith], role: viewer, datasets: [victim]}\n",
        ),
        DATASETS,
    )
    assert policy.identity_claim == "preferred_username"
    dee = policy.user({"preferred_username": "dee.smith", "email": "someone.else@force.example"})
    assert dee.viewable == ("victim",) and dee.email == "dee.smith"
    assert not policy.user({"email": "dee.smith", "preferred_username": "other"}).has_access


# Each hostile sign-in the attacker tried, against a file granting kate@ and boss@ admin and the shipped groups.
HOSTILE_FILE = (
    "grants:\n"
    "  - {emails: [kate@force.example, boss@force.example], role: admin}\n"
    "  - {groups: [insight-admins], role: admin}\n"
    "  - {groups: [da-analysts], role: manager, datasets: [domestic_abuse]}\n"
)
HOSTILE = {
    "Kelvin sign K": ({"email": "\u212aate@force.example"}, "\\u212aate@force.example", "normalisation"),
    "long s": ({"email": "bo\u017f\u017f@force.example"}, "bo\\u017f\\u017f@force.example", "normalisation"),
    "fullwidth letters": ({"email": "\uff4bate@force.example"}, "\\uff4bate@force.example", "normalisation"),
    "a group look-alike": (
        {"email": "eve@force.example", "groups": ["in\u017fight-admins"]}, "eve@force.example", "in\\u017fight",
    ),
    "a group as a username": ({"preferred_username": "insight-admins"}, "(no email)", "no email claim"),
    "a group as an email": ({"email": "da-analysts"}, "da-analysts", "not an email address"),
    "unverified email": (
        {"email": "kate@force.example", "email_verified": False}, "kate@force.example", "not verified",
    ),
    "unverified, as text": (
        {"email": "kate@force.example", "email_verified": "false"}, "kate@force.example", "not verified",
    ),
    "padded email": ({"email": " kate@force.example "}, " kate@force.example ", "spaces"),
    "a tab inside": ({"email": "kate@force.example\t"}, "kate@force.example\\x09", "control character"),
    "zero-width space": ({"email": "ka\u200bte@force.example"}, "ka\\u200bte@force.example", "invisible"),
    "right-to-left mark": ({"email": "kate@force.example\u200f"}, "kate@force.example\\u200f", "invisible"),
    "combining accent": ({"email": "kate\u0301@force.example"}, "kate\\u0301@force.example", "normalisation"),
    "sharp s folds to ss": ({"email": "bo\u00df@force.example"}, "bo\\xdf@force.example", "case folding"),
    "capital beyond ASCII": ({"email": "\u00c5se@force.example"}, "\\xc5se@force.example", "case folding"),
    "groups as an object": (
        {"email": "eve@force.example", "groups": {"insight-admins": True}}, "eve@force.example", "not a list",
    ),
    "groups as one text": (
        {"email": "eve@force.example", "groups": "insight-admins"}, "eve@force.example", "not a list",
    ),
    "groups holding a number": (
        {"email": "eve@force.example", "groups": ["insight-admins", 7]}, "eve@force.example", "not a list",
    ),
    "a padded group": ({"email": "eve@force.example", "groups": ["insight-admins "]}, "eve@force.example", "spaces"),
    "no email at all": ({"groups": ["insight-admins"]}, "(no email)", "no email claim"),
    "an email that is not text": ({"email": ["kate@force.example"]}, "(no email)", "no email claim"),
}  # fmt: skip


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_sign_in_gets_no_access_and_is_shown_escaped(case, tmp_path):
    claims, shown, reason = HOSTILE[case]
    user = load_access(write(tmp_path, HOSTILE_FILE), DATASETS).user({"name": "Kate", **claims})
    assert user.role is None and not user.has_access and user.viewable == user.manageable == ()
    assert user.refused and reason in user.refused, user.refused
    assert user.email == shown
    assert all(" " <= ch <= "~" for ch in user.email + user.refused)  # what is shown and logged is printable ASCII


def test_the_people_the_hostile_cases_imitate_do_get_in(tmp_path):
    """The oracle for the hostile cases: the same file lets the real people and groups in."""
    policy = load_access(write(tmp_path, HOSTILE_FILE), DATASETS)
    for claims in (
        {"email": "Kate@Force.Example"},
        {"email": "boss@force.example", "email_verified": True},
        {"email": "kate@force.example", "email_verified": "true"},
        {"email": "eve@force.example", "groups": ["insight-admins"]},
    ):
        assert policy.user(claims).role == "admin", claims
    dee = policy.user({"email": "dee@force.example", "groups": ["da-analysts"], "preferred_username": "insight-admins"})
    assert dee.role == "manager" and dee.viewable == ("domestic_abuse",)


def test_claims_are_checked_character_by_character():
    assert claim_problem("kate@force.example") is None and claim_problem("Kate@Force.Example") is None
    assert claim_problem("j\u00f6rg@x") is None  # lower case beyond ASCII that nothing changes
    assert "normalisation" in claim_problem("\u212a")  # type: ignore[operator]
    assert "case folding" in claim_problem("\u00d6")  # type: ignore[operator]
    assert "invisible" in claim_problem("a\u00adb")  # type: ignore[operator]  # a soft hyphen (Cf)
    assert "invisible" in claim_problem("a\ud800")  # type: ignore[operator]  # a lone surrogate
    assert "invisible" in claim_problem("a\U000e0041")  # type: ignore[operator]  # a tag character
    assert ascii_lower("\u212aATE \u00c5") == "\u212aate \u00c5"  # A-Z only
    # the escape is printable, reversible, and tells every look-alike from the real thing
    for text in ("\u212aate", "kate", "\\u212aate", "a\x00b", "\U0001f600", "\u0430"):
        shown = escaped(text)
        assert all(" " <= ch <= "~" for ch in shown)
        assert shown.encode("ascii").decode("unicode_escape") == text
    assert escaped("\u212aate") != escaped("kate") and escaped("\\u212aate") != escaped("\u212aate")
    assert shown_name("Zo\u00eb \u212aate\u200b") == "Zo\u00eb \\u212aate\\u200b"


def test_a_sign_in_lasts_its_maximum_age_from_iat_never_exp():
    now = 1_700_000_000.0
    assert session_ended({"iat": now - 7.9 * 3600, "exp": now - 3600}, 8, now) is None  # exp long gone: no matter
    assert "more than 8 hours old" in session_ended({"iat": now - 8 * 3600, "exp": now + 3600}, 8, now)  # type: ignore[operator]
    assert "more than 30 minutes old" in session_ended({"iat": now - 1800}, 0.5, now)  # type: ignore[operator]
    for claims in ({}, {"iat": "1700000000"}, {"iat": True}, {"iat": float("nan")}, {"exp": now + 3600}):
        assert "does not say when it was given" in session_ended(claims, 8, now), claims  # type: ignore[operator]
    assert [hours(h) for h in (8, 1, 0.5, 1.5, 1 / 3600, 0.0003)] == [
        "8 hours", "1 hour", "30 minutes", "90 minutes", "1 second", "1 second",
    ]  # fmt: skip


def test_every_mistake_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        "group_claim: 3\nidentity_claim: upn\nmax_session_hours: 0\nrestricted: [domestic_abuze]\ncolour: blue\n"
        "grants:\n"
        "  - {groups: [a], role: superuser, datasets: all}\n"
        "  - {groups: [b], role: admin, datasets: [victim]}\n"
        "  - {emails: [], role: viewer, datasets: [victim]}\n"
        "  - {groups: [c], role: viewer}\n"
        "  - {groups: [d], role: viewer, datasets: all, except: [nope]}\n"
        "  - {groups: [e], role: viewer, datasets: [victim], except: [wmnow]}\n"
        "  - {members: [f@x], role: viewer, datasets: all}\n"
        "  - {emails: [insight-admins, '\u212aate@x'], groups: ['in\u017fight', ' g'], role: admin}\n"
        "  - {emails: {a: b}, groups: g, role: admin}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_access(path, DATASETS)
    lines = str(caught.value).splitlines()
    assert lines == [
        "access.yaml: (top): unknown key(s) ['colour']; allowed: "
        "['grants', 'group_claim', 'identity_claim', 'max_session_hours', 'restricted']",
        "access.yaml: identity_claim: 'upn' is not one of ['email', 'preferred_username']",
        "access.yaml: group_claim: expected a claim name such as groups or roles, got 3",
        "access.yaml: max_session_hours: expected a number of hours above 0 and at most 720 (30 days, the sign-in "
        "cookie's own life), got 0",
        "access.yaml: restricted: no dataset 'domestic_abuze'; datasets: " + ", ".join(DATASETS),
        "access.yaml: grants[0].role: 'superuser' is not a role; choose from viewer, manager, admin",
        "access.yaml: grants[1]: an admin has every dataset; remove datasets/except",
        "access.yaml: grants[2]: names nobody: give emails, groups or both",
        "access.yaml: grants[3].datasets: required (all, or a list of datasets)",
        "access.yaml: grants[4].except: no dataset 'nope'; datasets: " + ", ".join(DATASETS),
        "access.yaml: grants[5].except: only used with datasets: all",
        "access.yaml: grants[6].members: people and groups are now listed apart: use emails: and groups:",
        "access.yaml: grants[7].emails: '\\\\u212aate@x' holds \\u212a, a character Unicode normalisation turns "
        "into K, so no sign-in could match it",
        "access.yaml: grants[7].groups: 'in\\\\u017fight' holds \\u017f, a character Unicode normalisation turns "
        "into s, so no sign-in could match it",
        "access.yaml: grants[7].groups: ' g' has spaces or line breaks around it, so no sign-in could match it",
        "access.yaml: grants[7].emails: 'insight-admins' is not an email address (list groups under groups:)",
        "access.yaml: grants[8].emails: expected a list of email addresses",
        "access.yaml: grants[8].groups: expected a list of group names",
    ]
    with pytest.raises(ConfigError, match="group_claim: must differ from identity_claim"):
        load_access(write(tmp_path, "group_claim: email\ngrants: [{groups: [a], role: admin}]\n"), DATASETS)
    for hours_given in ("721", "-1", "true", "eight"):
        with pytest.raises(ConfigError, match="max_session_hours"):
            load_access(
                write(tmp_path, f"max_session_hours: {hours_given}\ngrants: [{{groups: [a], role: admin}}]\n"), DATASETS
            )


def test_an_access_file_with_only_grants_takes_the_documented_defaults(tmp_path):
    """The defaults in the key table (and so the docs) are the parser's own."""
    from insight.config.keys import ACCESS, KEYS, default_words

    policy = load_access(write(tmp_path, "grants: [{groups: [a], role: viewer, datasets: all}]\n"), DATASETS)
    grant = policy.grants[0]
    fields = {
        "identity_claim": policy.identity_claim,
        "group_claim": policy.group_claim,
        "max_session_hours": policy.max_session_hours,
        "restricted": policy.restricted,
        "grants[].emails": grant.emails,
        "grants[].except": set(DATASETS) - grant.datasets,
    }
    for key in KEYS:
        if key.file == ACCESS and key.path in fields:
            value = fields.pop(key.path)
            if default_words(key) == "none":
                assert not value, key.path
            else:
                assert value == key.default, key.path
    assert not fields, f"no row in the key table for {sorted(fields)}"


def test_a_broken_file_is_an_error_not_open_access(tmp_path):
    assert load_access(tmp_path / "access.yaml", DATASETS) is None  # no file: the app lets nobody in (test_app_access)
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_access(write(tmp_path, "grants: [\n"), DATASETS)
    with pytest.raises(ConfigError, match="grants: expected a list"):
        load_access(write(tmp_path, "group_claim: groups\n"), DATASETS)
    with pytest.raises(ConfigError, match="aliases"):
        load_access(write(tmp_path, "grants:\n  - &g {groups: [a], role: admin}\n  - *g\n"), DATASETS)


def test_check_config_validates_the_access_file_with_every_other(capsys, tmp_path, monkeypatch):
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "access: 4 grant(s); identity claim 'email'; group claim 'groups'; a sign-in lasts 8 hours" in out
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    (config / "access.yaml").write_text("grants:\n  - {groups: [x], role: viewer, datasets: [victm]}\n")
    (config / "themes.yaml").write_text("themes: 3\n")
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    assert main(["check-config"]) == 1
    err = capsys.readouterr().err
    assert "access.yaml: grants[0].datasets: no dataset 'victm'" in err and "themes.yaml" in err


def test_local_mode_listens_on_localhost_and_sign_in_on_every_interface(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.setenv("HOME", str(tmp_path))
    assert listen_address([]) == "127.0.0.1"
    secrets = tmp_path / "s.toml"
    secrets.write_text('api_key = "x"\n')
    assert listen_address(["--secrets.files", str(secrets)]) == "127.0.0.1"
    secrets.write_text('[auth]\nredirect_uri = "http://h/oauth2callback"\n')
    assert listen_address([f"--secrets.files={secrets}"]) == "0.0.0.0"
    assert secrets_files(["--server.port", "9", "--secrets.files", "a", "--secrets.files", "b"]) == [
        Path("a"),
        Path("b"),
    ]
    (tmp_path / "bad.toml").write_text("[auth\n")
    assert not sign_in_configured([tmp_path / "bad.toml", tmp_path / "missing.toml"])
    # the project's own .streamlit/secrets.toml, which Streamlit reads by default
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(secrets.read_text())
    assert listen_address(["--server.port", "8600"]) == "0.0.0.0"


def test_audit_lists_imports_and_restricted_views_newest_first(exports, data_dir, capsys, monkeypatch):
    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv")]) == 0
    monkeypatch.setattr("insight.store.access_log.utc_now", lambda: "2999-01-02T03:04:05Z")  # surely after the import
    record_view(data_dir, user="d@force.example", page="satisfaction", dataset="domestic_abuse",
                filters={"period": "2019-09", "by": "age", "aspect": None, "npu": ["Coventry"]})  # fmt: skip
    capsys.readouterr()
    assert main(["audit", "--format", "json", "--data-dir", str(data_dir)]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert main(["undo", "victim", "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    assert main(["audit", "--format", "json", "--data-dir", str(data_dir)]) == 0
    undone = json.loads(capsys.readouterr().out)["rows"]
    assert [r["action"] for r in undone] == ["view", "undo", "import"]
    assert undone[1]["user"].startswith("cli:") and "back to version 0 (imports taken back: 1" in undone[1]["detail"]
    assert [r["action"] for r in rows] == ["view", "import"]
    view, imported = rows
    assert set(view) == {"time", "user", "action", "dataset", "detail"}
    assert view["user"] == "d@force.example" and view["dataset"] == "domestic_abuse"
    assert view["detail"] == "page satisfaction; period=2019-09; by=age; npu=Coventry"
    assert imported["user"].startswith("cli:") and imported["dataset"] == "victim"
    assert "victim_survey_example.csv" in imported["detail"] and "40 new" in imported["detail"]
    for r in rows:
        assert r["time"].endswith("Z") and len(r["time"]) == len("2019-09-30T14:05:00Z")
    assert view["time"] == "2999-01-02T03:04:05Z"
    assert main(["audit", "--since", "2999-01-01", "--format", "json", "--data-dir", str(data_dir)]) == 0
    assert [r["action"] for r in json.loads(capsys.readouterr().out)["rows"]] == ["view"]
    assert main(["audit", "--data-dir", str(data_dir)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["time", "user", "action", "dataset", "detail"]
    assert table[1].endswith("  page satisfaction; period=2019-09; by=age; npu=Coventry")
    assert table[3].endswith(imported["detail"]) and len(table) == 4
    assert main(["audit", "--since", "2999-01-03", "--data-dir", str(data_dir)]) == 0
    assert "nothing recorded since 2999-01-03" in capsys.readouterr().out
    assert main(["audit", "--since", "yesterday"]) == 2


def test_audit_keeps_the_order_of_same_second_views(data_dir):
    for page in ("trends", "comments"):
        record_view(data_dir, user="u@x", page=page, dataset="domestic_abuse", filters={})
    rows = audit_rows(Store(data_dir), ["domestic_abuse"])
    assert [r["detail"] for r in rows] == ["page comments", "page trends"]


def test_audit_table_keeps_control_characters_off_the_terminal(data_dir, capsys):
    record_view(data_dir, user="u@x\x1b[2J", page="trends", dataset="domestic_abuse", filters={"npu": ["A\x07"]})
    assert main(["audit", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    # the user is shown escaped, as the app records a claim; a filter's control character as "?"
    assert "\x1b" not in out and "\x07" not in out and "u@x\\x1b[2J" in out and "npu=A?" in out


@pytest.fixture(scope="module")
def azurite():
    from tests.azurite import start_azurite

    yield from start_azurite()


def test_the_access_log_of_a_cloud_store_is_in_the_store(azurite, monkeypatch, capsys):
    for key, value in azurite.env.items():
        monkeypatch.setenv(key, value)
    container = azurite.new_container()
    where = f"az://{container}/insight"
    record_view(where, user="dee@force.example", page="trends", dataset="domestic_abuse", filters={"by": "age"})
    record_view(where, user="ada@force.example", page="", dataset="domestic_abuse", filters={})
    assert [(v["user"], v["filters"]) for v in read_views(where)] == [
        ("dee@force.example", {"by": "age"}),
        ("ada@force.example", {}),
    ]
    assert any(name.startswith("insight/access_log/") for name in azurite.blobs(container))
    assert main(["audit", "--format", "json", "--data-dir", where]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {(r["user"], r["action"], r["detail"]) for r in rows} == {
        ("dee@force.example", "view", "page trends; by=age"),
        ("ada@force.example", "view", "page overview"),
    }


# --------------------------------------------------------------------------- sessions end


def test_a_sign_out_ends_that_sign_in_and_every_earlier_one(data_dir):
    assert not ended_by_sign_out(data_dir, "kate@force.example", 1_000)  # no log yet
    record_sign_out(data_dir, user="kate@force.example", issued=1_000)
    assert (data_dir / "sessions.jsonl").stat().st_mode & 0o777 == 0o600
    signed_out_at = datetime.datetime.fromisoformat(read_events(data_dir)[-1]["time"].replace("Z", "+00:00"))
    later = math.floor(signed_out_at.timestamp())
    assert ended_by_sign_out(data_dir, "kate@force.example", 1_000)  # the very cookie signed out of
    assert ended_by_sign_out(data_dir, "kate@force.example", 999)  # one issued before it
    assert ended_by_sign_out(data_dir, "kate@force.example", later - 1)  # any issued before the sign-out
    assert not ended_by_sign_out(data_dir, "kate@force.example", later)  # a sign-in after it (iat: whole seconds)
    assert not ended_by_sign_out(data_dir, "boss@force.example", 1_000)  # someone else's
    # another replica (another process) signs Boss out: this one sees it on its next question
    subprocess.run(
        [sys.executable, "-c", "import sys, pathlib; from insight.store.sessions import record_sign_out; "
         "record_sign_out(pathlib.Path(sys.argv[1]), user='boss@force.example', issued=5)", str(data_dir)],
        cwd=REPO, check=True,
    )  # fmt: skip
    assert ended_by_sign_out(data_dir, "boss@force.example", 5)
    # a line cut short by a crash is skipped, and what follows it still counts
    with (data_dir / "sessions.jsonl").open("ab") as f:
        f.write(b'{"time": "2999-01-01T00:00:00Z", "user": "kate@force.exa')
    assert not ended_by_sign_out(data_dir, "kate@force.example", later)
    with (data_dir / "sessions.jsonl").open("ab") as f:
        f.write(b"\n")
    record_sign_out(data_dir, user="dee@force.example", issued=None)  # a sign-in with no iat: its time counts
    assert ended_by_sign_out(data_dir, "dee@force.example", later - 1)
    assert [e["event"] for e in read_events(data_dir)] == ["sign-out"] * 3


def test_sign_outs_and_refusals_are_in_the_audit_trail(data_dir, capsys):
    record_refusal(data_dir, user="\\u212aate@force.example", reason="the email claim holds \\u212a")
    record_sign_out(data_dir, user="kate@force.example", issued=1_569_852_300)
    assert main(["audit", "--format", "json", "--data-dir", str(data_dir)]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["action"], r["user"], r["dataset"]) for r in rows] == [
        ("sign-out", "kate@force.example", ""),
        ("refused", "\\u212aate@force.example", ""),
    ]
    assert rows[0]["detail"] == "signed out; ends every sign-in given up to 2019-09-30T14:05:00Z"
    assert rows[1]["detail"] == "sign-in refused: the email claim holds \\u212a"


def test_an_identity_recorded_unescaped_is_escaped_in_the_audit(data_dir):
    """A log written before identities were recorded escaped (or by hand) still shows a look-alike as one."""
    record_view(data_dir, user="\u212aate@force.example", page="trends", dataset="domestic_abuse", filters={})
    assert [r["user"] for r in audit_rows(Store(data_dir), [])] == ["\\u212aate@force.example"]


def test_the_access_file_alone_says_who_may_see_a_broken_configuration(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    (config / "themes.yaml").write_text("themes: 3\n")
    with pytest.raises(ConfigError):
        load_config(config)
    alone = access_alone(config)
    assert alone is not None and alone.user({"email": "a@x", "groups": ["insight-admins"]}).role == "admin"
    (config / "access.yaml").write_text("grants: [{members: [a], role: admin}]\n")
    with pytest.raises(ConfigError, match="use emails: and groups:"):
        access_alone(config)
    (config / "access.yaml").unlink()
    assert access_alone(config) is None


# --------------------------------------------------------------------------- local mode serves this computer only


@pytest.mark.parametrize(
    ("ip", "headers", "local"),
    [
        (None, {}, True),  # no request at all: Streamlit's AppTest
        (None, {"User-Agent": "x"}, False),  # a request without a Host
        (None, {"Host": "localhost:8501"}, True),
        (None, {"host": "127.0.0.1:8501"}, True),
        (None, {"Host": "[::1]:8501"}, True),
        (None, {"Host": "insight.localhost:8501"}, True),
        ("127.0.0.2", {"Host": "127.0.0.2:8501"}, True),
        ("::ffff:127.0.0.1", {"Host": "localhost"}, True),
        ("10.1.2.3", {"Host": "localhost:8501"}, False),  # another computer
        ("192.168.0.9", {"Host": "192.168.0.5:8501"}, False),
        ("::ffff:10.0.0.1", {"Host": "localhost"}, False),
        ("not an address", {"Host": "localhost"}, False),
        (None, {"Host": "localhost", "X-Forwarded-For": "127.0.0.1"}, False),  # a proxy on this computer serves others
        (None, {"Host": "localhost", "Forwarded": "for=127.0.0.1"}, False),
        (None, {"Host": "localhost", "X-Real-IP": "127.0.0.1"}, False),
        (None, {"Host": "rebind.example:8501"}, False),  # DNS rebinding: another site's name pointed at 127.0.0.1
        (None, {"Host": "localhost.evil.example"}, False),
        (None, {"Host": "127.0.0.1.nip.io"}, False),
        (None, {"Host": ""}, False),
    ],
)
def test_local_mode_serves_only_a_client_on_this_computer(ip, headers, local):
    assert from_this_computer(ip, headers) is local


def test_sign_outs_in_a_cloud_store_count_on_every_replica(azurite, monkeypatch):
    for key, value in azurite.env.items():
        monkeypatch.setenv(key, value)
    container = azurite.new_container()
    where = f"az://{container}/insight"
    assert not ended_by_sign_out(where, "kate@force.example", 1_000)  # no table yet
    record_sign_out(where, user="kate@force.example", issued=1_000)
    assert ended_by_sign_out(where, "kate@force.example", 1_000)
    assert not ended_by_sign_out(where, "boss@force.example", 1_000)
    # another replica (another process, the same store) signs Boss out: this one sees it at its next question
    subprocess.run(
        [sys.executable, "-c", "import sys; from insight.store.sessions import record_sign_out; "
         "record_sign_out(sys.argv[1], user='boss@force.example', issued=1_000)", where],
        cwd=REPO, check=True, env={**os.environ, **azurite.env},
    )  # fmt: skip
    assert ended_by_sign_out(where, "boss@force.example", 1_000)
    assert [e["user"] for e in read_events(where)] == ["kate@force.example", "boss@force.example"]
    assert any(name.startswith("insight/sessions/") for name in azurite.blobs(container))
