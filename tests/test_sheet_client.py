"""Connecting, credentials, retries and error sentences of the Google Sheet client, with the
real gspread client over real HTTP to the project's emulator on 127.0.0.1. Nothing is
mocked; faults are injected by the emulator, and no test reaches past 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import gspread
import pytest
from google.auth.credentials import AnonymousCredentials
from sheethelp import FAST, PLAN, connect, typed_plan

from ccrc_sync.config import RetryConfig, SheetConfig
from ccrc_sync.errors import SheetError
from ccrc_sync.sheet import GoogleSheet
from ccrc_sync.sheet.credentials import NO_CREDENTIALS, find_credentials
from ccrc_sync.sheet.transport import SheetsHTTPClient, emulator_origin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- connecting


def test_connect_sends_nothing_and_read_is_one_request(emulator):
    sid = typed_plan(emulator)
    emulator.clear_log()
    sheet = connect(emulator, sid)
    assert emulator.requests == [] and sheet.api_calls == 0
    snap = sheet.read(PLAN)
    assert len(emulator.requests) == 1 and sheet.api_calls == 1
    request = emulator.requests[0]
    assert request.method == "GET" and request.path == f"/v4/spreadsheets/{sid}"
    assert "ranges" not in request.query
    assert snap.plan_title == PLAN and snap.title == "CCRC"


def test_no_spreadsheet_id():
    with pytest.raises(SheetError, match="spreadsheet_id"):
        GoogleSheet.connect(SheetConfig(spreadsheet_id=" "))


def test_unknown_spreadsheet_on_the_emulator(emulator):
    with pytest.raises(SheetError) as err:
        connect(emulator, "no-such-spreadsheet").read(PLAN)
    assert str(err.value) == (
        f"The spreadsheet no-such-spreadsheet was not found on the Sheets API emulator at "
        f"{emulator.host_port} (SHEETS_EMULATOR_HOST); check `spreadsheet_id` in the config."
    )
    assert err.value.code == 404


def test_sheet_not_shared_with_the_account(emulator):
    """Google answers 404 (or 403) for a sheet the account cannot see; say how to share it."""
    client = gspread.Client(auth=AnonymousCredentials(), http_client=SheetsHTTPClient)
    http = client.http_client
    assert isinstance(http, SheetsHTTPClient)
    http.configure(emulator_origin(emulator.host_port), FAST)
    account = "ccrc-sync@project.iam.gserviceaccount.com"
    sheet = GoogleSheet(http, "1AbCdEf", who=account)
    with pytest.raises(SheetError) as err:
        sheet.read(PLAN)
    assert str(err.value) == (
        f"The Google Sheet 1AbCdEf could not be opened by {account}. Share the sheet with "
        f"{account} as an Editor, then run again."
    )


def test_emulator_not_running_names_the_variable():
    retry = RetryConfig(max_seconds=0.3, initial_delay=0.01, max_delay=0.05, timeout=1)
    port = free_port()
    cfg = SheetConfig(spreadsheet_id="abc", emulator_host=f"127.0.0.1:{port}", retry=retry)
    with pytest.raises(SheetError) as err:
        GoogleSheet.connect(cfg).read(PLAN)
    assert str(err.value) == (
        f"No Sheets API emulator is answering at 127.0.0.1:{port} (SHEETS_EMULATOR_HOST or "
        f"`emulator_host` under [sheet]); start one with `ccrc-sync emulator --port {port}`, "
        "or unset SHEETS_EMULATOR_HOST to use the real Google Sheet."
    )


def test_emulator_host_forms():
    assert emulator_origin("127.0.0.1:8085") == "http://127.0.0.1:8085"
    assert emulator_origin("http://localhost:9/") == "http://localhost:9"
    with pytest.raises(SheetError, match="host:port"):
        emulator_origin("not a host")


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize("kind", ["429", "500", "503", "drop"])
def test_transient_failures_are_retried(emulator, kind):
    sid = typed_plan(emulator)
    sheet = connect(emulator, sid)
    emulator.clear_log()
    emulator.fail_next(2, kind)
    table = sheet.read(PLAN).plan_table()
    assert table is not None and len(table.rows) == 6
    assert len(emulator.requests) == 3 and sheet.api_calls == 3


def test_a_slow_answer_times_out_and_is_retried(emulator):
    """The emulator holds the first request until the read is over: the client must give
    up on it after its timeout and ask again (no sleep racing the timeout)."""
    sid = typed_plan(emulator)
    retry = RetryConfig(max_seconds=30, initial_delay=0.01, max_delay=0.05, timeout=0.3)
    sheet = connect(emulator, sid, retry)
    emulator.clear_log()
    held = emulator.pause_next(method="GET")
    titles: list[str] = []
    worker = threading.Thread(target=lambda: titles.append(sheet.read(PLAN).plan_title))
    worker.start()
    try:
        assert held.wait_arrived(10), "the read never reached the emulator"
        worker.join(60)  # a guard against a hang, not a speed limit
    finally:
        held.release()
    assert titles == [PLAN]
    assert sheet.api_calls == 2
    assert [r.status for r in emulator.requests][1:] == [200]  # the retry was answered


def test_giving_up_is_one_sentence(emulator):
    sid = typed_plan(emulator)
    retry = RetryConfig(max_seconds=0.5, initial_delay=0.01, max_delay=0.1, timeout=1)
    sheet = connect(emulator, sid, retry)
    emulator.fail_next(10_000, "503")
    with pytest.raises(SheetError) as err:
        sheet.read(PLAN)
    message = str(err.value)
    assert message.startswith(
        f"The Sheets API emulator at {emulator.host_port} did not answer after "
    )
    assert message.endswith(
        "(last: 503 Service Unavailable). Nothing was changed on this run; it will be tried "
        "again on the next."
    )
    assert err.value.code == 503


# --------------------------------------------------------------------------- credentials


@pytest.fixture
def no_metadata_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """google-auth looks for a Google Cloud metadata server last; point it at a closed port
    on 127.0.0.1 (its documented GCE_METADATA_* settings), so no test leaves this machine."""
    port = free_port()
    monkeypatch.setenv("GCE_METADATA_HOST", f"127.0.0.1:{port}")
    monkeypatch.setenv("GCE_METADATA_IP", f"127.0.0.1:{port}")
    monkeypatch.setenv("GCE_METADATA_TIMEOUT", "1")
    monkeypatch.setenv("GCE_METADATA_DETECT_RETRIES", "1")
    if Path("/sys/class/dmi/id/product_name").is_file() and "Google" in Path(
        "/sys/class/dmi/id/product_name"
    ).read_text(errors="replace"):
        pytest.skip("this machine is a Google Compute Engine VM, so ADC finds its identity")


def test_no_credentials_names_every_way(no_metadata_server):
    with pytest.raises(SheetError) as err:
        GoogleSheet.connect(SheetConfig(spreadsheet_id="abc"))
    message = str(err.value)
    assert message == NO_CREDENTIALS
    for way in (
        "service-account key file",
        "workload identity federation config",
        "`credentials` under [sheet]",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "`gcloud auth application-default login`",
        "Google Cloud",
        "SHEETS_EMULATOR_HOST",
    ):
        assert way in message


def _user_adc() -> dict:
    return {
        "type": "authorized_user",
        "client_id": "123.apps.googleusercontent.com",
        "client_secret": "SECRET-CLIENT",
        "refresh_token": "SECRET-REFRESH",
    }


def test_gcloud_login_is_found_by_application_default_credentials(no_metadata_server, tmp_path):
    """`gcloud auth application-default login` leaves a file in the user's gcloud folder;
    with no key configured, the client finds it (and sends nothing to do so)."""
    folder = Path.home() / ".config" / "gcloud"
    folder.mkdir(parents=True)
    (folder / "application_default_credentials.json").write_text(json.dumps(_user_adc()))
    identity = find_credentials(None)
    assert identity.who == "the Application Default Credentials"
    assert identity.key_file is None
    assert type(identity.credentials).__module__ == "google.oauth2.credentials"


def test_workload_identity_config_loads(tmp_path):
    config = {
        "type": "external_account",
        "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "credential_source": {"file": str(tmp_path / "token.jwt")},
    }
    path = tmp_path / "wif.json"
    path.write_text(json.dumps(config))
    identity = find_credentials(path)
    assert identity.who == f"the identity in {path}"
    assert type(identity.credentials).__name__ == "Credentials"
    assert type(identity.credentials).__module__ == "google.auth.identity_pool"


def test_user_adc_file_named_in_the_config_loads(tmp_path):
    path = tmp_path / "adc.json"
    path.write_text(json.dumps(_user_adc()))
    identity = find_credentials(path)
    assert identity.who == "your Google account"
    assert type(identity.credentials).__module__ == "google.oauth2.credentials"


def test_credentials_file_missing(tmp_path):
    path = tmp_path / "missing.json"
    with pytest.raises(SheetError) as err:
        GoogleSheet.connect(SheetConfig(spreadsheet_id="abc", credentials=path))
    assert str(err.value) == (
        f"The Google credentials file {path} does not exist; check "
        "GOOGLE_APPLICATION_CREDENTIALS or `credentials` under [sheet] in the config."
    )


def test_credentials_file_unreadable(tmp_path):
    with pytest.raises(SheetError) as err:
        GoogleSheet.connect(SheetConfig(spreadsheet_id="abc", credentials=tmp_path))
    assert str(err.value) == (
        f"The Google credentials file {tmp_path} could not be read (Is a directory)."
    )


NEW_KEY = "download a new JSON key for the service account from the Google Cloud console."
NOT_CREDENTIALS = "The file {path} is not a Google credentials file"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"private_key": "SECRET-KEY-MATERIAL", ',
            f"{NOT_CREDENTIALS} (it is not valid JSON); {NEW_KEY}",
        ),
        ('["SECRET-KEY-MATERIAL"]', f"{NOT_CREDENTIALS} (it is not valid JSON); {NEW_KEY}"),
        (
            '{"type": "weird", "refresh_token": "SECRET-KEY-MATERIAL"}',
            f"{NOT_CREDENTIALS} (its type is 'weird', not a service-account key, an ADC file "
            f"or a workload identity federation config); {NEW_KEY}",
        ),
        (
            '{"type": "service_account", "private_key": "SECRET-KEY-MATERIAL"}',
            "The service-account key file {path} is incomplete (no client_email, token_uri); "
            + NEW_KEY,
        ),
        (
            '{"type": "service_account", "private_key": "SECRET-KEY-MATERIAL", '
            '"client_email": "a@b.iam.gserviceaccount.com", '
            '"token_uri": "https://oauth2.googleapis.com/token"}',
            "The private key in the service-account key file {path} could not be read; " + NEW_KEY,
        ),
        (
            '{"type": "authorized_user", "refresh_token": "SECRET-KEY-MATERIAL"}',
            "The `gcloud auth application-default login` file {path} could not be used (a "
            "field is missing or wrong); create it again with gcloud.",
        ),
    ],
)
def test_bad_credentials_file_is_explained_without_its_contents(tmp_path, content, message):
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SheetError) as err:
        GoogleSheet.connect(SheetConfig(spreadsheet_id="abc", credentials=path))
    assert str(err.value) == message.format(path=path)  # and so not a word of the key
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
    identity = find_credentials(path)
    assert identity.who == "ccrc-sync@p.iam.gserviceaccount.com"
    assert identity.key_file == path


def test_credentials_are_never_read_with_an_emulator(emulator, tmp_path):
    sid = typed_plan(emulator)
    cfg = SheetConfig(
        spreadsheet_id=sid,
        emulator_host=emulator.host_port,
        credentials=tmp_path / "missing.json",
        retry=FAST,
    )
    assert GoogleSheet.connect(cfg).read(PLAN).plan_title == PLAN
