"""How the Google side looks to staff: the plan tab's furniture and a generated tab's
formatting, as structural requests.

Why it is shaped this way:

* Formatting costs a structural request, so it is applied once: when ccrc-sync creates a
  tab, or when the tab's *shape* changes (a digest of the shape is kept in the tab's
  developer metadata), never because what the tab says changed. The budget is a read, then
  one values write.
* A generated tab's formats therefore do not depend on its content. What is fixed by
  position is fixed by position (the frozen header rows, a title in the first row, column
  widths). What moves with content (a heading, a table's header, a conflict's row) is
  styled by conditional rules that look at a hidden column of style keys (Z): each row's
  key (`conflict`, `error`, `warning`, `info`, or its role: `title`, `heading`, `header`,
  `note`, `sentence`, or blank) is written with the tab's values, and one fixed rule per
  key turns it into fills and fonts. A new finding's wording, a new heading or a new tone
  is only a new key in that column, never a new rule.
* Widths come from the layout in characters (Excel's unit): 7 pixels a character plus
  10 for the cell's padding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccrc_sync.config import PlanConfig
from ccrc_sync.layout import COLOURS, Role, TabLayout, TabRow, Tone
from ccrc_sync.schema import (
    ACTION,
    COMPLETED_ON,
    DATE_FIELDS,
    EVIDENCE,
    LAST_UPDATED,
    NOTES,
    OWNER,
    REC_NO,
    RECOMMENDATION,
    SECTION,
    STATUS,
    TARGET_DATE,
    column_letter,
    is_blank,
)
from ccrc_sync.sheet import requests as rq
from ccrc_sync.sheet.read import rule_key

DATE_PATTERN = "dd/mm/yyyy"
DATETIME_PATTERN = "dd/mm/yyyy hh:mm"
_TITLE_POINTS = 14
# Bump when the formatting code changes what it asks for, so tabs are formatted again.
# 2: styles keyed on a hidden column instead of on the cells' text.
FORMAT_VERSION = 2

# The plan tab's columns, in characters, by field; a column staff added gets 20.
PLAN_WIDTHS: dict[str, float] = {
    REC_NO: 8,
    SECTION: 24,
    RECOMMENDATION: 50,
    ACTION: 50,
    STATUS: 14,
    OWNER: 20,
    TARGET_DATE: 12,
    LAST_UPDATED: 12,
    NOTES: 40,
    EVIDENCE: 30,
    COMPLETED_ON: 12,
}
OTHER_WIDTH = 20.0


def pixels(chars: float) -> int:
    return round(chars * 7 + 10)


def _text_format(**kwargs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key == "colour":
            rgb = rq.colour(value)
            out["foregroundColor"] = rgb
            out["foregroundColorStyle"] = {"rgbColor": rgb}
        else:
            out[key] = value
    return out


# Formats by role; `fields` lists what each sets, so nothing else of a cell is touched.
_ROLE_FORMATS: dict[Role, tuple[dict[str, Any], str]] = {
    Role.TITLE: (
        {
            "textFormat": _text_format(
                bold=True, fontSize=_TITLE_POINTS, colour=COLOURS.heading_text
            )
        },
        "textFormat",
    ),
    Role.HEADER: (
        {
            "textFormat": _text_format(bold=True, colour=COLOURS.header_text),
            **rq.fill(COLOURS.header_fill),
        },
        "textFormat,backgroundColor,backgroundColorStyle",
    ),
    Role.HEADING: (
        {"textFormat": _text_format(bold=True, fontSize=12, colour=COLOURS.heading_text)},
        "textFormat",
    ),
    Role.NOTE: ({"textFormat": _text_format(italic=True, colour=COLOURS.note_text)}, "textFormat"),
}
_NUMBER_FORMATS: dict[Role, dict[str, str]] = {
    Role.DATE: {"type": "DATE", "pattern": DATE_PATTERN},
    Role.DATETIME: {"type": "DATE_TIME", "pattern": DATETIME_PATTERN},
    Role.PERCENT: {"type": "PERCENT", "pattern": "0.0%"},
}
_PROSE_ROLES = frozenset((Role.TITLE, Role.SENTENCE, Role.NOTE))


# --------------------------------------------------------------------------- plan tab


def plan_furniture(
    sheet_id: int,
    header_row: int,
    columns: Mapping[str, int],
    width: int,
    plan: PlanConfig,
    *,
    strict: bool,
    lenient: frozenset[str] = frozenset(),
) -> list[rq.Request]:
    """The plan tab's furniture: a bold frozen header, widths, wrapping, `dd/mm/yyyy`
    dates, Status and Section drop-downs, and Status colours. Every rule reaches the end
    of the tab, so rows staff add later get them too; no cell's value is touched. A
    drop-down of a field in `lenient` only flags a value outside its list."""
    by_col = {col: label for label, col in columns.items()}
    out = [rq.freeze_rows(sheet_id, header_row)]
    out += rq.column_widths(
        sheet_id,
        [pixels(PLAN_WIDTHS.get(by_col.get(c, ""), OTHER_WIDTH)) for c in range(1, width + 1)],
    )
    out.append(
        rq.repeat_format(
            rq.grid_range(sheet_id, header_row, None, 1, width),
            {"wrapStrategy": "WRAP", "verticalAlignment": "TOP"},
            "wrapStrategy,verticalAlignment",
        )
    )
    out.append(
        rq.repeat_format(
            rq.grid_range(sheet_id, header_row, header_row, 1, width),
            {"textFormat": {"bold": True}},
            "textFormat.bold",
        )
    )
    first = header_row + 1
    for label in DATE_FIELDS:
        if label in columns:
            out.append(
                rq.repeat_format(
                    rq.grid_range(sheet_id, first, None, columns[label], columns[label]),
                    {"numberFormat": {"type": "DATE", "pattern": DATE_PATTERN}},
                    "numberFormat",
                )
            )
    for label, words in ((STATUS, plan.statuses), (SECTION, plan.sections)):
        if label in columns:
            col = columns[label]
            rng = rq.grid_range(sheet_id, first, None, col, col)
            out.append(rq.list_validation(rng, words, strict=strict and label not in lenient))
    if STATUS in columns:
        col = columns[STATUS]
        rng = rq.grid_range(sheet_id, first, None, col, col)
        for status, hex_rgb in COLOURS.statuses.items():
            word = next((s for s in plan.statuses if s.casefold() == status.casefold()), None)
            if word is not None:
                out.append(
                    rq.conditional_rule(
                        [rng], "TEXT_EQ", [word], {"backgroundColor": rq.colour(hex_rgb)}
                    )
                )
    return out


# --------------------------------------------------------------------------- generated tabs

# The hidden column of style keys: Z, the last column of a new tab's default grid, so it
# exists without growing the grid and sits far past every generated tab's tables (Summary
# 5 columns, Sync Issues 7, Change Log 8). A tab as wide as Z would take the next column.
STYLE_COLUMN = 26
# A row's style key: its tone when it has one, else the role all its cells share.
_ROW_ROLES = frozenset((Role.TITLE, Role.SENTENCE, Role.HEADING, Role.HEADER, Role.NOTE))
# Google sizes a chart in pixels; the Google side's chart is this wide per column it spans.
CHART_COLUMN_PX = 100
ROW_PX = 21


@dataclass(frozen=True)
class TabFormat:
    """A generated tab's formatting: the fixed requests, the chart, the conditional rules
    keyed on the style column (by condition key), that column, and the shape's digest."""

    fixed: list[rq.Request]
    chart: rq.Request | None
    digest: str
    rules: dict[str, rq.Request] = field(default_factory=dict)
    style_col: int = STYLE_COLUMN
    # The columns the grid must have: the style column's, and the chart's anchor cell's.
    columns: int = STYLE_COLUMN


