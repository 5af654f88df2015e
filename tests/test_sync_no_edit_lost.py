"""Issue 13: ordinary office events never lose or silently change an edit.

Each test does what staff do on an ordinary day (a typo in a Rec No., a pasted row, a date
typed in a US-locale sheet, a renamed tab, a deleted column, a wiped server, a restored
copy, a sort while the sync runs, `50%` typed in Notes), runs the real CLI against the
emulator on 127.0.0.1, and reads both sides back: every edit is on its own row with the
right value, on both sides, or it is held back and flagged. Never changed silently.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import warnings
from typing import Any

import pytest
from fixtures.plans import add_x14_validation
from openpyxl import load_workbook
from synchelp import (  # noqa: F401  (the *_fixture names register the fixtures)
    PLAN,
    REPO,
    Result,
    Rig,
    baseline_fixture,
    fresh_fixture,
    synced_fixture,
    text,
    writes,
)

from ccrc_sync.state import State

OWNER, NOTES, TARGET = "Owner", "Notes", "Target Date"
EPOCH = dt.date(1899, 12, 30)  # day 0 of Google's (and Excel's) serial dates
PROPAGATE = "[sync]\npropagate_deletions = true\n"


def conflict_keys(result: Result) -> set[tuple[str, str | None]]:
    return {(c["rec_no"], c["field"]) for c in result.json["conflicts"]}


def change_keys(result: Result) -> set[tuple[str, str, str]]:
    return {(c["rec_no"], c["field"], c["to"]) for c in result.json["changes"]}


def flat(grid: list[list[Any]]) -> str:
    return "\n".join(" | ".join(text(v) for v in row) for row in grid)


def sheet_grid_rows(rig: Rig) -> list[list[str]]:
    """The plan tab's data rows as they stand, repeats and all (no keying by Rec No.)."""
    return rig.sheet_grid()[1:]


def padded(row: list[str], width: int = 6) -> list[str]:
    """The first `width` cells of a row as read (the API leaves trailing blanks off)."""
    return (row + [""] * width)[:width]


def serial(day: dt.date) -> int:
    return (day - EPOCH).days


def set_locale(rig: Rig, locale: str) -> None:
    """File > Settings > Locale, as a person changes it."""
    change = {"properties": {"locale": locale}, "fields": "locale"}
    rig.batch_update([{"updateSpreadsheetProperties": change}])


def column_range(rig: Rig, col: int, first_row: int = 1) -> dict:
    """A whole column of the plan tab from `first_row` (1-based), as a GridRange."""
    return {
        "sheetId": rig.tab_id(PLAN),
        "startRowIndex": first_row - 1,
        "startColumnIndex": col - 1,
        "endColumnIndex": col,
    }


# --------------------------------------------------------------------------- keys in doubt


