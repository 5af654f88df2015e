"""Fault injection: answers a real service gives on a bad day, and requests held mid-air.

``Fault`` makes matching requests fail (429/5xx with Google's wording, a 400, a dropped
connection, or a slow answer). ``Pause`` holds one matching request inside the emulator,
after it arrived and before it is applied, until the test releases it: the test can then
edit or sort the sheet in between, and the held request is applied to the edited data,
just as a collaborator's edit can land between a client's read and its write.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ccrc_sync.emulator.jsontypes import JSON

FAULT_KINDS = ("400", "429", "500", "503", "drop", "slow")
FAULT_MESSAGES = {
    # A refusal, as a service that does not support one of the requests would answer.
    400: ("Invalid requests[0]: this request is not supported.", "INVALID_ARGUMENT"),
    429: (
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
        "per user' of service 'sheets.googleapis.com'.",
        "RESOURCE_EXHAUSTED",
    ),
    500: ("Internal error encountered.", "INTERNAL"),
    503: ("The service is currently unavailable.", "UNAVAILABLE"),
}


def _matches(method: str | None, path_contains: str | None, got: str, path: str, raw: str) -> bool:
    if method and method.upper() != got:
        return False
    return not path_contains or path_contains in path or path_contains in raw


@dataclass
class Fault:
    """The next ``remaining`` requests matching method and path fail with ``kind``."""

    remaining: int
    kind: str
    method: str | None
    path_contains: str | None
    delay: float

    def matches(self, method: str, path: str, raw_path: str) -> bool:
        if self.remaining <= 0:
            return False
        return _matches(self.method, self.path_contains, method, path, raw_path)


class Pause:
    """A handle on one request the emulator will hold (from ``Emulator.pause_next``)."""

    def __init__(self, method: str | None, path_contains: str | None) -> None:
        self.method = method
        self.path_contains = path_contains
        self._arrived = threading.Event()
        self._released = threading.Event()
        self.request: JSON | None = None  # {"method", "path", "query", "body"} once arrived

    def matches(self, method: str, path: str, raw_path: str) -> bool:
        return _matches(self.method, self.path_contains, method, path, raw_path)

    def wait_arrived(self, timeout: float | None = None) -> bool:
        """Block until the request is being held; False if none came within ``timeout``."""
        return self._arrived.wait(timeout)

    @property
    def arrived(self) -> bool:
        return self._arrived.is_set()

    def release(self) -> None:
        """Let the held request go on (or, if it has not come yet, not hold it at all)."""
        self._released.set()

    def hold(self, request: JSON) -> None:
        """Called on the server thread: say it arrived, then wait for ``release``."""
        self.request = request
        self._arrived.set()
        self._released.wait()
