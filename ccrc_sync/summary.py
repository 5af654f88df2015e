"""The Summary figures: counts from the plan rows, and the sentence that tells them.

Managers read the summary, not the 34 rows, so the figures must be the same wherever they
appear (workbook, Google Sheet, report, email). Everything here is pure: the same table,
plan and `today` always give the same figures, and the same figures always give the same
layout (`tabs.summary_layout` draws them), so a run that changes nothing produces an
identical tab and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from ccrc_sync.config import PlanConfig
from ccrc_sync.schema import (
    OWNER,
    RECOMMENDATION,
    SECTION,
    STATUS,
    TARGET_DATE,
    Value,
    canonical,
    display,
    is_overdue,
    parent_of,
    rec_sort_key,
    rollup,
    target_date_of,
)
from ccrc_sync.words import capital

# The bucket for rows whose status (or section) is blank or not in the vocabulary. It only
# appears when such a row exists, so a clean plan shows exactly its configured columns.
OTHER = "Other"
OTHER_FALLBACK = "Unrecognised"  # used if a plan's own vocabulary contains "Other"

SUMMARY_TITLE = "CCRC action plan: summary"
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")

# A date first, so a target date read back from JSON is a date again, and text that does
# not read as a date stays text.
TargetDate = Annotated[dt.date | str | None, Field(union_mode="left_to_right")]


class KeyRecommendation(TypedDict):
    rec_no: str
    recommendation: str
    status: str
    owner: str
    target_date: TargetDate


class OverdueItem(TypedDict):
    rec_no: str
    section: str
    owner: str
    target_date: dt.date
    status: str


class SummaryFigures(BaseModel):
    """Every figure the Summary tab, the report and the email show, computed once."""

    model_config = ConfigDict(frozen=True)

    total: int
    by_status: dict[str, int]
    by_section: dict[str, dict[str, int]]
    section_totals: dict[str, int]
    percent_complete: float
    key_recommendations: list[KeyRecommendation]
    overdue: list[OverdueItem]
    no_owner: list[str]
    no_target_date: list[str]
    # Lettered parts (18a, 20b ...): how many, by status. Never counted as recommendations.
    parts: dict[str, int] = Field(default_factory=dict)
    open_conflicts: int = 0
    findings: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    sentence: str


# --------------------------------------------------------------------------- figures


def other_label(vocabulary: tuple[str, ...]) -> str:
    """The name of the catch-all bucket, chosen so it never collides with a real entry."""
    return OTHER_FALLBACK if canonical(vocabulary, OTHER) else OTHER


def status_of(value: Value, plan: PlanConfig) -> str:
    """The vocabulary status a cell means (`In progress` is `In Progress`), else the bucket."""
    return canonical(plan.statuses, display(value)) or other_label(plan.statuses)


def section_of(value: Value, plan: PlanConfig) -> str:
    return canonical(plan.sections, display(value)) or other_label(plan.sections)


def compute(
    table: Mapping[str, Mapping[str, Value]],
    plan: PlanConfig,
    today: dt.date,
    *,
    open_conflicts: int = 0,
    findings: Mapping[str, int] | None = None,
) -> SummaryFigures:
    """The figures for a plan table (Rec No. -> field label -> value) as of `today`.

    Statuses and sections are matched to the configured vocabularies the way the merge
    compares them, so the raw `In progress` of the published response counts as
    `In Progress`. A row whose status or section is not in the vocabulary still counts,
    under `Other`, so the totals always add up to the number of rows.

    Lettered parts (18a, 18b ...) are counted on a line of their own; a recommendation
    with parts counts under the status its parts add up to (`schema.rollup`).
    """
    done = plan.complete_status
    wholes = {k: r for k, r in table.items() if parent_of(k) is None}
    parts_of: dict[str, list[Value]] = {}
    for k, r in table.items():
        parent = parent_of(k)
        if parent is not None:
            parts_of.setdefault(parent, []).append(r.get(STATUS))
    statuses = {
        k: rollup(parts_of[k], plan) if k in parts_of else r.get(STATUS) for k, r in wholes.items()
    }
    status_names = _present(plan.statuses, [status_of(v, plan) for v in statuses.values()])
    section_names = _present(
        plan.sections, [section_of(r.get(SECTION), plan) for r in wholes.values()]
    )
    by_status = dict.fromkeys(status_names, 0)
    by_section = {s: dict.fromkeys(status_names, 0) for s in section_names}
    key: list[KeyRecommendation] = []
    overdue: list[OverdueItem] = []
    no_owner: list[str] = []
    no_target: list[str] = []
    key_section = canonical(plan.sections, plan.key_section) or plan.key_section
    parts = dict.fromkeys(plan.statuses, 0)

    for rec_no in sorted(table, key=rec_sort_key):
        row = table[rec_no]
        if rec_no not in wholes:
            part_status = status_of(row.get(STATUS), plan)
            parts[part_status] = parts.get(part_status, 0) + 1
            part_target = target_date_of(row.get(TARGET_DATE), plan)
            if part_target is not None and is_overdue(part_target, row.get(STATUS), plan, today):
                overdue.append(
                    OverdueItem(
                        rec_no=rec_no,
                        section=section_of(row.get(SECTION), plan),
                        owner=display(row.get(OWNER)).strip(),
                        target_date=part_target,
                        status=_shown_status(row.get(STATUS), part_status),
                    )
                )
            continue
        status = status_of(statuses[rec_no], plan)
        section = section_of(row.get(SECTION), plan)
        by_status[status] += 1
        by_section[section][status] += 1
        owner = display(row.get(OWNER)).strip()
        target = target_date_of(row.get(TARGET_DATE), plan)
        shown_status = _shown_status(statuses[rec_no], status)
        if not owner:
            no_owner.append(rec_no)
        if target is None:
            no_target.append(rec_no)
        if section == key_section:
            key.append(
                KeyRecommendation(
                    rec_no=rec_no,
                    recommendation=display(row.get(RECOMMENDATION)),
                    status=shown_status,
                    owner=owner,
                    target_date=target or (display(row.get(TARGET_DATE)) or None),
                )
            )
        # A recommendation with parts is judged by the status its parts add up to.
        if target is not None and is_overdue(target, statuses[rec_no], plan, today):
            overdue.append(
                OverdueItem(
                    rec_no=rec_no,
                    section=display(row.get(SECTION)) if section not in plan.sections else section,
                    owner=owner,
                    target_date=target,
                    status=shown_status,
                )
            )

    total = len(wholes)
    complete = by_status.get(done, 0)
    counts = {k: int(v) for k, v in (findings or {}).items()}
    return SummaryFigures(
        total=total,
        by_status=by_status,
        by_section=by_section,
        section_totals={s: sum(c.values()) for s, c in by_section.items()},
        percent_complete=round(100.0 * complete / total, 1) if total else 0.0,
        key_recommendations=key,
        overdue=overdue,
        no_owner=no_owner,
        no_target_date=no_target,
        parts={k: v for k, v in parts.items() if v} if any(parts.values()) else {},
        open_conflicts=open_conflicts,
        findings={s: counts.get(s, 0) for s in SEVERITIES},
        sentence=sentence(by_status, total, plan),
    )


def _present(vocabulary: tuple[str, ...], seen: list[str]) -> list[str]:
    """The vocabulary in its own order, plus the catch-all bucket only when a row needs it."""
    other = other_label(vocabulary)
    return [*vocabulary, other] if other in seen else list(vocabulary)


def _shown_status(raw: Value, status: str) -> str:
    """A row's status as a person should see it: the canonical word, or what was typed."""
    if status in (OTHER, OTHER_FALLBACK):
        return display(raw).strip()
    return status


