"""Google's JSON error shape, raised anywhere in the emulator and rendered by the server."""

from __future__ import annotations

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


class ApiError(Exception):
    """An error the API answers with ``{"error": {"code", "message", "status"}}``."""

    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS.get(code, "UNKNOWN")

    def body(self) -> dict:
        """The JSON body Google sends with this error."""
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


def bad_request(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT."""
    return ApiError(400, message)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    """A 404 NOT_FOUND (Google's wording for an unknown spreadsheet)."""
    return ApiError(404, message)
