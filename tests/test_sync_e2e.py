"""`ccrc-sync sync` end to end: the real CLI, a real workbook, real gspread over HTTP to the
emulator. Each test does what a member of staff would do on one side or both, runs the
sync, and reads both sides back the way a person would see them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock
from fixtures.plans import X14_VALIDATION, add_shape, add_x14_validation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from synchelp import (  # noqa: F401  (the *_fixture names register the fixtures)
    MANAGED,
    PLAN,
    TEMPLATE,
    Result,
    Rig,
    baseline_fixture,
    fresh_fixture,
    restore,
    synced_fixture,
    text,
    tree_digest,
    writes,
)

OWNER, NOTES, STATUS, TARGET = "Owner", "Notes", "Status", "Target Date"


def flat(grid: list[list]) -> str:
    """A tab as one string, to look for what a person would look for in it."""
    return "\n".join(" | ".join(text(v) for v in row) for row in grid)


def _sheet_ids(body: object) -> set[int]:
    """Every tab a structural request names by id, however deep."""
    if isinstance(body, dict):
        found = {body["sheetId"]} if isinstance(body.get("sheetId"), int) else set()
        return found.union(*(_sheet_ids(v) for v in body.values()))
    if isinstance(body, list):
        return set().union(*(_sheet_ids(v) for v in body))
    return set()


def plan_writes(emu, rig: Rig) -> list:
    """Write requests that touch the Action Plan tab (the generated tabs aside): a values
    write to its range or to its rows' tags, or a structural request naming it."""
    plan_id = rig.tab_id(PLAN)
    touched = []
    for r in writes(emu):
        body = r.body or {}
        for data in body.get("data", []):
            where = data.get("range") or data.get("dataFilter", {}).get("a1Range")
            if where is None or PLAN in where:  # by a row's tags, or a range in the plan
                touched.append(r)
                break
        else:
            if plan_id in _sheet_ids(body.get("requests", [])):
                touched.append(r)
    return touched


def change_keys(result) -> set[tuple[str, str, str]]:
    return {(c["rec_no"], c["field"], c["to"]) for c in result.json["changes"]}


def conflict_keys(result) -> set[tuple[str, str | None]]:
    return {(c["rec_no"], c["field"]) for c in result.json["conflicts"]}


# --------------------------------------------------------------------------- first sync


def test_first_sync_publishes_the_plan_and_a_second_run_sends_no_write(fresh: Rig) -> None:
    first = fresh.sync()
    assert first.code == 0, first.out + first.err
    assert first.json["status"] == "ok"
    assert first.json["api_calls"] == 3  # the read, the tabs created, the values

    book = fresh.book_grid()
    sheet = fresh.sheet_grid()
    assert sheet[0] == [text(h) for h in book[0]]  # headers in row 1, as in the workbook
    assert len(fresh.sheet_rows()) == 46  # 34 recommendations and their 12 lettered parts
    assert {r: {k: text(v) for k, v in row.items()} for r, row in fresh.book_rows().items()} == {
        r: {k: text(v) for k, v in row.items()} for r, row in fresh.sheet_rows().items()
    }
    for tab in MANAGED:
        assert tab in fresh.book_tabs()
        assert tab in fresh.sheet_tabs()
    for log in (fresh.book_grid("Change Log"), fresh.sheet_grid("Change Log")):
        [line] = log[1:]  # the publish is one line, not 46 x 11 cells
        assert "Published the plan (34 recommendations) to the Google Sheet" in line

    fresh.emu.clear_log()
    before = fresh.workbook.read_bytes()
    second = fresh.sync()
    assert second.code == 0 and second.json["changes"] == []
    seen = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fresh.emu.requests]
    assert writes(fresh.emu) == [], seen
    assert seen == [("GET", fresh.sid)]  # one read of the whole spreadsheet, and nothing else
    assert second.json["api_calls"] == len(fresh.emu.requests)
    assert fresh.workbook.read_bytes() == before


def _calls(rig: Rig) -> list[tuple[str, str]]:
    return [(r.method, r.path.rsplit("/", 1)[-1].replace(rig.sid, "")) for r in rig.emu.requests]


def test_the_request_budget_one_to_read_one_more_to_write_a_third_for_structure(
    synced: Rig,
) -> None:
    """Issue 13.2: an idle sync costs 1 request; a sync with changes 2 (one read, one
    values write); 3 when the structure changes (here a row inserted for a new one)."""
    idle = synced.sync()
    assert _calls(synced) == [("GET", "")] and idle.json["api_calls"] == 1

    for n, rec in enumerate((5, 8, 11)):  # edits both ways, run after run
        synced.edit_book({(rec, OWNER): f"Owner {n}"})
        synced.edit_sheet({(rec + 1, NOTES): f"Note {n}"})
        synced.emu.clear_log()
        changed = synced.sync()
        assert len(changed.json["changes"]) == 2, changed.out
        assert _calls(synced) == [("GET", ""), ("POST", "values:batchUpdateByDataFilter")]
        assert changed.json["api_calls"] == 2

    synced.add_book_row(NEW_ROW)
    synced.emu.clear_log()
    grown = synced.sync()
    assert grown.code == 0, grown.out
    assert _calls(synced) == [
        ("GET", ""),
        ("POST", ":batchUpdate"),
        ("POST", "values:batchUpdateByDataFilter"),
    ]
    assert grown.json["api_calls"] == 3


