"""The exception tree. Every class carries a message a governance officer can act on.

The CLI is the single boundary that turns these into exit code 2 and one line on stderr;
anything else that escapes is a bug and is logged with its traceback.
"""


class CcrcSyncError(Exception):
    """Something stopped ccrc-sync from doing its job; the message says what and how to fix it."""


class ConfigError(CcrcSyncError):
    """The configuration file or an environment override is wrong."""


class WorkbookError(CcrcSyncError):
    """The workbook could not be read, or could not be written safely."""


class WorkbookBusy(WorkbookError):
    """The workbook is open in Excel or locked; it is left alone and the next run catches up."""


class SheetError(CcrcSyncError):
    """The Google Sheet could not be reached, opened or written."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class StateError(CcrcSyncError):
    """The sync's own SQLite state could not be read or written."""


class LockError(CcrcSyncError):
    """Another sync is already running."""


class MailError(CcrcSyncError):
    """The report could not be emailed; it stays on disk and is sent with the next run."""


class ReportPathError(CcrcSyncError):
    """A report could not be written where it was asked to go."""
