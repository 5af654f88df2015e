"""The plan workbook opened for a run: read once, then patched and saved safely.

`PlanWorkbook.open` reads the file once (its bytes kept, for the "changed since read"
check and for copying untouched parts), and the plan sheet in one streaming pass that
also records where each row sits. `save` stages every change on a fresh `Package`,
writes it beside the workbook, swaps it in and checks it: untouched parts identical,
every part we wrote as staged (each XML part was checked well-formed before writing),
every cell we wrote reading back as written. Anything else puts the original back.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ccrc_sync.errors import WorkbookBusy, WorkbookError
from ccrc_sync.schema import (
    PLAN_SHEET,
    PlanTable,
    Value,
    a1,
    is_blank,
    parse_range,
    table_from_grid,
)
from ccrc_sync.workbook import files, marks
from ccrc_sync.workbook.bookkeeping import full_calc_on_load, put_tab
from ccrc_sync.workbook.limits import DEFAULT_LIMITS, WorkbookLimits
from ccrc_sync.workbook.package import Package, open_package, read_file
from ccrc_sync.workbook.patch import SheetPatch
from ccrc_sync.workbook.read import BookInfo, SheetScan, book_info, read_strings, scan_sheet
from ccrc_sync.workbook.styles import Styles
from ccrc_sync.workbook.tabs import TabStyles
from ccrc_sync.workbook.xmlscan import (
    XmlRefused,
    check_well_formed,
    root_declarations,
    set_attr,
    splice,
)
from ccrc_sync.writes import WorkbookWrites

STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_NOT_UTF8 = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"'](?!utf-8)", re.IGNORECASE)


class OverwritesInput(WorkbookError):
    """A copy was asked to be written over the workbook it was read from."""


@dataclass
class SaveResult:
    backup: Path | None = None
    # (row, column) -> what to hand back in CellUnmark.token to restore the cell.
    tokens: dict[tuple[int, int], str] = field(default_factory=dict)
    # One sentence per cell refused (formula cells, over-long values...): a safety net.
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Opened:
    pkg: Package
    book: BookInfo
    sheet: str  # the plan sheet's name as the workbook spells it
    part: str
    styles: Styles
    strings: list[str]
    data: bytes
    scan: SheetScan


def _open(pkg: Package, sheet: str, *, track: bool) -> _Opened:
    path, limits = pkg.path, pkg.limits
    book = book_info(pkg)
    if not book.sheets:
        raise WorkbookError(f"The workbook {path} has no sheets.")
    found = book.find(sheet)
    if found is None:
        names = ", ".join(f"'{s.name}'" for s in book.sheets)
        raise WorkbookError(f"The workbook {path} has no '{sheet}' sheet; it has: {names}.")
    if found.kind != "worksheet" or not pkg.has(found.part):
        raise WorkbookError(f"The '{found.name}' tab in {path} is not an ordinary worksheet.")
    styles_data = (
        pkg.read(book.styles_part) if book.styles_part and pkg.has(book.styles_part) else None
    )
    try:
        styles = Styles(styles_data)
    except XmlRefused as exc:
        raise WorkbookError(
            f"The workbook {path} has a damaged styles part ({exc}); restore it from a backup."
        ) from None
    strings = read_strings(pkg, book.strings_part)
    part_data = pkg.original(found.part)
    scan = scan_sheet(
        pkg, found.part, styles, strings, date1904=book.date1904, limits=limits,
        data=part_data, track=track,
    )  # fmt: skip
    return _Opened(pkg, book, found.name, found.part, styles, strings, part_data, scan)


def _table(path: Path, opened: _Opened) -> PlanTable:
    grid = opened.scan.grid
    if not any(any(not is_blank(v) for v in row) for row in grid):
        raise WorkbookError(f"The '{opened.sheet}' sheet in {path} is empty; it has no header row.")
    collecting = gc.isenabled()
    gc.disable()  # ten thousand rows of plain dicts hold no cycles
    try:
        table = table_from_grid(grid, opened.sheet)
    finally:
        if collecting:
            gc.enable()
    table.merged = list(opened.scan.merged)
    opened.scan.grid = []  # the table holds the values now
    return table


def read_plan(
    path: Path, sheet: str = PLAN_SHEET, *, limits: WorkbookLimits = DEFAULT_LIMITS
) -> PlanTable:
    """The plan sheet as a `PlanTable`, in one streaming pass; the file is never changed."""
    path = Path(path)
    return _table(path, _open(open_package(path, limits), sheet, track=False))


class PlanWorkbook:
    """The workbook as read for a run; `save` applies a run's `WorkbookWrites` to it."""

    def __init__(self, pkg: Package, sheet: str) -> None:
        self._fresh: _Opened | None = None
        self.path = pkg.path
        self._sheet = sheet
        self._limits = pkg.limits
        self._load(pkg)

    def _load(self, pkg: Package) -> None:
        self._data = pkg.data
        self._fresh = _open(pkg, self._sheet, track=True)
        self._table = _table(self.path, self._fresh)

    @property
    def _opened(self) -> _Opened:
        if self._fresh is None:  # saved since: read what is now on disk, once, when asked
            self._load(Package(self.path, self._data, self._limits))
        assert self._fresh is not None
        return self._fresh

    @property
    def table(self) -> PlanTable:
        """The plan sheet as `read_plan` gives it (after a save: as saved)."""
        if self._fresh is None:
            self._load(Package(self.path, self._data, self._limits))
        return self._table

    @classmethod
    def open(
        cls, path: Path, sheet: str = PLAN_SHEET, *, limits: WorkbookLimits = DEFAULT_LIMITS
    ) -> PlanWorkbook:
        return cls.from_package(open_package(Path(path), limits), sheet)

    @classmethod
    def from_package(cls, pkg: Package, sheet: str = PLAN_SHEET) -> PlanWorkbook:
        """The workbook from the package `check_container` already read and checked, so a
        run reads the file once; a save still refuses when the file changed since."""
        return cls(pkg, sheet)

    def tab_grid(self, title: str) -> list[list[Value]] | None:
        """A generated tab's values (None when there is no such tab)."""
        opened = self._opened
        found = opened.book.find(title)
        if found is None or found.kind != "worksheet" or not opened.pkg.has(found.part):
            return None
        scan = scan_sheet(
            opened.pkg, found.part, opened.styles, opened.strings,
            date1904=opened.book.date1904, limits=self._limits,
        )  # fmt: skip
        return scan.grid

    # ---- saving --------------------------------------------------------------------

    def save(
        self, writes: WorkbookWrites, *, backups: int, backup_dir: Path | None = None
    ) -> SaveResult:
        """Apply `writes` to the workbook in place: backup, temp file, replace, check."""
        target = files.real_target(self.path)
        reason = files.busy_reason(self.path)
        if reason:
            raise WorkbookBusy(reason)
        try:
            same_size = os.stat(target).st_size == len(self._data)
            current = read_file(target) if same_size else b""
        except (OSError, WorkbookError) as exc:
            raise WorkbookBusy(
                f"The workbook {self.path} could not be read again before writing ({exc}); it was "
                "left alone and the next run will catch up."
            ) from None
        if current != self._data:
            raise WorkbookBusy(
                f"The workbook {self.path.name} changed after it was read; it was left alone "
                "and the next run will include the new edits."
            )
        if writes.empty:
            return SaveResult()
        staged, result, check = self._stage(writes, target)
        result.backup = (
            files.backup(target, self._data, backups, backup_dir) if backups > 0 else None
        )
        written = files.replace_checked(target, staged.write_to, check, original=self._data)
        self._data, self._fresh = written, None
        return result

    def save_copy(self, out: Path, writes: WorkbookWrites) -> SaveResult:
        """Write the workbook with `writes` applied to `out` (never the input) and check it.

        Raises OverwritesInput when `out` is the input under any name (a link, `./`)."""
        out = Path(out)
        if _same(out, self.path):
            raise OverwritesInput(
                f"Refusing to write over the input workbook {self.path}; choose another file."
            )
        if not out.parent.is_dir():
            raise WorkbookError(f"The folder {out.parent} does not exist.")
        staged, result, check = self._stage(writes, out)
        original = read_file(out) if out.is_file() else None
        like = out if original is not None else files.real_target(self.path)
        files.replace_checked(out, staged.write_to, check, original=original, like=like)
        return result

    def _stage(self, writes: WorkbookWrites, target: Path) -> tuple[Package, SaveResult, _Check]:
        opened = self._opened
        if opened.book.strict:
            raise WorkbookError(
                f"The workbook {self.path} is saved as Strict Open XML; ccrc-sync can read it but "
                "not write it. Save it in Excel as an ordinary Excel Workbook (.xlsx)."
            )
        if opened.data.startswith((b"\xff\xfe", b"\xfe\xff")) or _NOT_UTF8.match(opened.data):
            raise WorkbookError(
                f"The '{opened.sheet}' sheet of {self.path} is not stored as UTF-8, so it cannot "
                "be patched safely; save the workbook again in Excel."
            )
        plan_key = " ".join(opened.sheet.split()).casefold()
        for title in writes.tabs:
            if " ".join(title.split()).casefold() == plan_key:
                raise WorkbookError(f"The '{title}' tab holds the plan and is never regenerated.")
        pkg = opened.pkg.fork(target)
        styles = Styles(opened.styles.data if not opened.styles.created else None)
        last = max((r.row for r in self.table.rows), default=self.table.header_row)
        patch = SheetPatch(
            opened.data, opened.scan, styles, date1904=opened.book.date1904,
            declarations=root_declarations(opened.data), last_row=last,
            header_row=self.table.header_row,
        )  # fmt: skip
        result = SaveResult()
        for edit in writes.cells:
            why = patch.set_value(edit.row, edit.col, edit.value)
            if why:
                result.skipped.append(f"Cell {a1(edit.row, edit.col)} was not written: {why}.")
        appended = last
        for append in writes.appends:
            appended, refused = patch.append_row(append.values)
            for col, why in refused:
                result.skipped.append(f"Cell {a1(appended, col)} was not written: {why}.")
        marks.apply(writes, pkg, opened.part, patch, styles, result.tokens, result.skipped)
        tab_styles = TabStyles(styles)
        book = replace(opened.book, sheets=list(opened.book.sheets))
        for layout in writes.tabs.values():
            put_tab(pkg, book, layout, tab_styles, date1904=opened.book.date1904)
        new_sheet = patch.render()
        if new_sheet != opened.data:
            pkg.put(opened.part, new_sheet)
        if styles.changed:
            if styles.incomplete:
                raise WorkbookError(
                    f"The styles of {self.path} lack a list Excel always writes, so formats "
                    "cannot be added safely; save the workbook again in Excel."
                )
            self._put_styles(pkg, styles)
        if appended > last:
            _extend_tables(pkg, opened.part, last, appended)
        if new_sheet != opened.data or writes.tabs:
            full_calc_on_load(pkg, opened.book.part)
        self._check_staged(pkg)
        return pkg, result, _Check(self, pkg, patch)

    def _check_staged(self, pkg: Package) -> None:
        """Every XML part we changed is well-formed, checked before a byte is written (a
        fault of ours must not cost a backup, a swap and a restore). VML is left out: Excel
        itself writes it as loose HTML-like text."""
        for name, data in pkg.changed.items():
            if not name.endswith((".xml", ".rels")):
                continue
            try:
                check_well_formed(data)
            except XmlRefused as exc:
                raise WorkbookError(
                    f"The part {name} ccrc-sync built for {self.path} is not well-formed XML "
                    f"({exc}); the workbook was not written."
                ) from None

    def _put_styles(self, pkg: Package, styles: Styles) -> None:
        part = self._opened.book.styles_part
        if part is None or styles.created:
            part = "xl/styles.xml"
            pkg.add_rel(self._opened.book.part, REL_STYLES, part)
            pkg.set_override(part, STYLES_TYPE)
        pkg.put(part, styles.render())


