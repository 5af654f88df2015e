"""`publish`: the public summary regenerated from the plan, in markdown, HTML and Word.

Run on the template it must reproduce the seed document: its title (with the publish
date), its narrative with the count sentence, and its tables row for row, with statuses
in their canonical spelling and the seed's own defects left as they are (and reported).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from fixtures.plans import ROOT, template_copy
from openpyxl import load_workbook

from ccrc_sync.config import Config, WorkbookConfig
from ccrc_sync.errors import WorkbookError
from ccrc_sync.publish import (
    COLUMNS,
    PublishError,
    fold_parts,
    guess_format,
    long_date,
    publish,
    publish_document,
)

SEED = ROOT.parent / "shared" / "seed" / "000_69851092eed254a1.txt"
NOW = dt.datetime(2026, 7, 2, 9, 30, tzinfo=dt.UTC)
TITLE = "CCRC – Summary of Response to HMCPSI Report – 2nd July 2026"
SENTENCE = (
    "Work is underway on 24 of the 34 recommendations, with planned activity in place to "
    "address the remaining 10."
)
SECTIONS = [
    "Key Recommendations",
    "Casework Quality",
    "Learning & Development",
    "Assurance",
    "Leadership & Governance",
]
Rows = list[tuple[str, str, str, str]]


def _config(workbook: Path, tmp_path: Path) -> Config:
    return Config.model_validate(
        {"workbook": {"path": workbook}, "sync": {"state_dir": tmp_path / "state"}}
    )


def _parse_markdown(text: str) -> tuple[str, list[str], str, dict[str, Rows]]:
    """(title, paragraphs, heading, {section: rows}) of our markdown output."""
    lines = text.split("\n")
    assert lines[0].startswith("# ")
    title = lines[0][2:]
    heading_at = next(i for i, line in enumerate(lines) if line.startswith("## "))
    paragraphs = [line for line in lines[1:heading_at] if line.strip()]
    tables: dict[str, Rows] = {}
    current = ""
    for line in lines[heading_at + 1 :]:
        if line.startswith("### "):
            current = line[4:]
            tables[current] = []
        elif line.startswith("| ") and not line.startswith("| ---"):
            cells = [c.strip().replace("\\|", "|") for c in line.strip()[2:-2].split(" | ")]
            if tuple(cells) != COLUMNS:
                tables[current].append((cells[0], cells[1], cells[2], cells[3]))
    return title, paragraphs, lines[heading_at][3:], tables


def _parse_seed(text: str) -> tuple[str, list[str], dict[str, Rows]]:
    """(title, narrative paragraphs, {section: rows}) of the seed document."""
    lines = [line for line in text.split("\n") if line.strip()]
    heading_at = lines.index("Summary of Action Plan")
    tables: dict[str, Rows] = {}
    current = ""
    for line in lines[heading_at + 1 :]:
        if not line.startswith("|"):
            current = line.strip()
            tables[current] = []
            continue
        cells = [c.strip() for c in line.strip()[1:-1].split(" | ")]
        if tuple(cells) != COLUMNS:
            tables[current].append((cells[0], cells[1], cells[2], cells[3]))
    return lines[0], lines[1:heading_at], tables


def _markdown(tmp_path: Path, workbook: Path | None = None, now: dt.datetime = NOW) -> str:
    workbook = workbook or template_copy(tmp_path)
    out = publish(_config(workbook, tmp_path), out=tmp_path / "summary.md", fmt="md", now=now)
    return out.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the seed


def test_markdown_of_the_template_reproduces_the_seed_table_by_table(tmp_path: Path) -> None:
    if not SEED.is_file():
        pytest.skip("the seed document (../shared/seed/) is not present to compare with")
    title, paragraphs, heading, tables = _parse_markdown(_markdown(tmp_path))
    seed_title, seed_paragraphs, seed_tables = _parse_seed(SEED.read_text(encoding="utf-8"))
    assert title == seed_title == TITLE
    assert paragraphs == seed_paragraphs
    assert heading == "Summary of Action Plan"
    assert list(tables) == list(seed_tables) == SECTIONS
    for section, seed_rows in seed_tables.items():
        rows = tables[section]
        assert [r[:3] for r in rows] == [r[:3] for r in seed_rows], section
        for ours, theirs in zip(rows, seed_rows, strict=True):
            # The same status, in its canonical spelling ("In progress" -> "In Progress").
            assert ours[3].casefold() == theirs[3].casefold()
            assert ours[3] in ("Planned", "In Progress", "Complete")
    assert sum(len(r) for r in tables.values()) == 34
    respelt = [r[0] for rows in seed_tables.values() for r in rows if r[3] == "In progress"]
    assert respelt == ["16", "24", "28"]


def test_the_template_gives_the_seeds_sentence_and_its_parts_inside_their_text(
    tmp_path: Path,
) -> None:
    title, paragraphs, _, tables = _parse_markdown(_markdown(tmp_path))
    assert title == TITLE
    assert sum(p.count(SENTENCE) for p in paragraphs) == 1
    assert paragraphs[-1] == "A summary of the CCRC Action Plan is detailed below."
    rows = {r[0]: r for section in tables.values() for r in section}
    assert rows["18"][1] == (
        "The CCRC should strengthen its internal audit assurance programme by: a. Increasing "
        "the size and representativeness of samples for audit testing b. Ensuring internal "
        "audits test casework quality as well as procedural compliance and distinguish the two."
    )
    assert "18a" not in rows and len(rows) == 34
    assert [r[0] for r in tables["Assurance"]] == ["18", "19", "22", "23", "24", "25"]


def test_the_seeds_defects_are_reported_not_mended(tmp_path: Path) -> None:
    workbook = template_copy(tmp_path)
    done = publish_document(
        _config(workbook, tmp_path), out=tmp_path / "summary.md", fmt="md", now=NOW
    )
    rows = {r.rec_no: r for t in done.document.tables for r in t.rows}
    assert rows["6"].action == "Review of case planning structureunderway."
    assert rows["28"].recommendation.endswith("who line manages the relevant Case Review")
    assert "Managers.Should" in rows["30"].recommendation
    found = {(i.code, i.rec_no) for i in done.findings}
    assert {
        ("text.missing_space", "6"),
        ("text.truncated", "28"),
        ("text.missing_space", "30"),
        ("text.near_duplicate", "31"),
    } <= found


# --------------------------------------------------------------------------- live figures


def _edit(workbook: Path, values: dict[str, dict[str, object]]) -> None:
    """Set cells by Rec No. and column header, as a person would in Excel."""
    wb = load_workbook(workbook)
    ws = wb["Action Plan"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        key = str(row[0].value)
        for label, value in values.get(key, {}).items():
            row[headers.index(label)].value = value
    wb.save(workbook)


def test_the_sentence_and_statuses_follow_the_live_plan(tmp_path: Path) -> None:
    workbook = template_copy(tmp_path)
    _edit(
        workbook,
        {
            "2": {"Status": "Complete"},
            "3": {"Status": "in progress"},
            "20a": {"Status": "Complete"},
            "20b": {"Status": "Complete"},
            "20c": {"Status": "Complete"},
            "20": {"Status": "Complete"},
            "21b": {"Recommendation": "Conducting deeper | narrower scrutiny."},
        },
    )
    _, paragraphs, _, tables = _parse_markdown(_markdown(tmp_path, workbook))
    assert (
        "Of the 34 recommendations, 2 are complete; work is underway on 24, with planned "
        "activity in place to address the remaining 8."
    ) in paragraphs[5]
    rows = {r[0]: r for section in tables.values() for r in section}
    assert rows["2"][3] == "Complete"
    assert rows["3"][3] == "In Progress"
    assert rows["20"][3] == "Complete"  # the parts' roll-up
    assert rows["21"][1].endswith(
        "a. Methodology for identifying key cases. b. Conducting deeper | narrower scrutiny. "
        "c. Proactive management of longer running cases by GLs."
    )


def test_a_parent_shows_the_status_its_parts_add_up_to(tmp_path: Path) -> None:
    workbook = template_copy(tmp_path)
    _edit(workbook, {"25a": {"Status": "Complete"}, "25": {"Status": "Planned"}})
    _, _, _, tables = _parse_markdown(_markdown(tmp_path, workbook))
    rows = {r[0]: r for r in tables["Assurance"]}
    assert rows["25"][3] == "In Progress"


def test_an_unknown_status_or_section_is_shown_as_typed_never_dropped(tmp_path: Path) -> None:
    workbook = template_copy(tmp_path)
    _edit(workbook, {"9": {"Status": "On hold"}, "10": {"Section": "Finance"}})
    _, _, _, tables = _parse_markdown(_markdown(tmp_path, workbook))
    assert list(tables) == [*SECTIONS, "Other recommendations"]
    assert [r[0] for r in tables["Other recommendations"]] == ["10"]
    rows = {r[0]: r for r in tables["Casework Quality"]}
    assert rows["9"][3] == "On hold"


@pytest.mark.parametrize(
    ("now", "title_date"),
    [
        # 23:30 UTC on 1 July is 00:30 on 2 July in London (summer time).
        (dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC), "2nd July 2026"),
        # A time without a zone is UTC, as everywhere else (config.today), not local time.
        (dt.datetime(2026, 7, 1, 23, 30), "2nd July 2026"),
        (dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), "31st December 2026"),
        (dt.datetime(2027, 3, 3, 12, 0, tzinfo=dt.UTC), "3rd March 2027"),
    ],
)
def test_the_title_carries_the_publish_date_in_the_configured_zone(
    tmp_path: Path, now: dt.datetime, title_date: str
) -> None:
    title, *_ = _parse_markdown(_markdown(tmp_path, now=now))
    assert title == f"CCRC – Summary of Response to HMCPSI Report – {title_date}"


def test_ordinal_dates_as_the_seed_writes_them() -> None:
    days = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31]
    assert [long_date(dt.date(2026, 1, d)).split()[0] for d in days] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st",
    ]  # fmt: skip


def test_fold_parts_is_the_seeds_way_of_writing_parts() -> None:
    assert fold_parts("Do this by:", [("a", "One."), ("b", " Two  words "), ("c", "")]) == (
        "Do this by: a. One. b. Two words"
    )


# --------------------------------------------------------------------------- html


class _Tables(HTMLParser):
    """Headings and table cells of an HTML page, as a reader sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.paragraphs: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.header_cells: list[str] = []
        self._tag: str | None = None
        self._text = ""
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h3", "p", "td", "th"):
            self._tag, self._text = tag, ""
        if tag == "tr" and self._section:
            self.tables[self._section].append([])

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag != self._tag:
            return
        if tag == "h1":
            self.h1.append(self._text)
        elif tag == "p":
            self.paragraphs.append(self._text)
        elif tag == "h3":
            self._section = self._text
            self.tables[self._section] = []
        elif tag == "th":
            self.header_cells.append(self._text)
        elif tag == "td":
            self.tables[self._section][-1].append(self._text)
        self._tag = None


