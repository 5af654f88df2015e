"""How a cell shows: numbers and dates through Sheets number-format patterns.

``formattedValue`` (and ``FORMATTED_VALUE`` reads) follow the cell's number format: a
pattern such as ``#,##0.00``, ``0%``, ``"$"#,##0.00``, ``0.00E+00`` or ``dd/mm/yyyy``
(the "Date and number formats" guide), and where only a type is set, the locale's
default pattern for it. A number with no format shows in the automatic ("general")
format. Changing only the format changes what this returns, never the value.

Supported: sections (``pos;neg;zero``), quoted and escaped literals, ``[$£-809]`` currency
tags, digit placeholders ``0 # ?``, grouping, percent, scientific, and the date/time
tokens ``y m d h s am/pm``. Colours, conditions and fractions are read as literals.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.locales import rules
from ccrc_sync.emulator.values import EPOCH, json_number

Token = tuple[bool, str]  # (is_literal, text)

_DATE_CODE = re.compile(r"[ydhs]|am/pm|a/p", re.I)
_DATE_WORD = re.compile(
    r"am/pm|a/p|yyyy|yy|y|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|\.0+|.", re.I | re.S
)


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


def format_number(value: float, number_format: JSON | None, locale: str = "en_US") -> str:
    """A number as a cell with ``number_format`` shows it in a ``locale`` spreadsheet."""
    if not number_format:
        return format_general(value)
    kind = number_format.get("type") or "NUMBER"
    pattern = number_format.get("pattern") or rules(locale).default_pattern(kind)
    if kind == "TEXT" or not pattern or pattern == "@":
        return format_general(value)
    return format_pattern(value, pattern)


@functools.lru_cache(maxsize=8192)  # a plan repeats the same few dates thousands of times
def format_pattern(value: float, pattern: str) -> str:
    """Render ``value`` through one Sheets pattern."""
    sections = _sections(pattern)
    sign = ""
    if value < 0 and len(sections) >= 2:
        section, value = sections[1], -value
    elif value == 0 and len(sections) >= 3:
        section = sections[2]
    else:
        section = sections[0]
        if value < 0:
            sign, value = "-", -value
    if _is_date(section):
        return sign + _format_date(value, section)
    return _format_numeric(value, section, sign)


@functools.lru_cache(maxsize=512)
def _sections(pattern: str) -> tuple[tuple[Token, ...], ...]:
    """The pattern's ``;``-separated sections, each as literal and code tokens."""
    sections: list[tuple[Token, ...]] = []
    tokens: list[Token] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == '"':
            end = pattern.find('"', i + 1)
            end = len(pattern) if end < 0 else end
            tokens.append((True, pattern[i + 1 : end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(pattern):
            tokens.append((True, pattern[i + 1]))
            i += 2
        elif ch == "[":
            end = pattern.find("]", i)
            end = len(pattern) if end < 0 else end
            inner = pattern[i + 1 : end]
            if inner.startswith("$"):
                tokens.append((True, inner[1:].split("-", 1)[0]))
            i = end + 1
        elif ch == "_" and i + 1 < len(pattern):
            tokens.append((True, " "))
            i += 2
        elif ch == "*" and i + 1 < len(pattern):
            i += 2
        elif ch == ";":
            sections.append(tuple(tokens))
            tokens = []
            i += 1
        else:
            tokens.append((False, ch))
            i += 1
    sections.append(tuple(tokens))
    return tuple(sections)


def _code(section: tuple[Token, ...]) -> str:
    return "".join(text for literal, text in section if not literal)


def _is_date(section: tuple[Token, ...]) -> bool:
    code = _code(section)
    if _DATE_CODE.search(code):
        return True
    return "m" in code.lower() and not re.search(r"[0#?]", code)


def _format_numeric(value: float, section: tuple[Token, ...], sign: str) -> str:
    placeholders = "0#?.,"
    first = next((i for i, (lit, t) in enumerate(section) if not lit and t in placeholders), None)
    if first is None:  # no digits at all: only literals, e.g. "-" for zero
        return sign + "".join(t for _lit, t in section if t not in "%")
    last = max(i for i, (lit, t) in enumerate(section) if not lit and t in placeholders + "Ee+-")
    prefix = "".join(t for _lit, t in section[:first])
    suffix = "".join(t for _lit, t in section[last + 1 :])
    core = "".join(t for _lit, t in section[first : last + 1])
    percent = _code(section).count("%")
    value *= 100**percent
    exponent_at = re.search(r"[Ee][+-]", core)
    if exponent_at:
        mantissa_code = core[: exponent_at.start()]
        exp_digits = len(core[exponent_at.end() :]) or 1
        exp = 0 if value == 0 else math.floor(math.log10(value))
        mantissa = value / 10**exp if value else 0.0
        text = _digits(mantissa, mantissa_code)
        if float(text.replace(",", "") or 0) >= 10:  # rounding carried into a new digit
            exp += 1
            text = _digits(mantissa / 10, mantissa_code)
        exp_sign = "-" if exp < 0 else ("+" if core[exponent_at.start() + 1] == "+" else "")
        text = f"{text}E{exp_sign}{abs(exp):0{exp_digits}d}"
    else:
        text = _digits(value, core)
    return f"{sign}{prefix}{text}{suffix}"


def _digits(value: float, code: str) -> str:
    """A non-negative number through the digit part of a pattern (``#,##0.00``)."""
    whole_code, _, frac_code = code.partition(".")
    max_dec = sum(1 for ch in frac_code if ch in "0#?")
    min_dec = sum(1 for ch in frac_code if ch == "0")
    # Half away from zero, as Sheets rounds (Python's own format rounds half to even).
    text = f"{Decimal(repr(value)).quantize(Decimal(1).scaleb(-max_dec), ROUND_HALF_UP):f}"
    whole, _, frac = text.partition(".")
    while len(frac) > min_dec and frac.endswith("0"):
        frac = frac[:-1]
    min_int = sum(1 for ch in whole_code if ch == "0")
    if whole == "0" and min_int == 0:
        whole = ""
    whole = whole.rjust(min_int, "0")
    if "," in whole_code.strip(","):
        whole = f"{int(whole):,}" if whole else ""
    return whole + ("." + frac if frac or (frac_code and min_dec) else "")


def _format_date(serial: float, section: tuple[Token, ...]) -> str:
    """A serial number through the date/time tokens of one section."""
    dt = _moment(serial)
    runs: list[Token] = []
    for literal, text in section:
        if not literal and runs and not runs[-1][0]:
            runs[-1] = (False, runs[-1][1] + text)
        else:
            runs.append((literal, text))
    pieces: list[Token] = []
    for literal, text in runs:
        if literal:
            pieces.append((True, text))
        else:
            pieces.extend((False, w) for w in _DATE_WORD.findall(text))
    words = [w.lower() for lit, w in pieces if not lit and w[0].isalpha()]
    ampm = any(w in ("am/pm", "a/p") for w in words)
    out: list[str] = []
    index = -1
    for literal, word in pieces:
        if literal or (not word[0].isalpha() and not word.startswith(".")):
            out.append(word)
            continue
        if word.startswith("."):
            out.append("." + f"{dt.microsecond / 1e6:.{len(word) - 1}f}".split(".")[1])
            continue
        index += 1
        prev = words[index - 1] if index > 0 else ""
        nxt = words[index + 1] if index + 1 < len(words) else ""
        out.append(_date_word(dt, word, prev, nxt, ampm))
    return "".join(out)


def _moment(serial: float) -> datetime:
    millis = round(serial * 86400 * 1000)
    return EPOCH + timedelta(milliseconds=millis)


def _date_word(dt: datetime, raw: str, prev: str, nxt: str, ampm: bool) -> str:
    """One token; ``m``/``mm`` are minutes next to hours or seconds, else months."""
    low = raw.lower()
    if low in ("mm", "m"):
        minute = prev in ("h", "hh") or nxt in ("s", "ss")
        part = dt.minute if minute else dt.month
        return f"{part:02d}" if low == "mm" else str(part)
    hour = (dt.hour % 12 or 12) if ampm else dt.hour
    words: dict[str, Callable[[], str]] = {
        "am/pm": lambda: "AM" if dt.hour < 12 else "PM",
        "a/p": lambda: "A" if dt.hour < 12 else "P",
        "yyyy": lambda: f"{dt.year:04d}",
        "yy": lambda: f"{dt.year % 100:02d}",
        "y": lambda: f"{dt.year % 100:02d}",
        "mmmmm": lambda: dt.strftime("%B")[0],
        "mmmm": lambda: dt.strftime("%B"),
        "mmm": lambda: dt.strftime("%b"),
        "dddd": lambda: dt.strftime("%A"),
        "ddd": lambda: dt.strftime("%a"),
        "dd": lambda: f"{dt.day:02d}",
        "d": lambda: str(dt.day),
        "hh": lambda: f"{hour:02d}",
        "h": lambda: str(hour),
        "ss": lambda: f"{dt.second:02d}",
        "s": lambda: str(dt.second),
    }
    make = words.get(low)
    return make() if make else raw


def format_date(serial: float, pattern: str) -> str:
    """A serial number through a date/time pattern (``dd/mm/yyyy``, ``h:mm:ss am/pm``)."""
    return _format_date(serial, _sections(pattern)[0])


def render(
    effective: JSON | None,
    user_entered: JSON | None,
    number_format: JSON | None,
    value_render: str = "FORMATTED_VALUE",
    date_render: str = "SERIAL_NUMBER",
    locale: str = "en_US",
) -> Any:
    """One cell as values.get returns it under the given render options ("" when empty)."""
    if value_render == "FORMULA" and user_entered and "formulaValue" in user_entered:
        return user_entered["formulaValue"]
    if not effective:
        return ""
    if "errorValue" in effective:
        return ERROR_TEXT.get(effective["errorValue"].get("type"), "#ERROR!")
    if "stringValue" in effective:
        return effective["stringValue"]
    if "boolValue" in effective:
        flag = effective["boolValue"]
        return ("TRUE" if flag else "FALSE") if value_render == "FORMATTED_VALUE" else flag
    number = effective.get("numberValue", 0)
    if value_render == "FORMATTED_VALUE":
        return format_number(number, number_format, locale)
    is_date = (number_format or {}).get("type") in ("DATE", "DATE_TIME", "TIME")
    if is_date and date_render == "FORMATTED_STRING":
        return format_number(number, number_format, locale)
    return json_number(number)


ERROR_TEXT = {
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
}
