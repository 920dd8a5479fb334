"""0022_row_sync_locks_first: migration.sync_legacy_row() takes its children's locks with
lock_legacy_children() (0021) before it reads them.

Extends the "child locks" line of 0021. Absent: the function, where it exists, does not call
lock_legacy_children()."""
from migrations.verify import Check, Db, Outcome

ROW_SYNC = "migration.sync_legacy_row(bigint, text, uuid)"


def row_sync_locking(db: Db) -> bool | None:
    """Whether sync_legacy_row() calls lock_legacy_children() (None where it does not exist)."""
    return db.value("""SELECT p.prosrc LIKE '%%migration.lock_legacy_children(%%'
                       FROM pg_proc AS p WHERE p.oid = to_regprocedure(%s)""", (ROW_SYNC,))


def row_sync_locks_first(db: Db) -> Outcome:
    ok = row_sync_locking(db) is True
    return ok, "sync_legacy_row() locks the children first" if ok else "sync_legacy_row() reads before it locks (0022)"


def row_sync_reads_first(db: Db) -> Outcome:
    if not db.value("SELECT to_regnamespace('migration') IS NOT NULL"):
        return True, ""
    early = row_sync_locking(db) is True
    return not early, "sync_legacy_row() locks the children first although 0022 is not applied" if early else ""


CHECKS = (
    Check("child locks", present=row_sync_locks_first, absent=row_sync_reads_first),
)
