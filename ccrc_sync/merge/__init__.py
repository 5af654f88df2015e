"""The three-way merge: `model` (what it speaks in) and `merger` (the rules)."""

from ccrc_sync.merge.merger import ONE_SIDE, UNSETTLED, WHOLE_COLUMN_MIN, merge
from ccrc_sync.merge.model import (
    Change,
    Conflict,
    ConflictKind,
    Deletion,
    Hold,
    HoldReason,
    MergeResult,
    MergeSettings,
    Row,
    Side,
    SideRows,
    Table,
    side_rows,
)

__all__ = [
    "ONE_SIDE",
    "UNSETTLED",
    "WHOLE_COLUMN_MIN",
    "Change",
    "Conflict",
    "ConflictKind",
    "Deletion",
    "Hold",
    "HoldReason",
    "MergeResult",
    "MergeSettings",
    "Row",
    "Side",
    "SideRows",
    "Table",
    "merge",
    "side_rows",
]
