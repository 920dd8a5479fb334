"""`make index-audit`: which indexes of the six new tables are redundant or unused, and what they cost.

    python -m scripts.commands.index_audit [--json] [--users N] [--repeat N] [--rows N] [--rounds N]

0003 deployed 39 indexes as they were, redundant ones included; every index is paid for on
every INSERT and UPDATE of the dual-write and the backfill. This audit of children, weeks,
habits, habit_records, habit_templates and notifications (schema public) reports:

- redundant indexes, from the catalog (pg_index): an index whose key columns (same columns,
  operator classes and collations, same predicate and expressions, same access method) equal
  another index's or, for btree, are a leading prefix of them. Sort order is not ignored: keys
  match when every column has the same direction (ASC/DESC, NULLS FIRST/LAST) or every column
  the opposite one (a backward scan gives that order); two indexes on the same columns whose
  directions differ otherwise, as (a, b) and (a, b DESC), are listed apart and not counted.
  A unique, primary-key or exclusion index is never called redundant (it enforces a rule; the
  plain index beside it is the redundant one), nor one with INCLUDE columns.
- indexes the measured workload never used: the app's eight reads (scripts/app_queries.py, as
  role authenticated with RLS on, each transaction rolled back) run for up to --users users,
  --repeat times each, on one connection of their own; each index's idx_scan in
  pg_stat_user_indexes is read before and after, and its scans during the workload are the
  difference. No statistics are reset, so no superuser is needed (Supabase's `postgres` is not
  one): the reads are pg_stat views and pg_stat_force_next_flush(), which PUBLIC may execute.
  PostgreSQL 15 keeps a backend's counts pending until it goes idle, and flushes them at most
  once a second (one idle sooner after its last flush waits up to 10 s, PGSTAT_IDLE_INTERVAL,
  or until it exits): the workload connection forces a flush (pg_stat_force_next_flush(),
  done as its transaction ends, before the server answers) once after its own lookups of
  users and ids, so they fall before the first reading, and once after the workload, so all
  of it is in the second; each reading, on the audit's other (autocommit) connection, clears
  the statistics snapshot first (pg_stat_clear_snapshot(): a transaction caches what it read,
  stats_fetch_consistency). Not counted as unused:
  unique/primary-key/exclusion indexes, and an index whose leading columns are a foreign key's
  columns (ON DELETE CASCADE / SET NULL from the parent scans it).
  Other sessions' scans of the six tables during the run are counted too: concurrent traffic
  only adds to the differences, so an index others use is not reported unused (the safe
  direction; an index reported unused had no scan from anyone during the run). A statistics
  reset during the run (pg_stat_database.stats_reset moves, or a counter goes down) would hide
  scans: the audit then stops rather than report.
- the write cost of the candidates (redundant or unused), measured in the same run: per table,
  a scratch copy in schema index_audit_scratch with every index of the original (constraint
  indexes through their constraint definitions, no foreign keys, checks or triggers), and the
  rate of `INSERT ... SELECT` of up to --rows of its rows with every index and with the
  candidates dropped, --rounds interleaved rounds each, TRUNCATE between; median rates.

Advisory: exit 0 whatever it finds; nothing in public is changed or dropped (a revision a
reviewer reads must do that). It needs no superuser and resets no statistics; it runs as a
role that owns the six tables and is a member of authenticated (Supabase's `postgres`). Like
app_queries.as_app_user it briefly locks the six tables (ACCESS EXCLUSIVE, per workload
transaction): run it on a copy or a throwaway database, not production. Exit 2 with one line
when it cannot run: no database, the six tables missing (not upgraded), track_counts off,
statistics reset during the run, the workload not recorded in time, the scratch schema taken.
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field

import psycopg2
from psycopg2 import errors, sql

from scripts.db.app_queries import QUERIES, RLS_TABLES, as_app_user, parameters, typical_user
from scripts.db.database_url import connect
from scripts.db.errors import OneLineParser, UsageError, cli_main

TABLES = RLS_TABLES
SCHEMA = "public"
SCRATCH = "index_audit_scratch"
FLUSH_WAIT_SECONDS = 5.0
REVERSED = 3  # pg_index.indoption bits: 1 DESC, 2 NULLS FIRST; a backward scan flips both

INDEXES = """\
SELECT i.indexrelid, ic.relname, t.relname, am.amname, i.indisunique, i.indisprimary, i.indisexclusion,
       i.indisvalid AND i.indisready, i.indnkeyatts, i.indnatts,
       i.indkey::INT2[], i.indclass::OID[]::INT8[], i.indcollation::OID[]::INT8[], i.indoption::INT2[],
       pg_get_expr(i.indexprs, i.indrelid), pg_get_expr(i.indpred, i.indrelid),
       con.conname, con.contype, pg_get_constraintdef(con.oid),
       pg_relation_size(i.indexrelid), pg_size_pretty(pg_relation_size(i.indexrelid)),
       pg_get_indexdef(i.indexrelid),
       -- what pg_get_indexdef() writes after "... ON schema.table USING ": the access method,
       -- keys, INCLUDE, WITH and WHERE, to re-create the index on the scratch copy
       CASE WHEN starts_with(pg_get_indexdef(i.indexrelid), d.head)
            THEN substr(pg_get_indexdef(i.indexrelid), length(d.head) + 1) END
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                           AND con.contype IN ('p', 'u', 'x')
CROSS JOIN LATERAL (SELECT format('CREATE %%sINDEX %%I ON %%I.%%I USING ',
                                  CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END,
                                  ic.relname, n.nspname, t.relname) AS head) AS d
