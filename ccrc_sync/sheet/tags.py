"""The marks ccrc-sync leaves in a spreadsheet as developer metadata, and what they mean.

Developer metadata is Google's documented way to label parts of a spreadsheet for a
program: it is invisible to staff, and it stays with its row, tab or spreadsheet as they
move, so it survives sorts, inserted rows and renamed tabs. ccrc-sync keeps:

* `ccrc-sync.rec` on each plan row (value: the Rec No. as the plan keys it,
  `schema.rec_no_of`: `20`, `20a`): a cell write is addressed to this tag, not to a row
  number read a second earlier;
* `ccrc-sync.mark` on a plan row with a conflict mark (value: `<column>|<token>`), so the
  mark can be removed and the cell's own fill and note restored even if the state is lost;
* `ccrc-sync.tab` on each tab it made (value: `plan`, or the generated tab's kind), and
  `ccrc-sync.layout` beside it (value: a digest of the tab's formatting, so it is
  formatted again only when that changes);
* `ccrc-sync.synced` on the spreadsheet: it has been synced before (a lost state shows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

REC = "ccrc-sync.rec"
MARK = "ccrc-sync.mark"
TAB = "ccrc-sync.tab"
LAYOUT = "ccrc-sync.layout"
SYNCED = "ccrc-sync.synced"
PLAN_KIND = "plan"

# A conflict note starts with this, so ours are told apart from staff notes at a glance.
NOTE_PREFIX = "ccrc-sync: "


@dataclass(frozen=True)
class Tag:
    """One developer metadata entry as read: its id, key and value."""

    metadata_id: int
    key: str
    value: str


def tags_of(entries: Any) -> list[Tag]:
    """The ccrc-sync entries of a reply's `developerMetadata` list (others are ignored)."""
    found: list[Tag] = []
    if not isinstance(entries, list):
        return found
    for entry in entries:
        key = entry.get("metadataKey") if isinstance(entry, dict) else None
        if isinstance(key, str) and key.startswith("ccrc-sync."):
            try:
                metadata_id = int(entry.get("metadataId", 0))
            except (TypeError, ValueError):
                continue
            found.append(Tag(metadata_id, key, str(entry.get("metadataValue", ""))))
    return found


def mark_value(col: int, token: str) -> str:
    return f"{col}|{token}"


def parse_mark(value: str) -> tuple[int, str] | None:
    col, sep, token = value.partition("|")
    if not sep or not col.isdigit():
        return None
    return int(col), token


def make_token(format_: dict[str, Any] | None, note: str | None) -> str:
    """What a marked cell had before the mark: its fill (both of Google's spellings) and
    its note, as compact JSON. Restoring from it puts back exactly that."""
    keep = {
        k: v for k, v in (format_ or {}).items() if k in ("backgroundColor", "backgroundColorStyle")
    }
    return json.dumps({"format": keep, "note": note}, separators=(",", ":"), sort_keys=True)


def read_token(token: str | None) -> tuple[dict[str, Any], str | None] | None:
    """(fill, note) from a token; None when there is no token or it is unreadable."""
    if not token:
        return None
    try:
        data = json.loads(token)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    format_ = data.get("format")
    note = data.get("note")
    return (
        format_ if isinstance(format_, dict) else {},
        note if isinstance(note, str) else None,
    )
