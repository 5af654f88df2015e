"""The legacy Google Sheet adapter (kept until the sync switches to `ccrc_sync.sheet`),
driven with the real gspread client over HTTP to the project's Sheets API emulator on
127.0.0.1. Nothing is mocked: requests are counted from the emulator's own log, and faults
are injected by the emulator.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from pathlib import Path

import gspread
import pytest
from google.auth.credentials import AnonymousCredentials

from ccrc_sync import schema
from ccrc_sync.config import RetryConfig, SheetConfig
from ccrc_sync.errors import SheetError
from ccrc_sync.sheet.legacy import (
    GoogleSheet,
    SheetsHTTPClient,
    add_tab_request,
    chart_request,
    emulator_origin,
    encode_cell,
    expand_request,
    expand_requests,
    load_credentials,
    plan_format_requests,
)
from ccrc_sync.summary import ChartSpec

FAST = RetryConfig(max_seconds=2, initial_delay=0.01, max_delay=0.05, timeout=2)
PLAN = schema.PLAN_SHEET
COLUMNS = {label: i for i, label in enumerate(schema.FIELDS, start=1)}


# --------------------------------------------------------------------------- helpers


def plan_grid(rows: int = 34) -> list[list[schema.Value]]:
    """A realistic action plan: header plus one row per recommendation."""
    grid: list[list[schema.Value]] = [list(schema.FIELDS)]
    for n in range(1, rows + 1):
        grid.append(
            [
                n,
                schema.DEFAULT_SECTIONS[n % len(schema.DEFAULT_SECTIONS)],
                f"Recommendation {n}: improve the quality of casework reviews.",
                f"Action for {n}\nsecond line of the action",
                schema.DEFAULT_STATUSES[n % 3],
                f"Owner {n}",
                dt.date(2027, 1 + n % 12, 1 + n % 28),
                dt.datetime(2026, 11, 1 + n % 28),
                "" if n % 2 else f"Note {n} — café",
            ]
        )
    return grid


def connect(emulator, spreadsheet_id: str, retry: RetryConfig = FAST) -> GoogleSheet:
    cfg = SheetConfig(spreadsheet_id=spreadsheet_id, emulator_host=emulator.host_port, retry=retry)
    return GoogleSheet.connect(cfg)


def body_of(request) -> dict:
    """A recorded request's JSON body, whether the log kept it parsed or as text."""
    body = request.body
    return json.loads(body) if isinstance(body, str | bytes) else body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sid(emulator) -> str:
    """A spreadsheet with an empty plan tab and one other tab."""
    return emulator.create_spreadsheet(title="CCRC", sheets=(PLAN, "Notes"))


@pytest.fixture
def plan_sid(emulator) -> str:
    """A spreadsheet holding the 34-row plan, typed in as a person would."""
    sid = emulator.create_spreadsheet(title="CCRC", sheets=(PLAN,))
    rows = [[schema.display(v) for v in row] for row in plan_grid()]
    emulator.set_values(sid, PLAN, "A1", rows, user_entered=True)
    return sid


# --------------------------------------------------------------------------- reading


def test_connect_reads_metadata_in_one_request(emulator, sid):
    emulator.clear_log()
    sheet = connect(emulator, sid)
    assert len(emulator.requests) == 1
    assert emulator.requests[0].method == "GET"
    assert emulator.requests[0].path.startswith(f"/v4/spreadsheets/{sid}")
    assert sheet.api_calls == 1
    assert set(sheet.tabs) == {PLAN, "Notes"}
    plan = sheet.tabs[PLAN]
    assert plan.row_count >= 100 and plan.column_count >= 9
    assert not plan.has_chart


