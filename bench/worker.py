"""The child side of `bench.measure`: `python -m bench.worker OP JSON` runs one operation.

Each operation imports what it needs first (untimed), then is timed by `measure.timed`;
the figures go to stdout as one JSON line, which the parent reads.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.measure import timed

# Modules ccrc-sync imports lazily inside a run: loaded before the clock starts, so the
# sync is not charged for imports the bare openpyxl floor never makes.
SYNC_MODULES = (
    "ccrc_sync.sync",
    "ccrc_sync.plan",
    "ccrc_sync.workbook",
    "ccrc_sync.sheet",
    "ccrc_sync.merge",
    "ccrc_sync.state",
    "ccrc_sync.report",
    "ccrc_sync.tabs",
    "ccrc_sync.summary",
)
VALIDATE_MODULES = ("ccrc_sync.validate", "ccrc_sync.workbook")


def _preload(names: tuple[str, ...]) -> None:
    for name in names:
        importlib.import_module(name)


def op_load(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The floor for reading: openpyxl's plain `load_workbook`, as any tool must do."""
    from openpyxl import load_workbook

    def run() -> dict[str, Any]:
        wb = load_workbook(p["path"])
        return {"sheets": len(wb.sheetnames)}

    return run


def op_load_save(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The floor for a sync that writes the workbook back: load, then save a copy."""
    from openpyxl import load_workbook

    def run() -> dict[str, Any]:
        wb = load_workbook(p["path"])
        wb.save(p["out"])
        return {"sheets": len(wb.sheetnames)}

    return run


def op_validate(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    _preload(VALIDATE_MODULES)
    from ccrc_sync.config import load_config
    from ccrc_sync.validate import run_validate

    config = load_config(Path(p["config"]), env={})

    def run() -> dict[str, Any]:
        result = run_validate(Path(p["path"]), config)
        return _describe_validation(result)

    return run


def _describe_validation(result: Any) -> dict[str, Any]:
    """Counts from whatever `run_validate` returns (a report object or a list of issues)."""
    issues = getattr(result, "issues", result if isinstance(result, list) else [])
    counts: dict[str, int] = {}
    codes: dict[str, int] = {}
    for issue in issues or []:
        sev = str(getattr(getattr(issue, "severity", None), "value", issue.severity))
        counts[sev] = counts.get(sev, 0) + 1
        codes[issue.code] = codes.get(issue.code, 0) + 1
    return {"counts": counts, "codes": codes}


def op_sync(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    _preload(SYNC_MODULES)
    from ccrc_sync.config import load_config
    from ccrc_sync.sync import run_sync

    config = load_config(Path(p["config"]), env=p["env"])

    def run() -> dict[str, Any]:
        outcome = run_sync(config)
        codes: dict[str, int] = {}
        for issue in outcome.issues:
            codes[issue.code] = codes.get(issue.code, 0) + 1
        return {
            "status": outcome.status.value,
            "api_calls": outcome.api_calls,
            "changes": len(outcome.changes),
            "conflicts": len(outcome.conflicts),
            "issue_codes": codes,
            "notes": outcome.notes,
        }

    return run


def op_refuse(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """`ccrc-sync validate` or `sync` on a hostile file, through the CLI: its exit code and
    the one sentence it prints."""
    _preload((*SYNC_MODULES, "ccrc_sync.cli"))
    import contextlib
    import io

    from ccrc_sync.cli import main

    def run() -> dict[str, Any]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(p["argv"])
        return {"exit": code, "said": err.getvalue().strip()}

    return run


OPS: dict[str, Callable[[dict[str, Any]], Callable[[], dict[str, Any]]]] = {
    "refuse": op_refuse,
    "load": op_load,
    "load_save": op_load_save,
    "validate": op_validate,
    "sync": op_sync,
}


def main(argv: list[str]) -> int:
    op, payload = argv[1], json.loads(argv[2])
    fn = OPS[op](payload)
    measurement = timed(op, fn, profile_lines=int(payload.get("profile_lines", 0)))
    print(json.dumps(measurement.__dict__, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
