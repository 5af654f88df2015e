"""The Google side as staff see it, read back with `spreadsheets.get` after the client set
it: column widths, wrapping, a bold frozen header, `dd/mm/yyyy` dates, strict drop-downs,
status colours, a generated tab's styles (rules keyed on its hidden style column) and
chart, and conflict marks set and then cleared with the cell's own format back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheethelp import (
    NOTES,
    PLAN,
    STATUS,
    apply,
    colour_of,
    connect,
    edit,
    hidden_columns,
    issues_layout,
    posts,
    publish_writes,
    raw_batch,
    raw_get,
    row_of,
    rule_format,
    same_colour,
    same_format,
    shown_text,
    summary_layout,
    values,
)

from ccrc_sync import schema
from ccrc_sync.layout import COLOURS, Role, TabCell, TabKind, TabLayout, TabRow, Tone
from ccrc_sync.sheet import tags
from ccrc_sync.writes import SheetMark, SheetUnmark, SheetWrites


def sheet_of(reply: dict[str, Any], title: str) -> dict[str, Any]:
    return next(s for s in reply["sheets"] if s["properties"]["title"] == title)


def grid_of(emulator, sid: str, title: str) -> dict[str, Any]:
    reply = raw_get(emulator, sid, includeGridData="true")
    return sheet_of(reply, title)


def cell_at(sheet: dict[str, Any], row: int, col: int) -> dict[str, Any]:
    rows = sheet["data"][0].get("rowData", [])
    values_ = rows[row - 1].get("values", []) if row <= len(rows) else []
    return values_[col - 1] if col <= len(values_) else {}


def widths(sheet: dict[str, Any]) -> list[int]:
    return [c.get("pixelSize") for c in sheet["data"][0]["columnMetadata"]]


def published_sid(emulator) -> str:
    sid = emulator.create_spreadsheet(title="CCRC")
    apply(connect(emulator, sid), publish_writes())
    return sid


# --------------------------------------------------------------------------- the plan tab


def test_the_published_plan_tab_is_furnished(emulator):
    sid = published_sid(emulator)
    reply = raw_get(emulator, sid, includeGridData="true")
    assert reply["properties"]["locale"] == "en_GB"
    assert [s["properties"]["title"] for s in reply["sheets"]] == [PLAN]
    plan = sheet_of(reply, PLAN)
    assert plan["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert widths(plan)[:9] == [66, 178, 360, 360, 108, 150, 94, 94, 290]
    header = cell_at(plan, 1, 1)["userEnteredFormat"]
    assert header["textFormat"]["bold"] is True and header["wrapStrategy"] == "WRAP"
    assert cell_at(plan, 3, 3)["userEnteredFormat"]["wrapStrategy"] == "WRAP"
    target = cell_at(plan, 2, 7)
    assert target["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "dd/mm/yyyy"}
    status = cell_at(plan, 2, STATUS)["dataValidation"]
    assert status["strict"] is True and status["showCustomUi"] is True
    assert status["condition"] == {
        "type": "ONE_OF_LIST",
        "values": [{"userEnteredValue": s} for s in schema.DEFAULT_STATUSES],
    }
    section = cell_at(plan, 5, 2)["dataValidation"]
    assert [v["userEnteredValue"] for v in section["condition"]["values"]] == list(
        schema.DEFAULT_SECTIONS
    )
    rules = plan["conditionalFormats"]
    by_text = {r["booleanRule"]["condition"]["values"][0]["userEnteredValue"]: r for r in rules}
    assert set(by_text) == set(COLOURS.statuses)
    for status_name, hex_rgb in COLOURS.statuses.items():
        rule = by_text[status_name]
        assert rule["booleanRule"]["condition"]["type"] == "TEXT_EQ"
        assert same_colour(rule["booleanRule"]["format"]["backgroundColor"], hex_rgb)
        assert rule["ranges"] == [
            {
                "sheetId": plan["properties"]["sheetId"],
                "startRowIndex": 1,
                "startColumnIndex": 4,
                "endColumnIndex": 5,
            }
        ]


def test_dates_written_to_the_plan_show_day_first(emulator):
    sid = published_sid(emulator)
    apply(connect(emulator, sid), SheetWrites(cells=(edit("2", 7, dt.date(2027, 3, 31), 3),)))
    assert row_of(values(emulator, sid), "2")[6] == "31/03/2027"
    table = connect(emulator, sid).read(PLAN).plan_table()
    assert table is not None
    assert table.rows[1].values[schema.TARGET_DATE] == dt.date(2027, 3, 31)


def test_a_spreadsheet_with_content_keeps_its_locale_and_tabs(emulator):
    sid = emulator.create_spreadsheet(title="CCRC", sheets=("Sheet1", "Budget"), locale="en_US")
    apply(connect(emulator, sid), publish_writes())
    snap = connect(emulator, sid).read(PLAN)
    assert snap.locale == "en_US"
    assert list(snap.tabs) == ["Sheet1", "Budget", PLAN]


# --------------------------------------------------------------------------- generated tabs

STYLE_COL = 26  # Z, where the style keys go


def style_keys_of(sheet: dict[str, Any], rows: int) -> list[str]:
    return [shown_text(sheet, row, STYLE_COL) for row in range(1, rows + 1)]


def rule_formulas(sheet: dict[str, Any]) -> list[str]:
    return [
        r["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        for r in sheet.get("conditionalFormats", [])
    ]


STYLE_FORMULAS = [
    '=$Z1="conflict"',
    '=$Z1="error"',
    '=$Z1="warning"',
    '=$Z1="info"',
    '=$Z1="title"',
    '=$Z1="heading"',
    '=AND($Z1="header",A1<>"")',
    '=$Z1="note"',
]


def test_a_generated_tab_is_drawn_and_styled_by_its_hidden_keys(emulator):
    sid = published_sid(emulator)
    layout = issues_layout([("Edited on both sides", Tone.CONFLICT), ("Bad status", Tone.ERROR)])
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    snap = connect(emulator, sid).read(PLAN)
    assert snap.ours("Sync Issues") and snap.tabs["Sync Issues"].kind == "issues"
    plan_gid = snap.tabs[PLAN].sheet_id
    assert snap.tab_grid("Sync Issues") == [
        ["Rec No.", "Field", "What happened", "Cell"],
        ["1", "Status", "Edited on both sides", "E2"],
        ["2", "Status", "Bad status", "E3"],
    ]
    assert snap.tab_styles("Sync Issues") == ["header", "conflict", "error"]
    issues = grid_of(emulator, sid, "Sync Issues")
    assert cell_at(issues, 2, 4)["userEnteredValue"] == {
        "formulaValue": f'=HYPERLINK("#gid={plan_gid}&range=E2","E2")'
    }
    assert issues["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert widths(issues)[:4] == [66, 108, 290, 80]
    assert hidden_columns(issues) == [STYLE_COL]
    assert style_keys_of(issues, 4) == ["header", "conflict", "error", ""]
    header = cell_at(issues, 1, 1)["userEnteredFormat"]
    assert header["textFormat"]["bold"] is True
    assert same_colour(header["backgroundColor"], COLOURS.header_fill)
    assert cell_at(issues, 2, 3)["userEnteredFormat"]["wrapStrategy"] == "WRAP"
    # One rule per style key, over the tab's four columns from row 1 down.
    assert rule_formulas(issues) == STYLE_FORMULAS
    tab_id = snap.tabs["Sync Issues"].sheet_id
    for rule in issues["conditionalFormats"]:
        assert rule["ranges"] == [
            {"sheetId": tab_id, "startRowIndex": 0, "startColumnIndex": 0, "endColumnIndex": 4}
        ]
    # What each row shows is what its key's rule gives it.
    for col in range(1, 5):
        assert same_colour(
            rule_format(issues, 2, col)["backgroundColor"], COLOURS.tones[Tone.CONFLICT]
        )
        assert same_colour(
            rule_format(issues, 3, col)["backgroundColor"], COLOURS.tones[Tone.ERROR]
        )
        shown = rule_format(issues, 1, col)
        assert shown["textFormat"]["bold"] is True
        assert same_colour(shown["textFormat"]["foregroundColor"], COLOURS.header_text)
        assert same_colour(shown["backgroundColor"], COLOURS.header_fill)
        assert rule_format(issues, 4, col) == {}
    assert rule_format(issues, 2, 5) == {}  # past the tab's columns: no fill


def test_new_content_is_styled_without_a_formatting_request(emulator):
    """A new finding's wording, a new tone and a note: only new keys in the hidden column,
    written with the values; the rules stay as they were."""
    sid = published_sid(emulator)
    first = issues_layout([("Edited on both sides", Tone.CONFLICT)])
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": first}))
    rules_before = grid_of(emulator, sid, "Sync Issues")["conditionalFormats"]

    emulator.clear_log()
    bigger = issues_layout(
        [
            ("Never seen before", Tone.WARNING),
            ("Edited on both sides", Tone.CONFLICT),
            ("Odd date", Tone.INFO),
        ],
        note="Figures as at the last run.",
    )
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": bigger}))
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]
    issues = grid_of(emulator, sid, "Sync Issues")
    assert issues["conditionalFormats"] == rules_before
    assert style_keys_of(issues, 6) == ["header", "note", "warning", "conflict", "info", ""]
    assert shown_text(issues, 2, 1) == "Figures as at the last run."
    note = rule_format(issues, 2, 1)
    assert note["textFormat"]["italic"] is True
    assert same_colour(note["textFormat"]["foregroundColor"], COLOURS.note_text)
    assert same_colour(rule_format(issues, 3, 4)["backgroundColor"], COLOURS.tones[Tone.WARNING])
    assert same_colour(rule_format(issues, 4, 1)["backgroundColor"], COLOURS.tones[Tone.CONFLICT])
    assert same_colour(rule_format(issues, 5, 2)["backgroundColor"], COLOURS.tones[Tone.INFO])

    # Fewer rows: the old cells and their keys are cleared, with no request but the values.
    emulator.clear_log()
    smaller = issues_layout([("Odd date", Tone.WARNING)])
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": smaller}))
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tab_grid("Sync Issues") == [
        ["Rec No.", "Field", "What happened", "Cell"],
        ["1", "Status", "Odd date", "E2"],
    ]
    assert snap.tab_styles("Sync Issues") == ["header", "warning"]
    issues = grid_of(emulator, sid, "Sync Issues")
    assert rule_format(issues, 3, 1) == rule_format(issues, 4, 1) == {}


def test_the_summary_tab_with_its_chart(emulator):
    sid = published_sid(emulator)
    apply(connect(emulator, sid), SheetWrites(tabs={"Summary": summary_layout()}))
    snap = connect(emulator, sid).read(PLAN)
    grid = snap.tab_grid("Summary")
    assert grid is not None
    assert grid[2] == ["Percent complete", 0.706]
    assert grid[3] == ["Figures as at", dt.date(2027, 3, 31)]
    assert snap.tabs["Summary"].has_chart
    summary = grid_of(emulator, sid, "Summary")
    shown = cell_at(summary, 3, 2)["formattedValue"]
    assert shown.startswith("70.6") and shown.endswith("%")
    assert cell_at(summary, 4, 2)["formattedValue"] == "31/03/2027"
    assert cell_at(summary, 1, 1)["userEnteredFormat"]["wrapStrategy"] == "OVERFLOW_CELL"
    assert style_keys_of(summary, 10) == [
        "title",
        "sentence",
        "",
        "",
        "heading",
        "header",
        "",
        "",
        "",
        "",
    ]
    # The title is large by position (a rule cannot size a font), and bold by its key.
    title = cell_at(summary, 1, 1)["userEnteredFormat"]["textFormat"]
    assert title["fontSize"] == 14 and title["bold"] is True
    assert same_colour(rule_format(summary, 1, 1)["textFormat"]["foregroundColor"], "1F4E78")
    heading = rule_format(summary, 5, 1)["textFormat"]
    assert heading["bold"] is True
    assert same_colour(heading["foregroundColor"], COLOURS.heading_text)
    assert rule_format(summary, 2, 1) == {}  # a sentence is plain text
    assert rule_formulas(summary) == STYLE_FORMULAS
    (chart,) = summary["charts"]
    basic = chart["spec"]["basicChart"]
    assert basic["chartType"] == "COLUMN" and basic["stackedType"] == "STACKED"
    assert [a["title"] for a in basic["axis"]] == ["Section", "Recommendations"]
    assert len(basic["series"]) == 3
    # Beside its table (row 6), past the tab's four columns.
    anchor = chart["position"]["overlayPosition"]["anchorCell"]
    assert (anchor["rowIndex"], anchor["columnIndex"]) == (5, 5)

    # Same geometry: the chart stays, even when rows are added below the table; a changed
    # geometry replaces it.
    first = snap.tabs["Summary"].chart_ids
    more = (
        TabRow(()),
        TabRow((TabCell("Overdue", Role.HEADING),)),
        TabRow((TabCell("Rec No.", Role.HEADER), TabCell("Owner", Role.HEADER))),
    )
    emulator.clear_log()
    apply(connect(emulator, sid), SheetWrites(tabs={"Summary": summary_layout(0.8, extra=more)}))
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]
    assert connect(emulator, sid).read(PLAN).tabs["Summary"].chart_ids == first
    summary = grid_of(emulator, sid, "Summary")
    assert style_keys_of(summary, 13)[9:] == ["", "heading", "header", ""]
    # A header's fill stops where its cells do, as in the workbook.
    assert same_colour(rule_format(summary, 12, 2)["backgroundColor"], COLOURS.header_fill)
    assert rule_format(summary, 12, 3) == rule_format(summary, 12, 4) == {}
    apply(connect(emulator, sid), SheetWrites(tabs={"Summary": summary_layout(sections=5)}))
    summary = grid_of(emulator, sid, "Summary")
    (chart,) = summary["charts"]
    assert chart["chartId"] not in first
    domain = chart["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert (domain["startRowIndex"], domain["endRowIndex"]) == (5, 11)
    assert rule_formulas(summary) == STYLE_FORMULAS  # rebuilt, not doubled
    assert hidden_columns(summary) == [STYLE_COL]


def old_issues_tab(emulator, sid: str, *, columns: int = 8) -> int:
    """A Sync Issues tab as the previous version left it: no style column, tagged with an
    older layout digest, a rule keyed on the text of What happened; returns its id."""
    tab_id = 77
    raw_batch(
        emulator,
        sid,
        [
            {
                "addSheet": {
                    "properties": {
                        "sheetId": tab_id,
                        "title": "Sync Issues",
                        "gridProperties": {"rowCount": 20, "columnCount": columns},
                    }
                }
            },
            *(
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataKey": key,
                            "metadataValue": value,
                            "location": {"sheetId": tab_id},
                            "visibility": "DOCUMENT",
                        }
                    }
                }
                for key, value in ((tags.TAB, "issues"), (tags.LAYOUT, "0123456789abcdef"))
            ),
            {
                "addConditionalFormatRule": {
                    "rule": {
                        "ranges": [{"sheetId": tab_id, "startRowIndex": 1}],
                        "booleanRule": {
                            "condition": {
                                "type": "CUSTOM_FORMULA",
                                "values": [{"userEnteredValue": '=$C2="Bad status"'}],
                            },
                            "format": {"backgroundColor": colour_of("FFC7CE")},
                        },
                    },
                    "index": 0,
                }
            },
        ],
    )
    emulator.set_values(
        sid,
        "Sync Issues",
        "A1",
        [["Rec No.", "Field", "What happened", "Cell"], ["1", "Status", "Bad status", "E2"]],
        user_entered=True,
    )
    return tab_id


def test_a_tab_made_by_the_previous_version_is_restyled_once(emulator):
    sid = published_sid(emulator)
    tab_id = old_issues_tab(emulator, sid)
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tab_grid("Sync Issues") == [
        ["Rec No.", "Field", "What happened", "Cell"],
        [1, "Status", "Bad status", "E2"],
    ]
    assert snap.tab_styles("Sync Issues") is None

    emulator.clear_log()
    layout = issues_layout([("Bad status", Tone.ERROR), ("Edited on both sides", Tone.CONFLICT)])
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    assert posts(emulator) == [f"{sid}:batchUpdate", "values:batchUpdateByDataFilter"]
    (structure,) = [r for r in emulator.requests if r.path.endswith(":batchUpdate")]
    assert structure.body["requests"][0] == {
        "appendDimension": {"sheetId": tab_id, "dimension": "COLUMNS", "length": 18}
    }
    issues = grid_of(emulator, sid, "Sync Issues")
    assert issues["properties"]["gridProperties"]["columnCount"] == STYLE_COL
    assert rule_formulas(issues) == STYLE_FORMULAS  # the old text-keyed rule is gone
    assert hidden_columns(issues) == [STYLE_COL]
    assert style_keys_of(issues, 3) == ["header", "error", "conflict"]
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tab_grid("Sync Issues") == layout.grid()
    assert [t.key for t in snap.tabs["Sync Issues"].tags].count(tags.TAB) == 1

    emulator.clear_log()
    apply(
        connect(emulator, sid),
        SheetWrites(tabs={"Sync Issues": issues_layout([("Something new", Tone.WARNING)])}),
    )
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]


def test_a_deleted_tab_is_made_again_and_keeps_working(emulator):
    sid = published_sid(emulator)
    layout = issues_layout([("Edited on both sides", Tone.CONFLICT)])
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    old_id = connect(emulator, sid).read(PLAN).tabs["Sync Issues"].sheet_id
    raw_batch(emulator, sid, [{"deleteSheet": {"sheetId": old_id}}])

    emulator.clear_log()
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    (structure,) = [r for r in emulator.requests if r.path.endswith(":batchUpdate")]
    assert "addSheet" in structure.body["requests"][0]
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tab_grid("Sync Issues") == layout.grid()
    issues = grid_of(emulator, sid, "Sync Issues")
    assert rule_formulas(issues) == STYLE_FORMULAS
    assert hidden_columns(issues) == [STYLE_COL]
    assert same_colour(rule_format(issues, 2, 3)["backgroundColor"], COLOURS.tones[Tone.CONFLICT])

    emulator.clear_log()
    apply(
        connect(emulator, sid),
        SheetWrites(tabs={"Sync Issues": issues_layout([("Bad status", Tone.ERROR)])}),
    )
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]
    issues = grid_of(emulator, sid, "Sync Issues")
    assert same_colour(rule_format(issues, 2, 3)["backgroundColor"], COLOURS.tones[Tone.ERROR])


def test_a_style_rule_someone_removed_is_put_back_once(emulator):
    sid = published_sid(emulator)
    layout = issues_layout([("Edited on both sides", Tone.CONFLICT)])
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    tab_id = connect(emulator, sid).read(PLAN).tabs["Sync Issues"].sheet_id
    raw_batch(emulator, sid, [{"deleteConditionalFormatRule": {"sheetId": tab_id, "index": 0}}])
    assert '=$Z1="conflict"' not in rule_formulas(grid_of(emulator, sid, "Sync Issues"))

    emulator.clear_log()
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    assert posts(emulator) == [f"{sid}:batchUpdate", "values:batchUpdateByDataFilter"]
    assert rule_formulas(grid_of(emulator, sid, "Sync Issues")) == STYLE_FORMULAS
    emulator.clear_log()
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]


def test_a_tab_whose_formats_google_refused_is_read_right_and_styled_next_time(emulator):
    sid = published_sid(emulator)
    layout = issues_layout([("Edited on both sides", Tone.CONFLICT)])
    emulator.fail_next(1, "400", path_contains=":batchUpdate")
    result = apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    assert result.notes[0].endswith("the data was synced without them.")
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tab_grid("Sync Issues") == layout.grid()  # the keys are not content
    assert snap.tab_styles("Sync Issues") == ["header", "conflict"]
    assert rule_formulas(grid_of(emulator, sid, "Sync Issues")) == []

    emulator.clear_log()
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": layout}))
    assert posts(emulator) == [f"{sid}:batchUpdate", "values:batchUpdateByDataFilter"]
    issues = grid_of(emulator, sid, "Sync Issues")
    assert rule_formulas(issues) == STYLE_FORMULAS
    assert hidden_columns(issues) == [STYLE_COL]


def test_a_tab_as_wide_as_z_keeps_its_keys_past_its_last_column(emulator):
    sid = published_sid(emulator)
    header = TabRow(tuple(TabCell(f"Column {n}", Role.HEADER) for n in range(1, 31)))
    body = TabRow(tuple(TabCell(f"value {n}") for n in range(1, 31)), tone=Tone.WARNING)
    wide = TabLayout("Change Log", TabKind.LOG, (header, body), widths=(10,) * 30)
    apply(connect(emulator, sid), SheetWrites(tabs={"Change Log": wide}))
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tabs["Change Log"].style_col == 31
    assert snap.tab_grid("Change Log") == wide.grid()
    log = grid_of(emulator, sid, "Change Log")
    assert hidden_columns(log) == [31]
    assert [shown_text(log, 1, 31), shown_text(log, 2, 31)] == ["header", "warning"]
    assert same_colour(rule_format(log, 2, 30)["backgroundColor"], COLOURS.tones[Tone.WARNING])


def test_a_tab_is_made_with_room_and_grows_before_content_is_written_past_its_grid(emulator):
    """A new tab has 500 rows, so a growing Change Log or Sync Issues rarely needs a
    structural request; past them, the grid grows (by half as many again) in the request
    that precedes the values, and the new rows get the columns' formats."""
    sid = published_sid(emulator)
    apply(
        connect(emulator, sid),
        SheetWrites(tabs={"Sync Issues": issues_layout([("A", Tone.ERROR)])}),
    )
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tabs["Sync Issues"].row_count == 500
    tab_id = snap.tabs["Sync Issues"].sheet_id
    emulator.clear_log()
    apply(
        connect(emulator, sid),
        SheetWrites(tabs={"Sync Issues": issues_layout([("A", Tone.ERROR)] * 499)}),
    )
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]  # 500 rows fit
    many = issues_layout([("A", Tone.ERROR)] * 505)
    emulator.clear_log()
    apply(connect(emulator, sid), SheetWrites(tabs={"Sync Issues": many}))
    assert posts(emulator) == [f"{sid}:batchUpdate", "values:batchUpdateByDataFilter"]
    (structure,) = [r for r in emulator.requests if r.path.endswith(":batchUpdate")]
    requests = structure.body["requests"]
    assert requests[0] == {
        "appendDimension": {"sheetId": tab_id, "dimension": "ROWS", "length": 759 - 500}
    }
    assert not any("addConditionalFormatRule" in r or "addChart" in r for r in requests)
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tabs["Sync Issues"].row_count == 759
    grid = snap.tab_grid("Sync Issues")
    assert grid is not None and len(grid) == 506
    assert grid[-1] == ["505", "Status", "A", "E506"]
    assert snap.tab_styles("Sync Issues") == ["header", *["error"] * 505]
    issues = grid_of(emulator, sid, "Sync Issues")
    assert cell_at(issues, 506, 3)["userEnteredFormat"]["wrapStrategy"] == "WRAP"
    assert same_colour(rule_format(issues, 506, 3)["backgroundColor"], COLOURS.tones[Tone.ERROR])
    assert rule_formulas(issues) == STYLE_FORMULAS


