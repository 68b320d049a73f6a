"""Every page through Streamlit's AppTest: sample data, an empty store, deep links, upload."""

from __future__ import annotations

import re

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.output import FIGURES_KEY
from insight.config.loader import load_config
from insight.store import Store
from tests.conftest import REPO, open_figures
from tests.messy import read_rows, write_rows

PAGES = {
    "app_pages/overview.py": "overview",
    "app_pages/upload.py": "Upload survey exports",
    "app_pages/satisfaction.py": "satisfaction",
    "app_pages/trends.py": "trends",
    "app_pages/respondents.py": "who responded",
    "app_pages/comments.py": "what people told us",
    "app_pages/wmnow.py": "WMNow sign-ups against the census",
    "app_pages/compliance.py": "Victims' Code compliance: dip sample",
    "app_pages/data.py": "Data and definitions",
}


def app(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update(params)
    if page:
        at.switch_page(page)
    return open_figures(at.run())  # every figure's table drawn, as a reader who opens them sees it


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.title] + [h.value for h in at.header]
    parts += [e.value for e in at.info] + [e.value for e in at.warning] + [e.value for e in at.error]
    parts += [s.value for s in at.success] + [c.value for c in at.caption] + [m.value for m in at.metric]
    parts += [s.value for s in at.subheader]
    # Text from files is shown with its punctuation escaped (never as markdown): read it as shown.
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(p) for p in parts))
    return text.replace("\u2060", "")  # the invisible word joiner that stops autolinks


def table_with(at: AppTest, column: str):
    """The first table on the page with this column (pages draw the view a link names first)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.fixture(autouse=True)
def fresh_store(data_dir):
    return data_dir


@pytest.mark.parametrize(("page", "title"), PAGES.items())
def test_every_page_renders_on_sample_data(page, title):
    at = app(page)
    assert not at.exception, at.exception
    assert title in texts(at)
    if page not in ("app_pages/upload.py", "app_pages/data.py", "app_pages/overview.py"):
        assert "Sample data" in texts(at)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_an_empty_store_without_samples(page, monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    at = app(page)
    assert not at.exception, at.exception
    body = texts(at)
    if page in ("app_pages/satisfaction.py", "app_pages/trends.py", "app_pages/respondents.py"):
        assert "No data is held for this dataset yet" in body
    if page == "app_pages/comments.py":
        assert "has no free-text question" not in body
        assert "No data is held for this dataset yet" in body
    if page == "app_pages/overview.py":
        # one tile per survey: public confidence holds two (Public Voice, How are we Doing)
        tiles = sum(
            len(d.dimensions["survey"].groups) if "survey" in d.dimensions else 1
            for d in load_config().definitions.values()
        )
        assert body.count("No data yet") == tiles == len(load_config().definitions) + 1
    if page == "app_pages/wmnow.py":
        assert "No WMNow membership list is held yet" in body


def test_overview_headline_reads_like_the_paper():
    body = texts(app())
    assert "49.4% (base 950; 95% CI 46.2–52.5%)" in body
    assert "Up 2.1 points on August 2019, not a significant change." in body


def test_deep_link_opens_that_view():
    at = app(
        "app_pages/satisfaction.py", dataset="victim", period="2019-09", by="channel_group", aspect="initial_contact"
    )
    assert not at.exception
    assert at.sidebar.selectbox(key="by").value == "channel_group"
    assert at.sidebar.selectbox(key="aspect").value == "initial_contact"
    breakdown = table_with(at, "Channel")
    phone = breakdown[breakdown["Channel"] == "Phone"].iloc[0]
    online = breakdown[breakdown["Channel"] == "Online"].iloc[0]
    assert (phone["% positive"], phone["Base"]) == (71.0, 500)
    assert (online["% positive"], online["Base"]) == (44.4, 270)
    # the view the link names (its breakdown) comes first, the page's other views after it
    assert at.header[0].value == "Initial contact by channel, September 2019"
    assert at.dataframe[0].value.columns[0] == "Channel"
    named = app("app_pages/satisfaction.py", dataset="victim", period="2019-09", view="drivers")
    assert named.header[0].value == "What matters most for whole experience (overall)?"
    assert named.query_params["view"] in ("drivers", ["drivers"])  # the address keeps naming it


def test_deep_link_to_an_earlier_period_and_a_filter():
    at = app("app_pages/satisfaction.py", period="2019-05", npu="Coventry,Dudley")
    assert not at.exception
    assert at.sidebar.selectbox(key="period").value == "2019-05"
    assert at.sidebar.multiselect(key="npu").value == ["Coventry", "Dudley"]
    assert "Every aspect, May 2019" in texts(at)
    assert "Filtered to Neighbourhood policing unit: Coventry, Dudley" in texts(at)


def test_changing_a_filter_changes_the_page():
    at = app("app_pages/satisfaction.py")
    open_figures(at.sidebar.selectbox(key="by").set_value("offence").run())  # the new breakdown's detail too
    table = table_with(at, "Offence group")
    robbery = table[table["Offence group"] == "Robbery"].iloc[0]
    assert robbery["% positive"] == 70.0


def test_a_figures_table_is_drawn_once_its_detail_is_opened():
    """Closed, a "Figures and table" detail holds the figures in words and the chart's download, not the table
    (each rerun would convert it, and the browser draw it, for nobody); opened, it draws that figure's table."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("app_pages/satisfaction.py").run()
    details = [k for k in at.session_state if k.startswith(FIGURES_KEY)]
    assert len(details) == 3 and not any(at.session_state[k] for k in details)  # closed until opened
    assert len(at.dataframe) == 0
    assert sum(m.value.startswith('<p class="chart-finding">') for m in at.markdown) == 3  # in words, every one
    assert len(at.get("download_button")) == 3
    at.session_state[FIGURES_KEY + "aspects"] = True  # the reader opens the first chart's detail
    at.run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1 and "% positive" in at.dataframe[0].value.columns
    at.sidebar.selectbox(key="period").set_value(at.sidebar.selectbox(key="period").options[-2]).run()
    assert len(at.dataframe) == 1, "an opened detail stays open when a filter changes"


