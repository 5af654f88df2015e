"""Spreadsheets, sheets and cells in memory, with JSON persistence.

Cells are sparse: a dict keyed by (row, col), 0-based, each value a dict shaped like
Google's ``CellData`` minus ``effectiveValue``/``formattedValue`` (computed on read so
formulas always see current data). Keys starting with ``_`` are the emulator's own notes
(``_autoFormat``: the number format came from parsing a typed value, not from a person
setting it) and never leave the emulator.

Developer metadata is stored where it is attached, so it moves with its object for free:
the spreadsheet's and each sheet's ``developer_metadata`` lists, and a row's or column's
entries inside that dimension's properties (``row_meta[r]["developerMetadata"]``), which
insert, delete, move and sort already carry along. Its location is computed on read.

Everything here is plain data so a snapshot is one ``json.dump``. A batchUpdate works on a
``working_copy`` and swaps it in when every request succeeded. That copy shares the cell
dicts with the original, so a cell dict is never changed in place: code that changes a
cell builds a new dict and stores it (``grid.store_cell``).
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ccrc_sync.emulator import a1
from ccrc_sync.emulator.errors import bad_request, not_found
from ccrc_sync.emulator.jsontypes import JSON

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"

DEFAULT_FORMAT: JSON = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def now_iso() -> str:
    """Drive's timestamp shape: ``2023-07-25T15:45:51.494Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_spreadsheet_id() -> str:
    """A 44-character id in the alphabet Google uses."""
    return "1" + secrets.token_urlsafe(33)[:43]


@dataclass
class Sheet:
    """One tab: its properties plus sparse cells and the objects attached to it."""

    properties: JSON
    cells: dict[tuple[int, int], JSON] = field(default_factory=dict)
    merges: list[JSON] = field(default_factory=list)
    charts: list[JSON] = field(default_factory=list)
    extras: JSON = field(default_factory=dict)  # basicFilter, protectedRanges...
    row_meta: dict[int, JSON] = field(default_factory=dict)
    col_meta: dict[int, JSON] = field(default_factory=dict)
    developer_metadata: list[JSON] = field(default_factory=list)

    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def rows(self) -> int:
        return int(self.properties["gridProperties"]["rowCount"])

    @property
    def cols(self) -> int:
        return int(self.properties["gridProperties"]["columnCount"])

    def grow(self, rows: int, cols: int) -> None:
        """Expand the grid so it has at least ``rows`` x ``cols``."""
        grid = self.properties["gridProperties"]
        grid["rowCount"] = max(grid["rowCount"], rows)
        grid["columnCount"] = max(grid["columnCount"], cols)

    def to_json(self) -> JSON:
        return {
            "properties": self.properties,
            "cells": [[r, c, cell] for (r, c), cell in sorted(self.cells.items())],
            "merges": self.merges,
            "charts": self.charts,
            "extras": self.extras,
            "row_meta": {str(k): v for k, v in self.row_meta.items()},
            "col_meta": {str(k): v for k, v in self.col_meta.items()},
            "developerMetadata": self.developer_metadata,
        }

    @classmethod
    def from_json(cls, data: JSON) -> Sheet:
        return cls(
            properties=data["properties"],
            cells={(r, c): cell for r, c, cell in data.get("cells", [])},
            merges=data.get("merges", []),
            charts=data.get("charts", []),
            extras=data.get("extras", {}),
            row_meta={int(k): v for k, v in data.get("row_meta", {}).items()},
            col_meta={int(k): v for k, v in data.get("col_meta", {}).items()},
            developer_metadata=data.get("developerMetadata", []),
        )


