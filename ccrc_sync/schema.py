"""The action plan's schema: its fields, vocabularies, findings, and how values compare.

Everything here is pure: plain values in, plain values out. Both the workbook and the
Google Sheet are read into the same `PlanTable`, so one set of rules judges both sides.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Protocol

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
)
REQUIRED_FIELDS: tuple[str, ...] = (REC_NO, SECTION, RECOMMENDATION, ACTION, STATUS)
DATE_FIELDS: tuple[str, ...] = (TARGET_DATE, LAST_UPDATED)
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


def parse_date_text(text: object, *, day_first: bool = True) -> dt.date | None:
    """Read a date typed as text, UK day-first, only where the reading is unambiguous.

    `day_first=False` reads `3/31/2027` month-first, for a Google Sheet in a US locale,
    which shows its dates that way. Accepts ISO `2027-03-31` (with an optional time part), `31/03/2027`, `31-03-2027`,
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
            day, month = (m[1], m[2]) if day_first else (m[2], m[1])
            return dt.date(year, int(month), int(day))
        m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})", s)
        if m and m[2].casefold() in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[2].casefold()], int(m[1]))
    except ValueError:
        return None
    return None


def as_date(value: Value, *, day_first: bool = True) -> dt.date | None:
    """A real date from a date, a datetime, or text that reads as one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_date_text(value, day_first=day_first)
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
    if field == REC_NO and (number := rec_no_of(text)) is not None:
        return str(number)
    # A number shown as text is that number ("15", "15.0"), but "007" and "4.10" are text
    # someone typed that way on purpose: changing one to the other is an edit.
    if _PLAIN_NUMBER.fullmatch(text):
        return format_number(float(text))
    # A date-time shown as text ("2027-03-31 9:30:00") is that date-time.
    if m := _DATETIME_TEXT.fullmatch(text):
        try:
            stamp = dt.datetime(*(int(g or 0) for g in m.groups()))
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


# --------------------------------------------------------------------------------------
# The plan as a table: both sides are read into this shape, then judged by one set of rules.
# --------------------------------------------------------------------------------------


class PlanRow(BaseModel):
    """One non-blank data row: where it sits (1-based) and what it holds, by canonical label."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    row: int
    values: dict[str, Value]
    extras: dict[str, Value] = {}


class PlanTable(BaseModel):
    """A sheet read as a table. Columns are found by header, so staff may reorder them.

    Built with `model_construct` by `table_from_grid` (the values are already typed, and a
    `Formula` must stay a `Formula` rather than be coerced to plain text by validation).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    sheet: str
    header_row: int
    headers: list[str]
    columns: dict[str, int]
    extra_columns: dict[str, int]
    rows: list[PlanRow]
    # Columns whose header repeats a known field; the first one wins, these are ignored.
    duplicate_columns: dict[int, str] = {}
    # Merged ranges (A1, e.g. "C5:D5") as the reader found them; the workbook side only.
    merged: list[str] = []

    def by_rec_no(self) -> dict[int, dict[str, Value]]:
        """Rec No. -> label -> value, first occurrence of each valid Rec No.

        Only columns present on this side appear, so a missing column is never mistaken
        for cells someone emptied.
        """
        table: dict[int, dict[str, Value]] = {}
        for plan_row in self.rows:
            number = rec_no_of(plan_row.values.get(REC_NO))
            if (
                number is not None
                and number not in table
                and not isinstance(plan_row.values.get(REC_NO), Formula)
            ):
                table[number] = dict(plan_row.values)
        return table

    def row_of(self) -> dict[int, int]:
        """Rec No. -> 1-based sheet row of its first occurrence (where a write lands)."""
        rows: dict[int, int] = {}
        for plan_row in self.rows:
            number = rec_no_of(plan_row.values.get(REC_NO))
            if number is not None and number not in rows:
                rows[number] = plan_row.row
        return rows


def column_letter(col: int) -> str:
    """1 -> A, 28 -> AB (pure, so the schema needs no openpyxl)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


# How far down we look for the header row: a title or a blank line above it is common.
_HEADER_SEARCH_ROWS = 10


def _find_header_row(grid: list[list[Value]]) -> int:
    """0-based index of the header: the first early row naming at least two known fields.

    Row 1 normally; a title row ("CCRC Action Plan") above the headers is tolerated.
    Falls back to the first non-blank row so missing columns are reported against it.
    """
    first_nonblank = None
    for index, row in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        if first_nonblank is None and any(not is_blank(v) for v in row):
            first_nonblank = index
        known = {match_header(v) for v in row if isinstance(v, str)} - {None}
        if len(known) >= 2:
            return index
    return first_nonblank or 0