def test_html_holds_the_same_document_with_text_escaped(tmp_path: Path) -> None:
    workbook = template_copy(tmp_path)
    _edit(workbook, {"1": {"Action": "Agree <b>scope</b> & plan"}})
    config = _config(workbook, tmp_path)
    md = _parse_markdown(_markdown(tmp_path, workbook))
    out = publish(config, out=tmp_path / "summary.html", fmt="html", now=NOW)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    assert "Agree &lt;b&gt;scope&lt;/b&gt; &amp; plan" in text
    assert "http" not in text  # no external asset
    page = _Tables()
    page.feed(text)
    assert page.h1 == [TITLE]
    assert page.paragraphs == md[1]
    assert page.header_cells == list(COLUMNS) * 5
    tables = {k: [tuple(r) for r in v if r] for k, v in page.tables.items()}
    assert tables == md[3]
    assert tables["Casework Quality"][0][2] == "Agree <b>scope</b> & plan"


# --------------------------------------------------------------------------- docx


def test_docx_is_a_word_document_with_real_tables_and_header_rows(tmp_path: Path) -> None:
    workbook = template_copy(tmp_path)
    md = _parse_markdown(_markdown(tmp_path, workbook))
    out = publish(_config(workbook, tmp_path), out=tmp_path / "summary.docx", fmt="docx", now=NOW)
    doc = open_docx(str(out))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Head")]
    assert headings == [
        ("Heading 1", TITLE),
        ("Heading 2", "Summary of Action Plan"),
        *[("Heading 3", s) for s in SECTIONS],
    ]
    body = [p.text for p in doc.paragraphs if p.style.name == "Normal" and p.text]
    assert body == md[1]
    assert len(doc.tables) == 5
    for table, section in zip(doc.tables, SECTIONS, strict=True):
        header = table.rows[0]
        assert [c.text for c in header.cells] == list(COLUMNS)
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(run.bold for c in header.cells for run in c.paragraphs[0].runs)
        rows = [tuple(c.text for c in r.cells) for r in table.rows[1:]]
        assert rows == md[3][section]
    assert doc.core_properties.title == TITLE


