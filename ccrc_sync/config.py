"""One typed configuration: TOML parsed into pydantic models, then environment overrides.

Where the file comes from: `--config PATH`, else `CCRC_SYNC_CONFIG`, else
`config/ccrc_sync.toml` in the working directory when it exists, else the built-in
defaults. Environment variables then override, so one install serves a test, the demo and
production. Relative paths are taken from the working directory, as a shell user expects.
Secrets never live here: the SMTP password is read from `CCRC_SYNC_SMTP_PASSWORD` only
when mail is sent, and the service-account file is only ever a path.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ccrc_sync.errors import ConfigError
from ccrc_sync.schema import DEFAULT_SECTIONS, DEFAULT_STATUSES, PLAN_SHEET, canonical

DEFAULT_CONFIG = Path("config/ccrc_sync.toml")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Policy(StrEnum):
    FLAG = "flag"
    WORKBOOK_WINS = "workbook-wins"
    SHEET_WINS = "sheet-wins"


class EmailWhen(StrEnum):
    NEVER = "never"
    ALWAYS = "always"
    FLAGGED = "flagged"


class Security(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


class DateOrder(StrEnum):
    DMY = "dmy"
    MDY = "mdy"
    YMD = "ymd"


class Closure(StrEnum):
    OFF = "off"
    WARNING = "warning"
    ERROR = "error"


class PlanConfig(_Model):
    """What a correct plan looks like."""

    sheet: str = PLAN_SHEET
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    sections: tuple[str, ...] = DEFAULT_SECTIONS
    complete_status: str = "Complete"
    # The status of work not yet started, and of work underway (the roll-up of lettered
    # parts and the summary's "in progress" use these).
    planned_status: str = "Planned"
    in_progress_status: str = "In Progress"
    # Expected Rec Nos., as ranges: "1-34", or "1-30, 40".
    rec_nos: str = "1-34"
    key_section: str = "Key Recommendations"
    # How a date typed as text (1/2/2027) is read: day first ("dmy"), month first ("mdy")
    # or year first ("ymd"). Never guessed from a spreadsheet's locale.
    date_order: DateOrder = DateOrder.DMY
    # A recommendation marked complete without Evidence or Completed On: "off", "warning"
    # or "error" (only where those columns exist).
    closure: Closure = Closure.WARNING

    @field_validator("complete_status", "planned_status", "in_progress_status")
    @classmethod
    def _one_of_statuses(cls, value: str, info: ValidationInfo) -> str:
        """The plan's own spelling of a status setting, so every reader can compare it with
        a cell's canonical word as it stands (`complete` in a config is `Complete`).

        Only a setting the config states is judged (defaults are not validated): a config
        that lists its own statuses without naming these three keeps the defaults, as it
        always has, and a status it never names matches no cell.
        """
        statuses = info.data.get("statuses")
        if statuses is None:  # the list itself was refused; that is the error to tell
            return value
        word = canonical(statuses, value)
        if word is None:
            raise ValueError(
                f"{value!r} is not one of plan.statuses ({', '.join(statuses)}); use one of them"
            )
        return word

    @field_validator("rec_nos")
    @classmethod
    def _ranges(cls, value: str) -> str:
        parse_ranges(value)
        return value

    def expected_rec_nos(self) -> set[int]:
        return parse_ranges(self.rec_nos)


class WorkbookConfig(_Model):
    path: Path = Path("var/plan.xlsx")
    # Copied to `path` on the first run when the workbook does not exist yet (the demo).
    template: Path | None = None
    backups: int = Field(default=5, ge=0)
    backup_dir: Path | None = None  # default: a `backups` folder beside the workbook
    # Reading stops, before inflating anything, past these (a damaged file or a zip bomb);
    # they sit far above any real action plan.
    max_uncompressed_mb: int = Field(default=200, ge=1)
    max_compression_ratio: int = Field(default=200, ge=2)
    max_rows: int = Field(default=100_000, ge=1)
    max_cells: int = Field(default=2_000_000, ge=1)


class RetryConfig(_Model):
    max_seconds: float = Field(default=30.0, gt=0)
    initial_delay: float = Field(default=1.0, gt=0)
    max_delay: float = Field(default=16.0, gt=0)
    timeout: float = Field(default=30.0, gt=0)  # per request


class SheetConfig(_Model):
    spreadsheet_id: str = ""
    credentials: Path | None = None  # service-account JSON; GOOGLE_APPLICATION_CREDENTIALS
    # host:port of a Sheets API emulator (SHEETS_EMULATOR_HOST); no credentials needed.
    emulator_host: str | None = None
    # Start ccrc-sync's own emulator in-process with its data in this file (the demo).
    embedded_emulator: Path | None = None
    # Status and Section drop-downs refuse a value outside the list as it is typed.
    strict_dropdowns: bool = True
    retry: RetryConfig = RetryConfig()


class SyncConfig(_Model):
    policy: Policy = Policy.FLAG
    propagate_deletions: bool = False
    # More than this share of the plan's rows vanishing from one side at once is held
    # back as suspicious, whatever `propagate_deletions` says.
    max_deletion_share: float = Field(default=0.2, gt=0, le=1)
    state_dir: Path = Path("var/state")
    reports_dir: Path | None = None  # default: <state_dir>/reports
    change_log_rows: int = Field(default=500, ge=0)

    def reports(self) -> Path:
        return self.reports_dir or self.state_dir / "reports"


class EmailConfig(_Model):
    when: EmailWhen = EmailWhen.NEVER  # for the nightly run; `sync --email` always sends
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    security: Security = Security.NONE
    sender: str = "ccrc-sync@localhost"
    recipients: tuple[str, ...] = ()
    user: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    subject_prefix: str = "CCRC action plan"


class ScheduleConfig(_Model):
    # Local wall time in `timezone`; seconds are allowed ("02:00:30") so a test can schedule
    # a run a few seconds ahead.
    time: str = "02:00"
    timezone: str = "Europe/London"
    # Optional extra runs every N minutes during office hours, e.g. "08:00-18:00" (both ends
    # included) on `office_days`.
    office_hours: str | None = None
    office_interval_minutes: int | None = Field(default=None, ge=1)
    office_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    failure_alert_after: int = Field(default=3, ge=1)
    # Run once at start-up when a scheduled run was missed (machine off, service down), or
    # when there is no run history at all.
    catch_up: bool = True
    # `ccrc-sync status` reports a problem when no run has started since the last scheduled
    # time that is more than this long ago (a run may still be going, or waiting on a retry).
    status_grace_minutes: int = Field(default=120, ge=0)

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value):
            raise ValueError("must be a 24-hour time like 02:00")
        return value

    @field_validator("office_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must be a range like 08:00-18:00")
        start, end = value.split("-")
        if start >= end:
            raise ValueError("must start before it ends, like 08:00-18:00")
        return value

    @field_validator("office_days")
    @classmethod
    def _days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 0 or day > 6 for day in value):
            raise ValueError("must be weekday numbers from 0 (Monday) to 6 (Sunday)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _office_pair(self) -> ScheduleConfig:
        # One without the other is a half-finished setting; say so rather than ignore it.
        if (self.office_hours is None) != (self.office_interval_minutes is None):
            raise ValueError(
                "office_hours and office_interval_minutes must be set together "
                '(e.g. office_hours = "08:00-18:00" and office_interval_minutes = 60)'
            )
        return self


class DigestConfig(_Model):
    """Owner digests: each owner's own items, weekly, before they are overdue."""

    due_within_days: int = Field(default=14, ge=0)
    weekday: str = "Monday"
    time: str = "08:00"  # local wall time in [schedule] timezone
    # Send digests from `serve` at all (they can also be sent with `ccrc-sync digest`).
    enabled: bool = True

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value: str) -> str:
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        if value.strip().casefold() not in days:
            raise ValueError("must be a day of the week, such as Monday")
        return value.strip().capitalize()

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value):
            raise ValueError("must be a 24-hour time like 08:00")
        return value


