"""The three writes: one call of migration.dual_write() (revision 0018) per request.

The function claims the user's idempotency key, writes the legacy row, has the sync place it
in the new tables (source_version 'dual_write'), stores the response, or replays the response
stored under the key, all in the one statement's transaction. Since revision 0023 the sync is
the trigger's drain's (migration.sync_legacy_rows()): the row's days go to the Monday weeks of
their dates, placed whole with the child's other rows there, so the endpoint and a legacy
write give the same rows. It refuses what it cannot do with PostgREST's convention, SQLSTATE
'PTnnn' = HTTP status nnn: that error becomes the request's ApiError here (DETAIL the code,
HINT the field). Every rule it applies is in the database; this module only calls it.
"""
from __future__ import annotations

import json

import psycopg2

from scripts.dual_write.errors import ApiError
from scripts.dual_write.prepared import Statement
from scripts.dual_write.requests import Request

DUAL_WRITE = Statement("dual_write", ("UUID", "TEXT", "TEXT", "JSONB"), """
    SELECT migration.dual_write($1, $2, $3, $4)""")
STATEMENTS = (DUAL_WRITE,)
REFUSED = "PT"  # PostgREST's SQLSTATE class for an HTTP status raised by a function


async def run_write(cur, user_id: str, request: Request) -> tuple[int, dict, bool]:
    """(status, body, replayed). Run in autocommit: the statement is the transaction."""
    try:
        await DUAL_WRITE.run(cur, user_id, request.key, request.operation, json.dumps(request.data, ensure_ascii=False))
    except psycopg2.Error as exc:
        if exc.pgcode and exc.pgcode.startswith(REFUSED):
            raise ApiError(int(exc.pgcode[len(REFUSED):]), exc.diag.message_detail, exc.diag.message_primary,
                           exc.diag.message_hint) from None
        raise
    result = cur.fetchone()[0]
    return result["status"], result["body"], result["replayed"]
