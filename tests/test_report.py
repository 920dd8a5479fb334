"""`make report`: the Markdown status report says what the database holds, at any revision; and
env.py records every step it applies (alembic.alembic_version_history)."""
from __future__ import annotations

import json
import re

import pytest
from alembic.script import ScriptDirectory

from helpers import (LEGACY_WRITABLE, assert_verify_passed_here, current_revision, run_cli, run_in_process, scalar, starts_at)
from scripts.commands.migrate import alembic_config
from scripts.commands.seed_legacy import seed
from scripts.commands.verify import NEW_TABLES
from scripts.db.legacy_table import RENAME_REVISION

SEEDED_ROWS = 40
TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d"


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def report(database_url, *args) -> str:
    result = run_cli("scripts.commands.report", *args, database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def section(text: str, title: str) -> list[str]:
    """The non-empty lines of the section `## title` (up to the next `## `)."""
    lines = text.splitlines()
    start = lines.index(f"## {title}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start:end] if line.strip()]


def rows(lines: list[str]) -> list[list[str]]:
    """The body rows of the first Markdown table in `lines`, as cells."""
    table = [line for line in lines if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in table[2:]]


def history_table(text: str) -> dict[str, tuple[str, str]]:
    body = section(text, "Migration history")
    first_table = body[:body.index("### Recorded steps")]
    return {revision.strip("`"): (applied, when) for _, revision, _, applied, when in rows(first_table)}


def recorded_steps(db) -> list[tuple[str, str]]:
    with db.cursor() as cur:
        cur.execute("SELECT revision, direction FROM alembic.alembic_version_history ORDER BY id")
        return cur.fetchall()


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def backfilled(db, migrate, database_url):
    """At head, SEEDED_ROWS generated legacy rows (some dirty) backfilled, and two templates
    written by hand (source_version default 'new_schema', and NULL)."""
    migrate("upgrade", LEGACY_WRITABLE)
    seed(db, SEEDED_ROWS, seed=3, dirty_share=0.1)
    result = run_in_process("scripts.commands.backfill", "--batch", "7", database_url=database_url)
    assert result.returncode == 0, result.stderr
    with db.cursor() as cur:
        cur.execute("""INSERT INTO habit_templates (user_id, name, habits)
                       SELECT user_id, '기본', '[]' FROM children ORDER BY id LIMIT 1""")
        cur.execute("""INSERT INTO habit_templates (user_id, name, habits, source_version)
                       SELECT user_id, '주말', '[]', NULL FROM children ORDER BY id LIMIT 1""")
    return db


def expected_counts(db) -> dict[str, tuple[int, dict[str, int] | None]]:
    expected = {"habit_tracker": (scalar(db, "SELECT count(*) FROM habit_tracker"), None)}
    for table in NEW_TABLES:
        with db.cursor() as cur:
            cur.execute(f"SELECT coalesce(source_version, '(null)'), count(*) FROM {table} GROUP BY 1")
            by_version = dict(cur.fetchall())
        expected[table] = (sum(by_version.values()), by_version)
    return expected


def parsed_counts(text: str) -> dict[str, tuple[int, dict[str, int] | None]]:
    counts = {}
    for table, total, per in rows(section(text, "Row counts")):
        if per.startswith("(legacy table"):
            by_version = None
        elif per == "none":
            by_version = {}
        else:
            by_version = {version: int(n) for version, n in (item.rsplit(" ", 1) for item in per.split(", "))}
        counts[table] = (int(total), by_version)
    return counts


def test_report_at_head_shows_the_databases_figures(backfilled, database_url):
    """At the last revision before the freeze (the legacy table still takes writes)."""
    db = backfilled
    text = report(database_url, "--target", "current")

    assert text.startswith("# Habit tracker migration: status report\n")
    head = revisions()[-1]
    assert f"- current revision: `{LEGACY_WRITABLE}` (head is `{head}`)" in text
    assert re.search(rf"^- generated at: {TIMESTAMP} \(the database's clock\)$", text, re.M)

    counts = parsed_counts(text)
    assert counts == expected_counts(db)
    assert counts["habit_tracker"][0] == SEEDED_ROWS
    assert counts["habit_templates"][1] == {"new_schema": 1, "(null)": 1}
    assert counts["weeks"][1] == {"migration": scalar(db, "SELECT count(*) FROM weeks")}

    with db.cursor() as cur:
        cur.execute("SELECT reason, count(*) FROM migration.backfill_quarantine GROUP BY reason")
        quarantined = {reason: str(n) for reason, n in cur.fetchall()}
    assert quarantined, "the seed's dirty rows are quarantined"
    quarantine = dict(rows(section(text, "Quarantine by reason")))
    assert quarantine == {**quarantined, "**total**": str(sum(map(int, quarantined.values())))}

    # Every filled day: where it is (migration.legacy_day_accounts), stranded ones first.
    with db.cursor() as cur:
        cur.execute("SELECT account, count(*) FROM migration.legacy_day_accounts GROUP BY 1")
        days = dict(cur.fetchall())
    unresolved = scalar(db, "SELECT count(*) FROM migration.unresolved_legacy_rows")
    assert unresolved == sum(int(n) for n in quarantined.values())  # nothing decided yet
    assert section(text, "Filled days and quarantine decisions") == [
        f"- stranded: {days.get('stranded', 0)} filled days in {unresolved} unresolved legacy rows"
        " (`make quarantine` lists them)",
        f"- conflicts: {days.get('conflict', 0)} filled days lost to a merge and recorded; "
        f"migration.placement_conflicts holds {scalar(db, 'SELECT count(*) FROM migration.placement_conflicts')} lines "
        f"({scalar(db, 'SELECT count(*) FROM migration.placement_conflicts WHERE field <> %s', ('status',))} of week fields)",
        "- discarded: 0 filled days in 0 discarded rows (archived)",
        f"- placed: {days['placed']} filled days in the new tables on their own date",
        "- unaccounted: 0",
        "- decisions (`make quarantine-resolve`): 0 made, 0 of them undone"]
    assert set(days) <= {"placed", "conflict", "stranded"}

    # The checklist is verify's own, check for check.
    verify = run_cli("scripts.commands.verify", "--json", "--target", "current", database_url=database_url)
    expected_checks = [[c["check"], c["status"], c["detail"]] for c in json.loads(verify.stdout)["checks"]]
    assert rows(section(text, "Verify checklist (against the current revision)")) == expected_checks
    assert_verify_passed_here(verify, database_url, target="current")

    assert section(text, "Sync queue and failures") == [
        "- sync queue: 0 queued writes of 0 legacy rows, oldest 0.0 s", "- sync failures: 0 legacy rows not synced"]
    drift = section(text, "Drift")
    assert drift[0].startswith(f"Checked {SEEDED_ROWS} legacy rows")
    assert drift[-1] == "**no drift**"

    history = history_table(text)
    assert list(history) == revisions()
    applied_up_to = revisions().index(LEGACY_WRITABLE)
    for position, (revision, (applied, when)) in enumerate(history.items()):
        assert applied == ("yes" if position <= applied_up_to else "no"), revision
        if applied == "yes":
            assert re.fullmatch(rf"{TIMESTAMP} by \w+", when), (revision, when)


def test_drift_is_named_in_the_report(backfilled, database_url):
    db = backfilled
    legacy_id = scalar(db, """SELECT min(id) FROM habit_tracker h
                              WHERE NOT EXISTS (SELECT 1 FROM migration.backfill_quarantine q WHERE q.legacy_id = h.id)""")
    week_id = scalar(db, "DELETE FROM weeks WHERE id = migration.week_id(%s) RETURNING id::TEXT", (legacy_id,))

    result = run_cli("scripts.commands.report", database_url=database_url)
    assert result.returncode == 0, result.stderr  # drift is recorded, not an exit code
    drift = section(result.stdout, "Drift")
    assert "**no drift**" not in drift
    assert any(line.startswith("**DRIFT: ") and "CRITICAL" in line for line in drift)
    findings = {kind: (severity, first) for severity, kind, _, first in rows(drift)}
    severity, first = findings["MISSING_WEEK"]
    assert severity == "CRITICAL"
    assert first.startswith(f"legacy {legacy_id}; new {week_id}: ")


@pytest.mark.start_at("0004_shadow_rls_policies")
def test_report_at_an_intermediate_revision(db, migrate, database_url):
    migrate("upgrade", "0004_shadow_rls_policies")
    text = report(database_url)

    assert "- current revision: `0004_shadow_rls_policies` (head is " in text
    counts = parsed_counts(text)
    assert counts == {"habit_tracker": (0, None), **{t: (0, {}) for t in NEW_TABLES}}
    assert section(text, "Quarantine by reason") == [
        "not installed (migration.backfill_quarantine comes with 0010_legacy_mapping)"]
    assert section(text, "Filled days and quarantine decisions") == [
        "not installed (migration.quarantine_decisions comes with 0024_quarantine_decisions)"]
    assert section(text, "Sync queue and failures") == [
        "- sync queue: not installed (migration.sync_queue comes with 0013_dual_write_sync_queue)",
        "- sync failures: not installed (migration.sync_failures comes with 0012_dual_write_trigger_sync)"]
    assert section(text, "Drift") == ["not installed (migration.sync_state comes with 0011_sync_state)"]

    # Against head, the revision check fails (the report records it, and still exits 0); against
    # the current revision, every check passes.
    checks = {check: status for check, status, _ in rows(section(text, "Verify checklist (against head)"))}
    assert checks["alembic revision"] == "FAIL"
    current = report(database_url, "--target", "current")
    assert {s for _, s, _ in rows(section(current, "Verify checklist (against the current revision)"))} == {"PASS"}

    history = history_table(text)
    applied = revisions()[:4]
    assert [r for r, (a, _) in history.items() if a == "yes"] == applied
    assert all(when == "" for r, (a, when) in history.items() if a == "no")


def test_report_at_base_before_any_migration(database_url):
    text = report(database_url)
    assert "- current revision: `(none)`" in text
    assert rows(section(text, "Row counts"))[0] == ["habit_tracker", "not installed", "comes with 0001_legacy_baseline"]
    assert set(a for a, _ in history_table(text).values()) == {"no"}
    assert section(text, "Migration history")[-1].startswith("none: alembic.alembic_version_history does not exist yet")


def test_every_step_is_recorded_and_shown(db, migrate, database_url):
    # Up to the rename, the last revision that can be undone (the drop, 0040, is one-way).
    all_revisions = revisions()
    last = all_revisions.index(RENAME_REVISION)
    head, previous = all_revisions[last], all_revisions[last - 1]
    migrate("upgrade", head)
    assert recorded_steps(db) == [(r, "upgrade") for r in all_revisions[:last + 1]]

    migrate("downgrade", "-1")
    assert recorded_steps(db)[-1] == (head, "downgrade")  # the revision removed
    text = report(database_url)
    assert history_table(text)[head][0] == "no"
    assert re.fullmatch(rf"removed {TIMESTAMP} by \w+", history_table(text)[head][1])
    newest = rows(section(text, "Migration history")[section(text, "Migration history").index("### Recorded steps"):])[0]
    assert newest[1:3] == ["downgrade", head]

    migrate("stamp", head)
    assert recorded_steps(db)[-1] == (head, "stamp")
    assert re.fullmatch(rf"stamped {TIMESTAMP} by \w+ \(not run\)", history_table(report(database_url))[head][1])
    migrate("stamp", previous)  # a stamp downwards records where it went
    assert recorded_steps(db)[-1] == (previous, "stamp")


@pytest.mark.start_at("0006_validate_other_constraints")
def test_the_history_row_is_in_the_steps_transaction(db, migrate):
    """A step whose history row cannot be written is not applied at all, and a revision that
    fails leaves no row: the row, the revision and the alembic_version update commit together."""
    migrate("upgrade", "0006_validate_other_constraints")
    steps = recorded_steps(db)
    with db.cursor() as cur:
        cur.execute("ALTER TABLE alembic.alembic_version_history "
                    "ADD CONSTRAINT refuse_0007 CHECK (revision <> '0007_idempotency_log')")
    assert migrate("upgrade", "0007_idempotency_log", check=False).returncode == 1
    assert current_revision(db) == "0006_validate_other_constraints"
    assert scalar(db, "SELECT to_regclass('public.idempotency_log')") is None
    assert recorded_steps(db) == steps

    with db.cursor() as cur:
        cur.execute("ALTER TABLE alembic.alembic_version_history DROP CONSTRAINT refuse_0007")
        cur.execute("CREATE TABLE idempotency_log (id INTEGER)")  # 0007 itself now fails
    assert migrate("upgrade", "0007_idempotency_log", check=False).returncode == 1
    assert recorded_steps(db) == steps


def test_output_file_and_one_line_errors(database_url, tmp_path):
    target = tmp_path / "build" / "REPORT.md"
    result = run_cli("scripts.commands.report", "--output", str(target), database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"report: wrote {target}\n"
    assert target.read_text(encoding="utf-8").startswith("# Habit tracker migration: status report\n")

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for args, url, fragment in (
        (("--output", str(blocker / "REPORT.md")), database_url, f"cannot write {blocker / 'REPORT.md'}"),
        (("--bogus",), database_url, "usage: python -m scripts.commands.report"),
        (("--target", "no_such_revision"), database_url, "unknown revision 'no_such_revision'"),
        ((), "postgresql://postgres@127.0.0.1:1/habits", "cannot connect"),
        ((), None, "DATABASE_URL is not set"),
    ):
        result = run_cli("scripts.commands.report", *args, database_url=url, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith("report: error: ") and fragment in line, line


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_a_failing_section_is_reported_and_the_others_still_render(migrate, database_url, monkeypatch):
    import scripts.commands.report as report_module

    migrate("upgrade", LEGACY_WRITABLE)

    def broken(snap):
        snap.all("SELECT * FROM no_such_table")

    monkeypatch.setattr(report_module, "quarantine_section", broken)
    text = report_module.build(database_url)
    [line] = section(text, "Quarantine by reason")
    assert line.startswith("could not be produced: relation \"no_such_table\" does not exist")
    # The snapshot survives (rolled back to its savepoint): the sections after it render.
    assert section(text, "Sync queue and failures")[0].startswith("- sync queue: 0 queued writes")
    assert history_table(text)[LEGACY_WRITABLE][0] == "yes"