def test_a_service_that_refuses_the_furniture_still_gets_the_data(fresh: Rig) -> None:
    """Drop-downs, formats and the chart are refused (400): the plan still goes across."""
    fresh.emu.fail_next(1, "400", path_contains=":batchUpdate", method="POST")
    first = fresh.sync()
    assert first.code == 0, first.out + first.err
    [note] = [n for n in first.json["notes"] if "refused the formats, drop-downs" in n]
    assert note.endswith("the data was synced without them.")
    assert len(fresh.sheet_rows()) == 46
    for tab in MANAGED:
        assert tab in fresh.sheet_tabs()


def test_a_conflict_mark_the_sheet_refused_is_placed_by_the_next_run(synced: Rig) -> None:
    synced.edit_book({(5, OWNER): "Jo Bloggs"})
    synced.edit_sheet({(5, OWNER): "Sam Smith"})

    def note() -> str | None:
        cell = synced.sheet_cell(5, OWNER)
        query = {"ranges": [f"'{PLAN}'!{cell}"], "includeGridData": ["true"]}
        found = synced.api("GET", "", query)
        [row] = found["sheets"][0]["data"][0]["rowData"]
        return row["values"][0].get("note")

    synced.emu.fail_next(1, "400", path_contains=":batchUpdate", method="POST")
    refused = synced.sync()
    assert refused.code == 1 and len(refused.json["conflicts"]) == 1, refused.out
    assert any("refused the formats" in n for n in refused.json["notes"])
    assert note() is None
    again = synced.sync()
    assert again.code == 1 and len(again.json["conflicts"]) == 1, again.out
    assert "Jo Bloggs" in (note() or "") and "Sam Smith" in (note() or "")


def test_unreadable_workbook_fails_in_one_line_without_touching_the_sheet(fresh: Rig) -> None:
    fresh.workbook.write_bytes(b"this is not a spreadsheet")
    result = fresh.sync()
    assert result.code == 2
    assert result.err.count("\n") == 1 and "plan.xlsx" in result.err
    assert "Traceback" not in result.err
    assert writes(fresh.emu) == []


# --------------------------------------------------------------------------- merge rules


@dataclass
class Case:
    """One merge rule as staff meet it: what they do, then what they should see."""

    name: str
    arrange: Callable[[Rig], None]
    check: Callable[[Rig, object], None]
    config: str = ""


def _book_then_sheet(rig: Rig, rec: str, field: str) -> tuple[str, str]:
    return text(rig.book_rows()[rec][field]), text(rig.sheet_rows()[rec].get(field))


def _check_one_sided(to: str, rec: str, field: str, value: str) -> Callable:
    def check(rig: Rig, result) -> None:
        assert result.code == 0, result.out
        assert change_keys(result) == {(rec, field, to)}
        assert _book_then_sheet(rig, rec, field) == (value, value)

    return check


def _same_both(rig: Rig) -> None:
    rig.edit_book({(7, OWNER): "Sam Patel"})
    rig.edit_sheet({(7, OWNER): "Sam Patel"})


def _check_same_both(rig: Rig, result) -> None:
    assert result.code == 0 and result.json["changes"] == []
    assert _book_then_sheet(rig, "7", OWNER) == ("Sam Patel", "Sam Patel")


def _different_both(rig: Rig) -> None:
    rig.edit_book({(9, OWNER): "Alex Book"})
    rig.edit_sheet({(9, OWNER): "Blake Sheet"})


def _check_conflict_cycle(rig: Rig, result) -> None:
    assert result.code == 1 and result.json["status"] == "flagged"
    assert result.json["conflicts"] == [
        {
            "rec_no": "9",
            "field": OWNER,
            "base": None,
            "workbook": "Alex Book",
            "sheet": "Blake Sheet",
        }
    ]
    assert _book_then_sheet(rig, "9", OWNER) == ("Alex Book", "Blake Sheet")
    for issues in (flat(rig.book_grid("Sync Issues")), flat(rig.sheet_grid("Sync Issues"))):
        assert "Alex Book" in issues and "Blake Sheet" in issues and OWNER in issues
        assert "Action Plan!F10" in issues  # where to go: Rec 9's Owner cell

    again = rig.sync()  # nobody has acted: still flagged, still nothing overwritten
    assert again.code == 1 and conflict_keys(again) == {("9", OWNER)}
    assert _book_then_sheet(rig, "9", OWNER) == ("Alex Book", "Blake Sheet")

    rig.edit_sheet({(9, OWNER): "Alex Book"})  # a person settles it
    settled = rig.sync()
    assert settled.code == 0 and settled.json["conflicts"] == []
    for issues in (flat(rig.book_grid("Sync Issues")), flat(rig.sheet_grid("Sync Issues"))):
        assert "Blake Sheet" not in issues
    rig.assert_quiet()


def _check_winner(value: str) -> Callable:
    def check(rig: Rig, result) -> None:
        assert result.code == 0, result.out
        assert result.json["conflicts"] == []
        assert _book_then_sheet(rig, "9", OWNER) == (value, value)

    return check


NEW_ROW = {
    "Rec No.": 35,
    "Section": "Assurance",
    "Recommendation": "Audit the audit.",
    "Action": "Plan an audit.",
    "Status": "Planned",
    "Owner": "Kim Lee",
}


def _check_new_row(to: str) -> Callable:
    def check(rig: Rig, result) -> None:
        assert result.code == 0, result.out
        assert {k for k in change_keys(result)} == {("35", f, to) for f in NEW_ROW}
        for rows in (rig.book_rows(), rig.sheet_rows()):
            assert {k: text(rows["35"][k]) for k in NEW_ROW} == {
                k: text(v) for k, v in NEW_ROW.items()
            }
            assert len(rows) == 47
        rig.assert_quiet()

    return check


