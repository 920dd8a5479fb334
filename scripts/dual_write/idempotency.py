"""Exactly once: the idempotency key is claimed in the write's own transaction.

The claim is an INSERT ... ON CONFLICT (user_id, key) DO NOTHING into idempotency_log
(unique per user since revision 0014). A concurrent request with the same key waits on the
unique index until the first commits (then finds its completed row and replays its response)
or rolls back (then claims the key itself). Nothing is ever left 'pending': the claim, the
write and the stored response commit together or not at all. A key past its expires_at is
free again: its row is taken over under a row lock. The same key with another body is
refused (422), never replayed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from scripts.dual_write.errors import ApiError
from scripts.dual_write.prepared import Statement
from scripts.dual_write.requests import Request

CLAIM = Statement("idempotency_claim", ("UUID", "TEXT", "TEXT", "JSONB"), """
    INSERT INTO idempotency_log (user_id, key, operation, request_data, status)
    VALUES ($1, $2, $3, $4, 'processing')
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING id""")
HELD = Statement("idempotency_held", ("JSONB", "UUID", "TEXT"), """
    SELECT id, request_data = $1, response_data, expires_at <= now()
    FROM idempotency_log WHERE user_id = $2 AND key = $3
    FOR UPDATE""")
TAKE_OVER = Statement("idempotency_take_over", ("TEXT", "JSONB", "UUID"), """
    UPDATE idempotency_log
    SET operation = $1, request_data = $2, response_data = NULL, status = 'processing',
        created_at = now(), expires_at = now() + INTERVAL '24 hours'
    WHERE id = $3""")
COMPLETE = Statement("idempotency_complete", ("JSONB", "UUID"), """
    UPDATE idempotency_log SET status = 'completed', response_data = $1 WHERE id = $2""")
STATEMENTS = (CLAIM, HELD, TAKE_OVER, COMPLETE)


@dataclass(frozen=True)
class Claimed:
    log_id: str


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict


def claim(cur, user_id: str, request: Request) -> Claimed | Replay:
    fingerprint = request.fingerprint()
    # Twice at most: a row seen in conflict may be deleted (expired, cleaned up) before it is read.
    for _ in range(2):
        CLAIM.run(cur, user_id, request.key, request.operation, fingerprint)
        row = cur.fetchone()
        if row:
            return Claimed(row[0])
        HELD.run(cur, fingerprint, user_id, request.key)
        held = cur.fetchone()
        if held is None:
            continue
        log_id, same_request, response, expired = held
        if expired:
            TAKE_OVER.run(cur, request.operation, fingerprint, log_id)
            return Claimed(log_id)
        if not same_request:
            raise ApiError(422, "idempotency_key_reused",
                           "this X-Idempotency-Key was already used for a different request", "X-Idempotency-Key")
        return Replay(response["status"], response["body"])
    raise ApiError(409, "idempotency_key_busy", "this X-Idempotency-Key is being cleaned up; retry")


def complete(cur, claimed: Claimed, status: int, body: dict) -> None:
    COMPLETE.run(cur, json.dumps({"status": status, "body": body}, ensure_ascii=False), claimed.log_id)
