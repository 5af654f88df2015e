"""One cell, both ways: a value encoded for Google to parse as typed (USER_ENTERED), and
Google's grid data decoded into the typed values the rest of ccrc-sync compares.

Why it is shaped this way:

* Text staff typed must stay that text. Any string Google would parse (a formula, a
  number, a date, a boolean) is sent behind a leading apostrophe, which Google consumes.
* A cell is a date only when Google says so: its number format's type is DATE or
  DATE_TIME. Nothing here reads day/month order from a locale or from the displayed text,
  so a display-format change on the sheet changes no value.
* In a text column a number Google parsed (`50%`, `$5.00`, `1,000`, `3e5`) is carried as
  the text a person sees (its `formattedValue`), not as 0.5 or 300000.
* Decoding is the hot loop of a 10,000-row read, so it works on the reply's dicts
  directly, one pass, with the cheapest checks first.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ccrc_sync.layout import CellLink, Role, TabCell
from ccrc_sync.schema import Formula, Value, a1, display

JSONScalar = str | int | float | bool | None
Cell = Mapping[str, Any]  # one CellData of a reply

# --------------------------------------------------------------------------- encoding

_FORMULA_STARTS = ("=", "+", "-", "@", "'")
_ERROR_LITERAL = re.compile(
    r"#(N/A|REF!|DIV/0!|VALUE!|NAME\?|NUM!|NULL!|ERROR!|SPILL!|CALC!|GETTING_DATA)",
    re.IGNORECASE,
)
_LETTER_RUN = re.compile(r"[^\W\d_]+")
# Words that may appear in something Sheets reads as a number, date or time: month and day
# names, am/pm, exponent `e`, ISO `T`/`Z`, ordinal suffixes. Text made only of these and
# digits is quoted; quoting text that would have stayed text anyway is harmless.
_PARSEABLE_WORDS = frozenset(
    [
        "jan",
        "january",
        "feb",
        "february",
        "mar",
        "march",
        "apr",
        "april",
        "may",
        "jun",
        "june",
        "jul",
        "july",
        "aug",
        "august",
        "sep",
        "sept",
        "september",
        "oct",
        "october",
        "nov",
        "november",
        "dec",
        "december",
        "mon",
        "monday",
        "tue",
        "tues",
        "tuesday",
        "wed",
        "wednesday",
        "thu",
        "thur",
        "thurs",
        "thursday",
        "fri",
        "friday",
        "sat",
        "saturday",
        "sun",
        "sunday",
        "am",
        "pm",
        "a",
        "p",
        "e",
        "t",
        "z",
        "st",
        "nd",
        "rd",
        "th",
        "gmt",
        "utc",
    ]
)


def needs_quote(text: str) -> bool:
    """Whether Sheets, reading `text` as typed (USER_ENTERED), would store something else.

    True for formulas and formula-like starts (`=`, `+`, `-`, `@`), a leading apostrophe
    (Sheets would eat it), booleans, error literals such as `#N/A`, and anything made only
    of digits, punctuation, symbols and date/number words: numbers (`0044 20...`, `1e5`,
    `12%`, `£5`, `(3)`), dates (`1/2`, `31 Mar 2027`) and times (`10:30`, `9am`).
    """
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.startswith(_FORMULA_STARTS) or text.startswith(_FORMULA_STARTS):
        return True
    if stripped.casefold() in ("true", "false") or _ERROR_LITERAL.fullmatch(stripped):
        return True
    if not any(ch.isdigit() for ch in stripped):
        return False
    return all(word.casefold() in _PARSEABLE_WORDS for word in _LETTER_RUN.findall(stripped))


def encode_cell(value: Value) -> str | int | float | bool:
    """One plan cell as sent with valueInputOption USER_ENTERED.

    Text stays exactly that text (quoted with `'` when Sheets would parse it); dates go as
    ISO `YYYY-MM-DD`, which Google reads as a date in every locale (the plan's date columns
    carry an explicit `dd/mm/yyyy` format, which a write keeps); a datetime keeps its time
    of day; numbers and booleans as JSON; None as "" so the cell is cleared. A
    `schema.Formula` crosses as its text: Sheets would compute a different value, which
    would read back as an edit and overwrite the formula in the workbook.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else "'" + str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if needs_quote(text) else text


# Locales whose users type dates month first: there `01/02/2027` would be read as 2 January,
# so a generated tab's dates go as ISO instead (unambiguous in every locale).
MONTH_FIRST_LOCALES = frozenset(("en_US", "es_US", "en_PH", "fil_PH", "en_CA"))