def tab_width(layout: TabLayout) -> int:
    """The tab's used columns: its widest row, or as many columns as it has widths."""
    return max(layout.width, len(layout.widths), 1)


def style_column(layout: TabLayout) -> int:
    return max(STYLE_COLUMN, tab_width(layout) + 1)


def style_key(row: TabRow) -> str:
    """What the hidden column holds for `row`: `conflict`, `error`, `warning`, `info` for
    a toned row, else `title`, `sentence`, `heading`, `header` or `note` when every cell
    holding something has that role, else "" (plain)."""
    tone = Tone(row.tone)
    if tone is not Tone.PLAIN:
        return tone.value
    roles = {Role(c.role) for c in row.cells if not is_blank(c.value)}
    if len(roles) == 1 and (role := next(iter(roles))) in _ROW_ROLES:
        return role.value
    return ""


def style_keys(layout: TabLayout) -> list[str]:
    """The style key of each row of `layout`, top to bottom."""
    return [style_key(row) for row in layout.rows]


def _style_formats() -> list[tuple[str, dict[str, Any], bool]]:
    """(key, format, only cells holding something) for each key that shows at all. A
    conditional format can set only bold, italic, strikethrough, colours and fills, so the
    font sizes of the title and headings are not here (the title's is fixed by position);
    a sentence shows as plain text and has no rule."""
    out: list[tuple[str, dict[str, Any], bool]] = [
        (tone.value, rq.fill(COLOURS.tones[tone]), False)
        for tone in (Tone.CONFLICT, Tone.ERROR, Tone.WARNING, Tone.INFO)
    ]
    heading = {"textFormat": _text_format(bold=True, colour=COLOURS.heading_text)}
    out += [
        (Role.TITLE.value, heading, False),
        (Role.HEADING.value, heading, False),
        (
            Role.HEADER.value,
            {
                "textFormat": _text_format(bold=True, colour=COLOURS.header_text),
                **rq.fill(COLOURS.header_fill),
            },
            True,
        ),
        (
            Role.NOTE.value,
            {"textFormat": _text_format(italic=True, colour=COLOURS.note_text)},
            False,
        ),
    ]
    return out


