"""Developer metadata: where it lives, how lookups find it, and its batchUpdate requests.

An entry is stored on the object it is attached to (see ``store``), so its location is
worked out on read: the spreadsheet, a sheet, or one row or column (a DimensionRange one
long). ``DeveloperMetadataLookup`` selects "all DeveloperMetadata that match the
intersection of all the specified fields"; ``metadataLocation`` matches exactly or, by
default, every location intersecting it (a row intersects its sheet and every column
of that sheet; spreadsheet metadata intersects nothing else).

Errors use the reference's own sentences where it has one ("Developer metadata must
always have a key specified"); see docs/EMULATOR.md for what is the emulator's wording.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ccrc_sync.emulator import a1
from ccrc_sync.emulator.errors import bad_request, not_found
from ccrc_sync.emulator.grid import (
    RequestError,
    filter_kind,
    resolve_range,
    sheet_by_id,
    without_zero_id,
)
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import parse_mask
from ccrc_sync.emulator.store import Sheet, Spreadsheet

VISIBILITIES = ("DOCUMENT", "PROJECT")
LOCATION_TYPES = ("ROW", "COLUMN", "SHEET", "SPREADSHEET")
STRATEGIES = ("EXACT_LOCATION", "INTERSECTING_LOCATION")


@dataclass(frozen=True)
class Place:
    """Where an entry is attached: ``kind`` is one of LOCATION_TYPES."""

    kind: str
    sheet: Sheet | None = None
    index: int = 0

    def location(self) -> JSON:
        """The DeveloperMetadataLocation Google reports for this place."""
        if self.kind == "SPREADSHEET":
            return {"locationType": "SPREADSHEET", "spreadsheet": True}
        assert self.sheet is not None
        if self.kind == "SHEET":
            return {"locationType": "SHEET", "sheetId": self.sheet.sheet_id}
        dimension = without_zero_id(
            {
                "sheetId": self.sheet.sheet_id,
                "dimension": "ROWS" if self.kind == "ROW" else "COLUMNS",
                "startIndex": self.index,
                "endIndex": self.index + 1,
            }
        )
        return {"locationType": self.kind, "dimensionRange": dimension}

    def boxes(self, ss: Spreadsheet) -> list[tuple[Sheet, a1.Box]]:
        """The cells this place stands for: a whole row, column or sheet (every sheet for
        the spreadsheet itself)."""
        if self.kind == "SPREADSHEET":
            return [(s, a1.Box().clip(s.rows, s.cols)) for s in ss.sheets]
        assert self.sheet is not None
        sheet = self.sheet
        if self.kind == "ROW":
            return [(sheet, a1.Box(self.index, self.index + 1, 0, sheet.cols))]
        if self.kind == "COLUMN":
            return [(sheet, a1.Box(0, sheet.rows, self.index, self.index + 1))]
        return [(sheet, a1.Box().clip(sheet.rows, sheet.cols))]


Found = tuple[JSON, Place]


def entries(ss: Spreadsheet) -> Iterator[Found]:
    """Every entry in the spreadsheet with its place, in a stable order."""
    for entry in ss.developer_metadata:
        yield entry, Place("SPREADSHEET")
    for sheet in ss.sheets:
        for entry in sheet.developer_metadata:
            yield entry, Place("SHEET", sheet)
        for kind, meta in (("ROW", sheet.row_meta), ("COLUMN", sheet.col_meta)):
            for index in sorted(meta):
                for entry in meta[index].get("developerMetadata", []):
                    yield entry, Place(kind, sheet, index)


def resource(entry: JSON, place: Place) -> JSON:
    """The DeveloperMetadata resource: the stored fields plus the computed location."""
    out = {k: copy.deepcopy(v) for k, v in entry.items()}
    out["location"] = place.location()
    order = ("metadataId", "metadataKey", "metadataValue", "location", "visibility")
    return {k: out[k] for k in order if k in out}


def find(ss: Spreadsheet, metadata_id: int) -> Found | None:
    for entry, place in entries(ss):
        if entry["metadataId"] == metadata_id:
            return entry, place
    return None


# --- places ---------------------------------------------------------------------------------


def place_of(ss: Spreadsheet, location: JSON) -> Place:
    """A DeveloperMetadataLocation from a request, checked, as a Place."""
    set_kinds = [k for k in ("spreadsheet", "sheetId", "dimensionRange") if k in location]
    if len(set_kinds) != 1:
        raise RequestError("Developer metadata must always have a location specified.")
    if "spreadsheet" in location:
        if location["spreadsheet"] is not True:
            raise RequestError("Developer metadata must always have a location specified.")
        return Place("SPREADSHEET")
    if "sheetId" in location:
        return Place("SHEET", sheet_by_id(ss, location["sheetId"]))
    rng = location["dimensionRange"] or {}
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    rows = rng.get("dimension", "ROWS") == "ROWS"
    if rng.get("dimension") not in ("ROWS", "COLUMNS"):
        raise RequestError("The dimensionRange must specify a dimension of ROWS or COLUMNS.")
    start, end = rng.get("startIndex"), rng.get("endIndex")
    if start is None or end is None or end - start != 1:
        raise RequestError(
            "The specified DimensionRange must represent a single row or column. It cannot "
            "be unbounded or span multiple rows or columns."
        )
    limit = sheet.rows if rows else sheet.cols
    if not 0 <= start < limit:
        kind = "row" if rows else "column"
        raise RequestError(f"The {kind} {start} is outside the sheet {sheet.sheet_id}.")
    return Place("ROW" if rows else "COLUMN", sheet, int(start))


def _span(location: JSON, ss: Spreadsheet) -> tuple[str, Sheet | None, int, int]:
    """A lookup's location as (kind, sheet, start, end); multi-row ranges allowed."""
    if location.get("spreadsheet"):
        return "SPREADSHEET", None, 0, 0
    if "sheetId" in location:
        return "SHEET", sheet_by_id(ss, location["sheetId"]), 0, 0
    rng = location.get("dimensionRange") or {}
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    rows = rng.get("dimension", "ROWS") == "ROWS"
    limit = sheet.rows if rows else sheet.cols
    start = int(rng.get("startIndex", 0))
    end = int(rng.get("endIndex", limit))
    return ("ROW" if rows else "COLUMN"), sheet, start, end


