"""Reading and writing values through DataFilters (``values:*ByDataFilter``).

A DataFilter names cells by ``a1Range``, ``gridRange`` or ``developerMetadataLookup``;
a lookup matching row metadata stands for that whole row, every column of the grid
(column metadata for the whole column, sheet metadata for the whole sheet).

From the reference: "Ranges that match any of the specified data filters are included";
"If more than one range is matched by the specified DataFilter the specified values are
applied to all of those ranges"; "If the provided values exceed any of the ranges matched
by the data filter then the request fails. If the provided values are less than the
matched ranges only the specified values are written"; null values are skipped. A
filter that matches nothing selects nothing: no value range, no response entry, no
error (docs/EMULATOR.md says why).
"""

from __future__ import annotations

from ccrc_sync.emulator import a1, cells, metadata
from ccrc_sync.emulator.errors import bad_request
from ccrc_sync.emulator.grid import filter_kind, resolve_range
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.store import Sheet, Spreadsheet

Matched = tuple[Sheet, a1.Box]


def matched_ranges(
    ss: Spreadsheet, data_filter: JSON, index: metadata.Index | None = None
) -> list[Matched]:
    """The ranges one DataFilter selects, each once, in spreadsheet order."""
    kind = filter_kind(data_filter)
    if kind != "developerMetadataLookup":
        return [resolve_range(ss, data_filter)]
    found = (index or metadata.Index(ss)).lookup(data_filter[kind] or {})
    out: dict[tuple[int, a1.Box], Matched] = {}
    for _entry, place in found:
        for sheet, box in place.boxes(ss):
            out.setdefault((sheet.sheet_id, box), (sheet, box))
    return list(out.values())


def _grouped(ss: Spreadsheet, filters: list[JSON]) -> list[tuple[Sheet, a1.Box, list[JSON]]]:
    """Each matched range once, with every filter that matched it."""
    index = metadata.Index(ss)
    groups: dict[tuple[int, a1.Box], tuple[Sheet, a1.Box, list[JSON]]] = {}
    for data_filter in filters:
        for sheet, box in matched_ranges(ss, data_filter, index):
            groups.setdefault((sheet.sheet_id, box), (sheet, box, []))[2].append(data_filter)
    return list(groups.values())


def ranges_for_get(ss: Spreadsheet, filters: list[JSON]) -> list[Matched]:
    """What ``spreadsheets:getByDataFilter`` limits its answer to."""
    return [(sheet, box) for sheet, box, _f in _grouped(ss, filters)]


def batch_get(ss: Spreadsheet, body: JSON) -> JSON:
    """``values:batchGetByDataFilter``."""
    major = body.get("majorDimension") or "ROWS"
    vro = body.get("valueRenderOption") or "FORMATTED_VALUE"
    dtro = body.get("dateTimeRenderOption") or "SERIAL_NUMBER"
    out: JSON = {"spreadsheetId": ss.spreadsheet_id}
    found = [
        {"valueRange": cells.read_box(ss, sheet, box, major, vro, dtro), "dataFilters": filters}
        for sheet, box, filters in _grouped(ss, body.get("dataFilters") or [])
    ]
    if found:
        out["valueRanges"] = found
    return out


def batch_update(ss: Spreadsheet, body: JSON) -> JSON:
    """``values:batchUpdateByDataFilter``: every write checked before any is made."""
    option = body.get("valueInputOption")
    if not option:
        raise bad_request("'valueInputOption' is required but not specified")
    planned: list[tuple[cells.Write, a1.Box, JSON]] = []
    index = metadata.Index(ss)
    for k, item in enumerate(body.get("data") or []):
        data_filter = item.get("dataFilter") or {}
        major = item.get("majorDimension") or "ROWS"
        where = f"data[{k}].values"
        rows = cells.orient(item.get("values"), major, where)
        for sheet, box in matched_ranges(ss, data_filter, index):
            plan = cells.plan_write(
                ss,
                sheet,
                box,
                rows,
                option,
                where=where,
                columns_major=major.upper() == "COLUMNS",
                bounded=True,
            )
            planned.append((plan, box, data_filter))
    vro = body.get("responseValueRenderOption") or "FORMATTED_VALUE"
    dtro = body.get("responseDateTimeRenderOption") or "SERIAL_NUMBER"
    responses = []
    for plan, box, data_filter in planned:
        response = {**plan.apply(ss), "dataFilter": data_filter}
        responses.append((plan, box, response))
    if body.get("includeValuesInResponse"):
        for plan, box, response in responses:
            response["updatedData"] = cells.read_box(ss, plan.sheet, box, "ROWS", vro, dtro)
    return summarise(ss, [(plan, response) for plan, _box, response in responses])


def summarise(ss: Spreadsheet, done: list[tuple[cells.Write, JSON]]) -> JSON:
    """A batch write's totals: distinct rows, columns and sheets touched, cells written."""
    out: JSON = {"spreadsheetId": ss.spreadsheet_id}
    rows = {(p.sheet.sheet_id, r) for p, _ in done for r in p.rows}
    columns = {(p.sheet.sheet_id, c) for p, _ in done for c in p.columns}
    sheets = {p.sheet.sheet_id for p, _ in done if p.cells}
    cells_count = sum(len(p.cells) for p, _ in done)
    for key, count in (
        ("totalUpdatedRows", len(rows)),
        ("totalUpdatedColumns", len(columns)),
        ("totalUpdatedCells", cells_count),
        ("totalUpdatedSheets", len(sheets)),
    ):
        if count:
            out[key] = count
    if done:
        out["responses"] = [response for _p, response in done]
    return out


def batch_clear(ss: Spreadsheet, body: JSON) -> JSON:
    """``values:batchClearByDataFilter``: values only; formats and rules stay."""
    groups = _grouped(ss, body.get("dataFilters") or [])
    for sheet, box, _filters in groups:
        cells.clear_box_values(sheet, box)
    if groups:
        ss.touch()
    out: JSON = {"spreadsheetId": ss.spreadsheet_id}
    if groups:
        out["clearedRanges"] = [a1.format_box(s.title, b) for s, b, _f in groups]
    return out