def style_rules(sheet_id: int, width: int, style_col: int) -> dict[str, rq.Request]:
    """One `CUSTOM_FORMULA` rule per style key over the tab's columns `A`..`width`, from
    row 1 down: `=$Z1="conflict"` fills a conflict's row, and so on. The references are
    relative to the range's top-left cell, so each row looks at its own key. A header's
    fill stops at the last header cell (`A1<>""`), as in the workbook; a tone fills the
    whole row. The set depends only on the tab's width and style column."""
    letter = column_letter(style_col)
    rng = rq.grid_range(sheet_id, 1, None, 1, width)
    rules: dict[str, rq.Request] = {}
    for key, format_, filled_only in _style_formats():
        test = f'${letter}1="{key}"'
        formula = f'=AND({test},A1<>"")' if filled_only else f"={test}"
        condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]}
        rules[rule_key(condition)] = rq.conditional_rule(
            [rng], "CUSTOM_FORMULA", [formula], format_, index=len(rules)
        )
    return rules


def tab_format(layout: TabLayout, sheet_id: int) -> TabFormat:
    """How the Google side draws `layout`, made once per shape. The digest follows the
    shape only (columns, frozen rows, the rows fixed by position, the style column, the
    chart's table), so a tab whose content changes keeps its formats and costs no
    formatting request; what moves with content is styled by the rules on the style
    column, whose keys go with the values."""
    width = tab_width(layout)
    widths = [pixels(w) for w in layout.widths]
    freeze = min(layout.freeze_rows, len(layout.rows))
    style_col = style_column(layout)
    columns = style_col
    fixed: list[rq.Request] = [rq.freeze_rows(sheet_id, freeze)]
    fixed += rq.column_widths(sheet_id, widths)
    fixed.append(rq.hide_columns(sheet_id, style_col, style_col))
    roles = _roles_by_column(layout, freeze, width)
    for col in range(1, width + 1):
        wrap = "OVERFLOW_CELL" if roles[col] & _PROSE_ROLES else "WRAP"
        fixed.append(
            rq.repeat_format(
                rq.grid_range(sheet_id, None, None, col, col),
                {"wrapStrategy": wrap, "verticalAlignment": "TOP"},
                "wrapStrategy,verticalAlignment",
            )
        )
    top = _fixed_rows(layout, freeze)
    for index, row_roles in enumerate(top, start=1):
        for col, role in enumerate(row_roles, start=1):
            if role in _ROLE_FORMATS:
                format_, fields = _ROLE_FORMATS[role]
                rng = rq.grid_range(sheet_id, index, index, col, col)
                fixed.append(rq.repeat_format(rng, format_, fields))
    for col in range(1, width + 1):
        if len(roles[col]) == 1 and (role := next(iter(roles[col]))) in _NUMBER_FORMATS:
            rng = rq.grid_range(sheet_id, freeze + 1, None, col, col)
            fixed.append(
                rq.repeat_format(rng, {"numberFormat": _NUMBER_FORMATS[role]}, "numberFormat")
            )
    chart = None
    if layout.chart is not None:
        spec = layout.chart
        # Beside its table, past the tab's columns: under the tables (where the workbook
        # puts it for printing) it would have to move whenever a table above it grew.
        chart = rq.chart(
            sheet_id,
            spec,
            anchor_row=spec.header_row,
            anchor_col=width + 2,
            width_px=CHART_COLUMN_PX * spec.width_cols,
            height_px=ROW_PX * spec.height_rows,
        )
        columns = max(columns, width + 2)
    # Widths, wrapping and number formats are set from the content the tab is made with,
    # and stay: they are left out of the digest, or every change of content would cost a
    # formatting request.
    shape = {
        "width": width,
        "freeze": freeze,
        "top": [[r.value for r in row_roles] for row_roles in top],
        "style": style_col,
    }
    digest = _digest(layout.kind, [shape], chart, sheet_id)
    rules = style_rules(sheet_id, width, style_col)
    return TabFormat(fixed, chart, digest, rules, style_col, columns)


