"""batchUpdate requests on sheet objects: merges, named ranges, filters, protection,
charts and conditional format rules.

Objects are stored as the request describes them (plus the ids Google assigns) and come
back in ``spreadsheets.get`` under ``sheets[]``: ``merges``, ``charts[].spec`` (axis
titles, stacking...), ``conditionalFormats`` and so on.
"""

from __future__ import annotations

import copy
from typing import Any

from ccrc_sync.emulator import a1
from ccrc_sync.emulator.formats import normalise_styles
from ccrc_sync.emulator.grid import (
    RequestError,
    box_of,
    iter_box,
    sheet_by_id,
    store_cell,
    without_zero_id,
)
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import apply_mask
from ccrc_sync.emulator.req_sheets import add_sheet
from ccrc_sync.emulator.store import Sheet, Spreadsheet

# --- merges, named ranges, filters, protection, charts -------------------------------------


def _overlaps(a: JSON, b: JSON) -> bool:
    return bool(
        a.get("startRowIndex", 0) < b.get("endRowIndex", 1 << 30)
        and b.get("startRowIndex", 0) < a.get("endRowIndex", 1 << 30)
        and a.get("startColumnIndex", 0) < b.get("endColumnIndex", 1 << 30)
        and b.get("startColumnIndex", 0) < a.get("endColumnIndex", 1 << 30)
    )


def _contains(outer: JSON, inner: JSON) -> bool:
    return bool(
        outer.get("startRowIndex", 0) <= inner.get("startRowIndex", 0)
        and inner.get("endRowIndex", 0) <= outer.get("endRowIndex", 0)
        and outer.get("startColumnIndex", 0) <= inner.get("startColumnIndex", 0)
        and inner.get("endColumnIndex", 0) <= outer.get("endColumnIndex", 0)
    )


def merge_cells(ss: Spreadsheet, params: JSON) -> None:
    rng = params.get("range") or {}
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    box = box_of(sheet, rng)
    kind = params.get("mergeType", "MERGE_ALL")
    pieces: list[a1.Box] = []
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    if kind == "MERGE_ROWS":
        pieces = [
            a1.Box(r, r + 1, box.start_col, box.end_col) for r in range(box.start_row, box.end_row)
        ]
    elif kind == "MERGE_COLUMNS":
        pieces = [
            a1.Box(box.start_row, box.end_row, c, c + 1) for c in range(box.start_col, box.end_col)
        ]
    else:
        pieces = [box]
    for piece in pieces:
        merge = without_zero_id(
            {
                "sheetId": sheet.sheet_id,
                "startRowIndex": piece.start_row,
                "endRowIndex": piece.end_row,
                "startColumnIndex": piece.start_col,
                "endColumnIndex": piece.end_col,
            }
        )
        if any(_overlaps(merge, m) and not _contains(merge, m) for m in sheet.merges):
            raise RequestError("You can't merge cells that intersect with existing merges.")
        sheet.merges = [m for m in sheet.merges if not _contains(merge, m)]
        for r, c in iter_box(piece):
            if (r, c) != (piece.start_row, piece.start_col) and (r, c) in sheet.cells:
                cell = dict(sheet.cells[(r, c)])
                cell.pop("userEnteredValue", None)
                store_cell(sheet, r, c, cell)
        if (piece.end_row or 0) - (piece.start_row or 0) > 1 or (piece.end_col or 0) - (
            piece.start_col or 0
        ) > 1:
            sheet.merges.append(merge)


def unmerge_cells(ss: Spreadsheet, params: JSON) -> None:
    rng = params.get("range") or {}
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    sheet.merges = [m for m in sheet.merges if not _overlaps(m, rng)]


def add_named_range(ss: Spreadsheet, params: JSON) -> JSON:
    named = copy.deepcopy(params.get("namedRange") or {})
    name = named.get("name", "")
    if any(n["name"].lower() == name.lower() for n in ss.named_ranges):
        raise RequestError(f'Named range with name "{name}" already exists.')
    named.setdefault("namedRangeId", f"{ss.new_object_id():x}")
    named.setdefault("range", {}).setdefault("sheetId", 0)
    if named["range"]["sheetId"] == 0:
        named["range"].pop("sheetId")
    ss.named_ranges.append(named)
    return {"addNamedRange": {"namedRange": copy.deepcopy(named)}}


def delete_named_range(ss: Spreadsheet, params: JSON) -> None:
    ident = params.get("namedRangeId")
    before = len(ss.named_ranges)
    ss.named_ranges = [n for n in ss.named_ranges if n["namedRangeId"] != ident]
    if len(ss.named_ranges) == before:
        raise RequestError(f"No NamedRange with id {ident} exists.")


def update_named_range(ss: Spreadsheet, params: JSON) -> None:
    update = params.get("namedRange") or {}
    for named in ss.named_ranges:
        if named["namedRangeId"] == update.get("namedRangeId"):
            fields = params.get("fields") or ""
            if not fields:
                raise RequestError("At least one field must be updated.")
            apply_mask(named, update, fields)
            if named.get("range", {}).get("sheetId") == 0:
                named["range"].pop("sheetId")
            return
    raise RequestError(f"No NamedRange with id {update.get('namedRangeId')} exists.")


def set_basic_filter(ss: Spreadsheet, params: JSON) -> None:
    filt = copy.deepcopy(params.get("filter") or {})
    sheet = sheet_by_id(ss, (filt.get("range") or {}).get("sheetId"))
    box = box_of(sheet, filt.get("range") or {})
    filt["range"] = without_zero_id(
        {
            "sheetId": sheet.sheet_id,
            "startRowIndex": box.start_row,
            "endRowIndex": box.end_row,
            "startColumnIndex": box.start_col,
            "endColumnIndex": box.end_col,
        }
    )
    sheet.extras["basicFilter"] = filt


