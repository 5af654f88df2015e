"""Rendering stored spreadsheets as the API's Spreadsheet and Drive File resources.

``spreadsheets.get`` returns grid data when ``includeGridData`` is set or when the
``fields`` mask asks for ``sheets.data`` ("If a field mask is set, the includeGridData
parameter is ignored"); ``ranges`` limit it to the sheets and cells they intersect
("Limiting the range returns only the portions of the spreadsheet that intersect the
requested ranges", and the recorded traffic shows only the ranged sheet listed).

Cells carry ``userEnteredValue``, ``effectiveValue``, ``formattedValue``,
``userEnteredFormat``, ``effectiveFormat``, ``note`` and ``dataValidation``; rows and
columns their pixel size and developer metadata. The builder is told which cell fields
the mask wants and computes only those: a 10,000-row read is one request.
"""

from __future__ import annotations

import copy
from typing import Any

from ccrc_sync.emulator import a1, cells, metadata, numfmt, values
from ccrc_sync.emulator.formats import EffectiveFormats
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import MaskTree, apply_tree, selects, subtree
from ccrc_sync.emulator.store import SPREADSHEET_MIME, Sheet, Spreadsheet

DEFAULT_ROW_PX = 21
DEFAULT_COL_PX = 100

Ranges = list[tuple[Sheet, a1.Box]]


def wants_grid(tree: MaskTree | None) -> bool:
    """Whether a ``fields`` mask selects grid data (``sheets.data``, ``sheets`` or ``*``)."""
    return tree is not None and selects(tree, "sheets", "data")


