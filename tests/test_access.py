"""Roles from config/access.yaml, local mode's listening address, the access log and `audit`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app_pages.serving import listen_address, secrets_files, sign_in_configured
from insight.cli import main
from insight.config.access import load_access
from insight.config.files import ConfigError
from insight.config.loader import load_config
from insight.store import Store
from insight.store.access_log import read_views, record_view
from insight.store.audit import audit_rows
from tests.conftest import REPO

DATASETS = ["victim", "caller_101", "live_chat", "domestic_abuse", "public_confidence", "wmnow"]
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


def test_email_from_preferred_username_ignoring_case_and_a_configured_claim(tmp_path):
    policy = load_access(
        write(
            tmp_path,
            "group_claim: roles\ngrants:\n"
            "  - {members: [Alice@Force.Example], role: viewer, datasets: [victim]}\n"
            "  - {members: [5F1C0000-AAAA-4000-8000-000000000001], role: manager, datasets: [wmnow]}\n",
        ),
        DATASETS,
    )
    alice = policy.user({"preferred_username": "ALICE@force.example"})
    assert alice.email == "alice@force.example" and alice.viewable == ("victim",)
    # Entra sends group object IDs; the group claim here is `roles`, and `groups` counts for nothing
    bob = policy.user({"email": "bob@x", "roles": ["5f1c0000-aaaa-4000-8000-000000000001"], "groups": ["x"]})
    assert bob.manageable == ("wmnow",)
    assert not policy.user({"email": "bob@x", "groups": ["5f1c0000-aaaa-4000-8000-000000000001"]}).has_access
    # a single group sent as a string, not a list
    assert policy.user({"email": "c@x", "roles": "5F1C0000-AAAA-4000-8000-000000000001"}).manageable == ("wmnow",)
    # the email claim wins over preferred_username
    assert not policy.user({"email": "carol@x", "preferred_username": "alice@force.example"}).has_access


def test_every_mistake_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        "group_claim: 3\nrestricted: [domestic_abuze]\ncolour: blue\ngrants:\n"
        "  - {members: [a@x], role: superuser, datasets: all}\n"
        "  - {members: [b@x], role: admin, datasets: [victim]}\n"
        "  - {members: [], role: viewer, datasets: [victim]}\n"
        "  - {members: [c@x], role: viewer}\n"
        "  - {members: [d@x], role: viewer, datasets: all, except: [nope]}\n"
        "  - {members: [e@x], role: viewer, datasets: [victim], except: [wmnow]}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_access(path, DATASETS)
    lines = str(caught.value).splitlines()
    assert lines == [
        "access.yaml: colour: unknown key (expected group_claim, restricted, grants)",
        "access.yaml: group_claim: expected a claim name such as groups or roles, got 3",
        "access.yaml: restricted: no dataset 'domestic_abuze'; datasets: " + ", ".join(DATASETS),
        "access.yaml: grants[0].role: 'superuser' is not a role; choose from viewer, manager, admin",
        "access.yaml: grants[1]: an admin has every dataset; remove datasets/except",
        "access.yaml: grants[2].members: expected a list of email addresses or group names",
        "access.yaml: grants[3].datasets: required (all, or a list of datasets)",
        "access.yaml: grants[4].except: no dataset 'nope'; datasets: " + ", ".join(DATASETS),
        "access.yaml: grants[5].except: only used with datasets: all",
    ]


def test_a_broken_file_is_an_error_not_open_access(tmp_path):
    assert load_access(tmp_path / "access.yaml", DATASETS) is None  # no file: the app lets nobody in (test_app_access)
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_access(write(tmp_path, "grants: [\n"), DATASETS)
    with pytest.raises(ConfigError, match="grants: expected a list"):
        load_access(write(tmp_path, "group_claim: groups\n"), DATASETS)
    with pytest.raises(ConfigError, match="aliases"):
        load_access(write(tmp_path, "grants:\n  - &g {members: [a], role: admin}\n  - *g\n"), DATASETS)


def test_check_config_validates_the_access_file_with_every_other(capsys, tmp_path, monkeypatch):
    assert main(["check-config"]) == 0
    assert "access: 4 grant(s); group claim 'groups'" in capsys.readouterr().out
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    (config / "access.yaml").write_text("grants:\n  - {members: [x], role: viewer, datasets: [victm]}\n")
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
    assert "\x1b" not in out and "\x07" not in out and "u@x?[2J" in out and "npu=A?" in out


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
