"""A test rig for `ccrc-sync sync` end to end: a real workbook, the emulator, the real CLI.

The rig plays both staff members: `edit_book` saves the workbook with openpyxl as a person
saving in Excel would, and `edit_sheet` types into the emulated Google Sheet (USER_ENTERED,
like the browser). `sync` runs the real command in-process; `sync_process` runs it as a
separate `python -m ccrc_sync` process where a real process matters (crashes, the lock).

Most tests start from `synced`: the template already published once. That first sync is
done once per session and restored per test (workbook bytes, state directory, and the
spreadsheet's JSON), which keeps the suite fast without sharing any mutable state.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ccrc_sync.emulator import Emulator
from ccrc_sync.emulator.store import Spreadsheet

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "templates" / "plan.xlsx"
PLAN = "Action Plan"
MANAGED = ("Summary", "Sync Issues", "Change Log")
REC_NO = "Rec No."

# A recommendation as the tests name it: 5 and "5" are the same; "18a" is a lettered part.
Rec = int | str

# Faults must fail fast: a couple of seconds of retrying, not the production minute.
FAST_RETRY = """
[sheet.retry]
max_seconds = 2
initial_delay = 0.05
max_delay = 0.2
timeout = 2
"""


@dataclass
class Result:
    """One CLI run as a user sees it: the exit code and what was printed."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> dict:
        return json.loads(self.out)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` by relative path -> sha256, to prove nothing was written."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def writes(emu: Emulator) -> list:
    """Requests that could change the spreadsheet (anything but a GET)."""
    return [r for r in emu.requests if r.method != "GET"]


class Rig:
    """One workbook + one emulated spreadsheet + one state directory under `root`."""

    def __init__(self, root: Path, emu: Emulator, sid: str, monkeypatch: pytest.MonkeyPatch):
        self.root = root
        self.emu = emu
        self.sid = sid
        self.workbook = root / "plan.xlsx"
        self.state_dir = root / "state"
        self.config_path = root / "ccrc_sync.toml"
        self.monkeypatch = monkeypatch
        self.write_config("")
        for name, value in self.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(root)

    # -- configuration and running

    def env(self) -> dict[str, str]:
        return {
            "CCRC_SYNC_CONFIG": str(self.config_path),
            "CCRC_SYNC_WORKBOOK": str(self.workbook),
            "CCRC_SYNC_SPREADSHEET_ID": self.sid,
            "CCRC_SYNC_STATE_DIR": str(self.state_dir),
            "SHEETS_EMULATOR_HOST": self.emu.host_port,
        }

    def write_config(self, extra: str, *, workbook: str = "") -> None:
        """A config of our own, so the repository's demo config is never picked up;
        `workbook` adds lines to its [workbook] section."""
        self.config_path.write_text(
            "[workbook]\nbackups = 2\n" + workbook + FAST_RETRY + "\n" + extra, encoding="utf-8"
        )

    def sync(self, *args: str) -> Result:
        """`ccrc-sync sync --format json ARGS` in this process."""
        return self.cli("sync", "--format", "json", *args)

    def cli(self, *args: str) -> Result:
        from ccrc_sync.cli import main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        return Result(code, out.getvalue(), err.getvalue())

    def sync_process(self, *args: str, extra_env: Mapping[str, str] | None = None) -> Result:
        """`python -m ccrc_sync sync --format json ARGS` as its own process."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCRC_SYNC_")}
        env.update(self.env())
        env["PYTHONPATH"] = str(REPO)
        env.update(extra_env or {})
        done = subprocess.run(
            [sys.executable, "-m", "ccrc_sync", "sync", "--format", "json", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def assert_quiet(self) -> Result:
        """A run straight after must change nothing and send no write request."""
        self.emu.clear_log()
        before = self.workbook.read_bytes()
        result = self.sync()
        assert result.json["changes"] == [], result.out
        assert writes(self.emu) == [], [(r.method, r.path) for r in writes(self.emu)]
        assert self.workbook.read_bytes() == before
        return result

    # -- the workbook, as a person sees it

    def book_grid(self, tab: str = PLAN) -> list[list[Any]]:
        wb = _open_book(self.workbook)
        try:
            return [list(r) for r in wb[tab].iter_rows(values_only=True)]
        finally:
            wb.close()

    def book_rows(self) -> dict[str, dict[str, Any]]:
        return _rows(self.book_grid())

    def book_tabs(self) -> list[str]:
        wb = _open_book(self.workbook)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()

    def edit_book(self, edits: Mapping[tuple[Rec, str], Any]) -> None:
        """Set cells by (Rec No., header) and save, as a person does in Excel."""
        wb = load_workbook(self.workbook)
        ws = wb[PLAN]
        headers = [c.value for c in ws[1]]
        rows = _row_index(ws.iter_rows(min_row=2, values_only=True), headers, start=2)
        for (rec, field), value in edits.items():
            cell = ws.cell(rows[key(rec)], headers.index(field) + 1)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text typed as text, even when it begins with "="
        wb.save(self.workbook)

    def add_book_row(self, values: Mapping[str, Any]) -> None:
        wb = load_workbook(self.workbook)
        ws = wb[PLAN]
        headers = [c.value for c in ws[1]]
        row = _last_row(ws) + 1
        for field, value in values.items():
            ws.cell(row, headers.index(field) + 1).value = value
        wb.save(self.workbook)

    def delete_book_row(self, rec: Rec) -> None:
        wb = load_workbook(self.workbook)
        ws = wb[PLAN]
        headers = [c.value for c in ws[1]]
        rows = _row_index(ws.iter_rows(min_row=2, values_only=True), headers, start=2)
        ws.delete_rows(rows[key(rec)])
        wb.save(self.workbook)

    # -- the Google Sheet, as a person sees it

    def sheet_grid(self, tab: str = PLAN) -> list[list[str]]:
        """A tab as staff see it: a generated tab without the hidden column that holds
        each row's style key (its tag names the column)."""
        grid = self.emu.get_values(self.sid, tab)
        if tab == PLAN:
            return grid
        hidden = self._style_column(tab)
        if hidden is None:
            return grid
        rows = [[v for c, v in enumerate(row, start=1) if c != hidden] for row in grid]
        for row in rows:
            while row and row[-1] in ("", None):
                row.pop()
        return rows

    def _style_column(self, tab: str) -> int | None:
        from openpyxl.utils import column_index_from_string

        for entry in self.emu.developer_metadata(self.sid):
            if entry.get("metadataKey") == "ccrc-sync.style":
                sheet_id = entry.get("location", {}).get("sheetId")
                titles = {s.sheet_id: s.title for s in self.emu.store.get(self.sid).sheets}
                if titles.get(sheet_id) == tab:
                    return int(column_index_from_string(entry.get("metadataValue", "Z")))
        return None

    def sheet_rows(self) -> dict[str, dict[str, str]]:
        return _rows(self.sheet_grid())

    def sheet_tabs(self) -> list[str]:
        return [s.title for s in self.emu.store.get(self.sid).sheets]

    def sheet_cell(self, rec: Rec, field: str) -> str:
        grid = self.sheet_grid()
        headers = grid[0]
        row = _row_index(grid[1:], headers, start=2)[key(rec)]
        return f"{get_column_letter(headers.index(field) + 1)}{row}"

    def edit_sheet(
        self,
        edits: Mapping[tuple[Rec, str], Any],
        user_entered: bool = True,
        *,
        strict: bool = True,
    ) -> None:
        """Type into cells by (Rec No., header). `strict=False` puts a value past a strict
        drop-down, as data typed before the rule was made strict (or by a script) is."""
        for (rec, field), value in edits.items():
            cell = self.sheet_cell(rec, field)
            self.emu.set_values(
                self.sid,
                PLAN,
                cell,
                [[value]],
                user_entered=user_entered,
                enforce_validation=strict,
            )

    def sheet_value(self, rec: Rec, field: str) -> Any:
        """A cell's value as `values.get` gives it unformatted, dates as serial numbers:
        a number is a number, a date a serial, text is text (the display format aside)."""
        cell = self.sheet_cell(rec, field)
        query = {
            "valueRenderOption": ["UNFORMATTED_VALUE"],
            "dateTimeRenderOption": ["SERIAL_NUMBER"],
        }
        found = self.api("GET", f"/values/'{PLAN}'!{cell}", query)
        return found.get("values", [[None]])[0][0]

    def api(
        self, method: str, path: str, query: dict[str, list[str]] | None = None, body: Any = None
    ) -> Any:
        """One Sheets API call on this spreadsheet, straight into the emulator (not logged)."""
        status, payload = self.emu.handle(
            method, f"/v4/spreadsheets/{self.sid}{path}", query or {}, body
        )
        assert status == 200, payload
        return payload

    def add_sheet_row(self, values: Mapping[str, Any]) -> None:
        grid = self.sheet_grid()
        headers = grid[0]
        row = len(grid) + 1
        cells = [values.get(h, "") for h in headers]
        self.emu.set_values(self.sid, PLAN, f"A{row}", [cells])

    def delete_sheet_row(self, rec: Rec) -> None:
        """Delete the whole row, as right-click > Delete row does."""
        grid = self.sheet_grid()
        row = _row_index(grid[1:], grid[0], start=2)[key(rec)]
        self.batch_update([_delete_dimension(self.tab_id(PLAN), "ROWS", row - 1, row)])

    def tab_id(self, tab: str) -> int:
        return self.emu.sheet_properties(self.sid, tab)["sheetId"]

    def batch_update(self, requests: list[dict]) -> None:
        """A structural edit straight into the emulator (not through the logged HTTP path)."""
        self.api("POST", ":batchUpdate", body={"requests": requests})


def _open_book(path: Path) -> Any:
    """The workbook as openpyxl reads it, to look at (never to save: it drops what it does
    not model, and says so in warnings that are about this reading, not the sync)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_workbook(path)


def _delete_dimension(sheet_id: int, dimension: str, start: int, end: int) -> dict:
    rng = {"sheetId": sheet_id, "dimension": dimension, "startIndex": start, "endIndex": end}
    return {"deleteDimension": {"range": rng}}


_KEY = re.compile(r"0*([1-9][0-9]*)(?:\.0+)?([a-z]?)")


def key(rec: Rec) -> str:
    """The text key of a recommendation, as the sync's JSON names it: "5", "18a"."""
    found = _rec(rec)
    assert found is not None, f"not a Rec No.: {rec!r}"
    return found


def _rec(value: Any) -> str | None:
    """The Rec No. a cell shows, as a person reads it: 5, 5.0 and "5" are "5"; "18A" is
    "18a". None for a blank or anything that is not a Rec No."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    found = _KEY.fullmatch(str(value).strip().lower())
    return f"{found[1]}{found[2]}" if found else None


class _RowIndex(dict[str, int]):
    """Rec No. -> its 1-based row; looking up a Rec No. that more than one row claims fails
    (a test must say which copy it means), while the others can still be found."""

    def __init__(self) -> None:
        super().__init__()
        self.repeated: dict[str, list[int]] = {}

    def __getitem__(self, rec: str) -> int:
        assert rec not in self.repeated, f"Rec No. {rec} appears more than once: {self.repeated}"
        return super().__getitem__(rec)


def _row_index(rows: Any, headers: list, start: int) -> _RowIndex:
    col = headers.index(REC_NO)
    index = _RowIndex()
    for i, row in enumerate(rows, start=start):
        rec = _rec(row[col]) if col < len(row) else None
        if rec is None:
            continue
        if rec in index:
            index.repeated.setdefault(rec, [dict.__getitem__(index, rec)]).append(i)
        else:
            index[rec] = i
    return index


def _rows(grid: list[list[Any]]) -> dict[str, dict[str, Any]]:
    """Rec No. -> header -> value; fails on a repeated Rec No. (a duplicated row)."""
    headers = [h for h in grid[0]]
    col = headers.index(REC_NO)
    out: dict[str, dict[str, Any]] = {}
    for row in grid[1:]:
        rec = _rec(row[col]) if col < len(row) else None
        if rec is None:
            assert all(v in (None, "") for v in row), f"a row without a Rec No.: {row}"
            continue
        assert rec not in out, f"Rec No. {rec} appears twice"
        out[rec] = {h: (row[i] if i < len(row) else None) for i, h in enumerate(headers) if h}
    return out


def _last_row(ws: Any) -> int:
    last = 1
    for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if any(v not in (None, "") for v in row):
            last = i
    return last


def text(value: Any) -> str:
    """A cell as a person reads it, for comparing the two sides."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Baseline:
    """The template after its first sync: what each `synced` rig starts from."""

    workbook: bytes = dataclasses.field(
        repr=False
    )  # (hypothesis prints its arguments on a failure)
    state_dir: Path = dataclasses.field()
    spreadsheet: dict = dataclasses.field(repr=False)
    sid: str = dataclasses.field()


@pytest.fixture(scope="session", name="baseline")
def baseline_fixture(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    root = tmp_path_factory.mktemp("baseline")
    with Emulator(host="127.0.0.1", port=0) as emu:
        sid = emu.create_spreadsheet("CCRC Action Plan")
        with pytest.MonkeyPatch.context() as mp:
            for var in list(os.environ):
                if var.startswith("CCRC_SYNC_"):
                    mp.delenv(var)
            shutil.copyfile(TEMPLATE, root / "plan.xlsx")
            rig = Rig(root, emu, sid, mp)
            result = rig.sync()
            assert result.code == 0, result.out + result.err
            snapshot = copy.deepcopy(emu.store.get(sid).to_json())
    return Baseline((root / "plan.xlsx").read_bytes(), root / "state", snapshot, sid)


@pytest.fixture(name="fresh")
def fresh_fixture(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Rig]:
    """The template and an empty spreadsheet: nothing synced yet."""
    shutil.copyfile(TEMPLATE, tmp_path / "plan.xlsx")
    sid = emulator.create_spreadsheet("CCRC Action Plan")
    yield Rig(tmp_path, emulator, sid, monkeypatch)


@pytest.fixture(name="synced")
def synced_fixture(
    baseline: Baseline, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Rig]:
    """The template published once: both sides agree and the base is committed."""
    yield restore(baseline, tmp_path / "rig", emulator, monkeypatch)


def restore(baseline: Baseline, root: Path, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Rig:
    """A `synced` rig in a new folder `root` (for tests that need several, e.g. hypothesis)."""
    root.mkdir(parents=True)
    (root / "plan.xlsx").write_bytes(baseline.workbook)
    shutil.copytree(baseline.state_dir, root / "state")
    emu.store.add(Spreadsheet.from_json(copy.deepcopy(baseline.spreadsheet)))
    rig = Rig(root, emu, baseline.sid, monkeypatch)
    emu.clear_log()
    return rig
