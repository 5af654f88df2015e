"""`ccrc-sync status` against a real state folder: it reads, and never writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ccrc_sync.config import Config, SyncConfig
from ccrc_sync.status import status


def test_status_on_an_empty_state_folder_leaves_it_empty(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    report = status(Config(sync=SyncConfig(state_dir=folder)), datetime(2026, 5, 6, 9, tzinfo=UTC))
    assert not report.healthy and report.last_run is None
    assert report.problem == (
        "The sync has not run yet. Start `ccrc-sync serve` (or the system service), or run "
        "`ccrc-sync sync` once."
    )
    assert list(folder.iterdir()) == []