def test_a_rec_no_typo_overwrites_nothing_and_is_listed_with_each_copys_cell(
    synced: Rig,
) -> None:
    """Rec 12's Rec No. typed as 13 on the sheet: rec 13 is not overwritten with rec 12's
    text anywhere, rec 12 is not deleted, and the two copies are listed by cell."""
    book_before = synced.book_rows()
    sheet_before = sheet_grid_rows(synced)
    synced.edit_sheet({(12, "Rec No."): "13"})
    synced.edit_book({(5, OWNER): "Jo Bloggs"})  # an ordinary edit elsewhere still goes
    synced.edit_book({(13, OWNER): "Held owner"})  # rec 13's own edit waits for the fix

    result = synced.sync()
    assert result.code == 1, result.out + result.err
    book = synced.book_rows()
    assert book["12"] == book_before["12"]  # untouched in the workbook, both of them
    assert book["13"] == {**book_before["13"], OWNER: "Held owner"}
    rows = sheet_grid_rows(synced)
    assert padded(rows[11]) == ["13", *sheet_before[11][1:5], ""]  # the typo, as typed
    assert padded(rows[12]) == [*sheet_before[12][:5], ""]  # the real rec 13, untouched
    assert change_keys(result) == {("5", OWNER, "sheet")}
    assert rows[4][:6] == [*sheet_before[4][:5], "Jo Bloggs"]  # rec 5, row 6

    duplicates = [i for i in result.json["issues"] if i["code"] == "rec_no.duplicate"]
    assert sorted((i["cell"], i["rec_no"]) for i in duplicates) == [("A13", "13"), ("A14", "13")]
    issues = synced.sheet_grid("Sync Issues")
    cells = [r[6] for r in issues if r[:2] == ["13", "Rec No."]]
    assert cells == ["Action Plan!A13", "Action Plan!A14"]  # each copy, by its own cell
    assert "Rec No. 13 appears more than once (rows 13, 14)" in flat(issues)
    assert "Rec No. 13 appears more than once (rows 13, 14)" in flat(
        synced.book_grid("Sync Issues")
    )

    synced.emu.set_values(synced.sid, PLAN, "A13", [["12"]])  # a person fixes the typo
    fixed = synced.sync()
    assert fixed.code == 0, fixed.out
    assert change_keys(fixed) == {("13", OWNER, "sheet")}  # now it lands, on rec 13's row
    assert fixed.json["conflicts"] == []
    owners = {"5": "Jo Bloggs", "13": "Held owner"}
    assert synced.book_rows() == {
        rec: {**row, OWNER: owners.get(rec, row[OWNER])} for rec, row in book_before.items()
    }
    rows = sheet_grid_rows(synced)
    assert [r[:4] for r in rows] == [r[:4] for r in sheet_before]
    assert [r[0] for r in rows if len(r) > 5 and r[5]] == ["5", "13"]


def test_a_row_pasted_above_rec_7_still_saying_7_touches_neither_copy(synced: Rig) -> None:
    book_before = synced.book_rows()
    sheet_before = sheet_grid_rows(synced)
    rec7 = sheet_before[6]
    synced.emu.insert_rows(synced.sid, PLAN, before_row=8)  # above rec 7's row
    pasted = ["7", rec7[1], "A new recommendation, pasted from rec 7.", "Its own action.", rec7[4]]
    synced.emu.set_values(synced.sid, PLAN, "A8", [pasted])
    synced.edit_sheet({(9, NOTES): "Carried as usual"})

    result = synced.sync()
    assert result.code == 1, result.out + result.err
    assert synced.book_rows()["7"] == book_before["7"]  # rec 7 untouched in the workbook
    assert "A new recommendation, pasted from rec 7." not in flat(synced.book_grid())
    rows = sheet_grid_rows(synced)
    assert rows[6][:5] == pasted and rows[7][:5] == rec7[:5]  # both copies as they were
    assert change_keys(result) == {("9", NOTES, "workbook")}
    assert synced.book_rows()["9"][NOTES] == "Carried as usual"
    duplicates = [i for i in result.json["issues"] if i["code"] == "rec_no.duplicate"]
    assert sorted(i["cell"] for i in duplicates) == ["A8", "A9"]
    issues = synced.sheet_grid("Sync Issues")
    assert [r[6] for r in issues if r[:2] == ["7", "Rec No."]] == [
        "Action Plan!A8",
        "Action Plan!A9",
    ]

    again = synced.sync()  # still held, still nothing touched
    assert again.code == 1 and again.json["changes"] == []
    assert synced.book_rows()["7"] == book_before["7"]
    assert [r[:5] for r in sheet_grid_rows(synced)[6:8]] == [pasted, rec7[:5]]


# --------------------------------------------------------------------------- dates


