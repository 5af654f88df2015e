"""`ccrc-sync digest`: each owner gets one email about their own items, and `serve` knows
when the weekly digests are due.

The shell around the pure `digest_items` (which rows) and `digest_message` (how they
read): it reads the workbook (the plan and an optional `Owners` tab), the state (the
change log, the conflicts the last sync left open, where each row sits in the Google
Sheet, when each owner last had a digest), matches owners to addresses and sends through
`mail`. Nobody is sent an empty digest, and an owner who should get one but has no
address is listed with the reason, never skipped silently.

State it keeps (meta keys): `digest:last:<owner, lower case>` when that owner's digest
last went, and `digest:last_run` when the last digest run finished, for `serve`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ccrc_sync.config import Config
from ccrc_sync.config import today as config_today
from ccrc_sync.config import zone as config_zone
from ccrc_sync.digest_items import (
    FIRST_DIGEST_LOOKBACK,
    CellChange,
    OwnerItems,
    collect,
    is_address,
    owner_key,
    owners_in,
)
from ccrc_sync.digest_message import render_html, render_text, subject
from ccrc_sync.digest_schedule import (
    META_LAST_RUN,
    digest_due,
    last_digest_run,
    last_digest_slot,
    next_digest,
)
from ccrc_sync.errors import CcrcSyncError, MailError, WorkbookError
from ccrc_sync.plan_model import OPEN_CONFLICTS_META, decode_open_conflicts
from ccrc_sync.report.model import GOOGLE_SHEET_URL
from ccrc_sync.schema import OWNER, PlanRow, PlanTable, RecNo, Value, header_key
from ccrc_sync.state import LogEvent, State

log = logging.getLogger(__name__)

OWNERS_TAB = "Owners"
META_LAST = "digest:last:"
META_SHEET = "sheet_plan"
_NAME_HEADERS = {header_key("Name"), header_key(OWNER)}
_EMAIL_HEADERS = {header_key("Email"), header_key("Email address"), header_key("E-mail")}
NO_ADDRESS = (
    "no email address: add one under [owners] in the config, or to the Owners tab in the workbook"
)


class DigestError(CcrcSyncError):
    """The digests could not be made or sent at all."""


@dataclass(frozen=True)
class Sent:
    owner: str
    to: str
    items: int


@dataclass(frozen=True)
class Skipped:
    owner: str
    reason: str


@dataclass
class DigestResult:
    """Who was sent a digest (or would be, in a dry run) and who was not, and why."""

    dry_run: bool
    sent: list[Sent] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Not in the JSON: the digests themselves, owners with nothing to report, rows that
    # need attention but have no owner, and notes (an unreadable Owners tab).
    digests: list[OwnerItems] = field(default_factory=list)
    quiet: list[str] = field(default_factory=list)
    unowned: list[RecNo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 every due digest went; 1 some owner could not be sent theirs."""
        return 1 if self.skipped else 0

    def to_json(self) -> str:
        return json.dumps(
            {
                "sent": [{"owner": s.owner, "to": s.to, "items": s.items} for s in self.sent],
                "skipped": [{"owner": s.owner, "reason": s.reason} for s in self.skipped],
            },
            indent=2,
            ensure_ascii=False,
        )

    def render_text(self) -> str:
        recs = {d.owner: ", ".join(i.rec_no for i in d.items) for d in self.digests}
        lines: list[str] = []
        if self.sent:
            lines.append(f"{'Would send' if self.dry_run else 'Sent'} ({len(self.sent)}):")
            for s in self.sent:
                noun = "item" if s.items == 1 else "items"
                lines.append(f"  {s.owner} <{s.to}>: {s.items} {noun} (Rec {recs[s.owner]})")
        if self.skipped:
            lines.append(f"Not sent ({len(self.skipped)}):")
            lines += [f"  {s.owner}: {s.reason}." for s in self.skipped]
        if not self.sent and not self.skipped:
            lines.append(
                "No owner has anything overdue, due soon, changed or in conflict; "
                "no digest was sent."
            )
        if self.quiet:
            lines.append("Nothing to send to: " + ", ".join(self.quiet) + ".")
        if self.unowned:
            lines.append("Items with no owner: Rec " + ", ".join(self.unowned) + ".")
        lines += self.notes
        if self.dry_run:
            lines.append("Dry run: nothing was sent.")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the run


