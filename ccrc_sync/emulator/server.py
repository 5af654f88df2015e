"""The HTTP face of the emulator, its test controls, and the ``serve()`` entry point.

``Emulator`` owns a ``Store`` behind one lock and a ``ThreadingHTTPServer`` in a background
thread. Tests use its direct methods (no HTTP) to arrange and inspect data as a person in
the browser would, ``fail_next`` to inject 429/5xx/dropped/slow answers, ``pause_next`` to
hold a request until released (edits made meanwhile are what it is applied to), and
``requests`` to count API calls. A held request waits outside the lock.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ccrc_sync.emulator import a1, cells, metadata, resource, routes
from ccrc_sync.emulator.batch import apply_batch
from ccrc_sync.emulator.errors import ApiError, bad_request
from ccrc_sync.emulator.faults import FAULT_KINDS, FAULT_MESSAGES, Fault, Pause
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.store import Sheet, Spreadsheet, Store, make_spreadsheet


@dataclass
class RecordedRequest:
    """One request as the emulator received it; ``status`` is None for a dropped one."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int | None


class Emulator:
    """A local Google Sheets API v4 + Drive v3 emulator (see module docstring)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        data_path: Path | None = None,
        default_locale: str = "en_US",
    ) -> None:
        self.host = host
        self.port = port
        self.store = Store(Path(data_path) if data_path else None)
        self.default_locale = default_locale
        self.lock = threading.RLock()
        self._log: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._pauses: list[Pause] = []
        self._held: list[Pause] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind and serve in a daemon thread; ``port=0`` picks a free port."""
        if self._server is not None:
            return self
        handler = type("BoundHandler", (_Handler,), {"emulator": self})
        server = ThreadingHTTPServer((self.host, self.port), handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="sheets-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent); held requests are let go."""
        with self.lock:
            for pause in self._pauses + self._held:
                pause.release()
            self._pauses.clear()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host_port}"

    @property
    def host_port(self) -> str:
        return f"{self.host}:{self.port}"

    # --- log, faults and pauses --------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received so far, in order (a copy)."""
        with self.lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self.lock:
            self._log.clear()

    def fail_next(
        self,
        n: int = 1,
        kind: str = "429",
        *,
        method: str | None = None,
        path_contains: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``n`` matching requests fail with ``kind`` (400/429/500/503/drop/slow)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}, not {kind!r}")
        with self.lock:
            self._faults.append(Fault(n, kind, method, path_contains, delay))

    def pause_next(self, *, method: str | None = None, path_contains: str | None = None) -> Pause:
        """Hold the next matching request after it arrives, until ``handle.release()``.

        ``handle.wait_arrived(timeout)`` tells when it is held; edits made through the
        direct methods meanwhile are what the request is then applied to.
        """
        pause = Pause(method, path_contains)
        with self.lock:
            self._pauses.append(pause)
        return pause

    def _take_fault(self, method: str, path: str, raw_path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.matches(method, path, raw_path):
                    fault.remaining -= 1
                    self._faults = [f for f in self._faults if f.remaining > 0]
                    return fault
        return None

    def _take_pause(self, method: str, path: str, raw_path: str) -> Pause | None:
        with self.lock:
            for pause in self._pauses:
                if pause.matches(method, path, raw_path):
                    self._pauses.remove(pause)
                    self._held.append(pause)
                    return pause
        return None

    def _record(self, entry: RecordedRequest) -> None:
        with self.lock:
            self._log.append(entry)

    # --- direct access (no HTTP) -------------------------------------------------------

    def create_spreadsheet(
        self,
        title: str = "Untitled",
        spreadsheet_id: str | None = None,
        sheets: tuple[str, ...] | list[str] = ("Sheet1",),
        locale: str | None = None,
    ) -> str:
        """Create a spreadsheet directly and return its id."""
        with self.lock:
            ss = make_spreadsheet(
                title, spreadsheet_id, tuple(sheets), locale or self.default_locale
            )
            self.store.add(ss)
            self.store.save()
            return ss.spreadsheet_id

    def ensure_spreadsheet(
        self, spreadsheet_id: str, title: str = "Untitled", locale: str | None = None
    ) -> None:
        """Create the spreadsheet with this id unless it already exists."""
        with self.lock:
            if spreadsheet_id not in self.store.spreadsheets:
                self.create_spreadsheet(title, spreadsheet_id, locale=locale)

    def _tab(self, spreadsheet_id: str, tab: str) -> tuple[Spreadsheet, Sheet]:
        ss = self.store.get(spreadsheet_id)
        sheet = ss.sheet_by_title(tab)
        if sheet is None:
            raise KeyError(f"no tab named {tab!r} in spreadsheet {spreadsheet_id}")
        return ss, sheet

    def _range(self, tab: str, a1_text: str | None) -> str:
        quoted = a1.quote_title(tab) if a1.quote_title(tab) != tab else f"'{tab}'"
        return f"{quoted}!{a1_text}" if a1_text else quoted

    def get_values(self, spreadsheet_id: str, tab: str, a1: str | None = None) -> list[list[Any]]:
        """Formatted values as values.get returns them (trailing empties trimmed)."""
        with self.lock:
            self._tab(spreadsheet_id, tab)
            ss = self.store.get(spreadsheet_id)
            found: list[list[Any]] = cells.read_range(ss, self._range(tab, a1)).get("values", [])
            return copy.deepcopy(found)

    def set_values(
        self,
        spreadsheet_id: str,
        tab: str,
        a1: str,
        rows: list[list[Any]],
        user_entered: bool = True,
        *,
        enforce_validation: bool = True,
    ) -> None:
        """Write as a person typing in the browser would (USER_ENTERED by default).

        Strict validation refuses as it would in the browser (``ApiError``), unless
        ``enforce_validation=False`` (data typed before the rule was made strict); a person
        adds rows to type below the grid, so this grows the grid for them.
        """
        with self.lock:
            ss, _sheet = self._tab(spreadsheet_id, tab)
            option = "USER_ENTERED" if user_entered else "RAW"
            target = self._range(tab, a1)
            cells.write_range(ss, target, rows, option, grow=True, check_rules=enforce_validation)
            self.store.save()

    def batch_update(self, spreadsheet_id: str, requests: list[JSON]) -> list[JSON]:
        """Apply batchUpdate requests directly (a person sorting, inserting rows...);
        returns the replies. Not logged as an API request."""
        with self.lock:
            new, response = apply_batch(self.store.get(spreadsheet_id), {"requests": requests})
            self.store.add(new)
            self.store.save()
            replies: list[JSON] = response["replies"]
            return replies

    def sort_range(
        self, spreadsheet_id: str, tab: str, a1_range: str, column: str, descending: bool = False
    ) -> None:
        """Sort the rows of ``a1_range`` by ``column`` (a letter), as Data > Sort range."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            box = a1.parse_cells(a1_range).clip(sheet.rows, sheet.cols)
            rng = {
                "sheetId": sheet.sheet_id,
                "startRowIndex": box.start_row,
                "endRowIndex": box.end_row,
                "startColumnIndex": box.start_col,
                "endColumnIndex": box.end_col,
            }
            spec = {
                "dimensionIndex": a1.col_to_index(column),
                "sortOrder": "DESCENDING" if descending else "ASCENDING",
            }
            self.batch_update(spreadsheet_id, [{"sortRange": {"range": rng, "sortSpecs": [spec]}}])

    def insert_rows(self, spreadsheet_id: str, tab: str, before_row: int, count: int = 1) -> None:
        """Insert ``count`` empty rows above 1-based ``before_row``, as right-click > Insert."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            rng = {
                "sheetId": sheet.sheet_id,
                "dimension": "ROWS",
                "startIndex": before_row - 1,
                "endIndex": before_row - 1 + count,
            }
            self.batch_update(spreadsheet_id, [{"insertDimension": {"range": rng}}])

    def spreadsheet(self, spreadsheet_id: str, fields: str | None = None) -> JSON:
        """The spreadsheet as ``GET spreadsheets/{id}?fields=...`` returns it."""
        query = {"fields": [fields]} if fields else {}
        with self.lock:
            _status, payload = self.handle("GET", f"/v4/spreadsheets/{spreadsheet_id}", query, None)
            result: JSON = payload
            return result

    def developer_metadata(self, spreadsheet_id: str) -> list[JSON]:
        """Every developer metadata entry with its current location."""
        with self.lock:
            ss = self.store.get(spreadsheet_id)
            return [metadata.resource(e, p) for e, p in metadata.entries(ss)]

    def sheet_properties(self, spreadsheet_id: str, tab: str) -> JSON:
        """The tab's SheetProperties (sheetId, index, gridProperties...), a copy."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            return copy.deepcopy(sheet.properties)

    def data_validations(self, spreadsheet_id: str, tab: str) -> dict[str, JSON]:
        """Data-validation rules on a tab, keyed by A1 cell name (``{"B2": rule}``)."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            return {
                a1.cell_name(r, c): copy.deepcopy(cell["dataValidation"])
                for (r, c), cell in sorted(sheet.cells.items())
                if "dataValidation" in cell
            }

    def charts(self, spreadsheet_id: str, tab: str) -> list[JSON]:
        """EmbeddedChart objects anchored on a tab (chartId, spec, position)."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            return copy.deepcopy(sheet.charts)

    def sheet_resource(self, spreadsheet_id: str, tab: str) -> JSON:
        """The tab as ``GET spreadsheets/{id}`` shows it: properties, merges, charts..."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            return resource.sheet_resource(sheet)

    def cell_format(self, spreadsheet_id: str, tab: str, cell: str) -> JSON:
        """The userEnteredFormat of one cell (``{}`` when unformatted)."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            box = a1.parse_cells(cell)
            stored = sheet.cells.get((box.start_row or 0, box.start_col or 0), {})
            return copy.deepcopy(stored.get("userEnteredFormat", {}))

    # --- dispatch ----------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        """Route one API call; returns (status, JSON body or None)."""
        with self.lock, collector_paused():
            ctx = routes.Context(self.store, self.default_locale)
            status, payload, mutated = routes.route(ctx, method, raw_path, query, body)
            if mutated and status < 300:
                self.store.save()
            return status, payload


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while one request is answered.

    A large spreadsheet is a million small objects; building a 10,000-row answer
    allocates enough to set off collections that walk all of them again and again
    (measured: 0.2 s to build with the collector paused, 0.45-0.65 s without).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- HTTP handler --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """One connection; keep-alive HTTP/1.1 like Google's front end."""

    protocol_version = "HTTP/1.1"
    emulator: Emulator
    server_version = "ccrc-sync-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line."""

    def _read_body(self) -> tuple[Any, str | None]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return None, None
        try:
            return json.loads(raw.decode("utf-8")), None
        except (ValueError, UnicodeDecodeError) as err:
            return None, f"Invalid JSON payload received. {err}"

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        raw_path = parts.path
        path = unquote(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        body, body_error = self._read_body()
        emu = self.emulator
        entry = RecordedRequest(self.command, path, query, body, None)
        emu._record(entry)
        pause = emu._take_pause(self.command, path, raw_path)
        if pause is not None:
            pause.hold({"method": self.command, "path": path, "query": query, "body": body})
        fault = emu._take_fault(self.command, path, raw_path)
        if fault is not None:
            if fault.kind == "drop":
                self._drop()
                return
            if fault.kind == "slow":
                time.sleep(fault.delay)
            else:
                code = int(fault.kind)
                message, status_text = FAULT_MESSAGES[code]
                entry.status = code
                self._send(code, ApiError(code, message, status_text).body(), query)
                return
        try:
            if body_error:
                raise bad_request(body_error)
            status, payload = emu.handle(self.command, raw_path, query, body)
        except ApiError as err:
            status, payload = err.code, err.body()
        except Exception as err:  # a bug in the emulator: answer like Google's 500
            traceback.print_exc(file=sys.stderr)
            status, payload = 500, ApiError(500, f"Emulator error: {err}").body()
        entry.status = status
        self._send(status, payload, query)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, status: int, payload: Any, query: dict[str, list[str]]) -> None:
        with collector_paused():
            data = b"" if payload is None else _encode(payload, query)
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        # One write for head and body: fewer packets, no Nagle stall between them.
        self._headers_buffer.append(b"\r\n" + data)  # type: ignore[attr-defined]
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


PRETTY_LIMIT = 256 * 1024


def _encode(payload: Any, query: dict[str, list[str]]) -> bytes:
    """JSON as Google sends it: indented unless ``prettyPrint=false``. Whitespace means
    nothing to a client, and Python indents slowly, so a large answer goes compact."""
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    pretty = (query.get("prettyPrint") or ["true"])[0].lower() != "false"
    if pretty and len(compact) < PRETTY_LIMIT:
        return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")
    return compact.encode("utf-8")


# --- CLI entry -----------------------------------------------------------------------------


def serve(host: str, port: int, data: Path | None) -> int:
    """Run an emulator until SIGTERM or Ctrl-C; first line printed is ``listening on URL``."""
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    emu = Emulator(host=host, port=port, data_path=data)
    try:
        emu.start()
        print(f"listening on {emu.url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
