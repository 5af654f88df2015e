"""The three-way merge: the rules as a table of cases, then random edits over several runs.

A run here is what the sync does, in memory: merge, write every Change to its target
table, delete every Deletion, commit `MergeResult.base`.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccrc_sync.config import Policy
from ccrc_sync.merge import ONE_SIDE as ONE_SIDE_KEY
from ccrc_sync.merge import (
    UNSETTLED,
    Change,
    Conflict,
    ConflictKind,
    Deletion,
    HoldReason,
    MergeResult,
    MergeSettings,
    Side,
    SideRows,
    Table,
    side_rows,
)
from ccrc_sync.merge import merge as merge_sides
from ccrc_sync.schema import (
    ACTION,
    DEFAULT_SECTIONS,
    DEFAULT_STATUSES,
    FIELDS,
    LAST_UPDATED,
    NOTES,
    OWNER,
    REC_NO,
    RECOMMENDATION,
    SECTION,
    STATUS,
    TARGET_DATE,
    Value,
    canonical,
    is_blank,
    normalise,
    rec_no_of,
)

W, S = Side.WORKBOOK, Side.SHEET
D1, D2 = dt.date(2027, 3, 31), dt.date(2027, 6, 30)
_SHORT = {
    "section": SECTION,
    "rec": RECOMMENDATION,
    "action": ACTION,
    "status": STATUS,
    "owner": OWNER,
    "target": TARGET_DATE,
    "updated": LAST_UPDATED,
    "notes": NOTES,
}


def row(rec_no: int, **values: Value) -> dict[str, Value]:
    """A plan row; keyword names are short forms of the labels (status=, owner=, ...)."""
    return {REC_NO: rec_no, **{_SHORT[k]: v for k, v in values.items()}}


def plan(*rows: dict[str, Value]) -> Table:
    return {str(rec_no_of(r[REC_NO])): dict(r) for r in rows}


def merge(
    base: Table | None,
    workbook: Table,
    sheet: Table,
    *,
    fields: tuple[str, ...] = FIELDS,
    invalid: set[tuple[Side, str, str]] = frozenset(),
    **options: object,
) -> MergeResult:
    """The merge over two plain tables (each key held by one row, both sides healthy)."""

    def side(table: Table) -> SideRows:
        return SideRows(rows=table, fields=frozenset(fields))

    settings = MergeSettings(invalid=frozenset(invalid), **options)  # type: ignore[arg-type]
    return merge_sides(base, side(workbook), side(sheet), settings)


def key(name: str, value: Value) -> str:
    return normalise(name, value)


def compact(table: Table) -> Table:
    """A table without blank cells, so `None` and a missing cell compare alike."""
    return {r: {f: v for f, v in cells.items() if not is_blank(v)} for r, cells in table.items()}


def ch(rec: str, name: str, source: Side, old: Value, new: Value, new_row: bool = False):
    return Change(rec, name, source, source.other, old, new, new_row)


def apply(result: MergeResult, workbook: Table, sheet: Table) -> Table:
    """Write a merge result to both tables, as the sync does, and return the base to commit."""
    tables = {W: workbook, S: sheet}
    appended: set[tuple[Side, int]] = set()
    for c in result.changes:
        table = tables[c.target]
        if c.new_row and (c.target, c.rec_no) not in appended:
            assert c.rec_no not in table, f"row {c.rec_no} is already on the {c.target}"
            table[c.rec_no] = {}
            appended.add((c.target, c.rec_no))
        cells = table[c.rec_no]
        assert key(c.field, cells.get(c.field)) == key(c.field, c.old), "old is the target's value"
        cells[c.field] = c.new
    for d in result.deletions:
        del tables[d.target][d.rec_no]
    return result.base


# --------------------------------------------------------------------------- the rules


@dataclass
class Case:
    id: str
    base: Table | None
    workbook: Table
    sheet: Table
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    base_after: Table | None = None  # None: the expected base is the base passed in
    deletions: list[Deletion] = field(default_factory=list)
    options: dict = field(default_factory=dict)


BASE = plan(row(1, status="Planned", owner="Ann", target=D1), row(2, status="Planned"))

CASES = [
    Case("unchanged", BASE, BASE, BASE),
    Case(
        "workbook edit goes to the sheet",
        BASE,
        plan(row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")),
        BASE,
        changes=[ch("1", STATUS, W, "Planned", "Complete")],
        base_after=plan(
            row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")
        ),
    ),
    Case(
        "sheet edit goes to the workbook",
        BASE,
        BASE,
        plan(row(1, status="Planned", owner="Bob", target=D1), row(2, status="Planned")),
        changes=[ch("1", OWNER, S, "Ann", "Bob")],
        base_after=plan(row(1, status="Planned", owner="Bob", target=D1), row(2, status="Planned")),
    ),
    Case(
        "edits to different cells of one row both travel",
        BASE,
        plan(row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")),
        plan(row(1, status="Planned", owner="Bob", target=D1), row(2, status="Planned")),
        changes=[ch("1", STATUS, W, "Planned", "Complete"), ch("1", OWNER, S, "Ann", "Bob")],
        base_after=plan(
            row(1, status="Complete", owner="Bob", target=D1), row(2, status="Planned")
        ),
    ),
    Case(
        "same edit on both sides, written differently, is agreement",
        BASE,
        plan(row(1, status="complete ", owner="Ann", target=D1), row(2, status="Planned")),
        plan(row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")),
        base_after=plan(
            row(1, status="complete ", owner="Ann", target=D1), row(2, status="Planned")
        ),
    ),
    Case(
        "different edits on both sides are a conflict and nothing is overwritten",
        BASE,
        plan(row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")),
        plan(row(1, status="In Progress", owner="Ann", target=D1), row(2, status="Planned")),
        conflicts=[Conflict("1", STATUS, "Planned", "Complete", "In Progress", "edit")],
    ),
    Case(
        "a conflict the staff settled by hand takes the agreed value into the base",
        BASE,
        plan(row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")),
        plan(row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")),
        base_after=plan(
            row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")
        ),
    ),
    Case(
        "workbook-wins resolves a conflict from the workbook",
        BASE,
        plan(row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")),
        plan(row(1, status="In Progress", owner="Ann", target=D1), row(2, status="Planned")),
        changes=[ch("1", STATUS, W, "In Progress", "Complete")],
        base_after=plan(
            row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")
        ),
        options={"policy": Policy.WORKBOOK_WINS},
    ),
    Case(
        "sheet-wins resolves a conflict from the sheet",
        BASE,
        plan(row(1, status="Complete", owner="Ann", target=D1), row(2, status="Planned")),
        plan(row(1, status="In Progress", owner="Ann", target=D1), row(2, status="Planned")),
        changes=[ch("1", STATUS, S, "Complete", "In Progress")],
        base_after=plan(
            row(1, status="In Progress", owner="Ann", target=D1), row(2, status="Planned")
        ),
        options={"policy": Policy.SHEET_WINS},
    ),
    Case(
        "the same thing written differently is not an edit",
        plan(row(1, status="In Progress", owner="Ann", target=D1, notes=15, action="a\nb")),
        plan(row(1.0, status="In progress", owner=" Ann ", target=D1, notes=15.0, action="a\r\nb")),
        plan(
            row(
                "1",
                status="IN PROGRESS",
                owner="Ann\n",
                target=dt.datetime(2027, 3, 31),
                notes="15",
            )
        ),
        # The sheet's blank Action is a real edit (a deletion of the text), so it travels.
        changes=[ch("1", ACTION, S, "a\r\nb", None)],
        base_after=plan(row(1, status="In Progress", owner="Ann", target=D1, notes=15)),
    ),
    Case(
        "a date carried across stays a date",
        plan(row(1, target="31/03/2027")),
        plan(row(1, target=D2)),
        plan(row(1, target="31/03/2027")),
        changes=[ch("1", TARGET_DATE, W, "31/03/2027", D2)],
        base_after=plan(row(1, target=D2)),
    ),
    Case(
        "clearing a cell is an edit",
        BASE,
        plan(row(1, status="Planned", owner="", target=D1), row(2, status="Planned")),
        BASE,
        changes=[ch("1", OWNER, W, "Ann", "")],
        base_after=plan(row(1, status="Planned", target=D1), row(2, status="Planned")),
    ),
    Case(
        "a row added on the workbook is appended to the sheet",
        BASE,
        {**BASE, "3": row(3, status="Planned", owner="Cy", notes="  ")},
        BASE,
        changes=[
            ch("3", REC_NO, W, None, 3, new_row=True),
            ch("3", STATUS, W, None, "Planned", new_row=True),
            ch("3", OWNER, W, None, "Cy", new_row=True),
        ],
        base_after={**BASE, "3": row(3, status="Planned", owner="Cy")},
    ),
    Case(
        "a row added on the sheet is appended to the workbook",
        BASE,
        BASE,
        {**BASE, "5": row(5, target=D2)},
        changes=[
            ch("5", REC_NO, S, None, 5, new_row=True),
            ch("5", TARGET_DATE, S, None, D2, new_row=True),
        ],
        base_after={**BASE, "5": row(5, target=D2)},
    ),
    Case(
        "the same row added on both sides alike is agreement",
        BASE,
        {**BASE, "3": row(3, status="Planned", owner="Cy")},
        {**BASE, "3": row(3, status="planned", owner="Cy ")},
        base_after={**BASE, "3": row(3, status="Planned", owner="Cy")},
    ),
    Case(
        "the same Rec No. added on both sides differently: nothing spliced, all flagged",
        BASE,
        {**BASE, "3": row(3, status="Planned", owner="Cy")},
        {**BASE, "3": row(3, status="Complete", target=D2)},
        conflicts=[
            Conflict("3", STATUS, None, "Planned", "Complete", "added"),
            Conflict("3", OWNER, None, "Cy", None, "added"),
            Conflict("3", TARGET_DATE, None, None, D2, "added"),
        ],
        base_after=BASE,  # the row stays out of the base, so it stays flagged
    ),
    Case(
        "the same row added on both sides, one with more filled in: flagged, not spliced",
        BASE,
        {**BASE, "3": row(3, status="Planned", owner="Cy")},
        {**BASE, "3": row(3, status="Planned", target=D2)},
        conflicts=[
            Conflict("3", OWNER, None, "Cy", None, "added"),
            Conflict("3", TARGET_DATE, None, None, D2, "added"),
        ],
        base_after=BASE,
    ),
    Case(
        "a row deleted on the sheet is flagged, not propagated",
        BASE,
        BASE,
        plan(BASE["1"]),
        conflicts=[Conflict("2", None, 2, 2, None, ConflictKind.DELETED, S)],
    ),
    Case(
        "a row deleted on the workbook is flagged, not propagated",
        BASE,
        plan(BASE["2"]),
        BASE,
        conflicts=[Conflict("1", None, 1, None, 1, ConflictKind.DELETED, W)],
    ),
    Case(
        "a row deleted on the sheet is deleted from the workbook when configured",
        BASE,
        BASE,
        plan(BASE["1"]),
        deletions=[Deletion("2", W)],
        base_after=plan(BASE["1"]),
        options={"propagate_deletions": True},
    ),
    Case(
        "a row deleted on one side and edited on the other keeps the edit",
        BASE,
        plan(BASE["2"]),
        plan(row(1, status="Complete", owner="Ann", target=D2), BASE["2"]),
        conflicts=[
            Conflict("1", STATUS, "Planned", None, "Complete", ConflictKind.DELETED_EDITED, W),
            Conflict("1", TARGET_DATE, D1, None, D2, ConflictKind.DELETED_EDITED, W),
        ],
        options={"propagate_deletions": True, "policy": Policy.WORKBOOK_WINS},
    ),
    Case(
        "a row deleted on both sides leaves the base",
        BASE,
        plan(BASE["1"]),
        plan(BASE["1"]),
        base_after=plan(BASE["1"]),
    ),
    Case(
        "an invalid edit is not propagated and the base keeps the old value",
        BASE,
        plan(row(1, status="Done-ish", owner="Ann", target=D1), BASE["2"]),
        BASE,
        options={"invalid": {(W, "1", STATUS)}},
    ),
    Case(
        "an invalid edit is not a conflict either",
        BASE,
        plan(row(1, status="Done-ish", owner="Ann", target=D1), BASE["2"]),
        plan(row(1, status="Complete", owner="Ann", target=D1), BASE["2"]),
        options={"invalid": {(W, "1", STATUS)}},
    ),
    Case(
        "a valid edit still reaches a cell that is invalid but untouched on the other side",
        plan(row(1, target="someday")),
        plan(row(1, target="someday")),
        plan(row(1, target=D1)),
        changes=[ch("1", TARGET_DATE, S, "someday", D1)],
        base_after=plan(row(1, target=D1)),
        options={"invalid": {(W, "1", TARGET_DATE)}},
    ),
    Case(
        "an invalid cell of a new row is not copied",
        BASE,
        BASE,
        {**BASE, "4": row(4, status="Maybe", owner="Di")},
        changes=[ch("4", REC_NO, S, None, 4, True), ch("4", OWNER, S, None, "Di", True)],
        base_after={**BASE, "4": row(4, owner="Di")},
        options={"invalid": {(S, "4", STATUS)}},
    ),
    Case(
        "first sync: equal agree; a blank or a difference is a conflict, never filled in",
        None,
        plan(row(1, status="Planned", owner="Ann", target=D1), row(2, status="Complete")),
        plan(row(1, status="planned", owner="Bob", notes="x"), row(3, owner="Ed")),
        conflicts=[
            Conflict("1", OWNER, None, "Ann", "Bob", ConflictKind.FIRST),
            Conflict("1", TARGET_DATE, None, D1, None, ConflictKind.FIRST),
            Conflict("1", NOTES, None, None, "x", ConflictKind.FIRST),
            Conflict("2", None, None, 2, None, ConflictKind.ONE_SIDE, W),
            Conflict("3", None, None, None, 3, ConflictKind.ONE_SIDE, S),
        ],
        base_after={
            "1": {REC_NO: 1, STATUS: "Planned", UNSETTLED: f"{OWNER},{TARGET_DATE},{NOTES}"},
            "2": {ONE_SIDE_KEY: "workbook"},
            "3": {ONE_SIDE_KEY: "sheet"},
        },
    ),
    Case(
        "first sync with a wins policy: the winner settles, a blank takes the other's value",
        None,
        plan(row(1, status=None, owner="Ann", notes="w")),
        plan(row(1, status="Planned", owner=None, notes="s")),
        changes=[
            ch("1", STATUS, S, None, "Planned"),
            ch("1", OWNER, W, None, "Ann"),
            ch("1", NOTES, W, "s", "w"),
        ],
        base_after=plan(row(1, status="Planned", owner="Ann", notes="w")),
        options={"policy": Policy.WORKBOOK_WINS},
    ),
    Case(
        "first sync: an invalid value is held, not a conflict",
        None,
        plan(row(1, status="Bad!", owner="Ann")),
        plan(row(1, status="Planned", owner="Ann")),
        base_after=plan(row(1, owner="Ann")),
        options={"invalid": {(W, "1", STATUS)}},
    ),
    Case(
        "a date typed as text is not the same as the date",
        plan(row(1, target=D1)),
        plan(row(1, target=D1)),
        plan(row(1, target="31/03/2027")),
        changes=[ch("1", TARGET_DATE, S, D1, "31/03/2027")],
        base_after=plan(row(1, target="31/03/2027")),
    ),
    Case(
        "fields outside `fields` are left alone and keep their base",
        plan(row(1, status="Planned", notes="base")),
        plan(row(1, status="Complete", notes="workbook")),
        plan(row(1, status="Planned", notes="sheet")),
        changes=[ch("1", STATUS, W, "Planned", "Complete")],
        base_after=plan(row(1, status="Complete", notes="base")),
        options={"fields": (REC_NO, STATUS)},
    ),
    Case(
        "sheet-wins also settles a row added on both sides",
        {},
        plan(row(7, owner="Ann")),
        plan(row(7, owner="Bob")),
        changes=[ch("7", OWNER, S, "Ann", "Bob")],
        base_after=plan(row(7, owner="Bob")),
        options={"policy": Policy.SHEET_WINS},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_merge_rule(case: Case) -> None:
    result = merge(case.base, case.workbook, case.sheet, **case.options)
    assert list(result.changes) == case.changes
    assert list(result.conflicts) == case.conflicts
    assert list(result.deletions) == case.deletions
    expected = case.base if case.base_after is None else case.base_after
    assert compact(result.base) == compact(expected or {})
    # Stored base values are each side's own values, with their types (a date stays a date).
    for r, cells in compact(expected or {}).items():
        for name, value in cells.items():
            assert type(result.base[r][name]) is type(value), (r, name)


def test_conflicts_stay_flagged_until_a_person_settles_them() -> None:
    base = plan(row(1, status="Planned", owner="Ann"))
    workbook = plan(row(1, status="Complete", owner="Ann"))
    sheet = plan(row(1, status="In Progress", owner="Ann"))
    for _ in range(3):
        result = merge(base, workbook, sheet)
        assert [(c.rec_no, c.field) for c in result.conflicts] == [("1", STATUS)]
        assert result.changes == ()
        base = apply(result, workbook, sheet)
        assert base["1"][STATUS] == "Planned"
    # An unrelated edit elsewhere in the row still travels while the conflict stands.
    sheet["1"][OWNER] = "Bob"
    result = merge(base, workbook, sheet)
    assert [c.field for c in result.changes] == [OWNER]
    assert [c.field for c in result.conflicts] == [STATUS]
    base = apply(result, workbook, sheet)
    # Someone makes the sides agree: the conflict goes and the base takes the agreed value.
    sheet["1"][STATUS] = "complete"
    result = merge(base, workbook, sheet)
    assert result.in_sync
    assert result.base["1"][STATUS] == "Complete"


def test_output_is_ordered_by_rec_no_then_field_order() -> None:
    workbook = plan(row(9, owner="A", status="Planned"), row(2, notes="n", section="Assurance"))
    result = merge({}, workbook, {})
    order = [(c.rec_no, FIELDS.index(c.field)) for c in result.changes]
    assert order == sorted(order)
    fields = (REC_NO, OWNER, STATUS)
    result = merge({}, workbook, {}, fields=fields)
    assert [(c.rec_no, c.field) for c in result.changes] == [
        ("2", REC_NO),
        ("9", REC_NO),
        ("9", STATUS),
        ("9", OWNER),
    ]


def test_merge_does_not_modify_its_inputs() -> None:
    base = plan(row(1, status="Planned"))
    workbook = plan(row(1, status="Complete"), row(2, owner="Ann"))
    sheet = plan(row(1, status="Planned"))
    snapshot = copy.deepcopy([base, workbook, sheet])
    result = merge(base, workbook, sheet)
    result.base["1"][STATUS] = "changed by the caller"
    assert [base, workbook, sheet] == snapshot


# --------------------------------------------------------------------------- random edits

EDITABLE = (SECTION, RECOMMENDATION, ACTION, STATUS, OWNER, TARGET_DATE, LAST_UPDATED, NOTES)
DOMAIN: dict[str, tuple[Value, ...]] = {
    SECTION: ("Key Recommendations", "Assurance", None),
    RECOMMENDATION: ("Review files", "Train staff", None),
    ACTION: ("Audit", "Write guide\nthen publish", None),
    STATUS: ("Planned", "In Progress", "Complete", "Maybe", None),  # "Maybe" fails validation
    OWNER: ("Ann", "Bob", None),
    TARGET_DATE: (D1, D2, None),
    LAST_UPDATED: (dt.date(2026, 11, 1), dt.datetime(2026, 11, 2, 9, 30), None),
    NOTES: ("ok", 15, 2.5, None),
}
REC_NOS = tuple(str(n) for n in range(1, 7))


def variants(name: str, value: Value) -> list[Value]:
    """The same value written differently: never an edit."""
    if is_blank(value):
        return [None, "", "  "]
    if name == REC_NO:
        return [float(int(float(value))), str(int(float(value))), f" {int(float(value))} "]
    # A date and the same date at midnight (or a date field's moment) are one value; a
    # date typed as text is not, until a person makes it a date.
    if isinstance(value, dt.datetime):
        return [value.date(), dt.datetime.combine(value.date(), dt.time())]
    if isinstance(value, dt.date):
        return [dt.datetime.combine(value, dt.time())]
    if isinstance(value, int | float):
        return [float(value), str(value)] if float(value).is_integer() else [str(value)]
    out: list[Value] = [f"  {value} "]
    vocabulary = {STATUS: DEFAULT_STATUSES, SECTION: DEFAULT_SECTIONS}.get(name)
    if vocabulary and canonical(vocabulary, value):
        out += [value.upper(), value.lower()]
    if "\n" in value:
        out.append(value.replace("\n", "\r\n"))
    return out


def invalid_cells(workbook: Table, sheet: Table) -> set[tuple[Side, int, str]]:
    """A stand-in for validation: a Status outside the vocabulary is invalid."""
    return {
        (side, r, STATUS)
        for side, table in ((W, workbook), (S, sheet))
        for r, cells in table.items()
        if not is_blank(cells.get(STATUS)) and canonical(DEFAULT_STATUSES, cells[STATUS]) is None
    }


rows_st = st.fixed_dictionaries({f: st.sampled_from(DOMAIN[f]) for f in EDITABLE})


def edit_side(data: st.DataObject, mine: Table, theirs: Table, touched: set) -> None:
    """A person's random session on one side: edits, rewrites, row adds and deletes, and
    settling a disagreement by copying the other side's value."""
    for _ in range(data.draw(st.integers(0, 4), label="edits")):
        kind = data.draw(st.sampled_from(["set", "variant", "add", "delete", "copy"]))
        present = sorted(mine)
        if kind == "add":
            free = [r for r in REC_NOS if r not in mine]
            if not free:
                continue
            rec = data.draw(st.sampled_from(free))
            mine[rec] = {REC_NO: int(rec), **data.draw(rows_st)}
            touched.add((rec, None))
            continue
        if not present:
            continue
        rec = data.draw(st.sampled_from(present))
        if kind == "delete":
            del mine[rec]
            touched.add((rec, None))
            continue
        name = data.draw(st.sampled_from(EDITABLE))
        if kind == "set":
            mine[rec][name] = data.draw(st.sampled_from(DOMAIN[name]))
        elif kind == "variant":
            name = data.draw(st.sampled_from((REC_NO, *EDITABLE)))
            mine[rec][name] = data.draw(st.sampled_from(variants(name, mine[rec].get(name))))
        elif rec in theirs:
            mine[rec][name] = theirs[rec].get(name)
        touched.add((rec, name))


