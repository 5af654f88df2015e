"""One plan size end to end: publish, edit both sides, sync again; the floors; the scripts.

Every approach starts from the same generated workbook and the same published sheet and
receives the same edits (1% of data cells per side, disjoint cells), so their request
counts and losses compare like for like. Request counts come from the emulator's log,
cleared just before the step they count.
"""

from __future__ import annotations

import copy
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import EDIT_FRACTION, REPEATS
from bench.approaches import (
    check_edits,
    client_for,
    displayed_grid,
    overwrite_script,
    update_cell_script,
)
from bench.measure import Measurement, run_op
from bench.plans import (
    FIELDS,
    SHEET,
    Edit,
    apply_workbook_edits,
    cell_a1,
    choose_edits,
    sheet_grid,
    write_config,
    write_plan,
)
from ccrc_sync.emulator.store import Spreadsheet

GOOGLE_WRITES_PER_MINUTE = 60


def apply_sheet_edits(emu: Any, spreadsheet_id: str, edits: list[Edit]) -> None:
    """People typing into the Google Sheet: one cell at a time, as the emulator's user."""
    for e in edits:
        emu.set_values(spreadsheet_id, SHEET, cell_a1(e), [[e.value]], user_entered=True)


def request_summary(emu: Any) -> dict[str, Any]:
    """How many requests the emulator served since its log was cleared, and of what kind."""
    kinds = Counter(api_method(r.method, r.path) for r in emu.requests)
    failed = sum(1 for r in emu.requests if r.status >= 400)
    return {"count": len(emu.requests), "failed": failed, "by_kind": dict(sorted(kinds.items()))}


_SUFFIXES = (
    ":clear",
    ":append",
    ":batchGet",
    ":batchUpdate",
    ":batchClear",
    ":batchGetByDataFilter",
    ":batchUpdateByDataFilter",
    ":batchClearByDataFilter",
)


def api_method(method: str, path: str) -> str:
    """The Sheets API method a request called (`values.update`, `batchUpdate`...),
    named without the cells it touched, so requests of one kind add up."""
    p = path.split("?", 1)[0]
    if "/drive/" in p:
        return f"{method} drive"
    if "/values" in p:
        tail = p.split("/values", 1)[1]
        for suffix in _SUFFIXES:
            if tail.endswith(suffix):
                return f"{method} values.{suffix[1:]}"
        return f"{method} values." + ("get" if method == "GET" else "update")
    if p.endswith(":batchUpdate"):
        return f"{method} batchUpdate"
    return f"{method} spreadsheets.get" if method == "GET" else f"{method} {p}"


def run_size(
    rows: int, emu: Any, work: Path, *, profile_lines: int = 0, log=print
) -> dict[str, Any]:
    """All figures for one plan size. `work` is a scratch folder, `emu` a started emulator."""
    work.mkdir(parents=True, exist_ok=True)
    log(f"[{rows} rows] generating the plan")
    base = write_plan(work / "base.xlsx", rows)
    config = write_config(work / "ccrc_sync.toml", rows)
    book_edits, sheet_edits = choose_edits(rows, EDIT_FRACTION)
    edited = work / "edited.xlsx"
    shutil.copyfile(base, edited)
    apply_workbook_edits(edited, book_edits)

    result: dict[str, Any] = {
        "rows": rows,
        "data_cells": rows * len(FIELDS),
        "edits_per_side": len(book_edits),
        "workbook_bytes": base.stat().st_size,
    }
    result.update(
        _ccrc_sync(rows, emu, work, base, config, book_edits, sheet_edits, profile_lines, log)
    )
    log(f"[{rows} rows] gspread: update_cell per changed cell")
    result["update_cell"] = _script("update_cell", rows, emu, work, edited, book_edits, sheet_edits)
    log(f"[{rows} rows] gspread: overwrite the sheet with worksheet.update")
    result["overwrite"] = _script("overwrite", rows, emu, work, edited, book_edits, sheet_edits)
    result["ratios"] = _ratios(result)
    return result


