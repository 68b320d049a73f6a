"""The view in the URL: the filters every page shares, drawn in the sidebar and written to the address bar.

Every filter is written to the URL on every run, so the address bar always holds a link to exactly
what is on screen (the period included, even when it is the latest). We keep the URL in step
ourselves rather than with widget binding, whose URL values are the widgets' display labels
("Channel") rather than the names in our links (channel_group). A widget's value is seeded before
it is drawn: from the link when one was opened, else from its current value.

Here: the ``Filters`` a page reads, the sidebar that sets them (``sidebar_filters``, with its
``period_picker``, which presenter mode puts in the main area with earlier/later steps), a page's own
parameters (``view``, ``months``), presenter mode, the weighting toggle and the share box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_pages import loading, style
from insight import periods as periods_mod
from insight.config.definition import Definition
from insight.figures.weighting import can_weight, explanation
from insight.periods import period_label

ALL = "all"  # the "no breakdown" choice of the `by` filter
EVERY_CONTROL = frozenset({"dataset", "period", "by", "aspect", "dims"})
# A page's own parameters: the view a link names (``view=``) and WMNow's span (``months=``). They belong to
# the page they were set on: a page switch leaves them behind, as it leaves the address without parameters.
PAGE_PARAMS = ("view", "months")
EARLIER, LATER = "Left", "Right"  # the presenter's keys for the period before and after


@dataclass
class Filters:
    dataset: str
    period: str | None
    by: str | None
    aspect: str | None
    dims: dict[str, list[str]] = field(default_factory=dict)
    present: bool = False
    weighted: bool = False  # "Weighted to the census" (weighted=1 in the URL)


def current() -> Filters:
    """The filters app.py set for this run (every page runs after them)."""
    filters: Filters = st.session_state["filters"]
    return filters


# --------------------------------------------------------------------------- reading and writing the URL


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
    params.update({key: value for key in PAGE_PARAMS if (value := st.query_params.get(key))})
    if _url_params() != {k: [v] for k, v in params.items()}:
        st.query_params.from_dict(params)
    st.session_state["_url_written"] = {k: [v] for k, v in params.items()}


def page_param(key: str) -> str | None:
    """A page's own parameter (``PAGE_PARAMS``) as the address holds it."""
    return st.query_params.get(key) or None


def set_page_param(key: str, value: str | None) -> None:
    """Write (or, with None, remove) a page's own parameter, so the address still names exactly what is shown.

    The written URL is updated too: the next run knows the address is its own, not a link just opened.
    """
    written: dict[str, list[str]] = dict(st.session_state.get("_url_written", {}))
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
        written.pop(key, None)
    else:
        if st.query_params.get(key) != value:
            st.query_params[key] = value
        written[key] = [value]
    st.session_state["_url_written"] = written


def link_to_this_view(page_path: str, *, present: bool | None = None) -> str:
    """The full address of this exact view (``present``: with or without presenter mode, whatever is on now)."""
    params = dict(st.session_state.get("_url_written", {}))
    if present is True:
        params["present"] = ["1"]
    elif present is False:
        params.pop("present", None)
    base = (st.context.url or "").split("?")[0].rstrip("/")
    root = base[: -len(page_path) - 1] if page_path and base.endswith("/" + page_path) else base
    query = urlencode([(k, v) for k, values in params.items() for v in values])
    return f"{root}/{page_path}?{query}" if page_path else f"{root}/?{query}"


# The copy button: the browser's clipboard works only on HTTPS or localhost, so when it is refused the link
# field is shown and selected instead, with the keys to press. Each box is wired once (data-ready).
SHARE_SCRIPT = """<script>(() => {
  document.querySelectorAll('.share-box:not([data-ready])').forEach(box => {
    box.dataset.ready = '1';
    const field = box.querySelector('.share-link'), status = box.querySelector('.share-status');
    const choice = box.querySelector('.share-present');
    const link = () => choice && choice.checked ? field.dataset.present : field.dataset.link;
    field.value = link();
    if (choice) choice.addEventListener('change', () => { field.value = link(); status.textContent = ''; });
    field.addEventListener('focus', () => field.select());
    box.querySelector('.share-copy').addEventListener('click', async () => {
      field.value = link();
      try {
        if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard here');
        await navigator.clipboard.writeText(field.value);
        status.textContent = 'Link copied: paste it into the invitation or the chat.';
      } catch (refused) {
        box.classList.add('share-fallback');
        field.focus();
        field.select();
        status.textContent = 'This browser keeps the clipboard closed here: the link is selected, press Ctrl+C '
          + '(Cmd+C on a Mac) to copy it.';
      }
    });
  });
})();</script>"""


