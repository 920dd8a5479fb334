"""The Phase 2 gate (issue #20 point 2) and the revisions that require it: each line of `make gate`
fails on its own cause (a queued legacy write, a sync failure, a stranded row, a corrupted record)
and passes when clean; an upgrade through a revision declaring GATE is refused with the failing
lines and leaves alembic_version where it was; `-x gate=skip` applies it on a throwaway database
and is recorded in the version history, and is refused (exit 2, one line) on any other.

The upgrade tests hand migrate a ScriptDirectory whose 0025 declares GATE = "phase2" (the real
revision's code, only the constant added), so the mechanism is tested below Phase 2's real gated
revisions (0027-0030, tried in tests/test_rls_stages.py)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import psycopg2
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from helpers import REPO_ROOT, current_revision, drain, insert, run_in_process, starts_at
from legacy_cases import U1, U2, habit
from scripts.commands import migrate
from scripts.db.errors import UsageError

BEFORE = "0024_quarantine_decisions"
GATED = "0025_policies_own_children"
CHECKS = ["drift clean", "nothing stranded", "queue drained", "no sync failures"]


@pytest.fixture
@starts_at(BEFORE)
def clean(db):
    """At 0024: two users, one legacy row each, drained; pg_cron's drain unscheduled (the tests
    queue writes and must find them queued)."""
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
        cur.execute("SELECT cron.unschedule('drain-sync-queue')")
    ids = [insert(db, child="현우", start="2025-07-21", habits=[habit("독서", ["green", "", "red", "", "", "", ""])]),
           insert(db, child="도윤", start="2025-09-01", user=U2, habits=[habit("독서", ["", "yellow", "", "", "", "", ""])])]
    return ids


def gate(database_url, *args):
    return run_in_process("scripts.commands.gate", *args, database_url=database_url)


def statuses(database_url) -> dict[str, str]:
    result = gate(database_url, "--json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert [c["check"] for c in report["checks"]] == CHECKS
    assert report["ok"] == (result.returncode == 0)
    return {c["check"]: (c["status"], c["detail"]) for c in report["checks"]}


def failing(database_url) -> dict[str, str]:
    return {check: detail for check, (status, detail) in statuses(database_url).items() if status == "FAIL"}


def test_clean_database_passes_every_line(clean, database_url):
    result = gate(database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "PASS drift clean: no drift in 2 legacy rows (2 weeks compared, incremental)",
        "PASS nothing stranded: 0 filled days stranded, 0 unaccounted (3 placed, 0 in conflicts, 0 in discarded rows)",
        "PASS queue drained: 0 legacy writes queued",
        "PASS no sync failures: 0 legacy rows in migration.sync_failures",
        "gate phase2: 4/4 checks passed",
    ]


def test_a_queued_write_fails_queue_drained_only(clean, database_url, db):
    insert(db, child="서연", start="2025-07-21", then_drain=False)
    found = failing(database_url)
    assert list(found) == ["queue drained"]
    assert found["queue drained"].startswith("1 legacy writes queued, the oldest ")
    assert found["queue drained"].endswith(" s ago (make sync-drain)")
    text = gate(database_url)
    assert text.returncode == 1
    assert [line.split(":")[0] for line in text.stdout.splitlines()] == [
        "PASS drift clean", "PASS nothing stranded", "FAIL queue drained", "PASS no sync failures"]
    assert text.stderr.strip() == "gate: FAILED: gate phase2: 1 of 4 checks failed: queue drained"


def test_a_sync_failure_fails_no_sync_failures_and_is_drift(clean, database_url, db):
    """The drift check reports a sync failure too (SYNC_FAILED): the row's new side is stale."""
    with db.cursor() as cur:
        cur.execute("INSERT INTO migration.sync_failures (legacy_id, operation, sqlstate, message) "
                    "VALUES (%s, 'UPDATE', '23514', 'check violation')", (clean[1],))
    assert failing(database_url) == {
        "drift clean": f"1 drift findings (SYNC_FAILED 1, legacy rows {clean[1]}; make drift)",
        "no sync failures": f"1 legacy rows failed to sync, ids {clean[1]} (migration.sync_failures; make resync)"}


def test_a_stranded_row_fails_nothing_stranded_only(clean, database_url, db):
    insert(db, child="현우", start="2025-07-22", user=None,
           habits=[habit("독서", ["", "green", "", "", "", "", "yellow"])])
    assert failing(database_url) == {
        "nothing stranded": "2 filled days stranded in 1 unresolved quarantined rows (make quarantine)"}


def test_a_corrupted_record_is_drift_and_a_day_unaccounted(clean, database_url, db):
    """A record changed behind the mapping's back: drift, and its filled day is no longer where
    the accounts expect it (unaccounted), so both lines fail, naming the row."""
    with db.cursor() as cur:
        cur.execute("UPDATE habit_records SET status = 'red' WHERE status = 'yellow'")
        assert cur.rowcount == 1
    found = failing(database_url)
    assert list(found) == ["drift clean", "nothing stranded"]
    assert found["drift clean"].startswith("1 drift findings (")
    assert found["drift clean"].endswith(f"legacy rows {clean[1]}; make drift)")
    assert found["nothing stranded"] == f"1 filled days unaccounted for, of legacy rows {clean[1]} (make drift; make resync)"


