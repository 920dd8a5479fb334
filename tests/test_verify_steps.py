"""The verify step of every revision (migrations/verify/<revision>.py), run by `make verify`.

Every revision of the list has one; at base every absent side passes; walking up one revision
at a time, the database passes `verify --target current` at each; and at each revision, one
deliberate damage of each kind of object (a table, a column, an index, a policy, a
constraint's validation, a cron job, a trigger, a view, a function's SET clause, a function
body, a grant), or an object of a later revision made too early, fails exactly the line
whose revision declared it. Damage runs in a transaction rolled back after verify has read it.
"""
from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import psycopg2
import pytest
from alembic.script import ScriptDirectory

from helpers import failing_here, needs_pg_cron, run_cli
from migrations import verify as steps
from scripts.commands.migrate import alembic_config
from scripts.commands.verify import revision_list, run_checks

REVISIONS = revision_list(ScriptDirectory.from_config(alembic_config()))
VERIFY_DIR = Path(steps.__file__).parent


def redo_drain_without_its_locks(cur) -> None:
    """migration.drain_sync_queue() as 0013 had it in spirit: its body no longer locks the children."""
    cur.execute("SELECT pg_get_functiondef('migration.drain_sync_queue(integer)'::REGPROCEDURE)")
    cur.execute(cur.fetchone()[0].replace("migration.lock_legacy_children(", "migration.not_locking("))


def redo_row_sync_without_its_locks(cur) -> None:
    """migration.sync_legacy_row() without 0022's retry handler: it no longer locks again."""
    cur.execute("SELECT pg_get_functiondef('migration.sync_legacy_row(bigint, text, uuid)'::REGPROCEDURE)")
    cur.execute(cur.fetchone()[0].replace("'MGLCK'", "'MGNOT'"))


def redo_row_sync_locking_too_early(cur) -> None:
    """0022's change, too early: migration.sync_legacy_row() with its retry handler."""
    cur.execute("SELECT pg_get_functiondef('migration.sync_legacy_row(bigint, text, uuid)'::REGPROCEDURE)")
    cur.execute(cur.fetchone()[0].replace(
        "    SET CONSTRAINTS", "    BEGIN NULL; EXCEPTION WHEN SQLSTATE 'MGLCK' THEN NULL; END;\n    SET CONSTRAINTS", 1))


