"""The HTTP face of the emulator: Google's paths, fault injection and a request log.

``Emulator`` owns a ``Store`` behind one lock and a ``ThreadingHTTPServer`` in a background
thread. Tests use its direct methods (no HTTP) to arrange and inspect data, ``fail_next``
to inject 429/5xx/dropped/slow answers, and ``requests`` to count API calls.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ccrc_sync.emulator import a1, cells, resource
from ccrc_sync.emulator.errors import ApiError, bad_request
from ccrc_sync.emulator.requests import apply_batch, filter_fields
from ccrc_sync.emulator.store import (
    SPREADSHEET_MIME,
    Sheet,
    Spreadsheet,
    Store,
    make_spreadsheet,
    new_sheet_properties,
    new_spreadsheet_id,
    now_iso,
)

FAULT_KINDS = ("400", "429", "500", "503", "drop", "slow")
_FAULT_MESSAGES = {
    # A refusal, as a service that does not support one of the requests would answer.
    400: ("Invalid requests[0]: this request is not supported.", "INVALID_ARGUMENT"),
    429: (
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
        "per user' of service 'sheets.googleapis.com'.",
        "RESOURCE_EXHAUSTED",
    ),
    500: ("Internal error encountered.", "INTERNAL"),
    503: ("The service is currently unavailable.", "UNAVAILABLE"),
}


@dataclass
class RecordedRequest:
    """One request as the emulator received it; ``status`` is None for a dropped one."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int | None