def test_reading_the_whole_plan_is_one_request(emulator, plan_sid):
    sheet = connect(emulator, plan_sid)
    emulator.clear_log()
    grids = sheet.read([PLAN, "Summary", "Sync Issues"])
    assert len(emulator.requests) == 1
    request = emulator.requests[0]
    assert request.method == "GET" and request.path.endswith("/values:batchGet")
    assert set(grids) == {PLAN}  # tabs that do not exist are simply absent
    grid = grids[PLAN]
    assert grid[0] == list(schema.FIELDS)
    assert len(grid) == 35
    table = schema.table_from_grid(grid, PLAN)
    assert sorted(table.by_rec_no()) == list(range(1, 35))
    row7 = table.by_rec_no()[7]
    assert row7[schema.ACTION] == "Action for 7\nsecond line of the action"
    assert schema.as_date(row7[schema.TARGET_DATE]) == dt.date(2027, 8, 8)


def test_no_request_when_nothing_to_read_or_write(emulator, sid):
    sheet = connect(emulator, sid)
    emulator.clear_log()
    assert sheet.read([]) == {}
    assert sheet.read(["No Such Tab"]) == {}
    assert sheet.write([]) == 0
    assert sheet.write([(PLAN, 1, 1, [])]) == 0
    assert sheet.update_structure([]) == {}
    assert emulator.requests == []
    assert sheet.api_calls == 1


def test_empty_tab_reads_as_empty_grid(emulator, sid):
    sheet = connect(emulator, sid)
    assert sheet.read([PLAN, "Notes"]) == {PLAN: [], "Notes": []}


# --------------------------------------------------------------------------- writing


def test_write_the_plan_and_read_it_back(emulator, sid):
    sheet = connect(emulator, sid)
    emulator.clear_log()
    assert sheet.write([(PLAN, 1, 1, plan_grid())]) == 35 * 9
    assert len(emulator.requests) == 1
    request = emulator.requests[0]
    assert request.method == "POST" and request.path.endswith("/values:batchUpdate")
    body = body_of(request)
    assert body["valueInputOption"] == "USER_ENTERED"

    grid = sheet.read([PLAN])[PLAN]
    table = schema.table_from_grid(grid, PLAN)
    expected = schema.table_from_grid(plan_grid(), PLAN).by_rec_no()
    got = table.by_rec_no()
    assert set(got) == set(expected)
    for rec_no, values in expected.items():
        for label, value in values.items():
            assert schema.normalise(label, got[rec_no].get(label)) == schema.normalise(
                label, value
            ), (rec_no, label)


def test_a_hundred_changed_cells_are_one_request(emulator, plan_sid):
    sheet = connect(emulator, plan_sid)
    emulator.clear_log()
    # 100 distinct cells scattered over the plan: rows 2..26 x four columns.
    cells = [(r, c) for r in range(2, 36) for c in (2, 4, 6, 9)][:100]
    blocks = [(PLAN, r, c, [[f"changed {r}/{c} x"]]) for r, c in cells]
    assert len(blocks) == 100
    sheet.write(blocks)
    assert len(emulator.requests) == 1
    assert len(body_of(emulator.requests[0])["data"]) == 100
    grid = emulator.get_values(plan_sid, PLAN)
    for r, c in cells:
        assert grid[r - 1][c - 1] == f"changed {r}/{c} x"


def test_none_clears_and_short_rows_leave_cells_alone(emulator, sid):
    sheet = connect(emulator, sid)
    sheet.write([(PLAN, 1, 1, [["a", "b", "c"], ["d", "e", "f"]])])
    sheet.write([(PLAN, 1, 1, [[None, "B"], ["D"]])])
    assert emulator.get_values(sid, PLAN) == [["", "B", "c"], ["D", "e", "f"]]


