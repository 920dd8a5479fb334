"""The whole journey as one test (issue #21 point 6), on the Supabase-shaped database of conftest.py:
base -> Phase 0 with dirty data -> backfill -> Phase 1 writes (trigger and endpoint) -> stranded rows
resolved -> Phase 2 stages and 100% cutover -> the contract met -> freeze (its gate for real) -> rename
(0039, its gate for real) -> archive -> drop (0040, its gate, retention and archive check for real).

The invariant, after every step from the backfill on: every filled day of every legacy row is in the
new tables on its date (child by user and name, the Monday week of the date, habit by name, the
record's status), except the days of rows an operator discarded and, until the operator has
decided them, of rows waiting in quarantine. The expectation is computed in Python from the legacy
rows (scripts/db/legacy_rows.py, which reads them without the mapping) with the merge rule of the
README (a day two rows disagree on: the later-updated row wins, then the lower id); once frozen it
is the legacy rows as they stood right before the freeze plus what the app wrote through the
endpoint since. The new tables must hold exactly that set, nothing missing and nothing more.

The rollback of each step that applies a revision but the last (the drop, one-way): one revision down, `make verify`
passing there, the invariant, `make drift` clean (or "nothing left to compare" where still frozen),
then up again. pg_cron's drain stays scheduled, as in production (the test's own drains wait for it).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable

import pytest
from alembic.script import ScriptDirectory

import legacy_cases
from helpers import drain, drift, run_in_process, scalar, verify_failures_expected_here
from legacy_cases import U1, U2, habit
from scripts.commands.migrate import alembic_config
from scripts.commands.verify import run_checks
from scripts.commands.seed_legacy import seed
from scripts.db.freeze import frozen
from scripts.db.legacy_rows import LegacyRow, filled_days, monday_of
from test_dual_write import create, delete, endpoint_client, update

SCRIPT = ScriptDirectory.from_config(alembic_config())
REV = {rev.revision[:4]: rev.revision for rev in SCRIPT.walk_revisions()}
U3 = "33333333-3333-3333-3333-333333333333"  # the owner an operator gives the Phase 1 owner-less row

# (user, child, Monday, habit, date) -> status
Key = tuple[str, str, date, str, date]


# --- the expectation ------------------------------------------------------------------------

def legacy_rows(db) -> list[tuple[LegacyRow, str | None, datetime | None]]:
    """Every legacy row as the mapping reads it, with its owner and its updated_at."""
    with db.cursor() as cur:
        cur.execute("""SELECT id, child_name, week_period, week_start_date, theme, habits, reflection, reward,
                              user_id::TEXT, updated_at FROM habit_tracker ORDER BY id""")
        return [(LegacyRow(*row[:8]), row[8], row[9]) for row in cur.fetchall()]


def set_aside(db) -> set[int]:
    """Legacy rows whose days are not expected in the new tables: discarded by an operator, or
    waiting in quarantine for one (the step "resolved" checks that none waits any more)."""
    with db.cursor() as cur:
        cur.execute("SELECT legacy_id FROM migration.discarded_legacy_rows "
                    "UNION SELECT legacy_id FROM migration.unresolved_legacy_rows")
        return {legacy_id for (legacy_id,) in cur.fetchall()}


def expected_days(rows, aside: set[int]) -> dict[Key, str]:
    """Each filled day on its date; where rows meet on a day, the README's rule picks the status:
    the later updated_at, then the lower legacy id, then the row's first habit of that name."""
    never = datetime.max.replace(tzinfo=timezone.utc)  # coalesce(updated_at, now()): newest
    claims: dict[Key, tuple[datetime, int, str]] = {}
    for row, user, updated_at in rows:
        if row.id in aside:
            continue
        days, problem = filled_days(row)
        assert problem is None and user is not None, f"legacy row {row.id} is unreadable ({problem}) yet not set aside"
        taken = set()
        for day in days:
            if (day.habit, day.record_date) in taken:
                continue
            taken.add((day.habit, day.record_date))
            key = (user, row.child_name, day.monday, day.habit, day.record_date)
            stamp = updated_at or never
            best = claims.get(key)
            if best is None or stamp > best[0] or (stamp == best[0] and row.id < best[1]):
                claims[key] = (stamp, row.id, day.status)
    return {key: status for key, (_, _, status) in claims.items()}


