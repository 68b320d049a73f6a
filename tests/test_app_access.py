"""Roles on every page through AppTest, with a faked signed-in user (``at.user``)."""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.identity import SIGNED_OUT
from app_pages.loading import MISCONFIGURED
from insight.config.access import LOCAL_BANNER
from insight.config.loader import load_config
from insight.store import Store
from insight.store.access_log import read_views
from insight.store.sessions import read_events
from tests.conftest import REPO, open_figures
from tests.test_app import PAGES, texts

# An [auth] section is what switches sign-in on; AppTest never contacts the provider.
AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "not-a-secret-only-a-test-value-of-some-length",
        "client_id": "insight",
        "client_secret": "test",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
}
SIGNED_IN = {"is_logged_in": True, "iat": int(time.time())}  # the ID token's issue time: signed in just now
VIEWER = {**SIGNED_IN, "email": "Vera@Force.Example", "name": "Vera Viewer", "groups": ["insight-viewers"]}
MANAGER = {**SIGNED_IN, "email": "max@force.example", "name": "Max Manager", "groups": ["insight-managers"]}
ANALYST = {**SIGNED_IN, "email": "dee@force.example", "name": "Dee", "groups": ["da-analysts"]}
ADMIN = {**SIGNED_IN, "email": "ada@force.example", "name": "Ada Admin", "groups": ["insight-admins"]}
STRANGER = {**SIGNED_IN, "email": "sam@elsewhere.example", "name": "Sam", "groups": ["finance"]}
DA_TITLE = "Domestic abuse victim survey"
DENIED = "You don't have access to this survey."
DATASET_PAGES = [
    "app_pages/satisfaction.py",
    "app_pages/trends.py",
    "app_pages/respondents.py",
    "app_pages/comments.py",
]


@pytest.fixture(autouse=True)
def fresh_store(data_dir):
    return data_dir


