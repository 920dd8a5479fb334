"""`make contract-check` and the contract gate (issue #21 point 1), the windows `make
legacy-readers` records (0036), and migrate's contract options.

- Each line of the contract gate fails on its own cause and passes when ready: the read switch
  at 20% (named), no window recorded, a window in which the app read and deleted (named, with
  its statements), a window that began before the switch reached 100%, RLS on five tables of
  six, a queued write; the tooling's own reads leave a window clean. Exit codes, JSON shape.
- A revision declaring GATE = "contract" (0036 itself, the constant added as tests/test_gate.py
  does for 0025) is refused with the failing lines, is not passed by -x gate=skip, is applied
  with -x contract_override=true on a throwaway database (recorded in the version history) and
  the override is refused elsewhere; -x retention_days is parsed, and read by a revision."""
from __future__ import annotations

import argparse
import json
import re

import psycopg2
import pytest
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from helpers import REPO_ROOT, drain, insert, run_in_process, scalar, starts_at, unschedule_drain
from legacy_cases import U1, U2
from migrations.helpers import contract_options
from migrations.helpers.contract_options import OptionError
from scripts.db import gates
from scripts.db.errors import CheckFailed
from test_gate import at, gated_migrate, history
from test_legacy_readers import forgotten_screen, watch

REV = "0036_legacy_reader_windows"
BEFORE = "0035_records_policy_by_owner"
CHECKS = ["drift clean", "nothing stranded", "queue drained", "no sync failures", "read switch at 100%",
          "no legacy reader", "every RLS stage on"]
STAGE_4 = "stage 4 of 4 reached: RLS on children, weeks, habits, habit_records, habit_templates, notifications"
NO_WINDOW = ("no legacy-readers window recorded yet (make legacy-readers SECONDS=300, after the read switch "
             "reached 100%)")


def contract_check(database_url, *args):
    return run_in_process("scripts.commands.contract_check", *args, database_url=database_url)


def cutover(database_url, percent: int) -> None:
    result = run_in_process("scripts.commands.cutover", "--percent", str(percent), database_url=database_url)
    assert result.returncode == 0, result.stderr


