"""How the Google side looks to staff: the plan tab's furniture and a generated tab's
formatting, as structural requests.

Why it is shaped this way:

* Formatting costs a structural request, so it is applied once: when ccrc-sync creates a
  tab, or when the tab's formatting itself changes (a digest of it is kept in the tab's
  developer metadata), never because content moved.
* A generated tab's formats therefore do not depend on where rows fall. What is fixed by
  position is fixed by position (the frozen header rows, column widths, a column that
  only ever holds dates); what moves with content is keyed on the content's text with
  conditional formatting: a heading's or a table header's text, and, for a row's tone,
  the text of the column that names it (Sync Issues' "What happened"). Those rules are
  only ever added when a new text appears, so a changing tab needs no formatting request.
* Widths come from the layout in characters (Excel's unit): 7 pixels a character plus
  10 for the cell's padding.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccrc_sync.config import PlanConfig
from ccrc_sync.layout import COLOURS, Role, TabLayout, Tone
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
    display,
    is_blank,
)
from ccrc_sync.sheet import requests as rq
from ccrc_sync.sheet.read import rule_key

DATE_PATTERN = "dd/mm/yyyy"
DATETIME_PATTERN = "dd/mm/yyyy hh:mm"
# A tone column with more texts than this would need a rule per row; rows go unfilled.
MAX_TONE_TEXTS = 40
# Bump when the formatting code changes what it asks for, so tabs are formatted again.
FORMAT_VERSION = 1

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
        {"textFormat": _text_format(bold=True, fontSize=14, colour=COLOURS.heading_text)},
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
# What conditional formatting can show for a role found by its text (no font size).
_ROLE_RULE_FORMATS: dict[Role, dict[str, Any]] = {
    Role.HEADER: {
        "textFormat": {"bold": True, "foregroundColor": rq.colour(COLOURS.header_text)},
        "backgroundColor": rq.colour(COLOURS.header_fill),
    },
    Role.HEADING: {
        "textFormat": {"bold": True, "foregroundColor": rq.colour(COLOURS.heading_text)}
    },
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


@dataclass(frozen=True)
class TabFormat:
    """A generated tab's formatting: what is fixed (with its digest) and the text-keyed
    conditional rules (by condition key, so only missing ones are added)."""

    fixed: list[rq.Request]
    chart: rq.Request | None
    digest: str
    rules: dict[str, rq.Request] = field(default_factory=dict)


def tab_format(
    layout: TabLayout, sheet_id: int, rule_keys: frozenset[str] = frozenset()
) -> TabFormat:
    """`rule_keys`: the tab's conditional rules now (`TabInfo.rule_keys`), so the column
    that tells the rows' tones stays the one already in use while it still can."""
    width = max(layout.width, len(layout.widths), 1)
    widths = [pixels(w) for w in layout.widths]
    freeze = min(layout.freeze_rows, len(layout.rows))
    fixed: list[rq.Request] = [rq.freeze_rows(sheet_id, freeze)]
    fixed += rq.column_widths(sheet_id, widths)
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
    for index, row in enumerate(layout.rows[:freeze], start=1):
        for col, cell in enumerate(row.cells, start=1):
            if cell.role in _ROLE_FORMATS:
                format_, fields = _ROLE_FORMATS[cell.role]
                rng = rq.grid_range(sheet_id, index, index, col, col)
                fixed.append(rq.repeat_format(rng, format_, fields))
    for col in range(1, width + 1):
        if len(roles[col]) == 1 and (role := next(iter(roles[col]))) in _NUMBER_FORMATS:
            rng = rq.grid_range(sheet_id, freeze + 1, None, col, col)
            fixed.append(
                rq.repeat_format(rng, {"numberFormat": _NUMBER_FORMATS[role]}, "numberFormat")
            )
    chart = rq.chart(sheet_id, layout.chart, widths) if layout.chart is not None else None
    tones = _tone_column(layout, freeze, _tone_column_in_use(rule_keys))
    # Widths follow the content, so they are left out of the digest (and so is the chart's
    # size, which follows them): a longer value is not a new layout, and re-laying a tab
    # (formats, rules, chart) would cost every run with a change a third request.
    unsized = [r for r in fixed if "updateDimensionProperties" not in r]
    same_size = [0] * len(widths)
    chart_shape = rq.chart(sheet_id, layout.chart, same_size) if layout.chart is not None else None
    digest = _digest(
        layout.kind, [*unsized, {"tones": tones[0] if tones else 0}], chart_shape, sheet_id
    )
    rules = _content_rules(layout, sheet_id, freeze, width, tones)
    return TabFormat(fixed, chart, digest, rules)


