"""The generated tabs as a person sees them: Summary, Sync Issues and Change Log layouts.

The layouts are plain data that both sides draw, so these tests read them as a reader
would: which line is a title or a heading, what each table says, the colour of each row,
the words of every piece of advice, where each link goes, and the widths.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ccrc_sync.config import PlanConfig
from ccrc_sync.layout import (
    POINTS_PER_LINE,
    CellLink,
    Role,
    TabCell,
    TabKind,
    TabLayout,
    TabRow,
    Tone,
    estimate_lines,
)
from ccrc_sync.merge import Conflict, ConflictKind, Side
from ccrc_sync.schema import (
    OWNER,
    REC_NO,
    RECOMMENDATION,
    SECTION,
    STATUS,
    TARGET_DATE,
    Issue,
    RecNo,
    Severity,
    Value,
)
from ccrc_sync.state import LogEntry, LogEvent
from ccrc_sync.summary import SummaryFigures, compute
from ccrc_sync.tabs import (
    CHART_TITLE,
    ISSUES_HEADER,
    LOG_HEADER,
    MAX_WIDTH,
    NO_CHANGES,
    NO_ISSUES,
    SUMMARY_TITLE,
    advice,
    happened,
    issues_layout,
    log_layout,
    summary_layout,
)

PLAN = PlanConfig()
TODAY = dt.date(2026, 7, 2)
LONDON = ZoneInfo("Europe/London")
KEY, CQ, LD, AS, LG = PLAN.sections
LONG = (
    "The CCRC should implement an alternative mechanism to provide effective oversight of "
    "active case management, ensuring that one-to-one meetings are used appropriately."
)


def _table(complete: int = 0, parts: int = 0, overdue: bool = False) -> dict[str, dict[str, Value]]:
    """34 recommendations over the five sections; the first `complete` are Complete, the
    rest In Progress; with `parts`, rec 20 has that many lettered parts, all In Progress."""
    sections = [KEY] * 6 + [CQ] * 14 + [LD] * 2 + [AS] * 6 + [LG] * 6
    table: dict[str, dict[str, Value]] = {}
    for n, section in enumerate(sections, start=1):
        table[str(n)] = {
            REC_NO: n,
            SECTION: section,
            RECOMMENDATION: LONG if section == KEY else f"Recommendation {n}",
            STATUS: "Complete" if n <= complete else "In Progress",
            OWNER: "Head of Casework" if n % 2 else None,
            TARGET_DATE: dt.date(2026, 6, 30) if overdue and n == 30 else None,
        }
    for letter in "abcdefghijkl"[:parts]:
        table[f"20{letter}"] = {
            REC_NO: f"20{letter}",
            SECTION: CQ,
            RECOMMENDATION: f"Part {letter}",
            STATUS: "In Progress",
        }
    return table


def _figures(**kw: object) -> SummaryFigures:
    complete = int(kw.pop("complete", 0))  # type: ignore[call-overload]
    parts = int(kw.pop("parts", 0))  # type: ignore[call-overload]
    overdue = bool(kw.pop("overdue", False))
    return compute(
        _table(complete, parts, overdue),
        PLAN,
        TODAY,
        open_conflicts=int(kw.pop("open_conflicts", 0)),  # type: ignore[call-overload]
        findings={"error": 1, "warning": 4},
    )


SUMMER = dt.datetime(2026, 7, 2, 9, 15, tzinfo=LONDON)


def _texts(layout: TabLayout) -> list[Value]:
    return [c.value for row in layout.rows for c in row.cells if c.value is not None]


def _row_after(layout: TabLayout, label: str) -> TabRow:
    return next(r for r in layout.rows if r.cells and r.cells[0].value == label)


def _index(layout: TabLayout, label: str) -> int:
    """Where a heading (or else a row starting with `label`) is."""
    rows = list(enumerate(layout.rows))
    for i, r in rows:
        if r.cells and r.cells[0].value == label and r.cells[0].role is Role.HEADING:
            return i
    return next(i for i, r in rows if r.cells and r.cells[0].value == label)


# --------------------------------------------------------------------------- Summary


def test_summary_counts_complete_by_a_complete_status_written_in_lower_case() -> None:
    plan = PlanConfig(complete_status="complete", in_progress_status="in progress")
    fig = compute(_table(complete=3, parts=2), plan, TODAY)
    layout = summary_layout(fig, SUMMER, plan)
    progress = _row_after(layout, "Recommendations")
    numbers = layout.rows[layout.rows.index(progress) + 1]
    assert [c.value for c in numbers.cells] == [34, 3, 0.088]
    assert "2 lettered parts: 0 complete, 2 in progress" in _texts(layout)


def test_summary_opens_with_a_title_the_sentence_and_when_the_figures_changed() -> None:
    fig = _figures()
    layout = summary_layout(fig, SUMMER, PLAN)

    assert layout.kind is TabKind.SUMMARY and layout.title == "Summary"
    assert layout.rows[0].cells == (TabCell(SUMMARY_TITLE, Role.TITLE),)
    assert layout.rows[1].cells == (TabCell(fig.sentence, Role.SENTENCE),)
    assert fig.sentence == ("Work is underway on all 34 recommendations.")
    assert layout.rows[2].cells == (
        TabCell("Figures last changed: 2 July 2026, 09:15 BST", Role.NOTE),
    )
    winter = dt.datetime(2026, 1, 15, 2, 0, tzinfo=LONDON)
    assert summary_layout(fig, winter, PLAN).rows[2].cells[0].value == (
        "Figures last changed: 15 January 2026, 02:00 GMT"
    )
    assert summary_layout(fig, None, PLAN).rows[2].cells[0].value == (
        "Figures last changed: not yet recorded"
    )


def test_summary_tables_each_have_a_heading_and_a_header_row() -> None:
    layout = summary_layout(_figures(), SUMMER, PLAN)
    headings = [
        r.cells[0].value for r in layout.rows if r.cells and r.cells[0].role is Role.HEADING
    ]
    assert headings == [
        "Progress",
        CHART_TITLE,
        "Key Recommendations",
        "Overdue: target date passed, not complete",
        "Needs attention",
    ]
    for i, row in enumerate(layout.rows):
        if row.cells and row.cells[0].role is Role.HEADING:
            header = layout.rows[i + 1]
            assert header.cells and all(c.role is Role.HEADER for c in header.cells)
    headers = [
        tuple(c.value for c in r.cells)
        for r in layout.rows
        if r.cells and r.cells[0].role is Role.HEADER
    ]
    assert headers == [
        ("Recommendations", "Complete", "Percent complete"),
        ("Section", "Planned", "In Progress", "Complete", "Total"),
        ("Rec No.", "Status", "Owner", "Target Date", "Recommendation"),
        ("Rec No.", "Status", "Owner", "Target Date", "Section"),
        ("What", "Count", "Rec Nos."),
    ]


def test_percent_complete_is_a_fraction_shown_as_a_percentage() -> None:
    layout = summary_layout(_figures(complete=24), SUMMER, PLAN)
    progress = _index(layout, "Progress")
    assert layout.rows[progress + 2].cells == (
        TabCell(34, Role.NUMBER),
        TabCell(24, Role.NUMBER),
        TabCell(0.706, Role.PERCENT),
    )
    nothing = summary_layout(_figures(), SUMMER, PLAN)
    assert nothing.rows[progress + 2].cells[2] == TabCell(0.0, Role.PERCENT)
    # Counts by status are told once, in the section table's total row.
    assert [c.value for c in _row_after(layout, "Total").cells] == ["Total", 0, 10, 24, 34]


def test_empty_tables_say_so_in_words_and_numbers_are_never_none() -> None:
    layout = summary_layout(_figures(), SUMMER, PLAN)
    overdue = _index(layout, "Overdue: target date passed, not complete")
    assert layout.rows[overdue + 2].cells == (TabCell("No overdue recommendations.", Role.NOTE),)
    assert "None" not in _texts(layout)
    numbers = [c for r in layout.rows for c in r.cells if c.role is Role.NUMBER]
    assert numbers and all(isinstance(c.value, int) for c in numbers)
    assert all(c.value is not None for r in layout.rows for c in r.cells if c.role is Role.PERCENT)


def test_an_overdue_recommendation_is_listed_with_its_date() -> None:
    layout = summary_layout(_figures(overdue=True), SUMMER, PLAN)
    overdue = _index(layout, "Overdue: target date passed, not complete")
    assert layout.rows[overdue + 2].cells == (
        TabCell(30, Role.NUMBER),
        TabCell("In Progress", Role.TEXT),
        TabCell(None, Role.TEXT),
        TabCell(dt.date(2026, 6, 30), Role.DATE),
        TabCell(LG, Role.TEXT),
    )


def test_lettered_parts_have_a_line_of_their_own() -> None:
    layout = summary_layout(_figures(parts=12), SUMMER, PLAN)
    notes = [c.value for r in layout.rows for c in r.cells if c.role is Role.NOTE]
    assert "12 lettered parts: 0 complete, 12 in progress" in notes
    assert _row_after(layout, "Total").cells[-1].value == 34, "parts are not recommendations"
    one = summary_layout(_figures(parts=1), SUMMER, PLAN)
    assert "1 lettered part: 0 complete, 1 in progress" in _texts(one)
    assert not any("lettered" in str(v) for v in _texts(summary_layout(_figures(), None, PLAN)))


def test_needs_attention_counts_conflicts_findings_and_missing_details() -> None:
    layout = summary_layout(_figures(open_conflicts=2), SUMMER, PLAN)

    def values(label: str) -> tuple[Value, ...]:
        return tuple(c.value for c in _row_after(layout, label).cells)

    assert values("Open conflicts") == ("Open conflicts", 2, "See Sync Issues")
    assert values("Errors") == ("Errors", 1, "See Sync Issues")
    assert values("Warnings") == ("Warnings", 4, "See Sync Issues")
    assert values("Information") == ("Information", 0, None)
    assert values("No owner") == ("No owner", 17, "2, 4, 6, 8, 10, 12, 14, 16 and 9 more")
    assert values("No target date") == ("No target date", 34, "All")
    few = summary_layout(compute(_table(), PLAN, TODAY) .model_copy(
        update={"no_owner": ["3", "20a"]}), SUMMER, PLAN)  # fmt: skip
    assert [c.value for c in _row_after(few, "No owner").cells] == ["No owner", 2, "3, 20a"]


def test_key_recommendations_show_their_first_sentence_never_cut_mid_word() -> None:
    layout = summary_layout(_figures(), SUMMER, PLAN)
    key = _index(layout, "Key Recommendations")
    first = layout.rows[key + 2]
    assert [c.value for c in first.cells[:3]] == [1, "In Progress", "Head of Casework"]
    text = first.cells[4].value
    assert text == (
        "The CCRC should implement an alternative mechanism to provide effective oversight "
        "of active case management, ensuring …"
    )
    assert len(layout.rows[key + 2 : key + 8]) == 6


def test_a_key_recommendation_is_not_cut_at_an_abbreviation() -> None:
    table = _table()
    table["1"][RECOMMENDATION] = "The CCRC should publish guidance, e.g. on triage. It should."
    layout = summary_layout(compute(table, PLAN, TODAY), SUMMER, PLAN)
    first = layout.rows[_index(layout, "Key Recommendations") + 2]
    assert first.cells[4].value == "The CCRC should publish guidance, e.g. on triage."


def test_the_chart_is_stacked_by_status_per_section_below_the_tables() -> None:
    layout = summary_layout(_figures(complete=3), SUMMER, PLAN)
    chart = layout.chart
    assert chart is not None
    assert (chart.stacked, chart.x_title, chart.y_title) == (True, "Section", "Recommendations")
    grid = layout.grid()
    header = grid[chart.header_row - 1]
    assert [header[c - 1] for c in chart.series_cols] == ["Planned", "In Progress", "Complete"]
    sections = [
        grid[r - 1][chart.category_col - 1] for r in range(chart.first_row, chart.last_row + 1)
    ]
    assert sections == list(PLAN.sections)
    key = grid[chart.first_row - 1]
    assert [key[c - 1] for c in chart.series_cols] == [0, 3, 3]
    assert grid[chart.last_row][0] == "Total", "the total row is not a section"
    # Below everything, in column A, with room to spare; printed on at most two pages.
    assert chart.anchor_col == 1 and chart.anchor_row >= len(layout.rows) + 2
    assert layout.landscape and layout.max_pages_tall == 2


def test_summary_widths_fit_the_content_and_are_capped() -> None:
    layout = summary_layout(_figures(), SUMMER, PLAN)
    assert len(layout.widths) == 5
    assert all(6 <= w <= MAX_WIDTH for w in layout.widths)
    assert layout.widths[0] == len("Leadership & Governance") + 2
    assert layout.widths[1] == len("In Progress") + 2
    assert layout.widths[2] == len("2, 4, 6, 8, 10, 12, 14, 16 and 9 more") + 2
    assert layout.widths[3] == round(len("Target Date") * 1.1 + 2, 1)
    assert layout.widths[4] == MAX_WIDTH, "the Recommendation text wraps in a capped column"


def test_the_tables_fit_one_a4_landscape_page_and_the_chart_the_next() -> None:
    """A4 landscape with Excel's normal margins (0.7" sides, 0.75" top and bottom), scaled
    to fit: the tables on one page, the chart (after a page break) on the second, at a
    scale that still reads (at least 70%)."""
    layout = summary_layout(_figures(overdue=True, parts=12, open_conflicts=1), SUMMER, PLAN)
    page_width, page_height = 842 - 2 * 50.4, 595 - 2 * 54
    points_per_char = 5.25  # Calibri 11: about 7 pixels a character at 96 dpi
    width = sum(layout.widths) * points_per_char + 5 * len(layout.widths)
    lines = 0
    for row in layout.rows:
        texts = [
            (str(c.value), layout.widths[i])
            for i, c in enumerate(row.cells)
            if c.value is not None
            and c.role not in (Role.TITLE, Role.SENTENCE, Role.HEADING)
            and c.role is not Role.NOTE
        ]
        lines += max([1, *(estimate_lines(t, w) for t, w in texts)])
    scale = min(1.0, page_width / width, page_height / (lines * POINTS_PER_LINE))
    assert scale >= 0.7, (scale, lines, width)
    assert layout.chart is not None
    assert layout.chart.height_rows * POINTS_PER_LINE * scale <= page_height


def test_summary_is_a_pure_function_of_its_inputs() -> None:
    assert summary_layout(_figures(), SUMMER, PLAN) == summary_layout(_figures(), SUMMER, PLAN)
    grid = summary_layout(_figures(), SUMMER, PLAN).grid()
    assert len({len(row) for row in grid}) == 1, "rectangular, so old cells are cleared"


# --------------------------------------------------------------------------- Sync Issues

WB = CellLink("Action Plan", 8, 6)
SH = CellLink("Action Plan", 12, 6)


def _where(side: Side):  # type: ignore[no-untyped-def]
    def where(rec_no: RecNo, field: str | None) -> CellLink | None:
        if rec_no == "99":
            return None  # not on this side
        row = int(rec_no.rstrip("ab")) + (1 if side is Side.WORKBOOK else 5)
        return CellLink("Action Plan", row, 6 if field == "Owner" else 1)

    return where


ADVICE = {
    ConflictKind.EDIT: (
        "Neither side was overwritten. Decide which value is right and make both sides say "
        "it; the next sync then clears this row."
    ),
    ConflictKind.FIRST: (
        "Nothing was copied either way. Decide which value is right and make both sides say "
        "it; from then on the sync keeps them in step."
    ),
    ConflictKind.ADDED: (
        "Two rows may have been given the same Rec No. If they are the same recommendation, "
        "make the two rows say the same; if not, give one of them a new Rec No."
    ),
    ConflictKind.DELETED: (
        "If Rec 7 should go, delete it from the workbook too. If it should stay, put the row "
        "back in the Google Sheet (copy it from the workbook)."
    ),
    ConflictKind.DELETED_EDITED: (
        "Nothing was deleted. If Rec 7 should go, delete it from the workbook as well; if it "
        "should stay, put the row back in the Google Sheet."
    ),
    ConflictKind.ONE_SIDE: (
        "If Rec 7 belongs in the plan, add the same row to the workbook; if not, delete it "
        "from the Google Sheet."
    ),
    ConflictKind.RESTORED: (
        "If the older value is right, type it in the workbook too; if not, put the newer "
        "value back in the Google Sheet. To keep the whole older copy, ask whoever runs the "
        "sync to run it once with --accept-restore."
    ),
}
HAPPENED = {
    ConflictKind.EDIT: (
        "Changed on both sides since the last sync, to different values. Agreed value at the "
        "last sync: “Head of Casework”."
    ),
    ConflictKind.FIRST: (
        "The two sides differ, and there is no agreed value from an earlier sync to tell "
        "which one changed."
    ),
    ConflictKind.ADDED: "Rec 7 was added on both sides since the last sync, and the two rows differ.",
    ConflictKind.DELETED: "Rec 7 was deleted from the Google Sheet but is still in the workbook.",
    ConflictKind.DELETED_EDITED: (
        "Rec 7 was deleted from the Google Sheet, but this was edited in the workbook; the "
        "edit was kept. Agreed value at the last sync: “Head of Casework”."
    ),
    ConflictKind.ONE_SIDE: (
        "Rec 7 is only in the Google Sheet, and the two sides have not been synced before."
    ),
    ConflictKind.RESTORED: (
        "The Google Sheet looks like an older copy put back (from a backup or version "
        "history), so its older value was not copied across."
    ),
}


def _conflict(kind: ConflictKind, side: Side | None = Side.SHEET) -> Conflict:
    return Conflict("7", "Owner", "Head of Casework", "A. Smith", "B. Jones", kind, side)


@pytest.mark.parametrize("kind", list(ConflictKind))
def test_every_kind_of_conflict_has_its_own_advice_word_for_word(kind: ConflictKind) -> None:
    # The side is where the row was deleted, the side that alone has it, or the side that
    # was restored: the Google Sheet in each of these.
    conflict = _conflict(kind)
    assert advice(conflict) == ADVICE[kind]
    assert happened(conflict) == HAPPENED[kind]


def test_the_advice_table_covers_every_kind_and_no_two_kinds_share_advice() -> None:
    assert set(ADVICE) == set(ConflictKind) == set(HAPPENED)
    assert len({advice(_conflict(kind)) for kind in ConflictKind}) == len(ConflictKind)
    assert len({happened(_conflict(kind)) for kind in ConflictKind}) == len(ConflictKind)


def test_a_plain_deletion_is_never_described_as_an_edit_that_was_kept() -> None:
    deleted = Conflict("12", None, "12", "12", None, ConflictKind.DELETED, Side.SHEET)
    assert "edit" not in advice(deleted) and "edit" not in happened(deleted)
    assert advice(deleted).startswith("If Rec 12 should go, delete it from the workbook too.")


def test_the_agreed_value_is_named_only_where_it_matters() -> None:
    for kind in ConflictKind:
        text = happened(_conflict(kind)) + advice(_conflict(kind))
        assert ("Agreed value at the last sync" in text) == (
            kind in (ConflictKind.EDIT, ConflictKind.DELETED_EDITED)
        )
        assert "base" not in text.lower()


def _issue(severity: Severity, rec_no: str | None, **kw: str) -> Issue:
    return Issue(
        severity=severity,
        code=kw.get("code", "status.unknown"),
        sheet="Action Plan",
        cell=kw.get("cell", "E6"),
        rec_no=rec_no,
        field=kw.get("field", "Status"),
        value=kw.get("value", "Finished"),
        message=kw.get(
            "message", "Status 'Finished' is not one of: Planned, In Progress, Complete."
        ),
        suggestion=kw.get("suggestion", "Did you mean 'Complete'?"),
    )


def _issues_tab(side: Side = Side.WORKBOOK) -> TabLayout:
    conflicts = [
        Conflict("12", "Owner", "Head of Casework", "A. Smith", "B. Jones", ConflictKind.EDIT),
        Conflict("3", None, "3", "3", None, ConflictKind.DELETED, Side.SHEET),
    ]
    issues = [
        _issue(Severity.INFO, None, code="column.unknown", cell="K1", field="", value="Extra",
               message="Column K ('Extra') is not one of the plan's columns.", suggestion=""),
        _issue(Severity.WARNING, "9", field="Owner", value=" Jo ",
               message="In the Google Sheet: Owner has spaces at its start or end.",
               suggestion="Remove the spaces."),
        _issue(Severity.ERROR, "5"),
    ]  # fmt: skip
    return issues_layout(conflicts, issues, side=side, where=_where(side), plan_sheet="Action Plan")


def test_sync_issues_columns_and_order_conflicts_errors_warnings_info() -> None:
    layout = _issues_tab()
    assert layout.kind is TabKind.ISSUES and layout.freeze_rows == 1
    assert tuple(c.value for c in layout.rows[0].cells) == ISSUES_HEADER == (
        "Rec No.", "Field", "What happened", "In the workbook", "In the Google Sheet",
        "What to do", "Cell",
    )  # fmt: skip
    assert all(c.role is Role.HEADER for c in layout.rows[0].cells)
    assert [(r.cells[0].value, r.tone) for r in layout.rows[1:]] == [
        (3, Tone.CONFLICT),
        (12, Tone.CONFLICT),
        (5, Tone.ERROR),
        (9, Tone.WARNING),
        (None, Tone.INFO),
    ]


def test_a_conflict_row_reads_in_plain_words_with_both_values_and_its_cell() -> None:
    edit = _issues_tab().rows[2]
    assert [c.value for c in edit.cells] == [
        12,
        "Owner",
        HAPPENED[ConflictKind.EDIT],
        "A. Smith",
        "B. Jones",
        ADVICE[ConflictKind.EDIT].replace("Rec 7", "Rec 12"),
        "Action Plan!F13",
    ]
    assert edit.cells[6].link == CellLink("Action Plan", 13, 6)
    deleted = _issues_tab().rows[1]
    assert [c.value for c in deleted.cells[:5]] == [
        3,
        "Whole row",
        "Rec 3 was deleted from the Google Sheet but is still in the workbook.",
        "Has the row",
        "Deleted",
    ]


def test_each_side_links_to_its_own_cells() -> None:
    book, sheet = _issues_tab(Side.WORKBOOK), _issues_tab(Side.SHEET)
    assert book.rows[2].cells[6].link == CellLink("Action Plan", 13, 6)
    assert sheet.rows[2].cells[6].link == CellLink("Action Plan", 17, 6)
    assert sheet.rows[2].cells[6].value == "Action Plan!F17"
    # A finding made on the workbook still links to that recommendation's cell on the sheet.
    assert sheet.rows[3].cells[6].link == CellLink("Action Plan", 10, 1)
    # A finding with no recommendation links to its own cell only on the side it was found.
    assert book.rows[5].cells[6] == TabCell(
        "Action Plan!K1", Role.TEXT, CellLink("Action Plan", 1, 11)
    )
    assert sheet.rows[5].cells[6] == TabCell(None)


def test_a_cell_is_always_filled_where_the_row_has_one_on_that_side() -> None:
    layout = _issues_tab()
    assert all(r.cells[6].link is not None for r in layout.rows[1:5])
    gone = issues_layout(
        [Conflict("99", None, "99", None, "99", ConflictKind.DELETED, Side.WORKBOOK)],
        [],
        side=Side.WORKBOOK,
        where=_where(Side.WORKBOOK),
        plan_sheet="Action Plan",
    )
    assert gone.rows[1].cells[6] == TabCell(None), "deleted here: no cell to link to"


def test_a_findings_value_is_under_the_side_it_was_found_on() -> None:
    layout = _issues_tab()
    error, warning = layout.rows[3], layout.rows[4]
    assert (error.cells[3].value, error.cells[4].value) == ("Finished", None)
    assert (
        error.cells[2].value == "Status 'Finished' is not one of: Planned, In Progress, Complete."
    )
    assert error.cells[5].value == "Did you mean 'Complete'?"
    assert (warning.cells[3].value, warning.cells[4].value) == (None, " Jo ")
    assert warning.cells[2].value == "Owner has spaces at its start or end."


def test_an_empty_sync_issues_tab_says_so() -> None:
    layout = issues_layout(
        [], [], side=Side.SHEET, where=_where(Side.SHEET), plan_sheet="Action Plan"
    )
    assert len(layout.rows) == 2
    assert layout.rows[1].cells == (TabCell(NO_ISSUES, Role.NOTE),)
    assert NO_ISSUES == "No open conflicts or findings: the workbook and the Google Sheet agree."


def test_sync_issues_widths_fit_and_prose_columns_are_wide_enough_to_read() -> None:
    layout = _issues_tab()
    assert len(layout.widths) == len(ISSUES_HEADER)
    assert all(6 <= w <= MAX_WIDTH for w in layout.widths)
    assert layout.widths[2] == MAX_WIDTH and layout.widths[5] == MAX_WIDTH
    assert layout.widths[0] == round(len("Rec No.") * 1.1 + 2, 1)
    assert layout.widths[6] == len("Action Plan!F13") + 2


# --------------------------------------------------------------------------- Change Log


def _entry(when: dt.datetime, rec_no: str, field: str, **kw: object) -> LogEntry:
    return LogEntry(
        when=when,
        run_id="r1",
        rec_no=rec_no,
        field=field,
        source=str(kw.get("source", "sheet")),
        target=str(kw.get("target", "workbook")),
        old=kw.get("old", "Planned"),  # type: ignore[arg-type]
        new=kw.get("new", "In Progress"),  # type: ignore[arg-type]
        event=kw.get("event", LogEvent.CARRIED),  # type: ignore[arg-type]
    )


UTC = dt.UTC


def test_change_log_columns_newest_first_in_the_configured_zone() -> None:
    entries = [
        _entry(dt.datetime(2026, 1, 15, 2, 0, tzinfo=UTC), "4", "Status"),
        _entry(dt.datetime(2026, 7, 2, 1, 0, tzinfo=UTC), "20a", "Target Date",
               source="workbook", target="sheet", old=None, new=dt.date(2027, 3, 31)),
    ]  # fmt: skip
    layout = log_layout(entries, zone=LONDON, limit=None)
    assert layout.kind is TabKind.LOG and layout.freeze_rows == 1
    assert tuple(c.value for c in layout.rows[0].cells) == LOG_HEADER == (
        "When", "Rec No.", "Field", "What happened", "From", "To", "Old value", "New value",
    )  # fmt: skip
    assert [c.value for c in layout.rows[1].cells] == [
        "02/07/2026 02:00 BST",
        "20a",
        "Target Date",
        "Entered in the workbook; copied to the Google Sheet",
        "Workbook",
        "Google Sheet",
        None,
        dt.date(2027, 3, 31),
    ]
    assert layout.rows[1].cells[7].role is Role.DATE
    assert [c.value for c in layout.rows[2].cells] == [
        "15/01/2026 02:00 GMT",
        4,
        "Status",
        "Changed in the Google Sheet; copied to the workbook",
        "Google Sheet",
        "Workbook",
        "Planned",
        "In Progress",
    ]
    assert len(log_layout(entries, zone=LONDON, limit=1).rows) == 2


def test_a_resolved_conflict_says_which_value_stood_and_shows_both() -> None:
    resolved = _entry(
        dt.datetime(2026, 7, 3, 1, 0, tzinfo=UTC), "7", "Owner",
        old="A. Smith", new="B. Jones", event=LogEvent.RESOLVED,
    )  # fmt: skip
    row = log_layout([resolved], zone=LONDON, limit=None).rows[1]
    assert [c.value for c in row.cells] == [
        "03/07/2026 02:00 BST",
        7,
        "Owner",
        "Conflict resolved: the Google Sheet's value stood",
        "Google Sheet",
        "Workbook",
        "A. Smith",
        "B. Jones",
    ]


def test_a_first_publish_is_one_line_not_a_line_per_cell() -> None:
    publish = _entry(
        dt.datetime(2026, 7, 1, 1, 0, tzinfo=UTC), "", "",
        source="workbook", target="sheet", old=None, new=34,
    )  # fmt: skip
    layout = log_layout([publish], zone=LONDON, limit=None)
    assert len(layout.rows) == 2
    assert [c.value for c in layout.rows[1].cells] == [
        "01/07/2026 02:00 BST",
        None,
        None,
        "Published the plan (34 recommendations) to the Google Sheet",
        "Workbook",
        "Google Sheet",
        None,
        None,
    ]


def test_an_empty_change_log_says_so() -> None:
    layout = log_layout([], zone=LONDON, limit=500)
    assert layout.rows[1].cells == (TabCell(NO_CHANGES, Role.NOTE),)
