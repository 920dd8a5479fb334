"""verify_consistency: the caller's own rows checked for drift, one prepared statement a request.

It is `make drift`'s check limited to one user (scripts/drift.py, one_user_check): the same
relations and finding queries, as the CTEs of one statement. Prepared once per connection
with the user as $1, and run in autocommit (the pool's connections are asynchronous): one
statement reads one snapshot. The endpoint's sessions plan it once (force_generic_plan): the scope
"one user" keeps every filter on the user an index condition in a generic plan.
"""
from __future__ import annotations

from scripts.db import drift, freeze
from scripts.dual_write.aio import execute
from scripts.dual_write.prepared import Statement, prepare_all

# As the endpoint checks: every row however recent, unchanged rows taken on trust. One form per
# mapping: 0023's (child-weeks, migration.placed_weeks) and, on a database not yet upgraded to
# it, 0010's per-row one; a connection prepares the one its database has (`prepare`), under the
# same name. (A connection prepared before the upgrade keeps the old form: the pool's
# connections are recycled, or the service restarted, after `make upgrade`.)
# Between 0023 and 0026 (placed_weeks without its conflicts hash), 0023's form without the check
# of the conflicts.
USER_CHECK, USER_CHECK_NO_CONFLICTS_HASH, USER_CHECK_PER_ROW = (
    Statement("verify_consistency", ("UUID",),
              drift.one_user_check(drift.Schema(has_placement=placement, has_conflicts_hash=hashed))
              % {"user_id": "$1", "min_age": "0", "full": "FALSE"})
    for placement, hashed in ((True, True), (True, False), (False, False)))
HAS_PLACEMENT = """SELECT to_regclass('migration.placed_weeks') IS NOT NULL,
                          EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('migration.placed_weeks')
                                  AND attname = 'conflicts' AND NOT attisdropped),
                          to_regclass('public.habit_tracker') IS NOT NULL"""


async def prepare(conn) -> None:
    """Prepare verify_consistency on a new connection, in the form its database's mapping needs."""
    with conn.cursor() as cur:
        await execute(cur, HAS_PLACEMENT)
        placement, hashed, legacy = cur.fetchone()
    if not legacy:
        # Renamed (0039) or dropped (0040): the check names habit_tracker, so it cannot be
        # prepared, and it is never run (frozen: `frozen` answers first). Without this every
        # connection failed to open, and every request was a 500.
        return
    form = USER_CHECK if hashed else USER_CHECK_NO_CONFLICTS_HASH if placement else USER_CHECK_PER_ROW
    await prepare_all(conn, (form,))


async def frozen(cur) -> bool:
    """habit_tracker frozen (0038): nothing left to compare, the new tables are the only copy."""
    await execute(cur, freeze.FROZEN_LITERAL)
    return bool(cur.fetchone()[0])


async def check(cur, user_id: str) -> drift.Report:
    await USER_CHECK.run(cur, user_id)
    return drift.findings(drift.report_row(cur), one_user=True)
