"""Session settings every migration run uses (read by env.py, and by the tests that prove them)."""

# Defaults for every revision; a revision raises them with SET LOCAL (or SET inside an
# autocommit block) and says why in its docstring.
DEFAULT_LOCK_TIMEOUT = "5s"
DEFAULT_STATEMENT_TIMEOUT = "60s"
# How long a second `make upgrade` waits for the first before giving up, and how often it asks.
MIGRATION_LOCK_WAIT_SECONDS = 600
MIGRATION_LOCK_POLL_SECONDS = 0.5
# pg_advisory_lock key reserved for this repository's migrations ("habits" in ASCII).
MIGRATION_ADVISORY_LOCK_KEY = 0x686162697473
