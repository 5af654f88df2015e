"""Putting a new workbook file in place without ever leaving a damaged one behind.

The order is fixed: backup, temporary file in the same folder, `os.replace`, re-read and
check, restore on any mismatch. A symlinked workbook is written where the link points
and the link stays a link. The written file, and a restored original, keep the
original's mode and, where the process may, its owner and group.

Temporary files are named `.<stem>.<random>.tmp<suffix>` beside the workbook, so a run
killed half-way leaves something `stale_temp_files` can find and the next run removes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ccrc_sync.errors import WorkbookError


def real_target(path: Path) -> Path:
    """The file a (possibly symlinked) workbook path names; links are followed."""
    return Path(os.path.realpath(path))


def busy_reason(path: Path) -> str | None:
    """A sentence saying why the workbook must not be written now, or None when it may be.

    Excel keeps an owner file `~$name.xlsx` beside a workbook it has open (LibreOffice a
    `.~lock.name.xlsx#`); on Windows an open workbook also cannot be opened for writing.
    """
    path = Path(path)
    for folder, name in {
        (path.parent, path.name),
        (real_target(path).parent, real_target(path).name),
    }:
        owners = [folder / ("~$" + name), folder / f".~lock.{name}#"]
        if len(name) > 2:
            owners.append(folder / ("~$" + name[2:]))
        for owner in owners:
            if owner.exists():
                return (
                    f"The workbook {path.name} is open in Excel or LibreOffice (its owner file "
                    f"{owner.name} is present); close it and the next run will catch up."
                )
    target = real_target(path)
    if not target.exists():
        return None
    if not target.is_file():
        return None  # reported by the reader with its own sentence
    try:
        with open(target, "r+b"):
            pass
    except OSError as exc:
        return (
            f"The workbook {path.name} cannot be opened for writing ({exc.strerror}); "
            "it may be open or locked by someone. The next run will catch up."
        )
    if not os.access(target.parent, os.W_OK):
        return f"The folder holding {path.name} is not writable, so it cannot be saved safely."
    return None


def stale_temp_files(path: Path) -> list[Path]:
    """Temporary files a killed run left beside the workbook (or the file it links to)."""
    found: list[Path] = []
    for target in dict.fromkeys([Path(path), real_target(path)]):
        pattern = re.compile(
            r"\."
            + re.escape(target.stem)
            + r"\.[A-Za-z0-9_]+\.tmp"
            + re.escape(target.suffix)
            + "$"
        )
        if target.parent.is_dir():
            found.extend(p for p in target.parent.iterdir() if pattern.match(p.name))
    return sorted(set(found))


def backup(target: Path, data: bytes, keep: int, folder: Path | None) -> Path:
    """Write `data` as a timestamped backup of `target`; keep the newest `keep`."""
    folder = folder or target.parent / "backups"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        copy = folder / f"{target.stem}.{stamp}{target.suffix}"
        _write_new(copy, lambda handle: handle.write(data))
        _copy_ownership(target, copy)
    except OSError as exc:
        raise WorkbookError(
            f"Could not back up {target.name} to {folder} ({exc.strerror}); "
            "the workbook was not written."
        ) from None
    pattern = re.compile(
        re.escape(target.stem) + r"\.\d{8}-\d{6}-\d{6}" + re.escape(target.suffix) + "$"
    )
    existing = sorted(p for p in folder.iterdir() if pattern.match(p.name))
    for old in existing[: max(0, len(existing) - keep)]:
        with contextlib.suppress(OSError):
            old.unlink()
    return copy


def _write_new(path: Path, write: Callable[[BinaryIO], object]) -> None:
    with open(path, "xb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _stat(path: Path | None) -> os.stat_result | None:
    if path is None:
        return None
    try:
        return os.stat(path)
    except OSError:
        return None


def _copy_ownership(source: Path, target: Path) -> None:
    _apply(_stat(source), target)


def _apply(info: os.stat_result | None, target: Path) -> None:
    """Mode always; owner and group where the process may change them."""
    if info is None:
        return
    with contextlib.suppress(OSError):
        os.chmod(target, info.st_mode & 0o7777)
    if hasattr(os, "chown"):
        with contextlib.suppress(OSError):
            os.chown(target, info.st_uid, info.st_gid)


def temp_beside(target: Path) -> Path:
    fd, name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    return Path(name)


def replace_checked(
    target: Path,
    write: Callable[[BinaryIO], object],
    check: Callable[[bytes], None],
    *,
    original: bytes | None,
    like: Path | None = None,
) -> bytes:
    """Write via a temporary file, swap it in, re-read and `check` it; restore on failure.

    `original` is what `target` held (None: it did not exist, and a failed check removes
    the new file). `like` is whose mode and owner the new file takes (default: target).
    Returns the bytes now in place.
    """
    like = like or (target if original is not None else None)
    info = _stat(like)
    try:
        tmp = temp_beside(target)
    except OSError as exc:
        raise WorkbookError(
            f"The workbook {target} could not be written ({exc.strerror}); it was left as it was."
        ) from None
    try:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        _apply(info, tmp)
        os.replace(tmp, target)
    except WorkbookError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WorkbookError(
            f"The workbook {target} could not be written ({exc.strerror}); it was left as it was."
        ) from None
    try:
        with open(target, "rb") as handle:
            written = handle.read()
        check(written)
    except Exception as exc:
        _restore(target, original, info)
        if isinstance(exc, WorkbookError):
            raise
        raise WorkbookError(
            f"The written workbook {target} failed its check ({type(exc).__name__}: {exc}); "
            "the original was put back."
        ) from None
    return written


def _restore(target: Path, original: bytes | None, info: os.stat_result | None) -> None:
    if original is None:
        target.unlink(missing_ok=True)
        return
    tmp = temp_beside(target)
    try:
        with open(tmp, "wb") as handle:
            handle.write(original)
            handle.flush()
            os.fsync(handle.fileno())
        _apply(info, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
