"""`make quarantine` and `make quarantine-resolve`: the legacy rows the mapping cannot place, and
the operator's decision on each, recorded and reversible (revision 0024).

    python -m scripts.commands.quarantine list [--json]
    python -m scripts.commands.quarantine resolve --id ID --action assign|discard|undo [--owner UUID] [--by NAME]

`list` prints every unresolved legacy row (migration.unresolved_legacy_rows: quarantined, and
not discarded as it is now) with its legacy_id, child, start date, reason and detail, its filled
days (migration.filled_days()) and a proposal: the Monday weeks its days would fall in
(migration.monday_of()) with the days in each, and the action to take. An owner-less row
(no_user) is to be assigned: the users who have a child of that name are listed as candidates,
and none is chosen; any other row is to be fixed in the app (the next sync then places it) or,
when there is nothing in it worth keeping, discarded. Then the conflicts the merge recorded
(migration.placement_conflicts): values it did not keep, with the kept one. `--json` prints
{"rows": [...], "conflicts": [...]}. Exit 0.

`resolve` makes one decision in one transaction (migration.assign_legacy_owner(),
discard_legacy_row(), undo_quarantine_decision()): assign sets the owner of an owner-less row
and syncs it at once; discard archives the row's whole content (migration.discarded_legacy_rows)
and takes it off the list; undo takes back the row's latest decision not undone. Each is
logged in migration.quarantine_decisions with who (--by, default the database user) and when.
Exit 0 when done; 2, with one line and nothing changed, on a bad id (not a number, no such
row, a row not unresolved, nothing to undo), a bad uuid, an owner that is no user, an action
that does not exist, or when it cannot run.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter, defaultdict

import psycopg2

from scripts.db.database_url import connect, require_revision_object
from scripts.db.freeze import FREEZE_REVISION, frozen
from scripts.db.legacy_table import retired
from scripts.db.errors import OneLineParser, UsageError, cli_main

USAGE = ("usage: python -m scripts.commands.quarantine list [--json] | resolve --id ID "
         "--action assign|discard|undo [--owner UUID] [--by NAME]")
ACTIONS = ("assign", "discard", "undo")
REQUIRED = "migration.assign_legacy_owner(bigint,uuid,text)"
NOT_INSTALLED = "the database has no quarantine decisions: upgrade to 0024_quarantine_decisions first"
# The refusals the decision functions raise (revision 0024): the decision is not made.
REFUSALS = ("MGQ01", "MGQ02", "MGQ03", "MGQ04")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

UNRESOLVED = """
SELECT u.legacy_id, (u.legacy).child_name, (u.legacy).user_id::TEXT, migration.week_start(u.legacy), u.reason,
       u.detail, u.quarantined_at, (u.legacy).updated_at,
       coalesce((SELECT json_agg(json_build_object('habit', d.habit_name, 'habit_pos', d.habit_pos, 'day', d.day,
                                                   'date', d.record_date, 'status', d.status,
                                                   'monday', migration.monday_of(d.record_date))
                                 ORDER BY d.habit_pos, d.day)
                 FROM migration.filled_days(u.legacy) AS d), '[]'),
       CASE WHEN u.reason = 'no_user' THEN ARRAY(
           SELECT c.user_id::TEXT FROM public.children AS c WHERE c.name = (u.legacy).child_name
           UNION
           SELECT t.user_id::TEXT FROM public.habit_tracker AS t
           WHERE t.child_name = (u.legacy).child_name AND t.user_id IS NOT NULL
           ORDER BY 1) END
FROM migration.unresolved_legacy_rows AS u
ORDER BY u.legacy_id"""

CONFLICTS = """
SELECT c.id, c.legacy_id, c.user_id::TEXT, c.child_name, c.monday, c.week_id::TEXT, c.field, c.habit_name,
       c.record_date, c.lost_value, c.kept_value, c.kept_legacy_id, c.recorded_at