def app(user: dict | None, page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    if user is not None:
        at.secrets.update(AUTH)
        at.user = user
    at.query_params.update(params)
    if page:
        at.switch_page(page)
    return open_figures(at.run())  # every figure's table drawn: what the tests read is all a reader could see


def everything(at: AppTest) -> str:
    """Every text on the page and in the sidebar, option lists and table cells included."""
    parts = [texts(at), *(s.value for s in at.subheader), *(m.value for m in at.sidebar.markdown)]
    parts += [str(o) for sb in at.sidebar.selectbox for o in sb.options]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(parts)


def signed_in(at: AppTest) -> tuple[str, str, str]:
    """Name, email and role as the sidebar shows them (Markdown escapes and word joiners taken out)."""
    line = next(m.value for m in at.sidebar.markdown if m.value.startswith("Signed in as"))
    shown = re.sub(r"\\(.)", r"\1", line).replace("\u2060", "")
    found = re.fullmatch(r"Signed in as \*\*(.+)\*\* \((.+)\) · (.+)", shown)
    assert found, line
    return found.group(1), found.group(2), found.group(3)


def tiles(at: AppTest) -> set[str]:
    """The datasets with a tile on the overview (a tile per survey reads "Title: survey")."""
    return {s.value.split(": ")[0] for s in at.subheader}


def figures(at: AppTest) -> int:
    return len(at.dataframe) + len(at.metric) + len(at.get("arrow_vega_lite_chart")) + len(at.get("download_button"))


def test_not_signed_in_sees_only_the_sign_in_button():
    at = app({"is_logged_in": False}, "app_pages/satisfaction.py", dataset="victim")
    assert not at.exception, at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert figures(at) == 0 and len(at.sidebar.selectbox) == 0
    assert "Victim" not in everything(at)


def test_signed_in_in_no_group_sees_the_no_access_page():
    at = app(STRANGER)
    assert not at.exception, at.exception
    assert "No access" in texts(at)
    assert "sam@elsewhere" in texts(at) and "not been given access to any survey" in texts(at)
    assert figures(at) == 0
    assert "Sign out" in [b.label for b in at.sidebar.button]


@pytest.mark.parametrize("page", PAGES)
def test_a_viewer_never_sees_domestic_abuse_on_any_page(page):
    at = app(VIEWER, page)
    assert not at.exception, at.exception
    body = everything(at)
    assert DA_TITLE not in body and "domestic_abuse" not in body
    assert signed_in(at) == ("Vera Viewer", "vera@force.example", "viewer")
    if page == "app_pages/upload.py":
        assert "Only managers of a survey can upload or undo its data." in body
        assert not at.get("file_uploader")
    else:
        assert PAGES[page] in body
    if page == "app_pages/overview.py":
        assert tiles(at) == {d.title for k, d in load_config().definitions.items() if k != "domestic_abuse"}


@pytest.mark.parametrize("page", [*DATASET_PAGES, "app_pages/overview.py", "app_pages/data.py"])
@pytest.mark.parametrize("present", ["0", "1"])
def test_a_shared_link_to_domestic_abuse_shows_no_figures_to_a_viewer(page, present):
    at = app(VIEWER, page, dataset="domestic_abuse", period="2019-09", by="age", present=present)
    assert not at.exception, at.exception
    assert DENIED in [e.value for e in at.error]
    assert figures(at) == 0
    assert DA_TITLE not in everything(at)


def test_the_same_link_works_for_a_domestic_abuse_analyst(data_dir):
    at = app(ANALYST, "app_pages/satisfaction.py", dataset="domestic_abuse", period="2019-09")
    assert not at.exception, at.exception
    assert f"{DA_TITLE}: satisfaction" in texts(at)
    assert at.sidebar.selectbox(key="dataset").options == [DA_TITLE]
    assert figures(at) > 0
    assert signed_in(at) == ("Dee", "dee@force.example", "manager")


def test_a_page_of_a_dataset_the_user_cannot_see_is_denied():
    # WMNow is not the analyst's: its page is hidden, and a link to it says so
    at = app(ANALYST, "app_pages/wmnow.py")
    assert DENIED in [e.value for e in at.error] and figures(at) == 0
    overview = app(ANALYST)
    assert tiles(overview) == {DA_TITLE}


def test_a_manager_uploads_only_what_they_manage_and_is_named_in_history(exports, data_dir):
    at = app(MANAGER, "app_pages/upload.py")
    assert not at.exception, at.exception
    data = (exports / "victim_survey_example.csv").read_bytes()
    at.file_uploader(key="uploads").upload("victim_survey_example.csv", data, "text/csv").run()
    chooser = next(s for s in at.selectbox if s.key.startswith("dataset-"))
    assert DA_TITLE not in chooser.options and "Victim satisfaction survey" in chooser.options
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, at.exception
    history = at.dataframe[-1].value
    assert history.iloc[0]["By"] == "max@force.example" and history.iloc[0]["File"] == "victim_survey_example.csv"
    assert [h["user"] for h in Store(data_dir).history("victim")] == ["max@force.example"]
    # undo is the manager's too, and the history names them
    next(b for b in at.button if b.label == "Undo this import").click().run()
    next(b for b in at.button if b.label == "Yes, undo it").click().run()
    assert not at.exception, at.exception
    assert [(h["action"], h["user"]) for h in Store(data_dir).history("victim")] == [
        ("undo", "max@force.example"),
        ("import", "max@force.example"),
    ]


def test_upload_history_shows_only_the_datasets_a_manager_manages(exports, data_dir):
    from insight.cli import main

    assert main(["ingest", "domestic_abuse", str(exports / "domestic_abuse_example.csv")]) == 0
    manager = app(MANAGER, "app_pages/upload.py")
    assert "Nothing has been imported into this store yet" in texts(manager)
    analyst = app(ANALYST, "app_pages/upload.py")
    assert analyst.dataframe[-1].value.iloc[0]["Dataset"] == DA_TITLE
    assert [s.options for s in analyst.selectbox if s.key == "undo-dataset"] == [[DA_TITLE]]
    assert "Undo this import" not in [b.label for b in manager.button]


def test_an_admin_sees_everything_and_may_upload():
    at = app(ADMIN)
    assert tiles(at) == {d.title for d in load_config().definitions.values()}
    assert "· admin" in everything(at)
    upload = app(ADMIN, "app_pages/upload.py")
    assert upload.get("file_uploader") and "Only managers" not in texts(upload)
    da = app(ADMIN, "app_pages/satisfaction.py", dataset="domestic_abuse")
    assert f"{DA_TITLE}: satisfaction" in texts(da) and figures(da) > 0


def test_sign_out_returns_to_the_sign_in_page():
    at = app(VIEWER)
    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception, at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert figures(at) == 0


@pytest.mark.parametrize("page", PAGES)
def test_local_mode_says_so_on_every_page(page):
    at = app(None, page)
    assert not at.exception, at.exception
    assert LOCAL_BANNER in [w.value for w in at.main.warning]
    assert "Sign out" not in [b.label for b in at.sidebar.button]


def test_local_mode_banner_is_in_the_sidebar_in_presenter_mode():
    at = app(None, "app_pages/satisfaction.py", present="1")
    assert LOCAL_BANNER in [w.value for w in at.sidebar.warning]
    assert LOCAL_BANNER not in [w.value for w in at.main.warning]


def test_restricted_views_are_logged_once_per_page_opened(data_dir):
    at = app(ANALYST, "app_pages/satisfaction.py", dataset="domestic_abuse", period="2019-09")
    at.sidebar.selectbox(key="by").set_value("age").run()  # a filter change is not a new page
    at.run()
    views = read_views(data_dir)
    assert len(views) == 1
    assert views[0]["user"] == "dee@force.example" and views[0]["page"] == "satisfaction"
    assert views[0]["dataset"] == "domestic_abuse" and views[0]["filters"]["period"] == "2019-09"
    at.switch_page("app_pages/trends.py").run()
    at.switch_page("app_pages/overview.py").run()
    assert [(v["page"], v["dataset"]) for v in read_views(data_dir)][1:] == [
        ("trends", "domestic_abuse"),
        ("overview", "domestic_abuse"),
    ]
    # a viewer's pages show no restricted dataset, so nothing is logged for them
    app(VIEWER, "app_pages/satisfaction.py")
    assert len(read_views(data_dir)) == 3


@pytest.fixture()
def access_file(tmp_path, monkeypatch):
    """A copy of config/ the app reads instead ($INSIGHT_CONFIG_DIR); returns its access.yaml."""
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(config))
    return config / "access.yaml"


