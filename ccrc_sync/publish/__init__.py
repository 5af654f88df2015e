"""`ccrc-sync publish`: the public summary of the response, regenerated from the live plan.

The CCRC published its response as a document (the seed): a narrative with the counts,
then the action plan as one table per section. It used to be rewritten by hand each time
a status moved. Here it is made from the plan: the narrative from an editable template
(`templates/summary.md`, with its count sentence filled in), the tables from the
workbook, in markdown, HTML or Word.

This module is the shell: it reads the workbook (in one function, `_read_plan`), finds
and reads the narrative template, and writes the output atomically (a temporary file
beside it, then a rename), so a failed run never leaves half a document. What the
document says is decided by the pure `model`; `formats` and `word` draw it.

The plan's own defects (text cut off, words run together) are never mended in the
document: they are returned as findings (`Publication.findings`) for the caller to report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ccrc_sync.config import Config, today
from ccrc_sync.publish.formats import to_html, to_markdown
from ccrc_sync.publish.model import (
    COLUMNS,
    HEADING,
    DocRow,
    DocTable,
    Document,
    Narrative,
    PublishError,
    build_document,
    fold_parts,
    long_date,
    parse_narrative,
)
from ccrc_sync.report.store import write_atomic
from ccrc_sync.schema import Issue, PlanTable, validate_plan

FORMATS: dict[str, tuple[str, ...]] = {
    "md": (".md", ".markdown"),
    "html": (".html", ".htm"),
    "docx": (".docx",),
}
NARRATIVE = Path("templates") / "summary.md"
# The narrative shipped with ccrc-sync, used when the working folder has none of its own.
_SHIPPED_NARRATIVE = Path(__file__).resolve().parents[2] / NARRATIVE


@dataclass(frozen=True)
class Publication:
    """What `publish` wrote, and what it noticed in the plan but left as it is."""

    path: Path
    fmt: str
    document: Document
    findings: list[Issue]


def guess_format(out: Path | None, default: str = "md") -> str:
    """The format an output file's name asks for (`summary.docx` -> docx), else `default`."""
    if out is not None:
        suffix = out.suffix.lower()
        for fmt, suffixes in FORMATS.items():
            if suffix in suffixes:
                return fmt
    return default


def publish(
    config: Config,
    *,
    out: Path | None,
    fmt: str,
    now: dt.datetime | None = None,
    narrative: Path | None = None,
) -> Path:
    """Write the public summary (md | html | docx) and return where it went.

    `now` is the publish moment (default: the current time; without a zone, UTC); its
    date in the configured time zone is the document's date. `out` defaults to a dated file in the reports
    folder. Raises `PublishError` (or the workbook's `WorkbookError`) with one sentence.
    """
    return publish_document(config, out=out, fmt=fmt, now=now, narrative=narrative).path


def publish_document(
    config: Config,
    *,
    out: Path | None,
    fmt: str,
    now: dt.datetime | None = None,
    narrative: Path | None = None,
) -> Publication:
    """`publish`, also returning the document and the plan's findings (for the CLI)."""
    fmt = _check_format(fmt, out)
    day = today(config, now)
    template_path = _narrative_path(narrative)
    text = _read_text(template_path)
    plan_table = _read_plan(config)
    document = build_document(
        plan_table.by_rec_no(),
        config.plan,
        parse_narrative(text, str(template_path)),
        day,
        where=str(template_path),
    )
    findings = validate_plan(plan_table, config.plan, day)
    target = out if out is not None else _default_out(config, day, fmt)
    _write_document(target, render(document, fmt), explicit=out is not None)
    return Publication(target, fmt, document, findings)


def render(document: Document, fmt: str) -> bytes:
    """The document's bytes in one format."""
    if fmt == "md":
        return to_markdown(document).encode("utf-8")
    if fmt == "html":
        return to_html(document).encode("utf-8")
    from ccrc_sync.publish.word import to_docx  # python-docx only when it is asked for

    return to_docx(document)


# --------------------------------------------------------------------------- inputs


def _read_plan(config: Config) -> PlanTable:
    """The only place the workbook is read."""
    from ccrc_sync.workbook import read_plan

    return read_plan(config.workbook.path, config.plan.sheet)


def _check_format(fmt: str, out: Path | None) -> str:
    key = fmt.strip().lower().lstrip(".")
    key = {"markdown": "md", "htm": "html", "word": "docx"}.get(key, key)
    if key not in FORMATS:
        raise PublishError(f"'{fmt}' is not a format publish can write; use md, html or docx.")
    if out is not None:
        asked = guess_format(out, default=key)
        if asked != key:
            raise PublishError(
                f"--out {out} names a .{asked} file but the format is {key}; "
                f"use --format {asked} or a file name ending in {FORMATS[key][0]}."
            )
    return key


def _narrative_path(explicit: Path | None) -> Path:
    """The narrative template: the one named, else `templates/summary.md` in the working
    folder (a deployment's own edited copy), else the one shipped with ccrc-sync."""
    if explicit is not None:
        return explicit
    for candidate in (NARRATIVE, _SHIPPED_NARRATIVE):
        if candidate.is_file():
            return candidate
    raise PublishError(
        f"The narrative template {NARRATIVE} was not found in {Path.cwd()}; "
        "run publish from the ccrc-sync folder or copy templates/summary.md there."
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PublishError(f"The narrative template {path} does not exist.") from None
    except UnicodeDecodeError:
        raise PublishError(
            f"The narrative template {path} is not UTF-8 text; save it as UTF-8."
        ) from None
    except OSError as exc:
        raise PublishError(
            f"The narrative template {path} could not be read: {exc.strerror or exc}."
        ) from None


# --------------------------------------------------------------------------- output


def _default_out(config: Config, day: dt.date, fmt: str) -> Path:
    return config.sync.reports() / f"ccrc-summary-{day:%Y-%m-%d}{FORMATS[fmt][0]}"


def _write_document(target: Path, data: bytes, *, explicit: bool) -> None:
    """Write `data` to `target` whole or not at all (`report.store.write_atomic`). A
    missing folder for an explicit --out is the user's mistake, said in
    one sentence; the default reports folder is created."""
    folder = target.parent
    if target.is_dir():
        raise PublishError(f"--out {target} is a folder; name a file in it instead.")
    if not folder.is_dir():
        if explicit:
            raise PublishError(
                f"The folder {folder} does not exist; create it or choose another --out."
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PublishError(
                f"The folder {folder} could not be created: {exc.strerror or exc}."
            ) from None
    try:
        write_atomic(target, data)
    except OSError as exc:
        raise PublishError(f"{target} could not be written: {exc.strerror or exc}.") from None


__all__ = [
    "COLUMNS",
    "FORMATS",
    "HEADING",
    "DocRow",
    "DocTable",
    "Document",
    "Narrative",
    "Publication",
    "PublishError",
    "build_document",
    "fold_parts",
    "guess_format",
    "long_date",
    "parse_narrative",
    "publish",
    "publish_document",
    "render",
]
