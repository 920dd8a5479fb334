"""`make verify`: is the database in the state its Alembic revision says it should be?

    python -m scripts.commands.verify [--json] [--target REV]

One line per check, PASS or FAIL with the figure behind it; exit 1 on any FAIL, 2 when it
cannot run. Every check reads the catalog (and, for orphans, the data) of the database at
DATABASE_URL and compares it with what the revisions applied so far should have built;
objects of revisions not yet applied must be absent. `--target` (default: head) is the
revision the database is expected to be at; `--target current` checks the state against
whatever revision the database is at (what `make rollback` does after stepping back).
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from alembic.script import ScriptDirectory

from scripts.db import privileges
from scripts.db.constraint_violations import constraints, violations
from scripts.db.database_url import connect
from scripts.db.errors import CheckFailed, UsageError, cli_main
from scripts.commands.migrate import alembic_config

NEW_TABLES = ("children", "weeks", "habits", "habit_records", "habit_templates", "notifications")
SHADOW_INDEX_COUNT = 39
SHADOW_POLICY_COUNT = 24
CLEANUP_JOB_NAME = "cleanup-idempotency-log"
DRAIN_JOB_NAME = "drain-sync-queue"


@dataclass
class Result:
    check: str
    status: str  # PASS or FAIL
    detail: str


class State:
    """What verify knows: a connection, the applied revisions, and the revision modules."""

    def __init__(self, conn, script: ScriptDirectory, current: str | None):
        self.conn = conn
        self.script = script
        self.current = current
        self.applied = (
            {rev.revision for rev in script.iterate_revisions(current, "base")} if current else set()
        )

    def has(self, revision: str) -> bool:
        return revision in self.applied

    def module(self, revision: str):
        return self.script.get_revision(revision).module

    def one(self, query: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchone()

    def all(self, query: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()


def _presence(state: State, revision: str, present: bool, what: str, detail_present: str) -> tuple[bool, str]:
    if state.has(revision):
        return present, detail_present if present else f"{what} missing (expected since {revision})"
    return (not present), (f"{what} absent ({revision} not applied)" if not present
                           else f"{what} present although {revision} is not applied")


def check_tables(state: State) -> tuple[bool, str]:
    rows = state.all("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")
    names = {r[0] for r in rows}
    legacy_ok, legacy = _presence(state, "0001_legacy_baseline", "habit_tracker" in names, "habit_tracker",
                                  "habit_tracker present")
    found = [t for t in NEW_TABLES if t in names]
    shadow_ok, shadow = _presence(state, "0002_shadow_tables", len(found) == len(NEW_TABLES),
                                  f"new tables ({len(found)}/6)", "6/6 new tables present")
    if not state.has("0002_shadow_tables"):
        shadow_ok = not found
    return legacy_ok and shadow_ok, f"{legacy}; {shadow}"


def check_source_version(state: State) -> tuple[bool, str]:
    if not state.has("0002_shadow_tables"):
        return True, "no new tables yet"
    rows = state.all("""SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                        WHERE c.relnamespace = 'public'::regnamespace AND a.attname = 'source_version'
                          AND NOT a.attisdropped""")
    have = {r[0] for r in rows}
    missing = [t for t in NEW_TABLES if t not in have]
    return not missing, f"source_version on {6 - len(missing)}/6 new tables" + (f" (missing: {', '.join(missing)})" if missing else "")


def check_indexes(state: State) -> tuple[bool, str]:
    count, invalid = state.one("""
        SELECT count(*) FILTER (WHERE t.relname = ANY(%s) AND i.relname LIKE 'idx\\_%%'),
               count(*) FILTER (WHERE NOT x.indisvalid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relnamespace = 'public'::regnamespace""", (list(NEW_TABLES),))
    ok, detail = _presence(state, "0003_shadow_indexes", count == SHADOW_INDEX_COUNT,
                           f"shadow indexes ({count}/{SHADOW_INDEX_COUNT})", f"{count}/{SHADOW_INDEX_COUNT} shadow indexes")
    if not state.has("0003_shadow_indexes"):
        ok = count == 0
    return ok and invalid == 0, f"{detail}; {invalid} invalid indexes in public"


def check_policies(state: State) -> tuple[bool, str]:
    policies, rls_on = state.one("""
        SELECT count(p.oid), count(DISTINCT c.oid) FILTER (WHERE c.relrowsecurity)
        FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)""", (list(NEW_TABLES),))
    ok, detail = _presence(state, "0004_shadow_rls_policies", policies == SHADOW_POLICY_COUNT,
                           f"policies ({policies}/{SHADOW_POLICY_COUNT})", f"{policies}/{SHADOW_POLICY_COUNT} policies")
    if not state.has("0004_shadow_rls_policies"):
        ok = policies == 0
    # 0015 rewrites the parent-week rules of habits and habit_records as `= ANY (ARRAY(...))`.
    (by_membership,) = state.one("""
        SELECT count(*) FROM pg_policies
        WHERE schemaname = 'public' AND tablename IN ('habits', 'habit_records')
          AND coalesce(qual, with_check) LIKE '%%= ANY (ARRAY(%%'""")
    form_ok, form = _presence(state, "0015_rls_planner_friendly", by_membership == 8,
                              f"index-friendly parent-week policies ({by_membership}/8)",
                              "parent-week policies by membership (8/8)")
    if not state.has("0015_rls_planner_friendly"):
        form_ok, form = by_membership == 0, f"parent-week policies as 0004 wrote them ({by_membership} rewritten)"
    return ok and form_ok and rls_on == 0, f"{detail}; {form}; RLS enabled on {rls_on}/6 new tables (Phase 0 expects 0)"


def expected_validated(state: State) -> set[str]:
    names: set[str] = set()
    for revision, attribute in (("0005_validate_phase0_constraints", "PHASE0_CONSTRAINTS"),
                                ("0006_validate_other_constraints", "REMAINING_CONSTRAINTS")):
        if state.has(revision):
            names |= {name for _, name, _ in getattr(state.module(revision), attribute)}
    return names


def check_constraint_validation(state: State) -> tuple[bool, str]:
    found = [c for c in constraints(state.conn) if c.table in NEW_TABLES]
    if not state.has("0002_shadow_tables"):
        return not found, f"{len(found)} shadow constraints (none expected yet)"
    should_be_valid = expected_validated(state)
    wrong = sorted(c.name for c in found if c.validated != (c.name in should_be_valid))
    valid = sum(c.validated for c in found)
    detail = f"{len(found)}/23 constraints, {valid} validated, {len(found) - valid} NOT VALID (expected {len(should_be_valid)} validated)"
    if wrong:
        detail += f"; in the wrong state: {', '.join(wrong[:5])}"
    return len(found) == 23 and not wrong, detail


def check_orphans(state: State) -> tuple[bool, str]:
    foreign_keys = constraints(state.conn, kind="f")
    bad = [(v.constraint.name, v.count) for v in (violations(state.conn, fk) for fk in foreign_keys) if v.count]
    if bad:
        return False, f"orphan rows: {', '.join(f'{name}={count}' for name, count in bad)}"
    return True, f"0 orphan rows across {len(foreign_keys)} foreign keys"


ENDPOINT_FUNCTIONS_REVISION = "0018_dual_write_functions"
# Of the functions that revision creates (its FUNCTIONS): how many exist, and how many of
# those anyone but their owner may execute.
ENDPOINT_FUNCTIONS = """
    SELECT count(f), count(f) FILTER (WHERE has_function_privilege('public', f, 'EXECUTE')
                                        OR has_function_privilege('anon', f, 'EXECUTE')
                                        OR has_function_privilege('authenticated', f, 'EXECUTE'))
    FROM unnest(%s::TEXT[]) AS s (signature), to_regprocedure(s.signature) AS f"""


def check_idempotency_log(state: State) -> tuple[bool, str]:
    present, rls, policies = state.one("""
        SELECT to_regclass('public.idempotency_log') IS NOT NULL,
               coalesce((SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass('public.idempotency_log')), FALSE),
               (SELECT count(*) FROM pg_policy WHERE polrelid = to_regclass('public.idempotency_log'))""")
    ok, detail = _presence(state, "0007_idempotency_log", present and rls and policies == 4, "idempotency_log",
                           f"idempotency_log present, RLS on, {policies} owner-only policies")
    if not state.has("0007_idempotency_log"):
        ok = not present
    # 0018: the endpoint's write as functions, callable by their owner only.
    signatures = [signature for signature, _ in state.module(ENDPOINT_FUNCTIONS_REVISION).FUNCTIONS]
    functions, callable_by_others = state.one(ENDPOINT_FUNCTIONS, (signatures,))
    if not state.has(ENDPOINT_FUNCTIONS_REVISION):
        return ok and functions == 0, detail + (f"; {functions} dual-write functions present too early" if functions else "")
    if functions != len(signatures) or callable_by_others:
        return False, detail + (f"; dual-write functions {functions}/{len(signatures)}, "
                                f"{callable_by_others} executable by PUBLIC, anon or authenticated")
    return ok, detail + f"; migration.dual_write() and its {functions - 1} helpers, owner-only"


def cron_jobs(state: State, jobname: str) -> tuple[bool, list]:
    """Whether pg_cron is installed here, and the schedules of the jobs named so."""
    has_cron = state.one("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')")[0]
    jobs = state.all("SELECT schedule FROM cron.job WHERE jobname = %s", (jobname,)) if has_cron else []
    return has_cron, jobs


def check_cleanup(state: State) -> tuple[bool, str]:
    function = state.one("SELECT to_regprocedure('public.cleanup_idempotency_log()') IS NOT NULL")[0]
    has_cron, jobs = cron_jobs(state, CLEANUP_JOB_NAME)
    if not state.has("0008_idempotency_cleanup"):
        ok = not function and not jobs
        return ok, f"cleanup function {'present' if function else 'absent'}, {len(jobs)} cron jobs (0008 not applied)"
    if not function:
        return False, "cleanup_idempotency_log() missing"
    if not has_cron:
        return False, "cleanup_idempotency_log() present but NOT scheduled: pg_cron is not installed in this database"
    if not jobs:
        return False, f"cleanup_idempotency_log() present but cron job {CLEANUP_JOB_NAME!r} is missing"
    return True, f"cleanup_idempotency_log() present, cron job {CLEANUP_JOB_NAME!r} at '{jobs[0][0]}'"


def check_trigger(state: State) -> tuple[bool, str]:
    row = state.one("""
        SELECT t.tgenabled, obj_description(t.tgfoid, 'pg_proc') FROM pg_trigger t
        WHERE t.tgname = 'trigger_habit_tracker_dual_write' AND NOT t.tgisinternal""")
    if not state.has("0009_dual_write_trigger_phase0"):
        return row is None, "dual-write trigger absent (0009 not applied)" if row is None else "dual-write trigger present too early"
    if row is None:
        return False, "trigger_habit_tracker_dual_write missing"
    enabled, comment = row
    mode = (comment or "mode unknown").removeprefix("dual-write mode: ")
    if enabled == "D":
        return False, f"trigger_habit_tracker_dual_write present but DISABLED; function mode {mode}"
    if not state.has("0012_dual_write_trigger_sync"):
        return True, f"trigger_habit_tracker_dual_write enabled; mode {mode}"
    switch, failures = state.one("SELECT migration.sync_trigger_enabled(), (SELECT count(*) FROM migration.sync_failures)")
    switched = "syncing ON" if switch else "syncing OFF (global switch: make sync-trigger MODE=on)"
    detail = f"trigger_habit_tracker_dual_write enabled; mode {mode}, {switched}; {failures} unsynced failures recorded"
    if not state.has("0013_dual_write_sync_queue"):
        return True, detail
    entries, oldest = state.one("SELECT count(*), coalesce(extract(EPOCH FROM now() - min(enqueued_at)), 0)::INTEGER "
                                "FROM migration.sync_queue")
    detail += f"; queue {entries} writes, oldest {oldest} s"
    _, jobs = cron_jobs(state, DRAIN_JOB_NAME)
    if not jobs:
        return False, detail + f"; cron job {DRAIN_JOB_NAME!r} missing: run make sync-worker, or install pg_cron"
    return True, detail + f"; cron job {DRAIN_JOB_NAME!r} at '{jobs[0][0]}'"


MAPPING_OBJECTS = ("migration.sync_legacy_ids(bigint[],text)", "migration.row_problem(habit_tracker)")
MAPPING_VIEWS = ("classified_legacy_rows", "expected_weeks", "expected_children", "expected_habits",
                 "expected_records")


ROW_SYNC_CONFIG = ("SELECT (SELECT proconfig FROM pg_proc "
                   "WHERE oid = to_regprocedure('migration.sync_legacy_row(bigint, text, uuid)'))")
GENERIC_PLANS = "plan_cache_mode=force_generic_plan"
ID_FUNCTIONS_PLAN = """EXPLAIN VERBOSE SELECT * FROM migration.map_records(1, '2025-01-06', '[{"name": "a", "times": ["red"]}]')"""


def check_mapping(state: State) -> tuple[bool, str]:
    present = state.one("SELECT to_regnamespace('migration') IS NOT NULL")[0]
    if not state.has("0010_legacy_mapping"):
        return not present, "schema migration absent (0010 not applied)" if not present else "schema migration present too early"
    if not present:
        return False, "schema migration missing"
    functions = sum(state.one("SELECT to_regprocedure(%s) IS NOT NULL", (f,))[0] for f in MAPPING_OBJECTS)
    views = state.one("SELECT count(*) FROM pg_views WHERE schemaname = 'migration' AND viewname = ANY(%s)",
                      (list(MAPPING_VIEWS),))[0]
    quarantined = state.one("SELECT count(*) FROM migration.backfill_quarantine")[0]
    ok = functions == len(MAPPING_OBJECTS) and views == len(MAPPING_VIEWS)
    detail = f"mapping functions {functions}/{len(MAPPING_OBJECTS)}, views {views}/{len(MAPPING_VIEWS)}; {quarantined} legacy rows quarantined"
    has_state = state.one("SELECT to_regclass('migration.sync_state') IS NOT NULL "
                          "AND to_regprocedure('migration.write_mapping(bigint[],text)') IS NOT NULL")[0]
    if not state.has("0011_sync_state"):
        return ok and not has_state, detail + ("; sync state present too early" if has_state else "")
    if not has_state:
        return False, detail + "; sync state (0011) missing"
    synced = state.one("SELECT count(*) FROM migration.sync_state")[0]
    detail += f"; sync state recorded for {synced} legacy rows"
    # 0016 makes the id functions inlinable: map_records' plan then computes md5() itself.
    plan = " ".join(row[0] for row in state.all(ID_FUNCTIONS_PLAN))
    inlined = "migration.record_id(" not in plan
    if state.has("0016_lighter_row_sync"):
        ok, detail = ok and inlined, detail + ("; id functions inlined" if inlined else "; id functions not inlined (0016)")
    else:
        ok, detail = ok and not inlined, detail + ("; id functions inlined although 0016 is not applied" if inlined else "")
    # 0017 has the row sync plan its statements once per session.
    generic = GENERIC_PLANS in (state.one(ROW_SYNC_CONFIG)[0] or [])
    if state.has("0017_row_sync_generic_plans"):
        return ok and generic, detail + ("; row sync plans generic" if generic else "; row sync not set to generic plans (0017)")
    return ok and not generic, detail + ("; row sync set to generic plans although 0017 is not applied" if generic else "")


def check_revision(state: State, target: str) -> tuple[bool, str]:
    return state.current == target, f"database at {state.current or '(none)'}, expected {target}"


TRUNCATE_GUARD_REVISION = "0020_legacy_truncate_guard"


def check_truncate_guard(state: State) -> tuple[bool, str]:
    """0020: TRUNCATE habit_tracker refused by a BEFORE TRUNCATE trigger, enabled."""
    enabled = state.one("""
        SELECT t.tgenabled FROM pg_trigger AS t
        WHERE t.tgname = 'trigger_habit_tracker_refuse_truncate' AND t.tgrelid = to_regclass('public.habit_tracker')""")
    if not state.has(TRUNCATE_GUARD_REVISION):
        return enabled is None, ("truncate guard absent (0020 not applied)" if enabled is None
                                 else "trigger_habit_tracker_refuse_truncate present too early")
    if enabled is None:
        return False, "trigger_habit_tracker_refuse_truncate missing: TRUNCATE habit_tracker would lose the queue"
    if enabled[0] == "D":
        return False, "trigger_habit_tracker_refuse_truncate DISABLED: TRUNCATE habit_tracker would lose the queue"
    return True, "TRUNCATE habit_tracker refused (trigger_habit_tracker_refuse_truncate enabled)"


def check_privileges(state: State) -> tuple[bool, str]:
    """What PUBLIC and the API roles hold in public, migration and alembic (scripts/db/privileges.py)."""
    grants = privileges.held(state.conn)
    hardened = state.has(privileges.PRIVILEGES_REVISION)
    extra, missing = privileges.compare(grants, hardened)
    problems = [f"extra: {grant}" for grant in extra] + [f"missing: {grant}" for grant in missing]
    if problems:
        return False, "; ".join(problems)
    if hardened:
        return True, (f"{len(grants)} privileges of PUBLIC/{'/'.join(privileges.API_ROLES)}, exactly the app's: "
                      + ", ".join(str(grant) for grant in grants))
    exposed = len({grant.name for grant in grants if grant.grantee != "PUBLIC"})
    return True, (f"the platform's default grants, no more: the API roles reach {exposed} objects in public "
                  f"until {privileges.PRIVILEGES_REVISION} closes them")


CHECKS: tuple[tuple[str, Callable[[State], tuple[bool, str]]], ...] = (
    ("tables", check_tables),
    ("source_version", check_source_version),
    ("indexes", check_indexes),
    ("rls policies", check_policies),
    ("constraint validation", check_constraint_validation),
    ("foreign key orphans", check_orphans),
    ("idempotency_log", check_idempotency_log),
    ("idempotency cleanup", check_cleanup),
    ("dual-write trigger", check_trigger),
    ("legacy mapping", check_mapping),
    ("truncate guard", check_truncate_guard),
    ("privileges", check_privileges),
)


def current_revision(conn) -> str | None:
    """The revision alembic_version records, or None (no table yet, or no row)."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
    return row[0] if row else None