def mistakes_listed(at: AppTest) -> str:
    return "\n".join(c.value for c in at.code)


def test_a_broken_configuration_is_listed_only_to_an_admin_or_in_local_mode(access_file):
    themes = access_file.parent / "themes.yaml"
    themes.write_text("themes: 3\n")  # another file broken; the access file itself is sound
    for who, shown in ((None, True), (ADMIN, True), (VIEWER, False), (STRANGER, False)):
        at = app(who, "app_pages/satisfaction.py")
        assert not at.exception, at.exception
        assert figures(at) == 0
        if who is not None:  # whoever is signed in can still sign out
            assert [b.label for b in at.sidebar.button] == ["Sign out"], who
        if shown:
            assert "themes.yaml" in mistakes_listed(at), who
        else:
            assert not at.code and "themes.yaml" not in everything(at), who
            assert MISCONFIGURED in [e.value for e in at.error], who
    visitor = app({"is_logged_in": False})  # not signed in: the sign-in page, and only that it is misconfigured
    assert [b.label for b in visitor.button] == ["Sign in"] and MISCONFIGURED in [e.value for e in visitor.error]
    assert not visitor.code and "themes" not in everything(visitor)


@pytest.mark.parametrize("user", [VIEWER, ADMIN, None], ids=["viewer", "admin", "local"])
def test_a_broken_access_file_shows_nothing_and_only_local_mode_its_mistakes(user, access_file):
    assert figures(app(user, "app_pages/satisfaction.py")) > 0
    access_file.write_text("grants:\n  - {groups: [insight-viewers], role: viewer, datasets: [victm]}\n")
    at = app(user, "app_pages/satisfaction.py")
    assert not at.exception, at.exception
    assert figures(at) == 0
    if user is None:  # the person at this computer is its administrator
        assert "access.yaml: grants[0].datasets: no dataset 'victm'" in mistakes_listed(at)
    else:  # nobody can be known to be an admin: nobody is told more
        assert [e.value for e in at.error] == [MISCONFIGURED] and not at.code
        assert "victm" not in everything(at)


