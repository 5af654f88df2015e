"""The workbook package's read and patch paths against openpyxl's bare load of the same file.

Stand-alone: `python -m bench.workbook_io [ROWS ...]` (default 34, 1000, 10000). For each
size it writes a styled plan (`bench.plans.write_plan`), then times, as the median of
five runs each in a fresh process (so imports, caches and memory are not shared):

* `openpyxl`: `openpyxl.load_workbook(path)`, the floor the targets are stated against;
* `read_plan`: validate's path (one streaming pass);
* `open`: `PlanWorkbook.open` (the sync's read: the same pass, recording row positions);
* `save`: `PlanWorkbook.save` of 1% edited cells, one appended row and three generated
  tabs (Summary with a chart), including backup, replace and the check afterwards;
* `bomb`: `read_plan` of a 1 MB file inflating to 1 GB (must be refused fast).

Each figure is wall time, CPU time (steadier on a shared machine) and the peak RSS growth of the call alone (imports excluded; for
`save`, only the save is timed, but the peak covers the open too).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_CHILD = r"""
import json, sys, time
from pathlib import Path
kind, path, rows = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, sys.argv[4])
from openpyxl import load_workbook
from ccrc_sync.errors import WorkbookError
from ccrc_sync.layout import TabKind
from ccrc_sync.workbook import PlanWorkbook, read_plan
from ccrc_sync.writes import CellEdit, RowAppend, WorkbookWrites
from tests.fixtures.excel import list_layout, summary_layout


def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def run():
    if kind == "openpyxl":
        load_workbook(path)
    elif kind == "bomb":
        try:
            read_plan(path)
        except WorkbookError:
            pass
        else:
            raise SystemExit("the zip bomb was read, not refused")
    elif kind == "read_plan":
        read_plan(path)
    elif kind == "open":
        PlanWorkbook.open(path)
    else:
        book = PlanWorkbook.open(path)
        edits = tuple(
            CellEdit(2 + (i * 7919) % rows, 6 + i % 2, f"Edited in the sheet ({i})")
            for i in range(max(1, rows * 9 // 100))
        )
        writes = WorkbookWrites(
            cells=edits,
            appends=(RowAppend({1: rows + 1, 2: "Timeliness", 3: "A new one.", 5: "Planned"}),),
            tabs={
                "Summary": summary_layout(),
                "Sync Issues": list_layout("Sync Issues", TabKind.ISSUES, 20),
                "Change Log": list_layout("Change Log", TabKind.LOG, 200),
            },
        )
        global start, cpu
        start, cpu = time.perf_counter(), time.process_time()
        book.save(writes, backups=1)


# Imports are done; count only what the call itself takes (the peak is reset here:
# Linux carries ru_maxrss over from the parent, and VmHWM from before this point).
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")
before = status("VmRSS:")
start, cpu = time.perf_counter(), time.process_time()
run()
took, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = (status("VmHWM:") - before) / 1024
print(json.dumps({"seconds": took, "cpu": cpu, "peak_mb": peak}))
"""

ROOT = Path(__file__).resolve().parents[1]
_RUNS = 5


def _run(kind: str, path: Path, rows: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(path), str(rows), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(kind: str, make: object, rows: int, folder: Path) -> dict[str, float]:
    runs = []
    for i in range(_RUNS):
        path = folder / f"{kind}-{rows}-{i}.xlsx"
        path.write_bytes(make)  # type: ignore[arg-type]
        runs.append(_run(kind, path, rows))
    return {
        "seconds": round(statistics.median(r["seconds"] for r in runs), 4),
        "cpu": round(statistics.median(r["cpu"] for r in runs), 4),
        "peak_mb": round(statistics.median(r["peak_mb"] for r in runs), 1),
    }


def bomb(path: Path) -> Path:
    """A zip whose one sheet part inflates to 1 GB (1 MB stored)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b" " * (1 << 20)
            for _ in range(1024):
                part.write(block)
    return path


def main(sizes: list[int]) -> dict[str, dict[str, dict[str, float]]]:
    sys.path.insert(0, str(ROOT))
    from bench.plans import write_plan

    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for rows in sizes:
            data = write_plan(folder / f"plan-{rows}.xlsx", rows).read_bytes()
            row = {
                k: _median(k, data, rows, folder) for k in ("openpyxl", "read_plan", "open", "save")
            }
            floor, floor_cpu = row["openpyxl"]["seconds"], row["openpyxl"]["cpu"]
            for kind in ("read_plan", "open", "save"):
                row[kind]["ratio"] = round(row[kind]["seconds"] / floor, 3)
                row[kind]["cpu_ratio"] = round(row[kind]["cpu"] / floor_cpu, 3)
            results[str(rows)] = row
            print(rows, json.dumps(row), flush=True)
        bomb_data = bomb(folder / "bomb.xlsx").read_bytes()
        results["bomb"] = {"read_plan": _median("bomb", bomb_data, 0, folder)}
        results["bomb"]["read_plan"]["file_mb"] = round(len(bomb_data) / 1048576, 2)
        print("bomb", json.dumps(results["bomb"]), flush=True)
    return results


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [34, 1000, 10000])
