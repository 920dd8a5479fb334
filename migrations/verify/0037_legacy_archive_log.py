"""0037_legacy_archive_log: the log of archives `make archive-legacy` wrote (migration.legacy_archives,
owner only: no privilege for PUBLIC or an API role on it or its identity sequence) and its two
functions, table_checksum and archive_matches, executable by no one but the owner; the figure
is how many archives are recorded and the last one. Absent: none of the three."""
from migrations.verify import Check, Db, Outcome, exists, function_exists, owner_only_functions, table_holders

TABLE = "migration.legacy_archives"
CREATES = (TABLE,)
FUNCTIONS = ("migration.table_checksum(regclass)", "migration.archive_matches(regclass)")


def archives_present(db: Db) -> Outcome:
    if not exists(db, TABLE):
        return False, f"{TABLE} MISSING"
    holders = table_holders(db, TABLE)
    present, executable = owner_only_functions(db, FUNCTIONS)
    count, last_at, last_source = db.one(f"""
        SELECT count(*), max(archived_at),
               (array_agg(source_table ORDER BY archived_at DESC, id DESC))[1]
        FROM {TABLE}""")
    detail = f"{TABLE} present, " + (f"held by {', '.join(holders)}" if holders else "owner only")
    detail += f"; {present} of {len(FUNCTIONS)} functions, {executable} executable by PUBLIC/anon/authenticated"
    detail += f"; {count} archives recorded"
    if count:
        detail += f", the last of {last_source} at {last_at:%Y-%m-%d %H:%M:%S %Z}"
    return not holders and present == len(FUNCTIONS) and executable == 0, detail


def archives_absent(db: Db) -> Outcome:
    early = [TABLE] if exists(db, TABLE) else []
    early += [f for f in FUNCTIONS if function_exists(db, f)]
    return (False, f"{', '.join(early)} present too early") if early else (True, "")


CHECKS = (
    Check("legacy archives", present=archives_present, absent=archives_absent),
)
