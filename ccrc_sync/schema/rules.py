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
from dataclasses import dataclass, field
from typing import Any, Protocol

from ccrc_sync.schema.codes import Issue, Severity, make_issue
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
    near_duplicates,
    run_together_word,
    text_of,
    vocabulary,
)
from ccrc_sync.schema.values import (
    a1,
    canonical,
    column_letter,
    column_number,
    display,
    is_blank,
    parse_date_text,
    uk_date,
)


class PlanRules(Protocol):
    """What the rules need from `config.PlanConfig` (structural, to avoid an import cycle)."""

    @property
    def statuses(self) -> tuple[str, ...]: ...
    @property
    def sections(self) -> tuple[str, ...]: ...
    @property
    def complete_status(self) -> str: ...
    @property
    def in_progress_status(self) -> str: ...
    @property
    def planned_status(self) -> str: ...
    @property
    def date_order(self) -> str: ...
    @property
    def closure(self) -> str: ...
    def expected_rec_nos(self) -> set[int]: ...


# Rows without a cell (plan-level findings) sort after every row.
_LAST = 1 << 30
_Item = tuple[int, int, int, Issue]


@dataclass
class _Findings:
    """Collects findings with a sort key, so the output order never depends on rule order."""

    sheet: str
    items: list[_Item] = field(default_factory=list)

    def add(
        self,
        code: str,
        *,
        row: int | None = None,
        col: int | None = None,
        rec_no: RecNo | None = None,
        field: str | None = None,
        value: Value = None,
        severity: Severity | None = None,
        fix: tuple[Value] | None = None,
        **params: object,
    ) -> None:
        cell = a1(row, col) if row is not None and col is not None else None
        shown = None if value is None else display(value)
        issue = make_issue(
            code,
            sheet=self.sheet,
            cell=cell,
            rec_no=rec_no,
            field=field,
            value=shown,
            severity=severity,
            row=row,
            **params,
        )
        if fix is not None:
            issue = issue.with_fix(fix[0])
        key = (row if row is not None else _LAST, col if col is not None else _LAST)
        self.items.append((*key, len(self.items), issue))

    def sorted(self) -> list[Issue]:
        return [item[3] for item in sorted(self.items, key=lambda item: item[:3])]


def rollup(statuses: Iterable[Value], plan: PlanRules) -> str:
    """A parent's status from its parts': Complete when every part is, In Progress when
    any part is In Progress or Complete, otherwise Planned."""
    words = [canonical(plan.statuses, s) for s in statuses]
    complete = canonical(plan.statuses, plan.complete_status) or plan.complete_status
    if words and all(w == complete for w in words):
        return complete
    if any(w is not None and w != plan.planned_status for w in words):
        return plan.in_progress_status
    return plan.planned_status


