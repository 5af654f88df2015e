"""Where an unexpected error leaves its trace.

A bug must never be a mystery: the CLI's one error boundary writes the traceback to the
configured log file and always to `last-error.txt` in the state folder (readable only by
its owner, as it may quote a path or a value), and tells the person where it is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import traceback
from pathlib import Path

from ccrc_sync.config import Config, load_config

LAST_ERROR = "last-error.txt"
_FALLBACK_STATE = Path("var/state")

log = logging.getLogger("ccrc_sync")


def record(exc: BaseException, config_path: Path | None = None) -> Path | None:
    """Write the traceback of `exc`; returns the file, or None if even that failed."""
    config: Config | None = None
    with contextlib.suppress(Exception):
        config = load_config(config_path)
    state_dir = config.sync.state_dir if config is not None else _FALLBACK_STATE
    text = "".join(traceback.format_exception(exc))
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if config is not None and config.logging.file is not None:
        with contextlib.suppress(Exception):
            config.logging.file.parent.mkdir(parents=True, exist_ok=True)
            with config.logging.file.open("a", encoding="utf-8") as handle:
                handle.write(f"{stamp} ERROR ccrc_sync: unexpected error\n{text}")
    target = state_dir / LAST_ERROR
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"{stamp}\n{text}")
        os.chmod(target, 0o600)
    except OSError:
        log.debug("could not write %s", target, exc_info=True)
        return None
    return target
