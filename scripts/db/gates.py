"""Gates: the named checks a revision can require to pass before it is applied.

A gate is a list of PASS/FAIL lines, each naming its figure. Two gates: "phase2" (issue #20
point 2), run before each RLS stage, and "contract" (issue #21 point 1), run before each of
Phase 3's contract revisions. Phase 2's lines:

- drift clean: scripts.db.drift.detect, incremental (the child-weeks placed and unchanged since
  are taken as placed), every finding a failure;
- nothing stranded: the "filled days" accounts of scripts/db/day_accounts.py, no day stranded
  (in an unresolved quarantined row) and none unaccounted for;
- queue drained: migration.sync_queue is empty (a legacy write not yet carried over);
- no sync failures: migration.sync_failures is empty.

The contract gate: Phase 2's four lines, then

- read switch at 100%: migration.read_switch (0032) says every user reads the new tables;
- no legacy reader: the last window `make legacy-readers` recorded
  (migration.legacy_reader_windows, 0036) was clean (no statement of the app's roles on
  habit_tracker; scripts/db/legacy_windows.py) and began after the switch reached 100%. FAIL
  when no window was recorded. Its age is in the line: how stale the evidence is is the
  operator's call;
- every RLS stage on: stage 4 of 4 (RLS on the six new tables), as `make verify` says it
  (migrations/verify rls_stage_reached).

A revision declares the gate it needs with a module-level constant, `GATE = "phase2"` or
`GATE = "contract"`; scripts/commands/migrate.py runs it before such an upgrade (see there for
the overrides). `make gate` prints the Phase 2 gate, `make contract-check` the contract's.
Every query is read-only.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import psycopg2

from scripts.db import day_accounts, legacy_windows
from scripts.db.database_url import REPO_ROOT
from scripts.db.drift import detect
from scripts.db.freeze import NOTHING_TO_COMPARE, frozen
from scripts.db.legacy_table import dropped
from scripts.db.errors import CheckFailed, one_line

# migrations/ is not an installed package: read from the repository whatever the cwd, as
# scripts/commands/verify.py does.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
from migrations.verify import NEW_TABLES, Db, rls_stage_reached  # noqa: E402

EXAMPLES = 3


@dataclass(frozen=True)
class GateLine:
    check: str
    ok: bool
    detail: str

    @property
    def status(self) -> str:
        return "PASS" if self.ok else "FAIL"

    def __str__(self) -> str:
        return f"{self.status} {self.check}: {self.detail}"


def _missing(conn, relations: tuple[str, ...]) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT r FROM unnest(%s::text[]) AS r WHERE to_regclass(r) IS NULL", (list(relations),))
        return [row[0] for row in cur.fetchall()]


# After the drop (0040) the legacy rows, the queue and the failures are gone with the table: the
# lines about them pass, saying so, so that `make contract-check` at head states the end.
DROPPED = "nothing left: the legacy table was dropped (0040_drop_legacy), its rows are in the archive"


def _cannot_check(check: str, missing: list[str], revision: str = "0024") -> GateLine:
    return GateLine(check, False, f"cannot check: {', '.join(missing)} does not exist (database before revision {revision}?)")


def drift_clean(conn) -> GateLine:
    check = "drift clean"
    if frozen(conn):
        return GateLine(check, True, NOTHING_TO_COMPARE)
    report = detect(conn, min_age=0.0, full=False)
    if not report.drift:
        checked = report.checked
        return GateLine(check, True, f"no drift in {checked['legacy_rows']} legacy rows "
                                     f"({checked['weeks_compared']} weeks compared, incremental)")
    kinds: dict[str, int] = {}
    for finding in report.findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    ids = sorted({f.legacy_id for f in report.findings if f.legacy_id is not None})[:EXAMPLES]
    rows = f", legacy rows {', '.join(map(str, ids))}" if ids else ""
    by_kind = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    return GateLine(check, False, f"{len(report.findings)} drift findings ({by_kind}{rows}; make drift)")


def nothing_stranded(conn) -> GateLine:
    check = "nothing stranded"
    if dropped(conn):
        return GateLine(check, True, DROPPED)
    missing = _missing(conn, ("migration.legacy_day_accounts",))
    if missing:
        return _cannot_check(check, missing)
    accounts = day_accounts.summary(conn)
    conn.rollback()
    if accounts.stranded == 0 and accounts.unaccounted == 0:
        return GateLine(check, True, f"0 filled days stranded, 0 unaccounted ({accounts.placed} placed, "
                                     f"{accounts.conflicts} in conflicts, {accounts.discarded} in discarded rows)")
    problems = []
    if accounts.stranded:
        problems.append(f"{accounts.stranded} filled days stranded in {accounts.unresolved_rows} unresolved "
                        f"quarantined rows (make quarantine)")
    if accounts.unaccounted:
        ids = ", ".join(map(str, accounts.unaccounted_ids[:EXAMPLES]))
        problems.append(f"{accounts.unaccounted} filled days unaccounted for, of legacy rows {ids} (make drift; make resync)")
    return GateLine(check, False, "; ".join(problems))


def queue_drained(conn) -> GateLine:
    check = "queue drained"
    if dropped(conn):
        return GateLine(check, True, DROPPED)
    missing = _missing(conn, ("migration.sync_queue",))
    if missing:
        return _cannot_check(check, missing)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(extract(EPOCH FROM now() - min(enqueued_at)), 0) FROM migration.sync_queue")
        queued, oldest = cur.fetchone()
    conn.rollback()
    if queued == 0:
        return GateLine(check, True, "0 legacy writes queued")
    return GateLine(check, False, f"{queued} legacy writes queued, the oldest {float(oldest):.0f} s ago (make sync-drain)")


def no_sync_failures(conn) -> GateLine:
    check = "no sync failures"
    if dropped(conn):
        return GateLine(check, True, DROPPED)
    missing = _missing(conn, ("migration.sync_failures",))
    if missing:
        return _cannot_check(check, missing)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(array_agg(legacy_id ORDER BY legacy_id), '{}') FROM migration.sync_failures")
        failures, ids = cur.fetchone()
    conn.rollback()
    if failures == 0:
        return GateLine(check, True, "0 legacy rows in migration.sync_failures")
    return GateLine(check, False, f"{failures} legacy rows failed to sync, ids {', '.join(map(str, ids[:EXAMPLES]))} "
                                  f"(migration.sync_failures; make resync)")


def _switch(conn) -> tuple | None:
    """(percent, changed_at, changed_by) of the read switch, None when it has no row."""
    with conn.cursor() as cur:
        cur.execute("SELECT percent, changed_at, changed_by FROM migration.read_switch")
        return cur.fetchone()


def read_switch_full(conn) -> GateLine:
    check = "read switch at 100%"
    missing = _missing(conn, ("migration.read_switch",))
    if missing:
        return _cannot_check(check, missing, "0032")
    switch = _switch(conn)
    conn.rollback()
    if switch is None:
        return GateLine(check, False, "migration.read_switch has no row: every user reads the legacy table "
                                      "(make cutover PERCENT=100)")
    percent, changed_at, changed_by = switch
    since = f"set {changed_at:%Y-%m-%d %H:%M:%S %Z} by {changed_by}"
    if percent == 100:
        return GateLine(check, True, f"100% of users read the new tables ({since})")
    return GateLine(check, False, f"the read share is {percent}%, not 100% ({since}; make cutover PERCENT=100)")


def no_legacy_reader(conn) -> GateLine:
    check = "no legacy reader"
    if dropped(conn):
        return GateLine(check, True, "nothing can read it: the legacy table was dropped (0040_drop_legacy)")
    missing = _missing(conn, (legacy_windows.TABLE,))
    if missing:
        return _cannot_check(check, missing, "0036")
    window = legacy_windows.last(conn)
    switch = _switch(conn) if not _missing(conn, ("migration.read_switch",)) else None
    conn.rollback()
    if window is None:
        return GateLine(check, False, "no legacy-readers window recorded yet (make legacy-readers SECONDS=300, "
                                      "after the read switch reached 100%)")
    which = (f"the last window ({window.seconds:.0f} s, ended {legacy_windows.age(window.age_seconds)} ago, "
             f"{window.ended_at:%Y-%m-%d %H:%M:%S %Z}, by {window.run_by}, window {window.id})")
    if not window.clean:
        readers = window.app_readers()
        if readers:
            seen = f"the app used habit_tracker: {', '.join(readers[:EXAMPLES])}"
        elif window.app_calls is None:
            seen = "habit_tracker was used and, without pg_stat_statements, by whom is unknown"
        else:
            seen = f"{window.seen.get('hidden_calls', 0)} calls by roles whose statements could not be read"
        return GateLine(check, False, f"{which} was not clean: {seen} (make legacy-readers; find the screen)")
    if switch is not None and switch[0] == 100 and window.started_at < switch[1]:
        return GateLine(check, False, f"{which} began before the read switch reached 100% "
                                      f"({switch[1]:%Y-%m-%d %H:%M:%S %Z}): make legacy-readers SECONDS=300 again")
    tooling = window.seen.get("statements")
    calls = "" if tooling is None else f"; {sum(s['calls'] for s in tooling)} calls by the tooling"
    return GateLine(check, True, f"{which}: no app statement on habit_tracker{calls}")


def rls_all_on(conn) -> GateLine:
    check = "every RLS stage on"
    ok, detail = rls_stage_reached(Db(conn), 4, NEW_TABLES)
    conn.rollback()
    return GateLine(check, ok, detail)


GATES: dict[str, tuple[Callable, ...]] = {
    "phase2": (drift_clean, nothing_stranded, queue_drained, no_sync_failures),
    "contract": (drift_clean, nothing_stranded, queue_drained, no_sync_failures, read_switch_full,
                 no_legacy_reader, rls_all_on),
}


def run_gate(conn, name: str = "phase2") -> list[GateLine]:
    """Every line of gate `name`, in order. `conn`: a psycopg2 connection, not autocommit (the
    drift check needs one snapshot); it is left with no transaction open."""
    if name not in GATES:
        raise KeyError(f"unknown gate {name!r}; known: {', '.join(sorted(GATES))}")
    try:
        return [check(conn) for check in GATES[name]]
    finally:
        conn.rollback()


def failing(lines: list[GateLine]) -> list[GateLine]:
    return [line for line in lines if not line.ok]


def enforce(conn, gate: str, *, skip: bool, skip_option: str, subject: str, not_done: str,
            log_prefix: str) -> str | None:
    """Run `gate` now, for a command about to do what it guards (an upgrade through a gated
    revision, a raise of the read share). Passes: None. Fails: each failing line on stderr, then
    CheckFailed "<subject> failed (N checks: ...); <not_done>". With `skip` (the caller has
    already checked it is allowed here): the note to record instead, also on stderr, whatever
    the lines say, even when the gate could not run at all."""
    try:
        failed = failing(run_gate(conn, gate))
    except psycopg2.Error as exc:
        conn.rollback()
        if not skip:
            raise
        failed, error = None, one_line(exc)
    if skip:
        found = (f"could not run: {error}" if failed is None
                 else "; ".join(str(line) for line in failed) or "all PASS")
        note = f"gate {gate} skipped ({skip_option}): {found}"
        print(f"{log_prefix}: {note}", file=sys.stderr)
        return note
    if failed:
        for line in failed:
            print(line, file=sys.stderr)
        raise CheckFailed(f"{subject} failed ({len(failed)} checks: {', '.join(line.check for line in failed)}); "
                          f"{not_done}")
    return None
