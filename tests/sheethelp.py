"""Helpers for the Google Sheet client tests: a connected client, plans typed in as staff
would, generated-tab layouts, and reading back what the emulator holds over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import gspread
from google.auth.credentials import AnonymousCredentials

from ccrc_sync import schema
from ccrc_sync.config import PlanConfig, RetryConfig, SheetConfig
from ccrc_sync.layout import (
    CellLink,
    ChartSpec,
    Role,
    TabCell,
    TabKind,
    TabLayout,
    TabRow,
    Tone,
)
from ccrc_sync.sheet import ApplyResult, GoogleSheet
from ccrc_sync.sheet.transport import SPREADSHEETS, SheetsHTTPClient, emulator_origin
from ccrc_sync.writes import PlanPublish, SheetCellWrite, SheetWrites

FAST = RetryConfig(max_seconds=2, initial_delay=0.01, max_delay=0.05, timeout=2)
PLAN = schema.PLAN_SHEET
PLAN_CFG = PlanConfig()
HEADERS = list(schema.FIELDS[:9])  # Rec No. .. Notes, the template's columns
COL = {label: i for i, label in enumerate(HEADERS, start=1)}
STATUS = COL[schema.STATUS]
NOTES = COL[schema.NOTES]


def connect(emulator: Any, spreadsheet_id: str, retry: RetryConfig = FAST) -> GoogleSheet:
    cfg = SheetConfig(spreadsheet_id=spreadsheet_id, emulator_host=emulator.host_port, retry=retry)
    return GoogleSheet.connect(cfg)


def plan_rows(count: int = 6) -> list[list[Any]]:
    """Rows as staff type them (text, USER_ENTERED), after the header."""
    rows = []
    for n in range(1, count + 1):
        rows.append(
            [
                str(n),
                schema.DEFAULT_SECTIONS[n % len(schema.DEFAULT_SECTIONS)],
                f"Recommendation {n}",
                f"Action {n}",
                schema.DEFAULT_STATUSES[n % 3],
                f"Owner {n}",
                f"2027-0{1 + n % 9}-1{n % 10}",
                "",
                f"Note {n}",
            ]
        )
    return rows


def typed_plan(emulator: Any, rows: int = 6, locale: str | None = None) -> str:
    """A spreadsheet whose plan tab staff typed in (no tags, never synced)."""
    sid = emulator.create_spreadsheet(title="CCRC", sheets=(PLAN,), locale=locale)
    emulator.set_values(sid, PLAN, "A1", [HEADERS, *plan_rows(rows)], user_entered=True)
    return sid


def body_of(request: Any) -> Any:
    body = request.body
    return json.loads(body) if isinstance(body, str | bytes) else body


def _http(emulator: Any) -> SheetsHTTPClient:
    client = gspread.Client(auth=AnonymousCredentials(), http_client=SheetsHTTPClient)
    http = client.http_client
    assert isinstance(http, SheetsHTTPClient)
    http.configure(emulator_origin(emulator.host_port), FAST)
    return http


def raw_get(emulator: Any, spreadsheet_id: str, **params: Any) -> dict[str, Any]:
    """`spreadsheets.get` as any client would send it, to read back what was requested."""
    return _http(emulator).get_json(f"{SPREADSHEETS}/{spreadsheet_id}", params)


def raw_batch(emulator: Any, spreadsheet_id: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """A structural change as another client (or the browser) would make it."""
    url = f"{SPREADSHEETS}/{spreadsheet_id}:batchUpdate"
    return _http(emulator).post_json(url, {"requests": requests})


def colour_of(hex_rgb: str) -> dict[str, float]:
    return {
        n: int(hex_rgb[i : i + 2], 16) / 255 for n, i in (("red", 0), ("green", 2), ("blue", 4))
    }


def same_colour(got: dict[str, float] | None, hex_rgb: str) -> bool:
    """Google keeps a colour channel in 8 bits, so a colour reads back within a step or
    two of 1/255 (the emulator rounds down at each write)."""
    want = colour_of(hex_rgb)
    return got is not None and all(abs(got.get(k, 0.0) - v) <= 2.5 / 255 for k, v in want.items())


def same_format(got: Any, want: Any) -> bool:
    """Two formats alike, colour channels within a step or two of 1/255."""
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(same_format(got[k], want[k]) for k in got)
    if isinstance(got, float | int) and isinstance(want, float | int):
        return abs(got - want) <= 2.5 / 255
    return bool(got == want)


def issues_layout(
    kinds: list[tuple[str, Tone]], title: str = "Sync Issues", note: str | None = None
) -> TabLayout:
    """A Sync Issues tab: a header row, then one row per (what happened, tone), then an
    optional note line."""
    header = TabRow(
        tuple(TabCell(t, Role.HEADER) for t in ("Rec No.", "Field", "What happened", "Cell"))
    )
    rows = [header]
    if note is not None:
        rows.append(TabRow((TabCell(note, Role.NOTE),)))
    for n, (what, tone) in enumerate(kinds, start=len(rows)):
        rows.append(
            TabRow(
                (
                    TabCell(str(n)),
                    TabCell("Status"),
                    TabCell(what),
                    TabCell(f"E{n + 1}", link=CellLink(PLAN, n + 1, 5)),
                ),
                tone=tone,
            )
        )
    return TabLayout(title, TabKind.ISSUES, tuple(rows), widths=(8, 14, 40, 10), freeze_rows=1)


def summary_layout(
    complete: float = 0.706,
    when: dt.date = dt.date(2027, 3, 31),
    sections: int = 3,
    extra: tuple[TabRow, ...] = (),
) -> TabLayout:
    """A Summary tab: a title, a sentence, a percentage, a date, and a chart table, then
    any `extra` rows."""
    statuses = schema.DEFAULT_STATUSES
    rows = [
        TabRow((TabCell("CCRC action plan summary", Role.TITLE),)),
        TabRow((TabCell("Work is underway on 24 of the 34 recommendations.", Role.SENTENCE),)),
        TabRow((TabCell("Percent complete"), TabCell(complete, Role.PERCENT))),
        TabRow((TabCell("Figures as at"), TabCell(when, Role.DATE))),
        TabRow((TabCell("By section", Role.HEADING),)),
        TabRow(tuple(TabCell(t, Role.HEADER) for t in ("Section", *statuses))),
    ]
    for n, section in enumerate(schema.DEFAULT_SECTIONS[:sections]):
        rows.append(TabRow((TabCell(section), *(TabCell(n + i, Role.NUMBER) for i in range(3)))))
    rows += extra
    chart = ChartSpec(
        title="Status by section",
        header_row=6,
        first_row=7,
        last_row=6 + sections,
        category_col=1,
        series_cols=(2, 3, 4),
        anchor_row=2,
        anchor_col=6,
    )
    return TabLayout(
        "Summary", TabKind.SUMMARY, tuple(rows), widths=(30, 12, 12, 12), freeze_rows=0, chart=chart
    )


def apply(sheet: GoogleSheet, writes: SheetWrites, strict: bool = True) -> ApplyResult:
    snap = sheet.read(PLAN)
    return sheet.apply(snap, writes, plan=PLAN_CFG, strict_dropdowns=strict)


def publish_writes(count: int = 6) -> SheetWrites:
    """The plan of `plan_rows` as the workbook holds it: numbers, real dates, text."""
    rows = []
    for row in plan_rows(count):
        typed: list[Any] = list(row)
        typed[0] = int(row[0])
        typed[6] = dt.date.fromisoformat(row[6])
        typed[7] = None
        rows.append((row[0], tuple(typed)))
    return SheetWrites(publish=PlanPublish(tuple(HEADERS), tuple(rows)))


def values(emulator, sid: str) -> list[list[str]]:
    return emulator.get_values(sid, PLAN)


def row_of(grid: list[list[str]], rec: str) -> list[str]:
    return next(r for r in grid if r and r[0] == rec)


def tagged(emulator, sid: str) -> dict[str, list[int]]:
    return connect(emulator, sid).read(PLAN).tagged_rows()


def posts(emulator) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in emulator.requests if r.method == "POST"]


def edit(rec: str, col: int, value: schema.Value, row: int) -> SheetCellWrite:
    return SheetCellWrite(rec_no=rec, row=row, col=col, value=value)


# --------------------------------------------------------------------------- styles read back

_REF = re.compile(r"(\$?)([A-Z]{1,3})(\$?)([0-9]+)")
_KEY_TEST = re.compile(r'^(\$?[A-Z]{1,3}\$?[0-9]+)="([^"]*)"$')
_FILLED_TEST = re.compile(r'^(\$?[A-Z]{1,3}\$?[0-9]+)<>""$')


def _col_number(letters: str) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col


def shown_text(sheet: dict[str, Any], row: int, col: int) -> str:
    """What a cell of a `spreadsheets.get` reply (with grid data) shows."""
    rows = sheet["data"][0].get("rowData", [])
    cells = rows[row - 1].get("values", []) if row <= len(rows) else []
    cell = cells[col - 1] if col <= len(cells) else {}
    return str(cell.get("formattedValue", ""))


def _evaluate(
    sheet: dict[str, Any], formula: str, top: tuple[int, int], at: tuple[int, int]
) -> bool:
    """A custom formula of the two forms ccrc-sync writes (`=$Z1="key"` and
    `=AND($Z1="key",A1<>"")`), evaluated for cell `at` of a range whose top-left is `top`,
    with Google's rule: a reference without `$` moves with the cell. Anything else fails
    the test rather than guess."""

    def cell_of(ref: str) -> tuple[int, int]:
        found = _REF.fullmatch(ref)
        assert found, f"not a cell reference: {ref}"
        col_abs, letters, row_abs, digits = found.groups()
        row, col = int(digits), _col_number(letters)
        if not row_abs:
            row += at[0] - top[0]
        if not col_abs:
            col += at[1] - top[1]
        return row, col

    body = formula.removeprefix("=")
    parts = [body]
    if body.startswith("AND(") and body.endswith(")"):
        parts = body[4:-1].split(",")
    result = True
    for part in parts:
        if key := _KEY_TEST.fullmatch(part):
            result = result and shown_text(sheet, *cell_of(key.group(1))) == key.group(2)
        elif filled := _FILLED_TEST.fullmatch(part):
            result = result and shown_text(sheet, *cell_of(filled.group(1))) != ""
        else:
            raise AssertionError(f"a formula this helper cannot evaluate: {formula}")
    return result


def rule_format(sheet: dict[str, Any], row: int, col: int) -> dict[str, Any]:
    """The format the tab's conditional rules give cell (`row`, `col`): the first rule
    whose range holds the cell and whose condition holds, as Google applies them; {} when
    none does."""
    for rule in sheet.get("conditionalFormats", []):
        boolean = rule["booleanRule"]
        condition = boolean["condition"]
        for rng in rule["ranges"]:
            rows = (rng.get("startRowIndex", 0) + 1, rng.get("endRowIndex", 10**9))
            cols = (rng.get("startColumnIndex", 0) + 1, rng.get("endColumnIndex", 10**9))
            if not (rows[0] <= row <= rows[1] and cols[0] <= col <= cols[1]):
                continue
            assert condition["type"] == "CUSTOM_FORMULA", condition
            formula = condition["values"][0]["userEnteredValue"]
            if _evaluate(sheet, formula, (rows[0], cols[0]), (row, col)):
                return dict(boolean["format"])
    return {}


def hidden_columns(sheet: dict[str, Any]) -> list[int]:
    """The 1-based columns a `spreadsheets.get` reply says are hidden."""
    meta = sheet["data"][0].get("columnMetadata", [])
    return [n for n, m in enumerate(meta, start=1) if m.get("hiddenByUser")]
