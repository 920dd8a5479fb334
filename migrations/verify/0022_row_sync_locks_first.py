"""0022_row_sync_locks_first: migration.sync_legacy_row() locks its row's children before it reads
them, and locks again when it finds one not locked (its retry handler, SQLSTATE 'MGLCK', as
lock_legacy_children() of 0021 has).

Extends the "child locks" line of 0021. Absent: the function, where it exists, has no such
handler."""
from migrations.verify import Check, Db, Outcome

ROW_SYNC = "migration.sync_legacy_row(bigint, text, uuid)"


def row_sync_locking(db: Db) -> bool | None:
    """Whether sync_legacy_row() has the retry handler of 0022 (None where it does not exist)."""
    return db.value("""SELECT p.prosrc LIKE '%%WHEN SQLSTATE ''MGLCK'' THEN%%'
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
