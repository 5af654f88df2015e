"""A Rec No. however staff spell it on the sheet (`'002` typed as text, `20 A`) is the key
the plan writes to: one normaliser (`schema.rec_no_of`) keys the plan's rows, the
snapshot's rows and the row tags alike, so a write, a conflict mark and the check after
tagging a row all find their row. The real gspread-based client talks real HTTP to the
emulator on 127.0.0.1."""

from __future__ import annotations

import pytest
from sheethelp import (
    NOTES,
    PLAN,
    STATUS,
    apply,
    connect,
    edit,
    posts,
    publish_writes,
    tagged,
    typed_plan,
    values,
)

from ccrc_sync import schema
from ccrc_sync.sheet import tags
from ccrc_sync.writes import SheetMark, SheetWrites

# (typed into A3 as staff would, the key the plan gives it, what the cell then shows)
SPELLINGS = [("'002", "2", "002"), ("20 A", "20a", "20 A")]


@pytest.fixture
def published(emulator) -> str:
    """A new spreadsheet with the plan published by the client (every row tagged)."""
    sid = emulator.create_spreadsheet(title="CCRC")
    apply(connect(emulator, sid), publish_writes())
    return sid


@pytest.mark.parametrize(("typed", "key", "shown"), SPELLINGS)
def test_a_write_reaches_a_tagged_row_whatever_its_rec_no_spelling(
    emulator, published, typed, key, shown
):
    """The row was tagged `2` at publish; staff then retype its Rec No. The plan (which
    reads `'002` as 2 and `20 A` as 20a) sends one cell, and it arrives, every run."""
    emulator.set_values(published, PLAN, "A3", [[typed]], enforce_validation=False)
    table = connect(emulator, published).read(PLAN).plan_table()
    assert table is not None and table.rows[1].key == key
    for text in ("first", "second"):
        emulator.clear_log()
        apply(connect(emulator, published), SheetWrites(cells=(edit(key, NOTES, text, 3),)))
        assert posts(emulator)[-1] == "values:batchUpdateByDataFilter"
        grid = values(emulator, published)
        assert grid[2][0] == shown and grid[2][NOTES - 1] == text
    assert grid[1][NOTES - 1] == "Note 1" and grid[3][NOTES - 1] == "Note 3"
    assert tagged(emulator, published)[key] == [3]


@pytest.mark.parametrize(("typed", "key", "shown"), SPELLINGS)
def test_a_write_tags_an_untagged_row_whatever_its_rec_no_spelling(emulator, typed, key, shown):
    """A plan staff typed (no tags yet): the first write tags the row, checks in the same
    batch's answer that the row still holds that Rec No., then fills it."""
    sid = typed_plan(emulator)
    emulator.set_values(sid, PLAN, "A3", [[typed]])
    apply(connect(emulator, sid), SheetWrites(cells=(edit(key, STATUS, "Complete", 3),)))
    grid = values(emulator, sid)
    assert grid[2][0] == shown and grid[2][STATUS - 1] == "Complete"
    assert grid[2][2] == "Recommendation 2"
    assert tagged(emulator, sid) == {key: [3]}


def test_a_conflict_mark_lands_on_a_rec_no_typed_as_text(emulator, published):
    emulator.set_values(published, PLAN, "A3", [["'002"]], enforce_validation=False)
    result = apply(
        connect(emulator, published), SheetWrites(marks=(SheetMark("2", 3, STATUS, "differs"),))
    )
    assert result.notes == []
    snap = connect(emulator, published).read(PLAN)
    assert snap.marks == {("2", STATUS): result.tokens[("2", STATUS)]}
    assert snap.cell(PLAN, 3, STATUS)["note"] == tags.NOTE_PREFIX + "differs"


def test_the_snapshot_keys_rows_as_the_plan_does(emulator):
    """Row keys and the plan's keys are one function: what is no Rec No. to the plan
    (`4.1`, `abc`, `0`) is no row key either."""
    sid = typed_plan(emulator, rows=7)
    typed = ["'002", "20 A", "20.0", "007", "4.1", "abc", "0"]
    emulator.set_values(sid, PLAN, "A2", [[t] for t in typed], enforce_validation=False)
    snap = connect(emulator, sid).read(PLAN)
    table = snap.plan_table()
    assert table is not None
    keys = ["2", "20a", "20", "7", None, None, None]
    assert [r.key for r in table.rows] == keys
    assert [snap.row_key(r.row) for r in table.rows] == keys
    assert table.rows[0].values[schema.REC_NO] == "002"
