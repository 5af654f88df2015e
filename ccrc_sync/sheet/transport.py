"""The HTTP seam under gspread: routing to an emulator, counting requests, retrying.

Why it is shaped this way:

* Google meters requests, so every request is counted here, retries included; the run's
  budget (1 request idle, 2 with changes, 3 with structure) is checked against `calls`.
* Routing, counting and retries live in gspread's own seam, an `HTTPClient` subclass, so
  gspread keeps building Google's exact URLs and bodies, and the endpoints gspread lacks
  (data filters) go through the same `request` and get the same treatment. Pointing at an
  emulator is only a change of scheme and host (Google's convention for its emulators:
  `*_EMULATOR_HOST`), with anonymous credentials.
* Transient failures (rate limits, 5xx, dropped or timed-out connections) are retried
  with exponential backoff and full jitter, bounded in total time; `maybe_applied` says
  whether an attempt may have reached Google although its answer was lost, so a caller
  can tell "refused" from "already done by an earlier attempt".
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import requests
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception,
    stop_before_delay,
    wait_random_exponential,
)
from urllib3.exceptions import NewConnectionError

from ccrc_sync.config import RetryConfig
from ccrc_sync.errors import SheetError

log = logging.getLogger(__name__)

# The origins gspread builds its URLs on; an emulator replaces them, keeping the paths.
GOOGLE_ORIGINS: tuple[str, ...] = ("https://sheets.googleapis.com", "https://www.googleapis.com")
SPREADSHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
EMULATOR_VAR = "SHEETS_EMULATOR_HOST"


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
    todo: list[object] = [exc]
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


def describe(exc: BaseException | None) -> str:
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

    def request(
        self,
        method: str,
        endpoint: str,
        params: MutableMapping[str, Any] | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
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
                return HTTPClient.request(self, method, url, params, data, json, files, headers)
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

    def post_json(self, url: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a JSON body to one of Google's URLs; the answer's JSON."""
        answer: dict[str, Any] = self.request("post", url, json=body).json()
        return answer

    def get_json(self, url: str, params: MutableMapping[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.request("get", url, params=params).json()
        return answer

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
            f"over {_seconds(seconds)} seconds (last: {describe(last)}). Nothing was "
            "changed on this run; it will be tried again on the next.",
            code=code,
        )


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    last = outcome.exception() if outcome is not None else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("Google Sheets: %s; trying again in %.1f s", describe(last), wait)


def emulator_origin(host: str) -> str:
    """`host:port` (or a full http URL) as the origin gspread's requests are sent to."""
    text = host.strip().rstrip("/")
    if not re.fullmatch(r"(https?://)?(\[[0-9A-Fa-f:.]+\]|[^/\s:\[\]]+)(:\d{1,5})?", text):
        raise SheetError(
            f"{EMULATOR_VAR} must be host:port, such as 127.0.0.1:8085; it is {host!r}."
        )
    return text if "://" in text else f"http://{text}"
