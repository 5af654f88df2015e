"""The emulator's pure parts: A1 notation, typed entry parsing and value rendering."""

from __future__ import annotations

from datetime import date

import pytest

from ccrc_sync.emulator import a1, numfmt, values


@pytest.mark.parametrize(
    ("text", "title", "cells"),
    [
        ("Sheet1!A1:B2", "Sheet1", "A1:B2"),
        ("'My ''tab'''!A1:B2", "My 'tab'", "A1:B2"),
        ("'Action Plan'", "Action Plan", None),
        ("'Action Plan'!A2:I", "Action Plan", "A2:I"),
        ("A1:B2", None, "A1:B2"),
        ("Notes", None, "Notes"),
    ],
)
def test_split_sheet(text: str, title: str | None, cells: str | None) -> None:
    assert a1.split_sheet(text) == (title, cells)


@pytest.mark.parametrize(
    ("cells", "box"),
    [
        ("A1", a1.Box(0, 1, 0, 1)),
        ("B2:D4", a1.Box(1, 4, 1, 4)),
        ("D4:B2", a1.Box(1, 4, 1, 4)),
        ("A2:I", a1.Box(1, None, 0, 9)),
        ("A:A", a1.Box(0, None, 0, 1)),
        ("2:5", a1.Box(1, 5, 0, None)),
        ("$A$1:$C$3", a1.Box(0, 3, 0, 3)),
        ("AA10", a1.Box(9, 10, 26, 27)),
    ],
)
def test_parse_cells(cells: str, box: a1.Box) -> None:
    assert a1.parse_cells(cells) == box


@pytest.mark.parametrize("bad", ["", "A0", "1A", "A1:B2:C3", "!!", "A-1"])
def test_parse_cells_rejects_nonsense(bad: str) -> None:
    with pytest.raises(a1.A1Error):
        a1.parse_cells(bad)


def test_columns_round_trip() -> None:
    for index in (0, 25, 26, 27, 701, 702, 18277):
        assert a1.col_to_index(a1.index_to_col(index)) == index
    assert a1.index_to_col(26) == "AA"


def test_format_box_quotes_titles_only_when_needed() -> None:
    assert a1.format_box("Sheet1", a1.Box(0, 4, 0, 4)) == "Sheet1!A1:D4"
    assert a1.format_box("Action Plan", a1.Box(1, 2, 1, 2)) == "'Action Plan'!B2"
    assert a1.format_box("it's", a1.Box(0, 1, 0, 2)) == "'it''s'!A1:B1"


def test_open_box_clips_to_grid() -> None:
    assert a1.Box(1, None, 0, 9).clip(1000, 26) == a1.Box(1, 1000, 0, 9)


def _rendered(text: str, locale: str = "en_US") -> object:
    entry = values.parse_user_entered(text, locale)
    fmt = entry.get("userEnteredFormat", {}).get("numberFormat")
    return numfmt.render(
        entry.get("userEnteredValue"), entry.get("userEnteredValue"), fmt, locale=locale
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("42", {"numberValue": 42.0}),
        ("-1.5", {"numberValue": -1.5}),
        ("TRUE", {"boolValue": True}),
        ("false", {"boolValue": False}),
        ("'007", {"stringValue": "007"}),
        ("=SUM(A1:A3)", {"formulaValue": "=SUM(A1:A3)"}),
        ("hello", {"stringValue": "hello"}),
        ("-", {"stringValue": "-"}),
        ("+44 20 7946 0000", {"stringValue": "+44 20 7946 0000"}),
        ("@team", {"stringValue": "@team"}),
    ],
)
def test_user_entered_parsing(typed: str, stored: dict) -> None:
    assert values.parse_user_entered(typed)["userEnteredValue"] == stored


def test_raw_keeps_strings_as_typed() -> None:
    assert values.raw_entry("=1+2") == {"userEnteredValue": {"stringValue": "=1+2"}}
    assert values.raw_entry("'007") == {"userEnteredValue": {"stringValue": "'007"}}
    assert values.raw_entry("") == {}


def test_dates_are_serials_with_a_date_format() -> None:
    iso = values.parse_user_entered("2027-03-31")
    assert iso["userEnteredValue"] == {"numberValue": values.to_serial(date(2027, 3, 31))}
    assert iso["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert _rendered("2027-03-31") == "2027-03-31"
    assert _rendered("3/31/2027") == "3/31/2027"
    assert _rendered("31/03/2027", "en_GB") == "31/03/2027"
    us = values.parse_user_entered("3/4/2027")["userEnteredValue"]["numberValue"]
    gb = values.parse_user_entered("3/4/2027", "en_GB")["userEnteredValue"]["numberValue"]
    assert values.from_serial(us).date() == date(2027, 3, 4)
    assert values.from_serial(gb).date() == date(2027, 4, 3)


def test_formatted_numbers() -> None:
    assert _rendered("50%") == "50%"
    assert _rendered("1,234") == "1,234"
    assert _rendered("$1.50") == "$1.50"
    assert _rendered("0.1") == "0.1"
    assert numfmt.format_general(1 / 3) == "0.3333333333"
    assert numfmt.format_general(3.0) == "3"


def test_render_options() -> None:
    serial = {"numberValue": 46477.0}
    fmt = {"type": "DATE", "pattern": "yyyy-mm-dd"}
    assert numfmt.render(serial, serial, fmt, "FORMATTED_VALUE") == "2027-03-31"
    assert numfmt.render(serial, serial, fmt, "UNFORMATTED_VALUE") == 46477
    assert numfmt.render(serial, serial, fmt, "UNFORMATTED_VALUE", "FORMATTED_STRING") == (
        "2027-03-31"
    )
    formula = {"formulaValue": "=1+2"}
    assert numfmt.render({"numberValue": 3.0}, formula, None, "FORMULA") == "=1+2"
    assert numfmt.render({"boolValue": True}, None, None, "UNFORMATTED_VALUE") is True


@pytest.mark.parametrize(
    ("value", "pattern", "shown"),
    [
        (1234.5, "#,##0.00", "1,234.50"),
        (0.125, "0.00", "0.13"),  # half away from zero, as Sheets rounds
        (0.5, "#.##", ".5"),
        (-5, '"$"#,##0.00', "-$5.00"),
        (-5, "#,##0;(#,##0)", "(5)"),
        (0, '#,##0;-#,##0;"-"', "-"),
        (0.256, "0.0%", "25.6%"),
        (1234567, "0.00E+00", "1.23E+06"),
        (9.999, "0.00E+00", "1.00E+01"),
        (5, "[$£-809]#,##0.00", "£5.00"),
        (46477, "dddd d mmmm yyyy", "Wednesday 31 March 2027"),
        (46477.75, "yyyy-mm-dd hh:mm", "2027-03-31 18:00"),
        (0.75, "h:mm am/pm", "6:00 PM"),
        (46477, 'yyyy"-"mm"-"dd', "2027-03-31"),
    ],
)
def test_number_format_patterns(value: float, pattern: str, shown: str) -> None:
    assert numfmt.format_pattern(value, pattern) == shown


@pytest.mark.parametrize(
    ("typed", "locale"),
    [
        ("1/2", "en_US"),
        ("31/02/2027", "en_GB"),
        ("13/13/2027", "en_US"),
        ("$", "en_US"),
        ("50 %%", "en_GB"),
        ("1e", "en_US"),
    ],
)
def test_text_that_only_looks_like_a_number_or_date_stays_text(typed: str, locale: str) -> None:
    assert values.parse_user_entered(typed, locale)["userEnteredValue"] == {"stringValue": typed}
