"""`ccrc-sync validate`: read the workbook, judge it, and optionally write a fixed copy.

The shell around the pure rules in `schema`: it reads with `workbook.read_plan` (read-only,
so the input's bytes never change), runs `schema.validate_plan`, and returns a
`ValidationResult` that serialises to exactly the JSON documented in the README. With
`--fix` it reads once with `PlanWorkbook.open` instead, validates that read's table and
writes the copy from it; `save_copy` alone decides that the copy would be the input.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from pydantic import BaseModel, Field

from ccrc_sync import config as configuration
from ccrc_sync.config import Config
from ccrc_sync.errors import WorkbookError
from ccrc_sync.schema import Issue, Severity, Value, parent_of, parse_ref, validate_plan
from ccrc_sync.words import plural
from ccrc_sync.workbook import OverwritesInput, PlanWorkbook, WorkbookLimits, read_plan
from ccrc_sync.writes import CellEdit, WorkbookWrites


class Counts(BaseModel):
    error: int = 0
    warning: int = 0
    info: int = 0


class ValidationResult(BaseModel):
    ok: bool
    workbook: str
    recommendations: int
    counts: Counts
    issues: list[Issue]
    # Not part of the JSON: where `--fix` wrote its copy and how many cells it changed.
    fixed_path: str | None = Field(default=None, exclude=True)
    fixed: int = Field(default=0, exclude=True)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def run_validate(
    workbook: Path,
    config: Config,
    *,
    fix: Path | None = None,
    today: dt.date | None = None,
) -> ValidationResult:
    """Validate a workbook; with `fix`, also write a copy with the safe fixes applied.

    Raises WorkbookError (exit 2) when the workbook cannot be read or `fix` is the input.
    """
    workbook = Path(workbook)
    limits = WorkbookLimits.from_config(config.workbook)
    # Fixing: one read serves the findings and the copy, so the fixes land on the cells
    # they were found in. Only validating: the lighter read that records no positions.
    book = None if fix is None else PlanWorkbook.open(workbook, config.plan.sheet, limits=limits)
    table = read_plan(workbook, config.plan.sheet, limits=limits) if book is None else book.table
    issues = validate_plan(table, config.plan, today or configuration.today(config))
    counts = Counts()
    for issue in issues:
        setattr(counts, issue.severity.value, getattr(counts, issue.severity.value) + 1)
    result = ValidationResult(
        ok=counts.error == 0,
        workbook=str(workbook),
        recommendations=sum(1 for r in table.rows if r.key is None or parent_of(r.key) is None),
        counts=counts,
        issues=issues,
    )
    if book is not None and fix is not None:
        result.fixed = write_fixed_copy(book, issues, Path(fix))
        result.fixed_path = str(fix)
    return result


def safe_fixes(issues: list[Issue]) -> dict[str, Value]:
    """A1 cell -> fixed value, for the findings a machine may fix on its own."""
    return {i.cell: i.fix_value for i in issues if i.fixable and i.cell is not None}


def write_fixed_copy(book: PlanWorkbook, issues: list[Issue], out: Path) -> int:
    """Write `out`: the workbook as `book` read it with the safe fixes patched in and every
    other part kept byte for byte (the same path the sync writes by)."""
    fixes = safe_fixes(issues)
    cells = [CellEdit(*parse_ref(ref), value) for ref, value in fixes.items()]
    try:
        book.save_copy(out, WorkbookWrites(cells=tuple(cells)))
    except OverwritesInput:
        raise WorkbookError(
            f"--fix must name a new file; it will not overwrite the input {book.path}."
        ) from None
    return len(fixes)


_HEADINGS = {
    Severity.ERROR: "Errors",
    Severity.WARNING: "Warnings",
    Severity.INFO: "Notes",
}
_EXPLAIN = {
    Severity.ERROR: "the sync does not carry these values until they are corrected",
    Severity.WARNING: "worth a look; the sync still carries these",
    Severity.INFO: "for information",
}
_WIDTH = 100  # the terminal lines are wrapped to this, never cut
_WHERE = 18  # the cell column: 'Action Plan!C20' and a little room
_VALUE_CHARS = 300  # a cell's value is shown up to here (at a word), not whole


def _wrapped(text: str, first: str, indent: str) -> list[str]:
    """`text` wrapped at word boundaries after `first`; a long word is moved to the next
    line whole, never cut (a value in a list of choices stays readable)."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=_WIDTH,
        initial_indent=first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _value(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= _VALUE_CHARS:
        return flat
    return flat[:_VALUE_CHARS].rsplit(" ", 1)[0] + " …"


def _fix_line(result: ValidationResult) -> str:
    """The last line: how many findings `--fix` would correct (or did)."""
    if result.fixed_path is not None:
        return (
            f"Wrote {result.fixed_path} with {plural(result.fixed, 'fix', 'fixes')} applied; "
            f"{result.workbook} itself was not changed."
        )
    total = len(result.issues)
    fixable = sum(1 for i in result.issues if i.fixable)
    if total == 0:
        return "Nothing to correct."
    if fixable == 0:
        return "None of these can be fixed automatically; each needs a person."
    if total == 1:
        which = "This finding"
    elif fixable == total:
        which = f"All {total} findings"
    else:
        which = f"{fixable} of these {total} findings"
    return f"{which} can be fixed automatically in a copy: ccrc-sync validate --fix COPY.xlsx"


def render_text(result: ValidationResult, *, verbose: bool = False) -> str:
    """Findings grouped by severity, each with its cell, what is wrong and what to do, then
    the counts and, last, how many of them `--fix` would correct.

    Finding codes are for scripts and support: they appear in the JSON, and here only with
    `verbose`. Long lines wrap at word boundaries; nothing a person needs is cut off.
    """
    lines = [f"{result.workbook}"]
    indent = " " * (_WHERE + 2)
    for severity, heading in _HEADINGS.items():
        group = [i for i in result.issues if i.severity is severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{heading} ({len(group)}): {_EXPLAIN[severity]}.")
        for issue in group:
            where = f"{issue.sheet}!{issue.cell}" if issue.cell else f"{issue.sheet or ''}"
            named = issue.rec_no is None or issue.message.startswith(f"Rec {issue.rec_no} ")
            rec = "" if named else f"Rec {issue.rec_no}: "
            code = f" [{issue.code}]" if verbose else ""
            first = f"  {where:<{_WHERE}}"
            lines += _wrapped(f"{rec}{issue.message}{code}", first, indent)
            if issue.suggestion:
                lines += _wrapped(f"Fix: {issue.suggestion}", indent, indent + "     ")
            elif issue.value and issue.code.startswith(("text.", "cell.")):
                lines += _wrapped(f"Value: {_value(issue.value)}", indent, indent + "       ")
    lines.append("")
    c = result.counts
    lines.append(
        f"{plural(result.recommendations, 'recommendation')}: {plural(c.error, 'error')}, "
        f"{plural(c.warning, 'warning')}, {plural(c.info, 'note')}."
    )
    lines.append(_fix_line(result))
    return "\n".join(lines)
