"""`make verify`: is the database in the state its Alembic revision says it should be?

    python -m scripts.commands.verify [--json] [--target REV]

One line per check, PASS or FAIL with the figure behind it; exit 1 on any FAIL, 2 when it
cannot run. The checks are the revisions' own (migrations/verify/<revision>.py, one module per
revision; its docstring describes how they combine): walking the revision list base -> head,
the present side of each applied revision's checks and the absent side of each other's, read
from the catalog (and, for orphans, the data) of the database at DATABASE_URL. `--target`
(default: head) is the revision the database is expected to be at; `--target current` checks
the state against whatever revision the database is at (what `make rollback` does after
stepping back).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass

import psycopg2
from alembic.script import ScriptDirectory

from scripts.db.database_url import REPO_ROOT, connect
from scripts.db.errors import CheckFailed, UsageError, cli_main
from scripts.commands.migrate import alembic_config

# migrations/ is not an installed package: the verify steps are read from the repository, as
# alembic reads the revisions (alembic.ini: prepend_sys_path = %(here)s), whatever the cwd.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
from migrations import verify as steps  # noqa: E402
from migrations.verify import NEW_TABLES, Db  # noqa: E402,F401  (NEW_TABLES: report's row counts)


@dataclass
class Result:
    check: str
    status: str  # PASS or FAIL
    detail: str


class State:
    """What verify knows: a connection, the revision list, and which revisions are applied."""

    def __init__(self, conn, script: ScriptDirectory, current: str | None):
        self.conn = conn
        self.script = script
        self.current = current
        self.applied = (
            {rev.revision for rev in script.iterate_revisions(current, "base")} if current else set()
        )

    def has(self, revision: str) -> bool:
        return revision in self.applied


def revision_list(script: ScriptDirectory) -> list[str]:
    """Every revision id, base -> head."""
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def check_revision(state: State, target: str | None) -> tuple[bool, str]:
    return state.current == target, f"database at {state.current or '(none)'}, expected {target}"


def current_revision(conn) -> str | None:
    """The revision alembic_version records, or None (no table yet, or no row)."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
    return row[0] if row else None


def run_part(db: Db, part: steps.Part) -> tuple[bool, str]:
    """One revision's side of a check. A query that fails is that part's FAIL (in a savepoint
    when the connection is in a transaction, so that the other parts still run)."""
    in_transaction = not db.conn.autocommit
    if in_transaction:
        db.execute("SAVEPOINT verify_part")
    try:
        ok, detail = part.run(db)
    except psycopg2.Error as exc:
        if in_transaction:
            db.execute("ROLLBACK TO SAVEPOINT verify_part")
        side = "present" if part.applied else "absent"
        return False, f"{part.revision} ({side}) could not be checked: {' '.join(str(exc).split())}"
    if in_transaction:
        db.execute("RELEASE SAVEPOINT verify_part")
    return bool(ok), detail


def run_line(db: Db, line: steps.Line) -> Result:
    outcomes = [run_part(db, part) for part in line.parts]
    ok = all(passed for passed, _ in outcomes)
    return Result(line.name, "PASS" if ok else "FAIL", "; ".join(detail for _, detail in outcomes if detail))


def checks_in_force(script: ScriptDirectory, applied: set[str]) -> list[steps.Line]:
    revisions = revision_list(script)
    try:
        return steps.lines(revisions, applied)
    except ModuleNotFoundError as exc:
        missing = next((r for r in revisions if steps.module_name(r) == exc.name), None)
        if missing is None:
            raise
        raise UsageError(f"revision {missing} has no verify step: migrations/verify/{missing}.py is missing") from None


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
    ok, detail = check_revision(state, target)
    db = Db(conn)
    return ([Result("alembic revision", "PASS" if ok else "FAIL", detail)]
            + [run_line(db, line) for line in checks_in_force(script, state.applied)])


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