def _at(place: Place, kind: str, sheet: Sheet | None, start: int, end: int) -> bool:
    return (
        place.kind == kind
        and place.sheet is sheet
        and (kind in ("SPREADSHEET", "SHEET") or (end - start == 1 and place.index == start))
    )


def _meets(place: Place, kind: str, sheet: Sheet | None, start: int, end: int) -> bool:
    if kind == "SPREADSHEET" or place.kind == "SPREADSHEET":
        return place.kind == kind
    if place.sheet is not sheet:
        return False
    if kind == "SHEET" or place.kind == "SHEET" or place.kind != kind:
        return True  # the whole sheet, or a row crossing a column
    return start <= place.index < end


def meets_box(place: Place, sheet: Sheet, box: a1.Box) -> bool:
    """Whether a place intersects a range of cells on ``sheet``."""
    if place.kind == "SPREADSHEET" or place.sheet is not sheet:
        return False
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    if place.kind == "ROW":
        return box.start_row <= place.index < box.end_row
    if place.kind == "COLUMN":
        return box.start_col <= place.index < box.end_col
    return True


# --- lookups --------------------------------------------------------------------------------


def check_lookup(lookup: JSON) -> None:
    """Refuse the combinations the DeveloperMetadataLookup reference rules out."""
    strategy = lookup.get("locationMatchingStrategy")
    location = lookup.get("metadataLocation")
    kind = lookup.get("locationType")
    if strategy is not None and strategy not in STRATEGIES:
        raise bad_request(f"Invalid value at 'locationMatchingStrategy', \"{strategy}\"")
    if kind is not None and kind not in LOCATION_TYPES:
        raise bad_request(f"Invalid value at 'locationType', \"{kind}\"")
    if strategy and not location:
        raise bad_request(
            "A metadataLocation must be specified when a locationMatchingStrategy is specified."
        )
    if kind and strategy == "EXACT_LOCATION":
        raise bad_request(
            "locationType must be left unspecified when locationMatchingStrategy is EXACT_LOCATION."
        )
    if (
        kind == "SPREADSHEET"
        and location
        and (strategy or "INTERSECTING_LOCATION") != "EXACT_LOCATION"
    ):
        raise bad_request(
            "locationType cannot be SPREADSHEET when matching intersecting locations."
        )


def matches(ss: Spreadsheet, lookup: JSON, entry: JSON, place: Place) -> bool:
    """Whether an entry meets every field the lookup specifies."""
    for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
        if key in lookup and entry.get(key) != lookup[key]:
            return False
    if "locationType" in lookup and place.kind != lookup["locationType"]:
        return False
    location = lookup.get("metadataLocation")
    if location:
        kind, sheet, start, end = _span(location, ss)
        if lookup.get("locationMatchingStrategy") == "EXACT_LOCATION":
            return _at(place, kind, sheet, start, end)
        return _meets(place, kind, sheet, start, end)
    return True