def test_without_an_access_file_sign_in_lets_nobody_in(access_file):
    access_file.unlink()
    at = app(ADMIN, "app_pages/satisfaction.py")
    assert "config/access.yaml is missing, so nobody may see any survey" in "\n".join(e.value for e in at.error)
    assert figures(at) == 0
    assert figures(app(None, "app_pages/satisfaction.py")) > 0  # local mode needs no access file


def test_removing_someone_from_the_access_file_takes_effect_without_a_restart(access_file):
    assert figures(app(VIEWER, "app_pages/satisfaction.py")) > 0
    shipped = access_file.read_text()
    access_file.write_text(shipped.replace("groups: [insight-viewers]", "groups: [someone-else]"))
    os.utime(access_file, ns=(1, 1))  # a different time, whatever the file system's clock resolution
    at = app(VIEWER, "app_pages/satisfaction.py")
    assert "No access" in texts(at) and figures(at) == 0


# --------------------------------------------------------------------------- exact identities, sessions that end


def sign_in_page(at: AppTest) -> bool:
    return [b.label for b in at.button] == ["Sign in"] and figures(at) == 0 and not at.sidebar.button


def test_a_look_alike_of_an_admin_gets_no_access_and_is_shown_as_sent(access_file, data_dir, caplog):
    access_file.write_text(access_file.read_text() + "  - {emails: [kate@force.example], role: admin}\n")
    kate = app({**SIGNED_IN, "email": "kate@force.example", "name": "Kate"})
    assert signed_in(kate) == ("Kate", "kate@force.example", "admin")  # the oracle: the real Kate is an admin
    caplog.set_level("WARNING", logger="insight.access")
    at = app({**SIGNED_IN, "email": "\u212aate@force.example", "name": "Kate", "groups": ["insight-admins"]})
    assert not at.exception, at.exception
    assert signed_in(at) == ("Kate", "\\u212aate@force.example", "no access")  # visibly not kate@
    assert "No access" in texts(at) and figures(at) == 0
    assert "a character Unicode normalisation turns into K" in texts(at)
    refused = [e for e in read_events(data_dir) if e["event"] == "refused"]
    assert [(e["user"], e["reason"]) for e in refused] == [
        ("\\u212aate@force.example", "the email claim holds \\u212a, a character Unicode normalisation turns into K")
    ]
    assert "sign-in refused for \\u212aate@force.example" in caplog.text
    at.run()  # recorded once per browser session, not on every rerun
    assert len([e for e in read_events(data_dir) if e["event"] == "refused"]) == 1


def test_after_sign_out_the_same_sign_in_is_refused_and_a_new_one_accepted(data_dir):
    issued = int(time.time()) - 60
    ada = {**ADMIN, "iat": issued}
    at = app(ada)
    at.sidebar.button(key="sign_out").click().run()
    assert sign_in_page(at)
    assert [(e["event"], e["user"], e["issued"]) for e in read_events(data_dir)] == [
        ("sign-out", "ada@force.example", str(issued))
    ]
    replayed = app(ada)  # the copied cookie: the same claims, the same iat
    assert sign_in_page(replayed) and SIGNED_OUT in [i.value for i in replayed.info]
    assert read_events(data_dir)[-1]["event"] == "refused"  # the replay is in the audit trail
    assert not sign_in_page(app({**ADMIN, "iat": int(time.time()) + 1}))  # signing in again works
    assert not sign_in_page(app({**VIEWER, "iat": issued}))  # and Vera was never signed out


def test_a_sign_in_older_than_the_maximum_age_is_asked_again(access_file):
    assert not sign_in_page(app({**VIEWER, "iat": time.time() - 7.9 * 3600, "exp": time.time() - 3600}))
    old = app({**VIEWER, "iat": time.time() - 8 * 3600 - 5, "exp": time.time() + 3600})  # exp is not the measure
    assert sign_in_page(old)
    assert "Your sign-in is more than 8 hours old; sign in again to carry on." in [i.value for i in old.info]
    access_file.write_text(access_file.read_text().replace("max_session_hours: 8", "max_session_hours: 0.5"))
    os.utime(access_file, ns=(1, 1))
    assert sign_in_page(app({**VIEWER, "iat": time.time() - 31 * 60}))
    assert not sign_in_page(app({**VIEWER, "iat": time.time() - 29 * 60}))
    no_time = app({key: v for key, v in VIEWER.items() if key != "iat"})
    assert sign_in_page(no_time) and "does not say when it was given" in no_time.info[0].value


