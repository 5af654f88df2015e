"""`ccrc-sync serve` as IT runs it: a real process, the real sync against the emulator, SIGTERM.

The schedule is set a few seconds ahead (`schedule.time` takes seconds) with catch-up off, so
the run seen is the scheduled one, not the start-up catch-up.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "templates" / "plan.xlsx"

pytestmark = pytest.mark.slow

SPREADSHEET_ID = "service-e2e"
AHEAD = 6  # seconds: enough for the interpreter to start and read the config


def _config(tmp_path: Path, at: str, rec_nos: str) -> Path:
    config = tmp_path / "ccrc_sync.toml"
    config.write_text(
        f"""
[plan]
rec_nos = "{rec_nos}"

[workbook]
path = "{(tmp_path / "plan.xlsx").as_posix()}"

[sheet]
spreadsheet_id = "{SPREADSHEET_ID}"

[sync]
state_dir = "{(tmp_path / "state").as_posix()}"

[schedule]
time = "{at}"
timezone = "Europe/London"
catch_up = false

[logging]
file = "{(tmp_path / "logs" / "ccrc-sync.log").as_posix()}"
""",
        encoding="utf-8",
    )
    return config


def _wait_for_run(state_dir: Path, deadline: float):
    from ccrc_sync.state import STATE_FILE, State

    while time.monotonic() < deadline:
        if (state_dir / STATE_FILE).is_file():
            with State(state_dir) as state:
                record = state.last_run()
            if record is not None:
                return record
        time.sleep(0.2)
    return None


def test_serve_runs_on_schedule_and_stops_cleanly_on_sigterm(tmp_path: Path, emulator) -> None:
    (tmp_path / "plan.xlsx").write_bytes(TEMPLATE.read_bytes())
    emulator.create_spreadsheet("CCRC action plan", spreadsheet_id=SPREADSHEET_ID)
    due = dt.datetime.now(ZoneInfo("Europe/London")) + dt.timedelta(seconds=AHEAD)
    config = _config(tmp_path, due.strftime("%H:%M:%S"), "1-34")
    # PYTHONPATH: the package from this checkout, whatever the cwd (an editable install made
    # before the package had its __init__.py resolves it as a namespace from elsewhere).
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "SHEETS_EMULATOR_HOST": emulator.host_port, "PYTHONPATH": pythonpath}
    process = subprocess.Popen(
        [sys.executable, "-m", "ccrc_sync", "serve", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        record = _wait_for_run(tmp_path / "state", time.monotonic() + AHEAD + 40)
        assert process.poll() is None, process.communicate()[1]
        assert record is not None, "no run was recorded"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    # The scheduled run, not a catch-up: it started at (or just after) the configured second.
    assert record.started >= due.replace(microsecond=0)
    assert "(scheduled)" in stderr and "serve stopped on SIGTERM" in stderr
    assert "(scheduled)" in (tmp_path / "logs" / "ccrc-sync.log").read_text(encoding="utf-8")
    # ... and the sync itself worked.
    assert record.status == "ok", record.error
    published = emulator.get_values(SPREADSHEET_ID, "Action Plan")
    assert len(published) == 47 and published[0][0] == "Rec No."  # 46 rows under a header

    # `status` agrees: the run just happened, so it is healthy (exit 0).
    shown = subprocess.run(
        [sys.executable, "-m", "ccrc_sync", "status", "--config", str(config), "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert '"healthy": true' in shown.stdout