def spreadsheet_resource(
    ss: Spreadsheet,
    include_grid: bool = False,
    ranges: Ranges | None = None,
    tree: MaskTree | None = None,
) -> JSON:
    """``GET /v4/spreadsheets/{id}``: properties, sheets (with grid data when asked).

    ``ranges`` (resolved) limit the sheets listed and the grid data. With ``tree`` (the
    ``fields`` mask) the answer comes back already trimmed to it, and grid data is built
    field by field as the mask asks, so nothing is computed only to be thrown away.
    """
    wanted: dict[int, list[a1.Box]] = {}
    for sheet, box in ranges or []:
        wanted.setdefault(sheet.sheet_id, []).append(box)
    data_tree = _below(tree, "sheets", "data")
    formats = EffectiveFormats(ss.properties.get("defaultFormat") or {})
    sheets = []
    for sheet in ss.sheets:
        if ranges and sheet.sheet_id not in wanted:
            continue
        entry = sheet_resource(sheet)
        if include_grid:
            boxes = wanted.get(sheet.sheet_id) or [a1.Box().clip(sheet.rows, sheet.cols)]
            entry["data"] = [grid_data(ss, sheet, box, data_tree, formats) for box in boxes]
        sheets.append(entry)
    body: JSON = {
        "spreadsheetId": ss.spreadsheet_id,
        "properties": copy.deepcopy(ss.properties),
        "sheets": sheets,
    }
    if ss.named_ranges:
        body["namedRanges"] = copy.deepcopy(ss.named_ranges)
    if ss.developer_metadata:
        place = metadata.Place("SPREADSHEET")
        body["developerMetadata"] = [metadata.resource(m, place) for m in ss.developer_metadata]
    body["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{ss.spreadsheet_id}/edit"
    if tree is None:
        return body
    # Trim everything but the grid data, which was built to the mask already.
    built = [entry.pop("data", None) for entry in sheets]
    trimmed: JSON = apply_tree(body, tree)
    for entry, data in zip(trimmed.get("sheets", []), built, strict=False):
        if data is not None:
            entry["data"] = data
    return trimmed


def _below(tree: MaskTree | None, *path: str) -> MaskTree | None:
    """The mask below ``path``; ``None`` (everything) when there is no mask or it takes
    all of ``path``; ``{}`` when it selects nothing there."""
    if tree is None:
        return None
    try:
        return subtree(tree, *path)
    except KeyError:
        return {}


def sheet_resource(sheet: Sheet) -> JSON:
    """One entry of ``sheets[]`` without grid data."""
    entry: JSON = {"properties": copy.deepcopy(sheet.properties)}
    if sheet.merges:
        entry["merges"] = copy.deepcopy(sheet.merges)
    for key in ("conditionalFormats", "protectedRanges", "basicFilter"):
        if sheet.extras.get(key):
            entry[key] = copy.deepcopy(sheet.extras[key])
    if sheet.charts:
        entry["charts"] = copy.deepcopy(sheet.charts)
    for key in ("rowGroups", "columnGroups"):
        if sheet.extras.get(key):
            entry[key] = copy.deepcopy(sheet.extras[key])
    if sheet.developer_metadata:
        place = metadata.Place("SHEET", sheet)
        entry["developerMetadata"] = [metadata.resource(m, place) for m in sheet.developer_metadata]
    return entry


class CellFields:
    """Which CellData fields a mask wants, decided once per response, not once per cell."""

    _EXTRAS = ("note", "dataValidation", "hyperlink", "textFormatRuns")

    def __init__(self, tree: MaskTree | None) -> None:
        self.all = tree is None or "*" in tree
        self.tree: MaskTree = {} if tree is None else tree
        self.trims = {} if self.all else {k: v for k, v in self.tree.items() if v is not None}
        self.user_value = self.wants("userEnteredValue")
        self.effective_value = self.wants("effectiveValue")
        self.formatted = self.wants("formattedValue")
        self.user_format = self.wants("userEnteredFormat")
        self.effective_format = self.wants("effectiveFormat")
        self.number_format_only = self.trims.get("effectiveFormat") == {"numberFormat": None}
        self.extras = tuple(k for k in self._EXTRAS if self.wants(k))

    def wants(self, key: str) -> bool:
        return self.all or key in self.tree

    def trim(self, key: str, value: Any) -> Any:
        sub = self.trims.get(key)
        return value if sub is None else apply_tree(value, sub)

    @property
    def any(self) -> bool:
        return self.all or bool(self.tree)


def cell_resource(
    ss: Spreadsheet,
    sheet: Sheet,
    cell: JSON,
    fields: CellFields | None = None,
    formats: EffectiveFormats | None = None,
) -> JSON:
    """CellData as Google returns it, limited to what ``fields`` asks for."""
    want = fields or CellFields(None)
    out: JSON = {}
    entered = cell.get("userEnteredValue")
    fmt = cell.get("userEnteredFormat")
    if entered:
        if want.user_value:
            out["userEnteredValue"] = want.trim("userEnteredValue", _numbers_plain(entered))
        if want.effective_value or want.formatted:
            ev = cells.effective(ss, sheet, cell) if "formulaValue" in entered else entered
            if ev:
                if want.effective_value:
                    out["effectiveValue"] = want.trim("effectiveValue", _numbers_plain(ev))
                if want.formatted:
                    number_format = fmt.get("numberFormat") if fmt else None
                    out["formattedValue"] = numfmt.render(
                        ev, entered, number_format, locale=ss.locale
                    )
    if fmt and want.user_format:
        out["userEnteredFormat"] = want.trim("userEnteredFormat", fmt)
    if (fmt or entered) and want.effective_format:
        if want.number_format_only:  # the common one-request read: skip the merge
            number_format = fmt.get("numberFormat") if fmt else None
            out["effectiveFormat"] = {"numberFormat": number_format} if number_format else {}
        else:
            default = ss.properties.get("defaultFormat") or {}
            merged = (formats or EffectiveFormats(default)).of(fmt)
            out["effectiveFormat"] = want.trim("effectiveFormat", merged)
    for key in want.extras:
        if key in cell:
            out[key] = want.trim(key, cell[key])
    return out


def _numbers_plain(value: JSON) -> JSON:
    if "numberValue" in value:
        return {**value, "numberValue": values.json_number(value["numberValue"])}
    return value


def grid_data(
    ss: Spreadsheet,
    sheet: Sheet,
    box: a1.Box,
    tree: MaskTree | None = None,
    formats: EffectiveFormats | None = None,
) -> JSON:
    """A GridData block for ``box`` (rows trimmed after the last stored cell), holding
    only what ``tree`` (the mask below ``sheets.data``) asks for."""
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    part = CellFields(tree)
    formats = formats or EffectiveFormats(ss.properties.get("defaultFormat") or {})
    data: JSON = {}
    if box.start_row and part.wants("startRow"):
        data["startRow"] = box.start_row
    if box.start_col and part.wants("startColumn"):
        data["startColumn"] = box.start_col
    cell_tree = _below(tree, "rowData", "values")
    fields = CellFields(cell_tree)
    if part.wants("rowData"):
        rows = _row_data(ss, sheet, box, fields, formats)
        if rows:
            data["rowData"] = rows
    if part.wants("rowMetadata"):
        data["rowMetadata"] = [
            part.trim("rowMetadata", _dimension(sheet, "ROW", r, DEFAULT_ROW_PX))
            for r in range(box.start_row, box.end_row)
        ]
    if part.wants("columnMetadata"):
        data["columnMetadata"] = [
            part.trim("columnMetadata", _dimension(sheet, "COLUMN", c, DEFAULT_COL_PX))
            for c in range(box.start_col, box.end_col)
        ]
    return data


def _row_data(
    ss: Spreadsheet, sheet: Sheet, box: a1.Box, fields: CellFields, formats: EffectiveFormats
) -> list[JSON]:
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    by_row: dict[int, list[int]] = {}
    for r, c in sheet.cells:
        if box.start_row <= r < box.end_row and box.start_col <= c < box.end_col:
            by_row.setdefault(r, []).append(c)
    if not by_row:
        return []
    rows: list[JSON] = []
    for r in range(box.start_row, max(by_row) + 1):
        in_row = by_row.get(r)
        if not in_row:
            rows.append({})
            continue
        if not fields.any:
            rows.append({})
            continue
        row_values = []
        for c in range(box.start_col, max(in_row) + 1):
            cell = sheet.cells.get((r, c))
            row_values.append(cell_resource(ss, sheet, cell, fields, formats) if cell else {})
        rows.append({"values": row_values})
    return rows


def _dimension(sheet: Sheet, kind: str, index: int, default_px: int) -> JSON:
    """DimensionProperties: pixel size, visibility and the row's developer metadata."""
    stored = (sheet.row_meta if kind == "ROW" else sheet.col_meta).get(index)
    if not stored:
        return {"pixelSize": default_px}
    out: JSON = {"pixelSize": default_px}
    for key, value in stored.items():
        if key == "developerMetadata":
            place = metadata.Place(kind, sheet, index)
            out[key] = [metadata.resource(m, place) for m in value]
        else:
            out[key] = value
    return out


def drive_file(ss: Spreadsheet, fields: str | None = None) -> JSON:
    """The Drive v3 File for a spreadsheet, filtered to ``fields`` when given."""
    full = {
        "kind": "drive#file",
        "id": ss.spreadsheet_id,
        "name": ss.title,
        "mimeType": SPREADSHEET_MIME,
        "createdTime": ss.created_time,
        "modifiedTime": ss.modified_time,
    }
    if not fields or fields == "*":
        if fields == "*":
            return full
        return {k: full[k] for k in ("kind", "id", "name", "mimeType")}
    keys = [f.strip() for f in fields.split(",") if f.strip()]
    return {k: full[k] for k in keys if k in full}
