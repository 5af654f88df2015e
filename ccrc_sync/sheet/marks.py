"""Conflict marks on the Google side: a fill and a note on the conflicting cell, and the
cell's own fill and note put back exactly once the sides agree.

Why it is shaped this way: the mark is the cell's own format and note (they move with the
cell when staff sort), and what the cell had before is kept in a developer-metadata tag
on its row (`ccrc-sync.mark`, value `<column>|<token>`). So the mark can be taken off and
the cell restored even when the run's state is lost, and `apply` still returns the token
for the state to keep. A conditional format rule was the alternative that never touches
the cell's own format, but rules stay where they are when rows are sorted, so the mark
would land on another recommendation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ccrc_sync.layout import COLOURS
from ccrc_sync.schema import rec_no_of
from ccrc_sync.sheet import requests as rq
from ccrc_sync.sheet import tags
from ccrc_sync.writes import SheetMark, SheetUnmark

if TYPE_CHECKING:
    from ccrc_sync.sheet.writes import Planner

# Both spellings of the fill, and the note: what a mark sets and an unmark restores.
MARK_FIELDS = "note,userEnteredFormat.backgroundColor,userEnteredFormat.backgroundColorStyle"


def plan_mark(planner: Planner, mark: SheetMark) -> None:
    """Fill and note the cell; keep what it had in a tag on its row (and as the token)."""
    snap, out = planner.snap, planner.out
    sheet_id = planner.plan_sheet()
    rec = rec_no_of(mark.rec_no) or ""
    if snap.row_key(mark.row) != rec:
        out.notes.append(
            f"The conflict in Rec No. {mark.rec_no} was not marked on the Google Sheet: its "
            "row had moved; the next run marks it."
        )
        return
    note = tags.NOTE_PREFIX + mark.note
    cell = snap.cell(out.plan_title, mark.row, mark.col)
    existing = snap.mark_places().get((rec, mark.col))
    if existing is not None:
        out.tokens[(rec, mark.col)] = existing[2]
        if cell.get("note") != note:
            out.add(
                rq.set_cell(sheet_id, mark.row, mark.col, {"note": note}, "note"), essential=False
            )
        return
    own_note = cell.get("note")
    if isinstance(own_note, str) and own_note.startswith(tags.NOTE_PREFIX):
        own_note = None  # a mark of ours whose record was lost: nothing of the cell's own
    token = tags.make_token(cell.get("userEnteredFormat"), own_note)
    marked = {"note": note, "userEnteredFormat": rq.fill(COLOURS.conflict_mark)}
    out.add(rq.set_cell(sheet_id, mark.row, mark.col, marked, MARK_FIELDS), essential=False)
    location = rq.row_location(sheet_id, mark.row)
    planner.tag(tags.MARK, tags.mark_value(mark.col, token), location, essential=False)
    out.tokens[(rec, mark.col)] = token


def plan_unmark(planner: Planner, unmark: SheetUnmark) -> None:
    """Put back the cell's own fill and note, from the token or the row's tag. Without
    either, only our own note and fill are taken off, and only from the row that shows
    this Rec No."""
    snap, out = planner.snap, planner.out
    sheet_id = planner.plan_sheet()
    rec = rec_no_of(unmark.rec_no) or ""
    place = snap.mark_places().get((rec, unmark.col))
    row, ids = (place[0], place[1]) if place else (unmark.row, [])
    if place is None and snap.row_key(row) != rec:
        return  # the row is gone or shows another recommendation: nothing of ours to take
    restored = tags.read_token(unmark.token or (place[2] if place else None))
    if restored is None:
        note = snap.cell(out.plan_title, row, unmark.col).get("note", "")
        if not str(note).startswith(tags.NOTE_PREFIX):
            for metadata_id in ids:
                planner.delete_tag(metadata_id)
            return
        restored = ({}, None)
    format_, own_note = restored
    cell: dict[str, Any] = {"userEnteredFormat": format_}
    if own_note is not None:
        cell["note"] = own_note
    out.add(rq.set_cell(sheet_id, row, unmark.col, cell, MARK_FIELDS), essential=False)
    for metadata_id in ids:
        planner.delete_tag(metadata_id)
