"""Conflict marks on plan cells: a fill (and a note), and the token to take it off again.

A mark gives the cell an appended clone of its own format with the conflict fill. The
token handed back describes the original format by what a person sees (number format,
font, fill, borders, alignment, protection), not by its index: Excel renumbers styles
and rewrites their spelling on every save (an `applyFill` more, `00` alpha on a colour),
so an index or an exact copy would not find it again. Unmarking compares looks: a cell
that no longer looks like "the original plus our fill" has been restyled by staff since
and is left alone; otherwise it gets back a format that looks exactly like the original
(the original entry when it is still there, else one rebuilt from the token).
"""

from __future__ import annotations

import json
from typing import Any

from ccrc_sync.layout import COLOURS
from ccrc_sync.schema import a1
from ccrc_sync.workbook.comments import Notes
from ccrc_sync.workbook.package import Package
from ccrc_sync.workbook.patch import SheetPatch
from ccrc_sync.workbook.styles import Canon, Styles
from ccrc_sync.writes import WorkbookWrites

_PREFIX = "xf2:"
_TRUE = {"1", "true"}
_FONT_KEYS = {"b", "i", "strike", "u", "sz", "color", "name", "vertAlign", "outline", "shadow"}
_BOOLEAN_ELEMENTS = {"b", "i", "strike", "outline", "shadow", "condense", "extend"}
_ALIGN_DEFAULTS = {"horizontal": "general", "vertical": "bottom", "indent": "0",
                   "textRotation": "0", "wrapText": "0", "shrinkToFit": "0"}  # fmt: skip


def _colour(item: Canon) -> dict[str, str]:
    out = {}
    for key, value in item[1]:
        if key == "rgb":
            out["rgb"] = value[-6:].upper()
        elif key in ("theme", "indexed", "tint", "auto"):
            out[key] = value
    return out


def _font(item: Canon | None) -> dict[str, Any]:
    look: dict[str, Any] = {}
    for name, attrs, _kids in item[2] if item else ():
        if name not in _FONT_KEYS:
            continue
        values = dict(attrs)
        if name in _BOOLEAN_ELEMENTS:
            if values.get("val", "1") in _TRUE:
                look[name] = True
        elif name == "color":
            look[name] = _colour((name, attrs, ()))
        elif name == "u":
            look[name] = values.get("val", "single")
        else:
            look[name] = values.get("val", "")
    return look


def _fill(item: Canon | None) -> dict[str, Any]:
    for name, attrs, kids in item[2] if item else ():
        if name == "patternFill":
            kind = dict(attrs).get("patternType", "none")
            if kind == "none":
                return {}
            look: dict[str, Any] = {"pattern": kind}
            for child in kids:
                if child[0] == "fgColor" or (child[0] == "bgColor" and kind != "solid"):
                    colour = _colour(child)
                    if colour != {"indexed": "64"}:
                        look[child[0]] = colour
            return look
        if name == "gradientFill":
            return {"gradient": json.dumps(item)}
    return {}


def _border(item: Canon | None) -> dict[str, Any]:
    look: dict[str, Any] = {}
    for name, attrs, kids in item[2] if item else ():
        style = dict(attrs).get("style")
        if style and style != "none":
            colour = next((_colour(k) for k in kids if k[0] == "color"), {})
            look[name] = [style, colour]
    return look


def _look(styles: Styles, s: int) -> dict[str, Any]:
    """What a person sees of format `s`, in one spelling."""
    attrs, font, fill, border, code = styles.parts_of(s)
    look: dict[str, Any] = {
        "format": "builtin:0" if code == "General" else code,
        "font": _font(font),
        "fill": _fill(fill),
        "border": _border(border),
        "quote": attrs.get("quotePrefix", "0") in _TRUE,
    }
    for name, kid_attrs, _kids in styles.children_of(s):
        values = dict(kid_attrs)
        if name == "alignment":
            look["alignment"] = {
                k: ("1" if v in _TRUE else v)
                for k, v in values.items()
                if _ALIGN_DEFAULTS.get(k) != ("0" if v == "false" else v)
            }
        elif name == "protection":
            look["locked"] = values.get("locked", "1") in _TRUE
            look["hidden"] = values.get("hidden", "0") in _TRUE
    look.setdefault("alignment", {})
    look.setdefault("locked", True)
    look.setdefault("hidden", False)
    return look


