"""0036_legacy_reader_windows: the table of the windows `make legacy-readers` watched, in schema
migration, owner only (no privilege for PUBLIC or an API role, on it or its identity sequence);
the line's figure is how many windows are recorded and the last one's verdict. Absent: no
such table. (The "privileges" line reads schema migration too: unchanged, nothing is granted.)"""
from migrations.verify import Check, Db, Outcome, exists, table_holders

TABLE = "migration.legacy_reader_windows"
CREATES = (TABLE,)


def windows_present(db: Db) -> Outcome:
    if not exists(db, TABLE):
        return False, f"{TABLE} MISSING"
    holders = table_holders(db, TABLE)
    count, clean, ended, was_clean = db.one(f"""
        SELECT count(*), count(*) FILTER (WHERE clean),
               (array_agg(ended_at ORDER BY ended_at DESC, id DESC))[1],
               (array_agg(clean ORDER BY ended_at DESC, id DESC))[1]
        FROM {TABLE}""")
    detail = f"{TABLE} present, " + (f"held by {', '.join(holders)}" if holders else "owner only")
    detail += f"; {count} windows recorded ({clean} clean)"
    if count:
        detail += f", the last ended {ended:%Y-%m-%d %H:%M:%S %Z}, {'clean' if was_clean else 'not clean'}"
    return not holders, detail


def windows_absent(db: Db) -> Outcome:
    return (False, f"{TABLE} present too early") if exists(db, TABLE) else (True, "")


CHECKS = (
    Check("legacy reader windows", present=windows_present, absent=windows_absent),
)
