"""The online-DDL claims of the revisions, proved on real tables that hold rows.

The change records say that `ALTER TABLE ... VALIDATE CONSTRAINT` and `CREATE INDEX
CONCURRENTLY` take SHARE UPDATE EXCLUSIVE and so let the application keep writing, while the
same DDL done the "ordinary" way (a constraint added without NOT VALID, a plain CREATE INDEX)
blocks writes for as long as it runs. Each test here holds the DDL "in progress" in one
session (an open transaction, or for CREATE INDEX CONCURRENTLY a snapshot that it must wait
for), reads the lock it holds from pg_locks, and then has a second session, the application,
write to the same table under `lock_timeout = '200ms'`: a write that has to wait for the DDL
fails with SQLSTATE 55P03 (lock_not_available) instead of hanging, so "does not block" and
"blocks" are both decided by PostgreSQL's lock manager, not by a clock.
"""
from __future__ import annotations

import threading
import time
from contextlib import ExitStack, closing

import psycopg2
import psycopg2.errors
import pytest

from helpers import starts_at

REVISION = "0004_shadow_rls_policies"
APP_LOCK_TIMEOUT = "200ms"
LOCK_NOT_AVAILABLE = "55P03"

# The seed: 20 users x 2 children x 5 weeks x 5 habits x 4 records.
SEED_COUNTS = {"auth.users": 20, "children": 40, "weeks": 200, "habits": 1000, "habit_records": 4000}
SEED_SQL = """
INSERT INTO auth.users (id, email)
SELECT gen_random_uuid(), 'user' || g || '@example.test' FROM generate_series(1, 20) AS g;

INSERT INTO children (user_id, name)
SELECT u.id, 'child ' || c FROM auth.users AS u CROSS JOIN generate_series(1, 2) AS c;

-- 2025-07-21 is a Monday; week_end_date = start + 6 (ck_weeks_start_monday, ck_weeks_date_range).
INSERT INTO weeks (user_id, child_id, week_start_date, week_end_date)
SELECT ch.user_id, ch.id, DATE '2025-07-21' + 7 * w, DATE '2025-07-21' + 7 * w + 6
FROM children AS ch CROSS JOIN generate_series(0, 4) AS w;

INSERT INTO habits (week_id, name, display_order)
SELECT wk.id, 'habit ' || h, h FROM weeks AS wk CROSS JOIN generate_series(0, 4) AS h;

INSERT INTO habit_records (habit_id, record_date, status)
SELECT hb.id, wk.week_start_date + d, (ARRAY['green', 'yellow', 'red', 'none'])[1 + d]
FROM habits AS hb JOIN weeks AS wk ON wk.id = hb.week_id CROSS JOIN generate_series(0, 3) AS d;
"""

# Strength order of the table-level lock modes (each conflicts with more than the one before).
LOCK_STRENGTH = [
    "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
    "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
]


