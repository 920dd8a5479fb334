"""0003_shadow_indexes: the 39 idx_* indexes of the new tables, and no invalid index in public."""
from migrations.verify import NEW_TABLES, Check, Db, Outcome

SHADOW_INDEXES = 39


def counts(db: Db) -> tuple[int, int]:
    """(idx_* indexes on the new tables, invalid indexes anywhere in public)."""
    return db.one("""
        SELECT count(*) FILTER (WHERE t.relname = ANY(%s) AND i.relname LIKE 'idx\\_%%'),
               count(*) FILTER (WHERE NOT x.indisvalid)
        FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid JOIN pg_class AS t ON t.oid = x.indrelid
        WHERE t.relnamespace = 'public'::regnamespace""", (list(NEW_TABLES),))


def indexes(db: Db) -> Outcome:
    count, invalid = counts(db)
    detail = (f"{count}/{SHADOW_INDEXES} shadow indexes" if count == SHADOW_INDEXES
              else f"shadow indexes ({count}/{SHADOW_INDEXES}) missing (expected since 0003_shadow_indexes)")
    return count == SHADOW_INDEXES and invalid == 0, f"{detail}; {invalid} invalid indexes in public"


def no_indexes(db: Db) -> Outcome:
    count, invalid = counts(db)
    detail = (f"shadow indexes ({count}/{SHADOW_INDEXES}) absent (0003_shadow_indexes not applied)" if count == 0
              else f"shadow indexes ({count}/{SHADOW_INDEXES}) present although 0003_shadow_indexes is not applied")
    return count == 0 and invalid == 0, f"{detail}; {invalid} invalid indexes in public"


CHECKS = (
    Check("indexes", present=indexes, absent=no_indexes),
)
