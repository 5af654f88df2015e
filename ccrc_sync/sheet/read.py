"""The whole Google Sheet in one request, and the `SheetSnapshot` a run plans from.

Why it is shaped this way:

* One `spreadsheets.get` with a `fields` mask (Google ignores `includeGridData` when a mask
  asks for grid data) returns the spreadsheet's properties and developer metadata, every
  tab's properties, charts, conditional formats and tags, and every cell's typed value,
  shown text, number-format type, note and fill, plus each row's tags. No `ranges`: a
  range naming a missing tab makes Google refuse the whole read, and the whole-spreadsheet
  read is what shows a renamed plan tab.
* The mask asks for `userEnteredValue` and not `effectiveValue`: every typed value is in
  the first, a formula's own text too, and the one computed value ccrc-sync needs (a
  link's label in a generated tab) is the `formattedValue` the mask already asks for.
* Decoding is lazy: the plan tab is turned into a `PlanTable` and a generated tab into a
  grid only when asked, each once.
* A generated tab made by this version carries a hidden column of style keys (see
  `formats`), named by the tab's `ccrc-sync.style` tag. A tab is read as what it shows, so
  that column is left out of `tab_grid`; a tab made by an older version has no such tag,
  and is read whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ccrc_sync.schema import (
    TEXT_FIELDS,
    PlanTable,
    RecNo,
    Value,
    column_number,
    display,
    is_blank,
    table_from_grid,
)
from ccrc_sync.sheet import tags
from ccrc_sync.sheet.cells import (
    MONTH_FIRST_LOCALES,
    Cell,
    decode_plan_row,
    decode_tab_row,
    display_row,
)
from ccrc_sync.sheet.tags import Tag

_META = "developerMetadata(metadataId,metadataKey,metadataValue)"
_CELL = (
    "userEnteredValue,formattedValue,effectiveFormat/numberFormat/type,note,"
    "userEnteredFormat(backgroundColor,backgroundColorStyle)"
)
FIELDS = ",".join(
    (
        "spreadsheetId",
        "properties(title,locale)",
        _META,
        "sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),"
        "charts/chartId,conditionalFormats/booleanRule/condition,"
        f"{_META},data(startRow,rowMetadata/{_META},rowData/values({_CELL})))",
    )
)
# The tag naming a generated tab's hidden style column (value: its letter, `Z`).
STYLE_TAG = "ccrc-sync.style"
# How far down the header row is looked for (a title row above it is tolerated).
HEADER_SEARCH_ROWS = 10
DEFAULT_SHEET_TITLES = frozenset(("sheet1",))


@dataclass(frozen=True)
class TabInfo:
    """One tab as the read describes it; enough to plan writes and structure."""

    title: str
    sheet_id: int
    row_count: int = 0
    column_count: int = 0
    chart_ids: tuple[int, ...] = ()
    # ccrc-sync's tags on the tab: its kind (`plan`, `summary`, ...) and layout digest.
    kind: str | None = None
    layout: str | None = None
    tags: tuple[Tag, ...] = ()
    # Conditional format rules: how many, and the conditions (to see ours are all there).
    rule_count: int = 0
    rule_keys: frozenset[str] = frozenset()
    # The hidden column of style keys (1-based), when the tab has one.
    style_col: int | None = None

    @property
    def has_chart(self) -> bool:
        return bool(self.chart_ids)


class TabMap(dict[str, TabInfo]):
    """Tabs by title, found regardless of case: Google keeps tab names unique ignoring
    case, so `action plan` is the plan tab and adding `Action Plan` beside it would fail.
    Keys stay as Google spells them, which is what ranges use."""

    def __init__(self, tabs: Iterable[TabInfo] = ()) -> None:
        super().__init__()
        for tab in tabs:
            self[tab.title] = tab

    def real(self, title: object) -> str | None:
        """The title as Google spells it, or None when there is no such tab."""
        if super().__contains__(title):
            return str(title)
        folded = str(title).casefold()
        return next((key for key in self.keys() if key.casefold() == folded), None)

    def __getitem__(self, title: str) -> TabInfo:
        return super().__getitem__(self.real(title) or title)

    def __setitem__(self, title: str, tab: TabInfo) -> None:
        old = self.real(title)
        if old is not None and old != title:
            super().__delitem__(old)
        super().__setitem__(title, tab)

    def __contains__(self, title: object) -> bool:
        return self.real(title) is not None

    def get(self, title: str, default: TabInfo | None = None) -> TabInfo | None:  # type: ignore[override]
        real = self.real(title)
        return default if real is None else super().__getitem__(real)


def rule_key(condition: Mapping[str, Any] | None) -> str:
    """A conditional format rule's condition as comparable text (type and values)."""
    if not condition:
        return ""
    words = [
        str(v.get("userEnteredValue", ""))
        for v in condition.get("values", [])
        if isinstance(v, dict)
    ]
    return "\x1f".join((str(condition.get("type", "")), *words))


