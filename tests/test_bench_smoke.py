"""The benchmark's machinery, end to end at 34 rows: request counts and lost edits, not timings.

Timings on a shared test machine prove nothing; what must hold at every size is that a
sync costs a handful of requests, the cell-by-cell script costs one per edited cell, the
overwrite script loses every edit made on the sheet, and ccrc-sync loses none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import run
from bench.plans import choose_edits, write_plan
from bench.table import render

pytestmark = pytest.mark.slow  # starts a handful of worker processes

ROWS = 34


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "results.json"
    figures = run([ROWS], out, work=tmp / "work", log=lambda _msg: None)
    assert json.loads(out.read_text(encoding="utf-8")) == figures
    return figures


@pytest.fixture(scope="module")
def results(figures: dict) -> dict:
    return figures["sizes"][0]


def test_the_zip_bomb_is_refused_by_both_commands_and_nothing_is_written(figures: dict) -> None:
    bomb = figures["zip_bomb"]
    assert bomb["bytes_inflated"] > 500 * bomb["bytes_on_disk"]
    for command in ("validate", "sync"):
        assert bomb[command]["result"]["exit"] == 2
        assert "limit" in bomb[command]["result"]["said"]
    assert bomb["files_unchanged"] is True


def test_edits_are_one_percent_of_data_cells_on_each_side_and_disjoint() -> None:
    book, sheet = choose_edits(ROWS, 0.01)
    assert len(book) == len(sheet) == 4  # 1% of 34 x 11 = 374 cells
    assert not {(e.rec_no, e.field) for e in book} & {(e.rec_no, e.field) for e in sheet}


def test_generated_plan_validates_clean(tmp_path: Path) -> None:
    from ccrc_sync.config import load_config
    from ccrc_sync.validate import run_validate

    book = write_plan(tmp_path / "plan.xlsx", ROWS)
    config = tmp_path / "c.toml"
    config.write_text(f'[plan]\nrec_nos = "1-{ROWS}"\n', encoding="utf-8")
    result = run_validate(book, load_config(config, env={}))
    assert [i.code for i in result.issues] == []


def test_ccrc_sync_costs_two_requests_one_when_idle_and_loses_nothing(results: dict) -> None:
    second = results["ccrc_sync"]["second_sync"]
    assert second["requests"]["by_kind"] == {
        "GET spreadsheets.get": 1,
        "POST values.batchUpdateByDataFilter": 1,
    }
    idle = results["ccrc_sync"]["idle_sync"]
    assert idle["requests"]["by_kind"] == {"GET spreadsheets.get": 1}
    assert idle["result"]["changes"] == 0 and idle["result"]["status"] == "ok"
    assert second["requests"]["failed"] == 0
    assert second["result"]["api_calls"] == second["requests"]["count"]
    assert second["result"]["changes"] == 2 * results["edits_per_side"]
    assert second["result"]["conflicts"] == 0
    assert results["ccrc_sync"]["edits"] == {
        "lost": 0,
        "missing_on_sheet": 0,
        "missing_in_workbook": 0,
    }


def test_update_cell_costs_one_request_per_edited_cell_plus_reads(results: dict) -> None:
    script = results["update_cell"]
    kinds = script["requests"]["by_kind"]
    assert kinds["PUT values.update"] == results["edits_per_side"]
    reads = sum(n for kind, n in kinds.items() if kind.startswith("GET"))
    assert script["requests"]["count"] == results["edits_per_side"] + reads
    assert script["edits"]["lost"] == 0


def test_overwrite_loses_every_edit_made_on_the_sheet(results: dict) -> None:
    script = results["overwrite"]
    assert script["requests"]["count"] <= 4
    assert script["edits"]["lost"] == results["edits_per_side"]
    assert script["edits"]["missing_on_sheet"] == results["edits_per_side"]


def test_floors_and_ratios_are_measured_in_the_same_run(results: dict) -> None:
    for fig in (results["bare_load"], results["bare_load_save"], results["validate"]):
        assert fig["seconds"] > 0 and fig["peak_mb"] >= fig["base_mb"] > 0
    for key in ("validate_over_load", "sync_over_load", "idle_over_load"):
        assert results["ratios"][key] > 0


def test_table_shows_every_figure(results: dict) -> None:
    text = render(
        {
            "machine": {"python": "3.11", "cpus": 2, "platform": "test"},
            "settings": {"edit_fraction": 0.01},
            "sizes": [results],
        }
    )
    lines = text.splitlines()
    assert any(line.split()[:1] == ["34"] for line in lines)
    assert "idle sync s" in text and "update_cell req" in text
    assert "met    an idle sync costs 1 request at every size (worst 1)" in lines
