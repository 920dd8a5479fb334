"""`make legacy-readers` (issue #20 point 5): a reader of habit_tracker running during the window
(the original team's forgotten screens: role authenticated with a user's claims, a SELECT and a
DELETE) is named with its role and statements and makes the exit code 1; an idle window names
nothing (exit 0); without pg_stat_statements the table counts alone still catch it, and the
output says so. Every session that touches the table here calls pg_stat_force_next_flush()
after its work, so that its counts are in the statistics views before the window closes (a
backend otherwise flushes them up to 10 s later)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg2
import pytest

from helpers import REPO_ROOT, insert, run_in_process, scalar
from legacy_cases import U1, U2

WINDOW = "4"


@pytest.fixture
def legacy(synced):
    """At head: U1 and U2 with a synced legacy week each; pg_cron's drain unscheduled (synced);
    this session's counts flushed before any window opens."""
    ids = [insert(synced, user=U1), insert(synced, child="서연", user=U2)]
    with synced.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")
    return ids


def watch(database_url, *args):
    """The command as the DBA runs it, started; returns once its first snapshot is taken (it says
    so on stderr)."""
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "DATABASE_URL": database_url}
    process = subprocess.Popen([sys.executable, "-m", "scripts.commands.legacy_readers", "--seconds", WINDOW, *args],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = process.stderr.readline()
    assert started.startswith("legacy-readers: watching public.habit_tracker for 4 s"), started + process.stderr.read()
    return process, started


def forgotten_screen(database_url, user: str, legacy_id: int) -> None:
    """What the app's legacy screens did after the switch: read habit_tracker, and delete a row,
    as PostgREST runs a request (role authenticated, the user's claims)."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("SET LOCAL ROLE authenticated")
            cur.execute("SELECT set_config('request.jwt.claims', %s, TRUE)", (json.dumps({"sub": user, "role": "authenticated"}),))
            cur.execute("SELECT id, child_name, habits FROM habit_tracker WHERE user_id = %s", (user,))
            assert len(cur.fetchall()) == 1
            cur.execute("DELETE FROM habit_tracker WHERE id = %s", (legacy_id,))
            assert cur.rowcount == 1
            cur.execute("COMMIT")
            cur.execute("SELECT pg_stat_force_next_flush()")
    finally:
        conn.close()


def test_a_reader_during_the_window_is_named(database_url, legacy):
    process, _ = watch(database_url, "--json")
    forgotten_screen(database_url, U1, legacy[0])
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    seen = json.loads(out)
    assert (seen["seen"], seen["read"], seen["written"]) == (True, True, True)
    assert seen["table_counters"]["n_tup_del"] == 1
    assert seen["table_counters"]["n_tup_ins"] == seen["table_counters"]["n_tup_upd"] == 0
    assert seen["table_counters"]["seq_scan"] + seen["table_counters"]["idx_scan"] >= 2
    assert seen["statements_source"] == "extensions"
    named = {(s["role"], s["app"], s["command"], s["access"], s["calls"], s["rows"], s["query"]) for s in seen["statements"]}
    assert named == {
        ("authenticated", True, "SELECT", "read", 1, 1, "SELECT id, child_name, habits FROM habit_tracker WHERE user_id = $1"),
        ("authenticated", True, "DELETE", "write", 1, 1, "DELETE FROM habit_tracker WHERE id = $1"),
    }
    assert seen["hidden_calls"] == 0


def test_the_text_report_names_the_role_and_each_statement(database_url, legacy):
    process, _ = watch(database_url)
    forgotten_screen(database_url, U2, legacy[1])
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    lines = out.splitlines()
    assert lines[0].startswith("watched public.habit_tracker for 4.")
    # how many scans of which kind is the planner's choice; the rows written are not
    assert lines[1].startswith("table: ") and lines[1].endswith("; 0 rows inserted, 0 updated, 1 deleted"), lines
    assert lines[2] == "statements: extensions.pg_stat_statements"
    assert sorted(lines[3:]) == [
        "  authenticated (app) read SELECT: 1 calls, 1 rows: SELECT id, child_name, habits FROM habit_tracker WHERE user_id = $1",
        "  authenticated (app) write DELETE: 1 calls, 1 rows: DELETE FROM habit_tracker WHERE id = $1",
    ]
    assert err.strip().splitlines()[-1] == ("legacy_readers: FAILED: public.habit_tracker was read or written in the "
                                            "window: 2 statements by authenticated")


def test_an_idle_window_names_nothing(database_url, legacy):
    process, _ = watch(database_url, "--json")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    seen = json.loads(out)
    assert (seen["seen"], seen["statements"], seen["hidden_calls"]) == (False, [], 0)
    assert set(seen["table_counters"].values()) == {0}
    text = run_in_process("scripts.commands.legacy_readers", "--seconds", "1", database_url=database_url)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[-1] == "nothing read or wrote public.habit_tracker in the window"


def test_without_pg_stat_statements_the_table_counts_still_catch_it(database_url, admin_url, legacy):
    # A project without the extension: only the platform's superuser could drop it (it owns it).
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    try:
        admin.cursor().execute("DROP EXTENSION pg_stat_statements")
    finally:
        admin.close()
    process, started = watch(database_url, "--json")
    assert "pg_stat_statements is not installed here: table counts only" in started
    forgotten_screen(database_url, U1, legacy[0])
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    seen = json.loads(out)
    assert (seen["seen"], seen["statements"], seen["statements_source"]) == (True, None, None)
    assert seen["statements_note"] == "pg_stat_statements is not installed here: table counts only, no statement or role named"
    assert seen["table_counters"]["n_tup_del"] == 1


def test_the_login_role_may_read_every_roles_statements(db):
    """The stand-in grants postgres pg_read_all_stats (SUPABASE_FACTS says nothing either way):
    without it every other role's statement text reads `<insufficient privilege>`."""
    assert scalar(db, "SELECT pg_has_role('postgres', 'pg_read_all_stats', 'USAGE')") is True
    assert scalar(db, "SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'") is False


@pytest.mark.parametrize("value", ["0", "abc", "-5", "1.5", "86401"])
def test_a_bad_window_is_one_line_and_exit_2(database_url, value):
    result = run_in_process("scripts.commands.legacy_readers", "--seconds", value, database_url=database_url)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"legacy_readers: error: SECONDS must be an integer from 1 to 86400, got {value!r}"]
