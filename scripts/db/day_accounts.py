"""Where every filled day of every legacy row is: the invariant of issue #19, summed up.

migration.legacy_day_accounts (revision 0024) gives each filled day of each legacy row its
account: placed, conflict, discarded, stranded, in_flight or unaccounted (the view's comment
says what each means). `make verify` (the "filled days" line), `make report` and
`make quarantine` all read it through `summary()`, so they say the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass

EXAMPLES = 5

SUMMARY = """
SELECT count(*) FILTER (WHERE a.account = 'placed'),
       count(*) FILTER (WHERE a.account = 'conflict'),
       count(*) FILTER (WHERE a.account = 'discarded'),
       count(*) FILTER (WHERE a.account = 'stranded'),
       count(*) FILTER (WHERE a.account = 'in_flight'),
       count(DISTINCT a.legacy_id) FILTER (WHERE a.account = 'in_flight'),
       count(*) FILTER (WHERE a.account = 'unaccounted'),
       coalesce(array_agg(DISTINCT a.legacy_id) FILTER (WHERE a.account = 'unaccounted'), '{}'),
       (SELECT count(*) FROM migration.unresolved_legacy_rows),
       (SELECT count(*) FROM migration.discarded_legacy_rows AS x
        WHERE EXISTS (SELECT 1 FROM migration.backfill_quarantine AS q WHERE q.legacy_id = x.legacy_id)
            AND NOT EXISTS (SELECT 1 FROM migration.unresolved_legacy_rows AS u WHERE u.legacy_id = x.legacy_id))
FROM migration.legacy_day_accounts AS a"""


@dataclass(frozen=True)
class DayAccounts:
    placed: int
    conflicts: int
    discarded: int
    stranded: int
    in_flight: int
    in_flight_rows: int
    unaccounted: int
    unaccounted_ids: list[int]  # every legacy row with a day unaccounted for, ascending
    unresolved_rows: int
    discarded_rows: int  # quarantined rows archived as they are

    @property
    def ok(self) -> bool:
        return self.unaccounted == 0

    def counts(self) -> str:
        text = (f"{self.placed} placed, {self.conflicts} in conflicts, {self.discarded} in discarded rows, "
                f"{self.stranded} stranded in {self.unresolved_rows} unresolved rows")
        if self.in_flight:
            text += f"; {self.in_flight} in flight (writes of {self.in_flight_rows} rows still queued)"
        return text

    def line(self) -> str:
        """The "filled days" line of `make verify`."""
        if self.ok:
            return f"every filled day accounted: {self.counts()}"
        ids = ", ".join(str(i) for i in self.unaccounted_ids[:EXAMPLES])
        more = f" and {len(self.unaccounted_ids) - EXAMPLES} more" if len(self.unaccounted_ids) > EXAMPLES else ""
        return (f"{self.unaccounted} filled days unaccounted for, of legacy rows {ids}{more} (make drift; "
                f"make resync); {self.counts()}")


def summary(conn) -> DayAccounts:
    """The accounts of every filled day. JIT is off for the query: its plan looks costly (set-
    returning functions over JSON) and compiling it took 1.5 s against 25 ms to run it."""
    with conn.cursor() as cur:
        if conn.autocommit:
            cur.execute("SET jit = off")
        else:
            cur.execute("SET LOCAL jit = off")
        try:
            cur.execute(SUMMARY)
            row = cur.fetchone()
        finally:
            if conn.autocommit:
                cur.execute("RESET jit")
    return DayAccounts(*row[:7], sorted(row[7]), *row[8:])