def new_tables(db) -> dict[Key, str]:
    with db.cursor() as cur:
        cur.execute("""SELECT c.user_id::TEXT, c.name, w.week_start_date, h.name, r.record_date, r.status
                       FROM habit_records r JOIN habits h ON h.id = r.habit_id JOIN weeks w ON w.id = h.week_id
                       JOIN children c ON c.id = w.child_id
                       WHERE r.status <> ''""")
        found: dict[Key, str] = {}
        for user, child, monday, name, day, status in cur.fetchall():
            assert (user, child, monday, name, day) not in found, f"two records of {(user, child, name, day)}"
            found[(user, child, monday, name, day)] = status
        return found


def difference(expected: dict[Key, str], actual: dict[Key, str]) -> str:
    """What is wrong, as (user, child, date, habit) tuples; '' when nothing."""
    missing = sorted((k[0], k[1], str(k[4]), k[3], expected[k]) for k in expected.keys() - actual.keys())
    extra = sorted((k[0], k[1], str(k[4]), k[3], actual[k]) for k in actual.keys() - expected.keys())
    wrong = sorted((k[0], k[1], str(k[4]), k[3], f"{expected[k]} expected, {actual[k]} found")
                   for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    lines = []
    for title, items in (("missing (user, child, date, habit, status)", missing),
                         ("not expected", extra), ("other status", wrong)):
        if items:
            lines.append(f"{title}: {len(items)}\n  " + "\n  ".join(map(repr, items)))
    return "\n".join(lines)


# --- the journey ----------------------------------------------------------------------------

@dataclass
class Journey:
    db: object
    database_url: str
    migrate: Callable
    call: Callable  # the endpoint (test_dual_write.endpoint_client), once Phase 1 has it
    archive_dir: object  # where the archive is written
    ids: dict = field(default_factory=dict)
    # Once frozen: the legacy rows right before the freeze, and the app's writes since, applied in order.
    before_freeze: dict | None = None
    frozen_writes: list = field(default_factory=list)

    def run(self, module: str, *args: str, codes=(0,)):
        result = run_in_process(module, *args, database_url=self.database_url)
        assert result.returncode in codes, f"{module} {args}: exit {result.returncode}\n{result.stdout}{result.stderr}"
        return result

    def revision(self) -> str:
        return scalar(self.db, "SELECT version_num FROM alembic_version")

    def legacy_expectation(self) -> dict[Key, str]:
        return expected_days(legacy_rows(self.db), set_aside(self.db))

    def app_expectation(self) -> dict[Key, str]:
        """The legacy rows right before the freeze, then each write the app made since."""
        days = dict(self.before_freeze)
        for kind, user, child, start, payload in self.frozen_writes:
            start = date.fromisoformat(start)
            if kind == "create":
                for name, times in payload:
                    for position, status in enumerate(times):
                        day = start + timedelta(days=position)
                        if status:
                            days[(user, child, monday_of(day), name, day)] = status
            elif kind == "update":
                name, position, status = payload
                day = start + timedelta(days=position)
                days.pop((user, child, monday_of(day), name, day), None)
                if status:
                    days[(user, child, monday_of(day), name, day)] = status
            else:  # delete: the week of `start`, a Monday (app() refuses another day)
                days = {k: v for k, v in days.items() if (k[0], k[1], k[2]) != (user, child, start)}
        return days

    def legacy_writable(self) -> bool:
        """habit_tracker there and not frozen: the legacy rows are the expectation (the rename
        and the drop take the name away)."""
        return scalar(self.db, "SELECT to_regclass('public.habit_tracker') IS NOT NULL") and not frozen(self.db)

    def check_invariant(self, where: str) -> None:
        actual = new_tables(self.db)
        if self.before_freeze is not None:
            if wrong := difference(self.app_expectation(), actual):
                pytest.fail(f"{where}: the app's days\n{wrong}", pytrace=False)
        if self.legacy_writable():
            if wrong := difference(self.legacy_expectation(), actual):
                pytest.fail(f"{where}: the legacy rows' days\n{wrong}", pytrace=False)

    def check_drift(self, where: str) -> None:
        if self.legacy_writable():
            code, report = drift(self.database_url)
            assert code == 0, f"{where}: {report['by_kind']} {report['examples'][:6]}"
        else:
            result = self.run("scripts.commands.drift")
            assert result.stdout.startswith("nothing left to compare"), f"{where}: {result.stdout}"

    def app(self, body: dict, user: str = U1, expect=(200, 201)) -> dict:
        response = self.call(body, user=user)
        assert response.status_code in expect, (body, response.text)
        if self.before_freeze is not None:
            data, op = body["data"], body["operation"]
            if op == "create_week":
                payload = [(h["name"], h["times"]) for h in data["habits"]]
                self.frozen_writes.append(("create", user, data["child_name"], data["week_start_date"], payload))
            elif op == "update_habit_record":
                self.frozen_writes.append(("update", user, data["child_name"], data["week_start_date"],
                                           (data["habit_name"], data["day_index"], data["status"])))
            else:
                assert date.fromisoformat(data["week_start_date"]).weekday() == 0, "model a Monday week's delete only"
                self.frozen_writes.append(("delete", user, data["child_name"], data["week_start_date"], None))
        return response.json()


def settle(j: Journey) -> None:
    """`make sync-drain` until the queue is empty. pg_cron's minutely drain stays scheduled, as in
    production: while it holds the drain's lock ours does nothing, and we wait for it."""
    for _ in range(100):
        assert drain(j.db)[2] == 0, "a queued write failed to sync"
        if scalar(j.db, "SELECT count(*) FROM migration.sync_queue") == 0:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the sync queue did not empty in 10 s")
    assert scalar(j.db, "SELECT count(*) FROM migration.sync_failures") == 0


def legacy_write(j: Journey, statement: str, params=()) -> None:
    """The old app's write, straight to habit_tracker (the sync trigger queues it), then the drain."""
    with j.db.cursor() as cur:
        cur.execute(statement, params)
        assert cur.rowcount == 1, statement
    settle(j)


def legacy_insert(j: Journey, child, period, start, habits, user) -> int:
    with j.db.cursor() as cur:
        cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme)
                       VALUES (%s, %s, %s, %s, %s, '여름') RETURNING id""",
                    (child, period, start, json.dumps(habits, ensure_ascii=False), user))
        legacy_id = cur.fetchone()[0]
    settle(j)
    return legacy_id


# --- the steps ------------------------------------------------------------------------------

def phase0(j: Journey) -> None:
    """Production as it is (0001), holding dirty data: the generator's rows (a third of them with a
    defect) and the hand-written cases (duplicates, Sunday and Tuesday starts, bad statuses, no
    owner, unreadable habits...), as predating the migration; then Phase 0's objects (shadow
    tables, constraints validated, idempotency, log-only trigger, mapping, sync state)."""
    j.migrate("upgrade", REV["0001"])
    assert seed(j.db, 24, seed=11, dirty_share=0.3)["dirty"] == 7
    j.ids = legacy_cases.load(j.db)
    j.migrate("upgrade", REV["0011"])
    assert scalar(j.db, "SELECT count(*) FROM habit_records") == 0


def backfill(j: Journey) -> None:
    """Phase 1's revisions up to the placement by date and the operators' decisions (0026; catalog
    work), then one backfill by the mapping of today."""
    j.migrate("upgrade", REV["0026"])
    result = j.run("scripts.commands.backfill", "--batch", "10")
    assert " 0 unaccounted" in result.stdout, result.stdout
    assert scalar(j.db, "SELECT count(*) FROM migration.unresolved_legacy_rows") > 0  # dirty rows wait


def phase1_writes(j: Journey) -> None:
    """The old app writes habit_tracker (trigger -> queue -> drain), the new one the endpoint
    (both schemas in one transaction)."""
    ids = j.ids
    # Trigger: a new Monday week; a Tuesday-start row meeting 서연's week of 07-28 and disagreeing
    # on Sunday 08-03 (the later-updated row wins); a day changed; a 'blue' fixed by the app,
    # which releases that row from quarantine; a row deleted; an owner-less row with days.
    ids["new_monday"] = legacy_insert(j, "민준", "2025년 8월 4일 ~ 2025년 8월 10일", "2025-08-04",
                                      [habit("독서", ["green", "", "", "red", "", "", ""])], U1)
    ids["tuesday_over_sunday"] = legacy_insert(j, "서연", "2025년 7월 29일 ~ 2025년 8월 4일", "2025-07-29",
                                               [habit("운동", ["", "", "", "", "red", "yellow", "green"])], U1)
    legacy_write(j, """UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,1}', '"yellow"')
                       WHERE id = %s""", (ids["clean_two_habits_13_digit_id"],))
    legacy_write(j, """UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,0}', '"green"')
                       WHERE id = %s""", (ids["unknown_status"],))
    legacy_write(j, "DELETE FROM habit_tracker WHERE id = %s", (ids["start_null_label_readable"],))
    ids["owner_less"] = legacy_insert(j, "은우", "2025년 9월 8일 ~ 2025년 9월 14일", "2025-09-08",
                                      [habit("피아노", ["green", "", "yellow", "", "", "", ""])], None)
    with j.db.cursor() as cur:
        cur.execute("""SELECT lost_value, kept_value, kept_legacy_id FROM migration.placement_conflicts
                       WHERE field = 'status' AND habit_name = '운동' AND record_date = '2025-08-03'""")
        assert cur.fetchall() == [("green", "yellow", ids["tuesday_over_sunday"])]
    # Endpoint: a new child's week (U2), a day of a legacy-era week, a week created then deleted.
    j.app(create(child="지호", start="2025-08-11", habits=[habit("수영", ["", "green", "", "", "", "", "red"])]),
          user=U2)
    j.app(update(status="green", day=3, habit_name="양치하기", child="서연", start="2025-07-21"))
    j.app(create(child="하윤", start="2025-09-01"))
    j.app(delete(child="하윤", start="2025-09-01"))
    settle(j)


def resolved(j: Journey) -> None:
    """`make quarantine`, then each row decided: the owner-less row with days assigned to its
    family, every other one discarded (archived) by the operator."""
    listed = json.loads(j.run("scripts.commands.quarantine", "list", "--json").stdout)
    rows = {row["legacy_id"]: row for row in listed["rows"]}
    assert j.ids["owner_less"] in rows and j.ids["unknown_status"] not in rows
    with j.db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s)", (U3,))
    j.run("scripts.commands.quarantine", "resolve", "--id", str(j.ids["owner_less"]), "--action", "assign",
          "--owner", U3, "--by", "journey")
    for legacy_id in sorted(rows.keys() - {j.ids["owner_less"]}):
        j.run("scripts.commands.quarantine", "resolve", "--id", str(legacy_id), "--action", "discard", "--by", "journey")
    assert scalar(j.db, "SELECT count(*) FROM migration.unresolved_legacy_rows") == 0
    settle(j)  # the assign's own legacy write (user_id) went through the queue too


def phase2(j: Journey) -> None:
    """RLS stage by stage, each behind its phase2 gate (no skip); the read functions, the switch,
    the records' owner; then the ramp to 100% by `make cutover` (gated too)."""
    for stage in ("0027", "0028", "0029", "0030", "0031", "0032", "0033", "0034", "0035"):
        j.migrate("upgrade", REV[stage])
    j.run("scripts.commands.read_parity")
    for percent in (5, 20, 50, 100):
        j.run("scripts.commands.cutover", "--percent", str(percent))


