"""Typed reads: the whole spreadsheet in one `spreadsheets.get`, with the plan's values as
Google holds them. Staff type into the emulated sheet (USER_ENTERED, as the browser does),
and the real gspread-based client reads it over real HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from sheethelp import COL, HEADERS, PLAN, connect, plan_rows, raw_batch, raw_get, typed_plan

from ccrc_sync import schema
from ccrc_sync.sheet.read import FIELDS
from ccrc_sync.writes import SheetWrites


def test_the_read_is_one_get_with_the_mask_and_no_ranges(emulator):
    sid = typed_plan(emulator)
    sheet = connect(emulator, sid)
    emulator.clear_log()
    snap = sheet.read(PLAN)
    (request,) = emulator.requests
    assert request.method == "GET"
    assert request.query["fields"] == [FIELDS]
    assert request.query["includeGridData"] == ["true"]
    assert "ranges" not in request.query
    assert snap.spreadsheet_id == sid
    assert list(snap.tabs) == [PLAN]
    table = snap.plan_table()
    assert table is not None
    assert table.headers == HEADERS
    assert [r.values[schema.REC_NO] for r in table.rows] == [1, 2, 3, 4, 5, 6]
    assert table.rows[0].values[schema.RECOMMENDATION] == "Recommendation 1"
    assert table.rows[0].values[schema.TARGET_DATE] == dt.date(2027, 2, 11)


def test_the_plan_tab_is_found_ignoring_case(emulator):
    sid = typed_plan(emulator)
    snap = connect(emulator, sid).read("ACTION plan")
    assert snap.plan_title == PLAN
    assert snap.renamed_plan is None
    assert snap.plan_table() is not None


def test_a_missing_or_empty_plan_tab_reads_as_none(emulator):
    sid = emulator.create_spreadsheet(title="CCRC", sheets=("Sheet1", "Empty"))
    snap = connect(emulator, sid).read("Empty")
    assert snap.plan_title == "Empty" and snap.plan_table() is None
    snap = connect(emulator, sid).read(PLAN)
    assert snap.plan_title is None and snap.plan_table() is None
    assert snap.tab_grid("Summary") is None
    assert snap.tab_grid("Empty") == []


def _typed(emulator, locale: str, cells: dict[str, str]) -> dict[str, schema.Value]:
    """Type `cells` (label -> text) into row 2 of a plan in a sheet of `locale`; read
    back the row's values by label."""
    sid = emulator.create_spreadsheet(title="CCRC", sheets=(PLAN,), locale=locale)
    row = ["7", "Section", "R", "A", "Planned", "O", "", "", ""]
    for label, text in cells.items():
        row[COL[label] - 1] = text
    emulator.set_values(sid, PLAN, "A1", [HEADERS, row], user_entered=True)
    table = connect(emulator, sid).read(PLAN).plan_table()
    assert table is not None
    return table.rows[0].values


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_US", dt.date(2027, 1, 2)), ("en_GB", dt.date(2027, 2, 1))],
)
def test_a_date_is_what_google_made_of_it(emulator, locale, expected):
    """`1/2/2027` typed into a date column is the date Google parsed in the sheet's locale;
    the same text typed as text ('1/2/2027) stays text, and is never turned into a date."""
    values = _typed(
        emulator, locale, {schema.TARGET_DATE: "1/2/2027", schema.LAST_UPDATED: "'1/2/2027"}
    )
    assert values[schema.TARGET_DATE] == expected
    assert values[schema.LAST_UPDATED] == "1/2/2027"


def test_a_display_format_change_alone_changes_nothing(emulator):
    sid = typed_plan(emulator, locale="en_US")
    sheet = connect(emulator, sid)
    before = sheet.read(PLAN).plan_table()
    assert before is not None
    plan_id = sheet.read(PLAN).tabs[PLAN].sheet_id
    letter = schema.column_letter(COL[schema.TARGET_DATE])
    dated = next(r.row for r in before.rows if isinstance(r.values[schema.TARGET_DATE], dt.date))
    shown: list[str] = []
    for pattern in ("dd/mm/yyyy", "mmm d, yyyy", "yyyy-mm-dd"):
        raw_batch(
            emulator,
            sid,
            [
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": plan_id,
                            "startRowIndex": 1,
                            "startColumnIndex": COL[schema.TARGET_DATE] - 1,
                            "endColumnIndex": COL[schema.TARGET_DATE],
                        },
                        "cell": {
                            "userEnteredFormat": {
                                "numberFormat": {"type": "DATE", "pattern": pattern}
                            }
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            ],
        )
        [[text]] = emulator.get_values(sid, PLAN, f"{letter}{dated}")
        shown.append(text)
        after = sheet.read(PLAN).plan_table()
        assert after is not None
        assert [r.values for r in after.rows] == [r.values for r in before.rows]
    assert len(set(shown)) == 3, shown  # each pattern did change what staff see


