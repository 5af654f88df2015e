"""Writes that land on their own recommendation: the request budget, row tags created,
moved and never duplicated, and a sort or an insert between the read and the write (held
there by the emulator's pause fault) that still sends every value to its own row. The
real gspread-based client talks real HTTP to the emulator on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sheethelp import (
    HEADERS,
    NOTES,
    PLAN,
    PLAN_CFG,
    STATUS,
    apply,
    body_of,
    connect,
    edit,
    issues_layout,
    posts,
    publish_writes,
    raw_batch,
    row_of,
    summary_layout,
    tagged,
    typed_plan,
    values,
)

from ccrc_sync import schema
from ccrc_sync.emulator import Pause
from ccrc_sync.errors import SheetError
from ccrc_sync.layout import Role, TabCell, TabLayout, TabRow, Tone, grid_differs
from ccrc_sync.sheet import ApplyResult
from ccrc_sync.sheet import tags as tag_keys
from ccrc_sync.sheet.formats import style_keys
from ccrc_sync.writes import PlanPublish, SheetRowAppend, SheetWrites


@pytest.fixture
def published(emulator) -> str:
    """A new spreadsheet (one empty Sheet1) with the plan published by the client."""
    sid = emulator.create_spreadsheet(title="CCRC")
    apply(connect(emulator, sid), publish_writes())
    return sid


# --------------------------------------------------------------------------- budget


def test_nothing_to_write_sends_nothing(emulator, published):
    sheet = connect(emulator, published)
    snap = sheet.read(PLAN)
    emulator.clear_log()
    result = sheet.apply(snap, SheetWrites(), plan=PLAN_CFG, strict_dropdowns=True)
    assert emulator.requests == [] and result == ApplyResult([], {})
    assert sheet.api_calls == 1


def test_publishing_into_a_new_spreadsheet(emulator):
    sid = emulator.create_spreadsheet(title="CCRC")
    sheet = connect(emulator, sid)
    emulator.clear_log()
    apply(sheet, publish_writes())
    assert posts(emulator) == [f"{sid}:batchUpdate", "values:batchUpdateByDataFilter"]
    assert sheet.api_calls == 3  # the read, the structure, the values
    snap = connect(emulator, sid).read(PLAN)
    assert list(snap.tabs) == [PLAN]  # the empty default Sheet1 is gone
    assert snap.locale == "en_GB"
    assert snap.synced_before and snap.ours(PLAN)
    assert snap.tagged_rows() == {str(n): [n + 1] for n in range(1, 7)}
    grid = values(emulator, sid)
    assert grid[0] == HEADERS
    assert [r[0] for r in grid[1:]] == ["1", "2", "3", "4", "5", "6"]
    table = snap.plan_table()
    assert table is not None
    assert table.rows[0].values[schema.REC_NO] == 1  # a number, as staff would type it
    assert table.rows[0].values[schema.TARGET_DATE] == dt.date(2027, 2, 11)
    assert grid[1][6] == "11/02/2027"  # a real date, shown day first


def test_a_change_costs_one_values_request(emulator, published):
    sheet = connect(emulator, published)
    emulator.clear_log()
    apply(sheet, SheetWrites(cells=(edit("3", STATUS, "Complete", 4), edit("3", NOTES, None, 4))))
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]
    body = body_of(emulator.requests[-1])
    assert body["valueInputOption"] == "USER_ENTERED"
    (entry,) = body["data"]
    assert entry["dataFilter"] == {
        "developerMetadataLookup": {
            "metadataKey": "ccrc-sync.rec",
            "metadataValue": "3",
            "locationType": "ROW",
        }
    }
    assert entry["values"] == [[None, None, None, None, "Complete", None, None, None, ""]]
    row = row_of(values(emulator, published), "3")
    assert row[STATUS - 1] == "Complete" and row[2] == "Recommendation 3"
    assert len(row) < NOTES  # the note was cleared
    assert row_of(values(emulator, published), "2")[STATUS - 1] == schema.DEFAULT_STATUSES[2]


def test_a_new_generated_tab_costs_one_structural_request(emulator, published):
    from sheethelp import summary_layout

    sheet = connect(emulator, published)
    emulator.clear_log()
    apply(
        sheet,
        SheetWrites(cells=(edit("1", STATUS, "Complete", 2),), tabs={"Summary": summary_layout()}),
    )
    assert posts(emulator) == [f"{published}:batchUpdate", "values:batchUpdateByDataFilter"]
    emulator.clear_log()
    apply(connect(emulator, published), SheetWrites(tabs={"Summary": summary_layout(0.75)}))
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]  # same layout: values only


def _more_findings() -> dict[str, TabLayout]:
    return {
        "Sync Issues": issues_layout(
            [(f"Finding worded {n} ways", Tone.WARNING) for n in range(1, 6)]
        )
    }


def _a_new_heading() -> dict[str, TabLayout]:
    extra = (TabRow(()), TabRow((TabCell("A heading never seen", Role.HEADING),)))
    return {"Summary": summary_layout(0.75, extra=extra)}


def _a_new_tone() -> dict[str, TabLayout]:
    return {"Sync Issues": issues_layout([("Now a conflict", Tone.CONFLICT)], note="All else ok")}


@pytest.mark.parametrize("change", [_more_findings, _a_new_heading, _a_new_tone])
def test_changed_content_of_a_generated_tab_costs_one_values_request(emulator, published, change):
    """Once a tab exists its styles follow its hidden keys, so new wording, a new heading or
    a new tone is written with the values and needs no `:batchUpdate`."""
    first = {
        "Summary": summary_layout(),
        "Sync Issues": issues_layout([("Edited on both sides", Tone.ERROR)]),
    }
    apply(connect(emulator, published), SheetWrites(tabs=first))
    emulator.clear_log()
    tabs = change()
    apply(connect(emulator, published), SheetWrites(tabs=tabs))
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]
    ((title, layout),) = tabs.items()
    ranges = [e["dataFilter"]["a1Range"] for e in body_of(emulator.requests[-1])["data"]]
    assert ranges[1] == f"'{title}'!Z1:Z{len(layout.rows)}"
    snap = connect(emulator, published).read(PLAN)
    assert not grid_differs(snap.tab_grid(title), layout.grid())
    assert snap.tab_styles(title) == style_keys(layout)


# --------------------------------------------------------------------------- tags


def test_an_untagged_plan_is_tagged_as_it_is_first_written(emulator):
    sid = typed_plan(emulator)
    sheet = connect(emulator, sid)
    emulator.clear_log()
    apply(sheet, SheetWrites(cells=(edit("4", STATUS, "Complete", 5),)))
    assert posts(emulator) == [f"{sid}:batchUpdate", "values:batchUpdateByDataFilter"]
    snap = connect(emulator, sid).read(PLAN)
    assert snap.tagged_rows() == {"4": [5]}
    assert snap.ours(PLAN) and snap.synced_before  # furnished once, and marked as synced
    assert row_of(values(emulator, sid), "4")[STATUS - 1] == "Complete"
    emulator.clear_log()
    apply(connect(emulator, sid), SheetWrites(cells=(edit("4", NOTES, "again", 5),)))
    assert posts(emulator) == ["values:batchUpdateByDataFilter"]


def test_a_tag_that_no_longer_matches_its_row_is_moved(emulator, published):
    """Staff swap the Rec Nos. of two rows: the tags stay with the rows, so each write
    first moves the tag to the row that now shows its Rec No. No value is duplicated."""
    emulator.set_values(published, PLAN, "A3", [["3"], ["2"]])  # rows 3 and 4 swap keys
    sheet = connect(emulator, published)
    apply(
        sheet, SheetWrites(cells=(edit("2", NOTES, "for two", 4), edit("3", NOTES, "for three", 3)))
    )
    assert tagged(emulator, published) == {
        "1": [2],
        "2": [4],
        "3": [3],
        "4": [5],
        "5": [6],
        "6": [7],
    }
    grid = values(emulator, published)
    assert grid[3][0] == "2" and grid[3][NOTES - 1] == "for two"
    assert grid[2][0] == "3" and grid[2][NOTES - 1] == "for three"


def test_a_duplicated_tag_is_cleared_before_the_write(emulator, published):
    """Two rows carrying the same tag would both receive the write; the client deletes
    every tag with that value and tags only the row it read the Rec No. from."""
    sheet = connect(emulator, published)
    snap = sheet.read(PLAN)
    plan_id = snap.tabs[PLAN].sheet_id
    raw_batch(
        emulator,
        published,
        [
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": tag_keys.REC,
                        "metadataValue": "5",
                        "location": {
                            "dimensionRange": {
                                "sheetId": plan_id,
                                "dimension": "ROWS",
                                "startIndex": 2,
                                "endIndex": 3,
                            }
                        },
                        "visibility": "DOCUMENT",
                    }
                }
            }
        ],
    )
    assert tagged(emulator, published)["5"] == [3, 6]
    apply(connect(emulator, published), SheetWrites(cells=(edit("5", NOTES, "only five", 6),)))
    assert tagged(emulator, published)["5"] == [6]
    grid = values(emulator, published)
    assert grid[5][NOTES - 1] == "only five"
    assert grid[2][NOTES - 1] == "Note 2"


def test_a_new_row_goes_after_the_last(emulator, published):
    sheet = connect(emulator, published)
    emulator.clear_log()
    append = SheetRowAppend("7", {1: 7, 3: "Recommendation 7", STATUS: "Planned"})
    apply(sheet, SheetWrites(appends=(append,)))
    assert posts(emulator) == [f"{published}:batchUpdate", "values:batchUpdateByDataFilter"]
    grid = values(emulator, published)
    assert grid[7][:5] == ["7", "", "Recommendation 7", "", "Planned"]
    assert len(grid) == 8
    assert tagged(emulator, published)["7"] == [8]
    table = connect(emulator, published).read(PLAN).plan_table()
    assert table is not None
    assert table.rows[-1].values[schema.REC_NO] == 7  # the number the plan sent, not text


def test_a_new_row_never_overwrites_what_staff_type_meanwhile(emulator, published):
    """Staff type into the first empty row while the run is writing: the new
    recommendation gets a fresh row of its own, and their text is kept below it."""
    sheet = connect(emulator, published)
    snap = sheet.read(PLAN)
    writes = SheetWrites(appends=(SheetRowAppend("7", {1: 7, 3: "Recommendation 7"}),))
    _held(
        emulator,
        ":batchUpdate",
        lambda: emulator.set_values(published, PLAN, "A8", [["8", "", "typed meanwhile"]]),
        lambda: sheet.apply(snap, writes, plan=PLAN_CFG, strict_dropdowns=True),
    )
    grid = values(emulator, published)
    assert grid[7][:3] == ["7", "", "Recommendation 7"]
    assert grid[8][:3] == ["8", "", "typed meanwhile"]
    assert tagged(emulator, published)["7"] == [8]


def test_a_new_row_replaces_a_stale_tag_with_its_value(emulator, published):
    """Rec 6's row was cleared by hand (its tag stays); when 6 comes back as a new row,
    the stale tag is deleted first, so the write lands once, on the new row."""
    emulator.set_values(published, PLAN, "A7", [[""] * 9])
    apply(
        connect(emulator, published), SheetWrites(appends=(SheetRowAppend("6", {1: 6, 3: "Back"}),))
    )
    assert tagged(emulator, published)["6"] == [7]
    grid = values(emulator, published)
    assert grid[6][:3] == ["6", "", "Back"]
    assert grid[5][0] == "5"


# --------------------------------------------------------------------------- races


def _held(emulator, path: str, act: Callable[[], None], run: Callable[[], Any]) -> Any:
    """Run `run` (an apply) with its request to `path` held by the emulator while `act`
    changes the sheet, then let it through; returns what `run` returned or raised."""
    return _held_by(emulator.pause_next(method="POST", path_contains=path), act, run)


def _held_by(handle: Pause, act: Callable[[], None], run: Callable[[], Any]) -> Any:
    """`_held` with a pause the caller made."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = run()
        except Exception as exc:  # handed back to the test
            outcome["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    try:
        assert handle.wait_arrived(10), "the write never reached the emulator"
        act()
    finally:
        handle.release()
        worker.join(10)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _sort_descending(emulator, sid: str) -> None:
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


def _insert_two_rows_at_the_top(emulator, sid: str) -> None:
    plan_id = connect(emulator, sid).read(PLAN).tabs[PLAN].sheet_id
    raw_batch(
        emulator,
        sid,
        [
            {
                "insertDimension": {
                    "range": {
                        "sheetId": plan_id,
                        "dimension": "ROWS",
                        "startIndex": 1,
                        "endIndex": 3,
                    }
                }
            }
        ],
    )
    emulator.set_values(sid, PLAN, "A2", [["", "", "typed by staff"]])


@pytest.mark.parametrize("change", [_sort_descending, _insert_two_rows_at_the_top])
def test_rows_moving_between_read_and_write_cannot_misdirect_a_value(emulator, published, change):
    sheet = connect(emulator, published)
    snap = sheet.read(PLAN)
    writes = SheetWrites(
        cells=(
            edit("2", NOTES, "for two", 3),
            edit("5", STATUS, "Complete", 6),
            edit("5", NOTES, "for five", 6),
        )
    )
    _held(
        emulator,
        "values:batchUpdateByDataFilter",
        lambda: change(emulator, published),
        lambda: sheet.apply(snap, writes, plan=PLAN_CFG, strict_dropdowns=True),
    )
    grid = values(emulator, published)
    assert row_of(grid, "2")[NOTES - 1] == "for two"
    assert row_of(grid, "5")[STATUS - 1] == "Complete"
    assert row_of(grid, "5")[NOTES - 1] == "for five"
    for rec in ("1", "3", "4", "6"):
        assert row_of(grid, rec)[NOTES - 1] == f"Note {rec}"
    if change is _insert_two_rows_at_the_top:
        assert grid[1][2] == "typed by staff" and grid[1][NOTES - 1 :] == []


def test_a_sort_before_a_row_is_first_tagged_stops_the_run(emulator):
    """An untagged row is tagged by position; if the rows are sorted between the read and
    that structural request, the tag would sit on another recommendation, so the client
    checks the batch's answer and writes no cell."""
    sid = typed_plan(emulator)
    sheet = connect(emulator, sid)
    snap = sheet.read(PLAN)
    writes = SheetWrites(cells=(edit("2", NOTES, "for two", 3),))
    with pytest.raises(SheetError) as err:
        _held(
            emulator,
            ":batchUpdate",
            lambda: _sort_descending(emulator, sid),
            lambda: sheet.apply(snap, writes, plan=PLAN_CFG, strict_dropdowns=True),
        )
    assert str(err.value) == (
        f"The rows of the Google Sheet's {PLAN} tab moved while this run was writing (sorted, "
        "or rows added or removed), so no cell was written; the next run will write them."
    )
    grid = values(emulator, sid)
    assert all("for two" not in row for row in grid)
    emulator.clear_log()
    apply(connect(emulator, sid), SheetWrites(cells=(edit("2", NOTES, "for two", 6),)))
    assert row_of(values(emulator, sid), "2")[NOTES - 1] == "for two"
    assert tagged(emulator, sid)["2"] == [6]


def test_a_row_deleted_before_the_write_is_reported(emulator, published):
    sheet = connect(emulator, published)
    snap = sheet.read(PLAN)
    plan_id = snap.tabs[PLAN].sheet_id
    writes = SheetWrites(cells=(edit("3", NOTES, "lost?", 4), edit("4", NOTES, "kept", 5)))

    def delete_row_of_three() -> None:
        raw_batch(
            emulator,
            published,
            [
                {
                    "deleteDimension": {
                        "range": {
                            "sheetId": plan_id,
                            "dimension": "ROWS",
                            "startIndex": 3,
                            "endIndex": 4,
                        }
                    }
                }
            ],
        )

    with pytest.raises(SheetError) as err:
        _held(
            emulator,
            "values:batchUpdateByDataFilter",
            delete_row_of_three,
            lambda: sheet.apply(snap, writes, plan=PLAN_CFG, strict_dropdowns=True),
        )
    assert str(err.value) == (
        "The row of Rec No. 3 was not found in the Google Sheet when its changes were written "
        "(it was deleted while this run was writing?); the other changes were written, and the "
        "next run carries the rest."
    )
    grid = values(emulator, published)
    assert row_of(grid, "4")[NOTES - 1] == "kept"
    assert all(row[0] != "3" for row in grid[1:])


# --------------------------------------------------------------------------- refusals


def test_a_strict_drop_down_refusal_is_a_sentence(emulator, published):
    sheet = connect(emulator, published)
    before = values(emulator, published)
    writes = SheetWrites(cells=(edit("2", NOTES, "fine", 3), edit("3", STATUS, "Completed", 4)))
    with pytest.raises(SheetError) as err:
        apply(sheet, writes)
    message = str(err.value)
    assert message.startswith(
        "The Google Sheet refused 'Completed' as the Status of Rec No. 3 (cell E4): "
    )
    assert message.endswith(
        "Nothing was written to its cells on this run; correct the value in the workbook or "
        "widen the drop-down, then run again."
    )
    assert err.value.code == 400
    assert values(emulator, published) == before


def test_without_strict_drop_downs_any_value_is_written(emulator):
    sid = emulator.create_spreadsheet(title="CCRC")
    apply(connect(emulator, sid), publish_writes(), strict=False)
    apply(
        connect(emulator, sid),
        SheetWrites(cells=(edit("3", STATUS, "Completed", 4),)),
        strict=False,
    )
    assert row_of(values(emulator, sid), "3")[STATUS - 1] == "Completed"


# --------------------------------------------------------------------------- more


TEXTS = ["50%", "$5.00", "1,000", "3e5", "=1+1", "'quoted", "TRUE", "1/2/2027", "line\r\nbreak"]


def test_text_written_to_a_text_column_reads_back_as_typed(emulator, published):
    writes = SheetWrites(
        cells=tuple(edit(str(n), NOTES, t, n + 1) for n, t in enumerate(TEXTS[:6], 1))
    )
    apply(connect(emulator, published), writes)
    more = SheetWrites(
        appends=tuple(SheetRowAppend(str(n), {1: n, NOTES: t}) for n, t in enumerate(TEXTS[6:], 7))
    )
    apply(connect(emulator, published), more)
    table = connect(emulator, published).read(PLAN).plan_table()
    assert table is not None
    assert [r.values[schema.NOTES] for r in table.rows] == TEXTS


def test_publishing_again_into_an_emptied_plan_tab_leaves_no_stale_tag(emulator, published):
    emulator.set_values(published, PLAN, "A1", [[""] * 9] * 7)
    assert connect(emulator, published).read(PLAN).plan_table() is None
    apply(connect(emulator, published), publish_writes(3))
    assert tagged(emulator, published) == {"1": [2], "2": [3], "3": [4]}


def test_refused_formatting_still_lets_the_data_through(emulator):
    sid = typed_plan(emulator)
    sheet = connect(emulator, sid)
    emulator.fail_next(1, "400", path_contains=":batchUpdate")
    result = apply(sheet, SheetWrites(cells=(edit("2", NOTES, "still written", 3),)))
    (note,) = result.notes
    assert note.startswith(
        "The Google Sheet refused the formats, drop-downs, chart or conflict marks"
    )
    assert note.endswith("the data was synced without them.")
    assert row_of(values(emulator, sid), "2")[NOTES - 1] == "still written"
    assert tagged(emulator, sid) == {"2": [3]}


def test_a_structural_retry_that_meets_its_own_success(emulator):
    """The first attempt is applied but its answer is lost (the client gave up waiting);
    the retry is told the ids it creates already exist. The client checks, and carries on
    to the values.

    No race on the clock: the emulator holds the first attempt until the retry has
    arrived (so the client has given up on it), applies it, and only then lets the retry
    through.
    """
    from sheethelp import summary_layout

    from ccrc_sync.config import RetryConfig

    sid = emulator.create_spreadsheet(title="CCRC")
    # The pause, not the timeout, makes the client give up on the first attempt; the
    # timeout only has to outlast the retry's own answer on a busy machine.
    retry = RetryConfig(max_seconds=30, initial_delay=0.01, max_delay=0.02, timeout=3.0)
    sheet = connect(emulator, sid, retry)
    first = emulator.pause_next(method="POST", path_contains=":batchUpdate")
    second = emulator.pause_next(method="POST", path_contains=":batchUpdate")
    structural = f"/v4/spreadsheets/{sid}:batchUpdate"

    def answered() -> list[int | None]:
        return [r.status for r in emulator.requests if r.path == structural]

    def lose_the_first_answer() -> None:
        assert second.wait_arrived(10), "the client did not retry the unanswered request"
        first.release()
        for _ in range(1000):  # polls the emulator's log; a bound, not a timing
            if answered()[0] is not None:
                break
            threading.Event().wait(0.01)
        assert answered() == [200, None]  # applied; the client had stopped listening
        second.release()

    writes = SheetWrites(publish=publish_writes().publish, tabs={"Summary": summary_layout()})
    try:
        result = _held_by(first, lose_the_first_answer, lambda: apply(sheet, writes))
    finally:
        second.release()  # (already released, unless the test failed before that)
    assert result.notes == []
    # The retry did meet its own success. (On a loaded machine the client may also give up
    # on the held retry and send a third: it meets the same success.)
    first_answer, *retries = answered()
    assert first_answer == 200 and retries and set(retries) == {400}
    attempts = [r.body for r in emulator.requests if r.path == structural]
    assert all(a == attempts[0] for a in attempts)  # the same request, sent again
    snap = connect(emulator, sid).read(PLAN)
    assert list(snap.tabs) == [PLAN, "Summary"]
    assert snap.tagged_rows() == {str(n): [n + 1] for n in range(1, 7)}
    assert row_of(values(emulator, sid), "6")[2] == "Recommendation 6"


def test_a_tag_copied_while_writing_is_reported(emulator, published):
    """Google writes to every row a filter matches; a second row tagged 3 that appears
    between the read and the write cannot be prevented, but the run says so."""
    sheet = connect(emulator, published)
    snap = sheet.read(PLAN)
    plan_id = snap.tabs[PLAN].sheet_id

    def copy_tag() -> None:
        raw_batch(
            emulator,
            published,
            [
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataKey": tag_keys.REC,
                            "metadataValue": "3",
                            "location": {
                                "dimensionRange": {
                                    "sheetId": plan_id,
                                    "dimension": "ROWS",
                                    "startIndex": 6,
                                    "endIndex": 7,
                                }
                            },
                            "visibility": "DOCUMENT",
                        }
                    }
                }
            ],
        )

    result = _held(
        emulator,
        "values:batchUpdateByDataFilter",
        copy_tag,
        lambda: sheet.apply(
            snap,
            SheetWrites(cells=(edit("3", NOTES, "three", 4),)),
            plan=PLAN_CFG,
            strict_dropdowns=True,
        ),
    )
    assert result.notes == [
        "Rec No. 3's changes were written to 2 rows of the Google Sheet (rows were copied while "
        "this run was writing); check the rows with that Rec No."
    ]


def test_publishing_values_outside_a_strict_list_makes_that_list_flag_only(emulator):
    """A strict drop-down would make Google refuse the whole publish for one odd Status,
    so that one drop-down only flags, and the run says why; Section stays strict."""
    sid = emulator.create_spreadsheet(title="CCRC")
    writes = publish_writes()
    assert writes.publish is not None
    rows = list(writes.publish.rows)
    rows[2] = (
        rows[2][0],
        tuple("Completed" if i == STATUS - 1 else v for i, v in enumerate(rows[2][1])),
    )
    result = apply(
        connect(emulator, sid),
        SheetWrites(publish=PlanPublish(writes.publish.headers, tuple(rows))),
    )
    assert result.notes == [
        "The Google Sheet's Status drop-down was made to flag rather than refuse values outside "
        "its list, because the plan has such values (Rec No. 3 'Completed')."
    ]
    assert row_of(values(emulator, sid), "3")[STATUS - 1] == "Completed"
    rules = emulator.data_validations(sid, PLAN)
    strict = {cell: rule.get("strict", False) for cell, rule in rules.items()}
    assert strict["E2"] is False and strict["B2"] is True
