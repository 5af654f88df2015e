"""`serve`'s mail: the failure alert, the run reports it cannot send, and the weekly owner
digests, all through the real mail module to a real SMTP server on 127.0.0.1 (`smtphelp`),
with `servicehelp.FakeSync` for the runs and a fake clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from fixtures.plans import template_copy
from openpyxl import load_workbook
from servicehelp import FakeClock, FakeSync, Step, a_config, london, mail_to, record, utc
from smtphelp import Collector, free_port, start_smtp

from ccrc_sync.config import ScheduleConfig, WorkbookConfig
from ccrc_sync.errors import SheetError
from ccrc_sync.service import Service
from ccrc_sync.state import State

PASSWORD = "the-right-password"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Collector]]:
    controller, inbox = start_smtp()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def _alert_lines(failures: int, state_dir: Path, error: str) -> list[str]:
    return [
        f"ccrc-sync on {socket.gethostname()} has failed {failures} runs in a row.",
        "",
        "Last attempt: Wed 06 May 2026 02:00 BST",
        f"Error: {error}",
        "Schedule: daily at 02:00 Europe/London",
        f"State directory: {state_dir}",
        "Config: built-in defaults",
        "",
        "Neither the workbook nor the Google Sheet is being kept in step until this is",
        "fixed. Check the service log, and run `ccrc-sync status` and `ccrc-sync sync`",
        "on that machine to see the problem. You will not get another alert until a",
        "run succeeds and then fails again.",
    ]


def test_the_alert_goes_out_once_per_run_of_failures(
    tmp_path: Path, smtp: tuple[int, Collector]
) -> None:
    port, inbox = smtp
    clock = FakeClock(utc(2026, 5, 6, 1))
    down = SheetError("Google is down.")
    config = a_config(tmp_path, schedule=ScheduleConfig(failure_alert_after=3), email=mail_to(port))
    service = Service(config, runner=FakeSync(clock, [down] * 5 + ["ok"] + [down] * 3), clock=clock)
    for _ in range(9):
        service.run_once()
    # After the 3rd failure, and after the 3rd of the next streak.
    assert len(inbox.envelopes) == 2
    assert inbox.envelopes[0].rcpt_tos == ["it@example.org"]
    first, second = inbox.messages()
    subject = "CCRC action plan: ALERT - the sync has failed 3 times in a row"
    assert first["Subject"] == second["Subject"] == subject
    text = first.get_content()
    assert text.splitlines() == _alert_lines(3, config.sync.state_dir, "Google is down.")


def test_a_restart_during_a_run_of_failures_does_not_alert_again(
    tmp_path: Path, smtp: tuple[int, Collector]
) -> None:
    port, inbox = smtp
    clock = FakeClock(utc(2026, 5, 6, 1))
    config = a_config(tmp_path, email=mail_to(port))
    for day in (1, 2, 3, 4):  # the alert went with the 3rd, before the restart
        record(config, utc(2026, 5, day, 1), "failed", error="down")
    service = Service(config, runner=FakeSync(clock, [SheetError("down")]), clock=clock)
    service._seed_failures()
    service.run_once()
    assert service.failures == 5 and inbox.envelopes == []


def test_an_alert_that_cannot_be_sent_is_retried_at_the_next_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The mail server is down when the alert is due (2nd failure); it is back by the 3rd:
    the alert arrives then, once, and not again for the 4th."""
    port = free_port()  # nothing listens here yet: the real mail module fails to connect
    clock = FakeClock(utc(2026, 5, 6, 1))
    schedule = ScheduleConfig(failure_alert_after=2)
    config = a_config(tmp_path, schedule=schedule, email=mail_to(port))
    service = Service(config, runner=FakeSync(clock, [SheetError("down")] * 4), clock=clock)
    caplog.set_level(logging.ERROR, logger="ccrc_sync.service")
    service.run_once()
    service.run_once()
    assert service.failures == 2 and not service.alerted
    assert [r.getMessage() for r in caplog.records][-1] == (
        "the failure alert could not be emailed: Could not connect to the SMTP server at "
        f"127.0.0.1:{port}: Connection refused."
    )
    controller, inbox = start_smtp(port)
    try:
        service.run_once()
        service.run_once()
    finally:
        controller.stop()
    assert service.failures == 4 and service.alerted
    assert [m["Subject"] for m in inbox.messages()] == [
        "CCRC action plan: ALERT - the sync has failed 3 times in a row"
    ]


