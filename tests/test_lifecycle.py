"""Every revision's life cycle, with data in the database: upgrade to it -> verify -> downgrade one
step -> verify -> upgrade again -> verify, and the data is intact.

The cases are generated from Alembic's revision list (ScriptDirectory), so a new revision gets
its case without anyone writing one. Each starts from a clone of the template one revision
below (conftest.py), where the legacy data set of tests/legacy_cases.py (every clean and dirty
case, written as predating the migration) is loaded, and, once the mapping exists (0010 on),
backfilled into the new tables, so every up and down step runs over legacy rows and mapped
rows. Before a revision that declares a gate (Phase 2's RLS stages) the data set's quarantined
rows are discarded by `make quarantine-resolve`, as the runbook asks, so the gate passes. A
revision after the freeze (0039 on) starts at the last writable revision instead, where the data
set is loaded and resolved, and is upgraded to the revision below it first. Verify
is `scripts.commands.verify.run_checks(conn, target)`: every check PASS, against the revision
reached each time (on a server without pg_cron, PostgreSQL 17 and 18 here, the parts of the
cron jobs FAIL saying pg_cron is absent, and only they: scripts/dev/verify_without_pg_cron.py).
Data intact: the legacy rows byte for byte (count and md5 of
every row), and every table of public that exists on both sides of the step keeps its row count.
A one-way revision (ONE_WAY = True: the drop, 0040) is checked for its refusal instead: the
downgrade exits 1 saying so, and the revision, every row count and verify stay as they were.

The baseline (0001) is the exception the revision itself makes: its downgrade refuses while
legacy rows exist (checked: refused, nothing lost), and with allow_legacy_drop=true it drops
them, so after its second upgrade the table is there again, empty.
"""
from __future__ import annotations

import psycopg2
import pytest
from alembic.script import ScriptDirectory

import legacy_cases as cases
from helpers import LEGACY_WRITABLE, legacy_fingerprint, run_in_process, scalar, verify_failures_expected_here
from scripts.commands.migrate import alembic_config
from scripts.commands.verify import run_checks

SCRIPT = ScriptDirectory.from_config(alembic_config())
REVISIONS = [(rev.revision, rev.down_revision or "base") for rev in reversed(list(SCRIPT.walk_revisions()))]
BASELINE = REVISIONS[0][0]
# Below a revision after the freeze the legacy table takes no write: its case starts at the last
# writable revision, loads the data set there, and upgrades to the revision below first.
AFTER_FREEZE = {revision for revision, _ in REVISIONS[[r for r, _ in REVISIONS].index(LEGACY_WRITABLE) + 2:]}


def start_of(revision: str, previous: str) -> str:
    return LEGACY_WRITABLE if revision in AFTER_FREEZE else previous


def assert_verified(database_url: str, target: str) -> None:
    conn = psycopg2.connect(database_url)
    try:
        results = run_checks(conn, target)
        failed = verify_failures_expected_here(conn, results)
    finally:
        conn.close()
    assert results and failed == [], f"verify --target {target}: {failed}"


def tables(db) -> dict[str, int]:
    """Row count of every table in public (the application's data; not the bookkeeping of schema migration), by qualified name."""
    with db.cursor() as cur:
        cur.execute("""SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'
                         AND c.relname <> 'alembic_version'""")
        names = [name for (name,) in cur.fetchall()]
        counts = {}
        for name in names:
            cur.execute(f"SELECT count(*) FROM {name}")
            counts[name] = cur.fetchone()[0]
    return counts


def has_table(db, name: str) -> bool:
    with db.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        return cur.fetchone()[0]


def load_data(db, database_url: str) -> None:
    """The legacy data set; mapped into the new tables where the database has the mapping
    (migration.sync_legacy_ids(), which the backfill calls)."""
    cases.load(db)
    if scalar(db, "SELECT to_regprocedure('migration.sync_legacy_ids(bigint[], text)') IS NOT NULL"):
        result = run_in_process("scripts.commands.backfill", database_url=database_url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert scalar(db, "SELECT count(*) FROM weeks") > 0


def resolve_quarantine(db, database_url: str) -> None:
    """What the runbook asks before a gated revision (Phase 2's RLS stages): every unresolved
    legacy row decided, here discarded (archived) by `make quarantine-resolve`, so that the
    gate's "nothing stranded" passes honestly rather than by skipping it."""
    with db.cursor() as cur:
        cur.execute("SELECT legacy_id FROM migration.unresolved_legacy_rows ORDER BY legacy_id")
        unresolved = [legacy_id for (legacy_id,) in cur.fetchall()]
    assert unresolved, "the data set has dirty rows the quarantine holds"
    for legacy_id in unresolved:
        result = run_in_process("scripts.commands.quarantine", "resolve", "--id", str(legacy_id),
                                "--action", "discard", "--by", "lifecycle test", database_url=database_url)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("revision, previous", [
    pytest.param(revision, previous, id=revision, marks=pytest.mark.start_at(start_of(revision, previous)))
    for revision, previous in REVISIONS
])
def test_upgrade_verify_downgrade_verify_upgrade(db, migrate, database_url, revision, previous):
    if previous != "base":
        load_data(db, database_url)
    if getattr(SCRIPT.get_revision(revision).module, "GATE", None) or revision in AFTER_FREEZE:
        resolve_quarantine(db, database_url)
    if revision in AFTER_FREEZE:
        migrate("upgrade", previous)

    migrate("upgrade", revision)
    if previous == "base":
        load_data(db, database_url)
    assert_verified(database_url, revision)
    if getattr(SCRIPT.get_revision(revision).module, "ONE_WAY", False):
        # The drop (0040): its downgrade refuses, and nothing moves.
        counts = tables(db)
        refused = migrate("downgrade", "-1", check=False)
        assert refused.returncode == 1 and f"{revision} is one-way" in refused.stderr, refused.stderr
        assert scalar(db, "SELECT version_num FROM alembic_version") == revision
        assert tables(db) == counts
        assert_verified(database_url, revision)
        return
    legacy, counts = legacy_fingerprint(db), tables(db)
    assert legacy[0] == len(cases.LEGACY_ROWS)

    if revision == BASELINE:
        refused = migrate("downgrade", "-1", check=False)
        assert refused.returncode == 1 and "refusing to drop habit_tracker" in refused.stderr, refused.stderr
        assert legacy_fingerprint(db) == legacy
        migrate("downgrade", "-1", "-x", "allow_legacy_drop=true")
    else:
        migrate("downgrade", "-1")
    assert_verified(database_url, "current")
    with db.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        assert [row[0] for row in cur.fetchall()] == ([] if previous == "base" else [previous])
    below = tables(db)
    if previous != "base":
        assert legacy_fingerprint(db) == legacy
    assert {name: counts[name] for name in below if name in counts} == {
        name: n for name, n in below.items() if name in counts}

    migrate("upgrade", revision)
    assert_verified(database_url, revision)
    again = tables(db)
    if revision == BASELINE:
        assert legacy_fingerprint(db)[0] == 0
    else:
        assert legacy_fingerprint(db) == legacy
        assert {name: again[name] for name in below if name in again} == {
            name: counts[name] for name in below if name in counts}