def test_dates_keep_their_day_and_month_in_a_us_locale_sheet(synced: Rig) -> None:
    """A workbook text date `1/2/2027` stays that text on both sides (never read as 2
    January), a real date stays the same date, and nothing flips on later runs."""
    set_locale(synced, "en_US")
    synced.edit_book({(3, TARGET): "1/2/2027", (4, TARGET): dt.datetime(2027, 2, 1)})

    first = synced.sync()
    assert first.code == 0, first.out + first.err
    assert synced.sheet_value(3, TARGET) == "1/2/2027"  # text, as the workbook has it
    assert synced.sheet_rows()["3"][TARGET] == "1/2/2027"
    assert synced.sheet_value(4, TARGET) == serial(dt.date(2027, 2, 1))  # the same day
    for _ in range(2):  # and it stays so, run after run
        synced.assert_quiet()
        book = synced.book_rows()
        assert book["3"][TARGET] == "1/2/2027"
        assert book["4"][TARGET] == dt.datetime(2027, 2, 1)
        assert synced.sheet_value(3, TARGET) == "1/2/2027"
        assert synced.sheet_value(4, TARGET) == serial(dt.date(2027, 2, 1))


@pytest.mark.parametrize("pattern", ["dd/mm/yyyy", "mm/dd/yyyy", "d mmmm yyyy"])
def test_changing_only_the_date_columns_display_format_changes_nothing(
    synced: Rig, pattern: str
) -> None:
    set_locale(synced, "en_US")
    synced.edit_book({(3, TARGET): "1/2/2027", (4, TARGET): dt.datetime(2027, 2, 1)})
    assert synced.sync().code == 0
    book = synced.workbook.read_bytes()
    fmt = {"numberFormat": {"type": "DATE", "pattern": pattern}}
    synced.batch_update(
        [
            {
                "repeatCell": {
                    "range": column_range(synced, 7, first_row=2),
                    "cell": {"userEnteredFormat": fmt},
                    "fields": "userEnteredFormat.numberFormat",
                }
            }
        ]
    )
    shown = {
        "dd/mm/yyyy": "01/02/2027",
        "mm/dd/yyyy": "02/01/2027",
        "d mmmm yyyy": "1 February 2027",
    }
    assert synced.sheet_rows()["4"][TARGET] == shown[pattern]  # the display did change

    synced.assert_quiet()
    assert synced.workbook.read_bytes() == book
    assert synced.book_rows()["4"][TARGET] == dt.datetime(2027, 2, 1)
    assert synced.book_rows()["3"][TARGET] == "1/2/2027"
    assert synced.sheet_value(4, TARGET) == serial(dt.date(2027, 2, 1))


# --------------------------------------------------------------------------- deletions


def _book_and_sheet_content(rig: Rig) -> tuple[list[list[Any]], list[list[str]]]:
    """Each side's plan cells other than Rec No.: what must not be blanked or deleted."""
    book = [[text(v) for v in row[1:]] for row in rig.book_grid()[1:]]
    sheet = [row[1:] for row in sheet_grid_rows(rig)]
    return book, sheet


def test_a_formula_down_the_rec_no_column_deletes_and_blanks_nothing(synced: Rig) -> None:
    synced.write_config(PROPAGATE)
    book_before, sheet_before = _book_and_sheet_content(synced)
    formulas = [["=ROW()-1"] for _ in range(46)]
    synced.emu.set_values(synced.sid, PLAN, "A2:A47", formulas)

    result = synced.sync()
    assert result.code == 1, result.out + result.err
    assert result.json["changes"] == []
    after_book, after_sheet = _book_and_sheet_content(synced)
    assert after_book == book_before and len(synced.book_rows()) == 46
    assert after_sheet == sheet_before  # not a cell blanked on the sheet either
    assert any("nothing was deleted" in n for n in result.json["notes"]), result.json["notes"]
    assert any(i["code"].startswith("rec_no.") for i in result.json["issues"])


