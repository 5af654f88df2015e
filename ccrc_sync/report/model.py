"""What a run report holds: `RunReport`, typed changes and conflicts, and the trend points.

The report is kept as JSON in the reports folder and read back by `ccrc-sync report`, by
the next email (to say what is new since the last one), and by people. So it holds values
as a person saw them (a date as 31/03/2027), every conflict with its kind and its cell on
each side, and it loads the reports the previous version wrote: new fields have defaults,
and the old whole-number Rec Nos. are read as the text keys they now are.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from typing_extensions import TypedDict

from ccrc_sync.errors import CcrcSyncError
from ccrc_sync.layout import CellLink
from ccrc_sync.merge import Change, Conflict, ConflictKind, Side
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.schema import Formula, Issue, RecNo, Severity, Value, a1, display, is_blank
from ccrc_sync.summary import SummaryFigures

# A value as the report keeps it: text, a number, or blank. Dates are kept as the text a
# person reads (31/03/2027), so a report reads the same after a round trip through JSON.
Shown = str | int | float | None

DEFAULT_ZONE = "Europe/London"
GOOGLE_SHEET_URL = "https://docs.google.com/spreadsheets/d/{id}/edit"


class ReportError(CcrcSyncError):
    """There is no report to show, or it could not be read or written."""


class TrendPoint(TypedDict, total=False):
    """One past run's status counts, for the trend chart (from the run history)."""

    run_id: str
    finished: dt.datetime | None
    by_status: dict[str, int]


def shown(value: Value) -> Shown:
    """A cell value as the report keeps it (see `Shown`)."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y}" if value.time() == dt.time() else f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, bool):
        return display(value)
    if isinstance(value, int | float | str):
        return value
    return display(value)


def cell_ref(link: CellLink | None) -> str | None:
    """'Action Plan!F8': a cell as staff find it."""
    return None if link is None else f"{link.sheet}!{a1(link.row, link.col)}"


def _text_key(value: Any) -> Any:
    """Rec No. was a whole number in reports of the previous version; it is text now."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