class Index:
    """Every entry of a spreadsheet, found once and looked up by id or key: a write of a
    thousand rows by their metadata must not walk ten thousand entries a thousand times.
    Valid until the spreadsheet's metadata changes."""

    def __init__(self, ss: Spreadsheet) -> None:
        self.ss = ss
        self.all = list(entries(ss))
        self.by_id: dict[int, list[Found]] = {}
        self.by_key: dict[str, list[Found]] = {}
        self.by_pair: dict[tuple[str, str | None], list[Found]] = {}
        for found in self.all:
            entry = found[0]
            self.by_id.setdefault(int(entry["metadataId"]), []).append(found)
            self.by_key.setdefault(str(entry["metadataKey"]), []).append(found)
            pair = (str(entry["metadataKey"]), entry.get("metadataValue"))
            self.by_pair.setdefault(pair, []).append(found)

    def lookup(self, lookup: JSON) -> list[Found]:
        """The entries a DeveloperMetadataLookup selects, in spreadsheet order."""
        check_lookup(lookup)
        if "metadataId" in lookup:
            candidates = self.by_id.get(lookup["metadataId"], [])
        elif "metadataKey" in lookup and "metadataValue" in lookup:
            pair = (str(lookup["metadataKey"]), str(lookup["metadataValue"]))
            candidates = self.by_pair.get(pair, [])
        elif "metadataKey" in lookup:
            candidates = self.by_key.get(lookup["metadataKey"], [])
        else:
            candidates = self.all
        return [(e, p) for e, p in candidates if matches(self.ss, lookup, e, p)]

    def select(self, data_filter: JSON) -> list[Found]:
        """The entries a DataFilter selects: by lookup, or every entry whose location
        intersects its ``a1Range``/``gridRange``."""
        kind = filter_kind(data_filter)
        if kind == "developerMetadataLookup":
            return self.lookup(data_filter[kind] or {})
        sheet, box = resolve_range(self.ss, data_filter)
        return [(e, p) for e, p in self.all if meets_box(p, sheet, box)]


def select(ss: Spreadsheet, data_filter: JSON) -> list[Found]:
    """The entries one DataFilter selects."""
    return Index(ss).select(data_filter)


# --- batchUpdate requests -------------------------------------------------------------------


def _attach(ss: Spreadsheet, place: Place, entry: JSON) -> None:
    if place.kind == "SPREADSHEET":
        ss.developer_metadata.append(entry)
        return
    assert place.sheet is not None
    if place.kind == "SHEET":
        place.sheet.developer_metadata.append(entry)
        return
    meta = place.sheet.row_meta if place.kind == "ROW" else place.sheet.col_meta
    meta.setdefault(place.index, {}).setdefault("developerMetadata", []).append(entry)


def _detach(ss: Spreadsheet, place: Place, entry: JSON) -> None:
    if place.kind == "SPREADSHEET":
        ss.developer_metadata.remove(entry)
        return
    assert place.sheet is not None
    if place.kind == "SHEET":
        place.sheet.developer_metadata.remove(entry)
        return
    meta = place.sheet.row_meta if place.kind == "ROW" else place.sheet.col_meta
    props = meta[place.index]
    props["developerMetadata"].remove(entry)
    if not props["developerMetadata"]:
        del props["developerMetadata"]
    if not props:
        del meta[place.index]


def _checked(ss: Spreadsheet, metadata: JSON, *, new: bool) -> tuple[JSON, Place]:
    """The stored fields and the place of a DeveloperMetadata in a request."""
    if not metadata.get("metadataKey"):
        raise RequestError("Developer metadata must always have a key specified.")
    visibility = metadata.get("visibility")
    if visibility not in VISIBILITIES:
        raise RequestError("Developer metadata must always have visibility specified.")
    if "location" not in metadata:
        raise RequestError("Developer metadata must always have a location specified.")
    place = place_of(ss, metadata["location"] or {})
    entry: JSON = {"metadataKey": str(metadata["metadataKey"]), "visibility": visibility}
    if "metadataValue" in metadata:
        entry["metadataValue"] = str(metadata["metadataValue"])
    if new:
        wanted = metadata.get("metadataId")
        if wanted is not None and (
            not isinstance(wanted, int) or isinstance(wanted, bool) or wanted <= 0
        ):
            raise RequestError(f"Developer metadata ID must be positive, but was {wanted}.")
        if wanted is not None and ss.metadata_id_taken(wanted):
            raise RequestError(f"Developer metadata with ID {wanted} already exists.")
        entry["metadataId"] = ss.claim_metadata_id(wanted)
    return entry, place


