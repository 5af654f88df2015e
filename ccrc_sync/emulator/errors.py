"""Google's JSON error shape, raised anywhere in the emulator and rendered by the server.

Google answers every failure with ``{"error": {"code", "message", "status"}}`` and, for
some refusals, ``details``: typed entries such as ``google.rpc.BadRequest`` with
``fieldViolations`` naming the offending field. ``ApiError`` carries all of it.
"""

from __future__ import annotations

from ccrc_sync.emulator.jsontypes import JSON

_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}

BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"


class ApiError(Exception):
    """An error the API answers with ``{"error": {"code", "message", "status"[, "details"]}}``."""

    def __init__(
        self, code: int, message: str, status: str | None = None, details: list[JSON] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS.get(code, "UNKNOWN")
        self.details = details or []

    def body(self) -> JSON:
        """The JSON body Google sends with this error."""
        error: JSON = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT."""
    return ApiError(400, message)


def field_violation(message: str, field: str, description: str | None = None) -> ApiError:
    """A 400 whose details name the offending field, as Google's BadRequest detail does."""
    detail = {
        "@type": BAD_REQUEST_TYPE,
        "fieldViolations": [{"field": field, "description": description or message}],
    }
    return ApiError(400, message, details=[detail])


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    """A 404 NOT_FOUND (Google's wording for an unknown spreadsheet)."""
    return ApiError(404, message)
