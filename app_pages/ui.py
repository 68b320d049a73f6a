"""What every page shares: data loading (cached on the store's version), the shared
sidebar filters bound to the URL, presenter mode, and table/chart output with downloads.

Not a page itself: app.py lists the pages. No figures are computed here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode

import altair as alt
import polars as pl
import streamlit as st

from insight import periods as periods_mod
from insight.config.census import Census
from insight.config.definition import Definition
from insight.config.files import ConfigError
from insight.config.loader import Config, load_config
from insight.datasets import Loaded, load_dataset, opening_period, samples_enabled
from insight.display.charts import SAMPLE_MARK as SAMPLE_TEXT
from insight.display.charts import spec_of, title_text, to_png
from insight.display.tables import DETAIL_COLUMNS
from insight.figures.metrics import periods
from insight.figures.weighting import can_weight, explanation
from insight.intake.safe_csv import to_csv
from insight.periods import period_label
from insight.store import Store, StoreError

ALL = "all"  # the "no breakdown" choice of the `by` filter


@dataclass
class Filters:
    dataset: str
    period: str | None
    by: str | None
    aspect: str | None
    dims: dict[str, list[str]] = field(default_factory=dict)
    present: bool = False
    weighted: bool = False  # "Weighted to the census" (weighted=1 in the URL)


# --------------------------------------------------------------------------- data


def config() -> Config:
    # load_config keeps the parsed files until one of them changes on disk.
    return load_config()


def require_config() -> None:
    """Stop with the list of every configuration mistake (file, key path, what is wrong) instead of crashing."""
    try:
        config()
    except ConfigError as exc:
        st.title("The app's configuration needs correcting")
        st.error(
            f"{len(exc.mistakes)} mistake(s) were found in the configuration files (config/). Nothing is shown "
            "until they are corrected: `python -m insight check-config` lists the same mistakes.",
            icon=":material/error:",
        )
        st.write("Each line names the file, the key path and what is wrong:")
        st.code("\n".join(str(m) for m in exc.mistakes), language=None, wrap_lines=True)  # plain text, never markdown
        st.stop()


def definitions() -> dict[str, Definition]:
    return config().definitions


def census() -> Census:
    return config().census


def store() -> Store:
    return Store()


def begin_run() -> None:
    """Called by app.py as each run starts: from here on the store's versions are read once per run.

    Every cached figure is keyed on its dataset's version; reading it opens the dataset's Delta
    tables, which a rerun did a dozen times over before. An import or undo ends its run with
    ``st.rerun()``, so the next run reads the new version.
    """
    st.session_state["_versions"] = {}
    st.session_state["_full_run"] = True  # live_reload's first pass, inside this run, has nothing to check


def data_version(dataset: str) -> str:
    """The dataset's table versions, read once per run (every time outside app.py, e.g. a fragment's rerun)."""
    held = st.session_state.get("_versions")
    if held is None:
        return store().version([dataset])
    if dataset not in held:
        held[dataset] = store().version([dataset])
    return held[dataset]


# One loaded copy per dataset, kept with its table versions: an import into one dataset reloads
# that dataset only, and its old copy is replaced rather than kept beside the new one.
_HELD: dict[tuple[str, str, bool], tuple[str, Loaded | None]] = {}
_HELD_LOCK = threading.Lock()


def _load(dataset: str, data_dir: str, version: str, samples_on: bool) -> Loaded | None:
    key = (dataset, data_dir, samples_on)  # samples_on: switching samples off is seen at once
    with _HELD_LOCK:
        held = _HELD.get(key)
    if held is not None and held[0] == version:
        return held[1]
    with st.spinner("Loading data…"):
        loaded = load_dataset(definitions()[dataset], Store(data_dir))
    with _HELD_LOCK:
        _HELD[key] = (version, loaded)
    return loaded


def load(definition: Definition, *, stop: bool = True) -> Loaded | None:
    """The dataset's data; a damaged or unreadable store says so in one sentence.

    With ``stop`` the page ends there; without it (a tile among others) None comes back
    and ``store_fault`` holds the sentence, so the other datasets keep working.
    """
    s = store()
    faults = st.session_state.setdefault("_store_faults", {})
    try:
        loaded = _load(definition.dataset, str(s.data_dir), data_version(definition.dataset), samples_enabled())
        faults.pop(definition.dataset, None)
        return loaded
    except StoreError as exc:
        faults[definition.dataset] = str(exc)
        st.error(str(exc), icon=":material/error:")
        if stop:
            st.stop()
        return None


def store_fault(definition: Definition) -> str | None:
    """The sentence ``load`` showed for this dataset in this run, if its store is damaged."""
    return st.session_state.get("_store_faults", {}).get(definition.dataset)


def _data_key(dataset: str) -> tuple[str, str, bool]:
    return str(store().data_dir), data_version(dataset), samples_enabled()


@st.cache_data(show_spinner=False, max_entries=256)
def _computed(
    name: str, dataset: str, data_key: tuple, kwargs: dict, _fn: Callable, _frame: pl.DataFrame, _args: tuple
) -> Any:
    return _fn(_frame, definitions()[dataset], *_args, **kwargs)


def compute(fn: Callable, loaded: Loaded, definition: Definition, *args: Any, **kwargs: Any) -> Any:
    """``fn(loaded.frame, definition, *args, **kwargs)``, once per data version and filters.

    A filter change or a page switch re-runs the whole script; figures already worked out for
    the same data and the same choices are reused instead of re-scanning millions of rows.
    Keyword arguments (the filters) are part of the key; positional extras must come from
    ``loaded`` itself (its volumes), which the data version already covers.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _computed(name, definition.dataset, _data_key(definition.dataset), kwargs, fn, loaded.frame, args)


