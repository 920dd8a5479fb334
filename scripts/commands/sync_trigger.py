"""`make sync-trigger [MODE=on|off]`: the dual-write trigger's global switch (rollback scenario 3).

    python -m scripts.commands.sync_trigger [on|off|status]

Turns the Phase 1 sync trigger's work on or off for every session at once, without a
migration and without a lock on habit_tracker: it sets `sync_trigger` in migration.settings,
which the trigger reads on each write (revision 0012). While off, legacy writes are not
queued (revision 0013) nor synced; `make drift` shows them and `make resync` brings them in
after switching back on. Writes queued before the switch are still drained.
"""
from __future__ import annotations

from scripts.db.database_url import connect, require_revision_object
from scripts.db.errors import UsageError, cli_main
from scripts.db.freeze import FREEZE_REVISION, frozen

SET_SWITCH = "UPDATE migration.settings SET value = %s WHERE name = 'sync_trigger'"
STATUS = """SELECT migration.sync_trigger_enabled(), (SELECT count(*) FROM migration.sync_failures),
                   (SELECT tgenabled FROM pg_trigger WHERE tgname = 'trigger_habit_tracker_dual_write')"""


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0] not in ("on", "off", "status")):
        raise UsageError("usage: python -m scripts.commands.sync_trigger [on|off|status]")
    action = argv[0] if argv else "status"
    conn = connect(autocommit=False)
    try:
        if frozen(conn):
            # The switch would be set, but there is no trigger left to obey it (and after the
            # drop, 0040, no switch either).
            print(f"dual-write sync trigger: retired since {FREEZE_REVISION} (dropped with the freeze); nothing to switch")
            return 0
        require_revision_object(conn, "migration.sync_trigger_enabled()",
                                "the database has no sync trigger switch: upgrade to 0012_dual_write_trigger_sync first")
        with conn.cursor() as cur:
            if action != "status":
                cur.execute(SET_SWITCH, ("true" if action == "on" else "false",))
            cur.execute(STATUS)
            enabled, failures, tgenabled = cur.fetchone()
        conn.commit()
    finally:
        conn.close()
    disabled = "; the trigger itself is DISABLED (ALTER TABLE ... ENABLE TRIGGER)" if tgenabled == "D" else ""
    print(f"dual-write sync trigger: {'on' if enabled else 'off'}{disabled}; {failures} unsynced failures recorded")
    return 0


if __name__ == "__main__":
    cli_main(main)()
