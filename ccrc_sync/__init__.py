"""ccrc-sync keeps the CCRC action plan honest across an Excel workbook and a Google Sheet."""

__version__ = "0.1.0"