def test_presenter_mode_hides_upload_and_downloads():
    at = app("app_pages/satisfaction.py", present="1", by="offence")
    assert not at.exception
    assert len(at.get("download_button")) == 0
    normal = app("app_pages/satisfaction.py", by="offence")
    assert len(normal.get("download_button")) > 0


def test_upload_flow_previews_then_imports(exports, data_dir):
    at = app("app_pages/upload.py")
    data = (exports / "victim_survey_example.csv").read_bytes()
    at.file_uploader(key="uploads").upload("victim_survey_example.csv", data, "text/csv").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "40" and metrics["New"] == "40" and metrics["Invalid rows"] == "0"
    assert "Recognised from its header as Victim satisfaction survey." in texts(at)
    assert not Store(data_dir).has("victim"), "nothing is written before Import"
    import_button = next(b for b in at.button if b.label == "Import")
    import_button.click().run()
    assert not at.exception, at.exception
    assert "Imported victim_survey_example.csv into Victim satisfaction survey: 40 new" in texts(at)
    held = Store(data_dir).read(load_config().definitions["victim"])
    assert held is not None and held.height == 40
    history = at.dataframe[-1].value
    assert history.iloc[0]["File"] == "victim_survey_example.csv" and history.iloc[0]["New"] == 40
    # the first real upload replaces the sample for that dataset only
    overview = texts(app())
    assert "49.4%" not in overview


def test_imported_files_are_done_and_nothing_new_cannot_be_imported(exports, data_dir):
    at = app("app_pages/upload.py")
    data = (exports / "victim_survey_example.csv").read_bytes()
    at.file_uploader(key="uploads").upload("victim_survey_example.csv", data, "text/csv").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "Import"], "the imported file has no Import button left"
    assert any(s.value.startswith("Done: this file has been imported") for s in at.success)
    said = [s.value for s in at.success if s.value.startswith("Imported victim")]
    assert len(said) == 1 and "40 new, 0 updated, 0 already held, 0 set aside." in said[0]  # said once
    again = app("app_pages/upload.py")
    again.file_uploader(key="uploads").upload("victim_survey_example.csv", data, "text/csv").run()
    assert "Nothing new: every response in this file is already held" in texts(again)
    assert next(b for b in again.button if b.label == "Import").disabled


