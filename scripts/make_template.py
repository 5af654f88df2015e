"""Build templates/plan.xlsx from templates/plan.toml (the reviewable text source).

Usage: python scripts/make_template.py [SOURCE.toml] [OUT.xlsx]

Rows are written in Rec No. order (1-34), not the seed's section order: staff and the
inspectors refer to recommendations by number, the sync keys on it, and the Section column
(with its filter) still groups them by section in one click. The output is deterministic:
fixed document dates and fixed zip timestamps, so rebuilding gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import tomllib
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ccrc_sync.schema import (
    ACTION,
    DATE_FIELDS,
    DEFAULT_SECTIONS,
    DEFAULT_STATUSES,
    FIELDS,
    LAST_UPDATED,
    NOTES,
    OWNER,
    PLAN_SHEET,
    REC_NO,
    RECOMMENDATION,
    SECTION,
    STATUS,
    TARGET_DATE,
    parse_date_text,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "templates" / "plan.toml"
OUT = ROOT / "templates" / "plan.xlsx"

# toml key per column label.
KEYS = {
    REC_NO: "rec_no",
    SECTION: "section",
    RECOMMENDATION: "recommendation",
    ACTION: "action",
    STATUS: "status",
    OWNER: "owner",
    TARGET_DATE: "target_date",
    LAST_UPDATED: "last_updated",
    NOTES: "notes",
}
WIDTHS = {
    REC_NO: 9,
    SECTION: 24,
    RECOMMENDATION: 80,
    ACTION: 45,
    STATUS: 14,
    OWNER: 20,
    TARGET_DATE: 13,
    LAST_UPDATED: 13,
    NOTES: 40,
}
DATE_FORMAT = "dd/mm/yyyy"
# Drop-downs reach well below the plan so rows staff add get them too.
VALIDATION_LAST_ROW = 1000
# Fixed so the file is the same every time it is built.
BUILT = dt.datetime(2026, 7, 2, 0, 0, 0)
ZIP_TIME = (2026, 7, 2, 0, 0, 0)

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def load_rows(source: Path) -> list[dict[str, object]]:
    """The plan's rows from the TOML source, sorted by Rec No."""
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    rows = sorted(data["rec"], key=lambda r: int(r["rec_no"]))
    numbers = [int(r["rec_no"]) for r in rows]
    if len(set(numbers)) != len(numbers):
        raise SystemExit(f"{source}: a Rec No. appears twice.")
    return rows


def _cell_value(label: str, raw: object) -> object:
    if raw in ("", None):
        return None
    if label in DATE_FIELDS:
        day = parse_date_text(raw)
        if day is None:
            raise SystemExit(f"{label} {raw!r} is not a date (use 2027-03-31).")
        return day
    return raw


def build_template(source: Path = SOURCE, out: Path = OUT) -> Path:
    """Write the workbook for people: frozen styled header, widths, filter, drop-downs."""
    rows = load_rows(source)
    wb = Workbook()
    ws = wb.active
    ws.title = PLAN_SHEET
    ws.append(list(FIELDS))
    for record in rows:
        ws.append([_cell_value(label, record.get(KEYS[label], "")) for label in FIELDS])
    last = len(rows) + 1

    for col, label in enumerate(FIELDS, start=1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = WIDTHS[label]
        header = ws.cell(row=1, column=col)
        header.font = HEADER_FONT
        header.fill = HEADER_FILL
        header.border = BORDER
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for row in range(2, last + 1):
            cell = ws.cell(row=row, column=col)
            cell.border = BORDER
            cell.alignment = Alignment(
                vertical="top",
                wrap_text=True,
                horizontal="center" if label in (REC_NO, *DATE_FIELDS) else None,
            )
            if label in DATE_FIELDS:
                cell.number_format = DATE_FORMAT
        if label in DATE_FIELDS:
            # Column-level format: dates typed into new rows show as dates too.
            ws.column_dimensions[letter].number_format = DATE_FORMAT
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(FIELDS))}{last}"

    for label, vocabulary in ((STATUS, DEFAULT_STATUSES), (SECTION, DEFAULT_SECTIONS)):
        letter = get_column_letter(FIELDS.index(label) + 1)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(vocabulary) + '"',
            allow_blank=True,
            showDropDown=False,
            showErrorMessage=True,
            errorTitle=f"Not a {label.lower()}",
            error=f"Choose one of: {', '.join(vocabulary)}.",
            showInputMessage=True,
            promptTitle=label,
            prompt=f"Pick from the list: {', '.join(vocabulary)}.",
        )
        dv.add(f"{letter}2:{letter}{VALIDATION_LAST_ROW}")
        ws.add_data_validation(dv)

    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    wb.properties.title = "CCRC action plan"
    wb.properties.creator = "ccrc-sync"
    wb.properties.lastModifiedBy = "ccrc-sync"
    wb.properties.created = BUILT
    wb.properties.modified = BUILT

    buffer = io.BytesIO()
    wb.save(buffer)
    out.write_bytes(_fixed_timestamps(buffer.getvalue()))
    return out


def _fixed_timestamps(data: bytes) -> bytes:
    """Rewrite the zip with fixed entry times so identical content gives identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time here; pin it to the build date.
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + BUILT.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    content,
                )
            target.writestr(fixed, content)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else SOURCE
    out = Path(argv[2]) if len(argv) > 2 else OUT
    build_template(source, out)
    print(f"Wrote {out} from {source}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
