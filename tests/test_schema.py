"""The plan's rules, on plain grids: what a governance officer would be told, and where."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from fixtures.plans import seed_records

from ccrc_sync import schema
from ccrc_sync.config import PlanConfig
from ccrc_sync.schema import Formula, invalid_cells, table_from_grid, validate_plan

TODAY = dt.date(2026, 7, 2)
HEADERS = list(schema.FIELDS[:9])  # the plan without the optional closure columns


def template_grid() -> list[list[schema.Value]]:
    rows = sorted(seed_records(), key=lambda r: schema.rec_sort_key(str(r["rec_no"])))
    grid: list[list[schema.Value]] = [list(HEADERS)]
    for r in rows:
        grid.append(
            [r["rec_no"], r["section"], r["recommendation"], r["action"], r["status"]] + [None] * 4
        )
    return grid


def check(grid, plan: PlanConfig | None = None, today: dt.date = TODAY):
    table = table_from_grid(grid, "Action Plan")
    return validate_plan(table, plan or PlanConfig(), today)


def codes(issues) -> list[str]:
    return [i.code for i in issues]


def small_grid(*rows: list[schema.Value]) -> list[list[schema.Value]]:
    return [list(HEADERS), *[list(r) + [None] * (9 - len(r)) for r in rows]]


def row(n: int, **over: schema.Value) -> list[schema.Value]:
    values = {
        "rec": n,
        "section": "Assurance",
        "rec_text": f"Recommendation number {n} about topic {n}.",
        "action": "Process redesign underway.",
        "status": "Planned",
        "owner": None,
        "target": None,
        "updated": None,
        "notes": None,
    }
    values.update(over)
    return list(values.values())


ONE_TO_THREE = PlanConfig(rec_nos="1-3")


def test_the_template_texts_give_only_the_seeds_known_defects() -> None:
    issues = check(template_grid())
    found = [(i.code, i.rec_no, i.field, i.severity.value) for i in issues]
    assert sorted(found, key=lambda f: (schema.rec_sort_key(f[1]), f[0])) == [
        ("text.missing_space", "6", "Action", "warning"),
        ("text.truncated", "28", "Recommendation", "warning"),
        ("text.missing_space", "30", "Recommendation", "warning"),
        ("text.near_duplicate", "31", "Recommendation", "warning"),
    ]
    by_code = {(i.code, i.rec_no): i for i in issues}
    near = by_code[("text.near_duplicate", "31")]
    assert near.message.startswith("Rec 31 looks like a near-duplicate of Rec 16 (row ")
    run_on = by_code[("text.missing_space", "6")]
    assert run_on.message == "Action is missing a space in 'structureunderway'."
    assert (
        run_on.suggestion == "Add the missing space: 'Review of case planning structure underway.'."
    )
    assert run_on.fix_value == "Review of case planning structure underway."
    joined = by_code[("text.missing_space", "30")]
    assert "Managers. Should the Nominated" in str(joined.fix_value)
    assert by_code[("text.truncated", "28")].sheet == "Action Plan"


def test_only_rec_28_looks_cut_off_among_all_template_texts() -> None:
    flagged = [
        (r["rec_no"], field)
        for r in seed_records()
        for field in ("recommendation", "action")
        if schema.looks_truncated(r[field])
    ]
    assert flagged == [(28, "recommendation")]
    assert schema.looks_truncated("Progress will be reported to the")
    assert not schema.looks_truncated("Audit planned")


def test_columns_are_found_by_name_whatever_their_order_case_or_punctuation() -> None:
    grid = [
        [" status ", "rec. no", "ACTION", "Recommendation", "section", "Owner's team"],
        ["in progress", 1, "Do it.", "Text one.", "Assurance", "Quality"],
    ]
    table = table_from_grid(grid, "Action Plan")
    assert table.columns == {
        schema.STATUS: 1,
        schema.REC_NO: 2,
        schema.ACTION: 3,
        schema.RECOMMENDATION: 4,
        schema.SECTION: 5,
    }
    assert table.extra_columns == {"Owner's team": 6}
    assert table.rows[0].extras == {"Owner's team": "Quality"}
    issues = check(grid, ONE_TO_THREE)
    unknown = [i for i in issues if i.code == "column.unknown"]
    assert unknown and unknown[0].severity.value == "info" and unknown[0].cell == "F1"
    status = next(i for i in issues if i.code == "status.noncanonical")
    assert status.cell == "A2" and status.suggestion == "Write it as 'In Progress'."
    assert status.fix_value == "In Progress"


def test_a_missing_required_column_is_an_error_naming_it() -> None:
    grid = [
        ["Rec No.", "Section", "Recommendation", "Status"],
        [1, "Assurance", "Text.", "Planned"],
    ]
    missing = [i for i in check(grid, PlanConfig(rec_nos="1")) if i.code == "column.missing"]
    assert [(i.field, i.severity.value) for i in missing] == [("Action", "error")]
    assert "'Action'" in missing[0].message


def test_a_title_row_above_the_headers_and_blank_rows_are_tolerated() -> None:
    grid = [["CCRC action plan"], [], HEADERS, row(1), [None] * 9, [], row(2), ["  "], row(3)]
    table = table_from_grid(grid, "Action Plan")
    assert table.header_row == 3
    assert [r.row for r in table.rows] == [4, 7, 9]
    assert check(grid, ONE_TO_THREE) == []


def test_rec_no_must_be_a_number_or_a_part_unique_and_expected() -> None:
    grid = small_grid(
        row(1), row("x"), row(2.5), row(1), row(7), row(None), row(3.0), row("3A"), row("5b")
    )
    issues = check(grid, ONE_TO_THREE)
    got = [
        (i.code, i.cell, i.severity.value) for i in issues if i.code.startswith(("rec_no", "part"))
    ]
    assert got == [
        ("rec_no.duplicate", "A2", "error"),
        ("rec_no.invalid", "A3", "error"),
        ("rec_no.invalid", "A4", "error"),
        ("rec_no.duplicate", "A5", "error"),
        ("rec_no.unexpected", "A6", "warning"),
        ("rec_no.invalid", "A7", "error"),
        ("part.no_parent", "A10", "error"),
        ("rec_no.missing", None, "error"),
    ]
    assert issues[-1].rec_no == "2"
    assert [i.message for i in issues if i.code == "part.no_parent"] == [
        "Rec 5b is a lettered part, but there is no Rec 5 for it to belong to."
    ]
    keys = table_from_grid(grid, "Action Plan").by_rec_no().keys()
    assert sorted(keys, key=schema.rec_sort_key) == ["1", "3", "3a", "5b", "7"]


def test_statuses_and_sections_come_from_their_vocabularies() -> None:
    grid = small_grid(
        row(1, status=" complete ", section="key recommendations"),
        row(2, status="Done", section="Finance"),
        row(3, status=None),
    )
    issues = check(grid, ONE_TO_THREE)
    got = [(i.code, i.cell, i.severity.value, i.fix_value) for i in issues]
    assert got == [
        ("section.noncanonical", "B2", "warning", "Key Recommendations"),
        ("status.noncanonical", "E2", "warning", "Complete"),
        ("section.unknown", "B3", "error", None),
        ("status.unknown", "E3", "error", None),
        ("status.empty", "E4", "error", None),
    ]
    assert issues[3].message == "Status 'Done' is not one of: Planned, In Progress, Complete."
    assert issues[3].suggestion == "Choose one of: Planned, In Progress, Complete."
    assert issues[4].suggestion == "Choose one of: Planned, In Progress, Complete."


def test_a_near_miss_gets_a_did_you_mean() -> None:
    grid = small_grid(
        row(1, status="Completed"), row(2, status="in progres"), row(3, section="Assurence")
    )
    advice = [(i.code, i.suggestion) for i in check(grid, ONE_TO_THREE)]
    assert advice == [
        ("status.unknown", "Did you mean 'Complete'?"),
        ("status.unknown", "Did you mean 'In Progress'?"),
        ("section.unknown", "Did you mean 'Assurance'?"),
    ]


def test_configured_statuses_are_honoured() -> None:
    plan = PlanConfig(
        rec_nos="1", statuses=("Not started", "Started", "Done"), complete_status="Done"
    )
    assert codes(check(small_grid(row(1, status="done")), plan)) == ["status.noncanonical"]


def test_recommendation_and_action_must_not_be_empty() -> None:
    issues = check(small_grid(row(1, rec_text="  ", action=None), row(2), row(3)), ONE_TO_THREE)
    assert [(i.code, i.field, i.cell) for i in issues] == [
        ("text.empty", "Recommendation", "C2"),
        ("text.empty", "Action", "D2"),
    ]


def test_dates_typed_as_text_are_fixable_and_nonsense_is_an_error() -> None:
    grid = small_grid(
        row(1, target="31/03/2027", updated=" 2026-06-30 "),
        row(2, target="next spring", updated=45000),
        row(3, target=dt.date(2027, 1, 1), updated=dt.datetime(2026, 6, 1, 9, 30)),
    )
    issues = check(grid, ONE_TO_THREE)
    assert [(i.code, i.cell, i.fix_value) for i in issues] == [
        ("date.text", "G2", dt.date(2027, 3, 31)),
        ("date.text", "H2", dt.date(2026, 6, 30)),
        ("date.invalid", "G3", None),
        ("date.invalid", "H3", None),
    ]
    assert (
        issues[0].message
        == "Target Date '31/03/2027' is text that reads as 31 March 2027, not a date."
    )
    assert (
        issues[0].suggestion == "Retype it as a date, 31/03/2027, so it sorts and filters as one."
    )
    assert issues[2].suggestion == "Type a date such as 31/03/2027 (day first)."


def test_a_date_typed_as_text_is_read_in_the_configured_order_never_guessed() -> None:
    grid = small_grid(row(1, target="1/2/2027"), row(2), row(3))
    uk = check(grid, ONE_TO_THREE)
    us = check(grid, PlanConfig(rec_nos="1-3", date_order="mdy"))
    assert [i.fix_value for i in uk] == [dt.date(2027, 2, 1)]
    assert [i.fix_value for i in us] == [dt.date(2027, 1, 2)]


def test_a_past_target_date_is_overdue_unless_complete() -> None:
    grid = small_grid(
        row(1, target=dt.date(2026, 1, 31), status="In Progress"),
        row(2, target="01/02/2026", status="complete"),
        row(3, target=dt.date(2026, 7, 2)),
    )
    issues = check(grid, ONE_TO_THREE)
    assert [(i.code, i.rec_no) for i in issues] == [
        ("date.overdue", "1"),
        ("status.noncanonical", "2"),
        ("date.text", "2"),
    ]
    assert "31 January 2026" in issues[0].message


def test_formulas_are_warnings_and_text_starting_with_equals_is_not_a_formula() -> None:
    grid = small_grid(row(1, notes=Formula("=TODAY()")), row(2, notes="=see rec 1"), row(3))
    issues = check(grid, ONE_TO_THREE)
    assert [(i.code, i.cell, i.value) for i in issues] == [("cell.formula", "I2", "=TODAY()")]


def test_spaces_at_the_ends_are_a_fixable_warning() -> None:
    issues = check(small_grid(row(1, owner="  Head of Quality\n"), row(2), row(3)), ONE_TO_THREE)
    assert [(i.code, i.fix_value) for i in issues] == [("text.whitespace", "Head of Quality")]


def test_copied_recommendations_are_near_duplicates_naming_both() -> None:
    text = "The CCRC should publish a single casework guidance manual for all casework teams."
    grid = small_grid(row(1, rec_text=text), row(2), row(3, rec_text=text.replace("all", "every")))
    issues = check(grid, ONE_TO_THREE)
    assert codes(issues) == ["text.near_duplicate"]
    assert issues[0].rec_no == "3" and "Rec 1" in issues[0].message


def test_findings_come_in_row_then_column_order() -> None:
    grid = small_grid(row(2, status="x", section="y"), row(1, target="1/1/2030", rec_text=""))
    cells = [i.cell for i in check(grid, PlanConfig(rec_nos="1-2"))]
    assert cells == ["B2", "E2", "C3", "G3"]


def test_merged_ranges_in_data_rows_are_reported() -> None:
    table = table_from_grid(small_grid(row(1)), "Action Plan")
    table.merged = ["A1:B1", "C2:D2"]
    issues = validate_plan(table, PlanConfig(rec_nos="1"), TODAY)
    assert [(i.code, i.cell, i.value) for i in issues] == [("cell.merged", "C2", "C2:D2")]


def test_invalid_cells_lists_error_cells_for_the_sync() -> None:
    grid = small_grid(row(1, status="Done"), row(2, status="planned"), row(3, rec_text=""))
    assert invalid_cells(check(grid, ONE_TO_THREE)) == {("1", "Status"), ("3", "Recommendation")}


def test_many_copies_of_one_text_are_each_reported_once() -> None:
    """The near-duplicate rule stays linear: each later copy is reported once, against the
    first (speed itself is measured by `make bench`)."""
    rng = random.Random(5)
    vocabulary = [f"word{i}" for i in range(2000)]
    grid: list[list[schema.Value]] = [list(HEADERS)]
    for n in range(1, 301):
        grid.append(
            row(n, rec_text="The CCRC should " + " ".join(rng.sample(vocabulary, 15)) + ".")
        )
    for n in range(301, 341):
        grid.append(row(n, rec_text="The CCRC should review the same thing for the board again."))
    issues = check(grid, PlanConfig(rec_nos="1-340"))
    assert codes(issues).count("text.near_duplicate") == 39


def test_a_validator_judges_each_row_afresh_when_anything_about_it_changes() -> None:
    """Rows are judged once per validator and remembered; a formula and its text, or a
    different day, must not be confused."""
    validator = schema.Validator(ONE_TO_THREE, TODAY)
    as_text = table_from_grid(small_grid(row(1, notes="=SUM(A1)"), row(2), row(3)), "Action Plan")
    as_formula = table_from_grid(
        small_grid(row(1, notes=Formula("=SUM(A1)")), row(2), row(3)), "Action Plan"
    )
    first = validator.validate(as_text)
    assert "cell.formula" not in codes(first)
    assert "cell.formula" in codes(validator.validate(as_formula))
    assert validator.validate(as_text) == first
    overdue = table_from_grid(
        small_grid(row(1, target=dt.date(2026, 1, 1)), row(2), row(3)), "Action Plan"
    )
    assert "date.overdue" in codes(validator.validate(overdue))
    later = schema.Validator(ONE_TO_THREE, dt.date(2025, 1, 1)).validate(overdue)
    assert "date.overdue" not in codes(later)


# ----------------------------------------------------------------------------- parts


PARTS = PlanConfig(rec_nos="1-3")


def test_a_parent_whose_status_disagrees_with_its_parts_is_told_the_roll_up() -> None:
    grid = small_grid(
        row(1, status="Planned"),
        row("1a", status="Complete"),
        row("1b", status="Planned"),
        row(2, status="Complete"),
        row("2a", status="Complete"),
        row(3, status="In Progress"),
    )
    issues = [i for i in check(grid, PARTS) if i.code == "status.rollup"]
    assert [(i.rec_no, i.cell, i.fix_value) for i in issues] == [("1", "E2", "In Progress")]
    assert issues[0].message == "Rec 1 is 'Planned', but its lettered parts make it 'In Progress'."


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["Complete", "Complete"], "Complete"),
        (["Complete", "Planned"], "In Progress"),
        (["In Progress", "Planned"], "In Progress"),
        (["Planned", "Planned"], "Planned"),
        (["planned", None], "Planned"),
    ],
)
def test_roll_up(parts: list[str | None], expected: str) -> None:
    assert schema.rollup(parts, PlanConfig()) == expected


def test_roll_up_by_status_settings_written_in_another_case() -> None:
    plan = PlanConfig(
        complete_status="complete", planned_status="planned", in_progress_status="in progress"
    )
    assert schema.rollup(["Planned", "Planned"], plan) == "Planned"
    assert schema.rollup(["Complete", "complete"], plan) == "Complete"
    assert schema.rollup(["Complete", "Planned"], plan) == "In Progress"


# ----------------------------------------------------------------------------- closure

CLOSURE_HEADERS = [*HEADERS, "Evidence", "Completed On"]


def closure_grid(*rows: list[schema.Value]) -> list[list[schema.Value]]:
    return [CLOSURE_HEADERS, *[list(r) + [None] * (11 - len(r)) for r in rows]]


def closed(n: int, evidence: str | None, done: schema.Value, status: str = "Complete") -> list:
    return [*row(n, status=status), evidence, done]


@pytest.mark.parametrize(
    ("closure", "severity"), [("warning", "warning"), ("error", "error"), ("off", None)]
)
def test_complete_without_evidence_or_a_date_is_reported_as_configured(
    closure: str, severity: str | None
) -> None:
    grid = closure_grid(
        closed(1, None, None), closed(2, "Board paper 12", dt.date(2026, 6, 1)), row(3)
    )
    plan = PlanConfig(rec_nos="1-3", closure=closure)
    got = [
        (i.code, i.cell, i.severity.value)
        for i in check(grid, plan)
        if i.code.startswith("closure")
    ]
    if severity is None:
        assert got == []
    else:
        assert got == [
            ("closure.no_evidence", "J2", severity),
            ("closure.no_date", "K2", severity),
        ]


def test_a_completion_date_in_the_future_or_on_open_work_is_reported() -> None:
    grid = closure_grid(
        closed(1, "Link", dt.date(2026, 8, 1)),
        closed(2, None, dt.date(2026, 6, 1), status="In Progress"),
        row(3),
    )
    got = [(i.code, i.rec_no) for i in check(grid, ONE_TO_THREE) if i.code.startswith("closure")]
    assert got == [("closure.future", "1"), ("closure.not_complete", "2")]


def test_plans_without_the_closure_columns_are_not_told_about_them() -> None:
    issues = check(small_grid(row(1, status="Complete"), row(2), row(3)), ONE_TO_THREE)
    assert not [i for i in issues if i.field in ("Evidence", "Completed On")]


# ----------------------------------------------------------------------------- catalogue


def test_every_code_a_rule_emits_is_in_the_catalogue_with_sentences() -> None:
    import inspect

    from ccrc_sync import plan, plan_checks, plan_sides
    from ccrc_sync.schema import across, rules

    sources = "".join(inspect.getsource(m) for m in (rules, across, plan, plan_checks, plan_sides))
    import re

    emitted = set(re.findall(r'"((?:[a-z_]+)\.[a-z_]+)"', sources))
    emitted = {c for c in emitted if c.split(".")[0] in {k.split(".")[0] for k in schema.CATALOGUE}}
    emitted |= {
        f"{kind}.{what}"
        for kind in ("status", "section")
        for what in ("empty", "unknown", "noncanonical")
    }
    assert emitted <= set(schema.CATALOGUE), emitted - set(schema.CATALOGUE)
    for code in schema.CATALOGUE.values():
        assert code.message.rstrip().endswith((".", "?", ")")), code.code
        assert code.fix is None or code.fix.endswith((".", "?", "}")), code.code


def test_a_long_list_of_choices_is_never_cut_mid_word() -> None:
    plan = PlanConfig(
        rec_nos="1",
        statuses=tuple(f"Stage {n} of the work" for n in range(1, 15)),
        complete_status="Stage 14 of the work",
        planned_status="Stage 1 of the work",
        in_progress_status="Stage 2 of the work",
    )
    issue = next(
        i for i in check(small_grid(row(1, status="Nope")), plan) if i.code == "status.unknown"
    )
    assert "Stage 14 of the work." in issue.message