@pytest.mark.slow
def test_libreoffice_reads_the_docx(tmp_path: Path) -> None:
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        pytest.skip("LibreOffice (soffice) and poppler's pdftotext are needed to render")
    out = publish(
        _config(template_copy(tmp_path), tmp_path),
        out=tmp_path / "summary.docx",
        fmt="docx",
        now=NOW,
    )
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(out)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    text = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "summary.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    flat = " ".join(text.split())
    assert TITLE in flat
    assert "Rec No." in flat and "Leadership & Governance" in flat
    assert "Audit planned." in flat and "Under consideration." in flat


# --------------------------------------------------------------------------- bad input


def test_a_missing_output_folder_is_one_sentence_and_nothing_is_written(tmp_path: Path) -> None:
    config = _config(template_copy(tmp_path), tmp_path)
    out = tmp_path / "no-such-folder" / "summary.md"
    with pytest.raises(PublishError) as err:
        publish(config, out=out, fmt="md", now=NOW)
    assert str(err.value) == (
        f"The folder {out.parent} does not exist; create it or choose another --out."
    )
    assert not out.parent.exists()


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("s.md", "pdf", "'pdf' is not a format publish can write; use md, html or docx."),
        (
            "s.docx",
            "md",
            "--out {out} names a .docx file but the format is md; use --format docx or a "
            "file name ending in .md.",
        ),
    ],
)
def test_a_wrong_format_is_one_sentence(tmp_path: Path, name: str, fmt: str, message: str) -> None:
    out = tmp_path / name
    with pytest.raises(PublishError) as err:
        publish(_config(template_copy(tmp_path), tmp_path), out=out, fmt=fmt, now=NOW)
    assert str(err.value) == message.format(out=out)
    assert not out.exists()