def run_digest(
    config: Config,
    *,
    now: dt.datetime,
    dry_run: bool,
    env: Mapping[str, str] | None = None,
) -> DigestResult:
    """Send each owner one email about their items (or, with `dry_run`, list what would go).

    Raises a `CcrcSyncError` (exit 2) when it cannot run: the workbook or the state cannot
    be read, or not one digest could be delivered.
    """
    if now.tzinfo is None:
        raise DigestError("The digest needs the time with its time zone.")
    today = config_today(config, now)
    result = DigestResult(dry_run=dry_run)
    table = _read_plan(config).by_rec_no()
    tab_addresses = _owners_tab(config, result)
    state = _open_state(config, create=not dry_run)
    try:
        digests, unowned = collect(
            table,
            config.plan,
            today=today,
            due_within_days=config.digest.due_within_days,
            changes=_changes(state),
            since=_since(state, now),
            conflicts=decode_open_conflicts(state.get_meta(OPEN_CONFLICTS_META) if state else None),
            link=_linker(state, config),
        )
        result.unowned = unowned
        result.digests = digests
        listed = {owner_key(d.owner) for d in digests}
        result.quiet = [name for key, name in owners_in(table).items() if key not in listed]
        book = _address_book(config, tab_addresses)
        failures: list[MailError] = []
        for digest in digests:
            key = owner_key(digest.owner)
            to, problem = _address_of(digest.owner, book.get(key))
            if to is None:
                result.skipped.append(Skipped(digest.owner, problem))
                continue
            if not dry_run:
                try:
                    _send(digest, to, today, config, env)
                except MailError as exc:
                    failures.append(exc)
                    reason = f"the email could not be sent: {str(exc).rstrip('.')}"
                    result.skipped.append(Skipped(digest.owner, reason))
                    continue
                if state is not None:
                    state.set_meta(META_LAST + key, now.isoformat())
            result.sent.append(Sent(digest.owner, to, len(digest.items)))
        if failures and not result.sent:
            raise DigestError(f"No digest could be sent: {failures[0]}")
        if state is not None and not dry_run:
            state.set_meta(META_LAST_RUN, now.isoformat())
    finally:
        if state is not None:
            state.close()
    return result


def _send(
    digest: OwnerItems, to: str, today: dt.date, config: Config, env: Mapping[str, str] | None
) -> None:
    from ccrc_sync.mail import send_message_to

    days = config.digest.due_within_days
    send_message_to(
        [a.strip() for a in to.split(",")],
        subject(digest, config.email.subject_prefix, days),
        render_text(digest, today, days, zone=config_zone(config)),
        render_html(digest, today, days, zone=config_zone(config)),
        config.email,
        env,
    )


# --------------------------------------------------------------------------- the workbook


def _read_plan(config: Config) -> PlanTable:
    from ccrc_sync.workbook import read_plan

    return read_plan(config.workbook.path, config.plan.sheet)


def _owners_tab(config: Config, result: DigestResult) -> dict[str, str]:
    """owner key -> address(es) from the workbook's Owners tab (Name, Email); {} without
    one. An Owners tab that cannot be read is noted, and the config's addresses used."""
    from ccrc_sync.workbook import read_plan

    try:
        table = read_plan(config.workbook.path, OWNERS_TAB)
    except WorkbookError as exc:
        if f"has no '{OWNERS_TAB}' sheet" not in str(exc):
            result.notes.append(f"{exc} The addresses under [owners] in the config were used.")
        return {}
    columns = {header_key(h): col for col, h in enumerate(table.headers, start=1)}
    name_col = next((columns[k] for k in _NAME_HEADERS if k in columns), None)
    email_col = next((columns[k] for k in _EMAIL_HEADERS if k in columns), None)
    if name_col is None or email_col is None:
        result.notes.append(
            f"The workbook's {OWNERS_TAB} tab has no Name and Email columns; the addresses "
            "under [owners] in the config were used."
        )
        return {}
    addresses: dict[str, str] = {}
    for row in table.rows:
        cells = _cells_by_column(table, row)
        name, email = _text(cells.get(name_col)), _text(cells.get(email_col))
        if name and email:
            addresses[owner_key(name)] = email
    return addresses


