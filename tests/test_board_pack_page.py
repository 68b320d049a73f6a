"""The Board pack page through AppTest: downloads, the month picker, presenter mode, an empty store."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from insight.board.model import SAMPLE_MARK
from tests.conftest import REPO

PAGE = "app_pages/board_pack.py"


@pytest.fixture(autouse=True)
def fresh_store(data_dir):
    return data_dir


def board_pack_page(**params: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.query_params.update(params)
    at.run()  # the page has its own url_path: AppTest finds it after the first run
    return at.switch_page(PAGE).run()


def page_warnings(at: AppTest) -> list[str]:
    """The page's own warnings: not the local-mode banner every page carries."""
    return [w.value for w in at.warning if not w.value.startswith("Local mode")]


def test_page_offers_the_three_formats_on_sample_data():
    at = board_pack_page()
    assert not at.exception, at.exception
    assert at.title[0].value == "Board pack"
    assert SAMPLE_MARK in at.info[0].value
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Word document (.docx)", "Slides (.pptx)", "Printable web page (.html)"]
    assert at.header[0].value == "Public and victim satisfaction: board paper, September 2019"
    assert [s.value for s in at.subheader][:2] == ["Purpose of paper", "Victim satisfaction (September 2019)"]


def test_choosing_a_month_writes_that_months_paper():
    at = board_pack_page()
    at.selectbox(key="pack_period").set_value("2019-06").run()
    assert not at.exception, at.exception
    assert at.header[0].value == "Public and victim satisfaction: board paper, June 2019"
    assert "Victim satisfaction (June 2019)" in [s.value for s in at.subheader]
    at.selectbox(key="pack_period").set_value("2019-09").run()
    assert page_warnings(at) == ["101 caller survey: no responses for September 2019; latest is June 2019."]
    assert "Since the last board (May 2019)" not in [s.value for s in at.subheader]
    at.selectbox(key="pack_since").set_value("2019-05").run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader][1] == "Since the last board (May 2019)"
    assert any("changed significantly (two-proportion z-test" in t.value for t in at.text)


def test_presenter_mode_hides_the_downloads():
    at = board_pack_page(present="1")
    assert not at.exception, at.exception
    assert not at.get("download_button")
    assert "Downloads are hidden in presenter mode." in [c.value for c in at.caption]


def test_empty_store_without_samples(monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    at = board_pack_page()
    assert not at.exception, at.exception
    warnings = page_warnings(at)
    assert len(warnings) == 7 and all("no data" in w for w in warnings)  # one a dataset, the dip sample too
    assert not at.info  # no sample banner


def test_a_viewer_gets_a_pack_without_the_surveys_they_may_not_view():
    """Sign-in narrows the pack to the reader's rights: a viewer's paper has no domestic abuse section,
    and an analyst's paper has it (and nothing else of theirs is logged beyond their own restricted view)."""
    from insight.store import Store
    from insight.store.access_log import read_views
    from tests.test_app_access import ANALYST, AUTH, DA_TITLE, VIEWER

    def as_user(user: dict) -> AppTest:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
        at.secrets.update(AUTH)
        at.user = user
        at.run()
        return at.switch_page(PAGE).run()

    viewer = as_user(VIEWER)
    assert not viewer.exception, viewer.exception
    shown = [s.value for s in viewer.subheader]
    assert shown and not any(DA_TITLE in s or "omestic abuse" in s for s in shown), shown
    analyst = as_user(ANALYST)
    assert not analyst.exception, analyst.exception
    assert any("omestic abuse" in s.value for s in analyst.subheader)
    views = read_views(Store().data_dir)
    assert any(v["page"] == "board-pack" and v["dataset"] == "domestic_abuse" for v in views), views
