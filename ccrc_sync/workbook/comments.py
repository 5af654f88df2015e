"""Conflict notes as legacy comments: the comments part plus its VML drawing.

A note ("comment" in older Excel) needs two parts: the text in a comments part and a box
in a VML drawing, tied to the sheet by `<legacyDrawing>`. Staff notes already there are
kept: we append ours (author "ccrc-sync") to the existing parts and later remove only
ours. When the sheet's notes are in a form we cannot extend safely (a cell that already
has a note, a VML drawing without a comments part or the reverse) the note is skipped
and the mark keeps its fill, which is the part people see first anyway.

VML is not reliably well-formed XML (Excel writes `<br>`), so it is edited as text:
shapes are appended before `</xml>` and ours found again by their row and column.
"""

from __future__ import annotations

import re

from ccrc_sync.errors import WorkbookError
from ccrc_sync.schema import a1
from ccrc_sync.workbook.cells import ooxml_escape
from ccrc_sync.workbook.package import Package
from ccrc_sync.workbook.patch import SheetPatch
from ccrc_sync.workbook.xmlscan import append_child, splice, text_escape

AUTHOR = "ccrc-sync"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
REL_COMMENTS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"

_SHAPE_ID = re.compile(rb"_x0000_s(\d+)")
_IDMAP = re.compile(rb"<o:idmap\b[^>]*\bdata=\"([\d,\s]+)\"")
_SHAPE = re.compile(rb"<v:shape\b(?:(?!<v:shape\b).)*?</v:shape>", re.DOTALL)
_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)


def _shape(shape_id: int, row: int, col: int) -> bytes:
    """A hidden note box beside the cell (VML's rows and columns count from 0)."""
    top = max(row - 2, 0)
    anchor = f"{col}, 15, {top}, 10, {col + 3}, 15, {top + 5}, 4"
    return (
        f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" '
        'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:180pt;'
        'height:80pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
        f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor>"
        f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column>"
        "</x:ClientData></v:shape>"
    ).encode()


def _comment(cell: str, author_id: int, note: str, q: str) -> bytes:
    text = text_escape(ooxml_escape(note))
    return (
        f'<{q}comment ref="{cell}" authorId="{author_id}" shapeId="0"><{q}text>'
        f'<{q}r><{q}rPr><{q}b/><{q}sz val="9"/><{q}rFont val="Tahoma"/></{q}rPr>'
        f'<{q}t>{AUTHOR}:</{q}t></{q}r><{q}r><{q}rPr><{q}sz val="9"/>'
        f'<{q}rFont val="Tahoma"/></{q}rPr><{q}t xml:space="preserve">\n{text}</{q}t></{q}r>'
        f"</{q}text></{q}comment>"
    ).encode()


class Notes:
    """The notes of one sheet: found (or created) once, then added to and removed from."""

    def __init__(self, pkg: Package, sheet_part: str, patch: SheetPatch) -> None:
        self.pkg = pkg
        self.sheet_part = sheet_part
        self.patch = patch
        rels = {r.type: r for r in pkg.rels(sheet_part) if not r.external}
        self.comments = rels["comments"].target if "comments" in rels else None
        self.vml = rels["vmlDrawing"].target if "vmlDrawing" in rels else None
        legacy = any(name == "legacyDrawing" for name, _s, _e in patch.scan.children)
        # Extendable: both parts present and tied by <legacyDrawing>, or neither present.
        self.usable = (self.comments is None and self.vml is None and not legacy) or (
            self.comments is not None and self.vml is not None and legacy
        )

    def _create(self) -> None:
        pkg = self.pkg
        comments = pkg.free_name("xl/comments{n}.xml")
        vml = pkg.free_name("xl/drawings/vmlDrawing{n}.vml")
        block = 1 + max(
            [
                int(x)
                for name in pkg.names()
                if name.endswith(".vml")
                for m in _IDMAP.finditer(pkg.read(name))
                for x in re.findall(rb"\d+", m.group(1))
            ],
            default=0,
        )
        pkg.put(
            comments,
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"<authors><author>{AUTHOR}</author></authors><commentList/></comments>"
            ).encode(),
        )
        pkg.put(
            vml,
            (
                '<xml xmlns:v="urn:schemas-microsoft-com:vml" '
                'xmlns:o="urn:schemas-microsoft-com:office:office" '
                'xmlns:x="urn:schemas-microsoft-com:office:excel">'
                f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/>'
                f"</o:shapelayout>{_SHAPETYPE}</xml>"
            ).encode(),
        )
        pkg.set_override(comments, COMMENTS_TYPE)
        pkg.ensure_default("vml", VML_TYPE)
        pkg.add_rel(self.sheet_part, REL_COMMENTS, comments)
        rid = pkg.add_rel(self.sheet_part, REL_VML, vml)
        self.patch.add_legacy_drawing(rid)
        self.comments, self.vml = comments, vml
        self._block = block

    def add(self, row: int, col: int, note: str) -> bool:
        """Add our note to a cell; False when it cannot be done safely (the fill stays)."""
        if not self.usable:
            return False
        if self.comments is None:
            self._create()
        assert self.comments is not None and self.vml is not None
        pkg = self.pkg
        try:
            data, root = pkg.parsed(self.comments)
        except WorkbookError:
            return False
        authors, listing = root.find("authors"), root.find("commentList")
        if authors is None or listing is None:
            return False
        cell = a1(row, col)
        if any(c.get("ref") == cell for c in listing.children):
            return False
        names = [a.text for a in authors.children]
        edits: list[tuple[int, int, bytes]] = []
        q = f"{root.prefix}:" if root.prefix else ""
        if AUTHOR in names:
            author_id = names.index(AUTHOR)
        else:
            author_id = len(names)
            edits += append_child(data, authors, f"<{q}author>{AUTHOR}</{q}author>".encode())
        edits += append_child(data, listing, _comment(cell, author_id, note, q))
        vml = pkg.read(self.vml)
        close = vml.rfind(b"</xml>")
        if close < 0:
            return False
        ids = [int(m) for m in _SHAPE_ID.findall(vml)]
        block = [int(x) for m in _IDMAP.finditer(vml) for x in re.findall(rb"\d+", m.group(1))]
        shape_id = max([*ids, 1024 * (block[0] if block else 1)]) + 1
        extra = b"" if b"_x0000_t202" in vml else _SHAPETYPE.encode()
        pkg.put(self.vml, vml[:close] + extra + _shape(shape_id, row, col) + vml[close:])
        pkg.put(self.comments, splice(data, edits))
        return True

    def remove(self, row: int, col: int) -> None:
        """Remove our note from a cell (a staff note there is left alone)."""
        if self.comments is None or self.vml is None:
            return
        pkg = self.pkg
        try:
            data, root = pkg.parsed(self.comments)
        except WorkbookError:
            return
        authors, listing = root.find("authors"), root.find("commentList")
        if authors is None or listing is None:
            return
        names = [a.text for a in authors.children]
        if AUTHOR not in names:
            return
        ours = str(names.index(AUTHOR))
        cell = a1(row, col)
        found = [c for c in listing.children if c.get("ref") == cell and c.get("authorId") == ours]
        if not found:
            return
        pkg.put(self.comments, splice(data, [(n.start, n.end, b"") for n in found]))
        vml = pkg.read(self.vml)
        where = f"<x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column>".encode()
        for match in _SHAPE.finditer(vml):
            if where in match.group(0) and b'ObjectType="Note"' in match.group(0):
                pkg.put(self.vml, vml[: match.start()] + vml[match.end() :])
                break
