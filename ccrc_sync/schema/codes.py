"""Findings and the one catalogue of their codes.

A finding is data (`Issue`): the CLI's JSON prints exactly its fields, the report and the
`Sync Issues` tab render it. Every code a rule can emit is defined here once, with its
severity, a title, the message and the fix as sentence templates, and whether `--fix` can
correct it on its own. A rule never spells a message itself, so the README's table of
codes, the rules and the tests cannot drift apart (a test checks all three).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, PrivateAttr

from ccrc_sync.schema.fields import RecNo, Value
from ccrc_sync.schema.values import a1, display


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Issue(BaseModel):
    """One finding. Findings are data: the CLI's JSON prints exactly these fields.

    `suggestion` is the fix as a sentence for a person. Where `--fix` can correct the
    cell on its own, the corrected value rides along privately (`fix_value`), never in
    the JSON.
    """

    model_config = ConfigDict(frozen=True)

    severity: Severity
    code: str
    sheet: str | None = None
    cell: str | None = None
    rec_no: str | None = None
    field: str | None = None
    value: str | None = None
    message: str
    suggestion: str | None = None
    _fix: tuple[Value] | None = PrivateAttr(default=None)

    @property
    def fixable(self) -> bool:
        return self._fix is not None

    @property
    def fix_value(self) -> Value:
        """The value `--fix` writes into the cell (only meaningful when `fixable`)."""
        return self._fix[0] if self._fix is not None else None

    def with_fix(self, value: Value) -> Issue:
        issue = self.model_copy()
        issue._fix = (value,)
        return issue


@dataclass(frozen=True)
class Code:
    """One kind of finding: how bad it is, what it says, and what to do about it."""

    code: str
    severity: Severity
    title: str
    message: str  # a sentence template, str.format fields named by the rule
    fix: str | None  # the advice, a sentence template; None when there is nothing to do
    fixable: bool = False  # `validate --fix` can correct it without a judgement call
    configurable: bool = False  # its severity follows a setting (e.g. [plan] closure)

    def render(self, template: str | None, params: dict[str, Any]) -> str | None:
        return None if template is None else template.format(**params)


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

_CODES: tuple[Code, ...] = (
    # ------------------------------------------------------------------- columns
    Code(
        "column.missing",
        _E,
        "A required column is missing",
        "The required column '{field}' is missing from the header row (row {row}).",
        "Add a column headed '{field}'.",
    ),
    Code(
        "column.optional_missing",
        _I,
        "An optional column is missing",
        "There is no '{field}' column; it is optional, so nothing is checked there.",
        None,
    ),
    Code(
        "column.duplicate",
        _W,
        "A column header is repeated",
        "Column {column} repeats the '{field}' header; only column {first} is read.",
        "Rename or remove the repeated column.",
    ),
    Code(
        "column.unknown",
        _I,
        "A column the plan does not know",
        "Column {column} ('{value}') is not one of the plan's columns; it is kept as it "
        "is and synced as text.",
        None,
    ),
    Code(
        "column.one_side",
        _W,
        "A column is missing on one side",
        "The {side} has no '{field}' column, but the {other} has one; that column is "
        "not synced until it is back, and nothing in it is lost.",
        "Put the '{field}' column back in the {side}, with the same heading.",
    ),
    # ------------------------------------------------------------------- Rec No.
    Code(
        "rec_no.invalid",
        _E,
        "A Rec No. is missing or not a number",
        "Rec No. {what} on row {row}; every recommendation needs its number, so this "
        "row is not synced.",
        "Type the recommendation's number, such as 7, or a lettered part such as 20a.",
    ),
    Code(
        "rec_no.duplicate",
        _E,
        "A Rec No. is used more than once",
        "Rec No. {rec_no} appears more than once (rows {rows}); none of these rows is "
        "synced until only one has that number.",
        "Keep one row per recommendation; correct the number of the others.",
    ),
    Code(
        "rec_no.unexpected",
        _W,
        "A Rec No. the plan does not expect",
        "Rec No. {rec_no} is not one of the plan's recommendations.",
        "Check the number, or add it to rec_nos under [plan] in the configuration.",
    ),
    Code(
        "rec_no.missing",
        _E,
        "A recommendation has no row",
        "Rec {rec_no} is missing: no row has that Rec No.",
        "Add a row for Rec {rec_no}, or restore it from a backup.",
    ),
    Code(
        "part.no_parent",
        _E,
        "A lettered part without its recommendation",
        "Rec {rec_no} is a lettered part, but there is no Rec {parent} for it to belong to.",
        "Add a row for Rec {parent}, or correct the part's number.",
    ),
    # ------------------------------------------------------------------- cells
    Code(
        "cell.formula",
        _W,
        "A formula where a value is expected",
        "{field} holds a formula; the plan expects typed values, and the other side "
        "receives the formula's text, not its result.",
        "Replace the formula with its value.",
    ),
    Code(
        "cell.formula_kept",
        _W,
        "A change not written over a formula",
        "The Google Sheet changed {field} of Rec {rec_no} to '{value}', but the "
        "workbook cell holds a formula, which is never overwritten.",
        "Change the formula yourself, or replace it with a value.",
    ),
    Code(
        "cell.merged_kept",
        _W,
        "A change not written into merged cells",
        "The Google Sheet changed {field} of Rec {rec_no} to '{value}', but that "
        "workbook cell is hidden inside merged cells, so it was not written there.",
        "Unmerge the cells in the workbook; the change is carried on the next run.",
    ),
    Code(
        "cell.merged",
        _W,
        "Merged cells in the data",
        "Cells {value} are merged; in data rows that breaks sorting, filtering and the "
        "sync, which read only the first cell.",
        "Unmerge the cells and type the value in each row.",
    ),
    Code(
        "cell.too_long",
        _E,
        "Too long for an Excel cell",
        "{field} of Rec {rec_no} is {length:,} characters long; an Excel cell holds at "
        "most 32,767, so it is not written to the workbook.",
        "Shorten the text in the Google Sheet; every other edit is still carried.",
    ),
    # ------------------------------------------------------------------- vocabularies
    Code(
        "status.empty",
        _E,
        "Status is empty",
        "Status is empty.",
        "Choose one of: {choices}.",
    ),
    Code(
        "status.unknown",
        _E,
        "Status is not one of the plan's",
        "Status '{value}' is not one of: {choices}.",
        "{advice}",
    ),
    Code(
        "status.noncanonical",
        _W,
        "Status spelled differently",
        "Status '{value}' means '{word}' but is spelled differently.",
        "Write it as '{word}'.",
        fixable=True,
    ),
    Code(
        "status.rollup",
        _W,
        "A recommendation's status disagrees with its parts",
        "Rec {rec_no} is '{value}', but its lettered parts make it '{computed}'.",
        "Set Rec {rec_no}'s status to '{computed}'.",
        fixable=True,
    ),
    Code(
        "status.reopened",
        _W,
        "A completed recommendation was reopened",
        "Rec {rec_no}'s status went back from '{old}' to '{new}' in the {side}; the "
        "change was carried to the {other}.",
        "Check that Rec {rec_no} really is no longer complete.",
    ),
    Code(
        "section.empty",
        _E,
        "Section is empty",
        "Section is empty.",
        "Choose one of: {choices}.",
    ),
    Code(
        "section.unknown",
        _E,
        "Section is not one of the plan's",
        "Section '{value}' is not one of: {choices}.",
        "{advice}",
    ),
    Code(
        "section.noncanonical",
        _W,
        "Section spelled differently",
        "Section '{value}' means '{word}' but is spelled differently.",
        "Write it as '{word}'.",
        fixable=True,
    ),
    # ------------------------------------------------------------------- dates
    Code(
        "date.text",
        _W,
        "A date typed as text",
        "{field} '{value}' is text that reads as {long_date}, not a date.",
        "Retype it as a date, {short_date}, so it sorts and filters as one.",
        fixable=True,
    ),
    Code(
        "date.invalid",
        _E,
        "Not a date",
        "{field} '{value}' is not a date.",
        "Type a date such as {example}.",
    ),
    Code(
        "date.overdue",
        _W,
        "Past its target date",
        "The target date {long_date} has passed and the status is '{status}', not {complete}.",
        "Update the status, or agree and record a new target date.",
    ),
    # ------------------------------------------------------------------- closure
    Code(
        "closure.no_evidence",
        _W,
        "Complete without evidence",
        "Rec {rec_no} is {complete} but its Evidence is empty.",
        "Record the evidence of closure (a document name or a link) in Evidence.",
        configurable=True,
    ),
    Code(
        "closure.no_date",
        _W,
        "Complete without a completion date",
        "Rec {rec_no} is {complete} but Completed On is empty.",
        "Type the date it was completed in Completed On.",
        configurable=True,
    ),
    Code(
        "closure.future",
        _W,
        "Completed in the future",
        "Completed On {long_date} is in the future.",
        "Check the date; it cannot be later than today.",
    ),
    Code(
        "closure.not_complete",
        _W,
        "A completion date on an open recommendation",
        "Completed On is set, but the status is '{status}', not {complete}.",
        "Set the status to {complete}, or clear Completed On.",
    ),
    # ------------------------------------------------------------------- text
    Code(
        "text.empty",
        _E,
        "Text is empty",
        "{field} is empty; every recommendation needs one.",
        "Fill in the {field_lower}.",
    ),
    Code(
        "text.truncated",
        _W,
        "Text looks cut off",
        "{field} looks cut off mid-sentence (it ends '...{tail}').",
        "Check the full text against the inspection report and complete it.",
    ),
    Code(
        "text.whitespace",
        _W,
        "Spaces at the start or end",
        "{field} has spaces or line breaks at its start or end.",
        "Remove the spaces and line breaks at the start and end.",
        fixable=True,
    ),
    Code(
        "text.missing_space",
        _W,
        "A missing space after a full stop",
        "{field} is missing a space in '{snippet}'.",
        "Add the missing space: '{proposed}'.",
        fixable=True,
    ),
    Code(
        "text.near_duplicate",
        _W,
        "The same recommendation recorded twice",
        "{this} looks like a near-duplicate of {other} (row {other_row}); the same "
        "recommendation may be recorded twice.",
        "Compare with {other}; merge them or make the difference clear.",
    ),
)

CATALOGUE: dict[str, Code] = {c.code: c for c in _CODES}


def make_issue(
    code: str,
    *,
    sheet: str | None,
    cell: str | None = None,
    rec_no: str | None = None,
    field: str | None = None,
    value: str | None = None,
    severity: Severity | None = None,
    **params: Any,
) -> Issue:
    """A finding of a catalogued kind, its message and fix filled from the catalogue."""
    kind = CATALOGUE[code]
    fields = {"rec_no": rec_no, "field": field, "value": value, **params}
    return Issue(
        severity=severity or kind.severity,
        code=code,
        sheet=sheet,
        cell=cell,
        rec_no=rec_no,
        field=field,
        value=value,
        message=kind.render(kind.message, fields) or "",
        suggestion=kind.render(kind.fix, fields),
    )


class PlanRules(Protocol):
    """What the rules need from `config.PlanConfig` (structural, to avoid an import cycle).

    The complete, in-progress and planned statuses come spelt as in `statuses` (PlanConfig
    maps them when it is read), so they compare with a cell's `canonical` word as they are.
    """

    @property
    def statuses(self) -> tuple[str, ...]: ...
    @property
    def sections(self) -> tuple[str, ...]: ...
    @property
    def complete_status(self) -> str: ...
    @property
    def in_progress_status(self) -> str: ...
    @property
    def planned_status(self) -> str: ...
    @property
    def date_order(self) -> str: ...
    @property
    def closure(self) -> str: ...
    def expected_rec_nos(self) -> set[int]: ...


# Rows without a cell (plan-level findings) sort after every row.
LAST = 1 << 30
Item = tuple[int, int, int, Issue]


@dataclass
class Findings:
    """Collects findings with a sort key, so the output order never depends on rule order."""

    sheet: str
    items: list[Item] = field(default_factory=list)

    def add(
        self,
        code: str,
        *,
        row: int | None = None,
        col: int | None = None,
        rec_no: RecNo | None = None,
        field: str | None = None,
        value: Value = None,
        severity: Severity | None = None,
        fix: tuple[Value] | None = None,
        **params: object,
    ) -> None:
        cell = a1(row, col) if row is not None and col is not None else None
        shown = None if value is None else display(value)
        issue = make_issue(
            code,
            sheet=self.sheet,
            cell=cell,
            rec_no=rec_no,
            field=field,
            value=shown,
            severity=severity,
            row=row,
            **params,
        )
        if fix is not None:
            issue = issue.with_fix(fix[0])
        key = (row if row is not None else LAST, col if col is not None else LAST)
        self.items.append((*key, len(self.items), issue))

    def sorted(self) -> list[Issue]:
        return [item[3] for item in sorted(self.items, key=lambda item: item[:3])]


def codes_table() -> str:
    """The README's table of finding codes, generated from the catalogue (a test keeps the
    README in step; `python scripts/codes_table.py` prints it)."""
    lines = [
        "| code | severity | what it means | `--fix` corrects it |",
        "| --- | --- | --- | --- |",
    ]
    for code in CATALOGUE.values():
        severity = code.severity.value + (" (configurable)" if code.configurable else "")
        lines.append(
            f"| `{code.code}` | {severity} | {code.title} | {'yes' if code.fixable else ''} |"
        )
    return "\n".join(lines)