def test_blank_rec_nos_on_the_sheet_delete_and_blank_nothing(synced: Rig) -> None:
    synced.write_config(PROPAGATE)
    book_before, sheet_before = _book_and_sheet_content(synced)
    synced.emu.set_values(synced.sid, PLAN, "A5:A7", [[""], [""], [""]])  # recs 4-6
    synced.edit_book({(20, OWNER): "Kim Lee"})

    result = synced.sync()
    assert result.code == 1, result.out + result.err
    assert change_keys(result) == {("20", OWNER, "sheet")}  # the healthy rows still sync
    book = synced.book_rows()
    assert {"4", "5", "6"} <= set(book) and len(book) == 46  # nothing deleted
    after_book, after_sheet = _book_and_sheet_content(synced)
    rec20 = 21  # row 23, the 22nd data row
    assert after_book[rec20][4] == after_sheet[rec20][4] == "Kim Lee"  # Owner, both sides
    unchanged = [i for i in range(46) if i != rec20]
    assert [after_book[i] for i in unchanged] == [book_before[i] for i in unchanged]
    assert [after_sheet[i] for i in unchanged] == [sheet_before[i] for i in unchanged]
    [note] = [n for n in result.json["notes"] if "nothing was deleted" in n]
    assert note.startswith("Rec 4, 5, 6 are missing from the Google Sheet")


def test_a_fifth_of_the_plan_vanishing_at_once_is_held_back(synced: Rig) -> None:
    """More than 20% of the rows gone from one side in one run looks like an accident
    (a filter pasted over, a bad sort), whatever `propagate_deletions` says."""
    synced.write_config(PROPAGATE)
    grid = synced.sheet_grid()
    kept = [grid[0], *grid[1:31]]  # 16 of 46 rows gone from the bottom
    synced.emu.set_values(synced.sid, PLAN, "A1", kept, user_entered=False)
    synced.batch_update(
        [
            {
                "deleteDimension": {
                    "range": {
                        "sheetId": synced.tab_id(PLAN),
                        "dimension": "ROWS",
                        "startIndex": 31,
                        "endIndex": 47,
                    }
                }
            }
        ]
    )
    assert len(synced.sheet_rows()) == 30

    result = synced.sync()
    assert result.code == 1, result.out + result.err
    assert len(synced.book_rows()) == 46  # nothing deleted from the workbook
    assert len(synced.sheet_rows()) == 30  # and nothing re-added to the sheet
    [note] = [n for n in result.json["notes"] if "vanished" in n]
    assert note.startswith("16 recommendations vanished from the Google Sheet at once")


# --------------------------------------------------------------------------- structure


def test_a_renamed_plan_tab_stops_the_run_asking_whether_it_was_renamed(synced: Rig) -> None:
    rename = {
        "properties": {"sheetId": synced.tab_id(PLAN), "title": "Plan 2026"},
        "fields": "title",
    }
    synced.batch_update([{"updateSheetProperties": rename}])
    synced.emu.set_values(synced.sid, "Plan 2026", "I7", [["Typed in the renamed tab"]])
    synced.edit_book({(5, OWNER): "Jo Bloggs"})
    before = synced.workbook.read_bytes()
    tabs = synced.sheet_tabs()
    synced.emu.clear_log()

    result = synced.sync()
    assert result.code == 2, result.out
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert "now called 'Plan 2026': was it renamed?" in result.err
    assert "Nothing was written." in result.err
    assert writes(synced.emu) == []
    assert synced.workbook.read_bytes() == before
    assert synced.sheet_tabs() == tabs  # no fresh Action Plan tab published
    with State(synced.state_dir) as state:  # the history says so too
        assert state.runs()[0].status == "failed"
        assert "was it renamed?" in (state.runs()[0].error or "")
    assert synced.emu.get_values(synced.sid, "Plan 2026", "I7") == [["Typed in the renamed tab"]]

    rename["properties"]["title"] = PLAN  # a person renames it back: the edits go across
    synced.batch_update([{"updateSheetProperties": rename}])
    back = synced.sync()
    assert back.code == 0, back.out + back.err
    assert change_keys(back) == {("6", NOTES, "workbook"), ("5", OWNER, "sheet")}
    assert synced.book_rows()["6"][NOTES] == "Typed in the renamed tab"


