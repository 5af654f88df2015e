"""The reports folder: each run's report as HTML and JSON, and `latest` copies.

A reader (a person, `ccrc-sync report`, the next email) or a crash must never see half a
report, so every file is written to a temporary file in the same folder and renamed over
the old one (`write_atomic`, which `publish` uses too). Run ids become file names only after anything that could climb out of the
folder is replaced.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from ccrc_sync.report.html import render_html
from ccrc_sync.report.model import ReportError, RunReport

LATEST = "latest"


def _safe_name(run_id: str) -> str:
    """A run id as a file name: nothing that could climb out of the reports folder."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", run_id).strip(".")
    return name or "run"


def write_atomic(path: Path, data: bytes) -> None:
    """Put `data` at `path` whole or not at all: a temporary file beside it, flushed to
    disk, then renamed over it. The one atomic writer for reports and published documents.

    The file gets the usual permissions (0666 less the umask), not mkstemp's private 0600:
    reports and documents hold what staff see in the plan anyway, and whoever may read the
    folder should read them. (The state's last-error.txt is private on purpose: a
    traceback may show paths and settings.) Raises `OSError`; the caller says what failed.
    """
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_report(r: RunReport, reports_dir: Path) -> tuple[Path, Path]:
    """Write `<run_id>.html` and `<run_id>.json`, and copies as `latest.html`/`latest.json`."""
    name = _safe_name(r.run_id)
    html_path = reports_dir / f"{name}.html"
    json_path = reports_dir / f"{name}.json"
    page = render_html(r)
    data = r.model_dump_json(indent=2)
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        for path, text in (
            (html_path, page),
            (json_path, data),
            (reports_dir / f"{LATEST}.html", page),
            (reports_dir / f"{LATEST}.json", data),
        ):
            write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise ReportError(
            f"The run report could not be written to {reports_dir}: {exc.strerror or exc}."
        ) from None
    return html_path, json_path


def load_report(reports_dir: Path, run_id: str | None = None) -> RunReport:
    """The report of one run, or of the latest run when `run_id` is None."""
    if run_id is None:
        path = reports_dir / f"{LATEST}.json"
        if not path.is_file():
            runs = sorted(
                (p for p in reports_dir.glob("*.json") if p.stem != LATEST),
                key=lambda p: p.stat().st_mtime,
            )
            if not runs:
                raise ReportError(
                    f"There is no run report in {reports_dir} yet: run `ccrc-sync sync` first."
                )
            path = runs[-1]
    else:
        path = reports_dir / f"{_safe_name(run_id)}.json"
        if not path.is_file():
            raise ReportError(f"There is no report for run {run_id} in {reports_dir}.")
    try:
        return RunReport.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is damaged or incomplete"
        raise ReportError(f"The report {path} could not be read: {reason}.") from None


def last_sent(reports_dir: Path, sent_run_ids: Iterable[str]) -> RunReport | None:
    """The newest report that was emailed and can still be read, so the next email's
    subject can say what is new since it. `sent_run_ids` are the runs whose report went,
    newest first (the state keeps that); one whose file is gone or damaged is skipped."""
    for run_id in sent_run_ids:
        try:
            return load_report(reports_dir, run_id)
        except ReportError:
            continue
    return None
