"""`make index-audit`: the redundant pairs 0003 documents are found from the catalog, no rule's
index is ever a drop candidate, the write cost is measured on a scratch copy, and public is
left exactly as it was; a database without the new tables is refused with one line. It runs
as a role that is no superuser and resets no statistics: an index is unused when the workload's
run added no scan to it, whatever its total."""
from __future__ import annotations

import json

import psycopg2
import pytest
from psycopg2 import sql

from helpers import LEGACY_WRITABLE, run_cli, scalar, starts_at, unschedule_drain

from scripts.bench.bench_base import seeded_and_backfilled
from scripts.db.errors import UsageError
from scripts.commands.index_audit import SCRATCH, Counters, Index, coverage, differences, redundant

INDEX_LIST = "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
ENFORCING = """SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = ANY(ARRAY['children', 'weeks', 'habits', 'habit_records', 'habit_templates',
                                            'notifications']::REGCLASS[])
                 AND (i.indisunique OR i.indisprimary)"""
SEEDED_TABLES = ("children", "weeks", "habits", "habit_records")


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def seeded(db, migrate, database_url):
    """Head, a few hundred legacy rows backfilled and analyzed, pg_cron's drain unscheduled (it
    would read during the workload)."""
    migrate("upgrade", LEGACY_WRITABLE)
    unschedule_drain(db)
    conn = psycopg2.connect(database_url)
    try:
        seeded_and_backfilled(conn, 300, batch=100)
    finally:
        conn.close()
    return db


def audit(database_url, *args):
    result = run_cli("scripts.commands.index_audit", "--json", "--rows", "2000", *args, database_url=database_url)
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
    text = run_cli("scripts.commands.index_audit", "--rows", "500", "--rounds", "1", "--users", "3", "--repeat", "1",
                   database_url=database_url)
    assert text.returncode == 0, text.stderr
    for heading in ("redundant indexes (", "unused by the workload (", "write cost:", "recommendations ("):
        assert heading in text.stdout
    assert "consider dropping idx_children_user_name (" in text.stdout
    assert all_rows(db, INDEX_LIST) == before


def test_refuses_a_database_without_the_new_tables(database_url):
    result = run_cli("scripts.commands.index_audit", database_url=database_url)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("index_audit: error: the new tables are missing (children, weeks,")


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_upgraded_but_empty_database_and_a_taken_scratch_schema(db, migrate, database_url):
    migrate("upgrade", LEGACY_WRITABLE)
    report = audit(database_url)
    assert "idx_children_user_name" in {r["index"] for r in report["redundant"]}
    assert report["unused"] is None and report["workload"]["users"] == 0
    assert report["write_cost"] and all(c["rows"] == 0 and c["with_rows_per_s"] is None for c in report["write_cost"])
    # Another run's scratch schema (or a killed one's) is refused, and left where it is.
    with db.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCRATCH)))
    result = run_cli("scripts.commands.index_audit", database_url=database_url)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"index_audit: error: schema {SCRATCH} already exists")
    assert scalar(db, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (SCRATCH,)) == 1


QUICK = ("--rows", "200", "--rounds", "1", "--users", "3", "--repeat", "1")
INDEX_TOTAL = "SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = 'public' AND indexrelname = %s"
SIX_TABLES_TOTALS = """SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE schemaname = 'public'
                       AND relname IN ('children', 'weeks', 'habits', 'habit_records', 'habit_templates',
                                       'notifications')"""
STATS_RESET = "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()"


def flushed(db):
    """This connection's pending statistics in shared memory (PostgreSQL 15 flushes an idle
    backend's at most once a second; forced, as the statement ends)."""
    with db.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")


def scans_by(db, query, index):
    """Run `query` with sequential scans off, so that it scans `index`; its total idx_scan after."""
    with db.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        cur.execute(query)
        cur.execute("RESET enable_seqscan")
    flushed(db)
    return scalar(db, INDEX_TOTAL, (index,))


