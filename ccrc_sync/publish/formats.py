"""The public summary drawn as markdown and as a self-contained HTML page.

Both are text and need nothing beyond the standard library. The markdown is GitHub-style
(pipe tables with a header separator), so it reads as a document on GitHub, in most
editors and through pandoc; the HTML carries its own small stylesheet and no external
asset, so it can be opened from disk, attached to an email or pasted into a web page.
"""

from __future__ import annotations

import html

from ccrc_sync.publish.model import COLUMNS, Document


def _md_cell(text: str) -> str:
    """A table cell's text, safe inside a pipe table (a '|' would end the cell)."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_md_cell(c) for c in cells) + " |"


def to_markdown(doc: Document) -> str:
    lines = [f"# {doc.title}", ""]
    for paragraph in doc.paragraphs:
        lines += [paragraph, ""]
    lines += [f"## {doc.heading}", ""]
    for table in doc.tables:
        lines += [f"### {table.heading}", "", _md_row(COLUMNS)]
        lines.append("| " + " | ".join("---" for _ in COLUMNS) + " |")
        lines += [_md_row(row.cells()) for row in table.rows]
        lines.append("")
    return "\n".join(lines)


_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; margin: 2em auto;
       max-width: 60em; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.5em; color: #1F4E78; }
h2 { font-size: 1.3em; color: #1F4E78; margin-top: 1.6em; }
h3 { font-size: 1.1em; color: #1F4E78; margin-top: 1.4em; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 1em; }
th, td { border: 1px solid #BFBFBF; padding: 0.35em 0.5em; text-align: left;
         vertical-align: top; }
th { background: #1F4E78; color: #FFFFFF; }
td.rec, th.rec { width: 4.5em; text-align: center; white-space: nowrap; }
td.status, th.status { width: 7.5em; }
@media print { h3 { break-after: avoid; } tr { break-inside: avoid; } }
""".strip()
_CLASSES = ("rec", "", "", "status")


def _cell(tag: str, text: str, css: str, scope: bool = False) -> str:
    attrs = f' class="{css}"' if css else ""
    if scope:
        attrs += ' scope="col"'
    return f"<{tag}{attrs}>{html.escape(text)}</{tag}>"


def to_html(doc: Document) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(doc.title)}</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{html.escape(doc.title)}</h1>",
    ]
    out += [f"<p>{html.escape(p)}</p>" for p in doc.paragraphs]
    out.append(f"<h2>{html.escape(doc.heading)}</h2>")
    for table in doc.tables:
        out.append("<section>")
        out.append(f"<h3>{html.escape(table.heading)}</h3>")
        out.append("<table>")
        head = "".join(_cell("th", c, css, True) for c, css in zip(COLUMNS, _CLASSES, strict=True))
        out.append(f"<thead><tr>{head}</tr></thead>")
        out.append("<tbody>")
        for row in table.rows:
            cells = zip(row.cells(), _CLASSES, strict=True)
            out.append("<tr>" + "".join(_cell("td", c, css) for c, css in cells) + "</tr>")
        out.append("</tbody>")
        out.append("</table>")
        out.append("</section>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)
