"""The package's bookkeeping when a generated tab is added or replaced.

A new tab is appended at the end of `<sheets>` (so the `localSheetId` of every defined
name still points at the sheet it meant), given a relationship, a content type and a
line in `docProps/app.xml`. A replaced tab keeps its part name, relationship and place
among the tabs; the parts it owned (drawing, chart, their relationships) are removed
unless something else still refers to them, so nothing is orphaned. `calcPr
fullCalcOnLoad` asks Excel to recalculate staff formulas that read the plan.
"""

from __future__ import annotations

from ccrc_sync.errors import WorkbookError
from ccrc_sync.layout import TabLayout
from ccrc_sync.workbook.chart import (
    CHART_TYPE,
    DRAWING_TYPE,
    REL_CHART,
    REL_DRAWING,
    chart_xml,
    drawing_xml,
)
from ccrc_sync.workbook.package import Package, rels_name
from ccrc_sync.workbook.read import BookInfo, SheetRef
from ccrc_sync.workbook.tabs import REL_WORKSHEET, WORKSHEET_TYPE, TabStyles, sheet_xml
from ccrc_sync.workbook.xmlscan import (
    NS_REL,
    Node,
    attr_escape,
    root_declarations,
    set_attr,
    splice,
    text_escape,
)

# Where calcPr goes: after the last of these present in workbook.xml (CT_Workbook order).
_BEFORE_CALC = ("sheets", "functionGroups", "externalReferences", "definedNames")


def put_tab(
    pkg: Package, book: BookInfo, layout: TabLayout, styles: TabStyles, *, date1904: bool
) -> str:
    """Add or replace the generated tab `layout.title`; returns its part name. `book` is
    the workbook as staged so far: a tab added here joins its `sheets`."""
    existing = book.find(layout.title)
    if existing is not None and existing.kind != "worksheet":
        raise WorkbookError(
            f"The workbook {pkg.path} has a '{existing.name}' tab that is not a worksheet; "
            "rename it so ccrc-sync can write its own tab of that name."
        )
    if existing is not None:
        part = existing.part
        drop_owned(pkg, part)
    else:
        part = pkg.free_name("xl/worksheets/sheet{n}.xml")
        _append_sheet(pkg, book, layout.title, part)
        book.sheets.append(SheetRef(layout.title, "worksheet", part))
    drawing_rid = None
    if layout.chart is not None:
        drawing = pkg.free_name("xl/drawings/drawing{n}.xml")
        chart = pkg.free_name("xl/charts/chart{n}.xml")
        drawing_rid = pkg.add_rel(part, REL_DRAWING, drawing)
        chart_rid = pkg.add_rel(drawing, REL_CHART, chart)
        pkg.put(drawing, drawing_xml(layout.chart, chart_rid))
        pkg.put(chart, chart_xml(layout.chart, layout.title, layout.grid()))
        pkg.set_override(drawing, DRAWING_TYPE)
        pkg.set_override(chart, CHART_TYPE)
    pkg.put(part, sheet_xml(layout, styles, drawing_rid=drawing_rid, date1904=date1904))
    if existing is None or pkg.content_type(part) != WORKSHEET_TYPE:
        pkg.set_override(part, WORKSHEET_TYPE)
    return part


def _references(pkg: Package, skip: set[str]) -> set[str]:
    """Every part some relationship points at, ignoring the rels of parts in `skip`."""
    targets: set[str] = set()
    for name in pkg.names():
        if not name.endswith(".rels") or name in skip:
            continue
        folder, _, file = name.rpartition("/")
        source = folder.rpartition("/")[0]
        source = f"{source}/{file[:-5]}" if source else file[:-5]
        if name == "_rels/.rels":
            source = ""
        targets.update(r.target for r in pkg.rels(source) if not r.external)
    return targets


def drop_owned(pkg: Package, part: str) -> None:
    """Remove what `part` alone refers to (recursively) and its relationships file."""
    doomed: list[str] = []
    queue = [part]
    while queue:
        current = queue.pop()
        for rel in pkg.rels(current):
            if rel.external or not pkg.has(rel.target) or rel.target in doomed:
                continue
            doomed.append(rel.target)
            queue.append(rel.target)
    skip = {rels_name(p) for p in [part, *doomed]}
    still_used = _references(pkg, skip)
    for target in doomed:
        if target in still_used:
            continue
        if pkg.has(rels_name(target)):
            pkg.delete(rels_name(target))
        pkg.delete(target)
        pkg.set_override(target, None)
    if pkg.has(rels_name(part)):
        pkg.delete(rels_name(part))