def contract_met(j: Journey) -> None:
    """The windows (0036) and the archive log (0037); a legacy-readers window with the app off
    the legacy table (clean); `make contract-check` passes every line."""
    j.migrate("upgrade", REV["0036"])
    j.migrate("upgrade", REV["0037"])
    j.db.cursor().execute("SELECT pg_stat_force_next_flush()")  # no count of ours arrives in the window
    # Exit 1 when the table's counters moved in the window: an idle backend (the endpoint's pool)
    # flushes its statistics of earlier writes up to 10 s late. What the gate reads is the recorded
    # verdict, judged by the statements seen: it must be clean.
    window = j.run("scripts.commands.legacy_readers", "--seconds", "1", "--by", "journey", codes=(0, 1))
    assert "(clean: no app statement)" in window.stderr, window.stderr
    check = j.run("scripts.commands.contract_check")
    assert check.stdout.splitlines()[-1] == "gate contract: 7/7 checks passed", check.stdout


def freeze(j: Journey) -> None:
    """0038 through its contract gate, for real; then the app writes the new tables alone."""
    j.before_freeze = j.legacy_expectation()
    j.migrate("upgrade", REV["0038"], contract_gate=True)
    assert frozen(j.db)
    note = scalar(j.db, "SELECT coalesce(note, '') FROM alembic.alembic_version_history WHERE revision = %s "
                        "AND direction = 'upgrade' ORDER BY id DESC LIMIT 1", (REV["0038"],))
    assert "override" not in note, note
    frozen_app_writes(j)


