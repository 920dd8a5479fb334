"""Print a short summary of what the migrations have built in the database at DATABASE_URL.

Read from the catalog: the alembic revision, and for each table of the public schema its
columns, rows, constraints (validated or NOT VALID), indexes (and whether valid), policies and
whether row level security is on.
"""
from __future__ import annotations

from scripts.db.database_url import connect
from scripts.db.errors import UsageError, cli_main

TABLE_FACTS = """
SELECT c.relname,
       (SELECT count(*) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT count(*) FROM pg_constraint k
         WHERE k.conrelid = c.oid AND k.contype IN ('f', 'c') AND k.convalidated) AS valid_constraints,
       (SELECT count(*) FROM pg_constraint k
         WHERE k.conrelid = c.oid AND k.contype IN ('f', 'c') AND NOT k.convalidated) AS not_valid_constraints,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid AND NOT i.indisvalid) AS invalid_indexes,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
       c.relrowsecurity,
       c.reltuples::BIGINT
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
ORDER BY c.relname
"""


def main(argv: list[str]) -> int:
    if argv:
        raise UsageError("usage: python -m scripts.demo.schema_summary")
    conn = connect()
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL")
        has_version = cur.fetchone()[0]
        version = None
        if has_version:
            cur.execute("SELECT version_num FROM alembic_version")
            row = cur.fetchone()
            version = row[0] if row else None
        cur.execute(TABLE_FACTS)
        rows = cur.fetchall()
    conn.close()
    print(f"alembic revision: {version or '(none)'}")
    header = f"{'table':<18}{'cols':>5}{'checks+FKs valid/not':>22}{'indexes':>9}{'invalid':>9}{'policies':>10}  RLS"
    print(header)
    totals = [0, 0, 0, 0]
    for name, cols, valid, not_valid, indexes, invalid, policies, rls, _ in rows:
        print(f"{name:<18}{cols:>5}{f'{valid}/{not_valid}':>22}{indexes:>9}{invalid:>9}{policies:>10}  {'on' if rls else 'off'}")
        totals = [totals[0] + valid, totals[1] + not_valid, totals[2] + indexes, totals[3] + policies]
    print(f"{'total':<23}{f'{totals[0]}/{totals[1]}':>22}{totals[2]:>9}{'':>9}{totals[3]:>10}")
    return 0


if __name__ == "__main__":
    cli_main(main)()
