"""The printed tables: API requests and lost edits, then time and memory against the floor."""

from __future__ import annotations

from typing import Any

TARGET_REQUESTS = 2  # a sync that carries edits both ways: the read and one values write
TARGET_IDLE_REQUESTS = 1  # a sync with nothing to do: the read
TARGET_SYNC_RATIO = 1.0  # sync / openpyxl's bare load of the same file
TARGET_VALIDATE_RATIO = 0.5  # validate / bare load
TARGET_MEMORY_RATIO = 1.0  # peak memory of the operation / of the bare load


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
        "idle req",
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
                str(ccrc["idle_sync"]["requests"]["count"]),
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
        "load s",
        "validate s",
        "ratio",
        "sync s",
        "ratio",
        "idle sync s",
        "ratio",
        "MB load",
        "MB validate",
        "MB sync",
    ]
    rows = []
    for r in sizes:
        sync, idle = r["ccrc_sync"]["second_sync"], r["ccrc_sync"]["idle_sync"]
        ratios = r["ratios"]
        rows.append(
            [
                f"{r['rows']:,}",
                _s(r["bare_load"]["seconds"]),
                _s(r["validate"]["seconds"]),
                f"{ratios['validate_over_load']:.2f}x",
                _s(sync["seconds"]),
                f"{ratios['sync_over_load']:.2f}x",
                _s(idle["seconds"]),
                f"{ratios['idle_over_load']:.2f}x",
                _mb(r["bare_load"]),
                _mb(r["validate"]),
                _mb(sync),
            ]
        )
    return _grid(headers, rows)


def _verdict(ok: bool) -> str:
    return "met   " if ok else "MISSED"


def verdicts(sizes: list[dict[str, Any]]) -> list[str]:
    """One line per target: met or missed, with the figure."""
    lines = []
    worst = max(r["ccrc_sync"]["second_sync"]["requests"]["count"] for r in sizes)
    lines.append(
        f"{_verdict(worst <= TARGET_REQUESTS)} requests per sync with edits on both sides <= "
        f"{TARGET_REQUESTS} at every size (worst {worst})"
    )
    idle = max(r["ccrc_sync"]["idle_sync"]["requests"]["count"] for r in sizes)
    lines.append(
        f"{_verdict(idle <= TARGET_IDLE_REQUESTS)} an idle sync costs "
        f"{TARGET_IDLE_REQUESTS} request at every size (worst {idle})"
    )
    for key, target, what in (
        ("sync_over_load", TARGET_SYNC_RATIO, "sync"),
        ("validate_over_load", TARGET_VALIDATE_RATIO, "validate"),
    ):
        worst_r = max(sizes, key=lambda r: r["ratios"][key])
        ratio = worst_r["ratios"][key]
        lines.append(
            f"{_verdict(ratio <= target)} {what} <= {target:g}x openpyxl's bare load at every "
            f"size (worst {ratio:.2f}x at {worst_r['rows']:,} rows)"
        )
    for key, what in (("sync_mb_over_load", "sync"), ("validate_mb_over_load", "validate")):
        largest = max(sizes, key=lambda r: r["rows"])
        ratio = largest["ratios"][key]
        lines.append(
            f"{_verdict(ratio <= TARGET_MEMORY_RATIO)} {what}'s own memory <= openpyxl's load at "
            f"{largest['rows']:,} rows ({ratio:.2f}x)"
        )
    lost = sum(r["ccrc_sync"]["edits"]["lost"] for r in sizes)
    lines.append(f"{_verdict(lost == 0)} ccrc-sync loses no edit ({lost} lost)")
    return lines


def bomb_lines(bomb: dict[str, Any] | None) -> list[str]:
    """The zip bomb's refusal: time, memory, exit code, files untouched."""
    if not bomb:
        return []
    lines = [
        f"A zip bomb ({bomb['bytes_on_disk'] / 1e6:.1f} MB on disk, "
        f"{bomb['bytes_inflated'] / 1e9:.1f} GB inflated):"
    ]
    for name in ("validate", "sync"):
        fig = bomb[name]
        ok = fig["seconds"] < 2 and fig["peak_mb"] < 200 and fig["result"]["exit"] == 2
        lines.append(
            f"{_verdict(ok)} {name} refuses it in {fig['seconds']:.3f} s, peak "
            f"{fig['peak_mb']:.0f} MB, exit {fig['result']['exit']}"
        )
    lines.append(f"{_verdict(bomb['files_unchanged'])} every file left as it was")
    return lines


def render(results: dict[str, Any]) -> str:
    sizes = results["sizes"]
    m = results["machine"]
    return "\n".join(
        [
            f"ccrc-sync benchmark: Python {m['python']}, {m['cpus']} CPUs, {m['platform']}; "
            f"{results['settings']['edit_fraction']:.0%} of data cells edited on each side.",
            "",
            "API requests for one sync after the edits (and for an idle sync after it), and edits "
            "lost (on neither side after):",
            requests_table(sizes),
            "",
            "Wall time (s) and peak memory (MB: process peak, +the operation's own) beside the "
            "openpyxl floor:",
            timing_table(sizes),
            "",
            *verdicts(sizes),
            "",
            *bomb_lines(results.get("zip_bomb")),
        ]
    )