# --------------------------------------------------------------------------- marks


def test_a_mark_is_set_and_cleared_with_the_cells_own_format_back(emulator):
    sid = published_sid(emulator)
    snap = connect(emulator, sid).read(PLAN)
    plan_id = snap.tabs[PLAN].sheet_id
    own = {
        "backgroundColor": colour_of("DDEEFF"),
        "backgroundColorStyle": {"rgbColor": colour_of("DDEEFF")},
    }
    raw_batch(
        emulator,
        sid,
        [
            {
                "updateCells": {
                    "rows": [{"values": [{"userEnteredFormat": own, "note": "staff note"}]}],
                    "fields": "userEnteredFormat.backgroundColor,userEnteredFormat.backgroundColorStyle,note",
                    "start": {"sheetId": plan_id, "rowIndex": 3, "columnIndex": NOTES - 1},
                }
            }
        ],
    )
    before = cell_at(grid_of(emulator, sid, PLAN), 4, NOTES)
    result = apply(
        connect(emulator, sid),
        SheetWrites(marks=(SheetMark("3", 4, NOTES, "The workbook says A; the sheet says B."),)),
    )
    token = result.tokens[("3", NOTES)]
    marked = cell_at(grid_of(emulator, sid, PLAN), 4, NOTES)
    assert marked["note"] == tags.NOTE_PREFIX + "The workbook says A; the sheet says B."
    assert same_colour(marked["userEnteredFormat"]["backgroundColor"], COLOURS.conflict_mark)
    assert connect(emulator, sid).read(PLAN).marks == {("3", NOTES): token}

    apply(connect(emulator, sid), SheetWrites(unmarks=(SheetUnmark("3", 4, NOTES, token),)))
    restored = cell_at(grid_of(emulator, sid, PLAN), 4, NOTES)
    assert restored["note"] == "staff note"
    assert same_colour(restored["userEnteredFormat"]["backgroundColor"], "DDEEFF")
    assert same_format(restored, before)
    assert connect(emulator, sid).read(PLAN).marks == {}