def _tab(sheet: Mapping[str, Any]) -> TabInfo:
    props = sheet.get("properties", {})
    grid = props.get("gridProperties", {})
    own = tags.tags_of(sheet.get("developerMetadata"))
    rules = sheet.get("conditionalFormats") or []
    return TabInfo(
        title=str(props.get("title", "")),
        sheet_id=int(props.get("sheetId", 0)),
        row_count=int(grid.get("rowCount", 0)),
        column_count=int(grid.get("columnCount", 0)),
        chart_ids=tuple(int(c["chartId"]) for c in sheet.get("charts", []) if "chartId" in c),
        kind=next((t.value for t in own if t.key == tags.TAB), None),
        layout=next((t.value for t in own if t.key == tags.LAYOUT), None),
        tags=tuple(own),
        rule_count=len(rules),
        rule_keys=frozenset(rule_key((r.get("booleanRule") or {}).get("condition")) for r in rules),
        style_col=_style_column(next((t.value for t in own if t.key == STYLE_TAG), "")),
    )


def _style_column(letters: str) -> int | None:
    """The style column a tag names (`Z` -> 26); None for anything that is not a column's
    letters (the tag is staff-visible metadata, so it may have been edited)."""
    text = letters.strip().upper()
    if not text or len(text) > 3 or not all("A" <= ch <= "Z" for ch in text):
        return None
    return column_number(text)


def _trimmed(grid: list[list[Value]]) -> list[list[Value]]:
    """Without trailing blank cells and rows: formatting alone makes Google return cells
    with no value, and a tab reads as what it shows."""
    for row in grid:
        while row and is_blank(row[-1]):
            row.pop()
    while grid and not grid[-1]:
        grid.pop()
    return grid