TRICKY_TEXT = [
    '=HYPERLINK("http://example.com","x")',
    "=1+1",
    "+44 20 7946 0000",
    "-",
    "- a bullet point",
    "-5",
    "@channel please look",
    "'already quoted",
    "''",
    "0044 20 7946 0000",
    "00442079460000",
    "007",
    "1/2",
    "3/4/2027",
    "2027-03-31",
    "31 March 2027",
    "10:30",
    "TRUE",
    "false",
    "12%",
    "$5",
    "£5",
    "1,234",
    "1e5",
    "(3)",
    "#N/A",
    "Zoë’s naïve café — 日本語 ✓ 🙂",
    "line one\nline two\n\nline four",
    "=cmd|' /C calc'!A0",
    "Phase 2 of 3",
    "plain prose, as typed",
]


def test_text_stays_text(emulator, sid):
    sheet = connect(emulator, sid)
    sheet.write([(PLAN, 1, 1, [[text] for text in TRICKY_TEXT])])
    back = [row[0] if row else "" for row in sheet.read([PLAN])[PLAN]]
    assert back == TRICKY_TEXT


def test_numbers_are_numbers_and_dates_are_dates(emulator, sid):
    sheet = connect(emulator, sid)
    cells = [[15, 2.5, dt.date(2027, 3, 31), dt.datetime(2026, 11, 2), True]]
    sheet.write([(PLAN, 2, 1, cells)])
    row = sheet.read([PLAN])[PLAN][1]
    assert row[0] == 15 and row[1] == 2.5  # numbers read as numbers: no digits lost
    assert schema.as_date(row[2]) == dt.date(2027, 3, 31)
    assert schema.as_date(row[3]) == dt.date(2026, 11, 2)
    assert row[4] == "TRUE"
    sent = body_of(emulator.requests[-2])["data"][0]["values"][0]
    assert sent[:3] == [15, 2.5, "2027-03-31"]


def test_long_numbers_keep_every_digit(emulator, sid):
    sheet = connect(emulator, sid)
    sheet.write([(PLAN, 2, 1, [[1234567890123456789.0, 0.30000000000000004]])])
    row = sheet.read([PLAN])[PLAN][1]
    assert row == [1234567890123456789.0, 0.30000000000000004]


def test_dates_keep_their_date_format_after_formatting(emulator, sid):
    sheet = connect(emulator, sid)
    plan_id = sheet.tabs[PLAN].sheet_id
    sheet.update_structure(
        plan_format_requests(
            plan_id, COLUMNS, schema.DEFAULT_STATUSES, schema.DEFAULT_SECTIONS, header_row=1
        )
    )
    sheet.write([(PLAN, 2, 7, [[dt.date(2027, 3, 31), dt.datetime(2026, 1, 5, 0, 0)]])])
    row = sheet.read([PLAN])[PLAN][1]
    assert [schema.as_date(v) for v in row[6:8]] == [dt.date(2027, 3, 31), dt.date(2026, 1, 5)]


def test_writing_past_the_grid_is_preceded_by_an_expansion(emulator, sid):
    """Google answers 400 "exceeds grid limits" to a values write past the grid, so the
    adapter plans `appendDimension` requests for the structural batch first."""
    sheet = connect(emulator, sid)
    rows, cols = sheet.tabs[PLAN].row_count, sheet.tabs[PLAN].column_count
    far = [(PLAN, rows + 5, 1, [["far"]]), (PLAN, 2, cols, [["a", "b", "c"]])]
    requests_ = sheet.expansion_requests(far)
    assert requests_ == expand_requests(sheet.tabs[PLAN].sheet_id, 5, 2)
    assert sheet.expansion_requests([(PLAN, 2, 2, [["near"]])]) == []
    sheet.update_structure(requests_)
    assert (sheet.tabs[PLAN].row_count, sheet.tabs[PLAN].column_count) == (rows + 5, cols + 2)
    sheet.write(far)
    assert emulator.get_values(sid, PLAN)[rows + 4] == ["far"]
    sheet.refresh()
    assert (sheet.tabs[PLAN].row_count, sheet.tabs[PLAN].column_count) == (rows + 5, cols + 2)


