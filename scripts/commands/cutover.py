"""`make cutover [PERCENT=n]`: the Phase 2 read switch, the share of users whose reads come from the new tables.

    python -m scripts.commands.cutover [--percent N] [--gate skip] [--by NAME] [--json]

Without --percent it shows the share, how many users it puts on the new side and the latest
changes. With --percent N (an integer 0-100) it stores N in migration.read_switch (revision
0032_read_switch) and prints before -> after and the users now on the new side. The app asks
public.reads_from_new(); a user on the new side at p% stays there at every higher share.
PERCENT=0 is the rollback: every user reads the legacy table again.

Raising the share runs the Phase 2 gate first (scripts/db/gates.py: drift clean, nothing
stranded, queue drained, no sync failures) and refuses, exit 1 with the failing lines, while
any line fails: more users must not start reading tables that disagree with the legacy one.
`--gate skip` (make cutover GATE=skip) raises it anyway on a throwaway database only (the rule
of `make upgrade GATE=skip`: scripts/commands/migrate.py skip_refusal), and the skip is noted
in the switch's log. Lowering the share, or setting it where it is, never needs the gate; lowering
it once habit_tracker is frozen (0038) is refused (exit 1): the new tables are the only copy.

The change is one UPDATE of the switch's one row, in a transaction that touches nothing else
(the log row is written by its trigger): no lock is taken on habit_tracker or the new tables,
and app sessions calling reads_from_new() are not blocked. The users are counted afterwards, in
a transaction of their own.

Exit 0 done (or shown), 1 refused by the gate, 2 bad input (one line), no database, or a
database below the revision that creates the switch.
"""
from __future__ import annotations

import json
import re
import sys

import psycopg2
import psycopg2.errors
from alembic.script import ScriptDirectory

from scripts.commands.migrate import alembic_config, skip_refusal
from scripts.commands.verify import current_revision, revision_list
from scripts.db import read_switch
from scripts.db.database_url import connect
from scripts.db.errors import CheckFailed, OneLineParser, UsageError, cli_main, one_line
from scripts.db.freeze import FREEZE_REVISION, frozen
from scripts.db.gates import enforce
from migrations.verify import revision_creating

USAGE = "usage: python -m scripts.commands.cutover [--percent N] [--gate skip] [--by NAME] [--json]"
GATE = "phase2"
HISTORY = 5
COUNT_LOCK_TIMEOUT = "2s"


def parse_percent(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,3}", text.strip()) or int(text) > 100:
        raise UsageError(f"PERCENT must be an integer from 0 to 100, got {text!r}")
    return int(text)


def require_switch(conn) -> None:
    if read_switch.installed(conn):
        return
    revisions = revision_list(ScriptDirectory.from_config(alembic_config()))
    creating = revision_creating(revisions, read_switch.SWITCH) or "a later revision"
    at = current_revision(conn) or "base"
    raise UsageError(f"the read switch comes with revision {creating}; the database is at {at} (make upgrade)")


def gate_note(conn, gate_option: str | None) -> str | None:
    """Run the gate before a raise: None when it passes, the skip note when skipped where
    allowed; CheckFailed (exit 1) with the failing lines otherwise."""
    if gate_option == "skip":
        refusal = skip_refusal(conn)
        conn.rollback()
        if refusal:
            raise UsageError(f"--gate skip refused: {refusal}")
    return enforce(conn, GATE, skip=gate_option == "skip", skip_option="GATE=skip", subject=f"gate {GATE}",
                   not_done="the share is unchanged (lowering it needs no gate)", log_prefix="cutover")


def counted(conn) -> read_switch.SwitchState:
    """The share and its users, in a transaction of its own, after the change. Counting reads
    children and habit_tracker: if one is locked (DDL stuck on it), it waits COUNT_LOCK_TIMEOUT
    and gives up: an emergency PERCENT=0 must not hang on a figure (users then None)."""
    conn.rollback()
    try:
        with conn.cursor() as cur:
            cur.execute(f"SET LOCAL lock_timeout = '{COUNT_LOCK_TIMEOUT}'")
        now = read_switch.state(conn)
    except psycopg2.errors.LockNotAvailable:
        conn.rollback()
        print(f"cutover: users not counted: a data table stayed locked for {COUNT_LOCK_TIMEOUT}", file=sys.stderr)
        now = read_switch.state(conn, count=False)
    finally:
        conn.rollback()
    if now is None:
        raise CheckFailed("migration.read_switch has no row (make cutover PERCENT=0 puts it back)")
    return now


