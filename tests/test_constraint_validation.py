"""Validation revisions 0005/0006: preflight names the offending rows, a failing constraint
stops the upgrade with one line, earlier validations stay, and the same upgrade succeeds once
the data is fixed."""
from __future__ import annotations

import pytest

import json

from helpers import add_user, add_week, assert_verify_passed_here, current_revision, run_cli


def validated(conn) -> dict[str, bool]:
    with conn.cursor() as cur:
        cur.execute("""SELECT conname, convalidated FROM pg_constraint
                       WHERE connamespace = 'public'::regnamespace AND contype IN ('c', 'f')""")
        return dict(cur.fetchall())




def make_dirty(db, migrate):
    migrate("upgrade", "0004_shadow_rls_policies")
    user_id = add_user(db)
    add_week(db, user_id)  # a clean week
    with db.cursor() as cur:
        # Rows older than the constraint: drop it, write the bad row, add it back NOT VALID.
        cur.execute("ALTER TABLE weeks DROP CONSTRAINT ck_weeks_start_monday")
        bad_week = add_week(db, user_id, start="2025-07-20", child_name="서연")
        cur.execute("ALTER TABLE weeks ADD CONSTRAINT ck_weeks_start_monday "
                    "CHECK (extract(DOW FROM week_start_date) = 1) NOT VALID")
    return bad_week


@pytest.mark.start_at("0004_shadow_rls_policies")
def test_preflight_lists_offending_rows_and_fails(db, migrate, database_url):
    bad_week = make_dirty(db, migrate)
    result = run_cli("scripts.commands.preflight", database_url=database_url)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failing = [line for line in lines if line.startswith("FAIL")]
    assert failing == [f"FAIL  weeks.ck_weeks_start_monday (CHECK): 1 offending rows; first ids: {bad_week}"]
    assert sum(line.startswith("OK") for line in lines) == 22
    assert "ck_weeks_start_monday" in result.stderr and "Traceback" not in result.stderr

    as_json = json.loads(run_cli("scripts.commands.preflight", "--json", database_url=database_url).stdout)
    assert [(c["constraint"], c["offending_rows"], c["first_ids"]) for c in as_json if c["offending_rows"]] == [
        ("ck_weeks_start_monday", 1, [str(bad_week)])]


@pytest.mark.start_at("0004_shadow_rls_policies")
def test_failing_validation_stops_keeps_earlier_ones_and_resumes_once_fixed(db, migrate, database_url):
    bad_week = make_dirty(db, migrate)

    result = migrate("upgrade", "head", check=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("INFO")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert "ck_weeks_start_monday" in errors[0] and "1 offending rows" in errors[0] and str(bad_week) in errors[0]

    state = validated(db)
    # 0005 validates in this order; the six before the failing check stay validated.
    for name in ("fk_children_user_id", "fk_weeks_user_id", "fk_weeks_child_id", "fk_habits_week_id",
                 "fk_habit_records_habit_id", "ck_children_name_length", "ck_weeks_date_range"):
        assert state[name] is True, name
    assert state["ck_weeks_start_monday"] is False
    assert state["ck_habit_records_status"] is False
    assert current_revision(db) == "0004_shadow_rls_policies"

    with db.cursor() as cur:  # the fix a DBA would make: move the week to its Monday
        cur.execute("UPDATE weeks SET week_start_date = week_start_date + 1, week_end_date = week_end_date + 1 "
                    "WHERE id = %s", (bad_week,))
    assert run_cli("scripts.commands.preflight", database_url=database_url).returncode == 0
    migrate("upgrade", "head")
    assert set(validated(db).values()) == {True}
    assert_verify_passed_here(run_cli("scripts.commands.verify", database_url=database_url), database_url)


@pytest.mark.start_at("0005_validate_phase0_constraints")
def test_validation_state_per_revision(db, migrate):
    migrate("upgrade", "0005_validate_phase0_constraints")
    state = validated(db)
    assert sum(state.values()) == 1 + 9  # the legacy FK, and the nine of the plan
    migrate("upgrade", "0006_validate_other_constraints")
    assert set(validated(db).values()) == {True}
    migrate("downgrade", "0004_shadow_rls_policies")
    state = validated(db)
    assert [name for name, valid in state.items() if valid] == ["fk_habit_tracker_user_id"]
