"""Owner digests end to end: a real workbook, a real state file and a real SMTP server.

Each owner gets one email listing only their own rows that are overdue, due soon, changed
since their last digest or in conflict; an owner without an address is listed, never
skipped silently; nobody gets an empty digest; a dry run sends nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fixtures.plans import template_copy
from openpyxl import load_workbook
from smtphelp import Collector, free_port, start_smtp

from ccrc_sync.config import Config
from ccrc_sync.digest import (
    NO_ADDRESS,
    DigestError,
    digest_due,
    last_digest_run,
    next_digest,
    run_digest,
)
from ccrc_sync.digest_items import first_sentence
from ccrc_sync.errors import WorkbookError
from ccrc_sync.state import STATE_FILE, LogEntry, State

# Monday 6 July 2026, 08:00 in London (summer time).
NOW = dt.datetime(2026, 7, 6, 7, 0, tzinfo=dt.UTC)
SHEET_URL = "https://docs.google.com/spreadsheets/d/abc123/edit"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Collector]]:
    controller, handler = start_smtp()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _plan(tmp_path: Path, owners_tab: list[list[Any]] | None = None) -> Path:
    """The template with owners and dates, as staff would fill it in."""
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    ws = wb["Action Plan"]
    headers = [c.value for c in ws[1]]
    edits: dict[str, dict[str, Any]] = {
        "2": {"Owner": "Head of Casework", "Target Date": dt.date(2026, 6, 30)},
        "3": {"Owner": "head of  casework", "Target Date": dt.date(2026, 7, 10)},
        "4": {"Owner": "Head of Casework", "Target Date": dt.date(2026, 9, 1)},
        "7": {"Owner": "Director", "Target Date": dt.date(2026, 6, 1)},
        "9": {"Owner": "Comms Lead", "Target Date": dt.date(2026, 12, 1)},
        "12": {"Target Date": dt.date(2026, 6, 1)},
        "20a": {
            "Owner": "Head of QA",
            "Target Date": dt.date(2026, 7, 1),
            "Status": "Complete",
        },
        "21b": {"Owner": "Head of QA", "Status": "Complete"},
    }
    for row in ws.iter_rows(min_row=2):
        for label, value in edits.get(str(row[0].value), {}).items():
            row[headers.index(label)].value = value
            if isinstance(value, dt.date):
                row[headers.index(label)].number_format = "dd/mm/yyyy"
    if owners_tab is not None:
        tab = wb.create_sheet("Owners")
        for line in owners_tab:
            tab.append(line)
    wb.save(path)
    return path


def _config(tmp_path: Path, workbook: Path, port: int, **owners: str) -> Config:
    return Config.model_validate(
        {
            "workbook": {"path": workbook},
            "sync": {"state_dir": tmp_path / "state"},
            "sheet": {"spreadsheet_id": "abc123"},
            "email": {
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "sender": "ccrc-sync@example.org",
                "recipients": ["governance@example.org"],
            },
            "owners": owners
            or {
                "Head of Casework": "casework@example.org",
                "Head of QA": "old-qa@example.org",
                "Comms Lead": "comms@example.org",
            },
        }
    )


def _state(config: Config) -> None:
    """What the sync leaves behind: a change log, open conflicts, where rows sit."""
    with State(config.sync.state_dir) as state:
        for when, changes in (
            (
                dt.datetime(2026, 6, 20, 1, 0, tzinfo=dt.UTC),  # before the week looked at
                [("4", "Status", "workbook", "sheet", "Planned", "In Progress")],
            ),
            (
                dt.datetime(2026, 7, 3, 1, 0, tzinfo=dt.UTC),
                [("21b", "Status", "sheet", "workbook", "In Progress", "Complete")],
            ),
        ):
            _log(state, when, changes)
        state.set_meta(
            "open_conflicts",
            json.dumps(
                [
                    {
                        "rec_no": "20a",
                        "field": "Target Date",
                        "workbook": "2026-07-01",  # as versions before 0.2 kept them
                        "sheet": "2026-07-15",
                        "kind": "edit",
                    }
                ]
            ),
        )
        state.set_meta(
            "sheet_plan",
            json.dumps(
                {
                    "spreadsheet_id": "abc123",
                    "gid": 0,
                    "rows": {"2": 3, "3": 4, "20a": 23, "21b": 28},
                    "url": SHEET_URL,
                }
            ),
        )


def _log(state: State, when: dt.datetime, lines: list[tuple[str, ...]]) -> None:
    """A sync run that carried these (rec_no, field, source, target, old, new) changes."""
    run = state.start_run(when)
    log = [LogEntry(when, run, *line) for line in lines]
    state.finish_run(run, status="ok", finished=when, log=log)


def _by_recipient(handler: Collector) -> dict[str, EmailMessage]:
    return {m["To"]: m for m in handler.messages()}


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # SMTP sends CRLF line ends


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


# --------------------------------------------------------------------------- end to end


def test_each_owner_gets_one_email_with_their_own_items(
    tmp_path: Path, smtp: tuple[Controller, Collector]
) -> None:
    controller, handler = smtp
    workbook = _plan(tmp_path, owners_tab=[["Name", "Email"], ["Head of QA", "qa@example.org"]])
    config = _config(tmp_path, workbook, controller.port)
    _state(config)
    result = run_digest(config, now=NOW, dry_run=False)

    assert json.loads(result.to_json()) == {
        "sent": [
            {"owner": "Head of Casework", "to": "casework@example.org", "items": 2},
            {"owner": "Head of QA", "to": "qa@example.org", "items": 2},
        ],
        "skipped": [{"owner": "Director", "reason": NO_ADDRESS}],
    }
    assert result.exit_code == 1
    mails = _by_recipient(handler)
    assert sorted(mails) == ["casework@example.org", "qa@example.org"]
    assert [e.rcpt_tos for e in handler.envelopes] == [
        ["casework@example.org"],
        ["qa@example.org"],
    ]

    casework = mails["casework@example.org"]
    assert casework["Subject"] == (
        "CCRC action plan: your items – 1 overdue, 1 due in the next 14 days"
    )
    assert casework["From"] == "ccrc-sync@example.org"
    assert casework["Auto-Submitted"] == "auto-generated"
    assert _text(casework) == (
        "For: Head of Casework\n"
        "\n"
        "Your items in the CCRC action plan on Monday 6 July 2026: 1 overdue, 1 due in the "
        "next 14 days.\n"
        "\n"
        "Overdue: the target date has passed\n"
        "-----------------------------------\n"
        "Rec 2: The CCRC should produce timeliness management information data by case "
        "category as well as case type, including no appeals and reapplication cases that "
        "are overdue against the 30-day timeliness…\n"
        "    Status: Planned · Target Date: 30/06/2026 (6 days overdue)\n"
        f"    Open the row: {SHEET_URL}#gid=0&range=A3\n"
        "\n"
        "Due in the next 14 days\n"
        "-----------------------\n"
        "Rec 3: The CCRC should carry out a thematic audit to review the effectiveness of the "
        "current case type allocation process to assess whether it is an effective tool in "
        "determining the amount of resource…\n"
        "    Status: Planned · Target Date: 10/07/2026 (in 4 days)\n"
        f"    Open the row: {SHEET_URL}#gid=0&range=A4\n"
        "\n"
        "You get this because you are named as the Owner of these rows. Edit them in the "
        "workbook or the Google Sheet as usual; the nightly sync keeps the two in step.\n"
        "-- ccrc-sync\n"
    )

    qa = mails["qa@example.org"]
    assert qa["Subject"] == "CCRC action plan: your items – 1 open conflict, 1 changed"
    text = _text(qa)
    assert "Rec 20a: Considering the purpose, necessity and frequency of six-week case plan" in text
    assert (
        "Target Date: 01/07/2026 in the workbook, 15/07/2026 in the Google Sheet; make the two "
        "agree (either way) and the next sync settles it"
    ) in text
    assert "Status: Complete · Target Date: 01/07/2026\n" in text  # complete: not overdue
    assert "Status changed from In Progress to Complete in the Google Sheet on 3 July 2026" in text
    assert f"{SHEET_URL}#gid=0&range=A23" in text and f"{SHEET_URL}#gid=0&range=A28" in text
    page = _html(qa)
    assert f'<a href="{SHEET_URL}#gid=0&amp;range=A23">' in page
    assert "Rec 4" not in text and "Rec 2:" not in text


def test_the_next_digest_lists_only_what_changed_since_and_what_is_still_due(
    tmp_path: Path, smtp: tuple[Controller, Collector]
) -> None:
    controller, handler = smtp
    config = _config(tmp_path, _plan(tmp_path), controller.port)
    _state(config)
    run_digest(config, now=NOW, dry_run=False)
    with State(config.sync.state_dir) as state:
        assert state.get_meta("digest:last:head of qa") == NOW.isoformat()
        later = NOW + dt.timedelta(days=7)
        _log(
            state,
            later - dt.timedelta(hours=5),
            [("3", "Owner", "sheet", "workbook", "x", "head of  casework")],
        )
    handler.envelopes.clear()
    result = run_digest(config, now=NOW + dt.timedelta(days=7), dry_run=False)
    # Head of QA: the change has been told; the conflict is still open.
    assert [(s.owner, s.items) for s in result.sent] == [
        ("Head of Casework", 2),
        ("Head of QA", 1),
    ]
    qa = _text(_by_recipient(handler)["old-qa@example.org"])
    assert "changed from" not in qa and "Rec 21b" not in qa
    casework = _text(_by_recipient(handler)["casework@example.org"])
    assert (
        "Rec 3: " in casework
        and "Owner changed from x to head of  casework in the Google Sheet" in casework
    )
    assert last_digest_run(config) == NOW + dt.timedelta(days=7)


def test_a_change_after_midnight_in_summer_is_dated_that_day(
    tmp_path: Path, smtp: tuple[Controller, Collector]
) -> None:
    controller, handler = smtp
    config = _config(tmp_path, _plan(tmp_path), controller.port)
    _state(config)
    with State(config.sync.state_dir) as state:
        # 00:30 on Sunday 5 July in London; 23:30 on 4 July in UTC, where the log keeps it.
        at = dt.datetime(2026, 7, 4, 23, 30, tzinfo=dt.UTC)
        _log(state, at, [("2", "Owner", "sheet", "workbook", "x", "Head of Casework")])
    run_digest(config, now=NOW, dry_run=False)
    casework = _text(_by_recipient(handler)["casework@example.org"])
    assert (
        "    Owner changed from x to Head of Casework in the Google Sheet on 5 July 2026\n"
        in casework
    )


def test_a_change_is_dated_in_a_configured_zone_other_than_london(
    tmp_path: Path, smtp: tuple[Controller, Collector]
) -> None:
    controller, handler = smtp
    config = _config(tmp_path, _plan(tmp_path), controller.port)
    config = config.model_copy(
        update={"schedule": config.schedule.model_copy(update={"timezone": "America/New_York"})}
    )
    _state(config)  # 21b changed at 01:00 UTC on 3 July: 21:00 on 2 July in New York
    run_digest(config, now=NOW, dry_run=False)
    qa = _text(_by_recipient(handler)["old-qa@example.org"])
    assert "Status changed from In Progress to Complete in the Google Sheet on 2 July 2026" in qa


def test_a_dry_run_sends_nothing_writes_nothing_and_lists_what_would_go(
    tmp_path: Path, smtp: tuple[Controller, Collector]
) -> None:
    controller, handler = smtp
    config = _config(tmp_path, _plan(tmp_path), controller.port)
    _state(config)
    result = run_digest(config, now=NOW, dry_run=True)
    assert handler.envelopes == []
    assert json.loads(result.to_json())["sent"] == [
        {"owner": "Head of Casework", "to": "casework@example.org", "items": 2},
        {"owner": "Head of QA", "to": "old-qa@example.org", "items": 2},
    ]
    assert result.render_text() == (
        "Would send (2):\n"
        "  Head of Casework <casework@example.org>: 2 items (Rec 2, 3)\n"
        "  Head of QA <old-qa@example.org>: 2 items (Rec 20a, 21b)\n"
        "Not sent (1):\n"
        f"  Director: {NO_ADDRESS}.\n"
        "Nothing to send to: Comms Lead.\n"
        "Items with no owner: Rec 12.\n"
        "Dry run: nothing was sent."
    )
    with State(config.sync.state_dir) as state:
        assert state.get_meta("digest:last:head of qa") is None
        assert state.get_meta("digest:last_run") is None
    # The same digest, sent for real, lists the same.
    sent = run_digest(config, now=NOW, dry_run=False)
    assert sent.to_json() == result.to_json()
    assert len(handler.envelopes) == 2


def test_before_any_sync_a_dry_run_creates_no_state(
    tmp_path: Path, smtp: tuple[Controller, Collector]
) -> None:
    controller, handler = smtp
    config = _config(tmp_path, _plan(tmp_path), controller.port)
    result = run_digest(config, now=NOW, dry_run=True)
    assert not (config.sync.state_dir / STATE_FILE).exists()
    assert handler.envelopes == []
    # Without the sync's record, Head of QA's complete row is neither due nor in conflict.
    assert [(s.owner, s.items) for s in result.sent] == [("Head of Casework", 2)]
    assert result.quiet == ["Comms Lead", "Head of QA"]


def test_nobody_gets_an_empty_digest(tmp_path: Path, smtp: tuple[Controller, Collector]) -> None:
    controller, handler = smtp
    config = _config(tmp_path, _plan(tmp_path), controller.port, **{"Comms Lead": "c@x.org"})
    _state(config)
    result = run_digest(config, now=NOW, dry_run=False)
    assert "c@x.org" not in _by_recipient(handler)
    assert result.quiet == ["Comms Lead"]
    assert "Comms Lead" not in result.to_json()


def test_an_owner_cell_holding_an_address_needs_no_entry_and_a_bad_address_is_listed(
    tmp_path: Path, smtp: tuple[Controller, Collector]
) -> None:
    controller, handler = smtp
    workbook = _plan(
        tmp_path,
        owners_tab=[["Owner", "E-mail"], ["Director", "director at example.org"]],
    )
    wb = load_workbook(workbook)
    ws = wb["Action Plan"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == 2:
            row[5].value = "jo.bloggs@example.org"
    wb.save(workbook)
    config = _config(tmp_path, workbook, controller.port)
    result = run_digest(config, now=NOW, dry_run=False)
    assert {"owner": "jo.bloggs@example.org", "to": "jo.bloggs@example.org", "items": 1} in (
        json.loads(result.to_json())["sent"]
    )
    assert json.loads(result.to_json())["skipped"] == [
        {
            "owner": "Director",
            "reason": "'director at example.org' is not an email address; correct it under "
            "[owners] in the config or in the Owners tab in the workbook",
        }
    ]
    assert "jo.bloggs@example.org" in _by_recipient(handler)


def test_everyone_reachable_is_exit_0(tmp_path: Path, smtp: tuple[Controller, Collector]) -> None:
    controller, _ = smtp
    config = _config(
        tmp_path,
        _plan(tmp_path),
        controller.port,
        **{
            "Head of Casework": "casework@example.org",
            "Head of QA": "qa@example.org",
            "DIRECTOR": "director@example.org; deputy@example.org",
        },
    )
    result = run_digest(config, now=NOW, dry_run=False)
    assert result.exit_code == 0 and result.skipped == []
    assert ("Director", "director@example.org, deputy@example.org") in [
        (s.owner, s.to) for s in result.sent
    ]


# --------------------------------------------------------------------------- failures


def test_an_smtp_server_that_is_not_there_is_a_could_not_run_error(tmp_path: Path) -> None:
    config = _config(tmp_path, _plan(tmp_path), free_port())
    with pytest.raises(DigestError) as err:
        run_digest(config, now=NOW, dry_run=False)
    assert str(err.value).startswith(
        f"No digest could be sent: Could not connect to the SMTP server at 127.0.0.1:"
        f"{config.email.smtp_port}"
    )
    with State(config.sync.state_dir) as state:
        assert state.get_meta("digest:last:head of casework") is None
        assert state.get_meta("digest:last_run") is None


def test_a_missing_workbook_is_one_sentence(tmp_path: Path) -> None:
    config = _config(tmp_path, tmp_path / "missing.xlsx", free_port())
    with pytest.raises(WorkbookError) as err:
        run_digest(config, now=NOW, dry_run=True)
    assert str(err.value) == f"The workbook {tmp_path / 'missing.xlsx'} does not exist."


def test_an_owners_tab_without_the_columns_is_noted_and_the_config_used(
    tmp_path: Path, smtp: tuple[Controller, Collector]
) -> None:
    controller, _ = smtp
    workbook = _plan(tmp_path, owners_tab=[["Who", "Where"], ["Head of QA", "qa@example.org"]])
    config = _config(tmp_path, workbook, controller.port)
    _state(config)
    result = run_digest(config, now=NOW, dry_run=True)
    assert ("Head of QA", "old-qa@example.org") in [(s.owner, s.to) for s in result.sent]
    assert result.notes == [
        "The workbook's Owners tab has no Name and Email columns; the addresses under "
        "[owners] in the config were used."
    ]


# --------------------------------------------------------------------------- pure parts


def test_first_sentence_cuts_at_the_first_full_stop_and_never_runs_long() -> None:
    assert first_sentence("Do this. Then that.") == "Do this."
    assert first_sentence("See e.g. the guide. Then.") == "See e.g. the guide."
    long = "word " * 60
    cut = first_sentence(long)
    assert cut.endswith("…") and len(cut) <= 200
    assert first_sentence("Short and unfinished") == "Short and unfinished"


# --------------------------------------------------------------------------- schedule


def _schedule(**digest: Any) -> Config:
    return Config.model_validate({"digest": digest} if digest else {})


@pytest.mark.parametrize(
    ("now", "last_sent", "due"),
    [
        # Never sent: one now, as the nightly run catches up on a first start.
        (NOW, None, True),
        # Monday 07:59 London: not yet, the last one went a week ago.
        (NOW - dt.timedelta(minutes=1), NOW - dt.timedelta(days=7), False),
        # Monday 08:00 London: due.
        (NOW, NOW - dt.timedelta(days=7), True),
        # Sent at 08:00 today: not again until next Monday.
        (NOW + dt.timedelta(days=6), NOW, False),
        # Down for three weeks: one catch-up, then nothing until the next slot.
        (NOW + dt.timedelta(days=2), NOW - dt.timedelta(days=21), True),
        (NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=2), False),
        # Winter: 08:00 in London is 08:00 UTC (the Monday after the clocks go back).
        (
            dt.datetime(2026, 11, 2, 7, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.UTC),
            False,
        ),
        (
            dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.UTC),
            True,
        ),
    ],
)
def test_digests_are_due_weekly_with_one_catch_up(
    now: dt.datetime, last_sent: dt.datetime | None, due: bool
) -> None:
    assert digest_due(now, last_sent, _schedule()) is due


def test_the_configured_day_and_time_and_switching_off() -> None:
    friday = _schedule(weekday="friday", time="16:30")
    assert next_digest(NOW, friday).isoformat() == "2026-07-10T16:30:00+01:00"
    assert next_digest(NOW, _schedule()).isoformat() == "2026-07-13T08:00:00+01:00"
    assert digest_due(NOW, None, _schedule(enabled=False)) is False