def _owners(rig: Rig) -> dict[str, Any]:
    return {rec: row[OWNER] for rec, row in rig.book_rows().items()}


def test_a_column_deleted_and_re_added_empty_erases_nothing_until_confirmed(
    synced: Rig,
) -> None:
    named = {(rec, OWNER): f"Owner {rec}" for rec in (1, 2, 3, 5, 8, 13)}
    synced.edit_book(named)
    assert synced.sync().code == 0
    owners = _owners(synced)
    assert owners["5"] == "Owner 5"

    owner_col = synced.sheet_grid()[0].index(OWNER)
    delete = {
        "sheetId": synced.tab_id(PLAN),
        "dimension": "COLUMNS",
        "startIndex": owner_col,
        "endIndex": owner_col + 1,
    }
    synced.batch_update([{"deleteDimension": {"range": delete}}])
    synced.edit_sheet({(4, NOTES): "Still carried"})
    gone = synced.sync()
    assert gone.code == 0, gone.out + gone.err  # a warning: nothing is lost meanwhile
    [finding] = [i for i in gone.json["issues"] if i["code"] == "column.one_side"]
    assert finding["field"] == OWNER
    assert finding["message"] == (
        "The Google Sheet has no 'Owner' column, but the workbook has one; that column is "
        "not synced until it is back, and nothing in it is lost."
    )
    assert finding["message"] in flat(synced.book_grid("Sync Issues"))
    assert _owners(synced) == owners  # nothing erased in the workbook
    assert synced.book_rows()["4"][NOTES] == "Still carried"

    synced.batch_update([{"insertDimension": {"range": delete, "inheritFromBefore": True}}])
    synced.emu.set_values(synced.sid, PLAN, f"{chr(65 + owner_col)}1", [[OWNER]])
    back = synced.sync()
    assert back.code == 1, back.out + back.err
    assert _owners(synced) == owners  # an empty column is not six clears
    assert back.json["changes"] == []
    [note] = [n for n in back.json["notes"] if "--accept-clears" in n]
    assert note.startswith("Every Owner in the Google Sheet was emptied at once")
    assert 'run `ccrc-sync sync --accept-clears "Owner"`' in note

    again = synced.sync()  # held until a person confirms
    assert again.code == 1 and _owners(synced) == owners

    confirmed = synced.sync("--accept-clears", OWNER)
    assert confirmed.code == 0, confirmed.out + confirmed.err
    assert {k for k in change_keys(confirmed)} == {
        (str(rec), OWNER, "workbook") for rec in (1, 2, 3, 5, 8, 13)
    }
    assert set(_owners(synced).values()) == {None}
    synced.assert_quiet()


# --------------------------------------------------------------------------- memory


def test_a_lost_state_folder_stops_the_run_until_rebase_then_nothing_is_filled_in(
    synced: Rig,
) -> None:
    synced.edit_book({(3, NOTES): "Agreed note"})
    assert synced.sync().code == 0
    shutil.rmtree(synced.state_dir)  # a new server, a wiped var/
    synced.edit_sheet({(3, NOTES): ""})  # cleared on the sheet
    synced.delete_sheet_row(12)  # deleted on the sheet
    synced.edit_book({(5, OWNER): "Jo Bloggs"})  # edited in the workbook
    before = synced.workbook.read_bytes()
    synced.emu.clear_log()

    refused = synced.sync()
    assert refused.code == 2, refused.out
    assert refused.err.count("\n") == 1
    assert "Run `ccrc-sync sync --rebase`" in refused.err
    assert writes(synced.emu) == [] and synced.workbook.read_bytes() == before

    rebased = synced.sync("--rebase")
    assert rebased.code == 1, rebased.out + rebased.err
    assert rebased.json["changes"] == []
    assert {("3", NOTES), ("5", OWNER), ("12", None)} <= conflict_keys(rebased)
    book, sheet = synced.book_rows(), synced.sheet_rows()
    assert book["3"][NOTES] == "Agreed note" and text(sheet["3"][NOTES]) == ""  # not filled
    assert book["5"][OWNER] == "Jo Bloggs" and text(sheet["5"][OWNER]) == ""
    assert "12" in book and "12" not in sheet  # the deleted row is not re-added
    again = synced.sync()  # the next ordinary run keeps them flagged, not filled in
    assert again.code == 1
    assert text(synced.sheet_rows()["3"][NOTES]) == "" and "12" not in synced.sheet_rows()


