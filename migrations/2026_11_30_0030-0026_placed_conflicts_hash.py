"""The incremental drift check sees a recorded conflict deleted or altered: placed_weeks keeps a hash of its conflicts

Revision: 0026_placed_conflicts_hash
Revises: 0025_policies_own_children
Created: 2026-11-30 00:30:00

What and why
    Since 0023 `make drift` takes a placed child-week on trust while its rows are unchanged and
    its week's fingerprint (week, habits, records) equals what was placed
    (migration.placed_weeks). The fingerprint keeps no trace of the child-week's conflicts: a
    row of migration.placement_conflicts deleted or altered after the sync was found only by
    `make drift FULL=1`, which re-maps every row. A lost value nobody can see is a lost value.

    - migration.placed_weeks gets a column conflicts UUID: the md5 of the child-week's conflict
      lines as the sync recorded them, `string_agg(DISTINCT conflict_line(...), ';')` in line
      order; NULL when the child-week has none.
    - migration.conflict_line(legacy_id, field, habit_name, record_date, lost_value, kept_value,
      kept_legacy_id): one conflict as text (format() of its arguments, literals quoted), the
      line the hash is taken over. IMMUTABLE; EXECUTE revoked from PUBLIC (0019's rule).
    - migration.place_child_weeks() writes the hash with the rest of placed_weeks (and
      rewrites the row when only the hash differs).
    - scripts/db/drift.py (not part of the revision; it reads the column where it exists)
      trusts a placed child-week only if the same hash over its rows of placement_conflicts
      equals placed_weeks.conflicts (NULL and NULL are equal) and every such row names its
      week; otherwise the child-week is re-mapped and a missing or stale conflict is a finding.

    Data: no row of public changes. The column is NULL everywhere after the upgrade, until the
    next sync of each child-week: a child-week with no conflicts is trusted as before (NULL
    and NULL), one with conflicts is re-mapped by every drift check until it is synced again
    (correct, only slower). Run `make backfill` right after (it re-places every child-week and
    writes the hashes; at 34 rows, a second).

Locks taken, and for how long
    ALTER TABLE migration.placed_weeks ADD COLUMN (nullable, no default: catalog only) takes
    ACCESS EXCLUSIVE on placed_weeks for milliseconds; a sync (the drain, the endpoint) waits
    for it up to lock_timeout. CREATE FUNCTION and CREATE OR REPLACE FUNCTION in the migration
    schema. No lock on habit_tracker or the new tables. Timeouts: lock_timeout '5s',
    statement_timeout '60s'.

How to verify
    SELECT count(*) FROM migration.placed_weeks WHERE conflicts IS NULL
        AND EXISTS (SELECT 1 FROM migration.placement_conflicts c WHERE (c.user_id, c.child_name, c.monday)
                    = (placed_weeks.user_id, placed_weeks.child_name, placed_weeks.monday));   -- 0 after make backfill
    `make verify` (placed conflicts hash: column and function present, owner only); `make
    backfill` then `make drift`: clean; deleting a row of migration.placement_conflicts then
    makes `make drift` (incremental) report CONFLICT_NOT_RECORDED.

How to roll back
    `make downgrade` (to 0025) puts back 0023's place_child_weeks(), drops conflict_line() and
    the column (the hashes with it). Nothing else changes; drift goes back to finding a changed
    conflict with FULL=1 only.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0026_placed_conflicts_hash"
down_revision = "0025_policies_own_children"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("ALTER TABLE migration.placed_weeks ADD COLUMN conflicts UUID")
    execute("functions/migration.conflict_line", "0026")
    execute("functions/migration.place_child_weeks", "0026")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    execute("functions/migration.place_child_weeks", "0023", restoring=True)
    op.execute("DROP FUNCTION migration.conflict_line(BIGINT, TEXT, TEXT, DATE, JSONB, JSONB, BIGINT)")
    op.execute("ALTER TABLE migration.placed_weeks DROP COLUMN conflicts")
