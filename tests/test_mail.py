"""Emailing the report through a real SMTP server (aiosmtpd on 127.0.0.1, started here)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from openpyxl import load_workbook
from smtphelp import Collector, free_port, start_smtp

from ccrc_sync.config import EmailConfig, Security, load_config
from ccrc_sync.delivery import deliver
from ccrc_sync.errors import MailError
from ccrc_sync.layout import CellLink
from ccrc_sync.mail import build_message, send_alert, send_report
from ccrc_sync.merge import Conflict, ConflictKind
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.report import XLSX_TYPE, ReportConflict, RunReport, write_report
from ccrc_sync.schema import Issue, Severity
from ccrc_sync.state import State

REPO = Path(__file__).resolve().parents[1]

SCRIPT = "<script>alert(1)</script>"
DDE = "=cmd|' /C calc'!A0"
PASSWORD = "s3cret-Pa55word"
XLSX_SUBTYPE = XLSX_TYPE.split("/")[1]


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"governance"
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Collector]]:
    controller, handler = start_smtp()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_auth() -> Iterator[tuple[Controller, Collector]]:
    controller, handler = start_smtp(authenticator=_authenticator, auth_require_tls=False)
    try:
        yield controller, handler
    finally:
        controller.stop()


def _cfg(port: int, **kw: Any) -> EmailConfig:
    fields: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "sender": "ccrc-sync@ccrc.example",
        "recipients": ("governance@ccrc.example", "deputy@ccrc.example"),
        "timeout": 5.0,
    }
    fields.update(kw)
    return EmailConfig(**fields)


def _conflict(rec_no: str, field: str, workbook: str, sheet: str) -> ReportConflict:
    return ReportConflict.of(
        Conflict(rec_no, field, "", workbook, sheet, ConflictKind.EDIT),
        workbook_cell=CellLink("Action Plan", int(rec_no) + 1, 6),
        sheet_cell=CellLink("Action Plan", int(rec_no) + 1, 6),
    )


def _report(run_id: str = "20260702T020000Z-ab12", conflicts: int = 2) -> RunReport:
    started = dt.datetime(2026, 7, 2, 2, 0)
    return RunReport(
        run_id=run_id,
        status="flagged",
        started=started,
        finished=started + dt.timedelta(seconds=5),
        workbook="var/plan.xlsx",
        spreadsheet_id="sheet-123",
        conflicts=[
            _conflict("7", "Owner", SCRIPT, DDE),
            _conflict("9", "Notes", "b", "c"),
            _conflict("11", "Owner", "d", "e"),
        ][:conflicts],
        issues=[
            Issue(
                severity=sev,
                code="test",
                sheet="Action Plan",
                cell=f"E{n}",
                rec_no=str(n),
                field="Status",
                value=DDE if n == 3 else SCRIPT,
                message="Status is not one of the allowed values.",
            )
            for n, sev in enumerate([Severity.WARNING] * 5 + [Severity.INFO], start=2)
        ],
    )


def _parts(msg: EmailMessage) -> dict[str, Any]:
    return {part.get_content_type(): part for part in msg.walk()}


def test_report_arrives_with_text_html_and_the_findings_workbook(
    smtp: tuple[Controller, Collector],
) -> None:
    controller, handler = smtp
    cfg = _cfg(controller.port)

    send_report(_report(), cfg, env={})

    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "ccrc-sync@ccrc.example"
    assert envelope.rcpt_tos == ["governance@ccrc.example", "deputy@ccrc.example"]
    msg = handler.messages()[0]
    assert msg["Subject"] == "CCRC action plan: 2 new conflicts, 0 errors"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Message-ID"].endswith("@ccrc.example>")
    parts = _parts(msg)
    assert msg.get_content_type() == "multipart/mixed"
    assert "multipart/alternative" in parts
    text = parts["text/plain"].get_content()
    page = parts["text/html"].get_content()
    lines = text.splitlines()
    assert lines[0] == "CCRC action plan: 2 new conflicts, 0 errors"
    assert lines[3] == "NEEDS A PERSON: the sync ran, but something below needs a decision."
    assert "0 changes, 2 conflicts, 0 errors, 5 warnings, 1 information." in lines
    assert "1. Rec 7, Owner (Action Plan!F8 on both sides)" in lines
    assert "What to do: Neither side was overwritten." in " ".join(text.split())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    attachment = parts[XLSX_TYPE]
    assert attachment.get_filename() == "ccrc-sync-findings-20260702T020000Z-ab12.xlsx"
    wb = load_workbook(io.BytesIO(attachment.get_content()))
    cells = {c.value: c for row in wb["Sync Issues"].iter_rows() for c in row if c.value}
    assert cells[DDE].data_type == "s", "a formula-looking value stays text"
    assert cells[SCRIPT].data_type == "s"
    assert len(list(wb["Sync Issues"].iter_rows())) == 1 + 2 + 6
    assert wb["Sync Issues"].freeze_panes == "A2"


def test_subject_prefix_comes_from_config() -> None:
    msg = build_message(_report(), _cfg(25, subject_prefix="Action plan (test)"))
    assert msg["Subject"] == "Action plan (test): 2 new conflicts, 0 errors"
    assert msg.get_content_type() == "multipart/mixed"
    assert [p.get_content_subtype() for p in msg.iter_attachments()] == [XLSX_SUBTYPE]


def test_login_uses_the_password_from_the_environment_only(
    smtp_auth: tuple[Controller, Collector],
) -> None:
    controller, handler = smtp_auth
    cfg = _cfg(controller.port, user="governance")

    send_report(_report(), cfg, env={"CCRC_SYNC_SMTP_PASSWORD": PASSWORD})
    assert len(handler.envelopes) == 1

    with pytest.raises(MailError) as wrong:
        send_report(_report(), cfg, env={"CCRC_SYNC_SMTP_PASSWORD": "not-" + PASSWORD})
    assert str(wrong.value) == (
        f"The SMTP server at 127.0.0.1:{controller.port} refused the login for user "
        "'governance' (535); check the user and CCRC_SYNC_SMTP_PASSWORD."
    )

    with pytest.raises(MailError, match="CCRC_SYNC_SMTP_PASSWORD is not set"):
        send_report(_report(), cfg, env={})
    assert len(handler.envelopes) == 1


def test_server_down_is_one_sentence_without_the_password() -> None:
    # Keeping the report for the next run is the sync's job (test_sync_email covers it).
    port = free_port()  # nothing listens here
    report = _report()

    with pytest.raises(MailError) as failure:
        send_report(
            report,
            _cfg(port, user="governance"),
            env={"CCRC_SYNC_SMTP_PASSWORD": PASSWORD},
        )

    assert str(failure.value) == (
        f"Could not connect to the SMTP server at 127.0.0.1:{port}: Connection refused."
    )


def test_ssl_against_a_plain_server_is_a_clear_error(smtp: tuple[Controller, Collector]) -> None:
    controller, _ = smtp
    with pytest.raises(MailError, match=r"TLS connection to the SMTP server at 127\.0\.0\.1"):
        send_report(_report(), _cfg(controller.port, security=Security.SSL), env={})


def test_no_recipients_is_a_clear_error(smtp: tuple[Controller, Collector]) -> None:
    controller, handler = smtp
    with pytest.raises(MailError, match="No email recipients are configured"):
        send_report(_report(), _cfg(controller.port, recipients=()), env={})
    assert handler.envelopes == []


def test_alert_arrives_as_plain_text(smtp: tuple[Controller, Collector]) -> None:
    controller, handler = smtp
    send_alert(
        "CCRC action plan: sync FAILED 3 times",
        "The nightly sync has failed three times in a row.",
        _cfg(controller.port),
        env={},
    )
    msg = handler.messages()[0]
    assert msg["Subject"] == "CCRC action plan: sync FAILED 3 times"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().splitlines() == ["The nightly sync has failed three times in a row."]
    assert msg["Auto-Submitted"] == "auto-generated"


def test_subject_on_a_first_a_repeated_and_a_new_conflict(
    smtp: tuple[Controller, Collector],
) -> None:
    """Three mornings through a real SMTP server: the first email, the same conflict still
    open, then a second conflict; each subject says what is new since the email before."""
    controller, handler = smtp
    cfg = _cfg(controller.port)
    first = _report("r1", conflicts=1)
    send_report(first, cfg, env={})
    repeated = _report("r2", conflicts=1)
    send_report(repeated, cfg, env={}, previous=first)
    new = _report("r3", conflicts=2)
    send_report(new, cfg, env={}, previous=repeated)
    assert [m["Subject"] for m in handler.messages()] == [
        "CCRC action plan: 1 new conflict, 0 errors",
        "CCRC action plan: no new conflicts (1 open), 0 errors",
        "CCRC action plan: 1 new conflict (2 open), 0 errors",
    ]
    assert all(m["Auto-Submitted"] == "auto-generated" for m in handler.messages())


def test_a_report_the_server_refuses_is_logged_kept_and_shown_by_status(
    smtp_auth: tuple[Controller, Collector],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SMTP 535 from a real server: the run says why, the log has it at ERROR, the report
    stays unsent for the next run, and `ccrc-sync status` (a real process) exits 1 naming
    the problem. Once a report goes again, status is healthy."""
    controller, handler = smtp_auth
    monkeypatch.setenv("CCRC_SYNC_SMTP_PASSWORD", "not-" + PASSWORD)
    state_dir = tmp_path / "state"
    config_path = tmp_path / "ccrc_sync.toml"
    config_path.write_text(
        f'[sync]\nstate_dir = "{state_dir.as_posix()}"\n\n'
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {controller.port}\n'
        'user = "governance"\nsender = "ccrc-sync@ccrc.example"\n'
        'recipients = ["governance@ccrc.example"]\ntimeout = 5\n',
        encoding="utf-8",
    )
    config = load_config(config_path)
    now = dt.datetime.now(dt.UTC)  # `status` judges against the real clock
    with State(state_dir) as state:
        run_id = state.start_run(now)
        state.finish_run(run_id, status="ok", finished=now)
        html_path, _ = write_report(_report(run_id), config.sync.reports())
        outcome = SyncOutcome(RunStatus.OK, run_id, report_path=html_path)
        caplog.set_level(logging.INFO, logger="ccrc_sync")
        deliver(config, state, outcome, email=True)
        assert state.unsent_reports() == [run_id]
    refused = (
        f"The SMTP server at 127.0.0.1:{controller.port} refused the login for user "
        "'governance' (535); check the user and CCRC_SYNC_SMTP_PASSWORD."
    )
    assert (outcome.emailed, outcome.email_problem) == (False, refused)
    assert outcome.notes == [
        f"The report could not be emailed: {refused} It is kept at {html_path} and will be "
        "sent with the next run."
    ]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"The report of run {run_id} could not be emailed: {refused}")
    ]
    assert handler.envelopes == []

    shown = _status_cli(config_path, tmp_path)
    assert shown.returncode == 1, shown.stderr
    assert shown.stdout.splitlines()[:2] == [
        "ccrc-sync: PROBLEM",
        f"  The last report could not be emailed ({refused}); it is kept and goes with the "
        "next run that sends mail.",
    ]

    monkeypatch.setenv("CCRC_SYNC_SMTP_PASSWORD", PASSWORD)
    with State(state_dir) as state:
        deliver(config, state, SyncOutcome(RunStatus.OK, run_id, report_path=html_path), True)
        assert state.unsent_reports() == []
    assert len(handler.envelopes) == 1
    healthy = _status_cli(config_path, tmp_path)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.stdout.splitlines()[0] == "ccrc-sync: healthy"


def _status_cli(config_path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccrc_sync", "status", "--config", str(config_path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
