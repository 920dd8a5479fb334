"""`make drift`: prove habit_tracker and the new tables agree, row by row.

    python -m scripts.commands.drift [--json] [--min-age SECONDS] [--examples N] [--full]

Runs the drift check of scripts/db/drift.py over every user and prints its report (how the
check works, and what it compares, is that module's docstring). `--full` re-maps every
child-week instead of trusting those placed and unchanged since.

Exit 0 no drift, 1 drift found, 2 could not run. Once habit_tracker is frozen (revision
0038_freeze_legacy) there is nothing left to compare: it says so and exits 0. With DRIFT_WEBHOOK_URL set, drift is also
posted as a Discord-compatible message (scripts/commands/drift_alert.py); a failing webhook is
reported on stderr and does not change the exit code.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import asdict

import psycopg2

from scripts.commands.drift_alert import post_alert
from scripts.db.database_url import connect
from scripts.db.drift import SEVERITY_ORDER, Report, detect
from scripts.db.errors import UsageError, cli_main
from scripts.db.freeze import NOTHING_TO_COMPARE, frozen


def render_text(report: Report, examples: int) -> str:
    checked = report.checked
    lines = [f"checked {checked['legacy_rows']} legacy rows ({checked['left_out_recent']} changed too "
             f"recently or queued, left out with their weeks; {checked['remapped']} re-mapped into "
             f"{checked['weeks_remapped']} weeks, the others as placed), "
             f"{checked['weeks_compared']} weeks by fingerprint, {checked['weeks_differing']} compared row by row"]
    kinds = Counter((f.severity, f.kind) for f in report.findings)
    for (severity, kind), count in sorted(kinds.items(), key=lambda k: (SEVERITY_ORDER.index(k[0][0]), k[0][1])):
        lines.append(f"{severity:<8} {kind}: {count}")
        for f in [f for f in report.findings if f.kind == kind][:examples]:
            legacy = f"legacy {f.legacy_id}" if f.legacy_id is not None else "no legacy row"
            lines.append(f"           {legacy}; new {', '.join(f.new_ids)}: {f.detail}")
    known = ", ".join(f"{reason} {count}" for reason, count in report.quarantine.items()) or "none"
    lines.append(f"known exceptions (quarantined legacy rows, not drift): {known}")
    conflicts = ", ".join(f"{name} {count}" for name, count in report.conflicts.items()) or "none"
    lines.append(f"known conflicts (values a merge did not keep, in migration.placement_conflicts; not drift): "
                 f"{conflicts}")
    for table, counts in report.source_versions.items():
        lines.append(f"source_version {table}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    lines.append(f"DRIFT: {len(report.findings)} findings" if report.drift else "no drift")
    return "\n".join(lines)


def render_json(report: Report, examples: int) -> str:
    by_kind = Counter(f.kind for f in report.findings)
    sample = [asdict(f) for kind in by_kind for f in [x for x in report.findings if x.kind == kind][:examples]]
    return json.dumps({
        "drift": report.drift, "findings": len(report.findings), "by_kind": dict(by_kind),
        "by_severity": dict(Counter(f.severity for f in report.findings)), "examples": sample,
        "checked": report.checked, "source_versions": report.source_versions, "quarantine": report.quarantine,
        "conflicts": report.conflicts,
    }, ensure_ascii=False, indent=2, default=str)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="drift", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--min-age", type=float, default=0.0, metavar="SECONDS",
                        help="leave out legacy rows changed in the last SECONDS (writes in flight)")
    parser.add_argument("--examples", type=int, default=3, help="examples shown per kind of finding")
    parser.add_argument("--full", action="store_true",
                        help="re-map every child-week instead of trusting those unchanged since they were placed")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.commands.drift [--json] [--min-age SECONDS] [--examples N] [--full]") from exc
    if args.min_age < 0 or args.examples < 0:
        raise UsageError("--min-age and --examples must not be negative")
    conn = connect(autocommit=False)
    try:
        if frozen(conn):
            print(json.dumps({"drift": False, "frozen": True, "findings": 0, "detail": NOTHING_TO_COMPARE})
                  if args.json else NOTHING_TO_COMPARE)
            return 0
        report = detect(conn, args.min_age, args.full)
    except psycopg2.Error as exc:
        raise UsageError(f"drift check could not run: {' '.join(str(exc).split())}") from None
    finally:
        conn.close()
    print(render_json(report, args.examples) if args.json else render_text(report, args.examples))
    webhook = os.environ.get("DRIFT_WEBHOOK_URL")
    if report.drift and webhook:
        error = post_alert(webhook, report.findings, report.most_severe(10))
        if error:
            print(f"drift: alert not sent: {error}", file=sys.stderr)
    return 1 if report.drift else 0


if __name__ == "__main__":
    cli_main(main)()
