"""The 24 RLS policies (0004, rewritten by 0015, tightened by 0025) do what SCHEMA_FACTS §2 "RLS policies" says, once RLS is on.

0004 creates the policies but leaves RLS disabled (Phase 2's stages, 0027-0030, enable it), so
each test turns RLS on inside ONE transaction that it rolls back at the end (at head it is on
already): nothing persists, and after the rollback every one of the six tables has
relrowsecurity as before (asserted after every test's transaction). What the stages grant is
tried in tests/test_rls_stages.py; here the policies alone are tested, all four commands granted
inside the transaction.

Inside that transaction the session switches to the Supabase API role with SET LOCAL ROLE
(the connection's own user, `postgres`, owns the tables and has BYPASSRLS, as on Supabase,
so RLS does not apply to it; `authenticated` and `anon` have neither) and sets the JWT claims the way PostgREST
does, with set_config('request.jwt.claims', ..., true), which auth.uid() reads.

Two users, U1 and U2, each own one row in each of the six tables. For every table and every
command, acting as either user (parametrized), the user sees and changes only their own
rows; `anon` (no claims, auth.uid() NULL) sees and changes nothing. Failed inserts run
inside a SAVEPOINT so that the 42501 does not abort the outer transaction.
"""
from __future__ import annotations

import json
import uuid
from contextlib import contextmanager

import psycopg2
import pytest

# 0004 wrote the policies; 0015 rewrote the parent-week ones for the planner. The same
# suite runs at both: the rows each policy admits must not have changed.
REVISIONS = ["0004_shadow_rls_policies", "head"]
TABLES = ["children", "weeks", "habits", "habit_records", "habit_templates", "notifications"]
USERS = ["u1", "u2"]
OTHER = {"u1": "u2", "u2": "u1"}
INSUFFICIENT_PRIVILEGE = "42501"  # also the SQLSTATE of "new row violates row-level security policy"
COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")

# The column that ties a row to its owner, directly or through its parent: handing a row
# over to the other user means pointing this column at the other user's value.
OWNER_COLUMN = {
    "children": ("user_id", "user"), "weeks": ("user_id", "user"), "habits": ("week_id", "weeks"),
    "habit_records": ("habit_id", "habits"), "habit_templates": ("user_id", "user"),
    "notifications": ("user_id", "user"),
}


def query(cur, sql, params=None):
    cur.execute(sql, params)
    return cur.fetchall()


def ids(cur, table) -> set[str]:
    return {str(row_id) for (row_id,) in query(cur, f"SELECT id FROM {table}")}


def insert_sql(table: str, owner: dict, row_id: str, *, from_user_id: str | None = None,
               record_day: int = 2, week_start: str = "2025-07-28"):
    """An INSERT of one row in `table` owned by `owner` (that user's own parents).

    The defaults are for rows added by the tests: a week and a record date that the seeded
    rows (week of Monday 2025-07-21, records on its days 0 and 1) do not use, so that no
    unique constraint can fire before the policy does.
    """
    if table == "children":
        return ("INSERT INTO children (id, user_id, name) VALUES (%s, %s, %s)",
                (row_id, owner["user"], f"child {row_id[:8]}"))
    if table == "weeks":
        return ("INSERT INTO weeks (id, user_id, child_id, week_start_date, week_end_date) "
                "VALUES (%s, %s, %s, %s::date, %s::date + 6)",
                (row_id, owner["user"], owner["children"], week_start, week_start))
    if table == "habits":
        return ("INSERT INTO habits (id, week_id, name) VALUES (%s, %s, %s)",
                (row_id, owner["weeks"], f"habit {row_id[:8]}"))
    if table == "habit_records":
        return ("INSERT INTO habit_records (id, habit_id, record_date, status) "
                "VALUES (%s, %s, DATE '2025-07-21' + %s, 'green')", (row_id, owner["habits"], record_day))
    if table == "habit_templates":
        return ("INSERT INTO habit_templates (id, user_id, child_id, name) VALUES (%s, %s, %s, %s)",
                (row_id, owner["user"], owner["children"], f"template {row_id[:8]}"))
    if table == "notifications":
        return ("INSERT INTO notifications (id, user_id, from_user_id, type, title, message) "
                "VALUES (%s, %s, %s, 'chat', 'hello', 'a message')", (row_id, owner["user"], from_user_id))
    raise AssertionError(table)