def encode_tab_cell(cell: TabCell, *, day_first: bool, plan_gid: int | None) -> JSONScalar:
    """A generated tab's cell, drawn by its role, for USER_ENTERED.

    PERCENT goes as `70.6%` (Google stores 0.706 and shows a percentage); DATE and DATETIME
    as `31/03/2027` and `31/03/2027 14:05`, which Google makes a date shown that way in a
    day-first locale (ISO in a month-first one); a `CellLink` as a HYPERLINK formula to the
    plan tab's cell; text as text (quoted when Google would parse it).
    """
    value = cell.value
    if cell.link is not None and plan_gid is not None and value is not None:
        return hyperlink(cell.link, value, plan_gid)
    if value is None:
        return ""
    if cell.role is Role.PERCENT and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.10g}%"
    if isinstance(value, dt.datetime):
        if cell.role is Role.DATE or value.time() == dt.time():
            return f"{value:%d/%m/%Y}" if day_first else value.date().isoformat()
        return f"{value:%d/%m/%Y %H:%M}" if day_first else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}" if day_first else value.isoformat()
    return encode_cell(value)


def hyperlink(link: CellLink, value: Value, plan_gid: int) -> str:
    """`=HYPERLINK("#gid=7&range=E5","label")`: a link to a cell of the plan tab."""
    label = display(value).replace('"', '""')
    return f'=HYPERLINK("#gid={plan_gid}&range={a1(link.row, link.col)}","{label}")'


# --------------------------------------------------------------------------- decoding

EPOCH = dt.datetime(1899, 12, 30)
_DATE_TYPES = frozenset(("DATE", "DATE_TIME"))


def from_serial(serial: float, kind: str) -> dt.date | dt.datetime:
    """Google's serial number (days since 1899-12-30) as a date, or a datetime for
    DATE_TIME; whole seconds, as the sheet shows them."""
    moment = EPOCH + dt.timedelta(seconds=round(serial * 86400))
    return moment if kind == "DATE_TIME" else moment.date()


def number_type(cell: Cell) -> str | None:
    fmt = cell.get("effectiveFormat")
    if not fmt:
        return None
    number = fmt.get("numberFormat")
    return number.get("type") if number else None


def _whole(number: float) -> int | float:
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def decode_plan_row(cells: Sequence[Cell], text_cols: frozenset[int]) -> list[Value]:
    """One row of the plan tab as typed values (`text_cols`: 0-based text columns).

    Text as typed (`\\r\\n` kept); a formula as `Formula`; a date or datetime when the
    format says so; in a text column any other number as the text shown; elsewhere a
    number (a whole float as an int); booleans as the TRUE/FALSE the sheet shows.
    """
    out: list[Value] = []
    append = out.append
    for index, cell in enumerate(cells):
        entered = cell.get("userEnteredValue")
        if entered is None:
            append(None)
            continue
        text = entered.get("stringValue")
        if text is not None:
            append(text)
            continue
        number = entered.get("numberValue")
        if number is not None:
            kind = number_type(cell)
            if kind in _DATE_TYPES:
                append(from_serial(float(number), kind or ""))
            elif index in text_cols:
                append(cell.get("formattedValue", str(_whole(number))))
            else:
                append(_whole(number))
            continue
        append(_other(entered, cell, formula=True))
    return out


def decode_tab_row(cells: Sequence[Cell]) -> list[Value]:
    """One row of a generated tab as the values it shows: a formula (our links) as its
    shown text, dates as dates, numbers as numbers, text as text."""
    out: list[Value] = []
    for cell in cells:
        entered = cell.get("userEnteredValue")
        if entered is None:
            out.append(None)
        elif "stringValue" in entered:
            out.append(entered["stringValue"])
        elif "numberValue" in entered:
            kind = number_type(cell)
            number = entered["numberValue"]
            if kind in _DATE_TYPES:
                out.append(from_serial(float(number), kind or ""))
            else:
                out.append(_whole(number))
        else:
            out.append(_other(entered, cell, formula=False))
    return out


def display_row(cells: Sequence[Cell]) -> list[Value]:
    """A row as the text it shows (headers are found by what staff read)."""
    return [cell.get("formattedValue") for cell in cells]


def _other(entered: Mapping[str, Any], cell: Cell, *, formula: bool) -> Value:
    if "boolValue" in entered:
        return "TRUE" if entered["boolValue"] else "FALSE"
    if "formulaValue" in entered:
        if formula:
            return Formula(entered["formulaValue"])
        return cell.get("formattedValue")
    if "errorValue" in entered:
        return cell.get("formattedValue") or "#ERROR!"
    return cell.get("formattedValue")
