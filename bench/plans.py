"""Generated action plans shaped like `templates/plan.xlsx`, and the edits made between syncs.

The workbook is made realistic on purpose, because openpyxl's cost depends on it: a
styled, frozen header with an autofilter, column widths, wrapped text, drop-down lists on
`Status` and `Section`, date-formatted date columns, print titles (as the template has). Texts are varied enough that the
validator's plan-level checks (near-duplicates, cut-off text) find nothing, so a run's
cost is the cost of a clean plan, not of reporting thousands of findings.
Everything is deterministic: the same size and seed give the same workbook and edits.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ccrc_sync import schema

SHEET = schema.PLAN_SHEET
STATUSES = schema.DEFAULT_STATUSES
SECTIONS = schema.DEFAULT_SECTIONS
# The template's columns, closure evidence included.
FIELDS: tuple[str, ...] = schema.FIELDS
EDITABLE_FIELDS: tuple[str, ...] = (schema.OWNER, schema.NOTES, schema.STATUS)
WIDTHS = {
    schema.REC_NO: 9,
    schema.SECTION: 24,
    schema.RECOMMENDATION: 80,
    schema.ACTION: 45,
    schema.STATUS: 14,
    schema.OWNER: 20,
    schema.TARGET_DATE: 13,
    schema.LAST_UPDATED: 13,
    schema.NOTES: 40,
    schema.EVIDENCE: 30,
    schema.COMPLETED_ON: 13,
}
DATE_FORMAT = "dd/mm/yyyy"

_VERBS = (
    "review", "strengthen", "redesign", "formalise", "simplify", "document", "evaluate",
    "standardise", "refresh", "audit", "publish", "monitor", "embed", "clarify", "extend",
    "benchmark", "consolidate", "rationalise", "pilot", "modernise", "test", "map",
)  # fmt: skip
_OBJECTS = (
    "its casework guidance", "the case allocation model", "first line assurance",
    "the quality assurance programme", "its training needs assessment", "the risk register",
    "the handling of legal advice", "the long-running cases process", "its board reporting",
    "the complaints procedure", "the use of case plan reviews", "its data retention policy",
    "the induction programme", "the screening of applications", "its performance measures",
    "the escalation route for delays", "the supervision of interns", "the records system",
    "the management of external experts", "its stakeholder engagement", "the budget process",
    "the recruitment of commissioners", "its equality monitoring", "the library of precedents",
)  # fmt: skip
_QUALIFIERS = (
    "across all casework teams", "for new starters", "at group leader level",
    "in the regional offices", "for the most complex cases", "on a quarterly cycle",
    "with independent oversight", "in partnership with the Ministry", "within twelve months",
    "before the next inspection", "using a risk-based model", "with clear ownership",
    "for applications from young people", "in line with best practice", "by the audit committee",
    "with measurable targets", "for cases older than two years", "through a working group",
)  # fmt: skip
_PURPOSES = (
    "reduce avoidable delay", "improve the consistency of decisions", "give applicants clarity",
    "support staff wellbeing", "evidence value for money", "make risks visible sooner",
    "share learning between teams", "raise the quality of statements of reasons",
    "build public confidence", "target scarce resources", "close gaps in supervision",
    "shorten the time to review", "keep the board informed", "meet its statutory duties",
    "prevent repeat findings", "record decisions transparently", "spot trends in referrals",
)  # fmt: skip
_INCLUDES = (
    "a timetable", "named owners", "a baseline measure", "staff consultation", "a cost estimate",
    "an evaluation plan", "revised templates", "a communication plan", "peer review",
    "refresher training", "a dashboard", "an escalation log", "sampling of closed cases",
    "feedback from applicants", "a lessons learned note", "updated role profiles",
)  # fmt: skip
_TEAMS = (
    "Birmingham", "Manchester", "Leeds", "Bristol", "Cardiff", "Belfast", "Newcastle",
    "Nottingham", "Sheffield", "Liverpool", "Norwich", "Exeter", "Brighton", "Leicester",
    "Coventry", "Plymouth", "Swansea", "Derby", "York", "Oxford", "Cambridge", "Hull",
    "Reading", "Southampton", "Portsmouth", "Preston", "Carlisle", "Lincoln", "Durham",
    "Bradford", "Wolverhampton", "Stoke", "Sunderland", "Ipswich", "Gloucester", "Chester",
)  # fmt: skip
_ACTIONS = (
    "Scoping", "Drafting", "Consultation", "Procurement", "Pilot", "Rollout", "Evaluation",
    "Review", "Design work", "Training", "Testing", "Recruitment",
)  # fmt: skip
_ACTION_STATES = (
    "underway", "complete", "planned for next quarter", "paused pending funding",
    "agreed by the board", "scheduled", "in progress", "with the working group",
)  # fmt: skip
_OWNERS = (
    "Head of Casework", "Director of Casework Operations", "Head of Quality", "Chief Executive",
    "Head of Learning", "Board Secretary", "Head of Legal", "Group Leader North",
    "Group Leader South", "Head of Finance", "Head of HR", "Head of Digital",
)  # fmt: skip


@dataclass(frozen=True)
class Edit:
    """One cell changed by a person between two syncs, on one side."""

    rec_no: int
    field: str
    value: str


def recommendation_text(rng: random.Random) -> str:
    """A recommendation as inspectors write them, from independent slots: varied enough that
    no two read as near-duplicates, and ending in a full stop so nothing looks cut off."""
    a, b = rng.sample(_INCLUDES, 2)
    return (
        f"The CCRC should {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
        f"{rng.choice(_QUALIFIERS)} to {rng.choice(_PURPOSES)}. "
        f"The {rng.choice(_TEAMS)} team should lead, with {a} and {b}."
    )


def plan_rows(rows: int, seed: int = 7) -> list[dict[str, schema.Value]]:
    """The data rows of a clean plan of `rows` recommendations, Rec Nos. 1..rows."""
    rng = random.Random(seed * 100_003 + rows)
    today = dt.date(2026, 7, 2)
    out: list[dict[str, schema.Value]] = []
    for rec_no in range(1, rows + 1):
        status = rng.choices(STATUSES, weights=(3, 5, 2))[0]
        out.append(
            {
                schema.REC_NO: rec_no,
                schema.SECTION: SECTIONS[min(len(SECTIONS) - 1, rng.randrange(6))],
                schema.RECOMMENDATION: recommendation_text(rng),
                schema.ACTION: f"{rng.choice(_ACTIONS)} {rng.choice(_ACTION_STATES)}.",
                schema.STATUS: status,
                schema.OWNER: rng.choice(_OWNERS),
                # Always in the future, so no row is reported overdue.
                schema.TARGET_DATE: dt.datetime(2030, 1, 1) + dt.timedelta(days=rng.randrange(900)),
                schema.LAST_UPDATED: dt.datetime.combine(today, dt.time())
                - dt.timedelta(days=rng.randrange(400)),
                schema.NOTES: (
                    f"Discussed at the board meeting {rng.randint(1, 28)}/{rng.randint(1, 12)}."
                    if rng.random() < 0.4
                    else None
                ),
                # Closed work carries its evidence, as the closure rules ask.
                schema.EVIDENCE: f"Board paper {rng.randint(1, 400)}"
                if status == "Complete"
                else None,
                schema.COMPLETED_ON: (
                    dt.datetime.combine(today, dt.time()) - dt.timedelta(days=rng.randrange(1, 300))
                    if status == "Complete"
                    else None
                ),
            }
        )
    return out


def write_plan(path: Path, rows: int, seed: int = 7) -> Path:
    """Write a styled action-plan workbook like the template, with `rows` recommendations."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    fields = schema.FIELDS
    ws.append(list(fields))
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E78")
    for col, label in enumerate(fields, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS[label]
    wrap = Alignment(wrap_text=True, vertical="top")
    # Row numbers are counted, not read from `ws.max_row`, which scans every cell.
    for r, values in enumerate(plan_rows(rows, seed), start=2):
        ws.append([values[f] for f in fields])
        for col, label in enumerate(fields, start=1):
            cell = ws.cell(row=r, column=col)
            cell.alignment = wrap
            if label in schema.DATE_FIELDS:
                cell.number_format = DATE_FORMAT
    last = rows + 1
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(fields))}{last}"
    _drop_down(ws, schema.STATUS, STATUSES, last)
    _drop_down(ws, schema.SECTION, SECTIONS, last)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _drop_down(ws, label: str, words: tuple[str, ...], last_row: int) -> None:
    letter = get_column_letter(schema.FIELDS.index(label) + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True)
    dv.error = f"Choose a {label} from the list."
    dv.add(f"{letter}2:{letter}{last_row}")
    ws.add_data_validation(dv)


