"""`ccrc-sync sync`'s words in a terminal: what moved, what needs a person, and the verdict.

Read at the bottom first (a terminal scrolls), so the verdict is the last line, with the
counts; just above it whether the report email went, and why not when it did not. A first
run says it published the plan in one line rather than listing every cell it wrote.
"""

from __future__ import annotations

from ccrc_sync.merge import Change, Conflict, Side
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.report.model import shown
from ccrc_sync.schema import Severity, Value, rec_sort_key
from ccrc_sync.tabs import advice, published_text
from ccrc_sync.words import plural

DETAIL_LINES = 20
_VALUE_CHARS = 60


def _short(value: Value) -> str:
    text = shown(value)
    if text is None or text == "":
        return "(blank)"
    text = " ".join(str(text).split())
    if len(text) > _VALUE_CHARS:
        cut = text[: _VALUE_CHARS - 1].rsplit(" ", 1)[0] or text[: _VALUE_CHARS - 1]
        text = cut + "…"
    return f'"{text}"'


def _side(side: Side) -> str:
    return "workbook" if side is Side.WORKBOOK else "Google Sheet"


def _moves(outcome: SyncOutcome) -> list[str]:
    lines: list[str] = []
    verb = "Would carry" if outcome.dry_run else "Carried"
    if outcome.published is not None:
        text = published_text(outcome.published)
        lines.append(
            ("Would publish" + text.removeprefix("Published")) if outcome.dry_run else text
        )
        lines[-1] += "."
    for source in (Side.WORKBOOK, Side.SHEET):
        if outcome.published is not None and source is Side.WORKBOOK:
            continue  # the publish said it all
        moved: list[Change] = [c for c in outcome.changes if c.source is source]
        if not moved:
            continue
        recs = len({c.rec_no for c in moved})
        lines.append(
            f"{verb} {plural(len(moved), 'cell')} in {plural(recs, 'recommendation')} from "
            f"the {_side(source)} to the {_side(source.other)}:"
        )
        for c in moved[:DETAIL_LINES]:
            lines.append(f"  Rec {c.rec_no} {c.field}: {_short(c.old)} -> {_short(c.new)}")
        if len(moved) > DETAIL_LINES:
            lines.append(f"  ... and {len(moved) - DETAIL_LINES} more (see the Change Log tab).")
    return lines


def _conflicts(conflicts: list[Conflict]) -> list[str]:
    if not conflicts:
        return []
    need = "needs" if len(conflicts) == 1 else "need"
    lines = [
        f"{plural(len(conflicts), 'conflict')} {need} a person (neither side was overwritten):"
    ]
    for c in sorted(conflicts, key=lambda c: (rec_sort_key(c.rec_no), c.field or "")):
        what = c.field or "whole row"
        lines.append(
            f"  Rec {c.rec_no} {what}: workbook {_short(c.workbook)}, "
            f"Google Sheet {_short(c.sheet)}"
        )
        lines.append(f"    What to do: {advice(c)}")
    return lines


def _email(outcome: SyncOutcome) -> list[str]:
    if outcome.emailed is None:
        return []
    if outcome.emailed:
        return ["The report was emailed."]
    why = (outcome.email_problem or "no reason was given").strip()
    return [f"The report was not emailed: {why}"]


def render_outcome(outcome: SyncOutcome) -> str:
    """The sync's human summary, replacing the old `sync.render_text`."""
    if outcome.status is RunStatus.FAILED:
        lines = [f"Could not run: {outcome.error or 'no reason was given.'}"]
        lines += [f"Note: {n}" for n in outcome.notes]
        return "\n".join([*lines, *_email(outcome)])
    lines = _moves(outcome)
    lines += _conflicts(list(outcome.conflicts))
    errors = [i for i in outcome.issues if i.severity is Severity.ERROR]
    if errors:
        lines.append(
            f"{plural(len(errors), 'error')} (these values are not synced until corrected):"
        )
        for i in errors:
            where = f"{i.sheet}!{i.cell}: " if i.sheet and i.cell else ""
            rec = f"Rec {i.rec_no}: " if i.rec_no and not i.message.startswith("Rec ") else ""
            fix = f" {i.suggestion}" if i.suggestion else ""
            lines.append(f"  {where}{rec}{i.message}{fix}")
    lines += [f"Note: {n}" for n in outcome.notes]
    lines += _email(outcome)
    if outcome.report_path is not None and not outcome.dry_run:
        lines.append(f"Report: {outcome.report_path}")
    counts = outcome.counts()
    verdict = "In sync." if outcome.status is RunStatus.OK else "Ran; something needs a person."
    if outcome.published is not None:
        changed = f"{plural(outcome.published, 'recommendation')} published"
    else:
        changed = plural(len(outcome.changes), "change")
    dry = " (dry run: nothing written)" if outcome.dry_run else ""
    lines.append(
        f"{verdict} {changed}, {plural(len(outcome.conflicts), 'conflict')}, "
        f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}. "
        f"Run {outcome.run_id}{dry}."
    )
    return "\n".join(lines)
