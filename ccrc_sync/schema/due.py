"""When a recommendation is overdue: one rule for the validator, the Summary and the digests.

A manager reading the Summary, an owner reading their digest and a governance officer
reading `validate` must be told the same thing about the same row, so the Target Date is
read one way (text in the configured day/month order, never guessed) and "overdue" means
one thing: the target date has passed and the status is not the complete status.
"""

from __future__ import annotations

import datetime as dt

from ccrc_sync.schema.codes import PlanRules
from ccrc_sync.schema.fields import Value
from ccrc_sync.schema.values import as_date, canonical


def target_date_of(value: Value, plan: PlanRules) -> dt.date | None:
    """A Target Date cell as a date: a real date, or text that reads as one in the plan's
    `date_order`; None for a blank cell or text that is no date ("TBC")."""
    return as_date(value, order=plan.date_order)


def is_overdue(target: dt.date | None, status: Value, plan: PlanRules, today: dt.date) -> bool:
    """The target date has passed (a target of today is not yet overdue) and `status` (a
    cell as typed, or a status already worked out, such as a roll-up) is not complete."""
    if target is None or target >= today:
        return False
    return canonical(plan.statuses, status) != plan.complete_status
