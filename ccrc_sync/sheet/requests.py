"""Pure builders of Sheets API `batchUpdate` requests, as plain dicts.

Each function returns one Request exactly as Google's reference documents it (one kind
per Request), so the planner can gather a run's whole structure into one atomic batch and
tests can read what would be sent without sending it. Rows and columns are 1-based in the
arguments, as staff count them; the 0-based, end-exclusive indexes Google wants are made
here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ccrc_sync.layout import ChartSpec

Request = dict[str, Any]


def colour(hex_rgb: str) -> dict[str, float]:
    """`F4B084` as Google's Color (fractions of 1)."""
    return {
        name: int(hex_rgb[i : i + 2], 16) / 255
        for name, i in (("red", 0), ("green", 2), ("blue", 4))
    }


def fill(hex_rgb: str) -> dict[str, Any]:
    """A background colour in both of Google's spellings (the old one and the style)."""
    rgb = colour(hex_rgb)
    return {"backgroundColor": rgb, "backgroundColorStyle": {"rgbColor": rgb}}


def grid_range(
    sheet_id: int,
    first_row: int | None = None,
    last_row: int | None = None,
    first_col: int | None = None,
    last_col: int | None = None,
) -> dict[str, int]:
    """A GridRange over rows `first_row`..`last_row` and columns `first_col`..`last_col`
    (1-based, inclusive; None leaves that side unbounded)."""
    out = {"sheetId": sheet_id}
    if first_row is not None:
        out["startRowIndex"] = first_row - 1
    if last_row is not None:
        out["endRowIndex"] = last_row
    if first_col is not None:
        out["startColumnIndex"] = first_col - 1
    if last_col is not None:
        out["endColumnIndex"] = last_col
    return out


# --------------------------------------------------------------------------- tabs


def add_sheet(title: str, sheet_id: int, rows: int, cols: int, frozen: int = 0) -> Request:
    """An `addSheet` with a chosen id, so later requests in the batch can name it."""
    grid = {"rowCount": rows, "columnCount": cols}
    if frozen:
        grid["frozenRowCount"] = frozen
    return {
        "addSheet": {"properties": {"sheetId": sheet_id, "title": title, "gridProperties": grid}}
    }


def delete_sheet(sheet_id: int) -> Request:
    return {"deleteSheet": {"sheetId": sheet_id}}


def set_locale(locale: str) -> Request:
    return {"updateSpreadsheetProperties": {"properties": {"locale": locale}, "fields": "locale"}}


def append_dimension(sheet_id: int, rows: int = 0, cols: int = 0) -> list[Request]:
    """Grow a tab by `rows` rows and `cols` columns (Google refuses a values write past
    the grid); one request per dimension, none when both are 0."""
    return [
        {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}
        for dimension, length in (("ROWS", rows), ("COLUMNS", cols))
        if length > 0
    ]


def insert_rows(sheet_id: int, after_row: int, count: int) -> Request:
    """`count` fresh rows after row `after_row`, formatted like the row above them."""
    return {
        "insertDimension": {
            "range": {
                "sheetId": sheet_id,
                "dimension": "ROWS",
                "startIndex": after_row,
                "endIndex": after_row + count,
            },
            "inheritFromBefore": after_row > 0,
        }
    }


def freeze_rows(sheet_id: int, rows: int) -> Request:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": rows}},
            "fields": "gridProperties.frozenRowCount",
        }
    }


def column_widths(sheet_id: int, pixels: Sequence[int], first_col: int = 1) -> list[Request]:
    """Column widths in pixels from `first_col` on; a run of equal widths is one request."""
    out: list[Request] = []
    start = 0
    while start < len(pixels):
        end = start
        while end + 1 < len(pixels) and pixels[end + 1] == pixels[start]:
            end += 1
        out.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "startIndex": first_col - 1 + start,
                        "endIndex": first_col + end,
                    },
                    "properties": {"pixelSize": pixels[start]},
                    "fields": "pixelSize",
                }
            }
        )
        start = end + 1
    return out


def hide_columns(sheet_id: int, first_col: int, last_col: int, *, hidden: bool = True) -> Request:
    """Hide (or show again) columns `first_col`..`last_col`, as staff would from the
    column's menu (`hiddenByUser`); nothing else of the columns changes."""
    return {
        "updateDimensionProperties": {
            "range": {
                "sheetId": sheet_id,
                "dimension": "COLUMNS",
                "startIndex": first_col - 1,
                "endIndex": last_col,
            },
            "properties": {"hiddenByUser": hidden},
            "fields": "hiddenByUser",
        }
    }


def repeat_format(rng: Mapping[str, int], format_: Mapping[str, Any], fields: str) -> Request:
    """Set `fields` of `userEnteredFormat` over a range (other formats are left alone)."""
    return {
        "repeatCell": {
            "range": dict(rng),
            "cell": {"userEnteredFormat": dict(format_)},
            "fields": ",".join(f"userEnteredFormat.{f}" for f in fields.split(",")),
        }
    }


