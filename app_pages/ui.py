"""What every page shares: data loading (cached on the store's version), the shared
sidebar filters bound to the URL, presenter mode, and table/chart output with downloads.

Not a page itself: app.py lists the pages. No figures are computed here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

import altair as alt
import polars as pl
import streamlit as st

from insight import periods as periods_mod
from insight.census import Census
from insight.charts import to_png
from insight.config import Config, load_config
from insight.configfile import ConfigError
from insight.csv_safe import to_csv
from insight.datasets import Loaded, load_dataset, opening_period, samples_enabled
from insight.definition import Definition
from insight.metrics import periods
from insight.periods import period_label
from insight.store import Store, StoreError
from insight.weighting import can_weight, explanation

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
        loaded = _load(definition.dataset, str(s.data_dir), s.version([definition.dataset]), samples_enabled())
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


def presenter_style() -> None:
    st.markdown(
        """<style>
        html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; }
        h1 { font-size: 2.8rem !important; } h2 { font-size: 2.1rem !important; } h3 { font-size: 1.7rem !important; }
        [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none; }
        </style>""",
        unsafe_allow_html=True,
    )


# --------------------------------------------------------------------------- shared filters


def sidebar_filters(dataset_override: str | None = None, allowed: list[str] | None = None) -> Filters:
    """The filters every page shares, in the sidebar; the URL always holds them (write_url).

    ``allowed``: the datasets this user may view (all when None); no other is offered.
    """
    defs = definitions()
    names = [d for d in defs if allowed is None or d in allowed]
    from_url = _url_opened()
    sb = st.sidebar
    if dataset_override:
        dataset = dataset_override
        sb.markdown(f"**Dataset:** {defs[dataset].title}")
    else:
        _seed("dataset", names, "victim" if "victim" in names else names[0], from_url)
        dataset = sb.selectbox("Dataset", names, key="dataset", format_func=lambda d: defs[d].title)
    definition = defs[dataset]
    try:  # the page itself says when the store cannot be read
        s = store()
        loaded = _load(dataset, str(s.data_dir), s.version([dataset]), samples_enabled())
    except StoreError:
        loaded = None
    held = list(reversed(periods(loaded.frame))) if loaded else []
    period = None
    if held:
        opening, passed = opening_period(loaded.frame, definition)  # type: ignore[union-attr]
        period = period_picker(definition, held, from_url, opening or held[0])
        if passed and period == opening:
            what = "members" if definition.kind == "membership" else "answers to the headline question"
            sb.caption(
                f"Opened on {period_label(period)}: the newer {', '.join(period_label(p) for p in passed)} "
                f"hold{'s' if len(passed) == 1 else ''} fewer than {definition.suppression.min_base} {what}."
            )
    by = aspect = None
    if definition.questions:
        by_options = [ALL, *definition.dimensions]
        _seed("by", by_options, ALL, from_url)
        chosen = sb.selectbox(
            "Break down by",
            by_options,
            key="by",
            format_func=lambda d: "nothing (all respondents)" if d == ALL else definition.dimensions[d].label,
        )
        by = None if chosen == ALL else chosen
        aspects = definition.aspects
        _seed("aspect", aspects, definition.headline or aspects[0], from_url)
        aspect = sb.selectbox("Aspect", aspects, key="aspect", format_func=definition.aspect_label)
    dims: dict[str, list[str]] = {}
    for key, dim in definition.dimensions.items():
        _seed_list(key, list(dim.values), from_url)
    with sb.expander("Filter respondents", expanded=any(st.session_state.get(k) for k in definition.dimensions)):
        for key, dim in definition.dimensions.items():
            chosen_values = st.multiselect(dim.label, list(dim.values), key=key, placeholder="all")
            if chosen_values:
                dims[key] = chosen_values
    sb.toggle("Presenter mode", key="present", help="Larger type; no upload or downloads.")
    filters = Filters(dataset, period, by, aspect, dims, bool(st.session_state.get("present")), _weighted(from_url))
    write_url(filters, with_dataset=dataset_override is None)
    return filters


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


def store_version() -> str:
    """Every dataset's table versions: changes with any import or undo."""
    return store().version(definitions())


@st.fragment(run_every=10)
def live_reload(version: str) -> None:
    """Re-run the page when the store changes, so an open screen shows a new upload."""
    if store_version() != version:
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
    if loaded.is_sample:
        st.info(
            f"**Sample data.** {definition.title}: synthetic records bundled with the app, in the layout of the "
            "real export (the latest survey period reproduces the source paper's figures). "
            "Upload a real export to replace them.",
            icon=":material/science:",
        )


def _enlarged(spec: object, factor: float = 1.35) -> object:
    """The same Vega-Lite spec with every font size scaled up (presenter mode)."""
    if isinstance(spec, dict):
        return {
            k: round(v * factor) if k in ("labelFontSize", "titleFontSize", "fontSize") and isinstance(v, int | float)
            else _enlarged(v, factor)
            for k, v in spec.items()
        }  # fmt: skip
    if isinstance(spec, list):
        return [_enlarged(v, factor) for v in spec]
    return spec


def chart(spec: alt.TopLevelMixin, name: str) -> None:
    # Streamlit squeezes a layered chart to its own default height unless told the chart's.
    height = getattr(spec, "height", None)
    title = getattr(spec, "title", None)
    size = height + 120 if isinstance(height, int) else "content"
    description = title if isinstance(title, str) else name
    if st.session_state.get("present"):  # readable from the back of a meeting room
        st.vega_lite_chart(_enlarged(spec.to_dict()), width="stretch", height=size)
    else:
        st.altair_chart(spec, width="stretch", height=size, alt=description)
    if not st.session_state.get("present"):
        st.download_button(
            "Download chart (PNG)",
            data=lambda: to_png(spec),
            file_name=f"{name}.png",
            mime="image/png",
            on_click="ignore",
            key=f"png-{name}",
            icon=":material/image:",
        )


def table(frame: pl.DataFrame, name: str) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", placeholder="–")
    if not st.session_state.get("present"):
        st.download_button(
            "Download table (CSV)",
            data=to_csv(frame),
            file_name=f"{name}.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"csv-{name}",
            icon=":material/download:",
        )
