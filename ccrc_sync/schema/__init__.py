"""The action plan's schema: its fields, keys, values, findings and rules.

Everything here is pure: plain values in, plain values out. Both the workbook and the
Google Sheet are read into the same `PlanTable`, so one set of rules judges both sides.

- `fields`: column labels, vocabularies, the cell `Value` type, Rec No. keys;
- `values`: comparing (`normalise`), showing (`display`) and reading dates typed as text;
- `table`: `PlanTable`, a sheet read as rows keyed by header;
- `codes`: `Issue` and the one catalogue of finding codes;
- `text`: heuristics on text (cut off, run together, recorded twice);
- `due`: reading a Target Date and the one rule for "overdue";
- `rules`: `Validator`, the rules themselves.
"""

from __future__ import annotations

import datetime as dt

from ccrc_sync.schema.across import rollup
from ccrc_sync.schema.codes import CATALOGUE, Code, Issue, PlanRules, Severity, make_issue
from ccrc_sync.schema.due import is_overdue, target_date_of
from ccrc_sync.schema.fields import (
    ACTION,
    COMPLETED_ON,
    DATE_FIELDS,
    DEFAULT_SECTIONS,
    DEFAULT_STATUSES,
    EVIDENCE,
    FIELDS,
    LAST_UPDATED,
    MAX_CELL_CHARS,
    NOTES,
    OWNER,
    PLAN_SHEET,
    QUIET_FIELDS,
    REC_NO,
    RECOMMENDATION,
    REQUIRED_FIELDS,
    SECTION,
    STATUS,
    TARGET_DATE,
    TEXT_FIELDS,
    Formula,
    RecNo,
    Value,
    header_key,
    match_header,
    parent_of,
    rec_cell_value,
    rec_no_of,
    rec_sort_key,
)
from ccrc_sync.schema.rules import Validator, invalid_cells
from ccrc_sync.schema.table import PlanRow, PlanTable, table_from_grid
from ccrc_sync.schema.text import looks_truncated
from ccrc_sync.schema.values import (
    a1,
    as_date,
    canonical,
    column_letter,
    column_number,
    display,
    format_number,
    is_blank,
    normalise,
    parse_date_text,
    parse_range,
    parse_ref,
    uk_date,
)


def validate_plan(
    table: PlanTable, plan: PlanRules, today: dt.date, *, plan_wide: bool = True
) -> list[Issue]:
    """Judge one plan table once (a `Validator` used a single time)."""
    return Validator(plan, today).validate(table, plan_wide=plan_wide)


__all__ = [
    "ACTION",
    "CATALOGUE",
    "COMPLETED_ON",
    "DATE_FIELDS",
    "DEFAULT_SECTIONS",
    "DEFAULT_STATUSES",
    "EVIDENCE",
    "FIELDS",
    "LAST_UPDATED",
    "MAX_CELL_CHARS",
    "NOTES",
    "OWNER",
    "PLAN_SHEET",
    "QUIET_FIELDS",
    "RECOMMENDATION",
    "REC_NO",
    "REQUIRED_FIELDS",
    "SECTION",
    "STATUS",
    "TARGET_DATE",
    "TEXT_FIELDS",
    "Code",
    "Formula",
    "Issue",
    "PlanRow",
    "PlanRules",
    "PlanTable",
    "RecNo",
    "Severity",
    "Validator",
    "Value",
    "a1",
    "as_date",
    "canonical",
    "column_letter",
    "column_number",
    "display",
    "format_number",
    "header_key",
    "invalid_cells",
    "is_blank",
    "is_overdue",
    "looks_truncated",
    "make_issue",
    "match_header",
    "normalise",
    "parent_of",
    "parse_date_text",
    "parse_range",
    "parse_ref",
    "rec_cell_value",
    "rec_no_of",
    "rec_sort_key",
    "rollup",
    "table_from_grid",
    "target_date_of",
    "uk_date",
    "validate_plan",
]