def table_from_grid(grid: list[list[Value]], sheet: str) -> PlanTable:
    """Read a row-major grid of cell values into a `PlanTable`.

    Headers are matched by name (`match_header`), blank rows are skipped, and columns we
    do not know are kept as extras so nothing staff added is lost or misread.
    """
    header_index = _find_header_row(grid)
    header_cells = grid[header_index] if grid else []
    headers = [display(v) for v in header_cells]
    columns: dict[str, int] = {}
    extra_columns: dict[str, int] = {}
    duplicates: dict[int, str] = {}
    for col, text in enumerate(headers, start=1):
        if not text.strip():
            continue
        label = match_header(text)
        if label is None:
            extra_columns.setdefault(text.strip(), col)
        elif label in columns:
            duplicates[col] = label
        else:
            columns[label] = col
    known = [(label, col - 1) for label, col in columns.items()]
    extra = [(text, col - 1) for text, col in extra_columns.items()]
    rows: list[PlanRow] = []
    for index in range(header_index + 1, len(grid)):
        cells = grid[index]
        width = len(cells)
        values = {label: (cells[i] if i < width else None) for label, i in known}
        extras = {text: (cells[i] if i < width else None) for text, i in extra}
        if all(is_blank(v) for v in values.values()) and all(is_blank(v) for v in extras.values()):
            continue
        rows.append(PlanRow.model_construct(row=index + 1, values=values, extras=extras))
    return PlanTable.model_construct(
        sheet=sheet,
        header_row=header_index + 1,
        headers=headers,
        columns=columns,
        extra_columns=extra_columns,
        rows=rows,
        duplicate_columns=duplicates,
        merged=[],
    )


# --------------------------------------------------------------------------------------
# Validation rules: pure, linear in the number of rows, findings in row-then-column order.
# --------------------------------------------------------------------------------------


class _PlanRules(Protocol):
    """What `validate_plan` needs from `config.PlanConfig` (duck-typed to avoid a cycle)."""

    statuses: tuple[str, ...]
    sections: tuple[str, ...]
    complete_status: str

    def expected_rec_nos(self) -> set[int]: ...


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Rows without a cell (plan-level findings) sort after every row.
_LAST = 1 << 30

# A text that ends on one of these words stops mid-sentence ("... to the").
_DANGLING = _words(
    "a an the and or but nor of to in on at by for with from into onto as than that which "
    "who whom whose where when while if whether because including such its their our your "
    "his her is are was were be been being will would should shall can could may might must "
    "not no per via between among within without"
)
# A long sentence that does not end like one looks cut off.
_TRUNCATION_MIN_WORDS = 12
_END_PUNCTUATION = tuple(".!?…:;)]}\"'’”")

# Words too common to say what a recommendation is about.
_STOPWORDS = _words(
    "a an the and or of to in on for by with at as is are be been being this that these "
    "those it its their they them will should would can could may must from into any all "
    "each which who whom whose when where how what whether not no if than then there here "
    "we our us such so also both either other including include includes"
)
# Near-duplicate thresholds, tuned on the template (see `_near_duplicates`).
_COPY_JACCARD = 0.8
_SAME_ACTION_JACCARD = 0.2
_SPECIFIC_ACTION_WORDS = 8
_ANCHOR_WORDS = 8
# Earlier rows compared per bucket: keeps a plan of many copies linear.
_SCAN_LIMIT = 32
_TOKEN = re.compile(r"[0-9a-z]+")


class _Findings:
    """Collects findings with a sort key, so the output order never depends on rule order."""

    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self._items: list[tuple[int, int, int, Issue]] = []

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        *,
        row: int | None = None,
        col: int | None = None,
        rec_no: int | None = None,
        field: str | None = None,
        value: Value = None,
        suggestion: str | None = None,
    ) -> None:
        cell = a1(row, col) if row is not None and col is not None else None
        issue = Issue(
            severity=severity,
            code=code,
            sheet=self.sheet,
            cell=cell,
            rec_no=rec_no,
            field=field,
            value=None if value is None else display(value),
            message=message,
            suggestion=suggestion,
        )
        key = (row if row is not None else _LAST, col if col is not None else _LAST)
        self._items.append((*key, len(self._items), issue))

    def extend(self, items: Sequence[tuple[int, int, int, Issue]]) -> None:
        for row, col, _, issue in items:
            self._items.append((row, col, len(self._items), issue))

    def sorted(self) -> list[Issue]:
        return [item[3] for item in sorted(self._items, key=lambda item: item[:3])]