def share_box(page_path: str, *, where: DeltaGenerator | None = None, compact: bool = False) -> None:
    """A visible "Copy link" button with the link beside it, and the choice to open it in presenter mode.

    ``compact`` (the presenter's bar): the button alone; the link field appears only if copying is refused.
    """
    link = link_to_this_view(page_path)
    presenting = link_to_this_view(page_path, present=True)
    n = st.session_state["_share_boxes"] = st.session_state.get("_share_boxes", 0) + 1  # a new id each run
    field_id = f"share-link-{n}"
    choice = (
        ""
        if compact
        else '<label class="share-present-choice"><input type="checkbox" class="share-present"> '
        "Open in presenter mode (larger type, for a meeting screen)</label>"
    )
    body = f"""<div class="share-box{" share-compact" if compact else ""}">
<label class="share-label" for="{field_id}">Link to this view</label>
<input id="{field_id}" class="share-link" type="text" readonly value="{escape(link)}"
  data-link="{escape(link)}" data-present="{escape(presenting)}">
<div class="share-actions"><button type="button" class="share-copy">Copy link</button>{choice}</div>
<p class="share-status" role="status" aria-live="polite"></p></div>{SHARE_SCRIPT}"""
    target = where if where is not None else st.sidebar
    if not compact:
        target.markdown("**Share this view**")
        target.caption("The link opens exactly this view, period included, even after newer data arrives.")
    target.html(body, unsafe_allow_javascript=True, width="stretch" if not compact else "content")


def presenter_mode() -> bool:
    """``present=1`` in the URL (or the sidebar toggle): no upload, no downloads, larger type."""
    if "present" not in st.session_state or _url_opened():
        st.session_state["present"] = st.query_params.get("present", "") in ("1", "true")
    return bool(st.session_state["present"])


# --------------------------------------------------------------------------- the sidebar


def sidebar_filters(
    dataset_override: str | None = None,
    allowed: list[str] | None = None,
    *,
    show: frozenset[str] = EVERY_CONTROL,
    period_options: list[str] | None = None,
    bar: DeltaGenerator | None = None,
) -> Filters:
    """The filters every page shares, in the sidebar; the URL always holds them (write_url).

    Only the controls in ``show`` are drawn (a control that does nothing on a page is not
    offered there); the others keep their values, so they come back on the next page.
    ``period_options`` replaces the dataset's own periods (the Overview offers every survey's).
    ``allowed``: the datasets this user may view (all when None); no other is offered.
    ``bar``: the presenter's bar in the main area, which then holds the period control with its steps.
    """
    from_url = _url_opened()
    dataset = _dataset(dataset_override, allowed, show, from_url)
    definition = loading.definitions()[dataset]
    period = _period(definition, show, period_options, from_url, bar)
    by, aspect = _breakdown_and_aspect(definition, show, from_url)
    dims = _respondent_filters(definition, show, from_url)
    st.sidebar.toggle("Presenter mode", key="present", help="Larger type; no upload or downloads.")
    filters = Filters(dataset, period, by, aspect, dims, bool(st.session_state.get("present")), _weighted(from_url))
    write_url(filters, with_dataset=dataset_override is None)
    _close_sidebar_after_a_choice(filters)
    return filters


def _dataset(dataset_override: str | None, allowed: list[str] | None, show: frozenset[str], from_url: bool) -> str:
    """The dataset shown: the page's own (WMNow), the one chosen in the sidebar, or the one kept."""
    defs = loading.definitions()
    names = [d for d in defs if allowed is None or d in allowed]
    _seed("dataset", names, "victim" if "victim" in names else names[0], from_url)
    if dataset_override:
        st.sidebar.markdown(f"**Dataset:** {defs[dataset_override].title}")
        return dataset_override
    if "dataset" in show:
        chosen: str = st.sidebar.selectbox("Dataset", names, key="dataset", format_func=lambda d: defs[d].title)
        return chosen
    kept: str = st.session_state["dataset"]
    return kept