@pytest.fixture(scope="module", params=REVISIONS)
def rls_database(request, templates):
    """One database per revision for every case of this module: cloned from the template at
    0004 (or head); U1 and U2 each own one row in each of the six tables (written as postgres).
    Every case works inside one transaction it rolls back, so they can share it (the `owned`
    fixture checks after each case that nothing of it persisted)."""
    with templates.shared_database(f"rls_{request.param_index}", request.param) as url:
        conn = psycopg2.connect(url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT version_num FROM alembic_version")
                assert cur.fetchone()[0] == templates.resolve(request.param)
            users = {name: {"user": str(uuid.uuid4())} for name in USERS}
            with conn.cursor() as cur:
                for day, (user_name, rows) in enumerate(users.items()):
                    cur.execute("INSERT INTO auth.users (id, email) VALUES (%s, %s)",
                                (rows["user"], f"{user_name}@example.test"))
                    for table in TABLES:
                        rows[table] = str(uuid.uuid4())
                        # U1's notification has no sender, U2's was sent by U2: both shapes occur.
                        sender = rows["user"] if user_name == "u2" else None
                        # Different record dates per user, so that handing a record over cannot hit
                        # uq_habit_records_habit_date before the policy is checked.
                        cur.execute(*insert_sql(table, rows, rows[table], from_user_id=sender, record_day=day,
                                                week_start="2025-07-21"))
                for table in TABLES:
                    assert ids(cur, table) == {users["u1"][table], users["u2"][table]}
                # Off at 0004; on everywhere at head (Phase 2's stages, 0027-0030).
                enabled = rls_enabled_tables(cur)
                assert enabled == (set(TABLES) if request.param == "head" else set())
        finally:
            conn.close()
        yield url, users, request.param, enabled


@pytest.fixture(scope="module")
def policies_fixed(rls_database) -> bool:
    """Whether the database has 0025's policies (own child, sender required): at head."""
    return rls_database[2] == "head"


@pytest.fixture(scope="module")
def database_url(rls_database):
    """This module's cases connect to the revision's shared database (conftest's `db` too)."""
    return rls_database[0]


@pytest.fixture
def owned(rls_database, db):
    """Schema at 0004 (or head); U1 and U2 each own one row in each of the six tables (as postgres).
    After the case: the six tables hold exactly those rows still, RLS as it was."""
    users = rls_database[1]
    yield users
    with db.cursor() as cur:
        for table in TABLES:
            assert ids(cur, table) == {users["u1"][table], users["u2"][table]}
        assert rls_enabled_tables(cur) == rls_database[3]


def rls_enabled_tables(cur) -> set[str]:
    return {name for (name,) in query(cur, """
        SELECT relname FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relname = ANY(%s) AND relrowsecurity""", (TABLES,))}


@contextmanager
def rls_transaction(database_url: str, db, role: str, claims: str):
    """One transaction: RLS on for the six tables, acting as `role` with `claims`; rolled back."""
    with db.cursor() as cur:
        enabled_before = rls_enabled_tables(cur)
    conn = psycopg2.connect(database_url)  # not autocommit: psycopg2 opens the transaction
    try:
        with conn.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '10s'")  # safety net, never expected to matter
            for table in TABLES:
                cur.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            assert rls_enabled_tables(cur) == set(TABLES)
            missing = [(table, command) for table in TABLES for command in COMMANDS
                       if not query(cur, "SELECT has_table_privilege(%s, %s, %s)", (role, table, command))[0][0]]
            if missing:
                # Since 0019 the API roles hold nothing on a table whose RLS is off (Phase 2's
                # stages grant what each table's policies allow). Grant them here, inside the
                # rolled-back transaction, so that what is tested is the policies, not grants.
                for table in TABLES:
                    cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
            cur.execute(f"SET LOCAL ROLE {role}")
            cur.execute("SELECT set_config('request.jwt.claims', %s, true)", (claims,))
            # Now neither superuser nor BYPASSRLS: the policies apply.
            assert query(cur, """SELECT current_user::text, rolsuper OR rolbypassrls FROM pg_roles
                                 WHERE rolname = current_user""") == [(role, False)]
        yield conn
    finally:
        conn.rollback()
        conn.close()
    with db.cursor() as cur:
        assert rls_enabled_tables(cur) == enabled_before  # nothing of the transaction persisted


@contextmanager
def acting_as(database_url, db, users, me: str):
    claims = json.dumps({"sub": users[me]["user"], "role": "authenticated"})
    with rls_transaction(database_url, db, "authenticated", claims) as conn, conn.cursor() as cur:
        assert query(cur, "SELECT auth.uid()::text") == [(users[me]["user"],)]
        yield cur


@contextmanager
def as_owner(cur):
    """Look past RLS for a moment (as postgres: owner, BYPASSRLS), in the same transaction, to
    check what really changed."""
    role = query(cur, "SELECT current_user")[0][0]
    cur.execute("RESET ROLE")
    try:
        yield cur
    finally:
        cur.execute(f"SET LOCAL ROLE {role}")


def expect_sqlstate(cur, sqlstate: str, sql: str, params=None) -> psycopg2.Error:
    """Run `sql` in a savepoint; it must fail with `sqlstate`; the transaction goes on."""
    cur.execute("SAVEPOINT attempt")
    try:
        cur.execute(sql, params)
    except psycopg2.Error as exc:
        cur.execute("ROLLBACK TO SAVEPOINT attempt")
        assert exc.pgcode == sqlstate, f"{exc.pgcode}: {exc.pgerror}"
        return exc
    cur.execute("ROLLBACK TO SAVEPOINT attempt")
    pytest.fail(f"expected SQLSTATE {sqlstate}, but it succeeded (rowcount {cur.rowcount}): {sql} {params}")


# --- an authenticated user: only their own rows --------------------------------------------

@pytest.mark.parametrize("me", USERS)
@pytest.mark.parametrize("table", TABLES)
def test_select_returns_only_own_rows(owned, database_url, db, table, me):
    with acting_as(database_url, db, owned, me) as cur:
        assert ids(cur, table) == {owned[me][table]}
        assert query(cur, f"SELECT count(*) FROM {table} WHERE id = %s", (owned[OTHER[me]][table],)) == [(0,)]
        with as_owner(cur):
            assert ids(cur, table) == {owned["u1"][table], owned["u2"][table]}


@pytest.mark.parametrize("me", USERS)
@pytest.mark.parametrize("table", TABLES)
def test_insert_only_own_rows(owned, database_url, db, table, me):
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    with acting_as(database_url, db, owned, me) as cur:
        # Owned by me (for notifications: sent by me).
        cur.execute(*insert_sql(table, owned[me], mine, from_user_id=owned[me]["user"]))
        assert cur.rowcount == 1
        assert ids(cur, table) == {owned[me][table], mine}

        # Owned by the other user: their user_id, their child/week/habit as parent, or (for
        # notifications, whose insert policy checks only the sender) sent as them.
        other = owned[OTHER[me]]
        exc = expect_sqlstate(cur, INSUFFICIENT_PRIVILEGE,
                              *insert_sql(table, other, theirs, from_user_id=other["user"]))
        assert f'row-level security policy for table "{table}"' in exc.pgerror
        with as_owner(cur):
            assert ids(cur, table) == {owned["u1"][table], owned["u2"][table], mine}


@pytest.mark.parametrize("me", USERS)
@pytest.mark.parametrize("table", TABLES)
def test_update_only_own_rows(owned, database_url, db, table, me):
    other = OTHER[me]
    with acting_as(database_url, db, owned, me) as cur:
        cur.execute(f"UPDATE {table} SET source_version = 'dual_write' WHERE id = %s", (owned[other][table],))
        assert cur.rowcount == 0
        cur.execute(f"UPDATE {table} SET source_version = 'dual_write' WHERE id = %s", (owned[me][table],))
        assert cur.rowcount == 1
        cur.execute(f"UPDATE {table} SET source_version = 'dual_write'")  # no WHERE: still only mine
        assert cur.rowcount == 1

        # The UPDATE policies have USING only, which PostgreSQL also applies as WITH CHECK:
        # a user cannot hand their row over to the other user.
        column, key = OWNER_COLUMN[table]
        expect_sqlstate(cur, INSUFFICIENT_PRIVILEGE, f"UPDATE {table} SET {column} = %s WHERE id = %s",
                        (owned[other][key], owned[me][table]))

        with as_owner(cur):
            assert dict(query(cur, f"SELECT id::text, source_version FROM {table}")) == {
                owned[me][table]: "dual_write", owned[other][table]: "new_schema"}


@pytest.mark.parametrize("me", USERS)
@pytest.mark.parametrize("table", TABLES)
def test_delete_only_own_rows(owned, database_url, db, table, me):
    other = OTHER[me]
    with acting_as(database_url, db, owned, me) as cur:
        cur.execute(f"DELETE FROM {table} WHERE id = %s", (owned[other][table],))
        assert cur.rowcount == 0
        cur.execute(f"DELETE FROM {table} WHERE id = %s", (owned[me][table],))
        assert cur.rowcount == 1
        cur.execute(f"DELETE FROM {table}")  # no WHERE: nothing of the other user's goes
        assert cur.rowcount == 0
        assert ids(cur, table) == set()
        with as_owner(cur):
            assert ids(cur, table) == {owned[other][table]}


# --- anon: no claims, auth.uid() is NULL: nothing -------------------------------------------

@contextmanager
def as_anon(database_url, db):
    with rls_transaction(database_url, db, "anon", "") as conn, conn.cursor() as cur:
        assert query(cur, "SELECT auth.uid()") == [(None,)]
        yield cur


@pytest.mark.parametrize("table", TABLES)
def test_anon_sees_and_changes_nothing(owned, database_url, db, table):
    with as_anon(database_url, db) as cur:
        assert ids(cur, table) == set()
        cur.execute(f"UPDATE {table} SET source_version = 'dual_write'")
        assert cur.rowcount == 0
        cur.execute(f"DELETE FROM {table}")
        assert cur.rowcount == 0
        # An insert of a row that a user owns (for notifications: sent by that user) is refused.
        expect_sqlstate(cur, INSUFFICIENT_PRIVILEGE,
                        *insert_sql(table, owned["u1"], str(uuid.uuid4()), from_user_id=owned["u1"]["user"]))
        with as_owner(cur):
            assert dict(query(cur, f"SELECT id::text, source_version FROM {table}")) == {
                owned["u1"][table]: "new_schema", owned["u2"][table]: "new_schema"}


# --- what the specified policies left open, and 0025 closed ---------------------------------
# At 0004 (as SCHEMA_FACTS §2 gives the predicates) these are open, and the tests pin that down;
# at head (0025) each is refused with 42501, the row-level security error.

def test_notification_insert_without_sender(owned, database_url, db, policies_fixed):
    """0004: `auth.uid() = from_user_id OR from_user_id IS NULL` never looks at user_id, so a
    NULL sender passed for anyone, anon included. 0025: the sender must be the caller."""
    row_id = str(uuid.uuid4())
    with as_anon(database_url, db) as cur:
        if policies_fixed:
            exc = expect_sqlstate(cur, INSUFFICIENT_PRIVILEGE, *insert_sql("notifications", owned["u1"], row_id))
            assert 'row-level security policy for table "notifications"' in exc.pgerror
        else:
            cur.execute(*insert_sql("notifications", owned["u1"], row_id, from_user_id=None))
            assert cur.rowcount == 1
            assert ids(cur, "notifications") == set()  # anon cannot read back what it wrote
        with as_owner(cur):
            assert (row_id in ids(cur, "notifications")) is not policies_fixed
    if policies_fixed:  # nor a signed-in user without naming themselves the sender
        with acting_as(database_url, db, owned, "u1") as cur:
            expect_sqlstate(cur, INSUFFICIENT_PRIVILEGE, *insert_sql("notifications", owned["u1"], row_id))


@pytest.mark.parametrize("me", USERS)
def test_notification_insert_to_another_user_is_allowed_when_sent_as_oneself(owned, database_url, db, me):
    """A user may address a notification to another user (a mention), as long as it is sent as
    themselves; they then cannot see it (select policy: recipient only). Both revisions."""
    other = owned[OTHER[me]]
    row_id = str(uuid.uuid4())
    with acting_as(database_url, db, owned, me) as cur:
        cur.execute(*insert_sql("notifications", other, row_id, from_user_id=owned[me]["user"]))
        assert cur.rowcount == 1
        assert row_id not in ids(cur, "notifications")


@pytest.mark.parametrize("table", ["weeks", "habit_templates"])
def test_own_row_referencing_another_users_child(owned, database_url, db, table, policies_fixed):
    """0004: weeks and habit_templates checked only user_id, not that child_id is one's own
    child (the NOT VALID foreign key checks existence, bypassing RLS): U1 could attach a week or
    a template to U2's child, or move one there. 0025: both refused."""
    row_id = str(uuid.uuid4())
    mixed = {**owned["u1"], "children": owned["u2"]["children"]}
    with acting_as(database_url, db, owned, "u1") as cur:
        if policies_fixed:
            exc = expect_sqlstate(cur, INSUFFICIENT_PRIVILEGE, *insert_sql(table, mixed, row_id))
            assert f'row-level security policy for table "{table}"' in exc.pgerror
            expect_sqlstate(cur, INSUFFICIENT_PRIVILEGE, f"UPDATE {table} SET child_id = %s WHERE id = %s",
                            (owned["u2"]["children"], owned["u1"][table]))
            # One's own child stays allowed, and a template may have none.
            cur.execute(*insert_sql(table, owned["u1"], row_id))
            assert cur.rowcount == 1
            if table == "habit_templates":
                cur.execute("UPDATE habit_templates SET child_id = NULL WHERE id = %s", (row_id,))
                assert cur.rowcount == 1
        else:
            cur.execute(*insert_sql(table, mixed, row_id))
            assert cur.rowcount == 1
            assert query(cur, f"SELECT child_id::text FROM {table} WHERE id = %s", (row_id,)) == [
                (owned["u2"]["children"],)]