class ReportChange(BaseModel):
    """One cell the run carried from one side to the other."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    rec_no: str
    field: str
    source: Side = Field(validation_alias=AliasChoices("source", "from"))
    target: Side = Field(validation_alias=AliasChoices("target", "to"))
    old: Shown = None
    new: Shown = None

    @field_validator("rec_no", mode="before")
    @classmethod
    def _rec_no(cls, value: Any) -> Any:
        return _text_key(value)

    @classmethod
    def of(cls, change: Change) -> ReportChange:
        return cls(
            rec_no=change.rec_no,
            field=change.field,
            source=change.source,
            target=change.target,
            old=shown(change.old),
            new=shown(change.new),
        )


class ReportConflict(BaseModel):
    """One conflict, with its kind (which decides the advice) and its cell on each side."""

    model_config = ConfigDict(frozen=True)

    rec_no: str
    field: str | None = None
    kind: ConflictKind = ConflictKind.EDIT
    side: Side | None = None
    base: Shown = None
    workbook: Shown = None
    sheet: Shown = None
    workbook_cell: str | None = None
    sheet_cell: str | None = None

    @field_validator("rec_no", mode="before")
    @classmethod
    def _rec_no(cls, value: Any) -> Any:
        return _text_key(value)

    @model_validator(mode="before")
    @classmethod
    def _one_cell(cls, data: Any) -> Any:
        """Accept the one-string `cell` ('Action Plan!F8', or 'workbook Action Plan!F8,
        Google Sheet Action Plan!F9') that a caller may give instead of both sides'."""
        if not isinstance(data, dict) or data.get("workbook_cell") or data.get("sheet_cell"):
            return data
        cell = data.get("cell")
        if not isinstance(cell, str) or not cell:
            return data
        data = dict(data)
        named = [p.strip() for p in cell.split(", ")]
        if len(named) == 1 and not named[0].startswith(("workbook ", "Google Sheet ")):
            data["workbook_cell"] = data["sheet_cell"] = named[0]
            return data
        for part in named:
            if part.startswith("workbook "):
                data["workbook_cell"] = part.removeprefix("workbook ")
            elif part.startswith("Google Sheet "):
                data["sheet_cell"] = part.removeprefix("Google Sheet ")
        return data

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        # Reports of the previous version kept no kind, or a label: those were edits.
        try:
            return ConflictKind(value)
        except ValueError:
            return ConflictKind.EDIT

    @classmethod
    def of(
        cls,
        conflict: Conflict,
        *,
        workbook_cell: CellLink | None = None,
        sheet_cell: CellLink | None = None,
    ) -> ReportConflict:
        return cls(
            rec_no=conflict.rec_no,
            field=conflict.field,
            kind=conflict.kind,
            side=conflict.side,
            base=shown(conflict.base),
            workbook=shown(conflict.workbook),
            sheet=shown(conflict.sheet),
            workbook_cell=cell_ref(workbook_cell),
            sheet_cell=cell_ref(sheet_cell),
        )

    def conflict(self) -> Conflict:
        """The merge's conflict again, so the tabs' wording applies to it unchanged."""
        return Conflict(
            self.rec_no, self.field, self.base, self.workbook, self.sheet, self.kind, self.side
        )

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes it the same conflict in a later report."""
        return self.rec_no, self.field or "", self.kind.value

    def cells(self) -> str:
        """Both sides' cells in one phrase: 'Action Plan!F8 in both', or each side's."""
        if self.workbook_cell and self.workbook_cell == self.sheet_cell:
            return f"{self.workbook_cell} on both sides"
        parts = []
        if self.workbook_cell:
            parts.append(f"workbook {self.workbook_cell}")
        if self.sheet_cell:
            parts.append(f"Google Sheet {self.sheet_cell}")
        return ", ".join(parts)


class RunReport(BaseModel):
    """Everything one run did, as the report, the email and `ccrc-sync report` show it."""

    run_id: str
    status: RunStatus
    started: dt.datetime
    finished: dt.datetime | None = None
    workbook: str = ""  # an absolute path
    spreadsheet_id: str = ""
    sheet_url: str = ""  # a link to the Google Sheet (or the emulator's); derived if blank
    timezone: str = DEFAULT_ZONE  # every time in the report is shown in this zone
    changes: list[ReportChange] = Field(default_factory=list)
    conflicts: list[ReportConflict] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    summary: SummaryFigures | None = None
    trend: list[TrendPoint] = Field(default_factory=list)
    # The two statuses the trend chart follows (the plan's in-progress and complete).
    trend_statuses: tuple[str, str] = ("In Progress", "Complete")
    # The plan was published whole to an empty Google Sheet (this many recommendations).
    published: int | None = None
    error: str | None = None
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _previous_version(cls, data: Any) -> Any:
        """Reports of the previous version kept Rec Nos. as numbers; read them as text."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        issues = data.get("issues")
        if isinstance(issues, list):
            data["issues"] = [
                {**i, "rec_no": _text_key(i.get("rec_no"))} if isinstance(i, dict) else i
                for i in issues
            ]
        summary = data.get("summary")
        if isinstance(summary, dict):
            summary = dict(summary)
            for name in ("key_recommendations", "overdue"):
                items = summary.get(name)
                if isinstance(items, list):
                    summary[name] = [
                        {**i, "rec_no": _text_key(i.get("rec_no"))} if isinstance(i, dict) else i
                        for i in items
                    ]
            for name in ("no_owner", "no_target_date"):
                items = summary.get(name)
                if isinstance(items, list):
                    summary[name] = [_text_key(n) for n in items]
            data["summary"] = summary
        return data

    @field_validator("workbook")
    @classmethod
    def _absolute(cls, value: str) -> str:
        return os.path.abspath(value) if value else value

    def count(self, key: str) -> int:
        """A headline count, from `counts` when the run set it, else from the lists."""
        if key in self.counts:
            return int(self.counts[key])
        if key == "conflicts":
            return len(self.conflicts)
        if key == "changes":
            return self.published if self.published is not None else len(self.changes)
        return sum(1 for i in self.issues if i.severity == key)

    def link(self) -> str:
        """Where staff open the Google Sheet."""
        if self.sheet_url:
            return self.sheet_url
        if self.spreadsheet_id:
            return GOOGLE_SHEET_URL.format(id=self.spreadsheet_id)
        return ""

    def new_conflicts(self, previous: RunReport | None) -> list[ReportConflict]:
        """Conflicts the previous emailed report did not have (all of them without one)."""
        if previous is None:
            return list(self.conflicts)
        seen = {c.key for c in previous.conflicts}
        return [c for c in self.conflicts if c.key not in seen]

    def findings(self, severity: Severity) -> list[Issue]:
        return [i for i in self.issues if i.severity is severity]


CellFinder = Callable[[Side, RecNo, str | None], CellLink | None]


def report_of(
    outcome: SyncOutcome,
    *,
    started: dt.datetime,
    finished: dt.datetime | None,
    workbook: str,
    spreadsheet_id: str,
    sheet_url: str = "",
    timezone: str = DEFAULT_ZONE,
    summary: SummaryFigures | None = None,
    trend: Sequence[TrendPoint] = (),
    trend_statuses: tuple[str, str] = ("In Progress", "Complete"),
    cells: CellFinder | None = None,
) -> RunReport:
    """A run's report from its typed outcome; `cells` finds a conflict's cell on each side."""

    def where(side: Side, c: Conflict) -> CellLink | None:
        return cells(side, c.rec_no, c.field) if cells is not None else None

    return RunReport(
        run_id=outcome.run_id,
        status=outcome.status,
        started=started,
        finished=finished,
        workbook=workbook,
        spreadsheet_id=spreadsheet_id,
        sheet_url=sheet_url,
        timezone=timezone,
        changes=[ReportChange.of(c) for c in outcome.changes],
        conflicts=[
            ReportConflict.of(
                c, workbook_cell=where(Side.WORKBOOK, c), sheet_cell=where(Side.SHEET, c)
            )
            for c in outcome.conflicts
        ],
        issues=list(outcome.issues),
        counts=outcome.headline_counts(),
        summary=summary,
        trend=list(trend),
        trend_statuses=trend_statuses,
        published=outcome.published,
        error=outcome.error,
        notes=list(outcome.notes),
    )
