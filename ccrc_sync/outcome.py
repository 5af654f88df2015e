"""What one sync run did, typed, and the JSON the CLI prints for it.

The JSON shape is a contract with scripts and monitoring (documented in the README), so it
is built here in one place from typed changes and conflicts, never from loose dicts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from ccrc_sync.merge import Change, Conflict
from ccrc_sync.schema import Issue, Severity, Value, display, is_blank


class RunStatus(StrEnum):
    OK = "ok"  # in sync: nothing needs a person
    FLAGGED = "flagged"  # ran; conflicts, errors or held-back items need a person
    FAILED = "failed"  # could not run

    @property
    def exit_code(self) -> int:
        return {RunStatus.OK: 0, RunStatus.FLAGGED: 1}.get(self, 2)


@dataclass
class SyncOutcome:
    """What one run did; `to_json` is the CLI's JSON exactly."""

    status: RunStatus
    run_id: str
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    api_calls: int = 0
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    error: str | None = None
    # The plan was published whole to an empty Google Sheet (this many recommendations).
    published: int | None = None
    report_path: Path | None = None
    # Whether the report email went (None: not asked for), and why not when it did not.
    emailed: bool | None = None
    email_problem: str | None = None

    @property
    def exit_code(self) -> int:
        return self.status.exit_code

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for issue in self.issues:
            counts[issue.severity.value] += 1
        return counts

    def headline_counts(self) -> dict[str, int]:
        """The counts a run is summed up by everywhere: the state's run history (and so
        `status`), the service log and the report. A first publish counts the
        recommendations published, as its one Change Log line does, not the cells copied."""
        return {
            "changes": self.published if self.published is not None else len(self.changes),
            "conflicts": len(self.conflicts),
            **self.counts(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "changes": [change_json(c) for c in self.changes],
            "conflicts": [conflict_json(c) for c in self.conflicts],
            "issues": [i.model_dump(mode="json") for i in self.issues],
            "api_calls": self.api_calls,
            "notes": self.notes,
            "error": self.error,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def change_json(c: Change) -> dict[str, Any]:
    return {
        "rec_no": c.rec_no,
        "field": c.field,
        "from": c.source.value,
        "to": c.target.value,
        "old": json_value(c.old),
        "new": json_value(c.new),
    }


def conflict_json(c: Conflict) -> dict[str, Any]:
    return {
        "rec_no": c.rec_no,
        "field": c.field,
        "base": json_value(c.base),
        "workbook": json_value(c.workbook),
        "sheet": json_value(c.sheet),
    }


def json_value(value: Value) -> Any:
    """A cell value in JSON: blank is null whichever side it came from; a date is ISO."""
    if is_blank(value):
        return None
    if isinstance(value, dt.date):
        return display(value)
    return value


def failure(
    message: str, *, run_id: str = "", api_calls: int = 0, dry_run: bool = False
) -> SyncOutcome:
    """The outcome of a run that could not run, so a caller parsing JSON still gets one."""
    return SyncOutcome(
        status=RunStatus.FAILED, run_id=run_id, api_calls=api_calls, dry_run=dry_run, error=message
    )