def show(conn, as_json: bool) -> int:
    now = counted(conn)
    changes = read_switch.history(conn, HISTORY)
    conn.rollback()
    if as_json:
        print(json.dumps({"percent": now.percent, "users": now.users, "on_new": now.on_new,
                          "changed_at": now.changed_at.isoformat(), "changed_by": now.changed_by, "note": now.note,
                          "history": [{"before": c.percent_before, "after": c.percent_after,
                                       "changed_at": c.changed_at.isoformat(), "changed_by": c.changed_by,
                                       "note": c.note} for c in changes]}, ensure_ascii=False, indent=2))
        return 0
    print(f"read switch: {now.summary()}, set {now.changed_at:%Y-%m-%d %H:%M:%S %Z} by {now.changed_by}")
    for c in changes:
        note = f" ({c.note})" if c.note else ""
        print(f"  {c.changed_at:%Y-%m-%d %H:%M:%S} {c.percent_before}% -> {c.percent_after}% by {c.changed_by}{note}")
    if not changes:
        print("  never changed since the revision (0% from the start)")
    return 0


def change(conn, new: int, gate_option: str | None, by: str | None, as_json: bool) -> int:
    current = read_switch.percent(conn)
    conn.rollback()
    if current is not None and new < current and frozen(conn):
        # Since the freeze the new tables are the only copy: a user sent back would read the
        # legacy table as it was at the freeze (and, once renamed, nothing at all).
        raise CheckFailed(f"read switch stays at {current}%: habit_tracker is frozen since {FREEZE_REVISION}, "
                          f"lowering it would show users stale or missing weeks; downgrade {FREEZE_REVISION} first")
    note, gated = None, False
    if current is None or new > current:
        note, gated = gate_note(conn, gate_option), True
    try:
        before = read_switch.set_percent(conn, new, by, note, gated=gated)
        conn.commit()
    except read_switch.ChangedMeanwhile as exc:
        conn.rollback()
        raise UsageError(f"the share was changed meanwhile (now {exc.args[0]}%): run the command again") from None
    now = counted(conn)
    direction = "raised" if new > before else "lowered" if new < before else "unchanged"
    if as_json:
        print(json.dumps({"before": before, "after": new, "direction": direction, "users": now.users,
                          "on_new": now.on_new, "note": note}, ensure_ascii=False, indent=2))
        return 0
    gate = ("; gate skipped" if note else f"; gate {GATE} passed") if gated else ""
    print(f"read switch: {before}% -> {new}% ({direction}{gate})")
    if now.users is not None:
        print(f"users on the new tables: {now.on_new} of {now.users} (users with children or legacy rows)")
    if new == 0:
        print("every user reads the legacy table again")
    return 0


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="cutover", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--percent", help="the new share, an integer 0-100 (none: show it)")
    parser.add_argument("--gate", help="skip: raise without the gate (throwaway databases only)")
    parser.add_argument("--by", help="who changes it (default: the database user)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if args.gate not in (None, "", "skip"):
        raise UsageError(f"--gate {args.gate}: the only value is skip")
    new = None if args.percent in (None, "") else parse_percent(args.percent)
    by = args.by.strip() if args.by and args.by.strip() else None
    conn = connect(autocommit=False)
    try:
        require_switch(conn)
        conn.rollback()
        if new is None:
            return show(conn, args.json)
        return change(conn, new, args.gate or None, by, args.json)
    except psycopg2.Error as exc:
        raise UsageError(f"cutover could not run: {one_line(exc)}") from None
    finally:
        conn.close()


if __name__ == "__main__":
    cli_main(main)()