WHERE n.nspname = %(schema)s AND t.relname = ANY(%(tables)s)
ORDER BY array_position(%(tables)s, t.relname::TEXT), ic.relname"""

# The foreign keys of the six tables: the referencing columns, and for a one-column key the
# predicate a partial index may have and still serve it ("(col IS NOT NULL)").
FOREIGN_KEYS = """\
SELECT con.conname, t.relname, con.conkey::INT2[],
       CASE WHEN cardinality(con.conkey) = 1
            THEN format('(%%I IS NOT NULL)', (SELECT a.attname FROM pg_attribute a
                                              WHERE a.attrelid = con.conrelid AND a.attnum = con.conkey[1])) END
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
WHERE con.contype = 'f' AND t.relnamespace = %(schema)s::REGNAMESPACE AND t.relname = ANY(%(tables)s)"""

# The cumulative counters the workload moves, read outside any cached snapshot.
INDEX_SCANS = """\
SELECT s.indexrelid, s.idx_scan FROM pg_stat_user_indexes s
WHERE s.schemaname = %(schema)s AND s.relname = ANY(%(tables)s)"""

TABLE_READS = """\
SELECT s.relname, s.seq_scan + coalesce(s.idx_scan, 0) FROM pg_stat_user_tables s
WHERE s.schemaname = %(schema)s AND s.relname = ANY(%(tables)s)"""

STATS_RESET = "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()"


@dataclass
class Counters:
    """One reading of the counters: idx_scan per index oid, reads (seq_scan + idx_scan) per
    table, and when the database's statistics were last reset (None: never)."""
    scans: dict
    reads: dict
    reset: object


@dataclass
class Index:
    oid: int
    name: str
    table: str
    am: str
    unique: bool
    primary: bool
    exclusion: bool
    valid: bool
    keys: tuple  # one (attnum, opclass, collation) per key column; attnum 0 is an expression
    options: tuple  # indoption per key column
    has_include: bool
    exprs: str | None
    pred: str | None
    constraint: str | None
    constraint_def: str | None
    size_bytes: int
    size: str
    definition: str
    recreate_tail: str | None
    idx_scan: int | None = None
    fk_served: list = field(default_factory=list)

    @property
    def enforces(self) -> bool:
        """Unique, primary key or exclusion: it is a rule, never a drop candidate."""
        return self.unique or self.primary or self.exclusion or self.constraint is not None


def load_indexes(conn) -> list[Index]:
    with conn.cursor() as cur:
        cur.execute(INDEXES, {"schema": SCHEMA, "tables": list(TABLES)})
        rows = cur.fetchall()
    indexes = []
    for (oid, name, table, am, unique, primary, exclusion, valid, nkey, natts, indkey, opclasses, collations,
         options, exprs, pred, conname, contype, condef, size_bytes, size, definition, tail) in rows:
        keys = tuple(zip(indkey[:nkey], opclasses[:nkey], collations[:nkey]))
        indexes.append(Index(oid, name, table, am, unique, primary, exclusion or contype == "x", valid, keys,
                             tuple(options[:nkey]), natts > nkey, exprs, pred, conname, condef, size_bytes, size,
                             definition, tail))
    return indexes


