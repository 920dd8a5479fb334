"""The Starlette application: POST /functions/v1/dual-write-habit, and its CORS preflight.

A request is authenticated (401), its idempotency key and body's shape checked (400/413/422),
then run as one statement on a pooled connection in autocommit, migration.dual_write()
(revision 0018): the key's claim, the operation, its stored response, all committed by that
statement or none of it; verify_consistency is one prepared statement too (consistency.py).
A refusal (PTnnn) is answered with its status; a token whose user is not in auth.users is
401 (the key's claim, the first write, breaks its foreign key); anything else is logged with
its traceback on the server and answered 500 with no detail. A deadlock or serialization
failure (the statement was rolled back whole) is retried, and so is, once, a statement on a
pooled connection found dead. Another path or method is a JSON 404 / 405.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import psycopg2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from scripts.db import freeze
from scripts.dual_write import auth, consistency, operations, requests
from scripts.dual_write.aio import execute
from scripts.dual_write.errors import ApiError, database_unavailable
from scripts.dual_write.pool import Pool
from scripts.dual_write.prepared import prepare_all
from scripts.dual_write.settings import ALLOWED_HEADERS, Settings

log = logging.getLogger("dual_write")
PATH = "/functions/v1/dual-write-habit"
RETRIED_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock detected
ATTEMPTS = 3
# For every statement of the connection: no request waits longer than a person would (the
# write's lock_timeout and the trigger's skip switch are migration.dual_write()'s own); each
# prepared statement is planned once; no JIT, which compiled the consistency check for
# seconds (its estimates are of every user's rows).
SESSION_SETTINGS = ("SET statement_timeout = '10s'", "SET plan_cache_mode = force_generic_plan", "SET jit = off")
MISSING_FUNCTION = "42883"  # undefined_function: the database is older than the endpoint
FOREIGN_KEY_VIOLATION = "23503"
# A write refers to the token's user first in the key's claim, then in the legacy row.
USER_FOREIGN_KEYS = ("fk_idempotency_log_user_id", "fk_habit_tracker_user_id")


async def _set_up_connection(conn) -> None:
    """A pooled connection: its session settings and its prepared statements."""
    with conn.cursor() as cur:
        for setting in SESSION_SETTINGS:
            await execute(cur, setting)
    try:
        await prepare_all(conn, operations.STATEMENTS)
        await consistency.prepare(conn)
    except psycopg2.Error as exc:
        if exc.pgcode != MISSING_FUNCTION:
            raise
        raise ApiError(503, "database_not_ready",
                       "the database lacks migration.dual_write(): upgrade it to 0018_dual_write_functions") from None


async def _run(pool: Pool, work):
    """await work(cursor) on a pooled connection, retried where that is safe:
    - a deadlock or serialization failure rolled the statement back whole: up to ATTEMPTS;
    - a pooled connection found dead (the server restarted, or ended the session): once, on
      a newly opened connection (the other idle ones may be dead too). Each request is one
      statement and each write is under its idempotency key, so a write that did commit
      before the connection died is replayed by the retry, not made twice."""
    fresh = reconnected = False
    for attempt in range(1, ATTEMPTS + 1):
        async with pool.connection(fresh=fresh) as conn:
            try:
                with conn.cursor() as cur:
                    return await work(cur)
            except psycopg2.Error as exc:
                if attempt == ATTEMPTS:
                    raise
                if conn.closed and not reconnected:  # libpq lost the connection; the pool drops it
                    fresh = reconnected = True
                    continue
                if exc.pgcode not in RETRIED_SQLSTATES:
                    raise
                fresh = False
    raise AssertionError("unreachable")


async def _write(pool: Pool, user_id: str, request: requests.Request) -> tuple[int, dict, bool]:
    """(status, body, replayed)."""
    return await _run(pool, lambda cur: operations.run_write(cur, user_id, request))


async def _verify(pool: Pool, user_id: str) -> tuple[int, dict, bool]:
    if await _run(pool, consistency.frozen):
        return 200, {"operation": "verify_consistency", "consistent": True, "findings": 0, "examples": [],
                     "checked": {"legacy_rows": 0, "remapped": 0, "weeks_compared": 0}, "frozen": True,
                     "detail": freeze.NOTHING_TO_COMPARE}, False
    report = await _run(pool, lambda cur: consistency.check(cur, user_id))
    findings = [{"severity": f.severity, "kind": f.kind, "legacy_id": f.legacy_id, "new_ids": f.new_ids,
                 "detail": f.detail} for f in report.findings[:50]]
    return 200, {"operation": "verify_consistency", "consistent": not report.drift,
                 "findings": len(report.findings), "examples": findings,
                 "checked": {k: report.checked[k] for k in ("legacy_rows", "remapped", "weeks_compared")}}, False


async def _handle(pool: Pool, settings: Settings, headers, body: bytes) -> tuple[int, dict, bool]:
    user_id = auth.user_id_from(headers.get("authorization"), settings.jwt_secret)
    key = requests.idempotency_key(headers.get("x-idempotency-key"))
    request = requests.parse(body, key)
    try:
        if request.operation in requests.READ_ONLY:
            return await _verify(pool, user_id)
        return await _write(pool, user_id, request)
    except psycopg2.OperationalError as exc:
        log.warning("database unavailable: %s", " ".join(str(exc).split()))
        raise database_unavailable() from None
    except psycopg2.IntegrityError as exc:
        constraint = getattr(exc.diag, "constraint_name", None)
        if exc.pgcode == FOREIGN_KEY_VIOLATION and constraint in USER_FOREIGN_KEYS:
            # Checked by the write itself, not by a query of auth.users on every request.
            raise ApiError(401, "unknown_user", "the token's user is not in auth.users (deleted?)") from None
        log.warning("conflict in %s: %s", request.operation, " ".join(str(exc).split()))
        raise ApiError(409, "conflict",
                       f"the write conflicts with existing data ({constraint or 'a constraint'})") from None


def create_app(settings: Settings) -> Starlette:
    pool = Pool(settings.database_url, settings.pool_size, setup=_set_up_connection)

    def cors(origin: str | None) -> dict:
        allowed = settings.allow_origin_header(origin)
        return {"Access-Control-Allow-Origin": allowed, "Vary": "Origin"} if allowed else {}

    async def preflight(http: HttpRequest) -> Response:
        origin = http.headers.get("origin")
        if not settings.origin_allowed(origin):
            return JSONResponse(ApiError(403, "origin_not_allowed", "this origin may not call the endpoint").body(),
                                status_code=403)
        return PlainTextResponse("ok", headers={**cors(origin), "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                                                "Access-Control-Allow-Methods": "POST, OPTIONS",
                                                "Access-Control-Max-Age": "600"})

    async def dual_write(http: HttpRequest) -> Response:
        headers = cors(http.headers.get("origin"))
        try:
            body = await requests.read_body(http)
            status, payload, replayed = await _handle(pool, settings, http.headers, body)
        except ApiError as exc:
            if exc.status == 413:  # the rest of the body is unread: close rather than let uvicorn read it
                headers["Connection"] = "close"
            return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
        except Exception:
            log.exception("dual-write request failed")
            return JSONResponse(ApiError(500, "internal_error", "the request failed; nothing was written").body(),
                                status_code=500, headers=headers)
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(payload, status_code=status, headers=headers)

    async def no_route(http: HttpRequest, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            error = ApiError(405, "method_not_allowed", f"{http.method} is not allowed: POST (OPTIONS for CORS)")
            return JSONResponse(error.body(), status_code=405, headers={"Allow": "POST, OPTIONS"})
        return JSONResponse(ApiError(404, "not_found", f"no such path: the endpoint is POST {PATH}").body(),
                            status_code=404)

    @asynccontextmanager
    async def lifespan(app):
        yield
        pool.close()

    app = Starlette(routes=[Route(PATH, dual_write, methods=["POST"]), Route(PATH, preflight, methods=["OPTIONS"])],
                    exception_handlers={404: no_route, 405: no_route}, lifespan=lifespan)
    app.state.pool = pool
    return app
