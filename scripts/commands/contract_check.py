"""`make contract-check [JSON=1]`: may Phase 3 contract the legacy table now? One PASS/FAIL line per check.

    python -m scripts.commands.contract_check [--json]

The contract gate (scripts/db/gates.py, "contract"): drift clean, nothing stranded, queue
drained, no sync failures (Phase 2's four lines), read switch at 100%, no legacy reader (the
last window `make legacy-readers` recorded was clean and began after the switch reached 100%;
its age is printed), every RLS stage on (stage 4 of 4). Every revision that declares
`GATE = "contract"` runs the same lines first and stops with the failing ones
(scripts/commands/migrate.py; `-x contract_override=true` on throwaway databases only).

Exit 0 all PASS, 1 any FAIL, 2 could not run (no database, bad option), one line. `--json`:
{"gate": "contract", "ok": bool, "checks": [{"check", "status", "detail"}, ...]}.
"""
from __future__ import annotations

from scripts.commands.gate import run_and_print
from scripts.db.errors import OneLineParser, cli_main

USAGE = "usage: python -m scripts.commands.contract_check [--json]"
GATE = "contract"


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="contract-check", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    return run_and_print(GATE, args.json)


if __name__ == "__main__":
    cli_main(main)()
