"""A local emulator of the Google Sheets API v4 and the Drive v3 files it needs.

Point any client at ``emu.url`` with Google's own paths (``/v4/spreadsheets/...``,
``/drive/v3/files...``); no credentials are checked. See ``server.Emulator`` for the
direct test helpers (``get_values``, ``set_values``, ``batch_update``, ``sort_range``,
``developer_metadata``...), fault injection (``fail_next``, ``pause_next``) and the
request log, and docs/EMULATOR.md for which behaviour comes from Google's reference and
which from recorded traffic.

The package imports nothing from the rest of ``ccrc_sync`` except, in ``__main__``, the
CLI entry that runs it.
"""

from ccrc_sync.emulator.faults import Pause
from ccrc_sync.emulator.server import Emulator, RecordedRequest, serve

__all__ = ["Emulator", "Pause", "RecordedRequest", "serve"]
