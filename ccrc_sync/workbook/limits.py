"""How much of a workbook we are willing to read, and the sentence when it is too much.

A damaged file or a zip bomb must be stopped before it costs memory or time, so every
limit is checked as early as the information exists: sizes from the zip's central
directory before anything is inflated, rows and cells while streaming, and inflated
bytes as they arrive (a central directory can lie).
"""

from __future__ import annotations

from dataclasses import dataclass

from ccrc_sync import config
from ccrc_sync.errors import WorkbookError

# A part smaller than this cannot hurt whatever its ratio (XML of repeated empty rows
# legitimately compresses several hundred times).
RATIO_FLOOR_BYTES = 1 << 20


@dataclass(frozen=True)
class WorkbookLimits:
    max_uncompressed_mb: int = 200
    max_compression_ratio: int = 200
    max_rows: int = 100_000
    max_cells: int = 2_000_000

    @classmethod
    def from_config(cls, cfg: config.WorkbookConfig) -> WorkbookLimits:
        return cls(
            max_uncompressed_mb=cfg.max_uncompressed_mb,
            max_compression_ratio=cfg.max_compression_ratio,
            max_rows=cfg.max_rows,
            max_cells=cfg.max_cells,
        )

    @property
    def max_bytes(self) -> int:
        return self.max_uncompressed_mb * 1024 * 1024


DEFAULT_LIMITS = WorkbookLimits()


def over_limit(path: object, what: str, key: str, value: int) -> WorkbookError:
    """The one sentence for a workbook past a limit: which limit, and how to raise it."""
    return WorkbookError(
        f"The workbook {path} was not read: {what}, past the limit of {value:,}. "
        f"If the workbook is genuine, raise `[workbook] {key} = ...` in the config."
    )