_TONE_RULE = re.compile(r'CUSTOM_FORMULA\x1f=\$([A-Z]{1,3})[0-9]+="')


def _tone_column_in_use(rule_keys: frozenset[str]) -> int | None:
    for key in rule_keys:
        found = _TONE_RULE.match(key)
        if found:
            col = 0
            for letter in found.group(1):
                col = col * 26 + ord(letter) - 64
            return col
    return None


def _roles_by_column(layout: TabLayout, freeze: int, width: int) -> dict[int, set[Role]]:
    """The roles of the non-blank cells below the frozen rows, by column."""
    roles: dict[int, set[Role]] = {col: set() for col in range(1, width + 1)}
    for row in layout.rows[freeze:]:
        for col, cell in enumerate(row.cells, start=1):
            if not is_blank(cell.value):
                roles[col].add(cell.role)
    return roles


def _content_rules(
    layout: TabLayout,
    sheet_id: int,
    freeze: int,
    width: int,
    tones: tuple[int, dict[str, Tone]] | None,
) -> dict[str, rq.Request]:
    """Conditional rules keyed on text: table headers and headings below the frozen rows
    (a text also used in another role gets none), and each tone's row fill."""
    body = rq.grid_range(sheet_id, freeze + 1, None, 1, width)
    texts: dict[str, set[Role]] = {}
    for row in layout.rows[freeze:]:
        for cell in row.cells:
            if isinstance(cell.value, str) and cell.value.strip():
                texts.setdefault(cell.value, set()).add(cell.role)
    rules: dict[str, rq.Request] = {}
    for text, found in sorted(texts.items()):
        if len(found) == 1 and (role := next(iter(found))) in _ROLE_RULE_FORMATS:
            condition = {"type": "TEXT_EQ", "values": [{"userEnteredValue": text}]}
            rules[rule_key(condition)] = rq.conditional_rule(
                [body], "TEXT_EQ", [text], _ROLE_RULE_FORMATS[role]
            )
    if tones is not None:
        col, by_text = tones
        letter = column_letter(col)
        for text, tone in sorted(by_text.items()):
            if tone is Tone.PLAIN or tone not in COLOURS.tones:
                continue
            quoted = text.replace('"', '""')
            formula = f'=${letter}{freeze + 1}="{quoted}"'
            condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]}
            rules[rule_key(condition)] = rq.conditional_rule(
                [body],
                "CUSTOM_FORMULA",
                [formula],
                {"backgroundColor": rq.colour(COLOURS.tones[tone])},
            )
    return rules


def _tone_column(
    layout: TabLayout, freeze: int, in_use: int | None = None
) -> tuple[int, dict[str, Tone]] | None:
    """The column whose text alone tells each row's tone (every toned row has text there,
    and no text stands for two tones), with that text -> tone; None if no column does.

    Of the columns that qualify, the one in use wins (its rules are already there), then
    the one with the fewest distinct texts (a kind of issue, not a key that differs on
    every row), words before numbers, then the leftmost; past `MAX_TONE_TEXTS` texts it
    would need a rule for every row, so none is used.
    """
    rows = layout.rows[freeze:]
    if not any(r.tone is not Tone.PLAIN for r in rows):
        return None
    best: tuple[tuple[bool, int, bool, int], int, dict[str, Tone]] | None = None
    for col in range(1, layout.width + 1):
        seen: dict[str, Tone] = {}
        good = True
        for row in rows:
            value = row.cells[col - 1].value if col <= len(row.cells) else None
            if is_blank(value):
                if row.tone is not Tone.PLAIN:
                    good = False
                    break
                continue
            text = display(value)
            if seen.setdefault(text, row.tone) is not row.tone:
                good = False
                break
        if not good:
            continue
        toned = [t for t, tone in seen.items() if tone is not Tone.PLAIN]
        numeric = any(t.replace(".", "", 1).isdigit() for t in toned)
        score = (col != in_use, len(toned), numeric, col)
        if len(toned) <= MAX_TONE_TEXTS and (best is None or score < best[0]):
            best = (score, col, seen)
    return None if best is None else (best[1], best[2])


def _digest(kind: str, fixed: Sequence[rq.Request], chart: rq.Request | None, sheet_id: int) -> str:
    """A short digest of the fixed formatting, the chart and the palette (the tab's id
    left out, so a re-created tab with the same layout has the same digest)."""
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
