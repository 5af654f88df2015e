"""The plan's rules, on plain grids: what a governance officer would be told, and where."""

from __future__ import annotations

import datetime as dt
import random
import time

from fixtures.plans import seed_records

from ccrc_sync import schema
from ccrc_sync.config import PlanConfig
from ccrc_sync.schema import Formula, invalid_cells, table_from_grid, validate_plan

TODAY = dt.date(2026, 7, 2)
HEADERS = list(schema.FIELDS)


def template_grid() -> list[list[schema.Value]]:
    rows = sorted(seed_records(), key=lambda r: r["rec_no"])
    grid: list[list[schema.Value]] = [list(HEADERS)]
    for r in rows:
        grid.append(
            [r["rec_no"], r["section"], r["recommendation"], r["action"], r["status"]] + [None] * 4
        )
    return grid


def check(grid, plan: PlanConfig | None = None, today: dt.date = TODAY, remember: bool = False):
    table = table_from_grid(grid, "Action Plan")
    return validate_plan(table, plan or PlanConfig(), today, remember=remember)


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


def test_the_template_texts_give_only_the_two_known_warnings() -> None:
    issues = check(template_grid())
    assert [(i.code, i.rec_no, i.severity.value) for i in issues] == [
        ("text.truncated", 28, "warning"),
        ("text.near_duplicate", 31, "warning"),
    ]
    near = issues[1]
    assert "Rec 31" in near.message and "Rec 16" in near.message
    assert issues[0].cell == "C29" and issues[0].sheet == "Action Plan"


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
    assert status.cell == "A2" and status.suggestion == "In Progress"


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


def test_rec_no_must_be_a_positive_whole_number_unique_and_expected() -> None:
    grid = small_grid(row(1), row("x"), row(2.5), row(1), row(7), row(None), row(3.0))
    issues = check(grid, ONE_TO_THREE)
    got = [(i.code, i.cell, i.severity.value) for i in issues if i.code.startswith("rec_no")]
    assert got == [
        ("rec_no.duplicate", "A2", "error"),
        ("rec_no.invalid", "A3", "error"),
        ("rec_no.invalid", "A4", "error"),
        ("rec_no.duplicate", "A5", "error"),
        ("rec_no.unexpected", "A6", "warning"),
        ("rec_no.invalid", "A7", "error"),
        ("rec_no.missing", None, "error"),
    ]
    assert issues[-1].rec_no == 2
    assert table_from_grid(grid, "Action Plan").by_rec_no().keys() == {1, 7, 3}


def test_statuses_and_sections_come_from_their_vocabularies() -> None:
    grid = small_grid(
        row(1, status=" complete ", section="key recommendations"),
        row(2, status="Done", section="Finance"),
        row(3, status=None),
    )
    issues = check(grid, ONE_TO_THREE)
    got = [(i.code, i.cell, i.severity.value, i.suggestion) for i in issues]
    assert got == [
        ("section.noncanonical", "B2", "warning", "Key Recommendations"),
        ("status.noncanonical", "E2", "warning", "Complete"),
        ("section.unknown", "B3", "error", got[2][3]),
        ("status.unknown", "E3", "error", got[3][3]),
        ("status.empty", "E4", "warning", got[4][3]),
    ]
    assert "Planned, In Progress, Complete" in issues[3].message


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
    assert [(i.code, i.cell, i.suggestion) for i in issues] == [
        ("date.text", "G2", "2027-03-31"),
        ("date.text", "H2", "2026-06-30"),
        ("date.invalid", "G3", issues[2].suggestion),
        ("date.invalid", "H3", issues[3].suggestion),
    ]


def test_a_past_target_date_is_overdue_unless_complete() -> None:
    grid = small_grid(
        row(1, target=dt.date(2026, 1, 31), status="In Progress"),
        row(2, target="01/02/2026", status="complete"),
        row(3, target=dt.date(2026, 7, 2)),
    )
    issues = check(grid, ONE_TO_THREE)
    assert [(i.code, i.rec_no) for i in issues] == [
        ("date.overdue", 1),
        ("status.noncanonical", 2),
        ("date.text", 2),
    ]
    assert "31 January 2026" in issues[0].message


def test_formulas_are_warnings_and_text_starting_with_equals_is_not_a_formula() -> None:
    grid = small_grid(row(1, notes=Formula("=TODAY()")), row(2, notes="=see rec 1"), row(3))
    issues = check(grid, ONE_TO_THREE)
    assert [(i.code, i.cell, i.value) for i in issues] == [("cell.formula", "I2", "=TODAY()")]


def test_spaces_at_the_ends_are_a_fixable_warning() -> None:
    issues = check(small_grid(row(1, owner="  Head of Quality\n"), row(2), row(3)), ONE_TO_THREE)
    assert [(i.code, i.suggestion) for i in issues] == [("text.whitespace", "Head of Quality")]


def test_copied_recommendations_are_near_duplicates_naming_both() -> None:
    text = "The CCRC should publish a single casework guidance manual for all casework teams."
    grid = small_grid(row(1, rec_text=text), row(2), row(3, rec_text=text.replace("all", "every")))
    issues = check(grid, ONE_TO_THREE)
    assert codes(issues) == ["text.near_duplicate"]
    assert issues[0].rec_no == 3 and "Rec 1" in issues[0].message


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
    assert invalid_cells(check(grid, ONE_TO_THREE)) == {(1, "Status"), (3, "Recommendation")}


def test_ten_thousand_rows_validate_quickly() -> None:
    rng = random.Random(5)
    vocabulary = [f"word{i}" for i in range(2000)]
    grid: list[list[schema.Value]] = [list(HEADERS)]
    for n in range(1, 10_001):
        grid.append(
            row(n, rec_text="The CCRC should " + " ".join(rng.sample(vocabulary, 15)) + ".")
        )
    for n in range(10_001, 10_301):  # many copies of one text must stay linear
        grid.append(row(n, rec_text="The CCRC should review the same thing for the board again."))
    start = time.perf_counter()
    issues = check(grid, PlanConfig(rec_nos="1-10300"))
    assert time.perf_counter() - start < 5
    assert codes(issues).count("text.near_duplicate") == 299


def test_judging_a_row_again_gives_the_same_findings_whatever_was_judged_before() -> None:
    """Rows are judged once and remembered; a formula and its text must not be confused."""
    as_text = small_grid(row(1, notes="=SUM(A1)"), row(2), row(3))
    as_formula = small_grid(row(1, notes=Formula("=SUM(A1)")), row(2), row(3))
    first = check(as_text, ONE_TO_THREE, remember=True)
    assert first == check(as_text, ONE_TO_THREE)
    assert "cell.formula" not in codes(first)
    assert "cell.formula" in codes(check(as_formula, ONE_TO_THREE, remember=True))
    assert check(as_text, ONE_TO_THREE, remember=True) == first
    overdue = small_grid(row(1, target=dt.date(2026, 1, 1)), row(2), row(3))
    assert "date.overdue" in codes(check(overdue, ONE_TO_THREE, TODAY, remember=True))
    later = check(overdue, ONE_TO_THREE, dt.date(2025, 1, 1), remember=True)
    assert "date.overdue" not in codes(later)