def validate_plan(
    table: PlanTable,
    plan: _PlanRules,
    today: dt.date,
    *,
    plan_wide: bool = True,
    remember: bool = False,
) -> list[Issue]:
    """Judge a plan table against the rules of the action plan; findings in sheet order.

    `plan_wide=False` leaves out the near-duplicate comparison, a warning that can never
    stop a value from being carried; the sync uses it where it only needs the errors.
    `remember=True` keeps each row's findings for the next call (the sync judges each side
    before and after its merge, and most rows are the same both times).
    """
    out = _Findings(table.sheet)
    _check_columns(table, out)
    numbers = _check_rec_nos(table, plan, out)
    context = (
        table.sheet,
        tuple(table.columns.items()),
        tuple(table.extra_columns.items()),
        tuple(plan.statuses),
        tuple(plan.sections),
        plan.complete_status,
        today,
    )
    for plan_row in table.rows:
        number = numbers.get(plan_row.row)
        if remember:
            out.extend(_row_findings(table, plan_row, number, plan, today, context))
        else:
            _check_row(table, plan_row, number, plan, today, out)
    _check_merged(table, out)
    if plan_wide:
        _near_duplicates(table, numbers, out)
    return out.sorted()


# Row findings depend only on the row and its context, so a row judged once is not judged
# again: the sync validates each side before and after the merge, and most rows are the same.
_ROW_CACHE: dict[tuple, list[tuple[int, int, int, Issue]]] = {}
_ROW_CACHE_LIMIT = 100_000


def _row_findings(
    table: PlanTable,
    plan_row: PlanRow,
    number: int | None,
    plan: _PlanRules,
    today: dt.date,
    context: tuple,
) -> list[tuple[int, int, int, Issue]]:
    try:
        key = (
            context,
            plan_row.row,
            number,
            # The type is part of the key: a Formula equals its text, and 1 equals True.
            tuple((k, type(v), v) for k, v in plan_row.values.items()),
            tuple((k, type(v), v) for k, v in plan_row.extras.items()),
        )
        found = _ROW_CACHE.get(key)
    except TypeError:  # a value that cannot be a key: judge it afresh
        key, found = None, None
    if found is None:
        row_out = _Findings(table.sheet)
        _check_row(table, plan_row, number, plan, today, row_out)
        found = row_out._items
        if key is not None:
            if len(_ROW_CACHE) >= _ROW_CACHE_LIMIT:
                _ROW_CACHE.clear()
            _ROW_CACHE[key] = found
    return found


def _check_columns(table: PlanTable, out: _Findings) -> None:
    row = table.header_row
    for label in FIELDS:
        if label in table.columns:
            continue
        if label in REQUIRED_FIELDS:
            out.add(
                Severity.ERROR,
                "column.missing",
                f"The required column '{label}' is missing from the header row (row {row}).",
                row=row,
                col=len(table.headers) + 1,
                field=label,
                suggestion=f"Add a column headed '{label}'.",
            )
        else:
            out.add(
                Severity.INFO,
                "column.optional_missing",
                f"There is no '{label}' column; it is optional, so nothing is checked there.",
                row=row,
                col=len(table.headers) + 1,
                field=label,
            )
    for col, label in table.duplicate_columns.items():
        out.add(
            Severity.WARNING,
            "column.duplicate",
            f"Column {column_letter(col)} repeats the '{label}' header; only column "
            f"{column_letter(table.columns[label])} is read.",
            row=row,
            col=col,
            field=label,
            value=table.headers[col - 1],
            suggestion="Rename or remove the repeated column.",
        )
    for text, col in table.extra_columns.items():
        out.add(
            Severity.INFO,
            "column.unknown",
            f"Column {column_letter(col)} ('{text}') is not one of the plan's columns; "
            "it is kept as it is and not checked.",
            row=row,
            col=col,
            value=text,
        )