@dataclass
class Spreadsheet:
    """A spreadsheet (and the Drive file that holds it)."""

    spreadsheet_id: str
    properties: JSON
    sheets: list[Sheet] = field(default_factory=list)
    named_ranges: list[JSON] = field(default_factory=list)
    created_time: str = field(default_factory=now_iso)
    modified_time: str = field(default_factory=now_iso)
    next_object_id: int = 1
    developer_metadata: list[JSON] = field(default_factory=list)
    # Metadata ids in use, filled on first need during one batch (never persisted).
    id_cache: set[int] | None = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def locale(self) -> str:
        return str(self.properties.get("locale") or "en_US")

    def sheet_by_title(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        lowered = [s for s in self.sheets if s.title.lower() == title.lower()]
        return lowered[0] if len(lowered) == 1 else None

    def sheet_by_id(self, sheet_id: int | None) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == (sheet_id or 0):
                return sheet
        raise bad_request(f"No grid with id: {sheet_id}")

    def new_sheet_id(self) -> int:
        """A fresh random gid, as Google hands out."""
        used = {s.sheet_id for s in self.sheets}
        while True:
            candidate = secrets.randbelow(2_000_000_000) + 1
            if candidate not in used:
                return candidate

    def new_object_id(self) -> int:
        """Ids for charts, protected ranges, filters... unique within the spreadsheet."""
        self.next_object_id += 1
        return secrets.randbelow(1_000_000_000) + self.next_object_id

    def metadata_ids(self) -> set[int]:
        """Every developer metadata id in use, wherever it is attached."""
        ids = {int(m["metadataId"]) for m in self.developer_metadata}
        for sheet in self.sheets:
            ids.update(int(m["metadataId"]) for m in sheet.developer_metadata)
            for meta in (sheet.row_meta, sheet.col_meta):
                for props in meta.values():
                    ids.update(int(m["metadataId"]) for m in props.get("developerMetadata", []))
        return ids

    def metadata_id_taken(self, metadata_id: int) -> bool:
        if self.id_cache is None:
            self.id_cache = self.metadata_ids()
        return metadata_id in self.id_cache

    def claim_metadata_id(self, metadata_id: int | None = None) -> int:
        """Reserve ``metadata_id``, or a random positive int32 not yet used, as Google
        assigns; the caller has checked an explicit id is free."""
        while metadata_id is None or metadata_id <= 0:
            candidate = secrets.randbelow(2_000_000_000) + 1
            if not self.metadata_id_taken(candidate):
                metadata_id = candidate
        self.metadata_id_taken(metadata_id)
        assert self.id_cache is not None
        self.id_cache.add(metadata_id)
        return metadata_id

    def working_copy(self) -> Spreadsheet:
        """A copy to apply a batch to: everything copied but the cell dicts, which are
        shared (and so never changed in place, see the module docstring)."""
        copied = copy.copy(self)
        copied.properties = copy.deepcopy(self.properties)
        copied.named_ranges = copy.deepcopy(self.named_ranges)
        copied.developer_metadata = copy.deepcopy(self.developer_metadata)
        copied.id_cache = None
        copied.sheets = [
            Sheet(
                properties=copy.deepcopy(s.properties),
                cells=dict(s.cells),
                merges=copy.deepcopy(s.merges),
                charts=copy.deepcopy(s.charts),
                extras=copy.deepcopy(s.extras),
                row_meta=copy.deepcopy(s.row_meta),
                col_meta=copy.deepcopy(s.col_meta),
                developer_metadata=copy.deepcopy(s.developer_metadata),
            )
            for s in self.sheets
        ]
        return copied

    def reindex(self) -> None:
        """Keep ``index`` properties consistent with list order."""
        for i, sheet in enumerate(self.sheets):
            sheet.properties["index"] = i

    def touch(self) -> None:
        self.modified_time = now_iso()

    def resolve(self, text: str) -> tuple[Sheet, a1.Box]:
        """A range string to (sheet, box with open bounds as None); 400 when unparseable."""
        try:
            title, cells = a1.split_sheet(text)
        except a1.A1Error:
            raise bad_request(f"Unable to parse range: {text}") from None
        if title is None:
            assert cells is not None
            named = self._named_range(cells)
            if named is not None:
                return named
            sheet = self.sheet_by_title(cells)
            if sheet is not None:
                return sheet, a1.Box()
            sheet, cells_text = self.sheets[0], cells
            cells_text_opt: str | None = cells_text
        else:
            found = self.sheet_by_title(title)
            if found is None:
                raise bad_request(f"Unable to parse range: {text}")
            sheet, cells_text_opt = found, cells
        if cells_text_opt is None:
            return sheet, a1.Box()
        try:
            box = a1.parse_cells(cells_text_opt)
        except a1.A1Error:
            named = self._named_range(cells_text_opt)
            if named is None or named[0] is not sheet:
                raise bad_request(f"Unable to parse range: {text}") from None
            return named
        return sheet, box

    def _named_range(self, name: str) -> tuple[Sheet, a1.Box] | None:
        for named in self.named_ranges:
            if named["name"] == name:
                rng = named["range"]
                sheet = self.sheet_by_id(rng.get("sheetId", 0))
                return sheet, a1.grid_range_to_box(rng)
        return None

    def to_json(self) -> JSON:
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": self.properties,
            "sheets": [s.to_json() for s in self.sheets],
            "namedRanges": self.named_ranges,
            "createdTime": self.created_time,
            "modifiedTime": self.modified_time,
            "nextObjectId": self.next_object_id,
            "developerMetadata": self.developer_metadata,
        }

    @classmethod
    def from_json(cls, data: JSON) -> Spreadsheet:
        return cls(
            spreadsheet_id=data["spreadsheetId"],
            properties=data["properties"],
            sheets=[Sheet.from_json(s) for s in data["sheets"]],
            named_ranges=data.get("namedRanges", []),
            created_time=data.get("createdTime", now_iso()),
            modified_time=data.get("modifiedTime", now_iso()),
            next_object_id=data.get("nextObjectId", 1),
            developer_metadata=data.get("developerMetadata", []),
        )


