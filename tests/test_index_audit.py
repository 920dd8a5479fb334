"""`make index-audit`: the redundant pairs 0003 documents are found from the catalog, no rule's
index is ever a drop candidate, the write cost is measured on a scratch copy, and public is
left exactly as it was; a database without the new tables is refused with one line."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import psycopg2
import pytest
from psycopg2 import sql

from cli_helpers import run_cli, scalar

from scripts.bench_base import seeded_and_backfilled
from scripts.index_audit import SCRATCH, Index, coverage, redundant

INDEX_LIST = "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
ENFORCING = """SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = ANY(ARRAY['children', 'weeks', 'habits', 'habit_records', 'habit_templates',
                                            'notifications']::REGCLASS[])
                 AND (i.indisunique OR i.indisprimary)"""
SEEDED_TABLES = ("children", "weeks", "habits", "habit_records")


@pytest.fixture
def seeded(db, migrate, database_url):
    """Head, a few hundred legacy rows backfilled and analyzed, pg_cron's drain unscheduled (it
    would read during the workload)."""
    migrate("upgrade", "head")
    with db.cursor() as cur:
        cur.execute("SELECT cron.unschedule('drain-sync-queue')")
    conn = psycopg2.connect(database_url)
    try:
        seeded_and_backfilled(conn, 300, batch=100)
    finally:
        conn.close()
    return db


def audit(database_url, *args):
    result = run_cli("scripts.index_audit", "--json", "--rows", "2000", *args, database_url=database_url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def all_rows(db, query):
    with db.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def test_audit_of_a_seeded_head_database(seeded, database_url):
    db = seeded
    before = all_rows(db, INDEX_LIST)
    report = audit(database_url)

    redundant_by_name = {r["index"]: r for r in report["redundant"]}

    def covers(name):
        entry = redundant_by_name[name]
        return entry["kind"], {entry["covered_by"], *entry["also_covered_by"]}

    # The pairs 0003's docstring names, read from the catalog.
    assert covers("idx_children_user_name") == ("duplicate", {"uq_children_user_name"})
    assert covers("idx_habits_week_name") == ("duplicate", {"uq_habits_week_name"})
    kind, by = covers("idx_weeks_child_id")
    assert kind == "prefix" and {"idx_weeks_child_date", "uq_weeks_child_start_date"} <= by
    kind, by = covers("idx_habit_records_habit_id")
    assert kind == "prefix" and "uq_habit_records_habit_date" in by
    assert redundant_by_name["idx_children_user_name"]["covered_by"] == "uq_children_user_name"
    assert all(r["size_bytes"] > 0 and r["size"] and r["idx_scan"] is not None for r in report["redundant"])
    # Different sort order on the second column: not a duplicate, shown apart.
    assert "idx_weeks_child_date" not in redundant_by_name
    assert any(set(d["indexes"]) == {"uq_weeks_child_start_date", "idx_weeks_child_date"} for d in report["direction_only"])

    # The workload ran and its index use reached the statistics.
    assert report["workload"]["users"] > 0 and report["workload"]["index_scans"] > 0
    assert report["unused"] is not None

    # A primary key's or unique index is never a candidate, in any section.
    enforcing = {name for (name,) in all_rows(db, ENFORCING)}
    assert {"children_pkey", "uq_children_user_name", "idx_habit_templates_default_unique"} <= enforcing
    listed = ({r["index"] for r in report["redundant"]} | {u["index"] for u in report["unused"]}
              | {r["index"] for r in report["recommendations"]}
              | {name for c in report["write_cost"] for name in c["candidates"]})
    assert listed and not listed & enforcing
    assert all(r["line"].startswith(f"consider dropping {r['index']} (") and r["line"].endswith("a revision must do it")
               for r in report["recommendations"])

    # Write cost: two positive rates for every table with rows and candidates, none asserted faster.
    costs = {c["table"]: c for c in report["write_cost"]}
    assert set(SEEDED_TABLES) <= set(costs)
    for table in SEEDED_TABLES:
        cost = costs[table]
        assert cost["rows"] > 0 and cost["candidates"], cost
        assert cost["with_rows_per_s"] > 0 and cost["without_rows_per_s"] > 0 and cost["ratio"] > 0, cost
    for cost in costs.values():
        if cost["rows"] == 0:
            assert cost["with_rows_per_s"] is None and cost["without_rows_per_s"] is None

    # Nothing persistent changed: no scratch schema, the same indexes in public.
    assert scalar(db, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (SCRATCH,)) == 0
    assert all_rows(db, INDEX_LIST) == before

    # The readable report has its sections.
    text = run_cli("scripts.index_audit", "--rows", "500", "--rounds", "1", "--users", "3", "--repeat", "1",
                   database_url=database_url)
    assert text.returncode == 0, text.stderr
    for heading in ("redundant indexes (", "unused by the workload (", "write cost:", "recommendations ("):
        assert heading in text.stdout
    assert "consider dropping idx_children_user_name (" in text.stdout
    assert all_rows(db, INDEX_LIST) == before


def test_refuses_a_database_without_the_new_tables(database_url):
    result = run_cli("scripts.index_audit", database_url=database_url)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("index_audit: error: the new tables are missing (children, weeks,")


def test_upgraded_but_empty_database_and_a_taken_scratch_schema(db, migrate, database_url):
    migrate("upgrade", "head")
    report = audit(database_url)
    assert "idx_children_user_name" in {r["index"] for r in report["redundant"]}
    assert report["unused"] is None and report["workload"]["users"] == 0
    assert report["write_cost"] and all(c["rows"] == 0 and c["with_rows_per_s"] is None for c in report["write_cost"])
    # Another run's scratch schema (or a killed one's) is refused, and left where it is.
    with db.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCRATCH)))
    result = run_cli("scripts.index_audit", database_url=database_url)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"index_audit: error: schema {SCRATCH} already exists")
    assert scalar(db, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (SCRATCH,)) == 1


def test_refuses_a_user_who_cannot_reset_statistics(seeded, database_url):
    with seeded.cursor() as cur:
        cur.execute("CREATE ROLE index_auditor LOGIN")
        cur.execute("GRANT SELECT ON children, weeks, habits, habit_records, habit_templates, notifications TO index_auditor")
    url = urlsplit(database_url)
    as_auditor = url._replace(netloc=f"index_auditor@{url.hostname}:{url.port}").geturl()
    result = run_cli("scripts.index_audit", database_url=as_auditor)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("index_audit: error: not allowed to reset statistics")
    assert scalar(seeded, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (SCRATCH,)) == 0


def make(name, keys, options=None, *, unique=False, constraint=None, am="btree", pred=None, oid=None):
    """An Index as load_indexes() builds it, for the pure coverage rules."""
    keys = tuple((attnum, 1978, 0) for attnum in keys)
    return Index(oid or hash(name) % 100000, name, "t", am, unique, False, False, True, keys,
                 tuple(options or (0,) * len(keys)), False, None, pred, constraint, None, 8192, "8192 bytes",
                 f"CREATE INDEX {name} ON public.t USING {am} (...)", "")


def test_coverage_rules():
    a, ab = make("a", [1]), make("ab", [1, 2])
    assert coverage(ab, a) == "prefix" and coverage(a, ab) is None
    # A backward scan: (a DESC) is answered by (a, b); (a, b DESC) is not a duplicate of (a, b).
    assert coverage(ab, make("a_desc", [1], [3])) == "prefix"
    assert coverage(ab, make("ab_mixed", [1, 2], [0, 3])) is None
    assert coverage(ab, make("ab_desc", [1, 2], [3, 3])) == "duplicate"
    # Partial indexes only against the same predicate; no prefix rule outside btree.
    assert coverage(ab, make("a_partial", [1], pred="(x IS NOT NULL)")) is None
    assert coverage(make("g", [1, 2], am="gin"), make("g1", [1], am="gin")) is None
    # A unique index is never redundant to a plain one; the plain one is.
    uq = make("uq", [1, 2], unique=True, constraint="uq", oid=2)
    plain = make("plain", [1, 2], oid=1)
    found = redundant([uq, plain])
    assert list(found) == ["plain"] and found["plain"]["covers"][0][0].name == "uq"
    # Of two identical plain indexes exactly one is redundant (the newer).
    older, newer = make("older", [1], oid=10), make("newer", [1], oid=11)
    assert list(redundant([older, newer])) == ["newer"]
