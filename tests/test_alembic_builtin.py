"""pytest-alembic's own checks of the revision history, on a real database per test:
single head; upgrade base -> head one revision at a time; and every revision's downgrade
followed by its upgrade again (up/down consistency).

pytest-alembic's experimental `test_downgrade_leaves_no_trace` is not used: it hands env.py a
connection inside a transaction it rolls back midway, which cannot hold CREATE INDEX
CONCURRENTLY nor env.py's per-revision commits. tests/test_round_trip.py checks the same
property more strictly, comparing `pg_dump --schema-only` before and after every step.
"""
from pytest_alembic.tests import (  # noqa: F401  (collected as tests)
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
