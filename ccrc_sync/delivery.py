"""Sending a run's report: after a sync when asked, again later when it could not go,
and on demand with `ccrc-sync report`.

A report that cannot be emailed is never lost: it stays in the reports folder, the run
says so, and it goes with the next run that sends mail.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ccrc_sync.config import Config, EmailWhen
from ccrc_sync.errors import CcrcSyncError, MailError, ReportPathError
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.state import State

log = logging.getLogger(__name__)

# State meta: why the last report email failed ("" once one has gone again).
EMAIL_PROBLEM = "email_problem"


def wanted(config: Config, outcome: SyncOutcome, email: bool | None) -> bool:
    """`email=None` follows `[email] when`; True always sends; False never."""
    if email is not None:
        return email
    when = config.email.when
    return when == EmailWhen.ALWAYS or (
        when == EmailWhen.FLAGGED and outcome.status is not RunStatus.OK
    )


def deliver(config: Config, state: State, outcome: SyncOutcome, email: bool | None) -> None:
    """Send this run's report (and any earlier one that failed to go) when asked to.

    The outcome says whether it went (`emailed`) and, when not, why (`email_problem`, also
    a note); a failure is logged at ERROR so `serve` and its log show it.
    """
    if outcome.report_path is None or not wanted(config, outcome, email):
        return
    from ccrc_sync.mail import send_report
    from ccrc_sync.report import load_report

    reports = config.sync.reports()
    for run_id in [r for r in state.unsent_reports() if r != outcome.run_id]:
        try:
            send_report(load_report(reports, run_id), config.email)
            state.mark_report_sent(run_id)
        except CcrcSyncError as exc:
            log.warning("could not re-send the report of run %s: %s", run_id, exc)
            state.mark_report_sent(run_id, False)
    try:
        send_report(load_report(reports, outcome.run_id), config.email)
        state.mark_report_sent(outcome.run_id)
        state.set_meta(EMAIL_PROBLEM, "")
        outcome.emailed = True
    except MailError as exc:
        state.mark_report_sent(outcome.run_id, False)
        state.set_meta(EMAIL_PROBLEM, str(exc))
        outcome.emailed = False
        outcome.email_problem = str(exc)
        log.error("The report of run %s could not be emailed: %s", outcome.run_id, exc)
        outcome.notes.append(
            f"The report could not be emailed: {exc} It is kept at {outcome.report_path} "
            "and will be sent with the next run."
        )


def last_report(config: Config, *, email: bool = False, out: Path | None = None) -> str:
    """Render the last run's report to a file, or send it again."""
    from ccrc_sync.report import load_report, render_html
    from ccrc_sync.report import render_text as report_text

    report = load_report(config.sync.reports())
    messages = []
    if out is not None:
        text = report.model_dump_json(indent=2) if out.suffix == ".json" else render_html(report)
        if not out.parent.is_dir():
            raise ReportPathError(
                f"The folder {out.parent} does not exist, so the report cannot be written "
                f"to {out}; choose an existing folder."
            )
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReportPathError(
                f"The report could not be written to {out} ({exc.strerror or exc})."
            ) from None
        messages.append(f"Wrote the report of run {report.run_id} to {out}.")
    if email:
        from ccrc_sync.mail import send_report

        send_report(report, config.email)
        with State(config.sync.state_dir) as state:
            state.mark_report_sent(report.run_id)
        messages.append(
            f"Sent the report of run {report.run_id} to {', '.join(config.email.recipients)}."
        )
    return "\n".join(messages) if messages else report_text(report)
