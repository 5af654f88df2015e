"""Cell values: what a typed entry becomes, and how a stored cell renders.

A cell is stored as a dict shaped like Google's ``CellData`` (``userEnteredValue``,
``effectiveValue``, ``userEnteredFormat``...) so ``includeGridData`` and ``updateCells``
map onto it directly. These functions are pure; formulas are evaluated by the caller
(``formula.py``) because they need the rest of the sheet.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta
from typing import Any

EPOCH = datetime(1899, 12, 30)

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_CURRENCY = re.compile(r"^([+-]?)\$(\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?)$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_DATETIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def to_serial(value: date | datetime) -> float:
    """A date/datetime as a Sheets serial number (days since 1899-12-30)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta = value - EPOCH
    return delta.days + delta.seconds / 86400


def from_serial(serial: float) -> datetime:
    """A Sheets serial number back to a datetime."""
    return EPOCH + timedelta(days=serial)


def _num(value: float) -> dict:
    return {"numberValue": value}


def parse_user_entered(text: Any, locale: str = "en_US") -> dict:
    """What a person typing ``text`` into a cell produces: CellData with value and format.

    Returns ``{}`` for an empty entry (which clears the cell's value).
    """
    if text is None:
        return {}
    if isinstance(text, bool):
        return {"userEnteredValue": {"boolValue": text}}
    if isinstance(text, (int, float)):
        return {"userEnteredValue": _num(text)}
    text = str(text)
    if text == "":
        return {}
    if text.startswith("'"):
        return {"userEnteredValue": {"stringValue": text[1:]}, "quotePrefix": True}
    if text.startswith("=") and len(text) > 1:
        return {"userEnteredValue": {"formulaValue": text}}
    stripped = text.strip()
    upper = stripped.upper()
    if upper in ("TRUE", "FALSE"):
        return {"userEnteredValue": {"boolValue": upper == "TRUE"}}
    parsed = _parse_number(stripped) or _parse_date(stripped, locale)
    if parsed is not None:
        return parsed
    return {"userEnteredValue": {"stringValue": text}}


def _parse_number(text: str) -> dict | None:
    if _NUMBER.match(text):
        return {"userEnteredValue": _num(float(text))}
    if _GROUPED.match(text):
        value = float(text.replace(",", ""))
        pattern = "#,##0.00" if "." in text else "#,##0"
        return _with_format(value, "NUMBER", pattern)
    if text.endswith("%") and _NUMBER.match(text[:-1].strip()):
        body = text[:-1].strip()
        pattern = "0.00%" if "." in body else "0%"
        return _with_format(float(body) / 100, "PERCENT", pattern)
    m = _CURRENCY.match(text)
    if m:
        value = float(text.replace("$", "").replace(",", ""))
        return _with_format(value, "CURRENCY", '"$"#,##0.00')
    return None


def _parse_date(text: str, locale: str) -> dict | None:
    try:
        m = _ISO_DATE.match(text)
        if m:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return _with_format(to_serial(d), "DATE", "yyyy-mm-dd")
        m = _ISO_DATETIME.match(text)
        if m:
            y, mo, d, h, mi = (int(g) for g in m.groups()[:5])
            s = int(m.group(6) or 0)
            dt = datetime(y, mo, d, h, mi, s)
            return _with_format(to_serial(dt), "DATE_TIME", "yyyy-mm-dd H:mm:ss")
        m = _SLASH_DATE.match(text)
        if m:
            a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            day_first = not locale.startswith("en_US") and locale not in ("en", "")
            d = date(y, b, a) if day_first else date(y, a, b)
            pattern = "dd/MM/yyyy" if day_first else "M/d/yyyy"
            return _with_format(to_serial(d), "DATE", pattern)
        m = _TIME.match(text)
        if m:
            h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
            if h < 24 and mi < 60 and s < 60:
                return _with_format((h * 3600 + mi * 60 + s) / 86400, "TIME", "h:mm:ss am/pm")
    except ValueError:
        return None
    return None


def _with_format(value: float, kind: str, pattern: str) -> dict:
    return {
        "userEnteredValue": _num(value),
        "userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}},
    }


def raw_entry(value: Any) -> dict:
    """What ``valueInputOption=RAW`` stores: strings as-is, numbers and booleans typed."""
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (int, float)):
        return {"userEnteredValue": _num(value)}
    return {"userEnteredValue": {"stringValue": str(value)}}


def json_number(value: float) -> int | float:
    """Google writes integral numbers without a fraction."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def format_general(value: float) -> str:
    """The automatic number format: integers plain, fractions to ~10 significant digits."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1e15 or (value != 0 and abs(value) < 1e-9):
        mantissa, exp = f"{value:.2E}".split("E")
        return f"{mantissa}E{'+' if int(exp) >= 0 else '-'}{abs(int(exp)):02d}"
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    digits = len(text.replace("-", "").replace(".", "").lstrip("0"))
    if digits > 10:
        text = f"{value:.{max(0, 10 - len(str(int(abs(value)))))}f}".rstrip("0").rstrip(".")
    return text


