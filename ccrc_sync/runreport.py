"""A run's report, assembled from its outcome and plan: what the email and the report show.

The shell calls this after a run is recorded; the report's own rendering (text, HTML, the
findings workbook) lives in `report`. Here only the facts are gathered, in the configured
time zone, with each conflict's cell on both sides filled in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ccrc_sync.config import Config
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.plan import RunPlan
from ccrc_sync.report.model import TrendPoint
from ccrc_sync.state import State


def run_report(
    cfg: Config,
    state: State,
    outcome: SyncOutcome,
    plan: RunPlan,
    started: dt.datetime,
    finished: dt.datetime,
) -> Path:
    """Write the report of a run that ran; returns the HTML report's path."""
    from ccrc_sync.report import report_of, write_report

    report = report_of(
        outcome,
        started=started,
        finished=finished,
        workbook=str(cfg.workbook.path.absolute()),
        spreadsheet_id=cfg.sheet.spreadsheet_id,
        timezone=cfg.schedule.timezone,
        summary=plan.figures,
        trend=trend(state),
        trend_statuses=(cfg.plan.in_progress_status, cfg.plan.complete_status),
        cells=lambda side, rec, name: plan.conflict_cells.get((side, rec, name)),
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
            status=RunStatus.FAILED,
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


def trend(state: State | None) -> list[TrendPoint]:
    """Past runs' status counts, newest last, for the trend chart."""
    if state is None:
        return []
    points: list[TrendPoint] = []
    for run in reversed(state.runs(limit=400)):
        if run.summary and run.status in ("ok", "flagged"):
            by_status = run.summary.get("by_status", {})
            points.append(
                TrendPoint(
                    run_id=run.run_id,
                    finished=run.finished,
                    by_status={str(k): int(v) for k, v in dict(by_status).items()},
                )
            )
    return points
