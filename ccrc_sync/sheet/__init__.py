"""The Google Sheet client: the only part of ccrc-sync that talks to Google Sheets.

One read request returns everything a run plans from (`SheetSnapshot`); one apply sends at
most one structural batch and one values request (`GoogleSheet.apply`). The modules split
by seam: `cells` (a value each way), `read` (the one-request read), `requests` (pure
request builders), `formats` (how the Google side looks), `writes` (planning an apply),
`tags` (the developer metadata ccrc-sync keeps), `marks` (conflict marks), `explain`
(answers as sentences), `transport` (HTTP, retries, emulator routing), `credentials` (key
files and Application Default Credentials) and `client`.
"""

from ccrc_sync.sheet.client import ApplyResult, GoogleSheet
from ccrc_sync.sheet.read import SheetSnapshot, TabInfo, TabMap

__all__ = ["ApplyResult", "GoogleSheet", "SheetSnapshot", "TabInfo", "TabMap"]
