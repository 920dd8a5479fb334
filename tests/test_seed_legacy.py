"""The legacy test-data generator (scripts/commands/seed_legacy.py): the backup's shapes, determinism,
every dirty case, the command's exit codes, and the scale path."""
from __future__ import annotations

import re

import pytest

from helpers import LEGACY_WRITABLE, run_cli
from scripts.db.errors import UsageError
from scripts.commands.seed_legacy import DIRTY_CASES, seed


def scalar(conn, query, params=None):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def rows(conn, query, params=None):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


# The `YYYY년 M월 D일` label of a date, as the app writes it (no zero padding).
LABEL = """(to_char({d}, 'YYYY"년" FMMM"월" FMDD"일"') || ' ~ ' || to_char({d} + 6, 'YYYY"년" FMMM"월" FMDD"일"'))"""
# The habits of a row as a set of elements; empty when habits is NULL or not an array.
HABITS = "jsonb_array_elements(CASE WHEN jsonb_typeof(t.habits) = 'array' THEN t.habits ELSE '[]' END)"

# For each dirty case, a predicate over a habit_tracker row `t` that is true when the row has
# that defect. None of them holds for a clean row except user_id IS NULL (1 row in 34).
DIRTY_PREDICATES = {
    "habits_null": "t.habits IS NULL",
    "habits_empty": "t.habits = '[]'::JSONB",
    "habits_not_array": "jsonb_typeof(t.habits) = 'object'",
    "times_short": f"EXISTS (SELECT 1 FROM {HABITS} h WHERE jsonb_array_length(h -> 'times') < 7)",
    "times_long": f"""EXISTS (SELECT 1 FROM {HABITS} h, jsonb_array_elements_text(h -> 'times')
                              WITH ORDINALITY s (status, n) WHERE s.n > 7 AND s.status <> '')""",
    "unknown_status": f"""EXISTS (SELECT 1 FROM {HABITS} h, jsonb_array_elements_text(h -> 'times') s (status)
                                  WHERE s.status NOT IN ('', 'green', 'yellow', 'red'))""",
    "duplicate_habit_name": f"(SELECT count(h ->> 'name') <> count(DISTINCT h ->> 'name') FROM {HABITS} h)",
    "empty_habit_name": f"EXISTS (SELECT 1 FROM {HABITS} h WHERE h ->> 'name' = '')",
    "long_habit_name": f"EXISTS (SELECT 1 FROM {HABITS} h WHERE length(h ->> 'name') > 200)",
    "week_start_null": "t.week_start_date IS NULL",
    "period_mismatch": (f"t.week_start_date IS NOT NULL AND t.week_period NOT IN "
                        f"({LABEL.format(d='t.week_start_date')}, {LABEL.format(d='t.week_start_date + 1')})"),
    "user_id_null": "t.user_id IS NULL",
}


def count_where(conn, predicate: str, params=None) -> int:
    return scalar(conn, f"SELECT count(*) FROM habit_tracker t WHERE {predicate}", params)


def content_md5(conn) -> tuple[str, str]:
    """md5 of every legacy row in full (id, timestamps included) and of the users it made."""
    return (
        scalar(conn, "SELECT md5(string_agg(t::TEXT, '|' ORDER BY id)) FROM habit_tracker t"),
        scalar(conn, "SELECT md5(string_agg(u.id::TEXT || ',' || u.email, '|' ORDER BY u.id)) FROM auth.users u"),
    )


