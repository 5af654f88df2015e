"""One run's inputs and its plan, as plain frozen data.

What `plan.plan_run` takes (both sides as read, the sync's memory, the options a person
gave) and what it returns (everything the run will do), so the shell and the tests speak
about a run in the same terms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from ccrc_sync.config import Config
from ccrc_sync.layout import CellLink
from ccrc_sync.merge import Change, Conflict, MergeResult, Side, Table
from ccrc_sync.outcome import RunStatus
from ccrc_sync.schema import Issue, PlanTable, RecNo, Value
from ccrc_sync.state import LogEntry
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
    plan_tab_exists: bool = False
    gid: int | None = None
    url: str = ""


@dataclass(frozen=True)
class OpenConflict:
    """A conflict the last run left open (so this run can tell when it is resolved)."""

    rec_no: RecNo
    field: str
    workbook: Value
    sheet: Value
    kind: str = ""  # its `ConflictKind` value, as the last run recorded it


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


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
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