def clear_basic_filter(ss: Spreadsheet, params: JSON) -> None:
    sheet_by_id(ss, params.get("sheetId")).extras.pop("basicFilter", None)


def add_protected_range(ss: Spreadsheet, params: JSON) -> JSON:
    protected = copy.deepcopy(params.get("protectedRange") or {})
    sheet = sheet_by_id(ss, (protected.get("range") or {}).get("sheetId"))
    protected["protectedRangeId"] = ss.new_object_id()
    if protected.get("range", {}).get("sheetId") == 0:
        protected["range"].pop("sheetId")
    if not protected.get("warningOnly"):
        protected.setdefault("editors", {})
    protected["requestingUserCanEdit"] = True
    if not protected.get("warningOnly"):
        protected.pop("warningOnly", None)
    sheet.extras.setdefault("protectedRanges", []).append(protected)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(protected)}}


def delete_protected_range(ss: Spreadsheet, params: JSON) -> None:
    ident = params.get("protectedRangeId")
    for sheet in ss.sheets:
        ranges = sheet.extras.get("protectedRanges", [])
        for pr in ranges:
            if pr["protectedRangeId"] == ident:
                ranges.remove(pr)
                return
    raise RequestError(f"No protected range with id: {ident}")


def add_chart(ss: Spreadsheet, params: JSON) -> JSON:
    chart = copy.deepcopy(params.get("chart") or {})
    chart["chartId"] = chart.get("chartId") or ss.new_object_id()
    position = chart.setdefault("position", {})
    anchor = (position.get("overlayPosition") or {}).get("anchorCell") or {}
    if "sheetId" in position:
        sheet = sheet_by_id(ss, position["sheetId"])
    elif position.get("newSheet"):
        reply = add_sheet(ss, {"properties": {"sheetType": "OBJECT"}})
        sheet = sheet_by_id(ss, reply["addSheet"]["properties"]["sheetId"])
        position.pop("newSheet")
        position["sheetId"] = sheet.sheet_id
    else:
        sheet = sheet_by_id(ss, anchor.get("sheetId"))
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


def _find_chart(ss: Spreadsheet, chart_id: Any) -> tuple[Sheet, JSON]:
    for sheet in ss.sheets:
        for chart in sheet.charts:
            if chart["chartId"] == chart_id:
                return sheet, chart
    raise RequestError(f"No chart with id: {chart_id}")


def update_chart_spec(ss: Spreadsheet, params: JSON) -> None:
    _sheet_unused, chart = _find_chart(ss, params.get("chartId"))
    chart["spec"] = copy.deepcopy(params.get("spec") or {})


def delete_embedded_object(ss: Spreadsheet, params: JSON) -> None:
    sheet, chart = _find_chart(ss, params.get("objectId"))
    sheet.charts.remove(chart)


def _rule(rule: JSON) -> JSON:
    """A conditional format rule as Google keeps it: ranges without a 0 sheetId, colours
    quantised with their style twins."""
    out: JSON = normalise_styles(copy.deepcopy(rule))
    out["ranges"] = [without_zero_id(dict(r)) for r in out.get("ranges") or []]
    if not out["ranges"]:
        raise RequestError("At least one range must be specified.")
    if not ("booleanRule" in out) ^ ("gradientRule" in out):
        raise RequestError("Exactly one of booleanRule or gradientRule must be set.")
    return out


def _rules(sheet: Sheet) -> list[JSON]:
    rules: list[JSON] = sheet.extras.setdefault("conditionalFormats", [])
    return rules


def add_conditional_format_rule(ss: Spreadsheet, params: JSON) -> None:
    rule = _rule(params.get("rule") or {})
    sheet = sheet_by_id(ss, rule["ranges"][0].get("sheetId"))
    rules = _rules(sheet)
    rules.insert(min(params.get("index", 0), len(rules)), rule)


def _rule_at(sheet: Sheet, index: int) -> list[JSON]:
    rules = _rules(sheet)
    if not 0 <= index < len(rules):
        raise RequestError(f"No conditional format on sheet {sheet.sheet_id} at index {index}")
    return rules


def update_conditional_format_rule(ss: Spreadsheet, params: JSON) -> JSON:
    """Replace the rule at ``index``, or move it to ``newIndex``; the reply says which."""
    index = int(params.get("index", 0))
    if "newIndex" in params:
        sheet = sheet_by_id(ss, params.get("sheetId"))
        rules = _rule_at(sheet, index)
        new_index = min(int(params["newIndex"]), len(rules) - 1)
        moved = rules.pop(index)
        rules.insert(new_index, moved)
        reply = {"newRule": copy.deepcopy(moved), "oldIndex": index, "newIndex": new_index}
        return {"updateConditionalFormatRule": reply}
    rule = _rule(params.get("rule") or {})
    sheet = sheet_by_id(ss, params.get("sheetId", rule["ranges"][0].get("sheetId")))
    rules = _rule_at(sheet, index)
    old = rules[index]
    rules[index] = rule
    reply = {"newRule": copy.deepcopy(rule), "oldRule": old, "newIndex": index}
    return {"updateConditionalFormatRule": reply}


def delete_conditional_format_rule(ss: Spreadsheet, params: JSON) -> JSON:
    sheet = sheet_by_id(ss, params.get("sheetId"))
    index = int(params.get("index", 0))
    rules = _rule_at(sheet, index)
    return {"deleteConditionalFormatRule": {"rule": rules.pop(index)}}


def accept(ss: Spreadsheet, params: JSON) -> None:
    """Formatting-only requests whose effect is purely visual: accepted, not modelled."""
    del ss, params
