"""Field masks, as the ``fields`` parameter and ``fields`` of update requests use them.

A mask such as ``sheets(properties(sheetId,title),data(rowData(values(effectiveValue))))``
or ``sheets.data.rowData.values.note`` (``/`` works as ``.``) selects parts of a message.
``mask_tree`` turns it into a nested dict (``None`` = the whole sub-message), which both
trims responses (``filter_fields``) and tells the response builder what it may skip
computing, and ``apply_mask`` copies the masked fields of a request onto stored data.
"""

from __future__ import annotations

import copy
from typing import Any

from ccrc_sync.emulator.jsontypes import JSON

MaskTree = dict[str, "MaskTree | None"]


def parse_mask(fields: str) -> list[list[str]]:
    """``"a.b,c(d,e)"`` -> ``[["a","b"], ["c","d"], ["c","e"]]``."""
    paths: list[list[str]] = []

    def walk(text: str, prefix: list[str]) -> None:
        depth, start = 0, 0
        parts = []
        for i, ch in enumerate(text):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(text[start:i])
                start = i + 1
        parts.append(text[start:])
        for part in (p.strip() for p in parts):
            if not part:
                continue
            if "(" in part and part.endswith(")"):
                head, inner = part.split("(", 1)
                walk(inner[:-1], prefix + [h.strip() for h in head.split(".") if h.strip()])
            else:
                paths.append(prefix + [p.strip() for p in part.split(".")])

    walk((fields or "").replace("/", "."), [])
    return paths


def mask_tree(fields: str) -> MaskTree:
    """The mask as a tree: ``{"sheets": {"properties": None}}``; ``None`` keeps all below."""
    tree: MaskTree = {}
    for path in parse_mask(fields):
        node = tree
        for key in path[:-1]:
            child = node.get(key, {})
            if child is None:
                break
            node[key] = child
            node = child
        else:
            node[path[-1]] = None
    return tree


def subtree(tree: MaskTree | None, *path: str) -> MaskTree | None:
    """The part of a mask below ``path``; ``None`` when all of it is selected.

    Raises ``KeyError`` when the mask does not reach ``path`` at all.
    """
    node: MaskTree | None = tree
    for key in path:
        if node is None or "*" in node:
            return None
        node = node[key]
    return node


def selects(tree: MaskTree | None, *path: str) -> bool:
    """Whether a mask asks for anything at or below ``path``."""
    try:
        subtree(tree, *path)
    except KeyError:
        return False
    return True


def filter_fields(value: Any, fields: str) -> Any:
    """Keep only the parts of a response named by a ``fields`` mask (lists map through)."""
    return apply_tree(value, mask_tree(fields))


def apply_tree(value: Any, tree: MaskTree | None) -> Any:
    """``value`` trimmed to the mask. A message the mask empties stays, as ``{}``: the
    recorded traffic shows ``"properties": {}`` for a mask naming an unset field."""
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [apply_tree(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: apply_tree(value[k], sub) for k, sub in tree.items() if k in value}


def apply_mask(target: JSON, source: JSON, fields: str) -> None:
    """Copy the masked fields of ``source`` onto ``target``; a masked absent field is cleared."""
    if fields.strip() == "*":
        for key in list(target):
            if key not in source:
                del target[key]
        target.update(copy.deepcopy(source))
        return
    for path in parse_mask(fields):
        if path == ["*"]:
            apply_mask(target, source, "*")
            continue
        src: Any = source
        dst = target
        for key in path[:-1]:
            src = src.get(key, {}) if isinstance(src, dict) else {}
            dst = dst.setdefault(key, {})
        last = path[-1]
        if last == "*":
            dst.clear()
            if isinstance(src, dict):
                dst.update(copy.deepcopy(src))
        elif isinstance(src, dict) and last in src:
            dst[last] = copy.deepcopy(src[last])
        else:
            dst.pop(last, None)


def strip_nulls(value: Any) -> Any:
    """JSON ``null`` in a request means "unset" (proto3); drop such keys."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value
