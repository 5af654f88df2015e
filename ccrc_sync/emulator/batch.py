"""``spreadsheets:batchUpdate``: the request kinds it knows and running them atomically.

"Each request is validated before being applied. If any request is not valid then the
entire request will fail and nothing will be applied" (batchUpdate reference): the
requests run on a working copy that replaces the spreadsheet only when all succeeded.
Errors carry Google's ``Invalid requests[i].kind: ...`` wording.
"""

from __future__ import annotations

from collections.abc import Callable

from ccrc_sync.emulator import metadata, req_cells, req_dimensions, req_objects, req_sheets
from ccrc_sync.emulator.errors import ApiError, bad_request, field_violation
from ccrc_sync.emulator.grid import RequestError
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import strip_nulls
from ccrc_sync.emulator.store import Spreadsheet

Handler = Callable[[Spreadsheet, JSON], JSON | None]

HANDLERS: dict[str, Handler] = {
    "addSheet": req_sheets.add_sheet,
    "deleteSheet": req_sheets.delete_sheet,
    "duplicateSheet": req_sheets.duplicate_sheet,
    "updateSheetProperties": req_sheets.update_sheet_properties,
    "updateSpreadsheetProperties": req_sheets.update_spreadsheet_properties,
    "repeatCell": req_cells.repeat_cell,
    "updateCells": req_cells.update_cells,
    "appendCells": req_cells.append_cells,
    "setDataValidation": req_cells.set_data_validation,
    "sortRange": req_cells.sort_range,
    "copyPaste": req_cells.copy_paste,
    "cutPaste": req_cells.cut_paste,
    "findReplace": req_cells.find_replace,
    "insertDimension": req_dimensions.insert_dimension,
    "deleteDimension": req_dimensions.delete_dimension,
    "appendDimension": req_dimensions.append_dimension,
    "moveDimension": req_dimensions.move_dimension,
    "updateDimensionProperties": req_dimensions.update_dimension_properties,
    "autoResizeDimensions": req_dimensions.auto_resize_dimensions,
    "addDimensionGroup": req_dimensions.add_dimension_group,
    "deleteDimensionGroup": req_dimensions.delete_dimension_group,
    "mergeCells": req_objects.merge_cells,
    "unmergeCells": req_objects.unmerge_cells,
    "addNamedRange": req_objects.add_named_range,
    "deleteNamedRange": req_objects.delete_named_range,
    "updateNamedRange": req_objects.update_named_range,
    "setBasicFilter": req_objects.set_basic_filter,
    "clearBasicFilter": req_objects.clear_basic_filter,
    "addProtectedRange": req_objects.add_protected_range,
    "deleteProtectedRange": req_objects.delete_protected_range,
    "addChart": req_objects.add_chart,
    "updateChartSpec": req_objects.update_chart_spec,
    "deleteEmbeddedObject": req_objects.delete_embedded_object,
    "addConditionalFormatRule": req_objects.add_conditional_format_rule,
    "updateConditionalFormatRule": req_objects.update_conditional_format_rule,
    "deleteConditionalFormatRule": req_objects.delete_conditional_format_rule,
    "createDeveloperMetadata": metadata.create_developer_metadata,
    "updateDeveloperMetadata": metadata.update_developer_metadata,
    "deleteDeveloperMetadata": metadata.delete_developer_metadata,
    "updateBorders": req_objects.accept,
    "addBanding": req_objects.accept,
}


def apply_batch(ss: Spreadsheet, body: JSON) -> tuple[Spreadsheet, JSON]:
    """Apply ``body["requests"]`` atomically; returns (new spreadsheet, response body)."""
    work = ss.working_copy()
    replies: list[JSON] = []
    for i, request in enumerate(body.get("requests") or []):
        if not isinstance(request, dict) or len(request) != 1:
            raise bad_request(f"Invalid requests[{i}]: exactly one request kind must be set.")
        kind, params = next(iter(request.items()))
        handler = HANDLERS.get(kind)
        if handler is None:
            raise bad_request(
                f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': "
                "Cannot find field."
            )
        where = f"Invalid requests[{i}].{kind}"
        try:
            reply = handler(work, strip_nulls(params or {}))
        except RequestError as err:
            message = f"{where}: {err}"
            if err.field:
                raise field_violation(message, f"requests[{i}].{kind}.{err.field}") from None
            raise bad_request(message) from None
        except ApiError as err:
            if err.code == 400 and not err.message.startswith("Invalid requests"):
                raise ApiError(400, f"{where}: {err.message}", details=err.details) from None
            raise
        replies.append(reply or {})
    work.reindex()
    work.touch()
    work.id_cache = None
    return work, {"spreadsheetId": work.spreadsheet_id, "replies": replies}