def write_config(path: Path, rows: int) -> Path:
    """A TOML config expecting Rec Nos. 1..rows (the default expects the real plan's 1-34)."""
    path.write_text(f'[plan]\nrec_nos = "1-{rows}"\n', encoding="utf-8")
    return path


def edit_count(rows: int, fraction: float) -> int:
    """1% of the data cells (rows x 9 columns), at least one."""
    return max(1, round(rows * len(schema.FIELDS) * fraction))


def choose_edits(rows: int, fraction: float, seed: int = 11) -> tuple[list[Edit], list[Edit]]:
    """Disjoint edits for the workbook and the sheet, each `fraction` of the data cells,
    on Owner, Notes and Status cells as staff make them. Rows may be shared; cells never."""
    rng = random.Random(seed * 1_000_003 + rows)
    count = edit_count(rows, fraction)
    cells = [(r, f) for r in range(1, rows + 1) for f in EDITABLE_FIELDS]
    if 2 * count > len(cells):
        raise ValueError(f"{rows} rows have too few editable cells for {count} edits a side.")
    chosen = rng.sample(cells, 2 * count)
    current = {r[schema.REC_NO]: r for r in plan_rows(rows)}
    book = [
        _edit(rec, field, "workbook", i, current, rng)
        for i, (rec, field) in enumerate(chosen[:count])
    ]
    sheet = [
        _edit(rec, field, "sheet", i, current, rng) for i, (rec, field) in enumerate(chosen[count:])
    ]
    return book, sheet