def check_run(
    before: Table | None,
    wb0: Table,
    sh0: Table,
    result: MergeResult,
    wb1: Table,
    sh1: Table,
    options: dict,
) -> None:
    """Every edit ends on both sides, or is flagged, or is held by validation; never dropped."""
    policy = options["policy"]
    invalid = options["invalid"]
    flagged = {(c.rec_no, c.field) for c in result.conflicts}
    start = {W: wb0, S: sh0}
    end = {W: wb1, S: sh1}
    winner = {Policy.WORKBOOK_WINS: W, Policy.SHEET_WINS: S}.get(policy)

    def edited(side: Side, r: str, name: str) -> bool:
        cells = start[side].get(r)
        if cells is None:
            return False
        old = (before or {}).get(r)
        base_key = key(name, old.get(name)) if old is not None else ""
        return key(name, cells.get(name)) != base_key

    held_sides = {h.side for h in result.holds if h.reason == HoldReason.MANY_DELETED}
    for side in (W, S):
        other = side.other
        for r, cells in start[side].items():
            for name in FIELDS:
                if not edited(side, r, name):
                    continue
                value = key(name, cells.get(name))
                lost_to_policy = (
                    winner == other
                    and edited(other, r, name)
                    and key(name, end[side].get(r, {}).get(name))
                    == key(name, start[other][r].get(name))
                )
                assert r in end[side], f"an edited row {r} vanished from the {side}"
                assert key(name, end[side][r].get(name)) == value or lost_to_policy, (
                    f"the {side}'s edit of {r}/{name} was overwritten"
                )
                on_both = r in end[other] and key(name, end[other][r].get(name)) == value
                assert (
                    on_both
                    or lost_to_policy
                    or (r, name) in flagged
                    or (r, None) in flagged
                    or (r not in end[other] and other in held_sides)
                    or (side, r, name) in invalid
                    # An invalid edit on the other side holds the cell until it is fixed.
                    or ((other, r, name) in invalid and edited(other, r, name))
                ), f"the {side}'s edit of {r}/{name} was dropped"

    # The sides agree wherever nothing is flagged, and the base says what they agree on.
    for r in sorted(set(wb1) | set(sh1) | set(result.base)):
        if r not in wb1 or r not in sh1:
            missing_from = W if r not in wb1 else S
            if r in result.base and missing_from in held_sides:
                continue  # many rows vanished at once from that side: held, said once
            flagged_row = any(c.rec_no == r for c in result.conflicts)
            one_sided = any(
                c.rec_no == r and c.kind == ConflictKind.ONE_SIDE for c in result.conflicts
            )
            assert flagged_row and (r in result.base or one_sided), (
                f"row {r} is on one side only and not flagged"
            )
            continue
        for name in FIELDS:
            a, b = key(name, wb1[r].get(name)), key(name, sh1[r].get(name))
            if a == b and r not in result.base:
                # The same Rec No. added on both sides as two different rows: kept out of
                # the base (so it stays flagged), every difference flagged.
                assert any(c.rec_no == r and c.kind == "added" for c in result.conflicts)
            elif a == b:
                assert key(name, result.base[r].get(name)) == a
            else:
                held = (W, r, name) in invalid or (S, r, name) in invalid
                assert (r, name) in flagged or held, f"{r}/{name} differs and is not flagged"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    policy=st.sampled_from(list(Policy)),
    propagate=st.booleans(),
)
def test_random_edits_over_several_runs_are_never_lost(
    data: st.DataObject, policy: Policy, propagate: bool
) -> None:
    start = data.draw(st.dictionaries(st.sampled_from(REC_NOS), rows_st, max_size=4))
    workbook = {r: {REC_NO: int(r), **cells} for r, cells in start.items()}
    sheet = {r: {REC_NO: int(r), **cells} for r, cells in start.items()}
    base: Table | None = None
    previous: set = set()
    for _run in range(data.draw(st.integers(1, 5), label="runs")):
        touched: set = set()
        edit_side(data, workbook, sheet, touched)
        edit_side(data, sheet, workbook, touched)
        invalid = invalid_cells(workbook, sheet)
        options = {"policy": policy, "propagate_deletions": propagate, "invalid": invalid}
        wb0 = {r: dict(c) for r, c in workbook.items()}
        sh0 = {r: dict(c) for r, c in sheet.items()}
        result = merge(base, workbook, sheet, **options)
        new_base = apply(result, workbook, sheet)
        check_run(base, wb0, sh0, result, workbook, sheet, options)

        # A conflict nobody touched is still flagged.
        flagged = {(c.rec_no, c.field) for c in result.conflicts}
        rows_touched = {r for r, _ in touched}
        for r, name in previous:
            if (r, name) not in touched and (r, None) not in touched:
                if name is None and r in rows_touched:
                    continue  # an edit to a deleted row's survivor turns it into deleted-edited
                mass_held = any(h.reason == HoldReason.MANY_DELETED for h in result.holds)
                one_sided = r not in workbook or r not in sheet
                assert (r, name) in flagged or (mass_held and one_sided), (
                    f"the conflict on {r}/{name} was dropped"
                )
        if policy is not Policy.FLAG:
            assert all(c.kind not in ("edit", "added") for c in result.conflicts)

        # Idempotence: straight after a run, the next run changes nothing.
        again = merge(
            new_base, workbook, sheet, **options | {"invalid": invalid_cells(workbook, sheet)}
        )
        assert again.changes == () and again.deletions == ()
        assert again.base == new_base
        assert {(c.rec_no, c.field) for c in again.conflicts} == flagged
        base, previous = new_base, flagged


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_rewriting_values_differently_changes_nothing(data: st.DataObject) -> None:
    start = data.draw(st.dictionaries(st.sampled_from(REC_NOS), rows_st, min_size=1, max_size=4))
    table = {r: {REC_NO: int(r), **cells} for r, cells in start.items()}
    first = merge(None, table, {r: dict(c) for r, c in table.items()})
    assert first.in_sync
    workbook = {r: dict(c) for r, c in table.items()}
    sheet = {r: dict(c) for r, c in table.items()}
    for side in (workbook, sheet):
        for cells in side.values():
            for name in (REC_NO, *EDITABLE):
                if data.draw(st.booleans()):
                    cells[name] = data.draw(st.sampled_from(variants(name, cells.get(name))))
    result = merge(first.base, workbook, sheet)
    assert result.in_sync
    assert result.base == first.base


