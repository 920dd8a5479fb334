"""A verify step per revision, as Sqitch has: migrations/verify/<revision id>.py.

Every revision in migrations/ has a module here, named by its revision id, that declares the
checks proving it is applied, and what must hold when it is not. `make verify`
(scripts/commands/verify.py) walks the revision list base -> head and, for each revision,
runs the `present` side of its checks when the database has it applied and the `absent`
side when it does not. No revision id is written in verify.py: the revision list and these
modules are the whole of what it knows.

A module declares

    CHECKS = (
        Check("indexes", present=indexes_built, absent=no_indexes),
        ...
    )

`present` and `absent` are small functions of a `Db` (one(), all(), value(): plain SQL
against the catalog) returning an Outcome: (ok, detail), the detail being the figure a
person reads after PASS/FAIL. An empty detail says nothing (an absent side that found
nothing usually does); the check still counts.

One line per check name; later revisions extend or replace earlier lines
    Each check has a name, and `make verify` prints one line per name, in the order the
    names first appear base -> head. Several revisions may declare the same name: that is
    how a later revision says it changes what an earlier one's check expects.

    - extend (the default). The line is the parts of every revision declaring the name,
      base -> head, joined with "; ": the `present` part of each applied one, the `absent`
      part of each one not applied. PASS when every part passes. A revision that changes an
      earlier one's objects declares the name again with `present` = its new form and
      `absent` = the earlier form still in place. So the earlier revision's check states only
      what stays true after the change, and what the change alters is said once, in the
      changing revision's file. Example: 0004 creates 24 policies ("rls policies": 24 of
      them, RLS off); 0015 rewrites the parent-week ones ("rls policies": present = 8 written
      by membership, absent = 0 so written, i.e. as 0004 wrote them). Likewise 0011, 0016
      and 0017 extend "legacy mapping" (sync state, inlined id functions, generic plans),
      0012 and 0013 extend "dual-write trigger", 0005 and 0006 extend "constraint
      validation", 0014 extends "idempotency_log".

    - replace (`Check(..., replaces=True)`). When the revision is applied, the parts of the
      earlier revisions declaring the name are dropped and its own `present` stands alone:
      for a change after which the earlier check no longer holds at all (a table dropped, a
      grant set redefined). When it is not applied, its `absent` part joins the earlier parts
      as with extend.

    Every name must be declared with an `absent` by the revision that introduces it, so that
    each line is printed at every revision, base included (where every revision's absent
    side runs and must pass). `absent=None` on a later declaration means the earlier parts
    already prove the revision's change is absent.

What a verify module may use
    This package, SQL, and the catalog readers of scripts/db (privileges,
    constraint_violations). Not a revision module, nor another verify module: the lists a
    check needs (constraint names, function signatures, grants) are written here, frozen
    with the revision they describe.

Revision markers
    A module may also declare, for the commands that must find a revision without naming it:
    - CREATES: the relations the revision creates (schema-qualified). `make report` says
      "not installed (X comes with <revision>)" from them (`revision_creating`).
    - PERF_BASELINE = True: `make perf-baseline` measures before and after this revision
      (the one that rewrote the policies for the planner); "before" is its down_revision
      (`marked`).

tests/test_verify_steps.py proves every revision has a module, that every absent side passes
at base, and that every revision passes its own verify when the database is at it.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType

from scripts.db import privileges

# The six tables of the new schema (0002), read by several revisions' checks.
NEW_TABLES = ("children", "weeks", "habits", "habit_records", "habit_templates", "notifications")

Outcome = tuple[bool, str]


class Db:
    """What a check reads the database through: plain SQL, one statement a call."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, query: str, params=None) -> None:
        with self.conn.cursor() as cur:
            cur.execute(query, params)

    def all(self, query: str, params=None) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def one(self, query: str, params=None) -> tuple | None:
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchone()

    def value(self, query: str, params=None):
        """The first column of the first row (None when there is no row)."""
        row = self.one(query, params)
        return None if row is None else row[0]


@dataclass(frozen=True)
class Check:
    name: str
    present: Callable[[Db], Outcome]
    absent: Callable[[Db], Outcome] | None = None
    replaces: bool = False


@dataclass
class Part:
    """One revision's side of a check, as it applies to the database's state."""
    revision: str
    applied: bool
    run: Callable[[Db], Outcome]


@dataclass
class Line:
    """One line of `make verify`: a check name and the parts that decide it."""
    name: str
    parts: list[Part] = field(default_factory=list)


def module_name(revision: str) -> str:
    return f"{__name__}.{revision}"


def load(revision: str) -> ModuleType:
    """The verify module of a revision (ModuleNotFoundError when it has none)."""
    return importlib.import_module(module_name(revision))


def lines(revisions: Iterable[str], applied: set[str]) -> list[Line]:
    """The checks in force for a database with `applied` revisions, `revisions` base -> head."""
    by_name: dict[str, Line] = {}
    for revision in revisions:
        for check in load(revision).CHECKS:
            line = by_name.setdefault(check.name, Line(check.name))
            if revision in applied:
                if check.replaces:
                    line.parts.clear()
                line.parts.append(Part(revision, True, check.present))
            elif check.absent is not None:
                line.parts.append(Part(revision, False, check.absent))
    return list(by_name.values())


def revision_creating(revisions: Iterable[str], relation: str) -> str | None:
    """The revision whose module lists `relation` in CREATES."""
    return next((r for r in revisions if relation in getattr(load(r), "CREATES", ())), None)


