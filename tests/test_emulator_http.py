"""The emulator over real HTTP, driven by the real gspread client (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import google.auth.credentials
import gspread
import pytest
import requests
from gspread.http_client import HTTPClient

from ccrc_sync.emulator import Emulator

GOOGLE = ("https://sheets.googleapis.com", "https://www.googleapis.com")


def gspread_client(emu: Emulator) -> gspread.Client:
    """A gspread client whose requests go to the emulator instead of Google."""

    class ToEmulator(HTTPClient):
        def request(self, method, endpoint, *args, **kwargs):  # type: ignore[no-untyped-def]
            for host in GOOGLE:
                endpoint = endpoint.replace(host, emu.url)
            return super().request(method, endpoint, *args, **kwargs)

    return gspread.Client(
        auth=google.auth.credentials.AnonymousCredentials(), http_client=ToEmulator
    )


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def gc(emu: Emulator) -> gspread.Client:
    return gspread_client(emu)


@pytest.fixture
def sheet(emu: Emulator, gc: gspread.Client) -> gspread.Spreadsheet:
    sid = emu.create_spreadsheet("Plan", sheets=("Action Plan", "Notes"))
    return gc.open_by_key(sid)


def test_create_open_and_delete_through_drive(emu: Emulator, gc: gspread.Client) -> None:
    created = gc.create("Board report")
    assert created.title == "Board report"
    assert [ws.title for ws in created.worksheets()] == ["Sheet1"]
    assert gc.open("Board report").id == created.id
    assert created.id in [f["id"] for f in gc.list_spreadsheet_files()]
    gc.del_spreadsheet(created.id)
    assert emu.requests[-1].status == 204
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open("Board report")


def test_raw_keeps_text_and_user_entered_parses(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    ws = sheet.worksheet("Action Plan")
    row = ['=HYPERLINK("x")', "+44 20 7946 0000", "-", "@team", "007", "TRUE"]
    ws.update([row], "A1", value_input_option="RAW")
    assert ws.get("A1:F1", value_render_option="UNFORMATTED_VALUE") == [row]
    ws.update([["42", "TRUE", "'007", "=1+2", "50%"]], "A2", value_input_option="USER_ENTERED")
    assert ws.get("A2:E2") == [["42", "TRUE", "007", "3", "50%"]]
    assert ws.get("A2:E2", value_render_option="UNFORMATTED_VALUE") == [[42, True, "007", 3, 0.5]]
    assert ws.get("D2", value_render_option="FORMULA") == [["=1+2"]]


def test_unicode_and_multiline_text_round_trip(sheet: gspread.Spreadsheet) -> None:
    ws = sheet.worksheet("Action Plan")
    text = ["Überprüfung – 🌵", "line one\nline two", "日本語"]
    ws.update([text], "A1", value_input_option="RAW")
    assert ws.get_all_values() == [text]


def test_dates_entered_as_iso_render_as_iso(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    ws = sheet.worksheet("Action Plan")
    ws.update([["2027-03-31", "3/31/2027"]], "A1", value_input_option="USER_ENTERED")
    assert ws.get("A1:B1") == [["2027-03-31", "3/31/2027"]]
    assert ws.get("A1:B1", value_render_option="UNFORMATTED_VALUE") == [[46477, 46477]]
    assert ws.get(
        "A1", value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING"
    ) == [["2027-03-31"]]
    assert emu.cell_format(sheet.id, "Action Plan", "A1")["numberFormat"]["type"] == "DATE"


def test_trailing_empties_are_trimmed_and_empty_ranges_omit_values(
    emu: Emulator, sheet: gspread.Spreadsheet
) -> None:
    ws = sheet.worksheet("Action Plan")
    ws.update([["a", "", ""], ["", "", ""], ["", "b", ""], ["", "", ""]], "A1")
    body = sheet.values_get("'Action Plan'!A1:D10")
    assert body["range"] == "'Action Plan'!A1:D10"
    assert body["values"] == [["a"], [], ["", "b"]]
    empty = sheet.values_get("Notes!A1:B2")
    assert "values" not in empty
    assert emu.get_values(sheet.id, "Action Plan") == [["a"], [], ["", "b"]]


def test_a1_forms(emu: Emulator, gc: gspread.Client) -> None:
    sid = emu.create_spreadsheet("A1", sheets=("My 'tab'",))
    sh = gc.open_by_key(sid)
    emu.set_values(sid, "My 'tab'", "A1", [["h1", "h2"], ["1", "2"], ["3", "4"]])
    assert sh.values_get("'My ''tab'''!A2:B")["values"] == [["1", "2"], ["3", "4"]]
    assert sh.values_get("'My ''tab'''!A2:B")["range"] == "'My ''tab'''!A2:B1000"
    assert sh.values_get("'My ''tab'''!B:B")["values"] == [["h2"], ["2"], ["4"]]
    assert sh.values_get("'My ''tab'''!2:3")["values"] == [["1", "2"], ["3", "4"]]
    assert sh.values_get("'My ''tab'''")["range"] == "'My ''tab'''!A1:Z1000"
    assert sh.values_get("A1:B1")["values"] == [["h1", "h2"]]  # first sheet by default
    columns = sh.values_get("'My ''tab'''!A1:B3", params={"majorDimension": "COLUMNS"})
    assert columns["values"] == [["h1", "1", "3"], ["h2", "2", "4"]]


def test_errors_have_googles_shape(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    base = f"{emu.url}/v4/spreadsheets"
    missing = requests.get(f"{base}/nope", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"
    bad_tab = requests.get(f"{base}/{sheet.id}/values/Nowhere!A1", timeout=5)
    assert bad_tab.status_code == 400
    assert bad_tab.json()["error"] == {
        "code": 400,
        "message": "Unable to parse range: Nowhere!A1",
        "status": "INVALID_ARGUMENT",
    }
    too_far = requests.get(f"{base}/{sheet.id}/values/Notes!A1:Z1001", timeout=5)
    assert too_far.status_code == 400
    assert (
        "exceeds grid limits. Max rows: 1000, max columns: 26" in too_far.json()["error"]["message"]
    )
    no_option = requests.put(
        f"{base}/{sheet.id}/values/Notes!A1", json={"values": [[1]]}, timeout=5
    )
    assert no_option.status_code == 400


def test_update_counts_what_was_written_and_never_grows_the_grid(
    emu: Emulator, sheet: gspread.Spreadsheet
) -> None:
    ws = sheet.worksheet("Notes")
    ws.resize(rows=10, cols=5)
    result = ws.update([["a", None, "c"], [None, None, None], ["g", "", None]], "A1")
    assert result["updatedRange"] == "Notes!A1:C3"
    # Null cells are skipped; the empty string in B3 is a write. Rows 1 and 3, columns A-C.
    assert (result["updatedRows"], result["updatedColumns"], result["updatedCells"]) == (2, 3, 4)
    column_b = ws.update([[None, "b"], [None, None]], "A5")
    assert (column_b["updatedRange"], column_b["updatedColumns"]) == ("Notes!A5:B6", 1)
    with pytest.raises(gspread.exceptions.APIError) as refused:
        ws.update([["x"]], "F11")
    assert refused.value.response.json()["error"] == {
        "code": 400,
        "message": "Range ('Notes'!F11) exceeds grid limits. Max rows: 10, max columns: 5",
        "status": "INVALID_ARGUMENT",
    }
    with pytest.raises(gspread.exceptions.APIError) as beyond:
        sheet.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Notes!A1", "values": [["kept out"]]},
                    {"range": "Notes!E10", "values": [["e10", "f10"]]},
                ],
            }
        )
    assert emu.sheet_properties(sheet.id, "Notes")["gridProperties"] == {
        "rowCount": 10,
        "columnCount": 5,
    }
    assert beyond.value.response.json()["error"]["message"] == (
        "Range ('Notes'!E10:F10) exceeds grid limits. Max rows: 10, max columns: 5"
    )
    assert emu.get_values(sheet.id, "Notes", "A1") == [["a"]]  # the batch changed nothing
    with pytest.raises(gspread.exceptions.APIError) as wider:
        sheet.values_update("Notes!A1:B1", {"valueInputOption": "RAW"}, {"values": [[1, 2, 3]]})
    assert wider.value.response.json()["error"]["message"] == (
        "Requested writing within range [Notes!A1:B1], but tried writing to column [C]"
    )
    with pytest.raises(gspread.exceptions.APIError) as cleared:
        sheet.values_batch_clear(body={"ranges": ["Notes!A1", "Notes!A1:A11"]})
    assert cleared.value.response.json()["error"]["message"] == (
        "Range ('Notes'!A1:A11) exceeds grid limits. Max rows: 10, max columns: 5"
    )
    assert emu.get_values(sheet.id, "Notes", "A1") == [["a"]]


def test_append_finds_the_table_and_expands(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    ws = sheet.worksheet("Notes")
    ws.resize(rows=2)
    ws.append_row(["h1", "h2"])
    ws.append_row(["a", "b"])
    result = ws.append_row(["c", "d"])
    assert result["tableRange"] == "Notes!A1:B2"
    assert result["updates"]["updatedRange"] == "Notes!A3:B3"
    assert emu.get_values(sheet.id, "Notes") == [["h1", "h2"], ["a", "b"], ["c", "d"]]
    assert emu.sheet_properties(sheet.id, "Notes")["gridProperties"]["rowCount"] == 3


def quote(title: str) -> str:
    """A tab title as Google writes it in a range: quoted when it has spaces."""
    return f"'{title}'" if " " in title else title


def test_append_to_a_bounded_range_goes_after_the_whole_table(
    emu: Emulator, sheet: gspread.Spreadsheet
) -> None:
    ws = sheet.sheet1
    ws.update([["a", "b"], ["c", "d"], ["e", "f"]], "A1")
    result = ws.append_rows([["g", "h"]], table_range="A1:B1")
    assert result["tableRange"] == f"{quote(ws.title)}!A1:B3"
    assert result["updates"]["updatedRange"] == f"{quote(ws.title)}!A4:B4"
    assert ws.get_all_values()[:4] == [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]]


def test_batch_get_update_and_clear(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    result = sheet.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [
                {"range": "'Action Plan'!A1:B1", "values": [["a", "b"]]},
                {"range": "Notes!C3", "values": [["c"]]},
            ],
        }
    )
    assert result["totalUpdatedCells"] == 3
    assert result["totalUpdatedSheets"] == 2
    emu.clear_log()
    got = sheet.values_batch_get(["'Action Plan'!A1:B1", "Notes!C3", "Notes!A1:A2"])
    assert len(emu.requests) == 1 and emu.requests[0].path.endswith("values:batchGet")
    assert emu.requests[0].query["ranges"] == ["'Action Plan'!A1:B1", "Notes!C3", "Notes!A1:A2"]
    assert [vr.get("values") for vr in got["valueRanges"]] == [[["a", "b"]], [["c"]], None]
    cleared = sheet.values_batch_clear(body={"ranges": ["Notes"]})
    assert cleared["clearedRanges"] == ["Notes!A1:Z1000"]
    assert emu.get_values(sheet.id, "Notes") == []
    assert emu.get_values(sheet.id, "Action Plan") == [["a", "b"]]


def test_structural_batch_update(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    plan_id = emu.sheet_properties(sheet.id, "Action Plan")["sheetId"]
    emu.set_values(sheet.id, "Action Plan", "A1", [["Status"], ["Open"], ["Closed"]])
    rule = {
        "condition": {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": "Open"}, {"userEnteredValue": "Closed"}],
        },
        "strict": True,
        "showCustomUi": True,
    }
    reply = sheet.batch_update(
        {
            "requests": [
                {"addSheet": {"properties": {"title": "Summary"}}},
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": plan_id, "gridProperties": {"frozenRowCount": 1}},
                        "fields": "gridProperties.frozenRowCount",
                    }
                },
                {
                    "setDataValidation": {
                        "range": {
                            "sheetId": plan_id,
                            "startRowIndex": 1,
                            "endRowIndex": 3,
                            "startColumnIndex": 0,
                            "endColumnIndex": 1,
                        },
                        "rule": rule,
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": plan_id, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold",
                    }
                },
                {
                    "autoResizeDimensions": {
                        "dimensions": {"sheetId": plan_id, "dimension": "COLUMNS"}
                    }
                },
                {
                    "addChart": {
                        "chart": {
                            "spec": {"title": "By status", "pieChart": {}},
                            "position": {"overlayPosition": {"anchorCell": {"sheetId": plan_id}}},
                        }
                    }
                },
            ]
        }
    )
    replies = reply["replies"]
    assert replies[0]["addSheet"]["properties"]["title"] == "Summary"
    assert replies[1] == {} and replies[2] == {}
    assert replies[5]["addChart"]["chart"]["chartId"]
    props = emu.sheet_properties(sheet.id, "Action Plan")
    assert props["gridProperties"]["frozenRowCount"] == 1
    assert emu.data_validations(sheet.id, "Action Plan") == {"A2": rule, "A3": rule}
    assert emu.charts(sheet.id, "Action Plan")[0]["spec"]["title"] == "By status"
    assert emu.cell_format(sheet.id, "Action Plan", "A1")["textFormat"]["bold"] is True
    assert [ws.title for ws in sheet.worksheets()] == ["Action Plan", "Notes", "Summary"]


def test_batch_update_is_atomic(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    with pytest.raises(gspread.exceptions.APIError) as info:
        sheet.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "New"}}},
                    {"addSheet": {"properties": {"title": "Notes"}}},
                ]
            }
        )
    assert "requests[1].addSheet" in str(info.value)
    assert "already exists" in str(info.value)
    assert [ws.title for ws in sheet.worksheets()] == ["Action Plan", "Notes"]


def test_dimensions_insert_delete_append(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    ws = sheet.worksheet("Notes")
    ws.update([["1"], ["2"], ["3"]], "A1")
    ws.insert_rows([["new"]], row=2)
    assert emu.get_values(sheet.id, "Notes") == [["1"], ["new"], ["2"], ["3"]]
    ws.delete_rows(1)
    assert emu.get_values(sheet.id, "Notes") == [["new"], ["2"], ["3"]]
    ws.add_rows(5)
    assert emu.sheet_properties(sheet.id, "Notes")["gridProperties"]["rowCount"] == 1005
    ws.delete_columns(2)
    assert emu.sheet_properties(sheet.id, "Notes")["gridProperties"]["columnCount"] == 25


def test_delete_sheet_and_metadata_with_grid_data(
    emu: Emulator, sheet: gspread.Spreadsheet
) -> None:
    emu.set_values(sheet.id, "Notes", "B2", [["x"]])
    meta = sheet.fetch_sheet_metadata({"includeGridData": "true", "ranges": "Notes!A1:C3"})
    data = meta["sheets"][0]["data"][0]
    assert data["rowData"][1]["values"][1]["formattedValue"] == "x"
    sheet.del_worksheet(sheet.worksheet("Notes"))
    assert [ws.title for ws in sheet.worksheets()] == ["Action Plan"]


def test_direct_helpers_simulate_a_person(emu: Emulator) -> None:
    sid = "fixed-id-for-demo"
    emu.ensure_spreadsheet(sid, title="Demo")
    emu.ensure_spreadsheet(sid, title="Ignored")
    emu.set_values(
        sid, "Sheet1", "A1", [["'=not a formula", "2027-01-05", "=A3*2"], ["", "", ""], ["21"]]
    )
    assert emu.get_values(sid, "Sheet1", "A1:C1") == [["=not a formula", "2027-01-05", "42"]]
    emu.set_values(sid, "Sheet1", "A2", [["=x"]], user_entered=False)
    assert emu.get_values(sid, "Sheet1", "A2") == [["=x"]]


def test_data_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "sheets.json"
    with Emulator(data_path=data) as first:
        sid = first.create_spreadsheet("Kept", sheets=("Plan",))
        gc = gspread_client(first)
        gc.open_by_key(sid).worksheet("Plan").update(
            [["kept", "2027-03-31"]], "A1", value_input_option="USER_ENTERED"
        )
    assert data.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".emulator-")]
    with Emulator(data_path=data) as second:
        assert second.get_values(sid, "Plan") == [["kept", "2027-03-31"]]
        ws = gspread_client(second).open_by_key(sid).worksheet("Plan")
        assert ws.title == "Plan"


def test_values_batch_update_is_all_or_nothing(emu: Emulator, sheet: gspread.Spreadsheet) -> None:
    with pytest.raises(gspread.exceptions.APIError) as refused:
        sheet.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Notes!A1", "values": [["first"]]},
                    {"range": "Missing!A1", "values": [["second"]]},
                ],
            }
        )
    assert refused.value.response.json()["error"] == {
        "code": 400,
        "message": "Unable to parse range: Missing!A1",
        "status": "INVALID_ARGUMENT",
    }
    assert emu.get_values(sheet.id, "Notes") == []


def test_a_failed_batch_leaves_every_cell_as_it_was(
    emu: Emulator, sheet: gspread.Spreadsheet
) -> None:
    """The batch runs on a copy sharing cell dicts: no request may change one in place."""
    plan_id = emu.sheet_properties(sheet.id, "Action Plan")["sheetId"]
    emu.set_values(sheet.id, "Action Plan", "A1", [["old text", "merge me", "and me"]])
    whole_row = {
        "sheetId": plan_id,
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": 3,
    }
    with pytest.raises(gspread.exceptions.APIError, match=r"requests\[4\]\.addSheet"):
        sheet.batch_update(
            {
                "requests": [
                    {"findReplace": {"find": "old", "replacement": "new", "allSheets": True}},
                    {"mergeCells": {"range": whole_row, "mergeType": "MERGE_ALL"}},
                    {
                        "repeatCell": {
                            "range": whole_row,
                            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                            "fields": "userEnteredFormat.textFormat.bold",
                        }
                    },
                    {"sortRange": {"range": whole_row, "sortSpecs": [{"dimensionIndex": 0}]}},
                    {"addSheet": {"properties": {"title": "Notes"}}},
                ]
            }
        )
    assert emu.get_values(sheet.id, "Action Plan") == [["old text", "merge me", "and me"]]
    assert emu.cell_format(sheet.id, "Action Plan", "A1") == {}
    assert "merges" not in emu.sheet_resource(sheet.id, "Action Plan")
