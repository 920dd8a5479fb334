"""When each revision was applied: the migration tool's own bookkeeping, beside alembic_version.

Alembic's `alembic_version` holds only the current head. env.py's `on_version_apply` callback
calls `record_step()` after every step it applies to a real database (online mode only), in the
same transaction as that step's update of alembic_version, so a step that rolls back leaves no
row. One row per step:

- upgrade: the revision reached (MigrationInfo.up_revision_id);
- downgrade: the revision removed. For a migration step Alembic's `up_revision_id` is the
  step's own revision whichever way it runs (`down_revision_ids` are its parents, which stay
  applied), so it is the removed one;
- stamp: the revision(s) stamped to (MigrationInfo.destination_revision_ids), 'base' when a
  stamp goes down to nothing.

The table is created on first use (CREATE ... IF NOT EXISTS), the way Alembic creates
alembic_version, not by a revision: no revision's downgrade removes it, so the history
survives `downgrade base`. Its `note` column (why a step ran out of the ordinary: a gate skipped
with `-x gate=skip`, scripts/commands/migrate.py) came later: a table created before it gains it
on the first step that has a note (ALTER TABLE ... ADD COLUMN IF NOT EXISTS), likewise.

It lives in its own schema `alembic`, not in `public`:
- `public` is what the revisions build and what the tests and tools judge: the round-trip
  test's `pg_dump --schema=public` comparisons (base before any upgrade vs base after
  `downgrade base`), the catalog's exact table list at 0004 (tests/test_schema_at_head.py),
  and the validated CHECK constraints of `public` (tests/test_constraint_validation.py,
  scripts/constraint_violations.py). A bookkeeping table there would change all of them.
- on Supabase every table created in `public` is granted to `anon` and `authenticated`
  (default privileges) and served by the REST API; a schema of its own is not exposed.
"""
from __future__ import annotations

from sqlalchemy import text

HISTORY_SCHEMA = "alembic"
HISTORY_TABLE = f"{HISTORY_SCHEMA}.alembic_version_history"

CREATE_HISTORY = (
    f"CREATE SCHEMA IF NOT EXISTS {HISTORY_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('upgrade', 'downgrade', 'stamp')),
    applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    applied_by TEXT NOT NULL DEFAULT current_user,
    note TEXT
)""",
    f"COMMENT ON TABLE {HISTORY_TABLE} IS 'one row per Alembic step applied (env.py on_version_apply)'",
)
INSERT_STEP = f"INSERT INTO {HISTORY_TABLE} (revision, direction) VALUES (:revision, :direction)"
INSERT_NOTED_STEP = (f"INSERT INTO {HISTORY_TABLE} (revision, direction, note) "
                     "VALUES (:revision, :direction, :note)")
ADD_NOTE = f"ALTER TABLE {HISTORY_TABLE} ADD COLUMN IF NOT EXISTS note TEXT"
HAS_NOTE = ("SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass(:name) "
            "AND attname = 'note' AND NOT attisdropped)")


def step_row(step) -> tuple[str, str]:
    """(revision, direction) to record for an alembic MigrationInfo."""
    if step.is_stamp:
        return ", ".join(step.destination_revision_ids) or "base", "stamp"
    if step.is_upgrade:
        return step.up_revision_id, "upgrade"
    return step.up_revision_id, "downgrade"


def ensure_table(connection) -> None:
    """Create the history table if it is missing (checked first: no NOTICE on every step)."""
    exists = connection.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": HISTORY_TABLE}).scalar()
    if not exists:
        for statement in CREATE_HISTORY:
            connection.execute(text(statement))


def record_step(connection, step, notes: dict[str, str] | None = None) -> None:
    """Insert the row for one applied step (SQLAlchemy connection, inside the step's transaction).
    `notes`: {revision: note} for steps that ran out of the ordinary (an upgrade only)."""
    ensure_table(connection)
    revision, direction = step_row(step)
    note = (notes or {}).get(revision) if direction == "upgrade" else None
    if note is None:
        connection.execute(text(INSERT_STEP), {"revision": revision, "direction": direction})
        return
    # Checked first: ADD COLUMN IF NOT EXISTS would raise a NOTICE on every noted step after.
    if not connection.execute(text(HAS_NOTE), {"name": HISTORY_TABLE}).scalar():
        connection.execute(text(ADD_NOTE))
    connection.execute(text(INSERT_NOTED_STEP), {"revision": revision, "direction": direction, "note": note})
