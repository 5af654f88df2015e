"""Saving safely: backup, temporary file, replace, check, restore; links, modes, owners;
and refusing to write a file someone else has open or has changed since it was read."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from fixtures import excel
from fixtures.plans import template_copy

from ccrc_sync.errors import WorkbookBusy, WorkbookError
from ccrc_sync.workbook import (
    PlanWorkbook,
    WorkbookLimits,
    busy_reason,
    check_container,
    read_plan,
    stale_temp_files,
)
from ccrc_sync.writes import CellEdit, WorkbookWrites

EDIT = WorkbookWrites(cells=(CellEdit(2, 5, "Complete"),))


def _status(path: Path) -> object:
    return read_plan(path).by_rec_no()["1"]["Status"]


def test_backups_rotate_and_keep_the_last_n(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    originals = []
    for status in ("Complete", "Planned", "In Progress", "Complete"):
        originals.append(path.read_bytes())
        result = PlanWorkbook.open(path).save(
            WorkbookWrites(cells=(CellEdit(2, 5, status),)), backups=2, backup_dir=tmp_path / "bk"
        )
        assert result.backup is not None and result.backup.read_bytes() == originals[-1]
    kept = sorted((tmp_path / "bk").iterdir())
    assert [p.read_bytes() for p in kept] == originals[-2:]
    assert all(p.name.startswith("plan.") and p.suffix == ".xlsx" for p in kept)


def test_nothing_to_write_writes_nothing(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    before = path.stat()
    assert PlanWorkbook.open(path).save(WorkbookWrites(), backups=3).backup is None
    assert path.stat().st_mtime_ns == before.st_mtime_ns and not (tmp_path / "backups").exists()


@pytest.mark.parametrize("owner", ["~$plan.xlsx", ".~lock.plan.xlsx#"])
def test_an_owner_file_stops_the_write(tmp_path: Path, owner: str) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.open(path)
    (tmp_path / owner).write_text("someone")
    before = path.read_bytes()
    with pytest.raises(WorkbookBusy) as caught:
        book.save(EDIT, backups=1)
    assert str(caught.value) == (
        f"The workbook plan.xlsx is open in Excel or LibreOffice (its owner file {owner} is "
        "present); close it and the next run will catch up."
    )
    assert path.read_bytes() == before and busy_reason(path) == str(caught.value)


def test_a_workbook_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.open(path)
    excel.edit_zip(
        path,
        {
            "docProps/core.xml": lambda x: x.replace(
                b"</cp:coreProperties>", b"</cp:coreProperties>\n"
            )
        },
    )
    changed = path.read_bytes()
    with pytest.raises(WorkbookBusy) as caught:
        book.save(EDIT, backups=1)
    assert str(caught.value) == (
        "The workbook plan.xlsx changed after it was read; it was left alone and the next run "
        "will include the new edits."
    )
    assert path.read_bytes() == changed


def test_the_container_check_and_the_read_share_one_read_of_the_file(tmp_path: Path) -> None:
    """A run checks the file, asks the Google Sheet, then reads the plan: from the bytes it
    checked, so a save staff make in between is neither half-read nor overwritten."""
    path = template_copy(tmp_path)
    checked = check_container(path, WorkbookLimits())
    assert _status(path) == "In Progress"
    PlanWorkbook.open(path).save(EDIT, backups=0)  # staff save E2 = Complete meanwhile
    saved = path.read_bytes()
    book = PlanWorkbook.from_package(checked)
    assert book.table.by_rec_no()["1"]["Status"] == "In Progress"
    with pytest.raises(WorkbookBusy, match=r"^The workbook plan\.xlsx changed after it was read"):
        book.save(WorkbookWrites(cells=(CellEdit(2, 6, "Jo"),)), backups=0)
    assert path.read_bytes() == saved
    path.write_bytes(b"not a zip")
    with pytest.raises(WorkbookError) as caught:
        check_container(path, WorkbookLimits())
    assert str(caught.value) == f"{path} is not an Excel .xlsx workbook."


def test_a_symlinked_workbook_is_written_where_it_points_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "share").mkdir()
    real = template_copy(tmp_path / "share")
    link = tmp_path / "plan-link.xlsx"
    link.symlink_to(real)
    book = PlanWorkbook.open(link)
    assert book.path == link
    result = book.save(EDIT, backups=1)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert _status(real) == "Complete"
    assert result.backup is not None and result.backup.parent == real.parent / "backups"
    assert stale_temp_files(link) == []


def test_mode_and_owner_are_kept_and_so_is_a_restored_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = template_copy(tmp_path)
    os.chmod(path, 0o640)
    if os.geteuid() == 0:
        os.chown(path, 1234, 4321)
    PlanWorkbook.open(path).save(EDIT, backups=1)
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (1234, 4321)
    # A write whose check fails puts the original back, mode and owner included.
    before = path.read_bytes()
    import ccrc_sync.workbook.patch as patch

    real = patch.cell_xml
    monkeypatch.setattr(
        patch, "cell_xml", lambda q, r, c, v, s, d=False: real(q, r, c, "WRONG", s, d)
    )
    with pytest.raises(WorkbookError) as caught:
        PlanWorkbook.open(path).save(WorkbookWrites(cells=(CellEdit(2, 5, "Planned"),)), backups=0)
    assert str(caught.value) == (
        f"The value written to E2 of {path} did not read back as written; the original was put back."
    )
    assert path.read_bytes() == before
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (1234, 4321)
    assert stale_temp_files(path) == []


def test_leftover_temporary_files_of_a_killed_run_are_found(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    left = tmp_path / ".plan.k1ll3d_.tmp.xlsx"
    left.write_bytes(b"half a zip")
    (tmp_path / "plan.tmp.xlsx").write_bytes(b"not ours")
    assert stale_temp_files(path) == [left]


def test_save_copy_keeps_everything_and_never_writes_the_input(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    excel.add_picture_and_shape(path)
    before = path.read_bytes()
    book = PlanWorkbook.open(path)
    for same in (path, tmp_path / "." / "plan.xlsx"):
        with pytest.raises(WorkbookError, match="Refusing to write over the input workbook"):
            book.save_copy(same, EDIT)
    out = tmp_path / "fixed.xlsx"
    assert book.save_copy(out, EDIT).skipped == []
    assert path.read_bytes() == before
    assert _status(out) == "Complete" and _status(path) != "Complete"
    copied, original = excel.parts(out), excel.parts(path)
    assert copied["xl/media/image91.png"] == original["xl/media/image91.png"]
    assert copied["xl/drawings/drawing91.xml"] == original["xl/drawings/drawing91.xml"]
    with pytest.raises(WorkbookError, match="does not exist"):
        book.save_copy(tmp_path / "no-such-folder" / "fixed.xlsx", EDIT)


def test_a_new_copy_takes_the_input_workbooks_mode(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    os.chmod(path, 0o644)
    out = tmp_path / "fixed.xlsx"
    PlanWorkbook.open(path).save_copy(out, EDIT)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_a_part_that_would_not_be_well_formed_stops_the_save_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net for a fault of ours: a generated tab rendered as broken XML is caught
    while staging, so there is no backup, no temporary file and no swap (the workbook is
    the very file it was, not a restored copy of it)."""
    path = template_copy(tmp_path)
    before, status = path.read_bytes(), os.stat(path)
    import ccrc_sync.workbook.bookkeeping as bookkeeping

    real = bookkeeping.sheet_xml
    monkeypatch.setattr(bookkeeping, "sheet_xml", lambda *a, **k: real(*a, **k) + b"<broken")
    writes = WorkbookWrites(
        cells=(CellEdit(2, 5, "Complete"),), tabs={"Summary": excel.summary_layout()}
    )
    with pytest.raises(WorkbookError) as caught:
        PlanWorkbook.open(path).save(writes, backups=1)
    assert re.fullmatch(
        rf"The part xl/worksheets/sheet\d+\.xml ccrc-sync built for {re.escape(str(path))} is "
        r"not well-formed XML \(.+\); the workbook was not written\.",
        str(caught.value),
    )
    assert path.read_bytes() == before
    now = os.stat(path)
    assert (now.st_ino, now.st_mtime_ns) == (status.st_ino, status.st_mtime_ns)
    assert not (tmp_path / "backups").exists()
    assert stale_temp_files(path) == []
