"""The SQL files under migrations/sql/, read the one way every revision reads them.

Layout (Sqitch's `rework`, without Sqitch): one folder per kind of replaceable object
(functions, triggers, policies, views, grants, cron), and in it, per object:

    <kind>/<object>.sql             its CURRENT whole definition: what the database holds at
                                    head (body, SET clauses, COMMENT, grants). No revision reads
                                    it; tests/test_current_definitions.py proves it equals the
                                    database at head. Edit it when a new revision reworks the
                                    object, and copy what that revision runs to:
    <kind>/<object>@<NNNN>.sql      the statements revision NNNN ran for that object, frozen
                                    (MANIFEST): that revision reads this file, and the revision
                                    after it that reworks the object reads it again to restore
                                    it in its downgrade.

Objects are named <schema>.<name> (functions, views), <schema>.<table> (a table's policies),
<schema>.<table>.<trigger> (triggers), <schema> (the table grants of the API roles) and the
job name (cron).

File format: plain SQL that psql can run. Lines before the first statement are the file's
header (comments). Each statement starts after a line that is exactly `-- statement` and runs
to the next such line or the end of the file; it ends with `;`, which, with the whitespace
after it, is not part of the statement. Everything else (comments, blank lines, $$ bodies
holding `;`) is the statement's text, byte for byte: what the revision passes to op.execute is
exactly what the file holds, so a revision's `make sql` is what its files say.

This module is frozen like a released revision (MANIFEST): change how a file is read here and
every revision renders differently.
"""
from __future__ import annotations

import re
from pathlib import Path

from alembic import op

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MARKER = "-- statement"


def parse(text: str) -> list[str]:
    """The statements of one file's text (see the module docstring for the format)."""
    chunks = re.split(rf"(?m)^{re.escape(MARKER)}\n", text)
    statements = []
    for chunk in chunks[1:]:
        body = chunk.rstrip()
        if not body.endswith(";"):
            raise ValueError(f"a statement must end with ';': {body[-60:]!r}")
        statements.append(body[:-1])
    if not statements:
        raise ValueError("no `-- statement` line: nothing to run")
    return statements


def path_of(name: str, revision: str | None = None) -> Path:
    """migrations/sql/<name>.sql (current) or <name>@<revision>.sql (frozen)."""
    return SQL_DIR / (f"{name}@{revision}.sql" if revision else f"{name}.sql")


def _restoring(statement: str) -> str:
    """A frozen statement in the form that puts it back over a later version of its object:
    CREATE FUNCTION becomes CREATE OR REPLACE FUNCTION, and CREATE POLICY <p> ON <t> FOR <cmd>
    <clause> becomes ALTER POLICY <p> ON <t> <clause> (the command cannot change). Anything
    else is already its own restoring form (CREATE OR REPLACE, COMMENT, ALTER, REVOKE)."""
    if statement.startswith("CREATE FUNCTION "):
        return "CREATE OR REPLACE FUNCTION " + statement[len("CREATE FUNCTION "):]
    policy = re.fullmatch(r"CREATE POLICY (\S+) ON (\S+) FOR \w+ (.*)", statement, re.S)
    if policy:
        return f"ALTER POLICY {policy[1]} ON {policy[2]} {policy[3]}"
    return statement


def sql_of(name: str, revision: str, *, restoring: bool = False) -> list[str]:
    """The statements of <name>@<revision>.sql; with restoring=True, as a later revision's
    downgrade runs them to put that version back (see _restoring)."""
    statements = parse(path_of(name, revision).read_text(encoding="utf-8"))
    return [_restoring(s) for s in statements] if restoring else statements


def execute(name: str, revision: str, *, restoring: bool = False) -> None:
    """Run <name>@<revision>.sql, one op.execute per statement."""
    for statement in sql_of(name, revision, restoring=restoring):
        op.execute(statement)