def _check_rec_nos(table: PlanTable, plan: _PlanRules, out: _Findings) -> dict[int, int]:
    """Sheet row -> valid Rec No.; reports invalid, duplicate, missing and unexpected ones."""
    col = table.columns.get(REC_NO)
    if col is None:
        return {}
    numbers: dict[int, int] = {}
    rows_of: dict[int, list[int]] = {}
    for plan_row in table.rows:
        value = plan_row.values.get(REC_NO)
        number = None if isinstance(value, Formula) else rec_no_of(value)
        if number is None:
            what = (
                "is empty"
                if is_blank(value)
                else "is a formula"
                if isinstance(value, Formula)
                else f"'{display(value)}' is not a positive whole number"
            )
            out.add(
                Severity.ERROR,
                "rec_no.invalid",
                f"Rec No. {what} on row {plan_row.row}; every recommendation needs its number.",
                row=plan_row.row,
                col=col,
                field=REC_NO,
                value=value,
                suggestion="Type the recommendation's number (1, 2, 3 ...).",
            )
            continue
        numbers[plan_row.row] = number
        rows_of.setdefault(number, []).append(plan_row.row)
    for number, rows in rows_of.items():
        if len(rows) < 2:
            continue
        listed = ", ".join(str(r) for r in rows)
        for row in rows:
            out.add(
                Severity.ERROR,
                "rec_no.duplicate",
                f"Rec No. {number} appears more than once (rows {listed}).",
                row=row,
                col=col,
                rec_no=number,
                field=REC_NO,
                value=number,
                suggestion="Keep one row per recommendation; renumber or remove the others.",
            )
    expected = plan.expected_rec_nos()
    for plan_row in table.rows:
        number = numbers.get(plan_row.row)
        if number is not None and number not in expected and rows_of[number][0] == plan_row.row:
            out.add(
                Severity.WARNING,
                "rec_no.unexpected",
                f"Rec No. {number} is not one of the plan's recommendations.",
                row=plan_row.row,
                col=col,
                rec_no=number,
                field=REC_NO,
                value=number,
                suggestion="Check the number, or add it to plan.rec_nos in the configuration.",
            )
    for number in sorted(expected - rows_of.keys()):
        out.add(
            Severity.ERROR,
            "rec_no.missing",
            f"Rec {number} is missing: no row has that Rec No.",
            rec_no=number,
            field=REC_NO,
            suggestion=f"Add a row for Rec {number}, or restore it from a backup.",
        )
    return numbers


def _check_row(
    table: PlanTable,
    plan_row: PlanRow,
    number: int | None,
    plan: _PlanRules,
    today: dt.date,
    out: _Findings,
) -> None:
    row = plan_row.row
    for label, value in plan_row.values.items():
        col = table.columns[label]
        where = {"row": row, "col": col, "rec_no": number, "field": label, "value": value}
        if isinstance(value, Formula):
            if label != REC_NO:
                out.add(
                    Severity.WARNING,
                    "cell.formula",
                    f"{label} holds a formula; the plan expects typed values, and the "
                    "Google Sheet receives the formula's text, not its result.",
                    suggestion="Replace the formula with its value.",
                    **where,
                )
            continue
        if label == STATUS:
            _check_vocabulary(label, "status", value, plan.statuses, where, out)
        elif label == SECTION:
            _check_vocabulary(label, "section", value, plan.sections, where, out)
        elif label in DATE_FIELDS:
            _check_date(label, value, plan_row, plan, today, where, out)
        elif label in (RECOMMENDATION, ACTION) and is_blank(value):
            out.add(
                Severity.ERROR,
                "text.empty",
                f"{label} is empty; every recommendation needs one.",
                suggestion=f"Fill in the {label.lower()}.",
                **where,
            )
            continue
        if label in (RECOMMENDATION, ACTION) and isinstance(value, str):
            _check_truncated(label, value, where, out)
        if label not in (REC_NO, STATUS, SECTION, *DATE_FIELDS) and isinstance(value, str):
            _check_whitespace(label, value, where, out)
    for text, value in plan_row.extras.items():
        if isinstance(value, Formula):
            out.add(
                Severity.WARNING,
                "cell.formula",
                f"'{text}' holds a formula; the plan expects typed values.",
                row=row,
                col=table.extra_columns[text],
                rec_no=number,
                field=text,
                value=value,
                suggestion="Replace the formula with its value.",
            )


def _check_vocabulary(
    label: str,
    kind: str,
    value: Value,
    vocabulary: tuple[str, ...],
    where: dict[str, object],
    out: _Findings,
) -> None:
    if is_blank(value):
        out.add(
            Severity.WARNING,
            f"{kind}.empty",
            f"{label} is empty.",
            suggestion=f"Choose one of: {', '.join(vocabulary)}.",
            **where,  # type: ignore[arg-type]
        )
        return
    word = canonical(vocabulary, value)
    if word is None:
        out.add(
            Severity.ERROR,
            f"{kind}.unknown",
            f"{label} '{display(value)}' is not one of: {', '.join(vocabulary)}.",
            suggestion=f"Choose one of: {', '.join(vocabulary)}.",
            **where,  # type: ignore[arg-type]
        )
    elif value != word:
        out.add(
            Severity.WARNING,
            f"{kind}.noncanonical",
            f"{label} '{display(value)}' means '{word}' but is spelled differently.",
            suggestion=word,
            **where,  # type: ignore[arg-type]
        )