# --------------------------------------------------------------------------- sentence

_COMPLETE, _UNDERWAY, _PLANNED, _OTHER = "complete", "underway", "planned", "other"


def _kind(status: str, plan: PlanConfig) -> str:
    """What a status means for the sentence: the configured complete, in-progress and
    planned statuses first; any other status by its name."""
    key = " ".join(status.split()).casefold()
    if key == plan.complete_status.casefold():
        return _COMPLETE
    if key == " ".join(plan.in_progress_status.split()).casefold():
        return _UNDERWAY
    if key == " ".join(plan.planned_status.split()).casefold():
        return _PLANNED
    if "progress" in key or "underway" in key or "under way" in key:
        return _UNDERWAY
    if "plan" in key or "not started" in key:
        return _PLANNED
    return _OTHER


def _be(count: int) -> str:
    return "is" if count == 1 else "are"


def _have(count: int) -> str:
    return "has" if count == 1 else "have"


def _remaining(count: int) -> str:
    return "the remaining one" if count == 1 else f"the remaining {count}"


def _all(total: int) -> str:
    if total == 1:
        return "the one recommendation"
    if total == 2:
        return "both recommendations"
    return f"all {total} recommendations"


def sentence(by_status: Mapping[str, int], total: int, plan: PlanConfig) -> str:
    """One sentence from the counts, in the style of the published response.

    For the template (24 In Progress, 10 Planned of 34) it reads exactly: "Work is underway
    on 24 of the 34 recommendations, with planned activity in place to address the
    remaining 10." Completed work leads when there is some, statuses outside the usual
    three get their own clause, and singular and plural stay right for any counts.
    """
    groups = _groups(by_status, total, plan)
    total = sum(count for _, _, count in groups)
    if total == 0:
        return "There are no recommendations in the plan yet."
    if len(groups) == 1:
        return _whole(groups[0], total)
    clauses = [_lead(groups[0], total)]
    for index, group in enumerate(groups[1:], start=1):
        clauses.append(_follow(group, last=index == len(groups) - 1))
    return "".join(clauses) + "."