@st.cache_data(show_spinner=False, max_entries=64)
def _held(dataset: str, data_key: tuple, _frame: pl.DataFrame) -> tuple[list[str], str | None, list[str]]:
    opening, passed = opening_period(_frame, definitions()[dataset])
    return periods(_frame), opening, passed


def held_periods(loaded: Loaded, definition: Definition) -> tuple[list[str], str | None, list[str]]:
    """The periods held (oldest first), the one a page opens on, and the newer ones passed over."""
    return _held(definition.dataset, _data_key(definition.dataset), loaded.frame)


# --------------------------------------------------------------------------- the view in the URL
#
# Every filter is written to the URL on every run, so the address bar always holds a link
# to exactly what is on screen (the period included, even when it is the latest). We keep
# the URL in step ourselves rather than with widget binding, whose URL values are the
# widgets' display labels ("Channel") rather than the names in our links (channel_group).


def _url_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def _url_opened() -> bool:
    """Did this run start from a link (or an edited address) rather than from our own URL?

    A page switch that leaves no parameters keeps the filters as they are.
    """
    params = _url_params()
    return bool(params) and params != st.session_state.get("_url_written")


def _seed(key: str, options: list[str], fallback: str | None, from_url: bool) -> None:
    """A widget's value before it is drawn: the link's when one was opened, else the current one."""
    value = st.session_state.get(key)
    if from_url or value is None:
        value = st.query_params.get(key)
    st.session_state[key] = value if value in options else fallback


def _seed_list(key: str, options: list[str], from_url: bool) -> None:
    values = st.session_state.get(key)
    if from_url or values is None:
        values = [v for raw in st.query_params.get_all(key) for v in raw.split(",")]
    st.session_state[key] = [v for v in values or [] if v in options]


def write_url(filters: Filters, *, with_dataset: bool = True) -> None:
    params: dict[str, str] = {"dataset": filters.dataset} if with_dataset else {}
    for key in ("period", "by", "aspect"):
        if getattr(filters, key):
            params[key] = getattr(filters, key)
    params.update({key: ",".join(values) for key, values in filters.dims.items()})
    if filters.present:
        params["present"] = "1"
    if filters.weighted:
        params["weighted"] = "1"
    if _url_params() != {k: [v] for k, v in params.items()}:
        st.query_params.from_dict(params)
    st.session_state["_url_written"] = {k: [v] for k, v in params.items()}