# --------------------------------------------------------------------------- holds


def sides(workbook: list, sheet: list, **settings: object) -> MergeResult:
    """Merge sides given as lists of rows in sheet order (keys may repeat or be broken)."""
    base = plan(*(r for r in workbook if rec_no_of(r[REC_NO]) is not None))
    return merge_sides(
        settings.pop("base", base),  # type: ignore[arg-type]
        side_rows(((rec_no_of(r[REC_NO]), r) for r in workbook), FIELDS),
        side_rows(((rec_no_of(r[REC_NO]), r) for r in sheet), FIELDS),
        MergeSettings(**settings),  # type: ignore[arg-type]
    )


ROWS = [row(n, owner=f"Owner {n}", status="Planned") for n in range(1, 11)]


def test_a_rec_no_typed_twice_holds_every_row_with_it_on_both_sides() -> None:
    # Rec 2's number typed as 3 on the sheet: 3 is claimed twice there, 2 has vanished.
    typo = [*ROWS[:1], row(3, owner="Owner 2 edited", status="Planned"), *ROWS[2:]]
    result = sides(ROWS, typo)
    assert result.changes == ()
    assert result.conflicts == ()
    held = {(h.reason, h.side, h.rec_no) for h in result.holds}
    assert (HoldReason.KEY_IN_DOUBT, S, "3") in held
    assert (HoldReason.KEYS_BROKEN, S, "2") in held  # not taken as deleted
    assert result.base["3"][OWNER] == "Owner 3" and result.base["2"][OWNER] == "Owner 2"


