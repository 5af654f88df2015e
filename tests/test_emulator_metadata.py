"""Developer metadata and data filters over real HTTP, as the Sheets reference documents them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ccrc_sync.emulator import Emulator

ROWS = [
    ["Rec", "Action", "Status", "Owner"],
    ["1", "Publish the plan", "Planned", "Ann"],
    ["2", "Train staff", "Complete", "Bob"],
    ["3", "Review cases", "Planned", "Cy"],
    ["4", "Report to board", "In Progress", "Di"],
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


class Api:
    """Google's paths over HTTP for one spreadsheet; answers as (status, JSON)."""

    def __init__(self, emu: Emulator, sid: str) -> None:
        self.base = f"{emu.url}/v4/spreadsheets/{sid}"
        self.sid = sid

    def call(self, method: str, tail: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        resp = requests.request(method, self.base + tail, json=body, params=params, timeout=10)
        return resp.status_code, resp.json() if resp.content else None

    def ok(self, method: str, tail: str, body: Any = None, **params: Any) -> Any:
        status, payload = self.call(method, tail, body, **params)
        assert status == 200, payload
        return payload

    def batch(self, *requests_: dict[str, Any]) -> list[dict[str, Any]]:
        replies: list[dict[str, Any]] = self.ok("POST", ":batchUpdate", {"requests": requests_})[
            "replies"
        ]
        return replies


def row_metadata(row: int, key: str, value: str, sheet_id: int = 0) -> dict[str, Any]:
    location = {
        "dimensionRange": {
            "sheetId": sheet_id,
            "dimension": "ROWS",
            "startIndex": row,
            "endIndex": row + 1,
        }
    }
    meta = {"metadataKey": key, "metadataValue": value, "location": location}
    return {"createDeveloperMetadata": {"developerMetadata": {**meta, "visibility": "DOCUMENT"}}}


@pytest.fixture
def api(emu: Emulator) -> Api:
    """A 6x4 "Plan" tab (sheetId 0) with four recommendations, each row tagged rec=N."""
    sid = emu.create_spreadsheet("Plan", sheets=("Plan", "Notes"))
    client = Api(emu, sid)
    client.batch(
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"rowCount": 6, "columnCount": 4}},
                "fields": "gridProperties(rowCount,columnCount)",
            }
        }
    )
    emu.set_values(sid, "Plan", "A1", ROWS)
    client.batch(*(row_metadata(r, "rec", ROWS[r][0]) for r in range(1, 5)))
    return client


def rec_row(api: Api, emu: Emulator, rec: str) -> int:
    """The 1-based row where rec ``rec`` is now, found through its metadata."""
    found = api.ok(
        "POST",
        "/developerMetadata:search",
        {
            "dataFilters": [
                {"developerMetadataLookup": {"metadataKey": "rec", "metadataValue": rec}}
            ]
        },
    )
    (match,) = found["matchedDeveloperMetadata"]
    return int(match["developerMetadata"]["location"]["dimensionRange"]["startIndex"]) + 1


def by_rec(rec: str) -> dict[str, Any]:
    return {"developerMetadataLookup": {"metadataKey": "rec", "metadataValue": rec}}


# --- creating, reading, validating ----------------------------------------------------------


def test_create_replies_with_the_metadata_and_its_location(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("M", sheets=("Sheet1", "Other"))
    api = Api(emu, sid)
    other = emu.sheet_properties(sid, "Other")["sheetId"]
    replies = api.batch(
        row_metadata(6, "Sales", "2022"),
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataId": 77,
                    "metadataKey": "synced-by",
                    "location": {"spreadsheet": True},
                    "visibility": "PROJECT",
                }
            }
        },
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "tab",
                    "metadataValue": "other",
                    "location": {"sheetId": other},
                    "visibility": "DOCUMENT",
                }
            }
        },
    )
    created = replies[0]["createDeveloperMetadata"]["developerMetadata"]
    assert created["metadataId"] > 0
    assert created == {
        "metadataId": created["metadataId"],
        "metadataKey": "Sales",
        "metadataValue": "2022",
        "location": {
            "locationType": "ROW",
            "dimensionRange": {"dimension": "ROWS", "startIndex": 6, "endIndex": 7},
        },
        "visibility": "DOCUMENT",
    }
    assert replies[1]["createDeveloperMetadata"]["developerMetadata"] == {
        "metadataId": 77,
        "metadataKey": "synced-by",
        "location": {"locationType": "SPREADSHEET", "spreadsheet": True},
        "visibility": "PROJECT",
    }
    assert replies[2]["createDeveloperMetadata"]["developerMetadata"]["location"] == {
        "locationType": "SHEET",
        "sheetId": other,
    }
    assert api.ok("GET", f"/developerMetadata/{created['metadataId']}") == created
    status, missing = api.call("GET", "/developerMetadata/12345")
    assert (status, missing["error"]["status"]) == (404, "NOT_FOUND")


