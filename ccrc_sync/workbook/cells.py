"""Cell XML: a value as Excel stores it, and back.

Text goes in as an inline string (`t="inlineStr"`), so the shared-strings part is never
touched. Characters XML 1.0 cannot hold travel through OOXML's `_xHHHH_` escape, and a
literal `_xHHHH_` in text is itself escaped (`_x005F_xHHHH_`), as Excel does, so every
string round-trips. Dates are serial numbers in the workbook's date system.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from ccrc_sync.schema import Formula, Value, column_letter
from ccrc_sync.workbook.xmlscan import text_escape

MAX_TEXT = 32_767  # Excel's limit on the characters in one cell

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)

# Characters XML 1.0 cannot carry (and CR, which parsers fold into LF), plus a literal
# escape sequence, which must be escaped so it reads back as written.
_NEEDS_ESCAPE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    return "_x005F_" if char == "_" else f"_x{ord(char):04X}_"


def ooxml_escape(text: str) -> str:
    """Text as an OOXML string holds it (before XML escaping)."""
    return _NEEDS_ESCAPE.sub(_escape_char, text)


def ooxml_unescape(text: str) -> str:
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def serial(value: dt.date, date1904: bool = False) -> float:
    """A date or datetime as Excel's serial day number."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    moment = moment.replace(tzinfo=None)
    days = (moment - (_EPOCH_1904 if date1904 else _EPOCH_1900)).total_seconds() / 86400
    if not date1904 and days < 61:  # Excel's phantom 29 February 1900
        days -= 1
    return round(days, 10)


def from_serial(number: float, date1904: bool = False) -> dt.date | dt.datetime:
    if not date1904 and 0 < number < 61:
        number += 1
    base = _EPOCH_1904 if date1904 else _EPOCH_1900
    moment = base + dt.timedelta(days=number)
    # Serials are stored to ~15 digits: round to the millisecond, as Excel shows them.
    micro = round(moment.microsecond / 1000) * 1000
    if micro >= 1_000_000:
        moment = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    else:
        moment = moment.replace(microsecond=micro)
    if moment.time() == dt.time():
        return moment.date()
    return moment


def number_text(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def cast_number(text: str) -> int | float:
    """A `<v>` number as openpyxl reads it: int unless it has a point or an exponent."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def needs_quote_prefix(text: str) -> bool:
    return text[:1] in ("=", "+", "-", "@")


def cell_xml(
    q: str, row: int, col: int, value: Value, style: int | None, date1904: bool = False
) -> str:
    """One `<c>` element. `q` is the main namespace's prefix with its colon ('' or 'x:')."""
    r = f"{column_letter(col)}{row}"
    s = f' s="{style}"' if style else ""
    if value is None or (isinstance(value, str) and value == ""):
        return f'<{q}c r="{r}"{s}/>'
    if isinstance(value, bool):
        return f'<{q}c r="{r}"{s} t="b"><{q}v>{int(value)}</{q}v></{q}c>'
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("a number that is not finite")
        return f'<{q}c r="{r}"{s}><{q}v>{number_text(value)}</{q}v></{q}c>'
    if isinstance(value, dt.date):
        return f'<{q}c r="{r}"{s}><{q}v>{number_text(serial(value, date1904))}</{q}v></{q}c>'
    text = ooxml_escape(str(value))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return (
        f'<{q}c r="{r}"{s} t="inlineStr"><{q}is><{q}t{space}>{text_escape(text)}'
        f"</{q}t></{q}is></{q}c>"
    )


def refusal(value: Value) -> str | None:
    """Why a value cannot go into a cell (None: it can)."""
    if isinstance(value, Formula):
        return "it is a formula, and the sync only ever writes values"
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"it is {len(value):,} characters long, over Excel's limit of {MAX_TEXT:,}"
    if isinstance(value, float) and not math.isfinite(value):
        return "it is not a finite number"
    return None
