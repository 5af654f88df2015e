"""The SQLite state: the base, run history, change log, meta and report bookkeeping."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccrc_sync.errors import StateError
from ccrc_sync.schema import Formula, Value
from ccrc_sync.state import STATE_FILE, LogEntry, LogEvent, State

T0 = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def run(state: State, minute: int, status: str, **kwargs) -> str:
    run_id = state.start_run(at(minute))
    state.finish_run(run_id, status=status, finished=at(minute + 1), **kwargs)
    return run_id


def entry(
    minute: int,
    rec: str,
    field: str,
    source: str,
    target: str,
    old: Value,
    new: object,
    run_id: str = "run",
    event: LogEvent = LogEvent.CARRIED,
) -> LogEntry:
    return LogEntry(at(minute), run_id, rec, field, source, target, old, new, event)  # type: ignore[arg-type]


BASE = {
    "1": {
        "Rec No.": 1,
        "Status": "In Progress",
        "Target Date": dt.date(2027, 3, 31),
        "Last Updated": dt.datetime(2026, 11, 2, 9, 30),
        "Notes": 15.0,
    },
    "2a": {
        "Rec No.": "2a",
        "Action": "Write guide\nthen publish — ✓",
        "Owner": None,
        "Notes": 2.5,
        "Section": Formula("=A1"),
        "Recommendation": '{"$date": "2027-01-01"}',
    },
    "3": {
        "Rec No.": 3,
        "Last Updated": dt.datetime(2026, 11, 2, 9, 30, tzinfo=ZoneInfo("Europe/London")),
        "Notes": 7,
    },
}


def test_a_fresh_state_is_empty_and_lives_in_the_state_folder(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "state"
    with State(folder) as state:
        assert state.base() is None
        assert state.runs() == []
        assert state.last_run() is None
        assert state.last_success() is None
        assert state.consecutive_failures() == 0
        assert state.change_log() == []
        assert state.unsent_reports() == []
        assert state.get_meta("anything") is None
    assert (folder / STATE_FILE).is_file()
    db = sqlite3.connect(folder / STATE_FILE)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    db.close()


def test_open_existing_finds_a_state_a_run_made_and_creates_none(tmp_path: Path) -> None:
    missing = tmp_path / "var" / "state"
    assert State.open_existing(missing) is None
    assert not (tmp_path / "var").exists()
    missing.mkdir(parents=True)
    assert State.open_existing(missing) is None
    assert list(missing.iterdir()) == []
    with State(missing) as state:
        run = state.start_run(dt.datetime(2026, 5, 6, 1, tzinfo=dt.UTC))
    found = State.open_existing(missing)
    assert found is not None
    with found:
        assert [r.run_id for r in found.runs()] == [run]


def test_the_base_round_trips_exactly_and_survives_reopening(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        run(state, 0, "ok", base=BASE)
        assert state.base() == BASE
    with State(tmp_path) as state:
        base = state.base()
    assert base == BASE
    for r, cells in BASE.items():
        for name, value in cells.items():
            assert type(base[r][name]) is type(value), (r, name)
    assert base["1"]["Notes"] == 15.0 and isinstance(base["1"]["Notes"], float)
    assert base["3"]["Last Updated"].utcoffset() == dt.timedelta(0)  # London in November
    assert base["2a"]["Recommendation"] == '{"$date": "2027-01-01"}'


def test_an_empty_plan_after_a_sync_is_an_empty_base_not_no_base(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        run(state, 0, "ok", base={})
        assert state.base() == {}


def test_a_run_without_a_base_keeps_the_previous_base(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        run(state, 0, "ok", base=BASE)
        run(state, 10, "failed", error="The sheet could not be reached.")
        assert state.base() == BASE
        run(state, 20, "ok", base={"1": {"Rec No.": 1}})
        assert state.base() == {"1": {"Rec No.": 1}}


def test_finish_run_is_one_transaction(tmp_path: Path) -> None:
    """A failure half-way through leaves the previous base, log and run record untouched."""
    with State(tmp_path) as state:
        run(
            state,
            0,
            "ok",
            base=BASE,
            log=[entry(0, "1", "Status", "sheet", "workbook", "a", "b")],
        )
        run_id = state.start_run(at(10))
        unstorable = entry(10, "1", "Status", "sheet", "workbook", "Planned", object())
        with pytest.raises(StateError, match="cannot be kept"):
            state.finish_run(
                run_id,
                status="ok",
                finished=at(11),
                base={"9": {"Rec No.": 9}},
                log=[unstorable],
            )
        assert state.base() == BASE
        assert len(state.change_log()) == 1
        assert state.runs()[0].status == "running"
        assert state.last_run().status == "ok"
    # The rollback also reached the file, not just this connection.
    with State(tmp_path) as state:
        assert state.base() == BASE


def test_runs_are_recorded_newest_first_with_aware_times(tmp_path: Path) -> None:
    london = ZoneInfo("Europe/London")
    with State(tmp_path) as state:
        first = run(state, 0, "ok", counts={"changes": 3, "conflicts": 0})
        second = run(
            state,
            60,
            "flagged",
            counts={"conflicts": 2},
            summary={"by_status": {"Planned": 4}, "as_of": dt.date(2026, 11, 27)},
        )
        third_id = state.start_run(dt.datetime(2026, 11, 27, 5, 0, tzinfo=london))
        state.finish_run(third_id, status="failed", finished=at(181), error="No network.")
        runs = state.runs()
        assert [r.run_id for r in runs] == [third_id, second, first]
        assert [r.run_id for r in state.runs(limit=2)] == [third_id, second]
        assert first < second < third_id  # ids sort by start time
        assert first.startswith("20261127T020000Z-")
        newest = runs[0]
        assert newest.started == at(180) and newest.started.tzinfo is not None
        assert newest.finished == at(181)
        assert (newest.status, newest.error) == ("failed", "No network.")
        assert runs[1].counts == {"conflicts": 2}
        assert runs[1].summary == {"by_status": {"Planned": 4}, "as_of": dt.date(2026, 11, 27)}
        assert runs[2].summary is None and runs[2].error is None
        assert state.last_run().run_id == third_id
        assert state.last_success().run_id == second  # a flagged run still reconciled


def test_run_ids_are_unique_within_one_second(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        ids = {state.start_run(T0) for _ in range(20)}
    assert len(ids) == 20


def test_a_run_left_running_by_a_dead_process_is_not_the_last_result(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        done = run(state, 0, "ok")
        stale = state.start_run(at(10))  # the process died here
    with State(tmp_path) as state:
        assert state.runs()[0].run_id == stale
        assert state.runs()[0].status == "running" and state.runs()[0].finished is None
        assert state.last_run().run_id == done
        assert state.last_success().run_id == done
        assert state.consecutive_failures() == 0


def test_consecutive_failures_count_back_from_the_newest_finished_run(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        run(state, 0, "failed")
        run(state, 10, "ok")
        assert state.consecutive_failures() == 0
        run(state, 20, "failed")
        run(state, 30, "failed")
        state.start_run(at(40))  # stale: neither a failure nor a success
        run(state, 50, "failed")
        assert state.consecutive_failures() == 3
        run(state, 60, "flagged")
        assert state.consecutive_failures() == 0


def test_the_change_log_keeps_values_and_is_newest_first(tmp_path: Path) -> None:
    day = dt.date(2027, 6, 30)
    with State(tmp_path) as state:
        first = state.start_run(at(0))
        state.finish_run(
            first,
            status="ok",
            finished=at(1),
            log=[  # newest first, as a plan gives them
                entry(0, "4", "Target Date", "sheet", "workbook", None, day, run_id=first),
                entry(0, "1", "Status", "workbook", "sheet", "Planned", "Complete", run_id=first),
            ],
        )
        second = state.start_run(at(10))
        state.finish_run(
            second,
            status="ok",
            finished=at(11),
            log=[
                entry(10, "2", "Notes", "sheet", "workbook", 15, 15.5, run_id=second),
                entry(
                    10, "3", "Owner", "sheet", "workbook", "Ann", "Bob", second, LogEvent.RESOLVED
                ),
            ],
        )
        log = state.change_log()
        assert [(e.run_id, e.rec_no, e.field, e.event) for e in log] == [
            (second, "2", "Notes", LogEvent.CARRIED),
            (second, "3", "Owner", LogEvent.RESOLVED),
            (first, "4", "Target Date", LogEvent.CARRIED),
            (first, "1", "Status", LogEvent.CARRIED),
        ]
        assert (log[0].source, log[0].target) == ("sheet", "workbook")
        assert (log[0].old, log[0].new) == (15, 15.5)
        assert log[2].old is None and log[2].new == day and type(log[2].new) is dt.date
        assert log[3].when == at(0)  # stamped with its run's start, as the tab shows it
        assert [e.field for e in state.change_log(limit=1)] == ["Notes"]


def test_meta_values_are_kept_and_replaced(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        state.set_meta("figures", "abc")
        state.set_meta("figures", "def")
        state.set_meta("other", "")
    with State(tmp_path) as state:
        assert state.get_meta("figures") == "def"
        assert state.get_meta("other") == ""


def test_reports_due_but_not_sent_are_remembered_until_sent(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        quiet = run(state, 0, "ok")  # no report was due
        failed_mail = run(state, 10, "flagged")
        later = run(state, 20, "flagged")
        state.mark_report_sent(failed_mail, False)
        state.mark_report_sent(later, False)
        assert state.unsent_reports() == [failed_mail, later]
        state.mark_report_sent(failed_mail)
        assert state.unsent_reports() == [later]
        sent = {r.run_id: r.report_sent for r in state.runs()}
        assert sent == {quiet: False, failed_mail: True, later: False}
        with pytest.raises(StateError, match="no run"):
            state.mark_report_sent("20990101T000000Z-0000")


def test_a_damaged_state_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_bytes(b"this is not a database, it was overwritten\n" * 200)
    with pytest.raises(StateError) as caught:
        State(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / STATE_FILE) in message
    assert "damaged" in message and "move it aside" in message
    assert message.endswith(".") and "\n" not in message


def test_a_state_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / STATE_FILE)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StateError, match="newer ccrc-sync"):
        State(tmp_path)


def test_a_state_folder_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    with pytest.raises(StateError, match="could not be created"):
        State(blocker / "state")


def test_misuse_is_reported_not_crashed(tmp_path: Path) -> None:
    state = State(tmp_path)
    with pytest.raises(StateError, match="no run"):
        state.finish_run("nope", status="ok", finished=T0)
    run_id = state.start_run(T0)
    with pytest.raises(ValueError, match="finishes as one of"):
        state.finish_run(run_id, status="running", finished=T0)
    state.close()
    state.close()  # closing twice is harmless
    with pytest.raises(StateError, match="closed"):
        state.base()


def test_a_reader_sees_committed_runs_while_another_connection_writes(tmp_path: Path) -> None:
    """`ccrc-sync status` may read while a sync is running."""
    with State(tmp_path) as writer, State(tmp_path) as reader:
        run_id = writer.start_run(T0)
        assert reader.runs()[0].status == "running"
        writer.finish_run(run_id, status="ok", finished=at(1), base=BASE)
        assert reader.last_run().run_id == run_id
        assert reader.base() == BASE


def test_a_version_1_state_keyed_by_numbers_keeps_its_base_and_log(tmp_path: Path) -> None:
    """A state written before Rec No. became a text key migrates with nothing lost."""
    db = sqlite3.connect(tmp_path / STATE_FILE)
    db.executescript(
        """
        CREATE TABLE base_info (id INTEGER PRIMARY KEY CHECK (id = 1), committed_run TEXT,
            committed_at TEXT NOT NULL);
        CREATE TABLE base_rows (rec_no INTEGER PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL UNIQUE,
            started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
            counts TEXT NOT NULL DEFAULT '{}', summary TEXT, error TEXT, report_sent INTEGER);
        CREATE TABLE change_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
            run_id TEXT NOT NULL, rec_no INTEGER NOT NULL, field TEXT NOT NULL,
            source TEXT NOT NULL, target TEXT NOT NULL, old TEXT NOT NULL, new TEXT NOT NULL);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO base_info VALUES (1, 'r1', '2026-11-01T02:00:00.000000+00:00');
        INSERT INTO base_rows VALUES (2, '{"Rec No.":2,"Owner":"Ann"}');
        INSERT INTO base_rows VALUES (10, '{"Rec No.":10,"Owner":"Bob"}');
        INSERT INTO change_log (at, run_id, rec_no, field, source, target, old, new)
            VALUES ('2026-11-01T02:00:00.000000+00:00', 'r1', 10, 'Owner', 'sheet',
                    'workbook', 'null', '"Bob"');
        PRAGMA user_version = 1;
        """
    )
    db.close()
    with State(tmp_path) as state:
        assert state.base() == {
            "2": {"Rec No.": 2, "Owner": "Ann"},
            "10": {"Rec No.": 10, "Owner": "Bob"},
        }
        assert [(e.rec_no, e.new, e.event) for e in state.change_log()] == [
            ("10", "Bob", LogEvent.CARRIED)
        ]
        assert state.fingerprints() == [] and state.marks() == {}


def test_fingerprints_and_marks_are_kept_with_the_run(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        first = run(state, 0, "ok", fingerprint="aaa", marks={("workbook", "1", "Owner"): "t1"})
        second = run(state, 10, "flagged", fingerprint="bbb", marks={})
        assert [(r, d) for r, _, d in state.fingerprints()] == [(second, "bbb"), (first, "aaa")]
        assert state.marks() == {}


def test_a_killed_run_is_marked_interrupted_at_the_next_start(tmp_path: Path) -> None:
    with State(tmp_path) as state:
        done = run(state, 0, "ok")
        killed = state.start_run(at(10))
    with State(tmp_path) as state:
        assert state.mark_interrupted() == [killed]
        assert state.runs()[0].status == "interrupted"
        assert state.last_run().run_id == done