def _period(
    definition: Definition,
    show: frozenset[str],
    period_options: list[str] | None,
    from_url: bool,
    bar: DeltaGenerator | None = None,
) -> str | None:
    """The period (or resolved range) shown; None when the dataset holds nothing.

    In the sidebar, or in the presenter's ``bar`` with a step to the period before and after (by mouse, and
    by the Left and Right keys).
    """
    sb = st.sidebar
    own_periods = period_options is None
    loaded = loading.load_quietly(definition.dataset)  # the page itself says when the store cannot be read
    held, opening, passed = loading.held_periods(loaded, definition) if loaded else ([], None, [])
    if period_options is None:
        period_options = list(reversed(held))
    if not period_options:
        return None
    if not own_periods:
        opening, passed = None, []
    label = "Month joined" if definition.kind == "membership" else "Period"
    period: str | None
    if "period" in show and own_periods:  # one period or a range (last 3, financial year, custom)
        period = period_picker(definition, period_options, from_url, opening or period_options[0], where=bar)
    elif "period" in show:  # the Overview: one month, applied to every survey
        _seed("period", period_options, period_options[0], from_url)
        options = period_options

        def one_month(where: DeltaGenerator) -> str:
            chosen: str = where.selectbox(label, options, key="period", format_func=period_label)
            return chosen

        period = _stepped(bar, one_month, lambda chosen: _neighbours("period", options, chosen))
    else:  # not offered on this page: kept for the next
        _seed("period", period_options, opening or period_options[0], from_url)
        period = st.session_state["period"]
    if passed and period == opening and "period" in show:
        what = "members" if definition.kind == "membership" else "answers to the headline question"
        sb.caption(
            f"Opened on {period_label(period)}: the newer {', '.join(period_label(p) for p in passed)} "
            f"hold{'s' if len(passed) == 1 else ''} fewer than {definition.suppression.min_base} {what}."
        )
    return period


def _breakdown_and_aspect(
    definition: Definition, show: frozenset[str], from_url: bool
) -> tuple[str | None, str | None]:
    """What the figures are broken down by (None: nothing) and the aspect in focus; both None without questions."""
    if not definition.questions:
        return None, None
    sb = st.sidebar
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
    return by, st.session_state["aspect"]


def _respondent_filters(definition: Definition, show: frozenset[str], from_url: bool) -> dict[str, list[str]]:
    """The groups chosen under "Filter respondents", by dimension (a dimension with none chosen is left out).

    A dataset holding separate surveys (its definition's ``split_by``) shows one survey at a time, chosen in
    its own box: their responses are never merged on a page, as they are not in the pack or the CLI.
    """
    split = definition.split_by
    for key, dim in definition.dimensions.items():
        if key != split:
            _seed_list(key, list(dim.values), from_url)
    chosen: dict[str, list[str]] = {}
    if split is not None:
        surveys = list(definition.dimensions[split].groups)
        linked = [v for raw in st.query_params.get_all(split) for v in raw.split(",") if v in surveys]
        widget = f"split-{split}"
        if from_url or st.session_state.get(widget) not in surveys:
            st.session_state[widget] = linked[0] if linked else surveys[0]
        if "dims" in show:
            st.sidebar.selectbox(
                definition.dimensions[split].label,
                surveys,
                key=widget,
                help="These are separate surveys: each is shown on its own, never merged with another.",
            )
        chosen[split] = [st.session_state[widget]]
    others = {k: d for k, d in definition.dimensions.items() if k != split}
    if "dims" in show and others:
        chosen_any = any(st.session_state.get(k) for k in others)
        with st.sidebar.expander("Filter respondents", expanded=chosen_any, icon=":material/filter_alt:"):
            for key, dim in others.items():
                st.multiselect(dim.label, list(dim.values), key=key, placeholder="all")
    chosen.update({k: list(st.session_state[k]) for k in others if st.session_state.get(k)})
    return chosen