def test_a_rejected_write_is_a_sentence(emulator, sid):
    """Someone deletes a tab between our read and our write: Google's 400 becomes a sentence."""
    sheet = connect(emulator, sid)
    other = connect(emulator, sid)
    other.update_structure([{"deleteSheet": {"sheetId": other.tabs["Notes"].sheet_id}}])
    assert "Notes" not in other.tabs
    with pytest.raises(SheetError) as err:
        sheet.write([(PLAN, 1, 1, [["x"]]), ("Notes", 1, 1, [["y"]])])
    assert err.value.code == 400
    assert str(err.value).startswith(f"Could not write the Google Sheet {sid}: ")


def test_write_to_a_missing_tab_is_refused_before_sending(emulator, sid):
    sheet = connect(emulator, sid)
    emulator.clear_log()
    with pytest.raises(SheetError, match="'Summary' does not exist"):
        sheet.write([("Summary", 1, 1, [["x"]])])
    assert emulator.requests == []


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize("kind", ["429", "500", "503", "drop"])
def test_transient_failures_are_retried(emulator, plan_sid, kind):
    sheet = connect(emulator, plan_sid)
    emulator.clear_log()
    emulator.fail_next(2, kind)
    grid = sheet.read([PLAN])[PLAN]
    assert len(grid) == 35
    assert len(emulator.requests) == 3
    assert sheet.api_calls == 1 + 3


def test_a_write_is_retried_and_applied_once(emulator, sid):
    sheet = connect(emulator, sid)
    emulator.fail_next(1, "503", method="POST")
    sheet.write([(PLAN, 1, 1, [["x", 1]])])
    assert emulator.get_values(sid, PLAN) == [["x", "1"]]


def test_a_slow_answer_times_out_and_is_retried(emulator, plan_sid):
    retry = RetryConfig(max_seconds=5, initial_delay=0.01, max_delay=0.05, timeout=0.3)
    sheet = connect(emulator, plan_sid, retry)
    emulator.fail_next(1, "slow", delay=1.5)
    assert len(sheet.read([PLAN])[PLAN]) == 35
    assert sheet.api_calls >= 3


def test_giving_up_is_bounded_and_changes_nothing(emulator, plan_sid):
    retry = RetryConfig(max_seconds=0.5, initial_delay=0.01, max_delay=0.1, timeout=1)
    sheet = connect(emulator, plan_sid, retry)
    before = emulator.get_values(plan_sid, PLAN)
    emulator.fail_next(10_000, "503")
    started = time.monotonic()
    with pytest.raises(SheetError) as err:
        sheet.write([(PLAN, 2, 1, [["changed"] * 9] * 34)])
    assert time.monotonic() - started < 2
    message = str(err.value)
    assert message.startswith("The Sheets API emulator at")
    assert "did not answer after" in message and "(last: 503" in message
    assert "Nothing was changed on this run; it will be tried again on the next." in message
    assert err.value.code == 503
    assert emulator.get_values(plan_sid, PLAN) == before


def test_emulator_not_running_names_the_variable(emulator):
    retry = RetryConfig(max_seconds=0.3, initial_delay=0.01, max_delay=0.05, timeout=1)
    cfg = SheetConfig(spreadsheet_id="abc", emulator_host=f"127.0.0.1:{free_port()}", retry=retry)
    with pytest.raises(SheetError, match="SHEETS_EMULATOR_HOST") as err:
        GoogleSheet.connect(cfg)
    assert "No Sheets API emulator is answering at 127.0.0.1:" in str(err.value)


# --------------------------------------------------------------------------- errors


def test_unknown_spreadsheet_on_the_emulator(emulator):
    with pytest.raises(SheetError) as err:
        connect(emulator, "no-such-spreadsheet")
    message = str(err.value)
    assert "no-such-spreadsheet" in message and emulator.host_port in message
    assert "SHEETS_EMULATOR_HOST" in message
    assert err.value.code == 404