def test_an_output_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PublishError) as err:
        publish(_config(template_copy(tmp_path), tmp_path), out=tmp_path, fmt="md", now=NOW)
    assert str(err.value) == f"--out {tmp_path} is a folder; name a file in it instead."


def test_a_missing_workbook_is_the_workbooks_sentence(tmp_path: Path) -> None:
    out = tmp_path / "summary.md"
    with pytest.raises(WorkbookError) as err:
        publish(_config(tmp_path / "nope.xlsx", tmp_path), out=out, fmt="md", now=NOW)
    assert str(err.value) == f"The workbook {tmp_path / 'nope.xlsx'} does not exist."
    assert not out.exists()


def test_an_unknown_placeholder_in_the_narrative_names_it(tmp_path: Path) -> None:
    narrative = tmp_path / "summary.md"
    narrative.write_text("# Title $date\n\nWe have $count recommendations.\n", encoding="utf-8")
    out = tmp_path / "out.md"
    with pytest.raises(PublishError) as err:
        publish(
            _config(template_copy(tmp_path), tmp_path),
            out=out,
            fmt="md",
            now=NOW,
            narrative=narrative,
        )
    assert str(err.value) == (
        f"The narrative template {narrative} uses $count, which ccrc-sync does not know; use "
        "$date, $sentence, $total (or $$ for a dollar sign)."
    )
    assert not out.exists()


