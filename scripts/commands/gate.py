"""`make gate`: the Phase 2 gate, one PASS/FAIL line per check.

    python -m scripts.commands.gate [--json] [--gate NAME]

The checks (scripts/db/gates.py): drift clean, nothing stranded, queue drained, no sync
failures. The same gate runs before every revision that declares `GATE = "phase2"`
(scripts/commands/migrate.py). Exit 0 all PASS, 1 any FAIL, 2 could not run.
"""
from __future__ import annotations

import json

import psycopg2

from scripts.db.database_url import connect
from scripts.db.errors import CheckFailed, OneLineParser, UsageError, cli_main, one_line
from scripts.db.gates import GATES, failing, run_gate

USAGE = "usage: python -m scripts.commands.gate [--json] [--gate NAME]"


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="gate", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--gate", default="phase2", help=f"the gate to run: {', '.join(sorted(GATES))}")
    args = parser.parse_args(argv)
    if args.gate not in GATES:
        raise UsageError(f"unknown gate {args.gate!r}; known: {', '.join(sorted(GATES))}")
    return run_and_print(args.gate, args.json)


def run_and_print(gate: str, as_json: bool) -> int:
    """Run `gate` on DATABASE_URL and print its lines (or JSON): exit 0 all PASS, CheckFailed
    (or 1 with JSON) on any FAIL, UsageError when it could not run. Also `make contract-check`'s."""
    conn = connect(autocommit=False)
    try:
        lines = run_gate(conn, gate)
    except psycopg2.OperationalError as exc:
        raise UsageError(f"lost the database: {one_line(exc)}") from None
    except psycopg2.Error as exc:
        raise UsageError(f"gate {gate} could not run: {one_line(exc)}") from None
    finally:
        conn.close()
    failed = failing(lines)
    if as_json:
        print(json.dumps({"gate": gate, "ok": not failed,
                          "checks": [{"check": l.check, "status": l.status, "detail": l.detail} for l in lines]},
                         ensure_ascii=False, indent=2))
        return 1 if failed else 0
    for line in lines:
        print(line)
    if failed:
        raise CheckFailed(f"gate {gate}: {len(failed)} of {len(lines)} checks failed: "
                          f"{', '.join(l.check for l in failed)}")
    print(f"gate {gate}: {len(lines)}/{len(lines)} checks passed")
    return 0


if __name__ == "__main__":
    cli_main(main)()