def format_number(value: float, number_format: dict | None) -> str:
    """Render a number through a (small subset of) Sheets number format patterns."""
    if not number_format:
        return format_general(value)
    kind = number_format.get("type", "NUMBER")
    pattern = number_format.get("pattern", "")
    if kind in ("DATE", "DATE_TIME", "TIME") or (
        kind != "NUMBER" and any(t in pattern for t in ("yy", "dd", "mm"))
    ):
        return format_date(value, pattern or _DEFAULT_PATTERN.get(kind, "M/d/yyyy"))
    if kind == "PERCENT" or pattern.endswith("%"):
        decimals = _decimals(pattern.rstrip("%"))
        return f"{value * 100:.{decimals}f}%"
    if kind == "CURRENCY" or "$" in pattern:
        decimals = _decimals(pattern) if pattern else 2
        sign = "-" if value < 0 else ""
        return f"{sign}${abs(value):,.{decimals}f}"
    if kind == "TEXT":
        return format_general(value)
    if kind == "SCIENTIFIC":
        return f"{value:.2E}"
    if pattern:
        decimals = _decimals(pattern)
        grouped = "," in pattern
        return f"{value:,.{decimals}f}" if grouped else f"{value:.{decimals}f}"
    return format_general(value)


_DEFAULT_PATTERN = {"DATE": "M/d/yyyy", "DATE_TIME": "M/d/yyyy H:mm:ss", "TIME": "h:mm:ss am/pm"}


def _decimals(pattern: str) -> int:
    if "." not in pattern:
        return 0
    tail = pattern.split(".", 1)[1]
    return len(re.match(r"[0#]*", tail).group(0))  # type: ignore[union-attr]


@functools.lru_cache(maxsize=4096)  # a plan repeats the same few dates thousands of times
def format_date(serial: float, pattern: str) -> str:
    """Render a serial number through a date/time pattern (yyyy, mm, m, dd, d, h, ss...)."""
    dt = from_serial(serial + 1e-9)
    tokens = re.findall(
        r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|[^a-z]+|[a-z]", pattern, re.I
    )
    words = [t.lower() for t in tokens if t[0].isalpha()]
    has_ampm = "am/pm" in words
    out: list[str] = []
    word_index = -1
    for tok in tokens:
        low = tok.lower()
        if not tok[0].isalpha():
            out.append(tok)
            continue
        word_index += 1
        prev = words[word_index - 1] if word_index > 0 else ""
        nxt = words[word_index + 1] if word_index + 1 < len(words) else ""
        out.append(_date_token(dt, low, prev, nxt, has_ampm, tok))
    return "".join(out)


def _date_token(dt: datetime, low: str, prev: str, nxt: str, ampm: bool, raw: str) -> str:
    """One pattern token; ``m``/``mm`` are minutes next to hours or seconds, else months."""
    if low in ("mm", "m"):
        minute = prev in ("h", "hh") or nxt in ("s", "ss")
        part = dt.minute if minute else dt.month
        return f"{part:02d}" if low == "mm" else str(part)
    hour = (dt.hour % 12 or 12) if ampm else dt.hour
    table = {
        "yyyy": f"{dt.year:04d}",
        "yy": f"{dt.year % 100:02d}",
        "mmmm": dt.strftime("%B"),
        "mmm": dt.strftime("%b"),
        "dddd": dt.strftime("%A"),
        "ddd": dt.strftime("%a"),
        "dd": f"{dt.day:02d}",
        "d": str(dt.day),
        "hh": f"{hour:02d}",
        "h": str(hour),
        "ss": f"{dt.second:02d}",
        "s": str(dt.second),
        "am/pm": "AM" if dt.hour < 12 else "PM",
    }
    return table.get(low, raw)


def value_of(effective: dict) -> Any:
    """The Python value inside an ExtendedValue dict."""
    for key in ("numberValue", "stringValue", "boolValue"):
        if key in effective:
            return effective[key]
    if "errorValue" in effective:
        return effective["errorValue"].get("type_", "#ERROR!")
    return None


def render(
    effective: dict | None,
    user_entered: dict | None,
    number_format: dict | None,
    value_render: str = "FORMATTED_VALUE",
    date_render: str = "SERIAL_NUMBER",
) -> Any:
    """One cell as values.get returns it under the given render options ("" when empty)."""
    if value_render == "FORMULA" and user_entered and "formulaValue" in user_entered:
        return user_entered["formulaValue"]
    if not effective:
        return ""
    if "errorValue" in effective:
        return _ERROR_TEXT.get(effective["errorValue"].get("type"), "#ERROR!")
    if "stringValue" in effective:
        return effective["stringValue"]
    if "boolValue" in effective:
        flag = effective["boolValue"]
        return ("TRUE" if flag else "FALSE") if value_render == "FORMATTED_VALUE" else flag
    number = effective.get("numberValue", 0)
    if value_render == "FORMATTED_VALUE":
        return format_number(number, number_format)
    is_date = bool(number_format) and number_format.get("type") in ("DATE", "DATE_TIME", "TIME")
    if is_date and date_render == "FORMATTED_STRING":
        return format_number(number, number_format)
    return json_number(number)


_ERROR_TEXT = {
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
}