# On a phone the sidebar lies over the page: once a choice is made, it is closed so the page shows.
# Only after a one-value choice (dataset, period, breakdown, aspect): after picking "Custom range" or one
# group of several the user is still choosing.
ONE_VALUE_CHOICES = ("dataset", "period", "by", "aspect")


def _close_sidebar_after_a_choice(filters: Filters) -> None:
    before: Filters | None = st.session_state.get("_filters_before")
    choice_before = st.session_state.get("_period_choice_before")
    st.session_state["_filters_before"] = filters
    st.session_state["_period_choice_before"] = st.session_state.get("period_choice")
    if before is None or choice_before != st.session_state.get("period_choice"):
        return
    if any(getattr(before, k) != getattr(filters, k) for k in ONE_VALUE_CHOICES):
        style.close_sidebar_on_a_phone()


# --------------------------------------------------------------------------- weighting


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
    where = st.sidebar if st.session_state.get("present") else st  # a meeting screen keeps its room for figures
    on = where.toggle("Weighted to the census", key="weighted", help="Also show each figure weighted to Census 2021.")
    if on:
        where.caption(explanation(weighted[0]) if len({explanation(d) for d in weighted}) == 1 else explanation())
    return on


# --------------------------------------------------------------------------- the period picker


def period_picker(
    definition: Definition, held: list[str], from_url: bool, opening: str, *, where: DeltaGenerator | None = None
) -> str:
    """One period, the last 3 or 12, the financial year to date, or a custom range; returns the resolved range.

    The URL always holds the resolved range (``2019-07..2019-09``, never "last 3"), so a shared link
    keeps its meaning when newer data arrives. A dataset with secondary suppression offers only one
    period, a whole quarter or a whole financial year, so overlapping ranges cannot be subtracted.
    ``opening`` is the single period shown when nothing else is chosen (the latest with enough answers).
    ``where``: the presenter's bar (the sidebar without one), with steps to the period before and after.
    """
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

    def picked(w: DeltaGenerator) -> str:
        # "Show" stays in the sidebar: the presenter's bar keeps the picker itself and its steps, in one row
        choice: str = st.sidebar.selectbox("Show", choices, key="period_choice",
                                           format_func=lambda c: periods_mod.CHOICE_LABELS[c])  # fmt: skip
        if choice == periods_mod.ONE:
            _seed("period", held, opening, False)
            one: str = w.selectbox(label, held, key="period", format_func=period_label)
            return one
        if choice == periods_mod.WHOLE_QUARTER and quarters:
            _seed("period_quarter", quarters, quarters[0], False)
            quarter: str = w.selectbox("Quarter", quarters, key="period_quarter", format_func=period_label)
            return quarter
        if choice == periods_mod.FINANCIAL_YEAR and years:
            _seed("period_year", years, years[0], False)
            year: str = w.selectbox("Financial year", years, key="period_year", format_func=period_label)
            return year
        if choice == periods_mod.CUSTOM:
            return _custom_range(held, granularity, w)
        if choice in (periods_mod.WHOLE_QUARTER, periods_mod.FINANCIAL_YEAR):
            w.caption("No complete quarter or financial year is held yet; showing the latest period.")
            return held[0]
        span = periods_mod.resolve_choice(choice, held[0], granularity)
        w.caption(period_label(span.text))
        return span.text

    def steps(chosen: str) -> tuple[Step | None, Step | None]:
        choice = st.session_state.get("period_choice")
        if choice == periods_mod.ONE:
            return _neighbours("period", held, chosen)
        if choice == periods_mod.WHOLE_QUARTER and chosen in quarters:
            return _neighbours("period_quarter", quarters, chosen)
        if choice == periods_mod.FINANCIAL_YEAR and chosen in years:
            return _neighbours("period_year", years, chosen)
        return _shifted_ranges(chosen, held, granularity)

    return _stepped(where, picked, steps)


# --------------------------------------------------------------------------- the presenter's steps

Step = tuple[str, dict[str, str]]  # what the step shows, and the picker's state that shows it