def _runs(rig: Rig) -> list[Any]:
    with State(rig.state_dir) as state:
        return state.runs()


def test_a_restored_older_copy_is_held_as_conflicts_naming_the_run(synced: Rig) -> None:
    [publish] = _runs(synced)  # the run that wrote the copy staff will bring back
    older = synced.workbook.read_bytes()
    synced.edit_sheet({(6, NOTES): "Board paper due", (9, OWNER): "Sam Patel"})
    assert synced.sync().code == 0
    assert synced.book_rows()["6"][NOTES] == "Board paper due"
    synced.workbook.write_bytes(older)  # version history: "restore this version"

    restored = synced.sync()
    assert restored.code == 1, restored.out + restored.err
    assert restored.json["changes"] == []
    assert conflict_keys(restored) == {("6", NOTES), ("9", OWNER)}
    [note] = [n for n in restored.json["notes"] if "restored copy" in n]
    assert f"the copy written by run {publish.run_id} on {publish.finished:%d %B %Y}" in note
    assert "`ccrc-sync sync --accept-restore`" in note
    sheet = synced.sheet_rows()  # the newer edits on the sheet are not reverted
    assert sheet["6"][NOTES] == "Board paper due" and sheet["9"][OWNER] == "Sam Patel"
    assert synced.book_rows()["6"][NOTES] is None  # and the restored copy is not overwritten
    for _ in range(2):  # held run after run, not carried once the copy is the latest
        again = synced.sync()
        assert again.code == 1 and conflict_keys(again) == {("6", NOTES), ("9", OWNER)}
        assert again.json["changes"] == []
        assert synced.sheet_rows()["6"][NOTES] == "Board paper due"
        assert synced.sheet_rows()["9"][OWNER] == "Sam Patel"

    accepted = synced.sync("--accept-restore")  # the older copy is what staff want
    assert accepted.code == 0, accepted.out + accepted.err
    assert change_keys(accepted) == {("6", NOTES, "sheet"), ("9", OWNER, "sheet")}
    sheet = synced.sheet_rows()
    assert text(sheet["6"][NOTES]) == "" and text(sheet["9"][OWNER]) == ""
    synced.assert_quiet()


def test_a_restored_copy_settled_by_hand_syncs_normally_again(synced: Rig) -> None:
    older = synced.workbook.read_bytes()
    synced.edit_sheet({(6, NOTES): "Board paper due", (9, OWNER): "Sam Patel"})
    assert synced.sync().code == 0
    synced.workbook.write_bytes(older)
    assert synced.sync().code == 1
    synced.edit_book({(6, NOTES): "Board paper due"})  # the newer value typed back ...
    synced.edit_sheet({(9, OWNER): ""})  # ... and the older one agreed on the sheet
    settled = synced.sync()
    assert settled.code == 0, settled.out + settled.err
    assert settled.json["conflicts"] == [] and settled.json["changes"] == []
    book, sheet = synced.book_rows(), synced.sheet_rows()
    assert book["6"][NOTES] == sheet["6"][NOTES] == "Board paper due"
    assert text(book["9"][OWNER]) == text(sheet["9"][OWNER]) == ""
    synced.edit_book({(10, OWNER): "Kim Lee"})  # and edits flow as usual again
    after = synced.sync()
    assert after.code == 0 and change_keys(after) == {("10", OWNER, "sheet")}