def create_developer_metadata(ss: Spreadsheet, params: JSON) -> JSON:
    entry, place = _checked(ss, params.get("developerMetadata") or {}, new=True)
    stored = {"metadataId": entry.pop("metadataId"), **entry}
    _attach(ss, place, stored)
    return {"createDeveloperMetadata": {"developerMetadata": resource(stored, place)}}


def _filters(params: JSON, key: str) -> list[JSON]:
    filters = params.get(key)
    if isinstance(filters, dict):
        filters = [filters]
    if not filters:
        raise RequestError("At least one data filter must be specified.")
    return list(filters)


def _selected(ss: Spreadsheet, filters: list[JSON]) -> list[Found]:
    index = Index(ss)
    out: list[Found] = []
    seen: set[int] = set()
    for data_filter in filters:
        for entry, place in index.select(data_filter):
            if id(entry) not in seen:
                seen.add(id(entry))
                out.append((entry, place))
    return out


def update_developer_metadata(ss: Spreadsheet, params: JSON) -> JSON:
    """Set the masked fields on every entry the filters select (the id cannot change)."""
    fields = params.get("fields") or ""
    if not fields:
        raise RequestError("At least one field must be specified.")
    paths = parse_mask(fields)
    allowed = {"metadataKey", "metadataValue", "visibility", "location", "*", "metadataId"}
    for path in paths:
        if path[0] not in allowed:
            raise RequestError(f"Invalid field mask: {'.'.join(path)}")
    update = params.get("developerMetadata") or {}
    touched = {p[0] for p in paths}
    if "*" in touched:
        touched = {"metadataKey", "metadataValue", "visibility", "location", "metadataId"}
    updated: list[JSON] = []
    for entry, place in _selected(ss, _filters(params, "dataFilters")):
        if (
            "metadataId" in touched
            and update.get("metadataId", entry["metadataId"]) != entry["metadataId"]
        ):
            raise RequestError("The metadataId of developer metadata cannot be updated.")
        merged: JSON = {**entry, "location": place.location()}
        for key in touched - {"metadataId"}:
            if key in update:
                merged[key] = update[key]
            else:
                merged.pop(key, None)
        new_entry, new_place = _checked(ss, merged, new=False)
        _detach(ss, place, entry)
        entry.clear()
        entry.update({"metadataId": merged["metadataId"], **new_entry})
        _attach(ss, new_place, entry)
        updated.append(resource(entry, new_place))
    return {"updateDeveloperMetadata": {"developerMetadata": updated} if updated else {}}


def delete_developer_metadata(ss: Spreadsheet, params: JSON) -> JSON:
    deleted: list[JSON] = []
    for entry, place in _selected(ss, _filters(params, "dataFilter")):
        deleted.append(resource(entry, place))
        _detach(ss, place, entry)
    reply: JSON = {"deletedDeveloperMetadata": deleted} if deleted else {}
    return {"deleteDeveloperMetadata": reply}


# --- endpoints ------------------------------------------------------------------------------


def get(ss: Spreadsheet, metadata_id: Any) -> JSON:
    """``GET .../developerMetadata/{id}``."""
    try:
        wanted = int(metadata_id)
    except (TypeError, ValueError):
        raise bad_request(
            f"Invalid value at 'metadata_id' (TYPE_INT32), \"{metadata_id}\""
        ) from None
    found = find(ss, wanted)
    if found is None:
        raise not_found(f"No developer metadata with ID {wanted} exists.")
    return resource(*found)


def search(ss: Spreadsheet, body: JSON) -> JSON:
    """``POST .../developerMetadata:search``: each entry once, with the filters it met."""
    filters = body.get("dataFilters") or []
    index = Index(ss)
    matched: dict[int, tuple[JSON, Place, list[JSON]]] = {}
    for data_filter in filters:
        try:
            found = index.select(data_filter)
        except RequestError as err:
            raise bad_request(str(err)) from None
        for entry, place in found:
            matched.setdefault(id(entry), (entry, place, []))[2].append(data_filter)
    if not matched:
        return {}
    return {
        "matchedDeveloperMetadata": [
            {"developerMetadata": resource(e, p), "dataFilters": f} for e, p, f in matched.values()
        ]
    }