class Validator:
    """The rules of the action plan, with one run's settings."""

    def __init__(self, plan: PlanRules, today: dt.date) -> None:
        self.plan = plan
        self.today = today
        self._complete = canonical(plan.statuses, plan.complete_status) or plan.complete_status
        # Judged rows and tables, keyed by identity (the object is kept with its findings,
        # so an id is never mistaken for a later object's).
        self._memo: dict[tuple[object, ...], tuple[PlanRow, list[_Item]]] = {}
        self._tables: dict[
            tuple[int, int], tuple[PlanTable, dict[int, RecNo], list[_Item], list[_Item] | None]
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
            out = _Findings(table.sheet)
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
            self._check_rollups(table, keys, out)
            self._check_merged(table, out)
            cached = (table, keys, out.items, None)
            self._tables[token] = cached
        _, keys, items, wide = cached
        if plan_wide and wide is None:
            extra = _Findings(table.sheet, [])
            self._check_duplicates(table, keys, extra)
            self._check_run_together(table, keys, extra)
            wide = extra.items
            self._tables[token] = (table, keys, items, wide)
        every = _Findings(table.sheet, [*items, *(wide if plan_wide and wide else [])])
        return every.sorted()

    def _row(
        self,
        table: PlanTable,
        plan_row: PlanRow,
        key: RecNo | None,
        context: tuple[object, ...],
    ) -> list[_Item]:
        memo_key = (context, id(plan_row), key)
        found = self._memo.get(memo_key)
        if found is None or found[0] is not plan_row:
            row_out = _Findings(table.sheet)
            self._check_row(table, plan_row, key, row_out)
            found = (plan_row, row_out.items)
            self._memo[memo_key] = found
        return found[1]

    # ---------------------------------------------------------------- columns and keys

    def _check_columns(self, table: PlanTable, out: _Findings) -> None:
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

    def _check_rec_nos(self, table: PlanTable, out: _Findings) -> dict[int, RecNo]:
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
        self, table: PlanTable, plan_row: PlanRow, key: RecNo | None, out: _Findings
    ) -> None:
        row = plan_row.row
        for label, value in plan_row.values.items():
            col = table.columns[label]
            where = {"row": row, "col": col, "rec_no": key, "field": label, "value": value}
            if isinstance(value, Formula):
                if label != REC_NO:
                    out.add("cell.formula", **where)  # type: ignore[arg-type]
                continue
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                out.add("cell.too_long", length=len(value), **where)  # type: ignore[arg-type]
                continue
            if label == STATUS:
                self._check_vocabulary(label, value, self.plan.statuses, where, out)
            elif label == SECTION:
                self._check_vocabulary(label, value, self.plan.sections, where, out)
            elif label in DATE_FIELDS:
                self._check_date(label, value, plan_row, where, out)
            elif label in (RECOMMENDATION, ACTION) and is_blank(value):
                out.add("text.empty", field_lower=label.lower(), **where)  # type: ignore[arg-type]
                continue
            if label in (RECOMMENDATION, ACTION) and isinstance(value, str):
                if looks_truncated(value):
                    tail = " ".join(value.split()[-6:])
                    out.add("text.truncated", tail=tail, **where)  # type: ignore[arg-type]
                joined = joined_sentences(value)
                if joined is not None:
                    out.add(
                        "text.missing_space",
                        snippet=joined.snippet,
                        proposed=joined.proposed,
                        fix=(joined.proposed,),
                        **where,  # type: ignore[arg-type]
                    )
            if label not in (REC_NO, STATUS, SECTION, *DATE_FIELDS) and isinstance(value, str):
                trimmed = value.strip()
                if trimmed != value and trimmed:
                    out.add("text.whitespace", fix=(trimmed,), **where)  # type: ignore[arg-type]
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

    def _check_vocabulary(
        self,
        label: str,
        value: Value,
        vocabulary: tuple[str, ...],
        where: dict[str, Any],
        out: _Findings,
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
        out: _Findings,
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
        if label != TARGET_DATE or day >= self.today:
            return
        status = canonical(self.plan.statuses, plan_row.values.get(STATUS))
        if status == self._complete:
            return
        out.add(
            "date.overdue",
            long_date=_long(day),
            status=display(plan_row.values.get(STATUS)) or "empty",
            complete=self._complete,
            **where,
        )

    def _check_closure(
        self, table: PlanTable, plan_row: PlanRow, key: RecNo | None, out: _Findings
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

    def _check_rollups(self, table: PlanTable, keys: dict[int, RecNo], out: _Findings) -> None:
        col = table.columns.get(STATUS)
        if col is None:
            return
        parents: dict[RecNo, PlanRow] = {}
        parts: dict[RecNo, list[Value]] = {}
        for plan_row in table.rows:
            key = keys.get(plan_row.row)
            if key is None:
                continue
            parent = parent_of(key)
            if parent is None:
                parents.setdefault(key, plan_row)
            else:
                parts.setdefault(parent, []).append(plan_row.values.get(STATUS))
        for parent, statuses in parts.items():
            found = parents.get(parent)
            if found is None:
                continue
            entered = found.values.get(STATUS)
            computed = rollup(statuses, self.plan)
            if canonical(self.plan.statuses, entered) != computed:
                out.add(
                    "status.rollup",
                    row=found.row,
                    col=col,
                    rec_no=parent,
                    field=STATUS,
                    value=entered,
                    computed=computed,
                    fix=(computed,),
                )

    def _check_merged(self, table: PlanTable, out: _Findings) -> None:
        for ref in table.merged:
            first, _, last = ref.upper().replace("$", "").partition(":")
            letters = first.rstrip("0123456789")
            digits = first[len(letters) :]
            if not letters or not digits.isdigit():
                continue
            last_row = int((last or first).lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or digits)
            if last_row <= table.header_row:
                continue
            out.add("cell.merged", row=int(digits), col=column_number(letters), value=ref)

    def _check_duplicates(self, table: PlanTable, keys: dict[int, RecNo], out: _Findings) -> None:
        col = table.columns.get(RECOMMENDATION)
        if col is None:
            return
        for this, other in near_duplicates(table.rows):
            this_no, other_no = keys.get(this.row), keys.get(other.row)
            this_name = f"Rec {this_no}" if this_no else f"Row {this.row}"
            other_name = f"Rec {other_no}" if other_no else f"row {other.row}"
            out.add(
                "text.near_duplicate",
                row=this.row,
                col=col,
                rec_no=this_no,
                field=RECOMMENDATION,
                value=this.values.get(RECOMMENDATION),
                this=this_name,
                other=other_name,
                other_row=other.row,
            )

    def _check_run_together(self, table: PlanTable, keys: dict[int, RecNo], out: _Findings) -> None:
        """Words that lost their space ("structureunderway"), judged against the words the
        plan itself uses."""
        labels = [label for label in (RECOMMENDATION, ACTION) if label in table.columns]
        texts = [t for r in table.rows for label in labels if (t := text_of(r.values.get(label)))]
        words = vocabulary(texts)
        for plan_row in table.rows:
            for label in labels:
                text = text_of(plan_row.values.get(label))
                if text is None:
                    continue
                found = run_together_word(text, words)
                if found is None:
                    continue
                out.add(
                    "text.missing_space",
                    row=plan_row.row,
                    col=table.columns[label],
                    rec_no=keys.get(plan_row.row),
                    field=label,
                    value=text,
                    snippet=found.snippet,
                    proposed=found.proposed,
                    fix=(found.proposed,),
                )


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
