"""0026_placed_conflicts_hash: migration.placed_weeks has the column conflicts (the md5 of each
child-week's conflict lines, read by `make drift`), and migration.conflict_line() exists, owner
only. Absent: neither (0023's placed_weeks, no conflict_line)."""
from migrations.verify import Check, Db, Outcome, owner_only_functions

FUNCTIONS = ("migration.conflict_line(bigint,text,text,date,jsonb,jsonb,bigint)",)


def has_column(db: Db) -> bool:
    return db.value("""SELECT EXISTS (SELECT 1 FROM pg_attribute
                                      WHERE attrelid = to_regclass('migration.placed_weeks')
                                        AND attname = 'conflicts' AND NOT attisdropped)""")


def functions_by_name(db: Db) -> int:
    return db.value("""SELECT count(*) FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                       WHERE n.nspname = 'migration' AND p.proname = 'conflict_line'""")


def hashed(db: Db) -> Outcome:
    column = has_column(db)
    functions, exposed = owner_only_functions(db, FUNCTIONS)
    ok = column and (functions, exposed) == (len(FUNCTIONS), 0)
    detail = (f"column placed_weeks.conflicts {'present' if column else 'MISSING'}, "
              f"functions {functions}/{len(FUNCTIONS)}"
              + (f" ({exposed} executable by PUBLIC or an API role)" if exposed else " (owner only)"))
    if column:
        unhashed = db.value("""SELECT count(*) FROM migration.placed_weeks p WHERE p.conflicts IS NULL
                                 AND EXISTS (SELECT 1 FROM migration.placement_conflicts c
                                             WHERE c.user_id = p.user_id AND c.child_name = p.child_name
                                               AND c.monday = p.monday)""")
        detail += f"; {unhashed} child-weeks with conflicts not hashed yet (make backfill)"
    return ok, detail


def not_hashed(db: Db) -> Outcome:
    early = int(has_column(db)) + functions_by_name(db)
    return early == 0, f"{early} objects of 0026_placed_conflicts_hash present too early" if early else ""


CHECKS = (
    Check("placed conflicts hash", present=hashed, absent=not_hashed),
)
