"""The Drive v3 files the Sheets client needs: create, get, list, rename, copy, delete.

Only spreadsheets are stored; ``q`` supports ``name``/``mimeType`` clauses joined by
``and`` (others do not filter). A spreadsheet created through Drive gets the emulator's
default locale, as Google gives it the creating account's.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import unquote

from ccrc_sync.emulator import resource
from ccrc_sync.emulator.errors import ApiError
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.store import (
    SPREADSHEET_MIME,
    Spreadsheet,
    Store,
    make_spreadsheet,
    new_spreadsheet_id,
    now_iso,
)


def _one(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    found = query.get(name)
    return found[0] if found else default


def _no_method(method: str) -> ApiError:
    return ApiError(404, f"Method {method} is not supported on this path by the emulator.")


def route(
    store: Store,
    default_locale: str,
    method: str,
    fid: str | None,
    rest: str | None,
    query: dict[str, list[str]],
    body: Any,
) -> tuple[int, Any, bool]:
    """Answer one Drive call (create, get, list, rename, copy, delete)."""
    body = body if isinstance(body, dict) else {}
    fields = _one(query, "fields")
    if fid is None:
        if method == "POST":
            mime = body.get("mimeType", SPREADSHEET_MIME)
            if mime != SPREADSHEET_MIME:
                raise ApiError(501, f"The emulator only stores spreadsheets, not {mime}.")
            ss = make_spreadsheet(body.get("name") or "Untitled spreadsheet", locale=default_locale)
            store.add(ss)
            return 200, resource.drive_file(ss, fields), True
        if method == "GET":
            return 200, _list_files(store, query), False
        raise _no_method(method)
    fid = unquote(fid)
    if rest is None:
        if method == "GET":
            return 200, resource.drive_file(_drive_get(store, fid), fields), False
        if method == "DELETE":
            if fid not in store.spreadsheets:
                raise ApiError(404, f"File not found: {fid}.", "NOT_FOUND")
            store.delete(fid)
            return 204, None, True
        if method == "PATCH":
            ss = _drive_get(store, fid)
            if "name" in body:
                ss.properties["title"] = body["name"]
                ss.touch()
            return 200, resource.drive_file(ss, fields), True
        raise _no_method(method)
    if rest == "/copy" and method == "POST":
        source = _drive_get(store, fid)
        clone = copy.deepcopy(source)
        clone.spreadsheet_id = new_spreadsheet_id()
        clone.properties["title"] = body.get("name") or f"Copy of {source.title}"
        clone.created_time = clone.modified_time = now_iso()
        store.add(clone)
        return 200, resource.drive_file(clone, fields), True
    raise ApiError(501, f"The emulator does not implement Drive {method} {rest}.", "UNIMPLEMENTED")


def _drive_get(store: Store, fid: str) -> Spreadsheet:
    if fid not in store.spreadsheets:
        raise ApiError(404, f"File not found: {fid}.", "NOT_FOUND")
    return store.spreadsheets[fid]


_CLAUSE = re.compile(
    r"""^\s*(?P<field>\w+)\s*(?P<op>=|!=|contains)\s*(?P<q>["'])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*$"""
)


def _list_files(store: Store, query: dict[str, list[str]]) -> JSON:
    q = _one(query, "q", "") or ""
    clauses = [c for c in re.split(r"\s+and\s+", q) if c.strip()] if q else []
    matches = []
    for ss in store.spreadsheets.values():
        if all(_clause_ok(ss, clause) for clause in clauses):
            matches.append(ss)
    matches.sort(key=lambda s: s.modified_time, reverse=True)
    fields = _one(query, "fields")
    inner = None
    if fields:
        m = re.search(r"files\(([^)]*)\)", fields)
        inner = m.group(1) if m else None
    return {"kind": "drive#fileList", "files": [resource.drive_file(s, inner) for s in matches]}


def _clause_ok(ss: Spreadsheet, clause: str) -> bool:
    clause = clause.strip().strip("()")
    m = _CLAUSE.match(clause)
    if not m:
        return True  # unsupported clauses (trashed, parents...) do not filter
    field, op = m.group("field"), m.group("op")
    value = re.sub(r"\\(.)", r"\1", m.group("value"))
    actual = {"name": ss.title, "mimeType": SPREADSHEET_MIME}.get(field)
    if actual is None:
        return True
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    return value.lower() in actual.lower()