def _added_both_differently(rig: Rig) -> None:
    rig.add_book_row(NEW_ROW)
    rig.add_sheet_row({**NEW_ROW, "Owner": "Someone Else"})


def _check_added_both(rig: Rig, result) -> None:
    assert result.code == 1
    assert ("35", OWNER) in conflict_keys(result)
    assert _book_then_sheet(rig, "35", OWNER) == ("Kim Lee", "Someone Else")


def _check_deleted(gone_from: str) -> Callable:
    def check(rig: Rig, result) -> None:
        assert result.code == 1, result.out
        assert conflict_keys(result) == {("12", None)}
        assert ("12" in rig.book_rows()) == (gone_from != "workbook")
        assert ("12" in rig.sheet_rows()) == (gone_from != "sheet")
        again = rig.sync()  # still flagged, still not propagated
        assert again.code == 1 and conflict_keys(again) == {("12", None)}
        assert ("12" in rig.book_rows()) == (gone_from != "workbook")
        assert ("12" in rig.sheet_rows()) == (gone_from != "sheet")

    return check


def _check_deletion_propagated(rig: Rig, result) -> None:
    assert result.code == 0, result.out
    assert result.json["conflicts"] == []
    assert "12" not in rig.book_rows() and "12" not in rig.sheet_rows()
    assert len(rig.book_rows()) == len(rig.sheet_rows()) == 45
    rig.assert_quiet()  # and it stays deleted: not resurrected from the other side
    assert "12" not in rig.book_rows() and "12" not in rig.sheet_rows()


PROPAGATE = '[sync]\npropagate_deletions = true\n[plan]\nrec_nos = "1-11, 13-34"\n'


def _deleted_book_edited_sheet(rig: Rig) -> None:
    rig.delete_book_row(12)
    rig.edit_sheet({(12, NOTES): "Do not lose this note"})


def _deleted_sheet_edited_book(rig: Rig) -> None:
    rig.delete_sheet_row(12)
    rig.edit_book({(12, NOTES): "Do not lose this note"})


def _check_deleted_edited(kept_on: str) -> Callable:
    def check(rig: Rig, result) -> None:
        assert result.code == 1, result.out
        assert ("12", NOTES) in conflict_keys(result)
        rows = rig.sheet_rows() if kept_on == "sheet" else rig.book_rows()
        assert rows["12"][NOTES] == "Do not lose this note"
        issues = flat(rig.book_grid("Sync Issues")) + flat(rig.sheet_grid("Sync Issues"))
        assert "Do not lose this note" in issues
        again = rig.sync()
        assert again.code == 1
        rows = rig.sheet_rows() if kept_on == "sheet" else rig.book_rows()
        assert rows["12"][NOTES] == "Do not lose this note"

    return check


def _check_invalid_status(rig: Rig, result) -> None:
    assert result.code == 1, result.out
    assert result.json["changes"] == []
    assert text(rig.book_rows()["4"][STATUS]) == "In Progress"
    assert rig.sheet_rows()["4"][STATUS] == "Done"
    assert any(i["rec_no"] == "4" and i["field"] == STATUS for i in result.json["issues"])
    # Once a person fixes it on the sheet, the fix is an ordinary edit and goes across.
    rig.edit_sheet({(4, STATUS): "Complete"})
    fixed = rig.sync()
    assert fixed.code == 0, fixed.out
    assert text(rig.book_rows()["4"][STATUS]) == "Complete"


def _check_invalid_rec_no(rig: Rig, result) -> None:
    assert result.code == 1, result.out
    assert result.json["changes"] == []
    assert len(rig.book_rows()) == 46
    assert "Orphan action" not in flat(rig.book_grid())


def _representations(rig: Rig) -> None:
    rig.edit_sheet({(1, STATUS): "In progress", (2, STATUS): "planned"}, strict=False)
    rig.edit_book({(3, "Action"): "  " + rig.book_rows()["3"]["Action"] + "  "})


def _check_nothing(rig: Rig, result) -> None:
    """Not changes: nothing carried across (the spelling may still earn a warning)."""
    assert result.code == 0, result.out
    assert result.json["changes"] == [] and result.json["conflicts"] == []
    assert plan_writes(rig.emu, rig) == []
    assert rig.sheet_rows()["1"][STATUS] == "In progress"
    assert rig.book_rows()["1"][STATUS] == "In Progress"


def _formula_text(rig: Rig) -> None:
    rig.edit_book({(2, NOTES): "=SUM(1,2)", (3, NOTES): "+44 20 7946 0000"})
    rig.edit_sheet({(4, NOTES): "-not minus", (5, NOTES): "@not a mention"}, user_entered=False)


def _check_formula_text(rig: Rig, result) -> None:
    assert result.code == 0, result.out
    expected = {
        "2": "=SUM(1,2)",
        "3": "+44 20 7946 0000",
        "4": "-not minus",
        "5": "@not a mention",
    }
    book, sheet = rig.book_rows(), rig.sheet_rows()
    for rec, value in expected.items():
        assert sheet[rec][NOTES] == value  # shown as typed, not evaluated
        assert book[rec][NOTES] == value
    wb = load_workbook(rig.workbook)
    ws = wb[PLAN]
    notes_col = [c.value for c in ws[1]].index(NOTES) + 1
    for row in range(2, 7):
        cell = ws.cell(row, notes_col)
        assert cell.value is None or cell.data_type == "s", (cell.coordinate, cell.data_type)
    # The two the sync wrote are marked as text, so Excel keeps them text when edited.
    assert [ws.cell(row, notes_col).quotePrefix for row in (5, 6)] == [True, True]
    rig.assert_quiet()