def _check_date(
    label: str,
    value: Value,
    plan_row: PlanRow,
    plan: _PlanRules,
    today: dt.date,
    where: dict[str, object],
    out: _Findings,
) -> None:
    if is_blank(value):
        return
    day: dt.date | None
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
    elif isinstance(value, str) and (day := parse_date_text(value)) is not None:
        out.add(
            Severity.WARNING,
            "date.text",
            f"{label} '{value.strip()}' is text that reads as {day:%d %B %Y}, not a date.",
            suggestion=day.isoformat(),
            **where,  # type: ignore[arg-type]
        )
    else:
        out.add(
            Severity.ERROR,
            "date.invalid",
            f"{label} '{display(value)}' is not a date.",
            suggestion="Type a date such as 31/03/2027 (day first).",
            **where,  # type: ignore[arg-type]
        )
        return
    if label != TARGET_DATE or day >= today:
        return
    status = canonical(plan.statuses, plan_row.values.get(STATUS))
    if status is not None and status == canonical(plan.statuses, plan.complete_status):
        return
    out.add(
        Severity.WARNING,
        "date.overdue",
        f"The target date {day:%d %B %Y} has passed and the status is "
        f"'{display(plan_row.values.get(STATUS)) or 'empty'}', not {plan.complete_status}.",
        suggestion="Update the status, or agree and record a new target date.",
        **where,  # type: ignore[arg-type]
    )


def looks_truncated(text: str) -> bool:
    """True when a text seems cut off mid-sentence (pasted from a PDF, a full cell, ...).

    It ends on a word that cannot end a sentence ("... to the"), on a comma or dash, or it
    is a long sentence (12+ words) with no closing punctuation. Short phrases such as the
    action "Audit planned" are allowed to go without a full stop.
    """
    stripped = text.strip()
    words = stripped.split()
    if len(words) < 3 or stripped.endswith(_END_PUNCTUATION):
        return False
    if stripped.endswith((",", "-", "–", "—", "(", "&", "/")):
        return True
    last = words[-1].casefold().strip("\"'’”")
    return last in _DANGLING or len(words) >= _TRUNCATION_MIN_WORDS


def _check_truncated(label: str, value: str, where: dict[str, object], out: _Findings) -> None:
    if looks_truncated(value):
        tail = " ".join(value.split()[-6:])
        out.add(
            Severity.WARNING,
            "text.truncated",
            f"{label} looks cut off mid-sentence (it ends '...{tail}').",
            suggestion="Check the full text against the inspection report and complete it.",
            **where,  # type: ignore[arg-type]
        )


def _check_whitespace(label: str, value: str, where: dict[str, object], out: _Findings) -> None:
    trimmed = value.strip()
    if trimmed != value and trimmed:
        out.add(
            Severity.WARNING,
            "text.whitespace",
            f"{label} has spaces or line breaks at its start or end.",
            suggestion=trimmed,
            **where,  # type: ignore[arg-type]
        )


_RANGE = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _check_merged(table: PlanTable, out: _Findings) -> None:
    for ref in table.merged:
        m = _RANGE.fullmatch(ref.upper())
        if not m:
            continue
        col, row = _column_number(m[1]), int(m[2])
        last_row = int(m[4] or m[2])
        if last_row <= table.header_row:
            continue
        out.add(
            Severity.WARNING,
            "cell.merged",
            f"Cells {ref} are merged; in data rows that breaks sorting, filtering and the "
            "sync, which read only the first cell.",
            row=row,
            col=col,
            suggestion="Unmerge the cells and type the value in each row.",
            value=ref,
        )