def presenter_mode() -> bool:
    """``present=1`` in the URL (or the sidebar toggle): no upload, no downloads, larger type."""
    if "present" not in st.session_state or _url_opened():
        st.session_state["present"] = st.query_params.get("present", "") in ("1", "true")
    return bool(st.session_state["present"])


# One style block for every page (WCAG 2.2 AA), plus the presenter's on top. New pages
# inherit it: they need nothing of their own.
INK = "#1f1f1f"
MUTED = "#4a4a4a"  # captions: 8.9:1 on white (Streamlit's grey is 3.9:1, an axe failure)
FOCUS = "#1a5fb4"  # focus ring: 6.5:1 on white, 3px, never removed
BASE_CSS = f"""
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="InputInstructions"], [data-testid="stWidgetLabel"] small {{ color: {MUTED} !important;
  opacity: 1 !important; }}
:focus-visible, [data-baseweb="select"] input:focus-visible {{
  outline: 3px solid {FOCUS} !important; outline-offset: 2px !important; }}
[data-baseweb="select"]:focus-within > div, [data-baseweb="input"]:focus-within,
[data-testid="stFileUploaderDropzone"]:focus-within {{ box-shadow: 0 0 0 3px {FOCUS} !important; }}
[data-testid="stSidebarNav"] a:focus-visible {{ outline: 3px solid {FOCUS} !important;
  outline-offset: -3px !important; }}
.sample-mark {{ display: inline-block; background: #fff3cd; color: #5c3c00; border: 2px solid #5c3c00;
  font-weight: 700; letter-spacing: .04em; padding: 0 .45em; border-radius: .25rem; font-size: .85rem; }}
.chart-finding {{ color: {INK}; font-size: .95rem; margin: -.25rem 0 .5rem; }}
[data-testid="stElementContainer"]:has(.app-style), [data-testid="stElementContainer"]:has(.sidebar-closer),
[data-testid="stElementContainer"]:has(.after-sign-in) {{
  display: none; }}
@media (max-width: 640px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: .75rem; padding-right: .75rem; }}
  [data-testid="stMetricValue"] {{ font-size: 2rem; }}
  h1 {{ font-size: 1.9rem !important; }} h2 {{ font-size: 1.5rem !important; }}
  [data-testid="stExpandSidebarButton"]::after {{ content: "Expand sidebar"; margin-left: .3rem; color: {INK};
    font-size: .95rem; }}
}}
"""
PRESENTER_CSS = """
html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; }
[data-testid="stMainBlockContainer"] { padding-top: 3rem !important; padding-bottom: 1rem !important;
  max-width: 100% !important; }
[data-testid="stHeader"] { height: 2.75rem !important; min-height: 2.75rem !important;
  background: transparent !important; }
h1 { font-size: 2.3rem !important; padding: 0 0 .4rem !important; }
h2 { font-size: 1.9rem !important; padding: .5rem 0 .2rem !important; }
h3 { font-size: 1.6rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 4.2rem !important;
  line-height: 1.1 !important; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem !important; }
[data-testid="stAlertContainer"] { padding: .35rem .8rem !important; }
[data-testid="stAlertContainer"] p { font-size: 1.15rem !important; }
[data-testid="stTable"] table { width: 100% !important; table-layout: auto; }
[data-testid="stTable"] > div { overflow: visible !important; }
[data-testid="stTable"] th, [data-testid="stTable"] td { font-size: 1.35rem !important;
  padding: .35rem .6rem !important; white-space: normal !important; overflow-wrap: anywhere; }
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none; }
[data-testid="stVerticalBlock"] { gap: .6rem; }
"""


def style(present: bool, *, in_sidebar: bool = True) -> None:
    """The app's one CSS block: contrast, focus ring, mobile, and presenter mode when on.

    Drawn as an element of the sidebar (the empty span makes it one): a style-only block goes to
    Streamlit's event container instead, which a fragment's rerun (live_reload) can empty. Pages
    shown before sign-in have no sidebar (nor fragment): there it goes in the page (``in_sidebar=False``).
    """
    where = st.sidebar if in_sidebar else st
    where.html(f'<style>{BASE_CSS}{PRESENTER_CSS if present else ""}</style><span class="app-style"></span>')


