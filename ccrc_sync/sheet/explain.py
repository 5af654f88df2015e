"""Google's refusals as sentences a governance officer can act on.

Every answer a user can meet becomes one `SheetError` saying what happened and what to
do: a sheet not shared with the account, credentials Google no longer accepts, a value a
strict drop-down refused (naming the cell and the value, found from Google's message and
what the run sent). Credentials are named by account or kind, never shown.
"""

from __future__ import annotations

import re
from typing import Any

from gspread.exceptions import APIError

from ccrc_sync.config import PlanConfig
from ccrc_sync.errors import SheetError
from ccrc_sync.schema import SECTION, STATUS, a1, display, parse_ref
from ccrc_sync.sheet.read import SheetSnapshot
from ccrc_sync.sheet.transport import EMULATOR_VAR
from ccrc_sync.sheet.writes import Planned

_CELL_REF = re.compile(r"(?<![A-Za-z0-9])\$?([A-Z]{1,3})\$?([1-9]\d{0,6})(?![A-Za-z0-9(])")


def refusal(
    exc: APIError, planned: Planned, snap: SheetSnapshot, plan: PlanConfig
) -> SheetError | None:
    """A refused write (400) as a sentence; for a strict drop-down's refusal it names the
    cell and the value. None for any other answer."""
    if exc.response.status_code != 400:
        return None
    texts = [str(exc.error.get("message", ""))]
    for detail in exc.error.get("details", []) or []:
        for violation in (detail or {}).get("fieldViolations", []) or []:
            texts += [str(violation.get("description", "")), str(violation.get("field", ""))]
    table = snap.plan_table()
    headers = table.headers if table else []
    rows = {snap.row_key(r.row): r.row for r in table.rows} if table else {}
    found: tuple[str, int, Any] | None = None
    for text in texts:
        for match in _CELL_REF.finditer(text):
            row, col = parse_ref(match.group(1) + match.group(2))
            rec = next((k for k, r in rows.items() if r == row and k in planned.cells), None)
            if rec is not None and col in planned.cells[rec]:
                found = (rec, col, planned.cells[rec][col])
                break
        if found:
            break
    if found is None and any("validation" in text.casefold() for text in texts):
        allowed = {STATUS: plan.statuses, SECTION: plan.sections}
        for rec, cells in planned.cells.items():
            for col, value in cells.items():
                label = headers[col - 1] if col <= len(headers) else ""
                words = allowed.get(label)
                if words and value is not None and display(value) not in words:
                    found = (rec, col, value)
                    break
            if found:
                break
    reason = texts[0].strip().rstrip(".") or "the value breaks the cell's data validation"
    if found is None:
        return SheetError(
            f"The Google Sheet refused this run's values ({reason}); nothing was written "
            "to its cells.",
            code=400,
        )
    rec, col, value = found
    label = headers[col - 1] if col <= len(headers) else f"column {col}"
    where = f" (cell {a1(rows[rec], col)})" if rec in rows else ""
    return SheetError(
        f"The Google Sheet refused {display(value)!r} as the {label} of Rec No. {rec}"
        f"{where}: {reason}. Nothing was written to its cells on this run; correct the "
        "value in the workbook or widen the drop-down, then run again.",
        code=400,
    )


def not_accepted(who: str | None, key_file: bool) -> str:
    """Google refused the credentials: what to do depends on their kind."""
    if key_file:
        return (
            f"Google did not accept the key of the service account {who} (it may have "
            "been deleted or disabled, or this computer's clock may be wrong); download "
            "a new JSON key for it from the Google Cloud console."
        )
    return (
        f"Google did not accept the Application Default Credentials of {who}; run "
        "`gcloud auth application-default login` again, or check the workload identity "
        "configuration or the service account attached to this machine."
    )


def explain(
    action: str, exc: APIError, *, sid: str, who: str | None, emulator: str | None, key_file: bool
) -> SheetError:
    """What Google (or the emulator) answered, as one sentence saying what to do."""
    status = exc.response.status_code
    message = str(exc.error.get("message", "")).strip().rstrip(".")
    if emulator and status in (403, 404) and action == "open":
        return SheetError(
            f"The spreadsheet {sid} was not found on the Sheets API emulator at "
            f"{emulator} ({EMULATOR_VAR}); check `spreadsheet_id` in the config.",
            code=status,
        )
    if status in (403, 404) and action == "open":
        return SheetError(
            f"The Google Sheet {sid} could not be opened by {who}. Share the "
            f"sheet with {who} as an Editor, then run again.",
            code=status,
        )
    if status == 403 and not emulator:
        return SheetError(
            f"{who} may not {action} the Google Sheet {sid}. Share the sheet with "
            f"{who} as an Editor, then run again.",
            code=status,
        )
    if status == 401 and not emulator:
        return SheetError(not_accepted(who, key_file), code=status)
    where = f"the emulator at {emulator}" if emulator else "Google"
    return SheetError(
        f"Could not {action} the Google Sheet {sid}: {where} answered {status}"
        f"{': ' + message if message else ''}.",
        code=status,
    )