def describe(styles: Styles, s: int) -> str:
    """The token for format `s`: how it looks, and its parts to rebuild it from."""
    attrs, font, fill, border, code = styles.parts_of(s)
    raw = {
        "format": code,
        "font": font,
        "fill": fill,
        "border": border,
        "attrs": sorted(
            (k, v)
            for k, v in attrs.items()
            if k not in ("numFmtId", "fontId", "fillId", "borderId")
        ),
        "kids": styles.children_of(s),
    }
    payload = {"look": _look(styles, s), "raw": raw}
    return _PREFIX + json.dumps(payload, separators=(",", ":"), sort_keys=True)


def _read(token: str) -> dict[str, Any] | None:
    if not token.startswith(_PREFIX):
        return None
    try:
        payload = json.loads(token[len(_PREFIX) :])
    except ValueError:
        return None
    return payload if isinstance(payload, dict) and "look" in payload else None


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def is_mark_of(styles: Styles, s: int, token: str, rgb: str) -> bool:
    """Whether format `s` looks exactly like the token's format with our fill."""
    payload = _read(token)
    if payload is None:
        return False
    want = dict(payload["look"])
    want["fill"] = {"pattern": "solid", "fgColor": {"rgb": rgb.upper()}}
    return _same(_look(styles, s), want)


def restore(styles: Styles, token: str) -> int | None:
    """A format that looks like the token's original: an existing one, else rebuilt."""
    payload = _read(token)
    if payload is None:
        return None
    look = payload["look"]
    for index in range(styles.count()):
        if _same(_look(styles, index), look):
            return index
    try:
        raw = payload["raw"]
        attrs = {str(k): str(v) for k, v in raw["attrs"]}
        code = str(raw["format"])
        attrs["numFmtId"] = (
            code[8:] if code.startswith("builtin:") else str(styles.number_format(code))
        )
        for kind, key in (("fonts", "fontId"), ("fills", "fillId"), ("borders", "borderId")):
            name = kind[:-1]
            attrs[key] = str(styles.add_part(kind, _canon(raw[name])))
        kids = tuple(c for c in (_canon(k) for k in raw["kids"]) if c is not None)
    except (KeyError, TypeError, ValueError):
        return None
    return styles.xf(("xf", tuple(sorted(attrs.items())), kids))


def _canon(item: object) -> Canon | None:
    if item is None:
        return None
    if not isinstance(item, list) or len(item) != 3:
        raise ValueError("not a style description")
    name, attrs, children = item
    kids = tuple(c for c in (_canon(x) for x in children) if c is not None)
    return (str(name), tuple((str(k), str(v)) for k, v in attrs), kids)


def apply(
    writes: WorkbookWrites,
    pkg: Package,
    part: str,
    patch: SheetPatch,
    styles: Styles,
    tokens: dict[tuple[int, int], str],
    skipped: list[str],
) -> None:
    """Set and remove the run's marks on the plan sheet (styles via `patch`, notes)."""
    if not (writes.marks or writes.unmarks):
        return
    notes = Notes(pkg, part, patch)
    colour = COLOURS.conflict_mark
    for mark in writes.marks:
        where = a1(mark.row, mark.col)
        current = patch.style_of(mark.row, mark.col)
        if styles.fill_rgb(current) == colour:
            skipped.append(f"Cell {where} already carries a conflict mark.")
            continue
        if patch.in_merge(mark.row, mark.col):
            skipped.append(f"Cell {where} was not marked: it is inside merged cells.")
            continue
        tokens[(mark.row, mark.col)] = describe(styles, current)
        patch.set_style(mark.row, mark.col, styles.clone(current, fill_rgb=colour))
        notes.add(mark.row, mark.col, mark.note)
    for unmark in writes.unmarks:
        current = patch.style_of(unmark.row, unmark.col)
        notes.remove(unmark.row, unmark.col)
        if styles.fill_rgb(current) != colour:
            continue  # restyled by staff since: theirs now
        if unmark.token is None:
            patch.set_style(unmark.row, unmark.col, styles.clone(current, no_fill=True))
        elif is_mark_of(styles, current, unmark.token, colour):
            restored = restore(styles, unmark.token)
            if restored is not None:
                patch.set_style(unmark.row, unmark.col, restored)
