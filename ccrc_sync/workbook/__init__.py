"""The staff's .xlsx workbook, read in one streaming pass and edited in place.

An .xlsx is a zip of XML parts. Rather than load the workbook into an object model and
save it again (which drops whatever the model does not know: charts, pictures, threaded
comments, sparklines, modern drop-downs), a run patches the package: the changed cells
and appended rows of the plan sheet, the generated tabs, entries appended to the styles,
and the package's bookkeeping. Every other part is copied byte for byte.

Modules, one seam each: `package` (the zip, limits, parts, relationships), `read` (the
streaming reader), `cells` (cell XML and values), `styles` (appending formats), `patch`
(the plan sheet part), `tabs` and `chart` (a generated tab), `comments` (conflict
notes), `bookkeeping` (adding and replacing tabs), `files` (backup, replace, check,
restore), `book` (`PlanWorkbook`, tying them together).

A run reads the file once: `check_container` reads it and checks its zip directory (the
cheap refusal of a file that is no workbook, before the Google Sheet is asked anything),
and `PlanWorkbook.from_package` reads the plan from those same bytes.
"""

from pathlib import Path

from ccrc_sync.workbook.book import OverwritesInput, PlanWorkbook, SaveResult, read_plan
from ccrc_sync.workbook.files import busy_reason, stale_temp_files
from ccrc_sync.workbook.limits import WorkbookLimits
from ccrc_sync.workbook.package import Package, open_package


def check_container(path: Path, limits: WorkbookLimits) -> Package:
    """Refuse, with one sentence, a file that is not a workbook this tool may read (not a
    regular file, not an .xlsx, over the size or compression limits), without inflating
    any part: the cheap first look a run takes before it does anything else. Returns what
    it read, for `PlanWorkbook.from_package`."""
    return open_package(Path(path), limits)


__all__ = [
    "OverwritesInput",
    "Package",
    "PlanWorkbook",
    "SaveResult",
    "WorkbookLimits",
    "busy_reason",
    "check_container",
    "read_plan",
    "stale_temp_files",
]
