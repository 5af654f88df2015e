"""Values as Google parses and shows them, and writes a strict rule refuses, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ccrc_sync.emulator import Emulator
from ccrc_sync.emulator.errors import ApiError

MASK = "sheets(data(rowData(values(userEnteredValue,effectiveValue,formattedValue,userEnteredFormat/numberFormat))))"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def put(
    emu: Emulator, sid: str, rng: str, rows: list[list[Any]], option: str = "USER_ENTERED"
) -> requests.Response:
    return requests.put(
        f"{emu.url}/v4/spreadsheets/{sid}/values/{rng}",
        params={"valueInputOption": option},
        json={"values": rows},
        timeout=10,
    )


def batch(emu: Emulator, sid: str, *reqs: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{emu.url}/v4/spreadsheets/{sid}:batchUpdate", json={"requests": list(reqs)}, timeout=10
    )


def cell(emu: Emulator, sid: str, a1: str) -> dict[str, Any]:
    """One cell's CellData as a one-request read returns it."""
    resp = requests.get(
        f"{emu.url}/v4/spreadsheets/{sid}",
        params={"ranges": f"Sheet1!{a1}", "fields": MASK},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()["sheets"][0]["data"][0]
    return dict(data["rowData"][0]["values"][0]) if "rowData" in data else {}


def column_format(sheet_id: int, column: int, number_format: dict[str, str]) -> dict[str, Any]:
    return {
        "repeatCell": {
            "range": {
                "sheetId": sheet_id,
                "startColumnIndex": column,
                "endColumnIndex": column + 1,
            },
            "cell": {"userEnteredFormat": {"numberFormat": number_format}},
            "fields": "userEnteredFormat.numberFormat",
        }
    }


@pytest.mark.parametrize(
    ("locale", "typed", "value", "shown", "number_format"),
    [
        ("en_US", "50%", {"numberValue": 0.5}, "50%", {"type": "PERCENT", "pattern": "0%"}),
        (
            "en_GB",
            "12.5%",
            {"numberValue": 0.125},
            "12.50%",
            {"type": "PERCENT", "pattern": "0.00%"},
        ),
        (
            "en_US",
            "$5.00",
            {"numberValue": 5},
            "$5.00",
            {"type": "CURRENCY", "pattern": '"$"#,##0.00'},
        ),
        ("en_GB", "£5", {"numberValue": 5}, "£5", {"type": "CURRENCY", "pattern": '"£"#,##0'}),
        ("en_GB", "1,000", {"numberValue": 1000}, "1,000", {"type": "NUMBER", "pattern": "#,##0"}),
        (
            "en_US",
            "3e5",
            {"numberValue": 300000},
            "3.00E+05",
            {"type": "SCIENTIFIC", "pattern": "0.00E+00"},
        ),
        (
            "en_GB",
            "31/03/2027",
            {"numberValue": 46477},
            "31/03/2027",
            {"type": "DATE", "pattern": "dd/mm/yyyy"},
        ),
        ("en_US", "31/03/2027", {"stringValue": "31/03/2027"}, "31/03/2027", None),
        (
            "en_US",
            "1/2/2027",
            {"numberValue": 46389},
            "1/2/2027",
            {"type": "DATE", "pattern": "m/d/yyyy"},
        ),
        (
            "en_GB",
            "1/2/2027",
            {"numberValue": 46419},
            "01/02/2027",
            {"type": "DATE", "pattern": "dd/mm/yyyy"},
        ),
        (
            "en_US",
            "2027-03-31",
            {"numberValue": 46477},
            "2027-03-31",
            {"type": "DATE", "pattern": "yyyy-mm-dd"},
        ),
        (
            "en_GB",
            "2027-03-31",
            {"numberValue": 46477},
            "2027-03-31",
            {"type": "DATE", "pattern": "yyyy-mm-dd"},
        ),
        (
            "en_GB",
            "31/03/2027 14:30",
            {"numberValue": 46477.604166666664},
            "31/03/2027 14:30",
            {"type": "DATE_TIME", "pattern": "dd/mm/yyyy h:mm"},
        ),
        (
            "en_US",
            "2:30 PM",
            {"numberValue": 0.6041666666666666},
            "2:30 PM",
            {"type": "TIME", "pattern": "h:mm am/pm"},
        ),
        ("en_US", "true", {"boolValue": True}, "TRUE", None),
        ("en_US", "'007", {"stringValue": "007"}, "007", None),
        ("en_US", "1.5", {"numberValue": 1.5}, "1.5", None),
        ("en_US", "Managers.Should", {"stringValue": "Managers.Should"}, "Managers.Should", None),
    ],
)
def test_typed_values_are_parsed_by_the_spreadsheet_locale(
    emu: Emulator,
    locale: str,
    typed: str,
    value: dict[str, Any],
    shown: str,
    number_format: dict[str, str] | None,
) -> None:
    sid = emu.create_spreadsheet("Typed", locale=locale)
    assert put(emu, sid, "Sheet1!A1", [[typed]]).status_code == 200
    got = cell(emu, sid, "A1")
    assert got["effectiveValue"] == value
    assert got["formattedValue"] == shown
    assert got.get("userEnteredFormat", {}).get("numberFormat") == number_format
    unformatted = requests.get(
        f"{emu.url}/v4/spreadsheets/{sid}/values/Sheet1!A1",
        params={"valueRenderOption": "UNFORMATTED_VALUE"},
        timeout=10,
    ).json()["values"][0][0]
    assert unformatted == next(iter(value.values()))


def test_formulas_keep_their_text_and_show_their_result(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("F")
    put(emu, sid, "Sheet1!A1", [["2", "=A1*21"]])
    got = cell(emu, sid, "B1")
    assert got["userEnteredValue"] == {"formulaValue": "=A1*21"}
    assert (got["effectiveValue"], got["formattedValue"]) == ({"numberValue": 42}, "42")


def test_an_explicit_format_is_kept_and_an_automatic_one_replaced(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Formats", locale="en_US")
    day_first = {"type": "DATE", "pattern": "dd/mm/yyyy"}
    assert batch(emu, sid, column_format(0, 0, day_first)).status_code == 200
    put(emu, sid, "Sheet1!A1:B1", [["1/2/2027", "2027-03-31"]])
    typed_in_us = cell(emu, sid, "A1")
    assert typed_in_us["effectiveValue"] == {"numberValue": 46389}  # 2 January, read month first
    assert typed_in_us["formattedValue"] == "02/01/2027"  # shown by the column's own format
    assert typed_in_us["userEnteredFormat"]["numberFormat"] == day_first
    put(emu, sid, "Sheet1!A1:B1", [["50%", "50%"]])
    assert cell(emu, sid, "A1")["userEnteredFormat"]["numberFormat"] == day_first
    automatic = cell(emu, sid, "B1")
    assert automatic["userEnteredFormat"]["numberFormat"] == {"type": "PERCENT", "pattern": "0%"}
    assert automatic["formattedValue"] == "50%"


def test_changing_only_the_format_changes_what_shows_not_the_value(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Display", locale="en_GB")
    put(emu, sid, "Sheet1!A1", [["31/03/2027"]])
    before = cell(emu, sid, "A1")
    batch(emu, sid, column_format(0, 0, {"type": "DATE", "pattern": "d mmmm yyyy"}))
    after = cell(emu, sid, "A1")
    assert after["effectiveValue"] == before["effectiveValue"] == {"numberValue": 46477}
    assert (before["formattedValue"], after["formattedValue"]) == ("31/03/2027", "31 March 2027")
    batch(emu, sid, column_format(0, 0, {"type": "DATE"}))  # no pattern: the locale's default
    assert cell(emu, sid, "A1")["formattedValue"] == "31/03/2027"


def test_a_plain_text_column_keeps_what_is_typed_as_text(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Text")
    batch(emu, sid, column_format(0, 1, {"type": "TEXT"}))
    put(emu, sid, "Sheet1!A1:B1", [["50%", "50%"]])
    assert cell(emu, sid, "A1")["effectiveValue"] == {"numberValue": 0.5}
    assert cell(emu, sid, "B1")["effectiveValue"] == {"stringValue": "50%"}


def test_the_locale_is_set_at_creation_and_can_change(emu: Emulator) -> None:
    created = requests.post(
        f"{emu.url}/v4/spreadsheets",
        json={"properties": {"title": "UK", "locale": "en_GB", "timeZone": "Europe/London"}},
        timeout=10,
    ).json()
    assert (created["properties"]["locale"], created["properties"]["timeZone"]) == (
        "en_GB",
        "Europe/London",
    )
    sid = created["spreadsheetId"]
    put(emu, sid, "Sheet1!A1", [["1/2/2027"]])
    assert cell(emu, sid, "A1")["effectiveValue"] == {"numberValue": 46419}  # 1 February
    update = {
        "updateSpreadsheetProperties": {
            "properties": {"locale": "en_US", "timeZone": "America/New_York"},
            "fields": "locale,timeZone",
        }
    }
    assert batch(emu, sid, update).status_code == 200
    put(emu, sid, "Sheet1!A2", [["1/2/2027"]])
    assert cell(emu, sid, "A2")["effectiveValue"] == {"numberValue": 46389}  # 2 January
    props = requests.get(
        f"{emu.url}/v4/spreadsheets/{sid}",
        params={"fields": "properties(locale,timeZone)"},
        timeout=10,
    ).json()
    assert props == {"properties": {"locale": "en_US", "timeZone": "America/New_York"}}
    drive = requests.post(
        f"{emu.url}/drive/v3/files",
        json={"name": "From Drive", "mimeType": "application/vnd.google-apps.spreadsheet"},
        timeout=10,
    ).json()
    assert emu.store.get(drive["id"]).locale == "en_US"  # the emulator's default, as configured


# --- strict data validation -----------------------------------------------------------------

STATUS = ["Planned", "In Progress", "Complete"]


def status_rule(strict: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "setDataValidation": {
            "range": {
                "sheetId": 0,
                "startRowIndex": 1,
                "endRowIndex": 5,
                "startColumnIndex": 1,
                "endColumnIndex": 2,
            },
            "rule": {
                "condition": {
                    "type": "ONE_OF_LIST",
                    "values": [{"userEnteredValue": v} for v in STATUS],
                },
                "strict": strict,
                "showCustomUi": True,
                **extra,
            },
        }
    }


def refusal(message: str, field: str) -> dict[str, Any]:
    return {
        "error": {
            "code": 400,
            "message": message,
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": field, "description": message}],
                }
            ],
        }
    }


B3_REFUSED = (
    "The data you entered in cell B3 violates the data validation rules set on this cell. "
    "Please enter one of the following values: Planned, In Progress, Complete."
)


@pytest.fixture
def strict_sheet(emu: Emulator) -> str:
    sid = emu.create_spreadsheet("Strict")
    assert batch(emu, sid, status_rule()).status_code == 200
    put(emu, sid, "Sheet1!A1:B2", [["Rec", "Status"], ["1", "Planned"]])
    return sid


def test_a_values_write_breaking_a_strict_rule_is_refused(emu: Emulator, strict_sheet: str) -> None:
    refused = put(emu, strict_sheet, "Sheet1!A3:B3", [["2", "Finished"]])
    assert refused.status_code == 400
    assert refused.json() == refusal(B3_REFUSED, "values[0][1]")
    assert emu.get_values(strict_sheet, "Sheet1") == [["Rec", "Status"], ["1", "Planned"]]
    assert put(emu, strict_sheet, "Sheet1!B2:B3", [[""], ["Complete"]]).status_code == 200
    assert emu.get_values(strict_sheet, "Sheet1", "B2:B3") == [[], ["Complete"]]


def test_every_kind_of_values_write_is_refused_whole(emu: Emulator, strict_sheet: str) -> None:
    base = f"{emu.url}/v4/spreadsheets/{strict_sheet}"
    batch_write = requests.post(
        f"{base}/values:batchUpdate",
        json={
            "valueInputOption": "RAW",
            "data": [
                {"range": "Sheet1!A2", "values": [["changed"]]},
                {"range": "Sheet1!A3", "values": [["2", "Finished"]]},
            ],
        },
        timeout=10,
    )
    assert batch_write.json() == refusal(B3_REFUSED, "data[1].values[0][1]")
    appended = requests.post(
        f"{base}/values/Sheet1!A1:append",
        params={"valueInputOption": "USER_ENTERED"},
        json={"values": [["2", "Finished"]]},
        timeout=10,
    )
    assert appended.json() == refusal(B3_REFUSED, "values[0][1]")
    by_filter = requests.post(
        f"{base}/values:batchUpdateByDataFilter",
        json={
            "valueInputOption": "USER_ENTERED",
            "data": [{"dataFilter": {"a1Range": "Sheet1!B2"}, "values": [["Done"]]}],
        },
        timeout=10,
    )
    assert by_filter.status_code == 400
    assert "cell B2 violates the data validation rules" in by_filter.json()["error"]["message"]
    cells = batch(
        emu,
        strict_sheet,
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 1},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "Done"}}]}],
                "fields": "userEnteredValue",
            }
        },
    )
    message = (
        "Invalid requests[0].updateCells: The data you entered in cell B2 violates the data "
        "validation rules set on this cell. Please enter one of the following values: Planned, "
        "In Progress, Complete."
    )
    assert cells.json() == refusal(
        message, "requests[0].updateCells.rows[0].values[0].userEnteredValue"
    )
    assert emu.get_values(strict_sheet, "Sheet1") == [["Rec", "Status"], ["1", "Planned"]]
    with pytest.raises(ApiError, match="violates the data validation rules"):
        emu.set_values(strict_sheet, "Sheet1", "B2", [["Nope"]])
    emu.set_values(strict_sheet, "Sheet1", "B2", [["Typed before"]], enforce_validation=False)
    assert emu.get_values(strict_sheet, "Sheet1", "B2") == [["Typed before"]]


def test_a_rule_that_is_not_strict_or_has_help_text(emu: Emulator) -> None:
    sid = emu.create_spreadsheet("Lenient")
    batch(emu, sid, status_rule(strict=False))
    assert put(emu, sid, "Sheet1!B2", [["Anything"]]).status_code == 200
    rule = emu.data_validations(sid, "Sheet1")["B2"]
    assert "strict" not in rule and rule["showCustomUi"] is True
    batch(emu, sid, status_rule(inputMessage="Pick a status from the list."))
    refused = put(emu, sid, "Sheet1!B3", [["Finished"]])
    assert refused.json()["error"]["message"] == (
        "The data you entered in cell B3 violates the data validation rules set on this cell. "
        "Pick a status from the list."
    )
