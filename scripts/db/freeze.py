"""Whether habit_tracker is frozen (revision 0038_freeze_legacy): its freeze trigger is there, or
the table has been retired since (renamed by 0039, dropped after it).

Read by the commands that compare or sync the legacy table (`make drift`, `make sync-drain`,
`make sync-worker`, `make resync`, the contract gate's drift line, the endpoint's verify_consistency): once frozen, there is nothing to compare
and nothing to sync, and each says so instead of failing.
"""
from __future__ import annotations

from psycopg2.extensions import TRANSACTION_STATUS_IDLE

FREEZE_REVISION = "0038_freeze_legacy"
TRIGGER = "trigger_habit_tracker_frozen"
NOTHING_TO_COMPARE = (f"nothing left to compare: habit_tracker is frozen since {FREEZE_REVISION} "
                      "(the endpoint writes only the new tables)")

# Frozen: the freeze trigger on habit_tracker, or the table retired since (0039 renamed it
# habit_tracker_old and recorded it in migration.retired_legacy_table; the drop keeps that row).
FROZEN = """SELECT EXISTS (SELECT 1 FROM pg_trigger
                           WHERE tgrelid = to_regclass('public.habit_tracker') AND tgname = %s)
                OR to_regclass('migration.retired_legacy_table') IS NOT NULL"""
# The same, with the trigger's name written in (the endpoint's asynchronous cursor).
FROZEN_LITERAL = FROZEN.replace("%s", f"'{TRIGGER}'")


def frozen(conn) -> bool:
    """Asked outside a transaction, leaves none open (the drift check sets its isolation next)."""
    idle = not conn.autocommit and conn.info.transaction_status == TRANSACTION_STATUS_IDLE
    with conn.cursor() as cur:
        cur.execute(FROZEN, (TRIGGER,))
        answer = bool(cur.fetchone()[0])
    if idle:
        conn.rollback()
    return answer


def last_writable_revision() -> str:
    """The revision just below the freeze: the dual-write phase's last, where the legacy table
    still takes writes (what the Phase 0-2 benchmarks and the soak run at)."""
    from alembic.script import ScriptDirectory

    from scripts.commands.migrate import alembic_config  # imported here: migrate imports this module's users

    return ScriptDirectory.from_config(alembic_config()).get_revision(FREEZE_REVISION).down_revision
