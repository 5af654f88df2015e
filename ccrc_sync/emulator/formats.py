"""Cell formats as Google stores and returns them: colours, style twins, effective format.

Google keeps colours at 8 bits a channel and drops zero channels, fills each plain colour's
``*Style`` twin (and back), and reports a cell's ``effectiveFormat`` as the spreadsheet's
default format overlaid with what was entered. Conditional formatting is not applied to
``effectiveFormat`` here (see docs/EMULATOR.md).
"""

from __future__ import annotations

from typing import Any

from ccrc_sync.emulator.jsontypes import JSON


def normalise_color(color: JSON) -> JSON:
    """Colours are stored 8 bits per channel; zero channels are omitted, as Google returns."""
    out: JSON = {}
    for key, value in color.items():
        if key in ("red", "green", "blue") and isinstance(value, (int, float)):
            quantised = round(int(value * 255 + 1e-9) / 255, 8)
            if quantised:
                out[key] = quantised
        elif key == "alpha" and value not in (None, 1):
            out[key] = value
    return out


def normalise_styles(obj: Any) -> Any:
    """Fill ``*Style`` twins of plain colours (and back), quantising every rgb colour."""
    if isinstance(obj, list):
        return [normalise_styles(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: normalise_styles(v) for k, v in obj.items()}
    for plain in ("backgroundColor", "foregroundColor", "tabColor", "color"):
        style = plain + "Style"
        if plain in out and isinstance(out[plain], dict):
            out[plain] = normalise_color(out[plain])
            out.setdefault(style, {"rgbColor": dict(out[plain])})
        if style in out and isinstance(out[style], dict) and "rgbColor" in out[style]:
            out[style]["rgbColor"] = normalise_color(out[style]["rgbColor"] or {})
            out.setdefault(plain, dict(out[style]["rgbColor"]))
    return out


def overlay(base: JSON, top: JSON) -> JSON:
    """``base`` with ``top`` merged in, nested objects merged key by key."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = overlay(out[key], value)
        else:
            out[key] = value
    return out


class EffectiveFormats:
    """Effective formats for one response, each distinct entered format merged once.

    A 10,000-row read asks for tens of thousands of cells that share a handful of formats;
    merging the default format into each is what would make that read slow. The results
    are shared between cells, so a response built from them must be serialised, not edited.
    """

    def __init__(self, default: JSON) -> None:
        self.default = default
        self._cache: dict[int, tuple[JSON | None, JSON]] = {}

    def of(self, entered: JSON | None) -> JSON:
        if not entered:
            return self.default
        hit = self._cache.get(id(entered))
        if hit is None or hit[0] is not entered:
            hit = (entered, overlay(self.default, entered))
            self._cache[id(entered)] = hit
        return hit[1]
