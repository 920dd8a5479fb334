"""The request's shape, checked before the database is touched.

Only the shape is checked here (JSON types, a readable date, day_index 0-6): the rules about
the content (known statuses, name lengths, habits an array of named habits) are the mapping's
(migration.row_problem()), which the operations apply to the legacy row they are about to
commit. A week may start on any day, as a legacy row may (revision 0023): each filled day is
placed on its own date in the Monday week holding it, merged with the child's other rows
there, so neither a start that is not a Monday nor a second row of the same child-week nor a
repeated habit name is refused. The one 409 left is the legacy table's unique
(child_name, week_period), which is global. After the drop (0040) the database names a week by
the user's child and its Monday (migration.endpoint_*): a start that is not a Monday is then
refused there (422, naming the Monday), and the 409 is that child's week on that Monday.

What Python's json reads but the database cannot store is refused here too, naming the field
(otherwise it would fail as a 500): NaN, Infinity and 1e999 (read as inf), NUL, a lone
surrogate, nesting too deep to encode again.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date

from scripts.dual_write.errors import ApiError, invalid

OPERATIONS = ("create_week", "update_habit_record", "delete_week", "verify_consistency")
READ_ONLY = ("verify_consistency",)
MAX_KEY_LENGTH = 255
MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 32  # levels of arrays and objects in data; the legacy habits array needs 4
# NUL: text and jsonb cannot hold it. A lone surrogate (json reads "\ud800"): no UTF-8 for it.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# date.fromisoformat also reads ISO week dates ("2025-W36-1") and compact forms; PostgreSQL's
# ::DATE does not, so only YYYY-MM-DD gets that far.
ISO_DATE = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Request:
    operation: str
    data: dict
    key: str


def idempotency_key(header: str | None) -> str:
    if header is None or not header.strip():
        raise ApiError(400, "missing_idempotency_key", "the X-Idempotency-Key header is required")
    if len(header) > MAX_KEY_LENGTH:
        raise ApiError(400, "invalid_idempotency_key", f"X-Idempotency-Key is longer than {MAX_KEY_LENGTH} characters")
    return header


def body_too_large() -> ApiError:
    return ApiError(413, "body_too_large", f"the request body is over {MAX_BODY_BYTES} bytes")


async def read_body(http) -> bytes:
    """The body of a Starlette request, refused (413) as soon as it is known to be too large:
    by its Content-Length before a byte is read, or while it streams in (chunked, no length)."""
    declared = http.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise body_too_large()
    body = bytearray()
    async for chunk in http.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise body_too_large()
    return bytes(body)


def parse(body: bytes, key: str) -> Request:
    if len(body) > MAX_BODY_BYTES:
        raise body_too_large()
    try:
        payload = json.loads(body)
    except RecursionError:  # ~1,000 levels: deeper than the parser goes, so no field to name
        raise ApiError(400, "invalid_json", f"the request body nests deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "the request body is not JSON") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", 'the request body must be {"operation": ..., "data": {...}}')
    operation = payload.get("operation")
    if operation not in OPERATIONS:
        raise ApiError(400, "unknown_operation", f"unknown operation {operation!r}; expected one of {', '.join(OPERATIONS)}")
    data = payload.get("data", {} if operation in READ_ONLY else None)
    if not isinstance(data, dict):
        raise invalid("data", "data must be a JSON object")
    found = _unstorable(data, 1)
    if found:
        path, problem = found
        raise invalid(f"data{path}", f"data{path} {problem}")
    CHECKS[operation](data)
    return Request(operation, data, key)


def _unstorable(value, depth: int) -> tuple[str, str] | None:
    """(path below value, problem) of the first value the database cannot take, or None.
    The path is built only on the way back from a failure: nothing per value otherwise."""
    if isinstance(value, (dict, list)) and depth > MAX_DEPTH:
        return "", f"nests deeper than {MAX_DEPTH} levels"
    if isinstance(value, dict):
        for key, item in value.items():
            if UNSTORABLE.search(key):
                return "", "has a key with a NUL character or a lone surrogate"
            found = _unstorable(item, depth + 1)
            if found:
                return f".{key}{found[0]}", found[1]
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found = _unstorable(item, depth + 1)
            if found:
                return f"[{n}]{found[0]}", found[1]
    elif isinstance(value, float) and not math.isfinite(value):
        return "", "is not a finite number (NaN, Infinity or beyond 1e308)"
    elif isinstance(value, str) and UNSTORABLE.search(value):
        return "", "contains a NUL character or a lone surrogate"
    return None


def _text(data: dict, name: str, optional: bool = False) -> None:
    value = data.get(name)
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise invalid(f"data.{name}", f"{name} must be a string")


def week_start(data: dict) -> date:
    value = data.get("week_start_date")
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise invalid("data.week_start_date", "week_start_date must be a date, YYYY-MM-DD")


def _child_week(data: dict) -> None:
    _text(data, "child_name")
    week_start(data)


def _create_week(data: dict) -> None:
    _child_week(data)
    if not isinstance(data.get("habits"), list):
        raise invalid("data.habits", "habits must be a JSON array (the legacy habits array)")
    _text(data, "theme", optional=True)
    _text(data, "reward", optional=True)


def _update_habit_record(data: dict) -> None:
    _child_week(data)
    _text(data, "habit_name")
    day = data.get("day_index")
    if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
        raise invalid("data.day_index", "day_index must be 0-6 (the week's first day to its seventh): "
                                        "the date is outside the week")
    _text(data, "status")


def _nothing(data: dict) -> None:
    return None


CHECKS = {"create_week": _create_week, "update_habit_record": _update_habit_record,
          "delete_week": _child_week, "verify_consistency": _nothing}
