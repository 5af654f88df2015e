"""One run as a pure plan: the run's rules as table tests, without files or HTTP.

Each test builds both sides as plain tables (what the workbook and the Google Sheet read
as), the sync's memory, and asks `plan_run` what the run would do: what each side is told,
what is held, what is flagged, and what the next run would find.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from ccrc_sync.config import Config, PlanConfig, SyncConfig
from ccrc_sync.layout import TabLayout, Tone
from ccrc_sync.merge import ConflictKind, Side
from ccrc_sync.outcome import RunStatus
from ccrc_sync.plan import (
    History,
    OpenConflict,
    Options,
    RunInputs,
    RunPlan,
    SheetSide,
    WorkbookSide,
    fingerprint,
    plan_run,
)
from ccrc_sync.plan_model import decode_open_conflicts, encode_open_conflicts
from ccrc_sync.schema import (
    OWNER,
    REC_NO,
    SECTION,
    STATUS,
    TARGET_DATE,
    PlanTable,
    Value,
    table_from_grid,
)
from ccrc_sync.state import LogEvent
from ccrc_sync.writes import CellEdit, CellMark, RowAppend, SheetCellWrite, SheetRowAppend

TODAY = dt.date(2026, 11, 29)
STARTED = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
HEADERS = ["Rec No.", "Section", "Recommendation", "Action", "Status", "Owner", "Target Date"]
CONFIG = Config(plan=PlanConfig(rec_nos="1-8"))


def rows(**edits: dict[str, Value]) -> list[list[Value]]:
    """The plan's grid: eight recommendations, then the edits (rec -> column -> value;
    a rec mapped to None is removed; unknown recs are appended)."""
    table: dict[str, dict[str, Value]] = {
        str(n): {
            "Rec No.": n,
            "Section": "Assurance",
            "Recommendation": f"The CCRC should do thing {n}.",
            "Action": "Work underway.",
            "Status": "Planned",
            "Owner": f"Owner {n}",
            "Target Date": dt.date(2027, 3, n),
        }
        for n in range(1, 9)
    }
    for rec, change in edits.items():
        rec = rec.removeprefix("r")
        if change is None:
            del table[rec]
        else:
            table.setdefault(rec, {"Rec No.": rec}).update(change)
    return [HEADERS, *([r.get(h) for h in HEADERS] for r in table.values())]


def table(grid: list[list[Value]], sheet: str = "Action Plan") -> PlanTable:
    return table_from_grid(grid, sheet)


def base_of(grid: list[list[Value]]) -> dict[str, dict[str, Value]]:
    return table(grid).by_rec_no()


def inputs(
    workbook: list[list[Value]],
    sheet: list[list[Value]] | None,
    *,
    base: Any = "same",
    config: Config = CONFIG,
    history: History | None = None,
    **sheet_side: Any,
) -> RunInputs:
    if history is None:
        history = History(base=base_of(rows()) if base == "same" else base)
    return RunInputs(
        config=config,
        today=TODAY,
        started=STARTED,
        run_id="20261129T020000Z-0001",
        workbook=WorkbookSide(table(workbook)),
        sheet=SheetSide(
            table=None if sheet is None else table(sheet),
            **sheet_side,
        ),
        history=history,
    )


def settled(plan: RunPlan, run: RunInputs) -> RunInputs:
    """The next run's inputs when nothing changed since `plan` was applied: the tabs as
    written, the base committed, the marks set."""

    def grids(tabs: dict[str, TabLayout]) -> dict[str, list[list[Value]]]:
        return {t: layout.grid() for t, layout in tabs.items()}

    book_tabs = {**run.workbook.tabs, **grids(dict(plan.workbook.tabs))}
    sheet_tabs = {**run.sheet.tabs, **grids(dict(plan.sheet.tabs))}
    return replace(
        run,
        workbook=replace(run.workbook, tabs=book_tabs),
        sheet=replace(run.sheet, tabs=sheet_tabs, ours=frozenset(sheet_tabs)),
        history=replace(
            run.history,
            base=plan.base,
            marks={k: f"token {k[1]}/{k[2]}" for k in plan.marks},
            open_conflicts=plan.open_conflicts,
            log=(*plan.log, *run.history.log),
            figures_digest=plan.figures_digest,
            figures_changed_at=plan.figures_changed_at,
        ),
    )


# ----------------------------------------------------------------------------- basics


def test_an_idle_run_after_a_settled_one_writes_nothing_anywhere() -> None:
    first = inputs(rows(), rows())
    plan = plan_run(first)
    assert plan.status is RunStatus.OK
    assert plan.changes == () and plan.conflicts == ()
    again = plan_run(settled(plan, first))
    assert again.workbook.empty and again.sheet.empty
    assert again.status is RunStatus.OK


def test_a_workbook_edit_is_addressed_to_its_recommendation_on_the_sheet() -> None:
    plan = plan_run(inputs(rows(r3={STATUS: "in progress"}), rows()))
    assert plan.sheet.cells == (SheetCellWrite("3", 4, 5, "In Progress"),)
    assert plan.workbook.cells == ()
    assert plan.base is not None and plan.base["3"][STATUS] == "in progress"
    assert [(e.rec_no, e.field, e.new) for e in plan.log] == [("3", STATUS, "in progress")]


def test_a_sheet_edit_lands_in_the_workbook_cell_of_that_recommendation() -> None:
    sheet = rows(r5={OWNER: "J. Smith"})
    sheet = [sheet[0], *reversed(sheet[1:])]  # sorted differently on the sheet
    plan = plan_run(inputs(rows(), sheet))
    assert plan.workbook.cells == (CellEdit(6, 6, "J. Smith"),)


def test_new_rows_arrive_with_their_rec_no_typed_as_each_side_expects() -> None:
    plan = plan_run(
        inputs(
            rows(
                r9={
                    SECTION: "Assurance",
                    "Recommendation": "Nine.",
                    "Action": "A.",
                    STATUS: "Planned",
                }
            ),
            rows(
                r4a={
                    SECTION: "Assurance",
                    "Recommendation": "Part a.",
                    "Action": "A.",
                    STATUS: "Planned",
                }
            ),
        )
    )
    assert plan.sheet.appends == (
        SheetRowAppend("9", {1: 9, 2: "Assurance", 3: "Nine.", 4: "A.", 5: "Planned"}),
    )
    assert plan.workbook.appends == (
        RowAppend({1: "4a", 2: "Assurance", 3: "Part a.", 4: "A.", 5: "Planned"}),
    )


# ----------------------------------------------------------------------------- publish


def test_an_empty_sheet_is_published_whole_and_logged_as_one_line() -> None:
    plan = plan_run(inputs(rows(), None, base=None))
    assert plan.published == 8
    assert plan.sheet.publish is not None
    assert [key for key, _ in plan.sheet.publish.rows] == [str(n) for n in range(1, 9)]
    assert plan.base is not None and set(plan.base) == {str(n) for n in range(1, 9)}
    assert [(e.rec_no, e.field, e.new) for e in plan.log] == [("", "", 8)]


def test_a_value_that_fails_validation_is_published_blank_and_kept_pending() -> None:
    plan = plan_run(inputs(rows(r2={STATUS: "Done-ish"}), None, base=None))
    assert plan.sheet.publish is not None
    two = dict(plan.sheet.publish.rows)["2"]
    assert two[4] is None  # Status column
    assert plan.base is not None and plan.base["2"][STATUS] is None


# ----------------------------------------------------------------------------- refusals


def test_a_missing_plan_tab_with_a_base_behind_it_is_refused_naming_the_rename() -> None:
    plan = plan_run(inputs(rows(), None, renamed_plan="Plan (old)"))
    assert plan.status is RunStatus.FAILED
    assert plan.refusal == (
        "The Action Plan tab is missing from the Google Sheet, and the tab ccrc-sync made for "
        "the plan is now called 'Plan (old)': was it renamed? Rename it back to 'Action Plan' "
        "(or set [plan] sheet in the configuration), then run again. Nothing was written."
    )
    plan = plan_run(inputs(rows(), None))
    assert plan.refusal == (
        "The Action Plan tab is missing from the Google Sheet (or empty), but the two sides "
        "were synced before: was it renamed or deleted? Restore the Action Plan tab, then run "
        "again. Nothing was written, so no edit is lost."
    )


def test_a_lost_memory_is_refused_until_rebase_and_then_nothing_is_filled_in() -> None:
    book = rows(r2={OWNER: None})  # the workbook cleared an owner while the memory was lost
    lost = inputs(book, rows(), base=None, synced_before=True)
    plan = plan_run(lost)
    assert plan.refusal == (
        "The sync has no memory of the last agreed version (its state folder var/state is "
        "missing or empty), but the Google Sheet has been synced before, so a blank cell could "
        "be either side's deletion. Nothing was written. Run `ccrc-sync sync --rebase` to "
        "start again from both sides as they are: every difference is then listed as a "
        "conflict, and nothing is filled in."
    )
    rebased = plan_run(replace(lost, options=Options(rebase=True)))
    assert rebased.changes == ()
    assert [(c.rec_no, c.field, c.kind) for c in rebased.conflicts] == [
        ("2", OWNER, ConflictKind.FIRST)
    ]
    # It stays a conflict on the next run too: no fill-in later either.
    later = plan_run(settled(rebased, lost))
    assert later.changes == () and [c.field for c in later.conflicts] == [OWNER]


# ----------------------------------------------------------------------------- in doubt


def test_a_rec_no_typo_on_the_sheet_never_overwrites_the_other_recommendation() -> None:
    sheet = rows(r2={REC_NO: 3, "Recommendation": "Rec 2's text"})
    plan = plan_run(inputs(rows(), sheet))
    assert plan.workbook.cells == () and plan.sheet.cells == ()
    assert plan.workbook.appends == () and plan.sheet.appends == ()
    assert all(c.rec_no not in ("2", "3") for c in plan.changes)
    codes = {(i.code, i.rec_no) for i in plan.issues}
    assert ("rec_no.duplicate", "3") in codes
    assert plan.status is RunStatus.FLAGGED


def test_a_broken_key_column_with_propagated_deletions_deletes_nothing() -> None:
    config = Config(plan=PlanConfig(rec_nos="1-8"), sync=SyncConfig(propagate_deletions=True))
    blanked = [rows()[0], *([None, *r[1:]] for r in rows()[1:])]
    plan = plan_run(inputs(rows(), blanked, config=config))
    assert plan.merge is not None and plan.merge.deletions == ()
    assert plan.workbook.cells == () and plan.sheet.cells == ()
    assert plan.notes == (
        "Rec 1, 2, 3, 4, 5, 6, 7, 8 are missing from the Google Sheet, where some rows have a "
        "blank, repeated or invalid Rec No.; nothing was deleted. Fix the Rec No. column there "
        "and the next run sorts it out.",
    )


def test_many_rows_vanishing_at_once_are_held_with_a_sentence() -> None:
    config = Config(plan=PlanConfig(rec_nos="1-8"), sync=SyncConfig(propagate_deletions=True))
    plan = plan_run(inputs(rows(), rows(r1=None, r2=None, r3=None), config=config))
    assert plan.workbook.cells == ()
    assert plan.notes == (
        "3 recommendations vanished from the Google Sheet at once, more than 20% of the plan; "
        "that looks like an accident, so nothing was deleted or re-added. If they were meant "
        "to go, delete them in the workbook too; otherwise put them back.",
    )


def test_a_column_deleted_on_the_sheet_is_held_and_its_empty_return_is_not_clears() -> None:
    no_owner = [[c for i, c in enumerate(r) if i != 5] for r in rows()]
    plan = plan_run(inputs(rows(), no_owner))
    assert [(i.code, i.field) for i in plan.issues if i.code == "column.one_side"] == [
        ("column.one_side", OWNER)
    ]
    assert plan.base is not None and plan.base["4"][OWNER] == "Owner 4"
    back_empty = rows(**{f"r{n}": {OWNER: None} for n in range(1, 9)})
    again = plan_run(inputs(rows(), back_empty))
    assert again.workbook.cells == ()
    assert again.notes == (
        "Every Owner in the Google Sheet was emptied at once (was the column deleted and added "
        "back?); the values were kept on both sides. If they were meant to be cleared, run "
        '`ccrc-sync sync --accept-clears "Owner"`.',
    )


# ----------------------------------------------------------------------------- restored


def test_a_restored_older_workbook_is_held_as_conflicts_naming_the_run() -> None:
    older = rows()
    newer_base = base_of(rows(r1={STATUS: "Complete"}))
    history = History(
        base=newer_base,
        fingerprints=(
            (
                "run-2",
                dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC),
                fingerprint(table(rows(r1={STATUS: "Complete"}))),
            ),
            ("run-1", dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC), fingerprint(table(older))),
        ),
    )
    plan = plan_run(inputs(older, rows(r1={STATUS: "Complete"}), history=history))
    assert plan.sheet.cells == ()
    assert [(c.rec_no, c.field, c.kind) for c in plan.conflicts] == [
        ("1", STATUS, ConflictKind.RESTORED)
    ]
    assert plan.notes == (
        "The workbook is the same as the copy written by run run-1 on 27 November 2026, older "
        "than the last sync: it looks like a restored copy. Its older values were not carried "
        "to the Google Sheet (they are listed as conflicts). If the older copy is what you "
        "want, run `ccrc-sync sync --accept-restore`.",
    )


# ----------------------------------------------------------------------------- findings


def test_a_completed_recommendation_reopened_is_reported_and_still_carried() -> None:
    history = History(base=base_of(rows(r1={STATUS: "Complete"})))
    plan = plan_run(
        inputs(rows(r1={STATUS: "Complete"}), rows(r1={STATUS: "In Progress"}), history=history)
    )
    assert plan.workbook.cells == (CellEdit(2, 5, "In Progress"),)
    reopened = [i for i in plan.issues if i.code == "status.reopened"]
    assert [i.message for i in reopened] == [
        "Rec 1's status went back from 'Complete' to 'In Progress' in the Google Sheet; "
        "the change was carried to the workbook."
    ]


def test_a_change_for_a_workbook_formula_cell_is_held_and_listed() -> None:
    from ccrc_sync.schema import Formula

    book = rows(r2={OWNER: Formula("=B9")})
    history = History(base=base_of(rows(r2={OWNER: Formula("=B9")})))
    plan = plan_run(inputs(book, rows(r2={OWNER: "New owner"}), history=history))
    assert plan.workbook.cells == ()
    kept = [i for i in plan.issues if i.code == "cell.formula_kept"]
    assert [(i.cell, i.value) for i in kept] == [("F3", "New owner")]


# ----------------------------------------------------------------------------- marks


def test_a_conflict_is_marked_on_both_sides_then_unmarked_and_logged_when_settled() -> None:
    run = inputs(
        rows(r4={TARGET_DATE: dt.date(2027, 5, 1)}), rows(r4={TARGET_DATE: dt.date(2027, 6, 1)})
    )
    plan = plan_run(run)
    assert plan.workbook.marks == (CellMark(5, 7, plan.workbook.marks[0].note),)
    assert [(m.rec_no, m.col) for m in plan.sheet.marks] == [("4", 7)]
    assert "'2027-05-01'" in plan.workbook.marks[0].note
    settled_run = settled(plan, run)
    agreed = replace(
        settled_run,
        workbook=replace(
            settled_run.workbook, table=table(rows(r4={TARGET_DATE: dt.date(2027, 6, 1)}))
        ),
    )
    after = plan_run(agreed)
    assert after.conflicts == ()
    assert [(u.row, u.col, u.token) for u in after.workbook.unmarks] == [
        (5, 7, "token 4/Target Date")
    ]
    assert [(u.rec_no, u.token) for u in after.sheet.unmarks] == [("4", "token 4/Target Date")]
    resolved = [e for e in after.log if e.event is LogEvent.RESOLVED]
    assert [(e.rec_no, e.source, e.old, e.new) for e in resolved] == [
        ("4", "sheet", dt.date(2027, 5, 1), dt.date(2027, 6, 1))
    ]


def test_the_sheet_side_of_sync_issues_links_to_the_sheets_own_cells() -> None:
    sheet = rows(r4={TARGET_DATE: dt.date(2027, 6, 1)})
    sheet = [sheet[0], *reversed(sheet[1:])]
    plan = plan_run(inputs(rows(r4={TARGET_DATE: dt.date(2027, 5, 1)}), sheet))
    links = {
        side: [
            c.link
            for r in tabs["Sync Issues"].rows
            if r.tone is Tone.CONFLICT
            for c in r.cells
            if c.link
        ]
        for side, tabs in ((Side.WORKBOOK, plan.workbook.tabs), (Side.SHEET, plan.sheet.tabs))
    }
    assert [(link.row, link.col) for link in links[Side.WORKBOOK]] == [(5, 7)]
    assert [(link.row, link.col) for link in links[Side.SHEET]] == [(6, 7)]


def test_a_first_publish_links_each_finding_to_the_row_the_sheet_receives() -> None:
    # A row without a Rec No. waits in the workbook, so every row after it lands one row
    # higher in the Google Sheet; the sheet's Sync Issues must link to where they land.
    book = rows(r5={STATUS: "Finished"})
    book.insert(3, [None, "Assurance", "A row still being typed.", None, "Planned", None, None])
    plan = plan_run(inputs(book, None, base=None))
    assert plan.sheet.publish is not None
    sent = [rec for rec, _ in plan.sheet.publish.rows]
    links = {
        side: {
            (r.cells[0].value, c.link.row)
            for r in tabs["Sync Issues"].rows
            for c in r.cells
            if c.link and r.cells[1].value == STATUS
        }
        for side, tabs in ((Side.WORKBOOK, plan.workbook.tabs), (Side.SHEET, plan.sheet.tabs))
    }
    assert links[Side.WORKBOOK] == {(5, 7)}  # the workbook's own row, after the extra one
    assert links[Side.SHEET] == {(5, sent.index("5") + 2)} == {(5, 6)}


@pytest.mark.parametrize("opened", [True, False])
def test_open_conflicts_are_kept_for_digests(opened: bool) -> None:
    book = rows(r1={OWNER: "A"}) if opened else rows()
    plan = plan_run(inputs(book, rows(r1={OWNER: "B"}) if opened else rows()))
    expected = (OpenConflict("1", OWNER, "A", "B", "edit"),) if opened else ()
    assert plan.open_conflicts == expected


def test_open_conflicts_keep_their_types_through_the_state() -> None:
    kept = (
        OpenConflict("20a", TARGET_DATE, dt.date(2026, 7, 1), "31/07/2026", "restored"),
        OpenConflict("3", OWNER, "A", None, "edit"),
    )
    assert decode_open_conflicts(encode_open_conflicts(kept)) == kept


def test_open_conflicts_kept_by_an_earlier_version_are_read() -> None:
    # Before 0.2 a date was kept as ISO text and a damaged entry could stand in the list.
    earlier = (
        '[{"rec_no": 20, "field": "Target Date", "workbook": "2026-07-01", '
        '"sheet": "2026-07-15", "kind": "edit"}, {"field": "Owner"}, "junk"]'
    )
    assert decode_open_conflicts(earlier) == (
        OpenConflict("20", TARGET_DATE, dt.date(2026, 7, 1), dt.date(2026, 7, 15), "edit"),
    )
    assert decode_open_conflicts("not json") == ()


# ----------------------------------------------------------------------------- the merge's
# rules through a whole run: what each side is told, as a table (fast, no HTTP; a few of
# these also run end to end through the CLI in test_sync_e2e.py)

NEW = {SECTION: "Assurance", "Recommendation": "A new one.", "Action": "Soon.", STATUS: "Planned"}
PROPAGATE = Config(plan=PlanConfig(rec_nos="1-9"), sync=SyncConfig(propagate_deletions=True))
WB_WINS = Config(plan=PlanConfig(rec_nos="1-8"), sync=SyncConfig(policy="workbook-wins"))
SH_WINS = Config(plan=PlanConfig(rec_nos="1-8"), sync=SyncConfig(policy="sheet-wins"))
NINE = Config(plan=PlanConfig(rec_nos="1-9"))

RUN_CASES: list[tuple[str, dict[str, Any], dict[str, Any], Config, dict[str, Any]]] = [
    (
        "workbook edit reaches the sheet",
        {"r2": {OWNER: "Ann"}},
        {},
        CONFIG,
        {"sheet": [("2", 6, "Ann")], "book": [], "conflicts": [], "status": RunStatus.OK},
    ),
    (
        "sheet edit reaches the workbook",
        {},
        {"r2": {OWNER: "Bob"}},
        CONFIG,
        {"sheet": [], "book": [(3, 6, "Bob")], "conflicts": [], "status": RunStatus.OK},
    ),
    (
        "same edit on both sides is agreement",
        {"r2": {OWNER: "Cy"}},
        {"r2": {OWNER: "Cy "}},
        CONFIG,
        {"sheet": [], "book": [], "conflicts": [], "status": RunStatus.OK},
    ),
    (
        "different edits are a conflict, nothing overwritten",
        {"r2": {OWNER: "A"}},
        {"r2": {OWNER: "B"}},
        CONFIG,
        {
            "sheet": [],
            "book": [],
            "conflicts": [("2", OWNER, ConflictKind.EDIT)],
            "status": RunStatus.FLAGGED,
        },
    ),
    (
        "workbook-wins settles a conflict from the workbook",
        {"r2": {OWNER: "A"}},
        {"r2": {OWNER: "B"}},
        WB_WINS,
        {"sheet": [("2", 6, "A")], "book": [], "conflicts": [], "status": RunStatus.OK},
    ),
    (
        "sheet-wins settles a conflict from the sheet",
        {"r2": {OWNER: "A"}},
        {"r2": {OWNER: "B"}},
        SH_WINS,
        {"sheet": [], "book": [(3, 6, "B")], "conflicts": [], "status": RunStatus.OK},
    ),
    (
        "an invalid status is not carried",
        {"r2": {STATUS: "Done-ish"}},
        {},
        CONFIG,
        {"sheet": [], "book": [], "conflicts": [], "status": RunStatus.FLAGGED},
    ),
    (
        "a row deleted on the sheet is flagged, not propagated",
        {},
        {"r5": None},
        CONFIG,
        {
            "sheet": [],
            "book": [],
            "conflicts": [("5", None, ConflictKind.DELETED)],
            "status": RunStatus.FLAGGED,
        },
    ),
    (
        "a row deleted on the sheet is blanked in the workbook when configured",
        {},
        {"r5": None},
        PROPAGATE,
        {
            "sheet": [],
            "book": [(6, c, None) for c in range(1, 8)],
            "conflicts": [],
            "status": RunStatus.FLAGGED,
        },
    ),
    (
        "deleted on the workbook, edited on the sheet: the edit is kept",
        {"r5": None},
        {"r5": {OWNER: "Kept"}},
        PROPAGATE,
        {
            "sheet": [],
            "book": [],
            "conflicts": [("5", OWNER, ConflictKind.DELETED_EDITED)],
            "status": RunStatus.FLAGGED,
        },
    ),
    (
        "the same Rec No. added on both sides differently is flagged whole",
        {"r9": {**NEW, OWNER: "A"}},
        {"r9": {**NEW, OWNER: "B"}},
        NINE,
        {
            "sheet": [],
            "book": [],
            "conflicts": [("9", OWNER, ConflictKind.ADDED)],
            "status": RunStatus.FLAGGED,
        },
    ),
    (
        "text that looks like a formula stays text",
        {"r3": {OWNER: "=SUM(A1)"}},
        {},
        CONFIG,
        {"sheet": [("3", 6, "=SUM(A1)")], "book": [], "conflicts": [], "status": RunStatus.OK},
    ),
    (
        "the same thing written differently is no change",
        {"r4": {STATUS: "in progress "}},
        {"r4": {STATUS: "IN PROGRESS"}},
        CONFIG,
        {"sheet": [], "book": [], "conflicts": [], "status": RunStatus.OK},
    ),
]


@pytest.mark.parametrize(
    ("book_edits", "sheet_edits", "config", "expected"),
    [case[1:] for case in RUN_CASES],
    ids=[case[0] for case in RUN_CASES],
)
def test_a_run_tells_each_side_what_the_merge_decided(
    book_edits: dict[str, Any],
    sheet_edits: dict[str, Any],
    config: Config,
    expected: dict[str, Any],
) -> None:
    plan = plan_run(inputs(rows(**book_edits), rows(**sheet_edits), config=config))
    assert [(w.rec_no, w.col, w.value) for w in plan.sheet.cells] == expected["sheet"]
    assert [(e.row, e.col, e.value) for e in plan.workbook.cells] == expected["book"]
    assert [(c.rec_no, c.field, c.kind) for c in plan.conflicts] == expected["conflicts"]
    assert plan.status is expected["status"]