def coverage(big: Index, small: Index) -> str | None:
    """'duplicate' or 'prefix' when `big` answers every lookup and ordering `small` answers, else None."""
    if big.oid == small.oid or not big.valid or small.has_include:
        return None
    if (big.table, big.am, big.exprs, big.pred) != (small.table, small.am, small.exprs, small.pred):
        return None
    n = len(small.keys)
    if n > len(big.keys) or (n < len(big.keys) and small.am != "btree") or big.keys[:n] != small.keys:
        return None
    head = big.options[:n]
    if head != small.options and tuple(o ^ REVERSED for o in head) != small.options:
        return None
    return "duplicate" if n == len(big.keys) else "prefix"


def _rank(index: Index) -> tuple:
    # Of two identical indexes the higher rank is kept: a rule's index, a unique one, the older.
    return (index.constraint is not None, index.unique, -index.oid)


def redundant(indexes: list[Index]) -> dict[str, dict]:
    """Per redundant index, how it is covered and by which indexes (the best first: one not
    itself redundant, then a constraint's, then the fewest columns). Never an enforcing index."""
    found = {}
    for small in indexes:
        if small.enforces:
            continue
        covers = []
        for big in indexes:
            kind = coverage(big, small)
            if kind == "prefix" or (kind == "duplicate" and _rank(big) > _rank(small)):
                covers.append((big, kind))
        if covers:
            found[small.name] = {"covers": covers}
    for entry in found.values():
        entry["covers"].sort(key=lambda c: (c[0].name in found, c[0].constraint is None, not c[0].unique,
                                            len(c[0].keys), c[0].name))
    return found


def direction_only(indexes: list[Index], found: dict) -> list[tuple[Index, Index]]:
    """Pairs with the same key columns that differ in sort direction only (not counted as redundant)."""
    pairs = []
    for a in indexes:
        for b in indexes:
            if (a.oid < b.oid and a.name not in found and b.name not in found and a.table == b.table
                    and a.keys == b.keys and (a.am, a.exprs, a.pred) == (b.am, b.exprs, b.pred)
                    and not coverage(a, b) and not coverage(b, a) and a.valid and b.valid):
                pairs.append((a, b))
    return pairs


def mark_foreign_keys(conn, indexes: list[Index]) -> None:
    with conn.cursor() as cur:
        cur.execute(FOREIGN_KEYS, {"schema": SCHEMA, "tables": list(TABLES)})
        fks = cur.fetchall()
    for conname, table, conkey, not_null_pred in fks:
        for index in indexes:
            lead = [k[0] for k in index.keys[:len(conkey)]]
            if (index.table == table and index.exprs is None and sorted(lead) == sorted(conkey)
                    and index.pred in (None, not_null_pred)):
                index.fk_served.append(conname)


# --- the workload ----------------------------------------------------------------------------

def workload_users(conn, limit: int) -> list[tuple[str, dict]]:
    """Up to `limit` users with weeks, the typical one first, each with the ids the app holds."""
    with conn.cursor() as cur:
        first = typical_user(cur)
        cur.execute("SELECT DISTINCT user_id::TEXT FROM weeks ORDER BY 1 LIMIT %s", (limit,))
        users = [u for (u,) in cur.fetchall() if u != first]
        users = ([first] if first else []) + users
        chosen = [(u, parameters(cur, u)) for u in users[:limit]]
    conn.commit()
    return chosen


