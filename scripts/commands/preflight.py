"""`make preflight`: the rows that would stop each NOT VALID constraint from validating.

    python -m scripts.commands.preflight [--json]

One line per constraint still NOT VALID: OK with 0 offending rows, or FAIL with the count and
the first few ids. Exit 1 when any constraint has offending rows, 2 when it cannot run.
The validation revisions (0005, 0006) run the same check before each VALIDATE.
"""
from __future__ import annotations

import json
import sys

from scripts.db.constraint_violations import constraints, violations
from scripts.db.database_url import connect
from scripts.db.errors import CheckFailed, UsageError, cli_main


def main(argv: list[str]) -> int:
    if argv not in ([], ["--json"]):
        raise UsageError("usage: python -m scripts.commands.preflight [--json]")
    conn = connect()
    try:
        found = [violations(conn, c) for c in constraints(conn, only_not_valid=True)]
    finally:
        conn.close()
    failing = [v for v in found if v.count]
    if argv == ["--json"]:
        print(json.dumps([
            {"table": v.constraint.table, "constraint": v.constraint.name, "kind": v.constraint.kind_label,
             "offending_rows": v.count, "first_ids": list(v.sample_ids)} for v in found
        ], indent=2))
        return 1 if failing else 0
    for v in found:
        c = v.constraint
        line = f"{'FAIL' if v.count else 'OK  '}  {c.table}.{c.name} ({c.kind_label}): {v.count} offending rows"
        print(line + (f"; first ids: {', '.join(v.sample_ids)}" if v.count else ""))
    print(f"{len(found)} NOT VALID constraints, {len(failing)} with offending rows", file=sys.stdout)
    if failing:
        raise CheckFailed(f"{len(failing)} constraint(s) would fail VALIDATE: {', '.join(v.constraint.name for v in failing)}")
    return 0


if __name__ == "__main__":
    cli_main(main)()
