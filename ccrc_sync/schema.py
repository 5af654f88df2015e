"""The action plan's schema: its fields, vocabularies, findings, and how values compare.

Everything here is pure: plain values in, plain values out. Both the workbook and the
Google Sheet are read into the same `PlanTable`, so one set of rules judges both sides.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# Canonical column labels, as in the template and as reported in findings ("field").
REC_NO = "Rec No."
SECTION = "Section"
RECOMMENDATION = "Recommendation"
ACTION = "Action"
STATUS = "Status"
OWNER = "Owner"
TARGET_DATE = "Target Date"
LAST_UPDATED = "Last Updated"
NOTES = "Notes"

FIELDS: tuple[str, ...] = (
    REC_NO,
    SECTION,
    RECOMMENDATION,
    ACTION,
    STATUS,
    OWNER,
    TARGET_DATE,
    LAST_UPDATED,
    NOTES,
)
REQUIRED_FIELDS: tuple[str, ...] = (REC_NO, SECTION, RECOMMENDATION, ACTION, STATUS)
DATE_FIELDS: tuple[str, ...] = (TARGET_DATE, LAST_UPDATED)

DEFAULT_STATUSES: tuple[str, ...] = ("Planned", "In Progress", "Complete")
DEFAULT_SECTIONS: tuple[str, ...] = (
    "Key Recommendations",
    "Casework Quality",
    "Learning & Development",
    "Assurance",
    "Leadership & Governance",
)
PLAN_SHEET = "Action Plan"

# A cell value as either side holds it.
Value = str | int | float | dt.date | dt.datetime | None


class Formula(str):
    """A cell that holds a formula (as opposed to text that happens to start with '=')."""

    __slots__ = ()


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Issue(BaseModel):
    """One finding. Findings are data: the CLI's JSON prints exactly these fields."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    code: str
    sheet: str | None = None
    cell: str | None = None
    rec_no: int | None = None
    field: str | None = None
    value: str | None = None
    message: str
    suggestion: str | None = None


def header_key(text: object) -> str:
    """Header matching ignores case, spacing and punctuation: `rec. no.` == `Rec No`."""
    return re.sub(r"[^0-9a-z]+", "", str(text or "").casefold())


_HEADER_KEYS = {header_key(f): f for f in FIELDS}


def match_header(text: object) -> str | None:
    """The canonical label a header cell stands for, or None for a column we do not know."""
    return _HEADER_KEYS.get(header_key(text))


def canonical(vocabulary: Iterable[str], text: object) -> str | None:
    """The vocabulary entry `text` means, ignoring case and spaces at the ends (and doubled inside)."""
    key = " ".join(str(text or "").split()).casefold()
    for word in vocabulary:
        if " ".join(word.split()).casefold() == key:
            return word
    return None


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


def parse_date_text(text: object) -> dt.date | None:
    """Read a date typed as text, UK day-first, only where the reading is unambiguous.

    Accepts ISO `2027-03-31` (with an optional time part), `31/03/2027`, `31-03-2027`,
    `31.03.2027`, two-digit years as 20xx, and `31 March 2027` / `31 Mar 2027`.
    Returns None for anything else, including impossible dates such as `31/02/2027`.
    """
    s = str(text or "").strip()
    if not s:
        return None
    try:
        m = re.fullmatch(
            r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", s
        )
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", s)
        if m:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return dt.date(year, int(m[2]), int(m[1]))
        m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})", s)
        if m and m[2].casefold() in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[2].casefold()], int(m[1]))
    except ValueError:
        return None
    return None


def as_date(value: Value) -> dt.date | None:
    """A real date from a date, a datetime, or text that reads as one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_date_text(value)
    return None


def rec_no_of(value: Value) -> int | None:
    """The Rec No. a cell holds, if it is a positive whole number (15, 15.0 or '15')."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*", value):
        number = int(float(value))
        return number if number > 0 else None
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

    Spaces at the ends, line endings, case of a vocabulary word, a date against the same
    date as text, and `15` against `15.0` all compare equal. Blank is the empty string.
    """
    if is_blank(value):
        return ""
    if field in DATE_FIELDS:
        day = as_date(value)
        if day is not None:
            return day.isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
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
    if field == REC_NO and (number := rec_no_of(text)) is not None:
        return str(number)
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return format_number(float(text))
    return text


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