def require_track_counts(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("SHOW track_counts")
        if cur.fetchone()[0] != "on":
            raise UsageError("track_counts is off: the server records no index use to audit")


def flush_statistics(conn) -> None:
    """Send `conn`'s pending statistics to shared memory now. A backend flushes them when it goes
    idle, at most once a second (or 10 s later when it went idle sooner); forced
    (pg_stat_force_next_flush(), executable by PUBLIC), the flush happens as this transaction
    ends, before the server answers the COMMIT/ROLLBACK."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")
    if not conn.autocommit:
        conn.rollback()


def read_counters(conn) -> Counters:
    """The counters as shared memory has them now: the cached snapshot is cleared first, and on
    an autocommit connection each statement is a transaction of its own anyway."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(STATS_RESET)
        row = cur.fetchone()
        cur.execute(INDEX_SCANS, {"schema": SCHEMA, "tables": list(TABLES)})
        scans = dict(cur.fetchall())
        cur.execute(TABLE_READS, {"schema": SCHEMA, "tables": list(TABLES)})
        reads = dict(cur.fetchall())
    return Counters(scans, reads, row[0] if row else None)


def differences(before: Counters, after: Counters) -> tuple[dict, dict]:
    """idx_scan per index oid and reads per table between two readings; UsageError when the
    statistics were reset in between (scans would be lost, an index used could read unused)."""
    scans = {oid: n - before.scans.get(oid, 0) for oid, n in after.scans.items()}
    reads = {table: n - before.reads.get(table, 0) for table, n in after.reads.items()}
    if after.reset != before.reset or min([*scans.values(), *reads.values(), 0]) < 0:
        raise UsageError("the statistics were reset during the audit (pg_stat_reset() or a single "
                         "table's): its index scans are not all counted; run it again")
    return scans, reads


def run_workload(conn, users: list[tuple[str, dict]], repeat: int) -> None:
    for _ in range(repeat):
        for user, params in users:
            with as_app_user(conn, user) as cur:
                for query in QUERIES:
                    cur.execute(query.text, params)
                    cur.fetchall()
    flush_statistics(conn)


def read_index_scans(conn, indexes: list[Index], before: Counters) -> dict[str, int]:
    """idx_scan during the workload per index (set on each) and reads per table, once the
    workload's are visible: the table counters (sequential and index scans) move in the same flush
    as the index ones, and the workload reads every table it touches whichever access path the
    planner chose. The forced flush makes them visible at once; the wait is a safety net."""
    deadline = time.monotonic() + FLUSH_WAIT_SECONDS
    while True:
        scans, reads = differences(before, read_counters(conn))
        if sum(reads.values()) > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if sum(reads.values()) == 0:
        raise UsageError(f"the statistics did not record the workload within {FLUSH_WAIT_SECONDS:g} s: "
                         "nothing to judge index use by")
    for index in indexes:
        index.idx_scan = scans.get(index.oid, 0)
    return reads


# --- the write cost --------------------------------------------------------------------------

def recreate_statement(index: Index, table: str) -> sql.Composable:
    """The index (or its constraint) on the scratch copy of `table`, under the same name. The
    definition text after the names comes from the server's catalog (pg_get_indexdef,
    pg_get_constraintdef), never from input; the names are quoted identifiers."""
    target = sql.Identifier(SCRATCH, table)
    if index.constraint is not None:
        return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(target, sql.Identifier(index.constraint)) \
            + sql.SQL(index.constraint_def)
    if index.recreate_tail is None:
        raise UsageError(f"cannot re-create {index.name} on a scratch copy: unexpected definition {index.definition}")
    return sql.SQL("CREATE {}INDEX {} ON {} USING ").format(
        sql.SQL("UNIQUE " if index.unique else ""), sql.Identifier(index.name), target) + sql.SQL(index.recreate_tail)


def write_cost(conn, table: str, table_indexes: list[Index], candidates: list[Index], rows: int, rounds: int) -> dict:
    """Insert rate into a scratch copy of `table` with all its indexes and without `candidates`."""
    result = {"table": table, "indexes": len(table_indexes), "candidates": [i.name for i in candidates],
              "rows": 0, "with_rows_per_s": None, "without_rows_per_s": None, "ratio": None}
    source, target = sql.Identifier(SCHEMA, table), sql.Identifier(SCRATCH, table)
    insert = sql.SQL("INSERT INTO {} SELECT * FROM {} LIMIT %s").format(target, source)
    truncate = sql.SQL("TRUNCATE {}").format(target)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM (SELECT FROM {} LIMIT %s) AS r").format(source), (rows,))
        n = cur.fetchone()[0]
        result["rows"] = n
        if n == 0:
            return result
        cur.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS)").format(target, source))
        for index in table_indexes:
            cur.execute(recreate_statement(index, table))
        cur.execute(insert, (n,))  # warm-up: the source rows into the cache, not measured
        seconds = {"with": [], "without": []}
        present = True
        for r in range(rounds):
            for variant in (("with", "without") if r % 2 == 0 else ("without", "with")):
                cur.execute(truncate)
                if variant == "with" and not present:
                    for index in candidates:
                        cur.execute(recreate_statement(index, table))
                elif variant == "without" and present:
                    for index in candidates:
                        cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(SCRATCH, index.name)))
                present = variant == "with"
                started = time.perf_counter()
                cur.execute(insert, (n,))
                seconds[variant].append(time.perf_counter() - started)
        cur.execute(sql.SQL("DROP TABLE {}").format(target))
    with_rate, without_rate = (n / statistics.median(seconds[v]) for v in ("with", "without"))
    result.update(with_rows_per_s=round(with_rate), without_rows_per_s=round(without_rate),
                  ratio=round(without_rate / with_rate, 2))
    return result