class LoggingConfig(_Model):
    file: Path | None = None  # also log to this file, rotated at max_bytes
    level: str = "INFO"
    max_bytes: int = Field(default=1_000_000, ge=1024)
    backups: int = Field(default=5, ge=0)

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper


class Config(_Model):
    plan: PlanConfig = PlanConfig()
    workbook: WorkbookConfig = WorkbookConfig()
    sheet: SheetConfig = SheetConfig()
    sync: SyncConfig = SyncConfig()
    email: EmailConfig = EmailConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    digest: DigestConfig = DigestConfig()
    # Owner name (as typed in the Owner column) -> email address, for digests. An
    # `Owners` tab in the workbook (Name, Email) wins over this.
    owners: dict[str, str] = Field(default_factory=dict)
    logging: LoggingConfig = LoggingConfig()
    source: Path | None = None  # the file it was read from, for messages


def parse_ranges(text: str) -> set[int]:
    """'1-34' or '1-30, 40' to a set of whole numbers."""
    numbers: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", part)
        if not m or (m[2] and int(m[2]) < int(m[1])):
            raise ValueError(f"{part!r} is not a number or a range like 1-34")
        numbers.update(range(int(m[1]), int(m[2] or m[1]) + 1))
    return numbers


# Environment variable -> (section, key). Applied after the file.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "CCRC_SYNC_WORKBOOK": ("workbook", "path"),
    "CCRC_SYNC_SPREADSHEET_ID": ("sheet", "spreadsheet_id"),
    "CCRC_SYNC_STATE_DIR": ("sync", "state_dir"),
    "GOOGLE_APPLICATION_CREDENTIALS": ("sheet", "credentials"),
    "SHEETS_EMULATOR_HOST": ("sheet", "emulator_host"),
    "CCRC_SYNC_SMTP_HOST": ("email", "smtp_host"),
    "CCRC_SYNC_SMTP_PORT": ("email", "smtp_port"),
    "CCRC_SYNC_EMAIL_FROM": ("email", "sender"),
    "CCRC_SYNC_EMAIL_TO": ("email", "recipients"),
}