def marked(revisions: Iterable[str], attribute: str) -> list[str]:
    """The revisions whose module sets `attribute` true."""
    return [r for r in revisions if getattr(load(r), attribute, False)]


# --- small helpers the modules share ------------------------------------------------------

def exists(db: Db, relation: str) -> bool:
    return db.value("SELECT to_regclass(%s) IS NOT NULL", (relation,))


def function_exists(db: Db, signature: str) -> bool:
    """Whether the function exists; its argument types must exist (to_regprocedure raises else)."""
    return db.value("SELECT to_regprocedure(%s) IS NOT NULL", (signature,))


def trigger_enabled(db: Db, table: str, trigger: str) -> str | None:
    """pg_trigger.tgenabled ('O', 'D', ...) of a trigger on a table of public, None when absent."""
    return db.value("""SELECT t.tgenabled FROM pg_trigger AS t
                       WHERE t.tgname = %s AND t.tgrelid = to_regclass(%s) AND NOT t.tgisinternal""",
                    (trigger, f"public.{table}"))


def before_statement_events(db: Db, table: str, trigger: str, events: Iterable[str]) -> list[str]:
    """Of `events`, those a trigger on a table of public fires BEFORE, per statement
    (pg_trigger.tgtype bits); [] when it is absent, row-level or AFTER."""
    tgtype = db.value("""SELECT t.tgtype FROM pg_trigger AS t
                         WHERE t.tgname = %s AND t.tgrelid = to_regclass(%s)""", (trigger, f"public.{table}"))
    if tgtype is None or tgtype & 1 or not tgtype & 2:  # bit 0 row-level, bit 1 BEFORE
        return []
    bits = {"INSERT": 4, "DELETE": 8, "UPDATE": 16, "TRUNCATE": 32}
    return [event for event in events if tgtype & bits[event]]


def cron_schedules(db: Db, jobname: str) -> tuple[bool, list[str]]:
    """Whether pg_cron is installed here, and the schedules of the jobs named so."""
    if not db.value("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')"):
        return False, []
    return True, [row[0] for row in db.all("SELECT schedule FROM cron.job WHERE jobname = %s", (jobname,))]


def owner_only_functions(db: Db, signatures: Iterable[str]) -> tuple[int, int]:
    """Of these functions: how many exist, and how many PUBLIC, anon or authenticated may execute."""
    return db.one("""
        SELECT count(f), count(f) FILTER (WHERE has_function_privilege('public', f, 'EXECUTE')
                                            OR has_function_privilege('anon', f, 'EXECUTE')
                                            OR has_function_privilege('authenticated', f, 'EXECUTE'))
        FROM unnest(%s::TEXT[]) AS s (signature), to_regprocedure(s.signature) AS f""", (list(signatures),))


def table_holders(db: Db, table: str) -> list[str]:
    """Who of PUBLIC and the API roles holds any privilege on `table` or its `id` sequence: a
    table of schema migration must have none."""
    return [row[0] for row in db.all("""
        SELECT DISTINCT CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::REGROLE::TEXT END
        FROM pg_class AS c, aclexplode(c.relacl) AS g
        WHERE c.oid IN (%s::REGCLASS, pg_get_serial_sequence(%s, 'id')::REGCLASS)
            AND (g.grantee = 0 OR g.grantee::REGROLE::TEXT = ANY(%s))
        ORDER BY 1""", (table, table, ["anon", "authenticated", "service_role"]))]


def rls_enabled_tables(db: Db) -> set[str]:
    """The new tables (NEW_TABLES) whose row-level security is enabled."""
    return {name for (name,) in db.all("""
        SELECT relname FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relname = ANY(%s) AND relrowsecurity""",
                                       (list(NEW_TABLES),))}


def rls_stage_reached(db: Db, stage: int, on: Iterable[str], of: int = 4) -> Outcome:
    """Phase 2's RLS stages: exactly the tables `on` have RLS enabled, the other new tables not.
    The detail names the stage and, on a mismatch, each table in the wrong state."""
    wanted, enabled = set(on), rls_enabled_tables(db)
    ordered = [t for t in NEW_TABLES if t in wanted]
    off = [t for t in NEW_TABLES if t not in wanted]
    if enabled != wanted:
        wrong = ([f"{t} RLS OFF" for t in ordered if t not in enabled]
                 + [f"{t} RLS ON" for t in NEW_TABLES if t in enabled and t not in wanted])
        return False, f"stage {stage} of {of} expected, but: {', '.join(wrong)}"
    if not wanted:
        return True, f"stage 0 of {of}: RLS off on the six new tables (Phase 2's stages turn it on)"
    return True, (f"stage {stage} of {of} reached: RLS on {', '.join(ordered)}"
                  + (f"; off on {', '.join(off)}" if off else ""))


def rls_stage_checks(stage: int, on: Iterable[str], grants) -> tuple[Check, Check]:
    """The two lines of a Phase 2 RLS stage's module, both replacing the earlier parts while it is
    applied: "rls stage" (exactly `on` enabled) and "privileges" (exactly `grants` held, see
    scripts/db/privileges.exactly). Absent: nothing to add, the earlier stage's exact lists say it."""
    def stage_reached(db: Db) -> Outcome:
        return rls_stage_reached(db, stage, on)

    def exactly_the_apps(db: Db) -> Outcome:
        return privileges.exactly(db.conn, grants)

    return (Check("rls stage", present=stage_reached, replaces=True),
            Check("privileges", present=exactly_the_apps, replaces=True))
