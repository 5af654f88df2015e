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
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.chart import BarChart, Reference
from openpyxl.reader.strings import read_string_table
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import is_date_format
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

try:  # the same guarded parser openpyxl uses when defusedxml is installed
    from defusedxml.ElementTree import fromstring as _safe_fromstring
except ImportError:  # pragma: no cover - defusedxml is a dependency
    from xml.etree.ElementTree import fromstring as _safe_fromstring

from ccrc_sync.errors import WorkbookBusy, WorkbookError
from ccrc_sync.schema import (
    PLAN_SHEET,
    REC_NO,
    Formula,
    PlanRow,
    PlanTable,
    Value,
    a1,
    display,
    is_blank,
    normalise,
    rec_no_of,
    table_from_grid,
)
from ccrc_sync.summary import ChartSpec

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
    if isinstance(value, DataTableFormula):  # a what-if table: no text, only its inputs
        return Formula(f"=TABLE({value.r1 or ''},{value.r2 or ''})")
    if data_type == "f" or isinstance(value, ArrayFormula):
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


# --------------------------------------------------------------------------------------
# What must survive a save, read straight from the zip parts
# --------------------------------------------------------------------------------------

_M = f"{{{_NS_MAIN}}}"
# Reserved names openpyxl keeps; it rebuilds `_FilterDatabase` from the autofilter and has
# never kept the rest (Criteria, Extract, ...), so only these two are held to surviving.
_KEPT_RESERVED = frozenset({"_xlnm.Print_Titles", "_xlnm.Print_Area"})
_SHEET_DATA_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData\b[^>]*?(/?)>")
_SHEET_DATA_CLOSE = b"sheetData>"
_PREFIX = re.compile(rb"(?:[A-Za-z_][\w.-]*:)?")
_ROW_START = re.compile(rb"<row\b[^>]*?\sr=\"(\d+)\"[^>]*?(/?)>")
_MAX_COLUMN = 16384
# Untouched plan rows re-read after a save, spread evenly (all of them in smaller plans).
_SAMPLE_ROWS = 64


@dataclass
class _Book:
    """What workbook.xml and its relationships say: sheets, names, parts, date system."""

    sheets: list[tuple[str, str, str]]  # (name, kind, part) in tab order
    names: dict[str | None, list[str]]  # sheet name (None: workbook-level) -> defined names
    parts: dict[str, str]  # relationship kind (styles, sharedStrings, ...) -> part
    date1904: bool


