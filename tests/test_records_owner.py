"""habit_records.user_id (0033-0035): the owner of the record's week on every write path, filled
for the records written before it, and what habit_records' policies compare from 0035.

The column is what makes the app's week read cheap (issue #20, point 7); it is only safe if it
can never disagree with the week's owner, and if the app can never use it to reach another
family's habit. Both are tried here: every write path as postgres, and the app's insert as
`authenticated` (granted for the test inside a transaction that is rolled back: today the app
holds SELECT only)."""
from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import errors

from helpers import assert_verify_passed_here, attempt, insert, run_cli, scalar
from legacy_cases import U1, U2, habit
from scripts.commands.backfill import run as backfill
from scripts.commands.seed_legacy import seed
from test_rls_stages import own_ids

# Every record whose user_id is not its week's owner (NULL included), with both, as postgres.
WRONG_OWNERS = """SELECT r.id, r.user_id, w.user_id FROM habit_records r JOIN habits h ON h.id = r.habit_id
                  JOIN weeks w ON w.id = h.week_id WHERE r.user_id IS DISTINCT FROM w.user_id ORDER BY r.id"""


def wrong_owners(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute(WRONG_OWNERS)
        return cur.fetchall()


def week_of(db, user: str, child: str) -> str:
    return scalar(db, """SELECT w.id FROM weeks w JOIN children c ON c.id = w.child_id
                         WHERE w.user_id = %s AND c.name = %s""", (user, child))


def records_of_week(db, week: str) -> dict[str, str]:
    """record id -> user_id of the records of one week's habits."""
    with db.cursor() as cur:
        cur.execute("""SELECT r.id::TEXT, r.user_id::TEXT FROM habit_records r JOIN habits h ON h.id = r.habit_id
                       WHERE h.week_id = %s""", (week,))
        return dict(cur.fetchall())


def two_families(db) -> tuple[str, str]:
    insert(db, user=U1)
    insert(db, child="서연", user=U2, start="2025-09-01",
           habits=[habit("피아노", ["green", "red", "", "", "", "", "yellow"])])
    return week_of(db, U1, "민준"), week_of(db, U2, "서연")


def test_every_synced_record_carries_its_weeks_owner(synced):
    first, second = two_families(synced)
    assert set(records_of_week(synced, first).values()) == {U1}
    assert set(records_of_week(synced, second).values()) == {U2}
    assert wrong_owners(synced) == []


def test_the_owner_follows_a_habit_moved_to_another_users_week(synced):
    first, second = two_families(synced)
    moved = scalar(synced, "SELECT id FROM habits WHERE week_id = %s AND name = '독서'", (first,))
    synced.cursor().execute("UPDATE habits SET week_id = %s WHERE id = %s", (second, moved))
    assert {owner for owner in records_of_week(synced, second).values()} == {U2}
    assert scalar(synced, "SELECT count(*) FROM habit_records WHERE habit_id = %s AND user_id = %s", (moved, U2)) == 2  # green, red
    assert wrong_owners(synced) == []


def test_the_owner_follows_a_week_given_to_another_user(synced):
    first, _ = two_families(synced)
    before = records_of_week(synced, first)
    synced.cursor().execute("UPDATE weeks SET user_id = %s WHERE id = %s", (U2, first))
    after = records_of_week(synced, first)
    assert set(after) == set(before) and set(after.values()) == {U2}
    assert wrong_owners(synced) == []


def test_an_owner_written_by_hand_is_replaced_by_the_weeks(synced):
    first, _ = two_families(synced)
    record = next(iter(records_of_week(synced, first)))
    synced.cursor().execute("UPDATE habit_records SET user_id = %s WHERE id = %s", (U2, record))
    assert scalar(synced, "SELECT user_id::TEXT FROM habit_records WHERE id = %s", (record,)) == U1
    with synced.cursor() as cur:
        cur.execute("INSERT INTO habit_records (habit_id, record_date, status, user_id) "
                    "SELECT id, '2025-07-22', 'green', %s FROM habits WHERE week_id = %s AND name = '독서' RETURNING user_id::TEXT",
                    (U2, first))
        assert cur.fetchone()[0] == U1


def test_a_record_of_no_habit_is_refused_as_a_foreign_key_violation(synced):
    with pytest.raises(errors.ForeignKeyViolation, match="names no habit"):
        synced.cursor().execute("INSERT INTO habit_records (habit_id, record_date, status) "
                                "VALUES (gen_random_uuid(), '2025-07-21', 'green')")
    assert scalar(synced, "SELECT count(*) FROM habit_records") == 0


def app_insert(db, user: str, habit_id: str, claimed_owner: str):
    """The app's INSERT of a record, as PostgREST would send it for `user`, with INSERT granted
    to authenticated for this transaction only (Phase 3's grant); rolled back. The row or the error."""
    db.autocommit = False
    try:
        with db.cursor() as cur:
            cur.execute("GRANT INSERT ON habit_records TO authenticated")
            cur.execute("SET LOCAL ROLE authenticated")
            cur.execute("SELECT set_config('request.jwt.claims', %s, TRUE)", (f'{{"sub": "{user}", "role": "authenticated"}}',))
            cur.execute("""INSERT INTO habit_records (habit_id, record_date, status, user_id)
                           VALUES (%s, '2025-07-24', 'green', %s) RETURNING user_id::TEXT""", (habit_id, claimed_owner))
            return cur.fetchone()[0]
    except psycopg2.Error as exc:
        return exc
    finally:
        db.rollback()
        db.autocommit = True


def test_the_app_cannot_reach_another_familys_habit_by_claiming_the_owner(synced):
    first, second = two_families(synced)
    theirs = scalar(synced, "SELECT id::TEXT FROM habits WHERE week_id = %s", (second,))
    mine = scalar(synced, "SELECT id::TEXT FROM habits WHERE week_id = %s AND name = '독서'", (first,))
    for claimed in (U1, U2):  # the trigger makes it U2's record; the policy refuses it to U1
        refused = app_insert(synced, U1, theirs, claimed_owner=claimed)
        assert isinstance(refused, errors.InsufficientPrivilege), refused
        assert "row-level security" in str(refused)
    assert app_insert(synced, U1, mine, claimed_owner=U2) == U1  # the trigger's owner, not the claim
    assert not scalar(synced, "SELECT has_table_privilege('authenticated', 'habit_records', 'INSERT')")


def test_each_user_reads_exactly_their_records_and_anon_nothing(synced):
    two_families(synced)
    for user in (U1, U2):
        rows = attempt(synced, "authenticated", "SELECT id FROM habit_records", user=user)
        assert {row[0] for row in rows} == own_ids(synced, "habit_records", user) != set()
    assert isinstance(attempt(synced, "anon", "SELECT id FROM habit_records"), errors.InsufficientPrivilege)


@pytest.mark.start_at("0032_read_switch")
def test_0034_fills_the_records_written_before_0033_in_batches(db, database_url, migrate):
    seed(db, 300, seed=1)
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s) ON CONFLICT DO NOTHING", (U1,))
    backfill(db, 1000, log=lambda line: None)
    before = scalar(db, "SELECT count(*) FROM habit_records")
    assert before > 5_000  # more than one batch of the fill
    migrate("upgrade", "0033_records_owner_column")
    assert scalar(db, "SELECT count(*) FROM habit_records WHERE user_id IS NULL") == before
    insert(db, user=U1, start="2026-01-05")  # written after 0033: the trigger fills it
    assert scalar(db, "SELECT count(*) FROM habit_records WHERE user_id IS NULL") == before
    after = scalar(db, "SELECT count(*) FROM habit_records")
    assert after > before
    assert_verify_passed_here(run_cli("scripts.commands.verify", "--target", "current", database_url=database_url),
                              database_url, target="current")
    migrate("upgrade", "0034_records_owner_filled")
    assert wrong_owners(db) == []
    assert scalar(db, "SELECT count(*) FROM habit_records") == after
    assert scalar(db, """SELECT convalidated FROM pg_constraint
                         WHERE conname = 'ck_habit_records_user_id_present'""") is True
    assert scalar(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_habit_records_user_id'::REGCLASS") is True
    with pytest.raises(errors.CheckViolation):
        with db.cursor() as cur:  # a row the trigger cannot see is impossible; the constraint says so anyway
            cur.execute("ALTER TABLE habit_records DISABLE TRIGGER fill_habit_records_user_id")
            try:
                cur.execute("UPDATE habit_records SET user_id = NULL WHERE id = (SELECT min(id::TEXT)::UUID FROM habit_records)")
            finally:
                cur.execute("ALTER TABLE habit_records ENABLE TRIGGER fill_habit_records_user_id")
