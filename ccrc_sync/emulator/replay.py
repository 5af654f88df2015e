"""Replay recorded Google API cassettes (vcrpy JSON) against a live server and compare.

``python -m ccrc_sync.emulator.replay --base URL PATH...`` sends each cassette's requests in
order to ``URL`` (Google's hosts rewritten to it), mapping the recorded spreadsheet, sheet
and object ids to the ones the server hands out, and compares status codes and the JSON
fields that carry meaning. Etags, timestamps, theme/default formats and display metadata
are ignored. Prints ``PASS``/``FAIL``/``N/A`` per cassette and a closing tally.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")

# Keys whose values are ids handed out by the server: learnt on first sight, then mapped.
ID_KEYS = {
    "id",
    "spreadsheetId",
    "sheetId",
    "namedRangeId",
    "protectedRangeId",
    "chartId",
    "objectId",
    "filterViewId",
    "bandedRangeId",
    "sourceSheetId",
    "destinationSpreadsheetId",
}
# Keys that carry no meaning for fidelity (presentation, clocks, account details).
# ``columnMetadata`` holds the widths autoResizeDimensions measures from rendered text,
# which the emulator does not model; row metadata, formats and the default format are
# compared.
IGNORED_KEYS = {
    "etag",
    "createdTime",
    "modifiedTime",
    "spreadsheetTheme",
    "spreadsheetUrl",
    "columnMetadata",
    "kind",
    "timeZone",
    "autoRecalc",
    "iterativeCalculationSettings",
    "editors",
    "details",
    "nextPageToken",
    "hyperlink",
}

# Cassettes that exercise things the emulator does not model, with the reason.
OUT_OF_SCOPE = (
    ("/export", "Drive export to other formats (PDF/XLSX/CSV) is out of scope"),
    ("/upload/", "Drive upload/import of CSV files is out of scope"),
    ("/comments", "Drive comments are out of scope"),
    ("/permissions", "Drive sharing permissions are out of scope"),
)


class Mismatch(Exception):
    """The first difference between the recorded and the live answer."""


@dataclass
class IdMap:
    """Recorded id -> live id, learnt from responses as the replay proceeds."""

    ids: dict[Any, Any] = field(default_factory=dict)

    def learn_or_check(self, recorded: Any, live: Any, where: str) -> None:
        key = (type(recorded).__name__, recorded)
        if key not in self.ids:
            self.ids[key] = live
        elif self.ids[key] != live:
            raise Mismatch(f"{where}: id {recorded!r} maps to {self.ids[key]!r}, got {live!r}")

    def get(self, recorded: Any) -> Any:
        return self.ids.get((type(recorded).__name__, recorded), recorded)

    def rewrite_text(self, text: str) -> str:
        for (kind, recorded), live in self.ids.items():
            if kind == "str" and len(recorded) >= 20:
                text = text.replace(recorded, str(live))
        return text


def _rewrite_body(value: Any, ids: IdMap, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _rewrite_body(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_body(v, ids, key) for v in value]
    if key in ID_KEYS and isinstance(value, (int, str)):
        return ids.get(value)
    if isinstance(value, str):
        return ids.rewrite_text(value)
    return value


def _rewrite_url(uri: str, base: str, ids: IdMap) -> str:
    for host in GOOGLE_HOSTS:
        if uri.startswith(host):
            uri = base.rstrip("/") + uri[len(host) :]
    parts = urlsplit(uri)
    path = ids.rewrite_text(parts.path)
    path = re.sub(
        r"/sheets/(\d+):copyTo", lambda m: f"/sheets/{ids.get(int(m.group(1)))}:copyTo", path
    )
    query = urlencode(
        [(k, ids.rewrite_text(v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def compare(recorded: Any, live: Any, ids: IdMap, where: str = "$") -> None:
    """Raise Mismatch at the first meaningful difference; learn ids along the way."""
    if isinstance(recorded, dict):
        if not isinstance(live, dict):
            raise Mismatch(f"{where}: expected an object, got {_short(live)}")
        for key, value in recorded.items():
            if key in IGNORED_KEYS:
                continue
            if key not in live:
                raise Mismatch(f"{where}.{key}: missing (expected {_short(value)})")
            if key in ID_KEYS and isinstance(value, (int, str)):
                ids.learn_or_check(value, live[key], f"{where}.{key}")
                continue
            compare(value, live[key], ids, f"{where}.{key}")
        for key in live:
            if key not in recorded and key not in IGNORED_KEYS:
                raise Mismatch(f"{where}.{key}: unexpected (got {_short(live[key])})")
        return
    if isinstance(recorded, list):
        if not isinstance(live, list):
            raise Mismatch(f"{where}: expected a list, got {_short(live)}")
        if len(recorded) != len(live):
            raise Mismatch(
                f"{where}: expected {len(recorded)} items, got {len(live)}: {_short(live)}"
            )
        for i, (rec, liv) in enumerate(zip(recorded, live, strict=True)):
            compare(rec, liv, ids, f"{where}[{i}]")
        return
    if isinstance(recorded, str) and isinstance(live, str):
        if ids.rewrite_text(recorded) != live:
            raise Mismatch(f"{where}: expected {recorded!r}, got {live!r}")
        return
    if isinstance(recorded, bool) or isinstance(live, bool):
        if recorded is not live:
            raise Mismatch(f"{where}: expected {recorded!r}, got {live!r}")
        return
    if isinstance(recorded, (int, float)) and isinstance(live, (int, float)):
        if abs(recorded - live) > 1e-6 * max(1.0, abs(recorded)):
            raise Mismatch(f"{where}: expected {recorded!r}, got {live!r}")
        return
    if recorded != live:
        raise Mismatch(f"{where}: expected {_short(recorded)}, got {_short(live)}")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _json(text: str) -> Any:
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def skip_reason(interactions: list[dict[str, Any]]) -> str | None:
    """Why a cassette is out of scope, or None to replay it."""
    for item in interactions:
        uri = item["request"]["uri"]
        for marker, reason in OUT_OF_SCOPE:
            if marker in uri:
                return reason
        if item["response"]["status"]["code"] == 403:
            return "needs a spreadsheet owned by another account (403 permission check)"
    return None


def _filter_listing(recorded: Any, live: Any, ids: IdMap) -> tuple[Any, Any]:
    """A Drive listing holds the recording account's other files: keep only ours."""
    if not (isinstance(recorded, dict) and isinstance(live, dict) and "files" in recorded):
        return recorded, live
    known = {ids.get(f.get("id")) for f in recorded["files"] if ids.get(f.get("id")) != f.get("id")}
    recorded = {
        **recorded,
        "files": [f for f in recorded["files"] if ids.get(f.get("id")) in known],
    }
    live = {**live, "files": [f for f in live.get("files", []) if f.get("id") in known]}
    return recorded, live