def _stem_tokens(text: str) -> frozenset[str]:
    """Content words, crudely stemmed by truncation (operations ~ operational)."""
    return frozenset(
        t[:6] for t in _TOKEN.findall(text.casefold()) if t not in _STOPWORDS and len(t) > 1
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


class _Text:
    """What the near-duplicate rules need of one recommendation, computed once."""

    __slots__ = ("action_key", "ends", "row", "stems", "words")

    def __init__(self, plan_row: PlanRow, text: str, action: Value) -> None:
        self.row = plan_row
        words = _TOKEN.findall(text.casefold())
        self.words = frozenset(words)
        self.stems = _stem_tokens(text)
        content = [w for w in words if w not in _STOPWORDS]
        # A copy edited in one place keeps its opening or its ending word for word
        # (its first or last eight content words; half of them for short texts).
        size = _ANCHOR_WORDS if len(content) >= 12 else max(2, len(content) // 2)
        self.ends = (("^", *content[:size]), ("$", *content[-size:]))
        self.action_key: tuple[str, ...] | None = None
        if isinstance(action, str) and not isinstance(action, Formula):
            action_words = tuple(_TOKEN.findall(action.casefold()))
            if len(action_words) >= _SPECIFIC_ACTION_WORDS:
                self.action_key = action_words


def _near_duplicates(table: PlanTable, numbers: dict[int, int], out: _Findings) -> None:
    """Warn about recommendations recorded twice, naming both, in linear time.

    Two signs, tuned so that in the template only Recs 16 and 31 (the Casework
    Administration Team manual, filed under two sections with the same progress note) are
    reported, while Recs 4 and 5 (deliberate variants sharing a stock action, word
    Jaccard 0.42) are not:

    - a copied recommendation: word Jaccard >= 0.8 with an earlier one that shares its
      first or last eight content words (signature buckets, so no all-pairs comparison);
    - the same work recorded twice: the same specific action word for word (8+ words,
      so stock phrases like "Process redesign underway." do not count) and overlapping
      recommendation text (stemmed content-word Jaccard >= 0.2).

    Each later row is reported once, against the first earlier row it duplicates.
    """
    rec_col = table.columns.get(RECOMMENDATION)
    if rec_col is None:
        return
    buckets: dict[tuple[str, ...], list[_Text]] = {}
    by_action: dict[tuple[str, ...], list[_Text]] = {}
    for plan_row in table.rows:
        text = plan_row.values.get(RECOMMENDATION)
        if not isinstance(text, str) or isinstance(text, Formula) or is_blank(text):
            continue
        item = _Text(plan_row, text, plan_row.values.get(ACTION))
        if not item.words:
            continue
        match = _find_duplicate(item, buckets, by_action)
        if match is not None:
            _report_duplicate(item.row, match.row, numbers, rec_col, out)
        for key in item.ends:
            buckets.setdefault(key, []).append(item)
        if item.action_key is not None:
            by_action.setdefault(item.action_key, []).append(item)


def _find_duplicate(
    item: _Text,
    buckets: dict[tuple[str, ...], list[_Text]],
    by_action: dict[tuple[str, ...], list[_Text]],
) -> _Text | None:
    """The first earlier text this one duplicates, or None (bounded work per row)."""
    for key in item.ends:
        for other in buckets.get(key, [])[:_SCAN_LIMIT]:
            if _jaccard(item.words, other.words) >= _COPY_JACCARD:
                return other
    if item.action_key is not None:
        for other in by_action.get(item.action_key, [])[:_SCAN_LIMIT]:
            if _jaccard(item.stems, other.stems) >= _SAME_ACTION_JACCARD:
                return other
    return None


def _report_duplicate(
    this: PlanRow, other: PlanRow, numbers: dict[int, int], col: int, out: _Findings
) -> None:
    this_no, other_no = numbers.get(this.row), numbers.get(other.row)
    this_name = f"Rec {this_no}" if this_no else f"Row {this.row}"
    other_name = f"Rec {other_no}" if other_no else f"row {other.row}"
    out.add(
        Severity.WARNING,
        "text.near_duplicate",
        f"{this_name} looks like a near-duplicate of {other_name} (row {other.row}); "
        "the same recommendation may be recorded twice.",
        row=this.row,
        col=col,
        rec_no=this_no,
        field=RECOMMENDATION,
        value=this.values.get(RECOMMENDATION),
        suggestion=f"Compare with {other_name}; merge them or make the difference clear.",
    )


def invalid_cells(issues: Iterable[Issue]) -> set[tuple[int, str]]:
    """(Rec No., field) of every cell an error-severity finding rejects.

    The sync never propagates these values. A `(rec_no, "Rec No.")` entry (for example a
    duplicated Rec No.) means the whole row is in doubt.
    """
    return {
        (issue.rec_no, issue.field)
        for issue in issues
        if issue.severity is Severity.ERROR
        and issue.rec_no is not None
        and issue.field is not None
        and issue.cell is not None
    }
