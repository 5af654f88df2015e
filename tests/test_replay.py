"""Fidelity: replay Google's recorded answers (../shared/cassettes) against the emulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ccrc_sync.emulator import Emulator
from ccrc_sync.emulator.replay import main

CASSETTES = Path(__file__).resolve().parents[2] / "shared" / "cassettes"


def test_recorded_cassettes_replay_without_failures(capsys: pytest.CaptureFixture[str]) -> None:
    if not CASSETTES.is_dir():
        pytest.skip(
            f"Google's recorded traffic (the cassettes) is not on this machine at {CASSETTES}, "
            "so the emulator cannot be compared with it"
        )
    with Emulator() as emu:
        code = main(["--base", emu.url, str(CASSETTES)])
    out = capsys.readouterr().out.splitlines()
    failures = [line for line in out if line.startswith("FAIL")]
    assert failures == []
    assert code == 0
    assert re.fullmatch(r"[1-9]\d* passed, 0 failed, \d+ skipped", out[-1]), out[-1]


# Cassettes recording what this round changed: field masks that empty a message, grid
# data limited to a range (and to its sheet), value writes and their counts, appends that
# grow the grid, and structural requests that move rows.
CHANGED = (
    "WorksheetTest.test_clear_tab_color",
    "WorksheetTest.test_get_notes_2nd_sheet",
    "WorksheetTest.test_worksheet_notes",
    "WorksheetTest.test_format",
    "WorksheetTest.test_batch_update",
    "WorksheetTest.test_update_cells",
    "WorksheetTest.test_append_row",
    "WorksheetTest.test_append_row_with_empty_value",
    "WorksheetTest.test_insert_cols",
    "WorksheetTest.test_delete_cols",
    "WorksheetTest.test_sort",
    "WorksheetTest.test_hide_columns_rows",
)


@pytest.mark.parametrize("name", CHANGED)
def test_cassettes_covering_this_rounds_changes_pass(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = CASSETTES / f"{name}.json"
    if not path.exists():
        pytest.skip(
            f"Google's recorded traffic for {name} is not on this machine ({path} is missing), "
            "so the emulator cannot be compared with it"
        )
    with Emulator() as emu:
        code = main(["--base", emu.url, str(path)])
    assert capsys.readouterr().out.splitlines()[0] == f"PASS {name}"
    assert code == 0


def test_replay_reports_a_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cassette whose recorded answer the server does not give is a FAIL with the reason."""
    sid = "1" + "x" * 43
    cassette = {
        "version": 1,
        "interactions": [
            _interaction(
                "POST",
                "https://www.googleapis.com/drive/v3/files",
                {"name": "T", "mimeType": "application/vnd.google-apps.spreadsheet"},
                200,
                {
                    "kind": "drive#file",
                    "id": sid,
                    "name": "T",
                    "mimeType": "application/vnd.google-apps.spreadsheet",
                },
            ),
            _interaction(
                "GET",
                f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/A1",
                None,
                200,
                {"range": "Sheet1!A1", "majorDimension": "ROWS", "values": [["not there"]]},
            ),
        ],
    }
    bad = tmp_path / "Fake.test_bad.json"
    bad.write_text(json.dumps(cassette), encoding="utf-8")
    skipped = tmp_path / "Fake.test_export.json"
    skipped.write_text(
        json.dumps(
            {
                "version": 1,
                "interactions": [
                    _interaction(
                        "GET",
                        f"https://www.googleapis.com/drive/v3/files/{sid}/export",
                        None,
                        200,
                        None,
                    )
                ],
            }
        ),
        encoding="utf-8",
    )
    with Emulator() as emu:
        code = main(["--base", emu.url, str(bad), str(skipped)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].startswith("FAIL Fake.test_bad: #1 GET ")
    assert "$.values: missing" in out[0]
    assert out[1].startswith("N/A Fake.test_export: ")
    assert out[-1] == "0 passed, 1 failed, 1 skipped"


def _interaction(method: str, uri: str, body: object, status: int, answer: object) -> dict:
    return {
        "request": {
            "method": method,
            "uri": uri,
            "body": None if body is None else json.dumps(body),
            "headers": {},
        },
        "response": {
            "status": {"code": status, "message": ""},
            "headers": {},
            "body": {"string": "" if answer is None else json.dumps(answer)},
        },
    }