def record_window(database_url, *args):
    result = run_in_process("scripts.commands.legacy_readers", "--seconds", "1", *args, database_url=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def checks(database_url) -> dict[str, tuple[str, str]]:
    result = contract_check(database_url, "--json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"gate", "ok", "checks"} and report["gate"] == "contract"
    assert [c["check"] for c in report["checks"]] == CHECKS
    assert all(set(c) == {"check", "status", "detail"} and c["status"] in ("PASS", "FAIL") for c in report["checks"])
    assert report["ok"] == (result.returncode == 0) == all(c["status"] == "PASS" for c in report["checks"])
    return {c["check"]: (c["status"], c["detail"]) for c in report["checks"]}


def failing(database_url) -> dict[str, str]:
    return {check: detail for check, (status, detail) in checks(database_url).items() if status == "FAIL"}


def windows(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("""SELECT requested_seconds, run_by, touched, app_calls, clean, statements_source,
                              ended_at >= started_at AND seconds > 0, seen
                       FROM migration.legacy_reader_windows ORDER BY id""")
        return cur.fetchall()


def flush(db) -> None:
    """This session's counts into the statistics views now, not up to 10 s later."""
    db.cursor().execute("SELECT pg_stat_force_next_flush()")


@pytest.fixture
@starts_at(REV)
def ready(db, database_url):
    """At 0036: two users with a synced legacy week each, pg_cron's drain unscheduled, the read
    switch raised to 100% by `make cutover` (its gate passes); no window recorded yet."""
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
    unschedule_drain(db)
    ids = [insert(db, user=U1), insert(db, child="서연", user=U2)]
    cutover(database_url, 100)
    flush(db)
    return ids


# --- each line, passing and failing for its own reason ---------------------------------------

def test_ready_every_line_passes_and_the_window_is_recorded(ready, database_url, db):
    recorded = record_window(database_url, "--by", "dba on call")
    assert recorded.stderr.strip().splitlines()[-1] == "legacy-readers: window 1 recorded (clean: no app statement)"
    [(requested, run_by, touched, app_calls, clean, source, ordered, seen)] = windows(db)
    assert (requested, run_by, touched, app_calls, clean, source, ordered) == (1, "dba on call", False, 0, True,
                                                                               "extensions", True)
    assert (seen["seen"], seen["statements"], seen["table"]) == (False, [], "public.habit_tracker")
    result = contract_check(database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:7]] == [f"PASS {check}" for check in CHECKS]
    assert lines[0] == "PASS drift clean: no drift in 2 legacy rows (2 weeks compared, incremental)"
    assert re.fullmatch(r"PASS read switch at 100%: 100% of users read the new tables \(set [-0-9 :]+ \w+ by postgres\)",
                        lines[4]), lines[4]
    assert re.fullmatch(r"PASS no legacy reader: the last window \(1 s, ended [0-9]+ s ago, [-0-9 :]+ \w+, by dba on "
                        r"call, window 1\): no app statement on habit_tracker; [0-9]+ calls by the tooling", lines[5]), lines[5]
    assert lines[6] == f"PASS every RLS stage on: {STAGE_4}"
    assert lines[7:] == ["gate contract: 7/7 checks passed"]


def test_the_switch_at_20_percent_fails_naming_it(ready, database_url):
    record_window(database_url)
    cutover(database_url, 20)  # lowering: no gate
    found = failing(database_url)
    assert list(found) == ["read switch at 100%"]
    assert re.fullmatch(r"the read share is 20%, not 100% \(set [-0-9 :]+ \w+ by postgres; make cutover PERCENT=100\)",
                        found["read switch at 100%"]), found
    text = contract_check(database_url)
    assert text.returncode == 1
    assert text.stderr.strip() == "contract_check: FAILED: gate contract: 1 of 7 checks failed: read switch at 100%"
    assert "FAIL read switch at 100%: the read share is 20%" in text.stdout


def test_no_window_recorded_fails(ready, database_url):
    assert failing(database_url) == {"no legacy reader": NO_WINDOW}


def test_a_window_in_which_the_app_used_the_table_fails_naming_it(ready, database_url, db):
    process, _ = watch(database_url)
    forgotten_screen(database_url, U1, ready[0])  # reads habit_tracker and deletes a row, as authenticated
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    assert err.strip().splitlines()[-2] == "legacy-readers: window 1 recorded (not clean: 2 calls by the app)"
    [(requested, run_by, touched, app_calls, clean, _, _, seen)] = windows(db)
    assert (requested, run_by, touched, app_calls, clean) == (4, "postgres", True, 2, False)
    assert {(s["role"], s["command"], s["calls"]) for s in seen["statements"] if s["app"]} == {
        ("authenticated", "SELECT", 1), ("authenticated", "DELETE", 1)}
    assert seen["table_counters"]["n_tup_del"] == 1
    assert drain(db)[0] == 1  # the app's DELETE, synced: the other lines are not what fails
    found = failing(database_url)
    assert list(found) == ["no legacy reader"]
    assert re.fullmatch(r"the last window \(4 s, ended [0-9]+ s ago, [-0-9 :]+ \w+, by postgres, window 1\) was not "
                        r"clean: the app used habit_tracker: authenticated write DELETE \(1 calls\), authenticated read "
                        r"SELECT \(1 calls\) \(make legacy-readers; find the screen\)", found["no legacy reader"]), found
    # A later clean window is the last one: the line passes again.
    record_window(database_url)
    assert checks(database_url)["no legacy reader"][0] == "PASS"


def test_the_toolings_own_reads_leave_a_window_clean(ready, database_url, db):
    """The endpoint, the drain, drift run as postgres and read the table until the freeze retires
    them: legacy-readers names them (exit 1), the window stays clean."""
    process, _ = watch(database_url)
    assert scalar(db, "SELECT count(*) FROM habit_tracker") == 2
    flush(db)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    [(_, _, touched, app_calls, clean, _, _, seen)] = windows(db)
    assert (touched, app_calls, clean) == (True, 0, True)
    assert [(s["role"], s["app"], s["command"]) for s in seen["statements"]] == [("postgres", False, "SELECT")]
    status, detail = checks(database_url)["no legacy reader"]
    assert status == "PASS" and detail.endswith("no app statement on habit_tracker; 1 calls by the tooling"), detail


def test_a_window_before_the_switch_reached_100_fails(ready, database_url):
    record_window(database_url)
    cutover(database_url, 0)
    cutover(database_url, 100)  # reached 100% again, after the window
    found = failing(database_url)
    assert list(found) == ["no legacy reader"]
    assert found["no legacy reader"].endswith(": make legacy-readers SECONDS=300 again")
    assert " began before the read switch reached 100% (" in found["no legacy reader"]


def test_rls_stage_3_fails(ready, database_url, db):
    # Stage 4 undone by hand (the table's owner may): habit_records' RLS off, as at stage 3.
    db.cursor().execute("ALTER TABLE habit_records DISABLE ROW LEVEL SECURITY")
    record_window(database_url)
    assert failing(database_url) == {"every RLS stage on": "stage 4 of 4 expected, but: habit_records RLS OFF"}


def test_a_queued_write_fails_the_queue_line(ready, database_url, db):
    record_window(database_url)
    insert(db, child="도윤", start="2025-09-01", then_drain=False)
    found = failing(database_url)
    assert list(found) == ["queue drained"]
    assert found["queue drained"].startswith("1 legacy writes queued")


def test_no_database_or_a_bad_option_is_exit_2(database_url):
    nothing = contract_check(None)
    assert nothing.returncode == 2
    assert nothing.stderr.strip().startswith("contract_check: error: DATABASE_URL is not set")
    bad = contract_check(database_url, "--percent", "5")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("by", ["x" * 101, "tab\there"])
def test_a_bad_by_is_one_line_and_exit_2(database_url, by):
    result = run_in_process("scripts.commands.legacy_readers", "--seconds", "1", "--by", by, database_url=database_url)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("legacy_readers: error: BY must be a printable name of at most 100 characters")


# --- below 0036, and the revisions that declare GATE = "contract" ------------------------------

@pytest.fixture
@starts_at(BEFORE)
def before(db):
    """At 0032: nothing recorded, the switch at 0%."""
    unschedule_drain(db)
    return db


def test_below_0036_nothing_is_recorded_and_the_line_cannot_check(before, database_url):
    result = record_window(database_url)
    assert ("legacy-readers: window not recorded: migration.legacy_reader_windows does not exist here (it comes "
            "with 0036_legacy_reader_windows)") in result.stderr
    found = failing(database_url)
    assert list(found) == ["read switch at 100%", "no legacy reader"]
    assert found["read switch at 100%"].startswith("the read share is 0%, not 100% (")
    assert found["no legacy reader"] == ("cannot check: migration.legacy_reader_windows does not exist (database "
                                         "before revision 0036?)")


def test_enforce_refuses_with_the_lines_or_returns_the_override_note(before, database_url, capsys):
    conn = psycopg2.connect(database_url)
    try:
        with pytest.raises(CheckFailed) as refused:
            gates.enforce(conn, "contract", skip=False, skip_option="-x contract_override=true", subject="gate contract",
                          not_done="not applied", log_prefix="test")
        assert str(refused.value) == "gate contract failed (2 checks: read switch at 100%, no legacy reader); not applied"
        printed = capsys.readouterr().err.splitlines()
        assert [line.split(":")[0] for line in printed] == ["FAIL read switch at 100%", "FAIL no legacy reader"]
        note = gates.enforce(conn, "contract", skip=True, skip_option="-x contract_override=true",
                             subject="gate contract", not_done="not applied", log_prefix="test")
        assert note.startswith("gate contract skipped (-x contract_override=true): FAIL read switch at 100%: the read "
                               "share is 0%, not 100% (")
        assert note.endswith("; FAIL no legacy reader: cannot check: migration.legacy_reader_windows does not exist "
                             "(database before revision 0036?)")
        assert conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    finally:
        conn.close()


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.strip().splitlines() if not line.startswith("INFO  [alembic")]


def test_a_contract_revision_is_refused_and_gate_skip_does_not_pass_it(before, database_url, db):
    for extra in ((), ("-x", "gate=skip")):
        result = gated_migrate(database_url, "upgrade", REV, *extra, gated={REV: "contract"})
        assert result.returncode == 1, result.stderr
        lines = stderr_lines(result)
        assert [line.split(":")[0] for line in lines[:2]] == ["FAIL read switch at 100%", "FAIL no legacy reader"]
        assert lines[2:] == [f"migrate: FAILED: gate contract of {REV} failed (2 checks: read switch at 100%, no legacy "
                             f"reader); {REV} not applied, the database stays at {BEFORE}"]
        assert at(database_url) == BEFORE


def test_the_override_applies_it_on_a_throwaway_database_and_is_recorded(before, database_url, db):
    result = gated_migrate(database_url, "upgrade", REV, "-x", "contract_override=true", gated={REV: "contract"})
    assert result.returncode == 0, result.stderr
    assert at(database_url) == REV
    [(revision, direction, note)] = history(db)
    assert (revision, direction) == (REV, "upgrade")
    assert note.startswith("gate contract skipped (-x contract_override=true): FAIL read switch at 100%: the read "
                           "share is 0%")
    assert "; FAIL no legacy reader: cannot check: " in note
    assert f"migrate: {REV}: {note}" in result.stderr
    with db.cursor() as cur:
        cur.execute("SELECT applied_by FROM alembic.alembic_version_history WHERE note IS NOT NULL")
        assert cur.fetchall() == [("postgres",)]


def test_the_override_elsewhere_is_refused_with_one_line(before, templates):
    with templates.shared_database("contract_elsewhere", BEFORE) as url:
        for gated in ({REV: "contract"}, {}):  # refused whether or not a contract revision is in the range
            result = gated_migrate(url, "upgrade", REV, "-x", "contract_override=true", gated=gated)
            assert result.returncode == 2, result.stderr
            assert stderr_lines(result) == [
                "migrate: error: -x contract_override=true refused: database 'contract_elsewhere' is not a throwaway "
                "one (habits, habits_test, created by scripts/dev/throwaway_pg.py)"]
            assert at(url) == BEFORE


# --- the options -------------------------------------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    ({}, (False, 7)),
    ({"retention_days": "30"}, (False, 30)),
    ({"retention_days": "0", "contract_override": "true"}, (True, 0)),
    ({"contract_override": "TRUE"}, (True, 7)),
    ({"contract_override": "false", "retention_days": "3650"}, (False, 3650)),
])
def test_the_options_parse(given, expected):
    options = contract_options.parse(given)
    assert (options.override, options.retention_days) == expected


