"""`ccrc-sync validate`: read the workbook, judge it, and optionally write a fixed copy.

The shell around the pure rules in `schema`: it reads with `workbook.read_plan` (read-only,
so the input's bytes never change), runs `schema.validate_plan`, and returns a
`ValidationResult` that serialises to exactly the JSON documented in the README.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, Field

from ccrc_sync.config import Config
from ccrc_sync.errors import WorkbookError
from ccrc_sync.schema import Issue, Severity, Value, parse_date_text, validate_plan
from ccrc_sync.workbook.legacy import PlanWorkbook, read_plan

# Findings whose suggestion is a value that can replace the cell without a judgement call.
SAFE_FIXES = frozenset(
    {"status.noncanonical", "section.noncanonical", "text.whitespace", "date.text"}
)


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
    if fix is not None and _same_path(Path(fix), workbook):
        raise WorkbookError(
            f"--fix must name a new file; it will not overwrite the input {workbook}."
        )
    table = read_plan(workbook, config.plan.sheet)
    issues = validate_plan(table, config.plan, today or dt.date.today())
    counts = Counts()
    for issue in issues:
        setattr(counts, issue.severity.value, getattr(counts, issue.severity.value) + 1)
    result = ValidationResult(
        ok=counts.error == 0,
        workbook=str(workbook),
        recommendations=len(table.rows),
        counts=counts,
        issues=issues,
    )
    if fix is not None:
        result.fixed = write_fixed_copy(workbook, config, issues, Path(fix))
        result.fixed_path = str(fix)
    return result


def _same_path(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def safe_fixes(issues: list[Issue]) -> dict[str, Value]:
    """A1 cell -> fixed value, for the findings a machine may fix on its own."""
    fixes: dict[str, Value] = {}
    for issue in issues:
        if issue.code not in SAFE_FIXES or issue.cell is None or issue.suggestion is None:
            continue
        if issue.code == "date.text":
            fixes[issue.cell] = parse_date_text(issue.suggestion)
        else:
            fixes[issue.cell] = issue.suggestion
    return fixes


def write_fixed_copy(workbook: Path, config: Config, issues: list[Issue], out: Path) -> int:
    """Write `out`: the workbook with safe fixes applied and everything else kept.

    Refuses (WorkbookError) when openpyxl could not keep all of the workbook, since the
    promise of `--fix` is an otherwise identical copy.
    """
    book = PlanWorkbook.load(workbook, config.plan.sheet)
    lost = book.lossy_content()
    if lost:
        raise WorkbookError(
            "--fix cannot write a faithful copy of this workbook: " + " ".join(lost)
        )
    fixes = safe_fixes(issues)
    for cell, value in fixes.items():
        book.set_cell(cell, value)
    book.save_as(out)
    return len(fixes)


_HEADINGS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}
_VALUE_WIDTH = 100


def _plural(n: int, word: str) -> str:
    if n == 1 or word == "info":
        return f"{n} {word}"
    return f"{n} {word}es" if word.endswith("x") else f"{n} {word}s"


def render_text(result: ValidationResult) -> str:
    """Findings grouped by severity, each with its cell, then a closing count line."""
    lines = [f"{result.workbook}"]
    for severity, heading in _HEADINGS.items():
        group = [i for i in result.issues if i.severity is severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{heading} ({len(group)}):")
        for issue in group:
            where = f"{issue.sheet}!{issue.cell}" if issue.cell else f"{issue.sheet}"
            named = issue.rec_no is None or issue.message.startswith(f"Rec {issue.rec_no} ")
            rec = "" if named else f"Rec {issue.rec_no}: "
            lines.append(f"  {where:<20} {rec}{issue.message} [{issue.code}]")
            if issue.suggestion:
                lines.append(f"  {'':<20} Fix: {_shorten(issue.suggestion)}")
            elif issue.value and issue.code.startswith(("text.", "cell.")):
                lines.append(f"  {'':<20} Value: {_shorten(issue.value)}")
    if result.fixed_path is not None:
        lines.append("")
        lines.append(f"Wrote {result.fixed_path} with {_plural(result.fixed, 'fix')} applied.")
    lines.append("")
    c = result.counts
    lines.append(
        f"{_plural(result.recommendations, 'recommendation')}: {_plural(c.error, 'error')}, "
        f"{_plural(c.warning, 'warning')}, {_plural(c.info, 'info')}"
    )
    return "\n".join(lines)


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _VALUE_WIDTH else flat[: _VALUE_WIDTH - 3] + "..."