def statuses(at: AppTest) -> list[tuple[str, str]]:
    """Every st.status on the page: (label, state name)."""
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if type(child).__name__ == "Status":
                found.append((child.label, type(child.proto).State.Name(child.proto.state)))
            walk(child)

    walk(at.main)
    return found


def test_no_status_is_left_spinning(exports, data_dir):
    at = app("app_pages/upload.py")
    uploader = at.file_uploader(key="uploads")
    uploader.upload("victim_survey_example.csv", (exports / "victim_survey_example.csv").read_bytes(), "text/csv")
    uploader.upload("notes.csv", b"a,b\n1,2\n", "text/csv")
    at.run()
    assert not at.exception, at.exception
    found = dict(statuses(at))
    assert [state for label, state in found.items() if label.startswith("Checked victim")] == ["COMPLETE"]
    assert all(state != "RUNNING" for state in found.values()), found
    assert any("notes" in e.value for e in at.error)  # the file that is no export gets its own message


def test_import_all_imports_every_ready_file(exports, data_dir):
    at = app("app_pages/upload.py")
    uploader = at.file_uploader(key="uploads")
    for name in ("victim_survey_example.csv", "caller_101_example.csv"):
        uploader.upload(name, (exports / name).read_bytes(), "text/csv")
    at.run()
    assert not at.exception, at.exception
    everything = next(b for b in at.button if b.label.startswith("Import all"))
    assert everything.label == "Import all 2 files ready to import"
    everything.click().run()
    assert not at.exception, at.exception
    definitions = load_config().definitions
    assert Store(data_dir).read(definitions["victim"]).height == 40
    assert Store(data_dir).has("caller_101")
    assert not [b for b in at.button if b.label.startswith("Import")]


def test_upload_of_a_bad_file_changes_nothing(exports, data_dir):
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[3][5] = "Arson"
    at = app("app_pages/upload.py")
    at.file_uploader(key="uploads").upload("bad.csv", write_rows(rows), "text/csv").run()
    assert "1 row(s) have problems" in texts(at)
    problems = at.dataframe[0].value
    assert (problems.iloc[0]["Row"], problems.iloc[0]["Column"], problems.iloc[0]["Value found"]) == (
        4,
        "Offence Group",
        "Arson",
    )
    assert next(b for b in at.button if b.label == "Import").disabled
    # a disabled Import says why, and the choice to import the valid rows is this file's, beside its problems
    assert "Import is off: 1 row(s) have problems: correct them in the file, or tick" in texts(at)
    (choice,) = [c for c in at.checkbox if c.label.startswith("Import the 39 valid rows of this file")]
    choice.check().run()
    assert not Store(data_dir).has("victim")
    import_button = next(b for b in at.button if b.label == "Import")
    assert not import_button.disabled and "Import is off" not in texts(at)
    import_button.click().run()
    assert "39 new, 0 updated, 0 already held, 1 set aside (their rows and reasons: the download below)." in texts(at)
    assert Store(data_dir).read(load_config().definitions["victim"]).height == 39
    kept = list((data_dir / "rejected").glob("*.csv"))
    assert len(kept) == 1 and "Arson" in kept[0].read_text()
    # the set-aside rows are a download on the page; no path on the server is ever shown
    assert [b.proto.label for b in at.get("download_button") if "set-aside" in b.proto.label] == [
        "Download the 1 set-aside rows and their reasons (CSV)"
    ]
    shown = texts(at) + "".join(str(b.proto) for b in at.get("download_button"))
    assert str(data_dir) not in shown and "rejected/" not in shown and kept[0].name not in shown


def test_upload_of_a_file_missing_columns(exports, data_dir):
    rows = [r[:12] for r in read_rows((exports / "victim_survey_example.csv").read_bytes())]
    at = app("app_pages/upload.py")
    at.file_uploader(key="uploads").upload("short.csv", write_rows(rows), "text/csv").run()
    assert not at.exception
    assert "cannot be imported" in texts(at)
    assert not Store(data_dir).has("victim")


