"""What the pages read: the configuration, the store, and each dataset's data and figures, cached.

Caching rules (DESIGN.md): ``st.cache_data`` hashes a Polars frame from a sample of its rows, so two
different frames can share a cache key. Every cached function here is keyed on the dataset's table
versions (``data_version``, read once per run), and frames are passed as ``_frame`` arguments, which
Streamlit does not hash. Nothing here draws a page; no figures are computed here (``insight/`` does).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import pandas  # type: ignore[import-untyped]  # noqa: F401  # imported once, under this module's import lock:
import polars as pl
import pyarrow  # noqa: F401  # two sessions' first runs importing pandas at once got a half-initialised module
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

if TYPE_CHECKING:
    from insight.board.pack import BoardPack

# The configuration a run uses, and a number that changes when the configuration changes (part of every
# cached figure's key, so a changed definition, census or theme is not answered from the cache).
_CONFIG_SEEN: list[tuple[Config, int]] = []
_CONFIG_LOCK = threading.Lock()


def config() -> Config:
    """The configuration read when this run started (a run asks for it dozens of times; checking every file
    each time was a measurable share of a rerun); outside a run, read now."""
    held: Config | None = st.session_state.get("_config") if _in_a_run() else None
    return held if held is not None else load_config()


def _in_a_run() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


def config_stamp() -> int:
    """Changes whenever the configuration does (load_config returns a new object once a file changed)."""
    current = config()
    with _CONFIG_LOCK:
        if not _CONFIG_SEEN or _CONFIG_SEEN[-1][0] is not current:
            _CONFIG_SEEN[:] = [(current, (_CONFIG_SEEN[-1][1] + 1) if _CONFIG_SEEN else 0)]
        return _CONFIG_SEEN[-1][1]


MISCONFIGURED = (
    "The app's configuration needs correcting, so nothing can be shown until its administrator puts it right."
)


def config_broken() -> bool:
    """Whether the configuration files have mistakes (read from disk now, not this run's copy)."""
    try:
        load_config()
    except ConfigError:
        return True
    return False


def require_config(*, details: bool) -> None:
    """Stop if the configuration has mistakes: with ``details`` (local mode, an admin), the list of every one
    (file, key path, what is wrong); for anyone else, only that the app is misconfigured.

    Reads the configuration for this run (re-read from disk when a file has changed).
    """
    st.session_state.pop("_config", None)
    try:
        st.session_state["_config"] = load_config()
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
    """Called by app.py as each run starts: from here on the store's versions are the same for the whole run.

    Every cached figure is keyed on its dataset's version. The versions come from ``store_versions``,
    which every session in this process shares.
    """
    st.session_state["_versions"] = store_versions()
    st.session_state["_full_run"] = True  # live_reload's first pass, inside this run, has nothing to check


# Every dataset's table versions, shared by every session in this process: (the store's log folders'
# modification times, when read, the datasets, the versions by dataset). Opening a dozen Delta tables
# per run and per live-reload pass, for each viewer, was a measurable share of the server's work.
_VERSIONS: dict[str, tuple[tuple[int | None, ...] | None, float, tuple[str, ...], dict[str, str]]] = {}
_VERSIONS_LOCK = threading.Lock()
REMOTE_RECHECK_S = 2.0  # an object store (az://, s3://) has no cheap change stamp: read again after this long


def _log_stamp(s: Store, datasets: tuple[str, ...]) -> tuple[int | None, ...] | None:
    """A local store's commit stamps: each table's ``_delta_log`` folder changes time with every commit."""
    if not s.is_local:
        return None
    stamps: list[int | None] = []
    for dataset in datasets:
        for volumes in (False, True):
            try:
                stamps.append(os.stat(os.path.join(s.table_uri(dataset, volumes=volumes), "_delta_log")).st_mtime_ns)
            except OSError:
                stamps.append(None)
    return tuple(stamps)


def store_versions() -> dict[str, str]:
    """Each dataset's table versions (``Store.version``'s form), read again only when the store changed."""
    s = store()
    datasets = tuple(definitions())
    stamp = _log_stamp(s, datasets)
    key = str(s.data_dir)
    with _VERSIONS_LOCK:
        held = _VERSIONS.get(key)
    if held is not None and held[2] == datasets:
        fresh = held[0] == stamp if stamp is not None else time.monotonic() - held[1] < REMOTE_RECHECK_S
        if fresh:
            return held[3]
    read_at = time.monotonic()
    versions = {dataset: s.version([dataset]) for dataset in datasets}  # read after the stamp: never older than it
    with _VERSIONS_LOCK:
        _VERSIONS[key] = (stamp, read_at, datasets, versions)
    return versions


def data_version(dataset: str) -> str:
    """The dataset's table versions as this run started (now, outside app.py's run, e.g. a fragment's rerun)."""
    held: dict[str, str] | None = st.session_state.get("_versions")
    if held is None or dataset not in held:
        return store_versions().get(dataset) or store().version([dataset])
    return held[dataset]


def store_version(*, fresh: bool = False) -> str:
    """Every dataset's table versions: changes with any import or undo. As this run started, unless ``fresh``."""
    if fresh:
        versions = store_versions()
        return "|".join(versions[dataset] for dataset in definitions())
    return "|".join(data_version(dataset) for dataset in definitions())  # Store.version's own form


LIVE_RELOAD_S = 5  # an import through another replica shows on an open page within this, plus the redraw


@st.fragment(run_every=LIVE_RELOAD_S)
def live_reload(version: str, session_over: Callable[[], bool]) -> None:
    """Re-run the page when the store changes, so an open screen shows a new upload, and when the
    sign-in it was drawn for is over (signed out of elsewhere, or too old), so it shows the sign-in page.

    Its first pass belongs to the run that read ``version`` a moment ago; each later pass, every
    5 s on its own, compares it with the store's current versions (shared by every session, and
    read again only when a table's log changed).
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
_LOADING: dict[tuple[str, str, bool], threading.Lock] = {}  # one reader per dataset; other sessions wait for it


def _load(dataset: str, data_dir: str, version: str, samples_on: bool, *, spinner: bool = True) -> Loaded | None:
    key = (dataset, data_dir, samples_on)  # samples_on: switching samples off is seen at once
    with _HELD_LOCK:
        held = _HELD.get(key)
        loading = _LOADING.setdefault(key, threading.Lock())
    if held is not None and held[0] == version:
        return held[1]
    with loading:  # viewers arriving together after a start or an import read the table once, not once each
        with _HELD_LOCK:
            held = _HELD.get(key)
        if held is not None and held[0] == version:
            return held[1]
        if spinner:
            with st.spinner("Loading data…"):
                loaded = load_dataset(definitions()[dataset], Store(data_dir))
        else:
            loaded = load_dataset(definitions()[dataset], Store(data_dir))
        with _HELD_LOCK:
            _HELD[key] = (version, loaded)
    return loaded


def warm() -> list[str]:
    """Run once as a server starts, before any viewer: each dataset read into this process, and the
    code every page runs imported and exercised once, so the first page view is as quick as the next.

    Only what every session shares is filled (the loaded data, module imports, Altair's schema, and the
    board pack of every survey's latest month, cached under the list of every survey): no session, no
    user, nothing drawn or sent anywhere, so access control is not involved; a viewer is answered from
    the pack only if they may see every survey (the pack's key is the surveys they may see), and each
    viewer's own figures are still computed (and cached) when their page asks, after their rights are
    checked. Returns the datasets read.
    """
    from insight.display import charts  # Altair too
    from insight.figures.metrics import satisfaction

    s = store()
    versions = store_versions()
    warmed = []
    for dataset, definition in definitions().items():
        try:
            loaded = _load(dataset, str(s.data_dir), versions[dataset], samples_enabled(), spinner=False)
        except StoreError:
            continue  # a damaged table: its pages say so when opened
        if loaded is None:
            continue
        warmed.append(dataset)
        if definition.questions and loaded.frame.height:
            result = satisfaction(loaded.frame, definition)  # Polars' first queries, then Altair's first chart
            charts.spec_of(charts.share_bars(result, definition, rows="aspect_label", title=definition.title))
    if warmed:  # the pack of every survey's latest month, as the Board pack page opens for whoever may see them all
        board_pack(store_version(fresh=True), str(s.data_dir), None, tuple(definitions()), None, samples_enabled())
    return warmed


@st.cache_resource(show_spinner="Writing the board pack…", max_entries=8)
def board_pack(version: str, data_dir: str, period: str | None, datasets: tuple[str, ...], since: str | None,
               samples_on: bool) -> BoardPack:  # fmt: skip
    """The board pack for these surveys and months, written once per store version (a new upload writes a new one)."""
    from insight.board.pack import build_pack

    return build_pack(store(), period=period, datasets=datasets, definitions=definitions(), census=census(),
                      since=since)  # fmt: skip


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


def _data_key(dataset: str) -> tuple[str, str, bool, int]:
    return str(store().data_dir), data_version(dataset), samples_enabled(), config_stamp()


CONFIG_PARTS = ("census", "themes")  # what ``compute(..., uses=...)`` may hand a figure from the configuration


@st.cache_data(show_spinner=False, max_entries=512)
def _computed(
    name: str,
    dataset: str,
    data_key: tuple[str, str, bool, int],
    uses: tuple[str, ...],
    kwargs: dict[str, Any],
    _fn: Callable[..., Any],
    _frame: pl.DataFrame,
    _args: tuple[Any, ...],
) -> Any:
    return _run(dataset, uses, kwargs, _fn, _frame, _args)


def _run(
    dataset: str,
    uses: tuple[str, ...],
    kwargs: dict[str, Any],
    fn: Callable[..., Any],
    frame: pl.DataFrame,
    args: tuple[Any, ...],
) -> Any:
    parts = [getattr(config(), part) for part in uses]
    return fn(frame, definitions()[dataset], *parts, *args, **kwargs)


@st.cache_data(show_spinner=False, max_entries=24)
def _listed(
    name: str,
    dataset: str,
    data_key: tuple[str, str, bool, int],
    uses: tuple[str, ...],
    kwargs: dict[str, Any],
    _fn: Callable[..., Any],
    _frame: pl.DataFrame,
    _args: tuple[Any, ...],
) -> Any:
    return _run(dataset, uses, kwargs, _fn, _frame, _args)


def compute(
    fn: Callable[..., Any],
    loaded: Loaded,
    definition: Definition,
    *args: Any,
    uses: tuple[str, ...] = (),
    rows: bool = False,
    **kwargs: Any,
) -> Any:
    """``fn(loaded.frame, definition, *config parts, *args, **kwargs)``, once per data version and filters,
    shared by every session.

    A filter change or a page switch re-runs the whole script; figures already worked out for
    the same data and the same choices are reused instead of re-scanning millions of rows.
    Keyword arguments (the filters) are part of the key; positional extras must come from
    ``loaded`` itself (its volumes), which the data version already covers. ``uses`` names parts
    of the configuration the figure takes after the definition (``("census",)``, ``("themes",)``);
    the configuration's stamp is in the key, so a changed file is not answered from the cache.
    ``rows``: the result holds rows (the comments themselves, megabytes at a million responses), so
    fewer are kept than of figures.
    """
    assert set(uses) <= set(CONFIG_PARTS), uses
    name = f"{fn.__module__}.{fn.__qualname__}"
    data_key = _data_key(definition.dataset)
    cached = _listed if rows else _computed
    return cached(name, definition.dataset, data_key, uses, kwargs, fn, loaded.frame, args)


@st.cache_data(show_spinner=False, max_entries=64)
def _held(
    dataset: str, data_key: tuple[str, str, bool, int], _frame: pl.DataFrame
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
