"""Strict data validation: a write that breaks a cell's rule is refused, whole.

A DataValidationRule with ``strict: true`` means "invalid data should be rejected"
(DataValidationRule reference). The Sheets UI and Apps Script refuse such an entry with
"The data you entered in cell M2 violates the data validation rules set on this cell.",
followed, for a list, by "Please enter one of the following values: ..." (the wording in
public reports; docs/EMULATOR.md cites them). Over the API the refusal is a 400
INVALID_ARGUMENT whose ``details`` carry a ``google.rpc.BadRequest`` naming the value.

Clearing a cell is always allowed. Conditions that need a formula evaluated in the
cell's context (``CUSTOM_FORMULA``) or relative dates are accepted, not judged.
"""

from __future__ import annotations

import re
from typing import Any

from ccrc_sync.emulator import a1, numfmt, values
from ccrc_sync.emulator.errors import ApiError, field_violation
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.store import Sheet, Spreadsheet

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^(https?://|www\.)\S+$|^\S+\.[a-z]{2,}(/\S*)?$", re.I)


def check(ss: Spreadsheet, sheet: Sheet, row: int, col: int, entry: JSON, field: str) -> None:
    """Raise Google's refusal when ``entry`` breaks a strict rule on the cell."""
    rule = (sheet.cells.get((row, col)) or {}).get("dataValidation")
    if not rule or not rule.get("strict"):
        return
    message = refusal(ss, rule, entry, a1.cell_name(row, col))
    if message is not None:
        raise field_violation(message, field)


def refusal(ss: Spreadsheet, rule: JSON, entry: JSON, cell_name: str) -> str | None:
    """The sentence refusing ``entry`` under ``rule``, or None when it is accepted."""
    value = entry.get("userEnteredValue")
    if not value or "formulaValue" in value:
        return None
    condition = rule.get("condition") or {}
    if _accepts(ss, condition, values.value_of(value)):
        return None
    message = (
        f"The data you entered in cell {cell_name} violates the data validation rules set "
        "on this cell."
    )
    if rule.get("inputMessage"):
        return f"{message} {rule['inputMessage']}"
    if condition.get("type") in ("ONE_OF_LIST", "ONE_OF_RANGE"):
        allowed = _allowed(ss, condition)
        return f"{message} Please enter one of the following values: {', '.join(allowed)}."
    return message


def _condition_values(condition: JSON) -> list[str]:
    return [str(v.get("userEnteredValue", "")) for v in condition.get("values") or []]


def _allowed(ss: Spreadsheet, condition: JSON) -> list[str]:
    if condition.get("type") == "ONE_OF_LIST":
        return _condition_values(condition)
    source = (_condition_values(condition) or [""])[0].lstrip("=")
    try:
        sheet, raw = ss.resolve(source)
    except ApiError:
        return []
    box = raw.clip(sheet.rows, sheet.cols)
    out = []
    for (r, c), cell in sorted(sheet.cells.items()):
        if _inside(box, r, c):
            entered = cell.get("userEnteredValue")
            if entered and "formulaValue" not in entered:
                out.append(_text(values.value_of(entered)))
    return [v for v in out if v != ""]


def _inside(box: a1.Box, r: int, c: int) -> bool:
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    return box.start_row <= r < box.end_row and box.start_col <= c < box.end_col


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return numfmt.format_general(value)
    return str(value)


def _number(text: str) -> float | None:
    try:
        return float(text.lstrip("="))
    except ValueError:
        return None


def _accepts(ss: Spreadsheet, condition: JSON, value: Any) -> bool:
    kind = condition.get("type", "")
    args = _condition_values(condition)
    is_number = isinstance(value, float) and not isinstance(value, bool)
    if kind in ("ONE_OF_LIST", "ONE_OF_RANGE"):
        allowed = _allowed(ss, condition)
        if is_number:
            return any(_number(a) == value for a in allowed) or _text(value) in allowed
        return _text(value) in allowed
    if kind.startswith("NUMBER_") or (kind.startswith("DATE_") and kind != "DATE_IS_VALID"):
        return _compare(kind, value, args) if is_number else False
    if kind == "DATE_IS_VALID":
        return is_number
    if kind == "BOOLEAN":
        if not args:
            return isinstance(value, bool)
        return _text(value).casefold() in {a.casefold() for a in args}
    if kind.startswith("TEXT_"):
        return _text_test(kind, _text(value), args)
    return True  # CUSTOM_FORMULA, BLANK, NOT_BLANK, filters-only kinds: not judged here


def _compare(kind: str, value: float, args: list[str]) -> bool:
    bounds = [_bound(a) for a in args]
    if any(b is None for b in bounds) or not bounds:
        return True  # formulas and relative dates are not judged
    numbers = [b for b in bounds if b is not None]
    op = kind.split("_", 1)[1]
    low = numbers[0]
    high = numbers[1] if len(numbers) > 1 else low
    return {
        "GREATER": value > low,
        "GREATER_THAN_EQ": value >= low,
        "LESS": value < low,
        "LESS_THAN_EQ": value <= low,
        "EQ": value == low,
        "NOT_EQ": value != low,
        "BETWEEN": low <= value <= high,
        "NOT_BETWEEN": not low <= value <= high,
        "BEFORE": value < low,
        "AFTER": value > low,
        "ON_OR_BEFORE": value <= low,
        "ON_OR_AFTER": value >= low,
    }.get(op, True)


def _bound(text: str) -> float | None:
    number = _number(text)
    if number is not None:
        return number
    parsed = values.parse_date(text, "en_US")
    return parsed["userEnteredValue"]["numberValue"] if parsed else None


def _text_test(kind: str, text: str, args: list[str]) -> bool:
    folded = text.casefold()
    arg = (args or [""])[0].casefold()
    tests = {
        "TEXT_CONTAINS": arg in folded,
        "TEXT_NOT_CONTAINS": arg not in folded,
        "TEXT_STARTS_WITH": folded.startswith(arg),
        "TEXT_ENDS_WITH": folded.endswith(arg),
        "TEXT_EQ": folded == arg,
        "TEXT_IS_EMAIL": bool(_EMAIL.match(text)),
        "TEXT_IS_URL": bool(_URL.match(text)),
    }
    return tests.get(kind, True)