def test_runs_without_superuser_and_resets_nothing(seeded, database_url):
    # The tests connect as Supabase's postgres (conftest): no superuser, so no pg_stat_reset().
    assert scalar(seeded, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
    assert scalar(seeded, "SELECT has_function_privilege('pg_stat_reset()', 'EXECUTE')") is False
    assert scalar(seeded, "SELECT has_function_privilege('pg_stat_force_next_flush()', 'EXECUTE')") is True
    reset_before = scalar(seeded, STATS_RESET)
    pkey_before = scans_by(seeded, "SELECT count(*) FROM weeks WHERE id = gen_random_uuid()", "weeks_pkey")
    assert pkey_before > 0

    report = audit(database_url, *QUICK)

    assert report["workload"]["users"] > 0 and report["workload"]["index_scans"] > 0
    assert report["unused"] is not None and report["recommendations"]
    # Nothing was reset: the database's reset time and the running totals are where they were.
    assert scalar(seeded, STATS_RESET) == reset_before
    assert scalar(seeded, INDEX_TOTAL, ("weeks_pkey",)) >= pkey_before
    assert scalar(seeded, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (SCRATCH,)) == 0


def test_unused_is_judged_by_the_workloads_scans_not_the_totals(seeded, database_url):
    db = seeded
    # Scanned before the run only: a status lookup the app's eight reads never make.
    status_before = scans_by(db, "SELECT count(*) FROM habit_records WHERE status = 'green'",
                             "idx_habit_records_status")
    # Scanned before the run and by the workload (a week's habits; the habits policy's InitPlan).
    # Redundant beside idx_habits_week_name, whose first column it is.
    habit_before = scans_by(db, "SELECT count(*) FROM habits WHERE week_id = gen_random_uuid()",
                            "idx_habits_week_id")
    assert status_before > 0 and habit_before > 0
    totals_before = dict(all_rows(db, SIX_TABLES_TOTALS))

    report = audit(database_url, *QUICK)

    # The totals moved by the workload's index scans and by the audit's lookups of users and ids
    # (made, and flushed, before its first reading): never by less than the audit reports.
    moved = {name: n - totals_before[name] for name, n in all_rows(db, SIX_TABLES_TOTALS)}
    assert sum(moved.values()) >= report["workload"]["index_scans"] > 0, moved
    unused = {u["index"]: u for u in report["unused"]}
    assert "idx_habit_records_status" in unused, sorted(unused)
    assert unused["idx_habit_records_status"]["idx_scan"] == 0
    assert scalar(db, INDEX_TOTAL, ("idx_habit_records_status",)) == status_before
    assert "idx_habits_week_id" not in unused
    # Its figure is its scans during the run, not its total.
    habit_after = scalar(db, INDEX_TOTAL, ("idx_habits_week_id",))
    reported = {r["index"]: r["idx_scan"] for r in report["redundant"]}["idx_habits_week_id"]
    assert 0 < reported <= habit_after - habit_before < habit_after


def test_differences_refuse_a_reset_in_between():
    before = Counters({1: 5, 2: 3}, {"weeks": 10}, None)
    assert differences(before, Counters({1: 9, 2: 3}, {"weeks": 12}, None)) == ({1: 4, 2: 0}, {"weeks": 2})
    # Other sessions' scans are in the differences too: they can only raise them.
    assert differences(before, Counters({1: 5, 2: 3, 3: 1}, {"weeks": 10}, None))[0] == {1: 0, 2: 0, 3: 1}
    for after in (Counters({1: 9, 2: 3}, {"weeks": 12}, "2026-11-29 21:00:00+00"),  # pg_stat_reset()
                  Counters({1: 1, 2: 3}, {"weeks": 12}, None),  # a counter went down
                  Counters({1: 9, 2: 3}, {"weeks": 4}, None)):
        with pytest.raises(UsageError, match="^the statistics were reset during the audit"):
            differences(before, after)


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