def test_a_dataset_with_one_period(exports, data_dir, monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    from insight.cli import main

    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv")]) == 0
    at = app("app_pages/trends.py")
    assert not at.exception
    assert "Only one period is held so far" in texts(at)
    overview = texts(app())
    assert "No previous period to compare with." in overview
    assert "Treat with caution" in overview


def test_suppressed_groups_never_show_a_number(exports, data_dir, monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    from insight.cli import main

    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv")]) == 0
    at = app("app_pages/satisfaction.py", by="channel_group", aspect="initial_contact")
    table = table_with(at, "Channel")
    hidden = table[table["Note"] == "suppressed"]
    assert len(hidden) >= 1
    assert hidden["% positive"].isna().all() and hidden["Positive"].isna().all() and hidden["95% CI low"].isna().all()
    assert "suppressed" in texts(at)


def test_respondents_against_the_census():
    at = app("app_pages/respondents.py", period="2019-09")
    assert not at.exception
    ethnicity = next(d.value for d in at.dataframe if "Ethnic group" in d.value.columns)
    white = ethnicity[ethnicity["Ethnic group"] == "White"].iloc[0]
    assert (white["% of those who stated"], white["% census"]) == (84.7, 61.4)
    assert "all usual residents, all ages" in texts(at)


def test_respondents_by_one_npu_use_its_local_authority():
    at = app("app_pages/respondents.py", npu="Birmingham West")
    assert "benchmarked against Birmingham" in texts(at)


def test_wmnow_page_shows_members_and_the_gap_trend():
    at = app("app_pages/wmnow.py")
    assert not at.exception
    assert at.header[0].value.startswith("Is the gap closing?")  # the answer first
    age = table_with(at, "Age group")
    assert list(age.columns) == ["Age group", "Count", "% of those who stated", "% census", "Gap (points)"]
    assert age.iloc[0]["% census"] == 15.8


def test_new_upload_is_picked_up_without_a_restart(exports, data_dir, monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    at = app("app_pages/satisfaction.py")
    assert "No data is held" in texts(at)
    from insight.cli import main

    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv")]) == 0
    at.run()
    assert "Every aspect, September 2019" in texts(at)
    assert pl.read_delta(str(data_dir / "victim")).height == 40


def test_validity_beside_the_headline():
    at = app("app_pages/satisfaction.py", dataset="caller_101", period="2019-06")
    assert not at.exception
    assert (
        "12 responses from 50 invitations out of 79,359 calls (24.0% responded; 0.063% of calls invited): ±28 points, "
        "too few to support a conclusion; about 383 would give ±5." in texts(at)
    )
    overview = texts(app())
    assert "6,599 responses from 16,038 invitations out of 16,038 chats" in overview


def test_comments_page_by_theme_and_search():
    at = app("app_pages/comments.py", dataset="live_chat", period="2019-09")
    assert not at.exception
    themes = at.dataframe[0].value
    assert "The chatbot did not understand" in list(themes["Theme"])
    at.selectbox(key="theme").set_value("chatbot").run()
    listed = at.dataframe[1].value
    assert len(listed) == themes[themes["Theme"] == "The chatbot did not understand"].iloc[0]["Comments"]
    at.text_input(key="comment_search").input("BOB-E").run()
    narrowed = at.dataframe[1].value
    assert 0 < len(narrowed) < len(listed) and narrowed["Comment"].str.contains("BOB-E").all()


def test_comments_page_draws_at_most_its_limit_and_says_how_many_there_are(monkeypatch):
    """A month of a million responses holds tens of thousands of comments: the page draws the first ones
    (each rerun sends them to the browser) and says how many there are; the download holds them all."""
    monkeypatch.setattr("insight.display.tables.COMMENTS_ON_SCREEN", 100_000)
    everything = app("app_pages/comments.py", dataset="live_chat", period="2019-09").dataframe[1].value
    assert len(everything) > 1000  # the sample's September holds more than the page's own limit draws
    monkeypatch.setattr("insight.display.tables.COMMENTS_ON_SCREEN", 5)
    at = app("app_pages/comments.py", dataset="live_chat", period="2019-09")
    assert not at.exception
    assert len(at.dataframe[1].value) == 5
    assert list(at.dataframe[1].value["Comment"]) == list(everything["Comment"][:5])
    assert f"{len(everything):,} comment(s); at most the first 5 are shown" in texts(at)


def test_comments_page_for_a_survey_without_free_text():
    at = app("app_pages/comments.py", dataset="domestic_abuse")
    assert not at.exception and "has no free-text question" in texts(at)


def test_upload_of_a_volumes_file(exports, data_dir):
    at = app("app_pages/upload.py")
    data = (exports / "caller_101_volumes_example.csv").read_bytes()
    at.file_uploader(key="uploads").upload("volumes.csv", data, "text/csv").run()
    assert not at.exception
    assert "Recognised as monthly contact volumes for 101 caller survey." in texts(at)
    preview = at.dataframe[0].value  # the figures, not only the months
    assert list(preview["Month"]) == ["April 2019", "May 2019", "June 2019"]
    assert list(preview["Contacts"])[-1] == 79359 and list(preview["Invitations to the survey"])[-1] == 50
    next(b for b in at.button if b.label == "Import").click().run()
    assert "3 month(s) of contact volumes" in texts(at)
    assert not [b for b in at.button if b.label == "Import"], "an imported file is marked done, not importable again"
    held = Store(data_dir).read_volumes(load_config().definitions["caller_101"])
    assert held.rows()[-1] == ("2019-06", 79359, 50)


def test_share_this_view_writes_every_filter_out():
    at = app("app_pages/satisfaction.py", by="offence", npu="Coventry")
    (box,) = [h.proto.body for h in at.get("html") if 'class="share-box' in h.proto.body]
    link = re.search(r'data-link="([^"]+)"', box).group(1).replace("&amp;", "&")
    assert link.endswith("/satisfaction?dataset=victim&period=2019-09&by=offence&aspect=overall&npu=Coventry")
    presenting = re.search(r'data-present="([^"]+)"', box).group(1).replace("&amp;", "&")
    assert presenting == link + "&present=1"  # "Open in presenter mode" adds present=1 to the same view
    assert '<button type="button" class="share-copy">Copy link</button>' in box  # visible, not on hover
    assert 'class="share-link" type="text" readonly' in box  # the link field it falls back to


def test_undo_on_the_upload_page_asks_first_then_takes_the_import_back(exports, data_dir, monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    from insight.cli import main

    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv")]) == 0
    at = app("app_pages/upload.py")
    history = at.dataframe[-1].value
    assert (history.iloc[0]["What"], history.iloc[0]["New"]) == ("Imported", 40)
    assert history.iloc[0]["By"].startswith("cli:")
    assert re.search(r"Latest import still held: \*\*victim_survey_example.csv\*\* \(imported \d+ \w{3} \d{4} "
                     r"\d\d:\d\d, UK time, by cli:", texts(at))  # fmt: skip
    next(b for b in at.button if b.label == "Undo this import").click().run()
    assert "40 response(s) will be removed and 0 response(s) restored" in texts(at)
    assert Store(data_dir).has("victim"), "nothing changes before the confirmation"
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert "will be removed" not in texts(at) and Store(data_dir).has("victim")
    next(b for b in at.button if b.label == "Undo this import").click().run()
    next(b for b in at.button if b.label == "Yes, undo it").click().run()
    assert not at.exception, at.exception
    assert "Undone: victim_survey_example.csv in Victim satisfaction survey. 40 response(s) removed" in texts(at)
    assert not Store(data_dir).has("victim")
    history = at.dataframe[-1].value
    assert history.iloc[0]["What"] == "Undone (40 removed, 0 restored)" and history.iloc[0]["By"].startswith("local:")
    assert history.iloc[1]["What"] == "Imported, then undone"
    # every page shows the new state at once
    assert "No data is held" in texts(app("app_pages/satisfaction.py"))


def test_an_import_reloads_only_its_own_dataset(exports, data_dir, monkeypatch):
    from app_pages import loading
    from insight.cli import main

    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    assert main(["ingest", "live_chat", str(exports / "live_chat_example.csv")]) == 0
    app("app_pages/satisfaction.py", dataset="live_chat")
    chat_key = ("live_chat", str(data_dir), False)
    chat = loading._HELD[chat_key][1]
    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv")]) == 0
    app("app_pages/satisfaction.py", dataset="victim")
    app("app_pages/satisfaction.py", dataset="live_chat")
    assert loading._HELD[chat_key][1] is chat, "the other dataset was not reloaded"
    assert main(["undo", "victim"]) == 0
    app("app_pages/satisfaction.py", dataset="victim")
    held = [k for k in loading._HELD if k[1] == str(data_dir)]
    assert sorted(k[0] for k in held) == ["live_chat", "victim"], "one copy per dataset, old versions dropped"


def test_every_control_on_a_page_acts_on_it():
    # Overview: only the period is offered, and it applies to every tile (quarterly: the quarter containing it)
    at = app(period="2019-08")
    assert not at.exception, at.exception
    assert [s.label for s in at.sidebar.selectbox] == ["Period"]
    body = texts(at)
    assert "**Whole experience (overall)**, August 2019" in body
    assert ", Jul-Sep 2019 (Q3)" in body
    # Trends: the chosen aspect, by the chosen breakdown, up to the chosen period
    at = app("app_pages/trends.py", by="channel_group", aspect="initial_contact", period="2019-06")
    assert not at.exception, at.exception
    assert "Initial contact by channel, up to June 2019: has it risen or fallen?" in texts(at)
    table = at.dataframe[0].value
    assert set(table["Aspect"]) == {"Initial contact"} and "Channel" in table.columns
    assert "July 2019" not in set(table["Period"]) and "June 2019" in set(table["Period"])
    # Comments: satisfaction with and without a theme is on the chosen aspect
    at = app("app_pages/comments.py", aspect="initial_contact")
    assert not at.exception, at.exception
    assert "% positive on *Initial contact* among people whose comment" in texts(at)
    # Respondents: no breakdown or aspect control, as neither changes it
    at = app("app_pages/respondents.py")
    assert "Break down by" not in [s.label for s in at.sidebar.selectbox]


def test_wmnow_on_a_small_upload_says_why_instead_of_a_blank_chart(exports, data_dir, monkeypatch):
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    from insight.cli import main

    assert main(["ingest", "wmnow", str(exports / "wmnow_members_example.csv")]) == 0
    at = app("app_pages/wmnow.py")
    assert not at.exception, at.exception
    body = texts(at)
    assert "so no gap can be shown yet" in body or "too few to show" in body
    for element in at.get("vega_lite_chart") + at.get("arrow_vega_lite_chart"):
        assert "0.000000" not in str(element.proto)


def test_each_run_reads_the_store_version_once_per_dataset(exports, data_dir, monkeypatch):
    """Every cached figure is keyed on its dataset's version: read once per run, and afresh in the next."""
    from insight.cli import main
    from insight.store import Store

    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv")]) == 0
    calls: list[tuple[str, ...]] = []
    version = Store.version

    def counted(self, datasets=None):
        calls.append(tuple(datasets or ()))
        return version(self, datasets)

    monkeypatch.setattr(Store, "version", counted)
    at = app("app_pages/satisfaction.py", dataset="victim", by="channel_group")
    assert not at.exception and "Every aspect, September 2019" in texts(at)
    read = [name for datasets in calls for name in datasets]
    assert read.count("victim") == 1, [
        c for c in calls if "victim" in c
    ]  # the page computes a dozen cached figures, all on one reading
    calls.clear()
    assert main(["undo", "victim"]) == 0  # the next run reads the store again and sees the change
    at.run()
    assert [name for datasets in calls for name in datasets].count("victim") == 1
    assert "No data is held" in texts(at)


METHOD_WORDS = re.compile(r"\bp [=<] ?\d|p-value|z-test|chi-square|Cochran|Holm")


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("app_pages/satisfaction.py", {"by": "channel_group"}),
        ("app_pages/satisfaction.py", {"dataset": "victim", "period": "2019-07..2019-09", "by": "channel_group"}),
        ("app_pages/trends.py", {"dataset": "public_confidence"}),
        ("app_pages/trends.py", {}),
        ("app_pages/wmnow.py", {}),
    ],
)
def test_method_names_and_p_values_stay_behind_about_this_figure(page, params):
    """Plain words on the page; a test's name and its p-value only in the "About this figure" detail."""
    at = app(page, **params)
    assert not at.exception, at.exception
    inside = [m.value for e in at.expander for m in e.markdown] + [c.value for e in at.expander for c in e.caption]
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    outside = [t for t in shown if t not in inside]
    assert not [t for t in outside if METHOD_WORDS.search(t)]
    assert any(METHOD_WORDS.search(t) for t in inside), "the detail names the method"
