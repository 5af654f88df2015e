"""Emailing the report through a real SMTP server (aiosmtpd on 127.0.0.1, started here)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from openpyxl import load_workbook
from smtphelp import Collector, free_port, start_smtp

from ccrc_sync.config import EmailConfig, Security
from ccrc_sync.errors import MailError
from ccrc_sync.layout import CellLink
from ccrc_sync.mail import build_message, send_alert, send_report
from ccrc_sync.merge import Conflict, ConflictKind
from ccrc_sync.report import XLSX_TYPE, ReportConflict, RunReport
from ccrc_sync.schema import Issue, Severity

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
    assert text.startswith("CCRC action plan: 2 new conflicts")
    assert "What to do: Neither side was overwritten." in text
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
    assert "refused the login for user 'governance'" in str(wrong.value)
    assert PASSWORD not in str(wrong.value)

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

    message = str(failure.value)
    assert message.startswith(f"Could not connect to the SMTP server at 127.0.0.1:{port}")
    assert "refused" in message.lower()
    assert PASSWORD not in message and "\n" not in message


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
    assert "failed three times" in msg.get_content()
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
