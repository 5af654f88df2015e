"""The printed tables: API requests and lost edits, then time and memory against the floor."""

from __future__ import annotations

from typing import Any

TARGET_REQUESTS = 4
TARGET_SYNC_RATIO = 2.0  # sync / (bare load + save), at 10,000 rows
TARGET_VALIDATE_RATIO = 1.5  # validate / bare load


def _grid(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, rule, *body])


def _s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def _mb(fig: dict[str, Any]) -> str:
    """Peak process memory, with the part the operation itself added in brackets."""
    return f"{fig['peak_mb']:.0f} (+{fig['op_mb']:.0f})"


def requests_table(sizes: list[dict[str, Any]]) -> str:
    headers = [
        "rows",
        "edits/side",
        "ccrc-sync req",
        "update_cell req",
        "overwrite req",
        "lost: ccrc-sync",
        "lost: update_cell",
        "lost: overwrite",
        "update_cell min @60/min",
    ]
    rows = []
    for r in sizes:
        ccrc = r["ccrc_sync"]
        rows.append(
            [
                f"{r['rows']:,}",
                str(r["edits_per_side"]),
                str(ccrc["second_sync"]["requests"]["count"]),
                str(r["update_cell"]["requests"]["count"]),
                str(r["overwrite"]["requests"]["count"]),
                str(ccrc["edits"]["lost"]),
                str(r["update_cell"]["edits"]["lost"]),
                str(r["overwrite"]["edits"]["lost"]),
                f"{r['update_cell']['minutes_at_quota']:.1f}",
            ]
        )
    return _grid(headers, rows)


def timing_table(sizes: list[dict[str, Any]]) -> str:
    headers = [
        "rows",
        "validate s",
        "load s",
        "ratio",
        "sync s",
        "load+save s",
        "ratio",
        "MB validate",
        "MB load",
        "MB sync",
        "MB load+save",
    ]
    rows = []
    for r in sizes:
        sync = r["ccrc_sync"]["second_sync"]
        rows.append(
            [
                f"{r['rows']:,}",
                _s(r["validate"]["seconds"]),
                _s(r["bare_load"]["seconds"]),
                f"{r['ratios']['validate_over_load']:.2f}x",
                _s(sync["seconds"]),
                _s(r["bare_load_save"]["seconds"]),
                f"{r['ratios']['sync_over_load_save']:.2f}x",
                _mb(r["validate"]),
                _mb(r["bare_load"]),
                _mb(sync),
                _mb(r["bare_load_save"]),
            ]
        )
    return _grid(headers, rows)


def verdicts(sizes: list[dict[str, Any]]) -> list[str]:
    """One line per target: met or missed, with the figure."""
    lines = []
    worst = max(r["ccrc_sync"]["second_sync"]["requests"]["count"] for r in sizes)
    lines.append(
        f"{'met   ' if worst <= TARGET_REQUESTS else 'MISSED'} requests per sync <= "
        f"{TARGET_REQUESTS} at every size (worst {worst})"
    )
    largest = max(sizes, key=lambda r: r["rows"])
    ratio = largest["ratios"]["sync_over_load_save"]
    lines.append(
        f"{'met   ' if ratio <= TARGET_SYNC_RATIO else 'MISSED'} sync <= "
        f"{TARGET_SYNC_RATIO:g}x bare load+save at {largest['rows']:,} rows ({ratio:.2f}x)"
    )
    worst_v = max(sizes, key=lambda r: r["ratios"]["validate_over_load"])
    v = worst_v["ratios"]["validate_over_load"]
    lines.append(
        f"{'met   ' if v <= TARGET_VALIDATE_RATIO else 'MISSED'} validate <= "
        f"{TARGET_VALIDATE_RATIO:g}x bare load at every size "
        f"(worst {v:.2f}x at {worst_v['rows']:,} rows)"
    )
    lost = sum(r["ccrc_sync"]["edits"]["lost"] for r in sizes)
    lines.append(f"{'met   ' if lost == 0 else 'MISSED'} ccrc-sync loses no edit ({lost} lost)")
    return lines


def render(results: dict[str, Any]) -> str:
    sizes = results["sizes"]
    m = results["machine"]
    return "\n".join(
        [
            f"ccrc-sync benchmark: Python {m['python']}, {m['cpus']} CPUs, {m['platform']}; "
            f"{results['settings']['edit_fraction']:.0%} of data cells edited on each side.",
            "",
            "API requests for one sync after the edits, and edits lost (on neither side after):",
            requests_table(sizes),
            "",
            "Wall time (s) and peak memory (MB: process peak, +the operation's own) beside the "
            "openpyxl floor:",
            timing_table(sizes),
            "",
            *verdicts(sizes),
        ]
    )
