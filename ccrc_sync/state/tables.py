"""The state file's tables, and the steps from each older layout to the current one.

A new state file is created at `SCHEMA_VERSION`; an older one is moved forward one step at
a time inside one transaction, so a state written by the previous version keeps its base,
history and log (version 2 made Rec No. a text key: "20", "20a").
"""

from __future__ import annotations

STATE_FILE = "ccrc_sync.sqlite3"
SCHEMA_VERSION = 2
# Enough earlier runs to recognise a copy restored from a few weeks of version history.
FINGERPRINTS_KEPT = 60

SCHEMA = """
CREATE TABLE base_info (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    committed_run TEXT,
    committed_at TEXT NOT NULL
);
CREATE TABLE base_rows (
    rec_no TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    summary TEXT,
    error TEXT,
    -- NULL: no report was due, 0: due but not sent yet, 1: sent
    report_sent INTEGER
);
CREATE INDEX runs_started ON runs (started);
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    run_id TEXT NOT NULL,
    rec_no TEXT NOT NULL,
    field TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    event TEXT NOT NULL DEFAULT 'carried'
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE fingerprints (
    run_id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE marks (
    side TEXT NOT NULL,
    rec_no TEXT NOT NULL,
    field TEXT NOT NULL,
    token TEXT,
    PRIMARY KEY (side, rec_no, field)
);
"""

# From each older schema to the next. Version 2 made Rec No. a text key ("20", "20a")
# and added workbook fingerprints and conflict marks.
MIGRATIONS: dict[int, str] = {
    1: """
ALTER TABLE base_rows RENAME TO base_rows_v1;
CREATE TABLE base_rows (
    rec_no TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
INSERT INTO base_rows (rec_no, data) SELECT CAST(rec_no AS TEXT), data FROM base_rows_v1;
DROP TABLE base_rows_v1;
ALTER TABLE change_log RENAME TO change_log_v1;
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    run_id TEXT NOT NULL,
    rec_no TEXT NOT NULL,
    field TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    event TEXT NOT NULL DEFAULT 'carried'
);
INSERT INTO change_log (seq, at, run_id, rec_no, field, source, target, old, new)
    SELECT seq, at, run_id, CAST(rec_no AS TEXT), field, source, target, old, new
    FROM change_log_v1;
DROP TABLE change_log_v1;
CREATE TABLE fingerprints (
    run_id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE marks (
    side TEXT NOT NULL,
    rec_no TEXT NOT NULL,
    field TEXT NOT NULL,
    token TEXT,
    PRIMARY KEY (side, rec_no, field)
);
""",
}
