"""A run's `SheetWrites` turned into at most two requests: one structural `:batchUpdate`
and one `values:batchUpdateByDataFilter`.

Why it is shaped this way:

* A cell of the plan is written to its recommendation, not to a row number: each plan
  row carries a developer-metadata tag with its Rec No., and the values request finds the
  row by that tag (`developerMetadataLookup`), so a sort or an inserted row between the
  read and the write moves the tag with its row and the value follows. Cells not written
  are sent as null, which Google skips; "" clears a cell.
* A row without a tag (a sheet published by an older version, a row staff added), or
  whose tag no longer matches its Rec No., is tagged in the structural request of the run
  that first writes to it, after every stale tag with that value is deleted, so a lookup
  never matches two rows. Deletions are by id, each id once.
* A new recommendation gets a fresh row inserted after the last data row (nothing staff
  typed below is overwritten), tagged in the same batch, then filled by its tag.
* A generated tab's content and its rows' style keys (the hidden column `formats` styles
  by) go in the same values request; its formats only go in the structural request when
  the tab is made or its shape changes, so new content costs no formatting.
* Values arrive as the plan means them (`plan_sides` already gives every Rec No. cell and
  new row its `schema.rec_cell_value`), so they are only encoded here, never re-decided.
* Structure comes from the snapshot alone, so this module plans without sending; the
  client sends. Requests that only format (`essential=False`) may be dropped if Google
  refuses them, and the data still goes across.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gspread.utils import absolute_range_name

from ccrc_sync.config import PlanConfig
from ccrc_sync.errors import SheetError
from ccrc_sync.layout import TabLayout
from ccrc_sync.schema import (
    REC_NO,
    SECTION,
    STATUS,
    Value,
    a1,
    column_letter,
    display,
    is_blank,
    match_header,
    rec_no_of,
)
from ccrc_sync.sheet import requests as rq
from ccrc_sync.sheet import tags
from ccrc_sync.sheet.cells import encode_cell, encode_tab_cell
from ccrc_sync.sheet.formats import has_style_rules, plan_furniture, style_keys, tab_format
from ccrc_sync.sheet.marks import plan_mark, plan_unmark
from ccrc_sync.sheet.read import STYLE_TAG, SheetSnapshot, TabInfo
from ccrc_sync.writes import SheetWrites

NEW_LOCALE = "en_GB"
# The fewest rows a generated tab is given (see `roomy`).
TAB_ROWS = 500


@dataclass
class Planned:
    """What `apply` will send, and what it needs to check and explain the answers."""

    structure: list[rq.Request] = field(default_factory=list)
    essential: list[bool] = field(default_factory=list)
    data: list[dict[str, Any]] = field(default_factory=list)
    # Rec No. -> column -> value: the plan cells the values request writes.
    cells: dict[str, dict[int, Value]] = field(default_factory=dict)
    # Rec No. -> row: existing rows tagged by this batch (checked in its answer).
    retagged: dict[str, int] = field(default_factory=dict)
    tokens: dict[tuple[str, int], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    plan_title: str = ""
    rec_col: int | None = None

    def add(self, *requests: rq.Request, essential: bool = True) -> None:
        self.structure += requests
        self.essential += [essential] * len(requests)


class Planner:
    """Plans one apply from a snapshot; see the module docstring."""

    def __init__(
        self,
        snap: SheetSnapshot,
        plan: PlanConfig,
        *,
        strict: bool,
        rng: random.Random | None = None,
    ) -> None:
        self.snap = snap
        self.plan = plan
        self.strict = strict
        self.out = Planned(plan_title=snap.plan_title or plan.sheet)
        self.rng = rng or random.Random()
        self.deleted: set[int] = set()
        self.used_ids = {t.metadata_id for t in snap.spreadsheet_tags}
        for tab in snap.tabs.values():
            self.used_ids.update(t.metadata_id for t in tab.tags)
        for found in snap.row_tags().values():
            self.used_ids.update(t.metadata_id for t in found)
        self.next_sheet_id = 1 + max((t.sheet_id for t in snap.tabs.values()), default=0)
        # sheetId -> [rows, columns] of each existing tab, as this batch leaves it.
        self.size = {t.sheet_id: [t.row_count, t.column_count] for t in snap.tabs.values()}
        self.day_first = snap.day_first
        plan_tab = snap.tabs.get(self.out.plan_title) if snap.plan_title else None
        self.plan_id: int | None = plan_tab.sheet_id if plan_tab else None
        table = snap.plan_table()
        self.out.rec_col = table.columns.get(REC_NO) if table else None

    # ------------------------------------------------------------------ ids

    def metadata_id(self) -> int:
        while True:
            candidate = self.rng.randrange(1, 2**31 - 1)
            if candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate

    def sheet_id(self) -> int:
        self.next_sheet_id += 1
        return self.next_sheet_id - 1

    def delete_tag(self, metadata_id: int) -> None:
        if metadata_id not in self.deleted:
            self.deleted.add(metadata_id)
            self.out.add(rq.delete_metadata(metadata_id))

    def tag(
        self, key: str, value: str, location: Mapping[str, Any], essential: bool = True
    ) -> None:
        self.out.add(
            rq.create_metadata(self.metadata_id(), key, value, location), essential=essential
        )

    # ------------------------------------------------------------------ the whole run

    def plan_all(self, writes: SheetWrites) -> Planned:
        if writes.publish is not None:
            self.publish(writes)
        elif self.plan_id is not None and self.snap.plan_table() is not None:
            self.furnish()
        for rec, cells in self.group_cells(writes).items():
            self.write_row(rec, cells)
        if writes.appends:
            self.append_rows(writes)
        for mark in writes.marks:
            plan_mark(self, mark)
        for unmark in writes.unmarks:
            plan_unmark(self, unmark)
        for title, layout in writes.tabs.items():
            self.tab(title, layout)
        if self.out.structure and not self.snap.synced_before:
            self.tag(tags.SYNCED, "yes", rq.SPREADSHEET_LOCATION)
        return self.out

    # ------------------------------------------------------------------ the plan tab

    def publish(self, writes: SheetWrites) -> None:
        """Create (or fill the empty) plan tab: header, one tagged row per recommendation."""
        assert writes.publish is not None
        headers, rows = writes.publish.headers, writes.publish.rows
        width = max([len(headers), *(len(values) for _, values in rows), 1])
        height = len(rows) + 1
        tab = self.snap.tabs.get(self.out.plan_title) if self.snap.plan_title else None
        lone = self.snap.lone_default_sheet
        if tab is None:
            self.plan_id = self.sheet_id()
            self.out.plan_title = self.plan.sheet
            self.out.add(
                rq.add_sheet(
                    self.plan.sheet, self.plan_id, max(1000, height + 100), max(26, width), 1
                )
            )
            if lone is not None:
                # A new spreadsheet: UK dates as typed, and no empty default tab left over.
                self.out.add(rq.set_locale(NEW_LOCALE), rq.delete_sheet(lone.sheet_id))
                self.day_first = True
        else:
            self.plan_id = tab.sheet_id
            self.grow(tab.sheet_id, height, width)
            for found in self.snap.row_tags().values():
                for old in found:
                    self.delete_tag(old.metadata_id)
        columns: dict[str, int] = {}
        for col, text in enumerate(headers, start=1):
            label = match_header(text)
            if label is not None:
                columns.setdefault(label, col)
        self.out.rec_col = columns.get(REC_NO)
        lenient = self.outside_lists(columns, rows)
        furniture = plan_furniture(
            self.plan_id, 1, columns, width, self.plan, strict=self.strict, lenient=lenient
        )
        self.out.add(*furniture, essential=False)
        if tab is None or tab.kind != tags.PLAN_KIND:
            self.tag(tags.TAB, tags.PLAN_KIND, rq.sheet_location(self.plan_id))
        seen: set[str] = set()
        for index, (rec_no, _values) in enumerate(rows, start=2):
            key = rec_no_of(rec_no)
            if key is not None and key not in seen:
                seen.add(key)
                self.tag(tags.REC, key, rq.row_location(self.plan_id, index))
        grid = [[encode_cell(v) for v in headers]] + [
            [encode_cell(v) for v in values] for _, values in rows
        ]
        span = f"A1:{a1(height, width)}"
        self.out.data.append(
            {
                "dataFilter": {"a1Range": absolute_range_name(self.out.plan_title, span)},
                "majorDimension": "ROWS",
                "values": [row + [""] * (width - len(row)) for row in grid],
            }
        )

    def outside_lists(
        self, columns: Mapping[str, int], rows: Sequence[tuple[str, Sequence[Value]]]
    ) -> frozenset[str]:
        """Fields whose published values are not all in the drop-down's list: a strict
        drop-down would make Google refuse the whole publish, so it only flags them."""
        lenient: set[str] = set()
        if not self.strict:
            return frozenset()
        for label, words in ((STATUS, self.plan.statuses), (SECTION, self.plan.sections)):
            col = columns.get(label)
            if col is None:
                continue
            bad = [
                (rec, display(row[col - 1]))
                for rec, row in rows
                if col <= len(row)
                and not is_blank(row[col - 1])
                and display(row[col - 1]) not in words
            ]
            if bad:
                lenient.add(label)
                shown = ", ".join(f"Rec No. {rec} {text!r}" for rec, text in bad[:3])
                self.out.notes.append(
                    f"The Google Sheet's {label} drop-down was made to flag rather than refuse "
                    f"values outside its list, because the plan has such values ({shown}"
                    f"{', ...' if len(bad) > 3 else ''})."
                )
        return frozenset(lenient)

    def furnish(self) -> None:
        """A plan tab this tool has not furnished yet gets its furniture, once."""
        tab = self.snap.tabs[self.out.plan_title]
        table = self.snap.plan_table()
        if tab.kind == tags.PLAN_KIND or table is None:
            return
        width = max([len(table.headers), *table.columns.values(), *table.extra_columns.values(), 1])
        furniture = plan_furniture(
            tab.sheet_id, table.header_row, table.columns, width, self.plan, strict=self.strict
        )
        self.out.add(*furniture, essential=False)
        self.tag(tags.TAB, tags.PLAN_KIND, rq.sheet_location(tab.sheet_id))

    def grow(self, sheet_id: int, need_rows: int, need_cols: int) -> None:
        """Grow an existing tab to hold `need_rows` x `need_cols` (Google refuses a write
        past the grid), once per batch however many writes need it."""
        size = self.size.get(sheet_id)
        if size is None:
            return
        more_rows, more_cols = max(0, need_rows - size[0]), max(0, need_cols - size[1])
        size[0] += more_rows
        size[1] += more_cols
        self.out.add(*rq.append_dimension(sheet_id, more_rows, more_cols))

    def plan_sheet(self) -> int:
        if self.plan_id is None:
            raise SheetError(
                f"The {self.plan.sheet} tab is missing from the Google Sheet, so nothing could "
                "be written to it; was it renamed?"
            )
        return self.plan_id

    @staticmethod
    def group_cells(writes: SheetWrites) -> dict[str, dict[int, tuple[int, Value]]]:
        """Rec No. -> column -> (row read, value); the last write to a cell wins."""
        out: dict[str, dict[int, tuple[int, Value]]] = {}
        for write in writes.cells:
            key = rec_no_of(write.rec_no)
            if key is None:
                raise SheetError(f"A change for Rec No. {write.rec_no!r} has no usable Rec No.")
            out.setdefault(key, {})[write.col] = (write.row, write.value)
        return out

    def write_row(self, rec: str, cells: Mapping[int, tuple[int, Value]]) -> None:
        sheet_id = self.plan_sheet()
        row = next(iter(cells.values()))[0]
        if self.snap.row_key(row) != rec:
            raise SheetError(
                f"Rec No. {rec} is not in row {row} of the Google Sheet's {self.out.plan_title} "
                "tab as this run read it, so its changes were not written; run again."
            )
        self.ensure_tag(rec, row, sheet_id)
        self.fill_row(rec, {col: value for col, (_, value) in cells.items()})

    def ensure_tag(self, rec: str, row: int, sheet_id: int) -> None:
        """Make `row` the one row tagged `rec`, unless it already is."""
        tagged = [r for r, _tag in self.snap.rec_tags().get(rec, [])]
        own = [t for t in self.snap.row_tags().get(row, []) if t.key == tags.REC]
        if tagged == [row] and [t.value for t in own] == [rec]:
            return
        self.drop_tags(rec)
        for old in own:
            self.delete_tag(old.metadata_id)
        self.tag(tags.REC, rec, rq.row_location(sheet_id, row))
        self.out.retagged[rec] = row

    def drop_tags(self, rec: str) -> None:
        """Delete every tag with this Rec No., wherever it is (a stale or duplicated tag)."""
        for _row, old in self.snap.rec_tags().get(rec, []):
            self.delete_tag(old.metadata_id)

    def fill_row(self, rec: str, values: Mapping[int, Value]) -> None:
        """One values entry addressed to `rec`'s tag: null where nothing is written."""
        width = max(values)
        self.grow(self.plan_sheet(), 0, width)
        row: list[Any] = [None] * width
        for col, value in values.items():
            row[col - 1] = encode_cell(value)
        self.out.cells.setdefault(rec, {}).update(values)
        self.out.data.append(
            {
                "dataFilter": rq.metadata_lookup(tags.REC, rec),
                "majorDimension": "ROWS",
                "values": [row],
            }
        )

    def append_rows(self, writes: SheetWrites) -> None:
        sheet_id = self.plan_sheet()
        last = self.snap.last_plan_row
        tab = self.snap.tabs.get(self.out.plan_title)
        count = len(writes.appends)
        size = self.size.get(sheet_id, [0, 0])
        if tab is not None and last >= size[0]:
            self.out.add(*rq.append_dimension(sheet_id, count))
        else:
            self.out.add(rq.insert_rows(sheet_id, last, count))
        size[0] += count
        for offset, append in enumerate(writes.appends, start=1):
            key = rec_no_of(append.rec_no)
            if key is None:
                raise SheetError(f"A new row has no usable Rec No. ({append.rec_no!r}).")
            self.drop_tags(key)
            self.tag(tags.REC, key, rq.row_location(sheet_id, last + offset))
            if append.values:
                self.fill_row(key, append.values)

    # ------------------------------------------------------------------ generated tabs

    def tab(self, title: str, layout: TabLayout) -> None:
        """A generated tab's values and style keys; its formats only when it is new, its
        shape changed, or its style rules were removed (see `formats`)."""
        tab = self.snap.tabs.get(title)
        sheet_id = tab.sheet_id if tab is not None else self.sheet_id()
        fmt = tab_format(layout, sheet_id)
        need_rows, need_cols = max(len(layout.rows), 1), max(layout.width, fmt.columns)
        if layout.chart is not None:  # its anchor cell must be inside the grid
            need_rows = max(need_rows, layout.chart.header_row)
        old = (self.snap.tab_grid(title) or []) if tab is not None else []
        old_keys = (self.snap.tab_styles(title) or []) if tab is not None else []
        grown = False
        if tab is None:
            self.out.add(rq.add_sheet(title, sheet_id, roomy(need_rows), need_cols))
        else:
            title = tab.title
            grown = need_rows > self.size.get(sheet_id, [0, 0])[0]
            self.grow(sheet_id, roomy(need_rows) if grown else 0, need_cols)
        if (
            tab is None
            or tab.kind is None
            or tab.layout != fmt.digest
            or tab.style_col != fmt.style_col
            or not has_style_rules(tab.rule_keys, fmt)
        ):
            if tab is not None:
                self.unformat(tab.sheet_id, tab, fmt.style_col)
            self.out.add(*fmt.fixed, *fmt.rules.values(), essential=False)
            if fmt.chart is not None:
                self.out.add(fmt.chart, essential=False)
            self.tag(tags.TAB, layout.kind.value, rq.sheet_location(sheet_id))
            # Essential: it says which column `tab_grid` leaves out, and the values request
            # fills that column whether or not Google takes the formats.
            self.tag(STYLE_TAG, column_letter(fmt.style_col), rq.sheet_location(sheet_id))
            self.tag(tags.LAYOUT, fmt.digest, rq.sheet_location(sheet_id), essential=False)
        elif grown:
            # Rows appended to a grid carry no format: the column formats go again, in the
            # structural request the growth costs anyway.
            self.out.add(*fmt.fixed, essential=False)
        self.tab_values(title, layout, old)
        self.tab_keys(title, style_keys(layout), old_keys, fmt.style_col)

    def unformat(self, sheet_id: int, tab: TabInfo, style_col: int) -> None:
        """Clear what an existing tab's formatting left: formats, every conditional rule,
        charts, our tags, and a style column that is no longer the one in use."""
        self.out.add(
            {
                "repeatCell": {
                    "range": {"sheetId": sheet_id},
                    "cell": {},
                    "fields": "userEnteredFormat",
                }
            },
            *rq.delete_conditional_rules(sheet_id, tab.rule_count),
            *(rq.delete_chart(chart_id) for chart_id in tab.chart_ids),
            essential=False,
        )
        if tab.style_col is not None and tab.style_col != style_col:
            col = tab.style_col
            if col <= self.size.get(sheet_id, [0, 0])[1]:
                self.out.add(rq.hide_columns(sheet_id, col, col, hidden=False), essential=False)
        for old_tag in tab.tags:
            self.delete_tag(old_tag.metadata_id)

    def tab_values(self, title: str, layout: TabLayout, old: list[list[Value]]) -> None:
        """The tab's content as one range, padded with "" over what it held before."""
        height = max(len(layout.rows), len(old), 1)
        width = max([layout.width, 1, *(len(r) for r in old)])
        gid = self.plan_id
        grid: list[list[Any]] = []
        for index in range(height):
            cells = layout.rows[index].cells if index < len(layout.rows) else ()
            line = [encode_tab_cell(c, day_first=self.day_first, plan_gid=gid) for c in cells]
            grid.append(line + [""] * (width - len(line)))
        span = f"A1:{a1(height, width)}"
        self.out.data.append(
            {
                "dataFilter": {"a1Range": absolute_range_name(title, span)},
                "majorDimension": "ROWS",
                "values": grid,
            }
        )

    def tab_keys(self, title: str, keys: Sequence[str], old: Sequence[str], col: int) -> None:
        """The rows' style keys down the hidden column, in the same values request, padded
        with "" over the keys of rows the tab no longer has."""
        height = max(len(keys), len(old), 1)
        letter = column_letter(col)
        self.out.data.append(
            {
                "dataFilter": {
                    "a1Range": absolute_range_name(title, f"{letter}1:{letter}{height}")
                },
                "majorDimension": "ROWS",
                "values": [[key] for key in [*keys, *[""] * (height - len(keys))]],
            }
        )


def roomy(rows: int) -> int:
    """The rows to give a generated tab that needs `rows`: `TAB_ROWS` at least, and half as
    many again. Change Log and Sync Issues grow with their content, and growing a grid is a
    structural request; with room to spare it is rare (the Change Log, capped at 500 lines
    by default, grows once at most), so a sync that only changes what a tab says stays at a
    read and one values write. Not more: every row of a formatted column is in each read's
    reply, formatted or not."""
    return max(TAB_ROWS, rows + rows // 2)


def plan_apply(
    snap: SheetSnapshot, writes: SheetWrites, plan: PlanConfig, *, strict: bool
) -> Planned:
    """Plan one apply: the structural requests and the values entries (none when empty)."""
    if writes.empty:
        return Planned()
    return Planner(snap, plan, strict=strict).plan_all(writes)
