"""One cell each way: what the client sends for a value, and what it makes of Google's
grid data. Pure functions over the shapes Google documents (CellData), so these tests
need no server; the round trips through the emulator are in test_sheet_read.py."""

from __future__ import annotations

import datetime as dt

import pytest

from ccrc_sync import schema
from ccrc_sync.layout import CellLink, Role, TabCell
from ccrc_sync.sheet.cells import (
    decode_plan_row,
    decode_tab_row,
    encode_cell,
    encode_tab_cell,
    from_serial,
    needs_quote,
)


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (None, ""),
        ("", ""),
        ("plain prose", "plain prose"),
        ("Phase 2 of 3", "Phase 2 of 3"),
        ("=SUM(A1:A3)", "'=SUM(A1:A3)"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-", "'-"),
        ("@here", "'@here"),
        ("'quoted", "''quoted"),
        ("0044", "'0044"),
        ("1/2", "'1/2"),
        ("TRUE", "'TRUE"),
        ("12%", "'12%"),
        ("£1,000.50", "'£1,000.50"),
        ("31 Mar 2027", "'31 Mar 2027"),
        ("9am", "'9am"),
        ("#N/A", "'#N/A"),
        ("multi\r\nline", "multi\r\nline"),
        (15, 15),
        (2.5, 2.5),
        (True, True),
        (dt.date(2027, 3, 31), "2027-03-31"),
        (dt.datetime(2027, 3, 31), "2027-03-31"),
        (dt.datetime(2027, 3, 31, 14, 5), "2027-03-31 14:05:00"),
        (schema.Formula("=TODAY()"), "'=TODAY()"),
        (float("nan"), "'nan"),
    ],
)
def test_encode_cell(value, sent):
    assert encode_cell(value) == sent
    assert type(encode_cell(value)) is type(sent)


@pytest.mark.parametrize("text", ["plain prose", "Phase 2 of 3", "Room 101 at noon"])
def test_prose_with_numbers_is_not_quoted(text):
    assert not needs_quote(text)


@pytest.mark.parametrize(
    ("cell", "day_first", "sent"),
    [
        (TabCell(0.706, Role.PERCENT), True, "70.6%"),
        (TabCell(0.5, Role.PERCENT), True, "50%"),
        (TabCell(1, Role.PERCENT), True, "100%"),
        (TabCell(dt.date(2027, 3, 31), Role.DATE), True, "31/03/2027"),
        (TabCell(dt.date(2027, 2, 1), Role.DATE), False, "2027-02-01"),
        (TabCell(dt.datetime(2027, 3, 31, 14, 5), Role.DATETIME), True, "31/03/2027 14:05"),
        (TabCell(dt.datetime(2027, 3, 31, 14, 5), Role.DATETIME), False, "2027-03-31 14:05"),
        (TabCell(34, Role.NUMBER), True, 34),
        (TabCell("In Progress", Role.HEADER), True, "In Progress"),
        (TabCell("1/2", Role.TEXT), True, "'1/2"),
        (TabCell(None, Role.TEXT), True, ""),
    ],
)
def test_generated_cells_are_drawn_by_role(cell, day_first, sent):
    assert encode_tab_cell(cell, day_first=day_first, plan_gid=7) == sent


def test_a_cell_link_is_a_hyperlink_to_the_plan_cell():
    cell = TabCell('Action Plan!E5 "x"', Role.TEXT, link=CellLink("Action Plan", 5, 5))
    assert encode_tab_cell(cell, day_first=True, plan_gid=1234) == (
        '=HYPERLINK("#gid=1234&range=E5","Action Plan!E5 ""x""")'
    )


def _number(value: float, kind: str | None = None, shown: str | None = None) -> dict:
    cell: dict = {"userEnteredValue": {"numberValue": value}}
    if kind:
        cell["effectiveFormat"] = {"numberFormat": {"type": kind, "pattern": "whatever"}}
    if shown is not None:
        cell["formattedValue"] = shown
    return cell


def test_plan_row_decoding():
    row = [
        _number(12.0, shown="12"),
        {"userEnteredValue": {"stringValue": "line one\r\nline two"}},
        _number(46477, "DATE", shown="3/31/2027"),
        _number(46477.5, "DATE_TIME", shown="3/31/2027 12:00:00"),
        _number(0.5, "PERCENT", shown="50%"),
        _number(5, "CURRENCY", shown="$5.00"),
        _number(1000, "NUMBER", shown="1,000"),
        _number(300000, "SCIENTIFIC", shown="3.00E+05"),
        {"userEnteredValue": {"boolValue": True}, "formattedValue": "TRUE"},
        {"userEnteredValue": {"formulaValue": "=A1*2"}, "formattedValue": "24"},
        {"effectiveFormat": {"numberFormat": {"type": "DATE"}}},  # formatted, no value
        _number(0.5, "PERCENT", shown="50%"),
        _number(2.5, shown="2.5"),
    ]
    text_cols = frozenset((1, 4, 5, 6, 7))
    assert decode_plan_row(row, text_cols) == [
        12,
        "line one\r\nline two",
        dt.date(2027, 3, 31),
        dt.datetime(2027, 3, 31, 12, 0),
        "50%",
        "$5.00",
        "1,000",
        "3.00E+05",
        "TRUE",
        schema.Formula("=A1*2"),
        None,
        0.5,  # a percent outside a text column is its number
        2.5,
    ]
    assert isinstance(decode_plan_row(row, text_cols)[9], schema.Formula)


def test_a_date_is_a_date_only_when_google_says_so():
    # 46477 is 31 March 2027 as a serial; without a DATE format it is just a number.
    assert decode_plan_row([_number(46477)], frozenset()) == [46477]
    assert decode_plan_row([_number(46477, "DATE")], frozenset()) == [dt.date(2027, 3, 31)]
    # A date shown any way stays the same date: the display text is never parsed.
    for shown in ("31/03/2027", "3/31/2027", "2027-03-31", "Wednesday, 31 March"):
        cell = _number(46477, "DATE", shown=shown)
        assert decode_plan_row([cell], frozenset({0})) == [dt.date(2027, 3, 31)]
    # Text that looks like a date stays text.
    cell = {"userEnteredValue": {"stringValue": "1/2/2027"}, "formattedValue": "1/2/2027"}
    assert decode_plan_row([cell], frozenset()) == ["1/2/2027"]


def test_generated_tab_decoding():
    row = [
        {
            "userEnteredValue": {"formulaValue": '=HYPERLINK("#gid=1&range=E5","E5")'},
            "formattedValue": "E5",
        },
        _number(0.706, "PERCENT", shown="70.6%"),
        _number(46477, "DATE", shown="31/03/2027"),
        _number(34.0, shown="34"),
        {},
    ]
    assert decode_tab_row(row) == ["E5", 0.706, dt.date(2027, 3, 31), 34, None]


def test_serials():
    assert from_serial(0, "DATE") == dt.date(1899, 12, 30)
    assert from_serial(61, "DATE") == dt.date(1900, 3, 1)
    assert from_serial(46477 + 14 / 24 + 5 / 1440, "DATE_TIME") == dt.datetime(2027, 3, 31, 14, 5)