def _neighbours(key: str, options: list[str], chosen: str) -> tuple[Step | None, Step | None]:
    """The options before and after ``chosen`` in a list held newest first."""
    if chosen not in options:
        return None, None
    i = options.index(chosen)
    earlier = (options[i + 1], {key: options[i + 1]}) if i + 1 < len(options) else None
    later = (options[i - 1], {key: options[i - 1]}) if i > 0 else None
    return earlier, later


def _shifted_ranges(chosen: str, held: list[str], granularity: str) -> tuple[Step | None, Step | None]:
    """A range moved back or forward by its own length, as a custom range of the periods held in it."""
    try:
        span = periods_mod.parse_range(chosen, granularity)
    except ValueError:
        return None, None

    def moved(by: int) -> Step | None:
        first = periods_mod.calendar_index(span.first) + by
        periods = [periods_mod.period_at(first + i, granularity) for i in range(span.length)]
        inside = [p for p in periods if p in held]
        if not inside:
            return None
        text = periods_mod.PeriodRange(periods[0], periods[-1], granularity).text
        return text, {"period_choice": periods_mod.CUSTOM, "period_from": min(inside), "period_to": max(inside)}

    return moved(-span.length), moved(span.length)


def _take_step(state: dict[str, str]) -> None:
    st.session_state.update(state)


def _stepped(
    where: DeltaGenerator | None,
    draw: Callable[[DeltaGenerator], str],
    steps: Callable[[str], tuple[Step | None, Step | None]],
) -> str:
    """The picker, in the sidebar; or in the presenter's bar between a step back and a step on.

    The steps are buttons (Left and Right on the keyboard too) that set the picker as a choice would.
    """
    if where is None:
        return draw(st.sidebar)
    back = where.empty()  # drawn once the choice is known, left of the picker
    chosen = draw(where.container(horizontal=True, gap="small", width="content", key="presenter-period"))
    earlier, later = steps(chosen)
    back.button(
        "Earlier",
        key="period-earlier",
        icon=":material/chevron_left:",
        shortcut=EARLIER,
        disabled=earlier is None,
        help=f"Show {period_label(earlier[0])} (Left arrow key)" if earlier else "No earlier period is held",
        on_click=_take_step,
        args=(earlier[1] if earlier else {},),
    )
    where.button(
        "Later",
        key="period-later",
        icon=":material/chevron_right:",
        icon_position="right",
        shortcut=LATER,
        disabled=later is None,
        help=f"Show {period_label(later[0])} (Right arrow key)" if later else "No later period is held",
        on_click=_take_step,
        args=(later[1] if later else {},),
    )
    return chosen


def _custom_range(held: list[str], granularity: str, where: DeltaGenerator) -> str:
    """The picker's "From" and "To", side by side; a range chosen backwards is turned round."""
    ascending = list(reversed(held))
    _seed("period_from", ascending, ascending[max(0, len(ascending) - 3)], False)
    _seed("period_to", ascending, ascending[-1], False)
    cols = where.columns(2)
    first: str = cols[0].selectbox("From", ascending, key="period_from", format_func=period_label)
    last: str = cols[1].selectbox("To", ascending, key="period_to", format_func=period_label)
    if last < first:
        first, last = last, first
    # A fieldwork wave chosen at either end: the range runs from its first month, to the last month of the last.
    return periods_mod.PeriodRange(periods_mod.first_period(first), periods_mod.last_period(last), granularity).text


def _seed_period(definition: Definition, held: list[str], quarters: list[str], years: list[str], opening: str) -> None:
    """Set the picker from the link's ``period`` (a period or a resolved range)."""
    secondary = definition.suppression.secondary
    try:
        span = periods_mod.parse_range(st.query_params.get("period", ""), definition.period.granularity, held)
    except ValueError:
        span = None
    inside = [p for p in held if p in (span.periods if span else ()) or (
        span and not span.is_single and periods_mod.first_period(p) in span.periods)]  # fmt: skip
    if span is None or not inside:
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
    elif choice == periods_mod.CUSTOM:  # the held periods (or waves) the range takes in, first and last
        st.session_state["period_from"] = min(inside)
        st.session_state["period_to"] = max(inside)
    else:  # a range this dataset does not publish: the opening period instead
        choice = periods_mod.ONE
        st.session_state["period"] = opening
    st.session_state["period_choice"] = choice
