"""The shared Google Sheet: the only module that talks to gspread.

Why it is shaped this way:

* Google meters requests, not cells, so every operation is one HTTP request whatever its
  size: one `values:batchGet` to read, one `values:batchUpdate` to write, one
  `:batchUpdate` for structure. Nothing here ever loops over cells with requests.
* Routing, counting and retries live in gspread's own seam, an `HTTPClient` subclass, so
  gspread keeps building Google's exact URLs and bodies. Pointing at an emulator is only
  a change of scheme and host (Google's convention for its emulators: `*_EMULATOR_HOST`),
  with anonymous credentials.
* Text typed by staff must stay text. Values are written with `USER_ENTERED` so dates
  become real dates, and any string that Sheets would parse (a formula, a number, a date,
  a boolean) is sent behind a leading apostrophe, which Sheets consumes.
* Every failure a user can meet becomes one `SheetError` sentence saying what to do.
  Credentials are only ever named by path and account email, never printed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import gspread
import requests
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from gspread.utils import a1_to_rowcol, absolute_range_name, rowcol_to_a1
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception,
    stop_before_delay,
    wait_random_exponential,
)
from urllib3.exceptions import NewConnectionError

from ccrc_sync.config import RetryConfig, SheetConfig
from ccrc_sync.errors import SheetError
from ccrc_sync.schema import LAST_UPDATED, SECTION, STATUS, TARGET_DATE, Value
from ccrc_sync.summary import ChartSpec

log = logging.getLogger(__name__)

# Only the Sheets scope: the sheet is opened by id, so Drive access is never needed.
SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/spreadsheets",)
# The origins gspread builds its URLs on; an emulator replaces them, keeping the paths.
GOOGLE_ORIGINS: tuple[str, ...] = ("https://sheets.googleapis.com", "https://www.googleapis.com")
# Dates shown and read back the same way whatever the spreadsheet's locale.
DATE_PATTERN = "yyyy-mm-dd"
EMULATOR_VAR = "SHEETS_EMULATOR_HOST"

T = TypeVar("T")


# --------------------------------------------------------------------------- values


_FORMULA_STARTS = ("=", "+", "-", "@", "'")
_ERROR_LITERAL = re.compile(
    r"#(N/A|REF!|DIV/0!|VALUE!|NAME\?|NUM!|NULL!|ERROR!|SPILL!|CALC!|GETTING_DATA)",
    re.IGNORECASE,
)
_LETTER_RUN = re.compile(r"[^\W\d_]+")
# Words that may appear in something Sheets reads as a number, date or time: month and day
# names, am/pm, exponent `e`, ISO `T`/`Z`, ordinal suffixes. Text made only of these and
# digits is quoted; quoting text that would have stayed text anyway is harmless.
_PARSEABLE_WORDS = frozenset(
    (
        "jan",
        "january",
        "feb",
        "february",
        "mar",
        "march",
        "apr",
        "april",
        "may",
        "jun",
        "june",
        "jul",
        "july",
        "aug",
        "august",
        "sep",
        "sept",
        "september",
        "oct",
        "october",
        "nov",
        "november",
        "dec",
        "december",
        "mon",
        "monday",
        "tue",
        "tues",
        "tuesday",
        "wed",
        "wednesday",
        "thu",
        "thur",
        "thurs",
        "thursday",
        "fri",
        "friday",
        "sat",
        "saturday",
        "sun",
        "sunday",
        "am",
        "pm",
        "a",
        "p",
        "e",
        "t",
        "z",
        "st",
        "nd",
        "rd",
        "th",
        "gmt",
        "utc",
    )
)


def needs_quote(text: str) -> bool:
    """Whether Sheets, reading `text` as typed (USER_ENTERED), would store something else.

    True for formulas and formula-like starts (`=`, `+`, `-`, `@`), a leading apostrophe
    (Sheets would eat it), booleans, error literals such as `#N/A`, and anything made only
    of digits, punctuation, symbols and date/number words: numbers (`0044 20...`, `1e5`,
    `12%`, `£5`, `(3)`), dates (`1/2`, `31 Mar 2027`) and times (`10:30`, `9am`).
    """
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.startswith(_FORMULA_STARTS) or text.startswith(_FORMULA_STARTS):
        return True
    if stripped.casefold() in ("true", "false") or _ERROR_LITERAL.fullmatch(stripped):
        return True
    if not any(ch.isdigit() for ch in stripped):
        return False
    return all(word.casefold() in _PARSEABLE_WORDS for word in _LETTER_RUN.findall(stripped))


def encode_cell(value: Value) -> str | int | float:
    """One cell as sent with valueInputOption USER_ENTERED.

    Text stays exactly that text (quoted with `'` when Sheets would parse it); dates go as
    ISO `YYYY-MM-DD` so Sheets stores a real date; a datetime with a time of day keeps it
    (`YYYY-MM-DD HH:MM:SS`); numbers and booleans as JSON numbers/booleans; None as "" so
    the cell is cleared. A `schema.Formula` is sent as its text (validation flags it).
    """
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else "'" + str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    # A workbook formula goes across as its text: Sheets would compute a different value,
    # which would read back as an edit and overwrite the formula in the workbook.
    text = str(value)
    return "'" + text if needs_quote(text) else text


# --------------------------------------------------------------------------- structure


@dataclass(frozen=True)
class TabInfo:
    """One tab as the metadata describes it; enough to plan writes and structure."""

    title: str
    sheet_id: int
    index: int = 0
    row_count: int = 0
    column_count: int = 0
    frozen_rows: int = 0
    chart_ids: tuple[int, ...] = ()

    @property
    def has_chart(self) -> bool:
        return bool(self.chart_ids)


class TabMap(dict[str, TabInfo]):
    """Tabs by title, found regardless of case: Google keeps tab names unique ignoring
    case, so `action plan` is the plan tab and adding `Action Plan` beside it would fail.
    Keys stay as Google spells them, which is what ranges use."""

    def __init__(self, tabs: Iterable[TabInfo] = ()) -> None:
        super().__init__()
        for tab in tabs:
            self[tab.title] = tab

    def _real(self, title: object) -> str | None:
        if super().__contains__(title):
            return str(title)
        folded = str(title).casefold()
        return next((key for key in self.keys() if key.casefold() == folded), None)

    def __getitem__(self, title: str) -> TabInfo:
        return super().__getitem__(self._real(title) or title)

    def __setitem__(self, title: str, tab: TabInfo) -> None:
        old = self._real(title)
        if old is not None and old != title:
            super().__delitem__(old)
        super().__setitem__(title, tab)

    def __contains__(self, title: object) -> bool:
        return self._real(title) is not None

    def get(self, title: str, default: TabInfo | None = None) -> TabInfo | None:  # type: ignore[override]
        real = self._real(title)
        return default if real is None else super().__getitem__(real)

    def pop(self, title: str, *default: TabInfo | None) -> TabInfo | None:  # type: ignore[override]
        return super().pop(self._real(title) or title, *default)


def add_tab_request(title: str, sheet_id: int, rows: int = 1000, cols: int = 26) -> dict:
    """An `addSheet` request with a chosen id, so later requests in the batch can use it."""
    return {
        "addSheet": {
            "properties": {
                "sheetId": sheet_id,
                "title": title,
                "gridProperties": {"rowCount": rows, "columnCount": cols},
            }
        }
    }


def _column_range(sheet_id: int, col: int, first_row: int, last_row: int | None) -> dict:
    """Rows `first_row`..`last_row` (1-based, inclusive; None = to the end) of one column."""
    grid: dict[str, int] = {
        "sheetId": sheet_id,
        "startRowIndex": first_row - 1,
        "startColumnIndex": col - 1,
        "endColumnIndex": col,
    }
    if last_row is not None:
        grid["endRowIndex"] = last_row
    return grid


def _list_validation(
    sheet_id: int, col: int, first_row: int, last_row: int | None, words: Iterable[str]
) -> dict:
    # strict=False: a value outside the list is flagged in the browser, never refused, so
    # the sync can always write what the workbook holds and report it instead.
    return {
        "setDataValidation": {
            "range": _column_range(sheet_id, col, first_row, last_row),
            "rule": {
                "condition": {
                    "type": "ONE_OF_LIST",
                    "values": [{"userEnteredValue": word} for word in words],
                },
                "strict": False,
                "showCustomUi": True,
            },
        }
    }


def _date_format(sheet_id: int, col: int, first_row: int, last_row: int | None, pattern: str):
    return {
        "repeatCell": {
            "range": _column_range(sheet_id, col, first_row, last_row),
            "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": pattern}}},
            "fields": "userEnteredFormat.numberFormat",
        }
    }


def plan_format_requests(
    sheet_id: int,
    columns: Mapping[str, int],
    statuses: Iterable[str],
    sections: Iterable[str],
    header_row: int = 1,
    *,
    last_row: int | None = None,
    date_pattern: str = DATE_PATTERN,
) -> list[dict]:
    """The plan tab's furniture: frozen, bold header; drop-downs; date columns as dates.

    `columns` maps field labels to 1-based columns (as `PlanTable.columns`); fields that
    are absent get no rule. Rules cover the rows below the header to `last_row`, or to the
    end of the tab when None, so rows staff add later get them too.
    """
    requests_: list[dict] = [
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": sheet_id,
                    "gridProperties": {"frozenRowCount": header_row},
                },
                "fields": "gridProperties.frozenRowCount",
            }
        }
    ]
    header: dict[str, int] = {
        "sheetId": sheet_id,
        "startRowIndex": header_row - 1,
        "endRowIndex": header_row,
    }
    if columns:
        header["startColumnIndex"] = min(columns.values()) - 1
        header["endColumnIndex"] = max(columns.values())
    requests_.append(
        {
            "repeatCell": {
                "range": header,
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                "fields": "userEnteredFormat.textFormat.bold",
            }
        }
    )
    first = header_row + 1
    for label, words in ((STATUS, statuses), (SECTION, sections)):
        if label in columns:
            requests_.append(_list_validation(sheet_id, columns[label], first, last_row, words))
    for label in (TARGET_DATE, LAST_UPDATED):
        if label in columns:
            requests_.append(_date_format(sheet_id, columns[label], first, last_row, date_pattern))
    return requests_


def expand_requests(sheet_id: int, rows: int = 0, cols: int = 0) -> list[dict]:
    """`appendDimension` requests adding `rows` rows and `cols` columns to a tab.

    Google refuses a values write past the grid ("exceeds grid limits"), so a write that
    would pass it is preceded by these, in the same structural batch. One request per
    dimension, as Google's Request holds exactly one kind; none when both are 0.
    """
    return [
        {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}
        for dimension, length in (("ROWS", rows), ("COLUMNS", cols))
        if length > 0
    ]


def expand_request(sheet_id: int, rows: int, cols: int = 0) -> dict:
    """One `appendDimension` adding `rows` rows, or `cols` columns when `rows` is 0.

    For both at once use `expand_requests` (a Google Request carries one kind only).
    """
    found = expand_requests(sheet_id, rows, cols)
    if len(found) != 1:
        raise ValueError("expand_request grows one dimension; use expand_requests for both")
    return found[0]


def chart_request(sheet_id: int, spec: ChartSpec) -> dict:
    """An `addChart`: stacked columns, one per status, over the sections (categories).

    The ranges start at the header row so each series takes its name from the header.
    """

    def source(col: int) -> dict:
        return {
            "sourceRange": {
                "sources": [
                    {
                        "sheetId": sheet_id,
                        "startRowIndex": spec.header_row - 1,
                        "endRowIndex": spec.last_row,
                        "startColumnIndex": col - 1,
                        "endColumnIndex": col,
                    }
                ]
            }
        }

    anchor_row, anchor_col = a1_to_rowcol(spec.anchor)
    return {
        "addChart": {
            "chart": {
                "spec": {
                    "title": spec.title,
                    "basicChart": {
                        "chartType": "COLUMN",
                        "legendPosition": "BOTTOM_LEGEND",
                        "stackedType": "STACKED",
                        "headerCount": 1,
                        "axis": [
                            {"position": "BOTTOM_AXIS", "title": getattr(spec, "x_title", "")},
                            {"position": "LEFT_AXIS", "title": getattr(spec, "y_title", "")},
                        ],
                        "domains": [{"domain": source(spec.category_col)}],
                        "series": [
                            {"series": source(col), "targetAxis": "LEFT_AXIS"}
                            for col in spec.series_cols
                        ],
                    },
                },
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": anchor_row - 1,
                            "columnIndex": anchor_col - 1,
                        }
                    }
                },
            }
        }
    }


def tabs_from_metadata(metadata: Mapping[str, Any]) -> TabMap:
    """Title -> TabInfo from a `spreadsheets.get` reply."""
    tabs = TabMap()
    for sheet in metadata.get("sheets", []):
        props = sheet.get("properties", {})
        grid = props.get("gridProperties", {})
        tabs[props.get("title", "")] = TabInfo(
            title=props.get("title", ""),
            sheet_id=int(props.get("sheetId", 0)),
            index=int(props.get("index", 0)),
            row_count=int(grid.get("rowCount", 0)),
            column_count=int(grid.get("columnCount", 0)),
            frozen_rows=int(grid.get("frozenRowCount", 0)),
            chart_ids=tuple(int(c["chartId"]) for c in sheet.get("charts", []) if "chartId" in c),
        )
    return tabs


# --------------------------------------------------------------------------- HTTP seam


def is_transient(exc: BaseException) -> bool:
    """Worth trying again: rate limits, server errors, dropped or timed-out connections."""
    if isinstance(exc, APIError):
        status = exc.response.status_code
        if status in (408, 429) or status >= 500:
            return True
        reasons = {e.get("reason") for e in exc.error.get("errors", []) if isinstance(e, dict)}
        return status == 403 and bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded"})
    return isinstance(
        exc,
        requests.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | requests.Timeout
        | auth_exceptions.TransportError,
    )


def _causes(exc: BaseException | None) -> list[BaseException]:
    """The exception and what it wraps (requests hides urllib3's reason in args/reason)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])
    return seen


def _refused(exc: BaseException | None) -> bool:
    """Whether nothing was listening (as opposed to a connection that dropped)."""
    return any(isinstance(e, ConnectionRefusedError) for e in _causes(exc)) or any(
        "refused" in str(e).casefold() for e in _causes(exc) if isinstance(e, OSError)
    )


def _unreachable(exc: BaseException | None) -> bool:
    """Whether no connection could be made at all (name lookup, refused, unreachable)."""
    return any(isinstance(e, NewConnectionError) for e in _causes(exc)) or _refused(exc)


def _answer_lost(exc: BaseException) -> bool:
    """Whether the request may have been sent and acted on although no answer came back."""
    if isinstance(exc, requests.ConnectTimeout) or _unreachable(exc):
        return False
    lost = requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
    return isinstance(exc, lost)


def _describe(exc: BaseException | None) -> str:
    """A few words for the last failure, for the give-up sentence."""
    if isinstance(exc, APIError):
        reason = exc.response.reason or exc.error.get("status", "")
        return f"{exc.response.status_code} {reason}".strip()
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if _refused(exc):
        return "connection refused"
    if _unreachable(exc):
        return "could not connect"
    if isinstance(exc, requests.RequestException | auth_exceptions.TransportError):
        return "connection dropped"
    return type(exc).__name__


def _seconds(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP seam: routes to an emulator, counts requests, retries transient errors.

    gspread constructs it as `http_client(auth, session)`; `configure` sets the rest.
    """

    def __init__(self, auth: Credentials, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.origin: str | None = None  # e.g. http://127.0.0.1:8085 for an emulator
        self.retry = RetryConfig()
        self.calls = 0
        # Whether the last logical request had an attempt that may have reached Google
        # without its answer reaching us (a read timeout or a connection dropped mid-way).
        self.maybe_applied = False
        self.sleep: Callable[[float], None] = time.sleep

    def configure(self, origin: str | None, retry: RetryConfig) -> None:
        self.origin = origin
        self.retry = retry
        self.set_timeout(retry.timeout)

    def route(self, url: str) -> str:
        """Google's URL, or the same path on the emulator."""
        if self.origin:
            for google in GOOGLE_ORIGINS:
                if url.startswith(google):
                    return self.origin + url[len(google) :]
        return url

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        """One logical request: sent, and sent again after transient failures, with
        exponential backoff and full jitter, for at most `retry.max_seconds` in total."""
        url = self.route(endpoint)
        started = time.monotonic()
        self.maybe_applied = False
        attempts = 0

        def attempt() -> requests.Response:
            nonlocal attempts
            attempts += 1
            self.calls += 1
            remaining = self.retry.max_seconds - (time.monotonic() - started)
            self.timeout = min(self.retry.timeout, max(remaining, 1.0))
            log.debug("Sheets API %s %s (attempt %d)", method.upper(), url, attempts)
            try:
                return HTTPClient.request(self, method, url, *args, **kwargs)
            except (requests.RequestException, auth_exceptions.TransportError) as exc:
                self.maybe_applied |= _answer_lost(exc)
                raise

        retrying = Retrying(
            stop=stop_before_delay(self.retry.max_seconds),
            wait=wait_random_exponential(
                multiplier=self.retry.initial_delay, max=self.retry.max_delay
            ),
            retry=retry_if_exception(is_transient),
            before_sleep=_log_retry,
            sleep=self.sleep,
        )
        try:
            return retrying(attempt)
        except RetryError as gave_up:
            last = gave_up.last_attempt.exception()
            raise self._give_up(last, attempts, time.monotonic() - started) from None

    def _give_up(self, last: BaseException | None, attempts: int, seconds: float) -> SheetError:
        code = last.response.status_code if isinstance(last, APIError) else None
        if self.origin and _unreachable(last):
            host = self.origin.split("://", 1)[-1]
            port = host.rsplit(":", 1)[-1] if ":" in host else "PORT"
            return SheetError(
                f"No Sheets API emulator is answering at {host} ({EMULATOR_VAR} or "
                f"`emulator_host` under [sheet]); start one with `ccrc-sync emulator --port "
                f"{port}`, or unset {EMULATOR_VAR} to use the real Google Sheet."
            )
        host = self.origin.split("://", 1)[-1] if self.origin else ""
        who = f"The Sheets API emulator at {host}" if self.origin else "The Google Sheet"
        return SheetError(
            f"{who} did not answer after {attempts} attempt{'s' if attempts != 1 else ''} "
            f"over {_seconds(seconds)} seconds (last: {_describe(last)}). Nothing was "
            "changed on this run; it will be tried again on the next.",
            code=code,
        )


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    last = outcome.exception() if outcome is not None else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("Google Sheets: %s; trying again in %.1f s", _describe(last), wait)


# --------------------------------------------------------------------------- credentials


def emulator_origin(host: str) -> str:
    """`host:port` (or a full http URL) as the origin gspread's requests are sent to."""
    text = host.strip().rstrip("/")
    if not re.fullmatch(r"(https?://)?(\[[0-9A-Fa-f:.]+\]|[^/\s:\[\]]+)(:\d{1,5})?", text):
        raise SheetError(
            f"{EMULATOR_VAR} must be host:port, such as 127.0.0.1:8085; it is {host!r}."
        )
    return text if "://" in text else f"http://{text}"


def load_credentials(path: Path | None) -> service_account.Credentials:
    """Service-account credentials from a JSON key file, with a sentence for each way it
    can be wrong. The file's contents never appear in a message."""
    if path is None:
        raise SheetError(
            "No Google service-account key is configured: set `credentials` under [sheet] "
            "in the config, or GOOGLE_APPLICATION_CREDENTIALS, to the path of the JSON key "
            f"file (or set {EMULATOR_VAR} to use a local emulator)."
        )
    path = path.expanduser()
    download = "download a new JSON key for the service account from the Google Cloud console"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SheetError(
            f"The service-account key file {path} does not exist; check "
            "GOOGLE_APPLICATION_CREDENTIALS or `credentials` under [sheet] in the config."
        ) from None
    except UnicodeDecodeError:
        raise SheetError(
            f"The file {path} is not a service-account JSON key (it is not text); {download}."
        ) from None
    except OSError as exc:
        raise SheetError(
            f"The service-account key file {path} could not be read ({exc.strerror or exc})."
        ) from None
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise SheetError(
            f"The file {path} is not a service-account JSON key (it is not valid JSON); {download}."
        )
    if info.get("type") != "service_account":
        kind = info.get("type")
        what = f"its type is {kind!r}" if isinstance(kind, str) else "it has no type"
        raise SheetError(
            f"The file {path} is not a service-account JSON key ({what}, not "
            f"'service_account'); {download}."
        )
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if missing:
        raise SheetError(
            f"The service-account key file {path} is incomplete (no {', '.join(missing)}); "
            f"{download}."
        )
    try:
        return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, TypeError, KeyError):
        raise SheetError(
            f"The private key in the service-account key file {path} could not be read; {download}."
        ) from None


# --------------------------------------------------------------------------- the sheet


Block = tuple[str, int, int, list[list[Value]]]


class GoogleSheet:
    """One spreadsheet, opened by id. Each public method sends at most one request."""

    def __init__(
        self,
        http: SheetsHTTPClient,
        spreadsheet_id: str,
        *,
        account: str | None = None,
        emulator: str | None = None,
    ) -> None:
        self._http = http
        self.spreadsheet_id = spreadsheet_id
        self.account = account  # the service account's email; None on an emulator
        self.emulator = emulator  # host:port when talking to an emulator
        self.title = ""
        self.locale = ""
        self.tabs = TabMap()

    @classmethod
    def connect(cls, cfg: SheetConfig) -> GoogleSheet:
        """Credentials (or the emulator), then one metadata GET for the configured id."""
        if not cfg.spreadsheet_id.strip():
            raise SheetError(
                "No Google Sheet is configured: set `spreadsheet_id` under [sheet] in the "
                "config, or CCRC_SYNC_SPREADSHEET_ID, to the id in the sheet's web address."
            )
        origin: str | None = None
        account: str | None = None
        creds: Credentials
        if cfg.emulator_host:
            origin = emulator_origin(cfg.emulator_host)
            creds = AnonymousCredentials()
        else:
            sa = load_credentials(cfg.credentials)
            account = sa.service_account_email
            creds = sa
        client = gspread.Client(auth=creds, http_client=SheetsHTTPClient)
        http = client.http_client
        assert isinstance(http, SheetsHTTPClient)
        http.configure(origin, cfg.retry)
        emulator = origin.split("://", 1)[-1] if origin else None
        sheet = cls(http, cfg.spreadsheet_id.strip(), account=account, emulator=emulator)
        sheet.refresh()
        return sheet

    @property
    def api_calls(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._http.calls

    # ---------------------------------------------------------------- metadata

    def refresh(self) -> None:
        """Re-read the spreadsheet's metadata (one GET): title, locale, tabs."""
        metadata = self._call("open", lambda: self._http.fetch_sheet_metadata(self.spreadsheet_id))
        props = metadata.get("properties", {})
        self.title = props.get("title", "")
        self.locale = props.get("locale", "")
        self.tabs = tabs_from_metadata(metadata)

    def new_sheet_id(self) -> int:
        """A sheet id no tab uses yet, for `add_tab_request`."""
        return max((tab.sheet_id for tab in self.tabs.values()), default=0) + 1

    # ---------------------------------------------------------------- values

    def read(self, titles: Sequence[str]) -> dict[str, list[list[str | int | float]]]:
        """The formatted values of whole tabs, in one `values:batchGet`.

        Tabs that do not exist are absent from the result; rows come as Google returns
        them (trailing empty cells and rows trimmed).
        """
        present = [t for t in dict.fromkeys(titles) if t in self.tabs]
        if not present:
            return {}
        ranges = [absolute_range_name(self.tabs[title].title) for title in present]
        # Numbers as numbers (a displayed `1.23E+18` would lose digits), dates and times as
        # the text the sheet shows (a date typed in a Notes cell must not become 46477).
        params: dict[str, Any] = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "FORMATTED_STRING",
            "majorDimension": "ROWS",
        }
        reply = self._call(
            "read",
            lambda: self._http.values_batch_get(self.spreadsheet_id, ranges, params=params),
        )
        value_ranges = reply.get("valueRanges", [])
        return {
            title: [[_cell(cell) for cell in row] for row in vr.get("values", [])]
            for title, vr in zip(present, value_ranges, strict=False)
        }

    def write(self, blocks: Sequence[Block]) -> int:
        """Write rectangles of cells in one `values:batchUpdate`; returns cells updated.

        Each block is (tab title, first row, first column (1-based), grid). None clears a
        cell; cells outside a short row are left alone. The tabs must exist and be big
        enough (see `expansion_requests`).
        """
        data = []
        for title, row, col, grid in blocks:
            width = max((len(r) for r in grid), default=0)
            if width == 0:
                continue
            if title not in self.tabs:
                raise SheetError(
                    f"The tab {title!r} does not exist in the Google Sheet, so it cannot be "
                    "written; it has to be created first."
                )
            a1 = f"{rowcol_to_a1(row, col)}:{rowcol_to_a1(row + len(grid) - 1, col + width - 1)}"
            data.append(
                {
                    "range": absolute_range_name(self.tabs[title].title, a1),
                    "majorDimension": "ROWS",
                    "values": [[encode_cell(v) for v in r] for r in grid],
                }
            )
        if not data:
            return 0
        body = {"valueInputOption": "USER_ENTERED", "data": data}
        reply = self._call(
            "write", lambda: self._http.values_batch_update(self.spreadsheet_id, body=body)
        )
        return int(reply.get("totalUpdatedCells", 0))

    def expansion_requests(self, blocks: Sequence[Block]) -> list[dict]:
        """`appendDimension` requests so every block fits its (existing) tab."""
        need: dict[str, tuple[int, int]] = {}
        for title, row, col, grid in blocks:
            width = max((len(r) for r in grid), default=0)
            if not width:
                continue
            rows, cols = need.get(title, (0, 0))
            need[title] = (max(rows, row + len(grid) - 1), max(cols, col + width - 1))
        out: list[dict] = []
        for title, (rows, cols) in need.items():
            tab = self.tabs.get(title)
            if tab is not None:
                out += expand_requests(
                    tab.sheet_id, max(0, rows - tab.row_count), max(0, cols - tab.column_count)
                )
        return out

    # ---------------------------------------------------------------- structure

    def update_structure(self, requests_: list[dict]) -> dict:
        """Apply structural requests in one `:batchUpdate` (atomic on Google's side) and
        keep `tabs` in step from the requests and replies, without another GET.

        A retry after an attempt whose answer was lost can meet its own earlier success
        ("a sheet with this name already exists"); then the metadata is re-read, and when
        it shows the batch applied, that is the outcome rather than an error.
        """
        if not requests_:
            return {}
        body = {"requests": list(requests_)}
        try:
            reply = self._call(
                "change the layout of", lambda: self._http.batch_update(self.spreadsheet_id, body)
            )
        except SheetError as exc:
            if exc.code == 400 and self._http.maybe_applied and self._already_applied(requests_):
                log.warning("Google Sheets: the layout change was applied by an earlier attempt")
                return {"spreadsheetId": self.spreadsheet_id, "replies": []}
            raise
        for request, answer in zip(requests_, reply.get("replies", []), strict=False):
            self._track(request, answer or {})
        return reply

    def _already_applied(self, requests_: Sequence[Mapping[str, Any]]) -> bool:
        """Re-read the metadata; True when the batch's visible effects are all there."""
        added = [r["addSheet"].get("properties", {}) for r in requests_ if "addSheet" in r]
        deleted = [r["deleteSheet"].get("sheetId") for r in requests_ if "deleteSheet" in r]
        if not added and not deleted:
            return False
        self.refresh()
        ids = {tab.sheet_id for tab in self.tabs.values()}
        return all(p.get("title") in self.tabs for p in added) and not ids & set(deleted)

    def _track(self, request: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        by_id = {tab.sheet_id: tab for tab in self.tabs.values()}

        def put(tab: TabInfo, old: TabInfo | None = None) -> None:
            if old is not None:
                self.tabs.pop(old.title, None)
            self.tabs[tab.title] = tab

        if "addSheet" in request:
            props = answer.get("addSheet", {}).get("properties") or request["addSheet"].get(
                "properties", {}
            )
            put(next(iter(tabs_from_metadata({"sheets": [{"properties": props}]}).values())))
        elif "deleteSheet" in request:
            tab = by_id.get(request["deleteSheet"].get("sheetId"))
            if tab:
                self.tabs.pop(tab.title, None)
        elif "appendDimension" in request:
            req = request["appendDimension"]
            tab = by_id.get(req.get("sheetId"))
            if tab:
                put(_grown(tab, req.get("dimension"), int(req.get("length", 0))), tab)
        elif "insertDimension" in request or "deleteDimension" in request:
            sign = 1 if "insertDimension" in request else -1
            rng = (request.get("insertDimension") or request.get("deleteDimension") or {})["range"]
            tab = by_id.get(rng.get("sheetId"))
            if tab:
                length = int(rng.get("endIndex", 0)) - int(rng.get("startIndex", 0))
                put(_grown(tab, rng.get("dimension"), sign * length), tab)
        elif "updateSheetProperties" in request:
            self._track_properties(request["updateSheetProperties"], by_id)
        elif "addChart" in request:
            chart = answer.get("addChart", {}).get("chart", {})
            anchor = chart.get("position", {}).get("overlayPosition", {}).get(
                "anchorCell"
            ) or request["addChart"]["chart"].get("position", {}).get("overlayPosition", {}).get(
                "anchorCell", {}
            )
            tab = by_id.get(anchor.get("sheetId"))
            if tab and "chartId" in chart:
                put(replace(tab, chart_ids=(*tab.chart_ids, int(chart["chartId"]))), tab)
        elif "deleteEmbeddedObject" in request:
            gone = request["deleteEmbeddedObject"].get("objectId")
            for tab in list(self.tabs.values()):
                if gone in tab.chart_ids:
                    put(replace(tab, chart_ids=tuple(c for c in tab.chart_ids if c != gone)), tab)

    def _track_properties(self, req: Mapping[str, Any], by_id: Mapping[int, TabInfo]) -> None:
        props = req.get("properties", {})
        tab = by_id.get(props.get("sheetId"))
        if tab is None:
            return
        fields = {f.strip() for f in str(req.get("fields", "")).split(",")}
        grid = props.get("gridProperties", {})
        new = tab
        if "title" in fields or "*" in fields:
            new = replace(new, title=props.get("title", new.title))
        for field, attr in (
            ("frozenRowCount", "frozen_rows"),
            ("rowCount", "row_count"),
            ("columnCount", "column_count"),
        ):
            if f"gridProperties.{field}" in fields or "gridProperties" in fields or "*" in fields:
                new = replace(new, **{attr: int(grid.get(field, getattr(new, attr)))})
        self.tabs.pop(tab.title, None)
        self.tabs[new.title] = new

    # ---------------------------------------------------------------- errors

    def _call(self, action: str, send: Callable[[], T]) -> T:
        """Send one request and turn what Google says into a sentence."""
        try:
            return send()
        except APIError as exc:
            raise self._explain(action, exc) from None
        except auth_exceptions.RefreshError:
            raise SheetError(
                f"Google did not accept the key of the service account {self.account} (it "
                "may have been deleted or disabled, or this computer's clock may be wrong); "
                "download a new JSON key for it from the Google Cloud console."
            ) from None
        except auth_exceptions.GoogleAuthError as exc:
            raise SheetError(
                f"Signing in to Google as {self.account} failed ({type(exc).__name__})."
            ) from None

    def _explain(self, action: str, exc: APIError) -> SheetError:
        status = exc.response.status_code
        message = str(exc.error.get("message", "")).strip().rstrip(".")
        sid = self.spreadsheet_id
        if self.emulator and status in (403, 404) and action == "open":
            return SheetError(
                f"The spreadsheet {sid} was not found on the Sheets API emulator at "
                f"{self.emulator} ({EMULATOR_VAR}); check `spreadsheet_id` in the config.",
                code=status,
            )
        if status in (403, 404) and action == "open":
            return SheetError(
                f"The Google Sheet {sid} could not be opened by {self.account}. Share the "
                f"sheet with {self.account} as an Editor, then run again.",
                code=status,
            )
        if status == 403 and not self.emulator:
            return SheetError(
                f"The service account {self.account} may not {action} the Google Sheet {sid}. "
                f"Share the sheet with {self.account} as an Editor, then run again.",
                code=status,
            )
        if status == 401 and not self.emulator:
            return SheetError(
                f"Google did not accept the credentials of the service account {self.account} "
                "(401); download a new JSON key for it from the Google Cloud console.",
                code=status,
            )
        where = f"the emulator at {self.emulator}" if self.emulator else "Google"
        return SheetError(
            f"Could not {action} the Google Sheet {sid}: {where} answered {status}"
            f"{': ' + message if message else ''}.",
            code=status,
        )


def _grown(tab: TabInfo, dimension: Any, length: int) -> TabInfo:
    if dimension == "COLUMNS":
        return replace(tab, column_count=max(0, tab.column_count + length))
    return replace(tab, row_count=max(0, tab.row_count + length))


def _cell(cell: Any) -> str | int | float:
    """A cell as read: text, or a number (a whole float as an int, so 15.0 reads as 15).
    Booleans read as the TRUE/FALSE the sheet shows; there is no boolean in the plan."""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 2**53:
        return int(cell)
    if isinstance(cell, int | float | str):
        return cell
    return "" if cell is None else str(cell)
