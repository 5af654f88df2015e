"""The Summary figures and sentence, as a manager reading them would check them (the tab's
layout is tested in test_tabs)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrc_sync.config import PlanConfig
from ccrc_sync.schema import (
    OWNER,
    REC_NO,
    RECOMMENDATION,
    SECTION,
    STATUS,
    TARGET_DATE,
    Value,
    match_header,
    rec_no_of,
)
from ccrc_sync.summary import SummaryFigures, compute, sentence

PLAN = PlanConfig()
TODAY = dt.date(2026, 7, 2)
TEMPLATE_SENTENCE = (
    "Work is underway on 24 of the 34 recommendations, "
    "with planned activity in place to address the remaining 10."
)
KEY, CQ, LD, AS, LG = PLAN.sections
IP, P = "In Progress", "Planned"

# The published action plan's sections and statuses, with the source's raw "In progress"
# spelling on recs 16, 24 and 28 so the counts prove that spelling is normalised.
PUBLISHED: dict[int, tuple[str, str]] = {
    **{n: (KEY, IP) for n in (15, 20, 21, 33)},
    **{n: (KEY, P) for n in (26, 27)},
    **{n: (CQ, IP) for n in (1, 4, 5, 6, 9, 10, 12, 13)},
    **{n: (CQ, P) for n in (2, 3, 7, 8, 11, 14)},
    16: (LD, "In progress"),
    17: (LD, P),
    **{n: (AS, IP) for n in (18, 19, 22, 23, 25)},
    24: (AS, "In progress"),
    28: (LG, "In progress"),
    **{n: (LG, IP) for n in (29, 30, 31, 32)},
    34: (LG, P),
}


def published_table() -> dict[str, dict[str, Value]]:
    return {
        str(n): {
            REC_NO: n,
            SECTION: section,
            RECOMMENDATION: f"Recommendation {n}",
            STATUS: status,
            OWNER: None,
            TARGET_DATE: None,
        }
        for n, (section, status) in PUBLISHED.items()
    }


def _template_toml_table(*, raw: bool = False) -> dict[str, dict[str, Value]]:
    """The recommendations of templates/plan.toml (the source the template is built from;
    their lettered parts are nested under each, and not read here).

    With `raw`, each row's `seed_status` (the source's own spelling) replaces its status.
    """
    path = Path(__file__).resolve().parents[1] / "templates" / "plan.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for value in data.values():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            table: dict[str, dict[str, Value]] = {}
            for item in value:
                row = {match_header(k): v for k, v in item.items() if match_header(k)}
                if raw and item.get("seed_status"):
                    row[STATUS] = item["seed_status"]
                if (number := rec_no_of(row.get(REC_NO))) is not None:
                    table[number] = row
            if table:
                return table
    raise AssertionError(f"{path} holds no list of recommendations")


def test_template_figures_and_sentence() -> None:
    fig = compute(published_table(), PLAN, TODAY)

    assert fig.total == 34
    assert list(fig.by_status.items()) == [("Planned", 10), ("In Progress", 24), ("Complete", 0)]
    assert fig.sentence == TEMPLATE_SENTENCE
    assert fig.percent_complete == 0.0
    assert list(fig.by_section) == list(PLAN.sections)
    assert fig.by_section[KEY] == {"Planned": 2, "In Progress": 4, "Complete": 0}
    assert fig.by_section[LD] == {"Planned": 1, "In Progress": 1, "Complete": 0}
    assert fig.section_totals == {KEY: 6, CQ: 14, LD: 2, AS: 6, LG: 6}
    assert [k["rec_no"] for k in fig.key_recommendations] == ["15", "20", "21", "26", "27", "33"]
    assert [k["status"] for k in fig.key_recommendations][:4] == [IP, IP, IP, P]
    assert fig.overdue == []
    assert fig.no_owner == [str(n) for n in sorted(PUBLISHED)]
    assert fig.findings == {"error": 0, "warning": 0, "info": 0}


@pytest.mark.parametrize("raw", [False, True], ids=["canonical", "seed-spelling"])
def test_template_file_rows_give_the_published_sentence(raw: bool) -> None:
    table = _template_toml_table(raw=raw)
    fig = compute(table, PLAN, TODAY)
    assert (fig.total, fig.by_status[IP], fig.by_status[P]) == (34, 24, 10)
    assert fig.sentence == TEMPLATE_SENTENCE


def test_overdue_uses_today_and_ignores_complete_work() -> None:
    table = published_table()
    table["1"].update({TARGET_DATE: dt.date(2026, 6, 30), OWNER: "Head of Casework"})
    table["2"].update({TARGET_DATE: "31/03/2026", OWNER: "  "})  # text that reads as a date
    table["3"].update({TARGET_DATE: dt.datetime(2026, 7, 1, 17, 0), STATUS: "complete"})
    table["4"].update({TARGET_DATE: TODAY})  # due today is not overdue yet
    table["5"].update({TARGET_DATE: dt.date(2026, 12, 31)})
    table["6"].update({TARGET_DATE: "TBC"})  # no date, so cannot be overdue

    fig = compute(table, PLAN, TODAY)

    assert [(o["rec_no"], o["owner"], o["target_date"]) for o in fig.overdue] == [
        ("1", "Head of Casework", dt.date(2026, 6, 30)),
        ("2", "", dt.date(2026, 3, 31)),
    ]
    assert fig.overdue[1]["status"] == "Planned"
    assert fig.overdue[0]["section"] == CQ
    assert compute(table, PLAN, dt.date(2026, 3, 31)).overdue == []
    assert "1" not in fig.no_owner and "2" in fig.no_owner
    assert "6" in fig.no_target_date and "1" not in fig.no_target_date
    assert fig.by_status["Complete"] == 1
    assert fig.percent_complete == round(100 / 34, 1)


def test_unknown_status_and_section_are_counted_under_other() -> None:
    table = published_table()
    table["7"][STATUS] = "On hold"
    table["8"][STATUS] = None
    table["9"][SECTION] = "Finance"

    fig = compute(table, PLAN, TODAY)

    assert list(fig.by_status) == ["Planned", "In Progress", "Complete", "Other"]
    assert fig.by_status["Other"] == 2
    assert sum(fig.by_status.values()) == 34
    assert list(fig.by_section)[-1] == "Other"
    assert fig.by_section["Other"]["In Progress"] == 1
    assert sum(fig.section_totals.values()) == 34
    assert fig.sentence == (
        "Work is underway on 24 of the 34 recommendations, with planned activity in place "
        "to address 8; the remaining 2 have no recognised status."
    )
    # A clean plan has no Other column at all.
    assert "Other" not in compute(published_table(), PLAN, TODAY).by_status


def test_counts_of_conflicts_and_findings_are_carried() -> None:
    fig = compute(
        published_table(), PLAN, TODAY, open_conflicts=3, findings={"error": 2, "warning": 5}
    )
    assert fig.open_conflicts == 3
    assert fig.findings == {"error": 2, "warning": 5, "info": 0}


def test_empty_plan() -> None:
    fig = compute({}, PLAN, TODAY)
    assert fig.total == 0 and fig.percent_complete == 0.0
    assert fig.sentence == "There are no recommendations in the plan yet."


@pytest.mark.parametrize(
    ("complete", "underway", "planned", "expected"),
    [
        (0, 24, 10, TEMPLATE_SENTENCE),
        (
            5,
            19,
            10,
            "Of the 34 recommendations, 5 are complete; work is underway on 19, "
            "with planned activity in place to address the remaining 10.",
        ),
        (
            1,
            23,
            10,
            "Of the 34 recommendations, 1 is complete; work is underway on 23, "
            "with planned activity in place to address the remaining 10.",
        ),
        (34, 0, 0, "All 34 recommendations are complete."),
        (0, 34, 0, "Work is underway on all 34 recommendations."),
        (0, 0, 34, "Planned activity is in place to address all 34 recommendations."),
        (1, 0, 0, "The one recommendation is complete."),
        (0, 1, 0, "Work is underway on the one recommendation."),
        (0, 0, 1, "Planned activity is in place to address the one recommendation."),
        (2, 0, 0, "Both recommendations are complete."),
        (0, 34, 0, "Work is underway on all 34 recommendations."),
        (
            4,
            30,
            0,
            "Of the 34 recommendations, 4 are complete; work is underway on the remaining 30.",
        ),
        (
            4,
            0,
            30,
            "Of the 34 recommendations, 4 are complete, "
            "with planned activity in place to address the remaining 30.",
        ),
        (
            0,
            33,
            1,
            "Work is underway on 33 of the 34 recommendations, "
            "with planned activity in place to address the remaining one.",
        ),
        (
            0,
            1,
            33,
            "Work is underway on 1 of the 34 recommendations, "
            "with planned activity in place to address the remaining 33.",
        ),
        (
            1,
            1,
            0,
            "Of the 2 recommendations, 1 is complete; work is underway on the remaining one.",
        ),
        (
            33,
            0,
            1,
            "Of the 34 recommendations, 33 are complete, "
            "with planned activity in place to address the remaining one.",
        ),
        (0, 0, 0, "There are no recommendations in the plan yet."),
    ],
)
def test_sentence_reads_right_for_many_counts(
    complete: int, underway: int, planned: int, expected: str
) -> None:
    by_status = {"Planned": planned, "In Progress": underway, "Complete": complete}
    assert sentence(by_status, complete + underway + planned, PLAN) == expected


@given(
    complete=st.integers(0, 60),
    underway=st.integers(0, 60),
    planned=st.integers(0, 60),
    other=st.integers(0, 5),
)
def test_sentence_is_grammatical_for_any_counts(
    complete: int, underway: int, planned: int, other: int
) -> None:
    by_status = {"Planned": planned, "In Progress": underway, "Complete": complete}
    if other:
        by_status["Other"] = other
    total = complete + underway + planned + other
    text = sentence(by_status, total, PLAN)

    assert text.endswith(".") and text.count(".") == 1
    assert text[0].isupper() or text[0].isdigit()
    assert "  " not in text
    assert not re.search(r"\b1 recommendations\b", text)
    assert not re.search(r"\b1 of the \d+ recommendations are\b", text)
    assert not re.search(r"\b(?:[02-9]|\d\d+) of the \d+ recommendations is\b", text)
    assert not re.search(r"recommendations, 1 are\b", text)
    assert not re.search(r"recommendations, (?:[02-9]|\d\d+) is\b", text)
    assert not re.search(r"\bthe remaining 1\b", text)
    assert not re.search(r"\b0\b", text), "a zero count is left out, not spelled out"
    if total >= 2 and max(complete, underway, planned, other) < total:
        # Every non-zero count is told, and together they make the total.
        numbers = [int(n) for n in re.findall(r"\d+", text.replace("the remaining one", "1"))]
        told_total = numbers[0] if text.startswith("Of the") else numbers[1]
        assert told_total == total
        assert sum(numbers) - total == total


def test_sentence_names_statuses_outside_the_usual_three() -> None:
    plan = PlanConfig(statuses=("Not started", "In Progress", "On Hold", "Complete"))
    text = sentence({"Not started": 3, "In Progress": 5, "On Hold": 1, "Complete": 0}, 9, plan)
    assert text == (
        "Work is underway on 5 of the 9 recommendations, with planned activity in place "
        'to address 3; the remaining one is marked "On Hold".'
    )


def _figures() -> SummaryFigures:
    table = published_table()
    table["1"].update({TARGET_DATE: dt.date(2026, 6, 30), OWNER: "Head of Casework"})
    table["15"].update({TARGET_DATE: "31 March 2027", OWNER: "Director of Casework"})
    table["20"][TARGET_DATE] = "next spring"
    return compute(table, PLAN, TODAY, open_conflicts=2, findings={"error": 1, "warning": 4})


def test_figures_survive_a_json_round_trip() -> None:
    fig = _figures()
    again = SummaryFigures.model_validate_json(fig.model_dump_json())
    assert again == fig
    assert again.key_recommendations[0]["target_date"] == dt.date(2027, 3, 31)
    assert again.key_recommendations[1]["target_date"] == "next spring"
