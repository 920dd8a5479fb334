"""The one shape every failure of the endpoint takes: a status and a JSON error, no stack trace."""
from __future__ import annotations


class ApiError(Exception):
    """An expected failure, answered as {"error": {"code", "message"[, "field"]}}."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_data", message, field)


def database_unavailable() -> ApiError:
    """The database cannot be reached (connecting, or a connection lost mid-request)."""
    return ApiError(503, "database_unavailable", "the database is unavailable; retry shortly")
