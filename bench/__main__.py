"""`python -m bench`: run every size, print the tables, write `bench/results.json`."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openpyxl

from bench import EDIT_FRACTION, SIZES
from bench.scenario import run_size
from bench.table import render

RESULTS = Path(__file__).resolve().parent / "results.json"


def machine() -> dict[str, Any]:
    """Enough about the machine to compare two results files honestly."""
    import gspread

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "openpyxl": openpyxl.__version__,
        "gspread": gspread.__version__,
    }


def run(
    sizes: list[int],
    out: Path | None,
    *,
    work: Path | None = None,
    profile_lines: int = 0,
    log=print,
) -> dict[str, Any]:
    """Run the benchmark on a fresh emulator; optionally save the JSON.

    Files go to `work` when given (kept), else to a temporary folder (removed after)."""
    from ccrc_sync.emulator import Emulator

    started = time.perf_counter()
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "sizes": sizes,
            "edit_fraction": EDIT_FRACTION,
            "memory": "ru_maxrss of a fresh process per operation; op_mb = peak - after imports",
            "timing": "one run per operation, in its own process, after its imports",
            "profiled": bool(profile_lines),
        },
        "sizes": [],
    }
    emu = Emulator(host="127.0.0.1", port=0)
    emu.start()
    stack = contextlib.ExitStack()
    try:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ccrc-bench-")))
        work_root = work
        for rows in sizes:
            figures = run_size(rows, emu, work / str(rows), profile_lines=profile_lines, log=log)
            results["sizes"].append(figures)
    finally:
        emu.stop()
    log("zip bomb: validate and sync on 1 MB that inflates to 1 GB")
    results["zip_bomb"] = zip_bomb(work_root)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    stack.close()
    if out is not None:
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def zip_bomb(work: Path) -> dict[str, Any]:
    """validate and sync refuse a 1 MB file that inflates to 1 GB: time, memory, exit code,
    and every file left as it was."""
    from bench.bomb import digest, summary, write_bomb
    from bench.measure import run_op

    folder = work / "bomb"
    folder.mkdir(parents=True, exist_ok=True)
    bomb = write_bomb(folder / "plan.xlsx")
    config = folder / "ccrc_sync.toml"
    config.write_text(
        f'[workbook]\npath = "{bomb}"\n[sync]\nstate_dir = "{folder / "state"}"\n'
        '[sheet]\nspreadsheet_id = "none"\nemulator_host = "127.0.0.1:9"\n',
        encoding="utf-8",
    )
    before = digest(folder)
    out: dict[str, Any] = {**summary(bomb)}
    for name, argv in (
        ("validate", ["validate", str(bomb), "--config", str(config)]),
        ("sync", ["sync", "--config", str(config)]),
    ):
        m = run_op("refuse", {"argv": argv}, cwd=folder)
        out[name] = m.to_dict()
    # The refused sync may open its state folder; every other file must be as it was, and
    # none may appear or vanish.
    after = {k: v for k, v in digest(folder).items() if not k.startswith("state")}
    out["files_unchanged"] = after == before
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=list(SIZES),
        help="comma-separated row counts (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"results JSON (default: {RESULTS}, except for a profiled run, which is not saved)",
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="keep the generated files in this folder"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="run validate and the second sync under cProfile and print the top N functions "
        "(times are then inflated; the results are marked as profiled)",
    )
    args = parser.parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    out = args.out if args.out is not None or args.profile else RESULTS
    results = run(args.sizes, out, work=args.work, profile_lines=args.profile, log=log)
    print(render(results))
    if args.profile:
        for size in results["sizes"]:
            for label, fig in (
                ("validate", size["validate"]),
                ("sync", size["ccrc_sync"]["second_sync"]),
            ):
                print(f"\n=== profile: {label} at {size['rows']:,} rows ===\n{fig['profile']}")
    saved = f"Wrote {out}" if out is not None else "Not saved (profiled run)"
    print(f"\n{saved}; {results['total_seconds']} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
