"""One-request reads and formatting returned by spreadsheets.get, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ccrc_sync.emulator import Emulator
from ccrc_sync.emulator.masks import parse_mask

ONE_REQUEST = (
    "sheets(properties(sheetId,title),data(rowData(values(effectiveValue,formattedValue,"
    "effectiveFormat/numberFormat))))"
)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def get(emu: Emulator, sid: str, **params: Any) -> dict[str, Any]:
    resp = requests.get(f"{emu.url}/v4/spreadsheets/{sid}", params=params, timeout=10)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def batch(emu: Emulator, sid: str, *reqs: dict[str, Any]) -> list[dict[str, Any]]:
    resp = requests.post(
        f"{emu.url}/v4/spreadsheets/{sid}:batchUpdate", json={"requests": list(reqs)}, timeout=10
    )
    assert resp.status_code == 200, resp.text
    replies: list[dict[str, Any]] = resp.json()["replies"]
    return replies


def test_nested_masks_parse_into_paths() -> None:
    assert parse_mask(ONE_REQUEST) == [
        ["sheets", "properties", "sheetId"],
        ["sheets", "properties", "title"],
        ["sheets", "data", "rowData", "values", "effectiveValue"],
        ["sheets", "data", "rowData", "values", "formattedValue"],
        ["sheets", "data", "rowData", "values", "effectiveFormat", "numberFormat"],
    ]


def test_one_request_reads_values_formats_and_only_the_ranged_sheet(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Plan", sheets=("Notes", "Action Plan"), locale="en_GB")
    plan_id = emu.sheet_properties(sid, "Action Plan")["sheetId"]
    emu.set_values(
        sid, "Action Plan", "A1", [["Rec No.", "Target Date", "Notes"], ["7", "31/03/2027", "50%"]]
    )
    emu.set_values(sid, "Notes", "A1", [["not asked for"]])
    body = get(emu, sid, ranges="'Action Plan'!A2:C2", fields=ONE_REQUEST)
    assert body == {
        "sheets": [
            {
                "properties": {"sheetId": plan_id, "title": "Action Plan"},
                "data": [
                    {
                        "rowData": [
                            {
                                "values": [
                                    {
                                        "effectiveValue": {"numberValue": 7},
                                        "formattedValue": "7",
                                        "effectiveFormat": {},
                                    },
                                    {
                                        "effectiveValue": {"numberValue": 46477},
                                        "formattedValue": "31/03/2027",
                                        "effectiveFormat": {
                                            "numberFormat": {
                                                "type": "DATE",
                                                "pattern": "dd/mm/yyyy",
                                            }
                                        },
                                    },
                                    {
                                        "effectiveValue": {"numberValue": 0.5},
                                        "formattedValue": "50%",
                                        "effectiveFormat": {
                                            "numberFormat": {"type": "PERCENT", "pattern": "0%"}
                                        },
                                    },
                                ]
                            }
                        ]
                    }
                ],
            }
        ]
    }
    assert [r.method for r in emu.requests] == ["GET"]


def test_the_field_mask_decides_grid_data_not_include_grid_data(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Mask")
    emu.set_values(sid, "Sheet1", "A1", [["x"]])
    masked = get(
        emu, sid, includeGridData="false", fields="sheets.data.rowData.values.formattedValue"
    )
    assert masked == {"sheets": [{"data": [{"rowData": [{"values": [{"formattedValue": "x"}]}]}]}]}
    no_data = get(emu, sid, includeGridData="true", fields="sheets.properties.title")
    assert no_data == {"sheets": [{"properties": {"title": "Sheet1"}}]}
    assert "data" not in get(emu, sid)["sheets"][0]
    assert get(emu, sid, includeGridData="true")["sheets"][0]["data"][0]["rowData"] == [
        {
            "values": [
                {
                    "userEnteredValue": {"stringValue": "x"},
                    "effectiveValue": {"stringValue": "x"},
                    "formattedValue": "x",
                    "effectiveFormat": emu.store.get(sid).properties["defaultFormat"],
                }
            ]
        }
    ]


def test_grid_data_carries_formulas_notes_formats_and_sizes(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Grid")
    emu.set_values(sid, "Sheet1", "A1", [["Status", "=1+1"]])
    batch(
        emu,
        sid,
        {
            "repeatCell": {
                "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "endColumnIndex": 1},
                "cell": {
                    "userEnteredFormat": {
                        "textFormat": {"bold": True},
                        "wrapStrategy": "WRAP",
                        "backgroundColor": {"red": 1, "green": 0.9, "blue": 0.6},
                    },
                    "note": "Set by the sync",
                },
                "fields": "userEnteredFormat(textFormat.bold,wrapStrategy,backgroundColor),note",
            }
        },
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 1},
                "properties": {"pixelSize": 42},
                "fields": "pixelSize",
            }
        },
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2},
                "properties": {"pixelSize": 320},
                "fields": "pixelSize",
            }
        },
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        },
    )
    fields = (
        "sheets(properties.gridProperties.frozenRowCount,data(rowMetadata.pixelSize,"
        "columnMetadata.pixelSize,rowData.values(userEnteredValue,note,userEnteredFormat,"
        "effectiveFormat(textFormat(bold,fontFamily),wrapStrategy))))"
    )
    body = get(emu, sid, ranges="Sheet1!A1:C2", fields=fields)
    (sheet,) = body["sheets"]
    assert sheet["properties"] == {"gridProperties": {"frozenRowCount": 1}}
    data = sheet["data"][0]
    assert data["rowMetadata"] == [{"pixelSize": 42}, {"pixelSize": 21}]
    assert data["columnMetadata"] == [{"pixelSize": 100}, {"pixelSize": 320}, {"pixelSize": 100}]
    status, formula = data["rowData"][0]["values"]
    assert status["note"] == "Set by the sync"
    assert status["userEnteredFormat"] == {
        "backgroundColor": {"red": 1, "green": 0.89803922, "blue": 0.6},
        "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 0.89803922, "blue": 0.6}},
        "textFormat": {"bold": True},
        "wrapStrategy": "WRAP",
    }
    assert status["effectiveFormat"] == {
        "textFormat": {"bold": True, "fontFamily": "arial,sans,sans-serif"},
        "wrapStrategy": "WRAP",
    }
    assert formula["userEnteredValue"] == {"formulaValue": "=1+1"}


def test_conditional_formats_validation_and_charts_come_back(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Objects")
    rng = {
        "sheetId": 0,
        "startRowIndex": 1,
        "endRowIndex": 40,
        "startColumnIndex": 4,
        "endColumnIndex": 5,
    }
    complete = {
        "ranges": [rng],
        "booleanRule": {
            "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "Complete"}]},
            "format": {"backgroundColor": {"green": 1}},
        },
    }
    overdue = {
        "ranges": [rng],
        "booleanRule": {
            "condition": {
                "type": "CUSTOM_FORMULA",
                "values": [{"userEnteredValue": "=$G2<TODAY()"}],
            },
            "format": {"textFormat": {"bold": True}},
        },
    }
    replies = batch(
        emu,
        sid,
        {"addConditionalFormatRule": {"rule": complete, "index": 0}},
        {"addConditionalFormatRule": {"rule": overdue, "index": 1}},
        {"updateConditionalFormatRule": {"sheetId": 0, "index": 1, "newIndex": 0}},
    )
    assert replies[2] == {
        "updateConditionalFormatRule": {
            "newRule": {**overdue, "ranges": [{k: v for k, v in rng.items() if k != "sheetId"}]},
            "oldIndex": 1,
            "newIndex": 0,
        }
    }
    rules = get(emu, sid, fields="sheets.conditionalFormats")["sheets"][0]["conditionalFormats"]
    assert [r["booleanRule"]["condition"]["type"] for r in rules] == ["CUSTOM_FORMULA", "TEXT_EQ"]
    assert rules[1]["booleanRule"]["format"] == {
        "backgroundColor": {"green": 1},
        "backgroundColorStyle": {"rgbColor": {"green": 1}},
    }
    deleted = batch(emu, sid, {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}})
    assert (
        deleted[0]["deleteConditionalFormatRule"]["rule"]["booleanRule"] == overdue["booleanRule"]
    )
    spec = {
        "title": "Recommendations by status",
        "basicChart": {
            "chartType": "COLUMN",
            "stackedType": "STACKED",
            "legendPosition": "BOTTOM_LEGEND",
            "axis": [
                {"position": "BOTTOM_AXIS", "title": "Section"},
                {"position": "LEFT_AXIS", "title": "Recommendations"},
            ],
            "domains": [{"domain": {"sourceRange": {"sources": [rng]}}}],
            "series": [{"series": {"sourceRange": {"sources": [rng]}}, "targetAxis": "LEFT_AXIS"}],
            "headerCount": 1,
        },
    }
    chart = {
        "spec": spec,
        "position": {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 2}}},
    }
    chart_id = batch(emu, sid, {"addChart": {"chart": chart}})[0]["addChart"]["chart"]["chartId"]
    charts = get(emu, sid, fields="sheets.charts")["sheets"][0]["charts"]
    assert [(c["chartId"], c["spec"]) for c in charts] == [(chart_id, spec)]


def test_the_default_sheet_can_go_but_never_the_last_one(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Tabs")
    added = batch(emu, sid, {"addSheet": {"properties": {"title": "Action Plan"}}})
    plan_id = added[0]["addSheet"]["properties"]["sheetId"]
    batch(emu, sid, {"deleteSheet": {"sheetId": 0}})
    assert [s["properties"]["title"] for s in get(emu, sid)["sheets"]] == ["Action Plan"]
    resp = requests.post(
        f"{emu.url}/v4/spreadsheets/{sid}:batchUpdate",
        json={"requests": [{"deleteSheet": {"sheetId": plan_id}}]},
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["message"] == (
        "Invalid requests[0].deleteSheet: You can't remove all the sheets in a document."
    )