def test_undoing_ones_own_workbook_edit_is_an_edit_not_a_restored_copy(synced: Rig) -> None:
    synced.edit_book({(2, OWNER): "Jo Bloggs"})
    assert synced.sync().code == 0
    synced.edit_book({(2, OWNER): None})  # a person takes it back: the file is as before
    undone = synced.sync()
    assert undone.code == 0, undone.out
    assert not [n for n in undone.json["notes"] if "restored copy" in n]
    assert change_keys(undone) == {("2", OWNER, "sheet")}
    assert text(synced.sheet_rows()["2"][OWNER]) == ""


# --------------------------------------------------------------------------- races


def test_a_sort_between_the_read_and_the_write_lands_every_value_on_its_own_row(
    synced: Rig,
) -> None:
    edits = {(3, OWNER): "Owner of 3", (20, OWNER): "Owner of 20", ("20a", NOTES): "Part a"}
    edits |= {(34, OWNER): "Owner of 34"}
    synced.edit_book(edits)
    held = synced.emu.pause_next(method="POST", path_contains="values:batchUpdate")
    outcome: list[Result] = []
    run = threading.Thread(target=lambda: outcome.append(synced.sync()))
    run.start()
    try:
        assert held.wait_arrived(timeout=60), "the values write never came"
        # Meanwhile, someone sorts the plan by Section (Data > Sort range), descending.
        synced.emu.sort_range(synced.sid, PLAN, "A2:K47", "B", descending=True)
        moved = synced.sheet_grid()
        assert [r[0] for r in moved[1:4]] != ["1", "2", "3"]  # the rows really moved
    finally:
        held.release()
        run.join(timeout=120)
    assert not run.is_alive(), "the sync never finished"
    [result] = outcome
    assert result.code == 0, result.out + result.err
    rows = synced.sheet_rows()
    for (rec, field), value in edits.items():
        assert rows[str(rec)][field] == value, (rec, field)
    written = {(str(rec), field) for rec, field in edits}
    for rec, row in rows.items():  # and on no other row
        for field in (OWNER, NOTES):
            if (rec, field) not in written:
                assert text(row[field]) == "", (rec, field, row[field])
    after = synced.sync()  # nothing to put right: the values already sit where they belong
    assert after.code == 0 and after.json["changes"] == [] and after.json["conflicts"] == []
    assert synced.sheet_rows() == rows  # (only Sync Issues' links follow the sorted rows)
    synced.assert_quiet()


# --------------------------------------------------------------------------- typed values


TYPED = {1: "50%", 2: "$5.00", 3: "1,000", 4: "3e5"}


def test_percent_and_currency_typed_in_notes_arrive_as_the_text_shown(synced: Rig) -> None:
    synced.edit_sheet({(rec, NOTES): value for rec, value in TYPED.items()})
    shown = {rec: synced.sheet_rows()[str(rec)][NOTES] for rec in TYPED}
    assert isinstance(synced.sheet_value(1, NOTES), float)  # Google made them numbers

    result = synced.sync()
    assert result.code == 0, result.out + result.err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ws = load_workbook(synced.workbook)[PLAN]
    notes = [c.value for c in ws[1]].index(NOTES) + 1
    for rec, text_shown in shown.items():
        cell = ws.cell(rec + 1, notes)
        assert (cell.value, cell.data_type) == (text_shown, "s"), (rec, cell.value)
    assert shown == {1: "50%", 2: "$5.00", 3: "1,000", 4: "3.00E+05"}  # as Google shows them
    synced.assert_quiet()  # the text and Google's number are the same thing: no ping-pong


# --------------------------------------------------------------------------- leftovers (13.7)