def test_spreadsheet_get_shows_metadata_where_it_is_attached(api: Api, emu: Emulator) -> None:
    api.batch(
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataId": 5,
                    "metadataKey": "marker",
                    "metadataValue": "ccrc-sync",
                    "location": {"spreadsheet": True},
                    "visibility": "DOCUMENT",
                }
            }
        },
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataId": 6,
                    "metadataKey": "plan-tab",
                    "location": {"sheetId": 0},
                    "visibility": "DOCUMENT",
                }
            }
        },
    )
    body = api.ok(
        "GET",
        "",
        ranges="Plan!A2:B3",
        fields="developerMetadata,sheets(developerMetadata,data(rowMetadata(developerMetadata)))",
    )
    assert body["developerMetadata"] == [
        {
            "metadataId": 5,
            "metadataKey": "marker",
            "metadataValue": "ccrc-sync",
            "location": {"locationType": "SPREADSHEET", "spreadsheet": True},
            "visibility": "DOCUMENT",
        }
    ]
    (plan,) = body["sheets"]
    assert plan["developerMetadata"][0]["location"] == {"locationType": "SHEET", "sheetId": 0}
    rows = plan["data"][0]["rowMetadata"]
    assert [[m["metadataValue"] for m in r["developerMetadata"]] for r in rows] == [["1"], ["2"]]
    assert rows[1]["developerMetadata"][0]["location"]["dimensionRange"] == {
        "dimension": "ROWS",
        "startIndex": 2,
        "endIndex": 3,
    }


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            {"location": {"spreadsheet": True}, "visibility": "DOCUMENT"},
            "Developer metadata must always have a key specified.",
        ),
        (
            {"metadataKey": "k", "location": {"spreadsheet": True}},
            "Developer metadata must always have visibility specified.",
        ),
        (
            {"metadataKey": "k", "visibility": "DOCUMENT"},
            "Developer metadata must always have a location specified.",
        ),
        (
            {
                "metadataKey": "k",
                "visibility": "DOCUMENT",
                "location": {"dimensionRange": {"dimension": "ROWS", "startIndex": 1}},
            },
            "The specified DimensionRange must represent a single row or column. It cannot be "
            "unbounded or span multiple rows or columns.",
        ),
        (
            {
                "metadataId": 9,
                "metadataKey": "k",
                "visibility": "DOCUMENT",
                "location": {"spreadsheet": True},
            },
            "Developer metadata with ID 9 already exists.",
        ),
    ],
)
def test_invalid_metadata_is_refused_and_nothing_is_created(
    api: Api, emu: Emulator, metadata: dict[str, Any], message: str
) -> None:
    first = {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataId": 9,
                "metadataKey": "first",
                "location": {"spreadsheet": True},
                "visibility": "DOCUMENT",
            }
        }
    }
    if "metadataId" in metadata:
        api.batch(first)
        first = row_metadata(5, "ok", "ok")
    before = emu.developer_metadata(api.sid)
    status, body = api.call(
        "POST",
        ":batchUpdate",
        {"requests": [first, {"createDeveloperMetadata": {"developerMetadata": metadata}}]},
    )
    assert status == 400
    assert body["error"]["message"] == f"Invalid requests[1].createDeveloperMetadata: {message}"
    assert emu.developer_metadata(api.sid) == before


# --- metadata stays with its row ------------------------------------------------------------


