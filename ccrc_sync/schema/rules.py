"""The validation rules: a plan table in, findings out, in sheet order.

Pure and linear in the number of rows. A `Validator` holds one run's settings (the plan,
today, the closure setting) and remembers the findings of each row it has judged, so the
sync, which judges each side before and after its merge, pays about once for rows that
did not change; the memory lives as long as the validator, never longer.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from typing import Any

from ccrc_sync.schema.across import (
    check_duplicates,
    check_merged,
    check_rollups,
    check_run_together,
)
from ccrc_sync.schema.codes import Findings, Issue, Item, PlanRules, Severity
from ccrc_sync.schema.due import is_overdue
from ccrc_sync.schema.fields import (
    ACTION,
    COMPLETED_ON,
    DATE_FIELDS,
    EVIDENCE,
    FIELDS,
    MAX_CELL_CHARS,
    QUIET_FIELDS,
    REC_NO,
    RECOMMENDATION,
    REQUIRED_FIELDS,
    SECTION,
    STATUS,
    TARGET_DATE,
    Formula,
    RecNo,
    Value,
    parent_of,
    rec_sort_key,
)
from ccrc_sync.schema.table import PlanRow, PlanTable
from ccrc_sync.schema.text import (
    joined_sentences,
    looks_truncated,
)
from ccrc_sync.schema.values import (
    canonical,
    column_letter,
    display,
    is_blank,
    parse_date_text,
    uk_date,
)

_VOCABULARY = frozenset({STATUS, SECTION})
_REQUIRED_TEXT = frozenset({RECOMMENDATION, ACTION})
_NOT_FREE_TEXT = frozenset({REC_NO, STATUS, SECTION, *DATE_FIELDS})


class Validator:
    """The rules of the action plan, with one run's settings."""

    def __init__(self, plan: PlanRules, today: dt.date) -> None:
        self.plan = plan
        self.today = today
        self._complete = plan.complete_status
        # Judged rows and tables, keyed by identity (the object is kept with its findings,
        # so an id is never mistaken for a later object's).
        self._memo: dict[tuple[object, ...], tuple[PlanRow, list[Item]]] = {}
        self._tables: dict[
            tuple[int, int], tuple[PlanTable, dict[int, RecNo], list[Item], list[Item] | None]
        ] = {}

    # ---------------------------------------------------------------- the table

    def validate(
        self, table: PlanTable, *, plan_wide: bool = True, same_as: PlanTable | None = None
    ) -> list[Issue]:
        """Judge a plan table; findings in sheet order.

        `plan_wide=False` leaves out the rules that compare rows with each other's text
        (near-duplicates, run-together words): warnings that never stop a value from
        being carried, and the costliest rules on a large plan. A table judged before by
        this validator is not judged again; a row judged before (the same row object, as
        a run's "after" tables share the rows no write touched) neither. With `same_as`
        (the other side's table), a row holding exactly what that side's row with the same
        Rec No. holds is not judged again either: its findings would repeat that row's.
        """
        token = (id(table), id(same_as))
        cached = self._tables.get(token)
        if cached is None or cached[0] is not table:
            twins = same_as.by_rec_no() if same_as is not None else {}
            out = Findings(table.sheet)
            self._check_columns(table, out)
            keys = self._check_rec_nos(table, out)
            context = (
                table.sheet,
                table.header_row,
                tuple(table.columns.items()),
                tuple(table.extra_columns.items()),
            )
            for plan_row in table.rows:
                key = keys.get(plan_row.row)
                if key is not None and twins.get(key) == plan_row.values:
                    continue
                out.items.extend(self._row(table, plan_row, key, context))
            check_rollups(self.plan, table, keys, out)
            check_merged(table, out)
            cached = (table, keys, out.items, None)
            self._tables[token] = cached
        _, keys, items, wide = cached
        if plan_wide and wide is None:
            extra = Findings(table.sheet, [])
            check_duplicates(table, keys, extra)
            check_run_together(table, keys, extra)
            wide = extra.items
            self._tables[token] = (table, keys, items, wide)
        every = Findings(table.sheet, [*items, *(wide if plan_wide and wide else [])])
        return every.sorted()

    def _row(
        self,
        table: PlanTable,
        plan_row: PlanRow,
        key: RecNo | None,
        context: tuple[object, ...],
    ) -> list[Item]:
        memo_key = (context, id(plan_row), key)
        found = self._memo.get(memo_key)
        if found is None or found[0] is not plan_row:
            row_out = Findings(table.sheet)
            self._check_row(table, plan_row, key, row_out)
            found = (plan_row, row_out.items)
            self._memo[memo_key] = found
        return found[1]

    # ---------------------------------------------------------------- columns and keys

    def _check_columns(self, table: PlanTable, out: Findings) -> None:
        row = table.header_row
        after = len(table.headers) + 1
        for label in FIELDS:
            if label in table.columns or label in QUIET_FIELDS:
                continue
            code = "column.missing" if label in REQUIRED_FIELDS else "column.optional_missing"
            out.add(code, row=row, col=after, field=label)
        for col, label in table.duplicate_columns.items():
            out.add(
                "column.duplicate",
                row=row,
                col=col,
                field=label,
                value=table.headers[col - 1],
                column=column_letter(col),
                first=column_letter(table.columns[label]),
            )
        for text, col in table.extra_columns.items():
            out.add("column.unknown", row=row, col=col, value=text, column=column_letter(col))

    def _check_rec_nos(self, table: PlanTable, out: Findings) -> dict[int, RecNo]:
        """Sheet row -> valid Rec No.; reports invalid, duplicate, missing, unexpected and
        orphaned ones."""
        col = table.columns.get(REC_NO)
        if col is None:
            return {}
        keys: dict[int, RecNo] = {}
        rows_of: dict[RecNo, list[int]] = {}
        for plan_row in table.rows:
            value = plan_row.values.get(REC_NO)
            key = plan_row.key
            if key is None:
                what = (
                    "is empty"
                    if is_blank(value)
                    else "is a formula"
                    if isinstance(value, Formula)
                    else f"'{display(value)}' is not a number"
                )
                out.add(
                    "rec_no.invalid",
                    row=plan_row.row,
                    col=col,
                    field=REC_NO,
                    value=value,
                    what=what,
                )
                continue
            keys[plan_row.row] = key
            rows_of.setdefault(key, []).append(plan_row.row)
        for key, rows in rows_of.items():
            if len(rows) > 1:
                listed = ", ".join(str(r) for r in rows)
                for row in rows:
                    out.add(
                        "rec_no.duplicate",
                        row=row,
                        col=col,
                        rec_no=key,
                        field=REC_NO,
                        value=key,
                        rows=listed,
                    )
        expected = {str(n) for n in self.plan.expected_rec_nos()}
        for plan_row in table.rows:
            key = keys.get(plan_row.row)
            if key is None or rows_of[key][0] != plan_row.row:
                continue
            parent = parent_of(key)
            if parent is not None and parent not in rows_of:
                out.add(
                    "part.no_parent",
                    row=plan_row.row,
                    col=col,
                    rec_no=key,
                    field=REC_NO,
                    value=key,
                    parent=parent,
                )
            elif parent is None and key not in expected:
                out.add(
                    "rec_no.unexpected",
                    row=plan_row.row,
                    col=col,
                    rec_no=key,
                    field=REC_NO,
                    value=key,
                )
        for key in sorted(expected - rows_of.keys(), key=rec_sort_key):
            out.add("rec_no.missing", rec_no=key, field=REC_NO)
        return keys

    # ---------------------------------------------------------------- one row

    def _check_row(
        self, table: PlanTable, plan_row: PlanRow, key: RecNo | None, out: Findings
    ) -> None:
        row = plan_row.row
        for label, value in plan_row.values.items():
            if value is None:
                # Most cells of a plan are blank or plain: those need the fewest checks.
                if label in _VOCABULARY or label in _REQUIRED_TEXT:
                    self._check_blank(table, row, key, label, out)
                continue
            col = table.columns[label]
            where: dict[str, Any] = {
                "row": row,
                "col": col,
                "rec_no": key,
                "field": label,
                "value": value,
            }
            if isinstance(value, Formula):
                if label != REC_NO:
                    out.add("cell.formula", **where)
                continue
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                out.add("cell.too_long", length=len(value), **where)
                continue
            if label == STATUS:
                self._check_vocabulary(label, value, self.plan.statuses, where, out)
            elif label == SECTION:
                self._check_vocabulary(label, value, self.plan.sections, where, out)
            elif label in DATE_FIELDS:
                self._check_date(label, value, plan_row, where, out)
            elif label in _REQUIRED_TEXT and is_blank(value):
                out.add("text.empty", field_lower=label.lower(), **where)
                continue
            if label in _REQUIRED_TEXT and isinstance(value, str):
                if looks_truncated(value):
                    tail = " ".join(value.split()[-6:])
                    out.add("text.truncated", tail=tail, **where)
                if "." in value or "!" in value or "?" in value:
                    joined = joined_sentences(value)
                    if joined is not None:
                        out.add(
                            "text.missing_space",
                            snippet=joined.snippet,
                            proposed=joined.proposed,
                            fix=(joined.proposed,),
                            **where,
                        )
            if label not in _NOT_FREE_TEXT and isinstance(value, str):
                trimmed = value.strip()
                if trimmed != value and trimmed:
                    out.add("text.whitespace", fix=(trimmed,), **where)
        self._check_closure(table, plan_row, key, out)
        for text, value in plan_row.extras.items():
            if isinstance(value, Formula):
                out.add(
                    "cell.formula",
                    row=row,
                    col=table.extra_columns[text],
                    rec_no=key,
                    field=text,
                    value=value,
                )

    def _check_blank(
        self, table: PlanTable, row: int, key: RecNo | None, label: str, out: Findings
    ) -> None:
        """An empty cell: wrong only where the plan needs a value."""
        where: dict[str, Any] = {
            "row": row,
            "col": table.columns[label],
            "rec_no": key,
            "field": label,
            "value": None,
        }
        if label == STATUS:
            self._check_vocabulary(label, None, self.plan.statuses, where, out)
        elif label == SECTION:
            self._check_vocabulary(label, None, self.plan.sections, where, out)
        else:
            out.add("text.empty", field_lower=label.lower(), **where)

    def _check_vocabulary(
        self,
        label: str,
        value: Value,
        vocabulary: tuple[str, ...],
        where: dict[str, Any],
        out: Findings,
    ) -> None:
        kind = label.lower()
        choices = ", ".join(vocabulary)
        if is_blank(value):
            out.add(f"{kind}.empty", choices=choices, **where)
            return
        word = canonical(vocabulary, value)
        if word is None:
            guess = _closest(display(value), vocabulary)
            advice = f"Did you mean '{guess}'?" if guess else f"Choose one of: {choices}."
            out.add(f"{kind}.unknown", choices=choices, advice=advice, **where)
        elif value != word:
            out.add(f"{kind}.noncanonical", word=word, fix=(word,), **where)

    def _check_date(
        self,
        label: str,
        value: Value,
        plan_row: PlanRow,
        where: dict[str, Any],
        out: Findings,
    ) -> None:
        if is_blank(value):
            return
        day: dt.date | None
        if isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
        elif isinstance(value, str) and (day := parse_date_text(value, order=self.plan.date_order)):
            out.add(
                "date.text",
                long_date=_long(day),
                short_date=uk_date(day),
                fix=(day,),
                **where,
            )
        else:
            out.add("date.invalid", example=_example(self.plan.date_order), **where)
            return
        if label == COMPLETED_ON and day > self.today:
            out.add("closure.future", long_date=_long(day), **where)
        if label != TARGET_DATE or not is_overdue(
            day, plan_row.values.get(STATUS), self.plan, self.today
        ):
            return
        out.add(
            "date.overdue",
            long_date=_long(day),
            status=display(plan_row.values.get(STATUS)) or "empty",
            complete=self._complete,
            **where,
        )

    def _check_closure(
        self, table: PlanTable, plan_row: PlanRow, key: RecNo | None, out: Findings
    ) -> None:
        """Closing a recommendation needs evidence and a date, and only a closed one has a
        completion date."""
        setting = self.plan.closure
        status = plan_row.values.get(STATUS)
        complete = canonical(self.plan.statuses, status) == self._complete
        done_col = table.columns.get(COMPLETED_ON)
        done = plan_row.values.get(COMPLETED_ON)
        if complete and setting != "off":
            severity = Severity.ERROR if setting == "error" else Severity.WARNING
            for label, code in (
                (EVIDENCE, "closure.no_evidence"),
                (COMPLETED_ON, "closure.no_date"),
            ):
                col = table.columns.get(label)
                if col is not None and is_blank(plan_row.values.get(label)):
                    out.add(
                        code,
                        row=plan_row.row,
                        col=col,
                        rec_no=key,
                        field=label,
                        severity=severity,
                        complete=self._complete,
                    )
        if done_col is not None and not complete and not is_blank(done):
            out.add(
                "closure.not_complete",
                row=plan_row.row,
                col=done_col,
                rec_no=key,
                field=COMPLETED_ON,
                value=done,
                status=display(status) or "empty",
                complete=self._complete,
            )

    # ---------------------------------------------------------------- across rows


def _closest(text: str, vocabulary: tuple[str, ...]) -> str | None:
    """The vocabulary word a near-miss was meant to be ("Completed", "in progres")."""
    folded = {w.casefold(): w for w in vocabulary}
    match = difflib.get_close_matches(text.strip().casefold(), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


def _long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _example(order: str) -> str:
    return {
        "mdy": "03/31/2027 (month first)",
        "ymd": "2027/03/31 (year first)",
    }.get(order, "31/03/2027 (day first)")


def invalid_cells(issues: Iterable[Issue]) -> set[tuple[RecNo, str]]:
    """(Rec No., field) of every cell an error-severity finding rejects.

    The sync never carries these values across. A `(rec_no, "Rec No.")` entry (for
    example a duplicated Rec No.) means the whole row is in doubt.
    """
    return {
        (issue.rec_no, issue.field)
        for issue in issues
        if issue.severity is Severity.ERROR
        and issue.rec_no is not None
        and issue.field is not None
        and issue.cell is not None
    }