def new_sheet_properties(
    sheet_id: int, title: str, index: int, rows: int = DEFAULT_ROWS, cols: int = DEFAULT_COLS
) -> JSON:
    """Properties of a fresh grid sheet, as Google reports them."""
    return {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": rows, "columnCount": cols},
    }


def make_spreadsheet(
    title: str = "Untitled",
    spreadsheet_id: str | None = None,
    sheets: tuple[str, ...] | list[str] = ("Sheet1",),
    locale: str = "en_US",
) -> Spreadsheet:
    """A new spreadsheet with default properties; the first tab gets sheetId 0."""
    ss = Spreadsheet(
        spreadsheet_id=spreadsheet_id or new_spreadsheet_id(),
        properties={
            "title": title,
            "locale": locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": "Etc/GMT",
            "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
        },
    )
    for i, name in enumerate(sheets or ("Sheet1",)):
        sheet_id = 0 if i == 0 else ss.new_sheet_id()
        ss.sheets.append(Sheet(new_sheet_properties(sheet_id, name, i)))
    return ss


class Store:
    """All spreadsheets, optionally backed by a JSON file written atomically."""

    def __init__(self, data_path: Path | None = None) -> None:
        self.data_path = Path(data_path) if data_path else None
        self.spreadsheets: dict[str, Spreadsheet] = {}
        if self.data_path and self.data_path.exists():
            self.load()

    def get(self, spreadsheet_id: str) -> Spreadsheet:
        """The spreadsheet, or Google's 404."""
        try:
            return self.spreadsheets[spreadsheet_id]
        except KeyError:
            raise not_found() from None

    def add(self, ss: Spreadsheet) -> Spreadsheet:
        self.spreadsheets[ss.spreadsheet_id] = ss
        return ss

    def delete(self, spreadsheet_id: str) -> None:
        if spreadsheet_id not in self.spreadsheets:
            raise not_found(f"File not found: {spreadsheet_id}.")
        del self.spreadsheets[spreadsheet_id]

    def load(self) -> None:
        assert self.data_path is not None
        with self.data_path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        self.spreadsheets = {
            s["spreadsheetId"]: Spreadsheet.from_json(s) for s in data.get("spreadsheets", [])
        }

    def save(self) -> None:
        """Write the whole store to a temp file beside the target, then rename over it."""
        if not self.data_path:
            return
        data = {"version": 1, "spreadsheets": [s.to_json() for s in self.spreadsheets.values()]}
        self.data_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".emulator-", dir=self.data_path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.data_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
