"""`ccrc-sync validate`: read the workbook, judge it, and optionally write a fixed copy.

The shell around the pure rules in `schema`: it reads with `workbook.read_plan` (read-only,
so the input's bytes never change), runs `schema.validate_plan`, and returns a
`ValidationResult` that serialises to exactly the JSON documented in the README.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, Field

from ccrc_sync import config as configuration
from ccrc_sync.config import Config
from ccrc_sync.errors import WorkbookError
from ccrc_sync.schema import Issue, Severity, Value, column_number, parent_of, validate_plan
from ccrc_sync.workbook import PlanWorkbook, WorkbookLimits, read_plan
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
    if fix is not None and _same_path(Path(fix), workbook):
        raise WorkbookError(
            f"--fix must name a new file; it will not overwrite the input {workbook}."
        )
    limits = WorkbookLimits.from_config(config.workbook)
    table = read_plan(workbook, config.plan.sheet, limits=limits)
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
    return {i.cell: i.fix_value for i in issues if i.fixable and i.cell is not None}


def write_fixed_copy(workbook: Path, config: Config, issues: list[Issue], out: Path) -> int:
    """Write `out`: the workbook with the safe fixes patched in and every other part kept
    byte for byte (the same path the sync writes by)."""
    fixes = safe_fixes(issues)
    book = PlanWorkbook.open(
        workbook, config.plan.sheet, limits=WorkbookLimits.from_config(config.workbook)
    )
    cells = []
    for ref, value in fixes.items():
        letters = ref.rstrip("0123456789")
        cells.append(CellEdit(int(ref[len(letters) :]), column_number(letters), value))
    book.save_copy(out, WorkbookWrites(cells=tuple(cells)))
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
