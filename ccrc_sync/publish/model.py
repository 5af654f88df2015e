"""The public summary as plain data, built from the plan table: what the document says.

The CCRC publishes its response as a document of a fixed shape (the seed): a title with
the date, a few narrative paragraphs whose count sentence comes from the plan, "Summary
of Action Plan", then one table per section (Key Recommendations first) of Rec No.,
Recommendation, Action and Status. Deciding what the document says is pure and lives
here, once; the writers (`formats`, `word`) only decide how each format draws it, so the
markdown, HTML and Word versions can never disagree.

Lettered parts are rows of their own in the plan (18a, 18b) but the published document
shows them as the seed does, inside their recommendation's text ("... by: a. ... b.
..."): `fold_parts` is that one rule, and the template's tests use it to rebuild the
seed's text from the template.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ccrc_sync.config import PlanConfig
from ccrc_sync.errors import CcrcSyncError
from ccrc_sync.schema import (
    ACTION,
    RECOMMENDATION,
    SECTION,
    STATUS,
    RecNo,
    Value,
    canonical,
    display,
    parent_of,
    rec_sort_key,
    rollup,
)
from ccrc_sync.summary import compute

HEADING = "Summary of Action Plan"
COLUMNS: tuple[str, ...] = ("Rec No.", "Recommendation", "Action", "Status")
# The heading of the table for rows whose Section is not one of the configured ones.
UNKNOWN_SECTION = "Other recommendations"
# What the narrative template may use.
PLACEHOLDERS: tuple[str, ...] = ("date", "sentence", "total")


class PublishError(CcrcSyncError):
    """The public summary could not be made or written; nothing was written."""


@dataclass(frozen=True)
class DocRow:
    rec_no: str
    recommendation: str
    action: str
    status: str

    def cells(self) -> tuple[str, str, str, str]:
        return (self.rec_no, self.recommendation, self.action, self.status)


@dataclass(frozen=True)
class DocTable:
    heading: str
    rows: tuple[DocRow, ...]


@dataclass(frozen=True)
class Document:
    """The public summary: title, narrative, the heading, then one table per section."""

    title: str
    paragraphs: tuple[str, ...]
    heading: str
    tables: tuple[DocTable, ...]
    day: dt.date


# --------------------------------------------------------------------------- parts


def fold_parts(lead: str, parts: Iterable[tuple[str, str]]) -> str:
    """A recommendation's text with its lettered parts inside, as the seed prints them:
    'The CCRC should ... by: a. Increasing ... b. Ensuring ...'. `parts` are (letter,
    text) pairs in order; blank texts are left out."""
    text = lead.strip()
    for letter, part in parts:
        part = " ".join(part.split())
        if part:
            text = f"{text} {letter}. {part}" if text else f"{letter}. {part}"
    return text


def _letter(key: RecNo) -> str:
    parent = parent_of(key)
    return key[len(parent) :] if parent else ""


# --------------------------------------------------------------------------- dates


def long_date(day: dt.date) -> str:
    """'2nd July 2026', as the seed's title writes its date."""
    n = day.day
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} {day:%B %Y}"


# --------------------------------------------------------------------------- narrative


@dataclass(frozen=True)
class Narrative:
    """The narrative template, parsed: the title line and the paragraphs (unfilled)."""

    title: str
    paragraphs: tuple[str, ...]


def parse_narrative(text: str, where: str) -> Narrative:
    """Read the narrative template: a first line '# Title', then paragraphs separated by
    blank lines (a paragraph's lines are joined with spaces). Lines starting with '<!--'
    up to '-->' are comments for the editor and are left out."""
    text = re.sub(r"<!--.*?-->", "", text.replace("\r\n", "\n"), flags=re.S)
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    if not blocks or not blocks[0].startswith("# "):
        raise PublishError(
            f"The narrative template {where} must start with a title line such as "
            "'# CCRC – Summary of Response to HMCPSI Report – $date'."
        )
    first, _, rest = blocks[0].partition("\n")
    title = first[2:].strip()
    paragraphs = ([rest] if rest.strip() else []) + blocks[1:]
    return Narrative(title, tuple(" ".join(p.split()) for p in paragraphs))


def fill(template: str, values: Mapping[str, str], where: str) -> str:
    """`$name` placeholders filled; `$$` is a dollar sign. An unknown name is one sentence
    naming it (never a traceback, never a silently blank gap)."""
    try:
        return string.Template(template).substitute(values)
    except KeyError as exc:
        known = ", ".join(f"${p}" for p in PLACEHOLDERS)
        raise PublishError(
            f"The narrative template {where} uses ${exc.args[0]}, which ccrc-sync does not "
            f"know; use {known} (or $$ for a dollar sign)."
        ) from None
    except ValueError:
        raise PublishError(
            f"The narrative template {where} has a '$' that is not a placeholder; write $$ "
            "for a dollar sign."
        ) from None


# --------------------------------------------------------------------------- the document


def build_document(
    table: Mapping[RecNo, Mapping[str, Value]],
    plan: PlanConfig,
    narrative: Narrative,
    day: dt.date,
    *,
    where: str = "templates/summary.md",
) -> Document:
    """The document for a plan table (Rec No. -> field -> value) as of `day`.

    The count sentence is `summary.compute`'s, so the document says exactly what the
    Summary tab says. Statuses are shown in their canonical spelling; a status outside the
    vocabulary is shown as typed (never silently changed). A recommendation with parts
    shows the status its parts add up to, as the Summary counts it.
    """
    figures = compute(table, plan, day)
    values = {"date": long_date(day), "sentence": figures.sentence, "total": str(figures.total)}
    title = fill(narrative.title, values, where)
    paragraphs = tuple(fill(p, values, where) for p in narrative.paragraphs)

    parts: dict[RecNo, list[RecNo]] = {}
    for key in table:
        parent = parent_of(key)
        if parent is not None and parent in table:
            parts.setdefault(parent, []).append(key)
    by_section: dict[str, list[DocRow]] = {}
    for key in sorted(table, key=rec_sort_key):
        parent = parent_of(key)
        if parent is not None and parent in table:
            continue  # shown inside its recommendation
        row = table[key]
        own = sorted(parts.get(key, []), key=rec_sort_key)
        text = fold_parts(
            _text(row.get(RECOMMENDATION)),
            ((_letter(p), _text(table[p].get(RECOMMENDATION))) for p in own),
        )
        raw_status = rollup([table[p].get(STATUS) for p in own], plan) if own else row.get(STATUS)
        status = canonical(plan.statuses, raw_status) or _text(raw_status)
        section = canonical(plan.sections, row.get(SECTION)) or UNKNOWN_SECTION
        by_section.setdefault(section, []).append(DocRow(key, text, _text(row.get(ACTION)), status))
    key_section = canonical(plan.sections, plan.key_section)
    order = [*([key_section] if key_section else []), *plan.sections, UNKNOWN_SECTION]
    order = list(dict.fromkeys(order))  # the key section first, then the configured order
    tables = tuple(DocTable(s, tuple(by_section[s])) for s in order if s in by_section)
    return Document(title, paragraphs, HEADING, tables, day)


def _text(value: Value) -> str:
    """A cell as one line of text (line breaks in a cell become spaces)."""
    return " ".join(display(value).split())
