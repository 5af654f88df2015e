"""Build templates/plan.xlsx from templates/plan.toml (the reviewable text source).

Usage: python scripts/make_template.py [SOURCE.toml [OUT.xlsx]] [--config PATH]

Rows are written in Rec No. order (1-34), each lettered part (18a, 18b ...) straight
under its recommendation, not in the seed's section order: staff and the inspectors
refer to recommendations by number, the sync keys on it, and the Section column (with its
filter) still groups them by section in one click.

The set of statuses and sections (the drop-downs, and the colours of the status cells)
comes from the configuration's `[plan]` (`config/ccrc_sync.toml` unless `--config` names
another), never from a default written here, so a template always agrees with the
configuration that validates it. Every row that holds wrapped text gets a height that
fits it (`layout.row_height`), so a long Recommendation never spills over the rows below
when the workbook is opened or printed.

The output is deterministic: fixed document dates and fixed zip timestamps, so
rebuilding gives the same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import tomllib
import zipfile
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ccrc_sync.config import PlanConfig, load_config
from ccrc_sync.errors import ConfigError
from ccrc_sync.layout import COLOURS, row_height
from ccrc_sync.schema import (
    ACTION,
    COMPLETED_ON,
    DATE_FIELDS,
    EVIDENCE,
    FIELDS,
    LAST_UPDATED,
    NOTES,
    OWNER,
    REC_NO,
    RECOMMENDATION,
    SECTION,
    STATUS,
    TARGET_DATE,
    Value,
    canonical,
    parent_of,
    parse_date_text,
    rec_cell_value,
    rec_no_of,
    rec_sort_key,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "templates" / "plan.toml"
OUT = ROOT / "templates" / "plan.xlsx"
CONFIG = ROOT / "config" / "ccrc_sync.toml"

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
    EVIDENCE: "evidence",
    COMPLETED_ON: "completed_on",
}
# What a part takes from its recommendation when its own entry does not say.
INHERITED = (SECTION, ACTION, STATUS)
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
    EVIDENCE: 40,
    COMPLETED_ON: 13,
}
# A part's text is indented one step under its recommendation's.
PART_INDENT = 1
# Excel indents by about three characters per step; the text wraps that much sooner.
INDENT_CHARS = 3
CENTRED = (REC_NO, *DATE_FIELDS)
DATE_FORMAT = "dd/mm/yyyy"
# Drop-downs and status colours reach well below the plan so rows staff add get them too.
VALIDATION_LAST_ROW = 1000
HEADER_HEIGHT = 30
# Fixed so the file is the same every time it is built.
BUILT = dt.datetime(2026, 7, 2, 0, 0, 0)
ZIP_TIME = (2026, 7, 2, 0, 0, 0)

HEADER_FILL = PatternFill("solid", fgColor=COLOURS.header_fill)
HEADER_FONT = Font(bold=True, color=COLOURS.header_text)
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

Record = dict[str, object]


def plan_config(config: Path | None = None) -> PlanConfig:
    """The `[plan]` settings the template is built for (environment overrides ignored, so
    the committed template never depends on who built it)."""
    return load_config(config or CONFIG, env={}).plan


def load_rows(source: Path) -> list[dict[str, Value]]:
    """The template's rows (label -> raw value), parents and parts, sorted by Rec No."""
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    rows: list[dict[str, Value]] = []
    for record in data["rec"]:
        parent = _row(record, source)
        rows.append(parent)
        for part in record.get("part", []):
            rows.append(_part_row(part, parent, source))
    keys = [str(r[REC_NO]) for r in rows]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1}, key=rec_sort_key)
        raise SystemExit(f"{source}: Rec No. {', '.join(twice)} appears twice.")
    return sorted(rows, key=lambda r: rec_sort_key(str(r[REC_NO])))


def _row(record: Mapping[str, object], source: Path) -> dict[str, Value]:
    key = rec_no_of(_value(record.get("rec_no")))
    if key is None or parent_of(key) is not None:
        raise SystemExit(f"{source}: {record.get('rec_no')!r} is not a recommendation's Rec No.")
    row = {label: _value(record.get(KEYS[label], "")) for label in FIELDS}
    row[REC_NO] = key
    return row


def _part_row(
    part: Mapping[str, object], parent: Mapping[str, Value], source: Path
) -> dict[str, Value]:
    key = rec_no_of(_value(part.get("rec_no")))
    if key is None or parent_of(key) != parent[REC_NO]:
        raise SystemExit(
            f"{source}: the part {part.get('rec_no')!r} under Rec {parent[REC_NO]} must be "
            f"numbered {parent[REC_NO]}a, {parent[REC_NO]}b and so on."
        )
    row = {label: _value(part.get(KEYS[label], "")) for label in FIELDS}
    row[REC_NO] = key
    for label in INHERITED:
        if row[label] is None:
            row[label] = parent[label]
    return row


def _value(raw: object) -> Value:
    if raw in ("", None):
        return None
    if isinstance(raw, str | int | float | dt.date):
        return raw
    raise SystemExit(f"{raw!r} is not a cell value.")


