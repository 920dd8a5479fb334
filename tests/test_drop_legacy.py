"""The drop of Phase 3 (0040): refused before the retention since the rename, refused without an
archive that matches every table it drops (the legacy table and the migration's four records of
it), refused while the drain job is scheduled again; each refusal names its reason and leaves the
database at the rename with every table whole. Once it runs, the drop is recorded with the archive
that held the rows, and the commands that compared, watched or decided on the legacy table say
there is nothing left to do (exit 0) or refuse (exit 2) in one line."""
from __future__ import annotations

import pytest

from helpers import archive_for_drop, current_revision, run_in_process, scalar
from scripts.db.legacy_table import DROP_REVISION, RENAME_REVISION
from test_rename_legacy import legacy_state, load_then_freeze

OVERRIDE_ONLY = ("-x", "contract_override=true")  # the gate overridden, the retention not
RECORDS = ("migration.discarded_legacy_rows", "migration.quarantine_decisions", "migration.placement_conflicts",
           "migration.backfill_quarantine")


def drop(database_url: str, *args: str):
    return run_in_process("scripts.commands.migrate", "upgrade", DROP_REVISION, *OVERRIDE_ONLY, *args,
                          database_url=database_url)


def assert_nothing_dropped(db, before: tuple) -> None:
    assert current_revision(db) == RENAME_REVISION
    assert legacy_state(db, "public.habit_tracker_old") == before
    assert scalar(db, "SELECT count(to_regclass(t)) FROM unnest(%s::TEXT[]) AS t", (list(RECORDS),)) == len(RECORDS)
    assert scalar(db, """SELECT count(*) FROM pg_attribute
                         WHERE attrelid = 'migration.retired_legacy_table'::REGCLASS AND attname = 'dropped_at'""") == 0


@pytest.fixture
def renamed(db, migrate) -> tuple:
    """Legacy rows, frozen, renamed: the table's (rows, checksum)."""
    load_then_freeze(db, migrate)
    migrate("upgrade", RENAME_REVISION)
    return legacy_state(db, "public.habit_tracker_old")


@pytest.mark.start_at("0037_legacy_archive_log")
def test_the_drop_waits_for_the_retention_since_the_rename(db, renamed, database_url, tmp_path):
    archive_for_drop(database_url, tmp_path)
    refused = drop(database_url)
    assert refused.returncode == 1, refused.stderr
    assert "habit_tracker_old was renamed at" in refused.stderr and "its retention of 7 days ends at" in refused.stderr
    assert "SQLSTATE 55000" in refused.stderr and "Traceback" not in refused.stderr
    assert_nothing_dropped(db, renamed)
    # Two days kept are not enough either; eight days after the rename the default week has passed.
    with db.cursor() as cur:
        cur.execute("UPDATE migration.retired_legacy_table SET renamed_at = renamed_at - INTERVAL '2 days'")
    assert drop(database_url, "-x", "retention_days=3").returncode == 1
    assert_nothing_dropped(db, renamed)
    with db.cursor() as cur:
        cur.execute("UPDATE migration.retired_legacy_table SET renamed_at = renamed_at - INTERVAL '6 days'")
    done = drop(database_url)
    assert done.returncode == 0, done.stderr
    assert current_revision(db) == DROP_REVISION
    with db.cursor() as cur:
        cur.execute("""SELECT r.legacy_rows, r.checksum, r.dropped_by, r.archive_id = (SELECT max(id) FROM migration.legacy_archives)
                       FROM migration.retired_legacy_table AS r""")
        assert cur.fetchone() == (renamed[0], renamed[1], "postgres", True)
    assert scalar(db, "SELECT to_regclass('public.habit_tracker_old')") is None


@pytest.mark.start_at("0037_legacy_archive_log")
def test_the_drop_refuses_without_an_archive_that_matches_every_table(db, renamed, database_url, tmp_path):
    refused = drop(database_url, "-x", "retention_days=0")
    assert refused.returncode == 1, refused.stderr
    assert ("no archive recorded in migration.legacy_archives holds public.habit_tracker_old, "
            + ", ".join(RECORDS) + " as it is now: not dropped") in refused.stderr
    assert_nothing_dropped(db, renamed)

    # An archive, then one of the records changes after it: the drop names that table alone.
    archive_for_drop(database_url, tmp_path)
    with db.cursor() as cur:
        cur.execute("INSERT INTO migration.backfill_quarantine (legacy_id, reason, detail) "
                    "VALUES (-1, 'operator_note', 'written after the archive')")
    refused = drop(database_url, "-x", "retention_days=0")
    assert refused.returncode == 1, refused.stderr
    assert "holds migration.backfill_quarantine as it is now: not dropped" in refused.stderr
    assert_nothing_dropped(db, renamed)

    archive_for_drop(database_url, tmp_path)
    assert drop(database_url, "-x", "retention_days=0").returncode == 0
    assert current_revision(db) == DROP_REVISION


@pytest.mark.start_at("0037_legacy_archive_log")
def test_retention_zero_needs_the_override(db, renamed, database_url):
    refused = run_in_process("scripts.commands.migrate", "upgrade", DROP_REVISION, "-x", "retention_days=0",
                             database_url=database_url)
    assert refused.returncode == 2, refused.stderr
    assert "-x retention_days=0 needs -x contract_override=true" in refused.stderr
    assert_nothing_dropped(db, renamed)


@pytest.mark.start_at("0037_legacy_archive_log")
def test_after_the_drop_the_tools_say_there_is_nothing_left(db, renamed, database_url, tmp_path):
    archive_for_drop(database_url, tmp_path)
    assert drop(database_url, "-x", "retention_days=0").returncode == 0
    expected = {
        ("scripts.commands.drift",): (0, "nothing left to compare"),
        ("scripts.commands.read_parity",): (0, "read-parity: nothing left to compare: the legacy table was dropped"),
        ("scripts.commands.legacy_readers", "--seconds", "1"): (0, "legacy-readers: nothing to watch"),
        ("scripts.commands.quarantine", "list"): (0, "quarantine: retired since 0039_rename_legacy"),
        ("scripts.commands.sync_queue", "status"): (0, "sync status: retired since 0038_freeze_legacy"),
        ("scripts.commands.resync",): (0, "resync: nothing to resync"),
        ("scripts.commands.backfill",): (2, "backfill: error: refused: habit_tracker is frozen"),
        ("scripts.commands.quarantine", "resolve", "--id", "1", "--action", "discard", "--by", "x"):
            (2, "quarantine: error: refused: habit_tracker is frozen"),
        ("scripts.commands.seed_legacy", "--rows", "3"): (2, "seed_legacy: error: habit_tracker is retired"),
        ("scripts.commands.archive_legacy", "--out", str(tmp_path / "again.tar")):
            (2, "archive_legacy: error: no legacy table here"),
    }
    for command, (code, start) in expected.items():
        result = run_in_process(*command, database_url=database_url)
        output = (result.stdout + result.stderr).strip()
        assert result.returncode == code, (command, output)
        assert output.splitlines()[-1].startswith(start) or output.startswith(start), (command, output)
        assert "Traceback" not in output, (command, output)
    contract = run_in_process("scripts.commands.contract_check", database_url=database_url)
    for line in ("PASS nothing stranded: nothing left", "PASS queue drained: nothing left",
                 "PASS no sync failures: nothing left", "PASS no legacy reader: nothing can read it"):
        assert line in contract.stdout, contract.stdout
