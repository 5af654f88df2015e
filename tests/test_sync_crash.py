"""A sync killed at each write step, then run again: nothing lost, nothing duplicated.

Each crash is a real process dying (`os._exit(99)` at the step named by
`CCRC_SYNC_CRASH_AT`), so nothing is flushed or rolled back politely. The run after it is a
normal one, and must converge: both sides hold both edits and a further run is quiet.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from synchelp import (  # noqa: F401  (the *_fixture names register the fixtures)
    MANAGED,
    PLAN,
    TEMPLATE,
    Rig,
    baseline_fixture,
    fresh_fixture,
    key,
    synced_fixture,
    text,
)

from ccrc_sync.sync import CRASH_POINTS

NEW_ROW = {
    "Rec No.": 35,
    "Section": "Assurance",
    "Recommendation": "Audit the audit.",
    "Action": "Plan an audit.",
    "Status": "Planned",
}


TEMPLATE_KEYS = {
    key(row[0]) for row in load_workbook(TEMPLATE)[PLAN].iter_rows(min_row=2, values_only=True)
}


def _assert_converged(rig: Rig) -> None:
    book, sheet = rig.book_rows(), rig.sheet_rows()  # both fail on a repeated Rec No.
    assert len(TEMPLATE_KEYS) == 46
    assert set(book) == set(sheet) == TEMPLATE_KEYS | {"35"}
    for rows in (book, sheet):
        assert text(rows["5"]["Owner"]) == "Jo Bloggs"
        assert text(rows["6"]["Notes"]) == "Board paper due"
        assert text(rows["35"]["Action"]) == "Plan an audit."
    for tab in MANAGED:
        assert rig.book_tabs().count(tab) == 1
        assert rig.sheet_tabs().count(tab) == 1


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_crash_at_each_write_step_converges_on_the_next_run(synced: Rig, point: str) -> None:
    synced.edit_book({(5, "Owner"): "Jo Bloggs"})
    synced.add_sheet_row(NEW_ROW)
    synced.edit_sheet({(6, "Notes"): "Board paper due"})

    crashed = synced.sync_process(extra_env={"CCRC_SYNC_CRASH_AT": point})
    assert crashed.code == 99, crashed.err

    after = synced.sync()
    assert after.code == 0, after.out + after.err
    assert after.json["conflicts"] == []
    _assert_converged(synced)
    synced.assert_quiet()
    _assert_converged(synced)


def test_a_crash_on_the_first_publish_converges(fresh: Rig) -> None:
    crashed = fresh.sync_process(extra_env={"CCRC_SYNC_CRASH_AT": "after-sheet-write"})
    assert crashed.code == 99, crashed.err
    after = fresh.sync()
    assert after.code == 0, after.out + after.err
    assert set(fresh.sheet_rows()) == set(fresh.book_rows()) == TEMPLATE_KEYS
    fresh.assert_quiet()
