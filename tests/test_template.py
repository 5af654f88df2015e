"""The committed template is what the script makes from the reviewable TOML source, and it
is made for people: parts under their recommendation, drop-downs and status colours from
the config, and rows tall enough that no text is hidden or spills over the next row."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.plans import (
    ROOT,
    SOURCE,
    TEMPLATE,
    make_template_module,
    seed_records,
    template_rows,
)
from openpyxl import load_workbook

from ccrc_sync import schema, summary
from ccrc_sync.config import Config, load_config
from ccrc_sync.layout import COLOURS, estimate_lines
from ccrc_sync.publish import fold_parts
from ccrc_sync.workbook import read_plan

PARTS = ["18a", "18b", "20a", "20b", "20c", "21a", "21b", "21c", "25a", "25b", "25c", "25d"]
LEADS = {
    "18": "The CCRC should strengthen its internal audit assurance programme by:",
    "20": (
        "The CCRC should review its first line assurance mechanisms with a view to developing "
        "and implementing a new approach to how it assesses casework quality. This will include:"
    ),
    "21": (
        "The CCRC should review the effectiveness of the Long-Running Cases Committee to ensure "
        "the process is founded on a targeted, structured, manageable, risk-based model. "
        "This should include:"
    ),
    "25": (
        "The CCRC should strengthen its quality assurance arrangements for the draft Statements "
        "of Reasons by introducing a clear and proportionate process for Group Leader oversight "
        "of draft Statement of Reasons before submission to Commissioners. This should include:"
    ),
}


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
            c.alignment.horizontal,
            c.alignment.indent,
        )
        for row in ws.iter_rows()
        for c in row
    ]
    return {
        "sheets": wb.sheetnames,
        "cells": cells,
        "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
        "validations": sorted(
            (str(dv.sqref), dv.formula1, dv.type) for dv in ws.data_validations.dataValidation
        ),
        "colours": _status_colours(ws),
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "names": sorted(wb.defined_names.keys()) + sorted(ws.defined_names.keys()),
    }


def _status_colours(ws) -> list[tuple[str, str, str, str]]:
    """(range, operator, value, fill colour) of every conditional format."""
    out = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            out.append(
                (str(cf.sqref), rule.operator, rule.formula[0], rule.dxf.fill.fgColor.rgb[-6:])
            )
    return sorted(out)


def _config_file(tmp_path: Path, plan: str) -> Path:
    path = tmp_path / "ccrc_sync.toml"
    path.write_text(plan, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the build


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
    assert [c.value for c in ws[1]][-3:] == ["Notes", "Evidence", "Completed On"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:K47"
    assert ws["A1"].font.b and ws["C2"].alignment.wrap_text
    assert ws.column_dimensions["C"].width >= 60
    for cell in ("G2", "H47", "K2", "K47"):
        assert ws[cell].number_format == "dd/mm/yyyy"
    assert ws.column_dimensions["K"].number_format == "dd/mm/yyyy"
    lists = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert lists == {
        '"Planned,In Progress,Complete"': "E2:E1000",
        '"Key Recommendations,Casework Quality,Learning & Development,Assurance,Leadership & Governance"': "B2:B1000",
    }
    assert _status_colours(ws) == [
        ("E2:E1000", "equal", '"Complete"', COLOURS.statuses["Complete"]),
        ("E2:E1000", "equal", '"In Progress"', COLOURS.statuses["In Progress"]),
        ("E2:E1000", "equal", '"Planned"', COLOURS.statuses["Planned"]),
    ]


# --------------------------------------------------------------------------- the rows


def test_rows_are_the_seeds_34_with_their_parts_in_rec_no_order() -> None:
    ws = load_workbook(TEMPLATE)["Action Plan"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    keys = [schema.rec_no_of(r[0]) for r in rows]
    wholes = [str(n) for n in range(1, 35)]
    assert keys == sorted([*wholes, *PARTS], key=schema.rec_sort_key)
    assert keys[17:21] == ["18", "18a", "18b", "19"]
    # Whole recommendations keep a number; a part's Rec No. is text.
    assert all(isinstance(r[0], int) for r in rows if str(r[0]) in wholes)
    assert [r[0] for r in rows if isinstance(r[0], str)] == PARTS
    assert len(rows) == 46


def test_whole_recommendations_are_the_seeds_verbatim_and_canonical() -> None:
    ws = load_workbook(TEMPLATE)["Action Plan"]
    rows = {str(r[0]): r for r in ([c.value for c in row] for row in ws.iter_rows(min_row=2))}
    for record in seed_records():
        key = str(record["rec_no"])
        row = rows[key]
        text = LEADS.get(key, record["recommendation"])
        assert row[1:5] == [record["section"], text, record["action"], record["status"]]
        assert row[5:] == [None] * 6
        assert row[4] in schema.DEFAULT_STATUSES
    assert rows["6"][3] == "Review of case planning structureunderway."
    assert rows["28"][2].endswith("who line manages the relevant Case Review")
    assert rows["16"][4] == "In Progress"  # the seed's "In progress", canonical here


def test_each_part_holds_its_own_text_and_folds_back_into_the_seeds() -> None:
    ws = load_workbook(TEMPLATE)["Action Plan"]
    rows = {str(r[0]): r for r in ([c.value for c in row] for row in ws.iter_rows(min_row=2))}
    assert rows["18a"][2] == (
        "Increasing the size and representativeness of samples for audit testing"
    )
    assert rows["20b"][2] == "Review how 10-month scrutiny’s are conducted."
    assert rows["25d"][2] == (
        "A mechanism for thematic issues to be considered by senior leadership."
    )
    seed = {str(r["rec_no"]): r for r in seed_records()}
    for parent, lead in LEADS.items():
        parts = [k for k in PARTS if schema.parent_of(k) == parent]
        for key in parts:
            # Section and Action are the parent's; the status starts as the parent's.
            assert rows[key][1] == rows[parent][1]
            assert rows[key][3] == rows[parent][3]
            assert rows[key][4] == rows[parent][4]
            assert rows[key][5:] == [None] * 6
            assert not rows[key][2].startswith(f"{key[-1]}. ")
        folded = fold_parts(lead, [(k[-1], rows[k][2]) for k in parts])
        assert folded == seed[parent]["recommendation"]


def test_the_seed_file_holds_every_folded_recommendation_verbatim() -> None:
    seed_file = ROOT.parent / "shared" / "seed" / "000_69851092eed254a1.txt"
    if not seed_file.is_file():
        pytest.skip("the seed document (../shared/seed/) is not present")
    text = seed_file.read_text(encoding="utf-8")
    for r in seed_records():
        status = r.get("seed_status", r["status"])
        assert f"| {r['rec_no']} | {r['recommendation']} | {r['action']} | {status} |" in text


# --------------------------------------------------------------------------- the config


def test_drop_downs_and_colours_come_from_the_configured_plan(tmp_path: Path) -> None:
    config = _config_file(
        tmp_path,
        "[plan]\n"
        'statuses = ["Planned", "In Progress", "On Hold", "Complete"]\n'
        'sections = ["Leadership & Governance", "Assurance", "Learning & Development", '
        '"Casework Quality", "Key Recommendations"]\n',
    )
    module = make_template_module()
    built = module.build_template(SOURCE, tmp_path / "plan.xlsx", module.plan_config(config))
    ws = load_workbook(built)["Action Plan"]
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists == {
        "E2:E1000": '"Planned,In Progress,On Hold,Complete"',
        "B2:B1000": '"Leadership & Governance,Assurance,Learning & Development,'
        'Casework Quality,Key Recommendations"',
    }
    # "On Hold" is neither planned, in progress nor complete: it stays uncoloured.
    assert [c[2] for c in _status_colours(ws)] == ['"Complete"', '"In Progress"', '"Planned"']


def test_statuses_are_matched_to_the_configured_words(tmp_path: Path) -> None:
    config = _config_file(
        tmp_path,
        "[plan]\n"
        'statuses = ["Planned", "In Progress", "Complete", "Closed"]\n'
        'complete_status = "Closed"\n',
    )
    module = make_template_module()
    built = module.build_template(SOURCE, tmp_path / "plan.xlsx", module.plan_config(config))
    colours = {c[2]: c[3] for c in _status_colours(load_workbook(built)["Action Plan"])}
    assert colours == {
        '"Planned"': COLOURS.statuses["Planned"],
        '"In Progress"': COLOURS.statuses["In Progress"],
        '"Closed"': COLOURS.statuses["Complete"],
    }


def test_a_config_that_does_not_allow_the_plans_statuses_is_refused(tmp_path: Path) -> None:
    config = _config_file(tmp_path, '[plan]\nstatuses = ["Not started", "Underway", "Done"]\n')
    module = make_template_module()
    with pytest.raises(SystemExit) as stop:
        module.build_template(SOURCE, tmp_path / "plan.xlsx", module.plan_config(config))
    assert str(stop.value) == (
        f"{SOURCE}: Rec 1's status 'In Progress' is not one of the configured statuses "
        "(Not started, Underway, Done)."
    )
    assert not (tmp_path / "plan.xlsx").exists()


def test_the_script_takes_a_config_and_says_when_it_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = make_template_module()
    out = tmp_path / "plan.xlsx"
    assert module.main(["make_template.py", str(SOURCE), str(out), "--config", "nope.toml"]) == 2
    assert capsys.readouterr().err.strip() == "The config file nope.toml does not exist."
    assert not out.exists()
    good = _config_file(
        tmp_path,
        '[plan]\nsections = ["Key Recommendations", "Casework Quality", '
        '"Learning & Development", "Assurance", "Leadership & Governance", "Spare"]\n',
    )
    assert module.main(["make_template.py", str(SOURCE), str(out), "--config", str(good)]) == 0
    lists = [
        dv.formula1 for dv in load_workbook(out)["Action Plan"].data_validations.dataValidation
    ]
    assert any(f.endswith(',Spare"') for f in lists)


def test_the_committed_template_is_built_from_the_projects_config() -> None:
    plan = load_config(ROOT / "config" / "ccrc_sync.toml", env={}).plan
    assert make_template_module().plan_config() == plan


# --------------------------------------------------------------------------- heights


def test_every_row_is_tall_enough_for_its_wrapped_text() -> None:
    # The committed template carries the heights of the estimator both sides use; whether
    # that estimator is right is judged against LibreOffice's own rendering below.
    module = make_template_module()
    ws = load_workbook(TEMPLATE)["Action Plan"]
    widths = {label: module.WIDTHS[label] for label in schema.FIELDS}
    tall = 0
    for row in ws.iter_rows(min_row=2):
        lines = 1
        for label, cell in zip(schema.FIELDS, row, strict=True):
            if isinstance(cell.value, str) and label != schema.REC_NO:
                width = widths[label] - 3 * (cell.alignment.indent or 0)
                lines = max(lines, estimate_lines(cell.value, width))
        height = ws.row_dimensions[row[0].row].height
        if lines == 1:
            assert height is None, row[0].value
        else:
            tall += 1
            assert height == lines * 15.0, row[0].value
    assert tall > 30  # most recommendations wrap; a row without a height would spill


# --------------------------------------------------------------------------- rules


def test_the_template_validates_with_only_the_seeds_own_defects() -> None:
    issues = schema.validate_plan(read_plan(TEMPLATE), Config().plan, dt.date(2026, 7, 2))
    assert [i for i in issues if i.severity is not schema.Severity.WARNING] == []
    found = [(i.code, i.rec_no) for i in issues]
    # The seed's own defects, reported and never mended; nothing else.
    assert found == [
        ("text.missing_space", "6"),
        ("text.truncated", "28"),
        ("text.missing_space", "30"),
        ("text.near_duplicate", "31"),
    ]


def test_the_summary_counts_the_34_recommendations_not_the_parts() -> None:
    table = read_plan(TEMPLATE).by_rec_no()
    figures = summary.compute(table, Config().plan, dt.date(2026, 7, 2))
    assert figures.total == 34
    assert figures.sentence == (
        "Work is underway on 24 of the 34 recommendations, with planned activity in place "
        "to address the remaining 10."
    )
    assert figures.parts == {"In Progress": 12}


def test_the_toml_rows_are_what_the_workbook_holds() -> None:
    ws = load_workbook(TEMPLATE)["Action Plan"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    source = template_rows()
    assert [str(r[schema.REC_NO]) for r in source] == [str(r[0]) for r in rows]
    for record, row in zip(source, rows, strict=True):
        assert [record[label] for label in schema.FIELDS[1:5]] == row[1:5]


# --------------------------------------------------------------------------- rendered


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
def test_printed_by_libreoffice_no_recommendation_spills_into_the_next_row(
    tmp_path: Path,
) -> None:
    """Every word of each Recommendation is drawn inside its own row: a row too short for
    its text would push words below the next row's top (LibreOffice draws them there and
    clips them on screen)."""
    soffice, pdftotext = _soffice(), shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        pytest.skip("LibreOffice (soffice) and poppler's pdftotext are needed to render")
    copy = tmp_path / "plan.xlsx"
    shutil.copyfile(TEMPLATE, copy)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(copy)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    subprocess.run(
        [pdftotext, "-bbox", str(tmp_path / "plan.pdf"), str(tmp_path / "plan.html")],
        check=True,
        timeout=60,
    )
    words_per_row = _recommendation_words_per_row(tmp_path / "plan.html")
    ws = load_workbook(TEMPLATE)["Action Plan"]
    expected = {str(r[0].value): _pdf_words(str(r[2].value)) for r in ws.iter_rows(min_row=2)}
    assert words_per_row == expected


def _pdf_words(text: str) -> int:
    """How many words pdftotext finds in a text: a non-breaking hyphen (U+2011, as in the
    seed's "decision‑making") is a word of its own there."""
    return len(re.findall("[^\\s\u2011]+|\u2011", text))


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def _recommendation_words_per_row(bbox_html: Path) -> dict[str, int]:
    """Rec No. -> how many words of the Recommendation column lie inside that row's band
    (from its Rec No.'s top to the next row's), page by page.

    The column's edges come from the centres of the Recommendation and Action headers and
    the template's column widths (the page is scaled to fit, so only ratios count).
    """
    widths = make_template_module().WIDTHS
    rec_width, action_width = widths[schema.RECOMMENDATION], widths[schema.ACTION]
    counts: dict[str, int] = {}
    for page in bbox_html.read_text(encoding="utf-8").split("<page ")[1:]:
        words = [
            (float(x0), float(y0), float(x1), text) for x0, y0, x1, _, text in _WORD.findall(page)
        ]
        centre = {text: (x0 + x1) / 2 for x0, _, x1, text in words[:8]}
        rec_c, action_c = centre["Recommendation"], centre["Action"]
        scale = (action_c - rec_c) / ((rec_width + action_width) / 2)
        left, right = rec_c - rec_width / 2 * scale, rec_c + rec_width / 2 * scale
        section_left = centre["Section"] - widths[schema.SECTION] / 2 * scale
        keys = sorted(
            (y0, text)
            for x0, y0, x1, text in words
            if x1 < section_left and schema.rec_no_of(text) is not None
        )
        column = [w for w in words if left <= w[0] < right and w[1] > keys[0][0] - 0.5]
        for index, (top, key) in enumerate(keys):
            bottom = keys[index + 1][0] if index + 1 < len(keys) else float("inf")
            counts[key] = sum(1 for w in column if top - 0.5 <= w[1] < bottom - 0.5)
    return counts
