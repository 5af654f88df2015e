"""`ccrc-sync validate` as a user meets it: findings, JSON, --fix, and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures import excel
from fixtures.plans import ROOT, template_copy, write_seed_raw
from openpyxl import load_workbook

from ccrc_sync.config import Config, PlanConfig
from ccrc_sync.errors import WorkbookError
from ccrc_sync.schema import CATALOGUE, Issue, make_issue
from ccrc_sync.validate import Counts, ValidationResult, render_text, run_validate
from ccrc_sync.workbook import read_plan

TODAY = dt.date(2026, 7, 2)
CONFIG = Config()


def test_the_template_validates_with_34_recommendations(tmp_path: Path) -> None:
    result = run_validate(template_copy(tmp_path), CONFIG, today=TODAY)
    assert result.ok and result.recommendations == 34  # its 12 lettered parts are not counted
    # The seed's own defects, reported and never silently fixed (issue 12 item 4).
    assert [(i.cell, i.rec_no, i.code) for i in result.issues] == [
        ("D7", "6", "text.missing_space"),
        ("C41", "28", "text.truncated"),
        ("C43", "30", "text.missing_space"),
        ("C44", "31", "text.near_duplicate"),
    ]
    assert result.counts.model_dump() == {"error": 0, "warning": 4, "info": 0}
    text = render_text(result)
    assert text.splitlines()[-2:] == [
        "34 recommendations: 0 errors, 4 warnings, 0 notes.",
        "2 of these 4 findings can be fixed automatically in a copy: "
        "ccrc-sync validate --fix COPY.xlsx",
    ]
    assert "  Action Plan!D7    Rec 6: Action is missing a space in 'structureunderway'." in text


def test_json_has_exactly_the_documented_shape(tmp_path: Path) -> None:
    result = run_validate(template_copy(tmp_path), CONFIG, today=TODAY)
    data = json.loads(result.to_json())
    assert list(data) == ["ok", "workbook", "recommendations", "counts", "issues"]
    assert list(data["issues"][0]) == [
        "severity", "code", "sheet", "cell", "rec_no", "field", "value", "message", "suggestion",
    ]  # fmt: skip
    assert data["issues"][0]["severity"] == "warning"


def test_the_seeds_raw_spellings_are_warnings_with_the_canonical_fix(tmp_path: Path) -> None:
    path = write_seed_raw(tmp_path / "seed.xlsx")
    result = run_validate(path, CONFIG, today=TODAY)
    assert result.ok and result.recommendations == 34
    spelled = [
        (i.rec_no, i.value, i.suggestion) for i in result.issues if i.code == "status.noncanonical"
    ]
    assert spelled == [
        (rec, "In progress", "Write it as 'In Progress'.") for rec in ("16", "24", "28")
    ]
    assert {i.code for i in result.issues} == {
        "status.noncanonical", "text.truncated", "text.near_duplicate", "column.optional_missing",
        "text.missing_space",
    }  # fmt: skip
    near = next(i for i in result.issues if i.code == "text.near_duplicate")
    assert (near.cell, near.message) == (
        "C33",
        "Rec 31 looks like a near-duplicate of Rec 16 (row 22); the same recommendation may be "
        "recorded twice.",
    )


def _messy(tmp_path: Path) -> Path:
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    ws = wb["Action Plan"]
    ws["E2"] = "in progress "
    ws["B3"] = "assurance"
    ws["F4"] = "  Head of Quality "
    ws["G5"] = "31/03/2027"
    ws["E6"] = "Finished"  # unknown: an error, not fixable by a machine
    ws["I7"] = "=text, not a formula"
    ws["I7"].data_type = "s"
    wb.save(path)
    return path


# What --fix corrects in `_messy` and in the template's own text, cell by cell.
MESSY_FIXES: dict[str, object] = {
    "E2": "In Progress",
    "B3": "Assurance",
    "F4": "Head of Quality",
    "G5": dt.datetime(2027, 3, 31),
    "D7": "Review of case planning structure underway.",
}


def _cell_values(path: Path) -> dict[tuple[str, str], object]:
    """Every cell with a value in every sheet, as openpyxl reads it."""
    wb = load_workbook(path)
    return {
        (ws.title, cell.coordinate): cell.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    }


def _without_cells(xml: bytes, refs: list[str]) -> bytes:
    pattern = "|".join(refs)
    return re.sub(rf'<c r="(?:{pattern})"[^>]*?(?:/>|>.*?</c>)'.encode(), b"", xml, flags=re.S)


def assert_fixed_copy(source: Path, copy: Path, fixes: dict[str, object]) -> None:
    """The copy has exactly `fixes` (A1 ref on the plan sheet -> value) and is otherwise the
    source: every other part byte for byte, every other cell of the plan sheet's part
    untouched, and every other cell of every sheet holding the same value."""
    before, after = excel.parts(source), excel.parts(copy)
    assert sorted(after) == sorted(before)
    assert [n for n in before if before[n] != after[n]] == [excel.PLAN]
    refs = [*fixes, "C43"]  # C43: the template's own missing space, fixed too
    assert _without_cells(after[excel.PLAN], refs) == _without_cells(before[excel.PLAN], refs)
    old, new = _cell_values(source), _cell_values(copy)
    changed = {key: value for key, value in new.items() if old.get(key) != value}
    assert {ref: changed[("Action Plan", ref)] for ref in fixes} == fixes
    assert set(changed) == {("Action Plan", ref) for ref in refs}
    assert str(changed[("Action Plan", "C43")]).startswith(
        "The CCRC should consider whether the functions currently undertaken by the Nominated "
        "Decision Maker would be more appropriately carried out by Group Leaders or Senior Case "
        "Review Managers. Should the Nominated Decision Maker role be retained,"
    )


def test_fix_writes_a_copy_with_safe_fixes_and_leaves_the_input_alone(tmp_path: Path) -> None:
    path = _messy(tmp_path)
    before = path.read_bytes()
    out = tmp_path / "fixed.xlsx"
    result = run_validate(path, CONFIG, fix=out, today=TODAY)
    assert not result.ok and result.fixed == 6  # the four in _messy, two missing spaces
    assert path.read_bytes() == before
    assert_fixed_copy(path, out, MESSY_FIXES)
    fixed = read_plan(out).by_rec_no()
    assert fixed["4"]["Target Date"] == dt.date(2027, 3, 31)  # a real date now, not text
    assert fixed["5"]["Status"] == "Finished"  # an error a person must fix: left as it was
    assert fixed["6"]["Notes"] == "=text, not a formula"
    ws = load_workbook(out)["Action Plan"]
    assert ws["G5"].is_date and ws["G5"].number_format == "dd/mm/yyyy"
    again = run_validate(out, CONFIG, today=TODAY)
    assert [(i.cell, i.code) for i in again.issues] == [
        ("E6", "status.unknown"),
        ("C41", "text.truncated"),
        ("C44", "text.near_duplicate"),
    ]
    assert render_text(result).splitlines()[-1] == (
        f"Wrote {out} with 6 fixes applied; {path} itself was not changed."
    )


def test_fix_never_writes_the_input(tmp_path: Path) -> None:
    path = _messy(tmp_path)
    before = path.read_bytes()
    with pytest.raises(WorkbookError) as caught:
        run_validate(path, CONFIG, fix=tmp_path / "." / "plan.xlsx", today=TODAY)
    assert str(caught.value) == (
        f"--fix must name a new file; it will not overwrite the input {path}."
    )
    assert path.read_bytes() == before


def test_fix_reads_the_workbook_once_and_fixes_what_it_validated(
    tmp_path: Path, workbook_reads: list[Path]
) -> None:
    """The copy is written from the very read the findings came from (not a second read,
    with the fixes applied by address to whatever the file then held)."""
    path = _messy(tmp_path)
    out = tmp_path / "fixed.xlsx"
    assert run_validate(path, CONFIG, fix=out, today=TODAY).fixed == 6
    assert workbook_reads == [path.resolve()]
    assert_fixed_copy(path, out, MESSY_FIXES)


@pytest.mark.parametrize(
    "build",
    [excel.add_cross_sheet_dropdown, excel.add_picture_and_shape, excel.add_threaded_comment],
    ids=["cross-sheet drop-down", "picture and shape", "threaded comment"],
)
def test_fix_keeps_what_openpyxl_would_drop(
    tmp_path: Path, build: Callable[[Path], object]
) -> None:
    """The copy is patched like a sync's write (issue 10 item 7), so Excel's own parts stay."""
    path = _messy(tmp_path)
    build(path)
    out = tmp_path / "fixed.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl, reading back, warns of what it drops
        assert run_validate(path, CONFIG, fix=out, today=TODAY).fixed == 6
        assert_fixed_copy(path, out, MESSY_FIXES)


def test_merged_cells_in_data_rows_are_a_finding(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    wb["Action Plan"].merge_cells("F3:F4")
    wb.save(path)
    result = run_validate(path, CONFIG, today=TODAY)
    assert [i.cell for i in result.issues if i.code == "cell.merged"] == ["F3"]


def test_configured_expected_rec_nos_are_used(tmp_path: Path) -> None:
    config = Config(plan=PlanConfig(rec_nos="1-35"))
    result = run_validate(template_copy(tmp_path), config, today=TODAY)
    assert not result.ok
    assert [(i.code, i.rec_no) for i in result.issues if i.severity.value == "error"] == [
        ("rec_no.missing", "35")
    ]


LONG_CHOICES = tuple(f"Section number {n} of the longer vocabulary" for n in range(1, 6))


def _result(*issues: Issue, fixed_path: str | None = None, fixed: int = 0) -> ValidationResult:
    counts = Counts()
    for issue in issues:
        setattr(counts, issue.severity.value, getattr(counts, issue.severity.value) + 1)
    return ValidationResult(
        ok=counts.error == 0,
        workbook="plan.xlsx",
        recommendations=34,
        counts=counts,
        issues=list(issues),
        fixed_path=fixed_path,
        fixed=fixed,
    )


def _findings() -> list[Issue]:
    choices = ", ".join(LONG_CHOICES)
    return [
        make_issue("section.unknown", sheet="Action Plan", cell="B3", rec_no="2",
                   field="Section", value="Asurance", choices=choices,
                   advice=f"Choose one of: {choices}."),
        make_issue("status.unknown", sheet="Action Plan", cell="E6", rec_no="5",
                   field="Status", value="Completed", choices="Planned, In Progress, Complete",
                   advice="Did you mean 'Complete'?"),
        make_issue("status.noncanonical", sheet="Action Plan", cell="E2", rec_no="1",
                   field="Status", value="in progress", word="In Progress"
                   ).with_fix("In Progress"),
    ]  # fmt: skip


def test_text_names_no_codes_unless_verbose() -> None:
    result = _result(*_findings())
    plain, verbose = render_text(result), render_text(result, verbose=True)
    assert "[" not in plain and "status.unknown" not in plain
    assert "Status 'Completed' is not one of: Planned, In Progress, Complete. [status.unknown]" in (
        " ".join(verbose.split())
    )
    assert "Fix: Did you mean 'Complete'?" in plain


def test_a_list_of_allowed_values_wraps_and_is_never_cut_mid_word() -> None:
    text = render_text(_result(*_findings()))
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines)
    flat = " ".join(text.split())
    assert f"Fix: Choose one of: {', '.join(LONG_CHOICES)}." in flat
    fix = next(line for line in lines if "Fix: Choose one of" in line)
    following = lines[lines.index(fix) + 1]
    assert following.startswith(" " * 25) and following.strip()[0].isalnum()


def test_the_last_line_says_how_many_findings_fix_would_correct() -> None:
    findings = _findings()
    text = render_text(_result(*findings))
    assert text.splitlines()[-2:] == [
        "34 recommendations: 2 errors, 1 warning, 0 notes.",
        "1 of these 3 findings can be fixed automatically in a copy: "
        "ccrc-sync validate --fix COPY.xlsx",
    ]
    assert (
        render_text(_result(findings[2]))
        .splitlines()[-1]
        .startswith("This finding can be fixed automatically")
    )
    assert render_text(_result(findings[0])).splitlines()[-1] == (
        "None of these can be fixed automatically; each needs a person."
    )
    assert render_text(_result()).splitlines()[-1] == "Nothing to correct."
    done = render_text(_result(*findings, fixed_path="fixed.xlsx", fixed=1))
    assert done.splitlines()[-1] == (
        "Wrote fixed.xlsx with 1 fix applied; plan.xlsx itself was not changed."
    )


def test_every_fix_in_the_catalogue_is_a_sentence() -> None:
    for code in CATALOGUE.values():
        if code.fix and code.fix != "{advice}":
            assert code.fix[0].isupper(), code.code
            assert code.fix.rstrip("'").endswith((".", "?")) or code.fix.endswith(
                ": '{proposed}'"
            ), code.code


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "ccrc_sync", "validate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(ROOT)},
    )


def test_cli_exit_codes(tmp_path: Path) -> None:
    good = template_copy(tmp_path)
    done = _cli(str(good), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["recommendations"] == 34

    (tmp_path / "messy").mkdir()
    bad = _messy(tmp_path / "messy")
    assert _cli(str(bad), cwd=tmp_path).returncode == 1

    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    done = _cli(str(junk), cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert junk.read_bytes() == b"not a workbook"


def test_cli_fix_writes_a_copy(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    path = _messy(tmp_path / "m")
    out = tmp_path / "fixed.xlsx"
    before = path.read_bytes()
    done = _cli(str(path), "--fix", str(out), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == (
        f"Wrote {out} with 6 fixes applied; {path} itself was not changed."
    )
    assert path.read_bytes() == before
    assert_fixed_copy(path, out, MESSY_FIXES)
    again = _cli(str(path), "--fix", str(path), cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip().endswith(
        f"--fix must name a new file; it will not overwrite the input {path}."
    )
    assert path.read_bytes() == before


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