def test_a_mark_travels_with_its_row_and_clears_without_the_state(emulator):
    sid = published_sid(emulator)
    apply(connect(emulator, sid), SheetWrites(marks=(SheetMark("2", 3, STATUS, "differs"),)))
    plan_id = connect(emulator, sid).read(PLAN).tabs[PLAN].sheet_id
    raw_batch(
        emulator,
        sid,
        [
            {
                "sortRange": {
                    "range": {"sheetId": plan_id, "startRowIndex": 1, "endRowIndex": 7},
                    "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}],
                }
            }
        ],
    )
    snap = connect(emulator, sid).read(PLAN)
    assert set(snap.marks) == {("2", STATUS)}
    moved = cell_at(grid_of(emulator, sid, PLAN), 6, STATUS)  # rec 2 is now row 6
    assert moved["note"] == tags.NOTE_PREFIX + "differs"
    # No token kept by the run (a lost state): the sheet's own record restores the cell.
    apply(connect(emulator, sid), SheetWrites(unmarks=(SheetUnmark("2", 6, STATUS, None),)))
    cleared = cell_at(grid_of(emulator, sid, PLAN), 6, STATUS)
    assert "note" not in cleared
    assert "backgroundColor" not in cleared.get("userEnteredFormat", {})
    assert connect(emulator, sid).read(PLAN).marks == {}