def test_row_metadata_moves_with_inserted_deleted_and_moved_rows(api: Api, emu: Emulator) -> None:
    emu.insert_rows(api.sid, "Plan", 2)  # above rec 1
    assert [rec_row(api, emu, r) for r in "1234"] == [3, 4, 5, 6]
    api.batch(
        {
            "moveDimension": {
                "source": {"sheetId": 0, "dimension": "ROWS", "startIndex": 5, "endIndex": 6},
                "destinationIndex": 2,
            }
        }
    )
    assert emu.get_values(api.sid, "Plan", "A3:A6") == [["4"], ["1"], ["2"], ["3"]]
    assert [rec_row(api, emu, r) for r in "4123"] == [3, 4, 5, 6]
    api.batch(
        {
            "deleteDimension": {
                "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 3, "endIndex": 4}
            }
        },
        {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 3}},
    )
    found = api.ok("POST", "/developerMetadata:search", {"dataFilters": [by_rec("1")]})
    assert found == {}  # rec 1's row was deleted, and its metadata with it
    assert [rec_row(api, emu, r) for r in "423"] == [3, 4, 5]


def test_sort_moves_row_metadata_with_the_rows(api: Api, emu: Emulator) -> None:
    emu.sort_range(api.sid, "Plan", "A2:D5", "C", descending=True)
    assert emu.get_values(api.sid, "Plan", "A2:C5") == [
        ["1", "Publish the plan", "Planned"],
        ["3", "Review cases", "Planned"],
        ["4", "Report to board", "In Progress"],
        ["2", "Train staff", "Complete"],
    ]
    assert {r: rec_row(api, emu, r) for r in "1234"} == {"1": 2, "3": 3, "4": 4, "2": 5}


# --- search, update, delete -----------------------------------------------------------------


def test_search_by_lookup_and_by_location(api: Api) -> None:
    def search(*filters: dict[str, Any]) -> list[tuple[str, int]]:
        found = api.ok("POST", "/developerMetadata:search", {"dataFilters": list(filters)})
        return [
            (
                m["developerMetadata"]["metadataValue"],
                len(m["dataFilters"]),
            )
            for m in found.get("matchedDeveloperMetadata", [])
        ]

    assert search({"developerMetadataLookup": {"metadataKey": "rec"}}) == [
        ("1", 1),
        ("2", 1),
        ("3", 1),
        ("4", 1),
    ]
    assert search({"a1Range": "Plan!B3:C4"}) == [("2", 1), ("3", 1)]
    rows_2_to_4 = {
        "sheetId": 0,
        "dimension": "ROWS",
        "startIndex": 2,
        "endIndex": 4,
    }
    exact = {
        "developerMetadataLookup": {
            "metadataLocation": {"dimensionRange": rows_2_to_4},
            "locationMatchingStrategy": "EXACT_LOCATION",
        }
    }
    intersecting = {
        "developerMetadataLookup": {"metadataLocation": {"dimensionRange": rows_2_to_4}}
    }
    assert search(exact) == []  # no entry sits on exactly rows 3-4 as one location
    assert search(intersecting, by_rec("3")) == [("2", 1), ("3", 2)]
    assert search({"gridRange": {"sheetId": 0, "startRowIndex": 4, "endRowIndex": 5}}) == [("4", 1)]
    status, body = api.call(
        "POST",
        "/developerMetadata:search",
        {
            "dataFilters": [
                {"developerMetadataLookup": {"locationMatchingStrategy": "EXACT_LOCATION"}}
            ]
        },
    )
    assert status == 400 and "metadataLocation must be specified" in body["error"]["message"]


def test_update_and_delete_reply_with_what_they_changed(api: Api) -> None:
    replies = api.batch(
        {
            "updateDeveloperMetadata": {
                "dataFilters": [by_rec("2")],
                "developerMetadata": {
                    "metadataValue": "2a",
                    "location": {
                        "dimensionRange": {
                            "sheetId": 0,
                            "dimension": "ROWS",
                            "startIndex": 5,
                            "endIndex": 6,
                        }
                    },
                },
                "fields": "metadataValue,location",
            }
        },
        {"deleteDeveloperMetadata": {"dataFilter": by_rec("4")}},
    )
    (updated,) = replies[0]["updateDeveloperMetadata"]["developerMetadata"]
    assert (updated["metadataValue"], updated["location"]["dimensionRange"]["startIndex"]) == (
        "2a",
        5,
    )
    (deleted,) = replies[1]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"]
    assert deleted["metadataValue"] == "4"
    remaining = api.ok(
        "POST",
        "/developerMetadata:search",
        {"dataFilters": [{"developerMetadataLookup": {"metadataKey": "rec"}}]},
    )
    values = [
        m["developerMetadata"]["metadataValue"] for m in remaining["matchedDeveloperMetadata"]
    ]
    assert values == ["1", "3", "2a"]


