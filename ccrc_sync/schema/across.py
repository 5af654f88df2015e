"""The rules that look across rows: a recommendation's status against its parts', merged
cells, the same recommendation recorded twice, and words that lost their space.

Each reads the whole table; the ones that compare texts are the costliest rules on a
large plan and only ever warn, so a run can leave them out where it needs only errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ccrc_sync.schema.codes import Findings, PlanRules
from ccrc_sync.schema.fields import ACTION, RECOMMENDATION, STATUS, RecNo, Value, parent_of
from ccrc_sync.schema.table import PlanRow, PlanTable
from ccrc_sync.schema.text import (
    near_duplicates,
    one_off_candidates,
    run_together_word,
    text_of,
    vocabulary,
)
from ccrc_sync.schema.values import canonical, parse_range


def rollup(statuses: Iterable[Value], plan: PlanRules) -> str:
    """A parent's status from its parts': Complete when every part is, In Progress when
    any part is In Progress or Complete, otherwise Planned."""
    words = [canonical(plan.statuses, s) for s in statuses]
    if words and all(w == plan.complete_status for w in words):
        return plan.complete_status
    if any(w is not None and w != plan.planned_status for w in words):
        return plan.in_progress_status
    return plan.planned_status


def check_rollups(plan: PlanRules, table: PlanTable, keys: dict[int, RecNo], out: Findings) -> None:
    col = table.columns.get(STATUS)
    if col is None:
        return
    parents: dict[RecNo, PlanRow] = {}
    parts: dict[RecNo, list[Value]] = {}
    for plan_row in table.rows:
        key = keys.get(plan_row.row)
        if key is None:
            continue
        parent = parent_of(key)
        if parent is None:
            parents.setdefault(key, plan_row)
        else:
            parts.setdefault(parent, []).append(plan_row.values.get(STATUS))
    for parent, statuses in parts.items():
        found = parents.get(parent)
        if found is None:
            continue
        entered = found.values.get(STATUS)
        computed = rollup(statuses, plan)
        if canonical(plan.statuses, entered) != computed:
            out.add(
                "status.rollup",
                row=found.row,
                col=col,
                rec_no=parent,
                field=STATUS,
                value=entered,
                computed=computed,
                fix=(computed,),
            )


def check_merged(table: PlanTable, out: Findings) -> None:
    for ref in table.merged:
        try:
            row, col, last_row, _ = parse_range(ref)
        except ValueError:
            continue
        if last_row <= table.header_row:
            continue
        out.add("cell.merged", row=row, col=col, value=ref)


def check_duplicates(table: PlanTable, keys: dict[int, RecNo], out: Findings) -> None:
    col = table.columns.get(RECOMMENDATION)
    if col is None:
        return
    for this, other in near_duplicates(table.rows):
        this_no, other_no = keys.get(this.row), keys.get(other.row)
        this_name = f"Rec {this_no}" if this_no else f"Row {this.row}"
        other_name = f"Rec {other_no}" if other_no else f"row {other.row}"
        out.add(
            "text.near_duplicate",
            row=this.row,
            col=col,
            rec_no=this_no,
            field=RECOMMENDATION,
            value=this.values.get(RECOMMENDATION),
            this=this_name,
            other=other_name,
            other_row=other.row,
        )


_WORD_ANY = re.compile(r"[a-z]+")


def check_run_together(table: PlanTable, keys: dict[int, RecNo], out: Findings) -> None:
    """Words that lost their space ("structureunderway"), judged against the words the
    plan itself uses."""
    labels = [label for label in (RECOMMENDATION, ACTION) if label in table.columns]
    texts = [t for r in table.rows for label in labels if (t := text_of(r.values.get(label)))]
    words = vocabulary(texts)
    candidates = one_off_candidates(words)
    if not candidates:
        return
    for plan_row in table.rows:
        for label in labels:
            text = text_of(plan_row.values.get(label))
            if text is None or candidates.isdisjoint(_WORD_ANY.findall(text.lower())):
                continue
            found = run_together_word(text, words)
            if found is None:
                continue
            out.add(
                "text.missing_space",
                row=plan_row.row,
                col=table.columns[label],
                rec_no=keys.get(plan_row.row),
                field=label,
                value=text,
                snippet=found.snippet,
                proposed=found.proposed,
                fix=(found.proposed,),
            )
