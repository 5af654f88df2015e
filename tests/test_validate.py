"""`ccrc-sync validate` as a user meets it: findings, JSON, --fix, and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.plans import ROOT, add_x14_validation, template_copy, write_seed_raw
from openpyxl import load_workbook

from ccrc_sync.config import Config, PlanConfig
from ccrc_sync.errors import WorkbookError
from ccrc_sync.validate import render_text, run_validate
from ccrc_sync.workbook.legacy import read_plan

TODAY = dt.date(2026, 7, 2)
CONFIG = Config()
HAS_CLI = (ROOT / "ccrc_sync" / "cli.py").exists()
needs_cli = pytest.mark.skipif(not HAS_CLI, reason="ccrc_sync/cli.py is not written yet")


def test_the_template_validates_with_34_recommendations(tmp_path: Path) -> None:
    result = run_validate(template_copy(tmp_path), CONFIG, today=TODAY)
    assert result.ok and result.recommendations == 34
    assert result.counts.model_dump() == {"error": 0, "warning": 2, "info": 0}
    text = render_text(result)
    assert text.splitlines()[-1] == "34 recommendations: 0 errors, 2 warnings, 0 info"
    assert "Action Plan!C29" in text and "Action Plan!C32" in text


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
        (16, "In progress", "In Progress"),
        (24, "In progress", "In Progress"),
        (28, "In progress", "In Progress"),
    ]
    assert {i.code for i in result.issues} == {
        "status.noncanonical", "text.truncated", "text.near_duplicate", "column.optional_missing",
    }  # fmt: skip
    near = next(i for i in result.issues if i.code == "text.near_duplicate")
    assert "Rec 16" in near.message and "Rec 31" in near.message


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


def test_fix_writes_a_copy_with_safe_fixes_and_leaves_the_input_alone(tmp_path: Path) -> None:
    path = _messy(tmp_path)
    before = path.read_bytes()
    out = tmp_path / "fixed.xlsx"
    result = run_validate(path, CONFIG, fix=out, today=TODAY)
    assert not result.ok and result.fixed == 4
    assert path.read_bytes() == before
    fixed = read_plan(out).by_rec_no()
    assert fixed[1]["Status"] == "In Progress"
    assert fixed[2]["Section"] == "Assurance"
    assert fixed[3]["Owner"] == "Head of Quality"
    assert fixed[4]["Target Date"] == dt.date(2027, 3, 31)
    assert fixed[5]["Status"] == "Finished"
    assert fixed[6]["Notes"] == "=text, not a formula"
    ws = load_workbook(out)["Action Plan"]
    assert ws["G5"].is_date and len(ws.data_validations.dataValidation) == 2
    assert ws.freeze_panes == "A2" and ws.column_dimensions["C"].width == 80
    again = run_validate(out, CONFIG, today=TODAY)
    assert [i.code for i in again.issues if i.severity.value == "error"] == ["status.unknown"]
    assert "Wrote" in render_text(result)


def test_fix_never_writes_the_input(tmp_path: Path) -> None:
    path = _messy(tmp_path)
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match="will not overwrite the input"):
        run_validate(path, CONFIG, fix=tmp_path / "." / "plan.xlsx", today=TODAY)
    assert path.read_bytes() == before


@pytest.mark.filterwarnings("ignore:Data Validation extension")
def test_fix_refuses_when_the_copy_would_lose_content(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    add_x14_validation(path)
    with pytest.raises(WorkbookError, match="drop-down"):
        run_validate(path, CONFIG, fix=tmp_path / "out.xlsx", today=TODAY)
    assert not (tmp_path / "out.xlsx").exists()


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
        ("rec_no.missing", 35)
    ]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "ccrc_sync", "validate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(ROOT)},
    )


@needs_cli
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


@needs_cli
def test_cli_fix_writes_a_copy(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    path = _messy(tmp_path / "m")
    out = tmp_path / "fixed.xlsx"
    done = _cli(str(path), "--fix", str(out), cwd=tmp_path)
    assert done.returncode == 1 and out.exists()
    assert _cli(str(path), "--fix", str(path), cwd=tmp_path).returncode == 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