def list_validation(rng: Mapping[str, int], words: Iterable[str], *, strict: bool) -> Request:
    """A drop-down of `words`; strict means Google refuses any other value as typed."""
    return {
        "setDataValidation": {
            "range": dict(rng),
            "rule": {
                "condition": {
                    "type": "ONE_OF_LIST",
                    "values": [{"userEnteredValue": word} for word in words],
                },
                "strict": strict,
                "showCustomUi": True,
            },
        }
    }


def conditional_rule(
    ranges: Sequence[Mapping[str, int]],
    kind: str,
    values: Sequence[str],
    format_: Mapping[str, Any],
    index: int = 0,
) -> Request:
    """An `addConditionalFormatRule`: when `kind` (TEXT_EQ, CUSTOM_FORMULA...) holds for
    `values`, the cell takes `format_`."""
    return {
        "addConditionalFormatRule": {
            "rule": {
                "ranges": [dict(r) for r in ranges],
                "booleanRule": {
                    "condition": {
                        "type": kind,
                        "values": [{"userEnteredValue": v} for v in values],
                    },
                    "format": dict(format_),
                },
            },
            "index": index,
        }
    }


def delete_conditional_rules(sheet_id: int, count: int) -> list[Request]:
    """Remove a tab's first `count` rules, last first, so each index is still valid."""
    return [
        {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": index}}
        for index in range(count - 1, -1, -1)
    ]


# --------------------------------------------------------------------------- metadata


def row_location(sheet_id: int, row: int) -> dict[str, Any]:
    return {
        "dimensionRange": {
            "sheetId": sheet_id,
            "dimension": "ROWS",
            "startIndex": row - 1,
            "endIndex": row,
        }
    }


def sheet_location(sheet_id: int) -> dict[str, Any]:
    return {"sheetId": sheet_id}


SPREADSHEET_LOCATION: dict[str, Any] = {"spreadsheet": True}


def create_metadata(metadata_id: int, key: str, value: str, location: Mapping[str, Any]) -> Request:
    """Developer metadata with a chosen id (positive, unique in the spreadsheet), visible
    to any program with access to the document."""
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataId": metadata_id,
                "metadataKey": key,
                "metadataValue": value,
                "location": dict(location),
                "visibility": "DOCUMENT",
            }
        }
    }


def delete_metadata(metadata_id: int) -> Request:
    return {
        "deleteDeveloperMetadata": {
            "dataFilter": {"developerMetadataLookup": {"metadataId": metadata_id}}
        }
    }


def metadata_lookup(key: str, value: str) -> dict[str, Any]:
    """The DataFilter of a values write addressed to a tagged row."""
    return {
        "developerMetadataLookup": {
            "metadataKey": key,
            "metadataValue": value,
            "locationType": "ROW",
        }
    }


# --------------------------------------------------------------------------- cells


def set_cell(sheet_id: int, row: int, col: int, cell: Mapping[str, Any], fields: str) -> Request:
    """`updateCells` on one cell: `fields` of `cell` are set, any left out are cleared."""
    return {
        "updateCells": {
            "rows": [{"values": [dict(cell)]}],
            "fields": fields,
            "start": {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": col - 1},
        }
    }


# --------------------------------------------------------------------------- charts


def chart(
    sheet_id: int,
    spec: ChartSpec,
    *,
    anchor_row: int,
    anchor_col: int,
    width_px: int,
    height_px: int,
) -> Request:
    """An `addChart`: columns (stacked when the spec says so), one series per column of
    `series_cols`, over the categories in `category_col`, with both axes titled, its
    top-left corner at (`anchor_row`, `anchor_col`) and of the given size.

    The ranges start at the header row so each series takes its name from the header.
    Where the chart sits is the caller's choice (the Google side puts it beside its table,
    not where the workbook puts it for printing).
    """

    def source(col: int) -> dict[str, Any]:
        rng = grid_range(sheet_id, spec.header_row, spec.last_row, col, col)
        return {"sourceRange": {"sources": [rng]}}

    basic: dict[str, Any] = {
        "chartType": "COLUMN",
        "legendPosition": "BOTTOM_LEGEND",
        "headerCount": 1,
        "axis": [
            {"position": "BOTTOM_AXIS", "title": spec.x_title},
            {"position": "LEFT_AXIS", "title": spec.y_title},
        ],
        "domains": [{"domain": source(spec.category_col)}],
        "series": [{"series": source(col), "targetAxis": "LEFT_AXIS"} for col in spec.series_cols],
    }
    if spec.stacked:
        basic["stackedType"] = "STACKED"
    return {
        "addChart": {
            "chart": {
                "spec": {"title": spec.title, "basicChart": basic},
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": anchor_row - 1,
                            "columnIndex": anchor_col - 1,
                        },
                        "widthPixels": width_px,
                        "heightPixels": height_px,
                    }
                },
            }
        }
    }


def delete_chart(chart_id: int) -> Request:
    return {"deleteEmbeddedObject": {"objectId": chart_id}}