def replay_cassette(path: Path, base: str, session: requests.Session) -> tuple[str, str]:
    """Replay one cassette; returns (verdict, detail) with verdict PASS/FAIL/N/A."""
    data = json.loads(path.read_text(encoding="utf-8"))
    interactions = data.get("interactions", [])
    reason = skip_reason(interactions)
    if reason:
        return "N/A", reason
    ids = IdMap()
    for index, item in enumerate(interactions):
        req, rec = item["request"], item["response"]
        url = _rewrite_url(req["uri"], base, ids)
        body = _json(req.get("body") or "")
        if isinstance(body, (dict, list)):
            body = _rewrite_body(body, ids)
        label = f"#{index} {req['method']} {urlsplit(url).path}"
        foreign = _foreign_id(url, ids)
        if foreign and rec["status"]["code"] < 300:
            return "N/A", f"opens spreadsheet {foreign} that the recording did not create"
        try:
            resp = session.request(
                req["method"],
                url,
                data=None if body is None else json.dumps(body).encode("utf-8"),
                headers={"Content-Type": "application/json"} if body is not None else {},
                timeout=30,
            )
        except requests.RequestException as err:
            return "FAIL", f"{label}: request failed: {err}"
        expected = rec["status"]["code"]
        recorded_body = _json((rec.get("body") or {}).get("string") or "")
        live_body = _json(resp.text)
        if resp.status_code != expected:
            detail = (
                live_body.get("error", {}).get("message") if isinstance(live_body, dict) else ""
            )
            return (
                "FAIL",
                f"{label}: status {resp.status_code}, expected {expected} {detail or ''}".rstrip(),
            )
        if expected >= 400:
            # Wording differs freely; the code and status are what clients act on.
            rec_error = (
                (recorded_body or {}).get("error", {}) if isinstance(recorded_body, dict) else {}
            )
            live_error = live_body.get("error", {}) if isinstance(live_body, dict) else {}
            if rec_error.get("status") != live_error.get("status"):
                return "FAIL", (
                    f"{label}: error status {live_error.get('status')!r}, "
                    f"expected {rec_error.get('status')!r}"
                )
            continue
        recorded_body, live_body = _filter_listing(recorded_body, live_body, ids)
        try:
            compare(recorded_body, live_body, ids)
        except Mismatch as err:
            return "FAIL", f"{label}: {err}"
    return "PASS", ""


_ID_IN_PATH = re.compile(r"/(?:spreadsheets|files)/([A-Za-z0-9_-]{25,})")


def _foreign_id(url: str, ids: IdMap) -> str | None:
    """A recorded spreadsheet id that was never learnt (it existed before the recording)."""
    m = _ID_IN_PATH.search(urlsplit(url).path)
    if not m:
        return None
    live_ids = {v for (kind, _k), v in ids.ids.items() if kind == "str"}
    return None if m.group(1) in live_ids else m.group(1)


def _cassettes(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            out.extend(sorted(p for p in path.glob("*.json")))
        else:
            out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI entry: exit 0 when no cassette failed."""
    parser = argparse.ArgumentParser(
        prog="python -m ccrc_sync.emulator.replay", description=__doc__
    )
    parser.add_argument(
        "--base", required=True, help="server to replay against, e.g. http://127.0.0.1:8080"
    )
    parser.add_argument("paths", nargs="+", help="cassette files or folders of them")
    args = parser.parse_args(argv)
    counts = {"PASS": 0, "FAIL": 0, "N/A": 0}
    with requests.Session() as session:
        for path in _cassettes(args.paths):
            try:
                verdict, detail = replay_cassette(path, args.base, session)
            except (OSError, ValueError, KeyError) as err:
                verdict, detail = "FAIL", f"unreadable cassette: {err}"
            counts[verdict] += 1
            name = path.stem
            print(f"{verdict} {name}" + (f": {detail}" if detail else ""), flush=True)
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['N/A']} skipped")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
