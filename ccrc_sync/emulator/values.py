"""What a written value becomes in a cell: Google's USER_ENTERED parsing and RAW storage.

A value "typed" with ``valueInputOption=USER_ENTERED`` is parsed as the Sheets UI parses
it (the ValueInputOption reference: "The values will be parsed as if the user typed them
into the UI. Numbers will stay as numbers, but strings may be converted to numbers,
dates, etc."): ``50%`` is 0.5 with a PERCENT format, ``$5.00``/``£5`` are CURRENCY,
``1,000`` is a grouped NUMBER, ``3e5`` SCIENTIFIC, ``31/03/2027`` a DATE read in the
spreadsheet's locale order, ``TRUE`` a boolean, ``=...`` a formula and ``'007`` the text
``007``. The format parsing detects comes back with the value so the caller can decide
whether it replaces the cell's format (an explicit format set by a person is kept).

Pure functions; entries are CellData-shaped dicts (``userEnteredValue`` plus, when parsing
detected one, ``userEnteredFormat.numberFormat``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.locales import rules

EPOCH = datetime(1899, 12, 30)

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"
_GROUPED = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?)"
_PLAIN = re.compile(rf"^[+-]?{_NUM}$")
_SCIENTIFIC = re.compile(rf"^[+-]?{_NUM}[eE][+-]?\d+$")
_GROUPED_NUMBER = re.compile(rf"^[+-]?{_GROUPED}$")
_PERCENT = re.compile(rf"^([+-]?)({_GROUPED}|{_NUM})\s?%$")
_CURRENCY = re.compile(rf"^([+-]?)([$£€])([+-]?)({_GROUPED}|{_NUM})$")

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        zip(
            [
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ],
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
            strict=True,
        )
    )
    for name in names
}
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?"
_ISO_DATE = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})$")
_SHORT_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})$")
_NAMED_DMY = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})$")
_NAMED_MDY = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$")
_TIME_ONLY = re.compile(rf"^{_TIME}$")
_DATE_TIME = re.compile(rf"^(.+?)[ T]{_TIME}$")


def to_serial(value: date | datetime) -> float:
    """A date/datetime as a Sheets serial number (days since 1899-12-30)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta = value - EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def from_serial(serial: float) -> datetime:
    """A Sheets serial number back to a datetime."""
    return EPOCH + timedelta(days=serial)