FROM migration.placement_conflicts AS c
ORDER BY c.user_id, c.child_name, c.monday, c.id"""

ROW_STATE = """
SELECT (SELECT q.reason FROM migration.backfill_quarantine AS q WHERE q.legacy_id = %(id)s),
       EXISTS (SELECT 1 FROM migration.unresolved_legacy_rows AS u WHERE u.legacy_id = %(id)s),
       (SELECT h.user_id::TEXT FROM public.habit_tracker AS h WHERE h.id = %(id)s),
       coalesce((SELECT json_object_agg(a.account, a.days)
                 FROM (SELECT account, count(*) AS days FROM migration.legacy_day_accounts
                       WHERE legacy_id = %(id)s GROUP BY account) AS a), '{}')"""

# Since the rename (0039) the legacy rows are habit_tracker_old's, closed to this command; since
# the drop (0040) the quarantine's tables are in the archive.
RETIRED = ("quarantine: retired since 0039_rename_legacy: the legacy table is retired and nothing is left to "
           "decide (the decisions stay in migration.quarantine_decisions until the drop, then in its archive)")

def iso(value) -> str | None:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def days_text(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def filled_days_text(n: int) -> str:
    return f"{n} filled day" if n == 1 else f"{n} filled days"


def weekday(value: str | None) -> str:
    return "" if value is None else DAY_NAMES[dt.date.fromisoformat(value).weekday()]


# --- list ----------------------------------------------------------------------------------

def proposal(legacy_id: int, reason: str, detail: str, child: str, days: list[dict], candidates) -> dict:
    """What would go where, and the decision to take; nothing is chosen for the operator."""
    weeks = Counter(d["monday"] for d in days if d["monday"] is not None)
    where = [{"monday": monday, "days": n} for monday, n in sorted(weeks.items())]
    undated = sum(1 for d in days if d["monday"] is None)
    resolve = f"make quarantine-resolve ID={legacy_id}"
    goes = ", ".join(f"{w['monday']} ({days_text(w['days'])})" for w in where)
    into = f"its {filled_days_text(len(days))} would go to the Monday weeks of {goes}" if where else ""
    if undated:
        into += ("; " if into else "") + f"{undated} filled days have no date it can tell"
    if reason == "no_user":
        action, alternatives = "assign", ["discard"]
        named = ", ".join(candidates) if candidates else "none: no user has a child of that name"
        text = (f"assign its owner ({resolve} ACTION=assign OWNER=<uuid>); " + (into + " of that owner's child "
                f"{child!r}; " if into else "it has no filled day; ") + f"candidates (users with a child named "
                f"{child!r}): {named}")
        commands = [f"{resolve} ACTION=assign OWNER=<uuid>", f"{resolve} ACTION=discard"]
    elif days:
        action, alternatives = "fix-in-app", ["discard"]
        text = (f"fix it in the app ({detail}); the next sync places it: {into}; or discard it "
                f"({resolve} ACTION=discard), archived, reversible")
        commands = [f"{resolve} ACTION=discard"]
    else:
        action, alternatives, candidates = "discard", ["fix-in-app"], None
        text = f"discard it ({resolve} ACTION=discard): it has no filled day to lose; or fix it in the app ({detail})"
        commands = [f"{resolve} ACTION=discard"]
    result = {"action": action, "alternatives": alternatives, "weeks": where, "undated_days": undated,
              "text": text, "commands": commands}
    if reason == "no_user":
        result["candidates"] = list(candidates or [])
    return result


def unresolved_rows(cur) -> list[dict]:
    cur.execute(UNRESOLVED)
    rows = []
    for legacy_id, child, user_id, start, reason, detail, quarantined_at, updated_at, days, candidates in cur.fetchall():
        rows.append({
            "legacy_id": legacy_id, "child_name": child, "user_id": user_id, "start_date": iso(start),
            "reason": reason, "detail": detail, "quarantined_at": iso(quarantined_at), "updated_at": iso(updated_at),
            "filled_days": days, "proposal": proposal(legacy_id, reason, detail, child, days, candidates),
        })
    return rows


def conflicts(cur) -> list[dict]:
    cur.execute(CONFLICTS)
    names = [c.name for c in cur.description]
    return [{name: iso(value) for name, value in zip(names, row)} for row in cur.fetchall()]


def compact(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def render_text(rows: list[dict], found: list[dict]) -> str:
    stranded = sum(len(r["filled_days"]) for r in rows)
    lines = [f"Unresolved legacy rows: {len(rows)} ({stranded} filled days stranded)" if rows
             else "Unresolved legacy rows: none (nothing stranded)"]
    for r in rows:
        lines += ["", f"legacy {r['legacy_id']}: child {r['child_name']!r}, starts {r['start_date'] or '(unreadable)'}"
                  f"{' (' + weekday(r['start_date']) + ')' if r['start_date'] else ''}, user {r['user_id'] or '(none)'}; "
                  f"{r['reason']}: {r['detail']}"]
        by_habit = defaultdict(list)
        for d in r["filled_days"]:
            by_habit[(d["habit_pos"], d["habit"])].append(f"{d['date'] or '?'} {d['status']}")
        lines.append(f"  filled days ({len(r['filled_days'])}): " + ("; ".join(
            f"{name or '(no name)'}: {', '.join(days)}" for (_, name), days in sorted(by_habit.items(), key=lambda k: k[0][0]))
            or "none"))
        p = r["proposal"]
        weeks = ", ".join(f"{w['monday']}: {w['days']}" for w in p["weeks"])
        lines.append(f"  would go to the Monday weeks: {weeks or 'none'}"
                     + (f"; {p['undated_days']} days with no date" if p["undated_days"] else ""))
        lines.append(f"  proposal: {p['action']}: {p['text']}")
    lines += ["", f"Recorded conflicts (migration.placement_conflicts): {len(found)}"]
    for c in found:
        day = f" {c['habit_name']} {c['record_date']}" if c["field"] == "status" else ""
        lines.append(f"  legacy {c['legacy_id']}, child {c['child_name']!r}, week of {c['monday']}: {c['field']}{day}: "
                     f"lost {compact(c['lost_value'])}, kept {compact(c['kept_value'])} (legacy {c['kept_legacy_id']})")
    return "\n".join(lines)


def list_command(argv: list[str]) -> int:
    parser = OneLineParser(prog="quarantine list", usage_line=USAGE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    conn = connect(autocommit=False)
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        if retired(conn):
            print(RETIRED)
            return 0
        require_revision_object(conn, REQUIRED, NOT_INSTALLED)
        with conn.cursor() as cur:
            rows, found = unresolved_rows(cur), conflicts(cur)
        conn.rollback()
    except psycopg2.Error as exc:
        raise UsageError(f"quarantine could not be listed: {' '.join(str(exc).split())}") from None
    finally:
        conn.close()
    if args.json:
        print(json.dumps({"rows": rows, "conflicts": found}, ensure_ascii=False, indent=2, default=str))
    else:
        print(render_text(rows, found))
    return 0


# --- resolve -------------------------------------------------------------------------------

def parse_resolve(argv: list[str]):
    parser = OneLineParser(prog="quarantine resolve", usage_line=USAGE)
    parser.add_argument("--id", required=True)
    parser.add_argument("--action", required=True)
    parser.add_argument("--owner")
    parser.add_argument("--by")
    args = parser.parse_args(argv)
    try:
        legacy_id = int(args.id.strip())
    except ValueError:
        raise UsageError(f"ID must be a legacy row id (a number), got {args.id!r}") from None
    if not 0 < legacy_id < 2**63:
        raise UsageError(f"ID must be a legacy row id (a positive number), got {args.id!r}")
    if args.action not in ACTIONS:
        raise UsageError(f"ACTION must be one of {', '.join(ACTIONS)}, got {args.action!r}")
    owner = None
    if args.action == "assign":
        if not args.owner:
            raise UsageError("ACTION=assign needs OWNER=<user uuid>")
        try:
            owner = str(uuid.UUID(args.owner.strip()))
        except ValueError:
            raise UsageError(f"OWNER must be a user's uuid, got {args.owner!r}") from None
    elif args.owner:
        raise UsageError(f"OWNER is for ACTION=assign, not {args.action}")
    by = args.by.strip() if args.by and args.by.strip() else None
    return legacy_id, args.action, owner, by


def decide(cur, legacy_id: int, action: str, owner: str | None, by: str | None) -> dict:
    if action == "assign":
        cur.execute("SELECT to_jsonb(d) FROM migration.assign_legacy_owner(%s, %s, %s) AS d", (legacy_id, owner, by))
    elif action == "discard":
        cur.execute("SELECT to_jsonb(d) FROM migration.discard_legacy_row(%s, %s) AS d", (legacy_id, by))
    else:
        cur.execute("SELECT to_jsonb(d) FROM migration.undo_quarantine_decision(%s, %s) AS d", (legacy_id, by))
    return cur.fetchone()[0]


def refusal(exc: psycopg2.Error, owner: str | None) -> str:
    if exc.pgcode in REFUSALS:
        return exc.diag.message_primary
    if exc.pgcode == "23503":  # habit_tracker.user_id references auth.users
        return f"unknown owner {owner}: no such user in auth.users"
    return f"quarantine-resolve could not run: {' '.join(str(exc).split())}"


def outcome(decision: dict, action: str, state) -> str:
    reason, unresolved, user_id, accounts = state
    legacy_id, by = decision["legacy_id"], decision["decided_by"]
    days = ", ".join(f"{n} {account}" for account, n in sorted(accounts.items())) or "no filled day"
    where = (f"unresolved again ({reason})" if unresolved
             else f"quarantined ({reason}), discarded" if reason else "placed by the mapping")
    if action == "assign":
        return (f"legacy row {legacy_id}: owner {decision['owner']} assigned (decision {decision['id']}, by {by}); "
                f"now {where}; its filled days: {days}")
    if action == "discard":
        return (f"legacy row {legacy_id}: discarded (decision {decision['id']}, by {by}), its whole row archived in "
                f"migration.discarded_legacy_rows; its filled days: {days}")
    owner_note = ""
    if decision["action"] == "assign":
        owner_note = ("; user_id back to NULL" if user_id is None
                      else f"; user_id left at {user_id}: changed since the assign")
    return (f"legacy row {legacy_id}: decision {decision['id']} ({decision['action']}) undone by "
            f"{decision['undone_by']}{owner_note}; now {where}; its filled days: {days}")


def resolve_command(argv: list[str]) -> int:
    legacy_id, action, owner, by = parse_resolve(argv)
    conn = connect(autocommit=False)
    try:
        if frozen(conn):
            # A decision writes the legacy row (its owner) or archives it: refused once frozen.
            raise UsageError(f"refused: habit_tracker is frozen since {FREEZE_REVISION}: nothing is left to decide "
                             "(the contract gate found nothing stranded); downgrade the freeze first")
        require_revision_object(conn, REQUIRED, NOT_INSTALLED)
        with conn.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '10s'")
            cur.execute("SET LOCAL jit = off")  # see scripts/db/day_accounts.py
            try:
                decision = decide(cur, legacy_id, action, owner, by)
            except psycopg2.Error as exc:
                conn.rollback()
                raise UsageError(refusal(exc, owner)) from None
            cur.execute(ROW_STATE, {"id": legacy_id})
            state = cur.fetchone()
        conn.commit()
    except psycopg2.Error as exc:
        raise UsageError(f"quarantine-resolve could not run: {' '.join(str(exc).split())}") from None
    finally:
        conn.close()
    print(outcome(decision, action, state))
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("list", "resolve"):
        raise UsageError(USAGE)
    return list_command(argv[1:]) if argv[0] == "list" else resolve_command(argv[1:])


if __name__ == "__main__":
    cli_main(main)()