def _edit(
    rec_no: int,
    field: str,
    side: str,
    index: int,
    current: dict[int, dict[str, schema.Value]],
    rng: random.Random,
) -> Edit:
    if field == schema.STATUS:
        others = [s for s in STATUSES if s != current[rec_no][schema.STATUS]]
        return Edit(rec_no, field, rng.choice(others))
    if field == schema.OWNER:
        return Edit(rec_no, field, f"{rng.choice(_OWNERS)} ({side} edit {index + 1})")
    return Edit(rec_no, field, f"Updated in the {side}: edit {index + 1} of this run.")


def apply_workbook_edits(path: Path, edits: list[Edit]) -> None:
    """A person editing the workbook in Excel: the cells change, nothing else does."""
    wb = load_workbook(path)
    ws = wb[SHEET]
    for e in edits:
        ws.cell(row=e.rec_no + 1, column=schema.FIELDS.index(e.field) + 1, value=e.value)
    wb.save(path)


def cell_a1(edit: Edit) -> str:
    """Where an edit sits on the published sheet: header in row 1, Rec N in row N+1."""
    return f"{get_column_letter(schema.FIELDS.index(edit.field) + 1)}{edit.rec_no + 1}"


def sheet_grid(rows: int, seed: int = 7) -> list[list[str]]:
    """The plan as a person would see it published: header plus one row per Rec No.,
    dates as ISO text (entered as user-entered values, so the sheet reads them as dates)."""
    grid: list[list[str]] = [list(schema.FIELDS)]
    for values in plan_rows(rows, seed):
        grid.append([schema.display(values[f]) for f in schema.FIELDS])
    return grid