def _cell_value(label: str, raw: Value) -> Value:
    if raw is None:
        return None
    if label == REC_NO:
        return rec_cell_value(str(raw))
    if label in DATE_FIELDS:
        day = parse_date_text(raw)
        if day is None:
            raise SystemExit(f"{label} {raw!r} is not a date (use 2027-03-31).")
        return day
    return raw


def _check_vocabulary(rows: list[dict[str, Value]], plan: PlanConfig, source: Path) -> None:
    """The template must pass its own drop-downs: every status and section configured."""
    for row in rows:
        for label, vocabulary in ((STATUS, plan.statuses), (SECTION, plan.sections)):
            value = row[label]
            if canonical(vocabulary, value) != value:
                raise SystemExit(
                    f"{source}: Rec {row[REC_NO]}'s {label.lower()} {value!r} is not one of "
                    f"the configured {label.lower()}es ({', '.join(vocabulary)})."
                )


def status_colours(plan: PlanConfig) -> dict[str, str]:
    """Configured status -> fill colour: the planned, in-progress and complete statuses
    take the palette's three colours; any other configured status stays uncoloured."""
    roles = {
        plan.planned_status: COLOURS.statuses["Planned"],
        plan.in_progress_status: COLOURS.statuses["In Progress"],
        plan.complete_status: COLOURS.statuses["Complete"],
    }
    colours: dict[str, str] = {}
    for configured, colour in roles.items():
        status = canonical(plan.statuses, configured)
        if status is not None:
            colours.setdefault(status, colour)
    return colours


def _height(row: Mapping[str, Value]) -> float | None:
    """Points for a row whose wrapped texts need more than one line."""
    texts: list[tuple[str, float]] = []
    for label in FIELDS:
        value = row[label]
        if not isinstance(value, str) or label == REC_NO:
            continue
        width = float(WIDTHS[label])
        if label == RECOMMENDATION and parent_of(str(row[REC_NO])) is not None:
            width -= PART_INDENT * INDENT_CHARS
        texts.append((value, width))
    return row_height(texts)


def build_template(source: Path = SOURCE, out: Path = OUT, plan: PlanConfig | None = None) -> Path:
    """Write the workbook for people: frozen styled header, widths, filter, drop-downs,
    coloured statuses and rows tall enough for their text."""
    plan = plan or plan_config()
    rows = load_rows(source)
    _check_vocabulary(rows, plan, source)
    wb = Workbook()
    ws = wb.active
    ws.title = plan.sheet
    ws.append(list(FIELDS))
    for record in rows:
        ws.append([_cell_value(label, record[label]) for label in FIELDS])
    last = len(rows) + 1

    for col, label in enumerate(FIELDS, start=1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = WIDTHS[label]
        header = ws.cell(row=1, column=col)
        header.font = HEADER_FONT
        header.fill = HEADER_FILL
        header.border = BORDER
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for index, record in enumerate(rows, start=2):
            cell = ws.cell(row=index, column=col)
            cell.border = BORDER
            indented = label == RECOMMENDATION and parent_of(str(record[REC_NO])) is not None
            cell.alignment = Alignment(
                vertical="top",
                wrap_text=True,
                # An indent only shows on left-aligned text.
                horizontal="center" if label in CENTRED else "left" if indented else None,
                indent=PART_INDENT if indented else 0,
            )
            if label in DATE_FIELDS:
                cell.number_format = DATE_FORMAT
        if label in DATE_FIELDS:
            # Column-level format: dates typed into new rows show as dates too.
            ws.column_dimensions[letter].number_format = DATE_FORMAT
    ws.row_dimensions[1].height = HEADER_HEIGHT
    for index, record in enumerate(rows, start=2):
        height = _height(record)
        if height is not None:
            ws.row_dimensions[index].height = height
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(FIELDS))}{last}"

    for label, vocabulary in ((STATUS, plan.statuses), (SECTION, plan.sections)):
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

    status_letter = get_column_letter(FIELDS.index(STATUS) + 1)
    status_range = f"{status_letter}2:{status_letter}{VALIDATION_LAST_ROW}"
    for status, colour in status_colours(plan).items():
        # Excel compares text case-insensitively here, so "In progress" is coloured too.
        quoted = '"' + status.replace('"', '""') + '"'
        fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        ws.conditional_formatting.add(
            status_range, CellIsRule(operator="equal", formula=[quoted], fill=fill)
        )

    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
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
    parser = argparse.ArgumentParser(
        prog="make_template.py", description="Build the plan template from its TOML source."
    )
    parser.add_argument("source", nargs="?", type=Path, default=SOURCE)
    parser.add_argument("out", nargs="?", type=Path, default=OUT)
    parser.add_argument(
        "--config", type=Path, default=None, help="config whose [plan] gives the drop-downs"
    )
    args = parser.parse_args(argv[1:])
    try:
        plan = plan_config(args.config)
    except ConfigError as exc:  # one sentence, never a traceback
        print(exc, file=sys.stderr)
        return 2
    build_template(args.source, args.out, plan)
    print(f"Wrote {args.out} from {args.source}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