class _Check:
    """The check after writing: what must be identical, written as staged and read back."""

    def __init__(self, book: PlanWorkbook, pkg: Package, patch: SheetPatch) -> None:
        self.book = book
        self.pkg = pkg
        self.patch = patch
        self.sheet = pkg.changed.get(book._opened.part)

    def __call__(self, written: bytes) -> None:
        opened = self.book._opened
        new = Package(self.pkg.path, written, self.book._limits)
        expected = set(self.pkg.names())
        if set(new.infos) != expected:
            raise WorkbookError(
                f"The written workbook {self.pkg.path} does not hold the parts it should; "
                "the original was put back."
            )
        for name, info in new.infos.items():
            # Inflating every part, a chunk at a time, checks its bytes against its CRC.
            size = sum(len(chunk) for chunk in new.stream(name))
            if size != info.file_size:
                raise WorkbookError(f"The part {name} of {self.pkg.path} is damaged.")
            if name in self.pkg.changed:
                intended = self.pkg.changed[name]
                if (info.CRC, info.file_size) != (zlib.crc32(intended), len(intended)):
                    raise WorkbookError(f"The part {name} was not written as intended.")
            else:
                before = self.pkg.infos[name]
                if (info.CRC, info.file_size) != (before.CRC, before.file_size):
                    raise WorkbookError(
                        f"The part {name} of {self.pkg.path} changed although it should not "
                        "have; the original was put back."
                    )
        if self.sheet is not None:
            self._read_back(opened)

    def _read_back(self, opened: _Opened) -> None:
        assert self.sheet is not None
        patch = self.patch
        rows = b"".join(self.sheet[start:end] for _row, start, end in patch.spans)
        q = f"{patch.scan.prefix}:".encode() if patch.scan.prefix else b""
        doc = (
            b"<" + q + b"worksheet " + root_declarations(self.sheet) + b"><" + q + b"sheetData>"
            + rows + b"</" + q + b"sheetData></" + q + b"worksheet>"
        )  # fmt: skip
        scan = scan_sheet(
            self.pkg, opened.part, patch.styles, opened.strings,
            date1904=opened.book.date1904, limits=self.book._limits, data=doc,
        )  # fmt: skip
        for (row, col), want in patch.written.items():
            line = scan.grid[row - 1] if row <= len(scan.grid) else []
            got = line[col - 1] if col <= len(line) else None
            if not _same_value(want, got):
                raise WorkbookError(
                    f"The value written to {a1(row, col)} of {self.pkg.path} did not read back "
                    "as written; the original was put back."
                )