def _book_info(archive: zipfile.ZipFile) -> _Book:
    try:
        root = _safe_fromstring(archive.read("xl/workbook.xml"))
    except (KeyError, ElementTree.ParseError, ValueError):  # defusedxml refusals are ValueErrors
        return _Book([], {}, {}, False)
    targets: dict[str | None, tuple[str, str]] = {}
    with contextlib.suppress(KeyError, ElementTree.ParseError, ValueError):
        rels_root = _safe_fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        for rel in rels_root.iter(f"{{{_NS_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id")] = (rel.get("Type", "").rsplit("/", 1)[-1], target)
    sheets = []
    for sheet in root.iter(f"{_M}sheet"):
        kind, target = targets.get(sheet.get(f"{{{_NS_REL}}}id"), ("worksheet", ""))
        sheets.append((sheet.get("name", ""), kind, target))
    names: dict[str | None, list[str]] = {}
    for defined in root.iter(f"{_M}definedName"):
        name = defined.get("name", "")
        if name.startswith("_xlnm.") and name not in _KEPT_RESERVED:
            continue
        local = defined.get("localSheetId")
        owner: str | None = None
        if local is not None:
            index = int(local) if local.isdigit() else -1
            owner = sheets[index][0] if 0 <= index < len(sheets) else f"#{local}"
        names.setdefault(owner, []).append(name)
    parts = {kind: target for kind, target in targets.values()}
    pr = root.find(f"{_M}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "").lower() in ("1", "true")
    return _Book(sheets, names, parts, date1904)


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(sheet name, kind 'worksheet'/'chartsheet', part path) in workbook order."""
    return _book_info(archive).sheets


def _outside_sheet_data(xml: bytes) -> ElementTree.Element:
    """A worksheet part parsed without its cells.

    Everything the survival check counts (columns, merges, drop-downs, conditional
    formats) sits outside `<sheetData>`; cutting the cells out first keeps this to a few
    milliseconds at any size. Anything unexpected falls back to parsing the whole part.
    """
    opening = _SHEET_DATA_OPEN.search(xml)
    if opening is not None:
        stripped = None
        if opening[1]:
            stripped = xml[: opening.start()] + xml[opening.end() :]
        else:
            close = xml.rfind(_SHEET_DATA_CLOSE)
            lt = xml.rfind(b"<", opening.end(), close)
            if (
                close > opening.end()
                and lt >= 0
                and xml[lt + 1 : lt + 2] == b"/"
                and _PREFIX.fullmatch(xml, lt + 2, close)
            ):
                stripped = xml[: opening.start()] + xml[close + len(_SHEET_DATA_CLOSE) :]
        if stripped is not None:
            with contextlib.suppress(ElementTree.ParseError):
                return _safe_fromstring(stripped)
    return _safe_fromstring(xml)


def _range_key(ref: str) -> str:
    """A merged range in one spelling (`A1:A1` and `A1`, `$A$1:$B$2` and `A1:B2` alike)."""
    text = ref.replace("$", "").upper()
    try:
        min_col, min_row, max_col, max_row = range_boundaries(text)
    except (ValueError, TypeError):
        return text
    return f"{min_col},{min_row},{max_col},{max_row}"


def _number(text: str | None) -> float:
    try:
        return float(text) if text is not None else 0.0
    except ValueError:
        return 0.0


def _comment_count(archive: zipfile.ZipFile, part: str) -> int:
    total = 0
    for kind, target in _rels(archive, part):
        if kind == "comments":
            with contextlib.suppress(KeyError, ElementTree.ParseError, ValueError):
                root = _safe_fromstring(archive.read(target))
                total += sum(1 for _ in root.iter(f"{_M}comment"))
    return total


def _sheet_features(
    archive: zipfile.ZipFile, name: str, part: str, names: list[str]
) -> dict[tuple[str, str], Any]:
    root = _outside_sheet_data(archive.read(part))
    widths = set()
    for col in root.iter(f"{_M}col"):
        width = round(_number(col.get("width")), 2)
        if width <= 0:  # openpyxl writes no width of 0; hidden columns keep `hidden`
            continue
        low = int(_number(col.get("min")))
        high = min(int(_number(col.get("max"))), _MAX_COLUMN)
        widths.update((index, width) for index in range(max(low, 1), high + 1))
    return {
        (name, "data validations"): sum(1 for _ in root.iter(f"{_M}dataValidation")),
        (name, "conditional formats"): sum(1 for _ in root.iter(f"{_M}cfRule")),
        (name, "comments"): _comment_count(archive, part),
        (name, "column widths"): frozenset(widths),
        (name, "merged cells"): tuple(
            sorted(_range_key(m.get("ref", "")) for m in root.iter(f"{_M}mergeCell"))
        ),
        (name, "local names"): tuple(sorted(names)),
    }


def _features_in(archive: zipfile.ZipFile, book: _Book) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {("", "sheets"): tuple(n for n, _k, _p in book.sheets)}
    out[("", "defined names")] = tuple(sorted(book.names.get(None, [])))
    for name, kind, part in book.sheets:
        if kind != "worksheet":
            continue
        # A part this reader cannot make sense of is left unmeasured rather than blocking
        # every write; openpyxl parsed it, so it is valid XML in all but odd corners.
        with contextlib.suppress(KeyError, ElementTree.ParseError, ValueError):
            out.update(_sheet_features(archive, name, part, book.names.get(name, [])))
    return out


def workbook_features(data: bytes) -> dict[tuple[str, str], Any]:
    """What must survive a save, read from the .xlsx zip parts without parsing any cell.

    Sheets in tab order; workbook-level defined names; and for each worksheet its own
    names (print titles and print area included), the number of drop-downs and of
    conditional-format rules, the number of comments, each column's set width and the
    merged ranges. The original is measured at load and the written file after a save in
    exactly the same way, so any difference is a real change, not a reader's quirk.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return _features_in(archive, _book_info(archive))


def _grew(what: str, before: Any, after: Any) -> bool:
    """Added managed tabs, new column widths and wider drop-down ranges are growth, not loss."""
    if what == "sheets":
        return isinstance(after, tuple) and set(before) <= set(after)
    if what == "column widths":
        return isinstance(after, frozenset) and before <= after
    return what == "data validations" and isinstance(after, int) and after >= before


def _kind(value: Value) -> str:
    if is_blank(value):
        return "blank"
    if isinstance(value, Formula):
        return "formula"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text"


def _same_cell(label: str, want: Value, got: Value) -> bool:
    """Same kind (text stays text, a date a date) and the same value, as the merge compares."""
    return _kind(want) == _kind(got) and normalise(label, want) == normalise(label, got)


def _read_rows(
    archive: zipfile.ZipFile, book: _Book, part: str, wanted: set[int]
) -> dict[int, dict[int, Value]]:
    """The values of the given rows of a worksheet part, as `_cell_value` reads them.

    The rows are cut out of the part by their `<row r="N">` tags (the file is openpyxl's
    own output, one row element per row) and only they are parsed, with openpyxl's own
    cell parser, the saved stylesheet (to tell dates from numbers) and shared strings if
    any are used. A wanted row missing from the part reads as empty.
    """
    xml = archive.read(part)
    pieces = []
    for match in _ROW_START.finditer(xml):
        if int(match[1]) not in wanted:
            continue
        if match[2]:
            pieces.append(match[0])
            continue
        end = xml.find(b"</row>", match.end())
        if end < 0:
            raise ValueError(f"row {match[1]} is not closed")
        pieces.append(xml[match.start() : end + len(b"</row>")])
    doc = b"".join(
        [
            f'<worksheet xmlns="{_NS_MAIN}"><sheetData>'.encode(),
            *pieces,
            b"</sheetData></worksheet>",
        ]
    )
    strings: list[str] = []
    if b't="s"' in doc and "sharedStrings" in book.parts:
        with archive.open(book.parts["sharedStrings"]) as src:
            strings = read_string_table(src)
    date_formats: set[int] = set()
    timedelta_formats: set[int] = set()
    if "styles" in book.parts:
        with contextlib.suppress(KeyError):
            sheet = Stylesheet.from_tree(_safe_fromstring(archive.read(book.parts["styles"])))
            date_formats, timedelta_formats = sheet.date_formats, sheet.timedelta_formats
    parser = WorkSheetParser(
        io.BytesIO(doc),
        strings,
        data_only=False,
        epoch=CALENDAR_MAC_1904 if book.date1904 else CALENDAR_WINDOWS_1900,
        date_formats=date_formats,
        timedelta_formats=timedelta_formats,
    )
    out: dict[int, dict[int, Value]] = {}
    for _index, cells in parser.parse():
        for cell in cells:
            out.setdefault(cell["row"], {})[cell["column"]] = _cell_value(
                cell["value"], cell["data_type"]
            )
    return out


def _sheet_grid(ws: Worksheet) -> list[list[Value]]:
    """Every cell's value, row-major from A1 and padded like `iter_rows()` would give it,
    built from the cells the sheet holds rather than by asking for (and so creating) every
    cell of the bounding box."""
    cells = ws._cells
    if not cells:
        return []
    max_row = max(r for r, _c in cells)
    max_col = max(c for _r, c in cells)
    grid: list[list[Value]] = [[None] * max_col for _ in range(max_row)]
    for (r, c), cell in cells.items():
        value = cell._value
        if value is None:
            continue
        kind = cell.data_type
        # Plain text and numbers, most of a plan, need none of `_cell_value`'s conversions.
        simple = (kind == "s" and type(value) is str) or type(value) in (int, float)
        grid[r - 1][c - 1] = value if simple else _cell_value(value, kind)
    return grid


# --------------------------------------------------------------------------------------
# The workbook the sync edits
# --------------------------------------------------------------------------------------


class PlanWorkbook:
    """The workbook loaded for editing: change only the cells asked for, then save safely.

    `table` mirrors the plan sheet as edited; change it only through these methods, which
    keep it, the Rec No. index and the record of written cells in step.
    """

    def __init__(self, path: Path, data: bytes, wb: Workbook, ws: Worksheet) -> None:
        self.path = path
        self.wb = wb
        self.ws = ws
        self._original = data
        self._digest = hashlib.sha256(data).digest()
        self._snapshot = workbook_features(data)
        self._replaced: set[str] = set()
        # (row, column) -> the value this object wrote there; re-read after every save.
        self._written: dict[tuple[int, int], Value] = {}
        self._index: dict[int, PlanRow] | None = None
        self._index_stamp: tuple[int, int] = (0, 0)
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
        table = table_from_grid(_sheet_grid(self.ws), self.ws.title)
        table.merged = [str(r) for r in self.ws.merged_cells.ranges]
        return table

    # ---- edits ---------------------------------------------------------------------

    def _rows_by_rec_no(self) -> dict[int, PlanRow]:
        """Rec No. -> its first row (as `PlanTable.row_of`), built once, not per cell.

        Rebuilt after rows are added or removed, or the Rec No. column is written; the
        stamp also catches a caller replacing or growing `table.rows` directly.
        """
        stamp = (id(self.table.rows), len(self.table.rows))
        if self._index is None or stamp != self._index_stamp:
            index: dict[int, PlanRow] = {}
            for plan_row in self.table.rows:
                number = rec_no_of(plan_row.values.get(REC_NO))
                if number is not None and number not in index:
                    index[number] = plan_row
            self._index, self._index_stamp = index, stamp
        return self._index

    def _writable(self, row: int, col: int) -> Cell:
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
            plan_row = self._rows_by_rec_no().get(rec_no)
            if plan_row is None:
                raise WorkbookError(
                    f"Rec {rec_no} is not in the '{self.ws.title}' sheet of {self.path}."
                )
            col = self.table.columns.get(label)
            if col is None:
                raise WorkbookError(
                    f"The '{self.ws.title}' sheet of {self.path} has no '{label}' column."
                )
            write_value(self._writable(plan_row.row, col), value)
            self._written[(plan_row.row, col)] = value
            plan_row.values[label] = value
            if label == REC_NO:
                self._index = None

    def set_cell(self, coordinate: str, value: Value) -> None:
        """Write one plan-sheet cell by its A1 reference (`validate --fix` works by cell)."""
        cell = self.ws[coordinate]
        if isinstance(cell, MergedCell):
            raise WorkbookError(f"Cell {coordinate} is part of merged cells and cannot be written.")
        write_value(cell, value)
        self._written[(cell.row, cell.column)] = value
        for plan_row in self.table.rows:
            if plan_row.row == cell.row:
                for label, col in self.table.columns.items():
                    if col == cell.column:
                        plan_row.values[label] = value
                for text, col in self.table.extra_columns.items():
                    if col == cell.column:
                        plan_row.extras[text] = value
                break
        self._index = None

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
                self._written[(target, col)] = None
            height = self.ws.row_dimensions[last].height
            if height is not None:
                self.ws.row_dimensions[target].height = height
            for label, value in values.items():
                col = columns.get(label)
                if col is not None:
                    write_value(self.ws.cell(row=target, column=col), value)
                    self._written[(target, col)] = value
            self._extend_validations(last, target, every_col)
            self.table.rows.append(
                PlanRow.model_construct(
                    row=target,
                    values={label: values.get(label) for label in columns},
                    extras={text: None for text in self.table.extra_columns},
                )
            )
        self._index = None
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
                        self._written[(plan_row.row, col)] = None
            else:
                keep.append(plan_row)
        self.table.rows = keep
        self._index = None

    def replace_tab(
        self, title: str, grid: list[list[Value]], *, chart: ChartSpec | None = None
    ) -> None:
        """Create or fully rewrite a managed tab (Summary, Sync Issues, Change Log).

        Only the named tab is touched; it keeps its place among the tabs. Every cell of a
        kind shares one prepared style (wrapped text; header colours; a date format),
        copied in as a whole rather than assigned property by property, which is what
        keeps a tab of tens of thousands of cells cheap to build.
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
        styles = _TabStyles(ws)
        header_rows = {1} | ({chart.header_row} if chart is not None else set())
        widths: dict[int, int] = {}
        for r, values in enumerate(grid, start=1):
            header = r in header_rows
            for c, value in enumerate(values, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c)
                cell._style = copy(styles.pick(header, isinstance(value, dt.date)))
                write_value(cell, value)
                widths[c] = max(widths.get(c, 0), min(len(display(value)), 60))
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
        return _sheet_grid(self.wb[title])

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
        del current
        backup = self._backup(backups, backup_dir) if backups > 0 else None
        self._write_atomic(self.path)
        try:
            written = self._verify(self.path)
        except WorkbookError:
            _replace_bytes(self.path, self._original)
            raise
        self._original = written
        self._digest = hashlib.sha256(written).digest()
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

    def _verify(self, target: Path) -> bytes:
        """Re-open what was written and check the staff's content survived; its bytes.

        Checks, on the file as it is on disk: every zip member is intact (CRC); the
        features of `workbook_features` on every sheet but the regenerated tabs are as
        they were (or grew); and the plan sheet's header row, every cell this object
        wrote (set, appended or cleared) and an even sample of the other data rows hold
        what the table says, read back by kind (text stays text even when it starts
        with '=', a date stays a date). It does not re-read every untouched row: that
        full re-parse cost as much as the save itself.
        """
        try:
            data = target.read_bytes()
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                broken = archive.testzip()
                if broken is not None:
                    raise ValueError(f"the part {broken} is damaged")
                book = _book_info(archive)
                problems = self._lost_features(_features_in(archive, book))
                if not problems:
                    problems = self._check_written(archive, book)
        except WorkbookError:
            raise
        except Exception as exc:
            raise WorkbookError(
                f"The written workbook {target} could not be re-opened ({_short(exc)}); "
                "the original was kept."
            ) from None
        if problems:
            raise WorkbookError(
                f"Writing {target.name} would have lost {', '.join(problems[:5])}; "
                "the original was kept."
            )
        return data

    def _lost_features(self, after: dict[tuple[str, str], Any]) -> list[str]:
        before = {k: v for k, v in self._snapshot.items() if k[0] not in self._replaced}
        return [
            f"{what} on '{sheet}'" if sheet else what
            for (sheet, what), value in before.items()
            if after.get((sheet, what)) != value
            and not _grew(what, value, after.get((sheet, what)))
        ]

    def _expected_rows(self) -> dict[int, dict[int, Value]]:
        """Row -> column -> the value the saved plan sheet must hold there."""
        table = self.table
        by_row = {plan_row.row: plan_row for plan_row in table.rows}

        def row_values(row: int) -> dict[int, Value]:
            plan_row = by_row.get(row)
            if plan_row is None:
                return {}
            values = {col: plan_row.values.get(label) for label, col in table.columns.items()}
            for text, col in table.extra_columns.items():
                values.setdefault(col, plan_row.extras.get(text))
            return values

        rows = table.rows
        step = max(1, len(rows) // _SAMPLE_ROWS)
        sample = {plan_row.row for plan_row in rows[::step]} | ({rows[-1].row} if rows else set())
        expected = {row: row_values(row) for row in sample}
        for (row, col), value in self._written.items():
            if row not in expected:
                expected[row] = row_values(row)
            expected[row][col] = value
        return expected

    def _check_written(self, archive: zipfile.ZipFile, book: _Book) -> list[str]:
        part = next((p for n, _k, p in book.sheets if n == self.ws.title), None)
        if part is None:
            return [f"the '{self.ws.title}' sheet"]
        expected = self._expected_rows()
        header_row = self.table.header_row
        got = _read_rows(archive, book, part, {*expected, header_row})
        header = got.get(header_row, {})
        for col, text in enumerate(self.table.headers, start=1):
            if text.strip() and normalise("", header.get(col)) != normalise("", text):
                return [f"the header '{text}' in {a1(header_row, col)}"]
        labels = {col: label for label, col in self.table.columns.items()}
        for row in sorted(expected):
            cells = got.get(row, {})
            for col, want in sorted(expected[row].items()):
                label = labels.get(col, "")
                if not _same_cell(label, want, cells.get(col)):
                    named = f" ({label})" if label else ""
                    return [f"the value written to {a1(row, col)}{named}"]
        return []


class _TabStyles:
    """The few styles a managed tab uses, each registered with the workbook once."""

    def __init__(self, ws: Worksheet) -> None:
        body = Alignment(wrap_text=True, vertical="top")
        head = Alignment(wrap_text=True, vertical="center")
        self._styles = {
            (False, False): self._make(ws, body, None, None, None),
            (False, True): self._make(ws, body, None, None, DATE_FORMAT),
            (True, False): self._make(ws, head, HEADER_FONT, HEADER_FILL, None),
            (True, True): self._make(ws, head, HEADER_FONT, HEADER_FILL, DATE_FORMAT),
        }

    @staticmethod
    def _make(
        ws: Worksheet,
        alignment: Alignment,
        font: Font | None,
        fill: PatternFill | None,
        number_format: str | None,
    ) -> Any:
        proto = Cell(ws)  # never added to the sheet; only its style array is kept
        proto.alignment = alignment
        if font is not None:
            proto.font = font
        if fill is not None:
            proto.fill = fill
        if number_format is not None:
            proto.number_format = number_format
        return proto._style

    def pick(self, header: bool, dated: bool) -> Any:
        return self._styles[(header, dated)]


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


def _bar_chart(ws: Worksheet, spec: ChartSpec) -> BarChart:
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