def create_scratch(conn) -> None:
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCRATCH)))
    except errors.DuplicateSchema:
        raise UsageError(f"schema {SCRATCH} already exists: another index audit is running, or one was killed "
                         f"(if none runs: DROP SCHEMA {SCRATCH} CASCADE)") from None


def drop_scratch(conn) -> None:
    if conn.closed:
        conn = connect()
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCRATCH)))


# --- the audit and its report ----------------------------------------------------------------

def require_tables(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT t FROM unnest(%s::TEXT[]) AS t WHERE to_regclass(format('%%I.%%I', %s::TEXT, t)) IS NULL",
                    (list(TABLES), SCHEMA))
        missing = [t for (t,) in cur.fetchall()]
    if missing:
        raise UsageError(f"the new tables are missing ({', '.join(missing)}): upgrade the database "
                         "(make upgrade) before auditing its indexes")


def unused_by_workload(indexes: list[Index], found: dict) -> tuple[list[Index], list[dict]]:
    """The indexes with no scan in the workload that are drop candidates, and those not counted:
    a rule's index, or (unless redundant) an index a parent's DELETE scans for a foreign key."""
    unused, kept = [], []
    for index in indexes:
        if index.idx_scan != 0:
            continue
        if index.enforces:
            kept.append({"index": index.name, "table": index.table, "reason": "enforces a rule"})
        elif not index.fk_served:
            unused.append(index)
        elif index.name not in found:
            kept.append({"index": index.name, "table": index.table, "reason": "serves " + ", ".join(index.fk_served)})
    return unused, kept


def measure_write_costs(conn, indexes: list[Index], candidates: list[Index], rows: int, rounds: int) -> list[dict]:
    """write_cost() for each table with candidates, in a scratch schema dropped at the end, even on error."""
    costs = []
    if not candidates:
        return costs
    create_scratch(conn)
    try:
        for table in TABLES:
            mine = [i for i in candidates if i.table == table]
            if mine:
                costs.append(write_cost(conn, table, [i for i in indexes if i.table == table], mine, rows, rounds))
    finally:
        drop_scratch(conn)
    return costs


def describe(index: Index) -> dict:
    return {"index": index.name, "table": index.table, "definition": index.definition,
            "size_bytes": index.size_bytes, "size": index.size, "idx_scan": index.idx_scan}


def audit(conn, workload_conn, *, users: int, repeat: int, rows: int, rounds: int) -> dict:
    require_tables(conn)
    indexes = load_indexes(conn)
    mark_foreign_keys(conn, indexes)
    found = redundant(indexes)

    chosen = workload_users(workload_conn, users)
    workload = {"users": len(chosen), "repeat": repeat, "queries": [q.name for q in QUERIES],
                "index_scans": None, "tables_not_read": None}
    unused, unused_kept = None, []
    if chosen:
        require_track_counts(conn)
        # The lookups of users and ids above scanned indexes on the workload connection: flushed
        # now, they are in the first reading and not in the workload's differences.
        flush_statistics(workload_conn)
        before = read_counters(conn)
        run_workload(workload_conn, chosen, repeat)
        reads = read_index_scans(conn, indexes, before)
        workload["index_scans"] = sum(i.idx_scan for i in indexes)
        workload["tables_not_read"] = [t for t in TABLES if not reads.get(t)]
        unused, unused_kept = unused_by_workload(indexes, found)
    unused_names = {i.name for i in unused or ()}

    candidates = [i for i in indexes if i.name in found or i.name in unused_names]
    costs = measure_write_costs(conn, indexes, candidates, rows, rounds)

    recommendations = []
    for index in candidates:
        reasons = []
        if index.name in found:
            best, kind = found[index.name]["covers"][0]
            reasons.append(f"covered by {best.name} ({kind})")
        if index.name in unused_names:
            reasons.append("unused by the workload")
        recommendations.append({"index": index.name, "table": index.table, "size": index.size,
                                "size_bytes": index.size_bytes, "reasons": reasons,
                                "line": f"consider dropping {index.name} ({index.size}): {', '.join(reasons)}; "
                                        "a revision must do it"})
    by_name = {i.name: i for i in indexes}
    return {
        "schema": SCHEMA, "tables": list(TABLES), "indexes": len(indexes),
        "redundant": [dict(describe(by_name[name]), kind=entry["covers"][0][1],
                           covered_by=entry["covers"][0][0].name,
                           covering_definition=entry["covers"][0][0].definition,
                           also_covered_by=[c.name for c, _ in entry["covers"][1:]])
                      for name, entry in found.items()],
        "direction_only": [{"table": a.table, "indexes": [a.name, b.name], "definitions": [a.definition, b.definition]}
                           for a, b in direction_only(indexes, found)],
        "workload": workload,
        "unused": None if unused is None else [describe(i) for i in unused],
        "unused_kept": unused_kept,
        "write_cost": costs,
        "recommendations": recommendations,
    }