def _cells_by_column(table: PlanTable, row: PlanRow) -> dict[int, Value]:
    """A row's values by 1-based column, whether its header is a plan field or not."""
    cells = {col: row.values.get(label) for label, col in table.columns.items()}
    cells.update({col: row.extras.get(text) for text, col in table.extra_columns.items()})
    return cells


def _text(value: Value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _address_book(config: Config, tab: Mapping[str, str]) -> dict[str, str]:
    """owner key -> address(es): the config's [owners], then the Owners tab, which wins."""
    book = {owner_key(name): address for name, address in config.owners.items()}
    book.update(tab)
    return book


def _address_of(owner: str, configured: str | None) -> tuple[str | None, str]:
    """(the address list to send to, or None and why not). An Owner cell that is itself
    an email address needs no entry."""
    if configured is None or not configured.strip():
        return (owner, "") if is_address(owner) else (None, NO_ADDRESS)
    addresses = [a.strip() for a in re.split(r"[;,]", configured) if a.strip()]
    wrong = [a for a in addresses if not is_address(a)]
    if wrong or not addresses:
        shown = wrong[0] if wrong else configured
        return None, (
            f"'{shown}' is not an email address; correct it under [owners] in the config or "
            "in the Owners tab in the workbook"
        )
    return ", ".join(addresses), ""


# --------------------------------------------------------------------------- the state


def _open_state(config: Config, *, create: bool) -> State | None:
    """The state, or None in a dry run before any sync (nothing is created by looking)."""
    if create:
        return State(config.sync.state_dir)
    return State.open_existing(config.sync.state_dir)


def _changes(state: State | None) -> list[tuple[RecNo, CellChange]]:
    if state is None:
        return []
    return [
        (
            e.rec_no,
            CellChange(
                when=e.when,
                field=e.field,
                old=e.old,
                new=e.new,
                source=e.source,
                resolved=e.event is LogEvent.RESOLVED,
            ),
        )
        for e in state.change_log()
    ]


def _since(state: State | None, now: dt.datetime) -> Callable[[str], dt.datetime]:
    """owner key -> when their last digest went (an owner never sent one: a week ago)."""
    first = now - FIRST_DIGEST_LOOKBACK

    def since(key: str) -> dt.datetime:
        saved = state.get_meta(META_LAST + key) if state is not None and key else None
        if saved:
            try:
                return _aware(dt.datetime.fromisoformat(saved))
            except ValueError:
                log.warning("ignoring an unreadable digest time for %s", key)
        return first

    return since


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _meta_json(state: State | None, key: str) -> Any:
    if state is None:
        return None
    text = state.get_meta(key)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        log.warning("ignoring unreadable state meta %r", key)
        return None


def _linker(state: State | None, config: Config) -> Callable[[RecNo], str]:
    """rec_no -> the address of its row in the Google Sheet (or of the sheet itself)."""
    data = _meta_json(state, META_SHEET)
    sheet = data if isinstance(data, dict) else {}
    spreadsheet = str(sheet.get("spreadsheet_id") or config.sheet.spreadsheet_id or "")
    url = GOOGLE_SHEET_URL.format(id=spreadsheet) if spreadsheet else ""
    gid = sheet.get("gid")
    found = sheet.get("rows")
    rows: dict[str, Any] = found if isinstance(found, dict) else {}

    def link(rec_no: RecNo) -> str:
        if not url:
            return ""
        if gid is None:
            return url
        row = rows.get(rec_no)
        if isinstance(row, int) and not isinstance(row, bool) and row > 0:
            return f"{url}#gid={gid}&range=A{row}"
        return f"{url}#gid={gid}"

    return link


__all__ = [
    "NO_ADDRESS",
    "OWNERS_TAB",
    "DigestError",
    "DigestResult",
    "Sent",
    "Skipped",
    "digest_due",
    "last_digest_run",
    "last_digest_slot",
    "next_digest",
    "run_digest",
]
