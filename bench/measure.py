"""Wall time and peak memory of one operation, each in a fresh Python process.

Why a fresh process and the kernel's high-water mark (`VmHWM`, else `ru_maxrss`) rather
than `tracemalloc`: tracemalloc hooks every allocation and slows openpyxl (millions of
small objects at 10,000 rows) several times over, which would distort the very time
ratios we report, and it misses memory allocated outside Python's allocator (lxml, zlib
buffers). The kernel's high-water mark costs nothing while the operation runs and counts
everything. Its drawback is that it includes the interpreter and the imported libraries,
so the child records the mark after its imports (`base_mb`) as well as at the end
(`peak_mb`); `op_mb` is the difference, the memory the operation itself needed. A fresh
process per operation also means each one starts cold, with no cache or garbage left by
the previous one.

Timing starts after the imports, so it measures the operation, not Python's start-up.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Variables that would point a child at real credentials or a different config.
_SCRUBBED_PREFIXES = ("CCRC_SYNC_",)
_SCRUBBED = ("GOOGLE_APPLICATION_CREDENTIALS", "SHEETS_EMULATOR_HOST")


@dataclass
class Measurement:
    """One operation's figures, as reported by the child process."""

    op: str
    seconds: float
    peak_mb: float  # the process's memory high-water mark at the end
    base_mb: float  # the same mark after imports, before the operation
    result: dict[str, Any] = field(default_factory=dict)
    profile: str | None = None  # top functions, when profiled (times are then inflated)

    @property
    def op_mb(self) -> float:
        return max(0.0, self.peak_mb - self.base_mb)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "op_mb": round(self.op_mb, 1)}


# --------------------------------------------------------------------------- child side


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    On Linux it is `VmHWM` from /proc: `ru_maxrss` is not used there because a child
    started with vfork (as `subprocess` does) inherits the parent's high-water mark, so
    every child would report at least the parent's peak. Elsewhere `ru_maxrss` (KiB on
    Linux, bytes on macOS) is the best there is.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def timed(op: str, fn: Callable[[], dict[str, Any]], profile_lines: int = 0) -> Measurement:
    """Run `fn` once and measure it; with `profile_lines`, under cProfile, keeping the top."""
    base = peak_rss_mb()
    profiler = cProfile.Profile() if profile_lines else None
    started = time.perf_counter()
    result = profiler.runcall(fn) if profiler is not None else fn()
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    report = None
    if profiler is not None:
        report = profile_report(profiler, profile_lines)
    return Measurement(
        op=op,
        seconds=round(seconds, 4),
        peak_mb=round(peak, 1),
        base_mb=round(base, 1),
        result=result,
        profile=report,
    )


def profile_report(profiler: cProfile.Profile, lines: int) -> str:
    """The functions that dominate, by own time and by cumulative time."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)
    return out.getvalue()


# --------------------------------------------------------------------------- parent side


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without anything that points at real credentials."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def run_op(
    op: str,
    params: dict[str, Any],
    *,
    cwd: Path,
    profile_lines: int = 0,
    timeout: float = 900,
) -> Measurement:
    """Run `bench.worker` for one operation in a fresh process and read its figures."""
    payload = json.dumps({**params, "profile_lines": profile_lines})
    proc = subprocess.run(
        [sys.executable, "-m", "bench.worker", op, payload],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=child_env(),
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"The benchmark step {op!r} failed (exit {proc.returncode}): "
            f"{proc.stderr.strip()[-3000:]}"
        )
    last = proc.stdout.strip().splitlines()[-1]
    return Measurement(**json.loads(last))
