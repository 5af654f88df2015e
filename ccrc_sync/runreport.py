"""A run's report, assembled from its outcome and plan: what the email and the report show.

The shell calls this after a run is recorded; the report's own rendering (text, HTML, the
findings workbook) lives in `report`. Here only the facts are gathered, in the configured
time zone, with each conflict's cell on both sides filled in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ccrc_sync.config import Config
from ccrc_sync.merge import Conflict
from ccrc_sync.outcome import SyncOutcome, change_json, conflict_json
from ccrc_sync.plan import RunPlan
from ccrc_sync.state import State
from ccrc_sync.tabs import advice


def run_report(
    cfg: Config,
    state: State,
    outcome: SyncOutcome,
    plan: RunPlan,
    started: dt.datetime,
    finished: dt.datetime,
    sheet_url: str,
) -> Path:
    """Write the report of a run that ran; returns the HTML report's path."""
    from ccrc_sync.report import RunReport, write_report

    report = RunReport(
        run_id=outcome.run_id,
        status=outcome.status.value,
        started=started,
        finished=finished,
        workbook=str(cfg.workbook.path.absolute()),
        spreadsheet_id=cfg.sheet.spreadsheet_id,
        changes=[change_json(c) for c in outcome.changes],
        conflicts=[_conflict(c, plan) for c in outcome.conflicts],
        issues=outcome.issues,
        counts={
            **outcome.counts(),
            "conflicts": len(outcome.conflicts),
            "changes": len(outcome.changes),
        },
        summary=plan.figures,
        trend=trend(state),
        error=None,
        notes=outcome.notes,
    )
    html_path, _ = write_report(report, cfg.sync.reports())
    return html_path


def failure_report(
    cfg: Config,
    state: State,
    run_id: str,
    started: dt.datetime,
    finished: dt.datetime,
    message: str,
) -> None:
    """A report for a run that could not run: a courtesy, never a second failure."""
    try:
        from ccrc_sync.report import RunReport, write_report

        report = RunReport(
            run_id=run_id,
            status="failed",
            started=started,
            finished=finished,
            workbook=str(cfg.workbook.path.absolute()),
            spreadsheet_id=cfg.sheet.spreadsheet_id,
            counts={"error": 0, "warning": 0, "info": 0, "conflicts": 0, "changes": 0},
            trend=trend(state),
            error=message,
        )
        write_report(report, cfg.sync.reports())
    except Exception:  # the failure itself is what matters
        import logging

        logging.getLogger(__name__).debug("could not write the failure report", exc_info=True)


def _conflict(c: Conflict, plan: RunPlan) -> dict[str, Any]:
    """A conflict as the report shows it: both values, its cell, and what to do."""
    return {**conflict_json(c), "kind": c.kind.value, "cell": _cell(c, plan), "advice": advice(c)}


def _cell(c: Conflict, plan: RunPlan) -> str | None:
    return plan.conflict_cells.get((c.rec_no, c.field))


def trend(state: State | None) -> list[dict[str, Any]]:
    """Past runs' status counts, newest last, for the trend chart."""
    if state is None:
        return []
    points = []
    for run in reversed(state.runs(limit=400)):
        if run.summary and run.status in ("ok", "flagged"):
            points.append(
                {
                    "run_id": run.run_id,
                    "finished": run.finished,
                    "by_status": run.summary.get("by_status", {}),
                }
            )
    return points
