"""Shared fixtures: real parts only (the project's emulator on 127.0.0.1, real files)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "templates" / "plan.xlsx"
CASSETTES = REPO.parent / "shared" / "cassettes"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may read real credentials or config, or write to the real home directory."""
    for var in list(os.environ):
        if var.startswith("CCRC_SYNC_") or var in (
            "GOOGLE_APPLICATION_CREDENTIALS",
            "SHEETS_EMULATOR_HOST",
        ):
            monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def emulator() -> Iterator:
    """The project's Sheets API emulator, serving real HTTP on 127.0.0.1 (a free port)."""
    from ccrc_sync.emulator import Emulator

    emu = Emulator(host="127.0.0.1", port=0)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def workbook_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The workbook files read from disk while the test runs, in order (every read of a
    workbook file starts with `package.stat_regular`)."""
    import ccrc_sync.workbook.package as package

    reads: list[Path] = []
    real = package.stat_regular

    def counted(target: Path) -> object:
        reads.append(Path(target).resolve())
        return real(target)

    monkeypatch.setattr(package, "stat_regular", counted)
    return reads
