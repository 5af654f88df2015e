"""Reading and writing the staff's .xlsx workbook, without ever damaging it.

Reading is side-effect free (the input's bytes never change). Writing follows one path:
check Excel does not have the file open, check openpyxl can keep everything in it, take a
timestamped backup, write a temporary file beside it, swap it in with `os.replace`, then
re-open the result and check that what should have survived did, restoring the original
if not. openpyxl (with defusedxml installed) parses the XML safely.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from copy import copy
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from xml.etree import ElementTree

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

from ccrc_sync.errors import WorkbookBusy, WorkbookError
from ccrc_sync.schema import (
    PLAN_SHEET,
    REC_NO,
    Formula,
    PlanRow,
    PlanTable,
    Value,
    display,
    is_blank,
    normalise,
    rec_no_of,
    table_from_grid,
)

# The tabs the sync regenerates; everything else in the workbook is the staff's own.
MANAGED_TABS: tuple[str, ...] = ("Summary", "Sync Issues", "Change Log")
# UK staff read dates day first.
DATE_FORMAT = "dd/mm/yyyy"
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK"
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


class ChartSpecLike(Protocol):
    """What `replace_tab` needs of `summary.ChartSpec` (1-based rows/cols within the grid)."""

    title: str
    header_row: int
    first_row: int
    last_row: int
    category_col: int
    series_cols: tuple[int, ...] | list[int]
    anchor: str


# --------------------------------------------------------------------------------------
# Opening safely
# --------------------------------------------------------------------------------------


def _check_file(path: Path) -> bytes:
    """The file's bytes, or a one-sentence WorkbookError saying why it is not a workbook."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkbookError(f"The workbook {path} does not exist.") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path} is a folder, not an Excel workbook.") from None
    except OSError as exc:
        raise WorkbookError(f"The workbook {path} could not be read: {exc.strerror}.") from None
    if not data:
        raise WorkbookError(f"The workbook {path} is empty (0 bytes), not an Excel workbook.")
    if data.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise WorkbookError(
                f"The workbook {path} is password-protected; save a copy without a password "
                "to use it with ccrc-sync."
            )
        raise WorkbookError(
            f"The workbook {path} is in the old Excel 97-2003 (.xls) format; "
            "save it as an Excel Workbook (.xlsx)."
        )
    if not data.startswith(_ZIP_MAGIC):
        raise WorkbookError(f"{path} is not an Excel .xlsx workbook.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise WorkbookError(
            f"The workbook {path} is corrupt or truncated (it is not a readable zip file); "
            "restore it from a backup."
        ) from None
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        raise WorkbookError(f"{path} is a zip file but not an Excel .xlsx workbook.")
    return data


def _open(path: Path, data: bytes, *, read_only: bool) -> Workbook:
    try:
        return load_workbook(
            io.BytesIO(data), read_only=read_only, data_only=False, keep_links=True
        )
    except WorkbookError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise WorkbookError(
            f"The workbook {path} could not be read; it looks damaged "
            f"({type(exc).__name__}: {_short(exc)}). Restore it from a backup."
        ) from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no detail"
    return text if len(text) <= 120 else text[:117] + "..."


def _find_sheet(path: Path, wb: Workbook, sheet: str) -> Any:
    """The named sheet, matched like headers are (case and spaces at the ends ignored)."""
    names = wb.sheetnames
    if not names:
        raise WorkbookError(f"The workbook {path} has no sheets.")
    if sheet in names:
        return wb[sheet]
    key = " ".join(sheet.split()).casefold()
    for name in names:
        if " ".join(name.split()).casefold() == key:
            return wb[name]
    found = ", ".join(f"'{n}'" for n in names)
    raise WorkbookError(f"The workbook {path} has no '{sheet}' sheet; it has: {found}.")


