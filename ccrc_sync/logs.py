"""Logging for `serve` (and any command given a log file): rotated, with secrets redacted.

The SMTP password is only ever read from the environment, and this filter makes sure that
even a library that echoes it (an SMTP error quoting the login, say) never writes it to a
log.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Iterable, Mapping

from ccrc_sync.config import LoggingConfig
from ccrc_sync.errors import CcrcSyncError

# --------------------------------------------------------------------------- logging

_SECRET_ENV = ("CCRC_SYNC_SMTP_PASSWORD",)


class RedactSecrets(logging.Filter):
    """Blank out secrets a message might carry by accident (an SMTP password, a private key).

    Secrets are never logged on purpose; this is the belt to that pair of braces, because an
    exception from a library can quote what it was given.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._env = env

    def _secrets(self) -> list[str]:
        env = os.environ if self._env is None else self._env
        return [v for k in _SECRET_ENV if len(v := env.get(k, "")) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _redact(message, self._secrets())
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _redact(record.exc_text, self._secrets())
        return True


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    marker = "-----BEGIN PRIVATE KEY-----"
    if marker in text:
        head, _, tail = text.partition(marker)
        _, _, rest = tail.partition("-----END PRIVATE KEY-----")
        text = head + "[redacted private key]" + rest
    return text


_OURS = "_ccrc_sync_handler"


def setup_logging(cfg: LoggingConfig, verbose: bool = False) -> None:
    """Log to stderr, and to a rotating file when configured. Safe to call more than once.

    `--verbose` means DEBUG for ccrc-sync; the chatty libraries (urllib3, google-auth,
    schedule's per-second tick) stay at WARNING/INFO so the log still reads as a story.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):  # replace basicConfig's handler and our own
        root.removeHandler(handler)
        if getattr(handler, _OURS, False):
            handler.close()
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if cfg.file is not None:
        try:
            cfg.file.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(
                logging.handlers.RotatingFileHandler(
                    cfg.file, maxBytes=cfg.max_bytes, backupCount=cfg.backups, encoding="utf-8"
                )
            )
        except OSError as exc:
            raise CcrcSyncError(
                f"The log file {cfg.file} could not be opened: {exc}. "
                "Fix logging.file in the config or the folder's permissions."
            ) from None
    for handler in handlers:
        setattr(handler, _OURS, True)
        handler.setFormatter(formatter)
        handler.addFilter(RedactSecrets())
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else getattr(logging, cfg.level))
    for noisy in ("urllib3", "google", "google.auth", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("schedule").setLevel(logging.INFO)
