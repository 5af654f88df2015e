"""The two gspread scripts people usually write to keep a workbook and a Google Sheet in step.

Both run against the emulator over real HTTP, through gspread's own `HTTPClient` seam
(only the scheme and host of Google's URLs change), so their request counts are what
gspread would send to Google:

* `update_cell_script`: careful but chatty. It remembers what both sides held after the
  last run, pushes each cell changed in the workbook with `worksheet.update_cell` (one
  request per cell) and copies each cell changed on the sheet into the workbook. Nothing is
  lost; the cost grows with the number of edits, and Google allows about 60 writes a minute.
* `overwrite_script`: cheap but lossy. It clears the sheet and writes the whole workbook
  with one `worksheet.update(values)`, so whatever people typed on the sheet since the last
  run is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gspread
from google.auth.credentials import AnonymousCredentials
from gspread.http_client import HTTPClient
from gspread.utils import ValueInputOption
from openpyxl import load_workbook

from bench.plans import SHEET, Edit
from ccrc_sync import schema

GOOGLE_ORIGINS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


def routed_http_client(origin: str) -> type[HTTPClient]:
    """An `HTTPClient` class sending gspread's requests to `origin` instead of Google.

    gspread takes a class (it constructs it itself), so the origin is baked into a subclass.
    """
    origin = origin.rstrip("/")

    class RoutedHTTPClient(HTTPClient):
        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any):  # type: ignore[override]
            for google in GOOGLE_ORIGINS:
                if endpoint.startswith(google):
                    endpoint = origin + endpoint[len(google) :]
                    break
            return super().request(method, endpoint, *args, **kwargs)

    return RoutedHTTPClient


def client_for(origin: str) -> gspread.Client:
    """A gspread client talking to the emulator at `origin` without credentials."""
    return gspread.Client(auth=AnonymousCredentials(), http_client=routed_http_client(origin))


def displayed_grid(path: Path) -> list[list[str]]:
    """The plan tab of a workbook as text, the way these scripts turn cells into strings."""
    wb = load_workbook(path, read_only=True)
    try:
        return [[schema.display(v) for v in row] for row in wb[SHEET].iter_rows(values_only=True)]
    finally:
        wb.close()


def _at(grid: list[list[str]], r: int, c: int) -> str:
    return grid[r][c] if r < len(grid) and c < len(grid[r]) else ""


@dataclass
class ScriptResult:
    """What one script run did: cells written each way (its requests are in the emulator log)."""

    pushed: int  # cells sent to the sheet
    pulled: int  # cells copied into the workbook


def update_cell_script(
    client: gspread.Client,
    spreadsheet_id: str,
    workbook: Path,
    book_base: list[list[str]],
    sheet_base: list[list[str]],
) -> ScriptResult:
    """A two-way, cell-by-cell sync as a careful user writes it with gspread.

    `book_base` and `sheet_base` are what each side held after the last run (the script
    keeps them in a file). A cell changed in the workbook is pushed with `update_cell`; a
    cell changed only on the sheet is copied into the workbook, which is then saved.
    """
    ws = client.open_by_key(spreadsheet_id).worksheet(SHEET)
    sheet_now = ws.get_all_values()
    wb = load_workbook(workbook)
    xs = wb[SHEET]
    book_now = [[schema.display(c.value) for c in row] for row in xs.iter_rows()]
    pushed = pulled = 0
    rows = max(len(book_now), len(sheet_now))
    cols = len(schema.FIELDS)
    for r in range(1, rows):
        for c in range(cols):
            mine = _at(book_now, r, c)
            if mine != _at(book_base, r, c):
                ws.update_cell(r + 1, c + 1, mine)
                pushed += 1
            elif (theirs := _at(sheet_now, r, c)) != _at(sheet_base, r, c):
                xs.cell(row=r + 1, column=c + 1, value=theirs)
                pulled += 1
    if pulled:
        wb.save(workbook)
    return ScriptResult(pushed=pushed, pulled=pulled)


def overwrite_script(client: gspread.Client, spreadsheet_id: str, workbook: Path) -> ScriptResult:
    """The one-way publish most scripts do: clear the sheet, write the workbook over it."""
    ws = client.open_by_key(spreadsheet_id).worksheet(SHEET)
    values = displayed_grid(workbook)
    ws.clear()
    ws.update(values, "A1", value_input_option=ValueInputOption.user_entered)
    return ScriptResult(pushed=sum(len(r) for r in values), pulled=0)


@dataclass
class EditCheck:
    """Where each person's edit ended up after a run."""

    lost: int  # on neither side any more: somebody's work is gone
    missing_on_sheet: int
    missing_in_workbook: int


def check_edits(
    workbook: Path, sheet_grid: list[list[Any]], book_edits: list[Edit], sheet_edits: list[Edit]
) -> EditCheck:
    """Count edits that did not arrive on the other side, and those that are gone entirely.
    Rows are found by Rec No. (first column), so a side that reordered rows still counts."""
    book = _by_rec_no(displayed_grid(workbook))
    sheet = _by_rec_no([[schema.display(v) for v in row] for row in sheet_grid])
    lost = missing_sheet = missing_book = 0
    for e in [*book_edits, *sheet_edits]:
        c = schema.FIELDS.index(e.field)
        on_sheet = _cell(sheet, e.rec_no, c) == e.value
        in_book = _cell(book, e.rec_no, c) == e.value
        missing_sheet += not on_sheet
        missing_book += not in_book
        lost += not on_sheet and not in_book
    return EditCheck(lost=lost, missing_on_sheet=missing_sheet, missing_in_workbook=missing_book)


def _by_rec_no(grid: list[list[str]]) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for row in grid[1:]:
        rec_no = schema.rec_no_of(row[0]) if row else None
        if rec_no is not None:
            rows[rec_no] = row
    return rows


def _cell(rows: dict[str, list[str]], rec_no: int, c: int) -> str:
    row = rows.get(str(rec_no), [])
    return row[c] if c < len(row) else ""