# --- values through data filters ------------------------------------------------------------


def test_batch_get_by_data_filter_reads_the_whole_tagged_row(api: Api) -> None:
    body = api.ok(
        "POST",
        "/values:batchGetByDataFilter",
        {
            "dataFilters": [
                by_rec("3"),
                {"a1Range": "Plan!A4:D4"},
                by_rec("99"),
                {"gridRange": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2}},
            ],
            "majorDimension": "ROWS",
        },
    )
    assert body == {
        "spreadsheetId": api.sid,
        "valueRanges": [
            {
                "valueRange": {
                    "range": "Plan!A4:D4",
                    "majorDimension": "ROWS",
                    "values": [["3", "Review cases", "Planned", "Cy"]],
                },
                "dataFilters": [by_rec("3"), {"a1Range": "Plan!A4:D4"}],
            },
            {
                "valueRange": {
                    "range": "Plan!A2:D2",
                    "majorDimension": "ROWS",
                    "values": [["1", "Publish the plan", "Planned", "Ann"]],
                },
                "dataFilters": [
                    {"gridRange": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2}}
                ],
            },
        ],
    }
    assert api.ok("POST", "/values:batchGetByDataFilter", {"dataFilters": [by_rec("99")]}) == {
        "spreadsheetId": api.sid
    }


def test_batch_update_by_data_filter_writes_to_the_row_wherever_it_went(
    api: Api, emu: Emulator
) -> None:
    emu.sort_range(api.sid, "Plan", "A2:D5", "D", descending=True)  # Di, Cy, Bob, Ann
    result = api.ok(
        "POST",
        "/values:batchUpdateByDataFilter",
        {
            "valueInputOption": "USER_ENTERED",
            "data": [
                {"dataFilter": by_rec("2"), "values": [[None, None, "Planned", None]]},
                {"dataFilter": by_rec("1"), "values": [[None, "Publish it", None, "Eve"]]},
                {"dataFilter": by_rec("99"), "values": [["lost?"]]},
            ],
            "includeValuesInResponse": True,
        },
    )
    assert result == {
        "spreadsheetId": api.sid,
        "totalUpdatedRows": 2,
        "totalUpdatedColumns": 3,
        "totalUpdatedCells": 3,
        "totalUpdatedSheets": 1,
        "responses": [
            {
                "updatedRange": "Plan!A4:D4",
                "updatedRows": 1,
                "updatedColumns": 1,
                "updatedCells": 1,
                "dataFilter": by_rec("2"),
                "updatedData": {
                    "range": "Plan!A4:D4",
                    "majorDimension": "ROWS",
                    "values": [["2", "Train staff", "Planned", "Bob"]],
                },
            },
            {
                "updatedRange": "Plan!A5:D5",
                "updatedRows": 1,
                "updatedColumns": 2,
                "updatedCells": 2,
                "dataFilter": by_rec("1"),
                "updatedData": {
                    "range": "Plan!A5:D5",
                    "majorDimension": "ROWS",
                    "values": [["1", "Publish it", "Planned", "Eve"]],
                },
            },
        ],
    }
    assert emu.get_values(api.sid, "Plan", "A2:D5") == [
        ["4", "Report to board", "In Progress", "Di"],
        ["3", "Review cases", "Planned", "Cy"],
        ["2", "Train staff", "Planned", "Bob"],
        ["1", "Publish it", "Planned", "Eve"],
    ]


