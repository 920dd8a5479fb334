"""pytest-alembic's own checks of the revision history, on a real database per test:
single head; upgrade base -> head one revision at a time; and every revision's downgrade
followed by its upgrade again (up/down consistency).

pytest-alembic's experimental `test_downgrade_leaves_no_trace` is not used: it hands env.py a
connection inside a transaction it rolls back midway, which cannot hold CREATE INDEX
CONCURRENTLY nor env.py's per-revision commits. tests/test_round_trip.py checks the same
property more strictly, comparing `pg_dump --schema-only` before and after every step.

The drop (0040) is one-way: downgrades are checked down from the rename (0039). It runs here as
on any throwaway database, without the retention (`-x retention_days=0`, with the override) and
with an archive recorded for what it drops: the tables are empty at that point, so the record
carries the checksum of an empty table (md5 of nothing) for each; no file is written.
"""
import argparse

import pytest
from pytest_alembic.config import Config as AlembicTestConfig

from scripts.db.legacy_table import DROP_REVISION, RENAME_REVISION

from pytest_alembic.tests import (  # noqa: F401  (collected as tests)
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

EMPTY = {"rows": 0, "checksum": "d41d8cd98f00b204e9800998ecf8427e"}
ARCHIVED = ("public.habit_tracker_old", "migration.quarantine_decisions", "migration.placement_conflicts",
            "migration.discarded_legacy_rows", "migration.backfill_quarantine")


@pytest.fixture
def alembic_config(alembic_config):
    alembic_config.cmd_opts = argparse.Namespace(x=["contract_override=true", "retention_days=0"])
    return AlembicTestConfig(
        alembic_config=alembic_config,
        minimum_downgrade_revision=RENAME_REVISION,
        before_revision_data={DROP_REVISION: {
            "__tablename__": "migration.legacy_archives", "archived_at": "2026-11-30T00:00:00Z",
            "file_name": "(none: pytest-alembic's empty database)", "file_sha256": "0" * 64,
            "source_table": "habit_tracker_old", "tables": {name: EMPTY for name in ARCHIVED}}},
    )
