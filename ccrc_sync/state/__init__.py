"""The sync's own memory, in one SQLite file: `store` (the `State` API), `tables` (the
file's layout and its migrations), `codec` (values that keep their type)."""

from ccrc_sync.state.store import (
    FINISHED_STATUSES,
    LogEntry,
    LogEvent,
    RunRecord,
    State,
)
from ccrc_sync.state.tables import SCHEMA_VERSION, STATE_FILE

__all__ = [
    "FINISHED_STATUSES",
    "SCHEMA_VERSION",
    "STATE_FILE",
    "LogEntry",
    "LogEvent",
    "RunRecord",
    "State",
]