UNICODE = "Zoë Ångström — naïve café ✓ 北京\nSecond line: “quoted”"


def _check_unicode(rig: Rig, result) -> None:
    assert result.code == 0, result.out
    assert rig.book_rows()["6"][NOTES] == UNICODE
    assert rig.sheet_rows()["6"][NOTES] == UNICODE
    assert rig.sheet_rows()["8"][OWNER] == "Siân O’Connor"
    assert rig.book_rows()["8"][OWNER] == "Siân O’Connor"
    rig.assert_quiet()


def _check_typed_date(rig: Rig, result) -> None:
    assert result.code == 0, result.out
    wb = load_workbook(rig.workbook)
    ws = wb[PLAN]
    headers = [c.value for c in ws[1]]
    cell = ws.cell(11 + 1, headers.index(TARGET) + 1)  # Rec 11 is on row 12
    assert ws.cell(12, 1).value == 11
    assert isinstance(cell.value, dt.datetime) and cell.value.date() == dt.date(2027, 3, 31)
    assert cell.is_date
    rig.assert_quiet()


CASES = [
    Case(
        "workbook-edit-reaches-sheet",
        lambda rig: rig.edit_book({(5, OWNER): "Jo Bloggs"}),
        _check_one_sided("sheet", "5", OWNER, "Jo Bloggs"),
    ),
    Case(
        "sheet-edit-reaches-workbook",
        lambda rig: rig.edit_sheet({(6, NOTES): "Board paper due"}),
        _check_one_sided("workbook", "6", NOTES, "Board paper due"),
    ),
    Case("same-edit-both-sides", _same_both, _check_same_both),
    Case("different-edits-conflict", _different_both, _check_conflict_cycle),
    Case(
        "workbook-wins",
        _different_both,
        _check_winner("Alex Book"),
        config='[sync]\npolicy = "workbook-wins"\n',
    ),
    Case(
        "sheet-wins",
        _different_both,
        _check_winner("Blake Sheet"),
        config='[sync]\npolicy = "sheet-wins"\n',
    ),
    Case("row-added-in-workbook", lambda rig: rig.add_book_row(NEW_ROW), _check_new_row("sheet")),
    Case("row-added-in-sheet", lambda rig: rig.add_sheet_row(NEW_ROW), _check_new_row("workbook")),
    Case("same-rec-added-both-differently", _added_both_differently, _check_added_both),
    Case(
        "row-deleted-in-workbook",
        lambda rig: rig.delete_book_row(12),
        _check_deleted("workbook"),
    ),
    Case("row-deleted-in-sheet", lambda rig: rig.delete_sheet_row(12), _check_deleted("sheet")),
    Case(
        "deletion-in-workbook-propagated-when-configured",
        lambda rig: rig.delete_book_row(12),
        _check_deletion_propagated,
        config=PROPAGATE,
    ),
    Case(
        "deletion-in-sheet-propagated-when-configured",
        lambda rig: rig.delete_sheet_row(12),
        _check_deletion_propagated,
        config=PROPAGATE,
    ),
    Case(
        "deleted-in-workbook-edited-in-sheet",
        _deleted_book_edited_sheet,
        _check_deleted_edited("sheet"),
    ),
    Case(
        "deleted-in-sheet-edited-in-workbook",
        _deleted_sheet_edited_book,
        _check_deleted_edited("workbook"),
    ),
    Case(
        "invalid-status-not-propagated",
        lambda rig: rig.edit_sheet({(4, STATUS): "Done"}, strict=False),
        _check_invalid_status,
    ),
    Case(
        "invalid-rec-no-not-propagated",
        lambda rig: rig.add_sheet_row({**NEW_ROW, "Rec No.": "abc", "Action": "Orphan action"}),
        _check_invalid_rec_no,
    ),
    Case("representation-only-differences", _representations, _check_nothing),
    Case("formula-like-text-stays-text", _formula_text, _check_formula_text),
    Case(
        "non-ascii-and-multi-line",
        lambda rig: (
            rig.edit_book({(6, NOTES): UNICODE}),
            rig.edit_sheet({(8, OWNER): "Siân O’Connor"}),
        ),
        _check_unicode,
    ),
    Case(
        "date-typed-in-sheet-is-a-date",
        lambda rig: rig.edit_sheet({(11, TARGET): "2027-03-31"}),
        _check_typed_date,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_merge_rule(synced: Rig, case: Case) -> None:
    if case.config:
        synced.write_config(case.config)
    case.arrange(synced)
    synced.emu.clear_log()
    result = synced.sync()
    case.check(synced, result)


def test_dates_numbers_and_text_dates_are_not_changes(synced: Rig) -> None:
    """A date vs the same date as text, and 15 vs 15.0, are the same value."""
    synced.edit_book({(3, TARGET): dt.date(2027, 3, 31), (3, NOTES): 15})
    first = synced.sync()
    assert first.code == 0 and change_keys(first) == {("3", TARGET, "sheet"), ("3", NOTES, "sheet")}
    assert synced.sheet_rows()["3"][TARGET] == "31/03/2027"  # a date, shown the UK way
    assert synced.sheet_value(3, TARGET) == (dt.date(2027, 3, 31) - dt.date(1899, 12, 30)).days

    synced.edit_book({(3, TARGET): "2027-03-31", (3, NOTES): 15.0})
    synced.edit_sheet({(3, NOTES): "15.0"}, user_entered=False)
    synced.emu.clear_log()
    second = synced.sync()
    assert second.code == 0, second.out
    assert second.json["changes"] == [] and second.json["conflicts"] == []
    assert plan_writes(synced.emu, synced) == []
    assert synced.book_rows()["3"][TARGET] == "2027-03-31"  # the workbook's own text, untouched


# --------------------------------------------------------------------------- layout


def test_each_side_keeps_its_own_column_order(synced: Rig) -> None:
    """Staff reordered the sheet's columns; both sides keep their own order."""
    grid = synced.sheet_grid()
    tab = synced.tab_id(PLAN)

    def move(start: int, end: int, to: int) -> dict:
        span = {"sheetId": tab, "dimension": "COLUMNS", "startIndex": start, "endIndex": end}
        return {"moveDimension": {"source": span, "destinationIndex": to}}

    # Dragged as the sheet's staff like: Status and Owner after Rec No., Notes before dates.
    synced.batch_update([move(4, 6, 1), move(8, 9, 6)])
    order = [0, 4, 5, 1, 2, 3, 8, 6, 7, 9, 10]
    assert synced.sheet_grid()[0] == [grid[0][i] for i in order]
    book_headers = synced.book_grid()[0]

    quiet = synced.sync()
    assert quiet.code == 0 and quiet.json["changes"] == []

    synced.edit_book({(5, OWNER): "Jo Bloggs"})
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    result = synced.sync()
    assert result.code == 0, result.out
    assert synced.sheet_grid()[0] == [grid[0][i] for i in order]
    assert synced.book_grid()[0] == book_headers
    assert synced.sheet_rows()["5"][OWNER] == "Jo Bloggs"
    assert synced.book_rows()["6"][NOTES] == "Board paper due"
    synced.assert_quiet()


def test_extra_staff_columns_are_left_alone(synced: Rig) -> None:
    synced.emu.set_values(synced.sid, PLAN, "L1:L3", [["RAG"], ["Green"], ["Amber"]])
    wb = load_workbook(synced.workbook)
    ws = wb[PLAN]
    ws["L1"], ws["L2"] = "Private notes", "only in Excel"
    wb.save(synced.workbook)

    synced.edit_sheet({(1, OWNER): "Jo Bloggs"})
    result = synced.sync()
    assert result.code == 0, result.out
    assert synced.book_rows()["1"][OWNER] == "Jo Bloggs"
    sheet = synced.sheet_grid()
    assert [r[11] if len(r) > 11 else "" for r in sheet[:4]] == ["RAG", "Green", "Amber", ""]
    assert "Private notes" not in flat(sheet) and "only in Excel" not in flat(sheet)
    book = synced.book_grid()
    assert [r[11] for r in book[:3]] == ["Private notes", "only in Excel", None]
    assert "RAG" not in flat(book)
    synced.assert_quiet()


# --------------------------------------------------------------------------- faults


def test_a_429_then_success_still_syncs(synced: Rig) -> None:
    synced.edit_book({(5, OWNER): "Jo Bloggs"})
    synced.emu.fail_next(1, "429")
    result = synced.sync()
    assert result.code == 0, result.out + result.err
    assert synced.sheet_rows()["5"][OWNER] == "Jo Bloggs"


@pytest.mark.parametrize("kind", ["503", "drop"])
def test_persistent_fault_fails_cleanly_and_the_next_run_converges(synced: Rig, kind: str) -> None:
    synced.edit_book({(5, OWNER): "Jo Bloggs"})
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    before = synced.workbook.read_bytes()
    synced.emu.fail_next(10_000, kind, method="POST")

    failed = synced.sync()
    assert failed.code == 2
    assert failed.json["status"] == "failed" and failed.json["error"]
    assert failed.err.count("\n") == 1 and failed.err.startswith("ccrc-sync: ")
    assert synced.workbook.read_bytes() == before
    status = synced.cli("status")
    assert status.code == 1 and "failed" in status.out

    synced.emu._faults.clear()  # the outage is over
    result = synced.sync()
    assert result.code == 0, result.out + result.err
    for rows in (synced.book_rows(), synced.sheet_rows()):
        assert rows["5"][OWNER] == "Jo Bloggs"
        assert rows["6"][NOTES] == "Board paper due"
    assert synced.cli("status").code == 0
    synced.assert_quiet()


def test_unreachable_sheet_at_read_time_writes_nothing(synced: Rig) -> None:
    synced.edit_book({(5, OWNER): "Jo Bloggs"})
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    before = synced.workbook.read_bytes()
    synced.emu.fail_next(10_000, "503")
    failed = synced.sync()
    assert failed.code == 2 and failed.err.count("\n") == 1
    assert synced.workbook.read_bytes() == before
    assert writes(synced.emu) == [] or all(r.status == 503 for r in writes(synced.emu))


# --------------------------------------------------------------------------- the workbook


def test_an_idle_sync_reads_the_workbook_once(synced: Rig, workbook_reads: list[Path]) -> None:
    """The check that refuses a file that is no workbook and the read the run plans from
    are one read (a large workbook on a network share is read once, not twice)."""
    idle = synced.sync()
    assert idle.code == 0 and idle.json["changes"] == [], idle.out
    assert workbook_reads == [synced.workbook.resolve()]


def test_workbook_open_in_excel_is_left_alone_and_caught_up_later(synced: Rig) -> None:
    owner = synced.root / "~$plan.xlsx"
    owner.write_bytes(b"\x0bSomeone    " + b"\x00" * 40)
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    synced.edit_book({(5, OWNER): "Jo Bloggs"})  # saved before Excel re-opened it
    before = synced.workbook.read_bytes()

    busy = synced.sync()
    assert busy.code == 1, busy.out
    assert synced.workbook.read_bytes() == before
    assert any("open" in n.lower() for n in busy.json["notes"]), busy.json["notes"]
    assert synced.sheet_rows()["5"][OWNER] == "Jo Bloggs"  # the sheet side still synced
    assert "Board paper due" not in flat(synced.sheet_grid("Change Log"))  # not claimed yet

    owner.unlink()
    caught_up = synced.sync()
    assert caught_up.code == 0, caught_up.out
    assert synced.book_rows()["6"][NOTES] == "Board paper due"
    assert synced.sheet_rows()["6"][NOTES] == "Board paper due"
    for log in (flat(synced.sheet_grid("Change Log")), flat(synced.book_grid("Change Log"))):
        assert log.count("Board paper due") == 1
    synced.assert_quiet()


def test_excel_closed_between_the_read_and_the_write_still_loses_no_change_log_line(
    synced: Rig,
) -> None:
    """The run planned for a workbook it may not write (Excel had it open when read), so it
    must not write it even if Excel closes meanwhile: the Change Log it planned leaves that
    edit out, and the base it commits must too, or the line is never written."""
    owner = synced.root / "~$plan.xlsx"
    owner.write_bytes(b"\x0bSomeone    " + b"\x00" * 40)
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    synced.edit_book({(5, OWNER): "Jo Bloggs"})  # saved before Excel re-opened it
    before = synced.workbook.read_bytes()
    held = synced.emu.pause_next(method="POST", path_contains="values:batchUpdate")
    outcome: list[Result] = []
    run = threading.Thread(target=lambda: outcome.append(synced.sync()))
    run.start()
    try:
        assert held.wait_arrived(timeout=60), "the values write never came"
        owner.unlink()  # Excel closes while the Google Sheet is being written
    finally:
        held.release()
        run.join(timeout=120)
    assert not run.is_alive(), "the sync never finished"
    [busy] = outcome
    assert busy.code == 1, busy.out
    assert synced.workbook.read_bytes() == before
    caught_up = synced.sync()
    assert caught_up.code == 0, caught_up.out
    assert synced.book_rows()["6"][NOTES] == "Board paper due"
    for log in (flat(synced.sheet_grid("Change Log")), flat(synced.book_grid("Change Log"))):
        assert log.count("Board paper due") == 1


def test_a_deletion_held_back_by_excel_is_carried_later_not_undone(synced: Rig) -> None:
    synced.write_config(PROPAGATE)
    owner = synced.root / "~$plan.xlsx"
    owner.write_bytes(b"\x0bSomeone    " + b"\x00" * 40)
    synced.delete_sheet_row(12)
    busy = synced.sync()
    assert busy.code == 1, busy.out
    assert "12" in synced.book_rows() and "12" not in synced.sheet_rows()
    owner.unlink()
    caught_up = synced.sync()
    assert caught_up.code == 0, caught_up.out
    assert "12" not in synced.book_rows() and "12" not in synced.sheet_rows()


@pytest.mark.parametrize("damage", [add_x14_validation, add_shape], ids=["x14", "shape"])
def test_content_openpyxl_would_lose_no_longer_blocks_the_workbook_write(
    synced: Rig, damage
) -> None:
    """Content openpyxl cannot keep used to hold every sheet edit back; the workbook is now
    patched in place, so it syncs both ways and the content stays as it was."""
    synced.edit_book({(5, OWNER): "Jo Bloggs"})  # saved in Excel, which keeps its content
    damage(synced.workbook)
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    with zipfile.ZipFile(synced.workbook) as z:
        before = {n: z.read(n) for n in z.namelist()}

    result = synced.sync()
    assert result.code == 0, result.out + result.err
    assert result.json["notes"] == [], result.json["notes"]
    for rows in (synced.book_rows(), synced.sheet_rows()):
        assert rows["5"][OWNER] == "Jo Bloggs"
        assert rows["6"][NOTES] == "Board paper due"
    with zipfile.ZipFile(synced.workbook) as z:
        after = {n: z.read(n) for n in z.namelist()}
        plan = after["xl/worksheets/sheet1.xml"]
    if damage is add_shape:
        for part in ("xl/drawings/drawing1.xml", "xl/worksheets/_rels/sheet1.xml.rels"):
            assert after[part] == before[part]
        assert b'r:id="rIdShape1"' in plan
    else:
        assert X14_VALIDATION in plan  # the extension list, byte for byte
    synced.assert_quiet()


def test_dry_run_writes_nothing_anywhere(synced: Rig) -> None:
    synced.edit_book({(5, OWNER): "Jo Bloggs", (7, "Action"): "Rewritten action"})
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    before = synced.workbook.read_bytes()
    state = tree_digest(synced.state_dir)
    synced.emu.clear_log()

    result = synced.sync("--dry-run")
    assert result.code == 0, result.out
    assert result.json["dry_run"] is True
    # Compared with the last agreed version, as a real run would: a one-sided edit of a
    # filled cell is a change, not a conflict.
    assert change_keys(result) == {
        ("5", OWNER, "sheet"),
        ("6", NOTES, "workbook"),
        ("7", "Action", "sheet"),
    }
    assert result.json["conflicts"] == []
    assert writes(synced.emu) == []
    assert synced.workbook.read_bytes() == before
    assert tree_digest(synced.state_dir) == state
    assert synced.sheet_rows()["5"][OWNER] in (None, "")


def test_a_second_sync_while_one_runs_exits_with_a_clear_message(synced: Rig) -> None:
    lock = FileLock(str(synced.state_dir / "sync.lock"))
    with lock.acquire(timeout=0):
        result = synced.sync_process()
    assert result.code == 2
    assert "already running" in result.err
    assert result.err.count("\n") == 1


def test_the_workbook_keeps_its_formatting_after_a_write(synced: Rig) -> None:
    wb = load_workbook(synced.workbook)
    ws = wb[PLAN]
    ws["C3"].comment = Comment("Checked against the report", "Jo")
    staff = wb.create_sheet("Team notes")
    staff["A1"] = "Our own tab"
    wb.defined_names["PlanRecs"] = DefinedName("PlanRecs", attr_text="'Action Plan'!$A$2:$A$35")
    wb.save(synced.workbook)

    synced.edit_sheet({(6, NOTES): "Board paper due"})
    result = synced.sync()
    assert result.code == 0, result.out

    wb = load_workbook(synced.workbook)
    ws = wb[PLAN]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width == 80 and ws.column_dimensions["I"].width == 40
    rules = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert rules["E2:E1000"] == '"Planned,In Progress,Complete"'
    assert "B2:B1000" in rules
    assert ws["C3"].comment is not None and ws["C3"].comment.text == "Checked against the report"
    assert wb["Team notes"]["A1"].value == "Our own tab"
    assert "PlanRecs" in wb.defined_names
    assert ws.cell(7, 9).value == "Board paper due"
    with zipfile.ZipFile(synced.workbook) as z:
        assert any(n.startswith("xl/comments") for n in z.namelist())


# --------------------------------------------------------------------------- property


PROPERTY_RECS = ("2", "9", "20a", "33")  # a lettered part among them
PROPERTY_FIELDS = (OWNER, NOTES, STATUS, TARGET)


def read(shown: str | None) -> str:
    """A sheet cell as the workbook's `text` would give it: a date shown the UK way
    (31/12/2030) read as the ISO date it is."""
    found = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", shown or "")
    return f"{found[3]}-{found[2]}-{found[1]}" if found else text(shown)


def _values(field: str) -> st.SearchStrategy:
    if field == STATUS:
        return st.sampled_from(["Planned", "In Progress", "Complete"])
    if field == TARGET:
        return st.dates(dt.date(2030, 1, 1), dt.date(2031, 12, 31))
    words = ["Jo Bloggs", "Sam Patel", "Zoë", "=not a formula", "Line one\nline two", ""]
    return st.sampled_from(words)


EDIT = st.tuples(
    st.sampled_from(["workbook", "sheet"]),
    st.sampled_from(PROPERTY_RECS),
    st.sampled_from(PROPERTY_FIELDS),
).flatmap(lambda t: st.tuples(st.just(t[0]), st.just(t[1]), st.just(t[2]), _values(t[2])))
RUNS = st.lists(st.lists(EDIT, min_size=1, max_size=5), min_size=2, max_size=3)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(runs=RUNS)
def test_every_edit_ends_on_both_sides_or_is_flagged(
    baseline, emulator, tmp_path, monkeypatch, runs
) -> None:
    """Random edits on both sides over several runs: no edit is ever silently dropped."""
    rig = restore(baseline, tmp_path / uuid.uuid4().hex, emulator, monkeypatch)
    start_book, start_sheet = rig.book_rows(), rig.sheet_rows()
    cells = [(r, f) for r in PROPERTY_RECS for f in PROPERTY_FIELDS]
    base = {c: text(start_book[c[0]][c[1]]) for c in cells}
    held = {"workbook": dict(base), "sheet": {c: read(start_sheet[c[0]][c[1]]) for c in cells}}

    for edits in runs:
        for side, rec, field, value in edits:
            if side == "workbook":
                rig.edit_book({(rec, field): value if value != "" else None})
            elif field == TARGET:
                rig.edit_sheet({(rec, field): value.isoformat()})
            else:
                rig.edit_sheet({(rec, field): value}, user_entered=False)
            held[side][(rec, field)] = text(value)
        result = rig.sync()
        assert result.code in (0, 1), result.out + result.err
        conflicts = conflict_keys(result)
        book, sheet = rig.book_rows(), rig.sheet_rows()
        # Edits that take the workbook back to exactly what an earlier run left, after a
        # value came from the sheet, look like a restored older copy (issue 13): every
        # workbook edit of that run is then held as a conflict, never carried.
        restored = any("restored copy" in n for n in result.json["notes"])
        for cell in cells:
            wb, sh = held["workbook"][cell], held["sheet"][cell]
            if wb != sh and restored and wb != base[cell]:
                assert cell in conflicts, (cell, wb, sh, base[cell])
                assert text(book[cell[0]][cell[1]]) == wb
                assert read(sheet[cell[0]][cell[1]]) == sh
            elif wb == sh or wb == base[cell] or sh == base[cell]:
                agreed = sh if wb == base[cell] else wb
                assert cell not in conflicts
                assert text(book[cell[0]][cell[1]]) == agreed, (cell, "workbook")
                assert read(sheet[cell[0]][cell[1]]) == agreed, (cell, "sheet")
                base[cell] = held["workbook"][cell] = held["sheet"][cell] = agreed
            else:  # both edited differently: flagged, and each side keeps its own edit
                assert cell in conflicts, (cell, wb, sh, base[cell])
                assert text(book[cell[0]][cell[1]]) == wb
                assert read(sheet[cell[0]][cell[1]]) == sh
        assert result.code == (1 if conflicts else 0)
    # A finding about an event (a completed recommendation reopened) is listed by the run it
    # happened in only, so the next run may take it off Sync Issues; after that, quiet.
    settle = rig.sync()
    assert settle.json["changes"] == [], settle.out
    rig.assert_quiet()


# --------------------------------------------------------------------------- a sheet staff made


def _staff_made_sheet(emu, tab: str) -> str:
    """A spreadsheet whose plan tab was typed in by staff (no drop-downs, nothing frozen)."""
    sid = emu.create_spreadsheet("Staff's plan", sheets=(tab,))
    grid = [
        [text(v) for v in row] for row in load_workbook(TEMPLATE)[PLAN].iter_rows(values_only=True)
    ]
    emu.set_values(sid, tab, "A1", grid, user_entered=False)
    return sid


def test_a_plan_tab_named_in_another_case_is_the_plan_tab(
    emulator, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = _staff_made_sheet(emulator, "action plan")
    shutil.copyfile(TEMPLATE, tmp_path / "plan.xlsx")
    rig = Rig(tmp_path, emulator, sid, monkeypatch)
    first = rig.sync()
    assert first.code == 0, first.out + first.err
    assert first.json["changes"] == []
    titles = [s["properties"]["title"] for s in emulator.store.get(sid).to_json()["sheets"]]
    assert [t for t in titles if t.casefold() == "action plan"] == ["action plan"]


def test_a_staff_made_plan_tab_gets_its_drop_downs_once(
    emulator, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = _staff_made_sheet(emulator, PLAN)
    shutil.copyfile(TEMPLATE, tmp_path / "plan.xlsx")
    rig = Rig(tmp_path, emulator, sid, monkeypatch)
    assert rig.sync().code == 0
    props = emulator.sheet_properties(sid, PLAN)
    assert props["gridProperties"].get("frozenRowCount") == 1
    rules = emulator.data_validations(sid, PLAN)
    assert any("In Progress" in str(rule) for rule in rules.values())
    rig.assert_quiet()


def test_dates_in_a_us_locale_sheet_are_read_month_first(synced: Rig) -> None:
    """Google reads `3/31/2027` typed in an en_US sheet as 31 March: the sync takes the
    date Google made, not the text."""
    locale = {"properties": {"locale": "en_US"}, "fields": "locale"}
    synced.batch_update([{"updateSpreadsheetProperties": locale}])
    synced.edit_sheet({(4, TARGET): "3/31/2027"})
    result = synced.sync()
    assert result.code == 0, result.out + result.err
    assert synced.book_rows()["4"][TARGET] == dt.datetime(2027, 3, 31)
    synced.assert_quiet()


def test_a_tab_staff_made_with_one_of_our_names_is_never_overwritten(synced: Rig) -> None:
    wb = load_workbook(synced.workbook)
    del wb["Summary"]
    wb.create_sheet("Summary")["A1"] = "Board briefing notes, do not lose"
    wb.save(synced.workbook)
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    result = synced.sync()
    assert any("its own tab called 'Summary'" in n for n in result.json["notes"])
    assert load_workbook(synced.workbook)["Summary"]["A1"].value == (
        "Board briefing notes, do not lose"
    )
    assert synced.book_rows()["6"][NOTES] == "Board paper due"  # the plan still synced


def test_a_change_for_a_cell_hidden_in_merged_cells_is_held_back_and_listed(
    synced: Rig,
) -> None:
    wb = load_workbook(synced.workbook)
    wb[PLAN].merge_cells("H7:I7")  # Rec 6's Last Updated and Notes, merged in Excel
    wb.save(synced.workbook)
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    synced.edit_book({(5, OWNER): "Jo Bloggs"})
    first = synced.sync()
    assert first.code == 1, first.out  # flagged, not a failed half-run
    [held] = [i for i in first.json["issues"] if i["code"] == "cell.merged_kept"]
    assert (held["cell"], held["rec_no"], held["field"], held["value"]) == (
        "I7",
        "6",
        NOTES,
        "Board paper due",
    )
    assert ("6", NOTES, "workbook") not in change_keys(first)  # not claimed as carried
    assert synced.book_rows()["6"][NOTES] is None
    assert synced.sheet_rows()["6"][NOTES] == "Board paper due"  # the edit kept where it is
    assert synced.sheet_rows()["5"][OWNER] == "Jo Bloggs"  # everything else carried
    assert "Board paper due" in flat(synced.sheet_grid("Sync Issues"))
    synced.emu.clear_log()
    again = synced.sync()  # still held back, and nothing is sent again
    assert again.code == 1
    assert writes(synced.emu) == []
    assert synced.sheet_rows()["6"][NOTES] == "Board paper due"

    wb = load_workbook(synced.workbook)
    wb[PLAN].unmerge_cells("H7:I7")  # a person unmerges them: the change goes across
    wb.save(synced.workbook)
    done = synced.sync()
    assert done.code == 0, done.out
    assert change_keys(done) == {("6", NOTES, "workbook")}
    assert synced.book_rows()["6"][NOTES] == "Board paper due"
