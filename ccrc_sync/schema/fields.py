"""The plan's columns and keys: field labels, vocabularies, cell values and Rec No. keys.

These are the facts every other module shares. A Rec No. is a text key, `"20"` for a
recommendation and `"20a"` for one of its lettered parts, so a part can sit under its
parent everywhere (merge, state, tabs, JSON) and still sort as a person expects: 2
before 10, 20 before 20a before 20b before 21.
"""

from __future__ import annotations

import datetime as dt
import re

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
# Closure evidence (optional columns after Notes; only synced where both sides have them).
EVIDENCE = "Evidence"
COMPLETED_ON = "Completed On"

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
    EVIDENCE,
    COMPLETED_ON,
)
REQUIRED_FIELDS: tuple[str, ...] = (REC_NO, SECTION, RECOMMENDATION, ACTION, STATUS)
# Optional columns that a plan without them does not miss: nothing is said about them.
QUIET_FIELDS: tuple[str, ...] = (EVIDENCE, COMPLETED_ON)
DATE_FIELDS: tuple[str, ...] = (TARGET_DATE, LAST_UPDATED, COMPLETED_ON)
# Free-text columns: a value there is the text a person sees, even when it looks like a
# number, a percentage or an amount (columns the schema does not know are text too).
TEXT_FIELDS: tuple[str, ...] = (RECOMMENDATION, ACTION, OWNER, NOTES, EVIDENCE)

DEFAULT_STATUSES: tuple[str, ...] = ("Planned", "In Progress", "Complete")
DEFAULT_SECTIONS: tuple[str, ...] = (
    "Key Recommendations",
    "Casework Quality",
    "Learning & Development",
    "Assurance",
    "Leadership & Governance",
)
PLAN_SHEET = "Action Plan"
# Excel's limit on the characters in one cell; a longer value cannot be written there.
MAX_CELL_CHARS = 32_767

# A cell value as either side holds it.
Value = str | int | float | dt.date | dt.datetime | None

# A Rec No. as the plan keys it: "20", or "20a" for a lettered part of 20.
RecNo = str


class Formula(str):
    """A cell that holds a formula (as opposed to text that happens to start with '=')."""

    __slots__ = ()


def header_key(text: object) -> str:
    """Header matching ignores case, spacing and punctuation: `rec. no.` == `Rec No`."""
    return re.sub(r"[^0-9a-z]+", "", str(text or "").casefold())


_HEADER_KEYS = {header_key(f): f for f in FIELDS}


def match_header(text: object) -> str | None:
    """The canonical label a header cell stands for, or None for a column we do not know."""
    return _HEADER_KEYS.get(header_key(text))


# --------------------------------------------------------------------------- Rec No.

_WHOLE = re.compile(r"0*([1-9]\d*)(?:\.0+)?")
_PART = re.compile(r"0*([1-9]\d*)\s*([A-Za-z])")


def rec_no_of(value: Value) -> RecNo | None:
    """The Rec No. a cell holds, as its key: 15, 15.0 and '15' are "15"; '20a' and '20A'
    are "20a". None for anything else (blank, zero, 1.5, text, a formula, TRUE)."""
    if isinstance(value, Formula | bool):
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and value > 0 else None
    if isinstance(value, str):
        text = value.strip()
        if m := _WHOLE.fullmatch(text):
            return m[1]
        if m := _PART.fullmatch(text):
            return f"{m[1]}{m[2].lower()}"
    return None


def rec_sort_key(key: RecNo) -> tuple[int, str]:
    """Numbers in numeric order, each part straight after its parent: 2, 10, 20, 20a, 21."""
    digits = key.rstrip("abcdefghijklmnopqrstuvwxyz")
    return (int(digits) if digits.isdigit() else 1 << 30, key[len(digits) :])


def parent_of(key: RecNo) -> RecNo | None:
    """The recommendation a lettered part belongs to ("20a" -> "20"); None for a whole one."""
    digits = key.rstrip("abcdefghijklmnopqrstuvwxyz")
    return digits if digits != key and digits.isdigit() else None


def rec_cell_value(key: RecNo) -> int | str:
    """How a Rec No. is written into a cell: a number for a whole recommendation (staff
    sort and filter it as one), the text "20a" for a part."""
    return int(key) if key.isdigit() else key
