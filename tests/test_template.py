"""The committed template is what the script makes from the reviewable TOML source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fixtures.plans import SOURCE, TEMPLATE, make_template_module, seed_records
from openpyxl import load_workbook

from ccrc_sync import schema
from ccrc_sync.config import Config
from ccrc_sync.validate import run_validate


def _describe(path: Path) -> dict[str, object]:
    """Everything about the workbook a person would notice."""
    wb = load_workbook(path)
    ws = wb[schema.PLAN_SHEET]
    cells = [
        (
            c.coordinate,
            c.value,
            c.number_format,
            c.font.b,
            c.fill.fgColor.rgb,
            c.alignment.wrap_text,
        )
        for row in ws.iter_rows()
        for c in row
    ]
    return {
        "sheets": wb.sheetnames,
        "cells": cells,
        "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        "validations": sorted(
            (str(dv.sqref), dv.formula1, dv.type) for dv in ws.data_validations.dataValidation
        ),
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "names": sorted(wb.defined_names.keys()) + sorted(ws.defined_names.keys()),
    }


def test_the_committed_template_matches_the_script(tmp_path: Path) -> None:
    built = make_template_module().build_template(SOURCE, tmp_path / "plan.xlsx")
    assert _describe(built) == _describe(TEMPLATE)


def test_the_build_is_deterministic(tmp_path: Path) -> None:
    module = make_template_module()
    first = module.build_template(SOURCE, tmp_path / "a.xlsx").read_bytes()
    assert module.build_template(SOURCE, tmp_path / "b.xlsx").read_bytes() == first


def test_the_template_is_made_for_people() -> None:
    wb = load_workbook(TEMPLATE)
    assert wb.sheetnames == ["Action Plan"]
    ws = wb["Action Plan"]
    assert [c.value for c in ws[1]] == list(schema.FIELDS)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I35"
    assert ws["A1"].font.b and ws["C2"].alignment.wrap_text
    assert ws.column_dimensions["C"].width >= 60
    assert ws["G2"].number_format == "dd/mm/yyyy" and ws["H35"].number_format == "dd/mm/yyyy"
    lists = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert lists == {
        '"Planned,In Progress,Complete"': "E2:E1000",
        '"Key Recommendations,Casework Quality,Learning & Development,Assurance,Leadership & Governance"': "B2:B1000",
    }


def test_rows_are_the_seeds_34_in_rec_no_order_verbatim_and_canonical() -> None:
    ws = load_workbook(TEMPLATE)["Action Plan"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == list(range(1, 35))
    seed = {r["rec_no"]: r for r in seed_records()}
    for r in rows:
        record = seed[r[0]]
        assert r[1:5] == [
            record["section"],
            record["recommendation"],
            record["action"],
            record["status"],
        ]
        assert r[5:] == [None] * 4
        assert r[4] in schema.DEFAULT_STATUSES
    assert rows[5][3] == "Review of case planning structureunderway."
    assert rows[27][2].endswith("who line manages the relevant Case Review")


def test_the_template_validates_cleanly() -> None:
    result = run_validate(TEMPLATE, Config(), today=dt.date(2026, 7, 2))
    assert result.ok and result.recommendations == 34
    assert [(i.code, i.rec_no) for i in result.issues] == [
        ("text.truncated", 28),
        ("text.near_duplicate", 31),
    ]