def test_sheet_not_shared_with_the_service_account(emulator):
    """Google answers 404 (or 403) for a sheet the account cannot see; say how to share it."""
    client = gspread.Client(auth=AnonymousCredentials(), http_client=SheetsHTTPClient)
    http = client.http_client
    assert isinstance(http, SheetsHTTPClient)
    http.configure(emulator_origin(emulator.host_port), FAST)
    account = "ccrc-sync@project.iam.gserviceaccount.com"
    sheet = GoogleSheet(http, "1AbCdEf", account=account)
    with pytest.raises(SheetError) as err:
        sheet.refresh()
    assert str(err.value) == (
        f"The Google Sheet 1AbCdEf could not be opened by {account}. Share the sheet with "
        f"{account} as an Editor, then run again."
    )


def test_no_spreadsheet_id():
    with pytest.raises(SheetError, match="spreadsheet_id"):
        GoogleSheet.connect(SheetConfig(spreadsheet_id=" "))


def test_no_credentials_configured():
    with pytest.raises(SheetError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        GoogleSheet.connect(SheetConfig(spreadsheet_id="abc"))


def test_credentials_file_missing(tmp_path):
    path = tmp_path / "missing.json"
    with pytest.raises(SheetError, match="does not exist") as err:
        GoogleSheet.connect(SheetConfig(spreadsheet_id="abc", credentials=path))
    assert str(path) in str(err.value)


def test_credentials_file_unreadable(tmp_path):
    with pytest.raises(SheetError, match="could not be read"):
        GoogleSheet.connect(SheetConfig(spreadsheet_id="abc", credentials=tmp_path))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"private_key": "SECRET-KEY-MATERIAL", ', "not valid JSON"),
        ('["SECRET-KEY-MATERIAL"]', "not valid JSON"),
        (
            '{"type": "authorized_user", "refresh_token": "SECRET-KEY-MATERIAL"}',
            "its type is 'authorized_user'",
        ),
        (
            '{"type": "service_account", "private_key": "SECRET-KEY-MATERIAL"}',
            "incomplete",
        ),
        (
            '{"type": "service_account", "private_key": "SECRET-KEY-MATERIAL", '
            '"client_email": "a@b.iam.gserviceaccount.com", '
            '"token_uri": "https://oauth2.googleapis.com/token"}',
            "private key",
        ),
    ],
)
def test_bad_credentials_file_is_explained_without_its_contents(tmp_path, content, reason):
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SheetError) as err:
        GoogleSheet.connect(SheetConfig(spreadsheet_id="abc", credentials=path))
    message = str(err.value)
    assert reason in message and str(path) in message
    assert "SECRET" not in message
    # No chained exception (a JSON parser's, say) can carry the contents into a traceback.
    assert err.value.__cause__ is None
    assert err.value.__context__ is None or err.value.__suppress_context__