def config_path(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    if explicit is not None:
        return explicit
    if env.get("CCRC_SYNC_CONFIG"):
        return Path(env["CCRC_SYNC_CONFIG"])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (if any), apply environment overrides, and check it all."""
    env = os.environ if env is None else env
    source = config_path(path, env)
    data: dict[str, Any] = {}
    if source is not None:
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"The config file {source} does not exist.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"The config file {source} could not be read: {exc}.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The config file {source} is not valid TOML: {exc}.") from None
    for var, (section, key) in ENV_OVERRIDES.items():
        value = env.get(var)
        if value is None or value == "":
            continue
        if var == "SHEETS_EMULATOR_HOST" and isinstance(data.get("sheet", {}), dict):
            # An explicit emulator wins over the embedded one.
            data.setdefault("sheet", {}).pop("embedded_emulator", None)
        if var == "CCRC_SYNC_WORKBOOK" and isinstance(data.get("workbook", {}), dict):
            # A workbook named explicitly must exist: the template is only the demo's seed.
            data.setdefault("workbook", {}).pop("template", None)
        override: Any = value
        if var == "CCRC_SYNC_EMAIL_TO":
            override = [a.strip() for a in value.split(",") if a.strip()]
        if not isinstance(data.get(section, {}), dict):
            break  # reported by validation below
        data.setdefault(section, {})[key] = override
    data["source"] = source
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, source, env)) from None


def _explain(exc: ValidationError, source: Path | None, env: Mapping[str, str]) -> str:
    where = f"in {source}" if source else ""
    from_env = {
        f"{section}.{key}": var for var, (section, key) in ENV_OVERRIDES.items() if env.get(var)
    }
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            problems.append(f"{key} is not a setting ccrc-sync knows (check the spelling)")
            continue
        var = next((v for k, v in from_env.items() if key.startswith(k)), None)
        problems.append(f"{key} (set by {var}): {msg}" if var else f"{key}: {msg}")
    return f"The configuration {where} is wrong: ".replace("  ", " ") + "; ".join(problems) + "."


def zone(config: Config) -> ZoneInfo:
    """The configured time zone, in which every date and time is shown and judged."""
    return ZoneInfo(config.schedule.timezone)


def today(config: Config, now: dt.datetime | None = None) -> dt.date:
    """Today in the configured time zone: the one "today" every command judges dates by
    (a target date passes at midnight in London, not at the server's midnight)."""
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone(config)).date()