# --------------------------------------------------------------------------- shared filters


EVERY_CONTROL = frozenset({"dataset", "period", "by", "aspect", "dims"})


def sidebar_filters(
    dataset_override: str | None = None,
    allowed: list[str] | None = None,
    *,
    show: frozenset[str] = EVERY_CONTROL,
    period_options: list[str] | None = None,
) -> Filters:
    """The filters every page shares, in the sidebar; the URL always holds them (write_url).

    Only the controls in ``show`` are drawn (a control that does nothing on a page is not
    offered there); the others keep their values, so they come back on the next page.
    ``period_options`` replaces the dataset's own periods (the Overview offers every survey's).
    ``allowed``: the datasets this user may view (all when None); no other is offered.
    """
    defs = definitions()
    names = [d for d in defs if allowed is None or d in allowed]
    from_url = _url_opened()
    sb = st.sidebar
    _seed("dataset", names, "victim" if "victim" in names else names[0], from_url)
    if dataset_override:
        dataset = dataset_override
        sb.markdown(f"**Dataset:** {defs[dataset].title}")
    elif "dataset" in show:
        dataset = sb.selectbox("Dataset", names, key="dataset", format_func=lambda d: defs[d].title)
    else:
        dataset = st.session_state["dataset"]
    definition = defs[dataset]
    own_periods = period_options is None
    try:  # the page itself says when the store cannot be read
        s = store()
        loaded = _load(dataset, str(s.data_dir), data_version(dataset), samples_enabled())
    except StoreError:
        loaded = None
    held, opening, passed = held_periods(loaded, definition) if loaded else ([], None, [])
    if period_options is None:
        period_options = list(reversed(held))
    period = None
    if period_options:
        if not own_periods:
            opening, passed = None, []
        label = "Month joined" if definition.kind == "membership" else "Period"
        if "period" in show and own_periods:  # one period or a range (last 3, financial year, custom)
            period = period_picker(definition, period_options, from_url, opening or period_options[0])
        elif "period" in show:  # the Overview: one month, applied to every survey
            _seed("period", period_options, period_options[0], from_url)
            period = sb.selectbox(label, period_options, key="period", format_func=period_label)
        else:  # not offered on this page: kept for the next
            _seed("period", period_options, opening or period_options[0], from_url)
            period = st.session_state["period"]
        if passed and period == opening and "period" in show:
            what = "members" if definition.kind == "membership" else "answers to the headline question"
            sb.caption(
                f"Opened on {period_label(period)}: the newer {', '.join(period_label(p) for p in passed)} "
                f"hold{'s' if len(passed) == 1 else ''} fewer than {definition.suppression.min_base} {what}."
            )
    by = aspect = None
    if definition.questions:
        by_options = [ALL, *definition.dimensions]
        _seed("by", by_options, ALL, from_url)
        aspects = definition.aspects
        _seed("aspect", aspects, definition.headline or aspects[0], from_url)
        if "by" in show:
            sb.selectbox(
                "Break down by",
                by_options,
                key="by",
                format_func=lambda d: "nothing (all respondents)" if d == ALL else definition.dimensions[d].label,
            )
        if "aspect" in show:
            sb.selectbox("Aspect", aspects, key="aspect", format_func=definition.aspect_label)
        by = None if st.session_state["by"] == ALL else st.session_state["by"]
        aspect = st.session_state["aspect"]
    dims: dict[str, list[str]] = {}
    for key, dim in definition.dimensions.items():
        _seed_list(key, list(dim.values), from_url)
    if "dims" in show and definition.dimensions:
        chosen_any = any(st.session_state.get(k) for k in definition.dimensions)
        with sb.expander("Filter respondents", expanded=chosen_any, icon=":material/filter_alt:"):
            for key, dim in definition.dimensions.items():
                st.multiselect(dim.label, list(dim.values), key=key, placeholder="all")
    dims = {k: list(st.session_state[k]) for k in definition.dimensions if st.session_state.get(k)}
    sb.toggle("Presenter mode", key="present", help="Larger type; no upload or downloads.")
    filters = Filters(dataset, period, by, aspect, dims, bool(st.session_state.get("present")), _weighted(from_url))
    write_url(filters, with_dataset=dataset_override is None)
    _close_sidebar_on_a_phone(filters)
    return filters


