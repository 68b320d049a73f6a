"""What the pages read: the configuration, the store, and each dataset's data and figures, cached.

Caching rules (DESIGN.md): ``st.cache_data`` hashes a Polars frame from a sample of its rows, so two
different frames can share a cache key. Every cached function here is keyed on the dataset's table
versions (``data_version``, read once per run), and frames are passed as ``_frame`` arguments, which
Streamlit does not hash. Nothing here draws a page; no figures are computed here (``insight/`` does).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from typing import Any

import polars as pl
import streamlit as st

from app_pages import faults
from insight.config.census import Census
from insight.config.definition import Definition
from insight.config.files import ConfigError
from insight.config.loader import Config, load_config
from insight.datasets import Loaded, load_dataset, opening_period, samples_enabled
from insight.figures.compliance import checklist_measure
from insight.figures.metrics import periods
from insight.intake.pseudonyms import find_key
from insight.store import Store, StoreError


def config() -> Config:
    # load_config keeps the parsed files until one of them changes on disk.
    return load_config()


MISCONFIGURED = (
    "The app's configuration needs correcting, so nothing can be shown until its administrator puts it right."
)


def config_broken() -> bool:
    try:
        config()
    except ConfigError:
        return True
    return False


def require_config(*, details: bool) -> None:
    """Stop if the configuration has mistakes: with ``details`` (local mode, an admin), the list of every one
    (file, key path, what is wrong); for anyone else, only that the app is misconfigured."""
    try:
        config()
    except ConfigError as exc:
        st.title("The app's configuration needs correcting")
        if not details:
            st.error(MISCONFIGURED, icon=":material/error:")
            st.stop()
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


def checklist(viewable: Collection[str]) -> str | None:
    """The compliance page's dataset: the one asked for in the link or held in the sidebar when it is a checklist
    (a definition with a derived "all of these" measure), else the first the user may view; None without one."""
    names = [n for n, d in definitions().items() if n in viewable and checklist_measure(d) is not None]
    for asked in (st.query_params.get("dataset"), st.session_state.get("dataset")):
        if asked in names:
            return str(asked)
    return names[0] if names else None


def census() -> Census:
    return config().census


def store() -> Store:
    return Store()


def id_key() -> str | None:
    """The pseudonym key: ``$INSIGHT_ID_KEY``, else ``id_key`` under ``[insight]`` in Streamlit's secrets."""
    try:
        secrets: Any = st.secrets
        secrets.get("insight")  # parses the secrets files; raises when there are none
    except Exception:  # no secrets file at all (or a broken one, which Streamlit reports itself)
        secrets = {}
    return find_key(secrets)


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
    held: dict[str, str] | None = st.session_state.get("_versions")
    if held is None:
        return store().version([dataset])
    if dataset not in held:
        held[dataset] = store().version([dataset])
    return held[dataset]


def store_version(*, fresh: bool = False) -> str:
    """Every dataset's table versions: changes with any import or undo. Read once per run unless ``fresh``."""
    if fresh:
        return store().version(definitions())
    return "|".join(data_version(dataset) for dataset in definitions())  # Store.version's own form


@st.fragment(run_every=10)
def live_reload(version: str, session_over: Callable[[], bool]) -> None:
    """Re-run the page when the store changes, so an open screen shows a new upload, and when the
    sign-in it was drawn for is over (signed out of elsewhere, or too old), so it shows the sign-in page.

    Its first pass belongs to the run that read ``version`` a moment ago; each later pass, every
    10 s on its own, reads the store afresh (the run's copy would never change).
    """
    if st.session_state.pop("_full_run", False):
        return
    with faults.guard("the live reload"):  # an error here is one sentence in the fragment, not its text
        if session_over() or store_version(fresh=True) != version:
            st.rerun(scope="app")  # a RerunException passes the guard


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


def load_quietly(dataset: str) -> Loaded | None:
    """The dataset's data, or None when its store cannot be read, saying nothing (the page itself says so)."""
    try:
        s = store()
        return _load(dataset, str(s.data_dir), data_version(dataset), samples_enabled())
    except StoreError:
        return None


def store_fault(definition: Definition) -> str | None:
    """The sentence ``load`` showed for this dataset in this run, if its store is damaged."""
    faults: dict[str, str] = st.session_state.get("_store_faults", {})
    return faults.get(definition.dataset)


def _data_key(dataset: str) -> tuple[str, str, bool]:
    return str(store().data_dir), data_version(dataset), samples_enabled()


@st.cache_data(show_spinner=False, max_entries=256)
def _computed(
    name: str,
    dataset: str,
    data_key: tuple[str, str, bool],
    kwargs: dict[str, Any],
    _fn: Callable[..., Any],
    _frame: pl.DataFrame,
    _args: tuple[Any, ...],
) -> Any:
    return _fn(_frame, definitions()[dataset], *_args, **kwargs)


def compute(fn: Callable[..., Any], loaded: Loaded, definition: Definition, *args: Any, **kwargs: Any) -> Any:
    """``fn(loaded.frame, definition, *args, **kwargs)``, once per data version and filters.

    A filter change or a page switch re-runs the whole script; figures already worked out for
    the same data and the same choices are reused instead of re-scanning millions of rows.
    Keyword arguments (the filters) are part of the key; positional extras must come from
    ``loaded`` itself (its volumes), which the data version already covers.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _computed(name, definition.dataset, _data_key(definition.dataset), kwargs, fn, loaded.frame, args)


@st.cache_data(show_spinner=False, max_entries=64)
def _held(
    dataset: str, data_key: tuple[str, str, bool], _frame: pl.DataFrame
) -> tuple[list[str], str | None, list[str]]:
    opening, passed = opening_period(_frame, definitions()[dataset])
    return periods(_frame), opening, passed


def held_periods(loaded: Loaded, definition: Definition) -> tuple[list[str], str | None, list[str]]:
    """The periods held (oldest first), the one a page opens on, and the newer ones passed over."""
    return _held(definition.dataset, _data_key(definition.dataset), loaded.frame)


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
