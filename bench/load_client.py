"""A viewer that speaks Streamlit's own protocol, as a browser tab does: no browser, no page drawn.

A browser opens a session by fetching the page (which sets the XSRF cookie, and behind HAProxy the
affinity cookie), then opens a WebSocket to ``/_stcore/stream`` with the subprotocols
``streamlit, <xsrf cookie>`` and sends a ``rerun_script`` BackMsg naming the page (its URL path on
the first run, its script hash after) with the query string and the widget states it holds. The
server answers with ForwardMsgs: ``new_session`` when a run starts, ``delta`` for each element,
``page_info_changed`` when the app rewrites the address bar, ``navigation`` with the pages,
``auto_rerun`` for a fragment with ``run_every`` (the app's live reload) and ``script_finished``.

``Viewer`` keeps what a tab keeps (cookies, query string, the widgets drawn, their states), answers
``auto_rerun`` with a timer as the browser does (cleared when a full run starts or the page changes),
and times each action from the BackMsg sent to the ``script_finished`` of that run. Used by
``bench/bench_load.py`` and by ``tests/test_load_client.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

FINISHED = ForwardMsg.ScriptFinishedStatus
TIMEOUT = 120.0  # a run not finished by then counts as an error


@dataclass
class Run:
    """One full run the viewer asked for: what it was, how long from the request to its end, what it drew."""

    action: str  # "open", "page", "filter"
    seconds: float
    charts: int = 0
    errors: list[str] = field(default_factory=list)
    end_inferred: bool = False  # its script_finished never came: ended when its last element did (see _handle)


@dataclass
class Widget:
    """A selectbox the last full run drew: its id, label and options (as the browser shows them)."""

    id: str
    label: str
    options: list[str]
    value: str | None


class Viewer:
    """One browser tab's session, without the browser."""

    def __init__(self, base: str, *, name: str = "viewer") -> None:
        self.base = base.rstrip("/")
        self.name = name
        self.cookies: dict[str, str] = {}
        self.query = ""
        self.page_hash = ""
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page script hash
        self.widgets: dict[str, Widget] = {}  # label -> the selectbox the last full run drew
        self.states: dict[str, WidgetState] = {}  # widget id -> the state this tab holds
        self.fragment_runs = 0
        self.fragment_seconds: list[float] = []
        self.errors: list[str] = []  # outside any run: disconnects, failed fragment runs
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._timers: dict[str, tuple[float, asyncio.Task[None]]] = {}
        self._waiting: asyncio.Future[str] | None = None
        self._run_charts = 0
        self._run_errors: list[str] = []
        self._fragment_sent: float | None = None
        self._closing = False
        self._since_request: list[str] = []  # what arrived since the last request: said when a run times out
        self._full_run_started = False
        self._last_element_at = 0.0
        self.finishes_lost = 0

    # ------------------------------------------------------------------ the connection

    def _get_page(self, path: str) -> None:
        """The page's HTML, as the browser fetches it first: its cookies (XSRF, the proxy's affinity) are kept."""
        request = urllib.request.Request(f"{self.base}/{path}", headers=self._cookie_header())
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(header)
                self.cookies.update({k: v.value for k, v in jar.items()})

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    async def open(self, path: str = "", query: str = "") -> Run:
        """Open a page as a new tab does: fetch it, connect, and run it."""
        await asyncio.to_thread(self._get_page, f"{path}?{query}" if query else path)
        parts = urlsplit(self.base)
        ws_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/_stcore/stream"
        protocols = ["streamlit", *([self.cookies["_streamlit_xsrf"]] if "_streamlit_xsrf" in self.cookies else [])]
        self._ws = await connect(
            ws_url,
            subprotocols=protocols,  # type: ignore[arg-type]
            additional_headers=self._cookie_header(),
            origin=f"{parts.scheme}://{parts.netloc}",  # type: ignore[arg-type]
            max_size=None,
            open_timeout=30,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read(), name=f"{self.name}-reader")
        self.query = query
        return await self._rerun("open", page_name=path)

    async def close(self) -> None:
        self._closing = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    # ------------------------------------------------------------------ what a viewer does

    async def switch(self, path: str) -> Run:
        """Click a page in the navigation (its script hash, no query string: the filters are kept)."""
        self._stop_timers()  # the browser clears its auto-reruns on a page change
        self.query = ""
        return await self._rerun("page", page_hash=self.pages[path])

    async def choose(self, label: str, option: str) -> Run:
        """Choose ``option`` (as shown) in the selectbox labelled ``label``."""
        widget = self.widgets[label]
        state = WidgetState(id=widget.id, string_value=option)
        self.states[widget.id] = state
        return await self._rerun("filter", page_hash=self.page_hash)

    # ------------------------------------------------------------------ the protocol

    def _back_msg(self, *, page_hash: str = "", page_name: str = "", fragment_id: str = "") -> BackMsg:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query
        rerun.page_script_hash = page_hash
        rerun.page_name = page_name
        if fragment_id:
            rerun.fragment_id = fragment_id
            rerun.is_auto_rerun = True
        rerun.widget_states.widgets.extend(self.states.values())
        rerun.context_info.timezone = "Europe/London"
        rerun.context_info.locale = "en-GB"
        rerun.context_info.url = f"{self.base}/"
        return msg

    async def _rerun(self, action: str, *, page_hash: str = "", page_name: str = "") -> Run:
        assert self._ws is not None
        loop = asyncio.get_running_loop()
        self._waiting = loop.create_future()
        self._run_charts, self._run_errors = 0, []
        self._since_request = []
        self._full_run_started = False
        started = time.perf_counter()
        await self._ws.send(self._back_msg(page_hash=page_hash, page_name=page_name).SerializeToString())
        try:
            status = await asyncio.wait_for(asyncio.shield(self._waiting), TIMEOUT)
        except TimeoutError:
            status = "timed out"
        finally:
            self._waiting = None
        seconds = time.perf_counter() - started
        inferred = status == "ended"
        if inferred:
            seconds = self._last_element_at - started
            status = "ok"
        errors = list(self._run_errors)
        if status == "timed out":
            seen = ", ".join(self._since_request[-8:]) or "nothing"
            errors.append(f"{action}: timed out (since the request: {seen})")
        elif status != "ok":
            errors.append(f"{action}: {status}")
        return Run(action, seconds, self._run_charts, errors, end_inferred=inferred)

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data if isinstance(data, bytes) else data.encode())
                self._handle(msg)
        except Exception as exc:
            self._fail(f"connection lost: {type(exc).__name__}: {exc}")
            return
        self._fail("connection closed by the server")

    def _fail(self, reason: str) -> None:
        if self._closing:
            return
        self.errors.append(reason)
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(reason)

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._since_request.append("fragment run started" if msg.metadata.run.fragment_ids else "run started")
            if msg.metadata.run.fragment_ids and self._full_run_started and self._waiting_open():
                # A session runs one script at a time, so the full run asked for has ended. Its script_finished
                # was lost: Streamlit drops a finished runner's last event when a timer's fragment rerun has
                # already started a new runner (seen under load). The run ended with its last element.
                self.finishes_lost += 1
                assert self._waiting is not None
                self._waiting.set_result("ended")
            if not msg.metadata.run.fragment_ids:  # a full run: the browser forgets the last run's timers
                self._full_run_started = self._waiting_open()
                self._stop_timers()
                self.widgets = {}
                self.page_hash = msg.new_session.page_script_hash
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta":
            self._element(msg)
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment)
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self._run_errors.append(msg.session_event.script_compilation_exception.message)
        elif kind == "script_finished":
            self._finished(msg.script_finished)

    def _waiting_open(self) -> bool:
        return self._waiting is not None and not self._waiting.done()

    def _element(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        if not delta.fragment_id:
            self._last_element_at = time.perf_counter()
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "vega_lite_chart":
            self._run_charts += 1
        elif kind == "exception":
            self._run_errors.append(f"exception: {element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            self._run_errors.append(f"error shown: {element.alert.body}")
        elif kind == "selectbox" and not delta.fragment_id:
            box = element.selectbox
            value = box.raw_value if box.set_value else (box.options[box.default] if box.options else None)
            self.widgets[box.label] = Widget(box.id, box.label, list(box.options), value)

    def _finished(self, status: int) -> None:
        self._since_request.append(FINISHED.Name(status).lower())
        if status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            self.fragment_runs += 1
            if self._fragment_sent is not None:
                self.fragment_seconds.append(time.perf_counter() - self._fragment_sent)
                self._fragment_sent = None
            return
        if status == FINISHED.FINISHED_EARLY_FOR_RERUN:
            return  # st.rerun(), or a newer request: the run the viewer waits for is still to come
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result("ok" if status == FINISHED.FINISHED_SUCCESSFULLY else "compile error")

    # ------------------------------------------------------------------ auto-rerun, as the browser does it

    def _start_timer(self, fragment_id: str, interval: float) -> None:
        held = self._timers.get(fragment_id)
        if held is not None and held[0] == interval:
            return
        self._stop_timer(fragment_id)
        self._timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))

    async def _tick(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self._ws is None:
                return
            self._fragment_sent = time.perf_counter()
            msg = self._back_msg(page_hash=self.page_hash, fragment_id=fragment_id)
            try:
                await self._ws.send(msg.SerializeToString())
            except Exception:
                return

    def _stop_timer(self, fragment_id: str) -> None:
        held = self._timers.pop(fragment_id, None)
        if held is not None:
            held[1].cancel()

    def _stop_timers(self) -> None:
        for fragment in list(self._timers):
            self._stop_timer(fragment)

    @property
    def auto_reruns(self) -> dict[str, float]:
        """The fragments this tab re-runs on a timer, and their intervals (seconds)."""
        return {fragment: interval for fragment, (interval, _) in self._timers.items()}