def json_number(value: float) -> int | float:
    """Google writes integral numbers without a fraction."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _entry(value: float, kind: str | None = None, pattern: str = "") -> JSON:
    out: JSON = {"userEnteredValue": {"numberValue": float(value)}}
    if kind:
        out["userEnteredFormat"] = {"numberFormat": {"type": kind, "pattern": pattern}}
    return out


def parse_user_entered(text: Any, locale: str = "en_US") -> JSON:
    """What a person typing ``text`` into a cell produces: CellData with value and format.

    Returns ``{}`` for an empty entry (which clears the cell's value).
    """
    if text is None:
        return {}
    if isinstance(text, bool):
        return {"userEnteredValue": {"boolValue": text}}
    if isinstance(text, (int, float)):
        return {"userEnteredValue": {"numberValue": float(text)}}
    text = str(text)
    if text == "":
        return {}
    if text.startswith("'"):
        return {"userEnteredValue": {"stringValue": text[1:]}, "quotePrefix": True}
    if text.startswith("=") and len(text) > 1:
        return {"userEnteredValue": {"formulaValue": text}}
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"userEnteredValue": {"boolValue": stripped.upper() == "TRUE"}}
    parsed = parse_number(stripped) or parse_date(stripped, locale)
    if parsed is not None:
        return parsed
    return {"userEnteredValue": {"stringValue": text}}


def plain_text(text: Any) -> JSON:
    """What typing into a cell formatted as plain text (``TEXT``) stores: the text itself."""
    if text is None or text == "":
        return {}
    if isinstance(text, bool):
        return {"userEnteredValue": {"stringValue": "TRUE" if text else "FALSE"}}
    if isinstance(text, (int, float)):
        return {"userEnteredValue": {"numberValue": float(text)}}
    return {"userEnteredValue": {"stringValue": str(text)}}


def parse_number(text: str) -> JSON | None:
    """Numbers as the UI reads them, with the format the typing implies (or None)."""
    if _PLAIN.match(text):
        return _entry(float(text))
    if _SCIENTIFIC.match(text):
        return _entry(float(text), "SCIENTIFIC", "0.00E+00")
    if _GROUPED_NUMBER.match(text):
        pattern = "#,##0.00" if "." in text else "#,##0"
        return _entry(float(text.replace(",", "")), "NUMBER", pattern)
    m = _PERCENT.match(text)
    if m:
        body = m.group(2)
        value = float(body.replace(",", "")) / 100 * (-1 if m.group(1) == "-" else 1)
        return _entry(value, "PERCENT", "0.00%" if "." in body else "0%")
    m = _CURRENCY.match(text)
    if m and not (m.group(1) and m.group(3)):
        negative = "-" in (m.group(1), m.group(3))
        body = m.group(4)
        value = float(body.replace(",", "")) * (-1 if negative else 1)
        decimals = ".00" if "." in body else ""
        return _entry(value, "CURRENCY", f'"{m.group(2)}"#,##0{decimals}')
    return None


def parse_date(text: str, locale: str) -> JSON | None:
    """Dates, date-times and times as the UI reads them in ``locale``, or None."""
    try:
        m = _TIME_ONLY.match(text)
        if m:
            seconds, pattern = _time_of(m.groups())
            return _entry(seconds / 86400, "TIME", pattern)
        day = _parse_day(text, locale)
        if day is not None:
            return _entry(to_serial(day[0]), "DATE", day[1])
        m = _DATE_TIME.match(text)
        if m:
            day = _parse_day(m.group(1).strip(), locale)
            if day is not None:
                seconds, time_pattern = _time_of(m.groups()[1:])
                serial = to_serial(day[0]) + seconds / 86400
                return _entry(serial, "DATE_TIME", f"{day[1]} {time_pattern}")
    except ValueError:
        return None
    return None


def _time_of(groups: tuple[str | Any, ...]) -> tuple[int, str]:
    hours, minutes = int(groups[0]), int(groups[1])
    seconds = int(groups[2] or 0)
    ampm = (groups[3] or "").upper()
    if ampm:
        if not 1 <= hours <= 12:
            raise ValueError("hour")
        hours = hours % 12 + (12 if ampm == "PM" else 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError("time")
    pattern = "h:mm" + (":ss" if groups[2] else "") + (" am/pm" if ampm else "")
    return hours * 3600 + minutes * 60 + seconds, pattern


def _parse_day(text: str, locale: str) -> tuple[date, str] | None:
    m = _ISO_DATE.match(text)
    if m:
        sep = m.group(2)
        return date(int(m.group(1)), int(m.group(3)), int(m.group(4))), f"yyyy{sep}mm{sep}dd"
    m = _SHORT_DATE.match(text)
    if m:
        first, sep, second, year_text = m.groups()
        day_first = rules(locale).day_first
        if sep == "." and not day_first:
            return None
        year = int(year_text) if len(year_text) == 4 else _two_digit_year(int(year_text))
        if day_first:
            return date(year, int(second), int(first)), f"dd{sep}mm{sep}yyyy"
        return date(year, int(first), int(second)), f"m{sep}d{sep}yyyy"
    m = _NAMED_DMY.match(text)
    if m and m.group(2).lower() in _MONTHS:
        month = _MONTHS[m.group(2).lower()]
        pattern = "d mmmm yyyy" if len(m.group(2)) > 3 else "d mmm yyyy"
        return date(int(m.group(3)), month, int(m.group(1))), pattern
    m = _NAMED_MDY.match(text)
    if m and m.group(1).lower() in _MONTHS:
        month = _MONTHS[m.group(1).lower()]
        pattern = "mmmm d, yyyy" if len(m.group(1)) > 3 else "mmm d, yyyy"
        return date(int(m.group(3)), month, int(m.group(2))), pattern
    return None


def _two_digit_year(yy: int) -> int:
    """Sheets' century window: 00-29 are 2000s, 30-99 are 1900s."""
    return 2000 + yy if yy < 30 else 1900 + yy


def raw_entry(value: Any) -> JSON:
    """What ``valueInputOption=RAW`` stores: strings as-is, numbers and booleans typed."""
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (int, float)):
        return {"userEnteredValue": {"numberValue": float(value)}}
    return {"userEnteredValue": {"stringValue": str(value)}}


def value_of(effective: JSON) -> Any:
    """The Python value inside an ExtendedValue dict."""
    for key in ("numberValue", "stringValue", "boolValue"):
        if key in effective:
            return effective[key]
    if "errorValue" in effective:
        return effective["errorValue"].get("type", "#ERROR!")
    return None