def empty_again(conn) -> None:
    """No legacy rows, no users, ids from 1 again (TRUNCATE of habit_tracker is refused since 0020)."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM habit_tracker")
        cur.execute("ALTER SEQUENCE habit_tracker_id_seq RESTART")
        cur.execute("DELETE FROM auth.users")


def test_dirty_cases_are_named_once_each():
    assert len(DIRTY_CASES) == len(set(DIRTY_CASES)) == 12
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", case) for case in DIRTY_CASES)
    assert set(DIRTY_PREDICATES) == set(DIRTY_CASES)


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_34_rows_reproduce_the_backup_shapes(db, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    done = seed(db, 34, seed=1)
    assert (done["rows"], done["children"], done["users"], done["dirty"]) == (34, 6, 1, 0)
    assert scalar(db, "SELECT count(*) FROM habit_tracker") == 34

    # Children: 6, named with 2-4 Hangul characters; one user, and one row without a user.
    assert scalar(db, "SELECT count(DISTINCT child_name) FROM habit_tracker") == 6
    assert count_where(db, "child_name !~ '^[가-힣]{2,4}$'") == 0
    assert scalar(db, "SELECT count(DISTINCT user_id) FROM habit_tracker") == 1
    assert scalar(db, "SELECT count(*) FROM auth.users") == 1
    assert count_where(db, "user_id IS NULL") == 1

    # Storage weekday: Monday 25, Sunday 5, Tuesday 4 (the backup's counts), within tolerance.
    by_day = dict(rows(db, "SELECT EXTRACT(ISODOW FROM week_start_date)::INT, count(*) FROM habit_tracker GROUP BY 1"))
    assert set(by_day) == {1, 2, 7}
    assert 22 <= by_day[1] <= 28 and 3 <= by_day[7] <= 7 and 2 <= by_day[2] <= 6
    # Labels: a Sunday-stored week shows the Monday after it, the others their own date.
    assert count_where(db, f"""week_period <> CASE WHEN EXTRACT(ISODOW FROM week_start_date) = 7
                                                    THEN {LABEL.format(d='week_start_date + 1')}
                                                    ELSE {LABEL.format(d='week_start_date')} END""") == 0
    # Each child's weeks are consecutive (by the Monday each row means).
    gaps = rows(db, """SELECT child_name FROM habit_tracker
                       GROUP BY child_name
                       HAVING max(date_trunc('week', week_start_date + 1)::DATE)
                              - min(date_trunc('week', week_start_date + 1)::DATE) <> 7 * (count(*) - 1)
                           OR count(DISTINCT date_trunc('week', week_start_date + 1)) <> count(*)""")
    assert gaps == []

    # Habits: 4-15 a week, most often 5; ids 1-5 or 13 digits, 15-30% of them 13 digits.
    per_week = [n for (n,) in rows(db, "SELECT jsonb_array_length(habits) FROM habit_tracker")]
    assert min(per_week) >= 4 and max(per_week) <= 15
    assert max(set(per_week), key=per_week.count) == 5
    total, long_ids, odd_ids = rows(db, f"""
        SELECT count(*), count(*) FILTER (WHERE length(h ->> 'id') = 13),
               count(*) FILTER (WHERE NOT ((h ->> 'id')::BIGINT BETWEEN 1 AND 5 OR length(h ->> 'id') = 13))
        FROM habit_tracker t, {HABITS} h""")[0]
    assert 180 <= total <= 240 and odd_ids == 0
    assert 0.15 <= long_ids / total <= 0.30

    # Day slots: exactly 7 per habit; '' 57%, green 37%, yellow 6%, red 0.5% (within tolerance).
    assert scalar(db, f"SELECT count(*) FROM habit_tracker t, {HABITS} h WHERE jsonb_array_length(h -> 'times') <> 7") == 0
    slots = dict(rows(db, f"""SELECT s.status, count(*) FROM habit_tracker t, {HABITS} h,
                                     jsonb_array_elements_text(h -> 'times') s (status) GROUP BY 1"""))
    assert set(slots) == {"", "green", "yellow", "red"}
    share = {status: n / sum(slots.values()) for status, n in slots.items()}
    assert 0.50 <= share[""] <= 0.65 and 0.30 <= share["green"] <= 0.45
    assert 0.03 <= share["yellow"] <= 0.10 and slots["red"] >= 1 and share["red"] <= 0.02

    # Theme NULL or '' in about 22 of 34; the reflection always has exactly the three keys.
    assert 18 <= count_where(db, "coalesce(theme, '') = ''") <= 26
    assert count_where(db, """NOT (reflection ?& ARRAY['bestDay', 'easiestHabit', 'nextWeekGoal']
                                   AND (SELECT count(*) FROM jsonb_object_keys(reflection)) = 3)""") == 0
    assert count_where(db, "reward IS NULL") < 34

    # A clean data set has none of the dirty shapes (beyond its one row without a user).
    for case, predicate in DIRTY_PREDICATES.items():
        assert count_where(db, predicate) == (1 if case == "user_id_null" else 0), case


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_same_seed_same_bytes_other_seed_other_bytes(db, migrate, database_url):
    migrate("upgrade", LEGACY_WRITABLE)
    seed(db, 34, seed=1, dirty_share=0.3)
    first = content_md5(db)

    # The same arguments through the command, on the emptied table: the same bytes.
    empty_again(db)
    result = run_cli("scripts.commands.seed_legacy", "--rows", "34", "--seed", "1", "--dirty-share", "0.3",
                     database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert content_md5(db) == first

    empty_again(db)
    seed(db, 34, seed=2, dirty_share=0.3)
    second = content_md5(db)
    assert second[0] != first[0] and second[1] != first[1]


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_every_dirty_case_occurs_with_its_shape(db, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    n = 2 * len(DIRTY_CASES)
    done = seed(db, n, seed=7, dirty_share=1.0)
    assert done["dirty"] == n and done["rows"] == n
    assert done["dirty_cases"] == {case: 2 for case in DIRTY_CASES}
    assert scalar(db, "SELECT count(*) FROM habit_tracker") == n
    for case, predicate in DIRTY_PREDICATES.items():
        assert count_where(db, predicate) >= 1, case
    # Each dirty row shows the defect it was given.
    for child_name, week_period, case in done["dirty_rows"]:
        where = f"t.child_name = %s AND t.week_period = %s AND {DIRTY_PREDICATES[case]}"
        assert count_where(db, where, (child_name, week_period)) == 1, case
    # The over-long name is 250 characters; the short and long times 5 and 8 entries.
    assert scalar(db, f"SELECT max(length(h ->> 'name')) FROM habit_tracker t, {HABITS} h") == 250
    lengths = {n for (n,) in rows(db, f"SELECT DISTINCT jsonb_array_length(h -> 'times') FROM habit_tracker t, {HABITS} h")}
    assert lengths == {5, 7, 8}


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_dirty_rows_leave_the_clean_rows_as_they_were(db, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    done = seed(db, 340, seed=3, dirty_share=0.1)
    assert done["dirty"] == 34
    dirty_ids = [scalar(db, "SELECT id FROM habit_tracker WHERE child_name = %s AND week_period = %s", key[:2])
                 for key in done["dirty_rows"]]
    query = "SELECT t::TEXT FROM habit_tracker t WHERE id <> ALL (%s) ORDER BY id"
    with_dirt = rows(db, query, (dirty_ids,))
    empty_again(db)
    seed(db, 340, seed=3)
    assert rows(db, query, (dirty_ids,)) == with_dirt and len(with_dirt) == 340 - 34


def test_command_rejects_bad_arguments_in_one_line(database_url):
    for args, fragment in ((("--rows", "-1"), "--rows"), (("--rows", "10", "--dirty-share", "1.5"), "--dirty-share"),
                           (("--rows", "ten"), "--rows"), ((), "--rows"), (("--rows", "5", "--users", "0"), "--users")):
        result = run_cli("scripts.commands.seed_legacy", *args, database_url=database_url)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr and fragment in result.stderr
        assert result.stdout == ""


def test_command_before_upgrade_or_on_a_full_table_is_a_usage_error(db, migrate, database_url):
    result = run_cli("scripts.commands.seed_legacy", "--rows", "5", database_url=database_url)
    assert result.returncode == 2 and "habit_tracker does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr

    migrate("upgrade", LEGACY_WRITABLE)
    result = run_cli("scripts.commands.seed_legacy", "--rows", "34", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["seeded 34 legacy rows (6 children, 1 users, 0 dirty) with seed 1"]
    assert result.stderr == ""

    again = run_cli("scripts.commands.seed_legacy", "--rows", "34", database_url=database_url)
    assert again.returncode == 2 and "already holds 34 rows" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "Traceback" not in again.stderr
    assert scalar(db, "SELECT count(*) FROM habit_tracker") == 34


def test_seed_function_rejects_bad_arguments(db):
    with pytest.raises(UsageError):
        seed(db, -1)
    with pytest.raises(UsageError):
        seed(db, 10, dirty_share=-0.1)


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_2000_rows_scale_to_many_users_and_children(db, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    done = seed(db, 2000, seed=5, dirty_share=0.05)
    assert done["rows"] == 2000 and done["dirty"] == 100
    assert scalar(db, "SELECT count(*) FROM habit_tracker") == 2000
    children = scalar(db, "SELECT count(DISTINCT child_name) FROM habit_tracker")
    users = scalar(db, "SELECT count(DISTINCT user_id) FROM habit_tracker")
    assert children == done["children"] and 300 <= children <= 400  # about 6 children per 34 rows
    assert users == done["users"] == scalar(db, "SELECT count(*) FROM auth.users")
    assert 50 <= users <= 70  # about 6 children per user
    assert max(n for (n,) in rows(db, """SELECT count(DISTINCT child_name) FROM habit_tracker
                                          WHERE user_id IS NOT NULL GROUP BY user_id""")) <= 7
    assert count_where(db, "child_name !~ '^[가-힣]{2,4}$'") == 0
