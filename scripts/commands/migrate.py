"""The DBA's migration commands: Alembic, with preflight checks and one-line errors.

    python -m scripts.commands.migrate upgrade [REV]      (default: head)
    python -m scripts.commands.migrate downgrade [REV]    (default: -1, one step back)
    python -m scripts.commands.migrate current | history
    python -m scripts.commands.migrate sql [FROM:TO]      (offline SQL for review; no database)
    python -m scripts.commands.migrate stamp REV          (record REV without running anything)

Options after the revision are passed to the revisions as `-x key=value` (alembic's
get_x_argument), e.g. `downgrade base -x allow_legacy_drop=true`.

Gates: a revision that declares a module-level `GATE = "<name>"` (a gate of scripts/db/gates.py,
e.g. "phase2") is applied only while its gate passes. An upgrade applies the revisions below a
gated one, then runs its gate against the database as they left it (`gated_upgrade`); any FAIL
line stops the upgrade there: the failing lines are printed, exit 1, the gated revision is not
applied and the database stays at the one below it. Each gated revision runs its gate again
(Phase 2's four RLS stages: four times). `-x gate=skip` applies them anyway, only on a
throwaway database (see `skip_refusal`), and the skip is recorded in the version history row of
each gated revision (scripts/db/version_history.py, column `note`).

Phase 3's contract revisions declare `GATE = "contract"` (`make contract-check`'s lines).
`-x gate=skip` does not pass them: their override is `-x contract_override=true` (make upgrade
CONTRACT_OVERRIDE=1), refused with one line (exit 2) anywhere but on a throwaway database, as
gate=skip is, and recorded the same way: the version history row of each contract revision it
let through says "gate contract skipped (-x contract_override=true): " and the failing lines
(or "all PASS"). `-x retention_days=N` (default 7; 0 only with the override) is read by the
revisions through migrations/helpers/contract_options.py; a bad value of either is one line,
exit 2, before anything runs.

Exit 2 when the command cannot run (no DATABASE_URL, database down, not a Supabase
database, unknown revision); exit 1 when a revision fails (its transaction is rolled back,
earlier revisions stay applied, and the same command can be run again once fixed).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import psycopg2

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError, OperationalError

from scripts.db.database_url import REPO_ROOT, connect, require_supabase_auth
from scripts.db.errors import CheckFailed, UsageError, cli_main, one_line
from scripts.db.gates import GATES, enforce  # puts the repository on sys.path: migrations/ is not installed
from migrations.helpers.contract_options import OVERRIDE, OptionError
from migrations.helpers.contract_options import parse as parse_contract_options
from scripts.dev.throwaway_pg import THROWAWAY_DBNAMES

ALEMBIC_INI = REPO_ROOT / "alembic.ini"
USAGE = "usage: python -m scripts.commands.migrate upgrade|downgrade|current|history|sql|stamp [REV]"
CONTRACT = "contract"
SKIP_OPTION = "-x gate=skip"
OVERRIDE_OPTION = f"-x {OVERRIDE}=true"


def alembic_config(ini: Path = ALEMBIC_INI) -> Config:
    return Config(str(ini))


def preflight() -> None:
    """The database is reachable and has the Supabase objects the schema depends on."""
    conn = connect()
    try:
        require_supabase_auth(conn)
    finally:
        conn.close()


def _database_error(exc: DBAPIError) -> str:
    orig = getattr(exc, "orig", None)
    diag = getattr(orig, "diag", None)
    message = getattr(diag, "message_primary", None) or one_line(orig or exc)
    sqlstate = getattr(orig, "pgcode", None)
    return f"{message} (SQLSTATE {sqlstate})" if sqlstate else message


def declared_gates(revisions) -> dict[str, list[str]]:
    """{gate: [revision ids declaring it]} of `revisions` (alembic Script objects, or anything
    with `.revision` and `.module`), in the order given. A gate no one defines is a usage error:
    a typo must not let a revision through ungated."""
    gates: dict[str, list[str]] = {}
    for script in revisions:
        gate = getattr(script.module, "GATE", None)
        if gate is None:
            continue
        if gate not in GATES:
            raise UsageError(f"revision {script.revision} declares GATE = {gate!r}, which is not a gate "
                             f"(scripts/db/gates.py: {', '.join(sorted(GATES))})")
        gates.setdefault(gate, []).append(script.revision)
    return gates


def current_revision(conn) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
    return row[0] if row else None


def skip_refusal(conn) -> str | None:
    """Why `-x gate=skip` is refused on this database, or None where it is allowed.

    Allowed only on a database the throwaway tooling creates: its name is one of
    THROWAWAY_DBNAMES (scripts/dev/throwaway_pg.py: `habits` for make db-up/demo/bench targets,
    `habits_test` for the tests) AND the server is reached over a Unix socket or loopback. Both are
    read from the server (current_database(), inet_server_addr()), not from the URL. Supabase's
    database is always named `postgres` and is reached over the network, so a DBA pointing
    DATABASE_URL at production (even through a local tunnel: the name still differs) cannot skip
    a gate by accident."""
    with conn.cursor() as cur:
        cur.execute("SELECT current_database(), inet_server_addr() IS NULL OR inet_server_addr() <<= ANY "
                    "(ARRAY['127.0.0.0/8'::inet, '::1/128'::inet])")
        name, local = cur.fetchone()
    if name not in THROWAWAY_DBNAMES:
        return (f"database {name!r} is not a throwaway one ({', '.join(THROWAWAY_DBNAMES)}, "
                "created by scripts/dev/throwaway_pg.py)")
    if not local:
        return f"database {name!r} is not on this machine (loopback or Unix socket only)"
    return None


def gated_upgrade(cfg: Config, target: str, gate_option: str | None, script=None,
                  contract_override: bool = False) -> None:
    """Upgrade to `target`, running each gated revision's gate just before that revision.

    The range from the current revision to `target` is read once (unknown gates and a refused
    skip are usage errors before anything runs). Then, for each revision that declares a gate:
    the revisions below it are applied (they are not gated), the gate runs against the database
    as they left it, and on any FAIL the upgrade stops with the failing lines (CheckFailed,
    exit 1): the gated revision and everything above it are not applied. `gate_option` "skip"
    passes every gate but the contract one; `contract_override` passes the contract one. Either
    is refused off a throwaway database (the override whenever given, gated revision or not).
    A gate cannot be run before the revisions it reads exist (from base, the drift check needs 0011's sync state),
    and it must see the data as it is when its revision runs: so once per gated revision, not
    once per upgrade. `script`: the ScriptDirectory (or one with the same iterate_revisions),
    the repository's by default; Alembic applies the revisions from the repository's own."""
    if gate_option not in (None, "skip"):
        raise UsageError(f"-x gate={gate_option}: the only value is skip")
    script = script or ScriptDirectory.from_config(cfg)
    conn = connect(autocommit=False)
    try:
        current = current_revision(conn)
        conn.rollback()
        try:
            pending = list(reversed(list(script.iterate_revisions(target, current))))
        except RevisionError as exc:  # what alembic's own upgrade would refuse
            raise UsageError(one_line(exc)) from None
        declared_gates(pending)  # refuses an unknown gate before anything runs
        gated = [step for step in pending if getattr(step.module, "GATE", None)]
        if gated and gate_option == "skip":
            refuse_off_throwaway(conn, SKIP_OPTION)
        if contract_override:
            refuse_off_throwaway(conn, OVERRIDE_OPTION)
        for step in gated:
            if step.down_revision != current:
                command.upgrade(cfg, step.down_revision)
            cfg.attributes["version_history_notes"] = check_gate(conn, step, gate_option, contract_override)
            command.upgrade(cfg, step.revision)
            current = step.revision
    finally:
        conn.close()
    command.upgrade(cfg, pending[-1].revision if pending else target)


def refuse_off_throwaway(conn, option: str) -> None:
    refusal = skip_refusal(conn)
    conn.rollback()
    if refusal:
        raise UsageError(f"{option} refused: {refusal}")


def check_gate(conn, step, gate_option: str | None, contract_override: bool = False) -> dict[str, str]:
    """Run the gate `step` (a gated revision) declares, now. CheckFailed with the failing lines;
    skipped (already allowed here: `gate_option` "skip" for any gate but the contract one,
    `contract_override` for that one), the note for its version history row instead."""
    if step.module.GATE == CONTRACT:
        skip, option = contract_override, OVERRIDE_OPTION
    else:
        skip, option = gate_option == "skip", SKIP_OPTION
    note = enforce(conn, step.module.GATE, skip=skip, skip_option=option,
                   subject=f"gate {step.module.GATE} of {step.revision}",
                   not_done=f"{step.revision} not applied, the database stays at {step.down_revision}",
                   log_prefix=f"migrate: {step.revision}")
    return {step.revision: note} if note else {}


def run(action: str, rev: str | None, x_args: list[str], script=None) -> None:
    cfg = alembic_config()
    cfg.cmd_opts = argparse.Namespace(x=x_args)
    if action == "sql":
        command.upgrade(cfg, rev or "base:head", sql=True)
        return
    options = dict(x.split("=", 1) for x in x_args)
    try:
        contract = parse_contract_options(options)
    except OptionError as exc:
        raise UsageError(str(exc)) from None
    preflight()
    if action == "upgrade":
        gated_upgrade(cfg, rev or "head", options.get("gate"), script, contract.override)
    elif action == "downgrade":
        command.downgrade(cfg, rev or "-1")
    elif action == "current":
        command.current(cfg, verbose=False)
    elif action == "history":
        command.history(cfg, indicate_current=True)
    elif action == "stamp":
        if not rev:
            raise UsageError("stamp needs a revision: make stamp REV=<revision>")
        command.stamp(cfg, rev)


def main(argv: list[str], script=None) -> int:
    if not argv or argv[0] not in ("upgrade", "downgrade", "current", "history", "sql", "stamp"):
        raise UsageError(USAGE)
    action, rest = argv[0], argv[1:]
    x_args = [rest[i + 1] for i, arg in enumerate(rest[:-1]) if arg == "-x"]
    positional = [arg for i, arg in enumerate(rest) if arg != "-x" and (i == 0 or rest[i - 1] != "-x")]
    if len(positional) > 1 or any("=" not in x for x in x_args):
        raise UsageError(USAGE + " [-x key=value ...]")
    rev = positional[0] if positional and positional[0] else None
    try:
        run(action, rev, x_args, script)
    except CommandError as exc:
        raise UsageError(one_line(exc)) from None
    except OperationalError as exc:
        if getattr(exc.orig, "pgcode", None) is None:
            raise UsageError(f"lost the database: {_database_error(exc)}") from None
        raise CheckFailed(f"{action} failed: {_database_error(exc)}") from None
    except DBAPIError as exc:
        raise CheckFailed(f"{action} failed: {_database_error(exc)}") from None
    except RuntimeError as exc:
        raise CheckFailed(f"{action} refused: {one_line(exc)}") from None
    except psycopg2.OperationalError as exc:  # the gate's own connection
        if getattr(exc, "pgcode", None) is None:
            raise UsageError(f"lost the database: {one_line(exc)}") from None
        raise CheckFailed(f"{action} refused: the gate could not run: {one_line(exc)}") from None
    except psycopg2.Error as exc:
        raise CheckFailed(f"{action} refused: the gate could not run: {one_line(exc)}") from None
    return 0


if __name__ == "__main__":
    cli_main(main)()
