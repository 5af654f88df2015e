"""`ccrc-sync sync --email` and `ccrc-sync report` end to end: a real sync against the emulator,
a real SMTP server (aiosmtpd on 127.0.0.1, started here), real report files on disk."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from smtphelp import Collector as Inbox
from smtphelp import free_port, start_smtp
from synchelp import (  # noqa: F401  (the *_fixture names register the fixtures)
    Rig,
    baseline_fixture,
    synced_fixture,
)


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    controller, handler = start_smtp(smtp_port)
    try:
        yield handler
    finally:
        controller.stop()


def _mail_config(rig: Rig, port: int, when: str = "never") -> None:
    rig.write_config(
        "[email]\n"
        f'when = "{when}"\n'
        'smtp_host = "127.0.0.1"\n'
        f"smtp_port = {port}\n"
        'sender = "ccrc-sync@ccrc.example"\n'
        'recipients = ["governance@ccrc.example"]\n'
        "timeout = 5\n"
    )


def _make_conflict(rig: Rig) -> None:
    rig.edit_book({(7, "Owner"): "<script>alert(1)</script>"})
    rig.edit_sheet({(7, "Owner"): "=cmd|' /C calc'!A0"}, user_entered=False)  # typed as text


def test_sync_email_sends_the_report_with_both_parts_and_the_findings(
    synced: Rig, inbox: Inbox, smtp_port: int
) -> None:
    _mail_config(synced, smtp_port)
    _make_conflict(synced)
    result = synced.sync("--email")
    assert result.code == 1
    [msg] = inbox.messages()
    assert msg["Subject"] == "CCRC action plan: 1 new conflict, 0 errors"
    assert msg["To"] == "governance@ccrc.example"
    assert msg["Auto-Submitted"] == "auto-generated"
    parts = {p.get_content_type(): p for p in msg.walk()}
    text = " ".join(parts["text/plain"].get_content().split())
    assert "1. Rec 7, Owner (Action Plan!F8 on both sides)" in text
    assert "What to do: Neither side was overwritten." in text
    assert text.index("NEEDS A PERSON") < text.index("CHANGES MADE") < text.index("SUMMARY")
    html = parts["text/html"].get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    [attachment] = [p for p in msg.iter_attachments()]
    book = load_workbook(io.BytesIO(attachment.get_content()))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    hostile = [c for c in cells if "=cmd|' /C calc'!A0" in str(c.value or "")]
    assert hostile and all(c.data_type == "s" for c in hostile)  # text, never a formula


def test_the_subject_says_what_is_new_since_the_last_email(
    synced: Rig, inbox: Inbox, smtp_port: int
) -> None:
    _mail_config(synced, smtp_port)
    _make_conflict(synced)
    assert synced.sync("--email").code == 1
    assert synced.sync("--email").code == 1  # the same conflict, still open
    synced.edit_book({(9, "Notes"): "workbook note"})
    synced.edit_sheet({(9, "Notes"): "sheet note"})
    assert synced.sync("--email").code == 1
    assert [m["Subject"] for m in inbox.messages()] == [
        "CCRC action plan: 1 new conflict, 0 errors",
        "CCRC action plan: no new conflicts (1 open), 0 errors",
        "CCRC action plan: 1 new conflict (2 open), 0 errors",
    ]


def test_sync_email_says_in_words_that_the_email_went_or_why_not(
    synced: Rig, smtp_port: int
) -> None:
    _mail_config(synced, smtp_port)  # nothing listens on this port yet
    down = synced.cli("sync", "--email")
    expected = (
        f"The report was not emailed: Could not connect to the SMTP server at 127.0.0.1:{smtp_port}"
    )
    assert any(line.startswith(expected) for line in down.out.splitlines()), down.out
    controller, _ = start_smtp(smtp_port)
    try:
        sent = synced.cli("sync", "--email")
    finally:
        controller.stop()
    assert "The report was emailed." in sent.out.splitlines()


def test_nightly_config_sends_only_when_something_is_flagged(
    synced: Rig, inbox: Inbox, smtp_port: int
) -> None:
    _mail_config(synced, smtp_port, when="flagged")
    synced.edit_book({(5, "Owner"): "Jo Bloggs"})
    assert synced.sync().code == 0
    assert inbox.messages() == []
    _make_conflict(synced)
    assert synced.sync().code == 1
    assert len(inbox.messages()) == 1


def test_smtp_down_keeps_the_report_and_sends_it_with_the_next_run(
    synced: Rig, smtp_port: int
) -> None:
    _mail_config(synced, smtp_port)  # nothing listens on this port yet
    synced.edit_book({(5, "Owner"): "Jo Bloggs"})
    down = synced.sync("--email")
    assert down.code == 0  # the sync's own result is not lost
    assert any("could not be emailed" in n for n in down.json["notes"])
    kept = synced.root / "state" / "reports" / f"{down.json['run_id']}.html"
    assert kept.is_file()
    assert synced.sheet_rows()["5"]["Owner"] == "Jo Bloggs"

    controller, handler = start_smtp(smtp_port)
    try:
        again = synced.sync("--email")
    finally:
        controller.stop()
    assert again.code == 0
    sent = [m["Subject"] for m in handler.messages()]
    assert len(sent) == 2  # the one that failed to go, then this run's
    bodies = [
        {p.get_content_type(): p for p in m.walk()}["text/plain"].get_content()
        for m in handler.messages()
    ]
    assert down.json["run_id"] in bodies[0] and again.json["run_id"] in bodies[1]


def test_report_command_renders_and_resends_the_last_report(
    synced: Rig, inbox: Inbox, smtp_port: int
) -> None:
    _mail_config(synced, smtp_port)
    _make_conflict(synced)
    run = synced.sync()
    out = synced.root / "last.html"
    rendered = synced.cli("report", "--out", str(out))
    assert rendered.code == 0
    assert run.json["run_id"] in out.read_text(encoding="utf-8")
    resent = synced.cli("report", "--email")
    assert resent.code == 0 and "governance@ccrc.example" in resent.out
    assert len(inbox.messages()) == 1


def test_report_without_any_run_is_one_clear_line(synced: Rig) -> None:
    synced.write_config('[sync]\nreports_dir = "nowhere"\n')
    result = synced.cli("report")
    assert result.code == 2
    assert result.err.startswith("ccrc-sync: ") and result.err.count("\n") == 1