def test_a_narrative_without_a_title_line_is_refused(tmp_path: Path) -> None:
    narrative = tmp_path / "summary.md"
    narrative.write_text("Just a paragraph.\n", encoding="utf-8")
    with pytest.raises(PublishError, match="must start with a title line"):
        publish(
            _config(template_copy(tmp_path), tmp_path),
            out=tmp_path / "out.md",
            fmt="md",
            now=NOW,
            narrative=narrative,
        )


def test_an_edited_narrative_is_used_with_its_placeholders(tmp_path: Path) -> None:
    narrative = tmp_path / "summary.md"
    narrative.write_text(
        "<!-- editor's note -->\n# Progress on $date\n\nOf $total: $sentence\n\nCosts $$5.\n",
        encoding="utf-8",
    )
    out = publish(
        _config(template_copy(tmp_path), tmp_path),
        out=tmp_path / "out.md",
        fmt="md",
        now=NOW,
        narrative=narrative,
    )
    title, paragraphs, _, _ = _parse_markdown(out.read_text(encoding="utf-8"))
    assert title == "Progress on 2nd July 2026"
    assert paragraphs == [f"Of 34: {SENTENCE}", "Costs $5."]


def test_an_existing_file_is_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    out = tmp_path / "summary.md"
    out.write_text("old", encoding="utf-8")
    publish(_config(template_copy(tmp_path), tmp_path), out=out, fmt="md", now=NOW)
    assert out.read_text(encoding="utf-8").startswith(f"# {TITLE}\n")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert out.stat().st_mode & 0o044 == 0o044  # readable by others, as a document is


def test_without_out_the_summary_goes_to_the_reports_folder(tmp_path: Path) -> None:
    config = _config(template_copy(tmp_path), tmp_path)
    out = publish(config, out=None, fmt="docx", now=NOW)
    assert out == tmp_path / "state" / "reports" / "ccrc-summary-2026-07-02.docx"
    assert open_docx(str(out)).paragraphs[0].text == TITLE


def test_the_format_can_be_guessed_from_the_file_name() -> None:
    assert guess_format(Path("a.DOCX")) == "docx"
    assert guess_format(Path("a.htm")) == "html"
    assert guess_format(Path("a.txt")) == "md"
    assert guess_format(None, default="html") == "html"


def test_the_workbook_config_is_what_is_read(tmp_path: Path) -> None:
    mine = template_copy(tmp_path, "mine.xlsx")
    template_copy(tmp_path)  # a plan.xlsx beside it, which must not be the one read
    wb = load_workbook(mine)
    wb["Action Plan"]["E2"] = "Complete"  # Rec 1
    wb.save(mine)
    config = Config(workbook=WorkbookConfig(path=mine))
    out = publish(config, out=tmp_path / "s.md", fmt="md", now=NOW)
    _, paragraphs, _, tables = _parse_markdown(out.read_text(encoding="utf-8"))
    [rec_1] = [row for row in tables["Casework Quality"] if row[0] == "1"]
    assert rec_1[3] == "Complete"
    # The count sentence in the narrative follows the plan that was read.
    [count] = [p for p in paragraphs if p.startswith("We are committed")]
    assert count == (
        "We are committed to implementing all 34 recommendations set out in the report and to "
        "delivering the improvements required. This will include strengthening our quality "
        "assurance framework, clarifying expectations, and ensuring that our processes are "
        "both efficient and centred on delivering just outcomes. Of the 34 recommendations, 1 "
        "is complete; work is underway on 23, with planned activity in place to address the "
        "remaining 10. This reflects our commitment to delivering meaningful and timely "
        "improvement."
    )