@pytest.mark.parametrize("given, message", [
    ({"retention_days": "0"}, "-x retention_days=0 needs -x contract_override=true (throwaway databases only)"),
    ({"retention_days": "abc"}, "-x retention_days=abc: a whole number of days from 0 to 3650 (default 7)"),
    ({"retention_days": "-1"}, "-x retention_days=-1: a whole number of days from 0 to 3650 (default 7)"),
    ({"retention_days": "1.5"}, "-x retention_days=1.5: a whole number of days from 0 to 3650 (default 7)"),
    ({"retention_days": "3651"}, "-x retention_days=3651: a whole number of days from 0 to 3650 (default 7)"),
    ({"contract_override": "yes"}, "-x contract_override=yes: true or false"),
])
def test_bad_options_are_refused(given, message):
    with pytest.raises(OptionError) as refused:
        contract_options.parse(given)
    assert str(refused.value) == message


@pytest.mark.parametrize("option, message", [
    ("retention_days=abc", "-x retention_days=abc: a whole number of days from 0 to 3650 (default 7)"),
    ("retention_days=0", "-x retention_days=0 needs -x contract_override=true (throwaway databases only)"),
    ("contract_override=1", "-x contract_override=1: true or false"),
])
def test_migrate_refuses_a_bad_option_before_anything_runs(option, message):
    result = run_in_process("scripts.commands.migrate", "upgrade", "-x", option, database_url=None)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"migrate: error: {message}"]


def test_a_revision_reads_the_options_through_alembic():
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    script = ScriptDirectory.from_config(cfg)
    for x, expected in (([], (7, False)), (["retention_days=30"], (30, False)),
                        (["retention_days=0", "contract_override=true"], (0, True))):
        cfg.cmd_opts = argparse.Namespace(x=x)
        with EnvironmentContext(cfg, script):
            assert (contract_options.retention_days(), contract_options.contract_override()) == expected
    cfg.cmd_opts = argparse.Namespace(x=["retention_days=0"])
    with EnvironmentContext(cfg, script), pytest.raises(OptionError, match="needs -x contract_override=true"):
        contract_options.retention_days()