def render(report: dict) -> str:
    lines = [f"index audit: {report['indexes']} indexes of {', '.join(report['tables'])} (schema {report['schema']})", ""]
    lines.append(f"redundant indexes ({len(report['redundant'])})")
    for r in report["redundant"]:
        also = f" (also {', '.join(r['also_covered_by'])})" if r["also_covered_by"] else ""
        how = "duplicates" if r["kind"] == "duplicate" else "is a prefix of"
        lines.append(f"  {r['index']} {r['definition'].split(' USING ', 1)[1]}, {r['size']}, idx_scan {r['idx_scan']}: "
                     f"{how} {r['covered_by']}{also}")
    for d in report["direction_only"]:
        a, b = (f"{name} {definition.split(' USING ', 1)[1]}" for name, definition in zip(d["indexes"], d["definitions"]))
        lines.append(f"  not counted, same columns in another sort order: {a} and {b}")
    lines.append("")
    w = report["workload"]
    if report["unused"] is None:
        lines.append("unused by the workload: not measured (weeks has no rows: no user to act as)")
    else:
        lines.append(f"unused by the workload ({len(report['unused'])}): the app's {len(w['queries'])} reads "
                     f"as role authenticated with RLS on, {w['users']} users x {w['repeat']}, "
                     f"{w['index_scans']} index scans in all")
        for u in report["unused"]:
            lines.append(f"  {u['index']} on {u['table']}, {u['size']}")
        if w["tables_not_read"]:
            lines.append(f"  the workload reads no row of {', '.join(w['tables_not_read'])}: every index there is "
                         "unused by it; that measures the workload, not the index")
        rules = [k["index"] for k in report["unused_kept"] if k["reason"] == "enforces a rule"]
        fks = [f"{k['index']} ({k['reason']})" for k in report["unused_kept"] if k["reason"] != "enforces a rule"]
        if rules:
            lines.append(f"  not counted, they enforce a rule (primary key, unique): {', '.join(rules)}")
        if fks:
            lines.append("  not counted, a parent's DELETE scans them for its foreign key: " + ", ".join(fks))
    lines.append("")
    lines.append("write cost: INSERT ... SELECT of the table's rows into a scratch copy with all its indexes, "
                 "and without the candidates (median of interleaved rounds)")
    if not report["write_cost"]:
        lines.append("  no candidates: nothing to measure")
    for c in report["write_cost"]:
        if not c["rows"]:
            lines.append(f"  {c['table']}: not measured (no rows to copy); candidates {', '.join(c['candidates'])}")
            continue
        lines.append(f"  {c['table']}, {c['rows']} rows: {c['with_rows_per_s']:,} rows/s with its {c['indexes']} "
                     f"indexes, {c['without_rows_per_s']:,} rows/s without the {len(c['candidates'])} candidates "
                     f"(x{c['ratio']}): {', '.join(c['candidates'])}")
    lines.append("")
    lines.append(f"recommendations ({len(report['recommendations'])}; advisory, nothing was dropped)")
    lines.extend(f"  {r['line']}" for r in report["recommendations"])
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="index_audit", description=__doc__.splitlines()[0],
                           usage_line="usage: python -m scripts.commands.index_audit [--json] [--users N] [--repeat N] "
                                      "[--rows N] [--rounds N]")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if min(args.users, args.repeat, args.rows, args.rounds) < 1:
        raise UsageError("--users, --repeat, --rows and --rounds must be at least 1")
    conn = connect()
    workload_conn = connect(autocommit=False)
    try:
        report = audit(conn, workload_conn, users=args.users, repeat=args.repeat, rows=args.rows, rounds=args.rounds)
    except psycopg2.Error as exc:
        raise UsageError(f"index audit could not run: {' '.join(str(exc).split())}") from None
    finally:
        workload_conn.close()
        conn.close()
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else render(report))
    return 0


if __name__ == "__main__":
    cli_main(main)()
