"""The Starlette application: POST /functions/v1/dual-write-habit, and its CORS preflight.

A request is authenticated (401), its idempotency key and body's shape checked (400/413/422),
then run as one statement on a pooled connection in autocommit, migration.dual_write()
(revision 0018): the key's claim, the operation, its stored response, all committed by that
statement or none of it; verify_consistency is one prepared statement too (consistency.py).
A refusal (PTnnn) is answered with its status; anything else is logged with its traceback on
the server and answered 500 with no detail. A deadlock or serialization failure (the
statement was rolled back whole) is retried.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import psycopg2
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

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


async def _set_up_connection(conn) -> None:
    """A pooled connection: its session settings and its prepared statements."""
    with conn.cursor() as cur:
        for setting in SESSION_SETTINGS:
            await execute(cur, setting)
    try:
        await prepare_all(conn, operations.STATEMENTS + consistency.STATEMENTS)
    except psycopg2.Error as exc:
        if exc.pgcode != MISSING_FUNCTION:
            raise
        raise ApiError(503, "database_not_ready",
                       "the database lacks migration.dual_write(): upgrade it to 0018_dual_write_functions") from None


async def _write(pool: Pool, user_id: str, request: requests.Request) -> tuple[int, dict, bool]:
    """(status, body, replayed)."""
    for attempt in range(1, ATTEMPTS + 1):
        async with pool.connection() as conn:
            try:
                with conn.cursor() as cur:
                    return await operations.run_write(cur, user_id, request)
            except psycopg2.Error as exc:
                if exc.pgcode in RETRIED_SQLSTATES and attempt < ATTEMPTS:
                    continue
                raise
    raise AssertionError("unreachable")


async def _verify(pool: Pool, user_id: str) -> tuple[int, dict, bool]:
    async with pool.connection() as conn:
        with conn.cursor() as cur:
            report = await consistency.check(cur, user_id)
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
        log.warning("conflict in %s: %s", request.operation, " ".join(str(exc).split()))
        constraint = getattr(exc.diag, "constraint_name", None) or "a constraint"
        raise ApiError(409, "conflict", f"the write conflicts with existing data ({constraint})") from None


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
            body = await http.body()
            status, payload, replayed = await _handle(pool, settings, http.headers, body)
        except ApiError as exc:
            return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
        except Exception:
            log.exception("dual-write request failed")
            return JSONResponse(ApiError(500, "internal_error", "the request failed; nothing was written").body(),
                                status_code=500, headers=headers)
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(payload, status_code=status, headers=headers)

    @asynccontextmanager
    async def lifespan(app):
        yield
        pool.close()

    app = Starlette(routes=[Route(PATH, dual_write, methods=["POST"]), Route(PATH, preflight, methods=["OPTIONS"])],
                    lifespan=lifespan)
    app.state.pool = pool
    return app
