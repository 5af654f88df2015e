"""Fault injection, the request log and the ``serve()`` entry point, seen from outside."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from ccrc_sync.emulator import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _values_url(emu: Emulator, sid: str, rng: str = "Sheet1!A1") -> str:
    return f"{emu.url}/v4/spreadsheets/{sid}/values/{rng}"


@pytest.mark.parametrize(("kind", "status"), [("429", 429), ("500", 500), ("503", 503)])
def test_injected_error_answers(emu: Emulator, kind: str, status: int) -> None:
    sid = emu.create_spreadsheet()
    emu.fail_next(2, kind)
    first = requests.get(_values_url(emu, sid), timeout=5)
    second = requests.get(_values_url(emu, sid), timeout=5)
    third = requests.get(_values_url(emu, sid), timeout=5)
    assert [first.status_code, second.status_code, third.status_code] == [status, status, 200]
    assert first.json()["error"]["code"] == status
    assert [r.status for r in emu.requests] == [status, status, 200]


def test_dropped_connection(emu: Emulator) -> None:
    sid = emu.create_spreadsheet()
    emu.fail_next(1, "drop")
    with pytest.raises(requests.ConnectionError):
        requests.get(_values_url(emu, sid), timeout=5)
    assert requests.get(_values_url(emu, sid), timeout=5).status_code == 200
    assert [r.status for r in emu.requests] == [None, 200]


def test_slow_answer(emu: Emulator) -> None:
    sid = emu.create_spreadsheet()
    emu.fail_next(1, "slow", delay=0.4)
    started = time.monotonic()
    assert requests.get(_values_url(emu, sid), timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.4
    with pytest.raises(requests.Timeout):
        emu.fail_next(1, "slow", delay=0.5)
        requests.get(_values_url(emu, sid), timeout=0.1)


def test_faults_match_method_and_path(emu: Emulator) -> None:
    sid = emu.create_spreadsheet()
    emu.fail_next(1, "500", method="PUT", path_contains="/values/")
    assert requests.get(_values_url(emu, sid), timeout=5).status_code == 200
    put = requests.put(
        _values_url(emu, sid),
        params={"valueInputOption": "RAW"},
        json={"values": [["x"]]},
        timeout=5,
    )
    assert put.status_code == 500
    assert emu.get_values(sid, "Sheet1") == []  # the failed write was not applied
    emu.fail_next(1, "429", path_contains="values:batchGet")
    assert requests.get(f"{emu.url}/v4/spreadsheets/{sid}", timeout=5).status_code == 200
    batch = requests.get(
        f"{emu.url}/v4/spreadsheets/{sid}/values:batchGet", params={"ranges": "A1"}, timeout=5
    )
    assert batch.status_code == 429


def test_unknown_fault_kind_is_refused(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="fault kind"):
        emu.fail_next(1, "418")


def test_request_log_records_what_was_sent(emu: Emulator) -> None:
    sid = emu.create_spreadsheet()
    requests.put(
        _values_url(emu, sid, "'Sheet1'!B2"),
        params={"valueInputOption": "USER_ENTERED"},
        json={"values": [["1"]]},
        headers={"Authorization": "Bearer whatever"},
        timeout=5,
    )
    requests.get(
        _values_url(emu, sid, "Sheet1!A1:B2"), params={"majorDimension": "ROWS"}, timeout=5
    )
    log = emu.requests
    assert [(r.method, r.status) for r in log] == [("PUT", 200), ("GET", 200)]
    assert log[0].path == f"/v4/spreadsheets/{sid}/values/'Sheet1'!B2"
    assert log[0].query == {"valueInputOption": ["USER_ENTERED"]}
    assert log[0].body == {"values": [["1"]]}
    assert log[1].body is None
    emu.clear_log()
    assert emu.requests == []


def test_serve_prints_its_address_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    code = (
        "import sys; from pathlib import Path; from ccrc_sync.emulator import serve; "
        f"sys.exit(serve('127.0.0.1', 0, Path({str(data)!r})))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.removeprefix("listening on ")
        assert int(url.rsplit(":", 1)[1]) > 0
        created = requests.post(
            f"{url}/v4/spreadsheets", json={"properties": {"title": "T"}}, timeout=5
        )
        assert created.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    saved = json.loads(data.read_text(encoding="utf-8"))
    assert [s["properties"]["title"] for s in saved["spreadsheets"]] == ["T"]


def test_serve_stops_on_ctrl_c() -> None:
    code = "import sys; from ccrc_sync.emulator import serve; sys.exit(serve('127.0.0.1', 0, None))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()


def _tagged_plan(emu: Emulator) -> str:
    """A sheet of three recommendations, each row tagged with developer metadata rec=N."""
    sid = emu.create_spreadsheet("Paused", sheets=("Plan",))
    emu.set_values(
        sid, "Plan", "A1", [["Rec", "Status"], ["1", "Planned"], ["2", "Planned"], ["3", "Done"]]
    )
    emu.batch_update(
        sid,
        [
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": "rec",
                        "metadataValue": str(row),
                        "visibility": "DOCUMENT",
                        "location": {
                            "dimensionRange": {
                                "dimension": "ROWS",
                                "startIndex": row,
                                "endIndex": row + 1,
                            }
                        },
                    }
                }
            }
            for row in (1, 2, 3)
        ],
    )
    return sid


def _in_background(
    call: Callable[[], requests.Response],
) -> tuple[threading.Thread, list[requests.Response]]:
    answers: list[requests.Response] = []
    thread = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    thread.start()
    return thread, answers


def test_a_paused_write_is_applied_to_the_sheet_as_edited_meanwhile(emu: Emulator) -> None:
    sid = _tagged_plan(emu)
    held = emu.pause_next(method="POST", path_contains=":batchUpdateByDataFilter")
    body = {
        "valueInputOption": "USER_ENTERED",
        "data": [
            {
                "dataFilter": {
                    "developerMetadataLookup": {"metadataKey": "rec", "metadataValue": "1"}
                },
                "values": [[None, "Complete"]],
            }
        ],
    }
    url = f"{emu.url}/v4/spreadsheets/{sid}/values:batchUpdateByDataFilter"
    thread, answers = _in_background(lambda: requests.post(url, json=body, timeout=10))
    assert held.wait_arrived(10)
    assert held.request is not None and held.request["body"] == body
    assert emu.get_values(sid, "Plan", "B2") == [["Planned"]]  # held: not applied yet
    emu.sort_range(sid, "Plan", "A2:B4", "A", descending=True)  # rec 1 moves to row 4
    held.release()
    thread.join(10)
    assert answers[0].status_code == 200
    assert answers[0].json()["responses"][0]["updatedRange"] == "Plan!A4:B4"
    assert emu.get_values(sid, "Plan", "A2:B4") == [
        ["3", "Done"],
        ["2", "Planned"],
        ["1", "Complete"],
    ]
    assert [r.status for r in emu.requests] == [200]


def test_a_paused_positional_write_lands_where_the_row_was(emu: Emulator) -> None:
    """Why addressing by metadata matters: a write to B2 hits whatever row is there now."""
    sid = _tagged_plan(emu)
    held = emu.pause_next(method="PUT")
    url = f"{emu.url}/v4/spreadsheets/{sid}/values/Plan!B2"
    thread, answers = _in_background(
        lambda: requests.put(
            url, params={"valueInputOption": "RAW"}, json={"values": [["Complete"]]}, timeout=10
        )
    )
    assert held.wait_arrived(10)
    emu.sort_range(sid, "Plan", "A2:B4", "A", descending=True)
    held.release()
    thread.join(10)
    assert answers[0].status_code == 200
    assert emu.get_values(sid, "Plan", "A2:B4") == [
        ["3", "Complete"],
        ["2", "Planned"],
        ["1", "Planned"],
    ]


def test_pause_matches_only_its_request_and_stop_lets_a_held_one_go(emu: Emulator) -> None:
    sid = emu.create_spreadsheet()
    held = emu.pause_next(method="POST", path_contains=":batchUpdate")
    assert requests.get(_values_url(emu, sid), timeout=5).status_code == 200  # not held
    assert held.wait_arrived(0) is False
    url = f"{emu.url}/v4/spreadsheets/{sid}:batchUpdate"
    thread, answers = _in_background(lambda: requests.post(url, json={"requests": []}, timeout=10))
    assert held.wait_arrived(10)
    emu.stop()
    thread.join(10)
    assert not thread.is_alive()
    assert answers and answers[0].status_code == 200