def test_typed_numbers_in_a_text_column_arrive_as_shown(emulator):
    values = _typed(
        emulator,
        "en_US",
        {
            schema.NOTES: "50%",
            schema.OWNER: "$5.00",
            schema.ACTION: "1,000",
            schema.RECOMMENDATION: "3e5",
        },
    )
    assert values[schema.NOTES] == "50%"
    assert values[schema.OWNER] == "$5.00"
    assert values[schema.ACTION] == "1,000"
    assert values[schema.RECOMMENDATION] == "3.00E+05"


def test_extra_columns_are_text_columns(emulator):
    sid = emulator.create_spreadsheet(title="CCRC", sheets=(PLAN,))
    emulator.set_values(
        sid,
        PLAN,
        "A1",
        [[*HEADERS, "Budget"], ["1", "S", "R", "A", "Planned", "O", "", "", "", "£1,000"]],
    )
    table = connect(emulator, sid).read(PLAN).plan_table()
    assert table is not None
    assert table.extra_columns == {"Budget": 10}
    assert table.rows[0].extras == {"Budget": "£1,000"}


def test_formulas_booleans_and_line_breaks(emulator):
    values = _typed(
        emulator,
        "en_GB",
        {
            schema.REC_NO: "=3+4",
            schema.STATUS: "TRUE",
            schema.NOTES: "line one\r\nline two",
            schema.OWNER: '=UPPER("x")',
        },
    )
    assert values[schema.REC_NO] == schema.Formula("=3+4")
    assert isinstance(values[schema.REC_NO], schema.Formula)
    assert isinstance(values[schema.OWNER], schema.Formula)
    assert values[schema.STATUS] == "TRUE"
    assert values[schema.NOTES] == "line one\r\nline two"


def test_rec_nos_are_numbers_or_text(emulator):
    sid = emulator.create_spreadsheet(title="CCRC", sheets=(PLAN,))
    emulator.set_values(
        sid,
        PLAN,
        "A1",
        [
            HEADERS,
            ["12", "S", "R", "A", "Planned"],
            ["20a", "S", "R", "A", "Planned"],
            ["007", "S"],
        ],
    )
    table = connect(emulator, sid).read(PLAN).plan_table()
    assert table is not None
    assert [r.values[schema.REC_NO] for r in table.rows] == [12, "20a", 7]


def test_a_title_row_above_the_headers(emulator):
    sid = emulator.create_spreadsheet(title="CCRC", sheets=(PLAN,))
    emulator.set_values(sid, PLAN, "A1", [["CCRC action plan"], [], HEADERS, *plan_rows(2)])
    table = connect(emulator, sid).read(PLAN).plan_table()
    assert table is not None
    assert table.header_row == 3
    assert [r.row for r in table.rows] == [4, 5]


def test_a_generated_tab_reads_as_it_shows(emulator):
    sid = emulator.create_spreadsheet(title="CCRC", sheets=(PLAN, "Summary"), locale="en_GB")
    emulator.set_values(
        sid,
        "Summary",
        "A1",
        [["Percent complete", "70.6%"], ["As at", "31/03/2027"], ["Total", "34"]],
    )
    grid = connect(emulator, sid).read(PLAN).tab_grid("summary")
    assert grid == [
        ["Percent complete", 0.706],
        ["As at", dt.date(2027, 3, 31)],
        ["Total", 34],
    ]