def _ccrc_sync(
    rows: int,
    emu: Any,
    work: Path,
    base: Path,
    config: Path,
    book_edits: list[Edit],
    sheet_edits: list[Edit],
    profile_lines: int,
    log,
) -> dict[str, Any]:
    folder = work / "ccrc"
    folder.mkdir(exist_ok=True)
    book = folder / "plan.xlsx"
    shutil.copyfile(base, book)
    sid = emu.create_spreadsheet(f"ccrc-sync bench {rows}", sheets=(SHEET,))
    env = {
        "CCRC_SYNC_WORKBOOK": str(book),
        "CCRC_SYNC_SPREADSHEET_ID": sid,
        "CCRC_SYNC_STATE_DIR": str(folder / "state"),
        "SHEETS_EMULATOR_HOST": emu.host_port,
    }
    params = {"config": str(config), "env": env}

    log(f"[{rows} rows] ccrc-sync: first sync publishes to an empty sheet")
    emu.clear_log()
    first = run_op("sync", params, cwd=work)
    first_requests = request_summary(emu)

    log(f"[{rows} rows] editing {len(book_edits)} cells on each side")
    apply_workbook_edits(book, book_edits)
    apply_sheet_edits(emu, sid, sheet_edits)

    # The floors and validate read exactly the file the second sync is about to read.
    floor = work / "floor.xlsx"
    shutil.copyfile(book, floor)
    log(f"[{rows} rows] floor: openpyxl load, load+save; ccrc-sync validate (x{REPEATS})")
    load = _median(lambda: run_op("load", {"path": str(floor)}, cwd=work))
    load_save = _median(
        lambda: run_op("load_save", {"path": str(floor), "out": str(work / "saved.xlsx")}, cwd=work)
    )
    validate = _median(
        lambda: run_op(
            "validate",
            {"path": str(floor), "config": str(config)},
            cwd=work,
            profile_lines=profile_lines,
        )
    )

    log(f"[{rows} rows] ccrc-sync: second sync carries both sides' edits (x{REPEATS})")
    # Each repeat starts from the same edited workbook, state and sheet.
    before_book, state = book.read_bytes(), folder / "state"
    shutil.copytree(state, folder / "state.before")
    before_sheet = copy.deepcopy(emu.store.get(sid).to_json())

    def second_sync() -> Measurement:
        book.write_bytes(before_book)
        shutil.rmtree(state)
        shutil.copytree(folder / "state.before", state)
        emu.store.add(Spreadsheet.from_json(copy.deepcopy(before_sheet)))
        emu.clear_log()
        return run_op("sync", params, cwd=work, profile_lines=profile_lines)

    second = _median(second_sync)
    second_requests = request_summary(emu)
    edits = check_edits(book, emu.get_values(sid, SHEET), book_edits, sheet_edits)

    log(f"[{rows} rows] ccrc-sync: an idle sync, nothing changed since (x{REPEATS})")

    def idle_sync() -> Measurement:
        emu.clear_log()
        return run_op("sync", params, cwd=work, profile_lines=profile_lines)

    idle = _median(idle_sync)
    idle_requests = request_summary(emu)
    return {
        "ccrc_sync": {
            "first_sync": {**_fig(first), "requests": first_requests},
            "second_sync": {**_fig(second), "requests": second_requests},
            "idle_sync": {**_fig(idle), "requests": idle_requests},
            "edits": edits.__dict__,
        },
        "validate": _fig(validate),
        "bare_load": _fig(load),
        "bare_load_save": _fig(load_save),
    }


def _median(measure: Callable[[], Measurement]) -> Measurement:
    """The run with the median time of REPEATS: one run on a shared machine is too noisy
    for a ratio, and the median (unlike the best) still counts a typical slow start."""
    runs = sorted((measure() for _ in range(REPEATS)), key=lambda m: m.seconds)
    return runs[len(runs) // 2]


def _fig(m: Measurement) -> dict[str, Any]:
    return m.to_dict()


def _script(
    name: str,
    rows: int,
    emu: Any,
    work: Path,
    edited: Path,
    book_edits: list[Edit],
    sheet_edits: list[Edit],
) -> dict[str, Any]:
    """Publish the unedited plan, make the same edits, then run one gspread script."""
    sid = emu.create_spreadsheet(f"{name} bench {rows}", sheets=(SHEET,))
    emu.set_values(sid, SHEET, "A1", sheet_grid(rows), user_entered=True)
    book = work / f"{name}.xlsx"
    book_base = displayed_grid(work / "base.xlsx")
    sheet_base = emu.get_values(sid, SHEET)
    shutil.copyfile(edited, book)
    apply_sheet_edits(emu, sid, sheet_edits)
    client = client_for(emu.url)
    emu.clear_log()
    started = time.perf_counter()
    if name == "update_cell":
        done = update_cell_script(client, sid, book, book_base, sheet_base)
    else:
        done = overwrite_script(client, sid, book)
    seconds = time.perf_counter() - started
    requests = request_summary(emu)
    edits = check_edits(book, emu.get_values(sid, SHEET), book_edits, sheet_edits)
    writes = sum(n for kind, n in requests["by_kind"].items() if not kind.startswith("GET"))
    return {
        "requests": requests,
        "writes": writes,
        "minutes_at_quota": round(writes / GOOGLE_WRITES_PER_MINUTE, 1),
        "seconds": round(seconds, 4),
        "cells_pushed": done.pushed,
        "cells_pulled": done.pulled,
        "edits": edits.__dict__,
    }


def _ratios(r: dict[str, Any]) -> dict[str, float]:
    """Each against openpyxl's bare load of the same file (issue 10's floor)."""
    load = r["bare_load"]
    sync, idle = r["ccrc_sync"]["second_sync"], r["ccrc_sync"]["idle_sync"]
    return {
        "validate_over_load": round(r["validate"]["seconds"] / load["seconds"], 2),
        "sync_over_load": round(sync["seconds"] / load["seconds"], 2),
        "idle_over_load": round(idle["seconds"] / load["seconds"], 2),
        "sync_over_load_save": round(sync["seconds"] / r["bare_load_save"]["seconds"], 2),
        "validate_mb_over_load": round(r["validate"]["op_mb"] / max(load["op_mb"], 1), 2),
        "sync_mb_over_load": round(sync["op_mb"] / max(load["op_mb"], 1), 2),
    }
