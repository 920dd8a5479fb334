"""Take ACCESS EXCLUSIVE on tables the app reads without making its reads queue for long.

A statement that needs ACCESS EXCLUSIVE (ALTER TABLE ... ENABLE ROW LEVEL SECURITY, RENAME,
a trigger added) waits behind every running transaction on the table, and while it waits every
later statement on that table queues behind it, the app's plain SELECTs included. A single long
lock_timeout therefore stalls the app for that long; a short one fails the revision at the first
long-running read. So the revision first takes the locks itself, in one LOCK TABLE statement,
with a short lock_timeout per attempt, and on 55P03 (lock_not_available) lets go, sleeps with
exponential backoff while the app's queued statements run, and tries again; after the last
attempt it fails with 55P03 and a message naming the tables. The attempt runs in a PL/pgSQL
exception block, i.e. a subtransaction, so a failed attempt releases what it took and the
revision's transaction goes on. Once held, the locks stay until the revision commits, and the
DDL that follows does not wait.

Frozen like a released revision (migrations/helpers/__init__.py): a change here changes what the
revisions using it do the next time a database is built; fix forward in a new module.
"""
from __future__ import annotations

from alembic import op

# Each attempt waits at most ATTEMPT_TIMEOUT: the longest the app's statements on these tables
# queue behind it. Pauses: 0.2 s doubling to 3.2 s, then 3.2 s (about 30 s over 12 attempts),
# within the revisions' statement_timeout of 60 s.
ATTEMPTS = 12
ATTEMPT_TIMEOUT = "200ms"
FIRST_PAUSE_SECONDS = 0.2
MAX_PAUSE_SECONDS = 3.2


def lock_access_exclusive(*tables: str) -> None:
    """LOCK TABLE `tables` (schema-qualified names written in the revision, never input) IN
    ACCESS EXCLUSIVE MODE, retried as above; the revision's own lock_timeout is restored after."""
    names = ", ".join(tables)
    op.execute(f"""DO $lock$
DECLARE
    attempt INTEGER := 1;
    previous_timeout TEXT := current_setting('lock_timeout');
BEGIN
    LOOP
        BEGIN
            PERFORM set_config('lock_timeout', '{ATTEMPT_TIMEOUT}', TRUE);
            LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE;
            PERFORM set_config('lock_timeout', previous_timeout, TRUE);
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            IF attempt >= {ATTEMPTS} THEN
                RAISE EXCEPTION 'could not lock {names} in ACCESS EXCLUSIVE mode after % attempts of {ATTEMPT_TIMEOUT}: a long transaction holds them (pg_stat_activity); nothing applied, run it again', attempt
                    USING ERRCODE = 'lock_not_available';
            END IF;
            RAISE NOTICE 'lock on {names} not available (attempt % of {ATTEMPTS}); retrying', attempt;
            PERFORM pg_sleep(least({MAX_PAUSE_SECONDS}, {FIRST_PAUSE_SECONDS} * 2 ^ (attempt - 1)));
            attempt := attempt + 1;
        END;
    END LOOP;
END
$lock$""")