class SheetSnapshot:
    """The spreadsheet as one read found it. Rows and columns are 1-based."""

    def __init__(self, reply: Mapping[str, Any], plan_title: str) -> None:
        props = reply.get("properties", {})
        self.spreadsheet_id = str(reply.get("spreadsheetId", ""))
        self.title = str(props.get("title", ""))
        self.locale = str(props.get("locale", ""))
        self.spreadsheet_tags = tuple(tags.tags_of(reply.get("developerMetadata")))
        self.tabs = TabMap()
        self._rows: dict[int, list[Any]] = {}  # sheetId -> rowData
        self._row_meta: dict[int, list[Any]] = {}  # sheetId -> rowMetadata
        for sheet in reply.get("sheets", []):
            tab = _tab(sheet)
            self.tabs[tab.title] = tab
            data = (sheet.get("data") or [{}])[0]
            start = int(data.get("startRow", 0))
            self._rows[tab.sheet_id] = [{}] * start + list(data.get("rowData") or [])
            self._row_meta[tab.sheet_id] = [{}] * start + list(data.get("rowMetadata") or [])
        self.plan_title: str | None = self.tabs.real(plan_title)
        """The plan tab as found (its title matched ignoring case), or None."""
        tagged = [t.title for t in self.tabs.values() if t.kind == tags.PLAN_KIND]
        self.renamed_plan: str | None = next((t for t in tagged if t != self.plan_title), None)
        """Our tagged plan tab when it is not the tab found under the plan's title."""
        self._table: PlanTable | None = None
        self._table_done = False
        self._grids: dict[str, list[list[Value]]] = {}
        self._row_tags: dict[int, list[Tag]] | None = None
        self._rec_tags: dict[str, list[tuple[int, Tag]]] | None = None
        self._marks: dict[tuple[str, int], tuple[int, list[int], str]] | None = None
        self._keys: dict[int, RecNo | None] = {}

    # ------------------------------------------------------------------ spreadsheet

    @property
    def synced_before(self) -> bool:
        """The spreadsheet carries the marker a sync leaves."""
        return any(t.key == tags.SYNCED for t in self.spreadsheet_tags)

    @property
    def day_first(self) -> bool:
        """Whether the spreadsheet's users type dates day first (its locale)."""
        return self.locale not in MONTH_FIRST_LOCALES

    @property
    def lone_default_sheet(self) -> TabInfo | None:
        """The empty default `Sheet1` when it is the spreadsheet's only tab."""
        if len(self.tabs) != 1:
            return None
        (tab,) = self.tabs.values()
        if tab.title.casefold() not in DEFAULT_SHEET_TITLES or tab.kind is not None:
            return None
        return tab if self._blank(tab.sheet_id) else None

    def ours(self, title: str) -> bool:
        """A tab this tool made (tagged), as opposed to one staff made."""
        tab = self.tabs.get(title)
        return tab is not None and tab.kind is not None

    # ------------------------------------------------------------------ cells

    def _blank(self, sheet_id: int) -> bool:
        return all(
            "userEnteredValue" not in cell
            for row in self._rows.get(sheet_id, [])
            for cell in row.get("values", ())
        )

    def cells(self, title: str) -> list[Sequence[Cell]]:
        """A tab's raw cells, row by row (a blank row is an empty list)."""
        tab = self.tabs.get(title)
        if tab is None:
            return []
        return [row.get("values", []) for row in self._rows.get(tab.sheet_id, [])]

    def cell(self, title: str, row: int, col: int) -> Cell:
        rows = self.cells(title)
        if 0 < row <= len(rows) and 0 < col <= len(rows[row - 1]):
            return rows[row - 1][col - 1]
        return {}

    def tab_grid(self, title: str) -> list[list[Value]] | None:
        """A generated tab's values as it shows them, without its hidden style column;
        None when the tab is missing."""
        tab = self.tabs.get(title)
        if tab is None:
            return None
        if tab.title not in self._grids:
            grid = [decode_tab_row(row) for row in self.cells(tab.title)]
            hidden = tab.style_col
            if hidden is not None:
                for row in grid:
                    if len(row) >= hidden:
                        row[hidden - 1] = None  # blanked, not removed: nothing else moves
            self._grids[tab.title] = _trimmed(grid)
        return self._grids[tab.title]

    def tab_styles(self, title: str) -> list[str] | None:
        """A generated tab's style keys by row, as its hidden column holds them (trailing
        blank rows left out); None when the tab is missing or has no such column."""
        tab = self.tabs.get(title)
        if tab is None or tab.style_col is None:
            return None
        index = tab.style_col - 1
        keys = [
            display(decode_tab_row(row[index : index + 1])[0]) if len(row) > index else ""
            for row in self.cells(tab.title)
        ]
        while keys and not keys[-1]:
            keys.pop()
        return keys

    # ------------------------------------------------------------------ the plan

    def plan_table(self) -> PlanTable | None:
        """The plan tab as typed values; None when there is no plan tab or it is empty."""
        if self._table_done:
            return self._table
        self._table_done = True
        if self.plan_title is None:
            return None
        rows = self.cells(self.plan_title)
        if not any("userEnteredValue" in c for row in rows for c in row):
            return None
        # Headers are what staff read: the shown text of the first rows.
        head = [display_row(row) for row in rows[:HEADER_SEARCH_ROWS]]
        found = table_from_grid(head, self.plan_title)
        text_cols = frozenset(
            [col - 1 for label, col in found.columns.items() if label in TEXT_FIELDS]
            + [col - 1 for col in found.extra_columns.values()]
        )
        grid: list[list[Value]] = head[: found.header_row]
        grid += [decode_plan_row(row, text_cols) for row in rows[found.header_row :]]
        self._table = table_from_grid(grid, self.plan_title)
        self._keys = {r.row: r.key for r in self._table.rows}
        return self._table

    def row_key(self, row: int) -> RecNo | None:
        """The Rec No. the plan tab's `row` shows, keyed as the plan keys it (`PlanRow.key`,
        so `'002` is 2 and `20 A` is 20a): the key a write is addressed to and a tag holds."""
        self.plan_table()
        return self._keys.get(row)

    @property
    def last_plan_row(self) -> int:
        """The last row of the plan tab holding anything (the header row at least)."""
        table = self.plan_table()
        if table is None:
            return 0
        return max([table.header_row, *(r.row for r in table.rows)])

    def row_tags(self) -> dict[int, list[Tag]]:
        """The plan tab's rows that carry ccrc-sync tags: row -> tags."""
        if self._row_tags is None:
            self._row_tags = {}
            tab = self.tabs.get(self.plan_title) if self.plan_title else None
            if tab is not None:
                for index, entry in enumerate(self._row_meta.get(tab.sheet_id, [])):
                    if entry:
                        found = tags.tags_of(entry.get("developerMetadata"))
                        if found:
                            self._row_tags[index + 1] = found
        return self._row_tags

    def rec_tags(self) -> dict[str, list[tuple[int, Tag]]]:
        """Rec No. (as tagged) -> (row, tag) of each row carrying it, top first."""
        if self._rec_tags is None:
            self._rec_tags = {}
            for row, found in sorted(self.row_tags().items()):
                for tag in found:
                    if tag.key == tags.REC:
                        self._rec_tags.setdefault(tag.value, []).append((row, tag))
        return self._rec_tags

    def tagged_rows(self) -> dict[str, list[int]]:
        """Rec No. (as tagged) -> the rows carrying that tag, top first."""
        return {rec: [row for row, _tag in found] for rec, found in self.rec_tags().items()}

    def mark_places(self) -> dict[tuple[str, int], tuple[int, list[int], str]]:
        """Our conflict marks: (Rec No., column) -> (row, ids of the mark tags, token)."""
        if self._marks is not None:
            return self._marks
        out: dict[tuple[str, int], tuple[int, list[int], str]] = {}
        self._marks = out
        for row, found in sorted(self.row_tags().items()):
            rec = next((t.value for t in found if t.key == tags.REC), None) or self.row_key(row)
            for tag in found:
                parsed = tags.parse_mark(tag.value) if tag.key == tags.MARK else None
                if parsed is not None and rec is not None:
                    place = out.setdefault((rec, parsed[0]), (row, [], parsed[1]))
                    place[1].append(tag.metadata_id)
        return out

    @property
    def marks(self) -> dict[tuple[str, int], str]:
        """Our conflict marks now set: (Rec No., column) -> the token that restores it."""
        return {key: token for key, (_row, _ids, token) in self.mark_places().items()}
