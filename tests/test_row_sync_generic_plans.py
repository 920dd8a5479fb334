"""Revision 0017: sync_legacy_row() plans its statements once per session, not on every call.

A custom plan is made for the call's values, a generic plan for its parameters ($n). Under
PostgreSQL's default the first calls of a session always get custom plans; with 0017's
force_generic_plan the very first one is generic. auto_explain (log_verbose) shows which
plan the sync's records statement ran with."""
from __future__ import annotations

import re

import psycopg2
import pytest

from helpers import assert_no_drift, insert, scalar
from legacy_cases import habit

BEFORE = "0016_lighter_row_sync"
PROCONFIG = "SELECT proconfig FROM pg_proc WHERE oid = 'migration.sync_legacy_row(bigint, text, uuid)'::REGPROCEDURE"
RECORDS_STATEMENT = "FROM migration.map_records(target_id, c.monday, (c.legacy).habits)"
# The habits expanded by map_records, as the plan reads them: a parameter, or the value itself.
HABITS_AS_PARAMETER = re.compile(r"jsonb_array_elements\(CASE WHEN \(jsonb_typeof\(\(\$\d+\)\.habits\)")


def records_plan_of_first_sync(db, legacy_id: int) -> str:
    """The verbose plan of the records statement in this session's first sync of the row."""
    db.autocommit = False
    with db.cursor() as cur:
        cur.execute("LOAD 'auto_explain'")
        for setting, value in (("log_min_duration", "0"), ("log_nested_statements", "on"),
                               ("log_verbose", "on"), ("log_level", "notice")):
            cur.execute("SELECT set_config(%s, %s, TRUE)", (f"auto_explain.{setting}", value))
        cur.execute("SET LOCAL client_min_messages = notice")
        del db.notices[:]
        cur.execute("SELECT migration.sync_legacy_row(%s, 'dual_write')", (legacy_id,))
    db.rollback()
    db.autocommit = True
    plans = [notice for notice in db.notices if RECORDS_STATEMENT in notice]
    assert len(plans) == 1, f"expected one plan of the records statement, got {len(plans)}"
    return plans[0]


@pytest.mark.parametrize("revision, config, generic", [
    (BEFORE, None, False),
    # The last revision with 0017's sync_legacy_row(): 0023 made it a call of sync_legacy_rows().
    ("0022_row_sync_locks_first", ["plan_cache_mode=force_generic_plan"], True),
])
def test_the_first_sync_of_a_session_runs_a_generic_plan(synced, migrate, database_url, admin_url, revision,
                                                        config, generic):
    migrate("downgrade", revision)
    legacy_id = insert(synced, habits=[habit("독서", ["green"] * 7)])
    assert scalar(synced, PROCONFIG) == config
    # auto_explain's settings are superuser-only: the observing session is the superuser's. The
    # function's SET clause decides the plan, whoever calls it.
    fresh_session = psycopg2.connect(admin_url)
    try:
        plan = records_plan_of_first_sync(fresh_session, legacy_id)
    finally:
        fresh_session.close()
    # The generic plan reads the row's habits as a parameter; a custom plan has them inlined.
    assert bool(HABITS_AS_PARAMETER.search(plan)) is generic, plan
    assert ('"독서"' in plan) is not generic, plan
    assert_no_drift(database_url)