def query(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def scalar(conn, sql, params=None):
    rows = query(conn, sql, params)
    assert len(rows) == 1, rows
    return rows[0][0]


def connect(url: str):
    """A separate session (its own backend), autocommit: transactions are opened explicitly.

    lock_timeout 10s is only a safety net: if a test is wrong about a lock, its own queries
    fail with 55P03 instead of hanging the suite.
    """
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET lock_timeout = '10s'")
    return conn


def app_session(url: str):
    """The application: every write is its own transaction and waits at most 200ms for a lock."""
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute(f"SET lock_timeout = '{APP_LOCK_TIMEOUT}'")
        cur.execute("SHOW lock_timeout")
        assert cur.fetchone()[0] == APP_LOCK_TIMEOUT
    return conn


def relation_locks(observer, pid: int, relation: str) -> set[str]:
    """The granted table-level lock modes that backend `pid` holds on `relation`."""
    return {mode for (mode,) in query(observer, """
        SELECT mode FROM pg_locks
        WHERE locktype = 'relation' AND granted AND pid = %s AND relation = %s::regclass""",
        (pid, relation))}


def strongest(modes: set[str]) -> str | None:
    return max(modes, key=LOCK_STRENGTH.index) if modes else None


def is_validated(conn, name: str) -> bool:
    return scalar(conn, "SELECT convalidated FROM pg_constraint WHERE conname = %s", (name,))


def ensure_not_valid(conn, table: str, name: str) -> None:
    """Make `name` NOT VALID: drop it and add it back NOT VALID if it has been validated."""
    if is_validated(conn, name):
        definition = scalar(conn, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", (name,))
        with conn.cursor() as cur:
            cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID")
    assert is_validated(conn, name) is False


@pytest.fixture
@starts_at(REVISION)
def loaded(db, migrate, database_url):
    """The schema at 0004 with a few thousand valid rows, the habit_records constraints NOT VALID."""
    migrate("upgrade", REVISION)
    with db.cursor() as cur:
        cur.execute(SEED_SQL)
    for table, expected in SEED_COUNTS.items():
        assert scalar(db, f"SELECT count(*) FROM {table}") == expected
    for name in ("fk_habit_records_habit_id", "ck_habit_records_status"):
        ensure_not_valid(db, "habit_records", name)
    return database_url


def two_habits(conn) -> tuple[str, str]:
    (first,), (second,) = query(conn, "SELECT id FROM habits ORDER BY id LIMIT 2")
    return first, second


def app_writes_succeed(app, observer) -> None:
    """INSERT, UPDATE and DELETE on habit_records, each completing within the lock timeout."""
    to_update, to_delete = two_habits(observer)
    before = SEED_COUNTS["habit_records"]  # not counted here: the app's INSERT is the first to touch the table
    with app.cursor() as cur:
        # A date outside the seeded weeks, so uq_habit_records_habit_date is not hit.
        cur.execute("""INSERT INTO habit_records (habit_id, record_date, status)
                       VALUES (%s, DATE '2030-01-07', 'green')""", (to_update,))
        assert cur.rowcount == 1
        cur.execute("UPDATE habit_records SET note = 'written during DDL' WHERE habit_id = %s", (to_update,))
        assert cur.rowcount == 5  # its 4 seeded records and the one just inserted
        cur.execute("DELETE FROM habit_records WHERE habit_id = %s", (to_delete,))
        assert cur.rowcount == 4
    # Committed (autocommit) and visible to another session.
    assert scalar(observer, "SELECT count(*) FROM habit_records") == before + 1 - 4
    assert scalar(observer, "SELECT count(*) FROM habit_records WHERE note = 'written during DDL'") == 5
    assert scalar(observer, "SELECT count(*) FROM habit_records WHERE habit_id = %s", (to_delete,)) == 0


def app_writes_time_out(app, observer) -> None:
    """INSERT, UPDATE and DELETE on habit_records each give up with 55P03; nothing changes."""
    to_update, to_delete = two_habits(observer)
    statements = [
        ("INSERT INTO habit_records (habit_id, record_date, status) VALUES (%s, DATE '2030-01-07', 'green')",
         (to_update,)),
        ("UPDATE habit_records SET note = 'written during DDL' WHERE habit_id = %s", (to_update,)),
        ("DELETE FROM habit_records WHERE habit_id = %s", (to_delete,)),
    ]
    for sql, params in statements:
        with app.cursor() as cur, pytest.raises(psycopg2.errors.LockNotAvailable) as excinfo:
            cur.execute(sql, params)
        assert excinfo.value.pgcode == LOCK_NOT_AVAILABLE, sql


def assert_seed_untouched(observer) -> None:
    assert scalar(observer, "SELECT count(*) FROM habit_records") == SEED_COUNTS["habit_records"]
    assert scalar(observer, "SELECT count(*) FROM habit_records WHERE note IS NOT NULL") == 0


# --- (a) VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE, writes go on -----------------------------

@pytest.mark.parametrize("constraint, referenced_lock", [
    # A foreign key's validation also reads the referenced table: ROW SHARE on habits,
    # which blocks nothing but DDL that needs EXCLUSIVE or stronger.
    ("fk_habit_records_habit_id", "RowShareLock"),
    ("ck_habit_records_status", None),
])
def test_validate_constraint_does_not_block_writes(loaded, constraint, referenced_lock):
    with ExitStack() as stack:
        ddl = stack.enter_context(closing(connect(loaded)))
        app = stack.enter_context(closing(app_session(loaded)))
        observer = stack.enter_context(closing(connect(loaded)))
        assert is_validated(observer, constraint) is False

        with ddl.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(f"ALTER TABLE habit_records VALIDATE CONSTRAINT {constraint}")
        # The validation has run (all 4,000 rows scanned) and its transaction is still open,
        # so its locks are held exactly as while it is in progress.
        ddl_pid = ddl.get_backend_pid()
        assert strongest(relation_locks(observer, ddl_pid, "habit_records")) == "ShareUpdateExclusiveLock"
        assert strongest(relation_locks(observer, ddl_pid, "habits")) == referenced_lock

        app_writes_succeed(app, observer)

        assert is_validated(observer, constraint) is False  # not committed yet
        with ddl.cursor() as cur:
            cur.execute("COMMIT")
        assert is_validated(observer, constraint) is True
        assert relation_locks(observer, ddl_pid, "habit_records") == set()


# --- (b) the counterfactual: the same constraints added without NOT VALID block writes ----------

@pytest.mark.parametrize("ddl_sql, table_lock, referenced_lock", [
    ("ALTER TABLE habit_records ADD CONSTRAINT ck_probe CHECK (status <> 'x')",
     "AccessExclusiveLock", None),
    ("ALTER TABLE habit_records ADD CONSTRAINT fk_probe FOREIGN KEY (habit_id) REFERENCES habits (id)",
     "ShareRowExclusiveLock", "ShareRowExclusiveLock"),
], ids=["check_without_not_valid", "foreign_key_without_not_valid"])
def test_adding_a_validated_constraint_blocks_writes(loaded, ddl_sql, table_lock, referenced_lock):
    with ExitStack() as stack:
        ddl = stack.enter_context(closing(connect(loaded)))
        app = stack.enter_context(closing(app_session(loaded)))
        observer = stack.enter_context(closing(connect(loaded)))

        with ddl.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(ddl_sql)
        ddl_pid = ddl.get_backend_pid()
        assert strongest(relation_locks(observer, ddl_pid, "habit_records")) == table_lock
        # The FK also locks the referenced table against writes (SHARE ROW EXCLUSIVE on habits).
        assert strongest(relation_locks(observer, ddl_pid, "habits")) == referenced_lock

        app_writes_time_out(app, observer)

        with ddl.cursor() as cur:
            cur.execute("ROLLBACK")
        assert scalar(observer, "SELECT count(*) FROM pg_constraint WHERE conname IN ('ck_probe', 'fk_probe')") == 0
        assert_seed_untouched(observer)


# --- (c) CREATE INDEX CONCURRENTLY vs plain CREATE INDEX --------------------------------------

def wait_for(observer, sql, params, expected, what: str, deadline_s: float = 60.0):
    """Poll until `sql` returns `expected` (a safety net against hanging, not a timing claim)."""
    stop = time.monotonic() + deadline_s
    while True:
        rows = query(observer, sql, params)
        if rows == expected:
            return
        if time.monotonic() > stop:
            pytest.fail(f"gave up waiting for {what}: last saw {rows}")
        time.sleep(0.02)


def test_create_index_concurrently_does_not_block_writes(loaded):
    with ExitStack() as stack:
        blocker = stack.enter_context(closing(connect(loaded)))
        cic = stack.enter_context(closing(connect(loaded)))
        app = stack.enter_context(closing(app_session(loaded)))
        observer = stack.enter_context(closing(connect(loaded)))
        cic_pid = cic.get_backend_pid()

        # A transaction with a snapshot older than the index build: CIC's last phase must wait
        # for it to end, which keeps CIC "in progress" for as long as we need.
        with blocker.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SELECT 1 FROM habit_records LIMIT 1")

        errors: list[BaseException] = []

        def build():
            try:
                with cic.cursor() as cur:
                    cur.execute("CREATE INDEX CONCURRENTLY idx_probe_cic ON habit_records (note)")
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        thread = threading.Thread(target=build, name="create-index-concurrently")
        thread.start()
        try:
            wait_for(observer, """SELECT command, phase FROM pg_stat_progress_create_index
                                  WHERE pid = %s""", (cic_pid,),
                     [("CREATE INDEX CONCURRENTLY", "waiting for old snapshots")],
                     "CREATE INDEX CONCURRENTLY to wait for the open snapshot")
            # In progress: it waits on the blocker's virtual transaction id, holds SHARE UPDATE
            # EXCLUSIVE on the table, and the index exists but is not yet valid.
            assert query(observer, "SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE pid = %s",
                         (cic_pid,)) == [("active", "Lock", "virtualxid")]
            assert strongest(relation_locks(observer, cic_pid, "habit_records")) == "ShareUpdateExclusiveLock"
            assert query(observer, """SELECT indisready, indisvalid FROM pg_index
                                      WHERE indexrelid = 'idx_probe_cic'::regclass""") == [(True, False)]

            app_writes_succeed(app, observer)

            # Still in progress after the writes: they did not have to wait for it, nor it for them.
            assert thread.is_alive()
            assert query(observer, "SELECT phase FROM pg_stat_progress_create_index WHERE pid = %s",
                         (cic_pid,)) == [("waiting for old snapshots",)]
        finally:
            with blocker.cursor() as cur:
                cur.execute("ROLLBACK")
            thread.join(timeout=60)
            if thread.is_alive():  # never leave the thread behind
                query(observer, "SELECT pg_cancel_backend(%s)", (cic_pid,))
                thread.join()
        assert errors == []
        assert query(observer, """SELECT indisready, indisvalid FROM pg_index
                                  WHERE indexrelid = 'idx_probe_cic'::regclass""") == [(True, True)]
        assert relation_locks(observer, cic_pid, "habit_records") == set()

        # The index took in the rows written while it was being built.
        with observer.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN SELECT count(*) FROM habit_records WHERE note = 'written during DDL'")
            plan = "\n".join(row for (row,) in cur.fetchall())
            cur.execute("SELECT count(*) FROM habit_records WHERE note = 'written during DDL'")
            indexed = cur.fetchone()[0]
            cur.execute("ROLLBACK")
        assert "idx_probe_cic" in plan
        assert indexed == 5


def test_plain_create_index_blocks_writes(loaded):
    with ExitStack() as stack:
        ddl = stack.enter_context(closing(connect(loaded)))
        app = stack.enter_context(closing(app_session(loaded)))
        observer = stack.enter_context(closing(connect(loaded)))

        with ddl.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("CREATE INDEX idx_probe ON habit_records (note)")
        assert strongest(relation_locks(observer, ddl.get_backend_pid(), "habit_records")) == "ShareLock"

        app_writes_time_out(app, observer)

        with ddl.cursor() as cur:
            cur.execute("ROLLBACK")
        assert scalar(observer, "SELECT count(*) FROM pg_class WHERE relname = 'idx_probe'") == 0
        assert_seed_untouched(observer)