def test_a_filter_matching_several_rows_writes_each_and_too_many_values_write_none(
    api: Api, emu: Emulator
) -> None:
    api.batch(row_metadata(1, "status", "open"), row_metadata(3, "status", "open"))
    both = {"developerMetadataLookup": {"metadataKey": "status"}}
    result = api.ok(
        "POST",
        "/values:batchUpdateByDataFilter",
        {"valueInputOption": "RAW", "data": [{"dataFilter": both, "values": [[None, None, "x"]]}]},
    )
    assert [r["updatedRange"] for r in result["responses"]] == ["Plan!A2:C2", "Plan!A4:C4"]
    assert (result["totalUpdatedRows"], result["totalUpdatedCells"]) == (2, 2)
    status, body = api.call(
        "POST",
        "/values:batchUpdateByDataFilter",
        {
            "valueInputOption": "RAW",
            "data": [
                {"dataFilter": by_rec("1"), "values": [["changed"]]},
                {"dataFilter": by_rec("2"), "values": [["a", "b", "c", "d", "e"]]},
            ],
        },
    )
    assert status == 400
    assert body["error"]["message"] == (
        "Requested writing within range [Plan!A3:D3], but tried writing to column [E]"
    )
    assert emu.get_values(api.sid, "Plan", "A2") == [["1"]]


def test_batch_clear_by_data_filter_clears_values_only(api: Api, emu: Emulator) -> None:
    api.batch(
        {
            "repeatCell": {
                "range": {"sheetId": 0, "startRowIndex": 2, "endRowIndex": 3},
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                "fields": "userEnteredFormat.textFormat.bold",
            }
        }
    )
    cleared = api.ok(
        "POST", "/values:batchClearByDataFilter", {"dataFilters": [by_rec("2"), by_rec("42")]}
    )
    assert cleared == {"spreadsheetId": api.sid, "clearedRanges": ["Plan!A3:D3"]}
    assert emu.get_values(api.sid, "Plan", "A2:A4") == [["1"], [], ["3"]]
    assert emu.cell_format(api.sid, "Plan", "B3")["textFormat"]["bold"] is True
    assert rec_row(api, emu, "2") == 3  # the row's metadata stays


def test_get_by_data_filter_returns_only_what_the_filters_select(api: Api) -> None:
    body = api.ok(
        "POST",
        ":getByDataFilter",
        {"dataFilters": [by_rec("4")], "includeGridData": True},
        fields="sheets(properties(title),data(startRow,rowData(values(formattedValue))))",
    )
    assert body == {
        "sheets": [
            {
                "properties": {"title": "Plan"},
                "data": [
                    {
                        "startRow": 4,
                        "rowData": [
                            {
                                "values": [
                                    {"formattedValue": "4"},
                                    {"formattedValue": "Report to board"},
                                    {"formattedValue": "In Progress"},
                                    {"formattedValue": "Di"},
                                ]
                            }
                        ],
                    }
                ],
            }
        ]
    }


def test_append_inserting_rows_pushes_tagged_rows_down(api: Api, emu: Emulator) -> None:
    emu.set_values(api.sid, "Plan", "A4:D4", [["", "", "", ""]])  # a gap after rec 2
    appended = api.ok(
        "POST",
        "/values/Plan!A1:append",
        {"values": [["2b", "Inserted", "Planned", "Eve"]]},
        valueInputOption="USER_ENTERED",
        insertDataOption="INSERT_ROWS",
    )
    assert (appended["tableRange"], appended["updates"]["updatedRange"]) == (
        "Plan!A1:D3",
        "Plan!A4:D4",
    )
    assert emu.sheet_properties(api.sid, "Plan")["gridProperties"]["rowCount"] == 7
    assert [rec_row(api, emu, r) for r in "1234"] == [2, 3, 5, 6]
    assert emu.get_values(api.sid, "Plan", "A4:A6") == [["2b"], [], ["4"]]


def test_metadata_and_chosen_formats_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "sheets.json"
    with Emulator(data_path=data) as first:
        sid = first.create_spreadsheet("Kept", sheets=("Plan",), locale="en_GB")
        first.set_values(sid, "Plan", "A1:B2", [["Rec", "Due"], ["1", "31/03/2027"]])
        first.batch_update(sid, [row_metadata(1, "rec", "1")])
        before = first.developer_metadata(sid)
    with Emulator(data_path=data) as second:
        assert second.developer_metadata(sid) == before
        second.set_values(sid, "Plan", "B2", [["50%"]])  # the date format was automatic
        assert second.get_values(sid, "Plan", "B2") == [["50%"]]
        assert second.store.get(sid).locale == "en_GB"