# On a phone the sidebar lies over the page: once a choice is made, it is closed so the page shows.
# Only after a one-value choice (dataset, period, breakdown, aspect): after picking "Custom range" or one
# group of several the user is still choosing. Streamlit's own breakpoint for the overlaid sidebar is 768 px.
CLOSE_SIDEBAR = """<span class="sidebar-closer"></span><script>/* {n} */ (() => {{
  if (!window.matchMedia('(max-width: 767.98px)').matches) return;
  const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  if (close && sidebar && sidebar.getBoundingClientRect().right > 0) close.click();
}})();</script>"""
ONE_VALUE_CHOICES = ("dataset", "period", "by", "aspect")


def _close_sidebar_on_a_phone(filters: Filters) -> None:
    before: Filters | None = st.session_state.get("_filters_before")
    choice_before = st.session_state.get("_period_choice_before")
    st.session_state["_filters_before"] = filters
    st.session_state["_period_choice_before"] = st.session_state.get("period_choice")
    if before is None or choice_before != st.session_state.get("period_choice"):
        return
    if any(getattr(before, k) != getattr(filters, k) for k in ONE_VALUE_CHOICES):
        # numbered: Streamlit redraws (and so runs) the script only when it differs from the last one
        n = st.session_state["_sidebar_closes"] = st.session_state.get("_sidebar_closes", 0) + 1
        st.sidebar.html(CLOSE_SIDEBAR.format(n=n), unsafe_allow_javascript=True)


def overview_periods() -> list[str]:
    """Every period any survey holds, latest first: the Overview's period applies to every tile."""
    held: set[str] = set()
    for definition in definitions().values():
        # stop=False: a damaged dataset's tile says so, and the other surveys' periods are still offered
        loaded = load(definition, stop=False) if definition.questions else None
        if loaded is not None:
            held.update(held_periods(loaded, definition)[0])
    months = sorted((p for p in held if "Q" not in p), reverse=True)
    return months or sorted(held, reverse=True)


def _weighted(from_url: bool) -> bool:
    """Whether figures are weighted to the census: the link's ``weighted=1``, else the pages' toggle.

    The toggle lives on the pages that show weighted figures; its choice is kept in ``_weighted``
    so it survives a visit to a page without the toggle.
    """
    if from_url or "_weighted" not in st.session_state:
        st.session_state["_weighted"] = st.query_params.get("weighted", "") in ("1", "true")
    elif "weighted" in st.session_state:
        st.session_state["_weighted"] = bool(st.session_state["weighted"])
    return bool(st.session_state["_weighted"])


def weighted_toggle(definitions: list[Definition]) -> bool:
    """The "Weighted to the census" toggle, for pages showing a survey whose definition weights;
    with it on, weighted figures appear beside the unweighted ones."""
    weighted = [d for d in definitions if can_weight(d)]
    if not weighted:
        return False
    st.session_state["weighted"] = st.session_state.get("_weighted", False)
    on = st.toggle("Weighted to the census", key="weighted", help="Also show each figure weighted to Census 2021.")
    if on:
        st.caption(explanation(weighted[0]) if len({explanation(d) for d in weighted}) == 1 else explanation())
    return on