# --------------------------------------------------------------------------- no exception text reaches a browser

SECRET = "token=abc123 in /srv/insight/secret-path"  # what an exception could carry: never shown


def fail(*args, **kwargs):
    raise RuntimeError(SECRET)


def one_sentence_and_a_reference(messages: list[str], caplog) -> str:
    """The one error message shown; its reference is in the server log with the traceback. Returns it."""
    [message] = [m for m in messages if "Something went wrong" in m]
    reference = re.search(r"reference ([0-9A-F]{8})\.$", message)
    assert reference, message
    assert SECRET not in message and "RuntimeError" not in message
    logged = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info and SECRET in caplog.text and "Traceback" in caplog.text
    return reference.group(1)


def test_an_error_in_a_page_is_one_sentence_with_a_reference(monkeypatch, caplog):
    monkeypatch.setattr("insight.display.charts.trend_lines", fail)
    at = app(VIEWER, "app_pages/trends.py")
    assert not at.exception, at.exception
    one_sentence_and_a_reference([e.value for e in at.error], caplog)
    assert SECRET not in everything(at)
    assert signed_in(at)[0] == "Vera Viewer"  # the rest of the app is still there


def test_an_error_in_the_live_reload_fragment_is_one_sentence(monkeypatch, caplog):
    from app_pages import loading

    held = loading.store_version
    monkeypatch.setattr(loading, "begin_run", lambda: st_state().update(_versions={}))  # the fragment's body runs now
    monkeypatch.setattr(loading, "store_version", lambda *, fresh=False: fail() if fresh else held())
    at = app(VIEWER, "app_pages/satisfaction.py")
    assert not at.exception, at.exception
    one_sentence_and_a_reference([e.value for e in at.error], caplog)
    assert figures(at) > 0  # the page itself was drawn


def st_state():
    import streamlit as st

    return st.session_state


def test_an_error_in_a_widget_callback_is_one_sentence(monkeypatch, caplog):
    import streamlit as st

    monkeypatch.setattr(st, "login", fail)  # the identity provider cannot be reached, say
    at = app({"is_logged_in": False})
    at.button(key="sign_in").click().run()
    assert not at.exception, at.exception
    one_sentence_and_a_reference([e.value for e in at.error], caplog)
    assert [b.label for b in at.button] == ["Sign in"]


def test_a_sign_out_that_cannot_be_recorded_still_signs_out(monkeypatch, caplog):
    monkeypatch.setattr("app_pages.identity.record_sign_out", fail)
    at = app(VIEWER)
    at.sidebar.button(key="sign_out").click().run()
    assert sign_in_page(at)
    assert "recording the sign-out of vera@force.example" in caplog.text and SECRET in caplog.text


def test_errors_are_never_detailed_in_the_browser():
    """The backstop for anything outside the app's guard: Streamlit shows no exception text."""
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_a_look_alike_let_in_by_a_group_is_recorded_as_sent_everywhere(data_dir, capsys):
    """A Cyrillic \u0430 is a letter nothing changes, so a group may let its holder in: every record of them
    (sidebar, access log, audit) shows the escape, and no byte of the look-alike is written."""
    from insight.cli import main

    dee = {**ANALYST, "email": "\u0430da@force.example", "name": "\u0391da"}  # Cyrillic a, Greek capital alpha
    at = app(dee, "app_pages/satisfaction.py", dataset="domestic_abuse")
    assert not at.exception, at.exception
    assert signed_in(at) == ("\u0391da", "\\u0430da@force.example", "manager")  # visibly not ada@
    assert [v["user"] for v in read_views(data_dir)] == ["\\u0430da@force.example"]
    written = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert "\u0430".encode() not in written and b"\\u0430da@force.example" in written
    assert main(["audit", "--data-dir", str(data_dir)]) == 0
    assert "\\u0430da@force.example" in capsys.readouterr().out