def lose_a_placed_day(cur) -> None:
    """A legacy row synced into the new tables, then its record deleted from habit_records
    behind the mapping's back (its write no longer queued: not in flight either)."""
    cur.execute("INSERT INTO auth.users (id) VALUES (gen_random_uuid()) RETURNING id")
    cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                   VALUES ('민준', 'w1', '2025-07-22', '[{"name": "독서", "times": ["green"]}]', %s) RETURNING id""",
                (cur.fetchone()[0],))
    legacy_id = cur.fetchone()[0]
    cur.execute("SELECT migration.sync_legacy_ids(ARRAY[%s::BIGINT], 'migration')", (legacy_id,))
    cur.execute("DELETE FROM migration.sync_queue WHERE legacy_id = %s", (legacy_id,))
    cur.execute("DELETE FROM habit_records")


# revision -> (damage at that revision, the lines it must fail). A damage is SQL, or a function
# of a cursor. Those that add a later revision's object test that revision's absent side.
DAMAGE = {
    "0001_legacy_baseline": [("ALTER TABLE habit_tracker RENAME TO habit_tracker_renamed", {"tables"})],
    "0002_shadow_tables": [("ALTER TABLE notifications DROP COLUMN source_version", {"source_version"})],
    "0003_shadow_indexes": [("DROP INDEX idx_weeks_user_date", {"indexes"})],
    "0004_shadow_rls_policies": [
        ("DROP POLICY children_select_policy ON children", {"rls policies"}),
        # 0005 not applied: its constraints must still be NOT VALID.
        ("ALTER TABLE weeks VALIDATE CONSTRAINT ck_weeks_start_monday", {"constraint validation"}),
    ],
    "0005_validate_phase0_constraints": [
        ("ALTER TABLE weeks DROP CONSTRAINT ck_weeks_start_monday; ALTER TABLE weeks ADD CONSTRAINT "
         "ck_weeks_start_monday CHECK (extract(DOW FROM week_start_date) = 1) NOT VALID", {"constraint validation"}),
    ],
    "0007_idempotency_log": [("ALTER TABLE idempotency_log DISABLE ROW LEVEL SECURITY", {"idempotency_log"})],
    "0009_dual_write_trigger_phase0": [
        ("ALTER TABLE habit_tracker DISABLE TRIGGER trigger_habit_tracker_dual_write", {"dual-write trigger"}),
    ],
    "0010_legacy_mapping": [
        ("ALTER VIEW migration.expected_records RENAME TO expected_records_renamed", {"legacy mapping"}),
        ("CREATE TABLE migration.sync_state (legacy_id BIGINT)", {"legacy mapping"}),  # 0011's, too early
    ],
    "0012_dual_write_trigger_sync": [("DROP TABLE migration.sync_failures", {"dual-write trigger"})],
    "0014_idempotency_key_per_user": [
        ("ALTER TABLE idempotency_log ADD CONSTRAINT idempotency_log_key_key UNIQUE (key)", {"idempotency_log"}),
        # 0015's form of a parent-week policy, too early.
        ("ALTER POLICY habits_select_policy ON habits USING "
         "(week_id = ANY (ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))))",
         {"rls policies"}),
    ],
    "0015_rls_planner_friendly": [
        ("ALTER POLICY habits_select_policy ON habits USING "
         "(EXISTS (SELECT 1 FROM weeks WHERE weeks.id = habits.week_id AND weeks.user_id = auth.uid()))",
         {"rls policies"}),
    ],
    "0016_lighter_row_sync": [  # 0017's setting, too early
        ("ALTER FUNCTION migration.sync_legacy_row(BIGINT, TEXT, UUID) SET plan_cache_mode = force_generic_plan",
         {"legacy mapping"}),
    ],
    "0017_row_sync_generic_plans": [
        ("ALTER FUNCTION migration.sync_legacy_row(BIGINT, TEXT, UUID) RESET plan_cache_mode", {"legacy mapping"}),
    ],
    "0018_dual_write_functions": [
        ("GRANT EXECUTE ON FUNCTION migration.dual_write(UUID, TEXT, TEXT, JSONB) TO authenticated",
         {"dual-write functions", "privileges"}),
    ],
    "0019_api_privileges": [("GRANT SELECT ON weeks TO anon", {"privileges"})],
    "0020_legacy_truncate_guard": [
        ("ALTER TABLE habit_tracker DISABLE TRIGGER trigger_habit_tracker_refuse_truncate", {"truncate guard"}),
    ],
    "0021_drain_locks_before_reading": [
        (redo_drain_without_its_locks, {"child locks"}),
        (redo_row_sync_locking_too_early, {"child locks"}),  # 0022's, too early
    ],
    "0022_row_sync_locks_first": [(redo_row_sync_without_its_locks, {"child locks"})],
    "0023_place_days_by_date": [  # 0024's, too early
        ("CREATE TABLE migration.quarantine_decisions (id BIGINT)", {"quarantine decisions"}),
    ],
    "0024_quarantine_decisions": [
        ("DROP FUNCTION migration.undo_quarantine_decision(BIGINT, TEXT)", {"quarantine decisions"}),
        (lose_a_placed_day, {"filled days"}),
    ],
}


# The cron jobs' damage, where the server has pg_cron (test_a_cron_job_unscheduled_fails_its_line).
CRON_DAMAGE = {
    "0008_idempotency_cleanup": ("SELECT cron.unschedule('cleanup-idempotency-log')", {"idempotency cleanup"}),
    "0013_dual_write_sync_queue": ("SELECT cron.unschedule('drain-sync-queue')", {"dual-write trigger"}),
}


def failing(results) -> set[str]:
    return {r.check for r in results if r.status == "FAIL"}


def test_every_revision_has_a_verify_step_and_every_step_a_revision():
    modules = sorted(p.stem for p in VERIFY_DIR.glob("*.py") if p.stem != "__init__")
    assert modules == sorted(REVISIONS)
    introduced: set[str] = set()
    for revision in REVISIONS:
        module = steps.load(revision)
        assert module.CHECKS, revision
        for check in module.CHECKS:
            assert isinstance(check, steps.Check), (revision, check)
            if check.name not in introduced:  # the revision introducing a line says what holds before it
                assert check.absent is not None, (revision, check.name)
                introduced.add(check.name)


def test_a_later_revision_extends_or_replaces_a_named_check(monkeypatch):
    """The mechanism itself, on three made-up revisions: x1 creates a line, x2 extends it, x3
    replaces it."""
    def side(label):
        return lambda db: (True, label)

    for name, checks in {
        "x1": (steps.Check("thing", present=side("x1 present"), absent=side("x1 absent")),),
        "x2": (steps.Check("thing", present=side("x2 present"), absent=side("x2 absent")),),
        "x3": (steps.Check("thing", present=side("x3 present"), absent=side("x3 absent"), replaces=True),),
    }.items():
        module = ModuleType(steps.module_name(name))
        module.CHECKS = checks
        monkeypatch.setitem(sys.modules, module.__name__, module)

    def parts(applied):
        (line,) = steps.lines(["x1", "x2", "x3"], set(applied))
        return [part.run(None)[1] for part in line.parts]

    assert parts([]) == ["x1 absent", "x2 absent", "x3 absent"]
    assert parts(["x1"]) == ["x1 present", "x2 absent", "x3 absent"]
    assert parts(["x1", "x2"]) == ["x1 present", "x2 present", "x3 absent"]
    assert parts(["x1", "x2", "x3"]) == ["x3 present"]


def test_at_base_every_absent_side_passes(db, database_url):
    assert all(not part.applied for line in steps.lines(REVISIONS, set()) for part in line.parts)
    results = run_checks(db, "current")
    assert failing(results) == set(), [f"{r.status}  {r.check}: {r.detail}" for r in results]
    # The command itself, once: every line printed, exit 0.
    verify = run_cli("scripts.commands.verify", "--target", "current", database_url=database_url)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"{len(results)}/{len(results)} checks passed" in verify.stdout


def test_walking_up_each_revision_verifies_and_catches_its_damage(db, database_url, migrate):
    damaged = psycopg2.connect(database_url)  # in a transaction, rolled back after each damage
    try:
        for revision in REVISIONS:
            migrate("upgrade", revision)
            results = run_checks(db, "current")
            assert failing_here(db, results) == set(), (revision, [f"{r.status}  {r.check}: {r.detail}" for r in results])
            for damage, expected in DAMAGE.get(revision, ()):
                with damaged.cursor() as cur:
                    if callable(damage):
                        damage(cur)
                    else:
                        cur.execute(damage)
                try:
                    results = run_checks(damaged, "current")
                    failed = failing_here(damaged, results)
                finally:
                    damaged.rollback()
                assert failed == expected, (revision, damage, [
                    f"{r.status}  {r.check}: {r.detail}" for r in results if r.status == "FAIL"])
    finally:
        damaged.close()


@needs_pg_cron
@pytest.mark.parametrize("revision", [pytest.param(rev, marks=pytest.mark.start_at(rev)) for rev in CRON_DAMAGE])
def test_a_cron_job_unscheduled_fails_its_line(db, revision):
    damage, expected = CRON_DAMAGE[revision]
    assert failing(run_checks(db, "current")) == set()
    with db.cursor() as cur:
        cur.execute(damage)
    assert failing(run_checks(db, "current")) == expected
