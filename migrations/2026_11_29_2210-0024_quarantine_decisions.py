"""Operators decide what the mapping cannot, on the record; every filled day is accounted for

Revision: 0024_quarantine_decisions
Revises: 0023_place_days_by_date
Created: 2026-11-29 22:10:00

What and why
    0023 places every legacy row the mapping can read. What is left in backfill_quarantine is
    missing a fact (no user_id) or has a shape nobody should guess at, and until now the only
    way out was a hand-written UPDATE with no record of it; at contract time those rows, and
    every day in them, would be gone. This revision gives operators a recorded, reversible
    way to decide each one, and states the invariant the migration exists for: every filled
    day of every legacy row is, on its own date, in the new tables, or in the conflicts the
    merge recorded, or in the archive of a row an operator discarded.

    Objects, all in schema migration:
    - table quarantine_decisions: the log, one line per decision (legacy_id, action 'assign'
      or 'discard', the owner given, the user_id before, the row's whole content then as
      JSONB, decided_by and decided_at, undone_by and undone_at). Never deleted from;
    - table discarded_legacy_rows: the archive, one entry per discarded row (its content as
      JSONB, who, when, the decision). The row itself stays in habit_tracker, untouched;
    - function filled_days(habit_tracker): every non-empty status of a row, any habit, any
      position, on its date (start + day - 1);
    - view unresolved_legacy_rows: the quarantined rows not discarded with their CURRENT
      content (a discarded row edited since is unresolved again);
    - view legacy_day_accounts: each filled day of each legacy row and where it is:
      placed (a record of the child's Monday week of that date: habit of that name, that
      date, that status), conflict (a lost value in placement_conflicts), discarded,
      stranded (its row unresolved), in_flight (not yet, its write still queued) or
      unaccounted;
    - functions assign_legacy_owner(id, owner, actor), discard_legacy_row(id, actor) and
      undo_quarantine_decision(id, actor), behind `make quarantine-resolve`, and
      lock_unresolved_row(id), the first step of the first two (the row locked until COMMIT,
      so two decisions on one row run one after the other).
      Assign sets the user_id of an owner-less unresolved row and syncs it at once
      (sync_legacy_ids(), in the same transaction). It is an UPDATE of the legacy row, so its
      updated_at becomes now, as for any edit: where its days meet another row's in a
      child-week, its statuses win and the other row's are recorded as conflicts. Discard
      archives the row. Undo takes back the latest decision not undone: an assign puts
      user_id back to NULL if it is still the owner assigned and syncs again; a discard
      removes the archive entry. A refused decision (no such row, not unresolved, has an
      owner, nothing to undo: SQLSTATE MGQ01-MGQ04; an owner not in auth.users: 23503)
      changes nothing.
    EXECUTE is revoked from PUBLIC on every function (0019's rule); no grant changes.

    Data: none changes. `make verify` gains two lines ("quarantine decisions", "filled days"),
    `make report` a section, and `make quarantine` lists the unresolved rows with a proposal.

Locks taken, and for how long
    CREATE TABLE, VIEW and FUNCTION in schema migration: catalog only. CREATE VIEW takes
    ACCESS SHARE on the tables it reads (habit_tracker, weeks, habits, habit_records and the
    migration tables) for the instant of the statement: it waits for nothing but DDL on them.
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    `make verify`: "quarantine decisions" (2 tables, 2 views, 5 functions, owner only) and
    "filled days" ("every filled day accounted: N placed, C in conflicts, D in discarded rows,
    S stranded in R unresolved rows"; FAIL names up to 5 legacy ids of days unaccounted for).
    SELECT account, count(*) FROM migration.legacy_day_accounts GROUP BY 1;
    `make quarantine` lists every unresolved row.

How to roll back
    `make downgrade` (to 0023) drops the functions, the views and both tables: the log of
    decisions and the archive go with them (save them first if they matter:
    pg_dump -t migration.quarantine_decisions -t migration.discarded_legacy_rows). The legacy
    rows keep what the decisions did: an assigned row keeps its owner (and stays placed), a
    discarded row, never changed, is back among the quarantined rows `make quarantine` no
    longer exists to list.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0024_quarantine_decisions"
down_revision = "0023_place_days_by_date"
branch_labels = None
depends_on = None

CREATE_TABLES = (
    """CREATE TABLE migration.quarantine_decisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    legacy_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    owner UUID,
    previous_user_id UUID,
    row JSONB NOT NULL,
    decided_by TEXT NOT NULL DEFAULT current_user,
    decided_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    undone_by TEXT,
    undone_at TIMESTAMPTZ,
    CONSTRAINT ck_quarantine_decisions_action CHECK (action IN ('assign', 'discard')),
    CONSTRAINT ck_quarantine_decisions_owner CHECK ((action = 'assign') = (owner IS NOT NULL)),
    CONSTRAINT ck_quarantine_decisions_undone CHECK ((undone_by IS NULL) = (undone_at IS NULL))
)""",
    """COMMENT ON TABLE migration.quarantine_decisions IS
    'Operators'' decisions on unresolved legacy rows (make quarantine-resolve): who, when, the row then; undone ones marked'""",
    """CREATE TABLE migration.discarded_legacy_rows (
    legacy_id BIGINT PRIMARY KEY,
    row JSONB NOT NULL,
    discarded_by TEXT NOT NULL,
    discarded_at TIMESTAMPTZ NOT NULL,
    decision_id BIGINT NOT NULL,
    CONSTRAINT fk_discarded_legacy_rows_decision FOREIGN KEY (decision_id) REFERENCES migration.quarantine_decisions (id)
)""",
    """COMMENT ON TABLE migration.discarded_legacy_rows IS
    'The archive of discarded legacy rows: the whole row as discarded; it stays in habit_tracker'""",
)
VIEWS = ("unresolved_legacy_rows", "legacy_day_accounts")
DECISIONS = ("lock_unresolved_row", "assign_legacy_owner", "discard_legacy_row", "undo_quarantine_decision")
SIGNATURES = (
    "migration.undo_quarantine_decision(BIGINT, TEXT)",
    "migration.discard_legacy_row(BIGINT, TEXT)",
    "migration.assign_legacy_owner(BIGINT, UUID, TEXT)",
    "migration.lock_unresolved_row(BIGINT)",
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for statement in CREATE_TABLES:
        op.execute(statement)
    execute("functions/migration.filled_days", "0024")
    for view in VIEWS:
        execute(f"views/migration.{view}", "0024")
    for name in DECISIONS:
        execute(f"functions/migration.{name}", "0024")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for signature in SIGNATURES:
        op.execute(f"DROP FUNCTION {signature}")
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW migration.{view}")
    op.execute("DROP FUNCTION migration.filled_days(public.habit_tracker)")
    op.execute("DROP TABLE migration.discarded_legacy_rows")
    op.execute("DROP TABLE migration.quarantine_decisions")
