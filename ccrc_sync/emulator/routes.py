"""Google's Sheets API v4 paths, routed to the modules that answer them.

One function per endpoint family; each returns ``(status, JSON body, mutated)`` so the
server knows when to persist. Query parameters arrive as ``parse_qs`` lists. A ``fields``
parameter trims any answer, and on ``spreadsheets.get``/``getByDataFilter`` it also
decides whether grid data is returned, as the reference says.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ccrc_sync.emulator import a1, cells, datafilter, drive, grid, metadata, resource
from ccrc_sync.emulator.batch import apply_batch
from ccrc_sync.emulator.errors import ApiError, bad_request
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import apply_tree, mask_tree
from ccrc_sync.emulator.req_sheets import strip_metadata
from ccrc_sync.emulator.store import (
    Sheet,
    Spreadsheet,
    Store,
    make_spreadsheet,
    new_sheet_properties,
)

Query = dict[str, list[str]]
Answer = tuple[int, Any, bool]

_SHEETS = re.compile(r"^/v4/spreadsheets(?:/(?P<id>[^/:]+))?(?P<rest>.*)$")
_DRIVE = re.compile(r"^/drive/v3/files(?:/(?P<id>[^/]+))?(?P<rest>/[^/]+)?/?$")
_METADATA = re.compile(r"^/developerMetadata/(?P<mid>[^/:]+)$")


class Trimmed(dict[str, Any]):
    """An answer already cut to the ``fields`` mask (a big grid read is not walked twice)."""


@dataclass
class Context:
    """What every route needs: the store and the locale new spreadsheets get."""

    store: Store
    default_locale: str = "en_US"


def flag(query: Query, name: str, default: bool = False) -> bool:
    found = query.get(name)
    if not found:
        return default
    return found[0].lower() in ("true", "1", "yes")


def one(query: Query, name: str, default: str | None = None) -> str | None:
    found = query.get(name)
    return found[0] if found else default


def route(ctx: Context, method: str, raw_path: str, query: Query, body: Any) -> Answer:
    """Answer one API call."""
    m = _SHEETS.match(raw_path)
    if m:
        status, payload, mutated = _sheets(ctx, method, m.group("id"), m.group("rest"), query, body)
        fields = one(query, "fields")
        if fields and isinstance(payload, dict) and not isinstance(payload, Trimmed):
            payload = apply_tree(payload, mask_tree(fields))
        return status, payload, mutated
    m = _DRIVE.match(raw_path)
    if m:
        return drive.route(
            ctx.store, ctx.default_locale, method, m.group("id"), m.group("rest"), query, body
        )
    raise ApiError(404, f"The requested URL {unquote(raw_path)} was not found on this server.")


def no_method(method: str) -> ApiError:
    return ApiError(404, f"Method {method} is not supported on this path by the emulator.")


def _sheets(
    ctx: Context, method: str, sid: str | None, rest: str, query: Query, body: Any
) -> Answer:
    body = body if isinstance(body, dict) else ({} if body is None else body)
    if sid is None:
        if method == "POST" and not rest:
            return 200, create_spreadsheet(ctx, body), True
        raise no_method(method)
    ss = ctx.store.get(unquote(sid))
    if rest == "" and method == "GET":
        ranges = [ss_range(ss, text) for text in query.get("ranges") or []]
        return 200, _get(ss, ranges, flag(query, "includeGridData"), one(query, "fields")), False
    if rest == ":getByDataFilter" and method == "POST":
        ranges = datafilter.ranges_for_get(ss, body.get("dataFilters") or [])
        if body.get("dataFilters") and not ranges:
            return 200, _get(ss, [], False, one(query, "fields"), none_matched=True), False
        with_grid = bool(body.get("includeGridData"))
        return 200, _get(ss, ranges, with_grid, one(query, "fields")), False
    if rest == ":batchUpdate" and method == "POST":
        return 200, _batch_update(ctx.store, ss, body), True
    if rest == "/developerMetadata:search" and method == "POST":
        return 200, metadata.search(ss, body), False
    m = _METADATA.match(rest)
    if m and method == "GET":
        return 200, metadata.get(ss, unquote(m.group("mid"))), False
    if rest.startswith("/sheets/") and rest.endswith(":copyTo") and method == "POST":
        return 200, _copy_to(ctx.store, ss, rest, body), True
    if rest.startswith("/values:"):
        return _values_batch(ss, method, rest[len("/values:") :], query, body)
    if rest.startswith("/values/"):
        return _values(ss, method, rest[len("/values/") :], query, body)
    raise no_method(method)


def ss_range(ss: Spreadsheet, text: str) -> tuple[Sheet, a1.Box]:
    sheet, raw = ss.resolve(text)
    return sheet, raw.clip(sheet.rows, sheet.cols)


def _get(
    ss: Spreadsheet,
    ranges: list[tuple[Sheet, a1.Box]],
    include_grid: bool,
    fields: str | None,
    *,
    none_matched: bool = False,
) -> JSON:
    """spreadsheets.get: a ``fields`` mask decides grid data, overriding includeGridData."""
    tree = mask_tree(fields) if fields else None
    with_grid = resource.wants_grid(tree) if tree is not None else include_grid
    body = resource.spreadsheet_resource(ss, with_grid, ranges, tree)
    if none_matched and "sheets" in body:
        body["sheets"] = []
    return Trimmed(body)


def _batch_update(store: Store, ss: Spreadsheet, body: JSON) -> JSON:
    new, response = apply_batch(ss, body)
    store.add(new)
    if body.get("includeSpreadsheetInResponse"):
        ranges = [ss_range(new, text) for text in body.get("responseRanges") or []]
        response["updatedSpreadsheet"] = resource.spreadsheet_resource(
            new, bool(body.get("responseIncludeGridData")), ranges
        )
    return response


# --- values --------------------------------------------------------------------------------


def _render_options(query: Query) -> tuple[str, str, str]:
    vro = one(query, "valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE"
    dtro = one(query, "dateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER"
    major = one(query, "majorDimension", "ROWS") or "ROWS"
    return vro, dtro, major


def _values_batch(ss: Spreadsheet, method: str, verb: str, query: Query, body: JSON) -> Answer:
    vro, dtro, major = _render_options(query)
    if verb == "batchGet" and method == "GET":
        ranges = [cells.read_range(ss, r, major, vro, dtro) for r in query.get("ranges", [])]
        return 200, {"spreadsheetId": ss.spreadsheet_id, "valueRanges": ranges}, False
    if verb == "batchUpdate" and method == "POST":
        return 200, values_batch_update(ss, body), True
    if verb == "batchClear" and method == "POST":
        # All or nothing, like Google: every range is resolved before any is cleared.
        texts = [str(r) for r in body.get("ranges") or []]
        for text in texts:
            sheet, box = ss_range(ss, text)
            if grid.beyond_grid(sheet, box):
                raise bad_request(grid.limits_message(sheet, box))
        cleared = [cells.clear_range(ss, text)["clearedRange"] for text in texts]
        return 200, {"spreadsheetId": ss.spreadsheet_id, "clearedRanges": cleared}, True
    if verb == "batchGetByDataFilter" and method == "POST":
        return 200, datafilter.batch_get(ss, body), False
    if verb == "batchUpdateByDataFilter" and method == "POST":
        return 200, datafilter.batch_update(ss, body), True
    if verb == "batchClearByDataFilter" and method == "POST":
        return 200, datafilter.batch_clear(ss, body), True
    raise no_method(method)


def _values(ss: Spreadsheet, method: str, tail: str, query: Query, body: JSON) -> Answer:
    vro, dtro, major = _render_options(query)
    if tail.endswith(":clear") and method == "POST":
        return 200, cells.clear_range(ss, unquote(tail[: -len(":clear")])), True
    if tail.endswith(":append") and method == "POST":
        result = cells.append_range(
            ss,
            unquote(tail[: -len(":append")]),
            body.get("values"),
            input_option(query),
            body.get("majorDimension") or "ROWS",
            one(query, "insertDataOption", "OVERWRITE") or "OVERWRITE",
            flag(query, "includeValuesInResponse"),
        )
        return 200, result, True
    range_text = unquote(tail)
    if method == "GET":
        return 200, cells.read_range(ss, range_text, major, vro, dtro), False
    if method == "PUT":
        option = input_option(query)
        if body.get("range") and _norm(body["range"]) != _norm(range_text):
            raise bad_request(
                f"Requested writing within range [{range_text}], but tried writing within "
                f"range [{body['range']}]."
            )
        result = cells.write_range(
            ss,
            range_text,
            body.get("values"),
            option,
            body.get("majorDimension") or "ROWS",
            flag(query, "includeValuesInResponse"),
            one(query, "responseValueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE",
            one(query, "responseDateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER",
        )
        return 200, result, True
    raise no_method(method)


def _norm(text: str) -> str:
    return text.replace("'", "").lower()


def input_option(query: Query) -> str:
    option = one(query, "valueInputOption")
    if not option:
        raise bad_request("'valueInputOption' is required but not specified")
    if option not in ("RAW", "USER_ENTERED"):
        raise bad_request(
            f"Invalid value at 'value_input_option' (type.googleapis.com/"
            f'google.apps.sheets.v4.ValueInputOption), "{option}"'
        )
    return option


def values_batch_update(ss: Spreadsheet, body: JSON) -> JSON:
    """values.batchUpdate: every write planned and checked before any is applied."""
    option = body.get("valueInputOption")
    if not option:
        raise bad_request("'valueInputOption' is required but not specified")
    plans = []
    for k, item in enumerate(body.get("data") or []):
        sheet, raw = ss.resolve(item.get("range", ""))
        major = item.get("majorDimension") or "ROWS"
        where = f"data[{k}].values"
        rows = cells.orient(item.get("values"), major, where)
        columns_major = major.upper() == "COLUMNS"
        plans.append(
            cells.plan_write(ss, sheet, raw, rows, option, where=where, columns_major=columns_major)
        )
    vro = body.get("responseValueRenderOption") or "FORMATTED_VALUE"
    dtro = body.get("responseDateTimeRenderOption") or "SERIAL_NUMBER"
    done = []
    for plan in plans:
        response = {"spreadsheetId": ss.spreadsheet_id, **plan.apply(ss)}
        done.append((plan, response))
    if body.get("includeValuesInResponse"):
        for plan, response in done:
            response["updatedData"] = cells.read_box(ss, plan.sheet, plan.box, "ROWS", vro, dtro)
    return datafilter.summarise(ss, done)


# --- creating and copying ------------------------------------------------------------------


def create_spreadsheet(ctx: Context, body: JSON) -> JSON:
    """``POST /v4/spreadsheets``: properties (locale, time zone...) and sheets as given."""
    props = body.get("properties") or {}
    ss = make_spreadsheet(
        props.get("title") or "Untitled spreadsheet",
        body.get("spreadsheetId") or None,
        (),
        props.get("locale") or ctx.default_locale,
    )
    for key, value in props.items():
        if key not in ("title", "locale"):
            ss.properties[key] = value
    for i, sheet_body in enumerate(body.get("sheets") or [{}]):
        sp = sheet_body.get("properties") or {}
        grid = sp.get("gridProperties") or {}
        sheet_id = sp.get("sheetId", 0 if i == 0 else ss.new_sheet_id())
        base = new_sheet_properties(
            sheet_id,
            sp.get("title") or f"Sheet{i + 1}",
            i,
            grid.get("rowCount", 1000),
            grid.get("columnCount", 26),
        )
        base["gridProperties"].update(grid)
        ss.sheets.append(Sheet(base))
    ctx.store.add(ss)
    return resource.spreadsheet_resource(ss)


def _copy_to(store: Store, ss: Spreadsheet, rest: str, body: JSON) -> JSON:
    sheet_id = int(rest[len("/sheets/") : -len(":copyTo")])
    source = ss.sheet_by_id(sheet_id)
    target = store.get(body.get("destinationSpreadsheetId", ""))
    new = copy.deepcopy(source)
    new.properties["sheetId"] = target.new_sheet_id()
    strip_metadata(new)
    title = f"Copy of {source.title}"
    n = 2
    while target.sheet_by_title(title):
        title, n = f"Copy {n} of {source.title}", n + 1
    new.properties["title"] = title
    target.sheets.append(new)
    target.reindex()
    return copy.deepcopy(new.properties)