def period_picker(definition: Definition, held: list[str], from_url: bool, opening: str) -> str:
    """One period, the last 3 or 12, the financial year to date, or a custom range; returns the resolved range.

    The URL always holds the resolved range (``2019-07..2019-09``, never "last 3"), so a shared link
    keeps its meaning when newer data arrives. A dataset with secondary suppression offers only one
    period, a whole quarter or a whole financial year, so overlapping ranges cannot be subtracted.
    ``opening`` is the single period shown when nothing else is chosen (the latest with enough answers).
    """
    sb = st.sidebar
    granularity = definition.period.granularity
    secondary = definition.suppression.secondary
    choices = periods_mod.picker_choices(secondary)
    quarters = [q.text for q in periods_mod.whole_quarters(held, granularity)]
    years = [y.text for y in periods_mod.financial_years(held, granularity)]
    if from_url or "period_choice" not in st.session_state:
        _seed_period(definition, held, quarters, years, opening)
    label = "Month joined" if definition.kind == "membership" else "Period"
    if st.session_state.get("period_choice") not in choices:
        st.session_state["period_choice"] = periods_mod.ONE
    choice = sb.selectbox("Show", choices, key="period_choice", format_func=periods_mod.CHOICE_LABELS.get)
    if choice == periods_mod.ONE:
        _seed("period", held, opening, False)
        return sb.selectbox(label, held, key="period", format_func=period_label)
    if choice == periods_mod.WHOLE_QUARTER and quarters:
        _seed("period_quarter", quarters, quarters[0], False)
        return sb.selectbox("Quarter", quarters, key="period_quarter", format_func=period_label)
    if choice == periods_mod.FINANCIAL_YEAR and years:
        _seed("period_year", years, years[0], False)
        return sb.selectbox("Financial year", years, key="period_year", format_func=period_label)
    if choice == periods_mod.CUSTOM:
        ascending = list(reversed(held))
        _seed("period_from", ascending, ascending[max(0, len(ascending) - 3)], False)
        _seed("period_to", ascending, ascending[-1], False)
        cols = sb.columns(2)
        first = cols[0].selectbox("From", ascending, key="period_from", format_func=period_label)
        last = cols[1].selectbox("To", ascending, key="period_to", format_func=period_label)
        if last < first:
            first, last = last, first
        return periods_mod.PeriodRange(first, last, granularity).text
    if choice in (periods_mod.WHOLE_QUARTER, periods_mod.FINANCIAL_YEAR):
        sb.caption("No complete quarter or financial year is held yet; showing the latest period.")
        return held[0]
    span = periods_mod.resolve_choice(choice, held[0], granularity)
    sb.caption(period_label(span.text))
    return span.text


def _seed_period(definition: Definition, held: list[str], quarters: list[str], years: list[str], opening: str) -> None:
    """Set the picker from the link's ``period`` (a period or a resolved range)."""
    secondary = definition.suppression.secondary
    try:
        span = periods_mod.parse_range(st.query_params.get("period", ""), definition.period.granularity)
    except ValueError:
        span = None
    if span is None or not set(span.periods) & set(held):
        st.session_state["period_choice"] = periods_mod.ONE
        st.session_state["period"] = opening
        return
    choice = periods_mod.choice_for(span, secondary)
    if choice == periods_mod.ONE:
        st.session_state["period"] = span.text
    elif choice == periods_mod.WHOLE_QUARTER and span.text in quarters:
        st.session_state["period_quarter"] = span.text
    elif choice == periods_mod.FINANCIAL_YEAR and span.text in years:
        st.session_state["period_year"] = span.text
    elif choice == periods_mod.CUSTOM:
        st.session_state["period_from"] = (
            span.first if span.first in held else min(p for p in span.periods if p in held)
        )
        st.session_state["period_to"] = span.last if span.last in held else max(p for p in span.periods if p in held)
    else:  # a range this dataset does not publish: the opening period instead
        choice = periods_mod.ONE
        st.session_state["period"] = opening
    st.session_state["period_choice"] = choice


def share_link(page_path: str) -> None:
    """The full link to this exact view, to paste into a meeting invitation or chat."""
    params = st.session_state.get("_url_written", {})
    base = (st.context.url or "").split("?")[0].rstrip("/")
    root = base[: -len(page_path) - 1] if page_path and base.endswith("/" + page_path) else base
    query = urlencode([(k, v) for k, values in params.items() for v in values])
    link = f"{root}/{page_path}?{query}" if page_path else f"{root}/?{query}"
    with st.sidebar.expander("Share this view"):
        st.caption("This link opens exactly this view (period included), even after newer data arrives.")
        st.code(link, language=None, wrap_lines=True)


