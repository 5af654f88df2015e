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
restore), `book` (`PlanWorkbook`, tying them together). `legacy` is the openpyxl-based
module the sync used before, kept until the shell moves to this API.
"""

from ccrc_sync.workbook.book import PlanWorkbook, SaveResult, read_plan
from ccrc_sync.workbook.files import busy_reason, stale_temp_files
from ccrc_sync.workbook.limits import WorkbookLimits

__all__ = [
    "PlanWorkbook",
    "SaveResult",
    "WorkbookLimits",
    "busy_reason",
    "read_plan",
    "stale_temp_files",
]