@dataclass
class _Fault:
    remaining: int
    kind: str
    method: str | None
    path_contains: str | None
    delay: float

    def matches(self, method: str, path: str, raw_path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method and self.method.upper() != method:
            return False
        return (
            not self.path_contains or self.path_contains in path or self.path_contains in raw_path
        )


def _flag(query: dict[str, list[str]], name: str, default: bool = False) -> bool:
    values = query.get(name)
    if not values:
        return default
    return values[0].lower() in ("true", "1", "yes")


def _one(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


class Emulator:
    """A local Google Sheets API v4 + Drive v3 emulator (see module docstring)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, data_path: Path | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.store = Store(Path(data_path) if data_path else None)
        self.lock = threading.RLock()
        self._log: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
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
        """Stop serving and release the port (idempotent)."""
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

    # --- log and faults ----------------------------------------------------------------

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
            self._faults.append(_Fault(n, kind, method, path_contains, delay))

    def _take_fault(self, method: str, path: str, raw_path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.matches(method, path, raw_path):
                    fault.remaining -= 1
                    self._faults = [f for f in self._faults if f.remaining > 0]
                    return fault
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
    ) -> str:
        """Create a spreadsheet directly and return its id."""
        with self.lock:
            ss = make_spreadsheet(title, spreadsheet_id, tuple(sheets))
            self.store.add(ss)
            self.store.save()
            return ss.spreadsheet_id

    def ensure_spreadsheet(self, spreadsheet_id: str, title: str = "Untitled") -> None:
        """Create the spreadsheet with this id unless it already exists."""
        with self.lock:
            if spreadsheet_id not in self.store.spreadsheets:
                self.create_spreadsheet(title, spreadsheet_id)

    def _tab(self, spreadsheet_id: str, tab: str) -> tuple[Spreadsheet, Sheet]:
        ss = self.store.get(spreadsheet_id)
        sheet = ss.sheet_by_title(tab)
        if sheet is None:
            raise KeyError(f"no tab named {tab!r} in spreadsheet {spreadsheet_id}")
        return ss, sheet

    def _range(self, tab: str, a1_text: str | None) -> str:
        quoted = a1.quote_title(tab) if a1.quote_title(tab) != tab else f"'{tab}'"
        return f"{quoted}!{a1_text}" if a1_text else quoted

    def get_values(self, spreadsheet_id: str, tab: str, a1: str | None = None) -> list[list[str]]:
        """Formatted values as values.get returns them (trailing empties trimmed)."""
        with self.lock:
            ss, _sheet = self._tab(spreadsheet_id, tab)
            return copy.deepcopy(cells.read_range(ss, self._range(tab, a1)).get("values", []))

    def set_values(
        self,
        spreadsheet_id: str,
        tab: str,
        a1: str,
        rows: list[list[Any]],
        user_entered: bool = True,
    ) -> None:
        """Write as a person typing in the browser would (USER_ENTERED by default)."""
        with self.lock:
            ss, _sheet = self._tab(spreadsheet_id, tab)
            option = "USER_ENTERED" if user_entered else "RAW"
            cells.write_range(ss, self._range(tab, a1), rows, option)
            self.store.save()

    def sheet_properties(self, spreadsheet_id: str, tab: str) -> dict:
        """The tab's SheetProperties (sheetId, index, gridProperties...), a copy."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            return copy.deepcopy(sheet.properties)

    def data_validations(self, spreadsheet_id: str, tab: str) -> dict[str, dict]:
        """Data-validation rules on a tab, keyed by A1 cell name (``{"B2": rule}``)."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            return {
                a1.cell_name(r, c): copy.deepcopy(cell["dataValidation"])
                for (r, c), cell in sorted(sheet.cells.items())
                if "dataValidation" in cell
            }

    def charts(self, spreadsheet_id: str, tab: str) -> list[dict]:
        """EmbeddedChart objects anchored on a tab (chartId, spec, position)."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            return copy.deepcopy(sheet.charts)

    def sheet_resource(self, spreadsheet_id: str, tab: str) -> dict:
        """The tab as ``GET spreadsheets/{id}`` shows it: properties, merges, charts..."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            return resource.sheet_resource(sheet)

    def cell_format(self, spreadsheet_id: str, tab: str, cell: str) -> dict:
        """The userEnteredFormat of one cell (``{}`` when unformatted)."""
        with self.lock:
            _ss, sheet = self._tab(spreadsheet_id, tab)
            box = a1.parse_cells(cell)
            stored = sheet.cells.get((box.start_row or 0, box.start_col or 0), {})
            return copy.deepcopy(stored.get("userEnteredFormat", {}))

    # --- dispatch ----------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, query: dict, body: Any) -> tuple[int, Any]:
        """Route one API call; returns (status, JSON body or None)."""
        with self.lock:
            status, payload, mutated = _route(self.store, method, raw_path, query, body)
            if mutated and status < 300:
                self.store.save()
            return status, payload


# --- routing -------------------------------------------------------------------------------

_SHEETS = re.compile(r"^/v4/spreadsheets(?:/(?P<id>[^/:]+))?(?P<rest>.*)$")
_DRIVE = re.compile(r"^/drive/v3/files(?:/(?P<id>[^/]+))?(?P<rest>/[^/]+)?/?$")


def _route(
    store: Store, method: str, raw_path: str, query: dict, body: Any
) -> tuple[int, Any, bool]:
    m = _SHEETS.match(raw_path)
    if m:
        return _route_sheets(store, method, m.group("id"), m.group("rest"), query, body)
    m = _DRIVE.match(raw_path)
    if m:
        return _route_drive(store, method, m.group("id"), m.group("rest"), query, body)
    raise ApiError(404, f"The requested URL {unquote(raw_path)} was not found on this server.")


def _route_sheets(
    store: Store, method: str, sid: str | None, rest: str, query: dict, body: Any
) -> tuple[int, Any, bool]:
    body = body if isinstance(body, dict) else ({} if body is None else body)
    if sid is None:
        if method == "POST" and not rest:
            return 200, _create_spreadsheet(store, body), True
        raise _no_method(method)
    sid = unquote(sid)
    ss = store.get(sid)
    if rest == "" and method == "GET":
        ranges = query.get("ranges") or []
        fields = _one(query, "fields")
        wants_grid = bool(fields) and "sheets.data" in fields.replace("/", ".")
        grid = _flag(query, "includeGridData") or wants_grid
        body_out = resource.spreadsheet_resource(ss, grid, ranges)
        if fields:
            body_out = filter_fields(body_out, fields)
        return 200, body_out, False
    if rest == ":batchUpdate" and method == "POST":
        new, response = apply_batch(ss, body)
        store.add(new)
        if body.get("includeSpreadsheetInResponse"):
            response["updatedSpreadsheet"] = resource.spreadsheet_resource(
                new, bool(body.get("responseIncludeGridData")), body.get("responseRanges")
            )
        return 200, response, True
    vro = _one(query, "valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE"
    dtro = _one(query, "dateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER"
    major = _one(query, "majorDimension", "ROWS") or "ROWS"
    if rest == "/values:batchGet" and method == "GET":
        value_ranges = [cells.read_range(ss, r, major, vro, dtro) for r in query.get("ranges", [])]
        return 200, {"spreadsheetId": sid, "valueRanges": value_ranges}, False
    if rest == "/values:batchUpdate" and method == "POST":
        return 200, _values_batch_update(ss, body), True
    if rest == "/values:batchClear" and method == "POST":
        # All or nothing, like Google: every range is resolved before any is cleared.
        ranges = body.get("ranges") or []
        for r in ranges:
            ss.resolve(r)
        cleared = [cells.clear_range(ss, r)["clearedRange"] for r in ranges]
        return 200, {"spreadsheetId": sid, "clearedRanges": cleared}, True
    if rest.startswith("/sheets/") and rest.endswith(":copyTo") and method == "POST":
        return 200, _copy_to(store, ss, rest, body), True
    if rest.startswith("/values/"):
        return _route_values(ss, method, rest[len("/values/") :], query, body, major, vro, dtro)
    raise _no_method(method)


def _route_values(
    ss: Spreadsheet,
    method: str,
    tail: str,
    query: dict,
    body: dict,
    major: str,
    vro: str,
    dtro: str,
) -> tuple[int, Any, bool]:
    for suffix in (":append", ":clear"):
        if tail.endswith(suffix) and method == "POST":
            range_text = unquote(tail[: -len(suffix)])
            if suffix == ":clear":
                return 200, cells.clear_range(ss, range_text), True
            option = _input_option(query)
            rows = body.get("values")
            result = cells.append_range(
                ss,
                range_text,
                rows,
                option,
                body.get("majorDimension") or "ROWS",
                _one(query, "insertDataOption", "OVERWRITE") or "OVERWRITE",
                _flag(query, "includeValuesInResponse"),
            )
            return 200, result, True
    range_text = unquote(tail)
    if method == "GET":
        return 200, cells.read_range(ss, range_text, major, vro, dtro), False
    if method == "PUT":
        option = _input_option(query)
        if body.get("range") and _norm(body["range"]) != _norm(range_text):
            raise bad_request(
                f"Requested writing within range [{range_text}], but tried writing within "
                f"range [{body['range']}]."
            )
        result = cells.write_range(
            ss,
            range_text,
            body.get("values"),
            option,
            body.get("majorDimension") or "ROWS",
            _flag(query, "includeValuesInResponse"),
            _one(query, "responseValueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE",
            _one(query, "responseDateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER",
        )
        return 200, result, True
    raise _no_method(method)


def _norm(text: str) -> str:
    return text.replace("'", "").lower()


def _input_option(query: dict) -> str:
    option = _one(query, "valueInputOption")
    if not option:
        raise bad_request("'valueInputOption' is required but not specified")
    if option not in ("RAW", "USER_ENTERED"):
        raise bad_request(
            f"Invalid value at 'value_input_option' (type.googleapis.com/"
            f'google.apps.sheets.v4.ValueInputOption), "{option}"'
        )
    return option


def _values_batch_update(ss: Spreadsheet, body: dict) -> dict:
    option = body.get("valueInputOption")
    if not option:
        raise bad_request("'valueInputOption' is required but not specified")
    data = body.get("data") or []
    # All or nothing, like Google: every write is checked before any is applied (cheaper
    # than copying a 10,000-row spreadsheet to roll back).
    for item in data:
        cells.check_write(
            ss, item.get("range", ""), item.get("values"), item.get("majorDimension") or "ROWS"
        )
    responses = []
    sheets: set[str] = set()
    for item in data:
        result = cells.write_range(
            ss,
            item.get("range", ""),
            item.get("values"),
            option,
            item.get("majorDimension") or "ROWS",
            bool(body.get("includeValuesInResponse")),
            body.get("responseValueRenderOption") or "FORMATTED_VALUE",
            body.get("responseDateTimeRenderOption") or "SERIAL_NUMBER",
        )
        responses.append(result)
        sheets.add(result["updatedRange"].rsplit("!", 1)[0])
    out: dict = {"spreadsheetId": ss.spreadsheet_id}
    if responses:
        out["totalUpdatedRows"] = sum(r.get("updatedRows", 0) for r in responses)
        out["totalUpdatedColumns"] = max(r.get("updatedColumns", 0) for r in responses)
        out["totalUpdatedCells"] = sum(r.get("updatedCells", 0) for r in responses)
        out["totalUpdatedSheets"] = len(sheets)
        out["responses"] = responses
    return out


def _create_spreadsheet(store: Store, body: dict) -> dict:
    props = body.get("properties") or {}
    ss = make_spreadsheet(
        props.get("title") or "Untitled spreadsheet",
        body.get("spreadsheetId") or None,
        (),
        props.get("locale") or "en_US",
    )
    ss.sheets.clear()
    for key, value in props.items():
        if key not in ("title",):
            ss.properties[key] = value
    for i, sheet_body in enumerate(body.get("sheets") or [{}]):
        sp = sheet_body.get("properties") or {}
        grid = sp.get("gridProperties") or {}
        sheet_id = sp.get("sheetId", 0 if i == 0 else ss.new_sheet_id())
        base = new_sheet_properties(
            sheet_id,
            sp.get("title") or f"Sheet{i + 1}",
            i,
            grid.get("rowCount", 1000),
            grid.get("columnCount", 26),
        )
        base["gridProperties"].update(grid)
        ss.sheets.append(Sheet(base))
    store.add(ss)
    return resource.spreadsheet_resource(ss)


def _copy_to(store: Store, ss: Spreadsheet, rest: str, body: dict) -> dict:
    sheet_id = int(rest[len("/sheets/") : -len(":copyTo")])
    source = ss.sheet_by_id(sheet_id)
    target = store.get(body.get("destinationSpreadsheetId", ""))
    new = copy.deepcopy(source)
    new.properties["sheetId"] = target.new_sheet_id()
    title = f"Copy of {source.title}"
    n = 2
    while target.sheet_by_title(title):
        title, n = f"Copy {n} of {source.title}", n + 1
    new.properties["title"] = title
    target.sheets.append(new)
    target.reindex()
    return copy.deepcopy(new.properties)


# --- drive ---------------------------------------------------------------------------------


def _route_drive(
    store: Store, method: str, fid: str | None, rest: str | None, query: dict, body: Any
) -> tuple[int, Any, bool]:
    body = body if isinstance(body, dict) else {}
    fields = _one(query, "fields")
    if fid is None:
        if method == "POST":
            mime = body.get("mimeType", SPREADSHEET_MIME)
            if mime != SPREADSHEET_MIME:
                raise ApiError(501, f"The emulator only stores spreadsheets, not {mime}.")
            ss = make_spreadsheet(body.get("name") or "Untitled spreadsheet")
            store.add(ss)
            return 200, resource.drive_file(ss, fields), True
        if method == "GET":
            return 200, _list_files(store, query), False
        raise _no_method(method)
    fid = unquote(fid)
    if rest is None:
        if method == "GET":
            return 200, resource.drive_file(_drive_get(store, fid), fields), False
        if method == "DELETE":
            if fid not in store.spreadsheets:
                raise ApiError(404, f"File not found: {fid}.", "NOT_FOUND")
            store.delete(fid)
            return 204, None, True
        if method == "PATCH":
            ss = _drive_get(store, fid)
            if "name" in body:
                ss.properties["title"] = body["name"]
                ss.touch()
            return 200, resource.drive_file(ss, fields), True
        raise _no_method(method)
    if rest == "/copy" and method == "POST":
        source = _drive_get(store, fid)
        clone = copy.deepcopy(source)
        clone.spreadsheet_id = new_spreadsheet_id()
        clone.properties["title"] = body.get("name") or f"Copy of {source.title}"
        clone.created_time = clone.modified_time = now_iso()
        store.add(clone)
        return 200, resource.drive_file(clone, fields), True
    raise ApiError(501, f"The emulator does not implement Drive {method} {rest}.", "UNIMPLEMENTED")


def _drive_get(store: Store, fid: str) -> Spreadsheet:
    if fid not in store.spreadsheets:
        raise ApiError(404, f"File not found: {fid}.", "NOT_FOUND")
    return store.spreadsheets[fid]


_CLAUSE = re.compile(
    r"""^\s*(?P<field>\w+)\s*(?P<op>=|!=|contains)\s*(?P<q>["'])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*$"""
)


def _list_files(store: Store, query: dict) -> dict:
    q = _one(query, "q", "") or ""
    clauses = [c for c in re.split(r"\s+and\s+", q) if c.strip()] if q else []
    matches = []
    for ss in store.spreadsheets.values():
        if all(_clause_ok(ss, clause) for clause in clauses):
            matches.append(ss)
    matches.sort(key=lambda s: s.modified_time, reverse=True)
    fields = _one(query, "fields")
    inner = None
    if fields:
        m = re.search(r"files\(([^)]*)\)", fields)
        inner = m.group(1) if m else None
    return {"kind": "drive#fileList", "files": [resource.drive_file(s, inner) for s in matches]}


def _clause_ok(ss: Spreadsheet, clause: str) -> bool:
    clause = clause.strip().strip("()")
    m = _CLAUSE.match(clause)
    if not m:
        return True  # unsupported clauses (trashed, parents...) do not filter
    field, op = m.group("field"), m.group("op")
    value = re.sub(r"\\(.)", r"\1", m.group("value"))
    actual = {"name": ss.title, "mimeType": SPREADSHEET_MIME}.get(field)
    if actual is None:
        return True
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    return value.lower() in actual.lower()


def _no_method(method: str) -> ApiError:
    return ApiError(404, f"Method {method} is not supported on this path by the emulator.")


# --- HTTP handler --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """One connection; keep-alive HTTP/1.1 like Google's front end."""

    protocol_version = "HTTP/1.1"
    emulator: Emulator
    server_version = "ccrc-sync-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line."""

    def _read_body(self) -> tuple[bytes, Any, str | None]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return raw, None, None
        try:
            return raw, json.loads(raw.decode("utf-8")), None
        except (ValueError, UnicodeDecodeError) as err:
            return raw, None, f"Invalid JSON payload received. {err}"

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        raw_path = parts.path
        path = unquote(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        _raw, body, body_error = self._read_body()
        emu = self.emulator
        fault = emu._take_fault(self.command, path, raw_path)
        entry = RecordedRequest(self.command, path, query, body, None)
        emu._record(entry)
        if fault is not None:
            if fault.kind == "drop":
                self._drop()
                return
            if fault.kind == "slow":
                time.sleep(fault.delay)
            else:
                code = int(fault.kind)
                message, status = _FAULT_MESSAGES[code]
                entry.status = code
                self._send(code, ApiError(code, message, status).body())
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
        self._send(status, payload)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, status: int, payload: Any) -> None:
        data = b"" if payload is None else json.dumps(payload, indent=2).encode("utf-8")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        # One write for head and body: fewer packets, no Nagle stall between them.
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


# --- CLI entry -----------------------------------------------------------------------------


def serve(host: str, port: int, data: Path | None) -> int:
    """Run an emulator until SIGTERM or Ctrl-C; first line printed is ``listening on URL``."""
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
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
