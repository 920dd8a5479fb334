"""0015_rls_planner_friendly: the eight parent-week policies of habits and habit_records read
`= ANY (ARRAY(...))`, the form the planner serves with an index.

Absent: none of them reads so, i.e. they are as 0004 wrote them (EXISTS per row). 0004's own
check keeps counting the 24 policies and RLS off, which this revision does not change.
From 0035 habit_records' four compare the record's user_id instead: present counts either form
(0035's part of the line says which)."""
from migrations.verify import Check, Db, Outcome

PARENT_WEEK_POLICIES = 8

# Marks this revision for `make perf-baseline`: it measures the app's reads before it
# (its down_revision) and at head.
PERF_BASELINE = True


def by_membership(db: Db) -> int:
    return db.value("""SELECT count(*) FROM pg_policies
                       WHERE schemaname = 'public' AND tablename IN ('habits', 'habit_records')
                         AND coalesce(qual, with_check) LIKE '%%= ANY (ARRAY(%%'""")


def index_friendly(db: Db) -> int:
    """By membership, or (habit_records, from 0035) by the record's own user_id."""
    return db.value("""SELECT count(*) FROM pg_policies
                       WHERE schemaname = 'public' AND tablename IN ('habits', 'habit_records')
                         AND (coalesce(qual, with_check) LIKE '%%= ANY (ARRAY(%%'
                              OR (tablename = 'habit_records'
                                  AND coalesce(qual, with_check) = '(( SELECT auth.uid() AS uid) = user_id)'))""")


def rewritten(db: Db) -> Outcome:
    count = index_friendly(db)
    if count == PARENT_WEEK_POLICIES:
        return True, f"parent-week policies index-friendly ({count}/{PARENT_WEEK_POLICIES})"
    return False, f"index-friendly parent-week policies ({count}/{PARENT_WEEK_POLICIES}) missing (expected since 0015)"


def as_0004_wrote_them(db: Db) -> Outcome:
    count = by_membership(db)
    return count == 0, f"parent-week policies as 0004 wrote them ({count} rewritten)"


CHECKS = (
    Check("rls policies", present=rewritten, absent=as_0004_wrote_them),
)
