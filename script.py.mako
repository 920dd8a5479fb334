"""${message}

Revision: ${up_revision}
Revises: ${down_revision | comma,n}
Created: ${create_date}

What and why
    TODO: what this revision changes in production, and why.

Locks taken, and for how long
    TODO: every lock this revision takes (table, mode) and how long it is held.
    Timeouts: lock_timeout = '5s', statement_timeout = '60s' unless raised below.

How to verify
    TODO: the query or `make verify` check that shows it worked.

How to roll back
    TODO: what `make downgrade` does, or why this revision is one-way.
"""
from alembic import op
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    ${downgrades if downgrades else "pass"}