def test_a_killed_run_is_marked_interrupted_and_its_temporary_files_go(synced: Rig) -> None:
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    crashed = synced.sync_process(extra_env={"CCRC_SYNC_CRASH_AT": "after-sheet-write"})
    assert crashed.code == 99, crashed.err
    assert _runs(synced)[0].status == "running"  # as the dead process left it
    killed = _runs(synced)[0].run_id
    # What a run killed while writing the workbook leaves beside it (and what it must not
    # take for one: a file of the staff's own).
    leftover = synced.root / ".plan.k9x2ab.tmp.xlsx"
    leftover.write_bytes(b"half a workbook")
    theirs = synced.root / "plan.tmp.xlsx"
    theirs.write_bytes(b"a copy staff made")

    after = synced.sync_process()
    assert after.code == 0, after.out + after.err
    [record] = [r for r in _runs(synced) if r.run_id == killed]
    assert record.status == "interrupted"
    assert record.error == "The run stopped before it finished (the process was killed or crashed)."
    assert not leftover.exists() and theirs.read_bytes() == b"a copy staff made"
    assert synced.book_rows()["6"][NOTES] == "Board paper due"


def test_a_template_that_is_not_a_workbook_is_refused_before_anything_is_copied(
    fresh: Rig,
) -> None:
    fresh.workbook.unlink()
    bad = fresh.root / "template.xlsx"
    bad.write_text("not a workbook at all", encoding="utf-8")
    fresh.monkeypatch.delenv("CCRC_SYNC_WORKBOOK")  # (a workbook named there must exist)
    fresh.write_config(
        "", workbook=f'path = "{fresh.workbook.as_posix()}"\ntemplate = "{bad.as_posix()}"\n'
    )
    result = fresh.sync()
    assert result.code == 2, result.out + result.err
    assert result.err == f"ccrc-sync: {bad} is not an Excel .xlsx workbook.\n"
    assert not fresh.workbook.exists()  # nothing copied to the workbook path
    assert writes(fresh.emu) == []


def test_no_library_warning_reaches_stderr(synced: Rig) -> None:
    """A workbook openpyxl would warn about (an extension it drops) syncs without a
    warning on stderr: a run prints its one JSON answer and nothing else."""
    synced.edit_book({(5, OWNER): "Jo Bloggs"})
    add_x14_validation(synced.workbook)
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    result = synced.sync_process(extra_env={"PYTHONWARNINGS": "default"})
    assert result.code == 0, result.out + result.err
    assert result.err == ""
    checked = subprocess.run(
        [sys.executable, "-W", "default", "-m", "ccrc_sync", "validate", str(synced.workbook)],
        cwd=synced.root,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stderr == "" and "UserWarning" not in checked.stdout


def test_report_out_to_a_missing_folder_is_one_sentence(synced: Rig) -> None:
    assert synced.sync().code == 0
    missing = synced.root / "missing" / "dir"
    result = synced.cli("report", "--out", str(missing / "x.html"))
    assert result.code == 2
    assert result.err == (
        f"ccrc-sync: The folder {missing} does not exist, so the report cannot be written "
        f"to {missing / 'x.html'}; choose an existing folder.\n"
    )
    assert not (synced.root / "missing").exists()


def test_a_line_break_in_the_email_address_is_one_sentence(synced: Rig) -> None:
    synced.edit_sheet({(6, NOTES): "Board paper due"})
    before = synced.workbook.read_bytes()
    synced.monkeypatch.setenv(
        "CCRC_SYNC_EMAIL_TO", "governance@ccrc.example\r\nBcc: x@evil.example"
    )
    synced.emu.clear_log()
    result = synced.sync("--email")
    assert result.code == 2, result.out + result.err
    assert result.err.startswith("ccrc-sync: ") and result.err.count("\n") == 1
    assert "CCRC_SYNC_EMAIL_TO" in result.err
    assert "unexpected error" not in result.err
    assert writes(synced.emu) == [] and synced.workbook.read_bytes() == before
