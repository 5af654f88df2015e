"""`GoogleSheet`: one spreadsheet, read in one request and written in at most two.

Why it is shaped this way:

* `connect` sends nothing (credentials, or the emulator); `read` is one `spreadsheets.get`;
  `apply` is at most one structural `:batchUpdate` and one
  `values:batchUpdateByDataFilter`, and nothing at all when there is nothing to write.
  Planning is done by `writes` from the snapshot; this module only sends and checks.
* Every failure a user can meet becomes one `SheetError` sentence saying what to do:
  Google's answers, a refused value (naming the cell and the value), a row that moved or
  vanished while the run was writing. A refused or unchecked write raises, so the run
  never records as agreed something that may not have landed.
* A retry whose first attempt was applied but whose answer was lost can meet its own
  success ("a sheet with this name already exists", "duplicate id"): then a narrow read
  checks whether the batch's effects are all there, and if so that is the outcome.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import gspread
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from gspread.exceptions import APIError
from gspread.utils import absolute_range_name

from ccrc_sync.config import PlanConfig, SheetConfig
from ccrc_sync.errors import SheetError
from ccrc_sync.schema import column_letter, rec_no_of
from ccrc_sync.sheet.cells import decode_plan_row
from ccrc_sync.sheet.credentials import find_credentials
from ccrc_sync.sheet.explain import explain, not_accepted, refusal
from ccrc_sync.sheet.read import FIELDS, SheetSnapshot
from ccrc_sync.sheet.transport import SPREADSHEETS, SheetsHTTPClient, emulator_origin
from ccrc_sync.sheet.writes import Planned, plan_apply
from ccrc_sync.writes import SheetWrites

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ApplyResult:
    """What an apply tells the run: sentences for its notes, and for each conflict mark
    set, the token a later `SheetUnmark` carries to restore the cell exactly."""

    notes: list[str] = field(default_factory=list)
    tokens: dict[tuple[str, int], str] = field(default_factory=dict)


class GoogleSheet:
    """One spreadsheet, opened by id. `read` is one request; `apply` at most two."""

    def __init__(
        self,
        http: SheetsHTTPClient,
        spreadsheet_id: str,
        *,
        who: str | None = None,
        emulator: str | None = None,
        key_file: bool = False,
    ) -> None:
        self._http = http
        self.spreadsheet_id = spreadsheet_id
        self.who = who  # the identity's email or a phrase; None on an emulator
        self.emulator = emulator  # host:port when talking to an emulator
        self._key_file = key_file

    @classmethod
    def connect(cls, cfg: SheetConfig) -> GoogleSheet:
        """Credentials (or the emulator) for the configured id; sends no request."""
        if not cfg.spreadsheet_id.strip():
            raise SheetError(
                "No Google Sheet is configured: set `spreadsheet_id` under [sheet] in the "
                "config, or CCRC_SYNC_SPREADSHEET_ID, to the id in the sheet's web address."
            )
        if cfg.emulator_host:
            origin: str | None = emulator_origin(cfg.emulator_host)
            anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
            client = gspread.Client(auth=anonymous, http_client=SheetsHTTPClient)
            who, key_file = None, False
        else:
            origin = None
            identity = find_credentials(cfg.credentials)
            client = gspread.Client(auth=identity.credentials, http_client=SheetsHTTPClient)
            who, key_file = identity.who, identity.key_file is not None
        http = client.http_client
        assert isinstance(http, SheetsHTTPClient)
        http.configure(origin, cfg.retry)
        emulator = origin.split("://", 1)[-1] if origin else None
        return cls(http, cfg.spreadsheet_id.strip(), who=who, emulator=emulator, key_file=key_file)

    @property
    def api_calls(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._http.calls

    @property
    def url(self) -> str:
        return f"{SPREADSHEETS}/{self.spreadsheet_id}"

    # ---------------------------------------------------------------- reading

    def read(self, plan_title: str) -> SheetSnapshot:
        """The whole spreadsheet in one `spreadsheets.get` (see `read.FIELDS`)."""
        params = {"fields": FIELDS, "includeGridData": "true", "prettyPrint": "false"}
        reply = self._call("open", lambda: self._http.get_json(self.url, params))
        return SheetSnapshot(reply, plan_title)

    # ---------------------------------------------------------------- writing

    def apply(
        self, snap: SheetSnapshot, writes: SheetWrites, *, plan: PlanConfig, strict_dropdowns: bool
    ) -> ApplyResult:
        """Send a run's writes: structure first (one atomic batch), then every value in one
        request addressed by row tags and ranges. Nothing is sent when nothing changes."""
        planned = plan_apply(snap, writes, plan, strict=strict_dropdowns)
        if planned.structure:
            self._structure(planned)
        if planned.data:
            self._values(planned, snap, plan)
        return ApplyResult(planned.notes, planned.tokens)

    def _structure(self, planned: Planned) -> None:
        body: dict[str, Any] = {"requests": planned.structure}
        check = self._check_range(planned)
        if check is not None:
            body |= {
                "includeSpreadsheetInResponse": True,
                "responseIncludeGridData": True,
                "responseRanges": [check],
            }
        try:
            reply = self._batch(body)
        except SheetError as exc:
            if exc.code != 400:
                raise
            if self._http.maybe_applied:
                shown = self._applied_view(planned, check)
                if shown is not None:
                    log.warning(
                        "Google Sheets: the layout change was applied by an earlier attempt"
                    )
                    self._check_retagged(planned, shown)
                    return
            keep = [
                r
                for r, essential in zip(planned.structure, planned.essential, strict=True)
                if essential
            ]
            if len(keep) == len(planned.structure):
                raise
            # The batch is atomic, so none of it applied: formats, drop-downs, the chart and
            # marks are furniture; without them the data still goes across.
            reply = self._batch({**body, "requests": keep})
            planned.tokens.clear()
            planned.notes.append(
                f"The Google Sheet refused the formats, drop-downs, chart or conflict marks "
                f"({exc}); the data was synced without them."
            )
        self._check_retagged(planned, reply.get("updatedSpreadsheet"))

    def _batch(self, body: Mapping[str, Any]) -> dict[str, Any]:
        url = f"{self.url}:batchUpdate"
        return self._call("change the layout of", lambda: self._http.post_json(url, body))

    def _check_range(self, planned: Planned) -> str | None:
        """The Rec No. cells of the rows this batch tags, to check none moved meanwhile."""
        if not planned.retagged or planned.rec_col is None:
            return None
        letter = column_letter(planned.rec_col)
        last = max(planned.retagged.values())
        return absolute_range_name(planned.plan_title, f"{letter}1:{letter}{last}")

    def _check_retagged(self, planned: Planned, shown: Mapping[str, Any] | None) -> None:
        """Each row tagged in this batch must still hold its Rec No.: a sort between the
        read and the batch would have put the tag on another recommendation's row."""
        if not planned.retagged or shown is None:
            return
        title = planned.plan_title.casefold()
        sheet = next(
            (
                s
                for s in shown.get("sheets", [])
                if str(s.get("properties", {}).get("title", "")).casefold() == title
            ),
            None,
        )
        data = ((sheet or {}).get("data") or [{}])[0]
        rows = [row.get("values", []) for row in data.get("rowData", [])]
        start = int(data.get("startRow", 0))
        moved = []
        for rec, row in planned.retagged.items():
            line = rows[row - 1 - start] if 0 <= row - 1 - start < len(rows) else []
            value = decode_plan_row(line[:1], frozenset())[0] if line else None
            if rec_no_of(value) != rec:
                moved.append(rec)
        if moved:
            raise SheetError(
                f"The rows of the Google Sheet's {planned.plan_title} tab moved while this run "
                "was writing (sorted, or rows added or removed), so no cell was written; the "
                "next run will write them."
            )

    def _applied_view(self, planned: Planned, check: str | None) -> dict[str, Any] | None:
        """Re-read what the batch would have changed; the view when all of it is there."""
        params: dict[str, Any] = {
            "fields": (
                "developerMetadata/metadataId,sheets(properties(sheetId,title),"
                "developerMetadata/metadataId,data(startRow,rowMetadata/developerMetadata/"
                "metadataId,rowData/values(userEnteredValue,formattedValue)))"
            ),
            "includeGridData": "true",
        }
        if check is not None:
            params["ranges"] = [check]
        shown = self._call("open", lambda: self._http.get_json(self.url, params))
        titles = {str(s.get("properties", {}).get("title", "")) for s in shown.get("sheets", [])}
        ids = {int(s.get("properties", {}).get("sheetId", -1)) for s in shown.get("sheets", [])}
        present = set(_metadata_ids(shown))
        for request in planned.structure:
            if "addSheet" in request and request["addSheet"]["properties"]["title"] not in titles:
                return None
            if "deleteSheet" in request and request["deleteSheet"]["sheetId"] in ids:
                return None
            if "createDeveloperMetadata" in request:
                entry = request["createDeveloperMetadata"]["developerMetadata"]
                in_view = check is None or "dimensionRange" not in entry["location"]
                if in_view and entry["metadataId"] not in present:
                    return None
        if not any("addSheet" in r or "createDeveloperMetadata" in r for r in planned.structure):
            return None
        return shown

    def _values(self, planned: Planned, snap: SheetSnapshot, plan: PlanConfig) -> None:
        body = {"valueInputOption": "USER_ENTERED", "data": planned.data}
        url = f"{self.url}/values:batchUpdateByDataFilter"
        reply = self._call(
            "write",
            lambda: self._http.post_json(url, body),
            refused=lambda exc: refusal(exc, planned, snap, plan),
        )
        # A filter that matched no row has no response; one that matched several rows has
        # one response for each (Google applies the values to every range a filter matches).
        landed: Counter[str] = Counter()
        for response in reply.get("responses", []):
            lookup = (response.get("dataFilter") or {}).get("developerMetadataLookup") or {}
            value = lookup.get("metadataValue")
            if isinstance(value, str) and response.get("updatedRange"):
                landed[value] += 1
        for value in sorted(v for v, n in landed.items() if n > 1):
            planned.notes.append(
                f"Rec No. {value}'s changes were written to {landed[value]} rows of the Google "
                "Sheet (rows were copied while this run was writing); check the rows with that "
                "Rec No."
            )
        lost = sorted(set(planned.cells) - set(landed))
        if lost:
            raise SheetError(
                f"The row of Rec No. {', '.join(lost)} was not found in the Google Sheet when "
                "its changes were written (it was deleted while this run was writing?); the "
                "other changes were written, and the next run carries the rest."
            )

    # ---------------------------------------------------------------- errors

    def _explain(self, action: str, exc: APIError) -> SheetError:
        return explain(
            action,
            exc,
            sid=self.spreadsheet_id,
            who=self.who,
            emulator=self.emulator,
            key_file=self._key_file,
        )

    def _call(
        self,
        action: str,
        send: Callable[[], T],
        refused: Callable[[APIError], SheetError | None] | None = None,
    ) -> T:
        """Send one request and turn what Google says into a sentence."""
        try:
            return send()
        except APIError as exc:
            better = refused(exc) if refused is not None else None
            raise (better or self._explain(action, exc)) from None
        except auth_exceptions.RefreshError:
            raise SheetError(not_accepted(self.who, self._key_file)) from None
        except auth_exceptions.GoogleAuthError as exc:
            raise SheetError(
                f"Signing in to Google as {self.who} failed ({type(exc).__name__})."
            ) from None


def _metadata_ids(resource: Mapping[str, Any]) -> list[int]:
    """Every developer metadata id in a spreadsheet resource (any level)."""
    found: list[int] = []

    def take(entries: Sequence[Any] | None) -> None:
        for entry in entries or []:
            if isinstance(entry, dict) and "metadataId" in entry:
                found.append(int(entry["metadataId"]))

    take(resource.get("developerMetadata"))
    for sheet in resource.get("sheets", []):
        take(sheet.get("developerMetadata"))
        for data in sheet.get("data", []) or []:
            for row in data.get("rowMetadata", []) or []:
                take(row.get("developerMetadata"))
    return found
