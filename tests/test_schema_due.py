"""Overdue is one rule: `validate`, the Summary and the owners' digests name the same rows,
with a Target Date typed as text read in the configured day/month order everywhere."""

from __future__ import annotations

import datetime as dt

import pytest

from ccrc_sync.config import PlanConfig
from ccrc_sync.digest_items import Reason, collect
from ccrc_sync.schema import (
    ACTION,
    OWNER,
    REC_NO,
    RECOMMENDATION,
    SECTION,
    STATUS,
    TARGET_DATE,
    Value,
    is_overdue,
    table_from_grid,
    target_date_of,
    validate_plan,
)
from ccrc_sync.summary import compute

TODAY = dt.date(2026, 7, 2)
US = PlanConfig(rec_nos="1-6", date_order="mdy")


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("03/31/2025", "mdy", dt.date(2025, 3, 31)),
        ("03/31/2025", "dmy", None),
        ("04/03/2025", "dmy", dt.date(2025, 3, 4)),
        ("04/03/2025", "mdy", dt.date(2025, 4, 3)),
        ("2025/03/31", "ymd", dt.date(2025, 3, 31)),
        (dt.datetime(2025, 3, 31, 9, 30), "dmy", dt.date(2025, 3, 31)),
        ("TBC", "mdy", None),
        (None, "dmy", None),
    ],
)
def test_a_target_date_is_read_in_the_configured_order(
    value: Value, order: str, expected: dt.date | None
) -> None:
    assert target_date_of(value, PlanConfig(date_order=order)) == expected


@pytest.mark.parametrize(
    ("target", "status", "overdue"),
    [
        (dt.date(2026, 7, 1), "Planned", True),
        (dt.date(2026, 7, 1), None, True),
        (dt.date(2026, 7, 1), "Closed?", True),
        (dt.date(2026, 7, 2), "Planned", False),  # due today is not overdue yet
        (dt.date(2026, 7, 1), "Complete", False),
        (dt.date(2026, 7, 1), " complete ", False),
        (None, "Planned", False),
    ],
)
def test_overdue_is_a_passed_target_and_not_complete(
    target: dt.date | None, status: Value, overdue: bool
) -> None:
    assert is_overdue(target, status, PlanConfig(), TODAY) is overdue


def _rows() -> list[tuple[str, Value, Value]]:
    """(Rec No., Status, Target Date) for a plan whose dates are read month first."""
    return [
        ("1", "Planned", "03/31/2025"),  # text, month first: overdue
        ("2", "complete", "03/31/2025"),  # complete, in another case: not overdue
        ("3", "In Progress", dt.date(2026, 7, 2)),  # due today
        ("4", "In Progress", "07/01/2026"),  # 1 July, month first: overdue
        ("5", "Planned", "13/01/2026"),  # no such month: no date
        ("6", "Planned", dt.datetime(2026, 6, 30, 12, 0)),  # overdue
    ]


def test_validate_the_summary_and_the_digest_name_the_same_overdue_rows() -> None:
    labels = [REC_NO, SECTION, RECOMMENDATION, ACTION, STATUS, OWNER, TARGET_DATE]
    grid: list[list[Value]] = [list(labels)]
    table: dict[str, dict[str, Value]] = {}
    for rec_no, status, target in _rows():
        cells: dict[str, Value] = {
            REC_NO: int(rec_no),
            SECTION: "Assurance",
            RECOMMENDATION: f"Recommendation {rec_no}.",
            ACTION: "Underway.",
            STATUS: status,
            OWNER: "Head of QA",
            TARGET_DATE: target,
        }
        grid.append([cells[label] for label in labels])
        table[rec_no] = cells

    issues = validate_plan(table_from_grid(grid, "Action Plan"), US, TODAY)
    told = [i.rec_no for i in issues if i.code == "date.overdue"]
    summary = compute(table, US, TODAY)
    digests, _ = collect(
        table,
        US,
        today=TODAY,
        due_within_days=0,
        changes=[],
        since=lambda _: dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
        conflicts=[],
        link=lambda _: "",
    )
    digest = [i.rec_no for d in digests for i in d.items if Reason.OVERDUE in i.reasons]

    assert told == ["1", "4", "6"]
    assert [o["rec_no"] for o in summary.overdue] == ["1", "4", "6"]
    assert [o["target_date"] for o in summary.overdue] == [
        dt.date(2025, 3, 31),
        dt.date(2026, 7, 1),
        dt.date(2026, 6, 30),
    ]
    assert summary.no_target_date == ["5"]
    assert digest == ["1", "4", "6"]


def test_a_parent_is_overdue_by_the_status_its_parts_add_up_to() -> None:
    """The Summary judges a recommendation with parts by its roll-up (the digest lists each
    part on its own): a parent typed Planned whose parts are all complete is not overdue,
    and one typed Complete whose only part is still planned is."""
    table: dict[str, dict[str, Value]] = {
        "1": {STATUS: "Planned", SECTION: "Assurance", TARGET_DATE: "03/31/2025"},
        "1a": {STATUS: "Complete", SECTION: "Assurance"},
        "1b": {STATUS: "complete", SECTION: "Assurance"},
        "2": {STATUS: "Complete", SECTION: "Assurance", TARGET_DATE: "03/31/2025"},
        "2a": {STATUS: "Planned", SECTION: "Assurance", TARGET_DATE: "06/30/2026"},
    }
    summary = compute(table, US, TODAY)
    assert [(o["rec_no"], o["status"]) for o in summary.overdue] == [
        ("2", "Planned"),
        ("2a", "Planned"),
    ]
