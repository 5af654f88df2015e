"""``python -m ccrc_sync.sheet.measure [ROWS]``: what the client costs on a large plan.

Publishes a plan of ROWS rows (default 10,000) into the project's emulator on 127.0.0.1,
then prints, as medians of three runs: the one-request read's reply size, the time of the
read (the emulator building the reply, HTTP, JSON), the client's own share (JSON parsing,
and decoding into the snapshot, the typed `PlanTable` and the row tags), and an apply of
1% cell changes (requests and time). The cycle collector is paused around the client's
work, as the sync pauses it. For the report; the tests carry no timings.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable

import requests

from ccrc_sync import schema
from ccrc_sync.config import PlanConfig, RetryConfig, SheetConfig
from ccrc_sync.emulator import Emulator
from ccrc_sync.sheet.client import GoogleSheet
from ccrc_sync.sheet.read import FIELDS, SheetSnapshot
from ccrc_sync.writes import PlanPublish, SheetCellWrite, SheetWrites

PLAN = PlanConfig()


def _median(action: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        gc.disable()
        try:
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
        finally:
            gc.enable()
    return statistics.median(times)


def _rows(count: int) -> tuple[tuple[str, tuple[schema.Value, ...]], ...]:
    sections, statuses = schema.DEFAULT_SECTIONS, schema.DEFAULT_STATUSES
    return tuple(
        (
            str(n),
            (
                n,
                sections[n % len(sections)],
                f"Recommendation {n}: improve the quality and timeliness of casework reviews.",
                f"Action {n}: a quarterly audit of a sample of closed cases, reported to the board.",
                statuses[n % 3],
                f"Owner {n % 40}",
                dt.date(2027, 1 + n % 12, 1 + n % 28),
                None,
                f"Note {n}" if n % 3 else None,
            ),
        )
        for n in range(1, count + 1)
    )


def main(count: int) -> None:
    emu = Emulator(host="127.0.0.1", port=0).start()
    try:
        sid = emu.create_spreadsheet(title="Measure", locale="en_GB")
        cfg = SheetConfig(
            spreadsheet_id=sid,
            emulator_host=emu.host_port,
            retry=RetryConfig(max_seconds=600, timeout=300),
        )
        sheet = GoogleSheet.connect(cfg)
        publish = PlanPublish(tuple(schema.FIELDS[:9]), _rows(count))
        sheet.apply(
            sheet.read(PLAN.sheet), SheetWrites(publish=publish), plan=PLAN, strict_dropdowns=True
        )
        url = f"{emu.url}/v4/spreadsheets/{sid}"
        params = {"fields": FIELDS, "includeGridData": "true", "prettyPrint": "false"}
        reply = requests.get(url, params=params, timeout=300)
        text = reply.content

        def decode() -> None:
            snap = SheetSnapshot(json.loads(text), PLAN.sheet)
            snap.plan_table()
            snap.rec_tags()

        read = _median(lambda: sheet.read(PLAN.sheet))
        own = _median(decode)
        snap = sheet.read(PLAN.sheet)
        step = 100
        cells = tuple(
            SheetCellWrite(str(n), n + 1, 9, f"changed {n}") for n in range(1, count + 1, step)
        )
        before = sheet.api_calls
        started = time.perf_counter()
        sheet.apply(snap, SheetWrites(cells=cells), plan=PLAN, strict_dropdowns=True)
        applied = time.perf_counter() - started
        print(f"rows: {count:,}")
        print(f"read reply: {len(text) / 1e6:.1f} MB, one request")
        print(f"read (emulator + HTTP + client): {read:.2f} s")
        print(f"client's share (JSON, snapshot, PlanTable, row tags): {own:.2f} s")
        print(
            f"apply {len(cells)} cell changes: {sheet.api_calls - before} request(s), {applied:.2f} s"
        )
    finally:
        emu.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