def _groups(
    by_status: Mapping[str, int], total: int, plan: PlanConfig
) -> list[tuple[str, str, int]]:
    """(kind, status, count) for every non-zero count, in the order the sentence tells them."""
    merged: dict[tuple[str, str], int] = {}
    for status, count in by_status.items():
        if count <= 0:
            continue
        kind = _kind(status, plan)
        label = "" if kind != _OTHER else status
        if kind == _OTHER and status in (OTHER, OTHER_FALLBACK):
            label = ""  # the catch-all bucket
        merged[(kind, label)] = merged.get((kind, label), 0) + count
    missing = total - sum(merged.values())
    if missing > 0:  # rows the caller counted but no status covers
        merged[(_OTHER, "")] = merged.get((_OTHER, ""), 0) + missing
    order = {_COMPLETE: 0, _UNDERWAY: 1, _PLANNED: 2, _OTHER: 3}
    vocab = {s: i for i, s in enumerate(plan.statuses)}
    ranked = sorted(
        merged.items(),
        key=lambda item: (order[item[0][0]], item[0][1] == "", vocab.get(item[0][1], 0)),
    )
    return [(kind, label, count) for (kind, label), count in ranked]


def _whole(group: tuple[str, str, int], total: int) -> str:
    """Every recommendation has the same status."""
    kind, label, _ = group
    everyone = _all(total)
    if kind == _COMPLETE:
        return f"{capital(everyone)} {_be(total)} complete."
    if kind == _UNDERWAY:
        return f"Work is underway on {everyone}."
    if kind == _PLANNED:
        return f"Planned activity is in place to address {everyone}."
    if label:
        return f'{capital(everyone)} {_be(total)} marked "{label}".'
    if total == 1:
        return "The one recommendation has no recognised status."
    return f"None of the {total} recommendations has a recognised status."


def _lead(group: tuple[str, str, int], total: int) -> str:
    kind, label, count = group
    of_all = f"{count} of the {total} recommendations"
    # A sentence never opens on a numeral: "Of the 34 recommendations, 5 are complete".
    of_the = f"Of the {total} recommendations, {count}"
    if kind == _COMPLETE:
        return f"{of_the} {_be(count)} complete"
    if kind == _UNDERWAY:
        return f"Work is underway on {of_all}"
    if kind == _PLANNED:
        return f"Planned activity is in place to address {of_all}"
    if label:
        return f'{of_the} {_be(count)} marked "{label}"'
    return f"{of_the} {_have(count)} no recognised status"


def _follow(group: tuple[str, str, int], *, last: bool) -> str:
    """A clause after the first; the last one covers 'the remaining' recommendations."""
    kind, label, count = group
    amount = _remaining(count) if last else str(count)
    if kind == _UNDERWAY:
        return f"; work is underway on {amount}"
    if kind == _PLANNED:
        return f", with planned activity in place to address {amount}"
    if label:
        return f'; {amount} {_be(count)} marked "{label}"'
    return f"; {amount} {_have(count)} no recognised status"