def frozen_app_writes(j: Journey) -> None:
    """Writes of every kind while frozen: a new week, days set and cleared on it and on a
    legacy-era week, a Phase 1 endpoint week deleted."""
    j.app(create(child="민준", start="2025-09-15", habits=[habit("독서", ["green", "", "red", "", "", "", ""])]))
    j.app(update(status="yellow", day=1, habit_name="독서", child="민준", start="2025-09-15"))
    j.app(update(status="", day=0, habit_name="양치하기", child="서연", start="2025-07-21"))
    j.app(update(status="red", day=2, habit_name="양치하기", child="서연", start="2025-07-21"))
    j.app(delete(child="지호", start="2025-08-11"), user=U2)


def rename(j: Journey) -> None:
    """0039 through its contract gate: habit_tracker is habit_tracker_old, its status recorded; the
    old name fails loudly, and the app goes on writing through the endpoint."""
    j.migrate("upgrade", REV["0039"], contract_gate=True)
    assert scalar(j.db, "SELECT to_regclass('public.habit_tracker')") is None
    recorded = j.db.cursor()
    recorded.execute("SELECT legacy_rows, checksum FROM migration.retired_legacy_table")
    assert recorded.fetchone() == (scalar(j.db, "SELECT count(*) FROM habit_tracker_old"),
                                   scalar(j.db, "SELECT migration.table_checksum('public.habit_tracker_old')"))
    j.app(update(status="green", day=3, habit_name="독서", child="민준", start="2025-09-15"))
    j.app(create(child="민준", start="2025-09-22", habits=[habit("독서", ["", "red", "", "", "", "", ""])]))


