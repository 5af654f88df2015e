"""``python -m ccrc_sync.emulator.measure``: how long the emulator takes on a 10,000-row plan.

Prints the median of five runs for what a sync of a large plan asks of it: the one
request reading values and number formats for the whole plan tab (built and encoded, as
sent), a batch tagging every row with developer metadata, a one-request batchUpdate on
the big spreadsheet, and 200 cell writes addressed by metadata. For the report and for
noticing a slowdown; the test suite itself carries no timings.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from ccrc_sync.emulator import a1, datafilter, masks, resource
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.server import Emulator, collector_paused

ROWS = 10_000
MASK = (
    "sheets(properties(sheetId,title,gridProperties),data(rowData(values(effectiveValue,"
    "formattedValue,effectiveFormat/numberFormat))))"
)


def _median(action: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _tag(row: int) -> JSON:
    location = {"dimensionRange": {"dimension": "ROWS", "startIndex": row, "endIndex": row + 1}}
    metadata = {"metadataKey": "rec", "metadataValue": str(row), "location": location}
    return {
        "createDeveloperMetadata": {"developerMetadata": {**metadata, "visibility": "DOCUMENT"}}
    }


def main() -> int:
    emu = Emulator()
    sid = emu.create_spreadsheet("Measure", sheets=("Action Plan",), locale="en_GB")
    grid = {"rowCount": ROWS + 1, "columnCount": 9}
    emu.batch_update(
        sid,
        [
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "gridProperties": grid},
                    "fields": "gridProperties(rowCount,columnCount)",
                }
            }
        ],
    )
    rows = [
        [
            "Rec No.",
            "Section",
            "Recommendation",
            "Action",
            "Status",
            "Owner",
            "Target Date",
            "Last Updated",
            "Notes",
        ]
    ]
    rows += [
        [
            str(i),
            "Casework",
            f"Recommendation {i} in plain words",
            f"Action {i}",
            "In Progress",
            "J. Smith",
            "31/03/2027",
            "2026-11-01",
            "50%" if i % 7 == 0 else "note",
        ]
        for i in range(1, ROWS + 1)
    ]
    emu.set_values(sid, "Action Plan", "A1", rows)
    ss = emu.store.get(sid)  # a batchUpdate replaces it: fetched again after one
    sheet = ss.sheets[0]
    tree = masks.mask_tree(MASK)
    box = a1.Box(0, ROWS + 1, 0, 9)

    def read() -> None:
        with collector_paused():  # as the server answers a request
            body = resource.spreadsheet_resource(ss, True, [(sheet, box)], tree)
            json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    print(f"read {ROWS} rows x 9 columns with grid data, built and encoded: {_median(read):.2f} s")
    started = time.perf_counter()
    emu.batch_update(sid, [_tag(r) for r in range(1, ROWS + 1)])
    print(
        f"tag {ROWS} rows with developer metadata (one batch): "
        f"{time.perf_counter() - started:.2f} s"
    )
    bold = {
        "repeatCell": {
            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
            "fields": "userEnteredFormat.textFormat.bold",
        }
    }
    print(
        f"one small batchUpdate on that spreadsheet: "
        f"{_median(lambda: emu.batch_update(sid, [bold])):.2f} s"
    )
    lookup = [
        {
            "dataFilter": {
                "developerMetadataLookup": {"metadataKey": "rec", "metadataValue": str(r)}
            },
            "values": [[None, None, None, None, "Complete"]],
        }
        for r in range(1, 201)
    ]
    body = {"valueInputOption": "USER_ENTERED", "data": lookup}
    tagged = emu.store.get(sid)  # the batch above replaced the spreadsheet object
    done = datafilter.batch_update(tagged, body)
    assert done.get("totalUpdatedCells") == 200, done
    print(
        f"200 writes addressed by metadata (one request): "
        f"{_median(lambda: datafilter.batch_update(tagged, body)):.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