def store_version(*, fresh: bool = False) -> str:
    """Every dataset's table versions: changes with any import or undo. Read once per run unless ``fresh``."""
    if fresh:
        return store().version(definitions())
    return "|".join(data_version(dataset) for dataset in definitions())  # Store.version's own form


@st.fragment(run_every=10)
def live_reload(version: str) -> None:
    """Re-run the page when the store changes, so an open screen shows a new upload.

    Its first pass belongs to the run that read ``version`` a moment ago; each later pass, every
    10 s on its own, reads the store afresh (the run's copy would never change).
    """
    if st.session_state.pop("_full_run", False):
        return
    if store_version(fresh=True) != version:
        st.rerun(scope="app")


# --------------------------------------------------------------------------- output

NO_DATA = "No data is held for this dataset yet. Upload an export on the Upload page."


def survey_page(heading: str, *, needs_questions: bool = True) -> tuple[Filters, Definition, Loaded]:
    """Title a page for the chosen dataset and return what it shows; stop with a message if nothing."""
    filters: Filters = st.session_state["filters"]
    definition = definitions()[filters.dataset]
    st.title(f"{definition.title}: {heading}")
    loaded = load(definition)
    if loaded is None:
        st.info(NO_DATA)
        st.stop()
    if needs_questions and not definition.questions:
        st.info(f"{definition.title} has no survey questions. See the WMNow diversity page.")
        st.stop()
    sample_banner(loaded, definition)
    return filters, definition, loaded


def breakdown_hint(definition: Definition) -> str:
    """The hint under an unbroken-down page, naming this dataset's own dimensions."""
    labels = [d.label.lower() for d in definition.dimensions.values()]
    if not labels:
        return f"{definition.title} records nothing to break the figures down by."
    named = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"Choose **Break down by** in the sidebar to see an aspect by {named}."


def sample_banner(loaded: Loaded, definition: Definition) -> None:
    """Say the page shows synthetic records; charts and exports on it are marked too."""
    st.session_state["_sample_on_page"] = loaded.is_sample
    if not loaded.is_sample:
        return
    if st.session_state.get("present"):  # one line on a projector
        st.markdown(f"{SAMPLE_MARK} synthetic records in the layout of the real export.", unsafe_allow_html=True)
        return
    st.info(
        f"**Sample data.** {definition.title}: synthetic records bundled with the app, in the layout of the "
        "real export (the latest survey period reproduces the source paper's figures). "
        "Upload a real export to replace them.",
        icon=":material/science:",
    )


SAMPLE_MARK = '<span class="sample-mark">SAMPLE DATA</span>'


def new_page() -> None:
    """Called by app.py before a page runs: nothing on it is known to be sample data yet."""
    st.session_state["_sample_on_page"] = False


def _enlarged(spec: object, factor: float = 1.35) -> object:
    """The same Vega-Lite spec with every font size scaled up (presenter mode)."""
    if isinstance(spec, dict):
        return {
            k: round(v * factor) if k in ("labelFontSize", "titleFontSize", "fontSize", "subtitleFontSize")
            and isinstance(v, int | float)
            else _enlarged(v, factor)
            for k, v in spec.items()
        }  # fmt: skip
    if isinstance(spec, list):
        return [_enlarged(v, factor) for v in spec]
    return spec


def export_heading() -> str:
    """What a downloaded chart is titled with: the survey and the period on screen."""
    filters: Filters | None = st.session_state.get("filters")
    if filters is None:
        return "Citizen satisfaction insight"
    title = definitions()[filters.dataset].title
    return f"{title}, {period_label(filters.period)}" if filters.period else title