def _fixed_rows(layout: TabLayout, freeze: int) -> list[list[Role]]:
    """The roles of the rows formatted by position: the frozen rows (a table's header),
    and a title in the first row (its size cannot come from a conditional rule)."""
    count = freeze
    if count == 0 and layout.rows and style_key(layout.rows[0]) == Role.TITLE.value:
        count = 1
    return [[Role(c.role) for c in row.cells] for row in layout.rows[:count]]


def has_style_rules(rule_keys: frozenset[str], fmt: TabFormat) -> bool:
    """Whether a tab's conditional rules (`TabInfo.rule_keys`) include every one of
    `fmt`'s, compared without case or spaces; when one was removed, the tab is formatted
    again."""

    def canon(key: str) -> str:
        return "".join(key.split()).casefold()

    present = {canon(k) for k in rule_keys}
    return all(canon(k) in present for k in fmt.rules)


def _roles_by_column(layout: TabLayout, freeze: int, width: int) -> dict[int, set[Role]]:
    """The roles of the non-blank cells below the frozen rows, by column."""
    roles: dict[int, set[Role]] = {col: set() for col in range(1, width + 1)}
    for row in layout.rows[freeze:]:
        for col, cell in enumerate(row.cells, start=1):
            if not is_blank(cell.value):
                roles[col].add(cell.role)
    return roles


def _digest(kind: str, fixed: Sequence[rq.Request], chart: rq.Request | None, sheet_id: int) -> str:
    """A short digest of the tab's shape, the chart and the palette (the tab's id left
    out, so a re-created tab with the same layout has the same digest)."""
    text = json.dumps(
        {
            "v": FORMAT_VERSION,
            "kind": kind,
            "fixed": fixed,
            "chart": chart,
            "palette": repr(COLOURS),
        },
        sort_keys=True,
        default=str,
    ).replace(f'"sheetId": {sheet_id}', '"sheetId": 0')
    return hashlib.sha256(text.encode()).hexdigest()[:16]