def test_a_corrupted_week_field_is_drift_only(clean, database_url, db):
    with db.cursor() as cur:
        cur.execute("UPDATE weeks SET theme = 'changed' WHERE week_start_date = '2025-09-01'")
        assert cur.rowcount == 1
    found = failing(database_url)
    assert list(found) == ["drift clean"]
    assert found["drift clean"].endswith(f"legacy rows {clean[1]}; make drift)")


def test_no_database_is_exit_2():
    result = gate(None)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("gate: error: DATABASE_URL is not set")


# --- revisions that declare GATE --------------------------------------------------------------

class GatedScripts:
    """The repository's ScriptDirectory, with GATE declared on the given revisions."""

    def __init__(self, gated: dict[str, str]):
        self.real = ScriptDirectory.from_config(Config(str(REPO_ROOT / "alembic.ini")))
        self.gated = gated

    def iterate_revisions(self, upper, lower):
        for script in self.real.iterate_revisions(upper, lower):
            if script.revision in self.gated:
                module = SimpleNamespace(**vars(script.module), GATE=self.gated[script.revision])
                yield SimpleNamespace(revision=script.revision, down_revision=script.down_revision, module=module)
            else:
                yield script


def gated_migrate(database_url, *args, gated=None):
    def main(argv):
        return migrate.main(argv, script=GatedScripts({GATED: "phase2"} if gated is None else gated))

    main.__module__ = migrate.__name__
    return run_in_process("scripts.commands.migrate", *args, database_url=database_url, entry=main)


def at(database_url) -> str:
    conn = psycopg2.connect(database_url)
    try:
        return current_revision(conn)
    finally:
        conn.close()


def history(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("SELECT revision, direction, note FROM alembic.alembic_version_history ORDER BY id DESC LIMIT 1")
        return cur.fetchall()


def test_declared_gates_reads_each_revisions_constant():
    revisions = [SimpleNamespace(revision="b", module=SimpleNamespace(GATE="phase2")),
                 SimpleNamespace(revision="a", module=SimpleNamespace()),
                 SimpleNamespace(revision="c", module=SimpleNamespace(GATE="phase2"))]
    assert migrate.declared_gates(revisions) == {"phase2": ["b", "c"]}
    with pytest.raises(UsageError, match="revision x declares GATE = 'phase_2', which is not a gate"):
        migrate.declared_gates([SimpleNamespace(revision="x", module=SimpleNamespace(GATE="phase_2"))])
    # Every revision of the repository that declares a gate names one that exists.
    script = ScriptDirectory.from_config(Config(str(REPO_ROOT / "alembic.ini")))
    migrate.declared_gates(script.walk_revisions())


def test_upgrade_through_a_gated_revision_is_refused_while_the_gate_fails(clean, database_url, db):
    insert(db, child="서연", start="2025-07-21", then_drain=False)
    result = gated_migrate(database_url, "upgrade", GATED)
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("INFO  [alembic")]
    assert len(lines) == 2 and "Traceback" not in result.stderr
    assert lines[0].startswith("FAIL queue drained: 1 legacy writes queued, the oldest ")
    assert lines[1] == (f"migrate: FAILED: gate phase2 of {GATED} failed (1 checks: queue drained); "
                        f"{GATED} not applied, the database stays at {BEFORE}")
    assert at(database_url) == BEFORE
    assert history(db)[0][:2] == (BEFORE, "upgrade")
    # Drained, the gate passes and the same command applies the revision.
    assert drain(db)[0] == 1
    result = gated_migrate(database_url, "upgrade", GATED)
    assert result.returncode == 0, result.stderr
    assert at(database_url) == GATED
    assert history(db) == [(GATED, "upgrade", None)]


def test_a_range_without_gated_revisions_is_not_gated(clean, database_url, db):
    insert(db, child="서연", start="2025-07-21", then_drain=False)
    result = gated_migrate(database_url, "upgrade", GATED, gated={BEFORE: "phase2"})  # already applied
    assert result.returncode == 0, result.stderr
    assert at(database_url) == GATED


def test_skip_on_a_throwaway_database_applies_and_is_recorded(clean, database_url, db):
    insert(db, child="서연", start="2025-07-21", then_drain=False)
    # A history table from before the note column: the skip adds it.
    db.cursor().execute("ALTER TABLE alembic.alembic_version_history DROP COLUMN note")
    result = gated_migrate(database_url, "upgrade", GATED, "-x", "gate=skip")
    assert result.returncode == 0, result.stderr
    assert at(database_url) == GATED
    [(revision, direction, note)] = history(db)
    assert (revision, direction) == (GATED, "upgrade")
    assert note.startswith("gate phase2 skipped (-x gate=skip): FAIL queue drained: 1 legacy writes queued")
    assert f"migrate: {GATED}: {note}" in result.stderr


def test_skip_elsewhere_is_refused_with_one_line(clean, templates):
    with templates.shared_database("gate_elsewhere", BEFORE) as url:
        result = gated_migrate(url, "upgrade", GATED, "-x", "gate=skip")
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("INFO  [alembic")]
        assert lines == ["migrate: error: -x gate=skip refused: database 'gate_elsewhere' is not a throwaway one "
                         "(habits, habits_test, created by scripts/dev/throwaway_pg.py)"]
        assert at(url) == BEFORE


def test_an_unknown_gate_option_is_a_usage_error(clean, database_url):
    result = gated_migrate(database_url, "upgrade", GATED, "-x", "gate=off")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "migrate: error: -x gate=off: the only value is skip"
    assert at(database_url) == BEFORE