# --------------------------------------------------------------------------- the report email


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"governance"
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def test_a_report_email_the_server_refuses_is_logged_counted_and_sent_once_it_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The mail server refuses the login (SMTP 535). Each run's report is refused and
    logged at ERROR, and counts towards the alert; the alert, through the same server, is
    refused too and tried again at the next failure. Once the password is put right, the
    next run sends its report and the two held back, and the streak is over."""
    controller, inbox = start_smtp(authenticator=_login, auth_require_tls=False)
    monkeypatch.setenv("CCRC_SYNC_SMTP_PASSWORD", "a-wrong-password")
    clock = FakeClock(utc(2026, 5, 6, 1))
    email = mail_to(controller.port, user="governance", when="always")
    config = a_config(tmp_path, schedule=ScheduleConfig(failure_alert_after=2), email=email)
    service = Service(config, runner=FakeSync(clock), clock=clock)
    refused = (
        f"The SMTP server at 127.0.0.1:{controller.port} refused the login for user "
        "'governance' (535); check the user and CCRC_SYNC_SMTP_PASSWORD."
    )
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    try:
        first = service.run_once()
        assert (first.status, first.email_problem) == ("ok", refused)
        errors = [
            r.getMessage()
            for r in caplog.records
            if r.name == "ccrc_sync.service" and r.levelno >= logging.ERROR
        ]
        assert errors == [f"the report of run {first.run_id} could not be emailed: {refused}"]
        assert service.failures == 1

        second = service.run_once()  # the second in a row: the alert is due, and refused
        assert service.failures == 2 and not service.alerted
        assert caplog.records[-1].getMessage() == (
            f"the failure alert could not be emailed: {refused}"
        )
        assert inbox.envelopes == []

        monkeypatch.setenv("CCRC_SYNC_SMTP_PASSWORD", PASSWORD)
        third = service.run_once()  # a run that does its whole job ends the streak
        assert (third.status, third.email_problem) == ("ok", None)
        assert service.failures == 0 and not service.alerted
    finally:
        controller.stop()
    subjects = [m["Subject"] for m in inbox.messages()]
    assert len(subjects) == 3 and not any("ALERT" in s for s in subjects)
    with State(config.sync.state_dir) as state:
        assert state.unsent_reports() == []
        sent = [r.run_id for r in state.runs() if r.report_sent]
    assert sorted(sent) == sorted([first.run_id, second.run_id, third.run_id])


def test_the_alert_says_when_what_failed_was_the_report_email(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A mail server that takes nothing over 4 KB refuses each report (with its .xlsx)
    but takes the short alert. A failed run and two unsent reports make one streak of
    three; the alert names the email as the last thing that failed."""
    controller, inbox = start_smtp(data_size_limit=4096)
    clock = FakeClock(utc(2026, 5, 6, 1))
    email = mail_to(controller.port, when="always")
    config = a_config(tmp_path, schedule=ScheduleConfig(failure_alert_after=3), email=email)
    script: list[Step] = ["ok", SheetError("Google is down."), "ok", SheetError("down")]
    service = Service(config, runner=FakeSync(clock, script), clock=clock)
    try:
        results = [service.run_once() for _ in range(4)]
    finally:
        controller.stop()
    assert [r.status for r in results] == ["ok", "failed", "ok", "failed"]
    # The server says at once (SMTP SIZE) that the message is too big: 552.
    problem = (
        f"The SMTP server at 127.0.0.1:{controller.port} refused the sender "
        "'ccrc-sync@localhost' (552)."
    )
    assert [r.email_problem for r in results] == [problem, None, problem, None]
    assert service.failures == 4 and service.alerted
    [alert] = inbox.messages()  # the 4th failure does not alert again
    assert alert["Subject"] == "CCRC action plan: ALERT - the sync has failed 3 times in a row"
    assert alert.get_content().splitlines() == _alert_lines(
        3, config.sync.state_dir, f"the report could not be emailed: {problem}"
    )


# --------------------------------------------------------------------------- owner digests


def test_serve_sends_the_owner_digests_once_a_week_and_says_when_the_next_go(
    tmp_path: Path, smtp: tuple[int, Collector], caplog: pytest.LogCaptureFixture
) -> None:
    """Monday 08:00 in London: the owners' digests go (an owner who is an address needs no
    [owners] entry); an hour later, nothing more."""
    port, inbox = smtp
    workbook = template_copy(tmp_path)
    wb = load_workbook(workbook)
    ws = wb["Action Plan"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if str(row[0].value) == "2":
            row[headers.index("Owner")].value = "casework@example.org"
            row[headers.index("Target Date")].value = dt.date(2026, 6, 30)  # overdue
            row[headers.index("Target Date")].number_format = "dd/mm/yyyy"
    wb.save(workbook)
    config = a_config(tmp_path, email=mail_to(port))
    config = config.model_copy(update={"workbook": WorkbookConfig(path=workbook)})
    clock = FakeClock(london(2026, 7, 6, 8, 0).astimezone(UTC))
    service = Service(config, runner=FakeSync(clock), clock=clock, digests=True)
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    service.tick()
    clock.advance(hours=1)
    service.tick()
    assert [e.rcpt_tos for e in inbox.envelopes] == [["casework@example.org"]]
    digest_lines = [r.getMessage() for r in caplog.records if "owner digests" in r.getMessage()]
    assert digest_lines == [
        "owner digests: 1 sent, 0 skipped; the next go Mon 13 Jul 2026 08:00 BST"
    ]