def test_a_generated_tab_reads_without_its_style_column(emulator):
    """The hidden column of style keys is ccrc-sync's own, not what the tab says: a tab
    read back is what its layout's grid is, so an idle run rewrites nothing."""
    from sheethelp import apply, issues_layout

    from ccrc_sync.layout import Tone, grid_differs

    sid = _publish(emulator)
    layout = issues_layout([("Edited on both sides", Tone.CONFLICT), ("Bad", Tone.ERROR)])
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    assert emulator.get_values(sid, "Sync Issues", "Z1:Z3") == [["header"], ["conflict"], ["error"]]
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tabs["Sync Issues"].style_col == 26
    grid = snap.tab_grid("Sync Issues")
    assert grid == [
        ["Rec No.", "Field", "What happened", "Cell"],
        ["1", "Status", "Edited on both sides", "E2"],
        ["2", "Status", "Bad", "E3"],
    ]
    assert not grid_differs(grid, layout.grid())
    assert snap.tab_styles("Sync Issues") == ["header", "conflict", "error"]


def test_a_tab_without_a_style_column_reads_whole(emulator):
    """A tab made by the previous version has no style tag: every column is content, Z
    included, and it has no style keys."""
    sid = emulator.create_spreadsheet(title="CCRC", sheets=(PLAN, "Change Log"))
    emulator.set_values(sid, "Change Log", "A1", [["When"] + [""] * 24 + ["Z as typed"]])
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tabs["Change Log"].style_col is None
    assert snap.tab_grid("Change Log") == [["When", *[None] * 24, "Z as typed"]]
    assert snap.tab_styles("Change Log") is None
    assert snap.tab_styles("Nowhere") is None


def test_the_read_carries_what_the_structure_needs(emulator):
    sid = typed_plan(emulator)
    reply = raw_get(emulator, sid, fields=FIELDS, includeGridData="true")
    assert set(reply) <= {"spreadsheetId", "properties", "developerMetadata", "sheets"}
    sheet = reply["sheets"][0]
    assert set(sheet) <= {"properties", "charts", "conditionalFormats", "developerMetadata", "data"}
    cell = sheet["data"][0]["rowData"][1]["values"][6]  # G2, a date
    assert set(cell) <= {
        "userEnteredValue",
        "formattedValue",
        "effectiveFormat",
        "note",
        "userEnteredFormat",
    }
    assert cell["effectiveFormat"] == {"numberFormat": {"type": "DATE"}}


def test_the_read_asks_for_no_property_that_nothing_reads(emulator):
    """Every property in the mask is one the snapshot uses: not the time zone, a tab's
    position or its frozen rows (a published plan tab has a frozen header; Summary is
    the second tab)."""
    from sheethelp import apply, summary_layout

    sid = _publish(emulator)
    apply(connect(emulator, sid), SheetWrites(tabs={"Summary": summary_layout()}))
    reply = raw_get(emulator, sid, fields=FIELDS, includeGridData="true")
    assert reply["properties"] == {"title": "CCRC", "locale": "en_GB"}
    for sheet in reply["sheets"]:
        assert set(sheet["properties"]) == {"sheetId", "title", "gridProperties"}
        assert set(sheet["properties"]["gridProperties"]) == {"rowCount", "columnCount"}
    assert [s["properties"]["title"] for s in reply["sheets"]] == [PLAN, "Summary"]


def _publish(emulator) -> str:
    from sheethelp import apply, publish_writes

    sid = emulator.create_spreadsheet(title="CCRC")
    apply(connect(emulator, sid), publish_writes())
    return sid


def test_ours_and_synced_before(emulator):
    typed = connect(emulator, typed_plan(emulator)).read(PLAN)
    assert not typed.ours(PLAN) and not typed.synced_before
    published = connect(emulator, _publish(emulator)).read(PLAN)
    assert published.ours(PLAN) and published.synced_before
    assert not published.ours("Summary")


def test_a_renamed_plan_tab_is_found_by_its_tag(emulator):
    sid = _publish(emulator)
    snap = connect(emulator, sid).read(PLAN)
    plan_id = snap.tabs[PLAN].sheet_id
    raw_batch(
        emulator,
        sid,
        [
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": plan_id, "title": "Plan (old)"},
                    "fields": "title",
                }
            }
        ],
    )
    snap = connect(emulator, sid).read(PLAN)
    assert snap.plan_title is None and snap.plan_table() is None
    assert snap.renamed_plan == "Plan (old)"
    # Staff add a fresh tab under the plan's name: it is found, and ours is still named.
    emulator.set_values(sid, "Plan (old)", "A20", [["kept"]])
    raw_batch(emulator, sid, [{"addSheet": {"properties": {"title": PLAN}}}])
    snap = connect(emulator, sid).read(PLAN)
    assert snap.plan_title == PLAN and snap.renamed_plan == "Plan (old)"