def _cell_value(value: Any, data_type: str) -> Value:
    """A cell's value as the schema holds it: formulas marked, midnight datetimes as dates."""
    if data_type == "f" or isinstance(value, ArrayFormula | DataTableFormula):
        text = getattr(value, "text", None)
        return Formula(text if isinstance(text, str) else str(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return value


def _empty_sheet_error(path: Path, title: str) -> WorkbookError:
    return WorkbookError(f"The '{title}' sheet in {path} is empty; it has no header row.")


# --------------------------------------------------------------------------------------
# Reading (validate's fast path)
# --------------------------------------------------------------------------------------


def read_plan(path: Path, sheet: str = PLAN_SHEET, *, read_only: bool = True) -> PlanTable:
    """Read the plan sheet into a `PlanTable`, without changing the file.

    read_only mode streams the sheet XML, which is what keeps `validate` on a large plan
    close to the cost of openpyxl merely opening the file.
    """
    path = Path(path)
    data = _check_file(path)
    if not read_only:
        return PlanWorkbook.load(path, sheet).table
    wb = _open(path, data, read_only=True)
    try:
        ws = _find_sheet(path, wb, sheet)
        grid, merged = _stream_grid(ws)
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(
            f"The '{sheet}' sheet in {path} could not be read; it looks damaged "
            f"({type(exc).__name__}: {_short(exc)})."
        ) from None
    finally:
        wb.close()
    if not any(any(not is_blank(v) for v in row) for row in grid):
        raise _empty_sheet_error(path, ws.title)
    table = table_from_grid(grid, ws.title)
    table.merged = merged
    return table


def _stream_grid(ws: Any) -> tuple[list[list[Value]], list[str]]:
    """Rows of values plus merged ranges, from one pass over the sheet XML.

    Uses openpyxl's own sheet parser directly: it yields plain dicts (no cell objects) and
    collects the merged ranges that read_only worksheets otherwise do not expose.
    """
    try:
        from openpyxl.worksheet._reader import WorkSheetParser
    except ImportError:  # pragma: no cover - a future openpyxl
        return _iter_grid(ws), []
    wb = ws.parent
    grid: list[list[Value]] = []
    with ws._get_source() as src:
        parser = WorkSheetParser(
            src,
            ws._shared_strings,
            data_only=False,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for index, cells in parser.parse():
            while len(grid) < index - 1:
                grid.append([])
            row: list[Value] = []
            for cell in cells:
                column = cell["column"]
                if column > len(row) + 1:
                    row.extend([None] * (column - len(row) - 1))
                row.append(_cell_value(cell["value"], cell["data_type"]))
            grid.append(row)
        merged = [m.ref for m in parser.merged_cells.mergeCell] if parser.merged_cells else []
    return grid, [str(ref) for ref in merged]


def _iter_grid(ws: Any) -> list[list[Value]]:
    return [[_cell_value(c.value, c.data_type) for c in row] for row in ws.iter_rows()]


# --------------------------------------------------------------------------------------
# Excel has it open?
# --------------------------------------------------------------------------------------


def busy_reason(path: Path) -> str | None:
    """A sentence saying why the workbook must not be written now, or None when it may be.

    Excel keeps an owner file `~$name.xlsx` beside a workbook it has open (LibreOffice a
    `.~lock.name.xlsx#`); on Windows an open workbook also cannot be opened for writing.
    """
    path = Path(path)
    owners = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    if len(path.name) > 2:
        owners.append(path.with_name("~$" + path.name[2:]))
    for owner in owners:
        if owner.exists():
            return (
                f"The workbook {path.name} is open in Excel or LibreOffice (its owner file "
                f"{owner.name} is present); close it and the next run will catch up."
            )
    if not path.exists():
        return None
    try:
        with open(path, "r+b"):
            pass
    except OSError as exc:
        return (
            f"The workbook {path.name} cannot be opened for writing ({exc.strerror}); "
            "it may be open or locked by someone. The next run will catch up."
        )
    if not os.access(path.parent, os.W_OK):
        return f"The folder holding {path.name} is not writable, so it cannot be saved safely."
    return None


# --------------------------------------------------------------------------------------
# What openpyxl would lose
# --------------------------------------------------------------------------------------

_REL_KINDS = {
    "drawing": "drawings, shapes, images or charts",
    "image": "a background picture",
    "pivotTable": "pivot tables",
    "threadedComment": "threaded comments (the replies would be lost)",
    "slicer": "slicers",
    "timeline": "timelines",
    "oleObject": "embedded objects",
    "ctrlProp": "form controls (buttons, check boxes)",
    "control": "ActiveX controls",
}
# Worksheet extension-list features openpyxl drops (it keeps none of <extLst>).
_EXTENSIONS = [
    (b"dataValidation", "drop-down lists or data validation that refer to another sheet"),
    (b"conditionalFormatting", "conditional formats of newer kinds (data bars, icon sets)"),
    (b"sparklineGroup", "sparklines"),
    (b"slicerList", "slicers"),
    (b"timelineRefs", "timelines"),
]


def _rels(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(type suffix, target part) of a part's relationships."""
    folder, name = part.rsplit("/", 1) if "/" in part else ("", part)
    rels_name = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    try:
        root = ElementTree.fromstring(archive.read(rels_name))
    except (KeyError, ElementTree.ParseError):
        return []
    out = []
    for rel in root.iter(f"{{{_NS_PKG_REL}}}Relationship"):
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            out.append((kind, target))
            continue
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = str(PurePosixPath(folder, target))
            parts: list[str] = []
            for piece in resolved.split("/"):
                if piece == "..":
                    if parts:
                        parts.pop()
                elif piece not in ("", "."):
                    parts.append(piece)
            resolved = "/".join(parts)
        out.append((kind, resolved))
    return out


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(sheet name, kind 'worksheet'/'chartsheet', part path) in workbook order."""
    try:
        root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    except (KeyError, ElementTree.ParseError):
        return []
    targets: dict[str | None, tuple[str, str]] = {}
    with contextlib.suppress(KeyError, ElementTree.ParseError):
        rels_root = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        for rel in rels_root.iter(f"{{{_NS_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id")] = (rel.get("Type", "").rsplit("/", 1)[-1], target)
    sheets = []
    for sheet in root.iter(f"{{{_NS_MAIN}}}sheet"):
        rid = sheet.get(f"{{{_NS_REL}}}id")
        kind, target = targets.get(rid, ("worksheet", ""))
        sheets.append((sheet.get("name", ""), kind, target))
    return sheets


def lossy_content_of(data: bytes, managed: Iterable[str] = MANAGED_TABS) -> list[str]:
    """Plain-English notes on what saving this workbook with openpyxl would lose.

    Read from the zip parts before any write: drawings, shapes, images and charts on the
    staff's own sheets, extension-list features (drop-downs that refer to another sheet,
    newer conditional formats, sparklines, slicers), threaded comments, pivot tables,
    form controls and macros. Empty when a save is safe.
    """
    managed_keys = {" ".join(t.split()).casefold() for t in managed}
    notes: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        for name, kind, part in _sheet_parts(archive):
            if " ".join(name.split()).casefold() in managed_keys:
                continue
            if kind == "chartsheet":
                notes.append(f"The chart sheet '{name}' would be rebuilt and lose formatting.")
                continue
            found = [
                desc for rel_kind, desc in _REL_KINDS.items() if _has_rel(archive, part, rel_kind)
            ]
            if part in names:
                xml = archive.read(part)
                found.extend(_extension_losses(xml))
            for desc in dict.fromkeys(found):
                notes.append(f"Sheet '{name}' has {desc}, which openpyxl would drop on saving.")
        if any(n.startswith("xl/vbaProject") for n in names):
            notes.append("The workbook contains macros, which openpyxl would drop on saving.")
        if any(n.startswith("xl/slicerCaches/") for n in names) and not any(
            "slicers" in note for note in notes
        ):
            notes.append("The workbook has slicers, which openpyxl would drop on saving.")
        if any(n.startswith("customXml/") for n in names):
            notes.append(
                "The workbook carries custom XML data (e.g. SharePoint properties), "
                "which openpyxl would drop on saving."
            )
    return notes


def _extension_losses(xml: bytes) -> list[str]:
    if b"extLst" not in xml:
        return []
    found = [desc for marker, desc in _EXTENSIONS if re.search(rb"<\w+:" + marker + rb"\b", xml)]
    if not found and re.search(rb"<(?:\w+:)?ext\b", xml):
        found.append("Excel extension data (newer features openpyxl does not know)")
    return found


def _has_rel(archive: zipfile.ZipFile, part: str, kind: str) -> bool:
    return any(rel_kind == kind for rel_kind, _target in _rels(archive, part))


# --------------------------------------------------------------------------------------
# The workbook the sync edits
# --------------------------------------------------------------------------------------


class PlanWorkbook:
    """The workbook loaded for editing: change only the cells asked for, then save safely."""

    def __init__(self, path: Path, data: bytes, wb: Workbook, ws: Worksheet) -> None:
        self.path = path
        self.wb = wb
        self.ws = ws
        self._original = data
        self._digest = hashlib.sha256(data).digest()
        self._snapshot = _features(wb)
        self._replaced: set[str] = set()
        self.table = self._read_table()

    @classmethod
    def load(cls, path: Path, sheet: str = PLAN_SHEET) -> PlanWorkbook:
        """Open in normal (editable) mode; raises WorkbookError with one clear sentence."""
        path = Path(path)
        data = _check_file(path)
        wb = _open(path, data, read_only=False)
        ws = _find_sheet(path, wb, sheet)
        book = cls(path, data, wb, ws)
        if not book.table.headers or not any(h.strip() for h in book.table.headers):
            raise _empty_sheet_error(path, ws.title)
        return book

    def _read_table(self) -> PlanTable:
        grid = [[_cell_value(c.value, c.data_type) for c in row] for row in self.ws.iter_rows()]
        table = table_from_grid(grid, self.ws.title)
        table.merged = [str(r) for r in self.ws.merged_cells.ranges]
        return table

    # ---- edits ---------------------------------------------------------------------

    def _cell(self, rec_no: int, label: str) -> Cell:
        row = self.table.row_of().get(rec_no)
        if row is None:
            raise WorkbookError(
                f"Rec {rec_no} is not in the '{self.ws.title}' sheet of {self.path}."
            )
        col = self.table.columns.get(label)
        if col is None:
            raise WorkbookError(
                f"The '{self.ws.title}' sheet of {self.path} has no '{label}' column."
            )
        cell = self.ws.cell(row=row, column=col)
        if isinstance(cell, MergedCell):
            raise WorkbookError(
                f"Cell {cell.coordinate} in {self.path} is part of merged cells and "
                "cannot be written; unmerge it."
            )
        return cell

    def set_cells(self, updates: Iterable[tuple[int, str, Value]]) -> None:
        """Write (Rec No., field label, value) triples, touching only those cells."""
        for rec_no, label, value in updates:
            cell = self._cell(rec_no, label)
            write_value(cell, value)
            for plan_row in self.table.rows:
                if plan_row.row == cell.row:
                    plan_row.values[label] = value
                    break

    def set_cell(self, coordinate: str, value: Value) -> None:
        """Write one plan-sheet cell by its A1 reference (`validate --fix` works by cell)."""
        cell = self.ws[coordinate]
        if isinstance(cell, MergedCell):
            raise WorkbookError(f"Cell {coordinate} is part of merged cells and cannot be written.")
        write_value(cell, value)

    def append_rows(self, rows: list[dict[str, Value]]) -> None:
        """Add rows after the last data row, styled like the row above them.

        Drop-downs and the autofilter that cover the row above are extended to the new rows.
        """
        if not rows:
            return
        last = max((r.row for r in self.table.rows), default=self.table.header_row)
        columns = {**self.table.columns}
        every_col = sorted({*columns.values(), *self.table.extra_columns.values()})
        for offset, values in enumerate(rows, start=1):
            target = last + offset
            for col in every_col:
                above = self.ws.cell(row=last, column=col)
                cell = self.ws.cell(row=target, column=col)
                if above.has_style:
                    cell._style = copy(above._style)
            height = self.ws.row_dimensions[last].height
            if height is not None:
                self.ws.row_dimensions[target].height = height
            for label, value in values.items():
                col = columns.get(label)
                if col is not None:
                    write_value(self.ws.cell(row=target, column=col), value)
            self._extend_validations(last, target, every_col)
            self.table.rows.append(
                PlanRow.model_construct(
                    row=target,
                    values={label: values.get(label) for label in columns},
                    extras={text: None for text in self.table.extra_columns},
                )
            )
        self._extend_filter(last + len(rows))

    def _extend_validations(self, above: int, target: int, cols: list[int]) -> None:
        for dv in self.ws.data_validations.dataValidation:
            for col in cols:
                ref = f"{get_column_letter(col)}{above}"
                mine = f"{get_column_letter(col)}{target}"
                if ref in dv.sqref and mine not in dv.sqref:
                    dv.sqref.add(mine)

    def _extend_filter(self, last_row: int) -> None:
        ref = self.ws.auto_filter.ref
        m = re.fullmatch(r"([A-Z]+)(\d+):([A-Z]+)(\d+)", ref or "")
        if m and int(m[4]) < last_row:
            self.ws.auto_filter.ref = f"{m[1]}{m[2]}:{m[3]}{last_row}"

    def delete_rows(self, rec_nos: Iterable[int]) -> None:
        """Remove recommendations by clearing their rows' values.

        Clearing rather than shifting rows up keeps every drop-down, conditional format,
        merged range and formula reference elsewhere pointing where it did; the blank row
        left behind is skipped by every reader.
        """
        wanted = set(rec_nos)
        every_col = sorted({*self.table.columns.values(), *self.table.extra_columns.values()})
        keep = []
        for plan_row in self.table.rows:
            if rec_no_of(plan_row.values.get(REC_NO)) in wanted:
                for col in every_col:
                    cell = self.ws.cell(row=plan_row.row, column=col)
                    if not isinstance(cell, MergedCell):
                        cell.value = None
            else:
                keep.append(plan_row)
        self.table.rows = keep

    def replace_tab(
        self, title: str, grid: list[list[Value]], *, chart: ChartSpecLike | None = None
    ) -> None:
        """Create or fully rewrite a managed tab (Summary, Sync Issues, Change Log).

        Only the named tab is touched; it keeps its place among the tabs.
        """
        if " ".join(title.split()).casefold() == " ".join(self.ws.title.split()).casefold():
            raise WorkbookError(f"The '{title}' tab holds the plan and is never regenerated.")
        index = None
        if title in self.wb.sheetnames:
            old = self.wb[title]
            index = self.wb.sheetnames.index(title)
            self.wb.remove(old)
        ws = self.wb.create_sheet(title, index)
        self._replaced.add(title)
        widths: dict[int, int] = {}
        for r, values in enumerate(grid, start=1):
            for c, value in enumerate(values, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c)
                write_value(cell, value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[c] = max(widths.get(c, 0), min(len(display(value)), 60))
        header_rows = {1} | ({chart.header_row} if chart is not None else set())
        for r in header_rows:
            for cell in ws[r] if r <= ws.max_row else ():
                if cell.value is not None:
                    cell.font = HEADER_FONT
                    cell.fill = HEADER_FILL
                    cell.alignment = Alignment(wrap_text=True, vertical="center")
        for c, width in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = max(10, width + 2)
        if grid:
            ws.freeze_panes = "A2"
        if chart is not None:
            ws.add_chart(_bar_chart(ws, chart), chart.anchor)

    # ---- inspection ----------------------------------------------------------------

    def tab_grid(self, title: str) -> list[list[Value]] | None:
        """A managed tab's current content (None when the tab is missing), so the sync can
        tell whether regenerating it would change anything and skip the write if not."""
        if title not in self.wb.sheetnames:
            return None
        ws = self.wb[title]
        return [[_cell_value(c.value, c.data_type) for c in row] for row in ws.iter_rows()]

    def lossy_content(self) -> list[str]:
        """What saving with openpyxl would lose (see `lossy_content_of`); [] when safe."""
        return lossy_content_of(self._original)

    # ---- saving --------------------------------------------------------------------

    def save(self, *, backups: int, backup_dir: Path | None = None) -> Path | None:
        """Back up, write atomically, re-open and check; returns the backup written (if any).

        Raises WorkbookBusy when Excel has the file open or it changed since it was read
        (someone saved in between: their edit must not be overwritten), and WorkbookError
        when the written file fails the survival check (the original is then restored).
        """
        reason = busy_reason(self.path)
        if reason:
            raise WorkbookBusy(reason)
        try:
            current = self.path.read_bytes()
        except OSError as exc:
            raise WorkbookBusy(f"The workbook {self.path} could not be re-read: {exc}.") from None
        if hashlib.sha256(current).digest() != self._digest:
            raise WorkbookBusy(
                f"The workbook {self.path.name} changed after it was read; it was left alone "
                "and the next run will include the new edits."
            )
        backup = self._backup(backups, backup_dir) if backups > 0 else None
        self._write_atomic(self.path)
        try:
            self._verify(self.path)
        except WorkbookError:
            _replace_bytes(self.path, self._original)
            raise
        self._original = self.path.read_bytes()
        self._digest = hashlib.sha256(self._original).digest()
        return backup

    def save_as(self, out: Path) -> None:
        """Write the workbook to another path (atomically) and check it; never the input."""
        out = Path(out)
        if _same_file(out, self.path):
            raise WorkbookError(
                f"Refusing to write over the input workbook {self.path}; choose another file."
            )
        if not out.parent.is_dir():
            raise WorkbookError(f"The folder {out.parent} does not exist.")
        self._write_atomic(out)
        try:
            self._verify(out)
        except WorkbookError:
            out.unlink(missing_ok=True)
            raise

    def _backup(self, keep: int, backup_dir: Path | None) -> Path:
        folder = backup_dir or self.path.parent / "backups"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            target = folder / f"{self.path.stem}.{stamp}{self.path.suffix}"
            target.write_bytes(self._original)
            shutil.copystat(self.path, target)
        except OSError as exc:
            raise WorkbookError(
                f"Could not back up {self.path.name} to {folder} ({exc.strerror}); "
                "the workbook was not written."
            ) from None
        pattern = re.compile(
            re.escape(self.path.stem) + r"\.\d{8}-\d{6}-\d{6}" + re.escape(self.path.suffix) + "$"
        )
        existing = sorted(p for p in folder.iterdir() if pattern.match(p.name))
        for old in existing[: max(0, len(existing) - keep)]:
            with contextlib.suppress(OSError):
                old.unlink()
        return target

    def _write_atomic(self, target: Path) -> None:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=".tmp.xlsx", dir=target.parent
        )
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                self.wb.save(handle)
                handle.flush()
                os.fsync(handle.fileno())
            if target.exists():
                with contextlib.suppress(OSError):
                    shutil.copymode(target, tmp)
            os.replace(tmp, target)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise WorkbookError(
                    f"The workbook {target} could not be written ({exc.strerror}); "
                    "it was left as it was."
                ) from None
            raise WorkbookError(
                f"The workbook {target} could not be written ({type(exc).__name__}: "
                f"{_short(exc)}); it was left as it was."
            ) from None

    def _verify(self, target: Path) -> None:
        """Re-open what was written and check the staff's content survived."""
        try:
            wb = load_workbook(target)
        except Exception as exc:
            raise WorkbookError(
                f"The written workbook {target} could not be re-opened ({_short(exc)}); "
                "the original was kept."
            ) from None
        after = _features(wb)
        before = {k: v for k, v in self._snapshot.items() if k[0] not in self._replaced}
        problems = [
            f"{what} on '{sheet}'" if sheet else what
            for (sheet, what), value in before.items()
            if after.get((sheet, what)) != value
            and not _grew(what, value, after.get((sheet, what)))
        ]
        if not problems:
            problems = self._check_values(wb)
        if problems:
            raise WorkbookError(
                f"Writing {target.name} would have lost {', '.join(problems[:5])}; "
                "the original was kept."
            )

    def _check_values(self, wb: Workbook) -> list[str]:
        ws = wb[self.ws.title]
        grid = [[_cell_value(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
        again = table_from_grid(grid, ws.title).by_rec_no()
        want = self.table.by_rec_no()
        for rec_no, values in want.items():
            got = again.get(rec_no, {})
            for label, value in values.items():
                if normalise(label, value) != normalise(label, got.get(label)):
                    return [f"the value of {label} for Rec {rec_no}"]
        return []


def _grew(what: str, before: Any, after: Any) -> bool:
    """Added managed tabs and wider drop-down ranges are growth, not loss."""
    if what == "sheets":
        return isinstance(after, tuple) and set(before) <= set(after)
    return what == "data validations" and isinstance(after, int) and after >= before


def _features(wb: Workbook) -> dict[tuple[str, str], Any]:
    """What must survive a save: sheets, drop-downs, names, comments, widths, merges."""
    out: dict[tuple[str, str], Any] = {("", "sheets"): tuple(wb.sheetnames)}
    out[("", "defined names")] = tuple(sorted(wb.defined_names.keys()))
    for ws in wb.worksheets:
        name = ws.title
        out[(name, "data validations")] = len(ws.data_validations.dataValidation)
        out[(name, "conditional formats")] = sum(
            len(rules) for rules in ws.conditional_formatting._cf_rules.values()
        )
        out[(name, "comments")] = sum(
            1 for row in ws.iter_rows() for cell in row if cell.comment is not None
        )
        out[(name, "column widths")] = tuple(
            sorted(
                (key, round(dim.width or 0, 2))
                for key, dim in ws.column_dimensions.items()
                if dim.customWidth
            )
        )
        out[(name, "merged cells")] = tuple(sorted(str(r) for r in ws.merged_cells.ranges))
        out[(name, "local names")] = tuple(sorted(ws.defined_names.keys()))
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _replace_bytes(target: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".restore", dir=target.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp_name, target)


def write_value(cell: Cell, value: Value) -> None:
    """Write a value the way the plan means it: text stays text, dates are dates."""
    if isinstance(value, Formula):
        cell.value = str(value)
        return
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # text starting with '=' is text, not a formula
        return
    cell.value = value
    if isinstance(value, dt.date) and not is_date_format(cell.number_format):
        cell.number_format = DATE_FORMAT


def _bar_chart(ws: Worksheet, spec: ChartSpecLike) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = spec.title
    chart.style = 10
    if getattr(spec, "stacked", False):
        chart.grouping = "stacked"
        chart.overlap = 100
    for col in spec.series_cols:
        data = Reference(ws, min_col=col, min_row=spec.header_row, max_row=spec.last_row)
        chart.add_data(data, titles_from_data=True)
    cats = Reference(ws, min_col=spec.category_col, min_row=spec.first_row, max_row=spec.last_row)
    chart.set_categories(cats)
    chart.height = 8
    chart.width = 16
    return chart


def iter_sheet_names(path: Path) -> Iterator[str]:
    """The sheet names of a workbook, cheaply (for messages and tests)."""
    data = _check_file(Path(path))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name, _kind, _part in _sheet_parts(archive):
            yield name
