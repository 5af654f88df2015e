"""The sync's own memory, in one SQLite file: the base, the run history and the change log.

The base is the last version of every row both sides agreed on; without it a three-way
merge cannot tell an edit from a stale copy, so it is only ever replaced in the same
transaction that records the run which wrote both sides. A crash before that commit
leaves the previous base, and the next run sees the same edits again and converges.

Values keep their type across a round trip (a date stays a date, 15.0 stays a float):
they are stored as JSON with dates, datetimes and formulas tagged. Times are stored as
UTC ISO strings and come back as aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ccrc_sync.errors import StateError
from ccrc_sync.merge import Table
from ccrc_sync.schema import RecNo, Value, rec_sort_key
from ccrc_sync.state import codec
from ccrc_sync.state.tables import (
    FINGERPRINTS_KEPT,
    MIGRATIONS,
    SCHEMA,
    SCHEMA_VERSION,
    STATE_FILE,
)

FINISHED_STATUSES = ("ok", "flagged", "failed")


class LogEvent(StrEnum):
    CARRIED = "carried"  # a one-sided edit carried to the other side
    RESOLVED = "resolved"  # a conflict settled by a person: one value stood


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started: dt.datetime
    finished: dt.datetime | None
    status: str  # "running" | "ok" | "flagged" | "failed" | "interrupted" (killed mid-run)
    counts: dict[str, int]
    summary: dict[str, Any] | None
    error: str | None
    report_sent: bool


@dataclass(frozen=True)
class LogEntry:
    """One line of the Change Log.

    CARRIED: `new` went from `source` to `target`, replacing `old`. RESOLVED: a conflict was
    settled; `new` is the value that stood (it came from `source`), `old` the other side's.
    """

    when: dt.datetime
    run_id: str
    rec_no: RecNo
    field: str
    source: str
    target: str
    old: Value
    new: Value
    event: LogEvent = LogEvent.CARRIED


class State:
    """The state database under `state_dir`; open it for one run (or one `status`), then close.

    Every write is one transaction. Errors from SQLite surface as `StateError` with a
    sentence that says which file and what to do, never as a traceback.
    """

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / STATE_FILE
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(
                f"The state folder {self.path.parent} could not be created: "
                f"{exc.strerror or exc}; check the path and its permissions."
            ) from None
        self._db: sqlite3.Connection | None = None
        try:
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) below.
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._prepare()
        except sqlite3.Error as exc:
            self.close()
            raise StateError(self._explain(exc)) from None
        except StateError:
            self.close()
            raise

    @classmethod
    def open_existing(cls, state_dir: Path) -> State | None:
        """The state a run has made under `state_dir`, or None when there is none yet.

        Creates nothing (no folder, no file): for the readers that only look (`status`, a
        dry-run digest, `serve` asking when the digests last went), so looking never leaves
        an empty state behind. The one test of "is there a state" lives here.
        """
        if not (Path(state_dir) / STATE_FILE).is_file():
            return None
        return cls(state_dir)

    # -- lifecycle

    def _prepare(self) -> None:
        db = self._conn()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateError(
                f"The state file {self.path} was written by a newer ccrc-sync (schema "
                f"{version}, this one knows {SCHEMA_VERSION}); upgrade ccrc-sync."
            )
        # WAL lets `ccrc-sync status` read while a sync writes.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        if version < SCHEMA_VERSION:
            with self._write() as cur:
                # Re-check inside the lock: another process may have moved it on meanwhile.
                version = cur.execute("PRAGMA user_version").fetchone()[0]
                steps = (
                    [SCHEMA]
                    if version == 0
                    else [MIGRATIONS[v] for v in range(version, SCHEMA_VERSION)]
                )
                for script in steps:
                    for statement in script.split(";"):
                        if statement.strip():
                            cur.execute(statement)
                cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        # A file damaged after creation (a crash mid-copy, a bad disk) is caught here, once.
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise StateError(self._explain(sqlite3.DatabaseError(f"malformed: {verdict}")))
        db.execute("SELECT count(*) FROM runs").fetchone()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateError(f"The state file {self.path} is closed; open it again.")
        return self._db

    def _explain(self, exc: sqlite3.Error) -> str:
        text = str(exc)
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return (
                f"The state file {self.path} is damaged ({text}); move it aside and the next "
                "run starts again with a first sync, which loses no edits."
            )
        if "readonly" in text or "unable to open" in text or "disk I/O" in text:
            return (
                f"The state file {self.path} could not be written ({text}); check that the "
                "folder is writable and the disk is not full."
            )
        if "locked" in text or "busy" in text:
            return f"The state file {self.path} is locked by another process; try again."
        return f"The state file {self.path} could not be used ({text})."

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction: all or nothing, even when the caller's code raises."""
        db = self._conn()
        cur = db.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StateError(self._explain(exc)) from None
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StateError(self._explain(exc)) from None
            raise
        finally:
            cur.close()

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StateError(self._explain(exc)) from None

    # -- the base

    def base(self) -> Table | None:
        """The last agreed rows, or None before the first successful sync."""
        if not self._read("SELECT 1 FROM base_info WHERE id = 1"):
            return None
        rows = self._read("SELECT rec_no, data FROM base_rows")
        rows.sort(key=lambda row: rec_sort_key(row[0]))
        return {str(rec_no): codec.decode_row(data) for rec_no, data in rows}

    # -- runs

    def start_run(self, started: dt.datetime) -> str:
        """Record a run as running and return its id, which sorts by start time."""
        run_id = f"{codec.utc(started).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(2)}"
        with self._write() as cur:
            cur.execute(
                "INSERT INTO runs (run_id, started, status) VALUES (?, ?, 'running')",
                (run_id, codec.stamp(started)),
            )
        return run_id

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        finished: dt.datetime,
        base: Mapping[RecNo, Mapping[str, Value]] | None = None,
        log: Sequence[LogEntry] = (),
        counts: Mapping[str, int] | None = None,
        summary: Mapping[str, Any] | None = None,
        error: str | None = None,
        fingerprint: str | None = None,
        marks: Mapping[tuple[str, RecNo, str], str | None] | None = None,
        meta: Mapping[str, str] | None = None,
        previous_base: Mapping[RecNo, Mapping[str, Value]] | None = None,
    ) -> None:
        """Close a run in ONE transaction: replace the base (when given), add its Change Log
        lines, the workbook's fingerprint, the conflict marks now set and small settings,
        and record the outcome. Either all of it lands or none of it does."""
        if status not in FINISHED_STATUSES:
            raise ValueError(f"a run finishes as one of {FINISHED_STATUSES}, not {status!r}")
        at = codec.stamp(finished)
        with self._write() as cur:
            if not cur.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                raise StateError(f"The state file {self.path} has no run {run_id} to finish.")
            if base is not None:
                # Only rows that differ are written: a large plan changes a few per run.
                # The caller may say what the base was (as it read it this run), which
                # spares reading every stored row back; otherwise they are read.
                if previous_base is not None:
                    gone = previous_base.keys() - base.keys()
                    changed = {
                        str(r): codec.encode_row(row)
                        for r, row in base.items()
                        if previous_base.get(r) != row
                        or codec.types_of(previous_base.get(r)) != codec.types_of(row)
                    }
                else:
                    stored = dict(cur.execute("SELECT rec_no, data FROM base_rows").fetchall())
                    wanted = {str(r): codec.encode_row(row) for r, row in base.items()}
                    gone = stored.keys() - wanted.keys()
                    changed = {r: d for r, d in wanted.items() if stored.get(r) != d}
                cur.executemany("DELETE FROM base_rows WHERE rec_no = ?", ((r,) for r in gone))
                cur.executemany(
                    "INSERT OR REPLACE INTO base_rows (rec_no, data) VALUES (?, ?)",
                    changed.items(),
                )
                cur.execute(
                    "INSERT OR REPLACE INTO base_info (id, committed_run, committed_at) "
                    "VALUES (1, ?, ?)",
                    (run_id, at),
                )
            # Oldest first, so the newest line gets the highest sequence number.
            cur.executemany(
                "INSERT INTO change_log "
                "(at, run_id, rec_no, field, source, target, old, new, event) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        codec.stamp(e.when),
                        e.run_id,
                        e.rec_no,
                        e.field,
                        e.source,
                        e.target,
                        codec.encode(e.old),
                        codec.encode(e.new),
                        e.event.value,
                    )
                    for e in reversed(log)
                ),
            )
            if fingerprint is not None:
                cur.execute(
                    "INSERT OR REPLACE INTO fingerprints (run_id, at, digest) VALUES (?, ?, ?)",
                    (run_id, at, fingerprint),
                )
                cur.execute(
                    "DELETE FROM fingerprints WHERE run_id NOT IN "
                    "(SELECT run_id FROM fingerprints ORDER BY at DESC LIMIT ?)",
                    (FINGERPRINTS_KEPT,),
                )
            if marks is not None:
                cur.execute("DELETE FROM marks")
                cur.executemany(
                    "INSERT INTO marks (side, rec_no, field, token) VALUES (?, ?, ?, ?)",
                    ((side, rec, name, token) for (side, rec, name), token in marks.items()),
                )
            for key, value in (meta or {}).items():
                cur.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            cur.execute(
                "UPDATE runs SET finished = ?, status = ?, counts = ?, summary = ?, error = ? "
                "WHERE run_id = ?",
                (
                    at,
                    status,
                    codec.dumps(dict(counts or {})),
                    None if summary is None else codec.dumps(dict(summary)),
                    error,
                    run_id,
                ),
            )

    def fingerprints(self) -> list[tuple[str, dt.datetime, str]]:
        """The workbook's content as each recent run left it: (run, when, digest), newest
        first."""
        rows = self._read("SELECT run_id, at, digest FROM fingerprints ORDER BY at DESC")
        return [(run_id, codec.parse(at), digest) for run_id, at, digest in rows]

    def marks(self) -> dict[tuple[str, RecNo, str], str | None]:
        """The conflict marks this tool has set: (side, Rec No., field) -> token."""
        rows = self._read("SELECT side, rec_no, field, token FROM marks")
        return {(side, str(rec), name): token for side, rec, name, token in rows}

    def mark_interrupted(self) -> list[str]:
        """Runs still marked running when no run holds the lock were killed: say so."""
        with self._write() as cur:
            found = [r for (r,) in cur.execute("SELECT run_id FROM runs WHERE status = 'running'")]
            cur.execute(
                "UPDATE runs SET status = 'interrupted', error = ? WHERE status = 'running'",
                ("The run stopped before it finished (the process was killed or crashed).",),
            )
        return found

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """Run history, newest first (stale `running` rows of a dead process included)."""
        return self._runs("", limit)

    def last_run(self) -> RunRecord | None:
        """The newest finished run; a run still marked running (the process died) is skipped."""
        found = self._runs("WHERE status NOT IN ('running', 'interrupted')", 1)
        return found[0] if found else None

    def last_success(self) -> RunRecord | None:
        """The newest run that reconciled the two sides (ok, or ok but with items flagged)."""
        found = self._runs("WHERE status IN ('ok', 'flagged')", 1)
        return found[0] if found else None

    def consecutive_failures(self) -> int:
        """How many finished runs in a row, counting back from the newest, failed."""
        count = 0
        for (status,) in self._read(
            "SELECT status FROM runs WHERE status NOT IN ('running', 'interrupted') "
            "ORDER BY started DESC, seq DESC"
        ):
            if status != "failed":
                break
            count += 1
        return count

    def _runs(self, where: str, limit: int | None) -> list[RunRecord]:
        sql = (
            "SELECT run_id, started, finished, status, counts, summary, error, report_sent "
            f"FROM runs {where} ORDER BY started DESC, seq DESC"
        )
        params: tuple[object, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (max(0, int(limit)),)
        return [
            RunRecord(
                run_id=run_id,
                started=codec.parse(started),
                finished=codec.parse(finished) if finished else None,
                status=status,
                counts=codec.loads(counts),
                summary=codec.loads(summary) if summary is not None else None,
                error=error,
                report_sent=report_sent == 1,
            )
            for run_id, started, finished, status, counts, summary, error, report_sent in (
                self._read(sql, params)
            )
        ]

    # -- the change log

    def change_log(self, limit: int | None = None) -> list[LogEntry]:
        """What the sync changed, newest first."""
        sql = (
            "SELECT at, run_id, rec_no, field, source, target, old, new, event FROM change_log "
            "ORDER BY seq DESC"
        )
        params: tuple[object, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (max(0, int(limit)),)
        return [
            LogEntry(
                codec.parse(at),
                run_id,
                str(rec_no),
                field,
                source,
                target,
                codec.decode(old),
                codec.decode(new),
                LogEvent(event),
            )
            for at, run_id, rec_no, field, source, target, old, new, event in self._read(
                sql, params
            )
        ]

    # -- small settings that must survive between runs

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as cur:
            cur.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- report delivery

    def mark_report_sent(self, run_id: str, sent: bool = True) -> None:
        """Record that a run's report email went (True) or is due but has not gone (False)."""
        with self._write() as cur:
            cur.execute(
                "UPDATE runs SET report_sent = ? WHERE run_id = ?", (1 if sent else 0, run_id)
            )
            if cur.rowcount == 0:
                raise StateError(f"The state file {self.path} has no run {run_id}.")

    def unsent_reports(self) -> list[str]:
        """Runs whose report is due but not sent (marked with `sent=False`), oldest first."""
        return [
            run_id
            for (run_id,) in self._read(
                "SELECT run_id FROM runs WHERE report_sent = 0 ORDER BY started, seq"
            )
        ]


# -- times
