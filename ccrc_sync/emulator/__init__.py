"""A local emulator of the Google Sheets API v4 and the Drive v3 files it needs.

Point any client at ``emu.url`` with Google's own paths (``/v4/spreadsheets/...``,
``/drive/v3/files...``); no credentials are checked. See ``server.Emulator`` for the
direct test helpers (``get_values``, ``set_values``, ``sheet_properties``,
``data_validations``, ``charts``), fault injection (``fail_next``) and the request log.
"""

from ccrc_sync.emulator.server import Emulator, RecordedRequest, serve

__all__ = ["Emulator", "RecordedRequest", "serve"]
