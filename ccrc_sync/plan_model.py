"""One run's inputs and its plan, as plain frozen data.

What `plan.plan_run` takes (both sides as read, the sync's memory, the options a person
gave) and what it returns (everything the run will do), so the shell and the tests speak
about a run in the same terms.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ccrc_sync.config import Config
from ccrc_sync.layout import CellLink
from ccrc_sync.merge import Change, Conflict, MergeResult, Side, Table
from ccrc_sync.outcome import RunStatus
from ccrc_sync.schema import DATE_FIELDS, Issue, PlanTable, RecNo, Value, rec_no_of
from ccrc_sync.state import LogEntry, LogEvent
from ccrc_sync.state.codec import dumps, loads
from ccrc_sync.summary import SummaryFigures
from ccrc_sync.writes import SheetWrites, WorkbookWrites

Grid = list[list[Value]]


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class WorkbookSide:
    """The workbook as read."""

    table: PlanTable
    tabs: Mapping[str, Grid | None] = field(default_factory=dict)
    # False when it cannot be written this run (open in Excel, locked): what is bound for
    # it waits, so the Google Sheet's Change Log must not yet say it was copied there.
    writable: bool = True


@dataclass(frozen=True)
class SheetSide:
    """The Google Sheet as read (one request)."""

    table: PlanTable | None  # the plan tab; None when it is missing or empty
    tabs: Mapping[str, Grid | None] = field(default_factory=dict)
    ours: frozenset[str] = frozenset()  # generated tabs this tool made there
    synced_before: bool = False  # the spreadsheet carries this tool's marker
    renamed_plan: str | None = None  # the plan tab this tool made, under another title


@dataclass(frozen=True)
class OpenConflict:
    """A conflict the last run left open (so this run can tell when it is resolved)."""

    rec_no: RecNo
    field: str
    workbook: Value
    sheet: Value
    kind: str = ""  # its `ConflictKind` value, as the last run recorded it


def carried_to_workbook(entry: LogEntry) -> bool:
    """A Change Log line that is true only once the workbook is written: a run that cannot
    write the workbook leaves it out, and the next run that can carries the edit again."""
    return entry.event is LogEvent.CARRIED and entry.target == Side.WORKBOOK.value


# The state's meta key for the conflicts a run left open; the next run and the digests read it.
OPEN_CONFLICTS_META = "open_conflicts"


def encode_open_conflicts(conflicts: Iterable[OpenConflict]) -> str:
    """The open conflicts as the state keeps them, each value with its type (a date stays
    a date), so the next run compares them with the sides as it would the base."""
    return dumps(
        [
            {
                "rec_no": c.rec_no,
                "field": c.field,
                "workbook": c.workbook,
                "sheet": c.sheet,
                "kind": c.kind,
            }
            for c in conflicts
        ]
    )


def decode_open_conflicts(text: str | None) -> tuple[OpenConflict, ...]:
    """The inverse of `encode_open_conflicts`. An unreadable entry is skipped, not fatal: it
    only feeds notes and digests. Versions before 0.2 kept a date as ISO text; in a date
    column that text is taken back as the date it was."""
    try:
        data = loads(text) if text else []
    except ValueError:
        return ()
    out = []
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict):
            continue
        rec_no = rec_no_of(entry.get("rec_no"))
        name = str(entry.get("field") or "")
        if rec_no is None or not name:
            continue
        workbook, sheet = (_legacy_date(name, entry.get(side)) for side in ("workbook", "sheet"))
        out.append(OpenConflict(rec_no, name, workbook, sheet, str(entry.get("kind") or "")))
    return tuple(out)


def _legacy_date(name: str, value: Value) -> Value:
    if name in DATE_FIELDS and isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class History:
    """What the sync remembers between runs (the state)."""

    base: Table | None = None
    fingerprints: tuple[tuple[str, dt.datetime, str], ...] = ()  # (run, when, digest), newest first
    marks: Mapping[tuple[Side, RecNo, str], str | None] = field(default_factory=dict)
    open_conflicts: tuple[OpenConflict, ...] = ()
    log: tuple[LogEntry, ...] = ()  # the Change Log so far, newest first
    figures_digest: str | None = None
    figures_changed_at: dt.datetime | None = None
    # A run was killed before committing a first base: the sheet's signs of a sync may be
    # that run's own publish, not a memory lost.
    interrupted_first_sync: bool = False


@dataclass(frozen=True)
class Options:
    rebase: bool = False  # start again without a base: every difference a conflict
    accept_restore: bool = False  # a restored older workbook is what staff want now
    accept_clears: frozenset[str] = frozenset()  # columns a person emptied on purpose


@dataclass(frozen=True)
class RunInputs:
    config: Config
    today: dt.date
    started: dt.datetime  # aware
    run_id: str
    workbook: WorkbookSide
    sheet: SheetSide
    history: History = field(default_factory=History)
    options: Options = field(default_factory=Options)


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class RunPlan:
    """Everything one run does, decided before anything is written."""

    status: RunStatus
    refusal: str | None = None  # could not run: this sentence, nothing written
    published: int | None = None  # recommendations published to an empty Google Sheet
    merge: MergeResult | None = None
    workbook: WorkbookWrites = field(default_factory=WorkbookWrites)
    sheet: SheetWrites = field(default_factory=SheetWrites)
    issues: tuple[Issue, ...] = ()
    notes: tuple[str, ...] = ()
    base: Table | None = None  # to commit when both sides are written
    base_sheet_only: Table | None = None  # to commit when the workbook could not be
    log: tuple[LogEntry, ...] = ()  # Change Log lines this run adds (newest first)
    fingerprint: str = ""  # the workbook's content after the run
    marks: frozenset[tuple[Side, RecNo, str]] = frozenset()  # conflict marks after the run
    open_conflicts: tuple[OpenConflict, ...] = ()
    # Where each conflict is, on each side that has its row.
    conflict_cells: Mapping[tuple[Side, RecNo, str | None], CellLink] = field(default_factory=dict)
    figures: SummaryFigures | None = None
    figures_digest: str = ""
    figures_changed_at: dt.datetime | None = None

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.merge.changes if self.merge else ()

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        return self.merge.conflicts if self.merge else ()


def refused(message: str) -> RunPlan:
    return RunPlan(status=RunStatus.FAILED, refusal=message)
