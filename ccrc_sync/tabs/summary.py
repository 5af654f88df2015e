"""The Summary tab as a dashboard: title, sentence, small tables under headings, a chart.

Managers read the summary, not the 34 rows. It is laid out to print on two A4 landscape
pages (tables on the first, the chart on the second), so the text it quotes is cut to a
sentence and long lists of Rec Nos. are cut to a few and a count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from ccrc_sync.config import PlanConfig
from ccrc_sync.layout import ChartSpec, Role, TabCell, TabKind, TabLayout, TabRow
from ccrc_sync.summary import SUMMARY_TITLE, SummaryFigures
from ccrc_sync.tabs.cells import SUMMARY_TAB, fit_widths, header, line, rec_cell, row
from ccrc_sync.words import first_sentence as cut_to_sentence
from ccrc_sync.words import plural

CHART_TITLE = "Recommendations by section and status"


def changed_text(last_changed: dt.datetime | None) -> str:
    """'Figures last changed: 2 July 2026, 09:15 BST' (the caller passes local time)."""
    if last_changed is None:
        return "Figures last changed: not yet recorded"
    stamp = f"{last_changed.day} {last_changed:%B %Y, %H:%M}"
    zone = last_changed.tzname()
    return f"Figures last changed: {stamp}" + (f" {zone}" if zone else "")


def parts_text(parts: Mapping[str, int], plan: PlanConfig) -> str | None:
    """'12 lettered parts: 0 complete, 12 in progress' (None when the plan has no parts).

    Complete and in progress are always told; any other status only when some part has it.
    """
    total = sum(parts.values())
    if total <= 0:
        return None
    done, underway = plan.complete_status, plan.in_progress_status
    told = [f"{parts.get(done, 0)} {done.lower()}", f"{parts.get(underway, 0)} {underway.lower()}"]
    told += [f"{n} {s.lower()}" for s, n in parts.items() if s not in (done, underway) and n]
    return f"{plural(total, 'lettered part')}: {', '.join(told)}"


LIST_LIMIT = 8  # Rec Nos. listed before "and N more"
# A key recommendation on the Summary: its first sentence, two lines at most (120
# characters of text and " …" when it is cut).
KEY_TEXT_CHARS = 122


def rec_list(numbers: Sequence[str], total: int) -> str | None:
    """'2, 3, 20', 'All', or '1, 2, ... 8 and 25 more': short enough for a table cell."""
    if not numbers:
        return None
    if total and len(numbers) >= total:
        return "All"
    if len(numbers) <= LIST_LIMIT:
        return ", ".join(numbers)
    return ", ".join(numbers[:LIST_LIMIT]) + f" and {len(numbers) - LIST_LIMIT} more"


def first_sentence(text: str, limit: int = KEY_TEXT_CHARS) -> str:
    """A key recommendation as the Summary quotes it: its first sentence, cut at a word
    with a spaced " …" as the Summary has always shown it (a digest line uses "…")."""
    return cut_to_sentence(text, limit, ellipsis=" …")


def summary_layout(
    fig: SummaryFigures, last_changed: dt.datetime | None, plan: PlanConfig
) -> TabLayout:
    """The Summary tab as a dashboard: a title, the sentence, then small tables, each under
    its heading, and the chart below the tables.

    It is laid out to print on two A4 landscape pages: the tables on the first, the chart
    on the second (it sits *under* the tables, in column A, and the workbook writer puts a
    page break above it), so the chart is never split. The widest column (the Key
    Recommendations' text, cut to its first sentence) is the last one, so the figures on
    the left stay compact, and counts by status are told once, in the section table.
    """
    statuses = list(fig.by_status)
    complete = fig.by_status.get(plan.complete_status, 0)
    rows: list[TabRow] = [
        line(SUMMARY_TITLE, Role.TITLE),
        line(fig.sentence, Role.SENTENCE),
        line(changed_text(last_changed), Role.NOTE),
        TabRow(()),
        line("Progress", Role.HEADING),
        header("Recommendations", "Complete", "Percent complete"),
        row(fig.total, complete, TabCell(round(fig.percent_complete / 100.0, 3), Role.PERCENT)),
    ]
    parts = parts_text(fig.parts, plan)
    if parts:
        rows.append(line(parts, Role.NOTE))
    rows.append(TabRow(()))

    rows.append(line(CHART_TITLE, Role.HEADING))
    rows.append(header("Section", *statuses, "Total"))
    header_row = len(rows)
    for section, counts in fig.by_section.items():
        rows.append(
            row(section, *(counts.get(s, 0) for s in statuses), fig.section_totals[section])
        )
    last_row = len(rows)
    rows.append(row("Total", *(fig.by_status[s] for s in statuses), fig.total))
    rows.append(TabRow(()))

    rows.append(line(plan.key_section, Role.HEADING))
    rows.append(header("Rec No.", "Status", "Owner", "Target Date", "Recommendation"))
    for item in fig.key_recommendations:
        rows.append(
            row(
                rec_cell(item["rec_no"]),
                item["status"],
                item["owner"] or None,
                item["target_date"],
                first_sentence(item["recommendation"]) or None,
            )
        )
    if not fig.key_recommendations:
        rows.append(line(f"No recommendations in {plan.key_section}.", Role.NOTE))
    rows.append(TabRow(()))

    rows.append(line("Overdue: target date passed, not complete", Role.HEADING))
    rows.append(header("Rec No.", "Status", "Owner", "Target Date", "Section"))
    for over in fig.overdue:
        rows.append(
            row(
                rec_cell(over["rec_no"]),
                over["status"],
                over["owner"] or None,
                over["target_date"],
                over["section"],
            )
        )
    if not fig.overdue:
        rows.append(line("No overdue recommendations.", Role.NOTE))
    rows.append(TabRow(()))

    rows.append(line("Needs attention", Role.HEADING))
    rows.append(header("What", "Count", "Rec Nos."))
    see = "See Sync Issues"
    rows.append(row("Open conflicts", fig.open_conflicts, see if fig.open_conflicts else None))
    for severity, label in (("error", "Errors"), ("warning", "Warnings"), ("info", "Information")):
        count = fig.findings.get(severity, 0)
        rows.append(row(label, count, see if count else None))
    rows.append(row("No owner", len(fig.no_owner), rec_list(fig.no_owner, fig.total)))
    rows.append(
        row("No target date", len(fig.no_target_date), rec_list(fig.no_target_date, fig.total))
    )

    widths = fit_widths(rows)
    chart = ChartSpec(
        title=CHART_TITLE,
        header_row=header_row,
        first_row=header_row + 1,
        last_row=last_row,
        category_col=1,
        series_cols=tuple(range(2, 2 + len(statuses))),
        anchor_row=len(rows) + 3,
        anchor_col=1,
        x_title="Section",
        y_title="Recommendations",
        stacked=True,
        width_cols=max(len(widths), 2 + len(statuses)),
        height_rows=20,
    )
    return TabLayout(
        title=SUMMARY_TAB,
        kind=TabKind.SUMMARY,
        rows=tuple(rows),
        widths=widths,
        freeze_rows=0,
        chart=chart,
        landscape=True,
        max_pages_tall=2,
    )