def chart(spec: alt.TopLevelMixin, name: str) -> None:
    """A chart with its finding in words (its accessible name too) and, outside presenter mode, a PNG download.

    Charts from insight.display.charts carry a ``description`` stating what they show; it is the SVG's
    accessible name and is printed under the chart, so nobody has to read the picture. The spec
    is serialised once per chart (charts.spec_of) and drawn as it is.
    """
    sample = bool(st.session_state.get("_sample_on_page"))
    present = bool(st.session_state.get("present"))
    as_dict = dict(spec_of(spec))
    # Room at the edges: Vega places a rotated axis title a pixel or two outside the chart otherwise.
    as_dict.setdefault("padding", {"left": 8, "right": 8, "top": 5, "bottom": 5})
    if sample:
        as_dict["title"] = _with_subtitle(as_dict.get("title"), SAMPLE_TEXT)
    height = as_dict.get("height")
    size = height + 140 if isinstance(height, int) else "content"
    description = as_dict.get("description")
    alt_text = None if description else (title_text(as_dict.get("title")) or name)
    description = description or alt_text
    if present:  # readable from the back of a meeting room
        as_dict = _enlarged(as_dict)  # type: ignore[assignment]
    st.vega_lite_chart(as_dict, width="stretch", height=size, alt=alt_text)
    finding = description.split(": ", 1)[-1] if ": " in description else description
    st.markdown(f'<p class="chart-finding"><strong>The chart shows:</strong> {escape(finding)}</p>',
                unsafe_allow_html=True)  # fmt: skip
    if not present:
        heading = export_heading()
        st.download_button(
            "Download chart (PNG)",
            data=lambda: to_png(spec, heading=heading, sample=sample),
            file_name=f"{name}.png",
            mime="image/png",
            on_click="ignore",
            key=f"png-{name}",
            icon=":material/image:",
        )


def _with_subtitle(title: object, text: str) -> dict:
    """A Vega-Lite title with ``text`` as its subtitle, in dark red bold."""
    marked = {"subtitle": text, "subtitleColor": "#8a1c00", "subtitleFontWeight": "bold"}
    if isinstance(title, dict):
        own = title.get("subtitle")
        if own:  # keep the chart's own subtitle (its key), after the mark
            marked["subtitle"] = [text, *(own if isinstance(own, list) else [own])]
        return {**title, **marked}
    return {"text": title or "", "anchor": "start", **marked}


def about(lines: list[str], label: str = "About this figure") -> None:
    """The method's name and its p-values, behind a detail: the verdict in words stays on the page."""
    lines = [line for line in lines if line]
    if not lines:
        return
    with st.expander(label, icon=":material/info:"):
        st.markdown("\n".join(f"- {line}" for line in lines))


PRESENTER_COLUMNS = 6


def _one_decimal(frame: pl.DataFrame) -> pl.DataFrame:
    """Figures as every other table shows them, one decimal and a dash for none (st.table prints 5.8000)."""
    return frame.with_columns(
        pl.col(name).round(1).cast(pl.String).fill_null("–") for name, dtype in frame.schema.items() if dtype.is_float()
    )


def table(frame: pl.DataFrame, name: str) -> None:
    """A table to read (larger and wrapped in presenter mode) and, outside it, a CSV download.

    Columns in ``tables.DETAIL_COLUMNS`` (p-values) go in the download only.
    """
    shown = [c for c in frame.columns if c not in DETAIL_COLUMNS]
    if st.session_state.get("present"):
        # An HTML table: its type can be enlarged and it wraps to the screen (the grid's canvas cannot).
        # Only the key columns (what the row is, its figure, base and change), so it fits a projector.
        st.table(_one_decimal(frame.select(shown[:PRESENTER_COLUMNS]).head(60)), hide_index=True)
        return
    # The first column says what a row is: pinned, so it stays in view when a phone scrolls sideways.
    pinned = {shown[0]: st.column_config.Column(pinned=True)} if shown else None
    st.dataframe(frame, hide_index=True, width="stretch", placeholder="–", column_order=shown, column_config=pinned)
    st.download_button(
        "Download table (CSV)",
        data=to_csv(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"csv-{name}",
        icon=":material/download:",
    )