def test_a_good_service_account_key_loads(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "key.json"
    info = {
        "type": "service_account",
        "project_id": "p",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "ccrc-sync@p.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    creds = load_credentials(path)
    assert creds.service_account_email == "ccrc-sync@p.iam.gserviceaccount.com"
    assert "https://www.googleapis.com/auth/spreadsheets" in creds.scopes


def test_emulator_host_forms():
    assert emulator_origin("127.0.0.1:8085") == "http://127.0.0.1:8085"
    assert emulator_origin("http://localhost:9/") == "http://localhost:9"
    with pytest.raises(SheetError, match="host:port"):
        emulator_origin("not a host")


# --------------------------------------------------------------------------- structure


def _grid_data(emulator, sid: str, a1: str) -> dict:
    """The first cell of a range with its formats and validation, as Google returns it."""
    client = gspread.Client(auth=AnonymousCredentials(), http_client=SheetsHTTPClient)
    http = client.http_client
    assert isinstance(http, SheetsHTTPClient)
    http.configure(emulator_origin(emulator.host_port), FAST)
    meta = http.fetch_sheet_metadata(sid, params={"includeGridData": "true", "ranges": a1})
    return meta["sheets"][0]["data"][0]["rowData"][0]["values"][0]


def test_structure_is_one_request_and_tracked(emulator, sid):
    sheet = connect(emulator, sid)
    sheet.write([(PLAN, 1, 1, plan_grid(3))])
    plan_id = sheet.tabs[PLAN].sheet_id
    summary_id = sheet.new_sheet_id()
    requests_ = [
        add_tab_request("Summary", summary_id, rows=40, cols=8),
        *plan_format_requests(
            plan_id, COLUMNS, schema.DEFAULT_STATUSES, schema.DEFAULT_SECTIONS, header_row=1
        ),
    ]
    emulator.clear_log()
    sheet.update_structure(requests_)
    assert len(emulator.requests) == 1
    assert emulator.requests[0].path.endswith(f"/{sid}:batchUpdate")
    assert sheet.tabs["Summary"].sheet_id == summary_id
    assert (sheet.tabs["Summary"].row_count, sheet.tabs["Summary"].column_count) == (40, 8)
    assert sheet.tabs[PLAN].frozen_rows == 1

    props = emulator.sheet_properties(sid, PLAN)
    assert props["gridProperties"]["frozenRowCount"] == 1
    assert emulator.sheet_properties(sid, "Summary")["sheetId"] == summary_id

    status = _grid_data(emulator, sid, f"'{PLAN}'!E3")["dataValidation"]
    assert status["condition"]["type"] == "ONE_OF_LIST"
    assert [v["userEnteredValue"] for v in status["condition"]["values"]] == list(
        schema.DEFAULT_STATUSES
    )
    section = _grid_data(emulator, sid, f"'{PLAN}'!B40")["dataValidation"]
    assert [v["userEnteredValue"] for v in section["condition"]["values"]] == list(
        schema.DEFAULT_SECTIONS
    )
    header = _grid_data(emulator, sid, f"'{PLAN}'!A1")
    assert header["userEnteredFormat"]["textFormat"]["bold"] is True
    target = _grid_data(emulator, sid, f"'{PLAN}'!G2")
    assert target["userEnteredFormat"]["numberFormat"]["type"] == "DATE"

    sheet.refresh()
    assert sheet.tabs["Summary"].sheet_id == summary_id
    assert sheet.tabs[PLAN].frozen_rows == 1


def test_chart_is_added_and_seen(emulator, sid):
    sheet = connect(emulator, sid)
    summary_id = sheet.new_sheet_id()
    sheet.update_structure([add_tab_request("Summary", summary_id, 30, 6)])
    grid: list[list[schema.Value]] = [["Section", *schema.DEFAULT_STATUSES]]
    grid += [[name, 1, 2, 3] for name in schema.DEFAULT_SECTIONS]
    sheet.write([("Summary", 1, 1, grid)])
    spec = ChartSpec("Status by section", 1, 2, 6, 1, (2, 3, 4), "F2")
    reply = sheet.update_structure([chart_request(summary_id, spec)])
    chart_id = reply["replies"][0]["addChart"]["chart"]["chartId"]
    assert sheet.tabs["Summary"].chart_ids == (chart_id,)
    sheet.refresh()
    assert sheet.tabs["Summary"].has_chart
    assert sheet.tabs["Summary"].chart_ids == (chart_id,)


def test_request_builders_are_plain_data():
    assert add_tab_request("Sync Issues", 7, 100, 12) == {
        "addSheet": {
            "properties": {
                "sheetId": 7,
                "title": "Sync Issues",
                "gridProperties": {"rowCount": 100, "columnCount": 12},
            }
        }
    }
    assert expand_request(3, 10) == {
        "appendDimension": {"sheetId": 3, "dimension": "ROWS", "length": 10}
    }
    assert expand_request(3, 0, 2)["appendDimension"]["dimension"] == "COLUMNS"
    assert expand_requests(3, 0, 0) == []
    assert len(expand_requests(3, 1, 1)) == 2
    kinds = [
        next(iter(r))
        for r in plan_format_requests(1, COLUMNS, ["A"], ["B"], header_row=2, last_row=50)
    ]
    assert kinds == [
        "updateSheetProperties",
        "repeatCell",
        "setDataValidation",
        "setDataValidation",
        "repeatCell",
        "repeatCell",
    ]
    spec = ChartSpec("t", 3, 4, 8, 1, (2, 3), "H4")
    chart = chart_request(5, spec)["addChart"]["chart"]
    basic = chart["spec"]["basicChart"]
    assert basic["chartType"] == "COLUMN" and len(basic["series"]) == 2
    domain = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert (domain["startRowIndex"], domain["endRowIndex"]) == (2, 8)
    assert chart["position"]["overlayPosition"]["anchorCell"] == {
        "sheetId": 5,
        "rowIndex": 3,
        "columnIndex": 7,
    }


# --------------------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (None, ""),
        ("", ""),
        ("plain prose", "plain prose"),
        ("Phase 2 of 3", "Phase 2 of 3"),
        ("=SUM(A1:A3)", "'=SUM(A1:A3)"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-", "'-"),
        ("@here", "'@here"),
        ("'quoted", "''quoted"),
        ("0044", "'0044"),
        ("1/2", "'1/2"),
        ("TRUE", "'TRUE"),
        ("true", "'true"),
        ("12%", "'12%"),
        ("£1,000.50", "'£1,000.50"),
        ("31 Mar 2027", "'31 Mar 2027"),
        ("9am", "'9am"),
        ("#N/A", "'#N/A"),
        ("multi\nline", "multi\nline"),
        (15, 15),
        (2.5, 2.5),
        (True, True),
        (dt.date(2027, 3, 31), "2027-03-31"),
        (dt.datetime(2027, 3, 31), "2027-03-31"),
        (dt.datetime(2027, 3, 31, 14, 5), "2027-03-31 14:05:00"),
        (schema.Formula("=TODAY()"), "'=TODAY()"),  # a formula crosses as its text
        (float("nan"), "'nan"),
    ],
)
def test_encode_cell(value, sent):
    assert encode_cell(value) == sent
    assert type(encode_cell(value)) is type(sent)


def test_credentials_path_is_never_read_with_an_emulator(emulator, sid, tmp_path: Path):
    cfg = SheetConfig(
        spreadsheet_id=sid,
        emulator_host=emulator.host_port,
        credentials=tmp_path / "missing.json",
        retry=FAST,
    )
    assert PLAN in GoogleSheet.connect(cfg).tabs


def test_a_structural_retry_that_meets_its_own_success_is_not_an_error(emulator, sid):
    """The first attempt is acted on but its answer is lost (a timeout); the retry is told
    the tab already exists. The adapter checks the metadata and reports success."""
    retry = RetryConfig(max_seconds=5, initial_delay=0.01, max_delay=0.02, timeout=0.2)
    sheet = connect(emulator, sid, retry)
    # Attempt 1 is answered after 0.3 s (applied, answer lost); attempt 2 even later, so
    # attempt 3 arrives after attempt 1 has been applied.
    emulator.fail_next(1, "slow", path_contains=":batchUpdate", delay=0.3)
    emulator.fail_next(1, "slow", path_contains=":batchUpdate", delay=0.6)
    new_id = sheet.new_sheet_id()
    sheet.update_structure([add_tab_request("Summary", new_id, 20, 5)])
    assert sheet.tabs["Summary"].sheet_id == new_id
    time.sleep(0.5)  # let the late attempt finish before the emulator stops
    assert 400 in [r.status for r in emulator.requests]  # the retry did meet its success
    assert [t for t in (PLAN, "Notes", "Summary") if t in connect(emulator, sid).tabs] == [
        PLAN,
        "Notes",
        "Summary",
    ]
