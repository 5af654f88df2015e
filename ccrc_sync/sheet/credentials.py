"""Google credentials as organisations allow them: a key file, or Application Default
Credentials (ADC).

Why it is shaped this way:

* Many organisations forbid service-account key files. Without one configured, the client
  asks `google.auth.default` for the Sheets scope, which finds, in Google's documented
  order: the file named by GOOGLE_APPLICATION_CREDENTIALS, the user's
  `gcloud auth application-default login` file, and the metadata server of a Google Cloud
  runtime (Compute Engine, Cloud Run, GKE workload identity).
* A file named in the config (or by GOOGLE_APPLICATION_CREDENTIALS, which the config
  takes as `[sheet] credentials`) may be a service-account key, an ADC user file, or a
  workload identity federation config; each loads through google-auth's own loader.
* Every way a credential can be wrong is one sentence naming the file, never its
  contents: a key is a secret, and a traceback could print it, so no exception from a
  parser is chained.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.auth
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from google.oauth2 import service_account

from ccrc_sync.errors import SheetError
from ccrc_sync.sheet.transport import EMULATOR_VAR

# Only the Sheets scope: the sheet is opened by id, so Drive access is never needed.
SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/spreadsheets",)

# The credential file types google-auth loads, besides a service-account key.
_ADC_FILE_TYPES = frozenset(
    (
        "authorized_user",  # gcloud auth application-default login
        "external_account",  # workload identity federation
        "external_account_authorized_user",  # workforce identity federation
        "impersonated_service_account",
    )
)

NO_CREDENTIALS = (
    "No Google credentials were found. Give ccrc-sync one of: a service-account key file or "
    "a workload identity federation config, named by `credentials` under [sheet] in the "
    "config or by GOOGLE_APPLICATION_CREDENTIALS; your own Google account, after "
    "`gcloud auth application-default login`; or the attached service account when it runs "
    "on Google Cloud (Compute Engine, Cloud Run, GKE workload identity). To use a local "
    f"emulator instead, set {EMULATOR_VAR}."
)


@dataclass(frozen=True)
class Identity:
    """Credentials and who they speak for, as messages name it (never a secret)."""

    credentials: Credentials
    # The service account's email, or a phrase such as "your Google account".
    who: str
    # Whether a key file can be replaced (the advice differs from ADC's).
    key_file: Path | None = None


def find_credentials(path: Path | None) -> Identity:
    """The configured file when there is one, else Application Default Credentials."""
    if path is not None:
        return load_file(path)
    try:
        creds, _project = google.auth.default(scopes=list(SCOPES))
    except auth_exceptions.DefaultCredentialsError:
        raise SheetError(NO_CREDENTIALS) from None
    except auth_exceptions.GoogleAuthError as exc:
        raise SheetError(
            f"Google's Application Default Credentials could not be loaded "
            f"({type(exc).__name__}); {NO_CREDENTIALS[len('No Google credentials were found. ') :]}"
        ) from None
    return Identity(creds, _who(creds, "the Application Default Credentials"))


def _who(creds: Credentials, fallback: str) -> str:
    email = getattr(creds, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        return email
    return fallback


def load_file(path: Path) -> Identity:
    """A credentials file, with a sentence for each way it can be wrong."""
    path = path.expanduser()
    download = "download a new JSON key for the service account from the Google Cloud console"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SheetError(
            f"The Google credentials file {path} does not exist; check "
            "GOOGLE_APPLICATION_CREDENTIALS or `credentials` under [sheet] in the config."
        ) from None
    except UnicodeDecodeError:
        raise SheetError(
            f"The file {path} is not a Google credentials file (it is not text); {download}."
        ) from None
    except OSError as exc:
        raise SheetError(
            f"The Google credentials file {path} could not be read ({exc.strerror or exc})."
        ) from None
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise SheetError(
            f"The file {path} is not a Google credentials file (it is not valid JSON); {download}."
        )
    kind = info.get("type")
    if kind in _ADC_FILE_TYPES:
        return _load_adc_file(path, info, str(kind))
    if kind != "service_account":
        what = f"its type is {kind!r}" if isinstance(kind, str) else "it has no type"
        raise SheetError(
            f"The file {path} is not a Google credentials file ({what}, not a service-account "
            f"key, an ADC file or a workload identity federation config); {download}."
        )
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if missing:
        raise SheetError(
            f"The service-account key file {path} is incomplete (no {', '.join(missing)}); "
            f"{download}."
        )
    try:
        creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=SCOPES
        )
    except (ValueError, TypeError, KeyError):
        raise SheetError(
            f"The private key in the service-account key file {path} could not be read; {download}."
        ) from None
    return Identity(creds, creds.service_account_email, key_file=path)


def _load_adc_file(path: Path, info: dict[str, Any], kind: str) -> Identity:
    try:
        creds = _from_info(info, kind)
    except (auth_exceptions.GoogleAuthError, ValueError, TypeError, KeyError):
        what = {
            "authorized_user": "`gcloud auth application-default login` file",
            "external_account": "workload identity federation config",
        }.get(kind, f"{kind} credentials file")
        raise SheetError(
            f"The {what} {path} could not be used (a field is missing or wrong); create it "
            "again with gcloud."
        ) from None
    fallback = "your Google account" if kind == "authorized_user" else f"the identity in {path}"
    return Identity(creds, _who(creds, fallback))


def _from_info(info: dict[str, Any], kind: str) -> Credentials:
    """Each type through its own loader, as google-auth advises for a file whose type has
    been checked; none of them sends a request (no token is fetched until a read)."""
    if kind == "authorized_user":
        from google.oauth2 import credentials as user

        # A user's scopes are those granted at `gcloud auth application-default login`.
        made: Credentials = user.Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
        return made
    if kind == "external_account":
        source = info.get("credential_source") or {}
        if str(source.get("environment_id", "")).startswith("aws"):
            from google.auth import aws as provider
        elif "executable" in source:
            from google.auth import pluggable as provider  # type: ignore[no-redef]
        else:
            from google.auth import identity_pool as provider  # type: ignore[no-redef]
        made = provider.Credentials.from_info(info, scopes=list(SCOPES))  # type: ignore[no-untyped-call]
        return made
    if kind == "external_account_authorized_user":
        from google.auth import external_account_authorized_user as workforce

        made = workforce.Credentials.from_info(info, scopes=list(SCOPES))  # type: ignore[no-untyped-call]
        return made
    with warnings.catch_warnings():
        # The type was checked above, which is what google-auth's warning asks for.
        warnings.simplefilter("ignore", DeprecationWarning)
        made, _project = google.auth.load_credentials_from_dict(  # type: ignore[no-untyped-call]
            info, scopes=list(SCOPES)
        )
    return made