def _same_value(want: Value, got: Value) -> bool:
    if want is None or want == "":
        return got is None or got == ""
    if isinstance(want, dt.datetime) and isinstance(got, dt.datetime):
        return abs((want.replace(tzinfo=None) - got).total_seconds()) < 0.002
    if isinstance(want, dt.datetime) and isinstance(got, dt.date):
        return want.replace(tzinfo=None) == dt.datetime.combine(got, dt.time())
    if type(want) is not type(got) and not (
        isinstance(want, int | float) and isinstance(got, int | float)
    ):
        return isinstance(want, str) and isinstance(got, str) and want == got
    return want == got


def _same(a: Path, b: Path) -> bool:
    """Whether both name one existing file (links followed, hard links included)."""
    try:
        return a.samefile(b)
    except OSError:
        return False


def _extend_tables(pkg: Package, sheet_part: str, old_last: int, new_last: int) -> None:
    """Grow an Excel Table over the plan (and its autoFilter) to cover appended rows."""
    for rel in pkg.rels(sheet_part):
        if rel.type != "table" or rel.external or not pkg.has(rel.target):
            continue
        data, root = pkg.parsed(rel.target)
        if (root.get("totalsRowCount") or "0") != "0":
            continue
        try:
            r1, c1, r2, c2 = parse_range(root.get("ref") or "")
        except ValueError:
            continue
        if r2 != old_last:
            continue
        new_ref = f"{a1(r1, c1)}:{a1(new_last, c2)}"
        edits = [
            (
                root.start,
                root.inner_start,
                set_attr(data[root.start : root.inner_start], "ref", new_ref),
            )
        ]
        auto = root.find("autoFilter")
        if auto is not None:
            edits.append(
                (
                    auto.start,
                    auto.inner_start,
                    set_attr(data[auto.start : auto.inner_start], "ref", new_ref),
                )
            )
        pkg.put(rel.target, splice(data, edits))
