"""How cell values compare and show: normalising, displaying, and reading dates typed as text.

Both sides hold the same things written differently (spaces at the ends, `In progress`,
`15` against `15.0`), and a comparison that saw those as edits would churn the plan or
raise false conflicts. `normalise` gives one comparison key per meaning. A date typed as
text is *not* the same as a real date: it is compared as the text it is until a person
makes it a date, and the order of its day and month is read only as configured, never
guessed from a spreadsheet's locale.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable

from ccrc_sync.schema.fields import (
    DATE_FIELDS,
    DEFAULT_SECTIONS,
    DEFAULT_STATUSES,
    REC_NO,
    SECTION,
    STATUS,
    Value,
    rec_no_of,
)


def canonical(vocabulary: Iterable[str], text: object) -> str | None:
    """The vocabulary entry `text` means, ignoring case and spaces at the ends (and doubled inside)."""
    key = " ".join(str(text or "").split()).casefold()
    return _vocabulary_index(tuple(vocabulary)).get(key)


@functools.lru_cache(maxsize=32)
def _vocabulary_index(vocabulary: tuple[str, ...]) -> dict[str, str]:
    """Folded spelling -> vocabulary word (the first wins), built once per vocabulary."""
    return {" ".join(w.split()).casefold(): w for w in reversed(vocabulary)}


_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_NUMERIC = re.compile(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})")
_WORDS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})")


def parse_date_text(text: object, *, order: str = "dmy") -> dt.date | None:
    """Read a date typed as text, in the configured order, only where it reads cleanly.

    `order` is "dmy" (31/03/2027, the UK's), "mdy" (3/31/2027) or "ymd" (2027/03/31). ISO
    `2027-03-31` (with an optional time) and `31 March 2027` read the same in every order;
    two-digit years are 20xx. Impossible dates such as `31/02/2027` give None.
    """
    s = str(text or "").strip()
    if not s:
        return None
    try:
        if m := _ISO.fullmatch(s):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _NUMERIC.fullmatch(s):
            a, b, c = m[1], m[2], m[3]
            if order == "ymd":
                year, month, day = a, b, c
            elif order == "mdy":
                month, day, year = a, b, c
            else:
                day, month, year = a, b, c
            if len(year) not in (2, 4) or len(day) > 2 or len(month) > 2:
                return None
            full = int(year) + (2000 if len(year) == 2 else 0)
            return dt.date(full, int(month), int(day))
        m = _WORDS.fullmatch(s)
        if m and m[2].casefold() in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[2].casefold()], int(m[1]))
    except ValueError:
        return None
    return None


def as_date(value: Value, *, order: str = "dmy") -> dt.date | None:
    """A real date from a date, a datetime, or text that reads as one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_date_text(value, order=order)
    return None


def is_blank(value: Value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normalise(
    field: str,
    value: Value,
    statuses: Iterable[str] = DEFAULT_STATUSES,
    sections: Iterable[str] = DEFAULT_SECTIONS,
) -> str:
    """A comparison key: two values with the same key are the same thing written differently.

    Spaces at the ends, line endings, case of a vocabulary word, `15` against `15.0`, and
    a date against the same date at midnight all compare equal. A date typed as text
    stays that text: it is not the same as a real date until a person makes it one.
    Blank is the empty string.
    """
    if is_blank(value):
        return ""
    if isinstance(value, dt.datetime):
        # A date column holds dates: its moment's time of day is not what the plan tracks.
        if field in DATE_FIELDS:
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return format_number(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if field == STATUS:
        return canonical(statuses, text) or text
    if field == SECTION:
        return canonical(sections, text) or text
    if field == REC_NO and (key := rec_no_of(text)) is not None:
        return key
    # A number shown as text is that number ("15", "15.0"), but "007" and "4.10" are text
    # someone typed that way on purpose: changing one to the other is an edit.
    if _PLAIN_NUMBER.fullmatch(text):
        return format_number(float(text))
    # A date-time shown as text ("2027-03-31 9:30:00") is that date-time.
    if m := _DATETIME_TEXT.fullmatch(text):
        try:
            y, mo, d, h, mi, sec = (int(g or 0) for g in m.groups())
            stamp = dt.datetime(y, mo, d, h, mi, sec)
        except ValueError:
            return text
        return stamp.strftime("%Y-%m-%d %H:%M:%S")
    return text


_PLAIN_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.0+|\.\d*[1-9])?")
_DATETIME_TEXT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


def format_number(value: int | float) -> str:
    """15, 15.0 and '15' print alike; other floats keep their digits."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def display(value: Value) -> str:
    """How a value is shown to a person in messages, reports and the staff-facing tabs."""
    if is_blank(value):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def uk_date(value: dt.date) -> str:
    """A date as UK staff read it: 31/03/2027."""
    return f"{value:%d/%m/%Y}"


def column_letter(col: int) -> str:
    """1 -> A, 28 -> AB (pure, so the schema needs no openpyxl)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """A -> 1, AB -> 28."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def a1(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


_A1 = re.compile(r"([A-Za-z]+)(\d+)")


def parse_ref(text: str) -> tuple[int, int]:
    """'B12' or '$B$12' -> (12, 2); raises ValueError on anything else."""
    match = _A1.fullmatch(text.replace("$", ""))
    if match is None:
        raise ValueError(f"not a cell reference: {text!r}")
    return int(match.group(2)), column_number(match.group(1))


def parse_range(text: str) -> tuple[int, int, int, int]:
    """'A1:C5' -> (first row, first col, last row, last col); a single cell too."""
    first, _, last = text.partition(":")
    r1, c1 = parse_ref(first)
    r2, c2 = parse_ref(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