def test_a_broken_key_column_is_never_read_as_deletions_even_when_propagating() -> None:
    blanked = [row(None, owner=r[OWNER], status="Planned") for r in ROWS]
    result = sides(ROWS, blanked, propagate_deletions=True)
    assert result.deletions == () and result.changes == ()
    assert {h.reason for h in result.holds} == {HoldReason.KEYS_BROKEN}
    assert set(result.base) == {str(n) for n in range(1, 11)}


def test_many_rows_vanishing_at_once_are_held_whatever_propagate_deletions_says() -> None:
    result = sides(ROWS, ROWS[:7], propagate_deletions=True)  # 3 of 10 gone: over 20%
    assert result.deletions == () and result.conflicts == ()
    assert [(h.reason, h.side, h.value) for h in result.holds] == [(HoldReason.MANY_DELETED, S, 3)]
    one = sides(ROWS, ROWS[:9], propagate_deletions=True)  # one row: a deletion
    assert one.deletions == (Deletion("10", W),)


def test_a_whole_column_emptied_at_once_is_held_until_confirmed() -> None:
    emptied = [{**r, OWNER: None} for r in ROWS]
    result = sides(ROWS, emptied)
    assert result.changes == ()
    assert [(h.reason, h.side, h.field) for h in result.holds] == [
        (HoldReason.COLUMN_CLEARED, S, OWNER)
    ]
    assert result.base["4"][OWNER] == "Owner 4"
    confirmed = sides(ROWS, emptied, accept_clears=frozenset({OWNER}))
    assert len(confirmed.changes) == 10 and confirmed.holds == ()
    # Clearing two cells is an edit, not a lost column.
    two = [{**r, OWNER: None} if r[REC_NO] in (1, 2) else r for r in ROWS]
    assert [c.rec_no for c in sides(ROWS, two).changes] == ["1", "2"]


def test_a_change_for_a_locked_cell_is_held_and_retried() -> None:
    edited = [{**ROWS[0], OWNER: "New"}, *ROWS[1:]]
    result = sides(ROWS, edited, locked=frozenset({(W, "1", OWNER)}))
    assert result.changes == ()
    assert [(h.reason, h.rec_no, h.value) for h in result.holds] == [
        (HoldReason.LOCKED, "1", "New")
    ]
    assert result.base["1"][OWNER] == "Owner 1"  # so the next run tries again


def test_a_restored_copy_never_carries_its_older_values() -> None:
    older = [{**ROWS[0], STATUS: "Planned"}, *ROWS[1:]]
    base = plan(*[{**ROWS[0], STATUS: "Complete"}, *ROWS[1:]])
    sheet = [{**ROWS[0], STATUS: "Complete", OWNER: "Sheet edit"}, *ROWS[1:]]
    result = sides(older, sheet, base=base, restored=W)
    assert result.conflicts == (
        Conflict("1", STATUS, "Complete", "Planned", "Complete", ConflictKind.RESTORED, W),
    )
    # The sheet's own newer edit still reaches the restored workbook.
    assert [(c.field, c.target) for c in result.changes] == [(OWNER, W)]