def archive(j: Journey) -> None:
    """`make archive-legacy`: the checksummed export of the legacy table (habit_tracker_old once
    renamed), recorded, matching the table."""
    out = j.archive_dir / "legacy.tar"
    j.run("scripts.commands.archive_legacy", "--out", str(out), "--by", "journey")
    assert out.stat().st_size > 0
    table = scalar(j.db, "SELECT coalesce(to_regclass('public.habit_tracker_old'), "
                         "to_regclass('public.habit_tracker'))::TEXT")
    assert scalar(j.db, "SELECT source_table FROM migration.legacy_archives ORDER BY id DESC LIMIT 1") == table
    assert scalar(j.db, "SELECT migration.archive_matches(%s)", (f"public.{table}",)) is True


def drop(j: Journey) -> None:
    """0040 through its contract gate and its own refusals, for real: a week of retention passes
    (the rename's time set back, as only the owner can), the archive of the rename matches; then
    the app goes on writing Monday weeks, and the drop cannot be rolled back."""
    with j.db.cursor() as cur:
        cur.execute("UPDATE migration.retired_legacy_table SET renamed_at = renamed_at - INTERVAL '8 days'")
    j.migrate("upgrade", REV["0040"], contract_gate=True)
    assert scalar(j.db, "SELECT to_regclass('public.habit_tracker_old')") is None
    assert scalar(j.db, "SELECT archive_id FROM migration.retired_legacy_table") == scalar(
        j.db, "SELECT max(id) FROM migration.legacy_archives")
    j.app(update(status="red", day=4, habit_name="독서", child="민준", start="2025-09-15"))
    j.app(create(child="서연", start="2025-09-29", habits=[habit("양치하기", ["green", "", "", "", "", "", "yellow"])]),
          user=U2)
    refused = j.migrate("downgrade", "-1", check=False)
    assert refused.returncode == 1 and "0040_drop_legacy is one-way" in refused.stderr, refused.stderr
    assert j.revision() == REV["0040"]


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Journey], None]
    invariant: bool = True  # from the backfill on
    one_way: bool = False  # the drop: no rollback to check
    revision: bool = True  # False: the step applies no revision (the archive): nothing to roll back


STEPS = [
    Step("phase 0 with dirty data", phase0, invariant=False),
    Step("backfill", backfill),
    Step("phase 1 writes (trigger and endpoint)", phase1_writes),
    Step("stranded rows resolved", resolved),
    Step("phase 2 stages and 100% cutover", phase2),
    Step("contract met", contract_met),
    Step("freeze", freeze),
    Step("rename", rename),
    Step("archive", archive, revision=False),
    Step("drop", drop, one_way=True),
]


def roll_back_and_forth(j: Journey, step: Step) -> None:
    """One revision down: a working earlier phase (`make verify` passes there), no drift, every day
    still there; then up again (through the gate for real where the revision has one)."""
    at = j.revision()
    j.migrate("downgrade", "-1")
    where = f"after {step.name}, rolled back to {j.revision()}"
    assert verify_failures_expected_here(j.db, run_checks(j.db, "current")) == [], where
    j.check_invariant(where)
    j.check_drift(where)
    gated = getattr(SCRIPT.get_revision(at).module, "GATE", None) == "contract"
    j.migrate("upgrade", at, contract_gate=gated)
    assert j.revision() == at
    j.check_invariant(f"after {step.name}, upgraded again to {at}")
    j.check_drift(f"after {step.name}, upgraded again to {at}")


@pytest.mark.slow
def test_the_whole_journey_loses_no_filled_day(db, migrate, database_url, tmp_path):
    with endpoint_client(database_url) as call:
        j = Journey(db, database_url, migrate, call, tmp_path)
        for step in STEPS:
            step.run(j)
            if step.invariant:
                j.check_invariant(f"after {step.name}")
                j.check_drift(f"after {step.name}")
                if step.revision and not step.one_way:
                    roll_back_and_forth(j, step)
    assert j.before_freeze and j.frozen_writes