def _append_sheet(pkg: Package, book: BookInfo, title: str, part: str) -> None:
    rid = pkg.add_rel(book.part, REL_WORKSHEET, part)
    data, root = pkg.parsed(book.part)
    sheets = root.find("sheets")
    if sheets is None:
        raise WorkbookError(f"The workbook {pkg.path} has no list of sheets; it looks damaged.")
    ids = [
        int(s.get("sheetId") or 0) for s in sheets.children if (s.get("sheetId") or "").isdigit()
    ]
    q = f"{sheets.prefix}:" if sheets.prefix else ""
    declared = f'xmlns:r="{NS_REL}"'.encode() in root_declarations(data)
    new = (
        f"<{q}sheet{'' if declared else ' xmlns:r=' + chr(34) + NS_REL + chr(34)} "
        f'name="{attr_escape(title)}" '
        f'sheetId="{max(ids, default=0) + 1}" r:id="{rid}"/>'
    ).encode()
    pkg.put(book.part, splice(data, [(sheets.inner_end, sheets.inner_end, new)]))
    _app_add_title(pkg, title)


def full_calc_on_load(pkg: Package, book_part: str) -> None:
    """`<calcPr fullCalcOnLoad="1"/>`: Excel recalculates formulas reading the plan."""
    data, root = pkg.parsed(book_part)
    calc = root.find("calcPr")
    if calc is not None:
        if calc.get("fullCalcOnLoad") in ("1", "true"):
            return
        tag = set_attr(data[calc.start : calc.inner_start], "fullCalcOnLoad", "1")
        pkg.put(book_part, splice(data, [(calc.start, calc.inner_start, tag)]))
        return
    after = [c for c in root.children if c.name in _BEFORE_CALC]
    if not after:
        return
    q = f"{root.prefix}:" if root.prefix else ""
    at = after[-1].end
    pkg.put(book_part, splice(data, [(at, at, f'<{q}calcPr fullCalcOnLoad="1"/>'.encode())]))


def _app_add_title(pkg: Package, title: str) -> None:
    """Count the new worksheet in docProps/app.xml; left alone when its shape is unusual."""
    part = next((r.target for r in pkg.rels("") if r.type == "extended-properties"), None)
    if part is None or not pkg.has(part):
        return
    data, root = pkg.parsed(part)
    pairs = root.find("HeadingPairs")
    titles = root.find("TitlesOfParts")
    if pairs is None or titles is None or not pairs.children or not titles.children:
        return
    pair_vector, title_vector = pairs.children[0], titles.children[0]
    variants = pair_vector.children
    counts: list[tuple[str, int, Node]] = []
    for i in range(0, len(variants) - 1, 2):
        name_node = variants[i].children[0] if variants[i].children else None
        count_node = variants[i + 1].children[0] if variants[i + 1].children else None
        if name_node is None or count_node is None or not count_node.text.strip().isdigit():
            return
        counts.append((name_node.text, int(count_node.text), count_node))
    if not counts:
        return
    index = next((i for i, c in enumerate(counts) if c[0] == "Worksheets"), 0)
    position = sum(c[1] for c in counts[:index]) + counts[index][1]
    entries = title_vector.children
    if len(entries) < position:
        return
    count_node = counts[index][2]
    at = entries[position - 1].end if position else title_vector.inner_start
    prefix = entries[0].prefix if entries else "vt"
    q = f"{prefix}:" if prefix else ""
    size = title_vector.get("size")
    edits: list[tuple[int, int, bytes]] = [
        (count_node.inner_start, count_node.inner_end, str(counts[index][1] + 1).encode()),
        (at, at, f"<{q}lpstr>{text_escape(title)}</{q}lpstr>".encode()),
    ]
    if size is not None and size.isdigit():
        tag = set_attr(
            data[title_vector.start : title_vector.inner_start], "size", str(int(size) + 1)
        )
        edits.append((title_vector.start, title_vector.inner_start, tag))
    try:
        pkg.put(part, splice(data, edits))
    except ValueError:
        return