def run_checks(conn, target: str | None = None) -> list[Result]:
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(conn)
    target = current if target == "current" else (target or script.get_current_head())
    try:
        if target is not None:
            script.get_revision(target)
    except Exception:  # alembic raises several types for an unknown id
        raise UsageError(f"unknown revision {target!r}") from None
    state = State(conn, script, current)
    results = []
    ok, detail = check_revision(state, target)
    results.append(Result("alembic revision", "PASS" if ok else "FAIL", detail))
    for name, check in CHECKS:
        ok, detail = check(state)
        results.append(Result(name, "PASS" if ok else "FAIL", detail))
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="verify", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--target", help="the revision the database should be at: head (default), a revision, or current")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.commands.verify [--json] [--target REV]") from exc
    conn = connect()
    try:
        results = run_checks(conn, args.target)
    finally:
        conn.close()
    failed = [r for r in results if r.status == "FAIL"]
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [asdict(r) for r in results]}, ensure_ascii=False, indent=2))
    else:
        for r in results:
            print(f"{r.status}  {r.check}: {r.detail}")
        print(f"{len(results) - len(failed)}/{len(results)} checks passed")
    if failed and not args.json:
        raise CheckFailed(f"{len(failed)} check(s) failed: {', '.join(r.check for r in failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    cli_main(main)()
